//! Ledger command streams checked against the naive reference model.
//!
//! The fuzzer's bytes drive the same generator as the model-based test
//! (small id and position pools, duplicates and mutated duplicates, time
//! going backwards, expiries exactly at `now`, batches). After every step the
//! target compares the outcome and every observable with the reference model
//! and checks the invariants; at the end it checks replay and snapshot + tail
//! equivalence. Any difference is a crash, not only a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/ledger/reference.rs"]
mod reference;

fuzz_target!(|data: &[u8]| {
    let steps = data.first().map_or(1, |b| 1 + usize::from(*b) % 100);
    let mut src = reference::Bytes(data.get(1..).unwrap_or_default());
    if let Err(e) = reference::run(&mut src, steps) {
        panic!("ledger differs from the reference model: {e}");
    }
});
