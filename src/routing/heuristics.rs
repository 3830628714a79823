//! Heuristic strategies: greedy set cover and local search.

use smallvec::SmallVec;

use super::compile::{Compiled, bit, compile};
use super::exact::{Alloc, Assignment, branch_and_bound, eval_set};
use super::{Availability, Plan, PlanStatus, RouteOptions, RoutingError, RoutingProblem, Strategy, build};

/// `greedy_set_cover`: the classic greedy for weighted set cover. It
/// repeatedly opens the node with the least cost per unit it can still cover
/// (its shipment cost plus the unit costs of those units; whole groups and
/// unsplittable lines count only if the node can take them whole), lets it
/// ship them, and stops when everything is covered, `max_shipments` is
/// reached, or (with a penalty) the best node costs more per unit than
/// leaving the units unfilled. It optimises cost per covered unit, greedily;
/// plans have status [`PlanStatus::Feasible`].
///
/// # Complexity
///
/// O(shipments × nodes × lines).
///
/// # Example
///
/// ```
/// use omniroute::routing::{GreedySetCover, OrderLine, PlanStatus, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![Node::new(NodeId::new(0), NodeKind::Warehouse).with_shipment_cost("4".parse()?)];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(5))?;
/// let plan = GreedySetCover.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.status, PlanStatus::Feasible);
/// assert_eq!(plan.cost, Some("4".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GreedySetCover;

impl Strategy for GreedySetCover {
    fn name(&self) -> &str {
        "greedy_set_cover"
    }

    fn route(
        &self,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        _options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        let c = compile(problem, availability, None)?;
        let allocs = if c.ship_complete {
            branch_and_bound(&c, None, u64::MAX)?.best.map(|a| a.allocs).unwrap_or_default()
        } else {
            greedy(&c)?
        };
        build::build(problem, &c, &allocs, PlanStatus::Feasible, self.name())
    }
}

/// `local_search`: starts from the nodes the greedy set cover opens and
/// improves the node set by the best of dropping one node, adding one, or
/// swapping one for another, each set's allocation solved exactly, until no
/// move improves the cost or [`RouteOptions::local_search_rounds`] is
/// reached. It optimises total cost over a neighbourhood; plans have status
/// [`PlanStatus::Feasible`].
///
/// # Complexity
///
/// O(rounds × shipments × nodes) exact set evaluations.
///
/// # Example
///
/// ```
/// use omniroute::routing::{LocalSearch, OrderLine, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![Node::new(NodeId::new(0), NodeKind::Warehouse).with_unit_cost("1.5".parse()?)];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(5))?;
/// let plan = LocalSearch.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.cost, Some("3".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalSearch;

impl Strategy for LocalSearch {
    fn name(&self) -> &str {
        "local_search"
    }

    fn route(
        &self,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        let c = compile(problem, availability, None)?;
        if c.ship_complete {
            let a = branch_and_bound(&c, None, u64::MAX)?.best.map(|a| a.allocs).unwrap_or_default();
            return build::build(problem, &c, &a, PlanStatus::Feasible, self.name());
        }
        let start = greedy(&c)?;
        let mut set: Vec<usize> = start.iter().map(|a| a.node).collect();
        set.sort_unstable();
        set.dedup();
        let mut budget = options.get_max_node_sets();
        let mut best: Option<Assignment> = eval_set(&c, &set, None, &mut budget)?;
        if let Some(e) = super::exact::empty_plan(&c)? {
            if best.as_ref().is_none_or(|b| e.cost < b.cost) {
                best = Some(e);
                set.clear();
            }
        }
        for _ in 0..options.get_local_search_rounds() {
            let mut improved: Option<(Vec<usize>, Assignment)> = None;
            let mut consider = |cand: Vec<usize>, improved: &mut Option<(Vec<usize>, Assignment)>| {
                let bound = improved.as_ref().map(|(_, a)| a.cost).or(best.as_ref().map(|b| b.cost));
                if let Some(a) = eval_set(&c, &cand, bound, &mut budget)? {
                    *improved = Some((cand, a));
                }
                Ok::<(), RoutingError>(())
            };
            for i in 0..set.len() {
                let mut cand = set.clone();
                cand.remove(i);
                consider(cand, &mut improved)?;
            }
            for k in 0..c.nodes.len() {
                if set.contains(&k) {
                    continue;
                }
                if set.len() < c.max_ship {
                    let mut cand = set.clone();
                    cand.push(k);
                    cand.sort_unstable();
                    consider(cand, &mut improved)?;
                }
                for i in 0..set.len() {
                    let mut cand = set.clone();
                    if let Some(slot) = cand.get_mut(i) {
                        *slot = k;
                    }
                    cand.sort_unstable();
                    consider(cand, &mut improved)?;
                }
            }
            match improved {
                _ if budget == 0 => break,
                Some((s, a)) => {
                    set = s;
                    best = Some(a);
                }
                None => break,
            }
        }
        match best {
            Some(a) => build::build(problem, &c, &a.allocs, PlanStatus::Feasible, self.name()),
            None => Ok(Plan::infeasible(self.name())),
        }
    }
}

/// What node `k` would ship now: (cost, units, items taken), recording the
/// allocations when asked.
fn simulate(
    c: &Compiled,
    k: usize,
    left: &[u64],
    items_done: u64,
    mut record: Option<&mut Vec<Alloc>>,
) -> Result<(i128, u64, u64), RoutingError> {
    let ovf = || RoutingError::overflow("plan cost");
    let Some(node) = c.nodes.get(k) else { return Ok((0, 0, 0)) };
    // Without items and with one line per SKU, no two takes share a stock
    // entry, so the node's row is read as is (the common case; no copy).
    if c.items.is_empty() && c.skus.len() == c.lines.len() {
        return simulate_split(c, k, node, left, record);
    }
    let mut st: SmallVec<[u64; 16]> = SmallVec::from_slice(&node.stock);
    let mut cp = node.cap;
    let mut cost = node.fixed;
    let mut units = 0u64;
    let mut took_items = 0u64;
    for (ii, item) in c.items.iter().enumerate() {
        if items_done & bit(ii) != 0 || node.elig & item.mask != item.mask || cp < item.qty {
            continue;
        }
        if !item.need.iter().all(|&(s, q)| st.get(s).is_some_and(|&h| h >= q)) {
            continue;
        }
        for &(s, q) in &item.need {
            if let Some(v) = st.get_mut(s) {
                *v = v.saturating_sub(q);
            }
        }
        cp = cp.saturating_sub(item.qty);
        took_items |= bit(ii);
        for (li, l) in c.lines.iter().enumerate() {
            if item.mask & bit(li) != 0 {
                if let Some(r) = record.as_deref_mut() {
                    r.push(Alloc { node: k, line: li, qty: l.qty });
                }
                let u = node.unit.get(l.sku).copied().unwrap_or(0);
                cost = cost
                    .checked_add(super::compile::mul128(u, i128::from(l.qty)).ok_or_else(ovf)?)
                    .ok_or_else(ovf)?;
                units = units.saturating_add(l.qty);
            }
        }
    }
    for (li, l) in c.lines.iter().enumerate() {
        if c.split_mask & bit(li) == 0 || node.elig & bit(li) == 0 {
            continue;
        }
        let want = left.get(li).copied().unwrap_or(0);
        let have = st.get(l.sku).copied().unwrap_or(0);
        let q = want.min(have).min(cp);
        if q == 0 {
            continue;
        }
        if let Some(v) = st.get_mut(l.sku) {
            *v = v.saturating_sub(q);
        }
        cp = cp.saturating_sub(q);
        if let Some(r) = record.as_deref_mut() {
            r.push(Alloc { node: k, line: li, qty: q });
        }
        let u = node.unit.get(l.sku).copied().unwrap_or(0);
        cost = cost.checked_add(super::compile::mul128(u, i128::from(q)).ok_or_else(ovf)?).ok_or_else(ovf)?;
        units = units.saturating_add(q);
    }
    Ok((cost, units, took_items))
}

/// [`simulate`] for orders whose lines split freely and have distinct SKUs.
fn simulate_split(
    c: &Compiled,
    k: usize,
    node: &super::compile::CNode,
    left: &[u64],
    mut record: Option<&mut Vec<Alloc>>,
) -> Result<(i128, u64, u64), RoutingError> {
    let ovf = || RoutingError::overflow("plan cost");
    let mut cp = node.cap;
    let mut cost = node.fixed;
    let mut units = 0u64;
    let (stock, unit) = (node.stock.as_slice(), node.unit.as_slice());
    for (li, l) in c.lines.iter().enumerate() {
        if node.elig & bit(li) == 0 {
            continue;
        }
        let want = left.get(li).copied().unwrap_or(0);
        let have = stock.get(l.sku).copied().unwrap_or(0);
        let q = want.min(have).min(cp);
        if q == 0 {
            continue;
        }
        cp = cp.saturating_sub(q);
        if let Some(r) = record.as_deref_mut() {
            r.push(Alloc { node: k, line: li, qty: q });
        }
        let u = unit.get(l.sku).copied().unwrap_or(0);
        cost = cost.checked_add(super::compile::mul128(u, i128::from(q)).ok_or_else(ovf)?).ok_or_else(ovf)?;
        units = units.saturating_add(q);
    }
    Ok((cost, units, 0))
}

/// The greedy set cover's allocations. A node opens at most once and is
/// never considered again, so simulations read the compiled stock and caps.
pub(crate) fn greedy(c: &Compiled) -> Result<Vec<Alloc>, RoutingError> {
    let ovf = || RoutingError::overflow("plan cost");
    let mut left: SmallVec<[u64; 16]> = c.lines.iter().map(|l| l.qty).collect();
    let mut items_done = 0u64; // item bitmask by item index
    let mut open = vec![false; c.nodes.len()];
    let mut nopen = 0usize;
    let mut allocs = Vec::new();
    while nopen < c.max_ship && left.iter().any(|&q| q > 0) {
        // Lines with units left (an item's lines count until it is taken);
        // a node eligible for none of them would ship nothing.
        let mut pending = 0u64;
        for (li, &q) in left.iter().enumerate() {
            if q > 0 {
                pending |= bit(li);
            }
        }
        // (cost, units, node)
        let mut pick: Option<(i128, u64, usize)> = None;
        for k in 0..c.nodes.len() {
            if open.get(k).copied().unwrap_or(true) || c.nodes.get(k).is_none_or(|n| n.elig & pending == 0) {
                continue;
            }
            let (cost, units, _) = simulate(c, k, &left, items_done, None)?;
            if units == 0 {
                continue;
            }
            let better = match &pick {
                None => true,
                Some((bc, bu, _)) => {
                    let lhs = cost.checked_mul(i128::from(*bu)).ok_or_else(ovf)?;
                    let rhs = bc.checked_mul(i128::from(units)).ok_or_else(ovf)?;
                    lhs < rhs
                }
            };
            if better {
                pick = Some((cost, units, k));
            }
        }
        let Some((cost, units, k)) = pick else { break };
        if let Some(p) = c.penalty {
            if cost >= p.checked_mul(i128::from(units)).ok_or_else(ovf)? {
                break;
            }
        }
        let mut got = Vec::new();
        let (_, _, took) = simulate(c, k, &left, items_done, Some(&mut got))?;
        if let Some(o) = open.get_mut(k) {
            *o = true;
        }
        nopen = nopen.saturating_add(1);
        items_done |= took;
        for a in got {
            if let Some(v) = left.get_mut(a.line) {
                *v = v.saturating_sub(a.qty);
            }
            allocs.push(a);
        }
    }
    Ok(allocs)
}
