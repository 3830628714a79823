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
    // record further along a probe run.
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
            let n = u128::from(r) << 20 | step;
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
    assert!(m.slots.iter().filter(|s| **s != EMPTY).count() == model.len());
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
