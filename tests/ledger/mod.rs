//! Ledger integration tests: the model-based test against a reference model,
//! property tests, a test for every error variant, and bad-input cases.

mod errors;
mod model;
mod properties;
pub mod reference;

/// The quickstart example runs as a test, so it cannot rot.
#[allow(dead_code)]
#[path = "../../examples/quickstart.rs"]
mod quickstart;

#[test]
fn quickstart_example_runs() {
    quickstart::main().unwrap();
}
