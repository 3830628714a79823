//! The crate's one integration-test binary: each domain has a module.
//!
//! Randomised tests scale with the environment variable `OMNIROUTE_TEST_SCALE`
//! (a positive integer multiplier, default 1): `OMNIROUTE_TEST_SCALE=100 cargo
//! test --all-features --release` runs a hundred times as many cases.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic,
    missing_docs,
    unreachable_pub
)]

mod atp;
mod common;
mod ledger;
mod order;
mod persistence;
mod returns;
mod routing;
#[cfg(feature = "sim")]
mod sim;
