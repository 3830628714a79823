//! Random return flows (requests, receipts, inspections) against one sale.
//! Beyond "no panic", it checks against a reference tally: a rejected step
//! changes nothing, refunds never exceed what was paid, returns never exceed
//! what was shipped, and the emitted ledger commands conserve units (returns
//! pending per node = received − disposed, never negative).
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use omniroute::returns::*;
use omniroute::{
    Bucket, CommandKind, Direction, EntryId, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp,
};
use rust_decimal::Decimal;

#[derive(Arbitrary, Debug)]
struct ArbNode {
    id: u8,
    value: i64,
    handling: i64,
    transport: i64,
    transit: u8,
    accepts: bool,
    hazmat: bool,
}

#[derive(Arbitrary, Debug)]
enum ArbOp {
    Request {
        id: u8,
        qty: u64,
        reason: u8,
        day: i16,
        store: Option<u8>,
        opened: bool,
        risk: u8,
        approved: bool,
        over: Option<i64>,
    },
    Receive {
        id: u8,
        node: u8,
        qty: u64,
        day: i16,
    },
    Dispose {
        id: u8,
        grade: u8,
        qty: u64,
        day: i16,
        suspect: bool,
        entry: u128,
    },
}

#[derive(Arbitrary, Debug)]
struct Flow {
    sold: u64,
    shipped: u64,
    paid: i64,
    refunded: i64,
    delivered: Option<i16>,
    recalled: bool,
    category: u8,
    fee_bp: u16,
    window: u8,
    statutory: u16,
    caps: (u8, i64),
    scale: u8,
    review_at: Option<(i64, u8)>,
    nodes: Vec<ArbNode>,
    restock: Vec<ArbNode>,
    values: Vec<(u8, i64, i64)>,
    open_box: Option<u8>,
    ops: Vec<ArbOp>,
}

fn money(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2))
}

fn day(d: i16) -> Timestamp {
    Timestamp::from_unix_ms(1_700_000_000_000_i64 + i64::from(d) * Timestamp::MS_PER_DAY)
}

fn node(n: &ArbNode) -> NodeSignal {
    NodeSignal::new(NodeId::new(u32::from(n.id % 8)), money(n.value))
        .handling_cost(money(n.handling))
        .transport_cost(money(n.transport))
        .transit_days(u32::from(n.transit))
        .accepts_returns(n.accepts)
        .hazmat(n.hazmat)
}

const REASONS: [ReturnReason; 6] = [
    ReturnReason::WrongItem,
    ReturnReason::DamagedInTransit,
    ReturnReason::Defective,
    ReturnReason::NotAsDescribed,
    ReturnReason::ChangedMind,
    ReturnReason::DoesNotFit,
];
const GRADES: [Grade; 5] = [Grade::Sealed, Grade::LikeNew, Grade::Used, Grade::Damaged, Grade::Scrap];
const DISPOSITIONS: [Disposition; 9] = [
    Disposition::Restock,
    Disposition::OpenBox,
    Disposition::Refurbish,
    Disposition::ReturnToVendor,
    Disposition::Liquidate,
    Disposition::Donate,
    Disposition::Recycle,
    Disposition::Destroy,
    Disposition::Quarantine,
];

fuzz_target!(|f: Flow| {
    let mut sale = Sale::new(
        OrderId::new(1),
        LineId::new(0),
        Sku::new(3),
        Category::new(u32::from(f.category % 4)),
        day(0),
    )
    .quantities(Qty::new(f.sold), Qty::new(f.shipped))
    .paid(money(f.paid))
    .refunded(money(f.refunded))
    .recalled(f.recalled);
    if let Some(d) = f.delivered {
        sale = sale.delivered_at(day(d));
    }
    let mut r = match SaleReturns::new(sale.clone()) {
        Ok(r) => r,
        Err(e) => {
            assert!(matches!(e, ReturnsError::InvalidSale { .. }), "{e:?}");
            return;
        }
    };
    let mut policy = ReturnPolicy::new()
        .restocking_fee_bp(u32::from(f.fee_bp))
        .window_days(u32::from(f.window))
        .statutory_defect_days(u32::from(f.statutory))
        .keep_it(KeepItCaps::new(u32::from(f.caps.0 % 8), money(f.caps.1)))
        .money_scale(u32::from(f.scale % 12))
        .category(Category::new(1), CategoryRule::new().hygiene(HygieneRule::Cleanable).final_sale(true))
        .category(Category::new(2), CategoryRule::new().hazmat(HazmatMode::InStoreOnly).perishable(true))
        .category(
            Category::new(3),
            CategoryRule::new().hygiene(HygieneRule::SealedOnly).hazmat(HazmatMode::AnyChannel),
        );
    if let Some((value, risk)) = f.review_at {
        policy = policy.manual_review_refund_at(money(value)).manual_review_risk_at(u32::from(risk));
    }
    // Mostly unique node ids (duplicates are an error the engine must reject
    // cleanly, so the fuzzer may keep one in every eighth flow).
    let keep_dups = f.category >= 0xe0;
    let mut seen = std::collections::BTreeSet::new();
    let nodes: Vec<NodeSignal> =
        f.nodes.iter().take(8).map(node).filter(|n| keep_dups || seen.insert(n.node)).collect();
    let mut recovery = Recovery::new();
    let mut seen = std::collections::BTreeSet::new();
    for n in f.restock.iter().take(8).map(node) {
        if keep_dups || seen.insert(n.node) {
            recovery = recovery.restock_at(n);
        }
    }
    for &(d, g, c) in f.values.iter().take(12) {
        let d = DISPOSITIONS[usize::from(d) % DISPOSITIONS.len()];
        recovery = recovery.value(d, money(g), money(c));
    }
    if let Some(ob) = f.open_box {
        recovery = recovery.open_box(Sku::new(u32::from(ob)), money(100), money(1));
    }

    let mut pending: BTreeMap<NodeId, i128> = BTreeMap::new();
    for op in f.ops.iter().take(64) {
        let before = r.clone();
        let ok = match *op {
            ArbOp::Request { id, qty, reason, day: d, store, opened, risk, approved, over } => {
                let mut q = ReturnRequest::new(
                    ReturnId::new(u64::from(id % 8)),
                    Qty::new(qty),
                    REASONS[usize::from(reason) % 6],
                    day(d),
                )
                .opened(opened)
                .risk_score(u32::from(risk))
                .review_approved(approved);
                if let Some(s) = store {
                    q = q.in_store(NodeId::new(u32::from(s % 8)));
                }
                if let Some(o) = over {
                    q = q.refund_override(money(o));
                }
                r.request(&q, &policy, &nodes).map(|d| {
                    if d.verdict != Verdict::Accepted {
                        assert_eq!(r, before);
                    }
                    if let Some(refund) = d.refund {
                        assert!(!refund.amount.is_negative());
                        assert!(refund.amount <= before.refundable().expect("refundable"));
                    }
                })
            }
            ArbOp::Receive { id, node, qty, day: d } => r
                .receive(
                    ReturnId::new(u64::from(id % 8)),
                    NodeId::new(u32::from(node % 8)),
                    Qty::new(qty),
                    day(d),
                    EntryId::new(1).expect("non-zero"),
                )
                .map(|rc| {
                    for c in &rc.commands {
                        match c.kind {
                            CommandKind::ReturnReceipt { node, qty, .. } => {
                                *pending.entry(node).or_default() += i128::from(qty.get())
                            }
                            ref k => panic!("receipt emitted {k:?}"),
                        }
                    }
                }),
            ArbOp::Dispose { id, grade, qty, day: d, suspect, entry } => {
                let Ok(entry) = EntryId::new(entry) else { continue };
                let i = Inspection::new(
                    ReturnId::new(u64::from(id % 8)),
                    GRADES[usize::from(grade) % 5],
                    Qty::new(qty),
                    day(d),
                )
                .suspect(suspect);
                r.dispose(&i, &policy, &recovery, entry).map(|dd| {
                    let mut out = 0_i128;
                    for (k, c) in dd.commands.iter().enumerate() {
                        assert_eq!(c.entry.get(), entry.get() + k as u128);
                        match c.kind {
                            CommandKind::Move { node, from: Bucket::ReturnsPending, to, qty, .. } => {
                                assert!(to.is_physical() && to != Bucket::ReturnsPending);
                                *pending.entry(node).or_default() -= i128::from(qty.get());
                                out += i128::from(qty.get());
                            }
                            CommandKind::Adjust {
                                node,
                                bucket: Bucket::ReturnsPending,
                                direction: Direction::Decrease,
                                qty,
                                ..
                            } => {
                                *pending.entry(node).or_default() -= i128::from(qty.get());
                                out += i128::from(qty.get());
                            }
                            CommandKind::TransferOut { node, to, qty, .. } => {
                                assert!(node != to && qty == dd.qty)
                            }
                            CommandKind::Receive { qty, .. } => assert_eq!(qty, dd.qty),
                            ref k => panic!("disposition emitted {k:?}"),
                        }
                    }
                    assert_eq!(out, i128::from(dd.qty.get()));
                })
            }
        };
        if ok.is_err() {
            assert_eq!(r, before, "a rejected step changed the state");
        }
        assert!(r.refunded().expect("refunded") <= sale.paid);
        assert!(r.returned_qty().expect("returned") <= sale.qty_shipped);
        let mut undisposed = 0_i128;
        for c in r.cases() {
            let disposed = c.disposed().expect("disposed");
            assert!(disposed <= c.received && c.received <= c.qty);
            undisposed += i128::from(c.received.get()) - i128::from(disposed.get());
        }
        assert!(pending.values().all(|&v| v >= 0));
        assert_eq!(pending.values().sum::<i128>(), undisposed);
    }
    let json = serde_json::to_string(&r).expect("state serialises");
    assert_eq!(serde_json::from_str::<SaleReturns>(&json).expect("state deserialises"), r);
});
