//! Order splitting and routing: which nodes ship which units of an order.
//!
//! A [`RoutingProblem`] (nodes, lines, rules, destination, delivery window,
//! pickup node) is routed by a [`Strategy`] with availability read through
//! the [`Availability`] trait, giving a [`Plan`]: shipments, unfilled units,
//! the exact cost and a status (`optimal`, `feasible` or `infeasible`).
//!
//! Strategies every build has:
//! - [`Optimal`] — exact least cost under every hard rule, proven (the default);
//! - [`Priority`], [`Nearest`], [`HighStock`] — the rule-based selection of the
//!   common commerce platforms, exactly as shared/spec/routing-instance.md defines them;
//! - [`GreedySetCover`], [`LocalSearch`] — heuristics;
//! - [`LookAhead`] — least cost with caller-supplied per-(node, SKU)
//!   opportunity costs (dual prices).
//!
//! A host that routes many orders over the same nodes compiles them once
//! into a [`RoutingNetwork`] and routes each [`RouteRequest`] with
//! [`RoutingNetwork::route_with`] and a reused [`RouteWorkspace`]: the same
//! plans as [`Optimal`], but a call touches only the nodes that stock the
//! order's SKUs (listed by [`Availability::for_each_stocking`], which
//! [`StockTable`] answers from per-SKU lists), and an order that one node can
//! ship at a cost no split can beat is answered from the nodes sorted by
//! their least one-unit cost (one line) or least unit cost (several lines),
//! without a search.
//!
//! Researchers implement [`Strategy`] for their own. [`explain`] says which
//! nodes were candidates, which rule excluded each other node, and how a
//! plan's cost is made up. With the `serde` feature, [`Instance`] reads the
//! JSON instance format and [`route_stream`] routes a stream of instances to
//! one plan per line (the engine of `examples/route.rs`).

mod build;
mod compile;
mod error;
mod exact;
mod explain;
mod flow;
mod heuristics;
#[cfg(feature = "serde")]
mod instance;
mod network;
mod optimal;
mod pairs;
mod plan;
mod problem;
mod rules;

pub use compile::MAX_LINES;
pub use error::RoutingError;
pub use explain::{CostBreakdown, Exclusion, Explanation, explain};
pub use heuristics::{GreedySetCover, LocalSearch};
#[cfg(feature = "serde")]
pub use instance::{INSTANCE_FORMAT, Instance, PLAN_FORMAT, PlanStream, error_plan_json, route_stream};
pub use network::{RouteRequest, RouteWorkspace, RoutingNetwork};
pub use optimal::{LookAhead, Optimal};
pub use plan::{LineQty, Plan, PlanStatus, Shipment};
pub use problem::{Availability, GroupId, OrderLine, RouteOptions, RoutingProblem, Rules, StockTable};
pub use rules::{HighStock, Nearest, Priority};

/// A routing strategy: turns a problem and availability into a plan.
///
/// Implementations must honour every hard rule or report
/// [`PlanStatus::Infeasible`], must be deterministic, and say in their docs
/// what they optimise.
///
/// ```
/// use omniroute::routing::{Availability, Plan, RouteOptions, RoutingError, RoutingProblem, Strategy};
/// /// Never ships anything: a baseline for research.
/// struct Nothing;
/// impl Strategy for Nothing {
///     fn name(&self) -> &str { "nothing" }
///     fn route(&self, _: &RoutingProblem, _: &dyn Availability, _: &RouteOptions) -> Result<Plan, RoutingError> {
///         Ok(Plan::infeasible(self.name()))
///     }
/// }
/// ```
pub trait Strategy {
    /// The strategy's name, as written in plans.
    fn name(&self) -> &str;

    /// Routes `problem`.
    ///
    /// # Errors
    ///
    /// A [`RoutingError`] when the problem is invalid, a computation
    /// overflows, or a search limit is reached with no plan at all.
    fn route(
        &self,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError>;
}

/// The names of the built-in strategies, as [`strategy_by_name`] accepts them.
pub const STRATEGY_NAMES: [&str; 7] =
    ["optimal", "priority", "nearest", "high_stock", "greedy_set_cover", "local_search", "look_ahead"];

/// A built-in strategy by name (see [`STRATEGY_NAMES`]); `look_ahead` has no
/// opportunity costs this way.
///
/// ```
/// use omniroute::routing::strategy_by_name;
/// assert_eq!(strategy_by_name("nearest").unwrap().name(), "nearest");
/// assert!(strategy_by_name("fastest").is_none());
/// ```
#[must_use]
pub fn strategy_by_name(name: &str) -> Option<Box<dyn Strategy>> {
    Some(match name {
        "optimal" => Box::new(Optimal),
        "priority" => Box::new(Priority),
        "nearest" => Box::new(Nearest),
        "high_stock" => Box::new(HighStock),
        "greedy_set_cover" => Box::new(GreedySetCover),
        "local_search" => Box::new(LocalSearch),
        "look_ahead" => Box::new(LookAhead::new()),
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
