//! The simulation's one error type.

use crate::atp::AtpError;
use crate::ledger::LedgerError;
use crate::model::ModelError;
use crate::model::{ChannelId, FulfilmentMethod, Sku};
use crate::order::OrderError;
use crate::returns::ReturnsError;
use crate::routing::RoutingError;

/// What can go wrong generating or running a scenario. Variants are in
/// precedence order: parameters are checked before anything is generated,
/// and a run stops at the first error of the stack below it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A scenario parameter is out of range.
    ///
    /// ```
    /// use omniroute::sim::{Scenario, ScenarioParams, SimError};
    /// let err = Scenario::generate(&ScenarioParams::new().orders(0)).unwrap_err();
    /// assert!(matches!(err, SimError::InvalidParameter { name: "orders", .. }));
    /// ```
    #[error("invalid scenario parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A strategy name that [`SimStrategy::by_name`](super::SimStrategy::by_name) does not know.
    ///
    /// ```
    /// use omniroute::sim::{SimError, SimStrategy};
    /// let err = SimStrategy::by_name("fastest").unwrap_err();
    /// assert_eq!(err.to_string(), "unknown strategy \"fastest\"");
    /// ```
    #[error("unknown strategy {name:?}")]
    UnknownStrategy {
        /// The name given.
        name: String,
    },
    /// A model value could not be built (an overflowing timestamp or id).
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// let e = SimError::from(omniroute::ModelError::NegativeMoney);
    /// assert!(e.to_string().starts_with("model:"));
    /// ```
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// The routing strategy rejected an order (an invalid problem, or a
    /// search limit reached with no plan).
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// let e = SimError::from(omniroute::routing::RoutingError::GaveUp { evaluated: 9 });
    /// assert!(e.to_string().starts_with("routing:"));
    /// ```
    #[error("routing: {0}")]
    Routing(#[from] RoutingError),
    /// The ledger rejected a command the simulation issued; `step` says which.
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// use omniroute::LedgerError;
    /// let e = SimError::Ledger { step: "ship", error: LedgerError::InvariantBroken { detail: "x".into() } };
    /// assert!(e.to_string().starts_with("ledger (ship):"));
    /// ```
    #[error("ledger ({step}): {error}")]
    Ledger {
        /// The simulation step (`stock`, `reserve`, `ship`, `cancel`, `replenish`, `return`).
        step: &'static str,
        /// The ledger's error.
        error: LedgerError,
    },
    /// The ATP module rejected a policy rule or a view update.
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// let e = SimError::from(omniroute::atp::AtpError::Overflow { what: "total" });
    /// assert!(e.to_string().starts_with("atp:"));
    /// ```
    #[error("atp: {0}")]
    Atp(#[from] AtpError),
    /// At the end of a run, the incrementally kept ATP views differ from a
    /// from-scratch computation over the ledger (a bug: the views missed an event).
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// use omniroute::{ChannelId, FulfilmentMethod, Sku};
    /// let e = SimError::AtpDiverged { sku: Sku::new(3), channel: ChannelId::new(1), method: FulfilmentMethod::Ship };
    /// assert!(e.to_string().starts_with("atp views differ from a fresh computation"));
    /// ```
    #[error("atp views differ from a fresh computation at sku {sku}, channel {channel}, method {method:?}")]
    AtpDiverged {
        /// The first differing SKU.
        sku: Sku,
        /// Its channel.
        channel: ChannelId,
        /// Its fulfilment method.
        method: FulfilmentMethod,
    },
    /// The returns engine rejected a step.
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// let e = SimError::from(omniroute::returns::ReturnsError::ZeroQuantity);
    /// assert!(e.to_string().starts_with("returns:"));
    /// ```
    #[error("returns: {0}")]
    Returns(#[from] ReturnsError),
    /// The order book rejected an operation of
    /// [`OrderFulfiller`](super::OrderFulfiller) (nothing was applied by it).
    ///
    /// ```
    /// use omniroute::order::OrderError;
    /// use omniroute::sim::SimError;
    /// let e = SimError::Order { step: "ship", error: OrderError::Overflow { what: "open" } };
    /// assert_eq!(e.to_string(), "order (ship): arithmetic overflow in open");
    /// ```
    #[error("order ({step}): {error}")]
    Order {
        /// The simulation step (`place`, `release`, `ship`, `cancel`, `return`).
        step: &'static str,
        /// The order module's error.
        error: OrderError,
    },
    /// A total went past its integer or decimal range.
    ///
    /// ```
    /// use omniroute::sim::SimError;
    /// assert_eq!(SimError::Overflow { what: "cost" }.to_string(), "overflow in cost");
    /// ```
    #[error("overflow in {what}")]
    Overflow {
        /// The quantity that overflowed.
        what: &'static str,
    },
}
