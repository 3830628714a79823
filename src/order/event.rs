//! What order operations return: order events to persist and the ledger
//! events of the batch they applied.

use super::{OpId, Order};
use crate::ledger::Event;
use crate::model::{LineId, Money, NodeId, OrderId, Qty, Timestamp};
use crate::routing::Plan;

/// What happened to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum OrderEventKind {
    /// Placed and routed (some units may be open).
    Placed,
    /// Placed and held for review by the risk policy; nothing reserved.
    RiskHeld,
    /// A risk hold was approved and the order routed.
    Approved,
    /// The checkout hold was confirmed: reservations no longer lapse.
    Confirmed,
    /// Reserved units were released to fulfilment (allocated).
    Released {
        /// The node, or every node.
        node: Option<NodeId>,
    },
    /// A node picked fewer units than it held; the rest was re-sourced.
    ShortPicked {
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units picked (allocated).
        picked: Qty,
    },
    /// A node rejected the order; its units were re-sourced elsewhere.
    NodeRejected {
        /// The node.
        node: NodeId,
    },
    /// A node went down; its unreleased units were re-sourced elsewhere.
    NodeOutage {
        /// The node.
        node: NodeId,
    },
    /// Allocated (released, unshipped) units cancelled; the ledger
    /// deallocated them.
    AllocatedCancelled {
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// After release, a node found fewer units than it was allocated: the
    /// missing ones were deallocated (and written off when `written_off`)
    /// and re-sourced elsewhere.
    ReleasedShortPicked {
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units missing.
        missing: Qty,
        /// Whether the missing units were written off the node's on-hand.
        written_off: bool,
    },
    /// A node rejected units already released to it: they were deallocated
    /// and, with its reservations for the order, re-sourced elsewhere.
    ReleasedRejected {
        /// The node.
        node: NodeId,
    },
    /// Units shipped.
    Shipped {
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// Units handed over at the pickup node.
    PickedUp {
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// Every open and reserved unit cancelled.
    Cancelled,
    /// Units of one line cancelled.
    LineCancelled {
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// A modification applied.
    Modified,
    /// The checkout hold lapsed; open and reserved units cancelled.
    HoldExpired,
    /// Re-evaluation moved the order's reservations to fewer nodes.
    Reevaluated {
        /// Nodes holding reservations before.
        shipments_before: u32,
        /// Nodes holding reservations after.
        shipments_after: u32,
        /// Cost before minus cost after (may be negative).
        cost_saved: Money,
    },
    /// Units returned (recorded).
    Returned {
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
}

/// An order event: the operation, what happened, and the order as it is
/// afterwards. Persist it; [`OrderBook::apply_events`](super::OrderBook::apply_events)
/// rebuilds the book from a snapshot plus the events after it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct OrderEvent {
    /// The operation.
    pub op: OpId,
    /// The `now` of the operation.
    pub at: Timestamp,
    /// What happened.
    pub kind: OrderEventKind,
    /// The order after the operation.
    pub order: Order,
}

/// Units left open by an operation (not sourced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Unfilled {
    /// The order.
    pub order: OrderId,
    /// The line.
    pub line: LineId,
    /// Units left open.
    pub qty: Qty,
}

/// An applied operation: what to persist, and what could not be sourced.
///
/// The operation has already applied `ledger_events` to the ledger (one
/// atomic batch) and its order changes to the book.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Applied {
    /// One event per order touched, in order of order id (batch: in
    /// allocation order).
    pub events: Vec<OrderEvent>,
    /// The ledger events of the operation's batch, in order.
    pub ledger_events: Vec<Event>,
    /// Units left open.
    pub unfilled: Vec<Unfilled>,
    /// Every plan the operation reserved by, with its order, in the order
    /// they were made (an order re-sourced twice in one operation appears
    /// twice): shipments, cost (as the [`Router`](super::Router) priced it)
    /// and status. Units the router neither shipped nor listed as unfilled
    /// were added to `unfilled`; units short before routing (no eligible
    /// node holds them) are listed there too.
    pub plans: Vec<(OrderId, Plan)>,
    /// Routing + reserving attempts used (more than 1 when availability
    /// had changed underneath).
    pub attempts: u32,
}

impl Applied {
    /// The event of `order`, if it was touched.
    #[must_use]
    pub fn event(&self, order: OrderId) -> Option<&OrderEvent> {
        self.events.iter().find(|e| e.order.id == order)
    }
}
