//! # omniroute
//!
//! The hard core of omnichannel order management as a pure Rust library:
//! an inventory ledger kept to the standard of a financial ledger,
//! available-to-promise, exact order splitting and routing across
//! warehouses, stores and vendors, and return disposition.
//!
//! The crate is *pure*: synchronous functions over in-memory models. It does
//! no I/O, reads no clock, starts no threads and keeps no global state. The
//! host passes time in, persists the events the library returns, and handles
//! concurrency (every position carries a version for compare-and-swap).
//!
//! Quantities are integers in the SKU's base unit ([`Qty`]); money is an
//! exact decimal ([`Money`]). No floating point touches a ledger, an ATP
//! figure or a cost. Nothing panics on any input: everything a caller can get
//! wrong comes back as an error, and a rejected operation changes nothing.
//!
//! ## Glossary
//!
//! - **Node**: a place that holds stock and fulfils orders — a warehouse, a
//!   store, a dark store, a vendor that drop-ships ([`Node`]).
//! - **Position**: the stock of one SKU at one node.
//! - **Bucket**: one balance of a position — on hand, reserved, allocated,
//!   inbound, quarantine, damaged, returns pending ([`Bucket`]).
//! - **Reservation**: a pending hold on on-hand units (a cart, a checkout, an
//!   order) that counts against availability at once and is later committed,
//!   released or expired — each at most once.
//! - **Commit**: turning (part of) a reservation into an allocation for a
//!   released fulfilment; the rest of the reservation is released.
//! - **ATP** (available to promise): what a channel may promise a customer,
//!   after reservations, allocations, safety stock and channel pools.
//! - **Split**: fulfilling one order from more than one node.
//! - **Shipment**: the units one node sends for one order — one package.
//! - **Disposition**: what happens to a returned unit after inspection —
//!   restock, open-box, refurbish, return to vendor, liquidate, donate,
//!   recycle, destroy, quarantine.
//!
//! ## Modules
//!
//! - [`atp`]: available-to-promise — policy (safety stock, thresholds,
//!   channel pools, eligibility), incremental network views with a change
//!   feed, time-phased earliest promise dates.
//! - [`order`]: fulfilment-order lifecycle — place, release, ship, pick up,
//!   cancel, modify, short pick, node rejection and outage, checkout-hold
//!   expiry, and cancel / short pick / rejection of units already released
//!   — batch allocation under scarce stock and re-evaluation; routing
//!   through any strategy or a host's own `Router`.
//! - [`returns`]: return policy, keep-it, return routing, grading and
//!   disposition, emitted as ledger commands.
//! - `sim` (feature `sim`): seeded scenarios, order-stream simulation
//!   through the whole stack (ATP, the order lifecycle, routing, ledger,
//!   returns) and strategy comparison; `cargo run --release --example simulate`.
//! ## Quick example
//!
//! ```
//! use omniroute::{Command, CommandKind, EntryId, Ledger, NodeId, Qty, Sku, Timestamp};
//!
//! let mut ledger = Ledger::new();
//! let (node, sku) = (NodeId::new(0), Sku::new(0));
//! let now = Timestamp::from_unix_ms(1_700_000_000_000);
//! let apply = |l: &mut Ledger, id: u128, kind| l.apply(&Command::new(EntryId::new(id)?, kind), now).map_err(Box::<dyn std::error::Error>::from);
//! apply(&mut ledger, 1, CommandKind::Register { nodes: 1, skus: 1 })?;
//! apply(&mut ledger, 2, CommandKind::Receive { node, sku, qty: Qty::new(10), inbound: None })?;
//! apply(&mut ledger, 3, CommandKind::Reserve { node, sku, qty: Qty::new(4), expires_at: None })?;
//! let event = apply(&mut ledger, 4, CommandKind::Commit { reservation: EntryId::new(3)?, qty: Qty::new(4) })?;
//! println!("persist: {:?}", event.event());
//! assert_eq!(ledger.position(node, sku)?.available(), Qty::new(6));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Crate features
//!
//! - `serde` (default): `Serialize`/`Deserialize` for state, commands,
//!   events and plans. Money serialises as a decimal string. It also enables
//!   the routing interchange format (`routing::Instance`,
//!   `routing::route_stream`), which reads JSON with `serde_json`.
//! - `sim` (default): the seeded scenario generator, simulation and
//!   strategy comparison (`omniroute::sim`), which the main example
//!   (`examples/simulate.rs`) needs. Library users who only keep a ledger
//!   or route opt out with `default-features = false`.
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod atp;
pub mod ledger;
pub mod model;
pub mod order;
pub mod returns;
pub mod routing;
#[cfg(feature = "sim")]
pub mod sim;

pub use atp::{AtpChange, AtpError, AtpPolicy, AtpViews, Buffer, Demand, InboundPolicy, Scope};
pub use ledger::{
    AdjustReason, BackorderPolicy, BatchRejection, Bucket, Command, CommandKind, Direction, Event, EventKind,
    ExpiredHold, Hold, Ledger, LedgerError, LedgerOptions, Outcome, Position, Receipt, Rejection, Resolution,
};
pub use model::{
    Capabilities, ChannelId, EntryId, FulfilmentMethod, LineId, Location, ModelError, Money, Node, NodeId,
    NodeKind, OrderId, Qty, Sku, Timestamp, UnitOfMeasure,
};
pub use order::{LineSpec, OpId, OrderBook, OrderError, OrderPolicy, OrderSpec};
pub use routing::{
    Availability, Optimal, OrderLine, Plan, PlanStatus, RouteOptions, RouteRequest, RoutingError,
    RoutingNetwork, RoutingProblem, Rules, Strategy,
};
#[cfg(feature = "sim")]
pub use sim::{Scenario, ScenarioParams, SimError};
