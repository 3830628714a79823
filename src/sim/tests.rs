//! Unit tests of the generator's building blocks.

use super::rng::{Rng, Weighted, det_exp, det_ln, isqrt, splitmix64, zipf_weights};
use super::*;

#[test]
fn splitmix_matches_the_published_reference_value() {
    // First output of SplitMix64 from state 0 (Vigna's reference code): 0xE220A8397B1DCDAF.
    let mut s = 0;
    assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
}

#[test]
fn same_seed_same_stream() {
    let mut a = Rng::new(7, 1);
    let mut b = Rng::new(7, 1);
    let mut c = Rng::new(7, 2);
    let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
    let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
    let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
    assert_eq!(xs, ys);
    assert_ne!(xs, zs);
}

#[test]
fn below_stays_in_range_and_covers_it() {
    let mut r = Rng::new(1, 0);
    let mut seen = [false; 7];
    for _ in 0..1000 {
        let x = r.below(7);
        assert!(x < 7);
        seen[x as usize] = true;
    }
    assert!(seen.iter().all(|s| *s));
    assert_eq!(r.below(0), 0);
}

#[test]
fn det_math_is_close_to_std() {
    for x in [1.0, 2.0, 3.0, 10.0, 999.0, 123_456.0] {
        assert!((det_ln(x) - f64::ln(x)).abs() < 1e-12, "ln {x}");
    }
    for x in [-30.0, -1.5, 0.0, 0.7, 12.0] {
        let rel = (det_exp(x) - f64::exp(x)).abs() / f64::exp(x);
        assert!(rel < 1e-13, "exp {x}");
    }
}

#[test]
fn zipf_weights_decrease_and_match_one_over_k() {
    let w = zipf_weights(5, 100);
    assert_eq!(w[0], 1_000_000_000_000);
    assert_eq!(w[1], 500_000_000_000);
    assert_eq!(w[3], 250_000_000_000);
    assert!(w.windows(2).all(|p| p[0] > p[1]));
    // Pinned bits: a platform whose arithmetic differed would fail here.
    let w = zipf_weights(3, 137);
    assert_eq!(w, vec![1_000_000_000_000, 386_891_248_386, 221_995_351_732]);
}

#[test]
fn weighted_draws_follow_weights() {
    let t = Weighted::new(&[0, 3, 1]).unwrap();
    let mut r = Rng::new(3, 3);
    let mut n = [0_u32; 3];
    for _ in 0..4000 {
        n[t.sample(&mut r)] += 1;
    }
    assert_eq!(n[0], 0);
    assert!(n[1] > 2 * n[2], "{n:?}");
    assert!(Weighted::new(&[0, 0]).is_none());
}

#[test]
fn isqrt_is_the_floor() {
    for n in [0_u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
        let r = isqrt(n);
        assert!(u128::from(r) * u128::from(r) <= u128::from(n));
        assert!(u128::from(r + 1) * u128::from(r + 1) > u128::from(n));
    }
}

fn small() -> ScenarioParams {
    ScenarioParams::new().orders(400).skus(300).stores(8).dark_stores(2).zones(6).seed(11)
}

#[test]
fn scenario_is_a_function_of_params_and_seed() {
    let a = Scenario::generate(&small()).unwrap();
    let b = Scenario::generate(&small()).unwrap();
    assert!(a == b);
    let c = Scenario::generate(&small().seed(12)).unwrap();
    assert!(a.orders() != c.orders());
    // Streams are separate: changing the order count leaves the network
    // alone (stock depth follows demand, so it changes).
    let d = Scenario::generate(&small().orders(50)).unwrap();
    assert!(a.nodes() == d.nodes() && a.zones() == d.zones());
}

#[test]
fn orders_are_well_formed() {
    let p = small().orders(3_000);
    let s = Scenario::generate(&p).unwrap();
    let orders = s.orders();
    assert_eq!(orders.len(), 3_000);
    assert!(orders.windows(2).all(|w| w[0].at <= w[1].at && w[0].id < w[1].id));
    let single = orders.iter().filter(|o| o.lines.len() == 1).count();
    assert!((1_300..1_700).contains(&single), "single-line orders: {single}");
    for o in orders {
        assert!(!o.lines.is_empty() && o.lines.len() <= 8);
        let mut skus: Vec<_> = o.lines.iter().map(|l| l.sku).collect();
        skus.sort_unstable();
        skus.dedup();
        assert_eq!(skus.len(), o.lines.len(), "duplicate SKU in {:?}", o.id);
        assert_eq!(o.pickup_at.is_some(), o.method == crate::model::FulfilmentMethod::StorePickup);
        if let Some(c) = o.cancel_at {
            assert!(o.at < c && c < o.release_at);
        }
        for r in &o.returns {
            let line = o.lines.iter().find(|l| l.id == r.line).unwrap();
            assert!(!r.qty.is_zero() && r.qty <= line.quantity);
        }
        for l in &o.lines {
            let prod = &s.products()[l.sku.as_usize()];
            assert_eq!(l.requires.contains("hazmat"), prod.hazmat);
            assert_eq!(l.requires.contains("bulky"), prod.bulky);
        }
    }
}

#[test]
fn stock_is_sorted_positive_and_where_it_can_ship() {
    let s = Scenario::generate(&small()).unwrap();
    assert!(s.stock().windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
    for &(n, k, q) in s.stock() {
        assert!(!q.is_zero());
        let node = &s.nodes()[n.as_usize()].node;
        let p = &s.products()[k.as_usize()];
        if p.hazmat || p.bulky {
            assert!(matches!(node.kind, crate::model::NodeKind::Warehouse | crate::model::NodeKind::Vendor));
        }
        if node.kind == crate::model::NodeKind::Vendor {
            assert_eq!(p.vendor, Some(n));
        }
    }
    // Popular SKUs are stocked at more nodes than unpopular ones.
    let count = |r: std::ops::Range<u32>| s.stock().iter().filter(|e| r.contains(&e.1.get())).count();
    assert!(count(0..30) > 2 * count(270..300));
}

#[test]
fn same_day_nodes_are_local() {
    let s = Scenario::generate(&small()).unwrap();
    for z in s.zones() {
        let t = s.problem_template(z.id).unwrap();
        for n in &t.nodes {
            if n.transit_days == Some(0) {
                assert!(matches!(n.kind, crate::model::NodeKind::Store | crate::model::NodeKind::DarkStore));
            }
        }
    }
}

#[test]
fn invalid_params_are_rejected_by_name() {
    let cases: [(ScenarioParams, &str); 8] = [
        (ScenarioParams::new().orders(0), "orders"),
        (ScenarioParams::new().days(0), "days"),
        (ScenarioParams::new().warehouses(0), "warehouses"),
        (ScenarioParams::new().stores(2_000), "stores"),
        (ScenarioParams::new().return_bp(10_001), "return_bp"),
        (ScenarioParams::new().pickup_bp(6_000).same_day_bp(5_000), "same_day_bp"),
        (ScenarioParams::new().max_lines(17), "max_lines"),
        (
            ScenarioParams::new().unfilled_unit_penalty(crate::model::Money::from_int(-1)),
            "unfilled_unit_penalty",
        ),
    ];
    for (p, want) in cases {
        match Scenario::generate(&p) {
            Err(SimError::InvalidParameter { name, .. }) => assert_eq!(name, want),
            other => panic!("{want}: {other:?}"),
        }
    }
    let too_big = ScenarioParams::new().skus(MAX_SKUS).stores(100);
    assert!(matches!(Scenario::generate(&too_big), Err(SimError::InvalidParameter { name: "skus", .. })));
}

#[test]
fn unknown_strategy_is_an_error() {
    assert!(matches!(SimStrategy::by_name("fastest"), Err(SimError::UnknownStrategy { .. })));
    assert_eq!(
        SimStrategy::all().iter().map(SimStrategy::name).collect::<Vec<_>>(),
        crate::routing::STRATEGY_NAMES
    );
}

#[test]
fn json_strings_are_escaped() {
    let mut s = String::new();
    report::json_str(&mut s, "a\"b\\c\n");
    assert_eq!(s, r#""a\"b\\c\u000a""#);
}
