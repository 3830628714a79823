//! Available-to-promise: what each channel may promise, from which nodes, by when.
//!
//! # The per-node formula
//!
//! For SKU `s` at node `n`, channel `c`, fulfilment method `m`, from the
//! ledger's [`Position`](crate::Position) and the [`AtpPolicy`]:
//!
//! ```text
//! 0                                             if n is not eligible for c or for m
//! backorder    = min(ledger allowance, policy backorder cap)
//! inbound      = min(Σ open receipts sellable within the horizon, pre-order cap)
//! free         = max(0, on_hand + inbound + backorder − reserved − allocated)
//! after_safety = max(0, free − safety_stock(s, n, c, m))   most specific rule;
//!                                                          % of on_hand + inbound, rounded up
//! pools        : carved from after_safety in channel-id order, each min(pool, what is left)
//! shared       = after_safety − Σ pools
//! raw          = own pool + (shared, unless c's pool may not use shared stock)
//! atp(s,n,c,m) = 0 if raw < low-stock threshold(c), else raw
//! ```
//!
//! Claims net against counted inbound as well as on-hand, and a
//! percentage buffer is of on-hand plus counted inbound, so receiving an
//! expected unit (inbound → on-hand) never lowers ATP, and a reservation
//! never raises it.
//!
//! Network ATP is the sum over nodes. ATP is a non-negative quantity: safety
//! stock and thresholds can take it to 0, never below. It exceeds the units
//! physically free only by the backorder units the policy lets it count and
//! by counted inbound. The threshold applies per node, so a network figure
//! never promises units that no single node would show.
//!
//! # Time-phased promises
//!
//! [`AtpViews::schedule`] builds a [`PromiseSchedule`] at day granularity
//! ([`Timestamp::day_index`](crate::Timestamp::day_index)): supply is the
//! network ATP on hand today (the formula above without inbound and without
//! the threshold, which is a display rule), plus every open receipt at an
//! eligible node whose stock the channel may share, on the day it becomes
//! sellable (ETA + lead time, no earlier than today, within the horizon,
//! capped per node by the pre-order cap in sellable-day order). Receipts are
//! not carved into safety stock or pools in the schedule. Demand is what the
//! host passes as [`Demand`] — backorders and pre-orders it has accepted
//! with a due date (a past due date counts as today) — plus, at those same
//! nodes, claims beyond what the node holds now (backorders the ledger
//! already accepted), due today. The ledger records no due date on a
//! reservation, so every reservation and allocation is demand due now and is
//! netted out of today's supply.
//!
//! Cumulative ATP with backward consumption: `q` units can be promised on day
//! `d` when, for every day `t ≥ d`, cumulative supply minus cumulative demand
//! up to `t` is at least `q` — a later shortfall consumes earlier surplus
//! first. [`PromiseSchedule::earliest`] returns the first such day.
//!
//! # Incremental views
//!
//! [`AtpViews`] keeps the network figure of every (SKU, channel, method) and
//! updates it from each ledger [`Event`](crate::Event): only the positions the
//! event names are re-read, only that SKU's totals move, and every total that
//! moved is reported as an [`AtpChange`] for publishing to storefronts.
//! Reads are one array index.

mod compute;
mod error;
mod phased;
mod policy;
mod table;
mod views;

pub use compute::{Explain, available_to_promise};
pub use error::AtpError;
pub use phased::{Demand, PromiseSchedule};
pub use policy::{AtpPolicy, Buffer, InboundPolicy, Pool, Scope};
pub use views::{AtpChange, AtpViews, Breakdown, ChannelView};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
