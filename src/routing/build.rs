//! Turning an internal assignment into a public [`Plan`] with its exact cost.

use std::collections::BTreeMap;

use super::compile::Compiled;
use super::exact::Alloc;
use super::{LineQty, Plan, PlanStatus, RoutingError, RoutingProblem, Shipment};
use crate::model::{LineId, Money, Node, NodeId, Qty, Sku};

const OVF: RoutingError = RoutingError::Overflow { what: "plan cost" };

/// Builds the plan and computes its cost exactly, in decimal, from the
/// problem's own costs (never the scaled or perturbed ones).
pub(crate) fn build(
    problem: &RoutingProblem,
    c: &Compiled,
    allocs: &[Alloc],
    status: PlanStatus,
    strategy: &str,
) -> Result<Plan, RoutingError> {
    let costs = Costs {
        nodes: &problem.nodes,
        unit_costs: &problem.unit_costs,
        penalty: problem.rules.get_unfilled_unit_penalty(),
    };
    build_with(&costs, c, allocs, status, strategy)
}

/// Where a plan's exact costs come from: the nodes (`CNode::orig` indexes
/// them), the per-(node, SKU) unit-cost overrides, and the penalty.
pub(crate) struct Costs<'a> {
    pub(crate) nodes: &'a [Node],
    pub(crate) unit_costs: &'a BTreeMap<(NodeId, Sku), Money>,
    pub(crate) penalty: Option<Money>,
}

/// [`build`] from explicit cost sources.
pub(crate) fn build_with(
    costs: &Costs<'_>,
    c: &Compiled,
    allocs: &[Alloc],
    status: PlanStatus,
    strategy: &str,
) -> Result<Plan, RoutingError> {
    let mut by_node: BTreeMap<NodeId, (usize, BTreeMap<LineId, u64>)> = BTreeMap::new();
    let mut shipped: Vec<u64> = vec![0; c.lines.len()];
    for a in allocs {
        if a.qty == 0 {
            continue;
        }
        let (Some(node), Some(line)) = (c.nodes.get(a.node), c.lines.get(a.line)) else { continue };
        let e = by_node.entry(node.id).or_insert_with(|| (node.orig, BTreeMap::new()));
        let q = e.1.entry(line.id).or_insert(0);
        *q = q.checked_add(a.qty).ok_or(OVF)?;
        if let Some(s) = shipped.get_mut(a.line) {
            *s = s.checked_add(a.qty).ok_or(OVF)?;
        }
    }
    let mut cost = Money::ZERO;
    let sku_of = |li: usize| c.lines.get(li).and_then(|l| c.skus.get(l.sku)).copied().unwrap_or_default();
    let line_index = |id: LineId| c.lines.binary_search_by_key(&id, |l| l.id).unwrap_or(0);
    let mut shipments = Vec::with_capacity(by_node.len());
    for (id, (orig, lines)) in by_node {
        let Some(node) = costs.nodes.get(orig) else { continue };
        cost = cost.checked_add(node.shipment_cost).map_err(|_| OVF)?;
        let mut out = Vec::with_capacity(lines.len());
        for (line, q) in lines {
            let sku = sku_of(line_index(line));
            let unit = costs.unit_costs.get(&(node.id, sku)).copied().unwrap_or(node.unit_cost);
            cost = cost.checked_add(unit.checked_mul_qty(Qty::new(q)).map_err(|_| OVF)?).map_err(|_| OVF)?;
            out.push(LineQty { line, quantity: Qty::new(q) });
        }
        shipments.push(Shipment { node: id, lines: out });
    }
    let mut unfilled = Vec::new();
    let penalty = costs.penalty;
    for (li, l) in c.lines.iter().enumerate() {
        let s = shipped.get(li).copied().unwrap_or(0);
        let left = l.qty.saturating_sub(s);
        if left > 0 {
            let Some(p) = penalty else {
                return Ok(Plan::infeasible(strategy));
            };
            cost = cost.checked_add(p.checked_mul_qty(Qty::new(left)).map_err(|_| OVF)?).map_err(|_| OVF)?;
            unfilled.push(LineQty { line: l.id, quantity: Qty::new(left) });
        }
    }
    Ok(Plan { strategy: strategy.to_owned(), status, cost: Some(cost), shipments, unfilled })
}
