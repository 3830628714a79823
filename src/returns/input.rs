//! What the host passes in: the sale, the return request, the customer's
//! history, node signals, the inspection and the recovery economics.

use core::fmt;

use super::{Category, Disposition, ReturnsError};
use crate::model::{LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};

/// A return's id, chosen by the host; unique within one sale.
///
/// ```
/// use omniroute::returns::ReturnId;
/// assert_eq!(ReturnId::new(5).to_string(), "return#5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct ReturnId(u64);

impl ReturnId {
    /// A return id.
    #[must_use]
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The raw id.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ReturnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "return#{}", self.0)
    }
}

/// One sold order line, as the host recorded it.
///
/// ```
/// use omniroute::returns::{Category, Sale};
/// use omniroute::{LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};
/// let sale = Sale::new(OrderId::new(7), LineId::new(0), Sku::new(3), Category::new(1), Timestamp::EPOCH)
///     .quantities(Qty::new(2), Qty::new(2))
///     .paid(Money::from_int(50))
///     .shipped_from(NodeId::new(1));
/// assert_eq!(sale.qty_shipped, Qty::new(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Sale {
    /// The order.
    pub order: OrderId,
    /// The line within it.
    pub line: LineId,
    /// What was sold.
    pub sku: Sku,
    /// Its category, for the policy's category rules.
    pub category: Category,
    /// When it was sold.
    pub sold_at: Timestamp,
    /// When it was delivered; return windows count from here when known.
    pub delivered_at: Option<Timestamp>,
    /// Units sold (what `paid` pays for).
    pub qty_sold: Qty,
    /// Units shipped or handed over; at most this many can come back.
    pub qty_shipped: Qty,
    /// What the customer paid for the `qty_sold` units.
    pub paid: Money,
    /// Refunded before any return handled here (price adjustments, goodwill).
    pub refunded: Money,
    /// The node that shipped it, if known.
    pub shipped_from: Option<NodeId>,
    /// Whether the product is under a recall.
    pub recalled: bool,
}

impl Sale {
    /// A sale of one unit, paid nothing, nothing refunded, not recalled.
    #[must_use]
    pub const fn new(order: OrderId, line: LineId, sku: Sku, category: Category, sold_at: Timestamp) -> Self {
        Self {
            order,
            line,
            sku,
            category,
            sold_at,
            delivered_at: None,
            qty_sold: Qty::new(1),
            qty_shipped: Qty::new(1),
            paid: Money::ZERO,
            refunded: Money::ZERO,
            shipped_from: None,
            recalled: false,
        }
    }

    /// Sets units sold and units shipped.
    #[must_use]
    pub const fn quantities(mut self, sold: Qty, shipped: Qty) -> Self {
        self.qty_sold = sold;
        self.qty_shipped = shipped;
        self
    }

    /// Sets the amount paid for the units sold.
    #[must_use]
    pub const fn paid(mut self, paid: Money) -> Self {
        self.paid = paid;
        self
    }

    /// Sets the amount refunded before any return.
    #[must_use]
    pub const fn refunded(mut self, refunded: Money) -> Self {
        self.refunded = refunded;
        self
    }

    /// Sets the delivery time.
    #[must_use]
    pub const fn delivered_at(mut self, at: Timestamp) -> Self {
        self.delivered_at = Some(at);
        self
    }

    /// Sets the shipping node.
    #[must_use]
    pub const fn shipped_from(mut self, node: NodeId) -> Self {
        self.shipped_from = Some(node);
        self
    }

    /// Marks the product recalled.
    #[must_use]
    pub const fn recalled(mut self, yes: bool) -> Self {
        self.recalled = yes;
        self
    }

    /// Checks the record is consistent.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::InvalidSale`] when nothing was sold, more was shipped
    /// than sold, an amount is negative, more was refunded than paid or the
    /// delivery precedes the sale.
    pub fn validate(&self) -> Result<(), ReturnsError> {
        let bad = |field| Err(ReturnsError::InvalidSale { field });
        if self.qty_sold.is_zero() {
            return bad("qty_sold");
        }
        if self.qty_shipped > self.qty_sold {
            return bad("qty_shipped");
        }
        if self.paid.is_negative() {
            return bad("paid");
        }
        if self.refunded.is_negative() || self.refunded > self.paid {
            return bad("refunded");
        }
        if self.delivered_at.is_some_and(|d| d < self.sold_at) {
            return bad("delivered_at");
        }
        Ok(())
    }

    /// When return windows start: delivery if known, else the sale.
    #[must_use]
    pub fn window_start(&self) -> Timestamp {
        self.delivered_at.unwrap_or(self.sold_at)
    }
}

/// Why the customer returns the item. The first four are the merchant's
/// fault: they waive restocking fees, open the statutory window and override
/// category refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ReturnReason {
    /// The wrong item was sent.
    WrongItem,
    /// It arrived damaged.
    DamagedInTransit,
    /// It does not work.
    Defective,
    /// It is not what the listing said.
    NotAsDescribed,
    /// The customer changed their mind.
    #[default]
    ChangedMind,
    /// It did not fit.
    DoesNotFit,
}

impl ReturnReason {
    /// Whether the merchant was at fault.
    ///
    /// ```
    /// use omniroute::returns::ReturnReason;
    /// assert!(ReturnReason::Defective.is_merchant_fault());
    /// assert!(!ReturnReason::DoesNotFit.is_merchant_fault());
    /// ```
    #[must_use]
    pub const fn is_merchant_fault(self) -> bool {
        matches!(self, Self::WrongItem | Self::DamagedInTransit | Self::Defective | Self::NotAsDescribed)
    }
}

/// How the unit comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ReturnChannel {
    /// By parcel, to a node the engine chooses.
    #[default]
    Mail,
    /// Handed over at a store; the unit is already there.
    InStore(NodeId),
}

/// The customer's keep-it history over the host's counting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct CustomerHistory {
    /// Keep-it refunds already granted.
    pub keep_it_count: u32,
    /// Their total value.
    pub keep_it_value: Money,
}

impl CustomerHistory {
    /// A history of `count` keep-its worth `value`.
    #[must_use]
    pub const fn new(count: u32, value: Money) -> Self {
        Self { keep_it_count: count, keep_it_value: value }
    }
}

/// A customer's request to return units of one sale.
///
/// ```
/// use omniroute::returns::{ReturnId, ReturnReason, ReturnRequest};
/// use omniroute::{NodeId, Qty, Timestamp};
/// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::Defective, Timestamp::EPOCH)
///     .in_store(NodeId::new(4))
///     .opened(true);
/// assert!(req.opened);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ReturnRequest {
    /// The host's id for this return.
    pub id: ReturnId,
    /// Units to return.
    pub qty: Qty,
    /// Why.
    pub reason: ReturnReason,
    /// When it was asked for (or dropped off).
    pub requested_at: Timestamp,
    /// Mail or in store.
    pub channel: ReturnChannel,
    /// Whether the packaging was opened.
    pub opened: bool,
    /// A host-supplied fraud or risk score; compared with the policy's threshold.
    pub risk_score: u32,
    /// A person has reviewed and approved this return.
    pub review_approved: bool,
    /// A refund amount decided by a person, replacing the computed one.
    pub refund_override: Option<Money>,
    /// The customer's keep-it history.
    pub customer: CustomerHistory,
}

impl ReturnRequest {
    /// A mail return of `qty` units, unopened, no risk, not reviewed.
    #[must_use]
    pub const fn new(id: ReturnId, qty: Qty, reason: ReturnReason, requested_at: Timestamp) -> Self {
        Self {
            id,
            qty,
            reason,
            requested_at,
            channel: ReturnChannel::Mail,
            opened: false,
            risk_score: 0,
            review_approved: false,
            refund_override: None,
            customer: CustomerHistory { keep_it_count: 0, keep_it_value: Money::ZERO },
        }
    }

    /// Handed over at `store`.
    #[must_use]
    pub const fn in_store(mut self, store: NodeId) -> Self {
        self.channel = ReturnChannel::InStore(store);
        self
    }

    /// Sets whether the packaging was opened.
    #[must_use]
    pub const fn opened(mut self, yes: bool) -> Self {
        self.opened = yes;
        self
    }

    /// Sets the risk score.
    #[must_use]
    pub const fn risk_score(mut self, score: u32) -> Self {
        self.risk_score = score;
        self
    }

    /// Marks the return as approved by a reviewer.
    #[must_use]
    pub const fn review_approved(mut self, yes: bool) -> Self {
        self.review_approved = yes;
        self
    }

    /// Replaces the computed refund with `amount`.
    #[must_use]
    pub const fn refund_override(mut self, amount: Money) -> Self {
        self.refund_override = Some(amount);
        self
    }

    /// Sets the customer's keep-it history.
    #[must_use]
    pub const fn customer(mut self, history: CustomerHistory) -> Self {
        self.customer = history;
        self
    }
}

/// What one node offers a returned unit: its demand-weighted resale value and
/// the costs of getting the unit there and handling it.
///
/// At a request, `transport_cost` is the cost of bringing the parcel from the
/// customer (or the drop-off store) to this node. At disposition it is the cost
/// of transferring from the receiving node; it is ignored for the receiving
/// node itself, where nothing travels.
///
/// ```
/// use omniroute::returns::NodeSignal;
/// use omniroute::{Money, NodeId};
/// let n = NodeSignal::new(NodeId::new(2), Money::from_int(40))
///     .handling_cost(Money::from_int(3))
///     .transport_cost(Money::from_int(8))
///     .transit_days(2);
/// assert!(n.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct NodeSignal {
    /// The node.
    pub node: NodeId,
    /// Expected recovery per unit restocked here (price × chance of selling, net of markdown).
    pub resale_value: Money,
    /// Cost per unit of receiving, inspecting and shelving here.
    pub handling_cost: Money,
    /// Cost per shipment of getting the units here.
    pub transport_cost: Money,
    /// Days in transit to this node.
    pub transit_days: u32,
    /// Whether the node takes returns.
    pub accepts_returns: bool,
    /// Whether the node may hold hazardous materials.
    pub hazmat: bool,
}

impl NodeSignal {
    /// A node taking returns (not hazmat) with `resale_value` per unit and no costs.
    #[must_use]
    pub const fn new(node: NodeId, resale_value: Money) -> Self {
        Self {
            node,
            resale_value,
            handling_cost: Money::ZERO,
            transport_cost: Money::ZERO,
            transit_days: 0,
            accepts_returns: true,
            hazmat: false,
        }
    }

    /// Sets the handling cost per unit.
    #[must_use]
    pub const fn handling_cost(mut self, cost: Money) -> Self {
        self.handling_cost = cost;
        self
    }

    /// Sets the transport cost per shipment.
    #[must_use]
    pub const fn transport_cost(mut self, cost: Money) -> Self {
        self.transport_cost = cost;
        self
    }

    /// Sets the transit days.
    #[must_use]
    pub const fn transit_days(mut self, days: u32) -> Self {
        self.transit_days = days;
        self
    }

    /// Sets whether the node takes returns.
    #[must_use]
    pub const fn accepts_returns(mut self, yes: bool) -> Self {
        self.accepts_returns = yes;
        self
    }

    /// Sets whether the node may hold hazardous materials.
    #[must_use]
    pub const fn hazmat(mut self, yes: bool) -> Self {
        self.hazmat = yes;
        self
    }

    /// Checks that no amount is negative.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::NegativeAmount`] naming the first negative field.
    pub fn validate(&self) -> Result<(), ReturnsError> {
        for (field, m) in [
            ("resale_value", self.resale_value),
            ("handling_cost", self.handling_cost),
            ("transport_cost", self.transport_cost),
        ] {
            if m.is_negative() {
                return Err(ReturnsError::NegativeAmount { field });
            }
        }
        Ok(())
    }
}

/// The condition an inspector gives returned units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Grade {
    /// Unopened, as new.
    Sealed,
    /// Opened, complete, no wear.
    LikeNew,
    /// Used or incomplete, working.
    Used,
    /// Damaged or not working, repairable.
    Damaged,
    /// Beyond repair.
    Scrap,
}

impl Grade {
    /// The dispositions this grade allows, in tie-break order.
    ///
    /// ```
    /// use omniroute::returns::{Disposition, Grade};
    /// assert!(Grade::Sealed.allows().contains(&Disposition::Restock));
    /// assert!(!Grade::Damaged.allows().contains(&Disposition::Restock));
    /// ```
    #[must_use]
    pub const fn allows(self) -> &'static [Disposition] {
        use Disposition::*;
        match self {
            Self::Sealed => &[Restock, OpenBox, ReturnToVendor, Liquidate, Donate],
            Self::LikeNew => &[OpenBox, Refurbish, ReturnToVendor, Liquidate, Donate, Recycle],
            Self::Used => &[Refurbish, ReturnToVendor, Liquidate, Donate, Recycle, Destroy],
            Self::Damaged => &[Refurbish, ReturnToVendor, Liquidate, Recycle, Destroy],
            Self::Scrap => &[ReturnToVendor, Recycle, Destroy],
        }
    }
}

/// The inspection of some (or all) received units of one return.
///
/// ```
/// use omniroute::returns::{Grade, Inspection, ReturnId};
/// use omniroute::{Qty, Timestamp};
/// let i = Inspection::new(ReturnId::new(1), Grade::LikeNew, Qty::new(1), Timestamp::EPOCH).suspect(true);
/// assert!(i.suspect);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Inspection {
    /// The return.
    pub return_id: ReturnId,
    /// The grade given.
    pub grade: Grade,
    /// Units inspected with this grade.
    pub qty: Qty,
    /// When.
    pub at: Timestamp,
    /// The inspector suspects fraud (wrong item inside, swapped serial): quarantine.
    pub suspect: bool,
}

impl Inspection {
    /// An inspection of `qty` units with `grade`, not suspect.
    #[must_use]
    pub const fn new(return_id: ReturnId, grade: Grade, qty: Qty, at: Timestamp) -> Self {
        Self { return_id, grade, qty, at, suspect: false }
    }

    /// Sets the suspicion flag.
    #[must_use]
    pub const fn suspect(mut self, yes: bool) -> Self {
        self.suspect = yes;
        self
    }
}

/// Per-unit economics of one disposition: what it brings in and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct UnitEconomics {
    pub(crate) gross: Money,
    pub(crate) cost: Money,
}

/// The recovery economics at disposition time, supplied by the host: restock
/// values per node, the open-box SKU and its value, and the per-unit gross and
/// cost of every other disposition. A disposition without economics is not a
/// candidate (quarantine needs none).
///
/// ```
/// use omniroute::returns::{Disposition, NodeSignal, Recovery};
/// use omniroute::{Money, NodeId, Sku};
/// let r = Recovery::new()
///     .restock_at(NodeSignal::new(NodeId::new(1), Money::from_int(40)))
///     .open_box(Sku::new(900), Money::from_int(30), Money::from_int(2))
///     .value(Disposition::Liquidate, Money::from_int(12), Money::from_int(1));
/// assert!(r.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recovery {
    pub(crate) restock: Vec<NodeSignal>,
    pub(crate) open_box_sku: Option<Sku>,
    pub(crate) values: Vec<(Disposition, UnitEconomics)>,
}

impl Recovery {
    /// No options: everything would be quarantined.
    #[must_use]
    pub const fn new() -> Self {
        Self { restock: Vec::new(), open_box_sku: None, values: Vec::new() }
    }

    /// Adds a node where restocked units could sell.
    #[must_use]
    pub fn restock_at(mut self, node: NodeSignal) -> Self {
        self.restock.push(node);
        self
    }

    /// Sets the open-box SKU and its per-unit gross and cost at the receiving node.
    #[must_use]
    pub fn open_box(self, sku: Sku, gross: Money, cost: Money) -> Self {
        let mut r = self.value(Disposition::OpenBox, gross, cost);
        r.open_box_sku = Some(sku);
        r
    }

    /// Sets the per-unit gross and cost of a disposition other than restock
    /// (for which see [`Self::restock_at`]); a later call for the same
    /// disposition replaces an earlier one.
    #[must_use]
    pub fn value(mut self, disposition: Disposition, gross: Money, cost: Money) -> Self {
        self.values.retain(|(d, _)| *d != disposition);
        self.values.push((disposition, UnitEconomics { gross, cost }));
        self
    }

    pub(crate) fn economics(&self, disposition: Disposition) -> Option<UnitEconomics> {
        self.values.iter().find(|(d, _)| *d == disposition).map(|(_, e)| *e)
    }

    /// Checks that no amount is negative and no restock node is listed twice.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::NegativeAmount`] naming the first negative field, then
    /// [`ReturnsError::DuplicateNode`].
    pub fn validate(&self) -> Result<(), ReturnsError> {
        for n in &self.restock {
            n.validate()?;
        }
        for (_, e) in &self.values {
            if e.gross.is_negative() {
                return Err(ReturnsError::NegativeAmount { field: "gross" });
            }
            if e.cost.is_negative() {
                return Err(ReturnsError::NegativeAmount { field: "cost" });
            }
        }
        unique_nodes(&self.restock)
    }
}

/// [`ReturnsError::DuplicateNode`] for the lowest node listed twice.
pub(crate) fn unique_nodes(nodes: &[NodeSignal]) -> Result<(), ReturnsError> {
    let mut ids: Vec<NodeId> = nodes.iter().map(|n| n.node).collect();
    ids.sort_unstable();
    match ids.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(*a),
        _ => None,
    }) {
        Some(node) => Err(ReturnsError::DuplicateNode { node }),
        None => Ok(()),
    }
}
