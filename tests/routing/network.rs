//! The compiled-network fast path against the `Optimal` strategy: the same
//! plan (cost, shipments, tie-breaks, status) or the same error, on the small
//! instances of the brute-force test and on larger random networks with
//! frequent cost ties, through `StockTable`'s per-SKU lists and through the
//! trait's default scan.

use std::collections::BTreeMap;

use omniroute::routing::{
    Availability, GroupId, Instance, Optimal, OrderLine, RouteOptions, RouteRequest, RouteWorkspace,
    RoutingNetwork, RoutingProblem, Rules, StockTable,
};
use omniroute::{Capabilities, LineId, Money, Node, NodeId, NodeKind, Qty, Sku, Strategy};

use super::support::{Rng, check_plan, small_instance};
use crate::common::cases;

/// Availability without per-SKU lists: exercises the trait's default scan.
struct Scan<'a>(&'a StockTable);

impl Availability for Scan<'_> {
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.0.available(node, sku)
    }
}

/// Availability with per-SKU callbacks but no slices: exercises the
/// compile's buffered path for [`Availability::for_each_stocking`].
struct Listed<'a>(&'a StockTable);

impl Availability for Listed<'_> {
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.0.available(node, sku)
    }

    fn for_each_stocking(&self, sku: Sku, among: &[NodeId], found: &mut dyn FnMut(NodeId, Qty)) {
        self.0.for_each_stocking(sku, among, found);
    }
}

fn same(p: &RoutingProblem, stock: &StockTable, ws: &mut RouteWorkspace, what: &str) {
    let want = Optimal.route(p, stock, &RouteOptions::new());
    let net = RoutingNetwork::with_unit_costs(p.nodes.clone(), p.unit_costs.clone());
    let req = RouteRequest::from_problem(p);
    let (got, scan, listed) = match &net {
        Ok(net) => (
            net.route_with(&req, stock, &RouteOptions::new(), ws),
            net.route(&req, &Scan(stock), &RouteOptions::new()),
            net.route_with(&req, &Listed(stock), &RouteOptions::new(), ws),
        ),
        Err(e) => (Err(e.clone()), Err(e.clone()), Err(e.clone())),
    };
    match (&want, &got) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{what}: network plan differs");
            // Byte-identical on the wire too (decimal scales included).
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{what}");
            check_plan(p, stock, b).unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
        _ => panic!("{what}: optimal {want:?} vs network {got:?}"),
    }
    assert_eq!(format!("{got:?}"), format!("{scan:?}"), "{what}: default scan differs");
    assert_eq!(format!("{got:?}"), format!("{listed:?}"), "{what}: callback path differs");
}

#[test]
fn network_equals_optimal_on_small_instances() {
    let mut rng = Rng(0x5EED_0A11);
    let mut ws = RouteWorkspace::new();
    for case in 0..cases(3000) {
        let v = small_instance(&mut rng, if case % 3 == 0 { 4 } else { 3 });
        let inst = Instance::from_value(&v).unwrap();
        same(&inst.problem, &inst.stock, &mut ws, &format!("case {case}\n{v}"));
    }
}

fn money(rng: &mut Rng, choices: &[&str]) -> Money {
    rng.pick(choices).parse().unwrap()
}

/// A random network of up to 16 nodes over 12 SKUs, sparse stock, costs from
/// small sets (so ties are common), some capabilities, caps and windows.
fn random_case(rng: &mut Rng) -> (RoutingProblem, StockTable) {
    let n = 1 + rng.below(16) as u32;
    let mut ids: Vec<u32> = (0..n).map(|i| i * 3 + rng.below(3) as u32).collect();
    rng.shuffle(&mut ids);
    let mut nodes = Vec::new();
    let mut stock = StockTable::new();
    for &id in &ids {
        let mut node = Node::new(NodeId::new(id), NodeKind::Store)
            .with_shipment_cost(money(rng, &["0", "5", "7.5", "8", "8.759", "10"]))
            .with_unit_cost(money(rng, &["0", "0.5", "1", "1.25", "1.7"]));
        if rng.chance(20) {
            node = node.with_capabilities(Capabilities::from_tags(["hazmat"]).unwrap());
        }
        if rng.chance(10) {
            node = node.with_max_units(Qty::new(rng.below(6)));
        }
        if rng.chance(20) {
            node = node.with_transit_days(rng.below(4) as u32);
        }
        nodes.push(node);
        for s in 0..12u32 {
            if rng.chance(30) {
                stock.set(NodeId::new(id), Sku::new(s), Qty::new(rng.below(6))).unwrap();
            }
        }
    }
    let most = if rng.chance(50) { 1 } else { 6 };
    let nl = 1 + rng.below(most) as u32;
    let mut lines = Vec::new();
    for i in 0..nl {
        let mut l =
            OrderLine::new(LineId::new(10 - i), Sku::new(rng.below(12) as u32), Qty::new(1 + rng.below(4)));
        if rng.chance(10) {
            l = l.with_requires(Capabilities::from_tags([*rng.pick(&["hazmat", "cold"])]).unwrap());
        }
        if rng.chance(15) {
            l = l.with_group(GroupId::new(rng.below(2) as u32));
        }
        lines.push(l);
    }
    let rules = Rules::new()
        .split_lines(!rng.chance(20))
        .ship_complete(rng.chance(10))
        .max_shipments(rng.chance(30).then(|| rng.below(4) as u32))
        .unfilled_unit_penalty(rng.chance(60).then(|| money(rng, &["0", "3", "20.6612", "0.001"])));
    let mut p = RoutingProblem::new(nodes, lines)
        .with_rules(rules)
        .with_deliver_within_days(rng.chance(20).then(|| rng.below(3) as u32))
        .with_pickup_at(rng.chance(5).then(|| NodeId::new(*rng.pick(&ids))));
    if rng.chance(20) {
        let id = *rng.pick(&ids);
        p = p.with_unit_cost(NodeId::new(id), Sku::new(rng.below(12) as u32), money(rng, &["0.25", "3"]));
    }
    (p, stock)
}

#[test]
fn network_equals_optimal_on_random_networks() {
    let mut rng = Rng(0x5EED_0A12);
    let mut ws = RouteWorkspace::new();
    for case in 0..cases(1500) {
        let (p, stock) = random_case(&mut rng);
        same(&p, &stock, &mut ws, &format!("case {case}: {p:?}"));
    }
}

#[test]
fn network_rejects_bad_nodes_and_orders() {
    use omniroute::routing::RoutingError;
    let node = |id| Node::new(NodeId::new(id), NodeKind::Store);
    assert!(matches!(RoutingNetwork::new(vec![node(1), node(1)]), Err(RoutingError::DuplicateNode { .. })));
    let neg = node(0).with_unit_cost("-1".parse().unwrap());
    assert!(matches!(RoutingNetwork::new(vec![neg]), Err(RoutingError::NegativeCost { what: "unit cost" })));
    let over = BTreeMap::from([((NodeId::new(9), Sku::new(0)), Money::ZERO)]);
    assert!(matches!(
        RoutingNetwork::with_unit_costs(vec![node(0)], over),
        Err(RoutingError::UnknownNode { .. })
    ));
    let net = RoutingNetwork::new(vec![node(0)]).unwrap();
    let stock = StockTable::new();
    let o = RouteOptions::new();
    assert!(matches!(net.route(&RouteRequest::new(vec![]), &stock, &o), Err(RoutingError::NoLines)));
    let l = OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1));
    let two = RouteRequest::new(vec![l.clone(), l.clone()]);
    assert!(matches!(net.route(&two, &stock, &o), Err(RoutingError::DuplicateLine { .. })));
    let away = RouteRequest::new(vec![l]).with_pickup_at(Some(NodeId::new(3)));
    assert!(matches!(net.route(&away, &stock, &o), Err(RoutingError::UnknownNode { .. })));
}

#[test]
fn stock_table_slices_match_its_cells() {
    // Sets, overwrites and zeroings in random order: the per-SKU slices list
    // exactly the cells with units, ascending, with their units.
    let mut rng = Rng(0x5EED_0A13);
    for _ in 0..cases(200) {
        let mut t = StockTable::new();
        for _ in 0..rng.below(60) {
            let units = if rng.below(3) == 0 { 0 } else { rng.below(5) };
            t.set(NodeId::new(rng.below(12) as u32), Sku::new(rng.below(4) as u32), Qty::new(units)).unwrap();
        }
        for s in 0..5u32 {
            let sku = Sku::new(s);
            let want: Vec<(NodeId, Qty)> = (0..13u32)
                .map(NodeId::new)
                .map(|n| (n, t.available(n, sku)))
                .filter(|(_, q)| !q.is_zero())
                .collect();
            let (nodes, units) = t.stocking(sku).unwrap();
            let got: Vec<(NodeId, Qty)> = nodes.iter().copied().zip(units.iter().copied()).collect();
            assert_eq!(got, want, "sku {s}");
            let mut called = Vec::new();
            t.for_each_stocking(sku, &[], &mut |n, q| called.push((n, q)));
            assert_eq!(called, want, "sku {s}");
        }
    }
}

#[test]
fn network_overflows_where_optimal_does() {
    // Node 1's unit cost is so large that Optimal's check of every total
    // (perturbed, times the demand) overflows, though node 0 alone ships
    // the order cheaply: the single-node shortcut must not answer first.
    use omniroute::routing::RoutingError;
    let nodes = vec![
        Node::new(NodeId::new(0), NodeKind::Warehouse)
            .with_shipment_cost("1".parse().unwrap())
            .with_unit_cost("1".parse().unwrap()),
        Node::new(NodeId::new(1), NodeKind::Warehouse)
            .with_unit_cost("70000000000000000000000000000".parse().unwrap()),
    ];
    let q = Qty::new(1_000_000_000);
    let lines =
        vec![OrderLine::new(LineId::new(0), Sku::new(0), q), OrderLine::new(LineId::new(1), Sku::new(1), q)];
    let mut stock = StockTable::new();
    for n in 0..2 {
        for s in 0..2 {
            stock.set(NodeId::new(n), Sku::new(s), q).unwrap();
        }
    }
    let p = RoutingProblem::new(nodes, lines);
    let want = Optimal.route(&p, &stock, &RouteOptions::new());
    assert!(matches!(want, Err(RoutingError::Overflow { .. })), "{want:?}");
    same(&p, &stock, &mut RouteWorkspace::new(), "huge unit cost");
}

#[test]
fn network_ignores_stock_at_ids_outside_it() {
    // Stock at ids in a hole of the network's dense id table and beyond its
    // largest id, with one workspace shared by a larger network first.
    let node = |id: u32, ship: &str| {
        Node::new(NodeId::new(id), NodeKind::Store).with_shipment_cost(ship.parse().unwrap())
    };
    let mut stock = StockTable::new();
    for (id, s, q) in [(0, 0, 2), (3, 0, 9), (3, 1, 9), (5, 1, 4), (9, 0, 9), (9, 1, 9), (40, 1, 9)] {
        stock.set(NodeId::new(id), Sku::new(s), Qty::new(q)).unwrap();
    }
    let lines = vec![
        OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2)),
        OrderLine::new(LineId::new(1), Sku::new(1), Qty::new(3)),
    ];
    let mut ws = RouteWorkspace::new();
    let big =
        RoutingProblem::new(vec![node(0, "5"), node(3, "1"), node(9, "1"), node(40, "2")], lines.clone());
    same(&big, &stock, &mut ws, "larger network");
    let small = RoutingProblem::new(vec![node(0, "5"), node(5, "3")], lines);
    same(&small, &stock, &mut ws, "ids outside the network");
    let net = RoutingNetwork::new(small.nodes.clone()).unwrap();
    let plan =
        net.route_with(&RouteRequest::from_problem(&small), &stock, &RouteOptions::new(), &mut ws).unwrap();
    let from: Vec<NodeId> = plan.shipments.iter().map(|s| s.node).collect();
    assert_eq!(from, vec![NodeId::new(0), NodeId::new(5)]);
}
