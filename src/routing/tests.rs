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

/// How [`random_nodes`] draws a network.
#[derive(Clone, Copy)]
struct Nodes {
    /// Node `i` gets id `i × ids.0 + ids.1` (gaps between ids).
    ids: (u32, u32),
    /// One node in `cap_one_in` gets a unit cap of 1..=`cap_max`.
    cap_one_in: u64,
    cap_max: u64,
    /// Each (node, SKU) is stocked with this chance, in per cent.
    stock_pct: u64,
}

/// `n` random nodes (shipment and unit costs drawn from `ships` / `units`,
/// some capped, some with a transit time, some "cold"-capable) and their
/// stock of SKUs `0..skus`.
fn random_nodes(
    rng: &mut Mix,
    n: u32,
    skus: u32,
    ships: &[&str; 5],
    units: &[&str; 5],
    shape: Nodes,
) -> (Vec<Node>, StockTable) {
    let mut nodes = Vec::new();
    let mut stock = StockTable::new();
    for i in 0..n {
        let id = i * shape.ids.0 + shape.ids.1;
        let mut nd = node(id, ships[rng.below(5) as usize], units[rng.below(5) as usize]);
        if rng.below(shape.cap_one_in) == 0 {
            nd = nd.with_max_units(Qty::new(1 + rng.below(shape.cap_max)));
        }
        if rng.below(6) == 0 {
            nd = nd.with_transit_days(rng.below(5) as u32);
        }
        if rng.below(5) == 0 {
            nd = nd.with_capabilities(crate::model::Capabilities::from_tags(["cold"]).unwrap());
        }
        for s in 0..skus {
            if rng.below(100) < shape.stock_pct {
                stock.set(NodeId::new(id), Sku::new(s), Qty::new(1 + rng.below(6))).unwrap();
            }
        }
        nodes.push(nd);
    }
    (nodes, stock)
}

/// A random instance for the Lagrangian-bound tests: every rule the search
/// meets (caps, windows, capabilities, groups, whole lines, shared SKUs,
/// penalties, shipment limits), few distinct costs so ties are common.
fn lagrange_instance(rng: &mut Mix) -> (RoutingProblem, StockTable) {
    let ships = ["0", "5", "6", "7.5", "9"];
    let units = ["0", "0.5", "1", "1.25", "2"];
    let big = rng.below(4) == 0;
    let n = 1 + rng.below(if big { 20 } else { 10 }) as u32;
    let nl = 1 + rng.below(6) as u32;
    let skus = 1 + rng.below(u64::from(nl)) as u32;
    let shape = Nodes { ids: (5, 2), cap_one_in: 6, cap_max: 8, stock_pct: 50 };
    let (nodes, stock) = random_nodes(rng, n, skus, &ships, &units, shape);
    let mut lines = Vec::new();
    for l in 0..nl {
        let sku = Sku::new(rng.below(u64::from(skus)) as u32);
        let mut line = OrderLine::new(LineId::new(30 - l), sku, Qty::new(1 + rng.below(4)));
        if rng.below(6) == 0 {
            line = line.with_requires(crate::model::Capabilities::from_tags(["cold"]).unwrap());
        }
        if rng.below(7) == 0 {
            line = line.with_group(GroupId::new(rng.below(2) as u32));
        }
        lines.push(line);
    }
    let penalty = match rng.below(3) {
        0 => None,
        1 => Some("3".parse().unwrap()),
        _ => Some("25".parse().unwrap()),
    };
    let max_ship = match rng.below(5) {
        0 => Some(1),
        1 => Some(2),
        _ => None,
    };
    let rules =
        Rules::new().unfilled_unit_penalty(penalty).max_shipments(max_ship).split_lines(rng.below(5) != 0);
    let mut p = RoutingProblem::new(nodes, lines).with_rules(rules);
    if rng.below(6) == 0 {
        p = p.with_deliver_within_days(Some(rng.below(4) as u32));
    }
    (p, stock)
}

/// The Lagrangian bound never exceeds the cost of a plan shipping from the
/// nodes it is charged for, for any multipliers (cheapest unit costs, the
/// penalty, random ones — large ones make reduced costs negative): checked
/// against the optimum and against the best plan of random node sets.
#[test]
fn lagrangian_bound_never_overestimates() {
    use super::compile::compile;
    use super::exact::{NONE, eval_set, lagrange_by_node, search};
    let mut rng = Mix(0x1A6_0001);
    let mut checked = 0usize;
    for _ in 0..scaled_cases(1500) {
        let (p, stock) = lagrange_instance(&mut rng);
        let c = compile(&p, &stock, None).unwrap();
        let top = c.nodes.iter().flat_map(|n| n.unit.iter().copied()).chain(c.penalty).max().unwrap_or(0);
        let top = top.saturating_add(c.nodes.iter().map(|n| n.fixed).max().unwrap_or(0)).max(1);
        let bound_of = |lam: &[i128], allocs: &[super::exact::Alloc]| {
            let lag = lagrange_by_node(&c, lam)?;
            let mut open: Vec<usize> = allocs.iter().map(|a| a.node).collect();
            open.sort_unstable();
            open.dedup();
            Some(open.iter().fold(lag.base, |b, &k| b + lag.slack[k]))
        };
        let mut plans = Vec::new();
        if let Some(a) = search(&c, None, u64::MAX, false, false).unwrap().best {
            plans.push(a);
        }
        for _ in 0..3 {
            let set: Vec<usize> = (0..c.nodes.len()).filter(|_| rng.below(2) == 0).collect();
            let mut budget = u64::MAX;
            if let Some(a) = eval_set(&c, &set, None, &mut budget).unwrap() {
                plans.push(a);
            }
        }
        for round in 0..4 {
            let lam: Vec<i128> = c
                .lines
                .iter()
                .map(|l| match round {
                    0 => c
                        .nodes
                        .iter()
                        .filter(|n| n.stock.get(l.sku).is_some_and(|&s| s > 0))
                        .map(|n| n.unit[l.sku])
                        .min()
                        .or(c.penalty)
                        .unwrap_or(NONE),
                    1 => c.penalty.unwrap_or(top),
                    _ => (rng.next() % (2 * top as u64)) as i128,
                })
                .collect();
            for a in &plans {
                if let Some(lb) = bound_of(&lam, &a.allocs) {
                    assert!(lb <= a.cost, "bound {lb} above a plan of cost {}: {p:?}", a.cost);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5_000, "only {checked} bounds checked");
}

/// The search with the Lagrangian bound (the pruning, the positions it
/// removes, the pair it measures them against) returns exactly what it
/// returns without: cost, allocation, status.
#[test]
fn lagrangian_pruning_changes_nothing_but_the_work() {
    use super::compile::compile;
    use super::exact::search;
    let mut rng = Mix(0x1A6_0002);
    let (mut fewer, mut total) = (0usize, 0usize);
    for _ in 0..scaled_cases(1500) {
        let (p, stock) = lagrange_instance(&mut rng);
        let c = compile(&p, &stock, None).unwrap();
        let max = if rng.below(8) == 0 { 1 + rng.below(20) } else { RouteOptions::DEFAULT_MAX_NODE_SETS };
        let with = search(&c, None, max, false, true).unwrap();
        let without = search(&c, None, max, false, false).unwrap();
        if without.complete {
            assert!(with.complete, "{p:?}");
            assert_eq!(with.best.as_ref().map(|a| a.cost), without.best.as_ref().map(|a| a.cost), "{p:?}");
            assert_eq!(with.best.map(|a| a.allocs), without.best.map(|a| a.allocs), "{p:?}");
        } else {
            // A limit hit without the bound may be met with it; never the reverse.
            assert!(with.best.is_some() || without.best.is_none(), "{p:?}");
        }
        fewer += usize::from(with.visits < without.visits);
        total += 1;
    }
    eprintln!("fewer sets visited on {fewer} of {total}");
    assert!(fewer * 40 >= total, "the bound pruned on only {fewer} of {total}");
}

/// A small seeded generator (SplitMix64) for the fast-path test.
pub(super) struct Mix(pub(super) u64);

impl Mix {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Scales the case count like the integration tests' `common::cases`.
pub(super) fn scaled_cases(n: usize) -> usize {
    let scale = std::env::var("OMNIROUTE_TEST_SCALE").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
    n.saturating_mul(scale.max(1))
}

/// Runs the fast path and the search alone on `p`; asserts equal outcomes
/// and returns whether the fast path answered.
pub(super) fn same_outcome(p: &RoutingProblem, stock: &StockTable) -> bool {
    use super::compile::compile;
    use super::exact::branch_and_bound_with;
    let c = compile(p, stock, None).unwrap();
    let max = RouteOptions::DEFAULT_MAX_NODE_SETS;
    let with = branch_and_bound_with(&c, None, max, true).unwrap();
    let without = branch_and_bound_with(&c, None, max, false).unwrap();
    assert!(!without.fast);
    assert_eq!(with.complete, without.complete, "{p:?}");
    assert_eq!(with.best.as_ref().map(|a| a.cost), without.best.as_ref().map(|a| a.cost), "{p:?}");
    assert_eq!(with.best.map(|a| a.allocs), without.best.map(|a| a.allocs), "{p:?}");
    with.fast
}

/// The fast path for small split orders gives exactly the search's outcome
/// (cost, allocation, status), on instances built to hit it often: split
/// lines of distinct SKUs, few distinct costs (so ties are common), caps,
/// windows, capabilities, penalties and shipment limits mixed in.
#[test]
fn small_split_fast_path_equals_the_search() {
    let mut rng = Mix(0xFA57_0001);
    let (mut fast, mut total) = (0usize, 0usize);
    let ships = ["5", "6", "7", "7.5", "9"];
    let units = ["0", "0.5", "1", "1", "2"];
    for _ in 0..scaled_cases(5000) {
        let big = rng.below(4) == 0;
        let n = 1 + rng.below(if big { 40 } else { 12 }) as u32;
        let nl = 1 + rng.below(5) as u32;
        let shape = Nodes { ids: (3, 1), cap_one_in: 8, cap_max: 12, stock_pct: 45 };
        let (nodes, stock) = random_nodes(&mut rng, n, nl, &ships, &units, shape);
        let mut lines = Vec::new();
        for l in 0..nl {
            let mut line = OrderLine::new(LineId::new(10 - l), Sku::new(l), Qty::new(1 + rng.below(4)));
            if rng.below(6) == 0 {
                line = line.with_requires(crate::model::Capabilities::from_tags(["cold"]).unwrap());
            }
            lines.push(line);
        }
        // Now and then two lines of one SKU (the fast path must stand aside).
        if nl >= 2 && rng.below(10) == 0 {
            lines[1] = OrderLine::new(LineId::new(20), Sku::new(0), Qty::new(1 + rng.below(3)));
        }
        let penalty = match rng.below(3) {
            0 => None,
            1 => Some("3".parse().unwrap()),
            _ => Some("25".parse().unwrap()),
        };
        let max_ship = match rng.below(5) {
            0 => Some(2),
            1 => Some(3),
            _ => None,
        };
        let rules = Rules::new().unfilled_unit_penalty(penalty).max_shipments(max_ship);
        let mut p = RoutingProblem::new(nodes, lines).with_rules(rules);
        if rng.below(6) == 0 {
            p = p.with_deliver_within_days(Some(rng.below(4) as u32));
        }
        total += 1;
        fast += usize::from(same_outcome(&p, &stock));
    }
    eprintln!("fast path taken on {fast} of {total}");
    // The instances are built for the fast path: most must take it.
    assert!(fast * 3 >= total, "fast path taken on {fast} of {total}");
}
