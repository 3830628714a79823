//! Fulfilment orders: line quantity accounting and the operations that tie
//! the ledger, availability and routing together.
//!
//! # Model
//!
//! An [`OrderBook`] holds every [`Order`], the [`Network`] (nodes and which
//! may serve which fulfilment method for which channel) and the
//! [`OrderPolicy`]. Each order line keeps
//!
//! ```text
//! ordered = open + reserved + allocated + shipped (or picked up) + cancelled,   returned ≤ shipped
//! ```
//!
//! where *reserved* units are live ledger reservations ([`LineHold`]),
//! *allocated* ones were committed to a node for picking and *shipped* ones
//! left it ([`LineFill`]). [`OrderBook::check_invariants`] checks it;
//! [`OrderBook::check_against`] checks every hold against the ledger.
//!
//! # Operations
//!
//! | operation | ledger commands |
//! | --- | --- |
//! | [`place`](OrderBook::place), [`approve`](OrderBook::approve) (risk hold) | `Reserve` per (line, node) of the plan |
//! | [`confirm`](OrderBook::confirm) (checkout hold) | `Release` + `Reserve` without expiry |
//! | [`release`](OrderBook::release) to fulfilment | `Commit` (reserved → allocated) |
//! | [`short_pick`](OrderBook::short_pick) | partial `Commit`, then `Reserve` elsewhere |
//! | [`reject`](OrderBook::reject), [`node_outage`](OrderBook::node_outage) | `Release`, then `Reserve` elsewhere |
//! | [`ship`](OrderBook::ship), [`pick_up`](OrderBook::pick_up) | `Ship` |
//! | [`cancel_allocated`](OrderBook::cancel_allocated) (released, unshipped units) | `Deallocate` |
//! | [`short_pick_released`](OrderBook::short_pick_released) | `Deallocate` (+ `Adjust` shrinkage), then `Reserve` elsewhere |
//! | [`reject_released`](OrderBook::reject_released) | `Deallocate` + `Release`, then `Reserve` elsewhere |
//! | [`cancel`](OrderBook::cancel), [`cancel_line`](OrderBook::cancel_line), [`expire_holds`](OrderBook::expire_holds) | `Release` (and a smaller `Reserve` for a partly cancelled hold) |
//! | [`modify`](OrderBook::modify) | as the change needs; only what changed is re-routed |
//! | [`allocate_batch`](OrderBook::allocate_batch) | `Reserve`s for many orders, by priority and fairness |
//! | [`reevaluate`](OrderBook::reevaluate) | `Release` + `Reserve` to consolidate shipments |
//! | [`record_return`](OrderBook::record_return) | none (the returns module moves the goods) |
//!
//! Every operation **applies its commands itself**, as one atomic
//! [`Ledger::apply_batch`](crate::Ledger::apply_batch), and writes the book
//! only when the batch succeeded: a rejected operation leaves the book and
//! the ledger byte-identical. It returns [`Applied`]: the order events to
//! persist (each carries the order after the operation, so
//! [`OrderBook::apply_events`] rebuilds the book from a snapshot) and the
//! ledger events of its batch.
//!
//! Routing uses a [`Router`] — by default the exact optimiser
//! ([`Optimal`](crate::Optimal)) — over the nodes eligible for the order's
//! channel and method, reading quantities through the host's
//! [`Availability`](crate::Availability) view (the ATP view of that channel
//! and method). Each routing operation takes both as a [`Sourcing`]; a bare
//! availability view converts into one with `Optimal`. A router may reprice
//! the problem (by destination, zone, customer), but its plan is checked
//! against the problem before anything is reserved
//! ([`OrderError::InvalidPlan`]). [`Applied::plans`] lists the plans the
//! operation reserved by. When the view was stale and a `Reserve` is
//! rejected, the operation re-routes with the ledger's figure for that
//! position, up to [`OrderPolicy::max_attempts`] times.
//!
//! # Entry ids
//!
//! The `k`-th command of operation `op` has entry id
//! `0x0D << 120 | op << 32 | k` ([`OpId::entry`]); op ids strictly
//! increase within a book, so no two commands share an id, and the tag keeps
//! them apart from a host's own ids below `2^120`.
//!
//! # Units released to fulfilment
//!
//! Allocated units leave `allocated` by `Ship` or by the ledger's
//! `Deallocate`, which makes them available again. A node that cannot pick
//! before releasing reports a [short pick](OrderBook::short_pick), which
//! commits only what was picked; after release:
//!
//! - [`cancel_allocated`](OrderBook::cancel_allocated) cancels released,
//!   unshipped units (a customer cancelling before shipment). To cancel a
//!   whole released order, cancel its allocated units per node and line, then
//!   [`cancel`](OrderBook::cancel) the rest (which still refuses while units
//!   are allocated);
//! - [`short_pick_released`](OrderBook::short_pick_released): the picker
//!   finds fewer units than allocated; the missing ones are deallocated,
//!   written off the node's on-hand as shrinkage if the host says they are
//!   gone, and re-sourced without the node; its other allocations stay;
//! - [`reject_released`](OrderBook::reject_released): the node rejects its
//!   released pick; everything the order has there (allocated and reserved)
//!   is re-sourced without it.
//!
//! [`modify`](OrderBook::modify) and [`node_outage`](OrderBook::node_outage)
//! still leave allocated units alone (an outage leaves them in the node's
//! hands; call `reject_released` per order to move them).

mod batch;
mod book;
mod error;
mod event;
mod network;
mod ops;
mod released;
mod router;
mod state;

pub use batch::{BatchOptions, Fairness, ReevaluateOptions, Reevaluation};
pub use book::OrderBook;
pub use error::OrderError;
pub use event::{Applied, OrderEvent, OrderEventKind, Unfilled};
pub use network::Network;
pub use ops::Modification;
pub use router::{Router, Sourcing};
pub use state::{
    Destination, Line, LineFill, LineHold, LineSpec, OpId, Order, OrderPolicy, OrderSpec, OrderStatus,
    UnfilledPolicy,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
