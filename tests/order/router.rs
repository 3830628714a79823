//! The routing hook: custom routers, the plan check, and `Applied::plans`.

use omniroute::ledger::Ledger;
use omniroute::order::{Network, OpId, Order, OrderBook, OrderError, OrderPolicy, Router, Sourcing};
use omniroute::routing::{
    Availability, LineQty, Optimal, Plan, PlanStatus, RouteOptions, RoutingError, RoutingProblem, Shipment,
    Strategy,
};
use omniroute::{Money, Node, NodeId, NodeKind, Qty, Sku};

use super::{T, ledger, live, order, rejected, wh};

/// Doubles one node's shipment cost, then routes exactly.
struct Double(NodeId);

impl Router for Double {
    fn name(&self) -> &str {
        "double"
    }
    fn route(
        &self,
        _: &Order,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        let mut p = problem.clone();
        for n in p.nodes.iter_mut().filter(|n| n.id == self.0) {
            n.shipment_cost = n.shipment_cost.checked_add(n.shipment_cost).unwrap();
        }
        Strategy::route(&Optimal, &p, availability, options)
    }
}

/// Returns a fixed plan whatever it is asked.
struct Liar(Plan);

impl Router for Liar {
    fn name(&self) -> &str {
        "liar"
    }
    fn route(
        &self,
        _: &Order,
        _: &RoutingProblem,
        _: &dyn Availability,
        _: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        Ok(self.0.clone())
    }
}

fn plan(shipments: Vec<Shipment>, unfilled: Vec<LineQty>) -> Plan {
    let mut p = Plan::infeasible("liar");
    p.status = PlanStatus::Feasible;
    p.cost = Some(Money::ZERO);
    p.shipments = shipments;
    p.unfilled = unfilled;
    p
}

fn lq(line: u32, q: u64) -> LineQty {
    LineQty { line: omniroute::LineId::new(line), quantity: Qty::new(q) }
}

fn ship(node: u32, line: u32, q: u64) -> Shipment {
    Shipment { node: NodeId::new(node), lines: vec![lq(line, q)] }
}

/// Two warehouses (ship 3 and 4) and a store; 5 units of SKU 0 everywhere.
fn setup() -> (OrderBook, Ledger) {
    let store = Node::new(NodeId::new(2), NodeKind::Store);
    let net = Network::new(vec![wh(0, 3), wh(1, 4), store]).unwrap();
    let l = ledger(3, 1, &[((0, 0), 5), ((1, 0), 5), ((2, 0), 5)]);
    (OrderBook::new(net, OrderPolicy::new()), l)
}

#[test]
fn default_sourcing_routes_optimally_and_reports_the_plan() {
    let (mut book, mut l) = setup();
    let view = live(&l);
    let dynview: &dyn Availability = &view;
    let done = book.place(&mut l, dynview, OpId::new(1), T, order(1, &[(0, 0, 2)])).unwrap();
    assert_eq!(done.plans.len(), 1);
    let (id, p) = &done.plans[0];
    assert_eq!(id.get(), 1);
    assert_eq!(p.strategy, "optimal");
    assert_eq!(p.shipments.len(), 1);
    assert_eq!(p.shipments[0].node, NodeId::new(0));
    assert_eq!(p.cost, Some(Money::from_int(3)));
    assert_eq!(l.position(NodeId::new(0), Sku::new(0)).unwrap().reserved, Qty::new(2));
}

#[test]
fn a_custom_router_changes_the_choice() {
    let (mut book, mut l) = setup();
    let view = live(&l);
    let double0 = Double(NodeId::new(0));
    let src = Sourcing::new(&view).router(&double0);
    let done = book.place(&mut l, src, OpId::new(1), T, order(1, &[(0, 0, 2)])).unwrap();
    let (_, p) = &done.plans[0];
    assert_eq!(p.strategy, "optimal");
    assert_eq!(p.shipments[0].node, NodeId::new(1), "node 0 now costs 6 > 4");
    assert_eq!(p.cost, Some(Money::from_int(4)));
    assert_eq!(l.position(NodeId::new(1), Sku::new(0)).unwrap().reserved, Qty::new(2));
    assert_eq!(l.position(NodeId::new(0), Sku::new(0)).unwrap().reserved, Qty::ZERO);
    // Doubling the other node leaves the optimal choice alone.
    let double1 = Double(NodeId::new(1));
    let src = Sourcing::new(&view).router(&double1);
    let done = book.place(&mut l, src, OpId::new(2), T, order(2, &[(0, 0, 1)])).unwrap();
    assert_eq!(done.plans[0].1.shipments[0].node, NodeId::new(0));
}

#[test]
fn a_router_is_used_when_a_node_rejects_too() {
    let (mut book, mut l) = setup();
    let view = live(&l);
    book.place(&mut l, &view, OpId::new(1), T, order(1, &[(0, 0, 2)])).unwrap();
    let view = live(&l);
    // Node 0 rejects; the re-sourcing goes through the custom router.
    let liar = Liar(plan(vec![ship(2, 0, 2)], vec![]));
    let err = rejected(&mut book, &mut l, |b, l| {
        b.reject(
            l,
            Sourcing::new(&view).router(&liar),
            OpId::new(2),
            T,
            omniroute::OrderId::new(1),
            NodeId::new(0),
        )
    });
    assert!(matches!(err, OrderError::InvalidPlan { .. }), "{err}");
    let done = book
        .reject(
            &mut l,
            Sourcing::new(&view).router(&Double(NodeId::new(1))),
            OpId::new(2),
            T,
            omniroute::OrderId::new(1),
            NodeId::new(0),
        )
        .unwrap();
    assert_eq!(done.plans.len(), 1);
    assert_eq!(done.plans[0].1.shipments[0].node, NodeId::new(1));
}

#[test]
fn lying_routers_are_refused_with_nothing_applied() {
    let cases: Vec<(Plan, &str)> = vec![
        // The store is not eligible for a shipped order.
        (plan(vec![ship(2, 0, 2)], vec![]), "not a candidate"),
        // A node not in the network at all.
        (plan(vec![ship(9, 0, 2)], vec![]), "not a candidate"),
        // A line the order does not have.
        (plan(vec![ship(0, 7, 2)], vec![]), "not asked for"),
        // More units than the line asks.
        (plan(vec![ship(0, 0, 3)], vec![]), "more units than asked"),
        (plan(vec![ship(0, 0, 2)], vec![lq(0, 1)]), "more units than asked"),
        // More than the view says node 1 has (5): 6 of 6 asked.
        (plan(vec![ship(1, 0, 6)], vec![]), "more units than available"),
    ];
    for (lie, why) in cases {
        let (mut book, mut l) = setup();
        let view = live(&l);
        let q = if why == "more units than available" { 6 } else { 2 };
        let liar = Liar(lie);
        let err = rejected(&mut book, &mut l, |b, l| {
            b.place(l, Sourcing::new(&view).router(&liar), OpId::new(1), T, order(1, &[(0, 0, q)]))
        });
        match err {
            OrderError::InvalidPlan { reason, .. } => assert!(reason.contains(why), "{reason} vs {why}"),
            other => panic!("{why}: {other}"),
        }
    }
}

#[test]
fn units_a_router_forgets_are_unfilled() {
    let (mut book, mut l) = setup();
    book = OrderBook::new(
        book.network().clone(),
        OrderPolicy::new().unfilled(omniroute::order::UnfilledPolicy::KeepOpen),
    );
    let view = live(&l);
    let liar = Liar(plan(vec![ship(0, 0, 1)], vec![]));
    let done = book
        .place(&mut l, Sourcing::new(&view).router(&liar), OpId::new(1), T, order(1, &[(0, 0, 3)]))
        .unwrap();
    assert_eq!(done.unfilled.len(), 1);
    assert_eq!(done.unfilled[0].qty, Qty::new(2));
    assert_eq!(done.plans[0].1.unfilled, vec![lq(0, 2)]);
    let o = book.order(omniroute::OrderId::new(1)).unwrap();
    assert_eq!((o.lines[0].reserved(), o.lines[0].open), (Qty::new(1), Qty::new(2)));
    // With the default policy (reject unfillable), the same lie is an error.
    let (mut book, mut l) = setup();
    let err = rejected(&mut book, &mut l, |b, l| {
        b.place(l, Sourcing::new(&view).router(&liar), OpId::new(1), T, order(1, &[(0, 0, 3)]))
    });
    assert!(matches!(err, OrderError::Unfillable { .. }), "{err}");
}
