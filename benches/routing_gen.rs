//! The seeded routing networks and orders of the routing benches, shared
//! with tools/rtail (which includes this file by path, so its profiles run
//! exactly the bench's orders).
#![allow(dead_code, clippy::float_arithmetic, clippy::cast_precision_loss)]

use omniroute::routing::{OrderLine, RoutingProblem, Rules, StockTable};
use omniroute::{LineId, Location, Money, Node, NodeId, NodeKind, Qty, Sku};

/// splitmix64.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) const SKUS: u64 = 200;

/// A seeded network in the style of Jasin & Sinha's e-commerce fulfilment
/// experiments: a fixed cost per shipment around 8.759, unit costs 0.50–1.70
/// by node, an unfilled-unit penalty of 20.6612. One node in ten is a
/// distribution centre stocking 90 % of the catalogue; the others are stores
/// and dark stores stocking 15 % (sparse, the default) .
pub(crate) fn network(rng: &mut Rng, nodes: u32) -> (Vec<Node>, StockTable) {
    network_with(rng, nodes, 15)
}

/// [`network`] with stores stocking `store_pct` % of the catalogue.
pub(crate) fn network_with(rng: &mut Rng, nodes: u32, store_pct: u64) -> (Vec<Node>, StockTable) {
    let mut out = Vec::with_capacity(nodes as usize);
    let mut stock = StockTable::new();
    for i in 0..nodes {
        let dc = i % 10 == 0;
        let ship = Money::new(rust_decimal::Decimal::new(7_500 + rng.below(2_500) as i64, 3));
        let unit = Money::new(rust_decimal::Decimal::new(5_000 + rng.below(12_000) as i64, 4));
        let loc =
            Location::new(25.0 + rng.below(2_300) as f64 / 100.0, -(70.0 + rng.below(5_000) as f64 / 100.0))
                .unwrap();
        out.push(
            Node::new(NodeId::new(i), if dc { NodeKind::Warehouse } else { NodeKind::Store })
                .with_shipment_cost(ship)
                .with_unit_cost(unit)
                .with_priority(rng.below(10) as i64)
                .with_location(loc),
        );
        let pct = if dc { 90 } else { store_pct };
        for s in 0..SKUS {
            if rng.below(100) < pct {
                stock.set(NodeId::new(i), Sku::new(s as u32), Qty::new(1 + rng.below(12))).unwrap();
            }
        }
    }
    (out, stock)
}

/// The network as a problem template; orders swap their lines in, as a host
/// that keeps one network and routes many orders would.
pub(crate) fn template(nodes: Vec<Node>, penalty: bool) -> RoutingProblem {
    let rules = Rules::new().unfilled_unit_penalty(penalty.then(|| "20.6612".parse().unwrap()));
    RoutingProblem::new(nodes, Vec::new())
        .with_rules(rules)
        .with_destination(Some(Location::new(40.0, -90.0).unwrap()))
}

pub(crate) fn order_lines(rng: &mut Rng, lines: u32) -> Vec<OrderLine> {
    let mut ls = Vec::new();
    let mut used = Vec::new();
    for i in 0..lines {
        let mut s = rng.below(SKUS) as u32;
        while used.contains(&s) {
            s = rng.below(SKUS) as u32;
        }
        used.push(s);
        ls.push(OrderLine::new(LineId::new(i), Sku::new(s), Qty::new(1 + rng.below(3))));
    }
    ls
}
