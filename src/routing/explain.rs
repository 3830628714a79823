//! Explanations: which nodes were candidates, which rule excluded each other
//! node, and how a plan's cost is made up.

use super::{Availability, Plan, RoutingError, RoutingProblem};
use crate::model::{Money, NodeId, Qty};

/// Why a node could not ship any line of the order. The first rule that
/// applies, in this order, is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Exclusion {
    /// The order is picked up at another node.
    PickupElsewhere,
    /// The node's transit days exceed the delivery window.
    TooSlow,
    /// The node's `max_units` is 0.
    NoCapacity,
    /// The node lacks a capability every line it stocks requires.
    MissingCapability,
    /// The node has none of the order's SKUs available.
    NoStock,
}

/// How a plan's cost is made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CostBreakdown {
    /// Shipment costs of the nodes that ship.
    pub shipments: Money,
    /// Units × unit costs.
    pub units: Money,
    /// Unfilled units × the penalty.
    pub unfilled: Money,
    /// The sum: the plan's cost.
    pub total: Money,
}

/// A plan's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Explanation {
    /// Nodes that could ship at least one line, by id.
    pub candidates: Vec<NodeId>,
    /// Every other node and the first rule that excluded it, by id.
    pub excluded: Vec<(NodeId, Exclusion)>,
    /// The cost of the plan, by component; `None` for an infeasible plan.
    pub cost: Option<CostBreakdown>,
}

/// Explains `plan` for `problem`.
///
/// # Errors
///
/// The problem's validation errors (see [`RoutingError`]), and
/// [`RoutingError::Overflow`] if the cost does not fit.
///
/// # Example
///
/// ```
/// use omniroute::routing::{explain, Exclusion, Optimal, OrderLine, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_shipment_cost("4".parse()?),
///     Node::new(NodeId::new(1), NodeKind::Store).with_transit_days(9),
/// ];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(1))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(1))?;
/// let p = RoutingProblem::new(nodes, lines).with_deliver_within_days(Some(2));
/// let plan = Optimal.route(&p, &stock, &RouteOptions::new())?;
/// let e = explain(&p, &stock, &plan)?;
/// assert_eq!(e.candidates, [NodeId::new(0)]);
/// assert_eq!(e.excluded, [(NodeId::new(1), Exclusion::TooSlow)]);
/// assert_eq!(e.cost.unwrap().shipments, "4".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain(
    problem: &RoutingProblem,
    availability: &dyn Availability,
    plan: &Plan,
) -> Result<Explanation, RoutingError> {
    super::compile::validate(problem)?;
    let ovf = || RoutingError::overflow("plan cost");
    let mut candidates = Vec::new();
    let mut excluded = Vec::new();
    for node in &problem.nodes {
        let why = if problem.pickup_at.is_some_and(|p| p != node.id) {
            Some(Exclusion::PickupElsewhere)
        } else if matches!((problem.deliver_within_days, node.transit_days), (Some(w), Some(t)) if t > w) {
            Some(Exclusion::TooSlow)
        } else if node.max_units.is_some_and(Qty::is_zero) {
            Some(Exclusion::NoCapacity)
        } else {
            let stocked: Vec<_> =
                problem.lines.iter().filter(|l| !availability.available(node.id, l.sku).is_zero()).collect();
            if stocked.is_empty() {
                Some(Exclusion::NoStock)
            } else if !stocked.iter().any(|l| node.capabilities.contains_all(&l.requires)) {
                Some(Exclusion::MissingCapability)
            } else {
                None
            }
        };
        match why {
            Some(w) => excluded.push((node.id, w)),
            None => candidates.push(node.id),
        }
    }
    candidates.sort_unstable();
    excluded.sort_unstable();
    let cost = if plan.cost.is_none() {
        None
    } else {
        let mut b = CostBreakdown {
            shipments: Money::ZERO,
            units: Money::ZERO,
            unfilled: Money::ZERO,
            total: Money::ZERO,
        };
        for s in &plan.shipments {
            let Some(node) = problem.nodes.iter().find(|n| n.id == s.node) else { continue };
            b.shipments = b.shipments.checked_add(node.shipment_cost).map_err(|_| ovf())?;
            for lq in &s.lines {
                let Some(line) = problem.lines.iter().find(|l| l.id == lq.line) else { continue };
                let c = problem.unit_cost(node, line.sku).checked_mul_qty(lq.quantity).map_err(|_| ovf())?;
                b.units = b.units.checked_add(c).map_err(|_| ovf())?;
            }
        }
        if let Some(p) = problem.rules.get_unfilled_unit_penalty() {
            for u in &plan.unfilled {
                b.unfilled = b
                    .unfilled
                    .checked_add(p.checked_mul_qty(u.quantity).map_err(|_| ovf())?)
                    .map_err(|_| ovf())?;
            }
        }
        b.total =
            b.shipments.checked_add(b.units).and_then(|t| t.checked_add(b.unfilled)).map_err(|_| ovf())?;
        Some(b)
    };
    Ok(Explanation { candidates, excluded, cost })
}
