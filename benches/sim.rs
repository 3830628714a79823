//! Simulation benches: `sim/<strategy>/2000-orders` — a whole simulation
//! (placement, cancellations, shipments, replenishment, returns) of a
//! 2,000-order scenario per strategy, each iteration on a fresh copy of the
//! starting ledger (copied outside the timed section) — the same through
//! the ATP fulfiller (`sim/atp/<strategy>/2000-orders`, routing over each
//! order's channel ATP with the views fed every event), through the order
//! fulfiller per strategy (`sim/order/<strategy>/2000-orders`: the order
//! book's place / release / ship / cancel / record return over the ATP
//! views, the examples' default), and `sim/generate/20000-orders`, the
//! default scenario's generation.

use std::time::Duration;

use criterion::{BatchSize, Criterion};
use omniroute::sim::{
    AtpFulfiller, LedgerFulfiller, NoObserver, OrderFulfiller, Scenario, ScenarioParams, SimOptions,
    SimStrategy, simulate,
};

pub(crate) fn benches(c: &mut Criterion) {
    let params = ScenarioParams::new().orders(2_000).seed(42);
    let scenario = Scenario::generate(&params).unwrap();
    let start = scenario.starting_ledger().unwrap();
    let options = SimOptions::new();
    let mut g = c.benchmark_group("sim");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for strategy in SimStrategy::all() {
        g.bench_function(format!("{}/2000-orders", strategy.name()), |b| {
            b.iter_batched(
                || LedgerFulfiller::new(start.clone()),
                |mut f| {
                    let m = simulate(&scenario, &strategy, &mut f, &options, &mut NoObserver).unwrap();
                    assert_eq!(m.orders, 2_000);
                    assert!(m.units_shipped > 0);
                    f
                },
                BatchSize::PerIteration,
            );
        });
    }
    let atp = AtpFulfiller::new(start.clone(), scenario.atp_policy().unwrap()).unwrap();
    for name in ["optimal", "greedy_set_cover"] {
        let strategy = SimStrategy::by_name(name).unwrap();
        g.bench_function(format!("atp/{name}/2000-orders"), |b| {
            b.iter_batched(
                || atp.clone(),
                |mut f| {
                    let m = simulate(&scenario, &strategy, &mut f, &options, &mut NoObserver).unwrap();
                    assert_eq!(m.orders, 2_000);
                    assert!(m.units_shipped > 0);
                    f
                },
                BatchSize::PerIteration,
            );
        });
    }
    let order = OrderFulfiller::for_scenario(&scenario).unwrap();
    for strategy in SimStrategy::all() {
        g.bench_function(format!("order/{}/2000-orders", strategy.name()), |b| {
            b.iter_batched(
                || order.clone(),
                |mut f| {
                    let m = simulate(&scenario, &strategy, &mut f, &options, &mut NoObserver).unwrap();
                    assert_eq!(m.orders, 2_000);
                    assert!(m.units_shipped > 0);
                    assert_eq!(f.book().orders().count() as u64, m.orders - m.route_errors);
                    f
                },
                BatchSize::PerIteration,
            );
        });
    }
    let default = ScenarioParams::new();
    g.bench_function("generate/20000-orders", |b| {
        b.iter(|| {
            let s = Scenario::generate(&default).unwrap();
            assert_eq!(s.orders().len(), 20_000);
            s
        });
    });
    g.finish();
}
