//! The shared vocabulary of the crate: identifiers, quantities, money, time,
//! geography and fulfilment nodes.
//!
//! Everything here is plain data with validated constructors. Deserialisation
//! goes through the same checks as construction, so a value of one of these
//! types is always valid.

mod error;
mod geo;
mod ids;
mod money;
mod node;
mod qty;
mod time;

pub use error::ModelError;
pub use geo::Location;
pub use ids::{ChannelId, EntryId, LineId, NodeId, OrderId, Sku};
pub use money::Money;
pub use node::{Capabilities, FulfilmentMethod, Node, NodeKind};
pub use qty::{Qty, UnitOfMeasure};
pub use time::Timestamp;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
