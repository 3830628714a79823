//! Routing benches: `routing/<strategy>/<lines>x<nodes>`, plus a per-instance
//! timing loop for p50/p99 and the heuristics' cost gap against `optimal`.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use omniroute::routing::{
    GreedySetCover, HighStock, LocalSearch, Nearest, Optimal, OrderLine, PlanStatus, Priority, RouteOptions,
    RouteRequest, RouteWorkspace, RoutingNetwork, RoutingProblem, Rules, StockTable, Strategy,
};

pub(crate) use crate::routing_gen::{Rng, network, network_with, order_lines, template};

/// Routes `lines` on the template without copying the network.
fn route_with(
    strategy: &dyn Strategy,
    problem: &mut RoutingProblem,
    lines: &mut Vec<OrderLine>,
    stock: &StockTable,
    opts: &RouteOptions,
) -> omniroute::Plan {
    std::mem::swap(&mut problem.lines, lines);
    let plan = strategy.route(black_box(problem), stock, opts).unwrap();
    std::mem::swap(&mut problem.lines, lines);
    plan
}

fn bench_one(c: &mut Criterion, name: &str, strategy: &dyn Strategy, lines: u32, nodes: u32) {
    let mut rng = Rng(0xBE7C_0000 + u64::from(lines) * 7919 + u64::from(nodes));
    let (net, stock) = network(&mut rng, nodes);
    let mut problem = template(net, true);
    let mut orders: Vec<Vec<OrderLine>> = (0..64).map(|_| order_lines(&mut rng, lines)).collect();
    let opts = RouteOptions::new();
    let mut i = 0usize;
    c.bench_function(&format!("routing/{name}/{lines}x{nodes}"), |b| {
        b.iter(|| {
            i = (i + 1) % orders.len();
            let plan = route_with(strategy, &mut problem, &mut orders[i], &stock, &opts);
            assert!(plan.cost.is_some());
            plan
        })
    });
}

/// The compiled-network path: one `RoutingNetwork` and one workspace for
/// every order, requests built before timing.
fn bench_network(c: &mut Criterion, lines: u32, nodes: u32, store_pct: u64) {
    let mut rng = Rng(0xBE7C_0000 + u64::from(lines) * 7919 + u64::from(nodes));
    let (net, stock) = network_with(&mut rng, nodes, store_pct);
    let network = RoutingNetwork::new(net).unwrap();
    let rules = Rules::new().unfilled_unit_penalty(Some("20.6612".parse().unwrap()));
    let orders: Vec<RouteRequest> =
        (0..64).map(|_| RouteRequest::new(order_lines(&mut rng, lines)).with_rules(rules)).collect();
    let opts = RouteOptions::new();
    let mut ws = RouteWorkspace::new();
    let mut i = 0usize;
    let dense = if store_pct == 15 { String::new() } else { format!("-stores{store_pct}pct") };
    c.bench_function(&format!("routing/network/{lines}x{nodes}{dense}"), |b| {
        b.iter(|| {
            i = (i + 1) % orders.len();
            let plan = network.route_with(black_box(&orders[i]), &stock, &opts, &mut ws).unwrap();
            assert!(plan.cost.is_some());
            plan
        })
    });
}

pub(crate) fn benches(c: &mut Criterion) {
    for (lines, nodes) in [(1, 1000), (4, 100), (10, 1000)] {
        bench_network(c, lines, nodes, 15);
        bench_network(c, lines, nodes, 60);
    }
    bench_one(c, "optimal", &Optimal, 1, 1000);
    bench_one(c, "priority", &Priority, 1, 1000);
    for (lines, nodes) in [(4, 100), (10, 1000)] {
        bench_one(c, "optimal", &Optimal, lines, nodes);
        bench_one(c, "priority", &Priority, lines, nodes);
        bench_one(c, "nearest", &Nearest, lines, nodes);
        bench_one(c, "greedy_set_cover", &GreedySetCover, lines, nodes);
    }
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if filter.is_empty()
        || filter
            .iter()
            .any(|f| f == "routing" || f == "routing/percentiles" || f == "routing/percentiles/network")
    {
        percentiles();
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Per-instance times (p50, p99, max) over many seeded orders, and the cost
/// gap of each heuristic against `optimal` on the same orders.
fn percentiles() {
    let strategies: Vec<Box<dyn Strategy>> = vec![
        Box::new(Optimal),
        Box::new(Priority),
        Box::new(Nearest),
        Box::new(HighStock),
        Box::new(GreedySetCover),
        Box::new(LocalSearch),
    ];
    let opts = RouteOptions::new();
    let only_network = std::env::args().any(|a| a == "routing/percentiles/network");
    for (lo, hi, nodes, count, store_pct) in [
        (1u32, 1u32, 1000u32, 5000usize, 15u64),
        (3, 5, 100, 5000, 15),
        (10, 10, 1000, 1000, 15),
        (1, 1, 1000, 5000, 60),
        (3, 5, 100, 5000, 60),
        (10, 10, 1000, 1000, 60),
    ] {
        let mut rng = Rng(0x9999_0000 + u64::from(nodes) + u64::from(lo));
        let (net, stock) = network_with(&mut rng, nodes, store_pct);
        let mut problem = template(net.clone(), true);
        let mut orders: Vec<Vec<OrderLine>> =
            (0..count).map(|i| order_lines(&mut rng, lo + (i as u32) % (hi - lo + 1))).collect();
        println!("routing/percentiles/{lo}-{hi}x{nodes} (stores stock {store_pct} %): {count} orders");
        // The compiled-network path, checked against `Optimal` on every order.
        let network = RoutingNetwork::new(net).unwrap();
        let requests: Vec<RouteRequest> =
            orders.iter().map(|l| RouteRequest::new(l.clone()).with_rules(problem.rules)).collect();
        let mut ws = RouteWorkspace::new();
        let mut times = Vec::with_capacity(count);
        let mut plans = Vec::with_capacity(count);
        for _round in 0..2 {
            // Round one warms the caches and the workspace; round two is timed.
            times.clear();
            plans.clear();
            for r in &requests {
                let t = Instant::now();
                let plan = network.route_with(black_box(r), &stock, &opts, &mut ws).unwrap();
                times.push(t.elapsed());
                plans.push(plan);
            }
        }
        let per_order = times.clone();
        times.sort();
        println!(
            "  {:<17} p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}  proven optimal {}/{}",
            "network",
            pct(&times, 0.5),
            pct(&times, 0.99),
            times[times.len() - 1],
            plans.iter().filter(|p| p.status == PlanStatus::Optimal).count(),
            count
        );
        // Each order's least time over five more rounds: its own cost with
        // the scheduler stalls of a loaded machine filtered out (a stall
        // rarely hits the same order five times).
        let mut least = per_order;
        for _round in 0..5 {
            for (k, r) in requests.iter().enumerate() {
                let t = Instant::now();
                let plan = network.route_with(black_box(r), &stock, &opts, &mut ws).unwrap();
                let d = t.elapsed();
                assert_eq!(plan, plans[k]);
                least[k] = least[k].min(d);
            }
        }
        least.sort();
        println!(
            "  {:<17} p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}",
            "network (least/6)",
            pct(&least, 0.5),
            pct(&least, 0.99),
            least[least.len() - 1],
        );
        if only_network {
            continue;
        }
        let mut optimal_costs = Vec::new();
        for s in &strategies {
            let mut times = Vec::with_capacity(count);
            let mut gap_sum = 0.0;
            let mut worst_gap: f64 = 0.0;
            let mut proven = 0usize;
            for (k, lines) in orders.iter_mut().enumerate() {
                let t = Instant::now();
                let plan = route_with(s.as_ref(), &mut problem, lines, &stock, &opts);
                times.push(t.elapsed());
                proven += usize::from(plan.status == PlanStatus::Optimal);
                let cost: f64 = plan.cost.unwrap().to_string().parse().unwrap();
                if s.name() == "optimal" {
                    assert_eq!(plan, plans[k], "network and optimal differ");
                    optimal_costs.push(cost);
                } else {
                    let g = (cost - optimal_costs[k]) / optimal_costs[k];
                    gap_sum += g;
                    worst_gap = worst_gap.max(g);
                }
            }
            times.sort();
            println!(
                "  {:<17} p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}  mean gap {:>6.2}%  worst gap {:>6.2}%  proven optimal {}/{}",
                s.name(),
                pct(&times, 0.5),
                pct(&times, 0.99),
                times[times.len() - 1],
                100.0 * gap_sum / count as f64,
                100.0 * worst_gap,
                proven,
                count
            );
        }
    }
}
