//! The simulation through the order lifecycle ([`OrderFulfiller`]):
//! conservation, the book against the ledger, determinism, and `optimal`
//! against the greedy strategies on the same orders and stock.

use omniroute::sim::{
    Fulfiller, FulfillerKind, NoObserver, OrderFulfiller, Scenario, ScenarioParams, SimOptions, SimStrategy,
    compare, physical_units, simulate,
};
use omniroute::{Money, OrderId, Qty};

use super::{assert_conserved, random_runs, small};
use crate::common::cases;

fn run_order(params: ScenarioParams, strategy: &str) -> (omniroute::sim::RunMetrics, OrderFulfiller) {
    let s = Scenario::generate(&params).unwrap();
    let mut f = OrderFulfiller::for_scenario(&s).unwrap();
    let m =
        simulate(&s, &SimStrategy::by_name(strategy).unwrap(), &mut f, &SimOptions::new(), &mut NoObserver)
            .unwrap();
    (m, f)
}

fn conservation(params: ScenarioParams, strategy: &str) {
    let (m, f) = run_order(params, strategy);
    // Ledger invariants, views = fresh computation, book invariants, book
    // against ledger, every order closed.
    f.check().unwrap();
    let ledger = f.ledger();
    for (n, k) in ledger.positions() {
        let p = ledger.position(n, k).unwrap();
        assert_eq!((p.reserved, p.allocated, p.inbound), (Qty::ZERO, Qty::ZERO, Qty::ZERO), "{n}/{k}");
    }
    let on_hand = physical_units(ledger).unwrap();
    assert_eq!(
        m.units_supplied + m.units_returned,
        m.units_shipped + m.units_disposed_out + on_hand,
        "{strategy}: in = out + on hand"
    );
    assert_eq!(m.units_filled + m.units_unfilled, m.units_ordered);
    assert_eq!(m.units_filled, m.units_shipped + m.units_released, "{strategy}");
    // The book tells the same story as the metrics.
    let book = f.book();
    assert_eq!(book.orders().count() as u64, m.orders - m.route_errors);
    let (mut shipped, mut returned, mut cancelled, mut ordered) = (0, 0, 0, 0);
    for o in book.orders() {
        assert!(o.is_closed(), "{:?} still open", o.id);
        for l in &o.lines {
            shipped += l.shipped().get();
            returned += l.returned.get();
            cancelled += l.cancelled.get();
            ordered += l.ordered.get();
        }
    }
    assert_eq!(shipped, m.units_shipped, "{strategy}: shipped by the book");
    assert_eq!(returned, m.units_returned, "{strategy}: returns recorded in the book");
    assert_eq!(ordered, shipped + cancelled);
    assert!(m.units_returned > 0 && m.orders_cancelled > 0 && m.replenishment_orders > 0);
}

#[test]
fn the_order_lifecycle_conserves_units_and_matches_the_ledger() {
    for (i, name) in omniroute::routing::STRATEGY_NAMES.iter().enumerate() {
        conservation(small(300 + i as u64).return_bp(3_000).cancel_bp(1_000), name);
    }
}

#[test]
fn the_order_lifecycle_conserves_with_random_parameters() {
    for (p, name) in random_runs(0x51ED_0D0E) {
        let (m, f) = run_order(p, name);
        f.check().unwrap_or_else(|e| panic!("{p:?} {name}: {e}"));
        assert_conserved(&m, f.ledger(), &p);
    }
}

#[test]
fn the_order_lifecycle_routes_as_the_atp_fulfiller_does() {
    // Same routing (zone problem, strategy, channel ATP), reserved through
    // the book instead of straight on the ledger: the same run.
    for name in ["optimal", "nearest", "greedy_set_cover"] {
        let s = Scenario::generate(&small(77)).unwrap();
        let st = SimStrategy::by_name(name).unwrap();
        let mut o = OrderFulfiller::for_scenario(&s).unwrap();
        let mo = simulate(&s, &st, &mut o, &SimOptions::new(), &mut NoObserver).unwrap();
        let mut a =
            omniroute::sim::AtpFulfiller::new(s.starting_ledger().unwrap(), s.atp_policy().unwrap()).unwrap();
        let ma = simulate(&s, &st, &mut a, &SimOptions::new(), &mut NoObserver).unwrap();
        assert_eq!(mo, ma, "{name}");
    }
}

#[test]
fn same_seed_same_report_through_the_order_book() {
    let run = |seed| {
        let s = Scenario::generate(&small(seed).orders(150)).unwrap();
        let o = SimOptions::new().fulfiller(FulfillerKind::Order);
        compare(&s, &SimStrategy::all(), &o, &mut NoObserver).unwrap().report_files()
    };
    let (a, b) = (run(11), run(11));
    for (x, y) in a.iter().zip(&b) {
        assert!(x.contents == y.contents, "{} differs between two runs with the same seed", x.name);
    }
    assert!(
        a[1].contents.contains("\"fulfiller\": \"order\"")
            || a[1].contents.contains("\"fulfiller\":\"order\"")
    );
}

#[test]
fn optimal_never_costs_more_per_order_through_the_order_book() {
    // Every order placed with every strategy against the same stock: each
    // placement is cancelled before the next, which puts the stock back.
    let greedy = ["priority", "nearest", "high_stock", "greedy_set_cover", "local_search"];
    let mut worse = 0;
    let mut compared = 0;
    for seed in 0..u64::from(cases(1)) {
        let s = Scenario::generate(&small(400 + seed).orders(150)).unwrap();
        let mut f = OrderFulfiller::for_scenario(&s).unwrap();
        let before = f.ledger().clone();
        let opts = omniroute::routing::RouteOptions::new();
        let mut next_id = 1_000_000_u64;
        for o in s.orders() {
            let p = s.problem(o).unwrap();
            let mut cost = |name: &str| -> Money {
                let mut order = o.clone();
                next_id += 1;
                order.id = OrderId::new(next_id);
                let st = omniroute::routing::strategy_by_name(name).unwrap();
                let placed = f.place(&order, &p, st.as_ref(), &opts, o.at).unwrap();
                f.cancel(order.id, o.at).unwrap();
                placed.plan.cost.expect("a penalty makes every order feasible")
            };
            let best = cost("optimal");
            for g in greedy {
                let c = cost(g);
                assert!(best <= c, "{g}: order {:?} costs {c} < optimal {best}", o.id);
                worse += usize::from(best < c);
                compared += 1;
            }
        }
        // Cancelling put every unit back.
        for (n, k) in before.positions() {
            let (a, b) = (before.position(n, k).unwrap(), f.ledger().position(n, k).unwrap());
            assert_eq!((a.on_hand, a.reserved, a.allocated), (b.on_hand, b.reserved, b.allocated));
        }
        f.check().unwrap();
    }
    assert!(compared > 0);
    assert!(worse > 0, "the greedy strategies should cost more on some orders");
}

#[test]
fn the_order_network_allows_what_the_problems_and_atp_allow() {
    use omniroute::{ChannelId, FulfilmentMethod};
    for seed in 0..3 {
        let s = Scenario::generate(&small(500 + seed)).unwrap();
        let (net, policy) = (s.order_network().unwrap(), s.atp_policy().unwrap());
        for n in s.nodes() {
            for method in [FulfilmentMethod::Ship, FulfilmentMethod::StorePickup, FulfilmentMethod::SameDay] {
                for c in 0..omniroute::sim::CHANNELS.len() as u32 {
                    let ch = ChannelId::new(c);
                    assert_eq!(
                        net.eligible(ch, method, n.node.id),
                        policy.is_eligible(n.node.id, ch, method),
                        "{:?} {method:?} {ch}",
                        n.node.kind
                    );
                }
            }
        }
        // Every pickup order names a store the network lets it use.
        for o in s.orders().iter().filter(|o| o.method == FulfilmentMethod::StorePickup) {
            assert!(net.eligible(o.channel, o.method, o.pickup_at.unwrap()));
        }
    }
}
