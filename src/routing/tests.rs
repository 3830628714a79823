use super::flow::Network;
use super::*;
use crate::model::{LineId, Node, NodeId, NodeKind, Qty, Sku};

#[test]
fn min_cost_flow_prefers_cheap_paths_and_reports_shortfall() {
    // 0 -> 1 (cap 2, cost 1), 0 -> 2 (cap 5, cost 3), 1,2 -> 3.
    let mut n = Network::with_vertices(4);
    let a = n.add(0, 1, 2, 1);
    let b = n.add(0, 2, 5, 3);
    n.add(1, 3, 10, 0);
    n.add(2, 3, 10, 0);
    assert_eq!(n.min_cost_flow(0, 3, 4).unwrap(), (4, 2 + 6));
    assert_eq!((n.flow_on(a), n.flow_on(b)), (2, 2));
    let mut m = Network::with_vertices(2);
    m.add(0, 1, 3, 1);
    assert_eq!(m.min_cost_flow(0, 1, 5).unwrap(), (3, 3));
}

fn node(id: u32, ship: &str, unit: &str) -> Node {
    Node::new(NodeId::new(id), NodeKind::Warehouse)
        .with_shipment_cost(ship.parse().unwrap())
        .with_unit_cost(unit.parse().unwrap())
}

#[test]
fn lines_of_one_sku_share_stock() {
    let nodes = vec![node(0, "1", "0"), node(1, "5", "0")];
    let lines = vec![
        OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2)),
        OrderLine::new(LineId::new(1), Sku::new(0), Qty::new(2)),
    ];
    let mut stock = StockTable::new();
    stock.set(NodeId::new(0), Sku::new(0), Qty::new(3)).unwrap();
    stock.set(NodeId::new(1), Sku::new(0), Qty::new(1)).unwrap();
    let plan = Optimal.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new()).unwrap();
    assert_eq!(plan.cost, Some("6".parse().unwrap()));
    assert_eq!(plan.shipments.len(), 2);
}

#[test]
fn unsplittable_line_and_caps() {
    let nodes = vec![node(0, "1", "0").with_max_units(Qty::new(1)), node(1, "3", "0")];
    let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2))];
    let mut stock = StockTable::new();
    stock.set(NodeId::new(0), Sku::new(0), Qty::new(5)).unwrap();
    stock.set(NodeId::new(1), Sku::new(0), Qty::new(1)).unwrap();
    let p = RoutingProblem::new(nodes, lines);
    // Split: 1 from each node (cap 1 at node 0).
    assert_eq!(Optimal.route(&p, &stock, &RouteOptions::new()).unwrap().cost, Some("4".parse().unwrap()));
    // Whole: no node can take 2 -> infeasible without a penalty.
    let whole = p.clone().with_rules(Rules::new().split_lines(false));
    assert_eq!(Optimal.route(&whole, &stock, &RouteOptions::new()).unwrap().status, PlanStatus::Infeasible);
    let pen =
        p.with_rules(Rules::new().split_lines(false).unfilled_unit_penalty(Some("2.5".parse().unwrap())));
    assert_eq!(Optimal.route(&pen, &stock, &RouteOptions::new()).unwrap().cost, Some("5.0".parse().unwrap()));
}

#[test]
fn validation_precedence() {
    let l = OrderLine::new(LineId::new(0), Sku::new(0), Qty::ZERO);
    let n = node(0, "-1", "0");
    let p = RoutingProblem::new(vec![n.clone(), n], vec![l.clone(), l]);
    assert_eq!(
        Optimal.route(&p, &StockTable::new(), &RouteOptions::new()),
        Err(RoutingError::DuplicateNode { node: NodeId::new(0) })
    );
}

#[test]
fn every_builtin_strategy_is_named() {
    for name in STRATEGY_NAMES {
        assert_eq!(strategy_by_name(name).unwrap().name(), name);
    }
}

#[test]
fn mul128_matches_checked_mul() {
    use super::compile::mul128;
    let edge = [
        0i128,
        1,
        -1,
        7,
        i64::MAX as i128,
        i64::MIN as i128,
        i64::MAX as i128 + 1,
        i128::MAX,
        i128::MIN,
        1 << 100,
    ];
    for &a in &edge {
        for &b in &edge {
            assert_eq!(mul128(a, b), a.checked_mul(b), "{a} × {b}");
        }
    }
}
