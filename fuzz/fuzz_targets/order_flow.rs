//! Order-operation sequences against a ledger, checked after every step.
//!
//! The fuzzer's bytes drive the same generator as the model-based test
//! (`tests/order/flow.rs`): random placements over every fulfilment method,
//! releases, short picks (before and after release), rejections (of reserved
//! and of released units), outages, shipments, pickups, cancels (also of
//! released units), modifications, checkout-hold expiry, batches and re-evaluations, with
//! host-side reservations making the availability view stale. After every
//! step the target checks the line accounting, the ledger's invariants,
//! that every hold is a live reservation, that reserved / allocated /
//! on-hand balances equal what the book and the host account for, that a
//! rejected operation changed nothing, and that replaying the order events
//! rebuilds the book. Any difference is a crash, not only a panic.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/order/flow.rs"]
mod flow;

fuzz_target!(|data: &[u8]| {
    let steps = data.first().map_or(1, |b| 1 + usize::from(*b) % 60);
    let mut src = flow::Bytes(data.get(1..).unwrap_or_default());
    let mut labels = BTreeMap::new();
    if let Err(e) = flow::run(&mut src, steps, &mut labels) {
        panic!("order flow broke an identity: {e}");
    }
});
