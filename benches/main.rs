//! The crate's one criterion harness: a module per domain, benchmarks named
//! `domain/what/size`. Run with `cargo bench --bench main`; results and the
//! command for each figure are in BENCHMARKS.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    missing_docs,
    unreachable_pub
)]

use criterion::Criterion;

mod atp;
mod ledger;
mod model;
mod order;
mod returns;
mod routing;
mod routing_gen;
#[cfg(feature = "sim")]
mod sim;
mod stream;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    model::benches(&mut c);
    returns::benches(&mut c);
    routing::benches(&mut c);
    ledger::benches(&mut c);
    atp::benches(&mut c);
    #[cfg(feature = "sim")]
    sim::benches(&mut c);
    order::benches(&mut c);
    c.final_summary();
}
