//! The exact fast path for small split orders: the best plan of at most two
//! shipments, proven optimal by a bound on every plan of three or more.
//!
//! When every line splits freely, no two lines share a SKU and no candidate's
//! cap binds, a node set's least cost is its lines' cheapest stock taken
//! first (`split_set`), independently per line. The best plan with at most
//! two shipments is then found by evaluating single nodes and the pairs that
//! can still beat the bound below (each pair found from its member with the
//! cheaper units, whose least unit cost bounds every unit the pair ships,
//! so few nodes lead a pair at all), and any plan with three or more shipments
//! costs at least the three least shipment costs plus every unit at its
//! cheapest unit cost (or the penalty). When the best plan of at most two
//! shipments is below that bound, it is the optimum, and it is the plan the
//! branch-and-bound returns (the costs carry the tie-break perturbation, so
//! equal perturbed costs of different node sets are the only ambiguity: the
//! fast path then gives up). Otherwise the caller runs the full search.

use smallvec::SmallVec;

use super::RoutingError;
use super::compile::{Compiled, bit, set_bits};
use super::exact::{Assignment, NONE, add, mul, split_set};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;

/// At most this many candidates: the fast path's own cost stays below the
/// search setup it saves, and a fast path that falls back costs little.
/// 3–5-line orders over 100 nodes have up to ~70 candidates (at a limit of
/// 64 the slowest of them went to the search); on larger candidate sets
/// (10-line orders over 1,000 nodes: ~800 candidates, optimum rarely within
/// two shipments) trying it first measured ~3× slower at p99.
const MAX_CANDIDATES: usize = 128;

/// Whether the fast path's preconditions hold for `c`: every line splits
/// freely, the lines have distinct SKUs, no cap binds, no ship-complete rule,
/// at least two shipments are allowed, and at most [`MAX_CANDIDATES`]
/// candidates.
pub(crate) fn applies(c: &Compiled) -> bool {
    c.nodes.len() <= MAX_CANDIDATES
        && c.items.is_empty()
        && !c.ship_complete
        && c.max_ship >= 2
        && c.skus.len() == c.lines.len()
        && c.nodes.iter().all(|n| n.cap >= c.demand)
}

/// The order's candidates as flat tables, per (candidate, line): the stock
/// the candidate may ship of the line (0 where it is not eligible); per
/// candidate its shipment cost. A unit cost is read from the node record
/// only where the node has stock.
struct Flat<'c> {
    nl: usize,
    penalty: Option<i128>,
    qty: SmallVec<[u64; 16]>,
    /// Per line, its SKU's index in the node records' rows.
    sku: SmallVec<[usize; 16]>,
    fixed: Vec<i128>,
    stock: Vec<u64>,
    nodes: &'c [super::compile::CNode],
}

impl Flat<'_> {
    fn stock(&self, k: usize) -> &[u64] {
        let at = k.saturating_mul(self.nl);
        self.stock.get(at..at.saturating_add(self.nl)).unwrap_or_default()
    }

    /// Node `k`'s unit cost of line `li`'s SKU.
    fn unit(&self, k: usize, li: usize) -> i128 {
        let sku = self.sku.get(li).copied().unwrap_or(usize::MAX);
        self.nodes.get(k).and_then(|n| n.unit.get(sku)).copied().unwrap_or(0)
    }

    fn fixed(&self, k: usize) -> i128 {
        self.fixed.get(k).copied().unwrap_or(NONE)
    }
}

/// The best set found so far: its cost, the set (`None`: the empty plan),
/// and whether another set costs exactly as much.
struct Incumbent {
    cost: i128,
    set: Option<(usize, Option<usize>)>,
    tie: bool,
}

impl Incumbent {
    fn offer(&mut self, cost: i128, set: (usize, Option<usize>)) {
        if cost < self.cost {
            self.cost = cost;
            self.set = Some(set);
            self.tie = false;
        } else if cost == self.cost && self.set != Some(set) {
            // The same set offered twice is no tie.
            self.tie = true;
        }
    }
}

/// The optimum when it has at most two shipments and provably beats every
/// plan with more, as the branch-and-bound would return it; `None` when that
/// cannot be shown (the caller searches). `empty` is the plan shipping
/// nothing, if the penalty allows it. Call only when [`applies`] holds.
///
/// The single nodes that could ship everything are costed first, then the
/// pairs, then the other single nodes, each only when a lower bound leaves
/// it a chance against the incumbent. A pair is found from its *leader*,
/// the member with the lower least unit cost `w` (the least of its unit
/// costs and the penalty; then the lower index): every unit of the pair
/// costs at least `w` and at least its line's cheapest unit cost, so the
/// pair costs at least both shipment costs plus that, plus, per unit the
/// two cannot stock, the penalty's excess over it. On real orders only the
/// nodes with cheap units can lead; a leader's partners are the nodes that
/// stock what it must get from them (per-line bitmaps), and each is checked
/// against that bound before the pair is costed.
///
/// # Complexity
///
/// O(n + s) for n candidates and s (candidate, line) cells with stock to
/// build the tables, O(n) for the leader and single-node tests, then per
/// leader O(l × n / 64) for its partners' bitmap and O(l) per partner, plus
/// O(l) to cost each pair that survives the bound (l lines).
pub(crate) fn best_small(
    c: &Compiled,
    empty: Option<&Assignment>,
) -> Result<Option<Assignment>, RoutingError> {
    let n = c.nodes.len();
    let nl = c.lines.len();
    if n == 0 || nl == 0 || nl > 64 {
        return Ok(None);
    }
    let pen = c.penalty;
    let pen_or_none = pen.unwrap_or(NONE);
    // Per line: its SKU's index in the node rows, and its units.
    let lines: SmallVec<[(usize, u64); 16]> = c.lines.iter().map(|l| (l.sku, l.qty)).collect();
    let mut t = Flat {
        nl,
        penalty: pen,
        qty: lines.iter().map(|&(_, q)| q).collect(),
        sku: lines.iter().map(|&(s, _)| s).collect(),
        fixed: Vec::with_capacity(n),
        stock: vec![0; n.saturating_mul(nl)],
        nodes: &c.nodes,
    };
    // Per node: its least unit cost `w` (or the penalty, if lower; NONE when
    // it may ship nothing) and the units it leaves short alone.
    let mut least: Vec<(i128, u64)> = Vec::with_capacity(n);
    // Per line, a bitmap of the nodes that stock it (`words` per line).
    let words = n.div_ceil(64);
    let mut line_bits: SmallVec<[u64; 32]> = SmallVec::from_elem(0, words.saturating_mul(nl));
    // Every unit at its cheapest unit cost over all candidates, or the penalty.
    let mut cheapest: SmallVec<[i128; 16]> = SmallVec::from_elem(pen_or_none, nl);
    let (mut f1, mut f2, mut f3) = (NONE, NONE, NONE);
    let all = c.all_lines();
    for (k, (node, srow)) in c.nodes.iter().zip(t.stock.chunks_exact_mut(nl)).enumerate() {
        let f = node.fixed;
        if f < f1 {
            (f1, f2, f3) = (f, f1, f2);
        } else if f < f2 {
            (f2, f3) = (f, f2);
        } else if f < f3 {
            f3 = f;
        }
        t.fixed.push(f);
        // Only the lines the node may ship (few, for most candidates); its
        // other cells stay 0 (a unit cost is read only where there is stock).
        let (stock, unit) = (node.stock.as_slice(), node.unit.as_slice());
        let (mut w, mut shipped) = (NONE, 0u64);
        for li in set_bits(node.elig & all) {
            let (Some(&(sku, q)), Some(s), Some(m)) = (lines.get(li), srow.get_mut(li), cheapest.get_mut(li))
            else {
                continue;
            };
            let u = unit.get(sku).copied().unwrap_or(0);
            *m = (*m).min(u);
            *s = stock.get(sku).copied().unwrap_or(0);
            if *s > 0 {
                w = w.min(u);
                shipped = shipped.saturating_add((*s).min(q));
                if let Some(x) = line_bits.get_mut(li.saturating_mul(words).saturating_add(k / 64)) {
                    *x |= 1u64 << (k % 64);
                }
            }
        }
        let short = c.demand.saturating_sub(shipped);
        least.push((w.min(pen_or_none), short));
    }
    let mut var_lb = 0i128;
    let (mut ch_min, mut ch_max) = (NONE, 0i128);
    for (&q, &u) in t.qty.iter().zip(cheapest.iter()) {
        if u == NONE {
            // A line nothing can fill and no penalty: infeasible; the search says so.
            return Ok(None);
        }
        var_lb = add(var_lb, mul(u, q)?)?;
        ch_min = ch_min.min(u);
        ch_max = ch_max.max(u);
    }
    // Any plan with three or more shipments costs at least this.
    let lb3 = if c.max_ship >= 3 && n >= 3 { add(add(add(f1, f2)?, f3)?, var_lb)? } else { NONE };
    let mut inc = Incumbent { cost: empty.map_or(NONE, |e| e.cost), set: None, tie: false };
    let lim = |inc: &Incumbent| inc.cost.min(lb3);
    // Single nodes that could ship everything.
    for (k, &(_, short)) in least.iter().enumerate() {
        if short == 0 && add(t.fixed(k), var_lb)? <= lim(&inc) {
            if let Some(cost) = set_cost(&t, k, None, lim(&inc))? {
                inc.offer(cost, (k, None));
            }
        }
    }
    // Pairs, from their leaders.
    let demand = i128::from(c.demand);
    let mut extra: SmallVec<[i128; 16]> = SmallVec::from_elem(0, nl);
    let mut must: SmallVec<[u64; 16]> = SmallVec::from_elem(0, nl);
    for (a, &(wa, _)) in least.iter().enumerate() {
        if wa == NONE {
            continue;
        }
        let fa = t.fixed(a);
        // Quick test first: every unit at least max(w, cheapest of all).
        let quick =
            add(add(fa, f1)?, super::compile::mul128(wa.max(ch_min), demand).ok_or(super::exact::OVF)?)?;
        if quick > lim(&inc) {
            continue;
        }
        // Every unit of a pair led by `a` costs at least `floor_l`; a unit
        // left unfilled costs `extra_l` more (NONE: not allowed).
        let mut base = add(fa, 0)?;
        for ((&q, &ch), x) in t.qty.iter().zip(cheapest.iter()).zip(extra.iter_mut()) {
            let floor = ch.max(wa);
            base = add(base, mul(floor, q)?)?;
            *x = match pen {
                Some(p) => p.saturating_sub(floor),
                None => NONE,
            };
        }
        if add(base, f1)? > lim(&inc) {
            continue;
        }
        // Per line, the units a partner must stock: those `a` leaves short,
        // less what the slack allows to stay unfilled.
        let sa = t.stock(a);
        let slack = lim(&inc).saturating_sub(add(base, f1)?);
        let mut cand: SmallVec<[u64; 4]> = SmallVec::from_elem(u64::MAX, words);
        for (li, (((&q, &s1), &x), m)) in
            t.qty.iter().zip(sa.iter()).zip(extra.iter()).zip(must.iter_mut()).enumerate()
        {
            let short = q.saturating_sub(s1);
            *m = if short == 0 {
                0
            } else if x == NONE || slack < x {
                short
            } else {
                let spare = slack.checked_div(x).and_then(|v| u64::try_from(v).ok());
                short.saturating_sub(spare.unwrap_or(u64::MAX))
            };
            if *m > 0 {
                let row = line_bits.get(li.saturating_mul(words)..li.saturating_add(1).saturating_mul(words));
                for (c, &r) in cand.iter_mut().zip(row.unwrap_or_default()) {
                    *c &= r;
                }
            }
        }
        for (w, &bits) in cand.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let b = w.saturating_mul(64).saturating_add(bits.trailing_zeros() as usize);
                bits &= bits.wrapping_sub(1);
                let Some(&(wb, _)) = least.get(b) else { break };
                if wb < wa || (wb == wa && b <= a) {
                    continue;
                }
                let l0 = lim(&inc);
                let mut lb = add(base, t.fixed(b))?;
                if lb > l0 {
                    continue;
                }
                let sb = t.stock(b);
                if sb.iter().zip(must.iter()).any(|(s, m)| s < m) {
                    continue;
                }
                for (((&q, &s1), &s2), &x) in t.qty.iter().zip(sa.iter()).zip(sb.iter()).zip(extra.iter()) {
                    let left = q.saturating_sub(s1).saturating_sub(s2);
                    if left > 0 {
                        if x == NONE {
                            lb = NONE;
                            break;
                        }
                        lb = add(lb, mul(x, left)?)?;
                    }
                }
                if lb > l0 {
                    continue;
                }
                let (x, y) = if a < b { (a, b) } else { (b, a) };
                if let Some(cost) = set_cost(&t, x, Some(y), l0)? {
                    inc.offer(cost, (x, Some(y)));
                }
            }
        }
    }
    // The other single nodes: each leaves units short, at the penalty.
    for (k, &(wk, short)) in least.iter().enumerate() {
        if short == 0 || wk == NONE {
            continue;
        }
        let Some(p) = pen else { continue };
        let mut lb = add(t.fixed(k), var_lb)?;
        // Quick test first: each unit short at least the penalty's least excess.
        if add(lb, mul(p.saturating_sub(ch_max), short)?)? > lim(&inc) {
            continue;
        }
        for ((&q, &s), &ch) in t.qty.iter().zip(t.stock(k).iter()).zip(cheapest.iter()) {
            lb = add(lb, mul(p.saturating_sub(ch), q.saturating_sub(s))?)?;
        }
        if lb > lim(&inc) {
            continue;
        }
        if let Some(cost) = set_cost(&t, k, None, lim(&inc))? {
            inc.offer(cost, (k, None));
        }
    }
    if inc.tie || inc.cost == NONE || inc.cost >= lb3 {
        return Ok(None);
    }
    // The search evaluates a set in its search order, which decides which
    // of two equally cheap stocks a line takes: the same order here.
    // (A pair's cost does not depend on that order: equal unit costs only
    // move units between its two nodes, and an order that left one of them
    // unused would be that single node's plan, which is cheaper.)
    match inc.set {
        Some((a, Some(b))) => {
            let set = if search_key(c, b)? < search_key(c, a)? { [b, a] } else { [a, b] };
            split_set(c, &set, None)
        }
        Some((k, None)) => split_set(c, &[k], None),
        None => Ok(empty.cloned()),
    }
}

/// The cost of `split_set`'s plan on `{a}` or `{a, b}` (`a < b`): each line
/// from the cheaper stock first (the lower index on equal unit costs), units
/// left unfilled where the penalty is not dearer, plus the shipment costs.
/// `None` when the plan leaves a node of the set unused (it is a smaller
/// set's plan), is infeasible, or costs more than `lim`. Allocates nothing.
fn set_cost(t: &Flat, a: usize, b: Option<usize>, lim: i128) -> Result<Option<i128>, RoutingError> {
    /// A partner that stocks nothing: a single node's plan.
    const NO_STOCK: [u64; 64] = [0; 64];
    let mut cost = t.fixed(a);
    if let Some(b) = b {
        cost = add(cost, t.fixed(b))?;
    }
    if cost > lim {
        return Ok(None);
    }
    let sa = t.stock(a);
    let (sb, bk) = match b {
        Some(b) => (t.stock(b), b),
        None => (NO_STOCK.get(..t.nl).unwrap_or_default(), a),
    };
    // Unit costs at or above the penalty are never paid: the units stay unfilled.
    let pen = t.penalty.unwrap_or(NONE);
    let (mut used_a, mut used_b) = (false, b.is_none());
    for (li, ((&qty, &s1), &s2)) in t.qty.iter().zip(sa.iter()).zip(sb.iter()).enumerate() {
        // Unit costs only where there is stock.
        let u1 = if s1 > 0 { t.unit(a, li) } else { 0 };
        let u2 = if s2 > 0 { t.unit(bk, li) } else { 0 };
        // Cheaper first; on equal unit cost `a` (the lower index) first.
        let a_first = s2 == 0 || (s1 > 0 && u1 <= u2);
        let (first, second) = if a_first { ((s1, u1), (s2, u2)) } else { ((s2, u2), (s1, u1)) };
        let mut left = qty;
        let mut took = [false; 2];
        for ((have, u), slot) in [first, second].into_iter().zip(took.iter_mut()) {
            if left == 0 || have == 0 || u >= pen {
                break;
            }
            let q = have.min(left);
            cost = add(cost, mul(u, q)?)?;
            left = left.saturating_sub(q);
            *slot = true;
        }
        let [t0, t1] = took;
        if a_first {
            (used_a, used_b) = (used_a || t0, used_b || t1);
        } else {
            (used_a, used_b) = (used_a || t1, used_b || t0);
        }
        if left > 0 {
            match t.penalty {
                Some(p) => cost = add(cost, mul(p, left)?)?,
                None => return Ok(None),
            }
        }
        if cost > lim {
            return Ok(None);
        }
    }
    Ok((used_a && used_b).then_some(cost))
}

/// Node `k`'s place in the branch-and-bound's search order, as its setup
/// computes it: the cost per unit of what it could ship alone, then `k`.
fn search_key(c: &Compiled, k: usize) -> Result<(u128, usize), RoutingError> {
    let Some(node) = c.nodes.get(k) else { return Ok((u128::MAX, k)) };
    let mut units = 0u64;
    let mut cost = node.fixed;
    // Distinct SKUs: each line is its SKU's whole need.
    for (li, l) in c.lines.iter().enumerate() {
        if node.elig & bit(li) == 0 {
            continue;
        }
        let q = l.qty.min(node.stock.get(l.sku).copied().unwrap_or(0));
        if q > 0 {
            units = units.saturating_add(q);
            cost = add(cost, mul(node.unit.get(l.sku).copied().unwrap_or(0), q)?)?;
        }
    }
    let usable = units.min(node.cap).max(1);
    let per = super::exact::div_floor(cost, usable);
    let per = per.and_then(|p| u128::try_from(p).ok()).unwrap_or(u128::MAX).min(u128::MAX >> 32);
    Ok((per, k))
}
