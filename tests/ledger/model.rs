//! Model-based test: random command sequences against the naive reference
//! model in `reference.rs`, every observable and invariant checked after
//! every step, then replay and snapshot + tail equivalence.
//!
//! The default run is `common::cases(2000)` sequences of up to 100 commands;
//! `OMNIROUTE_TEST_SCALE=100 cargo test --release --all-features ledger::model`
//! runs 100× as many. A failure prints the seed; rerun it with
//! `OMNIROUTE_LEDGER_SEED=<seed>`.

use std::collections::BTreeMap;

use super::reference::{SplitMix, run, run_counting};
use crate::common;

#[test]
fn ledger_matches_reference_model() {
    if let Some(seed) = std::env::var("OMNIROUTE_LEDGER_SEED").ok().and_then(|s| s.parse::<u64>().ok()) {
        let mut src = SplitMix(seed);
        if let Err(e) = run(&mut src, 100) {
            panic!("seed {seed}: {e}");
        }
        return;
    }
    let n = common::cases(2000);
    let mut seen = BTreeMap::new();
    for case in 0..u64::from(n) {
        let seed = 0x5EED_0000_u64 ^ case.wrapping_mul(0x9E37_79B9);
        let mut src = SplitMix(seed);
        let steps = 1 + (seed % 100) as usize;
        if let Err(e) = run_counting(&mut src, steps, &mut seen) {
            panic!("seed {seed} (OMNIROUTE_LEDGER_SEED={seed}): {e}");
        }
    }
    // The stream must reach every command and the stateful error paths, or
    // the comparison above proves little.
    for label in [
        "ok:Register",
        "ok:SetBackorder",
        "ok:ExpectInbound",
        "ok:Receive",
        "ok:Adjust",
        "ok:Count",
        "ok:Move",
        "ok:TransferOut",
        "ok:TransferIn",
        "ok:CloseInbound",
        "ok:Reserve",
        "ok:Commit",
        "ok:Release",
        "ok:ExpireDue",
        "ok:Ship",
        "ok:Deallocate",
        "ok:ReturnReceipt",
        "duplicate",
        "err:IdempotencyConflict",
        "err:TimeWentBackwards",
        "err:ZeroQuantity",
        "err:SameNode",
        "err:NotPhysical",
        "err:SameBucket",
        "err:CountInFuture",
        "err:AlreadyExpired",
        "err:RegisterLimit",
        "err:UnknownNode",
        "err:UnknownSku",
        "err:UnknownReservation",
        "err:ReservationResolved",
        "err:ReservationExpired",
        "err:ExceedsReservation",
        "err:UnknownInbound",
        "err:InboundMismatch",
        "err:ExceedsTransfer",
        "err:CountTooOld",
        "err:Insufficient",
        "err:Overflow",
    ] {
        assert!(
            seen.get(label).copied().unwrap_or(0) >= 3,
            "{label} reached {:?} times: {seen:?}",
            seen.get(label)
        );
    }
}
