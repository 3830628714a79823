//! Order module: model-based sequences, bad input, channel eligibility,
//! stale availability, batch fairness and re-evaluation.

mod flow;
mod router;

use std::collections::BTreeMap;

use omniroute::ledger::Ledger;
use omniroute::order::{
    BatchOptions, Destination, Fairness, LineSpec, Modification, Network, OpId, OrderBook, OrderError,
    OrderPolicy, OrderSpec, OrderStatus, ReevaluateOptions, UnfilledPolicy,
};
use omniroute::{
    ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, LineId, Money, Node, NodeId, NodeKind,
    OrderId, Qty, Sku, Timestamp,
};

use crate::common;
use flow::{SplitMix, Src};

#[test]
fn random_operation_sequences_keep_every_identity() {
    let mut labels = BTreeMap::new();
    for case in 0..u64::from(common::cases(300)) {
        let seed = 0x0D0E_0000 ^ case.wrapping_mul(0x9E37_79B9);
        let mut src = SplitMix(seed);
        let steps = 10 + (seed % 60) as usize;
        if let Err(e) = flow::run(&mut src, steps, &mut labels) {
            panic!("seed {seed}: {e}");
        }
    }
    // The sequences must reach the interesting paths, or they prove little.
    for l in [
        "ok:place",
        "ok:approve",
        "ok:confirm",
        "ok:release",
        "ok:short_pick",
        "ok:reject",
        "ok:outage",
        "ok:ship",
        "ok:pick_up",
        "ok:cancel",
        "ok:cancel_line",
        "ok:modify",
        "ok:expire",
        "ok:return",
        "ok:reevaluate",
        "ok:batch",
        "ok:cancel_allocated",
        "ok:short_pick_released",
        "ok:short_pick_released_lost",
        "ok:reject_released",
        "err:cancel_allocated",
        "err:short_pick_released",
        "err:reject_released",
        "err:place",
        "err:ship",
        "err:cancel_line",
        "err:modify",
    ] {
        assert!(labels.get(l).copied().unwrap_or(0) > 0, "never reached {l}: {labels:?}");
    }
    // Stale views must have forced re-routing several times.
    let retried: u32 = labels.iter().filter(|(k, _)| k.starts_with("ok-retried")).map(|(_, v)| *v).sum();
    assert!(retried >= 3, "too few re-routes after stale availability: {labels:?}");
}

const T: Timestamp = Timestamp::EPOCH;

fn e(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

/// A ledger with `stock[(node, sku)]` on hand.
fn ledger(nodes: u32, skus: u32, stock: &[((u32, u32), u64)]) -> Ledger {
    let mut l = Ledger::new();
    l.apply(&Command::new(e(1), CommandKind::Register { nodes, skus }), T).unwrap();
    for (i, ((n, s), q)) in stock.iter().enumerate() {
        let kind = CommandKind::Receive {
            node: NodeId::new(*n),
            sku: Sku::new(*s),
            qty: Qty::new(*q),
            inbound: None,
        };
        l.apply(&Command::new(e(10 + i as u128), kind), T).unwrap();
    }
    l
}

fn live(l: &Ledger) -> BTreeMap<(NodeId, Sku), Qty> {
    l.positions().map(|(n, s)| ((n, s), l.position(n, s).unwrap().available())).collect()
}

fn order(id: u64, lines: &[(u32, u32, u64)]) -> OrderSpec {
    let mut s = OrderSpec::new(OrderId::new(id), ChannelId::new(0));
    for (l, sku, q) in lines {
        s = s.line(LineSpec::new(LineId::new(*l), Sku::new(*sku), Qty::new(*q)));
    }
    s
}

fn wh(id: u32, ship: i64) -> Node {
    Node::new(NodeId::new(id), NodeKind::Warehouse).with_shipment_cost(Money::from_int(ship))
}

/// Runs `f`, asserting it fails and leaves the book and ledger byte-identical.
fn rejected<F>(book: &mut OrderBook, l: &mut Ledger, f: F) -> OrderError
where
    F: FnOnce(&mut OrderBook, &mut Ledger) -> Result<omniroute::order::Applied, OrderError>,
{
    let (b0, l0) = (book.clone(), serde_json::to_string(l).unwrap());
    let err = f(book, l).unwrap_err();
    assert_eq!(*book, b0, "book changed by a rejected operation: {err}");
    assert_eq!(serde_json::to_string(l).unwrap(), l0, "ledger changed by a rejected operation: {err}");
    err
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let mut l = ledger(1, 1, &[((0, 0), 10)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), OrderPolicy::new());
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(1), T, order(1, &[(0, 0, 4)])).unwrap();
    let o = OrderId::new(1);
    let line = LineId::new(0);
    let n = NodeId::new(0);
    let err = rejected(&mut book, &mut l, |b, l| b.cancel_line(l, OpId::new(2), T, o, line, Qty::new(5)));
    assert!(
        matches!(err, OrderError::ExceedsCancellable { requested, cancellable, .. } if requested == Qty::new(5) && cancellable == Qty::new(4))
    );
    let err = rejected(&mut book, &mut l, |b, l| b.ship(l, OpId::new(2), T, o, n, line, Qty::new(1)));
    assert!(matches!(err, OrderError::ExceedsAllocated { allocated, .. } if allocated.is_zero()));
    let err = rejected(&mut book, &mut l, |b, l| b.cancel(l, OpId::new(2), T, OrderId::new(9)));
    assert!(matches!(err, OrderError::UnknownOrder { .. }));
    let err = rejected(&mut book, &mut l, |b, l| b.cancel(l, OpId::new(1), T, o));
    assert!(matches!(err, OrderError::StaleOperation { .. }));
    let v = live(&l);
    let err = rejected(&mut book, &mut l, |b, l| b.place(l, &v, OpId::new(2), T, order(2, &[(0, 0, 11)])));
    assert!(matches!(err, OrderError::Unfillable { short, .. } if short == Qty::new(5)), "{err:?}");
    let err = rejected(&mut book, &mut l, |b, l| {
        b.place(l, &v, OpId::new(2), T, order(2, &[(0, 0, 1), (0, 0, 1)]))
    });
    assert!(matches!(err, OrderError::InvalidOrder { field: "lines", .. }));
    // Release and ship part: the line is now partly shipped.
    book.release(&mut l, OpId::new(2), T, o, None).unwrap();
    book.ship(&mut l, OpId::new(3), T, o, n, line, Qty::new(1)).unwrap();
    let err = rejected(&mut book, &mut l, |b, l| b.ship(l, OpId::new(4), T, o, n, line, Qty::new(4)));
    assert!(matches!(err, OrderError::ExceedsAllocated { allocated, .. } if allocated == Qty::new(3)));
    let err = rejected(&mut book, &mut l, |b, l| {
        b.modify(l, &v, OpId::new(4), T, o, Modification::Quantity { line, qty: Qty::new(2) })
    });
    assert!(matches!(err, OrderError::LineReleased { released, .. } if released == Qty::new(4)));
    let err = rejected(&mut book, &mut l, |b, l| {
        b.modify(l, &v, OpId::new(4), T, o, Modification::RemoveLine(line))
    });
    assert!(matches!(err, OrderError::LineReleased { .. }));
    let err = rejected(&mut book, &mut l, |b, l| b.cancel(l, OpId::new(4), T, o));
    assert!(matches!(err, OrderError::ExceedsCancellable { .. }));
    let err = rejected(&mut book, &mut l, |b, l| b.record_return(l, OpId::new(4), T, o, line, Qty::new(2)));
    assert!(matches!(err, OrderError::ExceedsReturnable { returnable, .. } if returnable == Qty::new(1)));
    // Ship the rest: the order closes, and operations on it are rejected.
    book.ship(&mut l, OpId::new(4), T, o, n, line, Qty::new(3)).unwrap();
    assert_eq!(book.order(o).unwrap().status, OrderStatus::Closed);
    let err = rejected(&mut book, &mut l, |b, l| b.cancel(l, OpId::new(5), T, o));
    assert!(matches!(err, OrderError::OrderClosed { .. }));
    let err = rejected(&mut book, &mut l, |b, l| {
        b.modify(l, &v, OpId::new(5), T, o, Modification::Quantity { line, qty: Qty::new(9) })
    });
    assert!(matches!(err, OrderError::OrderClosed { .. }));
    book.record_return(&mut l, OpId::new(5), T, o, line, Qty::new(2)).unwrap();
    book.check_invariants().unwrap();
    l.check_invariants().unwrap();
}

#[test]
fn fulfilment_methods_pick_eligible_nodes() {
    let nodes = vec![
        wh(0, 1),
        Node::new(NodeId::new(1), NodeKind::Store).with_shipment_cost(Money::from_int(9)),
        Node::new(NodeId::new(2), NodeKind::DarkStore).with_shipment_cost(Money::from_int(9)),
        Node::new(NodeId::new(3), NodeKind::Vendor).with_shipment_cost(Money::from_int(9)),
        Node::new(NodeId::new(4), NodeKind::Store).with_shipment_cost(Money::from_int(9)),
    ];
    let net = Network::new(nodes).unwrap().exclude(ChannelId::new(1), NodeId::new(4));
    let stock: Vec<((u32, u32), u64)> = (0..5).map(|n| ((n, 0), 10)).collect();
    let mut l = ledger(5, 1, &stock);
    let mut book = OrderBook::new(net, OrderPolicy::new());
    let cases = [
        (FulfilmentMethod::Ship, Destination::Unknown, 0, 0),
        (FulfilmentMethod::StorePickup, Destination::Pickup(NodeId::new(4)), 0, 4),
        (FulfilmentMethod::SameDay, Destination::Unknown, 0, 2),
        (FulfilmentMethod::DropShip, Destination::Unknown, 0, 3),
        (FulfilmentMethod::ShipFromStore, Destination::Unknown, 1, 1),
    ];
    for (i, (method, dest, channel, node)) in cases.into_iter().enumerate() {
        let id = i as u64 + 1;
        let mut spec = order(id, &[(0, 0, 2)]).method(method).destination(dest);
        spec.channel = ChannelId::new(channel);
        let v = live(&l);
        book.place(&mut l, &v, OpId::new(id), T, spec).unwrap();
        assert_eq!(
            book.order(OrderId::new(id)).unwrap().reserved_nodes(),
            vec![NodeId::new(node)],
            "{method:?}"
        );
    }
    // Channel 1 may not use store 4 for pickup.
    let mut spec = order(9, &[(0, 0, 1)])
        .method(FulfilmentMethod::StorePickup)
        .destination(Destination::Pickup(NodeId::new(4)));
    spec.channel = ChannelId::new(1);
    let v = live(&l);
    let err = rejected(&mut book, &mut l, |b, l| b.place(l, &v, OpId::new(9), T, spec));
    assert!(matches!(err, OrderError::IneligibleNode { .. }));
    // A pickup is handed over at the store, not shipped.
    let o = OrderId::new(2);
    book.release(&mut l, OpId::new(10), T, o, None).unwrap();
    let err = rejected(&mut book, &mut l, |b, l| {
        b.ship(l, OpId::new(11), T, o, NodeId::new(4), LineId::new(0), Qty::new(1))
    });
    assert!(matches!(err, OrderError::NotAllowed { .. }));
    book.pick_up(&mut l, OpId::new(11), T, o, LineId::new(0), Qty::new(2)).unwrap();
    assert_eq!(book.order(o).unwrap().status, OrderStatus::Closed);
}

#[test]
fn stale_availability_is_rerouted_with_the_ledgers_figures() {
    let mut l = ledger(2, 1, &[((0, 0), 5), ((1, 0), 5)]);
    let net = Network::new(vec![wh(0, 1), wh(1, 2)]).unwrap();
    let mut book = OrderBook::new(net, OrderPolicy::new());
    let stale = live(&l);
    // Someone else takes node 0's stock after the view was read.
    l.apply(
        &Command::new(
            e(99),
            CommandKind::Reserve {
                node: NodeId::new(0),
                sku: Sku::new(0),
                qty: Qty::new(4),
                expires_at: None,
            },
        ),
        T,
    )
    .unwrap();
    let done = book.place(&mut l, &stale, OpId::new(1), T, order(1, &[(0, 0, 3)])).unwrap();
    assert_eq!(done.attempts, 2);
    assert_eq!(book.order(OrderId::new(1)).unwrap().reserved_nodes(), vec![NodeId::new(1)]);
    book.check_against(&l).unwrap();
    // With a single attempt allowed the order is reported, not placed.
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), OrderPolicy::new().max_attempts(1));
    // (Op ids must not repeat against one ledger: entry ids derive from them.)
    let err = rejected(&mut book, &mut l, |b, l| b.place(l, &stale, OpId::new(2), T, order(2, &[(0, 0, 3)])));
    assert!(matches!(err, OrderError::StaleAvailability { attempts: 1 }), "{err:?}");
}

#[test]
fn short_pick_reject_and_outage_resource_without_the_node() {
    let mut l = ledger(3, 2, &[((0, 0), 5), ((0, 1), 5), ((1, 0), 5), ((2, 1), 5)]);
    let net = Network::new(vec![wh(0, 1), wh(1, 2), wh(2, 2)]).unwrap();
    let mut book = OrderBook::new(net, OrderPolicy::new().unfilled(UnfilledPolicy::KeepOpen));
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(1), T, order(1, &[(0, 0, 2), (1, 1, 2)])).unwrap();
    let o = OrderId::new(1);
    assert_eq!(book.order(o).unwrap().reserved_nodes(), vec![NodeId::new(0)]);
    // Node 0 picks 1 of line 0: the other unit moves to node 1; line 1 stays at node 0.
    let v = live(&l);
    book.short_pick(&mut l, &v, OpId::new(2), T, o, NodeId::new(0), LineId::new(0), Qty::new(1)).unwrap();
    let ord = book.order(o).unwrap();
    assert_eq!(ord.lines[0].allocated(), Qty::new(1));
    assert_eq!(ord.lines[0].reserved_at(NodeId::new(1)), Qty::new(1));
    assert_eq!(ord.lines[1].reserved_at(NodeId::new(0)), Qty::new(2));
    // Node 0 rejects the rest: line 1 goes to node 2.
    let v = live(&l);
    book.reject(&mut l, &v, OpId::new(3), T, o, NodeId::new(0)).unwrap();
    assert_eq!(book.order(o).unwrap().lines[1].reserved_at(NodeId::new(2)), Qty::new(2));
    // Node 2 goes down: nowhere else has SKU 1 (node 0 is excluded), so it stays open.
    let v = live(&l);
    let done = book.node_outage(&mut l, &v, OpId::new(4), T, NodeId::new(2)).unwrap();
    assert_eq!(done.unfilled.len(), 1);
    assert_eq!(book.order(o).unwrap().lines[1].open, Qty::new(2));
    assert_eq!(l.position(NodeId::new(2), Sku::new(1)).unwrap().reserved, Qty::ZERO);
    book.check_invariants().unwrap();
    book.check_against(&l).unwrap();
}

#[test]
fn checkout_holds_expire_unless_confirmed() {
    let mut l = ledger(1, 1, &[((0, 0), 10)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), OrderPolicy::new());
    let at = |ms| Timestamp::from_unix_ms(ms);
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(1), T, order(1, &[(0, 0, 3)]).hold_until(Some(at(100)))).unwrap();
    book.place(&mut l, &v, OpId::new(2), T, order(2, &[(0, 0, 3)]).hold_until(Some(at(100)))).unwrap();
    book.confirm(&mut l, OpId::new(3), at(50), OrderId::new(2)).unwrap();
    let done = book.expire_holds(&mut l, OpId::new(4), at(100)).unwrap();
    assert_eq!(done.events.len(), 1);
    assert_eq!(book.order(OrderId::new(1)).unwrap().status, OrderStatus::Expired);
    assert_eq!(book.order(OrderId::new(1)).unwrap().lines[0].cancelled, Qty::new(3));
    assert_eq!(l.position(NodeId::new(0), Sku::new(0)).unwrap().reserved, Qty::new(3));
    book.release(&mut l, OpId::new(5), at(200), OrderId::new(2), None).unwrap();
}

#[test]
fn risk_hold_reserves_nothing_until_approved() {
    let mut l = ledger(1, 1, &[((0, 0), 10)]);
    let policy = OrderPolicy::new().risk_max_order_value(Some(Money::from_int(100)));
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), policy);
    let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0))
        .line(LineSpec::new(LineId::new(0), Sku::new(0), Qty::new(3)).unit_price(Money::from_int(40)));
    let v = live(&l);
    let done = book.place(&mut l, &v, OpId::new(1), T, spec).unwrap();
    assert!(done.ledger_events.is_empty());
    assert_eq!(book.order(OrderId::new(1)).unwrap().status, OrderStatus::RiskHold);
    book.approve(&mut l, &v, OpId::new(2), T, OrderId::new(1)).unwrap();
    assert_eq!(l.position(NodeId::new(0), Sku::new(0)).unwrap().reserved, Qty::new(3));
}

fn batch_specs(qs: &[(u64, i32, u64)]) -> Vec<OrderSpec> {
    qs.iter().map(|&(id, prio, q)| order(id, &[(0, 0, q)]).priority(prio)).collect()
}

fn reserved(book: &OrderBook, id: u64) -> u64 {
    book.order(OrderId::new(id)).unwrap().lines[0].reserved().get()
}

#[test]
fn batch_allocation_follows_priority_then_fairness() {
    let run = |fairness, qs: &[(u64, i32, u64)]| {
        let mut l = ledger(2, 1, &[((0, 0), 6), ((1, 0), 4)]);
        let mut book = OrderBook::new(Network::new(vec![wh(0, 1), wh(1, 1)]).unwrap(), OrderPolicy::new());
        let v = live(&l);
        let o = BatchOptions::new().fairness(fairness);
        book.allocate_batch(&mut l, &v, OpId::new(1), T, batch_specs(qs), o).unwrap();
        book.check_against(&l).unwrap();
        book
    };
    // 10 units; demand 8 + 6 + 2 = 16 at one priority.
    let qs = [(1, 0, 8), (2, 0, 6), (3, 0, 2)];
    let b = run(Fairness::FirstCome, &qs);
    assert_eq!([reserved(&b, 1), reserved(&b, 2), reserved(&b, 3)], [8, 2, 0]);
    let b = run(Fairness::ProRata, &qs);
    // ⌊8·10/16⌋ = 5, ⌊6·10/16⌋ = 3, ⌊2·10/16⌋ = 1, one left over to order 1.
    assert_eq!([reserved(&b, 1), reserved(&b, 2), reserved(&b, 3)], [6, 3, 1]);
    let b = run(Fairness::RoundRobin, &qs);
    // Level 4: min(8,4) + min(6,4) + 2 = 10.
    assert_eq!([reserved(&b, 1), reserved(&b, 2), reserved(&b, 3)], [4, 4, 2]);
    // A higher priority takes what it needs first, whatever the fairness.
    let qs = [(1, 0, 8), (2, 5, 7), (3, 0, 2)];
    let b = run(Fairness::ProRata, &qs);
    assert_eq!(reserved(&b, 2), 7);
    assert_eq!(reserved(&b, 1) + reserved(&b, 3), 3);
    // Supply counts only nodes eligible for the orders: the store's 10 units
    // cannot ship to home, so two ship orders of 4 share the warehouse's 4.
    let mut l = ledger(2, 1, &[((0, 0), 4), ((1, 0), 10)]);
    let net = Network::new(vec![wh(0, 1), Node::new(NodeId::new(1), NodeKind::Store)]).unwrap();
    let mut book = OrderBook::new(net, OrderPolicy::new());
    let v = live(&l);
    let o = BatchOptions::new().fairness(Fairness::ProRata);
    book.allocate_batch(&mut l, &v, OpId::new(1), T, batch_specs(&[(1, 0, 4), (2, 0, 4)]), o).unwrap();
    assert_eq!([reserved(&book, 1), reserved(&book, 2)], [2, 2]);
    // Same priority: the earlier promise date goes first.
    let specs = vec![
        order(1, &[(0, 0, 10)]).promise_date(Some(Timestamp::from_unix_ms(9))),
        order(2, &[(0, 0, 10)]).promise_date(Some(Timestamp::from_unix_ms(1))),
    ];
    let mut l = ledger(2, 1, &[((0, 0), 6), ((1, 0), 4)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1), wh(1, 1)]).unwrap(), OrderPolicy::new());
    let v = live(&l);
    book.allocate_batch(&mut l, &v, OpId::new(1), T, specs, BatchOptions::new()).unwrap();
    assert_eq!([reserved(&book, 1), reserved(&book, 2)], [0, 10]);
}

/// Node 0 (ships both SKUs) and nodes 1 and 2 (one SKU each). Order 2 is
/// placed while order 1 holds node 0's only unit of SKU 1, so it splits;
/// once order 1 is cancelled, re-evaluation moves order 2 to node 0 alone.
#[test]
fn reevaluation_consolidates_constructed_case() {
    let mut l = ledger(3, 2, &[((0, 0), 1), ((0, 1), 1), ((1, 0), 1), ((2, 1), 1)]);
    let net = Network::new(vec![wh(0, 5), wh(1, 6), wh(2, 6)]).unwrap();
    let mut book = OrderBook::new(net, OrderPolicy::new());
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(1), T, order(1, &[(0, 1, 1)])).unwrap();
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(2), T, order(2, &[(0, 0, 1), (1, 1, 1)])).unwrap();
    assert_eq!(book.order(OrderId::new(2)).unwrap().reserved_nodes().len(), 2);
    book.cancel(&mut l, OpId::new(3), T, OrderId::new(1)).unwrap();
    let v = live(&l);
    let (done, rep) = book.reevaluate(&mut l, &v, OpId::new(4), T, ReevaluateOptions::new()).unwrap();
    assert_eq!((rep.considered, rep.changed, rep.shipments_before, rep.shipments_after), (1, 1, 2, 1));
    // Two shipments (nodes 0 and 2: 5 + 6) became one (node 0: 5).
    assert_eq!(rep.cost_saved, Money::from_int(6), "{rep:?}");
    assert_eq!(book.order(OrderId::new(2)).unwrap().reserved_nodes(), vec![NodeId::new(0)]);
    assert_eq!(done.events.len(), 1);
    book.check_against(&l).unwrap();
    l.check_invariants().unwrap();
}

#[test]
fn reevaluation_never_raises_shipments_on_random_books() {
    for case in 0..u64::from(common::cases(40)) {
        let mut src = SplitMix(0xEEE0 ^ case);
        let nodes: Vec<Node> = (0..6).map(|i| wh(i, 1 + src.below(6) as i64)).collect();
        let stock: Vec<((u32, u32), u64)> = (0..6)
            .flat_map(|n| (0..3).map(move |s| ((n, s), 0)))
            .map(|(k, _)| (k, src.below(4)))
            .filter(|(_, q)| *q > 0)
            .collect();
        let mut l = ledger(6, 3, &stock);
        let mut book = OrderBook::new(
            Network::new(nodes).unwrap(),
            OrderPolicy::new().unfilled(UnfilledPolicy::KeepOpen),
        );
        let mut op = 0;
        for id in 1..=8u64 {
            let lines: Vec<(u32, u32, u64)> =
                (0..1 + src.below(3) as u32).map(|i| (i, src.below(3) as u32, 1 + src.below(2))).collect();
            op += 1;
            let v = live(&l);
            let _ = book.place(&mut l, &v, OpId::new(op), T, order(id, &lines));
            if src.below(3) == 0 {
                op += 1;
                let _ = book.cancel(&mut l, OpId::new(op), T, OrderId::new(1 + src.below(id)));
            }
        }
        let before: BTreeMap<OrderId, usize> =
            book.orders().map(|o| (o.id, o.reserved_nodes().len())).collect();
        op += 1;
        let v = live(&l);
        let allow = if case % 2 == 0 { None } else { Some(Money::ZERO) };
        let (_, rep) = book
            .reevaluate(&mut l, &v, OpId::new(op), T, ReevaluateOptions::new().max_cost_increase(allow))
            .unwrap();
        assert!(rep.shipments_after <= rep.shipments_before, "{rep:?}");
        for o in book.orders() {
            assert!(o.reserved_nodes().len() <= before[&o.id], "{} gained shipments", o.id);
        }
        if allow.is_some() {
            assert!(rep.cost_saved >= Money::ZERO, "{rep:?}");
        }
        book.check_invariants().unwrap();
        book.check_against(&l).unwrap();
        l.check_invariants().unwrap();
    }
}

#[test]
fn book_round_trips_through_serde_and_rejects_tampering() {
    let mut l = ledger(1, 1, &[((0, 0), 10)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), OrderPolicy::new());
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(1), T, order(1, &[(0, 0, 4)])).unwrap();
    let json = serde_json::to_string(&book).unwrap();
    let back: OrderBook = serde_json::from_str(&json).unwrap();
    assert_eq!(back, book);
    let tampered = json.replace("\"open\":0", "\"open\":1");
    assert_ne!(tampered, json);
    assert!(serde_json::from_str::<OrderBook>(&tampered).is_err());
}

#[test]
fn released_units_can_be_cancelled_short_picked_and_rejected() {
    // Two warehouses with 5 each; node 0 is cheaper.
    let mut l = ledger(2, 1, &[((0, 0), 5), ((1, 0), 5)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1), wh(1, 3)]).unwrap(), OrderPolicy::new());
    let (a, b, s) = (NodeId::new(0), NodeId::new(1), Sku::new(0));
    let (o1, o2, line) = (OrderId::new(1), OrderId::new(2), LineId::new(0));
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(1), T, order(1, &[(0, 0, 3)])).unwrap();
    book.release(&mut l, OpId::new(2), T, o1, None).unwrap();
    assert_eq!(l.position(a, s).unwrap().allocated, Qty::new(3));
    // Another order reserves node 0's last two units.
    let v = live(&l);
    book.place(&mut l, &v, OpId::new(3), T, order(2, &[(0, 0, 2)])).unwrap();
    assert_eq!(l.position(a, s).unwrap().reserved, Qty::new(2));
    // Zero units: a clear error, nothing changes.
    let v = live(&l);
    let err = rejected(&mut book, &mut l, |bk, l| {
        bk.short_pick_released(l, &v, OpId::new(4), T, o1, a, line, Qty::ZERO, true)
    });
    assert!(matches!(err, OrderError::InvalidOrder { field: "qty", .. }), "{err:?}");
    // Too many: a clear error.
    let err = rejected(&mut book, &mut l, |bk, l| {
        bk.cancel_allocated(l, OpId::new(4), T, o1, a, line, Qty::new(4))
    });
    assert!(matches!(err, OrderError::ExceedsAllocated { allocated, .. } if allocated == Qty::new(3)));
    let err = rejected(&mut book, &mut l, |bk, l| bk.reject_released(l, &v, OpId::new(4), T, o1, b));
    assert!(matches!(err, OrderError::NotAllowed { .. }));
    // One unit missing, written off: re-sourced from node 1, the other two stay allocated.
    book.short_pick_released(&mut l, &v, OpId::new(4), T, o1, a, line, Qty::new(1), true).unwrap();
    let (pa, pb) = (l.position(a, s).unwrap(), l.position(b, s).unwrap());
    assert_eq!((pa.on_hand, pa.allocated, pa.reserved), (Qty::new(4), Qty::new(2), Qty::new(2)));
    assert_eq!(pb.reserved, Qty::new(1));
    let ln = &book.order(o1).unwrap().lines[0];
    assert_eq!((ln.allocated(), ln.reserved(), ln.open), (Qty::new(2), Qty::new(1), Qty::ZERO));
    assert!(book.order(o1).unwrap().excluded.contains(&a));
    // The customer cancels one released unit; then node 0 rejects the rest of its pick.
    book.cancel_allocated(&mut l, OpId::new(5), T, o1, a, line, Qty::new(1)).unwrap();
    assert_eq!(l.position(a, s).unwrap().allocated, Qty::new(1));
    let v = live(&l);
    book.reject_released(&mut l, &v, OpId::new(6), T, o2, a).unwrap();
    assert_eq!(l.position(b, s).unwrap().reserved, Qty::new(3));
    // Cancel the last allocated unit and the rest: the order closes.
    book.cancel_allocated(&mut l, OpId::new(7), T, o1, a, line, Qty::new(1)).unwrap();
    book.cancel(&mut l, OpId::new(8), T, o1).unwrap();
    let ord = book.order(o1).unwrap();
    assert_eq!(ord.status, OrderStatus::Closed);
    assert_eq!(ord.lines[0].cancelled, Qty::new(3));
    book.check_invariants().unwrap();
    book.check_against(&l).unwrap();
    let pa = l.position(a, s).unwrap();
    assert_eq!(
        (pa.on_hand, pa.allocated, pa.reserved, pa.available()),
        (Qty::new(4), Qty::ZERO, Qty::ZERO, Qty::new(4))
    );
}

/// Found by the `order_flow` fuzz target: the host's own `ExpireDue` takes a
/// lapsed checkout hold before the book's `expire_holds` runs. The book is
/// still consistent with the ledger, and `expire_holds` settles the order.
#[test]
fn a_checkout_hold_the_ledger_expired_first_is_consistent_until_expire_holds() {
    let mut l = ledger(1, 1, &[((0, 0), 5)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), OrderPolicy::new());
    let until = Timestamp::from_unix_ms(T.as_unix_ms() + 1_000);
    let spec = order(1, &[(0, 0, 2)]).hold_until(Some(until));
    let view = live(&l);
    book.place(&mut l, &view, OpId::new(1), T, spec).unwrap();
    book.check_against(&l).unwrap();
    let later = Timestamp::from_unix_ms(T.as_unix_ms() + 2_000);
    l.apply(&Command::new(e(1_000), CommandKind::ExpireDue), later).unwrap();
    assert_eq!(l.position(NodeId::new(0), Sku::new(0)).unwrap().reserved, Qty::ZERO);
    book.check_against(&l).unwrap();
    // A hold that went any other way is still caught.
    let mut other = ledger(1, 1, &[((0, 0), 5)]);
    assert!(matches!(book.check_against(&other), Err(OrderError::InvariantBroken { .. })));
    other = l.clone();
    let done = book.expire_holds(&mut other, OpId::new(2), later).unwrap();
    assert!(done.ledger_events.is_empty(), "nothing left to release: {:?}", done.ledger_events);
    assert_eq!(book.order(OrderId::new(1)).unwrap().status, OrderStatus::Expired);
    book.check_against(&other).unwrap();
}

/// `check_against` also sees allocated units the ledger no longer has (a
/// host's raw `Deallocate` behind the book's back).
#[test]
fn check_against_catches_allocated_units_taken_behind_the_books_back() {
    let mut l = ledger(1, 1, &[((0, 0), 5)]);
    let mut book = OrderBook::new(Network::new(vec![wh(0, 1)]).unwrap(), OrderPolicy::new());
    let view = live(&l);
    book.place(&mut l, &view, OpId::new(1), T, order(1, &[(0, 0, 2)])).unwrap();
    book.release(&mut l, OpId::new(2), T, OrderId::new(1), None).unwrap();
    book.check_against(&l).unwrap();
    // A host allocation of its own beside the book's is fine.
    let (n, s) = (NodeId::new(0), Sku::new(0));
    let mut more = l.clone();
    more.apply(
        &Command::new(e(2_000), CommandKind::Reserve { node: n, sku: s, qty: Qty::new(1), expires_at: None }),
        T,
    )
    .unwrap();
    more.apply(&Command::new(e(2_001), CommandKind::Commit { reservation: e(2_000), qty: Qty::new(1) }), T)
        .unwrap();
    book.check_against(&more).unwrap();
    // Fewer allocated units than the book's is not.
    l.apply(&Command::new(e(2_002), CommandKind::Deallocate { node: n, sku: s, qty: Qty::new(1) }), T)
        .unwrap();
    match book.check_against(&l) {
        Err(OrderError::InvariantBroken { what }) => assert_eq!(what, "allocated units not in ledger"),
        other => panic!("expected a broken invariant, got {other:?}"),
    }
}
