//! Seeded scenarios, order-stream simulation and strategy comparison
//! (feature `sim`): for researchers benchmarking routing strategies, and for
//! a retailer trying a rule set on a day of orders before switching.
//!
//! - [`Scenario::generate`] builds a scenario from [`ScenarioParams`] and a
//!   seed: a network (warehouses, stores, dark stores, drop-ship vendors
//!   over a region with population-weighted demand zones), a catalogue
//!   (Zipf popularity, categories, hazmat and bulky shares, prices),
//!   starting stock (depth and sparsity tied to popularity), warehouse
//!   replenishment, and an order stream (about half single-line, quantities,
//!   channels, ship / store pickup / same day, ship-complete and promise
//!   shares, cancellations, returns). The same seed gives the same scenario
//!   on every machine: the generator is a hand-written xoshiro256**, and
//!   floating point appears only in sampling weights built from correctly
//!   rounded operations.
//! - [`simulate`] runs the scenario's event stream through the stack with
//!   one strategy: every order is placed through a [`Fulfiller`] (the
//!   per-order step — [`OrderFulfiller`], the default, drives the order
//!   lifecycle: [`OrderBook`](crate::order::OrderBook) place, release, ship
//!   or pick up, cancel and record return, promising through ATP views and
//!   routing the order's zone problem with the strategy; [`AtpFulfiller`]
//!   routes the same way but reserves on the ledger directly;
//!   [`LedgerFulfiller`] routes over raw ledger availability and reserves,
//!   commits and ships with atomic ledger batches), warehouses are replenished, and returns
//!   go through [`SaleReturns`](crate::returns::SaleReturns) with the ledger
//!   commands it emits applied. It measures fill rate, split rate and
//!   shipments per order, cost, unfilled units, promise attainment, refunds
//!   and value recovered ([`RunMetrics`]).
//! - [`compare`] runs several strategies on the same orders, each on its
//!   own copy of the same starting ledger, and also routes every order
//!   against the starting stock with each strategy and `optimal`
//!   ([`StaticGap`]), so the per-order gap to the optimum is measured
//!   without the drift a run's differing stock introduces.
//! - [`Comparison::report_files`] gives the report (`metrics.csv`,
//!   `metrics.json`, `chart.svg`); [`instance_json`] exports an order as a
//!   routing instance for `examples/route.rs`.
//!
//! The library has no clock: latency and throughput are measured by the
//! host through an [`Observer`] (`examples/simulate.rs` does), and kept out
//! of the report files so those stay byte-identical across runs.

mod atp_fulfil;
mod compare;
mod error;
mod export;
mod fulfil;
mod metrics;
mod order_fulfil;
mod params;
mod policy;
mod report;
mod rng;
mod run;
mod scenario;
mod strategy;

pub use atp_fulfil::AtpFulfiller;
pub use compare::{Comparison, StrategyResult, compare, physical_units};
pub use error::SimError;
pub use export::{instance_json, node_key, sku_key};
pub use fulfil::{FULFILLER_ENTRY_BASE, Fulfiller, LedgerFulfiller, LedgerView, Placement, Units};
pub use metrics::{RunMetrics, StaticGap};
pub use order_fulfil::OrderFulfiller;
pub use params::{MAX_NODES, MAX_ORDERS, MAX_SKUS, ScenarioParams};
pub use policy::MARKETPLACE;
pub use report::{COLUMNS, REPORT_FORMAT, ReportFile};
pub use run::{HOST_ENTRY_BASE, simulate};
pub use scenario::{
    CHANNELS, LOCAL_KM, PlannedReturn, Product, REGION_HEIGHT_KM, REGION_WIDTH_KM, RELEASE_HOURS,
    Replenishment, START, Scenario, SimNode, SimOrder, Zone,
};
pub use strategy::{FulfillerKind, NoObserver, Observer, SimOptions, SimStrategy};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
