//! The fast path against the search on instances built for exact ties.

use super::super::tests::{Mix, same_outcome, scaled_cases};
use super::super::{OrderLine, RoutingProblem, Rules, StockTable};
use crate::model::{LineId, Node, NodeId, NodeKind, Qty, Sku};

/// Instances where several one- and two-shipment plans cost exactly the
/// same, before and after the tie-break perturbation: every node has the
/// same shipment and unit cost (now and then one differs), so plans tie on
/// cost and shipment count and differ only by the sum of their nodes'
/// ranks, which two pairs share ({0, 3} and {1, 2}). The fast path must
/// then give way to the search, whose plan is the one returned.
#[test]
fn fast_path_equals_the_search_on_exact_ties() {
    let mut rng = Mix(0x7E5_0001);
    let (mut fast, mut total) = (0usize, 0usize);
    for _ in 0..scaled_cases(3000) {
        let n = 3 + rng.below(6) as u32;
        let nl = 1 + rng.below(4) as u32;
        let mut nodes = Vec::new();
        let mut stock = StockTable::new();
        for i in 0..n {
            let odd = rng.below(6) == 0;
            let ship = if odd { "6" } else { "5" };
            let unit = if odd && rng.below(2) == 0 { "0.5" } else { "1" };
            // Ids out of order, so ranks differ from input positions.
            let id = NodeId::new((i * 7 + 3) % 11);
            nodes.push(
                Node::new(id, NodeKind::Store)
                    .with_shipment_cost(ship.parse().unwrap())
                    .with_unit_cost(unit.parse().unwrap()),
            );
            for s in 0..nl {
                if rng.below(100) < 55 {
                    stock.set(id, Sku::new(s), Qty::new(1 + rng.below(3))).unwrap();
                }
            }
        }
        let p = order(&mut rng, nodes, nl, |l| l, ["1", "50"], 4);
        total += 1;
        fast += usize::from(same_outcome(&p, &stock));
    }
    assert_taken_often(fast, total);
}

/// Candidate sets above 64 nodes (the pairs' bitmaps span several words),
/// with costs from small sets so that near-ties are common, caps that do
/// and do not bind, penalties and shipment limits.
#[test]
fn fast_path_equals_the_search_on_many_candidates() {
    let mut rng = Mix(0x7E5_0002);
    let (mut fast, mut total) = (0usize, 0usize);
    let ships = ["5", "6", "7.5", "9"];
    let units = ["0.5", "1", "1.2", "1.7"];
    for _ in 0..scaled_cases(600) {
        let n = 60 + rng.below(69) as u32;
        let nl = 2 + rng.below(4) as u32;
        let mut nodes = Vec::new();
        let mut stock = StockTable::new();
        for i in 0..n {
            let id = NodeId::new((i * 37 + 11) % 131);
            let mut nd = Node::new(id, NodeKind::Store)
                .with_shipment_cost(ships[rng.below(4) as usize].parse().unwrap())
                .with_unit_cost(units[rng.below(4) as usize].parse().unwrap());
            if rng.below(40) == 0 {
                nd = nd.with_max_units(Qty::new(1 + rng.below(8)));
            }
            nodes.push(nd);
            let pct = if i % 10 == 0 { 85 } else { 20 };
            for s in 0..nl {
                if rng.below(100) < pct {
                    stock.set(id, Sku::new(s), Qty::new(1 + rng.below(4))).unwrap();
                }
            }
        }
        let p = order(&mut rng, nodes, nl, |l| 9 - l, ["2", "20.6612"], 5);
        total += 1;
        fast += usize::from(same_outcome(&p, &stock));
    }
    assert_taken_often(fast, total);
}

/// The order of `nl` split lines (SKU `l`, id `line_id(l)`, 1–3 units) over
/// `nodes`, with no penalty or one of `penalties`, and at most two shipments
/// one time in `max_ship_one_in`.
fn order(
    rng: &mut Mix,
    nodes: Vec<Node>,
    nl: u32,
    line_id: impl Fn(u32) -> u32,
    penalties: [&str; 2],
    max_ship_one_in: u64,
) -> RoutingProblem {
    let lines: Vec<OrderLine> = (0..nl)
        .map(|l| OrderLine::new(LineId::new(line_id(l)), Sku::new(l), Qty::new(1 + rng.below(3))))
        .collect();
    let penalty = match rng.below(3) {
        0 => None,
        1 => Some(penalties[0].parse().unwrap()),
        _ => Some(penalties[1].parse().unwrap()),
    };
    let max_ship = if rng.below(max_ship_one_in) == 0 { Some(2) } else { None };
    let rules = Rules::new().unfilled_unit_penalty(penalty).max_shipments(max_ship);
    RoutingProblem::new(nodes, lines).with_rules(rules)
}

/// The instances are built for the fast path: at least a quarter must take it.
fn assert_taken_often(fast: usize, total: usize) {
    eprintln!("fast path taken on {fast} of {total}");
    assert!(fast * 4 >= total, "fast path taken on {fast} of {total}");
}
