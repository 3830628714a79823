//! The inventory ledger: positions per (node, SKU) with buckets, two-phase
//! reservations, idempotent commands, atomic batches, events and replay.

mod command;

pub use command::{AdjustReason, Bucket, Command, CommandKind, Direction};
