//! A network compiled once and reused across orders: the fast path of the
//! exact optimiser.

use std::collections::BTreeMap;

use smallvec::SmallVec;

use super::Shipment;
use super::build::{Costs, build_with};
use super::compile::{CLine, CNode, Compiled, MAX_LINES, bit, mul128, order_items, scaled, tie_break};
use super::exact::branch_and_bound;
use super::{
    Availability, LineQty, OrderLine, Plan, PlanStatus, RouteOptions, RoutingError, RoutingProblem, Rules,
};
use crate::model::{LineId, Money, Node, NodeId, Qty, Sku};

/// Bounds of an order's perturbed costs over any candidates of a network
/// (its every node a candidate: the tie-break multiplier `m` grows with
/// their number), at the network's scale.
#[derive(Debug, Clone, Copy)]
struct Bound {
    /// The largest unit cost (nodes' and overrides').
    max_unit: i128,
    /// The largest `unit × demand` for which `unit × m × 4 × demand` plus
    /// every shipment cost perturbed (`× m`, plus its tie-break addition)
    /// fits: `⌊(i128::MAX − fixed) / 4m⌋`.
    cap: i128,
}

impl Bound {
    fn new(fixed: &[i128], unit: &[i128], overrides: &BTreeMap<(NodeId, Sku), i128>) -> Option<Self> {
        let (b, m) = tie_break(fixed.len()).ok()?;
        let n = i128::try_from(fixed.len()).ok()?;
        let max_unit = unit.iter().chain(overrides.values()).copied().max().unwrap_or(0);
        let sum = fixed.iter().try_fold(0i128, |t, &f| t.checked_add(f))?;
        // Each node adds at most `b + n` to its perturbed shipment cost.
        let fixed = mul128(sum, m)?.checked_add(mul128(b.checked_add(n)?, n)?)?;
        let cap = i128::MAX.checked_sub(fixed)?.checked_div(m.checked_mul(4)?)?;
        Some(Self { max_unit, cap })
    }
}

/// No candidate slot yet (in [`RouteWorkspace::slot`]).
const FREE: u32 = u32::MAX;
/// The node was looked at for this order and cannot ship it.
const SKIP: u32 = u32::MAX - 1;

/// One order to route over a [`RoutingNetwork`]: its lines and rules, the
/// delivery window and the pickup node (the order-specific part of a
/// [`RoutingProblem`]).
///
/// ```
/// use omniroute::routing::{OrderLine, RouteRequest, Rules};
/// use omniroute::{LineId, NodeId, Qty, Sku};
/// let r = RouteRequest::new(vec![OrderLine::new(LineId::new(0), Sku::new(3), Qty::new(2))])
///     .with_rules(Rules::new().max_shipments(Some(2)))
///     .with_pickup_at(Some(NodeId::new(4)));
/// assert_eq!(r.lines.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RouteRequest {
    /// The order's lines.
    pub lines: Vec<OrderLine>,
    /// The sourcing rules.
    pub rules: Rules,
    /// When set, nodes with more transit days may not ship.
    pub deliver_within_days: Option<u32>,
    /// When set, only this node may ship.
    pub pickup_at: Option<NodeId>,
}

impl RouteRequest {
    /// A request with default rules, no window and no pickup node.
    #[must_use]
    pub fn new(lines: Vec<OrderLine>) -> Self {
        Self { lines, rules: Rules::new(), deliver_within_days: None, pickup_at: None }
    }

    /// The order-specific part of `problem`.
    #[must_use]
    pub fn from_problem(problem: &RoutingProblem) -> Self {
        Self {
            lines: problem.lines.clone(),
            rules: problem.rules,
            deliver_within_days: problem.deliver_within_days,
            pickup_at: problem.pickup_at,
        }
    }

    /// Sets the sourcing rules.
    #[must_use]
    pub fn with_rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Sets the delivery window in days.
    #[must_use]
    pub fn with_deliver_within_days(mut self, days: Option<u32>) -> Self {
        self.deliver_within_days = days;
        self
    }

    /// Sets the pickup node.
    #[must_use]
    pub fn with_pickup_at(mut self, node: Option<NodeId>) -> Self {
        self.pickup_at = node;
        self
    }
}

/// An order as the single-node scan checks each node against it.
struct Whole<'a> {
    order: &'a RouteRequest,
    availability: &'a dyn Availability,
    /// Units needed per SKU.
    need: &'a [(Sku, u64)],
    /// Per line, the capability mask it requires (as `required_mask`).
    masks: &'a [Option<u64>],
    any_requires: bool,
    /// Units in all (at least 1).
    total: u64,
    /// No pickup node and no window: a node is open when its cap is above
    /// 0, which the cap check (`cap ≥ total`) implies.
    plain: bool,
}

/// The compile's gathering of candidates from the stocking nodes of each
/// order SKU, into the workspace's slots, rows and touched list, sized
/// beforehand for every candidate (so the loop only indexes slices).
struct Gather<'a> {
    net: &'a RoutingNetwork,
    order: &'a RouteRequest,
    /// No pickup node and no window: a node is open when its cap is above 0.
    plain: bool,
    /// Order SKUs (the length of a stock row).
    ns: usize,
    slot: &'a mut [u32],
    touched: &'a mut Vec<u32>,
    /// `ns` per possible candidate (a row is zeroed when taken).
    rows: &'a mut [u64],
    /// One per possible candidate (zeroed when taken).
    row_lines: &'a mut [u64],
    /// Candidates so far (the next row).
    next: u32,
}

impl Gather<'_> {
    /// The nodes `ids` have `units` of order SKU `si` (whose lines are
    /// `sku_lines`): on its first visit a node becomes a candidate with the
    /// next (zero) row, or is skipped when closed for the order; then its
    /// row gets the units.
    // Not inlined, with a node's first visit out of line: the loop then
    // keeps its values in registers (inlined in the compile it took ~45
    // instructions a stocked position).
    #[inline(never)]
    fn sku(&mut self, ids: &[NodeId], units: &[Qty], si: usize, sku_lines: u64) {
        // Loop invariants as locals (the network's id table, the row length).
        let ns = self.ns;
        let dense: &[u32] = &self.net.dense;
        for (&id, &q) in ids.iter().zip(units) {
            if q.is_zero() {
                continue;
            }
            let k = if dense.is_empty() {
                let Ok(k) = self.net.ids.binary_search(&id) else { continue };
                k
            } else {
                match dense.get(id.as_usize()) {
                    Some(&k) if k != FREE => k as usize,
                    _ => continue,
                }
            };
            let Some(&s) = self.slot.get(k) else { continue };
            let s = if s == FREE {
                let s = first_visit(self, k);
                if let Some(v) = self.slot.get_mut(k) {
                    *v = s;
                }
                s
            } else {
                s
            } as usize;
            if s != SKIP as usize {
                // `s < 2^32` and `ns ≤ 64`: the index cannot wrap.
                if let Some(v) = self.rows.get_mut(s.wrapping_mul(ns).wrapping_add(si)) {
                    *v = q.get();
                }
                if let Some(m) = self.row_lines.get_mut(s) {
                    *m |= sku_lines;
                }
            }
        }
    }
}

/// Node `k`'s slot on its first visit: the next row, zeroed, when it is
/// open for the order, else [`SKIP`]; either way it is touched.
#[cold]
#[inline(never)]
fn first_visit(g: &mut Gather<'_>, k: usize) -> u32 {
    g.touched.push(u32::try_from(k).unwrap_or(u32::MAX));
    let open =
        if g.plain { g.net.max_units.get(k).is_some_and(|&m| m > 0) } else { g.net.open_for(k, g.order) };
    if !open {
        return SKIP;
    }
    // At most one row per network node and per stocked position, as sized.
    let s = g.next;
    g.next = g.next.saturating_add(1);
    let at = (s as usize).wrapping_mul(g.ns);
    if let Some(row) = g.rows.get_mut(at..at.wrapping_add(g.ns)) {
        row.fill(0);
    }
    if let Some(m) = g.row_lines.get_mut(s as usize) {
        *m = 0;
    }
    s
}

/// Reusable scratch memory for [`RoutingNetwork::route_with`]: a host that
/// routes many orders keeps one per thread, so compiling an order allocates
/// nothing once the buffers have grown.
#[derive(Debug, Default)]
pub struct RouteWorkspace {
    /// Per network node: its candidate index for the current order, [`FREE`] or [`SKIP`].
    slot: Vec<u32>,
    /// Network nodes whose slot was set, to reset them afterwards.
    touched: Vec<u32>,
    compiled: Compiled,
    order: Vec<usize>,
    /// Stock rows of the touched nodes, `skus` per node.
    rows: Vec<u64>,
    /// Touched nodes that may ship, sorted.
    perm: Vec<u32>,
    /// Per entry of `perm`: the lines the node may ship.
    eligs: Vec<u64>,
    /// Per stock row: the lines of the SKUs the node stocks (eligibility
    /// when no line requires capabilities).
    row_lines: Vec<u64>,
    /// Bitmap over the network's nodes, for sorting `perm`.
    bits: Vec<u64>,
    /// Stocking nodes and units reported through
    /// [`Availability::for_each_stocking`] (sources without
    /// [`Availability::stocking`]), all order SKUs one after another.
    found_ids: Vec<NodeId>,
    found_units: Vec<Qty>,
}

impl RouteWorkspace {
    /// An empty workspace; it grows on first use.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

/// A network of nodes compiled once for many orders: validated, sorted by
/// node id, costs scaled to exact integers, capabilities as bitmasks, and
/// nodes ordered by their least cost for one unit and by their least unit
/// cost for the single-node shortcut.
///
/// [`Self::route`] gives exactly the plan [`Optimal`](super::Optimal) gives
/// for the same nodes, overrides, order and availability (same cost, same
/// shipments, same tie-breaks), but a call touches only the nodes that stock
/// the order's SKUs (through [`Availability::for_each_stocking`]), not the
/// whole network.
///
/// # Example
///
/// ```
/// use omniroute::routing::{OrderLine, PlanStatus, RouteOptions, RouteRequest, RoutingNetwork, StockTable};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let network = RoutingNetwork::new(vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_shipment_cost("5".parse()?),
///     Node::new(NodeId::new(1), NodeKind::Store).with_shipment_cost("3".parse()?),
/// ])?;
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(9))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(2))?;
/// let order = RouteRequest::new(vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2))]);
/// let plan = network.route(&order, &stock, &RouteOptions::new())?;
/// assert_eq!(plan.status, PlanStatus::Optimal);
/// assert_eq!(plan.cost, Some("3".parse()?));
/// assert_eq!(plan.shipments[0].node, NodeId::new(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RoutingNetwork {
    /// Sorted by id; an index into it is a node's rank in node-id order.
    nodes: Vec<Node>,
    ids: Vec<NodeId>,
    /// Node id → index when ids are dense enough, else empty (binary search on `ids`).
    dense: Vec<u32>,
    unit_costs: BTreeMap<(NodeId, Sku), Money>,
    /// Overrides scaled to `scale`.
    unit_scaled: BTreeMap<(NodeId, Sku), i128>,
    /// Common scale of every node cost and override.
    scale: u32,
    fixed: Vec<i128>,
    unit: Vec<i128>,
    /// Capability tags of the network, sorted; node masks below when there are at most 64.
    tags: Vec<String>,
    caps: Option<Vec<u64>>,
    /// (shipment cost + the node's least unit cost over SKUs, node index),
    /// sorted: a lower bound of the node's cost for one unit, in scan order.
    by_key: Vec<(i128, u32)>,
    /// (the node's least unit cost over SKUs, node index), sorted: the scan
    /// order of multi-line orders, whose units outweigh a shipment cost.
    by_unit: Vec<(i128, u32)>,
    /// Per node: transit days (`u32::MAX` when unknown) and unit cap
    /// (`u64::MAX` when none), compact for the per-order filters.
    transit: Vec<u32>,
    max_units: Vec<u64>,
    /// Least unit cost over nodes and overrides.
    min_unit: i128,
    /// Bounds of the perturbed costs with every node a candidate (`None`
    /// when they overflow), for `totals_fit`.
    bound: Option<Bound>,
    /// Least shipment cost, and the least sum of two (None with fewer than two nodes).
    min_fixed: i128,
    two_fixed: Option<i128>,
}

impl RoutingNetwork {
    /// Compiles `nodes` with no per-(node, SKU) unit-cost overrides.
    ///
    /// # Errors
    ///
    /// [`RoutingError::DuplicateNode`], [`RoutingError::NegativeCost`], or
    /// [`RoutingError::Overflow`] when costs cannot share an integer scale.
    ///
    /// # Complexity
    ///
    /// O(n log n) for n nodes.
    ///
    /// ```
    /// use omniroute::routing::{RoutingError, RoutingNetwork};
    /// use omniroute::{Node, NodeId, NodeKind};
    /// let twice = vec![Node::new(NodeId::new(1), NodeKind::Store), Node::new(NodeId::new(1), NodeKind::Store)];
    /// assert!(matches!(RoutingNetwork::new(twice), Err(RoutingError::DuplicateNode { .. })));
    /// ```
    pub fn new(nodes: Vec<Node>) -> Result<Self, RoutingError> {
        Self::with_unit_costs(nodes, BTreeMap::new())
    }

    /// Compiles `nodes` with unit costs that override a node's `unit_cost`
    /// for one SKU (as [`RoutingProblem::unit_costs`]).
    ///
    /// # Errors
    ///
    /// As [`Self::new`], and [`RoutingError::UnknownNode`] for an override
    /// naming a node not in `nodes`.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use omniroute::routing::RoutingNetwork;
    /// use omniroute::{Node, NodeId, NodeKind, Sku};
    /// let overrides = BTreeMap::from([((NodeId::new(0), Sku::new(2)), "0.5".parse()?)]);
    /// let net = RoutingNetwork::with_unit_costs(vec![Node::new(NodeId::new(0), NodeKind::Store)], overrides)?;
    /// assert_eq!(net.nodes().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_unit_costs(
        mut nodes: Vec<Node>,
        unit_costs: BTreeMap<(NodeId, Sku), Money>,
    ) -> Result<Self, RoutingError> {
        nodes.sort_by_key(|n| n.id);
        if let Some(w) = nodes.windows(2).find(|w| w.first().map(|n| n.id) == w.get(1).map(|n| n.id)) {
            return Err(RoutingError::DuplicateNode { node: w.first().map(|n| n.id).unwrap_or_default() });
        }
        for n in &nodes {
            if n.shipment_cost.is_negative() {
                return Err(RoutingError::NegativeCost { what: "shipment cost" });
            }
            if n.unit_cost.is_negative() {
                return Err(RoutingError::NegativeCost { what: "unit cost" });
            }
        }
        if unit_costs.values().any(|m| m.is_negative()) {
            return Err(RoutingError::NegativeCost { what: "unit cost" });
        }
        let ids: Vec<NodeId> = nodes.iter().map(|n| n.id).collect();
        if let Some(&(n, _)) = unit_costs.keys().find(|(n, _)| ids.binary_search(n).is_err()) {
            return Err(RoutingError::UnknownNode { node: n });
        }
        let max_id = ids.last().map_or(0, |id| id.as_usize());
        let mut dense = Vec::new();
        if max_id <= ids.len().saturating_mul(4).saturating_add(4096) {
            dense = vec![FREE; max_id.saturating_add(1)];
            for (i, id) in ids.iter().enumerate() {
                if let Some(d) = dense.get_mut(id.as_usize()) {
                    *d = u32::try_from(i).map_err(|_| RoutingError::overflow("node count"))?;
                }
            }
        }
        let scale = nodes
            .iter()
            .flat_map(|n| [n.shipment_cost, n.unit_cost])
            .chain(unit_costs.values().copied())
            .map(|m| m.get().normalize().scale())
            .max()
            .unwrap_or(0);
        let sc = |m: Money| scaled(m.get().normalize(), scale);
        let mut fixed = Vec::with_capacity(nodes.len());
        let mut unit = Vec::with_capacity(nodes.len());
        for n in &nodes {
            fixed.push(sc(n.shipment_cost)?);
            unit.push(sc(n.unit_cost)?);
        }
        let mut unit_scaled = BTreeMap::new();
        for (&k, &v) in &unit_costs {
            unit_scaled.insert(k, sc(v)?);
        }
        let mut tags: Vec<String> =
            nodes.iter().flat_map(|n| n.capabilities.iter().map(str::to_owned)).collect();
        tags.sort_unstable();
        tags.dedup();
        let caps = (tags.len() <= 64).then(|| {
            nodes
                .iter()
                .map(|n| {
                    n.capabilities
                        .iter()
                        .filter_map(|t| tags.binary_search_by(|x| x.as_str().cmp(t)).ok())
                        .fold(0u64, |m, i| m | bit(i))
                })
                .collect()
        });
        // Each node's least unit cost: its own, or a cheaper override.
        let mut unit_lb = unit.clone();
        for (&(id, _), &v) in &unit_scaled {
            if let Some(u) = ids.binary_search(&id).ok().and_then(|k| unit_lb.get_mut(k)) {
                *u = (*u).min(v);
            }
        }
        let mut by_key = Vec::with_capacity(ids.len());
        for (k, (&f, &u)) in fixed.iter().zip(unit_lb.iter()).enumerate() {
            let key = f.checked_add(u).ok_or(RoutingError::overflow("cost scale"))?;
            by_key.push((key, u32::try_from(k).map_err(|_| RoutingError::overflow("node count"))?));
        }
        by_key.sort_unstable();
        let mut by_unit: Vec<(i128, u32)> =
            by_key.iter().map(|&(_, k)| (unit_lb.get(k as usize).copied().unwrap_or(0), k)).collect();
        by_unit.sort_unstable();
        let min_unit = unit_lb.iter().copied().min().unwrap_or(0);
        let bound = Bound::new(&fixed, &unit, &unit_scaled);
        let mut sorted_fixed = fixed.clone();
        sorted_fixed.sort_unstable();
        let min_fixed = sorted_fixed.first().copied().unwrap_or(0);
        let two_fixed = sorted_fixed.get(1).map(|second| min_fixed.saturating_add(*second));
        let transit = nodes.iter().map(|n| n.transit_days.unwrap_or(u32::MAX)).collect();
        let max_units = nodes.iter().map(|n| n.max_units.map_or(u64::MAX, Qty::get)).collect();
        Ok(Self {
            nodes,
            ids,
            dense,
            unit_costs,
            unit_scaled,
            scale,
            fixed,
            unit,
            tags,
            caps,
            by_key,
            by_unit,
            transit,
            max_units,
            min_unit,
            bound,
            min_fixed,
            two_fixed,
        })
    }

    /// The nodes, sorted by id.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    #[inline]
    fn index_of(&self, id: NodeId) -> Option<usize> {
        if self.dense.is_empty() {
            self.ids.binary_search(&id).ok()
        } else {
            self.dense.get(id.as_usize()).copied().filter(|&i| i != FREE).map(|i| i as usize)
        }
    }

    /// Routes `order` at least cost under every hard rule, exactly as
    /// [`Optimal`](super::Optimal) would (see its docs for the method, the
    /// tie-break and the search limit), with a fresh [`RouteWorkspace`].
    ///
    /// # Errors
    ///
    /// As [`Optimal`](super::Optimal): an invalid order (no lines, too many,
    /// duplicate line ids, quantity 0, a negative penalty, an unknown pickup
    /// node), an overflow, or [`RoutingError::GaveUp`].
    ///
    /// # Complexity
    ///
    /// First a scan of nodes in order of their least one-unit cost (one
    /// line) or of their least unit cost (several lines), stopping when no
    /// further node can ship the whole order cheaper than the best found or
    /// than the bounds below (O(nodes × SKUs) at worst, typically far fewer
    /// nodes); if that single shipment provably beats every other plan
    /// (split, partly or wholly unfilled) it is the answer.
    /// Otherwise compiling the order is O(stocking nodes × order SKUs) with a
    /// [`StockTable`](super::StockTable) (O(nodes × SKUs) with the default
    /// [`Availability::for_each_stocking`]), and the search is as
    /// [`Optimal`](super::Optimal)'s.
    ///
    /// # Example
    ///
    /// See [`RoutingNetwork`].
    pub fn route(
        &self,
        order: &RouteRequest,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        self.route_with(order, availability, options, &mut RouteWorkspace::new())
    }

    /// [`Self::route`] reusing `workspace`'s buffers.
    ///
    /// # Errors
    ///
    /// As [`Self::route`].
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, RouteOptions, RouteRequest, RouteWorkspace, RoutingNetwork, StockTable};
    /// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
    /// let network = RoutingNetwork::new(vec![Node::new(NodeId::new(0), NodeKind::Warehouse)])?;
    /// let mut stock = StockTable::new();
    /// stock.set(NodeId::new(0), Sku::new(0), Qty::new(9))?;
    /// let mut ws = RouteWorkspace::new();
    /// for q in 1..=3 {
    ///     let order = RouteRequest::new(vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(q))]);
    ///     let plan = network.route_with(&order, &stock, &RouteOptions::new(), &mut ws)?;
    ///     assert_eq!(plan.shipments.len(), 1);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route_with(
        &self,
        order: &RouteRequest,
        availability: &dyn Availability,
        options: &RouteOptions,
        workspace: &mut RouteWorkspace,
    ) -> Result<Plan, RoutingError> {
        self.validate(order)?;
        let name = "optimal";
        if options.get_max_node_sets() > 0 {
            if let Some(plan) = self.single_node(order, availability, name)? {
                return Ok(plan);
            }
        }
        let result = self.compile(order, availability, workspace);
        // Reset the slots even when compiling failed, so the workspace stays clean.
        for &t in &workspace.touched {
            if let Some(s) = workspace.slot.get_mut(t as usize) {
                *s = FREE;
            }
        }
        workspace.touched.clear();
        result?;
        let c = &workspace.compiled;
        let out = branch_and_bound(c, None, options.get_max_node_sets())?;
        let costs = Costs {
            nodes: &self.nodes,
            unit_costs: &self.unit_costs,
            penalty: order.rules.get_unfilled_unit_penalty(),
        };
        match out.best {
            None if out.complete => Ok(Plan::infeasible(name)),
            None => Err(RoutingError::GaveUp { evaluated: out.visits }),
            Some(a) => {
                let status = if out.complete { PlanStatus::Optimal } else { PlanStatus::Feasible };
                build_with(&costs, c, &a.allocs, status, name)
            }
        }
    }

    /// Everything about the order a caller can get wrong, in the order of
    /// [`RoutingError`]'s variants.
    fn validate(&self, order: &RouteRequest) -> Result<(), RoutingError> {
        if order.lines.is_empty() {
            return Err(RoutingError::NoLines);
        }
        if order.lines.len() > MAX_LINES {
            return Err(RoutingError::TooManyLines { lines: order.lines.len(), max: MAX_LINES });
        }
        if order.lines.len() > 1 {
            let mut ids: SmallVec<[LineId; 16]> = order.lines.iter().map(|l| l.id).collect();
            ids.sort_unstable();
            if let Some(w) = ids.windows(2).find(|w| w.first() == w.get(1)) {
                return Err(RoutingError::DuplicateLine { line: w.first().copied().unwrap_or_default() });
            }
        }
        if let Some(l) = order.lines.iter().find(|l| l.quantity.is_zero()) {
            return Err(RoutingError::ZeroQuantity { line: l.id });
        }
        if order.rules.get_unfilled_unit_penalty().is_some_and(Money::is_negative) {
            return Err(RoutingError::NegativeCost { what: "unfilled unit penalty" });
        }
        if let Some(p) = order.pickup_at.filter(|&p| self.index_of(p).is_none()) {
            return Err(RoutingError::UnknownNode { node: p });
        }
        Ok(())
    }

    /// Whether node `k` may ship anything for `order` (pickup, window, cap).
    fn open_for(&self, k: usize, order: &RouteRequest) -> bool {
        if let Some(p) = order.pickup_at {
            if self.ids.get(k) != Some(&p) {
                return false;
            }
        }
        let transit = self.transit.get(k).copied().unwrap_or(u32::MAX);
        if order.deliver_within_days.is_some_and(|w| transit != u32::MAX && transit > w) {
            return false;
        }
        self.max_units.get(k).is_some_and(|&m| m > 0)
    }

    /// The capability mask a line requires, or `None` when the network's
    /// tags are not bitmasks or the line needs a tag no node has (then the
    /// caller compares tags as strings).
    fn required_mask(&self, line: &OrderLine) -> Option<u64> {
        self.caps.as_ref()?;
        let mut m = 0u64;
        for t in line.requires.iter() {
            m |= bit(self.tags.binary_search_by(|x| x.as_str().cmp(t)).ok()?);
        }
        Some(m)
    }

    fn capable(&self, k: usize, line: &OrderLine, mask: Option<u64>) -> bool {
        if line.requires.is_empty() {
            return true;
        }
        match (mask, &self.caps) {
            (Some(m), Some(caps)) => caps.get(k).is_some_and(|&c| c & m == m),
            _ => self.nodes.get(k).is_some_and(|n| n.capabilities.contains_all(&line.requires)),
        }
    }

    fn unit_at(&self, k: usize, sku: Sku) -> i128 {
        let base = self.unit.get(k).copied().unwrap_or(0);
        if self.unit_scaled.is_empty() {
            return base;
        }
        let id = self.ids.get(k).copied().unwrap_or_default();
        self.unit_scaled.get(&(id, sku)).copied().unwrap_or(base)
    }

    /// An order whose cheapest single full shipment provably beats every
    /// other plan (splits, partial fills, nothing shipped): answered without
    /// compiling. `None` when the shortcut does not apply.
    // Not inlined: the shortcut is most orders' whole route on small
    // networks, and on its own it compiles tighter (measured).
    #[inline(never)]
    fn single_node(
        &self,
        order: &RouteRequest,
        availability: &dyn Availability,
        name: &str,
    ) -> Result<Option<Plan>, RoutingError> {
        if order.rules.get_max_shipments() == Some(0) {
            return Ok(None);
        }
        // The penalty at the network's scale; a finer penalty takes the general path.
        let penalty = match order.rules.get_unfilled_unit_penalty() {
            None => None,
            Some(p) => match scaled(p.get().normalize(), self.scale) {
                Ok(v) => Some(v),
                Err(_) => return Ok(None),
            },
        };
        // Units in all (an overflow is the general path's error to report).
        let Some(total) = order.lines.iter().try_fold(0u64, |t, l| t.checked_add(l.quantity.get())) else {
            return Ok(None);
        };
        // The general path (as `Optimal`) fails with an overflow when a
        // total over its candidates does not fit, whichever node ships:
        // answer here only when no set of this network's nodes can overflow
        // it, so the shortcut never returns a plan where `Optimal` fails
        // (nor fails where it returns one). Then nothing below overflows.
        if !self.totals_fit(penalty, total) {
            return Ok(None);
        }
        let ovf = || RoutingError::overflow("plan cost");
        let mut masks: SmallVec<[Option<u64>; 16]> = SmallVec::new();
        for l in &order.lines {
            let m = self.required_mask(l);
            if m.is_none() && self.caps.is_some() && !l.requires.is_empty() {
                return Ok(None);
            }
            masks.push(m);
        }
        let any_requires = order.lines.iter().any(|l| !l.requires.is_empty());
        // Units needed per SKU (each at most `total`).
        let mut need: SmallVec<[(Sku, u64); 16]> = SmallVec::new();
        for l in &order.lines {
            let q = l.quantity.get();
            match need.iter_mut().find(|(s, _)| *s == l.sku) {
                Some(e) => e.1 = e.1.saturating_add(q),
                None => need.push((l.sku, q)),
            }
        }
        let qi = i128::from(total);
        // A node's cost is at least its key plus the least unit cost for each further unit.
        let more_units = mul128(self.min_unit, qi.saturating_sub(1)).ok_or_else(ovf)?;
        // The scan order and each node's lower bound in it (ascending along
        // the scan): one line, by shipment plus unit cost, bounded by its
        // key plus the least unit cost for each further unit; several lines,
        // by least unit cost, bounded by the least shipment cost plus every
        // unit at the node's least unit cost.
        let (scan, by_unit) =
            if order.lines.len() > 1 { (&self.by_unit, true) } else { (&self.by_key, false) };
        // Lower bounds of every other kind of plan (checked after the scan):
        // a single shipment costing more than `two` or at least `at_least`
        // loses to one of them. `None` on overflow (then not used here), and
        // for single lines (whose scan is short: not worth computing).
        let unit_or_pen = penalty.map_or(self.min_unit, |p| p.min(self.min_unit));
        let two = self.two_fixed.filter(|_| by_unit).and_then(|t| mul128(unit_or_pen, qi)?.checked_add(t));
        let at_least = penalty.filter(|_| by_unit).and_then(|p| {
            let all = mul128(p, qi)?;
            if total < 2 {
                return Some(all);
            }
            let rest = qi.checked_sub(1)?;
            let a = mul128(p, rest)?.checked_add(self.min_unit)?;
            let b = mul128(self.min_unit, rest)?.checked_add(p)?;
            Some(all.min(a.min(b).checked_add(self.min_fixed)?))
        });
        let loses = |cost: i128| two.is_some_and(|t| cost > t) || at_least.is_some_and(|a| cost >= a);
        let plain = order.pickup_at.is_none() && order.deliver_within_days.is_none();
        let w = Whole { order, availability, need: &need, masks: &masks, any_requires, total, plain };
        let mut best: Option<(i128, usize)> = None;
        if by_unit {
            for &(unit, k) in scan {
                let k = k as usize;
                // Every node from here on costs at least `lb`: stop when none
                // can beat the best found, or when each would lose to another
                // kind of plan (then the best found is cheaper than all of
                // them, or loses too: the answer is the same either way).
                match mul128(unit, qi).and_then(|v| v.checked_add(self.min_fixed)) {
                    Some(lb) if best.is_some_and(|(b, _)| lb > b) || loses(lb) => break,
                    None if best.is_some() => break,
                    _ => {}
                }
                if let Some(cost) = self.whole_cost(k, &w)? {
                    if best.is_none_or(|(b, bk)| (cost, k) < (b, bk)) {
                        best = Some((cost, k));
                    }
                }
            }
        } else {
            for &(key, k) in scan {
                let k = k as usize;
                if best.is_some_and(|(b, _)| key.checked_add(more_units).is_none_or(|lb| lb > b)) {
                    break;
                }
                if let Some(cost) = self.whole_cost(k, &w)? {
                    if best.is_none_or(|(b, bk)| (cost, k) < (b, bk)) {
                        best = Some((cost, k));
                    }
                }
            }
        }
        let Some((cost, k)) = best else { return Ok(None) };
        // Lower bounds of every other kind of plan.
        if let Some(two) = self.two_fixed {
            let lb = mul128(unit_or_pen, qi).and_then(|v| v.checked_add(two)).ok_or_else(ovf)?;
            if cost > lb {
                return Ok(None);
            }
        }
        if let Some(p) = penalty {
            if cost >= mul128(p, qi).ok_or_else(ovf)? {
                return Ok(None);
            }
            if total >= 2 {
                let rest = qi.checked_sub(1).ok_or_else(ovf)?;
                let a = mul128(p, rest).and_then(|v| v.checked_add(self.min_unit));
                let b = mul128(self.min_unit, rest).and_then(|v| v.checked_add(p));
                let lb = a.zip(b).and_then(|(a, b)| a.min(b).checked_add(self.min_fixed)).ok_or_else(ovf)?;
                if cost >= lb {
                    return Ok(None);
                }
            }
        }
        let Some(node) = self.nodes.get(k) else { return Ok(None) };
        // The plan as `build` makes it: lines in id order, cost summed in that order.
        let mut lines: SmallVec<[&OrderLine; 16]> = order.lines.iter().collect();
        lines.sort_unstable_by_key(|l| l.id);
        let mut money = Money::ZERO.checked_add(node.shipment_cost).map_err(|_| ovf())?;
        let mut out = Vec::with_capacity(lines.len());
        for l in lines {
            let unit = self.unit_costs.get(&(node.id, l.sku)).copied().unwrap_or(node.unit_cost);
            money = unit.checked_mul_qty(l.quantity).and_then(|u| money.checked_add(u)).map_err(|_| ovf())?;
            out.push(LineQty { line: l.id, quantity: l.quantity });
        }
        Ok(Some(Plan {
            strategy: name.to_owned(),
            status: PlanStatus::Optimal,
            cost: Some(money),
            shipments: vec![Shipment { node: node.id, lines: out }],
            unfilled: Vec::new(),
        }))
    }

    /// Whether the general path's check of every total (as `perturb`'s: the
    /// largest perturbed unit cost or penalty times 4 × the demand, plus the
    /// perturbed shipment costs) passes for any candidates whatever, at the
    /// network's scale: bounded with every node a candidate (`bound`).
    fn totals_fit(&self, penalty: Option<i128>, total: u64) -> bool {
        let Some(Bound { max_unit, cap }) = self.bound else { return false };
        let big = penalty.map_or(max_unit, |p| p.max(max_unit));
        mul128(big, i128::from(total)).is_some_and(|v| v <= cap)
    }

    /// Node `k`'s cost to ship the whole order alone, `None` when it cannot
    /// (closed for the order, over its cap, short of a SKU, or lacking a
    /// capability).
    #[inline(always)]
    fn whole_cost(&self, k: usize, w: &Whole<'_>) -> Result<Option<i128>, RoutingError> {
        if !w.plain && !self.open_for(k, w.order) {
            return Ok(None);
        }
        let (Some(&id), Some(&cap)) = (self.ids.get(k), self.max_units.get(k)) else { return Ok(None) };
        if cap < w.total {
            return Ok(None);
        }
        for &(sku, q) in w.need {
            if w.availability.available(id, sku).get() < q {
                return Ok(None);
            }
        }
        if w.any_requires && !w.order.lines.iter().zip(w.masks.iter()).all(|(l, &m)| self.capable(k, l, m)) {
            return Ok(None);
        }
        let ovf = || RoutingError::overflow("plan cost");
        let mut cost = self.fixed.get(k).copied().unwrap_or(0);
        for l in &w.order.lines {
            let u = mul128(self.unit_at(k, l.sku), i128::from(l.quantity.get())).ok_or_else(ovf)?;
            cost = cost.checked_add(u).ok_or_else(ovf)?;
        }
        Ok(Some(cost))
    }

    /// Compiles `order` into `ws.compiled`: the same result as
    /// `compile::compile` on the equivalent problem, up to the cost scale.
    /// Not inlined: its large stack frame would cost every `route_with`,
    /// also those the single-node shortcut answers.
    #[inline(never)]
    fn compile(
        &self,
        order: &RouteRequest,
        availability: &dyn Availability,
        ws: &mut RouteWorkspace,
    ) -> Result<(), RoutingError> {
        let RouteWorkspace {
            slot,
            touched,
            compiled: c,
            order: canon,
            rows,
            perm,
            eligs,
            row_lines,
            bits,
            found_ids,
            found_units,
        } = ws;
        if slot.len() < self.nodes.len() {
            slot.resize(self.nodes.len(), FREE);
        }
        canon.clear();
        canon.extend(0..order.lines.len());
        canon.sort_unstable_by_key(|&i| order.lines.get(i).map(|l| l.id));
        c.skus.clear();
        c.skus.extend(order.lines.iter().map(|l| l.sku));
        c.skus.sort_unstable();
        c.skus.dedup();
        let ns = c.skus.len();
        c.lines.clear();
        let mut demand = 0u64;
        for &i in canon.iter() {
            let Some(l) = order.lines.get(i) else { continue };
            demand = demand.checked_add(l.quantity.get()).ok_or(RoutingError::overflow("demand"))?;
            let sku = c.skus.binary_search(&l.sku).unwrap_or(0);
            c.lines.push(CLine { id: l.id, orig: i, sku, qty: l.quantity.get() });
        }
        // Candidates: nodes that stock an order SKU and may ship. First their
        // stock rows (flat, `ns` per touched node), then the nodes themselves
        // built once in node-id order, so no large node record is ever moved.
        // Per order SKU, its lines (canonical positions).
        let mut lines_of: SmallVec<[u64; 16]> = SmallVec::from_elem(0, ns);
        for (li, cl) in c.lines.iter().enumerate() {
            if let Some(m) = lines_of.get_mut(cl.sku) {
                *m |= bit(li);
            }
        }
        // Each order SKU's stocking nodes and units: the source's slices, or
        // (for sources without them) the nodes its callback reports, buffered.
        let mut lists: SmallVec<[(&[NodeId], &[Qty]); 16]> = SmallVec::new();
        let direct = c.skus.iter().all(|&sku| availability.stocking(sku).is_some());
        let mut ends: SmallVec<[usize; 16]> = SmallVec::new();
        if direct {
            lists.extend(c.skus.iter().filter_map(|&sku| availability.stocking(sku)));
        } else {
            found_ids.clear();
            found_units.clear();
            for &sku in &c.skus {
                availability.for_each_stocking(sku, &self.ids, &mut |id, q| {
                    found_ids.push(id);
                    found_units.push(q);
                });
                ends.push(found_ids.len());
            }
            let mut from = 0usize;
            for &to in &ends {
                let ids = found_ids.get(from..to).unwrap_or_default();
                let units = found_units.get(from..to).unwrap_or_default();
                lists.push((ids, units));
                from = to;
            }
        }
        // At most one candidate per network node and per stocked position.
        let visits = lists.iter().fold(0usize, |t, (ids, _)| t.saturating_add(ids.len()));
        let most = visits.min(self.nodes.len());
        // Grown, never shrunk: a row is zeroed when a candidate takes it.
        if rows.len() < most.saturating_mul(ns) {
            rows.resize(most.saturating_mul(ns), 0);
        }
        if row_lines.len() < most {
            row_lines.resize(most, 0);
        }
        // Without a pickup node or a window, a node is open when it has a cap above 0.
        let plain = order.pickup_at.is_none() && order.deliver_within_days.is_none();
        let mut g = Gather { net: self, order, plain, ns, slot, touched, rows, row_lines, next: 0 };
        for (si, &(ids, units)) in lists.iter().enumerate() {
            g.sku(ids, units, si, lines_of.get(si).copied().unwrap_or(0));
        }
        let masks: SmallVec<[Option<u64>; 16]> = canon
            .iter()
            .filter_map(|&i| order.lines.get(i))
            .map(|l| if l.requires.is_empty() { Some(0) } else { self.required_mask(l) })
            .collect();
        // The candidates in node order through a bitmap over the network's
        // nodes (no sort: ~800 candidates of a 10-line order cost a sort
        // of ~75 k instructions).
        bits.clear();
        bits.resize(self.nodes.len().div_ceil(64), 0);
        for &k in touched.iter() {
            if slot.get(k as usize).is_some_and(|&s| s != SKIP) {
                if let Some(w) = bits.get_mut(k as usize / 64) {
                    *w |= 1u64 << (k % 64);
                }
            }
        }
        perm.clear();
        for (w, &word) in bits.iter().enumerate() {
            let mut x = word;
            let base = u32::try_from(w.saturating_mul(64)).unwrap_or(u32::MAX);
            while x != 0 {
                perm.push(base.saturating_add(x.trailing_zeros()));
                x &= x.wrapping_sub(1);
            }
        }
        // Costs at the order's scale (the network's, or the penalty's if finer).
        let pen = order.rules.get_unfilled_unit_penalty().map(|p| p.get().normalize());
        let scale = self.scale.max(pen.map_or(0, |p| p.scale()));
        let factor = scaled(rust_decimal::Decimal::ONE, scale.saturating_sub(self.scale))?;
        let ovf = || RoutingError::overflow("cost scale");
        // First the lines each node may ship, so the number of candidates (and
        // with it the tie-break perturbation, as `perturb` computes it) is
        // known before the records are written; then the records, perturbed
        // as they are written, reusing the workspace's records in place.
        eligs.clear();
        let no_reqs = order.lines.iter().all(|l| l.requires.is_empty());
        if no_reqs {
            // No capability requirements: a node may ship exactly the lines
            // of the SKUs it stocks (a non-zero row entry), gathered above.
            eligs.extend(perm.iter().map(|&k| {
                slot.get(k as usize).and_then(|&s| row_lines.get(s as usize)).copied().unwrap_or(0)
            }));
        }
        for &k in perm.iter().filter(|_| !no_reqs) {
            let k = k as usize;
            let at = slot.get(k).map_or(0, |&s| (s as usize).saturating_mul(ns));
            let row = rows.get(at..at.saturating_add(ns)).unwrap_or_default();
            let mut elig = 0u64;
            for (li, (cl, &mask)) in c.lines.iter().zip(masks.iter()).enumerate() {
                if row.get(cl.sku).is_some_and(|&q| q > 0) {
                    let ok = match order.lines.get(cl.orig) {
                        Some(l) if !l.requires.is_empty() => {
                            !(mask.is_none() && self.caps.is_some()) && self.capable(k, l, mask)
                        }
                        _ => true,
                    };
                    if ok {
                        elig |= bit(li);
                    }
                }
            }
            eligs.push(elig);
        }
        let count = eligs.iter().filter(|&&e| e != 0).count();
        let (b, m) = tie_break(count)?;
        let penalty = match pen {
            Some(p) => Some(mul128(scaled(p, scale)?, m).ok_or_else(ovf)?),
            None => None,
        };
        let mut biggest = penalty.unwrap_or(0);
        let mut fixed_sum = 0i128;
        let mut rank = 0usize;
        // A network cost at the order's scale, perturbed: `v × factor × m`,
        // with `factor × m` once per order (the same product, and an
        // overflow exactly when the two steps would overflow).
        let fm = mul128(factor, m);
        let perturbed = |v: i128| match fm {
            Some(fm) => mul128(v, fm),
            None => mul128(v, factor).and_then(|v| mul128(v, m)),
        };
        for (&k, &elig) in perm.iter().zip(eligs.iter()) {
            if elig == 0 {
                continue;
            }
            let k = k as usize;
            // Rows are at most `ns ≤ 64` per candidate: the index cannot wrap.
            let at = slot.get(k).map_or(0, |&s| (s as usize).wrapping_mul(ns));
            let row = rows.get(at..at.wrapping_add(ns)).unwrap_or_default();
            let r = i128::try_from(rank).map_err(|_| ovf())?;
            let fixed = perturbed(self.fixed.get(k).copied().unwrap_or(0))
                .and_then(|v| v.checked_add(b))
                .and_then(|v| v.checked_add(r))
                .ok_or_else(ovf)?;
            fixed_sum = fixed_sum.checked_add(fixed).ok_or(RoutingError::overflow("shipment costs"))?;
            let id = self.ids.get(k).copied().unwrap_or_default();
            let cap = self.max_units.get(k).copied().unwrap_or(u64::MAX).min(demand);
            if c.nodes.len() <= rank {
                c.nodes.push(CNode {
                    id,
                    orig: k,
                    fixed,
                    unit: SmallVec::new(),
                    stock: SmallVec::new(),
                    cap,
                    elig,
                });
            }
            let Some(node) = c.nodes.get_mut(rank) else { continue };
            node.id = id;
            node.orig = k;
            node.fixed = fixed;
            node.cap = cap;
            node.elig = elig;
            if self.unit_scaled.is_empty() {
                // No per-(node, SKU) overrides: one unit cost for every SKU,
                // written in place when the reused record has the row's
                // length already (`SmallVec::resize` goes through an
                // iterator: ~250 instructions a record).
                let u = perturbed(self.unit.get(k).copied().unwrap_or(0)).ok_or_else(ovf)?;
                biggest = biggest.max(u);
                if node.unit.len() == ns {
                    node.unit.fill(u);
                } else {
                    node.unit.clear();
                    node.unit.extend(core::iter::repeat_n(u, ns));
                }
            } else {
                node.unit.clear();
                for &sku in &c.skus {
                    let u =
                        mul128(self.unit_at(k, sku), factor).and_then(|v| mul128(v, m)).ok_or_else(ovf)?;
                    biggest = biggest.max(u);
                    node.unit.push(u);
                }
            }
            if node.stock.len() == row.len() {
                node.stock.copy_from_slice(row);
            } else {
                node.stock.clear();
                node.stock.extend_from_slice(row);
            }
            rank = rank.saturating_add(1);
        }
        c.nodes.truncate(rank);
        // As `perturb` checks: every total the optimiser forms fits.
        biggest
            .checked_mul(i128::from(demand))
            .and_then(|v| v.checked_mul(4))
            .and_then(|v| v.checked_add(fixed_sum))
            .ok_or(RoutingError::overflow("plan cost"))?;
        let (items, split_mask) = order_items(&order.lines, canon, &c.skus, order.rules.get_split_lines());
        c.items = items;
        c.split_mask = split_mask;
        c.penalty = penalty;
        c.max_ship =
            order.rules.get_max_shipments().map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
        c.ship_complete = order.rules.get_ship_complete();
        c.demand = demand;
        Ok(())
    }
}
