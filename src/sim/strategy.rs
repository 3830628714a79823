//! Strategies as the simulation runs them, run options and the observer hooks.

use rust_decimal::Decimal;

use super::SimError;
use super::scenario::Scenario;
use crate::model::Money;
use crate::routing::{
    Availability, LookAhead, RouteOptions, RoutingProblem, STRATEGY_NAMES, Strategy, strategy_by_name,
};

/// A strategy as the simulation runs it.
///
/// `look_ahead` is [`LookAhead`] with *scarcity prices* recomputed for every
/// order: a unit of SKU `s` at a node holding `a` units, where the whole
/// network sells `θ` units of `s` a day, costs `2.00 × (θ − a) / θ` extra
/// when `a < θ` (and nothing otherwise) — thin positions of fast movers are
/// kept for the orders that need them (pickups and same day). It is a
/// heuristic estimate of opportunity cost, not dual prices from a network LP.
///
/// ```
/// use omniroute::sim::SimStrategy;
/// assert_eq!(SimStrategy::by_name("look_ahead")?.name(), "look_ahead");
/// assert_eq!(SimStrategy::all().len(), 7);
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
pub struct SimStrategy {
    name: String,
    inner: Box<dyn Strategy>,
    scarcity: bool,
}

impl core::fmt::Debug for SimStrategy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimStrategy").field("name", &self.name).field("scarcity", &self.scarcity).finish()
    }
}

/// The scarcity price scale of `look_ahead`, per unit.
const SCARCITY_SCALE_CENTS: u64 = 200;

impl SimStrategy {
    /// A built-in strategy by its routing name (`optimal`, `priority`,
    /// `nearest`, `high_stock`, `greedy_set_cover`, `local_search`,
    /// `look_ahead`).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownStrategy`] for any other name.
    pub fn by_name(name: &str) -> Result<Self, SimError> {
        let inner =
            strategy_by_name(name).ok_or_else(|| SimError::UnknownStrategy { name: name.to_owned() })?;
        Ok(Self { name: name.to_owned(), inner, scarcity: name == "look_ahead" })
    }

    /// Every built-in strategy, in [`STRATEGY_NAMES`] order.
    #[must_use]
    pub fn all() -> Vec<Self> {
        STRATEGY_NAMES.iter().filter_map(|n| Self::by_name(n).ok()).collect()
    }

    /// A researcher's own strategy, run as it is.
    #[must_use]
    pub fn custom(strategy: Box<dyn Strategy>) -> Self {
        Self { name: strategy.name().to_owned(), inner: strategy, scarcity: false }
    }

    /// The name in reports.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The strategy for one order: the scarcity-priced look-ahead or the strategy itself.
    pub(crate) fn for_order<'a>(
        &'a self,
        scenario: &Scenario,
        problem: &RoutingProblem,
        avail: &dyn Availability,
        slot: &'a mut Option<LookAhead>,
    ) -> &'a dyn Strategy {
        if !self.scarcity {
            return self.inner.as_ref();
        }
        let mut la = LookAhead::new();
        for line in &problem.lines {
            let theta = scenario
                .products()
                .get(line.sku.as_usize())
                .map_or(1, |p| p.daily_demand_milli.div_ceil(1_000).max(1));
            for n in &problem.nodes {
                let a = avail.available(n.id, line.sku).get();
                if a == 0 || a >= theta {
                    continue;
                }
                let c = SCARCITY_SCALE_CENTS
                    .saturating_mul(theta.saturating_sub(a))
                    .checked_div(theta)
                    .unwrap_or(0);
                if c > 0 {
                    let cost = Money::new(Decimal::new(i64::try_from(c).unwrap_or(i64::MAX), 2));
                    la = la.with_opportunity_cost(n.id, line.sku, cost);
                }
            }
        }
        slot.insert(la)
    }
}

/// Options of a run. `Copy`, with by-value setters.
///
/// ```
/// use omniroute::routing::RouteOptions;
/// use omniroute::sim::SimOptions;
/// let o = SimOptions::new().route(RouteOptions::new().max_node_sets(50_000)).static_pass(false);
/// assert!(!o.get_static_pass());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    pub(crate) route: RouteOptions,
    pub(crate) static_pass: bool,
    pub(crate) fulfiller: FulfillerKind,
}

/// Which [`Fulfiller`](super::Fulfiller) [`compare`](super::compare) runs each strategy through.
///
/// ```
/// use omniroute::sim::FulfillerKind;
/// assert_eq!(FulfillerKind::default(), FulfillerKind::Order);
/// assert_eq!(FulfillerKind::by_name("ledger"), Some(FulfillerKind::Ledger));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FulfillerKind {
    /// [`OrderFulfiller`](super::OrderFulfiller): the order lifecycle
    /// ([`OrderBook`](crate::order::OrderBook) place / release / ship /
    /// cancel / record return) over the ledger, promising through the ATP
    /// views of [`Scenario::atp_policy`](super::Scenario::atp_policy).
    #[default]
    Order,
    /// [`AtpFulfiller`](super::AtpFulfiller) under
    /// [`Scenario::atp_policy`](super::Scenario::atp_policy): routing sees
    /// what the order's channel may promise by its method; reservations go
    /// straight to the ledger, without the order book.
    Atp,
    /// [`LedgerFulfiller`](super::LedgerFulfiller): routing sees raw ledger
    /// availability; the channel has no effect.
    Ledger,
}

impl FulfillerKind {
    /// Every kind, default first.
    pub const ALL: [Self; 3] = [Self::Order, Self::Atp, Self::Ledger];

    /// Its name in reports and on the command line (`order`, `atp`, `ledger`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Atp => "atp",
            Self::Ledger => "ledger",
        }
    }

    /// The kind named `name`, if any.
    #[must_use]
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl SimOptions {
    /// Default routing options; the static pass on; the order fulfiller.
    #[must_use]
    pub const fn new() -> Self {
        Self { route: RouteOptions::new(), static_pass: true, fulfiller: FulfillerKind::Order }
    }

    /// The routing options every strategy gets.
    #[must_use]
    pub const fn route(mut self, route: RouteOptions) -> Self {
        self.route = route;
        self
    }

    /// Whether [`compare`](super::compare) also routes every order against the starting
    /// stock with every strategy and `optimal` ([`StaticGap`](super::StaticGap)).
    #[must_use]
    pub const fn static_pass(mut self, yes: bool) -> Self {
        self.static_pass = yes;
        self
    }

    /// The fulfiller [`compare`](super::compare) runs through (default [`FulfillerKind::Order`]).
    #[must_use]
    pub const fn fulfiller(mut self, kind: FulfillerKind) -> Self {
        self.fulfiller = kind;
        self
    }

    /// See [`Self::fulfiller`].
    #[must_use]
    pub const fn get_fulfiller(&self) -> FulfillerKind {
        self.fulfiller
    }

    /// See [`Self::route`].
    #[must_use]
    pub const fn get_route(&self) -> RouteOptions {
        self.route
    }

    /// See [`Self::static_pass`].
    #[must_use]
    pub const fn get_static_pass(&self) -> bool {
        self.static_pass
    }
}

/// Hooks the host uses to time and follow a run; the library has no clock.
/// Every method has an empty default.
///
/// ```
/// use omniroute::sim::Observer;
/// struct Count(usize);
/// impl Observer for Count {
///     fn order_finished(&mut self, _: &str, _: usize) { self.0 += 1; }
/// }
/// ```
pub trait Observer {
    /// A pass over the orders begins: `strategy`'s run (or `static:<name>`
    /// for the static pass), of `orders` orders.
    fn pass_started(&mut self, strategy: &str, orders: usize) {
        let _ = (strategy, orders);
    }
    /// The placement of order `index` (route + reserve) begins.
    fn order_started(&mut self, strategy: &str, index: usize) {
        let _ = (strategy, index);
    }
    /// The placement of order `index` is done.
    fn order_finished(&mut self, strategy: &str, index: usize) {
        let _ = (strategy, index);
    }
}

/// The observer that observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}
