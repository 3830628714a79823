use thiserror::Error;

use super::ReturnId;
use crate::model::{ModelError, Money, NodeId, Qty, Timestamp};

/// Why a returns operation was rejected. A rejected operation changes nothing.
///
/// Variants are listed in the order the checks run; the first that applies is
/// returned. A request that is merely *refused* by the policy (outside the
/// window, a final-sale item) is not an error: it is a [`Verdict`] with its
/// reasons.
///
/// [`Verdict`]: crate::returns::Verdict
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReturnsError {
    /// The sale record is inconsistent (e.g. more shipped than sold, or more
    /// refunded than paid).
    ///
    /// ```
    /// use omniroute::returns::{Category, ReturnsError, Sale, SaleReturns};
    /// use omniroute::{LineId, Money, OrderId, Qty, Sku, Timestamp};
    /// let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    ///     .quantities(Qty::new(1), Qty::new(2)) // 1 sold, 2 shipped
    ///     .paid(Money::from_int(10));
    /// assert!(matches!(SaleReturns::new(sale), Err(ReturnsError::InvalidSale { field: "qty_shipped" })));
    /// ```
    #[error("invalid sale record: {field}")]
    InvalidSale {
        /// The offending field.
        field: &'static str,
    },
    /// The policy is inconsistent (a fee above 100%, a negative cap).
    ///
    /// ```
    /// use omniroute::returns::{ReturnPolicy, ReturnsError};
    /// let p = ReturnPolicy::new().restocking_fee_bp(10_001);
    /// assert!(matches!(p.validate(), Err(ReturnsError::InvalidPolicy { field: "restocking_fee_bp" })));
    /// ```
    #[error("invalid return policy: {field}")]
    InvalidPolicy {
        /// The offending field.
        field: &'static str,
    },
    /// A money input that must not be negative was negative.
    ///
    /// ```
    /// use omniroute::returns::{NodeSignal, ReturnsError};
    /// use omniroute::{Money, NodeId};
    /// let n = NodeSignal::new(NodeId::new(0), Money::from_int(-1));
    /// assert!(matches!(n.validate(), Err(ReturnsError::NegativeAmount { field: "resale_value" })));
    /// ```
    #[error("{field} must not be negative")]
    NegativeAmount {
        /// The offending field.
        field: &'static str,
    },
    /// A node appeared twice in a list of node signals.
    ///
    /// ```
    /// use omniroute::returns::{NodeSignal, Recovery, ReturnsError};
    /// use omniroute::{Money, NodeId};
    /// let n = NodeSignal::new(NodeId::new(3), Money::from_int(10));
    /// let r = Recovery::new().restock_at(n).restock_at(n);
    /// assert_eq!(r.validate(), Err(ReturnsError::DuplicateNode { node: NodeId::new(3) }));
    /// ```
    #[error("{node} appears twice in the node signals")]
    DuplicateNode {
        /// The repeated node.
        node: NodeId,
    },
    /// A quantity was zero where units are required.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::ZERO, ReturnReason::ChangedMind, Timestamp::EPOCH);
    /// let err = returns.request(&req, &ReturnPolicy::default(), &[]).unwrap_err();
    /// assert_eq!(err, ReturnsError::ZeroQuantity);
    /// # Ok::<(), ReturnsError>(())
    /// ```
    #[error("quantity must be positive")]
    ZeroQuantity,
    /// A return id was used twice for one sale.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// # let store = NodeId::new(4);
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, Timestamp::EPOCH)
    ///     .in_store(store);
    /// returns.request(&req, &ReturnPolicy::default(), &[])?;
    /// assert!(matches!(returns.request(&req, &ReturnPolicy::default(), &[]), Err(ReturnsError::DuplicateReturn { .. })));
    /// # Ok::<(), ReturnsError>(())
    /// ```
    #[error("return {id} already exists for this sale")]
    DuplicateReturn {
        /// The repeated id.
        id: ReturnId,
    },
    /// No return with this id was accepted for this sale.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// let mut returns = SaleReturns::new(sale)?;
    /// let err = returns.receive(ReturnId::new(9), NodeId::new(0), Qty::new(1), Timestamp::EPOCH, EntryId::new(1)?);
    /// assert!(matches!(err, Err(ReturnsError::UnknownReturn { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("no accepted return {id} for this sale")]
    UnknownReturn {
        /// The id asked for.
        id: ReturnId,
    },
    /// A return was dated before the sale it returns.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sold = Timestamp::from_unix_ms(1_000_000_000);
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), sold)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, Timestamp::EPOCH);
    /// assert!(matches!(returns.request(&req, &ReturnPolicy::default(), &[]), Err(ReturnsError::BeforeSale { .. })));
    /// # Ok::<(), ReturnsError>(())
    /// ```
    #[error("return dated {at} is before the sale at {sold_at}")]
    BeforeSale {
        /// The return's time.
        at: Timestamp,
        /// The sale's time.
        sold_at: Timestamp,
    },
    /// A receipt or inspection was dated before the step it follows.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// # let store = NodeId::new(4);
    /// let mut returns = SaleReturns::new(sale)?;
    /// let t = Timestamp::from_unix_ms(5_000);
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, t).in_store(store);
    /// returns.request(&req, &ReturnPolicy::default(), &[])?;
    /// let err = returns.receive(ReturnId::new(1), store, Qty::new(1), Timestamp::EPOCH, EntryId::new(1)?);
    /// assert!(matches!(err, Err(ReturnsError::TimeWentBackwards { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("time went backwards: {at} is before {previous}")]
    TimeWentBackwards {
        /// The time given.
        at: Timestamp,
        /// The time of the step before.
        previous: Timestamp,
    },
    /// The return would take the units returned for this sale (across all its
    /// returns) beyond the units shipped.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(3), ReturnReason::ChangedMind, Timestamp::EPOCH);
    /// let err = returns.request(&req, &ReturnPolicy::default(), &[]).unwrap_err();
    /// assert_eq!(err, ReturnsError::OverReturn { qty: Qty::new(3), already: Qty::ZERO, shipped: Qty::new(2) });
    /// # Ok::<(), ReturnsError>(())
    /// ```
    #[error("returning {qty} with {already} already returned exceeds the {shipped} shipped")]
    OverReturn {
        /// Units in this return.
        qty: Qty,
        /// Units already accepted for return.
        already: Qty,
        /// Units shipped.
        shipped: Qty,
    },
    /// A refund amount asked for exceeds what was paid minus what was already refunded.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, Timestamp::EPOCH)
    ///     .refund_override(Money::from_int(11));
    /// let err = returns.request(&req, &ReturnPolicy::default(), &[]).unwrap_err();
    /// assert!(matches!(err, ReturnsError::RefundExceedsPaid { .. }));
    /// # Ok::<(), ReturnsError>(())
    /// ```
    #[error("refund {asked} exceeds the {refundable} still refundable")]
    RefundExceedsPaid {
        /// The amount asked for.
        asked: Money,
        /// What was paid minus what was already refunded.
        refundable: Money,
    },
    /// The return is not expecting (more) units: the customer keeps them, or
    /// every unit has already arrived.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// # let store = NodeId::new(4);
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, Timestamp::EPOCH).in_store(store);
    /// returns.request(&req, &ReturnPolicy::default(), &[])?;
    /// returns.receive(ReturnId::new(1), store, Qty::new(1), Timestamp::EPOCH, EntryId::new(1)?)?;
    /// let err = returns.receive(ReturnId::new(1), store, Qty::new(1), Timestamp::EPOCH, EntryId::new(2)?);
    /// assert!(matches!(err, Err(ReturnsError::OverReceipt { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("receiving {qty} exceeds the {outstanding} still expected for return {id}")]
    OverReceipt {
        /// The return.
        id: ReturnId,
        /// Units offered.
        qty: Qty,
        /// Units still expected (zero for a keep-it).
        outstanding: Qty,
    },
    /// Units of one return arrived at a second node.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// # let store = NodeId::new(4);
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(2), ReturnReason::ChangedMind, Timestamp::EPOCH).in_store(store);
    /// returns.request(&req, &ReturnPolicy::default(), &[])?;
    /// returns.receive(ReturnId::new(1), store, Qty::new(1), Timestamp::EPOCH, EntryId::new(1)?)?;
    /// let err = returns.receive(ReturnId::new(1), NodeId::new(5), Qty::new(1), Timestamp::EPOCH, EntryId::new(2)?);
    /// assert!(matches!(err, Err(ReturnsError::ReceiptNodeMismatch { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("return {id} was received at {first}, not {node}")]
    ReceiptNodeMismatch {
        /// The return.
        id: ReturnId,
        /// Where its first units arrived.
        first: NodeId,
        /// Where these units were said to arrive.
        node: NodeId,
    },
    /// A disposition was asked for more units than were received and not yet disposed
    /// (for a return never received, that is every unit).
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// # let store = NodeId::new(4);
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, Timestamp::EPOCH).in_store(store);
    /// returns.request(&req, &ReturnPolicy::default(), &[])?;
    /// let inspection = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), Timestamp::EPOCH);
    /// let err = returns.dispose(&inspection, &ReturnPolicy::default(), &Recovery::new(), EntryId::new(1)?);
    /// assert!(matches!(err, Err(ReturnsError::NotReceived { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("disposing {qty} of return {id} but only {undisposed} received and not yet disposed")]
    NotReceived {
        /// The return.
        id: ReturnId,
        /// Units to dispose.
        qty: Qty,
        /// Units received and awaiting disposition.
        undisposed: Qty,
    },
    /// Arithmetic on quantities, money, time or entry ids overflowed.
    ///
    /// ```
    /// # use omniroute::returns::*;
    /// # use omniroute::*;
    /// # let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), Timestamp::EPOCH)
    /// #     .quantities(Qty::new(2), Qty::new(2)).paid(Money::from_int(10));
    /// # let store = NodeId::new(4);
    /// let mut returns = SaleReturns::new(sale)?;
    /// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, Timestamp::EPOCH).in_store(store);
    /// returns.request(&req, &ReturnPolicy::default(), &[])?;
    /// returns.receive(ReturnId::new(1), store, Qty::new(1), Timestamp::EPOCH, EntryId::new(1)?)?;
    /// let inspection = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), Timestamp::EPOCH);
    /// let recovery = Recovery::new().restock_at(NodeSignal::new(NodeId::new(7), Money::from_int(5)).transport_cost(Money::from_int(1)));
    /// let err = returns.dispose(&inspection, &ReturnPolicy::default(), &recovery, EntryId::new(u128::MAX)?);
    /// assert!(matches!(err, Err(ReturnsError::Overflow { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("arithmetic overflow in {what}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
}

impl From<ModelError> for ReturnsError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Overflow { what } => Self::Overflow { what },
            ModelError::NegativeMoney => Self::NegativeAmount { field: "amount" },
            _ => Self::Overflow { what: "model value" },
        }
    }
}
