//! The inventory ledger: positions per (node, SKU) with buckets, two-phase
//! reservations, idempotent commands, atomic batches, events and replay.
//!
//! # Model
//!
//! A *position* is (node, SKU). Its buckets are `on_hand`, `reserved`,
//! `allocated`, `inbound` (open receipts, each with an ETA), `quarantine`,
//! `damaged` and `returns_pending` ([`Position`]). `reserved` and
//! `allocated` are *claims* on `on_hand`, not separate stock:
//!
//! ```text
//! available = on_hand + backorder_allowance − reserved − allocated
//! ```
//!
//! and the ledger never lets the claims exceed `on_hand + allowance`
//! (the allowance comes from the position's [`BackorderPolicy`] override,
//! else the SKU's, else none). `Ship` takes from `allocated` and `on_hand`
//! together; `Deallocate` takes from `allocated` alone, so the units are
//! available again (a rejected or cancelled pick after release). A short
//! pick whose missing units are gone is `Deallocate` then an `OnHand`
//! `Adjust { direction: Decrease, reason: Shrinkage }` of the same quantity,
//! in one batch. Nodes and SKUs are dense ids registered with
//! [`CommandKind::Register`] up to [`Ledger::MAX_NODES`] and
//! [`Ledger::MAX_SKUS`]; a command naming anything else is rejected.
//!
//! # Time
//!
//! The host passes `now` to every call; it is not part of a command's
//! content, so a retry at a later time is the same command. The ledger keeps
//! the latest `now` it applied a command at; an earlier `now` is
//! [`LedgerError::TimeWentBackwards`]. Duplicate detection comes *before* the
//! time check: a host that crashed after applying a command but before
//! recording that fact retries it, perhaps with a stale clock, and must get
//! the original outcome back, not an error.
//!
//! # Idempotency
//!
//! Every command carries a non-zero [`EntryId`](crate::EntryId). The ledger
//! remembers the event of every entry id it has seen:
//!
//! - the same id with the same content returns [`Outcome::AlreadyApplied`]
//!   with the original event, and changes nothing;
//! - the same id with different content is
//!   [`LedgerError::IdempotencyConflict`] naming the first differing field;
//! - a command that fails for a reason of its own (bad quantity, unknown id,
//!   not enough stock, …) is remembered as failed, and a retry returns the
//!   same error — a retry cannot turn a failure into a success. The failure
//!   is recorded as an [`EventKind::Rejected`] event in
//!   [`Rejection::record`] for the host to persist. Three errors are
//!   conditions of the call, not of the command, and are not remembered:
//!   conflict, time going backwards and version mismatch.
//!
//! The table grows by one record per entry id for the life of the ledger
//! and is never pruned: there is no retention policy yet. A record is 48
//! bytes plus its slot in a seeded hash index (8 bytes at most 3/4 full);
//! the common events (receive, reserve, commit, release, ship, deallocate,
//! return receipt, expected inbound) are stored in that compact form and
//! rebuilt on demand, the rest are also kept whole. The index places ids
//! by group of eight (ids equal but for their low three bits) on one cache
//! line, so ids numbered from a sequence are looked up with about one cache
//! miss per eight commands, and random ids (UUIDs) with one per command.
//! BENCHMARKS.md has the measured cost per command.
//! [`Ledger::reserve_entries`] pre-sizes it.
//!
//! # Reservations
//!
//! `Reserve` holds units at once; the hold is then resolved exactly once:
//! `Commit` (all or part: `qty` moves to allocated, the rest is released),
//! `Release` (all), or `ExpireDue` (every hold whose expiry is at or before
//! `now`, in (expiry, entry id) order). A commit at or after the expiry is
//! [`LedgerError::ReservationExpired`] even before `ExpireDue` runs; a
//! second resolution is [`LedgerError::ReservationResolved`].
//!
//! # Counts
//!
//! `Count { counted, counted_at }` is an external count of on-hand taken at
//! `counted_at ≤ now`. The rule:
//!
//! ```text
//! on_hand := counted + Σ on-hand movements of the position booked after counted_at
//! ```
//!
//! where the movements are receipts, adjustments and moves into or out of
//! on-hand, transfers out and in, and shipments, each booked at the `now` it
//! was applied at (strictly after `counted_at` counts). Earlier movements
//! and earlier counts are superseded. Reservations and allocations are
//! claims, not movements: all of them stay, whenever they were made, since
//! a physical count includes units that are held but not yet shipped. A
//! count may not be older than the position's previous count, nor older
//! than `now − count_horizon_ms` ([`LedgerOptions`]), which is how long the
//! ledger keeps its journal of on-hand movements
//! ([`LedgerError::CountTooOld`]). A count that would leave claims uncovered
//! or on-hand negative is [`LedgerError::Insufficient`]: release or
//! re-source first.
//!
//! # Transfers and inbound
//!
//! `ExpectInbound` opens a receipt named by its entry id; `Receive` with
//! `inbound: Some(id)` draws it down (an over-receipt closes it);
//! `CloseInbound` closes a receipt or transfer short (a cancelled order,
//! units lost in transit).
//! `TransferOut` takes on-hand at the sender and opens a transfer receipt,
//! named by its entry id, at the receiver (inbound there until
//! `TransferIn`). [`Ledger::inbound`] lists a position's open receipts with
//! their ETAs.
//!
//! # Atomic batches, events and replay
//!
//! [`Ledger::apply_batch`] applies all commands or none (byte-identical
//! state on failure, failing index reported). Every applied command returns
//! exactly one [`Event`]; [`Ledger::replay`] (or [`Ledger::apply_events`]
//! onto a deserialised snapshot) rebuilds the same state, byte for byte.
//!
//! # Versions
//!
//! Every change to a position's buckets bumps its version;
//! [`Ledger::apply_if_version`] is compare-and-swap on one position.
//! Backorder policy changes do not bump versions (they are not balances).
//!
//! # Layout
//!
//! The hot buckets (on-hand, reserved, allocated, version: 32 bytes) live in
//! one dense array per SKU indexed by node id, grown to the highest node
//! touched. The rarely used buckets (inbound, quarantine, damaged, returns
//! pending) live in a sparse map beside it, as do receipts and the count
//! journal. A live reservation is not stored separately: it is the
//! unresolved `Reserve` record in the idempotency table, indexed by
//! position and by expiry.

mod command;
mod error;
mod event;
mod hash;
mod state;

pub use command::{AdjustReason, BackorderPolicy, Bucket, Command, CommandKind, Direction};
pub use error::{BatchRejection, LedgerError, Rejection, Resolution};
pub use event::{Event, EventKind, ExpiredHold, Hold, Outcome, Position, Receipt};
pub use state::{Ledger, LedgerOptions};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
