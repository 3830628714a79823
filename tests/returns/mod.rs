//! Returns: bad input changes nothing; property tests for conservation,
//! refund bounds and determinism over random flows.

use std::collections::BTreeMap;

use omniroute::returns::*;
use omniroute::{
    Bucket, CommandKind, Direction, EntryId, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp,
};
use proptest::prelude::*;

use crate::common;

fn day(d: i64) -> Timestamp {
    Timestamp::from_unix_ms(1_700_000_000_000 + d * Timestamp::MS_PER_DAY)
}

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

fn sale() -> Sale {
    Sale::new(OrderId::new(9), LineId::new(1), Sku::new(4), Category::new(0), day(0))
        .quantities(Qty::new(3), Qty::new(2))
        .paid(m("90"))
}

const STORE: NodeId = NodeId::new(7);

fn in_store(id: u64, qty: u64, at: i64) -> ReturnRequest {
    ReturnRequest::new(ReturnId::new(id), Qty::new(qty), ReturnReason::ChangedMind, day(at)).in_store(STORE)
}

fn e(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

/// Runs `op`, asserts it fails with `want`, and that the state did not change (byte for byte).
fn rejected<T: std::fmt::Debug>(
    r: &mut SaleReturns,
    want: fn(&ReturnsError) -> bool,
    op: impl FnOnce(&mut SaleReturns) -> Result<T, ReturnsError>,
) {
    let before = serde_json::to_string(&*r).unwrap();
    let err = op(r).unwrap_err();
    assert!(want(&err), "unexpected error {err:?}");
    assert!(!err.to_string().is_empty());
    assert_eq!(serde_json::to_string(&*r).unwrap(), before, "a rejected call changed the state");
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let p = ReturnPolicy::new();
    let mut r = SaleReturns::new(sale()).unwrap();
    // Returning more than was shipped, across two returns.
    r.request(&in_store(1, 1, 3), &p, &[]).unwrap();
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::OverReturn { already, .. } if already.get() == 1),
        |r| r.request(&in_store(2, 2, 3), &p, &[]),
    );
    // A return dated before the sale.
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::BeforeSale { .. }),
        |r| r.request(&in_store(3, 1, -1), &p, &[]),
    );
    // A refund beyond what was paid minus refunded (30 refunded of 90).
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::RefundExceedsPaid { refundable, .. } if *refundable == m("60")),
        |r| r.request(&in_store(3, 1, 3).refund_override(m("60.01")), &p, &[]),
    );
    // A disposition for a return never received.
    let insp = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), day(4));
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::NotReceived { .. }),
        |r| r.dispose(&insp, &p, &Recovery::new(), e(5)),
    );
    // Unknown return, zero quantity, time going backwards, duplicate id.
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::UnknownReturn { .. }),
        |r| r.receive(ReturnId::new(8), STORE, Qty::new(1), day(4), e(1)),
    );
    rejected(
        &mut r,
        |e| *e == ReturnsError::ZeroQuantity,
        |r| r.receive(ReturnId::new(1), STORE, Qty::ZERO, day(4), e(1)),
    );
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::TimeWentBackwards { .. }),
        |r| r.receive(ReturnId::new(1), STORE, Qty::new(1), day(2), e(1)),
    );
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::DuplicateReturn { .. }),
        |r| r.request(&in_store(1, 1, 3), &p, &[]),
    );
    // Receiving more than the return holds; then disposing more than received.
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::OverReceipt { .. }),
        |r| r.receive(ReturnId::new(1), STORE, Qty::new(2), day(4), e(1)),
    );
    r.receive(ReturnId::new(1), STORE, Qty::new(1), day(4), e(1)).unwrap();
    let two = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(2), day(4));
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::NotReceived { .. }),
        |r| r.dispose(&two, &p, &Recovery::new(), e(5)),
    );
    // Negative economics and a bad policy.
    let neg = Recovery::new().value(Disposition::Liquidate, m("-1"), m("0"));
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::NegativeAmount { .. }),
        |r| r.dispose(&insp, &p, &neg, e(5)),
    );
    let bad = ReturnPolicy::new().money_scale(11);
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::InvalidPolicy { .. }),
        |r| r.dispose(&insp, &bad, &Recovery::new(), e(5)),
    );
    // The same node twice in the signals.
    let twice = [NodeSignal::new(STORE, m("1")), NodeSignal::new(STORE, m("2"))];
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::DuplicateNode { .. }),
        |r| r.request(&in_store(3, 1, 3), &p, &twice),
    );
    // Entry ids that would run past u128::MAX.
    let rec = Recovery::new().restock_at(NodeSignal::new(NodeId::new(1), m("50")));
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::Overflow { .. }),
        |r| r.dispose(&insp, &p, &rec, e(u128::MAX)),
    );
    // Once disposed, nothing more can be.
    r.dispose(&insp, &p, &rec, e(5)).unwrap();
    rejected(&mut r, |e| matches!(e, ReturnsError::NotReceived { .. }), |r| r.dispose(&insp, &p, &rec, e(7)));
}

#[test]
fn keep_it_receives_nothing() {
    let p = ReturnPolicy::new();
    let mut r = SaleReturns::new(sale()).unwrap();
    let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, day(3));
    let d = r.request(&req, &p, &[NodeSignal::new(STORE, m("2")).transport_cost(m("6"))]).unwrap();
    assert_eq!(d.route, Some(Route::KeepIt));
    rejected(
        &mut r,
        |e| matches!(e, ReturnsError::OverReceipt { outstanding, .. } if outstanding.is_zero()),
        |r| r.receive(ReturnId::new(1), STORE, Qty::new(1), day(4), e(1)),
    );
}

#[test]
fn invalid_sales_are_rejected() {
    let over_refunded = sale().refunded(m("90.01"));
    assert_eq!(SaleReturns::new(over_refunded), Err(ReturnsError::InvalidSale { field: "refunded" }));
    let nothing = sale().quantities(Qty::ZERO, Qty::ZERO);
    assert_eq!(SaleReturns::new(nothing), Err(ReturnsError::InvalidSale { field: "qty_sold" }));
    let early = sale().delivered_at(day(-1));
    assert_eq!(SaleReturns::new(early), Err(ReturnsError::InvalidSale { field: "delivered_at" }));
}

#[test]
fn state_round_trips_and_bad_state_does_not_deserialise() {
    let p = ReturnPolicy::new();
    let mut r = SaleReturns::new(sale()).unwrap();
    r.request(&in_store(1, 2, 3), &p, &[]).unwrap();
    r.receive(ReturnId::new(1), STORE, Qty::new(2), day(4), e(1)).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<SaleReturns>(&json).unwrap(), r);
    // The same return twice would return four of two shipped units.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut doubled = v.clone();
    let case = doubled["cases"][0].clone();
    let mut second = case.clone();
    second["id"] = serde_json::json!(2);
    doubled["cases"] = serde_json::json!([case, second]);
    assert!(serde_json::from_value::<SaleReturns>(doubled).is_err());
}

// ---- property tests ------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Request {
        id: u64,
        qty: u64,
        reason: u8,
        day: i64,
        store: Option<u32>,
        opened: bool,
        override_cents: Option<i64>,
    },
    Receive {
        id: u64,
        node: u32,
        qty: u64,
        day: i64,
    },
    Dispose {
        id: u64,
        grade: u8,
        qty: u64,
        day: i64,
        suspect: bool,
    },
}

/// Mostly 1 or 2, sometimes 0 or 3.
fn small(x: u64) -> u64 {
    match x {
        0 => 0,
        7 => 3,
        _ => 1 + x % 2,
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..3_u64, 0..8_u64, 0..6_u8, -2..30_i64, proptest::option::of(0..4_u32), any::<bool>(), proptest::option::weighted(0.1, 0..12_000_i64))
            .prop_map(|(id, q, reason, day, store, opened, override_cents)| Op::Request {
                id,
                qty: small(q),
                reason,
                day,
                store,
                opened,
                override_cents
            }),
        3 => (0..3_u64, 0..4_u32, 0..8_u64, 25..50_i64).prop_map(|(id, node, q, day)| Op::Receive { id, node, qty: small(q), day }),
        3 => (0..3_u64, 0..5_u8, 0..8_u64, 45..70_i64, proptest::bool::weighted(0.1))
            .prop_map(|(id, grade, q, day, suspect)| Op::Dispose { id, grade, qty: small(q), day, suspect }),
    ]
}

#[derive(Debug, Clone)]
struct World {
    sale: Sale,
    policy: ReturnPolicy,
    nodes: Vec<NodeSignal>,
    recovery: Recovery,
    ops: Vec<Op>,
}

fn money(cents: i64) -> Money {
    Money::new(rust_decimal::Decimal::new(cents, 2))
}

fn world() -> impl Strategy<Value = World> {
    let sale = (1..6_u64, 1..6_u64, 0..20_000_i64, 0..=100_u32, proptest::bool::weighted(0.15), 0..5_u32)
        .prop_map(|(sold, shipped, paid, refunded_pct, recalled, cat)| {
            let cat = cat.saturating_sub(2);
            let refunded = paid * i64::from(refunded_pct) / 100 / 5;
            Sale::new(OrderId::new(1), LineId::new(0), Sku::new(2), Category::new(cat), day(0))
                .quantities(Qty::new(sold), Qty::new(shipped.min(sold)))
                .paid(money(paid))
                .refunded(money(refunded))
                .recalled(recalled)
        });
    let node = (0..4_u32, 0..8_000_i64, 0..500_i64, 0..2_000_i64, any::<bool>(), any::<bool>()).prop_map(
        |(id, value, handling, transport, accepts, hazmat)| {
            NodeSignal::new(NodeId::new(id), money(value))
                .handling_cost(money(handling))
                .transport_cost(money(transport))
                .transit_days(id)
                .accepts_returns(accepts || id == 0)
                .hazmat(hazmat)
        },
    );
    let policy =
        (0..3_000_u32, 5..60_u32, any::<bool>(), 0..4_u32).prop_map(|(fee, window, statutory, cap)| {
            ReturnPolicy::new()
                .restocking_fee_bp(fee)
                .window_days(window)
                .statutory_defect_days(if statutory { 365 } else { 0 })
                .manual_review_risk_at(1)
                .keep_it(KeepItCaps::new(cap, Money::from_int(60)))
                .category(
                    Category::new(1),
                    CategoryRule::new().hygiene(HygieneRule::Cleanable).final_sale(true),
                )
                .category(
                    Category::new(2),
                    CategoryRule::new().hazmat(HazmatMode::InStoreOnly).perishable(false),
                )
        });
    let values = proptest::collection::vec((0..9_usize, 0..3_000_i64, 0..1_000_i64), 0..8);
    (
        sale,
        policy,
        proptest::collection::vec(node.clone(), 0..5),
        proptest::collection::vec(node, 0..4),
        values,
        proptest::collection::vec(op(), 1..48),
    )
        .prop_map(|(sale, policy, mut nodes, mut restock, values, ops)| {
            // Node ids are unique within a list (duplicates are an error, tested above).
            let mut seen = std::collections::BTreeSet::new();
            nodes.retain(|n| seen.insert(n.node));
            let mut seen = std::collections::BTreeSet::new();
            restock.retain(|n| seen.insert(n.node));
            use Disposition::*;
            let all = [
                Restock,
                OpenBox,
                Refurbish,
                ReturnToVendor,
                Liquidate,
                Donate,
                Recycle,
                Destroy,
                Quarantine,
            ];
            let mut recovery = Recovery::new();
            for n in restock {
                recovery = recovery.restock_at(n);
            }
            for (d, g, c) in values {
                recovery = if all[d] == OpenBox {
                    recovery.open_box(Sku::new(99), money(g), money(c))
                } else {
                    recovery.value(all[d], money(g), money(c))
                };
            }
            World { sale, policy, nodes, recovery, ops }
        })
}

/// Everything the flow produced, for determinism checks.
#[derive(Debug, PartialEq)]
struct Trace(Vec<String>);

const REASONS: [ReturnReason; 6] = [
    ReturnReason::WrongItem,
    ReturnReason::DamagedInTransit,
    ReturnReason::Defective,
    ReturnReason::NotAsDescribed,
    ReturnReason::ChangedMind,
    ReturnReason::DoesNotFit,
];
const GRADES: [Grade; 5] = [Grade::Sealed, Grade::LikeNew, Grade::Used, Grade::Damaged, Grade::Scrap];

/// Runs a flow, checking after every step: rejected steps change nothing,
/// refunds never exceed what was paid, returns never exceed shipments, and
/// the emitted commands conserve units (returns pending per node equals what
/// was received and not yet disposed, never below zero).
fn run(w: &World, nodes: &[NodeSignal]) -> Trace {
    let mut r = SaleReturns::new(w.sale.clone()).unwrap();
    let mut pending: BTreeMap<NodeId, i128> = BTreeMap::new();
    let mut left: i128 = 0; // units that left the network or moved to another bucket
    let mut trace = Vec::new();
    let mut entry: u128 = 1;
    for op in &w.ops {
        let before = r.clone();
        let out = match *op {
            Op::Request { id, qty, reason, day: d, store, opened, override_cents } => {
                let mut q = ReturnRequest::new(
                    ReturnId::new(id),
                    Qty::new(qty),
                    REASONS[usize::from(reason)],
                    day(d),
                )
                .opened(opened)
                .risk_score(u32::from(opened && qty > 1))
                .review_approved(d % 2 == 0);
                if let Some(s) = store {
                    q = q.in_store(NodeId::new(s));
                }
                if let Some(c) = override_cents {
                    q = q.refund_override(money(c));
                }
                r.request(&q, &w.policy, nodes).map(|d| {
                    if d.verdict != Verdict::Accepted {
                        assert_eq!(r, before, "a refused request changed the state");
                    }
                    if let Some(refund) = d.refund {
                        assert!(!refund.amount.is_negative());
                        assert!(refund.amount <= before.refundable().unwrap());
                    }
                    serde_json::to_string(&d).unwrap()
                })
            }
            Op::Receive { id, node, qty, day: d } => r
                .receive(
                    ReturnId::new(id),
                    NodeId::new(node),
                    Qty::new(qty),
                    day(d),
                    EntryId::new(entry).unwrap(),
                )
                .map(|rc| {
                    entry += 1;
                    assert_eq!(rc.commands.len(), 1);
                    match rc.commands[0].kind {
                        CommandKind::ReturnReceipt { node, sku, qty } => {
                            assert_eq!(sku, w.sale.sku);
                            *pending.entry(node).or_default() += i128::from(qty.get());
                        }
                        ref k => panic!("receipt emitted {k:?}"),
                    }
                    serde_json::to_string(&rc).unwrap()
                }),
            Op::Dispose { id, grade, qty, day: d, suspect } => {
                let i = Inspection::new(ReturnId::new(id), GRADES[usize::from(grade)], Qty::new(qty), day(d))
                    .suspect(suspect);
                r.dispose(&i, &w.policy, &w.recovery, EntryId::new(entry).unwrap()).map(|dd| {
                    assert!(!dd.commands.is_empty() && dd.commands.len() <= 2);
                    for (k, c) in dd.commands.iter().enumerate() {
                        assert_eq!(c.entry.get(), entry + k as u128);
                    }
                    entry += 2;
                    let mut out_of_pending = 0_i128;
                    for c in &dd.commands {
                        match c.kind {
                            CommandKind::Move { node, sku, from: Bucket::ReturnsPending, to, qty } => {
                                assert_eq!(sku, w.sale.sku);
                                assert_ne!(to, Bucket::ReturnsPending);
                                assert!(to.is_physical());
                                *pending.entry(node).or_default() -= i128::from(qty.get());
                                out_of_pending += i128::from(qty.get());
                            }
                            CommandKind::Adjust {
                                node,
                                sku,
                                bucket: Bucket::ReturnsPending,
                                direction: Direction::Decrease,
                                qty,
                                ..
                            } => {
                                assert_eq!(sku, w.sale.sku);
                                *pending.entry(node).or_default() -= i128::from(qty.get());
                                out_of_pending += i128::from(qty.get());
                            }
                            CommandKind::TransferOut { qty, to, node, .. } => {
                                assert_ne!(to, node);
                                assert_eq!(qty, dd.qty);
                                assert_eq!(dd.disposition, Disposition::Restock);
                            }
                            CommandKind::Receive { sku, qty, .. } => {
                                assert_eq!(dd.disposition, Disposition::OpenBox);
                                assert_eq!((sku, qty), (Sku::new(99), dd.qty));
                            }
                            ref k => panic!("disposition emitted {k:?}"),
                        }
                    }
                    assert_eq!(
                        out_of_pending,
                        i128::from(dd.qty.get()),
                        "a disposition moves exactly its units"
                    );
                    left += out_of_pending;
                    serde_json::to_string(&dd).unwrap()
                })
            }
        };
        match out {
            Ok(s) => trace.push(s),
            Err(e) => {
                assert_eq!(r, before, "{op:?} failed with {e} but changed the state");
                trace.push(format!("error: {e}"));
            }
        }
        // Invariants after every step.
        assert!(r.refunded().unwrap() <= w.sale.paid, "refunded more than was paid");
        assert!(r.returned_qty().unwrap() <= w.sale.qty_shipped, "returned more than was shipped");
        let mut undisposed = 0_i128;
        for c in r.cases() {
            let disposed = c.disposed().unwrap();
            assert!(disposed <= c.received && c.received <= c.qty);
            if c.route == Route::KeepIt {
                assert!(c.received.is_zero());
            }
            undisposed += i128::from(c.received.get()) - i128::from(disposed.get());
        }
        assert!(pending.values().all(|&v| v >= 0), "returns pending went negative: {pending:?}");
        assert_eq!(pending.values().sum::<i128>(), undisposed, "returns pending does not match the state");
    }
    // Received = the sum of dispositions + what still awaits one.
    let received: i128 = r.cases().iter().map(|c| i128::from(c.received.get())).sum();
    assert_eq!(received, left + pending.values().sum::<i128>());
    trace.push(serde_json::to_string(&r).unwrap());
    Trace(trace)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases(256)))]

    #[test]
    fn flows_conserve_units_and_never_overrefund(w in world()) {
        let a = run(&w, &w.nodes);
        // Deterministic: the same inputs give the same bytes, and the order the
        // node signals come in does not matter.
        let mut reversed = w.nodes.clone();
        reversed.reverse();
        prop_assert_eq!(&run(&w, &w.nodes), &a);
        prop_assert_eq!(&run(&w, &reversed), &a);
    }
}

#[test]
fn decisions_round_trip_through_json() {
    let p = ReturnPolicy::new().restocking_fee_bp(1000);
    let mut r = SaleReturns::new(sale()).unwrap();
    let nodes =
        [NodeSignal::new(STORE, m("50")), NodeSignal::new(NodeId::new(2), m("55")).transport_cost(m("3"))];
    let d = r.request(&in_store(1, 1, 3), &p, &nodes).unwrap();
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""rule":"restocking_fee""#), "{json}");
    assert_eq!(serde_json::from_str::<RequestDecision>(&json).unwrap(), d);
    r.receive(ReturnId::new(1), STORE, Qty::new(1), day(3), e(1)).unwrap();
    let insp = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), day(4));
    let rec = Recovery::new().restock_at(nodes[1]).value(Disposition::Liquidate, m("9"), m("1"));
    let dd = r.dispose(&insp, &p, &rec, e(2)).unwrap();
    assert_eq!(dd.disposition, Disposition::Restock);
    assert_eq!(dd.commands.len(), 2, "restocked at node 2, not the store that took it back");
    let json = serde_json::to_string(&dd).unwrap();
    assert_eq!(serde_json::from_str::<DispositionDecision>(&json).unwrap(), dd);
}
