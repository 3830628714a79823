//! Routing-tail driver: generates exactly the seeded networks and orders of
//! `cargo bench --bench main -- routing/percentiles` (the generator below
//! must match benches/routing.rs), then
//!
//! - `rtail rank CONFIG N`: times every order through `RoutingNetwork`
//!   (least of 6 rounds) and prints the N slowest order indices, one line;
//! - `rtail run CONFIG REPS I1 I2 ...`: routes only those orders REPS times
//!   (for `valgrind --tool=callgrind --toggle-collect='*route_with*'`), and
//!   checks each plan equals `Optimal`'s;
//! - `rtail all CONFIG`: routes every order once (whole-distribution A/B).
//!
//! CONFIG is one of `4x100`, `10x1000`, `10x1000d` (dense), `4x100d`, `1x1000`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::time::{Duration, Instant};

use omniroute::routing::{
    Optimal, OrderLine, RouteOptions, RouteRequest, RouteWorkspace, RoutingNetwork, RoutingProblem, Rules,
    StockTable, Strategy,
};
use omniroute::{LineId, Location, Money, Node, NodeId, NodeKind, Qty, Sku};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SKUS: u64 = 200;

fn network_with(rng: &mut Rng, nodes: u32, store_pct: u64) -> (Vec<Node>, StockTable) {
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

fn order_lines(rng: &mut Rng, lines: u32) -> Vec<OrderLine> {
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

struct Setup {
    nodes: Vec<Node>,
    stock: StockTable,
    network: RoutingNetwork,
    requests: Vec<RouteRequest>,
    rules: Rules,
}

fn setup(config: &str) -> Setup {
    let (lo, hi, nodes, count, store_pct) = match config {
        "1x1000" => (1u32, 1u32, 1000u32, 5000usize, 15u64),
        "4x100" => (3, 5, 100, 5000, 15),
        "10x1000" => (10, 10, 1000, 1000, 15),
        "1x1000d" => (1, 1, 1000, 5000, 60),
        "4x100d" => (3, 5, 100, 5000, 60),
        "10x1000d" => (10, 10, 1000, 1000, 60),
        _ => panic!("unknown config {config}"),
    };
    let mut rng = Rng(0x9999_0000 + u64::from(nodes) + u64::from(lo));
    let (net, stock) = network_with(&mut rng, nodes, store_pct);
    let orders: Vec<Vec<OrderLine>> =
        (0..count).map(|i| order_lines(&mut rng, lo + (i as u32) % (hi - lo + 1))).collect();
    let rules = Rules::new().unfilled_unit_penalty(Some("20.6612".parse().unwrap()));
    let network = RoutingNetwork::new(net.clone()).unwrap();
    let requests = orders.into_iter().map(|l| RouteRequest::new(l).with_rules(rules)).collect();
    Setup { nodes: net, stock, network, requests, rules }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let s = setup(&args[1]);
    let opts = RouteOptions::new();
    let mut ws = RouteWorkspace::new();
    match args[0].as_str() {
        "rank" => {
            let n: usize = args[2].parse().unwrap();
            let mut least = vec![Duration::MAX; s.requests.len()];
            for _ in 0..6 {
                for (k, r) in s.requests.iter().enumerate() {
                    let t = Instant::now();
                    let plan = s.network.route_with(r, &s.stock, &opts, &mut ws).unwrap();
                    least[k] = least[k].min(t.elapsed());
                    std::hint::black_box(plan);
                }
            }
            let mut idx: Vec<usize> = (0..least.len()).collect();
            idx.sort_by_key(|&k| std::cmp::Reverse(least[k]));
            let mut sorted = least.clone();
            sorted.sort();
            let p = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
            eprintln!("p50 {:?} p99 {:?} max {:?}", p(0.5), p(0.99), sorted[sorted.len() - 1]);
            for &k in idx.iter().take(n) {
                eprintln!("  order {k}: {:?}", least[k]);
            }
            println!("{}", idx.iter().take(n).map(|k| k.to_string()).collect::<Vec<_>>().join(" "));
        }
        "run" => {
            let reps: usize = args[2].parse().unwrap();
            let which: Vec<usize> = args[3..].iter().map(|a| a.parse().unwrap()).collect();
            let mut problem = RoutingProblem::new(s.nodes.clone(), Vec::new()).with_rules(s.rules);
            for &k in &which {
                let want = {
                    problem.lines = s.requests[k].lines.clone();
                    Optimal.route(&problem, &s.stock, &opts).unwrap()
                };
                let got = s.network.route_with(&s.requests[k], &s.stock, &opts, &mut ws).unwrap();
                assert_eq!(want, got, "order {k}");
            }
            let t = Instant::now();
            for _ in 0..reps {
                for &k in &which {
                    std::hint::black_box(
                        s.network.route_with(&s.requests[k], &s.stock, &opts, &mut ws).unwrap(),
                    );
                }
            }
            eprintln!("{} routes in {:?}", reps * which.len(), t.elapsed());
        }
        "all" => {
            let t = Instant::now();
            for r in &s.requests {
                std::hint::black_box(s.network.route_with(r, &s.stock, &opts, &mut ws).unwrap());
            }
            eprintln!("{} routes in {:?}", s.requests.len(), t.elapsed());
        }
        other => panic!("unknown mode {other}"),
    }
}
