//! Ledger integration tests: the model-based test against a reference model,
//! property tests, a test for every error variant, and bad-input cases.

mod errors;
mod model;
mod properties;
pub mod reference;
