//! Strategies compared on the same orders and the same starting stock.

use super::SimError;
use super::atp_fulfil::AtpFulfiller;
use super::fulfil::{Fulfiller, LedgerFulfiller, LedgerView};
use super::metrics::{RunMetrics, StaticGap, add, add_money};
use super::order_fulfil::OrderFulfiller;
use super::run::simulate;
use super::scenario::{Scenario, fill_problem};
use super::strategy::{FulfillerKind, Observer, SimOptions, SimStrategy};
use crate::atp::AtpViews;
use crate::ledger::Ledger;
use crate::model::Qty;
use crate::routing::Availability;
use crate::routing::{Optimal, PlanStatus, RoutingProblem, Strategy};

/// One strategy's results in a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StrategyResult {
    /// The strategy's name.
    pub name: String,
    /// The simulation's counters.
    pub metrics: RunMetrics,
    /// Order by order against `optimal` on the starting stock (empty without the static pass).
    pub static_gap: StaticGap,
    /// Units on hand at the end, every physical bucket (on hand, quarantine, damaged, returns pending).
    pub units_on_hand_at_end: u64,
}

/// Strategies compared on one scenario.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Comparison {
    /// The scenario's parameters.
    pub params: super::ScenarioParams,
    /// The fulfiller every strategy ran through.
    pub fulfiller: FulfillerKind,
    /// A result per strategy, in the order given.
    pub results: Vec<StrategyResult>,
}

/// Units in every physical bucket of every position.
///
/// # Errors
///
/// [`SimError::Ledger`] (not reachable for positions the ledger lists).
pub fn physical_units(ledger: &Ledger) -> Result<u64, SimError> {
    let mut total = 0_u64;
    for (n, s) in ledger.positions() {
        let p = ledger.position(n, s).map_err(|e| SimError::Ledger { step: "report", error: e })?;
        for q in [p.on_hand, p.quarantine, p.damaged, p.returns_pending] {
            add(&mut total, q.get(), "units on hand")?;
        }
    }
    Ok(total)
}

/// Routes every order against the starting stock with `optimal` and each
/// strategy, and compares costs order by order.
fn static_pass(
    scenario: &Scenario,
    start: &Ledger,
    views: Option<&AtpViews>,
    strategies: &[SimStrategy],
    options: &SimOptions,
    observer: &mut dyn Observer,
) -> Result<Vec<StaticGap>, SimError> {
    let ledger_view = LedgerView(start);
    let penalty = scenario.params().unfilled_unit_penalty;
    let mut gaps = vec![StaticGap::default(); strategies.len()];
    let mut problems: Vec<RoutingProblem> =
        (0..scenario.zones().len()).filter_map(|z| scenario.problem_template(z as u32).cloned()).collect();
    observer.pass_started("static", scenario.orders().len());
    for (i, o) in scenario.orders().iter().enumerate() {
        observer.order_started("static", i);
        let p = problems.get_mut(o.zone as usize).ok_or(SimError::Overflow { what: "zone index" })?;
        fill_problem(p, o, penalty);
        let units = o.lines.iter().fold(0_u64, |a, l| a.saturating_add(l.quantity.get()));
        let all_unfilled =
            penalty.checked_mul_qty(Qty::new(units)).map_err(|_| SimError::Overflow { what: "penalty" })?;
        let channel_view = match views {
            Some(v) => Some(v.for_channel(o.channel, o.method)?),
            None => None,
        };
        let view: &dyn Availability = match &channel_view {
            Some(v) => v,
            None => &ledger_view,
        };
        let best = Optimal.route(p, view, &options.route)?;
        let best_cost = best.cost.unwrap_or(all_unfilled);
        for (g, st) in gaps.iter_mut().zip(strategies) {
            let mut slot = None;
            let strat = st.for_order(scenario, p, view, &mut slot);
            let cost = match strat.route(p, view, &options.route) {
                Ok(plan) => plan.cost.unwrap_or(all_unfilled),
                Err(_) => {
                    add(&mut g.route_errors, 1, "route errors")?;
                    all_unfilled
                }
            };
            add(&mut g.orders, 1, "orders")?;
            add_money(&mut g.cost, cost, "cost")?;
            add_money(&mut g.optimal_cost, best_cost, "cost")?;
            if best.status != PlanStatus::Optimal {
                add(&mut g.optimal_unproven, 1, "orders")?;
            }
            if cost > best_cost {
                add(&mut g.orders_worse, 1, "orders")?;
                let gap = cost.checked_sub(best_cost).map_err(|_| SimError::Overflow { what: "gap" })?;
                g.max_gap = g.max_gap.max(gap);
            } else if cost < best_cost {
                add(&mut g.orders_better, 1, "orders")?;
            }
        }
        observer.order_finished("static", i);
    }
    Ok(gaps)
}

/// Compares `strategies` on `scenario`: each runs the whole simulation
/// ([`simulate`]) on its own copy of the starting ledger, through the
/// fulfiller [`SimOptions::fulfiller`] names — by default an
/// [`OrderFulfiller`] (the order book over the ledger, promising through
/// the ATP views of [`Scenario::atp_policy`]), else an [`AtpFulfiller`] or
/// a [`LedgerFulfiller`] — and ends with its [`Fulfiller::check`] (ledger
/// invariants; ATP views against a fresh computation; for the order
/// fulfiller the book's invariants, the book against the ledger, and every
/// order closed). With the static
/// pass on ([`SimOptions::static_pass`]), each also routes every order
/// against the starting stock — as the same fulfiller sees it: the order's
/// channel and method ATP, or raw ledger availability — compared order by
/// order with `optimal` ([`StaticGap`]).
///
/// # Errors
///
/// As [`simulate`]; also [`SimError::Routing`] when `optimal` itself fails
/// in the static pass, [`SimError::Ledger`] when a run ends with a broken
/// ledger invariant, [`SimError::AtpDiverged`] when the ATP views drifted
/// from the ledger.
///
/// # Complexity
///
/// O(strategies × simulate), plus O(strategies × orders × route) for the static pass.
///
/// # Example
///
/// ```
/// use omniroute::sim::*;
/// let s = Scenario::generate(&ScenarioParams::new().orders(60).skus(150).stores(4))?;
/// let strategies = vec![SimStrategy::by_name("optimal")?, SimStrategy::by_name("priority")?];
/// let c = compare(&s, &strategies, &SimOptions::new(), &mut NoObserver)?;
/// assert_eq!(c.results.len(), 2);
/// assert!(c.results[0].static_gap.cost <= c.results[1].static_gap.cost);
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
pub fn compare(
    scenario: &Scenario,
    strategies: &[SimStrategy],
    options: &SimOptions,
    observer: &mut dyn Observer,
) -> Result<Comparison, SimError> {
    let start = scenario.starting_ledger()?;
    let (atp, order) = match options.fulfiller {
        FulfillerKind::Atp => (Some(AtpFulfiller::new(start.clone(), scenario.atp_policy()?)?), None),
        FulfillerKind::Order => (None, Some(OrderFulfiller::for_scenario(scenario)?)),
        FulfillerKind::Ledger => (None, None),
    };
    let views = match (&atp, &order) {
        (Some(f), _) => Some(f.views()),
        (_, Some(f)) => Some(f.views()),
        _ => None,
    };
    let gaps = if options.static_pass {
        static_pass(scenario, &start, views, strategies, options, observer)?
    } else {
        vec![StaticGap::default(); strategies.len()]
    };
    let mut results = Vec::with_capacity(strategies.len());
    for (st, gap) in strategies.iter().zip(gaps) {
        let (metrics, units_on_hand_at_end) = match (&atp, &order) {
            (Some(f), _) => run_one(scenario, st, &mut f.clone(), options, observer)?,
            (_, Some(f)) => run_one(scenario, st, &mut f.clone(), options, observer)?,
            _ => run_one(scenario, st, &mut LedgerFulfiller::new(start.clone()), options, observer)?,
        };
        results.push(StrategyResult {
            name: st.name().to_owned(),
            metrics,
            static_gap: gap,
            units_on_hand_at_end,
        });
    }
    Ok(Comparison { params: *scenario.params(), fulfiller: options.fulfiller, results })
}

/// One strategy's run through `f`, checked at the end.
fn run_one<F: Fulfiller>(
    scenario: &Scenario,
    strategy: &SimStrategy,
    f: &mut F,
    options: &SimOptions,
    observer: &mut dyn Observer,
) -> Result<(RunMetrics, u64), SimError> {
    let metrics = simulate(scenario, strategy, f, options, observer)?;
    f.check()?;
    Ok((metrics, physical_units(f.ledger())?))
}
