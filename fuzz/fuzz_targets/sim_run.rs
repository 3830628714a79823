//! Whole simulations of small scenarios drawn from the fuzz bytes, through
//! every fulfiller. Beyond "no panic", each run must pass its fulfiller's
//! end-of-run check (ledger invariants, ATP views equal a fresh computation,
//! for the order fulfiller the book's invariants, the book against the
//! ledger and every order closed), conserve units (in = out + on hand, filled
//! = shipped + released), and the order fulfiller must measure exactly what
//! the ATP fulfiller does (same routing, reserved through the order book).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use omniroute::Money;
use omniroute::sim::{
    AtpFulfiller, Fulfiller, LedgerFulfiller, NoObserver, OrderFulfiller, RunMetrics, Scenario,
    ScenarioParams, SimOptions, SimStrategy, physical_units, simulate,
};

#[derive(Arbitrary, Debug)]
struct Params {
    seed: u64,
    strategy: u8,
    orders: u8,
    skus: u8,
    warehouses: u8,
    stores: u8,
    dark_stores: u8,
    vendors: u8,
    zones: u8,
    days: u8,
    lead_days: u8,
    max_lines: u8,
    cover_days: u8,
    pickup_bp: u16,
    same_day_bp: u16,
    ship_complete_bp: u16,
    single_line_bp: u16,
    hazmat_bp: u16,
    bulky_bp: u16,
    drop_ship_bp: u16,
    cancel_bp: u16,
    return_bp: u16,
    penalty: u8,
}

fn bp(v: u16) -> u32 {
    u32::from(v) % 10_001
}

fn params(p: &Params) -> ScenarioParams {
    let pickup = bp(p.pickup_bp);
    ScenarioParams::new()
        .seed(p.seed)
        .orders(1 + u32::from(p.orders % 60))
        .skus(1 + u32::from(p.skus % 40))
        .warehouses(1 + u32::from(p.warehouses % 3))
        .stores(u32::from(p.stores % 6))
        .dark_stores(u32::from(p.dark_stores % 3))
        .vendors(u32::from(p.vendors % 3))
        .zones(1 + u32::from(p.zones % 4))
        .days(1 + u32::from(p.days % 3))
        .lead_days(u32::from(p.lead_days % 3))
        .max_lines(1 + u32::from(p.max_lines % 6))
        .cover_days(1 + u32::from(p.cover_days % 10))
        .pickup_bp(pickup)
        .same_day_bp(bp(p.same_day_bp).min(10_000 - pickup))
        .ship_complete_bp(bp(p.ship_complete_bp))
        .single_line_bp(bp(p.single_line_bp))
        .hazmat_bp(bp(p.hazmat_bp))
        .bulky_bp(bp(p.bulky_bp))
        .drop_ship_bp(bp(p.drop_ship_bp))
        .cancel_bp(bp(p.cancel_bp))
        .return_bp(bp(p.return_bp))
        .unfilled_unit_penalty(Money::from_int(i64::from(p.penalty)))
}

fn run<F: Fulfiller>(s: &Scenario, st: &SimStrategy, f: &mut F) -> RunMetrics {
    let m = simulate(s, st, f, &SimOptions::new(), &mut NoObserver).expect("a generated scenario runs");
    f.check().expect("end-of-run check");
    let on_hand = physical_units(f.ledger()).expect("positions");
    assert_eq!(m.units_supplied + m.units_returned, m.units_shipped + m.units_disposed_out + on_hand);
    assert_eq!(m.units_filled + m.units_unfilled, m.units_ordered);
    assert_eq!(m.units_filled, m.units_shipped + m.units_released);
    m
}

fuzz_target!(|p: Params| {
    let params = params(&p);
    let Ok(s) = Scenario::generate(&params) else { return };
    let name = omniroute::routing::STRATEGY_NAMES[usize::from(p.strategy) % 7];
    let st = SimStrategy::by_name(name).expect("a built-in strategy");
    let ledger = s.starting_ledger().expect("starting stock");
    let policy = s.atp_policy().expect("policy");
    let mo = run(&s, &st, &mut OrderFulfiller::for_scenario(&s).expect("order fulfiller"));
    let ma = run(&s, &st, &mut AtpFulfiller::new(ledger.clone(), policy).expect("atp fulfiller"));
    run(&s, &st, &mut LedgerFulfiller::new(ledger));
    assert_eq!(mo, ma, "order and atp fulfillers differ ({name}, {params:?})");
});
