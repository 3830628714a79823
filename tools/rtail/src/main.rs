//! Routing-tail driver: generates exactly the seeded networks and orders of
//! `cargo bench --bench main -- routing/percentiles` (benches/routing_gen.rs,
//! included by path), then
//!
//! - `rtail rank CONFIG N`: times every order through `RoutingNetwork`
//!   (least of 6 rounds) and prints the N slowest order indices, one line;
//! - `rtail run CONFIG REPS I1 I2 ...`: routes only those orders REPS times
//!   (for `valgrind --tool=callgrind --toggle-collect='*route_with*'`), and
//!   checks each plan equals `Optimal`'s;
//! - `rtail all CONFIG`: routes every order once (whole-distribution A/B).
//!
//! CONFIG is one of `4x100`, `10x1000`, `10x1000d` (dense), `4x100d`, `1x1000`, and
//! (not in the bench) `10x100`, `7x150` (6–8 lines).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::time::{Duration, Instant};

use omniroute::Node;
use omniroute::routing::{
    Optimal, OrderLine, RouteOptions, RouteRequest, RouteWorkspace, RoutingNetwork, RoutingProblem, Rules,
    StockTable, Strategy,
};

#[path = "../../../benches/routing_gen.rs"]
mod routing_gen;
use routing_gen::{Rng, network_with, order_lines};

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
        "10x100" => (10, 10, 100, 1000, 15),
        "7x150" => (6, 8, 150, 1000, 15),
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
