//! Seeded randomness that gives the same numbers on every machine.
//!
//! The generator is xoshiro256** (Blackman and Vigna, "Scrambled linear
//! pseudorandom number generators", ACM TOMS 47(4), 2021), seeded by
//! SplitMix64 (Steele, Lea and Flood, OOPSLA 2014) as its authors
//! recommend. Both are written here from the published formulas.
//!
//! Floating point is used only to build sampling weights (Zipf), and then
//! only through `+ − × ÷` and hand-written `ln`/`exp` series: IEEE 754
//! makes those operations correctly rounded, so the weights — and with them
//! every scenario — are bit-identical on every platform, where the
//! platform's `powf` might differ in the last bit.
#![allow(clippy::float_arithmetic)] // sampling weights only, never stock or money

/// xoshiro256** seeded with SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

/// One SplitMix64 step: advances `state` and returns the mixed output.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`; `stream` separates independent sub-streams
    /// (network, catalogue, orders, …) so changing one part of a scenario
    /// does not reshuffle the others.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut st = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let s = [splitmix64(&mut st), splitmix64(&mut st), splitmix64(&mut st), splitmix64(&mut st)];
        Self { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s1 << 17;
        let mut n = [s0, s1, s2 ^ s0, s3 ^ s1];
        n[1] ^= n[2];
        n[0] ^= n[3];
        n[2] ^= t;
        n[3] = n[3].rotate_left(45);
        self.s = n;
        result
    }

    /// Uniform in `0..n` (0 when `n` is 0), without modulo bias.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Reject the top partial block so every residue is equally likely.
        let limit = u64::MAX.saturating_sub(u64::MAX.checked_rem(n).unwrap_or(0));
        loop {
            let x = self.next_u64();
            if x < limit {
                return x.checked_rem(n).unwrap_or(0);
            }
        }
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo.saturating_add(self.below(hi.saturating_sub(lo).saturating_add(1)))
    }

    /// True with probability `bp` / 10,000.
    pub(crate) fn chance_bp(&mut self, bp: u32) -> bool {
        self.below(10_000) < u64::from(bp)
    }
}

/// A discrete distribution over `0..n` by integer weights: O(log n) draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    /// From weights; zero weights are never drawn. `None` when all are zero
    /// or the total overflows.
    pub(crate) fn new(weights: &[u64]) -> Option<Self> {
        let mut total = 0_u64;
        let mut cumulative = Vec::with_capacity(weights.len());
        for w in weights {
            total = total.checked_add(*w)?;
            cumulative.push(total);
        }
        (total > 0).then_some(Self { cumulative })
    }

    /// The sum of the weights.
    pub(crate) fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// Draws an index.
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.below(self.total());
        self.cumulative.partition_point(|&c| c <= r)
    }
}

const LN_2: f64 = core::f64::consts::LN_2;

/// Natural logarithm of a positive normal `x` from its binary exponent and
/// the series `ln m = 2 atanh((m − 1)/(m + 1))`; ≤ 1 ulp-ish, and the same bits everywhere.
pub(crate) fn det_ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let exp_bits = (bits >> 52) & 0x7ff;
    let mut e = f64::from(i32::try_from(exp_bits).unwrap_or(1023).saturating_sub(1023));
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | (1023_u64 << 52));
    if m > core::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1.0;
    }
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut term = t;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..40 {
        sum += term / k;
        term *= t2;
        k += 2.0;
    }
    2.0 * sum + e * LN_2
}

/// `e^x` for `x` in about [−700, 700] by range reduction to `r ∈ [−ln2/2, ln2/2]`
/// and a Taylor series; the same bits everywhere.
pub(crate) fn det_exp(x: f64) -> f64 {
    let n = (x / LN_2).round().clamp(-1000.0, 1000.0);
    let r = x - n * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    for _ in 0..30 {
        term *= r / k;
        sum += term;
        k += 1.0;
    }
    // `n` is a whole number in [−1000, 1000], so the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    let n = n as i32;
    let mut scale = 1.0;
    let step = if n >= 0 { 2.0 } else { 0.5 };
    for _ in 0..n.unsigned_abs() {
        scale *= step;
    }
    sum * scale
}

/// Zipf weights `k^(−s)` for ranks `1..=n` with `s = exponent_centi / 100`,
/// as integers scaled so rank 1 weighs 10^12 (every weight at least 1).
pub(crate) fn zipf_weights(n: usize, exponent_centi: u32) -> Vec<u64> {
    let s = f64::from(exponent_centi) / 100.0;
    let mut out = Vec::with_capacity(n);
    let mut k = 1.0_f64;
    for _ in 0..n {
        let w = det_exp(-s * det_ln(k)) * 1e12;
        // In [0, 1e12]: the cast cannot truncate beyond the fraction.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let w = w.round().clamp(1.0, 1e12) as u64;
        out.push(w);
        k += 1.0;
    }
    out
}

/// The integer square root (floor).
pub(crate) fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    // Newton's method from an upper bound; monotone decreasing to the floor.
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = x.saturating_add(n.checked_div(x).unwrap_or(0)) / 2;
    }
    x
}
