//! A fast hasher for the ledger's lookup tables (entry ids, positions).
//!
//! The tables are keyed by caller-chosen 128-bit entry ids, so the hasher is
//! seeded per ledger from the standard library's random state: a caller
//! cannot precompute colliding ids. The seed never reaches an output — the
//! tables iterate in insertion order (`IndexMap`) and snapshots list their
//! contents — so the ledger stays deterministic. The mixing step is a folded
//! 64×64→128-bit multiply (as in foldhash/wyhash): not cryptographic, but a
//! good spread for ids at a few nanoseconds per key.

use core::hash::{BuildHasher, Hasher};
use std::hash::RandomState;

const K: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let full = u128::from(a).wrapping_mul(u128::from(b));
    (full as u64) ^ (full.checked_shr(64).unwrap_or(0) as u64)
}

/// Builds [`IdHasher`]s with a per-map random seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHashBuilder {
    seed: u64,
}

impl IdHashBuilder {
    /// The hash of a 128-bit id, as an [`IdHasher`] fed one `write_u128`
    /// would give it, without going through the `Hasher` trait.
    #[inline]
    pub(crate) fn hash_u128(self, v: u128) -> u64 {
        let h = fold(self.seed ^ (v as u64), (v.checked_shr(64).unwrap_or(0) as u64) ^ K2);
        fold(h, K2)
    }
}

impl Default for IdHashBuilder {
    fn default() -> Self {
        Self { seed: RandomState::new().hash_one(K) }
    }
}

impl BuildHasher for IdHashBuilder {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher { h: self.seed }
    }
}

/// The hasher itself; see the module docs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHasher {
    h: u64,
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            for (d, s) in buf.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.write_u64(u64::from_le_bytes(buf));
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_u64(&mut self, v: u64) {
        self.h = fold(self.h ^ v, K);
    }

    fn write_u128(&mut self, v: u128) {
        self.h = fold(self.h ^ (v as u64), (v.checked_shr(64).unwrap_or(0) as u64) ^ K2);
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        fold(self.h, K2)
    }
}
