//! One test per `LedgerError` variant, each checking that the rejected
//! command changes nothing, plus precedence and the bad-input list.

use omniroute::ledger::{BatchRejection, Ledger, LedgerError, Outcome, Resolution};
use omniroute::{
    AdjustReason, BackorderPolicy, Bucket, Command, CommandKind, Direction, EntryId, NodeId, Qty, Sku,
    Timestamp,
};

const A: NodeId = NodeId::new(0);
const B: NodeId = NodeId::new(1);
const S: Sku = Sku::new(0);

fn id(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_unix_ms(ms)
}

fn cmd(n: u128, kind: CommandKind) -> Command {
    Command::new(id(n), kind)
}

/// A ledger with 2 nodes, 1 SKU, 10 on hand at A, a hold of 4 (id 50,
/// expiring at 100) and an open purchase order of 5 at A (id 60).
fn setup() -> Ledger {
    let mut l = Ledger::new();
    for c in [
        cmd(1, CommandKind::Register { nodes: 2, skus: 1 }),
        cmd(2, CommandKind::Receive { node: A, sku: S, qty: Qty::new(10), inbound: None }),
        cmd(50, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(4), expires_at: Some(t(100)) }),
        cmd(60, CommandKind::ExpectInbound { node: A, sku: S, qty: Qty::new(5), eta: t(500) }),
    ] {
        l.apply(&c, t(10)).unwrap();
    }
    l
}

fn observable(l: &Ledger) -> String {
    let mut s = format!("{:?} {} {}", l.latest(), l.node_count(), l.sku_count());
    for n in 0..l.node_count() {
        for k in 0..l.sku_count() {
            let (n, k) = (NodeId::new(n), Sku::new(k));
            s += &format!(
                "{:?}{:?}{:?}",
                l.position(n, k).unwrap(),
                l.reservations(n, k).collect::<Vec<_>>(),
                l.inbound(n, k).collect::<Vec<_>>()
            );
        }
    }
    s
}

/// Applies `c` expecting `want`; checks the state is unchanged (byte for byte
/// through a batch; all observables through `apply`), the failure is
/// remembered exactly when it should be, and a retry returns the same error.
fn reject(l: &mut Ledger, c: &Command, now: Timestamp, want: &LedgerError) {
    let bytes = serde_json::to_vec(&*l).unwrap();
    let err = l.apply_batch(std::slice::from_ref(c), now).unwrap_err();
    assert_eq!(err, BatchRejection { index: 0, error: want.clone() });
    assert_eq!(serde_json::to_vec(&*l).unwrap(), bytes, "a failed batch changed the state");

    let before = observable(l);
    let entries = l.entry_count();
    let r = l.apply(c, now).unwrap_err();
    assert_eq!(&r.error, want);
    assert_eq!(observable(l), before, "a rejected command changed the state");
    let recorded = want.is_recorded() && l.event_of(c.entry).is_some_and(|e| e.rejection() == Some(want));
    assert_eq!(r.record.is_some(), recorded);
    assert_eq!(l.entry_count(), entries + usize::from(recorded));
    // Messages are lowercase without a trailing period.
    let msg = want.to_string();
    assert!(!msg.ends_with('.') && msg.chars().next().is_some_and(|c| !c.is_uppercase()), "{msg}");
    if want.is_recorded() {
        assert_eq!(l.apply(c, now).unwrap_err().error, *want, "a failed first attempt stays failed");
    }
    l.check_invariants().unwrap();
}

#[test]
fn idempotency_conflict_names_the_first_differing_field() {
    let mut l = setup();
    let c = cmd(2, CommandKind::Receive { node: A, sku: S, qty: Qty::new(11), inbound: None });
    reject(&mut l, &c, t(10), &LedgerError::IdempotencyConflict { entry: id(2), field: "qty".into() });
    let c = cmd(2, CommandKind::Receive { node: B, sku: S, qty: Qty::new(11), inbound: None });
    reject(&mut l, &c, t(10), &LedgerError::IdempotencyConflict { entry: id(2), field: "node".into() });
    let c = cmd(2, CommandKind::ExpireDue);
    reject(&mut l, &c, t(10), &LedgerError::IdempotencyConflict { entry: id(2), field: "op".into() });
    // Conflict comes before the time check.
    reject(&mut l, &c, t(1), &LedgerError::IdempotencyConflict { entry: id(2), field: "op".into() });
}

#[test]
fn time_going_backwards_is_rejected_but_retries_still_answer() {
    let mut l = setup();
    let c = cmd(70, CommandKind::ExpireDue);
    reject(&mut l, &c, t(9), &LedgerError::TimeWentBackwards { now: t(9), latest: t(10) });
    // Not remembered: the same id at a good time applies.
    assert!(l.apply(&c, t(10)).unwrap().is_new());
    // A retry of an applied command at an earlier time gets the original outcome.
    let rx = cmd(2, CommandKind::Receive { node: A, sku: S, qty: Qty::new(10), inbound: None });
    let o = l.apply(&rx, t(0)).unwrap();
    assert!(matches!(o, Outcome::AlreadyApplied(ref e) if e.at == t(10)));
}

#[test]
fn zero_quantity() {
    let mut l = setup();
    for k in [
        CommandKind::Receive { node: A, sku: S, qty: Qty::ZERO, inbound: None },
        CommandKind::Reserve { node: A, sku: S, qty: Qty::ZERO, expires_at: None },
        CommandKind::Commit { reservation: id(50), qty: Qty::ZERO },
        CommandKind::Ship { node: A, sku: S, qty: Qty::ZERO },
        CommandKind::Deallocate { node: A, sku: S, qty: Qty::ZERO },
        // Zero comes before an unknown node.
        CommandKind::ReturnReceipt { node: NodeId::new(9), sku: S, qty: Qty::ZERO },
    ]
    .into_iter()
    .enumerate()
    {
        reject(&mut l, &cmd(70 + k.0 as u128, k.1), t(10), &LedgerError::ZeroQuantity);
    }
}

#[test]
fn same_node() {
    let mut l = setup();
    let c = cmd(70, CommandKind::TransferOut { node: A, to: A, sku: S, qty: Qty::new(1), eta: t(20) });
    reject(&mut l, &c, t(10), &LedgerError::SameNode { node: A });
}

#[test]
fn not_physical_and_same_bucket() {
    let mut l = setup();
    let c = cmd(
        70,
        CommandKind::Adjust {
            node: A,
            sku: S,
            bucket: Bucket::Allocated,
            direction: Direction::Increase,
            qty: Qty::new(1),
            reason: AdjustReason::Found,
        },
    );
    reject(&mut l, &c, t(10), &LedgerError::NotPhysical { bucket: Bucket::Allocated });
    let c = cmd(
        71,
        CommandKind::Move { node: A, sku: S, from: Bucket::OnHand, to: Bucket::Inbound, qty: Qty::new(1) },
    );
    reject(&mut l, &c, t(10), &LedgerError::NotPhysical { bucket: Bucket::Inbound });
    let c = cmd(
        72,
        CommandKind::Move { node: A, sku: S, from: Bucket::OnHand, to: Bucket::OnHand, qty: Qty::new(1) },
    );
    reject(&mut l, &c, t(10), &LedgerError::SameBucket { bucket: Bucket::OnHand });
}

#[test]
fn count_in_future_and_too_old() {
    let mut l = setup();
    let c = cmd(70, CommandKind::Count { node: A, sku: S, counted: Qty::new(3), counted_at: t(11) });
    reject(&mut l, &c, t(10), &LedgerError::CountInFuture { counted_at: t(11), now: t(10) });
    let day = Timestamp::MS_PER_DAY;
    let now = t(10 + 8 * day);
    let c = cmd(71, CommandKind::Count { node: A, sku: S, counted: Qty::new(3), counted_at: t(5) });
    reject(&mut l, &c, now, &LedgerError::CountTooOld { counted_at: t(5), oldest: t(10 + day) });
    // Older than the position's previous count.
    l.apply(
        &cmd(72, CommandKind::Count { node: A, sku: S, counted: Qty::new(10), counted_at: t(2 * day) }),
        now,
    )
    .unwrap();
    let c = cmd(73, CommandKind::Count { node: A, sku: S, counted: Qty::new(3), counted_at: t(day + 20) });
    reject(&mut l, &c, now, &LedgerError::CountTooOld { counted_at: t(day + 20), oldest: t(2 * day) });
}

#[test]
fn already_expired_reservation() {
    let mut l = setup();
    let c = cmd(70, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(1), expires_at: Some(t(10)) });
    reject(&mut l, &c, t(10), &LedgerError::AlreadyExpired { expires_at: t(10), now: t(10) });
}

#[test]
fn register_limit() {
    let mut l = setup();
    let c = cmd(70, CommandKind::Register { nodes: 1, skus: Ledger::MAX_SKUS + 1 });
    let want = LedgerError::RegisterLimit {
        nodes: 1,
        skus: Ledger::MAX_SKUS + 1,
        max_nodes: Ledger::MAX_NODES,
        max_skus: Ledger::MAX_SKUS,
    };
    reject(&mut l, &c, t(10), &want);
}

#[test]
fn unknown_node_and_sku() {
    let mut l = setup();
    let c = cmd(
        70,
        CommandKind::Reserve { node: NodeId::new(2), sku: Sku::new(5), qty: Qty::new(1), expires_at: None },
    );
    reject(&mut l, &c, t(10), &LedgerError::UnknownNode { node: NodeId::new(2) });
    let c = cmd(71, CommandKind::Reserve { node: A, sku: Sku::new(5), qty: Qty::new(1), expires_at: None });
    reject(&mut l, &c, t(10), &LedgerError::UnknownSku { sku: Sku::new(5) });
    let c = cmd(
        72,
        CommandKind::TransferOut { node: A, to: NodeId::new(7), sku: S, qty: Qty::new(1), eta: t(20) },
    );
    reject(&mut l, &c, t(10), &LedgerError::UnknownNode { node: NodeId::new(7) });
    assert!(l.position(NodeId::new(2), S).is_err());
}

#[test]
fn version_mismatch_is_not_remembered() {
    let mut l = setup();
    let v = l.position(A, S).unwrap().version;
    let c = cmd(70, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(1), expires_at: None });
    let want = LedgerError::VersionMismatch { node: A, sku: S, expected: v - 1, actual: v };
    let before = observable(&l);
    let r = l.apply_if_version(&c, t(10), A, S, v - 1).unwrap_err();
    assert_eq!(r.error, want);
    assert!(r.record.is_none());
    assert_eq!(observable(&l), before);
    let o = l.apply_if_version(&c, t(10), A, S, v).unwrap();
    assert!(o.is_new());
    // A retry with the now-stale version still gets the original outcome.
    assert!(matches!(l.apply_if_version(&c, t(10), A, S, v).unwrap(), Outcome::AlreadyApplied(_)));
}

#[test]
fn reservation_errors() {
    let mut l = setup();
    reject(
        &mut l,
        &cmd(70, CommandKind::Release { reservation: id(99) }),
        t(10),
        &LedgerError::UnknownReservation { reservation: id(99) },
    );
    reject(
        &mut l,
        &cmd(71, CommandKind::Commit { reservation: id(50), qty: Qty::new(5) }),
        t(10),
        &LedgerError::ExceedsReservation { reservation: id(50), requested: Qty::new(5), held: Qty::new(4) },
    );
    // Commit after expiry, before ExpireDue ran.
    reject(
        &mut l,
        &cmd(72, CommandKind::Commit { reservation: id(50), qty: Qty::new(1) }),
        t(100),
        &LedgerError::ReservationExpired { reservation: id(50), expired_at: t(100) },
    );
    // ... and after it ran.
    l.apply(&cmd(73, CommandKind::ExpireDue), t(100)).unwrap();
    reject(
        &mut l,
        &cmd(74, CommandKind::Commit { reservation: id(50), qty: Qty::new(1) }),
        t(100),
        &LedgerError::ReservationResolved { reservation: id(50), resolution: Resolution::Expired },
    );
    // Release twice.
    l.apply(&cmd(75, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(2), expires_at: None }), t(100))
        .unwrap();
    l.apply(&cmd(76, CommandKind::Release { reservation: id(75) }), t(100)).unwrap();
    reject(
        &mut l,
        &cmd(77, CommandKind::Release { reservation: id(75) }),
        t(100),
        &LedgerError::ReservationResolved { reservation: id(75), resolution: Resolution::Released },
    );
}

#[test]
fn inbound_errors() {
    let mut l = setup();
    reject(
        &mut l,
        &cmd(70, CommandKind::TransferIn { transfer: id(99), qty: Qty::new(1) }),
        t(10),
        &LedgerError::UnknownInbound { inbound: id(99) },
    );
    reject(
        &mut l,
        &cmd(71, CommandKind::TransferIn { transfer: id(60), qty: Qty::new(1) }),
        t(10),
        &LedgerError::InboundMismatch { inbound: id(60) },
    );
    reject(
        &mut l,
        &cmd(72, CommandKind::Receive { node: B, sku: S, qty: Qty::new(1), inbound: Some(id(60)) }),
        t(10),
        &LedgerError::InboundMismatch { inbound: id(60) },
    );
    l.apply(
        &cmd(73, CommandKind::TransferOut { node: A, to: B, sku: S, qty: Qty::new(3), eta: t(40) }),
        t(10),
    )
    .unwrap();
    reject(
        &mut l,
        &cmd(74, CommandKind::TransferIn { transfer: id(73), qty: Qty::new(4) }),
        t(10),
        &LedgerError::ExceedsTransfer { transfer: id(73), requested: Qty::new(4), in_transit: Qty::new(3) },
    );
    // One unit arrives, the rest is lost in transit: closing it clears B's inbound.
    l.apply(&cmd(75, CommandKind::TransferIn { transfer: id(73), qty: Qty::new(1) }), t(10)).unwrap();
    assert_eq!(l.position(B, S).unwrap().inbound, Qty::new(2));
    l.apply(&cmd(76, CommandKind::CloseInbound { inbound: id(73) }), t(10)).unwrap();
    let p = l.position(B, S).unwrap();
    assert_eq!((p.inbound, p.on_hand), (Qty::ZERO, Qty::new(1)));
    assert_eq!(l.inbound(B, S).count(), 0);
    reject(
        &mut l,
        &cmd(77, CommandKind::TransferIn { transfer: id(73), qty: Qty::new(1) }),
        t(10),
        &LedgerError::UnknownInbound { inbound: id(73) },
    );
    reject(
        &mut l,
        &cmd(78, CommandKind::CloseInbound { inbound: id(73) }),
        t(10),
        &LedgerError::UnknownInbound { inbound: id(73) },
    );
}

#[test]
fn insufficient() {
    let mut l = setup();
    // 10 on hand, 4 reserved: 6 available.
    let ins = |bucket, requested, available| LedgerError::Insufficient {
        node: A,
        sku: S,
        bucket,
        requested: Qty::new(requested),
        available: Qty::new(available),
    };
    reject(
        &mut l,
        &cmd(70, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(7), expires_at: None }),
        t(10),
        &ins(Bucket::OnHand, 7, 6),
    );
    reject(
        &mut l,
        &cmd(71, CommandKind::Ship { node: A, sku: S, qty: Qty::new(1) }),
        t(10),
        &ins(Bucket::Allocated, 1, 0),
    );
    reject(
        &mut l,
        &cmd(79, CommandKind::Deallocate { node: A, sku: S, qty: Qty::new(1) }),
        t(10),
        &ins(Bucket::Allocated, 1, 0),
    );
    let dec = CommandKind::Adjust {
        node: A,
        sku: S,
        bucket: Bucket::OnHand,
        direction: Direction::Decrease,
        qty: Qty::new(7),
        reason: AdjustReason::Shrinkage,
    };
    reject(&mut l, &cmd(72, dec), t(10), &ins(Bucket::OnHand, 7, 6));
    // A count that would leave the hold uncovered.
    reject(
        &mut l,
        &cmd(73, CommandKind::Count { node: A, sku: S, counted: Qty::new(3), counted_at: t(10) }),
        t(10),
        &ins(Bucket::OnHand, 4, 3),
    );
    // Lowering a policy below the current claims.
    l.apply(
        &cmd(
            74,
            CommandKind::SetBackorder { sku: S, node: None, policy: BackorderPolicy::UpTo(Qty::new(5)) },
        ),
        t(10),
    )
    .unwrap();
    l.apply(&cmd(75, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(9), expires_at: None }), t(10))
        .unwrap();
    assert_eq!(l.position(A, S).unwrap().available(), Qty::new(2));
    reject(
        &mut l,
        &cmd(76, CommandKind::SetBackorder { sku: S, node: Some(A), policy: BackorderPolicy::None }),
        t(10),
        &ins(Bucket::OnHand, 13, 10),
    );
}

#[test]
fn deallocate_returns_allocated_units_to_available() {
    let mut l = setup();
    // 10 on hand, hold 50 of 4: commit 3 of it (the last one is released).
    l.apply(&cmd(80, CommandKind::Commit { reservation: id(50), qty: Qty::new(3) }), t(10)).unwrap();
    let p = l.position(A, S).unwrap();
    assert_eq!((p.allocated, p.available()), (Qty::new(3), Qty::new(7)));
    // More than allocated: rejected, nothing changes.
    let before = l.position(A, S).unwrap();
    reject(
        &mut l,
        &cmd(81, CommandKind::Deallocate { node: A, sku: S, qty: Qty::new(4) }),
        t(10),
        &LedgerError::Insufficient {
            node: A,
            sku: S,
            bucket: Bucket::Allocated,
            requested: Qty::new(4),
            available: Qty::new(3),
        },
    );
    assert_eq!(l.position(A, S).unwrap(), before);
    // Short pick of 2 with the units gone: deallocate, then write off, in one batch.
    let short = [
        cmd(82, CommandKind::Deallocate { node: A, sku: S, qty: Qty::new(2) }),
        cmd(
            83,
            CommandKind::Adjust {
                node: A,
                sku: S,
                bucket: Bucket::OnHand,
                direction: Direction::Decrease,
                qty: Qty::new(2),
                reason: AdjustReason::Shrinkage,
            },
        ),
    ];
    l.apply_batch(&short, t(10)).unwrap();
    let p = l.position(A, S).unwrap();
    assert_eq!((p.on_hand, p.allocated, p.available()), (Qty::new(8), Qty::new(1), Qty::new(7)));
    // The remaining allocated unit ships; nothing is left to deallocate.
    l.apply(&cmd(84, CommandKind::Ship { node: A, sku: S, qty: Qty::new(1) }), t(10)).unwrap();
    let c = cmd(85, CommandKind::Deallocate { node: A, sku: S, qty: Qty::new(1) });
    reject(
        &mut l,
        &c,
        t(10),
        &LedgerError::Insufficient {
            node: A,
            sku: S,
            bucket: Bucket::Allocated,
            requested: Qty::new(1),
            available: Qty::new(0),
        },
    );
    // Replay reproduces the state.
    let events: Vec<_> = l.events().collect();
    assert_eq!(Ledger::replay(&events).unwrap().position(A, S), l.position(A, S));
}

#[test]
fn overflow() {
    let mut l = setup();
    let c = cmd(70, CommandKind::Receive { node: A, sku: S, qty: Qty::MAX, inbound: None });
    reject(&mut l, &c, t(10), &LedgerError::Overflow { node: A, sku: S, bucket: Some(Bucket::OnHand) });
    let c = cmd(71, CommandKind::ExpectInbound { node: A, sku: S, qty: Qty::MAX, eta: t(20) });
    reject(&mut l, &c, t(10), &LedgerError::Overflow { node: A, sku: S, bucket: Some(Bucket::Inbound) });
}

#[test]
fn replay_diverged_and_invariant_broken() {
    let l = setup();
    let events: Vec<_> = l.events().collect();
    let mut bad = events.clone();
    if let omniroute::EventKind::Received { qty, .. } = &mut bad[1].kind {
        *qty = Qty::new(3);
    }
    let err = Ledger::replay(&bad).unwrap_err();
    // The tampered receipt reproduces itself; the reservation after it no longer fits.
    assert_eq!(err, LedgerError::ReplayDiverged { index: 2, entry: id(50) });
    // Replaying an event twice diverges at the duplicate.
    let mut twice = events.clone();
    twice.push(events[0].clone());
    assert_eq!(Ledger::replay(&twice).unwrap_err(), LedgerError::ReplayDiverged { index: 4, entry: id(1) });
    // A tampered snapshot fails its invariant check.
    let mut json: serde_json::Value = serde_json::to_value(&l).unwrap();
    json["skus"][0]["positions"][0]["reserved"] = serde_json::json!(3);
    let err = serde_json::from_value::<Ledger>(json).unwrap_err().to_string();
    assert!(err.contains("invariant broken"), "{err}");
    l.check_invariants().unwrap();
}

#[test]
fn zero_entry_id_is_rejected_at_construction_and_deserialisation() {
    assert!(EntryId::new(0).is_err());
    let json = r#"{"entry":0,"kind":"expire_due"}"#;
    assert!(serde_json::from_str::<Command>(json).is_err());
    let json = r#"{"entry":5,"kind":"expire_due"}"#;
    assert_eq!(serde_json::from_str::<Command>(json).unwrap(), cmd(5, CommandKind::ExpireDue));
}

#[test]
fn a_failed_first_attempt_stays_failed_even_when_stock_arrives() {
    let mut l = setup();
    let c = cmd(70, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(8), expires_at: None });
    let first = l.apply(&c, t(10)).unwrap_err();
    assert!(first.record.is_some());
    l.apply(&cmd(71, CommandKind::Receive { node: A, sku: S, qty: Qty::new(100), inbound: None }), t(10))
        .unwrap();
    let again = l.apply(&c, t(11)).unwrap_err();
    assert_eq!(again.error, first.error);
    assert!(again.record.is_none());
    // The failure survives replay.
    let replayed = Ledger::replay(&l.events().collect::<Vec<_>>()).unwrap();
    let mut r2 = replayed.clone();
    assert_eq!(r2.apply(&c, t(12)).unwrap_err().error, first.error);
}

#[test]
fn count_rule_reapplies_later_movements_and_keeps_holds() {
    let mut l = Ledger::new();
    l.apply(&cmd(1, CommandKind::Register { nodes: 1, skus: 1 }), t(0)).unwrap();
    l.apply(&cmd(2, CommandKind::Receive { node: A, sku: S, qty: Qty::new(10), inbound: None }), t(10))
        .unwrap();
    l.apply(&cmd(3, CommandKind::Reserve { node: A, sku: S, qty: Qty::new(3), expires_at: None }), t(20))
        .unwrap();
    l.apply(&cmd(4, CommandKind::Receive { node: A, sku: S, qty: Qty::new(5), inbound: None }), t(30))
        .unwrap();
    // Counted 8 at t=25: the receipt of 5 at t=30 is re-applied, the hold made at t=20 stays.
    let o = l.apply(
        &cmd(5, CommandKind::Count { node: A, sku: S, counted: Qty::new(8), counted_at: t(25) }),
        t(40),
    );
    let ev = o.unwrap().into_event();
    assert!(matches!(
        ev.kind,
        omniroute::EventKind::Counted { on_hand_before, on_hand_after, .. }
            if on_hand_before == Qty::new(15) && on_hand_after == Qty::new(13)
    ));
    let p = l.position(A, S).unwrap();
    assert_eq!((p.on_hand, p.reserved), (Qty::new(13), Qty::new(3)));
    // A movement booked at exactly counted_at is superseded by the count.
    l.apply(&cmd(6, CommandKind::Receive { node: A, sku: S, qty: Qty::new(1), inbound: None }), t(50))
        .unwrap();
    l.apply(&cmd(7, CommandKind::Count { node: A, sku: S, counted: Qty::new(20), counted_at: t(50) }), t(50))
        .unwrap();
    assert_eq!(l.position(A, S).unwrap().on_hand, Qty::new(20));
    l.check_invariants().unwrap();
}
