use super::*;
use crate::ledger::{AdjustReason, Bucket, CommandKind, Direction, LedgerError};

fn id(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

fn ev(n: u128, kind: EventKind) -> Event {
    Event { entry: id(n), at: Timestamp::from_unix_ms(i64::try_from(n).unwrap() * 7 - 50), kind }
}

fn node_sku() -> (NodeId, Sku) {
    (NodeId::new(65_535), Sku::new(0x00FF_FFFF))
}

/// One event of every kind the table stores compactly, and some it keeps whole.
fn sample() -> Vec<Event> {
    let (node, sku) = node_sku();
    let q = Qty::new;
    let t = Timestamp::from_unix_ms;
    vec![
        ev(
            1,
            EventKind::Received {
                node,
                sku,
                qty: q(u64::MAX),
                inbound: None,
                drawn: Qty::ZERO,
                closed: false,
            },
        ),
        ev(2, EventKind::Reserved { node, sku, qty: q(5), expires_at: None }),
        ev(3, EventKind::Reserved { node, sku, qty: q(4), expires_at: Some(t(-3)) }),
        ev(4, EventKind::Committed { reservation: id(2), node, sku, qty: q(3), released: q(2) }),
        ev(5, EventKind::Released { reservation: id(3), node, sku, qty: q(4) }),
        ev(6, EventKind::Shipped { node, sku, qty: q(1) }),
        ev(7, EventKind::Deallocated { node, sku, qty: q(1) }),
        ev(8, EventKind::ReturnReceived { node, sku, qty: q(1) }),
        ev(9, EventKind::InboundExpected { node, sku, qty: q(9), eta: t(i64::MIN) }),
        // Kept whole: a receipt draw-down, a node beyond u16, an inconsistent
        // commit, a commit of something that is not a reservation, and others.
        ev(
            10,
            EventKind::Received { node, sku, qty: q(2), inbound: Some(id(9)), drawn: q(2), closed: false },
        ),
        ev(11, EventKind::Reserved { node: NodeId::new(70_000), sku, qty: q(1), expires_at: None }),
        ev(12, EventKind::Committed { reservation: id(2), node, sku, qty: q(3), released: q(1) }),
        ev(13, EventKind::Committed { reservation: id(6), node, sku, qty: q(1), released: q(0) }),
        ev(14, EventKind::Released { reservation: id(99), node, sku, qty: q(1) }),
        ev(15, EventKind::Registered { nodes: 3, skus: 4 }),
        ev(
            16,
            EventKind::Adjusted {
                node,
                sku,
                bucket: Bucket::Damaged,
                direction: Direction::Decrease,
                qty: q(1),
                reason: AdjustReason::WriteOff,
            },
        ),
        ev(
            17,
            EventKind::Rejected {
                command: Box::new(CommandKind::ExpireDue),
                error: Box::new(LedgerError::ZeroQuantity),
            },
        ),
    ]
}

#[test]
fn every_event_rebuilds_exactly_in_insertion_order() {
    let mut m = Memos::default();
    let events = sample();
    for e in &events {
        assert_eq!(m.find(e.entry), None);
        m.push(e);
    }
    assert_eq!(m.len(), events.len());
    assert_eq!(m.events().collect::<Vec<_>>(), events);
    assert!(m.all_rebuild());
    for (i, e) in events.iter().enumerate() {
        assert_eq!(m.find(e.entry), Some(i));
        assert_eq!(m.event(i).as_ref(), Some(e));
    }
    // The common kinds are compact; the odd ones are kept whole.
    assert_eq!(m.extra.len(), 8);
    assert_eq!(size_of::<Rec>(), 48);
}

#[test]
fn reservations_are_live_until_resolved() {
    let mut m = Memos::default();
    for e in sample() {
        m.push(&e);
    }
    let (node, sku) = node_sku();
    let hold = Hold { node, sku, qty: Qty::new(5), made_at: Timestamp::from_unix_ms(-36), expires_at: None };
    assert_eq!(m.reservation(id(2)), Some(Ok(hold)));
    assert_eq!(m.reservation(id(1)), None, "a receipt is not a reservation");
    assert_eq!(m.reservation(id(100)), None);
    assert_eq!(m.holds().map(|(i, _)| i.get()).collect::<Vec<_>>(), [2, 3, 11]);
    m.set_resolution(id(2), Some(Resolution::Committed));
    assert_eq!(m.reservation(id(2)), Some(Err(Resolution::Committed)));
    assert_eq!(m.hold(id(2)), None);
    assert_eq!(m.resolutions().collect::<Vec<_>>(), [(id(2), Resolution::Committed)]);
    assert!(m.is_reservation(10) && !m.is_reservation(0));
    m.set_resolution(id(2), None);
    assert_eq!(m.hold(id(2)), Some(hold));
}

/// A seeded xorshift, so the test is repeatable.
fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

#[test]
fn popping_keeps_every_other_id_findable() {
    // Many pushes and pops of the newest record, through several re-indexes,
    // against a plain list: backward-shift deletion must never orphan a
    // record further along a probe run. Random ids, then ids from a
    // sequence (whole groups share lines and collide as groups).
    for sequential in [false, true] {
        let mut m = Memos::default();
        let mut model: Vec<u128> = Vec::new();
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let kind = || EventKind::Shipped { node: NodeId::new(1), sku: Sku::new(2), qty: Qty::new(3) };
        for step in 0..20_000 {
            let r = next(&mut seed);
            if r % 3 == 0 && !model.is_empty() {
                let last = model.pop().unwrap();
                m.pop(id(last));
                assert_eq!(m.find(id(last)), None);
            } else {
                let n = if sequential { 1 << 64 | step } else { u128::from(r) << 20 | step };
                m.push(&Event { entry: id(n), at: Timestamp::EPOCH, kind: kind() });
                model.push(n);
            }
            if step % 997 == 0 {
                for (i, n) in model.iter().enumerate() {
                    assert_eq!(m.find(id(*n)), Some(i), "step {step}");
                }
            }
            // Popping anything but the newest record is ignored.
            if let [first, _, ..] = model[..] {
                m.pop(id(first));
            }
            assert_eq!(m.len(), model.len());
        }
        for (i, n) in model.iter().enumerate() {
            assert_eq!(m.find(id(*n)), Some(i));
        }
        assert!(m.slots.iter().filter(|s| *s != EMPTY).count() == model.len());
    }
}

#[test]
fn reserving_room_keeps_ids_findable() {
    let mut m = Memos::default();
    m.push(&ev(1, EventKind::Shipped { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::new(1) }));
    m.reserve(1_000);
    assert!(m.slots.len() >= 1_334 && m.grow_at >= 1_001);
    assert_eq!(m.find(id(1)), Some(0));
    assert!(m.has_room());
}

fn shipped(n: u128) -> Event {
    Event {
        entry: id(n),
        at: Timestamp::EPOCH,
        kind: EventKind::Shipped { node: NodeId::new(1), sku: Sku::new(2), qty: Qty::new(3) },
    }
}

/// Mean slots and mean distinct lines a successful lookup reads, over `ids`.
#[allow(clippy::float_arithmetic)] // a test metric, not ledger arithmetic
fn mean_probes(m: &Memos, ids: &[u128]) -> (f64, f64) {
    let (mut slots, mut lines) = (0, 0);
    for n in ids {
        let (s, l) = m.probes(id(*n));
        slots += s;
        lines += l;
    }
    (slots as f64 / ids.len() as f64, lines as f64 / ids.len() as f64)
}

/// `count` ids of a pattern: a sequence from `base`, or seeded random ones.
fn pattern(sequential: bool, base: u128, count: usize, seed: &mut u64) -> Vec<u128> {
    (0..count as u128)
        .map(
            |i| if sequential { base + i } else { u128::from(next(seed)) << 64 | u128::from(next(seed)) | 1 },
        )
        .collect()
}

#[test]
fn consecutive_ids_share_a_line() {
    // In a sparse table, the eight ids of a group sit in the eight slots of
    // one line, in the order of their low bits: one cache line for eight
    // consecutive ids (a plain hash would scatter them over eight lines).
    let mut m = Memos::default();
    m.reserve(1 << 14);
    let groups = 200;
    for n in 8..8 * (groups + 1) {
        m.push(&shipped(n));
    }
    let mut whole = 0;
    for g in 1..=groups {
        let pos: Vec<usize> = (0..8).map(|x| m.slot_of(id(8 * g + x)).unwrap()).collect();
        let line = |p: &usize| m.slots.line_of(*p);
        if pos.iter().all(|p| line(p) == line(&pos[0])) && pos.windows(2).all(|w| w[1] == w[0] + 1) {
            whole += 1;
        }
    }
    // At load 1,600 / 32,768 a group's line is taken by another only rarely.
    assert!(whole >= groups * 9 / 10, "{whole} of {groups} groups in one line");
    // The ids of a group never share a tag.
    let tags: std::collections::BTreeSet<u64> = (8..16).map(|n| m.key(id(n)).tag).collect();
    assert_eq!(tags.len(), 8);
    let line = |n| m.slots.line_of(m.key(id(n)).home);
    assert!((8..16).all(|n| line(n) == line(8)));
}

#[test]
fn probe_runs_stay_short_at_the_highest_load() {
    // Filled to 3/4 (the most the index holds before it grows), with ids
    // from a sequence, random ids, and ids that all share their low bits
    // (each group holds one id, like ids that are multiples of 8).
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    for case in ["sequential", "random", "multiples of 8"] {
        let mut m = Memos::default();
        m.reserve(3 << 14);
        assert_eq!(m.slots.len(), 1 << 16);
        let ids: Vec<u128> = match case {
            "sequential" => pattern(true, 1 << 70, 3 << 14, &mut seed),
            "random" => pattern(false, 0, 3 << 14, &mut seed),
            _ => pattern(false, 0, 3 << 14, &mut seed).iter().map(|n| (n >> 3) << 3 | 8).collect(),
        };
        for n in &ids {
            m.push(&shipped(*n));
        }
        assert_eq!(m.slots.len(), 1 << 16, "{case}: no re-index");
        let (slots, lines) = mean_probes(&m, &ids);
        let max = ids.iter().map(|n| m.probes(id(*n)).0).max().unwrap();
        eprintln!("{case}: {slots:.2} slots, {lines:.3} lines, max {max}");
        for n in &ids {
            assert_eq!(m.find(id(*n)).map(|i| m.records[i].id), Some(id(*n)));
        }
        match case {
            // Linear probing at 3/4: 2.5 probes expected (Knuth).
            "random" => assert!(slots < 3.5 && lines < 1.6, "{case}: {slots} {lines}"),
            // Homes only at the first slot of a line: longer in slots, not in lines.
            "multiples of 8" => assert!(slots < 6.0 && lines < 1.6, "{case}: {slots} {lines}"),
            // Whole groups collide, so runs are longer in slots, but they
            // stay within a few lines, shared by the group's eight ids.
            _ => assert!(slots < 30.0 && lines < 5.0, "{case}: {slots} {lines}"),
        }
    }
}

#[test]
fn popping_restores_the_slots_exactly() {
    // Rolling back (pop of the newest record) leaves the slot array exactly
    // as it was before the push, for sequential, random and same-group ids,
    // near the highest load, where runs are long and wrap around the end.
    let mut seed = 0x1234_5678_9ABC_DEF1_u64;
    for sequential in [true, false] {
        let mut m = Memos::default();
        m.reserve(3 << 11);
        let ids = pattern(sequential, 1, (3 << 11) - 64, &mut seed);
        for n in &ids {
            m.push(&shipped(*n));
        }
        let before = m.slots.view().to_vec();
        // A group's worth of new ids (plus ids colliding in low bits), pushed
        // and popped in reverse order.
        let more: Vec<u128> =
            (0..40u128).map(|i| (1 << 90) + i).chain((0..20).map(|i| (1 << 100) | (i << 40) | 5)).collect();
        let mut states = vec![m.slots.view().to_vec()];
        for n in &more {
            m.push(&shipped(*n));
            states.push(m.slots.view().to_vec());
        }
        for n in more.iter().rev() {
            states.pop();
            m.pop(id(*n));
            assert_eq!(&m.slots.view(), states.last().unwrap(), "pop of {n}");
            assert_eq!(m.find(id(*n)), None);
        }
        assert_eq!(m.slots.view(), before);
        for (i, n) in ids.iter().enumerate() {
            assert_eq!(m.find(id(*n)), Some(i));
        }
    }
}

#[test]
fn a_stale_vacant_slot_never_misleads() {
    // `find_for_push` remembers where an unknown id would go; whatever
    // happens to the slots before the push (another id taking that slot, a
    // pop, a re-index), the push must still leave every id findable. Small
    // tables (16 to 64 slots), so runs collide and wrap often.
    let mut seed = 0xDEAD_BEEF_1234_5678_u64;
    for round in 0..300 {
        let mut m = Memos::default();
        let mut model: Vec<u128> = Vec::new();
        let fresh = |seed: &mut u64, model: &[u128]| loop {
            let n = u128::from(next(seed) % 64) + 1;
            if !model.contains(&n) {
                return n;
            }
        };
        for _ in 0..40 {
            let a = fresh(&mut seed, &model);
            assert_eq!(m.find_for_push(id(a)), None);
            match next(&mut seed) % 3 {
                // Another id is pushed first (it may take a's slot).
                0 => {
                    model.push(a);
                    let b = fresh(&mut seed, &model);
                    model.pop();
                    m.push(&shipped(b));
                    model.push(b);
                }
                // The newest record is popped first.
                1 => {
                    if let Some(last) = model.pop() {
                        m.pop(id(last));
                    }
                }
                _ => {}
            }
            m.push(&shipped(a));
            model.push(a);
            for (i, n) in model.iter().enumerate() {
                assert_eq!(m.find(id(*n)), Some(i), "round {round}");
            }
            assert_eq!(m.slots.iter().filter(|s| *s != EMPTY).count(), model.len());
        }
    }
}

#[test]
fn a_clone_is_the_same_table() {
    // A clone's vector lands at another address, so its slots are rotated
    // to keep groups on cache lines: every id stays findable, it prints the
    // same, and a lookup's remembered empty slot does not carry over.
    let mut seed = 0x0123_4567_89AB_CDEF_u64;
    for round in 0..200u128 {
        let mut m = Memos::default();
        let ids = pattern(round % 2 == 0, round << 32 | 1, 20 + (round as usize % 50), &mut seed);
        for n in &ids {
            m.push(&shipped(*n));
        }
        let fresh = 1 << 120 | round;
        assert_eq!(m.find_for_push(id(fresh)), None);
        let mut c = m.clone();
        assert_eq!(format!("{c:?}"), format!("{m:?}"));
        c.push(&shipped(fresh));
        for (i, n) in ids.iter().chain([&fresh]).enumerate() {
            assert_eq!(c.find(id(*n)), Some(i), "round {round}");
        }
        // Groups still share a line in the clone.
        assert_eq!(c.slots.line_of(c.key(id(8)).home), c.slots.line_of(c.key(id(15)).home));
    }
}
