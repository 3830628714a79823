//! The exact optimiser and the cost look-ahead built on it.

use std::collections::BTreeMap;

use super::compile::compile;
use super::exact::branch_and_bound;
use super::{Availability, Plan, PlanStatus, RouteOptions, RoutingError, RoutingProblem, Strategy, build};
use crate::model::{Money, NodeId, Sku};

/// `optimal`: the least-cost plan under every hard rule, proven.
///
/// Cost is shipment costs of the nodes that ship, plus units × unit costs,
/// plus unfilled units × the penalty (shared/spec/routing-instance.md,
/// "Objective"), computed exactly.
///
/// # Method
///
/// The problem is compiled to dense indices (candidate nodes: eligible for a
/// line they hold stock of, after `pickup_at`, `deliver_within_days`,
/// capabilities and `max_units: 0`) and integer costs at a common scale. The
/// incumbent starts as the best of: everything unfilled (with a penalty) and
/// the cheapest single node that ships the whole order (when the search
/// limit is hit, the greedy set cover's plan is also considered, so a
/// `feasible` plan is never worse than greedy's). A branch-and-bound then enumerates node sets, at most
/// `max_shipments` large, taking nodes in order of cost per unit they could
/// ship; a set is extended only while lower bounds stay below the incumbent:
/// first a capacity-free bound (every unit at the least unit cost among the
/// set, the penalty, and every later node's unit cost plus its shipment cost
/// amortised over the units it could ship — the linear relaxation of the
/// fixed charge), then the same bound as an exact min-cost flow that respects
/// the set's stock and caps. A node *dominated* by an earlier node in the
/// search order (the other is eligible for every line it is, has at least
/// its stock of each up to the demand, at least its cap, no higher unit cost
/// for any of those lines and a strictly smaller shipment cost after the
/// tie-break) joins a set only when its dominator is already in it: the
/// optimum never opens it without its dominator. A set is evaluated exactly: keep-together groups
/// (and, without `split_lines`, every line) are assigned whole to a node of
/// the set or left unfilled by a depth-first search, and the freely
/// splitting lines then go by an exact min-cost flow (lines of one SKU share
/// the node's stock, `max_units` caps the node, the penalty is a dummy
/// source) — or, when every line splits freely, no two lines share a SKU and
/// no node of the set has a cap below the demand, line by line from the
/// set's cheapest stock, which is that flow's optimum without building it). `ship_complete` is solved directly: each node that can ship the
/// whole order alone, or nothing.
///
/// A second lower bound is Lagrangian: price each line's units at a
/// multiplier (its least unit cost plus shipment cost amortised over a
/// node's usable units), and every plan opening a node set costs at least a
/// constant plus, for each node of the set, its reduced shipment cost (its
/// shipment cost less what its stock would save at those prices, when
/// positive) — a facility-location relaxation, exact in integers for any
/// multipliers. Before the search is set up, every node whose bound alone
/// reaches the incumbent, or exceeds the cost of a cheap pair of nodes (the
/// pairs among the few of least reduced cost, each evaluated exactly), is
/// removed; in the search it bounds each child in O(1).
///
/// Before that search, orders whose lines split freely, with distinct SKUs,
/// no binding cap, at most 128 candidates and at least the default search
/// limit, try a fast path: the best plan of at most two shipments (every
/// single node and the pairs a bound leaves), returned when it is strictly
/// cheaper (after the tie-break perturbation) than the least shipment costs
/// of any three nodes plus every unit at its cheapest cost — it is then the
/// optimum, and the plan the search would return (the same allocation, in
/// the search's order).
///
/// # Tie-break
///
/// Among plans of least cost: the fewest shipments; then the least sum of the
/// shipping nodes' ranks in node-id order (the interchange format gives node
/// ids in sorted order of the instance's string ids). This is exact: costs
/// are perturbed by `shipments × B + Σ ranks` below the cost's last digit
/// and the perturbed optimum is found. Plans equal on all three are decided
/// by the search order, which depends only on node data and ids (nodes by
/// cost per unit they could ship, then id; lines by id; groups by their first
/// line). So the plan does not depend on the order of nodes, lines or JSON
/// keys.
///
/// # Search limit
///
/// [`RouteOptions::max_node_sets`] bounds the sets visited. When it is
/// reached the best plan so far has status [`PlanStatus::Feasible`]; if no
/// plan was found yet the result is [`RoutingError::GaveUp`].
///
/// # Complexity
///
/// O(nodes × lines) to compile, O(candidates × lines + candidates log
/// candidates) to set the search up; the search is exponential in the worst
/// case but bounded by the visit limit; each visit costs O(candidates ×
/// lines) for its children's capacity-free bounds (dominated candidates are
/// skipped without a test) and at most a min-cost flow on O(set × SKUs +
/// lines) vertices.
///
/// # Example
///
/// ```
/// use omniroute::routing::{Optimal, OrderLine, PlanStatus, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// // Two lines; one node has both, two others have one each but cost less per unit.
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_shipment_cost("5".parse()?).with_unit_cost("2".parse()?),
///     Node::new(NodeId::new(1), NodeKind::Store).with_shipment_cost("5".parse()?),
///     Node::new(NodeId::new(2), NodeKind::Store).with_shipment_cost("5".parse()?),
/// ];
/// let lines = vec![
///     OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1)),
///     OrderLine::new(LineId::new(1), Sku::new(1), Qty::new(1)),
/// ];
/// let mut stock = StockTable::new();
/// for (n, s) in [(0, 0), (0, 1), (1, 0), (2, 1)] {
///     stock.set(NodeId::new(n), Sku::new(s), Qty::new(1))?;
/// }
/// let plan = Optimal.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.status, PlanStatus::Optimal);
/// assert_eq!(plan.cost, Some("9".parse()?)); // one shipment at 5 + 2 × 2 beats two at 5
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Optimal;

impl Strategy for Optimal {
    fn name(&self) -> &str {
        "optimal"
    }

    fn route(
        &self,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        solve(problem, availability, options, None, self.name(), true)
    }
}

pub(crate) fn solve(
    problem: &RoutingProblem,
    availability: &dyn Availability,
    options: &RouteOptions,
    extra: Option<&BTreeMap<(NodeId, Sku), Money>>,
    name: &str,
    exact_objective: bool,
) -> Result<Plan, RoutingError> {
    let c = compile(problem, availability, extra)?;
    let out = branch_and_bound(&c, None, options.get_max_node_sets())?;
    match out.best {
        None if out.complete => Ok(Plan::infeasible(name)),
        None => Err(RoutingError::GaveUp { evaluated: out.visits }),
        Some(a) => {
            let status =
                if out.complete && exact_objective { PlanStatus::Optimal } else { PlanStatus::Feasible };
            build::build(problem, &c, &a.allocs, status, name)
        }
    }
}

/// `look_ahead`: least cost where each unit shipped from a node also costs
/// that (node, SKU)'s *opportunity cost* — the caller's estimate (e.g. dual
/// prices from a network plan) of what using that unit here takes from later
/// orders. It runs the exact optimiser on the augmented unit costs and reports
/// the plan's true cost; the status is [`PlanStatus::Feasible`], since the
/// plan is optimal for the augmented objective, not necessarily for this
/// order alone.
///
/// # Example
///
/// ```
/// use omniroute::routing::{LookAhead, OrderLine, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_shipment_cost("1".parse()?),
///     Node::new(NodeId::new(1), NodeKind::Warehouse).with_shipment_cost("2".parse()?),
/// ];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(1))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(1))?;
/// // Node 0's last unit is worth 5 to later orders: ship from node 1.
/// let la = LookAhead::new().with_opportunity_cost(NodeId::new(0), Sku::new(0), "5".parse()?);
/// let plan = la.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.shipments[0].node, NodeId::new(1));
/// assert_eq!(plan.cost, Some("2".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookAhead {
    opportunity: BTreeMap<(NodeId, Sku), Money>,
}

impl LookAhead {
    /// No opportunity costs (then it plans like `optimal`, reporting `feasible`).
    #[must_use]
    pub const fn new() -> Self {
        Self { opportunity: BTreeMap::new() }
    }

    /// Sets the opportunity cost per unit of `sku` shipped from `node`.
    #[must_use]
    pub fn with_opportunity_cost(mut self, node: NodeId, sku: Sku, cost: Money) -> Self {
        self.opportunity.insert((node, sku), cost);
        self
    }
}

impl Strategy for LookAhead {
    fn name(&self) -> &str {
        "look_ahead"
    }

    fn route(
        &self,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        super::compile::validate(problem)?;
        if self.opportunity.values().any(|m| m.is_negative()) {
            return Err(RoutingError::NegativeCost { what: "opportunity cost" });
        }
        solve(problem, availability, options, Some(&self.opportunity), self.name(), false)
    }
}
