//! The routing problem: an order, the network, availability and the rules.

use std::collections::BTreeMap;

use crate::model::{Capabilities, LineId, Location, Money, Node, NodeId, Qty, Sku};

/// Units available to promise at a (node, SKU) position, from any source.
///
/// Routing needs only this number, so a backend can route with availability
/// it already holds. [`StockTable`] implements it for a plain dense table,
/// `BTreeMap<(NodeId, Sku), Qty>` for a sparse one, and any
/// `Fn(NodeId, Sku) -> Qty` closure works too. The ATP module's network views
/// implement it by returning the channel's available-to-promise at the node
/// (after safety stock, channel pools and eligibility), so routing sees exactly
/// what the storefront may promise.
///
/// ```
/// use omniroute::routing::Availability;
/// use omniroute::{NodeId, Qty, Sku};
/// let flat = |_: NodeId, _: Sku| Qty::new(3);
/// assert_eq!(flat.available(NodeId::new(0), Sku::new(1)), Qty::new(3));
/// ```
pub trait Availability {
    /// Units of `sku` available at `node`; 0 when unknown.
    fn available(&self, node: NodeId, sku: Sku) -> Qty;

    /// Calls `found(node, units)` for every node of `among` that has units of
    /// `sku` available (`units > 0`), each node once, in any order. Sources
    /// that index stock by SKU override it to touch only the nodes that stock
    /// `sku` (then they may also report nodes outside `among`, which callers
    /// ignore); the default scans `among` with [`Self::available`].
    ///
    /// [`RoutingNetwork`](super::RoutingNetwork) calls it once per order SKU,
    /// so a call costs time in the stocking nodes, not in the network's size.
    ///
    /// ```
    /// use omniroute::routing::{Availability, StockTable};
    /// use omniroute::{NodeId, Qty, Sku};
    /// let mut t = StockTable::new();
    /// t.set(NodeId::new(5), Sku::new(1), Qty::new(2))?;
    /// let mut seen = Vec::new();
    /// t.for_each_stocking(Sku::new(1), &[NodeId::new(0), NodeId::new(5)], &mut |n, q| seen.push((n, q)));
    /// assert_eq!(seen, [(NodeId::new(5), Qty::new(2))]);
    /// # Ok::<(), omniroute::routing::RoutingError>(())
    /// ```
    fn for_each_stocking(&self, sku: Sku, among: &[NodeId], found: &mut dyn FnMut(NodeId, Qty)) {
        for &node in among {
            let units = self.available(node, sku);
            if !units.is_zero() {
                found(node, units);
            }
        }
    }

    /// The nodes with units of `sku` available and their units, as two
    /// slices of equal length (node ids ascending, units > 0), when the
    /// source keeps them that way; `None` (the default) when it does not.
    ///
    /// It is an optional fast path of [`Self::for_each_stocking`] and must
    /// report the same nodes and units:
    /// [`RoutingNetwork`](super::RoutingNetwork) reads the slices when they
    /// are given (no call per stocked node) and calls
    /// [`Self::for_each_stocking`] otherwise, with the same plans either way.
    /// [`StockTable`] gives them.
    ///
    /// ```
    /// use omniroute::routing::{Availability, StockTable};
    /// use omniroute::{NodeId, Qty, Sku};
    /// let mut t = StockTable::new();
    /// t.set(NodeId::new(5), Sku::new(1), Qty::new(2))?;
    /// t.set(NodeId::new(3), Sku::new(1), Qty::new(4))?;
    /// assert_eq!(t.stocking(Sku::new(1)), Some((&[NodeId::new(3), NodeId::new(5)][..], &[Qty::new(4), Qty::new(2)][..])));
    /// let flat = |_: NodeId, _: Sku| Qty::new(3);
    /// assert_eq!(flat.stocking(Sku::new(1)), None);
    /// # Ok::<(), omniroute::routing::RoutingError>(())
    /// ```
    fn stocking(&self, sku: Sku) -> Option<(&[NodeId], &[Qty])> {
        let _ = sku;
        None
    }
}

impl<F: Fn(NodeId, Sku) -> Qty> Availability for F {
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self(node, sku)
    }
}

impl Availability for BTreeMap<(NodeId, Sku), Qty> {
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.get(&(node, sku)).copied().unwrap_or(Qty::ZERO)
    }
}

/// A dense availability table indexed by SKU, then node: O(1) reads.
///
/// The table grows to the largest ids set; reads outside it are 0. Its memory
/// is `8 × skus × nodes` bytes plus 4 bytes per stocked position, so it suits
/// dense, interned ids (as the interchange format produces); use a `BTreeMap`
/// for sparse ids. It also keeps, per SKU, the sorted list of nodes with
/// units, so [`Availability::for_each_stocking`] touches only those.
///
/// ```
/// use omniroute::routing::{Availability, StockTable};
/// use omniroute::{NodeId, Qty, Sku};
/// let mut t = StockTable::new();
/// t.set(NodeId::new(2), Sku::new(1), Qty::new(7))?;
/// assert_eq!(t.available(NodeId::new(2), Sku::new(1)), Qty::new(7));
/// assert_eq!(t.available(NodeId::new(0), Sku::new(0)), Qty::ZERO);
/// # Ok::<(), omniroute::routing::RoutingError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockTable {
    rows: Vec<Vec<u64>>,
    /// Per SKU, the nodes with units > 0, sorted.
    stocking: Vec<Vec<NodeId>>,
    /// Per SKU, the units of each node of `stocking` (same positions).
    units: Vec<Vec<Qty>>,
}

impl StockTable {
    /// The largest node or SKU index a table accepts (`2^20 − 1`), so a stray
    /// id cannot make it allocate gigabytes.
    pub const MAX_INDEX: u32 = (1 << 20) - 1;

    /// An empty table.
    #[must_use]
    pub const fn new() -> Self {
        Self { rows: Vec::new(), stocking: Vec::new(), units: Vec::new() }
    }

    /// Sets the units available of `sku` at `node`.
    ///
    /// # Errors
    ///
    /// [`RoutingError::IndexTooLarge`](super::RoutingError::IndexTooLarge)
    /// when either index exceeds [`Self::MAX_INDEX`].
    pub fn set(&mut self, node: NodeId, sku: Sku, units: Qty) -> Result<(), super::RoutingError> {
        if node.get() > Self::MAX_INDEX || sku.get() > Self::MAX_INDEX {
            return Err(super::RoutingError::IndexTooLarge { max: Self::MAX_INDEX });
        }
        let (s, n) = (sku.as_usize(), node.as_usize());
        if self.rows.len() <= s {
            self.rows.resize_with(s.saturating_add(1), Vec::new);
        }
        if let Some(row) = self.rows.get_mut(s) {
            if row.len() <= n {
                row.resize(n.saturating_add(1), 0);
            }
            if let Some(cell) = row.get_mut(n) {
                *cell = units.get();
            }
        }
        if self.stocking.len() <= s {
            self.stocking.resize_with(s.saturating_add(1), Vec::new);
            self.units.resize_with(s.saturating_add(1), Vec::new);
        }
        if let (Some(list), Some(qs)) = (self.stocking.get_mut(s), self.units.get_mut(s)) {
            match (list.binary_search(&node), units.is_zero()) {
                (Ok(at), true) => {
                    list.remove(at);
                    qs.remove(at);
                }
                (Ok(at), false) => {
                    if let Some(q) = qs.get_mut(at) {
                        *q = units;
                    }
                }
                (Err(at), false) => {
                    list.insert(at, node);
                    qs.insert(at, units);
                }
                (Err(_), true) => {}
            }
        }
        Ok(())
    }
}

impl Availability for StockTable {
    #[inline]
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        Qty::new(self.rows.get(sku.as_usize()).and_then(|r| r.get(node.as_usize())).copied().unwrap_or(0))
    }

    fn for_each_stocking(&self, sku: Sku, _among: &[NodeId], found: &mut dyn FnMut(NodeId, Qty)) {
        if let Some((nodes, units)) = self.stocking(sku) {
            for (&node, &q) in nodes.iter().zip(units) {
                found(node, q);
            }
        }
    }

    #[inline]
    fn stocking(&self, sku: Sku) -> Option<(&[NodeId], &[Qty])> {
        match (self.stocking.get(sku.as_usize()), self.units.get(sku.as_usize())) {
            (Some(nodes), Some(units)) => Some((nodes, units)),
            _ => Some((&[], &[])),
        }
    }
}

/// A keep-together group within an order: all its lines ship whole from one
/// node, or (when unfilled units are allowed) the whole group stays unfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct GroupId(u32);

impl GroupId {
    /// A group id.
    #[must_use]
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// The raw value.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// One line of the order to route.
///
/// ```
/// use omniroute::routing::{GroupId, OrderLine};
/// use omniroute::{Capabilities, LineId, Qty, Sku};
/// let l = OrderLine::new(LineId::new(1), Sku::new(4), Qty::new(2))
///     .with_requires(Capabilities::from_tags(["hazmat"])?)
///     .with_group(GroupId::new(7));
/// assert_eq!(l.group, Some(GroupId::new(7)));
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct OrderLine {
    /// The line's id, unique within the order.
    pub id: LineId,
    /// The SKU; lines naming the same SKU draw on the same stock.
    pub sku: Sku,
    /// Units ordered, at least 1.
    pub quantity: Qty,
    /// Capabilities a node needs to ship this line.
    pub requires: Capabilities,
    /// The keep-together group, if any.
    pub group: Option<GroupId>,
}

impl OrderLine {
    /// A line with no requirements and no group.
    #[must_use]
    pub fn new(id: LineId, sku: Sku, quantity: Qty) -> Self {
        Self { id, sku, quantity, requires: Capabilities::new(), group: None }
    }

    /// Sets the capabilities the line requires.
    #[must_use]
    pub fn with_requires(mut self, requires: Capabilities) -> Self {
        self.requires = requires;
        self
    }

    /// Puts the line in a keep-together group.
    #[must_use]
    pub fn with_group(mut self, group: GroupId) -> Self {
        self.group = Some(group);
        self
    }
}

/// The order's sourcing rules (shared/spec/routing-instance.md, `rules`).
///
/// ```
/// use omniroute::routing::Rules;
/// let r = Rules::new().split_lines(false).max_shipments(Some(2));
/// assert!(!r.get_split_lines());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rules {
    split_lines: bool,
    ship_complete: bool,
    max_shipments: Option<u32>,
    unfilled_unit_penalty: Option<Money>,
}

impl Default for Rules {
    fn default() -> Self {
        Self::new()
    }
}

impl Rules {
    /// The defaults: lines may split, no ship-complete, no shipment cap,
    /// every unit must ship.
    #[must_use]
    pub const fn new() -> Self {
        Self { split_lines: true, ship_complete: false, max_shipments: None, unfilled_unit_penalty: None }
    }

    /// Whether a line's units may come from several nodes.
    #[must_use]
    pub const fn split_lines(mut self, yes: bool) -> Self {
        self.split_lines = yes;
        self
    }

    /// Whether at most one node ships, and either every unit ships or none.
    #[must_use]
    pub const fn ship_complete(mut self, yes: bool) -> Self {
        self.ship_complete = yes;
        self
    }

    /// A cap on the number of nodes that ship.
    #[must_use]
    pub const fn max_shipments(mut self, max: Option<u32>) -> Self {
        self.max_shipments = max;
        self
    }

    /// When set, units may stay unfilled at this cost each.
    #[must_use]
    pub const fn unfilled_unit_penalty(mut self, penalty: Option<Money>) -> Self {
        self.unfilled_unit_penalty = penalty;
        self
    }

    /// See [`Self::split_lines`].
    #[must_use]
    pub const fn get_split_lines(&self) -> bool {
        self.split_lines
    }

    /// See [`Self::ship_complete`].
    #[must_use]
    pub const fn get_ship_complete(&self) -> bool {
        self.ship_complete
    }

    /// See [`Self::max_shipments`].
    #[must_use]
    pub const fn get_max_shipments(&self) -> Option<u32> {
        self.max_shipments
    }

    /// See [`Self::unfilled_unit_penalty`].
    #[must_use]
    pub const fn get_unfilled_unit_penalty(&self) -> Option<Money> {
        self.unfilled_unit_penalty
    }
}

/// One order to route over a network of nodes.
///
/// With `serde`, a problem deserialises field by field; its cross-field rules
/// (unique ids, quantities ≥ 1, non-negative costs, known nodes) are checked
/// by every strategy before it routes, so invalid data is rejected with a
/// [`RoutingError`](super::RoutingError) rather than routed.
///
/// Availability is not part of the problem: strategies read it through an
/// [`Availability`]. Node and line ids are the tie-break keys (see
/// [`Optimal`](super::Optimal)); the interchange format assigns them in
/// sorted order of the instance's string ids.
///
/// ```
/// use omniroute::routing::{Optimal, OrderLine, PlanStatus, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_shipment_cost("5".parse()?),
///     Node::new(NodeId::new(1), NodeKind::Store).with_shipment_cost("3".parse()?),
/// ];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(2))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(9))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(2))?;
/// let plan = Optimal.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.status, PlanStatus::Optimal);
/// assert_eq!(plan.cost, Some("3".parse()?));
/// assert_eq!(plan.shipments[0].node, NodeId::new(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RoutingProblem {
    /// The nodes that might ship.
    pub nodes: Vec<Node>,
    /// The order's lines, in order (the rule strategies take them in this order).
    pub lines: Vec<OrderLine>,
    /// Per-(node, SKU) unit costs that override the node's `unit_cost`.
    pub unit_costs: BTreeMap<(NodeId, Sku), Money>,
    /// Where the order goes (used by `nearest` and for reporting, never in the cost).
    pub destination: Option<Location>,
    /// When set, nodes with more transit days may not ship.
    pub deliver_within_days: Option<u32>,
    /// When set, only this node may ship.
    pub pickup_at: Option<NodeId>,
    /// The sourcing rules.
    pub rules: Rules,
}

impl RoutingProblem {
    /// A problem with default rules and no destination, window, pickup node or overrides.
    #[must_use]
    pub fn new(nodes: Vec<Node>, lines: Vec<OrderLine>) -> Self {
        Self {
            nodes,
            lines,
            unit_costs: BTreeMap::new(),
            destination: None,
            deliver_within_days: None,
            pickup_at: None,
            rules: Rules::new(),
        }
    }

    /// Sets the rules.
    #[must_use]
    pub fn with_rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// Sets the destination.
    #[must_use]
    pub fn with_destination(mut self, destination: Option<Location>) -> Self {
        self.destination = destination;
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

    /// Overrides the unit cost of `sku` at `node`.
    #[must_use]
    pub fn with_unit_cost(mut self, node: NodeId, sku: Sku, cost: Money) -> Self {
        self.unit_costs.insert((node, sku), cost);
        self
    }

    /// The unit cost of `sku` at the node: the override, else the node's `unit_cost`.
    #[must_use]
    pub fn unit_cost(&self, node: &Node, sku: Sku) -> Money {
        self.unit_costs.get(&(node.id, sku)).copied().unwrap_or(node.unit_cost)
    }
}

/// Limits and knobs for a routing call. `Copy`, with by-value setters.
///
/// ```
/// use omniroute::routing::RouteOptions;
/// let o = RouteOptions::new().max_node_sets(10_000);
/// assert_eq!(o.get_max_node_sets(), 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteOptions {
    max_node_sets: u64,
    local_search_rounds: u32,
}

impl Default for RouteOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl RouteOptions {
    /// The default search limit of [`Self::max_node_sets`].
    pub const DEFAULT_MAX_NODE_SETS: u64 = 1_000_000;

    /// Defaults: at most [`Self::DEFAULT_MAX_NODE_SETS`] node sets, 50 local-search rounds.
    #[must_use]
    pub const fn new() -> Self {
        Self { max_node_sets: Self::DEFAULT_MAX_NODE_SETS, local_search_rounds: 50 }
    }

    /// The search limit, in work units: each node set the exact optimiser
    /// visits and each partial assignment of whole lines or groups it tries
    /// counts one (local search draws on the same budget). When it is reached
    /// the best plan found so far is returned with status
    /// [`PlanStatus::Feasible`](super::PlanStatus::Feasible).
    #[must_use]
    pub const fn max_node_sets(mut self, max: u64) -> Self {
        self.max_node_sets = max;
        self
    }

    /// Improvement rounds of the local-search strategy.
    #[must_use]
    pub const fn local_search_rounds(mut self, rounds: u32) -> Self {
        self.local_search_rounds = rounds;
        self
    }

    /// See [`Self::max_node_sets`].
    #[must_use]
    pub const fn get_max_node_sets(&self) -> u64 {
        self.max_node_sets
    }

    /// See [`Self::local_search_rounds`].
    #[must_use]
    pub const fn get_local_search_rounds(&self) -> u32 {
        self.local_search_rounds
    }
}
