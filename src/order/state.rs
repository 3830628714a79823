//! Orders as data: the placement request, the tracked order and its lines,
//! and the per-line quantity accounting.

use core::fmt;

use super::OrderError;
use crate::model::{
    ChannelId, EntryId, FulfilmentMethod, LineId, Location, Money, NodeId, OrderId, Qty, Sku, Timestamp,
};

/// A caller-supplied operation id. Ids must strictly increase within an
/// [`OrderBook`](super::OrderBook); the ledger entry ids of an operation's
/// commands are derived from it ([`OpId::entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct OpId(u64);

impl OpId {
    /// The tag in the top byte of every entry id the order module derives,
    /// so its ids never collide with ids a host picks below `2^120`.
    pub const ENTRY_TAG: u128 = 0x0D << 120;

    /// An operation id.
    #[must_use]
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The raw value.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The ledger entry id of the `seq`-th command of this operation:
    /// `ENTRY_TAG | op << 32 | seq`. Distinct operations and distinct
    /// commands of one operation never share an id, and the tag keeps the
    /// ids out of the range a host uses for its own commands (below `2^120`).
    ///
    /// ```
    /// use omniroute::order::OpId;
    /// let e = OpId::new(7).entry(2)?;
    /// assert_eq!(e.get(), OpId::ENTRY_TAG | (7 << 32) | 2);
    /// # Ok::<(), omniroute::order::OrderError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// None in practice (the tag makes the id non-zero); reported as
    /// [`OrderError::Overflow`] rather than assumed.
    pub fn entry(self, seq: u32) -> Result<EntryId, OrderError> {
        let raw = Self::ENTRY_TAG | (u128::from(self.0) << 32) | u128::from(seq);
        EntryId::new(raw).map_err(|_| OrderError::Overflow { what: "entry id" })
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op#{}", self.0)
    }
}

/// Where the order goes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Destination {
    /// No address known (routing then ignores distance).
    #[default]
    Unknown,
    /// A customer address.
    Address(Location),
    /// Pick up at this node (buy online, pick up in store).
    Pickup(NodeId),
}

/// One line of a placement request.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct LineSpec {
    /// The line id, unique in the order.
    pub id: LineId,
    /// The SKU.
    pub sku: Sku,
    /// Units ordered (≥ 1).
    pub qty: Qty,
    /// Price per unit (for the risk check; never negative).
    pub unit_price: Money,
}

impl LineSpec {
    /// A line with no price.
    #[must_use]
    pub const fn new(id: LineId, sku: Sku, qty: Qty) -> Self {
        Self { id, sku, qty, unit_price: Money::ZERO }
    }

    /// Sets the unit price.
    #[must_use]
    pub const fn unit_price(mut self, price: Money) -> Self {
        self.unit_price = price;
        self
    }
}

/// A request to place an order.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct OrderSpec {
    /// The order id, unique in the book.
    pub id: OrderId,
    /// The sales channel (web, app, store, marketplace, phone).
    pub channel: ChannelId,
    /// How the order is fulfilled.
    pub method: FulfilmentMethod,
    /// Where it goes.
    pub destination: Destination,
    /// The delivery promise: nodes with more transit days may not ship.
    pub deliver_within_days: Option<u32>,
    /// Batch priority: higher goes first.
    pub priority: i32,
    /// The promise date, the second batch key (earlier goes first).
    pub promise_date: Option<Timestamp>,
    /// A checkout hold: reservations lapse at this time unless the order is
    /// confirmed first ([`OrderBook::confirm`](super::OrderBook::confirm)).
    pub hold_until: Option<Timestamp>,
    /// The lines.
    pub lines: Vec<LineSpec>,
}

impl OrderSpec {
    /// An order shipped to an unknown address, with no lines yet.
    #[must_use]
    pub const fn new(id: OrderId, channel: ChannelId) -> Self {
        Self {
            id,
            channel,
            method: FulfilmentMethod::Ship,
            destination: Destination::Unknown,
            deliver_within_days: None,
            priority: 0,
            promise_date: None,
            hold_until: None,
            lines: Vec::new(),
        }
    }

    /// Sets the fulfilment method.
    #[must_use]
    pub const fn method(mut self, method: FulfilmentMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the destination.
    #[must_use]
    pub const fn destination(mut self, destination: Destination) -> Self {
        self.destination = destination;
        self
    }

    /// Sets the delivery promise in days.
    #[must_use]
    pub const fn deliver_within_days(mut self, days: Option<u32>) -> Self {
        self.deliver_within_days = days;
        self
    }

    /// Sets the batch priority.
    #[must_use]
    pub const fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the promise date.
    #[must_use]
    pub const fn promise_date(mut self, date: Option<Timestamp>) -> Self {
        self.promise_date = date;
        self
    }

    /// Sets a checkout hold.
    #[must_use]
    pub const fn hold_until(mut self, until: Option<Timestamp>) -> Self {
        self.hold_until = until;
        self
    }

    /// Adds a line.
    #[must_use]
    pub fn line(mut self, line: LineSpec) -> Self {
        self.lines.push(line);
        self
    }

    /// Checks the request on its own (not against the book).
    ///
    /// # Errors
    ///
    /// [`OrderError::InvalidOrder`] for no lines, a duplicate line id, a zero
    /// quantity, a negative price, or a pickup method without a pickup node
    /// (and a pickup node for another method).
    ///
    /// ```
    /// use omniroute::order::{LineSpec, OrderSpec};
    /// use omniroute::{ChannelId, LineId, OrderId, Qty, Sku};
    /// let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0))
    ///     .line(LineSpec::new(LineId::new(0), Sku::new(0), Qty::new(2)));
    /// assert!(spec.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), OrderError> {
        let bad = |field, reason| Err(OrderError::InvalidOrder { field, reason });
        if self.lines.is_empty() {
            return bad("lines", "an order needs at least one line");
        }
        for (i, l) in self.lines.iter().enumerate() {
            if l.qty.is_zero() {
                return bad("qty", "a line needs at least one unit");
            }
            if l.unit_price.is_negative() {
                return bad("unit_price", "must not be negative");
            }
            if self.lines.iter().take(i).any(|o| o.id == l.id) {
                return bad("lines", "a line id appears twice");
            }
        }
        validate_destination(self.method, self.destination)
    }
}

pub(crate) fn validate_destination(method: FulfilmentMethod, d: Destination) -> Result<(), OrderError> {
    match (method, d) {
        (FulfilmentMethod::StorePickup, Destination::Pickup(_)) => Ok(()),
        (FulfilmentMethod::StorePickup, _) => {
            Err(OrderError::InvalidOrder { field: "destination", reason: "store pickup needs a pickup node" })
        }
        (_, Destination::Pickup(_)) => Err(OrderError::InvalidOrder {
            field: "destination",
            reason: "a pickup node needs the store pickup method",
        }),
        _ => Ok(()),
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum OrderStatus {
    /// Units are still open, reserved or allocated.
    #[default]
    Active,
    /// Held for review by the risk policy: nothing is reserved.
    RiskHold,
    /// Nothing outstanding: every unit shipped, picked up or cancelled.
    Closed,
    /// The checkout hold lapsed before confirmation; the order was cancelled.
    Expired,
}

/// A live reservation held for a line at a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LineHold {
    /// The node.
    pub node: NodeId,
    /// The ledger reservation (its entry id).
    pub reservation: EntryId,
    /// Units held (≥ 1).
    pub qty: Qty,
    /// When the hold lapses (a checkout hold), if ever.
    pub expires_at: Option<Timestamp>,
}

/// Units of a line released to one node: allocated and shipped there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LineFill {
    /// The node.
    pub node: NodeId,
    /// Allocated, awaiting shipment or pickup.
    pub allocated: Qty,
    /// Shipped or picked up.
    pub shipped: Qty,
}

/// One tracked line. Its accounting:
///
/// ```text
/// ordered = open + reserved + allocated + shipped + cancelled,   returned ≤ shipped
/// ```
///
/// where `reserved` is the sum of the holds and `allocated` / `shipped`
/// the sums of the fills.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Line {
    /// The line id.
    pub id: LineId,
    /// The SKU.
    pub sku: Sku,
    /// Price per unit.
    pub unit_price: Money,
    /// Units ever ordered (a quantity increase adds to it; decreases are cancellations).
    pub ordered: Qty,
    /// Units not sourced yet.
    pub open: Qty,
    /// Units cancelled.
    pub cancelled: Qty,
    /// Units returned (recorded; the returns module handles the goods).
    pub returned: Qty,
    /// Live reservations, in the order made.
    pub holds: Vec<LineHold>,
    /// Released units per node, sorted by node.
    pub fills: Vec<LineFill>,
}

fn sum(mut it: impl Iterator<Item = Qty>) -> Result<Qty, OrderError> {
    it.try_fold(Qty::ZERO, |a, q| {
        a.checked_add(q).map_err(|_| OrderError::Overflow { what: "line quantity" })
    })
}

impl Line {
    pub(crate) fn new(spec: &LineSpec) -> Self {
        Self {
            id: spec.id,
            sku: spec.sku,
            unit_price: spec.unit_price,
            ordered: spec.qty,
            open: spec.qty,
            cancelled: Qty::ZERO,
            returned: Qty::ZERO,
            holds: Vec::new(),
            fills: Vec::new(),
        }
    }

    /// Units reserved (the holds' sum; saturates, see `check_invariants`).
    #[must_use]
    pub fn reserved(&self) -> Qty {
        sum(self.holds.iter().map(|h| h.qty)).unwrap_or(Qty::MAX)
    }

    /// Units reserved at `node`.
    #[must_use]
    pub fn reserved_at(&self, node: NodeId) -> Qty {
        sum(self.holds.iter().filter(|h| h.node == node).map(|h| h.qty)).unwrap_or(Qty::MAX)
    }

    /// Units allocated (released to fulfilment, not yet shipped).
    #[must_use]
    pub fn allocated(&self) -> Qty {
        sum(self.fills.iter().map(|f| f.allocated)).unwrap_or(Qty::MAX)
    }

    /// Units shipped or picked up.
    #[must_use]
    pub fn shipped(&self) -> Qty {
        sum(self.fills.iter().map(|f| f.shipped)).unwrap_or(Qty::MAX)
    }

    /// Units open or reserved: what a cancellation may take.
    #[must_use]
    pub fn cancellable(&self) -> Qty {
        Qty::new(self.open.get().saturating_add(self.reserved().get()))
    }

    /// Units allocated or shipped: what a modification may no longer touch.
    #[must_use]
    pub fn released(&self) -> Qty {
        Qty::new(self.allocated().get().saturating_add(self.shipped().get()))
    }

    /// Units still to be fulfilled (open + reserved + allocated).
    #[must_use]
    pub fn outstanding(&self) -> Qty {
        Qty::new(self.cancellable().get().saturating_add(self.allocated().get()))
    }

    /// Checks the line's accounting.
    ///
    /// # Errors
    ///
    /// [`OrderError::InvariantBroken`] naming the broken identity (`"line
    /// accounting"`, `"returned"`, `"hold"`, `"fill"`) — these can only come
    /// from a bug or from tampered data; [`OrderError::Overflow`] when a sum
    /// overflows.
    pub fn check(&self) -> Result<(), OrderError> {
        let broken = |what| Err(OrderError::InvariantBroken { what });
        let total = sum([
            self.open,
            self.reserved_checked()?,
            self.allocated_checked()?,
            self.shipped_checked()?,
            self.cancelled,
        ]
        .into_iter())?;
        if total != self.ordered {
            return broken("line accounting");
        }
        if self.returned > self.shipped_checked()? {
            return broken("returned");
        }
        if self.holds.iter().any(|h| h.qty.is_zero()) {
            return broken("hold");
        }
        if self.fills.iter().any(|f| f.allocated.is_zero() && f.shipped.is_zero())
            || self.fills.windows(2).any(|w| matches!(w, [a, b] if a.node >= b.node))
        {
            return broken("fill");
        }
        Ok(())
    }

    fn reserved_checked(&self) -> Result<Qty, OrderError> {
        sum(self.holds.iter().map(|h| h.qty))
    }

    fn allocated_checked(&self) -> Result<Qty, OrderError> {
        sum(self.fills.iter().map(|f| f.allocated))
    }

    fn shipped_checked(&self) -> Result<Qty, OrderError> {
        sum(self.fills.iter().map(|f| f.shipped))
    }

    /// Adds `allocated` units released to `node` (keeping fills sorted by node).
    pub(crate) fn allocate(&mut self, node: NodeId, qty: Qty) -> Result<(), OrderError> {
        match self.fills.binary_search_by_key(&node, |f| f.node) {
            Ok(i) => {
                if let Some(f) = self.fills.get_mut(i) {
                    f.allocated = f
                        .allocated
                        .checked_add(qty)
                        .map_err(|_| OrderError::Overflow { what: "allocated" })?;
                }
            }
            Err(i) => self.fills.insert(i, LineFill { node, allocated: qty, shipped: Qty::ZERO }),
        }
        Ok(())
    }
}

/// A tracked fulfilment order.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Order {
    /// The order id.
    pub id: OrderId,
    /// The sales channel.
    pub channel: ChannelId,
    /// The fulfilment method.
    pub method: FulfilmentMethod,
    /// Where it goes.
    pub destination: Destination,
    /// The delivery promise in days.
    pub deliver_within_days: Option<u32>,
    /// Batch priority.
    pub priority: i32,
    /// Promise date.
    pub promise_date: Option<Timestamp>,
    /// The checkout hold's lapse time; `None` once confirmed (or never held).
    pub hold_until: Option<Timestamp>,
    /// Where it stands.
    pub status: OrderStatus,
    /// Nodes that rejected, short-picked or went down for this order: never
    /// asked again for it.
    pub excluded: Vec<NodeId>,
    /// The lines, in the order placed (added lines at the end).
    pub lines: Vec<Line>,
}

impl Order {
    pub(crate) fn from_spec(spec: &OrderSpec) -> Self {
        Self {
            id: spec.id,
            channel: spec.channel,
            method: spec.method,
            destination: spec.destination,
            deliver_within_days: spec.deliver_within_days,
            priority: spec.priority,
            promise_date: spec.promise_date,
            hold_until: spec.hold_until,
            status: OrderStatus::Active,
            excluded: Vec::new(),
            lines: spec.lines.iter().map(Line::new).collect(),
        }
    }

    /// The line with this id.
    #[must_use]
    pub fn line(&self, id: LineId) -> Option<&Line> {
        self.lines.iter().find(|l| l.id == id)
    }

    pub(crate) fn line_mut(&mut self, id: LineId) -> Result<&mut Line, OrderError> {
        let order = self.id;
        self.lines.iter_mut().find(|l| l.id == id).ok_or(OrderError::UnknownLine { order, line: id })
    }

    /// Distinct nodes holding reservations for the order: its shipments if
    /// released now.
    #[must_use]
    pub fn reserved_nodes(&self) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = self.lines.iter().flat_map(|l| l.holds.iter().map(|h| h.node)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether the order is closed to operations.
    #[must_use]
    pub const fn is_closed(&self) -> bool {
        matches!(self.status, OrderStatus::Closed | OrderStatus::Expired)
    }

    /// Recomputes the status after an operation.
    pub(crate) fn settle(&mut self) {
        if matches!(self.status, OrderStatus::Active) && self.lines.iter().all(|l| l.outstanding().is_zero())
        {
            self.status = OrderStatus::Closed;
        }
    }

    /// Checks every line's accounting and the status.
    ///
    /// # Errors
    ///
    /// As [`Line::check`], and [`OrderError::InvariantBroken`] `"status"` when a
    /// closed order still has outstanding units or an order on risk hold
    /// has reservations.
    pub fn check(&self) -> Result<(), OrderError> {
        for l in &self.lines {
            l.check()?;
        }
        let outstanding = self.lines.iter().any(|l| !l.outstanding().is_zero());
        let held = self.lines.iter().any(|l| !l.holds.is_empty() || !l.fills.is_empty());
        let bad = match self.status {
            OrderStatus::Closed | OrderStatus::Expired => outstanding,
            OrderStatus::RiskHold => held,
            OrderStatus::Active => !outstanding,
        };
        if bad {
            return Err(OrderError::InvariantBroken { what: "status" });
        }
        Ok(())
    }
}

/// What happens to units that cannot be sourced when an order is placed or
/// a quantity raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum UnfilledPolicy {
    /// Reject the operation ([`OrderError::Unfillable`]).
    #[default]
    Reject,
    /// Accept it and keep the units open (a backorder to be re-sourced later).
    KeepOpen,
}

/// Order-module policy: limits, risk hold, unfilled units, routing rules.
/// `Copy`, with by-value setters.
///
/// ```
/// use omniroute::order::{OrderPolicy, UnfilledPolicy};
/// use omniroute::{Money, Qty};
/// let p = OrderPolicy::new().risk_max_line_qty(Some(Qty::new(50))).unfilled(UnfilledPolicy::KeepOpen);
/// assert_eq!(p.get_unfilled(), UnfilledPolicy::KeepOpen);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OrderPolicy {
    risk_max_line_qty: Option<Qty>,
    risk_max_order_value: Option<Money>,
    unfilled: UnfilledPolicy,
    split_lines: bool,
    max_shipments: Option<u32>,
    unfilled_unit_penalty: Money,
    max_attempts: u32,
    max_node_sets: u64,
}

impl Default for OrderPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl OrderPolicy {
    /// No risk hold, reject unfillable orders, lines may split, no shipment
    /// cap, an unfilled-unit penalty of 1,000 (used where units may stay
    /// open), 4 attempts, routing's default search limit.
    #[must_use]
    pub fn new() -> Self {
        Self {
            risk_max_line_qty: None,
            risk_max_order_value: None,
            unfilled: UnfilledPolicy::Reject,
            split_lines: true,
            max_shipments: None,
            unfilled_unit_penalty: Money::from_int(1_000),
            max_attempts: 4,
            max_node_sets: crate::routing::RouteOptions::DEFAULT_MAX_NODE_SETS,
        }
    }

    /// Hold for review any order with a line above this many units.
    #[must_use]
    pub const fn risk_max_line_qty(mut self, max: Option<Qty>) -> Self {
        self.risk_max_line_qty = max;
        self
    }

    /// Hold for review any order worth more than this (Σ qty × unit price).
    #[must_use]
    pub const fn risk_max_order_value(mut self, max: Option<Money>) -> Self {
        self.risk_max_order_value = max;
        self
    }

    /// What to do with units that cannot be sourced at placement.
    #[must_use]
    pub const fn unfilled(mut self, policy: UnfilledPolicy) -> Self {
        self.unfilled = policy;
        self
    }

    /// Whether a line's units may come from several nodes.
    #[must_use]
    pub const fn split_lines(mut self, yes: bool) -> Self {
        self.split_lines = yes;
        self
    }

    /// A cap on the nodes one routing call may use.
    #[must_use]
    pub const fn max_shipments(mut self, max: Option<u32>) -> Self {
        self.max_shipments = max;
        self
    }

    /// The cost per unit left open, where units may stay open (the router
    /// leaves a unit open only when shipping it costs more than this).
    #[must_use]
    pub const fn unfilled_unit_penalty(mut self, penalty: Money) -> Self {
        self.unfilled_unit_penalty = penalty;
        self
    }

    /// Attempts (routing + reserving) before [`OrderError::StaleAvailability`]; at least 1.
    #[must_use]
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The routing search limit per order ([`RouteOptions::max_node_sets`](crate::routing::RouteOptions::max_node_sets)).
    #[must_use]
    pub const fn max_node_sets(mut self, max: u64) -> Self {
        self.max_node_sets = max;
        self
    }

    /// See [`Self::risk_max_line_qty`].
    #[must_use]
    pub const fn get_risk_max_line_qty(&self) -> Option<Qty> {
        self.risk_max_line_qty
    }

    /// See [`Self::risk_max_order_value`].
    #[must_use]
    pub const fn get_risk_max_order_value(&self) -> Option<Money> {
        self.risk_max_order_value
    }

    /// See [`Self::unfilled`].
    #[must_use]
    pub const fn get_unfilled(&self) -> UnfilledPolicy {
        self.unfilled
    }

    /// See [`Self::split_lines`].
    #[must_use]
    pub const fn get_split_lines(&self) -> bool {
        self.split_lines
    }

    /// See [`Self::max_shipments`].
    #[must_use]
    pub const fn get_max_shipments(&self) -> Option<u32> {
        self.max_shipments
    }

    /// See [`Self::unfilled_unit_penalty`].
    #[must_use]
    pub const fn get_unfilled_unit_penalty(&self) -> Money {
        self.unfilled_unit_penalty
    }

    /// See [`Self::max_attempts`].
    #[must_use]
    pub const fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`Self::max_node_sets`].
    #[must_use]
    pub const fn get_max_node_sets(&self) -> u64 {
        self.max_node_sets
    }
}
