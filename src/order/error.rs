//! The order module's one error enum.

use thiserror::Error;

use super::OpId;
use crate::ledger::LedgerError;
use crate::model::{LineId, NodeId, OrderId, Qty};
use crate::routing::RoutingError;

/// Why an order operation was rejected. A rejected operation changes
/// nothing: the order book and the ledger are left byte-identical.
///
/// Variants are listed in the order the checks run; the first that applies
/// is returned. Running short of stock during a disruption (a node
/// rejection, a short pick, an outage) is not an error: the units stay open
/// and the result lists them as unfilled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OrderError {
    /// Operation ids must strictly increase within a book: ledger entry ids
    /// are derived from them, so a reused id could collide.
    ///
    /// ```
    /// use omniroute::order::{OpId, OrderBook, OrderError};
    /// let book = OrderBook::default();
    /// assert!(book.check_op(OpId::new(1)).is_ok());
    /// ```
    /// (See [`OrderBook::check_op`](super::OrderBook::check_op) for a failing example.)
    #[error("operation {op} is not after the last operation {last}")]
    StaleOperation {
        /// The operation id given.
        op: OpId,
        /// The last applied operation id.
        last: OpId,
    },
    /// An order or line field is invalid (no lines, a duplicate line, a
    /// zero quantity, a negative price, a pickup order without a pickup node).
    ///
    /// ```
    /// use omniroute::order::{OrderError, OrderSpec};
    /// use omniroute::{ChannelId, OrderId};
    /// let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0));
    /// assert!(matches!(spec.validate(), Err(OrderError::InvalidOrder { field: "lines", .. })));
    /// ```
    #[error("invalid order: {field}: {reason}")]
    InvalidOrder {
        /// The offending field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The network is inconsistent (a node listed twice).
    ///
    /// ```
    /// use omniroute::order::{Network, OrderError};
    /// use omniroute::{Node, NodeId, NodeKind};
    /// let n = Node::new(NodeId::new(0), NodeKind::Warehouse);
    /// assert!(matches!(Network::new(vec![n.clone(), n]), Err(OrderError::DuplicateNode { .. })));
    /// ```
    #[error("node {node} appears twice in the network")]
    DuplicateNode {
        /// The node.
        node: NodeId,
    },
    /// The order id is already in the book.
    ///
    /// See the [`OrderBook::place`](super::OrderBook::place) example.
    #[error("{order} already exists")]
    DuplicateOrder {
        /// The order.
        order: OrderId,
    },
    /// No such order in the book.
    ///
    /// ```
    /// use omniroute::order::{OrderBook, OrderError};
    /// use omniroute::OrderId;
    /// assert!(matches!(OrderBook::default().order(OrderId::new(9)), Err(OrderError::UnknownOrder { .. })));
    /// ```
    #[error("unknown {order}")]
    UnknownOrder {
        /// The order.
        order: OrderId,
    },
    /// The order is closed (fully shipped, cancelled or expired).
    ///
    /// See the [`OrderBook::cancel`](super::OrderBook::cancel) example.
    #[error("{order} is closed")]
    OrderClosed {
        /// The order.
        order: OrderId,
    },
    /// The operation is not allowed in the order's current state (releasing
    /// an order on risk hold or with an unconfirmed checkout hold, a pickup
    /// on a shipping order, approving an order that is not held).
    ///
    /// See the [`OrderBook::release`](super::OrderBook::release) example.
    #[error("{order}: {reason}")]
    NotAllowed {
        /// The order.
        order: OrderId,
        /// Why.
        reason: &'static str,
    },
    /// No such line in the order (or, for an added line, the id is taken).
    ///
    /// See the [`OrderBook::cancel_line`](super::OrderBook::cancel_line) example.
    #[error("{order} has no {line}")]
    UnknownLine {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
    },
    /// A node that is not in the network, or not eligible for the order's
    /// fulfilment method and channel, was named.
    ///
    /// See the [`OrderBook::place`](super::OrderBook::place) example.
    #[error("{node} is not an eligible node for {order}")]
    IneligibleNode {
        /// The order.
        order: OrderId,
        /// The node.
        node: NodeId,
    },
    /// Cancelling more than is open or reserved (units released to
    /// fulfilment cannot be cancelled: they are in the node's hands).
    ///
    /// See the [`OrderBook::cancel_line`](super::OrderBook::cancel_line) example.
    #[error("{order}/{line}: cancelling {requested}, only {cancellable} open or reserved")]
    ExceedsCancellable {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// Units asked for.
        requested: Qty,
        /// Units open or reserved.
        cancellable: Qty,
    },
    /// A short pick naming more units than the node holds for the line.
    ///
    /// See the [`OrderBook::short_pick`](super::OrderBook::short_pick) example.
    #[error("{order}/{line}: {requested} picked at {node}, only {reserved} reserved there")]
    ExceedsReserved {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// The node.
        node: NodeId,
        /// Units asked for.
        requested: Qty,
        /// Units reserved there.
        reserved: Qty,
    },
    /// Shipping, handing over, cancelling or deallocating more than is
    /// allocated at the node.
    ///
    /// See the [`OrderBook::ship`](super::OrderBook::ship) example.
    #[error("{order}/{line}: {requested} requested from {node}, only {allocated} allocated there")]
    ExceedsAllocated {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// The node.
        node: NodeId,
        /// Units asked for.
        requested: Qty,
        /// Units allocated there.
        allocated: Qty,
    },
    /// Recording more returns than were shipped.
    ///
    /// See the [`OrderBook::record_return`](super::OrderBook::record_return) example.
    #[error("{order}/{line}: returning {requested}, only {returnable} shipped and not returned")]
    ExceedsReturnable {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// Units asked for.
        requested: Qty,
        /// Units shipped and not yet returned.
        returnable: Qty,
    },
    /// Modifying a line (or a destination) after units were released to
    /// fulfilment or shipped.
    ///
    /// See the [`OrderBook::modify`](super::OrderBook::modify) example.
    #[error("{order}/{line}: {released} units already released or shipped")]
    LineReleased {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// Units allocated or shipped.
        released: Qty,
    },
    /// Not enough eligible stock to source a line and the policy says
    /// reject ([`UnfilledPolicy::Reject`](super::UnfilledPolicy::Reject)).
    ///
    /// See the [`OrderBook::place`](super::OrderBook::place) example.
    #[error("{order}/{line}: {short} units cannot be sourced")]
    Unfillable {
        /// The order.
        order: OrderId,
        /// The first line short.
        line: LineId,
        /// Units short on that line.
        short: Qty,
    },
    /// Routing rejected the problem built for the order.
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// use omniroute::{OrderId, RoutingError};
    /// let e = OrderError::Routing { order: OrderId::new(1), error: RoutingError::NoLines };
    /// assert_eq!(e.to_string(), "routing order#1: the order has no lines");
    /// ```
    #[error("routing {order}: {error}")]
    Routing {
        /// The order.
        order: OrderId,
        /// The routing error.
        error: RoutingError,
    },
    /// A custom [`Router`](super::Router)'s plan does not fit the problem it
    /// was given: a shipment from a node that is not a candidate, a line that
    /// was not asked for, more units than asked for a line or than available
    /// at a node. Nothing was applied.
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// use omniroute::OrderId;
    /// let e = OrderError::InvalidPlan { order: OrderId::new(1), reason: "a shipment from a node that is not a candidate" };
    /// assert_eq!(e.to_string(), "router's plan for order#1 refused: a shipment from a node that is not a candidate");
    /// ```
    #[error("router's plan for {order} refused: {reason}")]
    InvalidPlan {
        /// The order.
        order: OrderId,
        /// What is wrong with the plan.
        reason: &'static str,
    },
    /// The ledger rejected the operation's batch for a reason other than a
    /// change of availability (nothing was applied).
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// use omniroute::ledger::LedgerError;
    /// let e = OrderError::Ledger { index: 0, error: LedgerError::ZeroQuantity };
    /// assert!(e.to_string().starts_with("ledger rejected command 0"));
    /// ```
    #[error("ledger rejected command {index}: {error}")]
    Ledger {
        /// Index of the failing command in the operation's batch.
        index: usize,
        /// The ledger's error.
        error: LedgerError,
    },
    /// Availability kept changing underneath: every attempt's reservations
    /// were rejected for insufficient stock.
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// assert_eq!(OrderError::StaleAvailability { attempts: 3 }.to_string(), "availability still stale after 3 attempts");
    /// ```
    #[error("availability still stale after {attempts} attempts")]
    StaleAvailability {
        /// Attempts made.
        attempts: u32,
    },
    /// A quantity, a money amount or a counter would overflow.
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// assert_eq!(OrderError::Overflow { what: "ordered" }.to_string(), "arithmetic overflow in ordered");
    /// ```
    #[error("arithmetic overflow in {what}")]
    Overflow {
        /// What overflowed.
        what: &'static str,
    },
    /// Checked state is inconsistent: a bug, or data altered outside the
    /// library (a tampered snapshot or event).
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// assert_eq!(OrderError::InvariantBroken { what: "status" }.to_string(), "order invariant broken: status");
    /// ```
    #[error("order invariant broken: {what}")]
    InvariantBroken {
        /// Which invariant.
        what: &'static str,
    },
}
