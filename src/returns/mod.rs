//! Return disposition: the return policy, keep-it (returnless refund),
//! return-node routing, grading and disposition, refund amounts, and the
//! ledger commands a decision implies.
//!
//! Two decision points, both pure:
//!
//! 1. **Request or drop-off** ([`SaleReturns::request`]): returnable or not
//!    and by which rule (window, statutory defect window, final sale, hygiene,
//!    hazmat, perishable, recall), manual review, the refund (pro rata,
//!    restocking fee waived on merchant fault, capped at what was paid minus
//!    what was refunded) and when it is paid, and the route — keep-it when
//!    getting the unit back recovers less than it costs (within per-customer
//!    caps), else the eligible node where it sells best net of transport and
//!    handling.
//! 2. **Receipt and inspection** ([`SaleReturns::receive`],
//!    [`SaleReturns::dispose`]): a `ReturnReceipt` into `ReturnsPending`,
//!    then grade → the allowed disposition with the highest net recovery, as
//!    ledger commands out of `ReturnsPending`.
//!
//! Every decision carries the ordered [`Reason`]s with their numbers. Money is
//! exact. [`SaleReturns`] keeps one sale's returns so over-returns,
//! over-refunds and a disposition of units never received are errors, and
//! a rejected step changes nothing.
//!
//! Commands are data: the host applies them to its ledger. Entry ids come
//! from the caller ([`SaleReturns::receive`] takes one, [`SaleReturns::dispose`]
//! takes a base and uses `base + k` for its `k`-th command).

mod disposition;
mod engine;
mod error;
mod input;
mod policy;
mod reason;

pub use disposition::{Disposition, DispositionDecision};
pub use engine::{
    Disposed, Receipt, Refund, RequestDecision, ReturnCase, ReturnStatus, Route, SaleReturns, Verdict,
};
pub use error::ReturnsError;
pub use input::{
    CustomerHistory, Grade, Inspection, NodeSignal, Recovery, ReturnChannel, ReturnId, ReturnReason,
    ReturnRequest, Sale,
};
pub use policy::{Category, CategoryRule, HazmatMode, HygieneRule, KeepItCaps, RefundTiming, ReturnPolicy};
pub use reason::{DispositionRule, KeepItBlock, NodeExclusion, Reason, ReviewTrigger, Window};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
