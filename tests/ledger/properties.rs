//! Property tests: conservation, idempotency, batch atomicity, replay
//! equivalence, serde round trips and determinism, over seeded random
//! command streams from the reference generator.

use omniroute::ledger::{Event, EventKind, Ledger, Outcome};
use omniroute::{Bucket, Command, Direction, NodeId, Sku, Timestamp};
use proptest::prelude::*;

use super::reference::{Source, SplitMix, command};
use crate::common;

/// Drives `steps` random commands through a ledger; returns the commands with
/// their times and the events of those applied or recorded.
fn drive(seed: u64, steps: usize) -> (Ledger, Vec<(Command, Timestamp)>, Vec<Event>) {
    let mut src = SplitMix(seed);
    let mut l = Ledger::new();
    let mut sent = Vec::new();
    let mut cmds = Vec::new();
    let mut events = Vec::new();
    let mut now = Timestamp::from_unix_ms(1_000);
    let reg = Command::new(
        omniroute::EntryId::new(1000).unwrap(),
        omniroute::CommandKind::Register { nodes: 3, skus: 2 },
    );
    events.push(l.apply(&reg, now).unwrap().into_event());
    for _ in 0..steps {
        now = Timestamp::from_unix_ms(now.as_unix_ms() + src.below(3) as i64);
        let c = command(&mut src, now, &sent);
        match l.apply(&c, now) {
            Ok(Outcome::Applied(e)) => events.push(e),
            Ok(_) => {}
            Err(r) => events.extend(r.record.map(|b| *b)),
        }
        sent.push(c.clone());
        cmds.push((c, now));
    }
    (l, cmds, events)
}

/// On-hand, reserved, allocated, returns pending and inbound per position,
/// folded from the events alone.
fn fold(events: &[Event]) -> std::collections::BTreeMap<(u32, u32), [i128; 5]> {
    use std::collections::BTreeMap;
    let mut m: BTreeMap<(u32, u32), [i128; 5]> = BTreeMap::new();
    let mut holds: BTreeMap<u128, (u32, u32)> = BTreeMap::new();
    let mut receipts: BTreeMap<u128, (u32, u32)> = BTreeMap::new();
    let mut add = |n: NodeId, s: Sku, i: usize, d: i128| m.entry((n.get(), s.get())).or_default()[i] += d;
    for e in events {
        let q = |q: omniroute::Qty| i128::from(q.get());
        match &e.kind {
            EventKind::InboundExpected { node, sku, qty, .. } => {
                add(*node, *sku, 4, q(*qty));
                receipts.insert(e.entry.get(), (node.get(), sku.get()));
            }
            EventKind::Received { node, sku, qty, drawn, .. } => {
                add(*node, *sku, 0, q(*qty));
                add(*node, *sku, 4, -q(*drawn));
            }
            EventKind::Adjusted { node, sku, bucket, direction, qty, .. } => {
                let d = if *direction == Direction::Increase { q(*qty) } else { -q(*qty) };
                match bucket {
                    Bucket::OnHand => add(*node, *sku, 0, d),
                    Bucket::ReturnsPending => add(*node, *sku, 3, d),
                    _ => {}
                }
            }
            EventKind::Counted { node, sku, on_hand_before, on_hand_after, .. } => {
                add(*node, *sku, 0, q(*on_hand_after) - q(*on_hand_before));
            }
            EventKind::Moved { node, sku, from, to, qty } => {
                for (b, sign) in [(from, -1), (to, 1)] {
                    match b {
                        Bucket::OnHand => add(*node, *sku, 0, sign * q(*qty)),
                        Bucket::ReturnsPending => add(*node, *sku, 3, sign * q(*qty)),
                        _ => {}
                    }
                }
            }
            EventKind::TransferredOut { node, to, sku, qty, .. } => {
                add(*node, *sku, 0, -q(*qty));
                add(*to, *sku, 4, q(*qty));
                receipts.insert(e.entry.get(), (to.get(), sku.get()));
            }
            EventKind::TransferredIn { node, sku, qty, .. } => {
                add(*node, *sku, 0, q(*qty));
                add(*node, *sku, 4, -q(*qty));
            }
            EventKind::InboundClosed { node, sku, remaining, .. } => add(*node, *sku, 4, -q(*remaining)),
            EventKind::Reserved { node, sku, qty, .. } => {
                add(*node, *sku, 1, q(*qty));
                holds.insert(e.entry.get(), (node.get(), sku.get()));
            }
            EventKind::Committed { node, sku, qty, released, .. } => {
                add(*node, *sku, 1, -(q(*qty) + q(*released)));
                add(*node, *sku, 2, q(*qty));
            }
            EventKind::Released { node, sku, qty, .. } => add(*node, *sku, 1, -q(*qty)),
            EventKind::Expired { holds: hs } => {
                for h in hs {
                    add(h.node, h.sku, 1, -q(h.qty));
                }
            }
            EventKind::Shipped { node, sku, qty } => {
                add(*node, *sku, 0, -q(*qty));
                add(*node, *sku, 2, -q(*qty));
            }
            EventKind::Deallocated { node, sku, qty } => add(*node, *sku, 2, -q(*qty)),
            EventKind::ReturnReceived { node, sku, qty } => add(*node, *sku, 3, q(*qty)),
            _ => {}
        }
    }
    m
}

#[test]
fn conservation_balances_equal_the_sum_of_event_movements() {
    for case in 0..u64::from(common::cases(300)) {
        let (l, _, events) = drive(case, 120);
        let sums = fold(&events);
        for n in 0..l.node_count() {
            for s in 0..l.sku_count() {
                let p = l.position(NodeId::new(n), Sku::new(s)).unwrap();
                let want = sums.get(&(n, s)).copied().unwrap_or_default();
                let got = [p.on_hand, p.reserved, p.allocated, p.returns_pending, p.inbound]
                    .map(|q| i128::from(q.get()));
                assert_eq!(got, want, "case {case} node#{n}/sku#{s}");
            }
        }
    }
}

#[test]
fn idempotency_resending_remembered_commands_changes_nothing() {
    let mut resent = 0;
    for case in 0..u64::from(common::cases(200)) {
        let (mut l, cmds, _) = drive(case, 80);
        let bytes = serde_json::to_vec(&l).unwrap();
        let later = Timestamp::from_unix_ms(l.latest().unwrap().as_unix_ms() + 1_000);
        for (c, _) in &cmds {
            // Only commands remembered under their id with this very content.
            let Some(original) = l.event_of(c.entry) else { continue };
            if original.command() != c.kind {
                continue;
            }
            resent += 1;
            match (l.apply(c, later), original.rejection()) {
                (Ok(Outcome::AlreadyApplied(e)), None) => assert_eq!(e, original, "case {case}"),
                (Err(r), Some(err)) => {
                    assert_eq!(&r.error, err, "case {case}: a failed first attempt stays failed");
                    assert!(r.record.is_none());
                }
                (got, _) => panic!("case {case}: {c:?} gave {got:?}, original {original:?}"),
            }
        }
        assert_eq!(
            serde_json::to_vec(&l).unwrap(),
            bytes,
            "case {case}: a re-sent command changed the state"
        );
        // Also through a batch, and at an earlier time (duplicates come first).
        let remembered: Vec<Command> = cmds
            .iter()
            .map(|(c, _)| c.clone())
            .filter(|c| l.event_of(c.entry).is_some_and(|e| e.command() == c.kind && e.rejection().is_none()))
            .collect();
        let outs = l.apply_batch(&remembered, Timestamp::EPOCH).unwrap();
        assert!(outs.iter().all(|o| !o.is_new()));
        assert_eq!(serde_json::to_vec(&l).unwrap(), bytes);
    }
    assert!(resent > 1_000, "too few re-sends exercised ({resent})");
}

#[test]
fn failed_batches_leave_the_state_byte_identical() {
    let mut failed = 0;
    for case in 0..u64::from(common::cases(300)) {
        let (mut l, _, _) = drive(case, 60);
        let mut src = SplitMix(case ^ 0xBA7C);
        let now = l.latest().unwrap();
        let batch: Vec<Command> = (0..1 + src.below(6)).map(|_| command(&mut src, now, &[])).collect();
        let before = serde_json::to_vec(&l).unwrap();
        match l.apply_batch(&batch, now) {
            Ok(_) => l.check_invariants().unwrap(),
            Err(e) => {
                failed += 1;
                assert!(e.index < batch.len());
                assert_eq!(serde_json::to_vec(&l).unwrap(), before, "case {case}");
            }
        }
    }
    assert!(failed > 10, "the generator must produce failing batches ({failed})");
}

#[test]
fn replay_and_snapshot_plus_tail_equal_the_live_state() {
    for case in 0..u64::from(common::cases(200)) {
        let (l, _, events) = drive(case, 100);
        let bytes = serde_json::to_vec(&l).unwrap();
        assert_eq!(serde_json::to_vec(&Ledger::replay(&events).unwrap()).unwrap(), bytes, "case {case}");
        // The ledger's own event log is the same log.
        let own: Vec<Event> = l.events().collect();
        assert_eq!(own, events);
        let cut = events.len() / 3;
        let head = Ledger::replay(&events[..cut]).unwrap();
        let mut restored: Ledger = serde_json::from_slice(&serde_json::to_vec(&head).unwrap()).unwrap();
        restored.apply_events(&events[cut..]).unwrap();
        assert_eq!(serde_json::to_vec(&restored).unwrap(), bytes, "case {case}");
    }
}

#[test]
fn determinism_same_input_same_bytes() {
    for case in 0..u64::from(common::cases(50)) {
        let a = serde_json::to_vec(&drive(case, 100).0).unwrap();
        let b = serde_json::to_vec(&drive(case, 100).0).unwrap();
        assert_eq!(a, b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases(64)))]

    #[test]
    fn serde_round_trips_commands_events_and_state(seed in any::<u64>(), steps in 0usize..60) {
        let (l, cmds, events) = drive(seed, steps);
        for (c, _) in &cmds {
            let back: Command = serde_json::from_str(&serde_json::to_string(c).unwrap()).unwrap();
            prop_assert_eq!(&back, c);
        }
        for e in &events {
            let back: Event = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
            prop_assert_eq!(&back, e);
        }
        let bytes = serde_json::to_vec(&l).unwrap();
        let back: Ledger = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(serde_json::to_vec(&back).unwrap(), bytes);
    }
}
