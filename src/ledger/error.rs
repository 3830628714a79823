//! The ledger's one error type.

use thiserror::Error;

use super::Bucket;
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

/// How a reservation was resolved (each reservation resolves at most once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Resolution {
    /// Committed (all or part; the rest released).
    Committed,
    /// Released by the host.
    Released,
    /// Expired by `ExpireDue`.
    Expired,
}

/// Why the ledger rejected a command, a batch, a replay or a snapshot.
///
/// Variants are listed in precedence order: when several apply, the first
/// one listed is returned. The examples below use this set-up:
///
/// ```
/// use omniroute::ledger::{Ledger, LedgerError};
/// use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};
/// let mut ledger = Ledger::new();
/// let t = Timestamp::from_unix_ms(1_000);
/// ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 2, skus: 1 }), t)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum LedgerError {
    /// The entry id was used before with different content; `field` names
    /// the first field (in declaration order) that differs, or `op` when the
    /// command kind differs. Never recorded: the original stays.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let id = EntryId::new(1)?;
    /// l.apply(&Command::new(id, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let err = l.apply(&Command::new(id, CommandKind::Register { nodes: 1, skus: 2 }), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::IdempotencyConflict { ref field, .. } if field == "skus"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("entry {entry} was used before with a different {field}")]
    IdempotencyConflict {
        /// The entry id.
        entry: EntryId,
        /// The first differing field.
        field: String,
    },
    /// `now` is earlier than the latest time the ledger has applied a
    /// command at. Checked after duplicate detection, so a retry of an
    /// applied command still gets its original outcome. Never recorded.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::from_unix_ms(5))?;
    /// let err = l.apply(&Command::new(EntryId::new(2)?, CommandKind::ExpireDue), Timestamp::from_unix_ms(4)).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::TimeWentBackwards { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("time went backwards: now {now} is before the latest {latest}")]
    TimeWentBackwards {
        /// The `now` passed in.
        now: Timestamp,
        /// The latest `now` applied so far.
        latest: Timestamp,
    },
    /// A quantity that must be positive is zero.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let cmd = CommandKind::Receive { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::ZERO, inbound: None };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::ZeroQuantity);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("quantity must be positive")]
    ZeroQuantity,
    /// A transfer names the same node as sender and receiver.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let n = NodeId::new(0);
    /// let cmd = CommandKind::TransferOut { node: n, to: n, sku: Sku::new(0), qty: Qty::new(1), eta: t };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::SameNode { node: n });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("transfer from {node} to itself")]
    SameNode {
        /// The node named twice.
        node: NodeId,
    },
    /// `Adjust` or `Move` names a bucket that is not physical (`Reserved`,
    /// `Allocated`, `Inbound` change only through their own commands).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let cmd = CommandKind::Move { node: NodeId::new(0), sku: Sku::new(0), from: Bucket::Reserved, to: Bucket::OnHand, qty: Qty::new(1) };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::NotPhysical { bucket: Bucket::Reserved });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("bucket {bucket} is not physical")]
    NotPhysical {
        /// The bucket.
        bucket: Bucket,
    },
    /// `Move` from a bucket to itself.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let cmd = CommandKind::Move { node: NodeId::new(0), sku: Sku::new(0), from: Bucket::Damaged, to: Bucket::Damaged, qty: Qty::new(1) };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::SameBucket { bucket: Bucket::Damaged });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("move from bucket {bucket} to itself")]
    SameBucket {
        /// The bucket named twice.
        bucket: Bucket,
    },
    /// A count claims to have been taken after `now`.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let later = Timestamp::from_unix_ms(1);
    /// let cmd = CommandKind::Count { node: NodeId::new(0), sku: Sku::new(0), counted: Qty::new(1), counted_at: later };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::CountInFuture { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("count taken at {counted_at} is after now {now}")]
    CountInFuture {
        /// When the count says it was taken.
        counted_at: Timestamp,
        /// The `now` passed in.
        now: Timestamp,
    },
    /// A reservation's expiry is not after `now`: it would be born expired.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::from_unix_ms(10);
    /// let cmd = CommandKind::Reserve { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::new(1), expires_at: Some(t) };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::AlreadyExpired { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("reservation would expire at {expires_at}, not after now {now}")]
    AlreadyExpired {
        /// The requested expiry.
        expires_at: Timestamp,
        /// The `now` passed in.
        now: Timestamp,
    },
    /// `Register` asks for more nodes or SKUs than the ledger supports.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let cmd = CommandKind::Register { nodes: Ledger::MAX_NODES + 1, skus: 1 };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::RegisterLimit { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("cannot register {nodes} nodes and {skus} skus (limits {max_nodes} and {max_skus})")]
    RegisterLimit {
        /// Requested nodes.
        nodes: u32,
        /// Requested SKUs.
        skus: u32,
        /// [`Ledger::MAX_NODES`](super::Ledger::MAX_NODES).
        max_nodes: u32,
        /// [`Ledger::MAX_SKUS`](super::Ledger::MAX_SKUS).
        max_skus: u32,
    },
    /// The node is not registered.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let cmd = CommandKind::ReturnReceipt { node: NodeId::new(7), sku: Sku::new(0), qty: Qty::new(1) };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::UnknownNode { node: NodeId::new(7) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("unknown node {node}")]
    UnknownNode {
        /// The node.
        node: NodeId,
    },
    /// The SKU is not registered.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let cmd = CommandKind::ReturnReceipt { node: NodeId::new(0), sku: Sku::new(3), qty: Qty::new(1) };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::UnknownSku { sku: Sku::new(3) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("unknown sku {sku}")]
    UnknownSku {
        /// The SKU.
        sku: Sku,
    },
    /// `apply_if_version` found the position at another version. Never
    /// recorded: the host re-reads and retries.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let (n, s) = (NodeId::new(0), Sku::new(0));
    /// let cmd = Command::new(EntryId::new(2)?, CommandKind::ReturnReceipt { node: n, sku: s, qty: Qty::new(1) });
    /// let err = l.apply_if_version(&cmd, t, n, s, 4).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::VersionMismatch { expected: 4, actual: 0, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("position {node}/{sku} is at version {actual}, not {expected}")]
    VersionMismatch {
        /// The node.
        node: NodeId,
        /// The SKU.
        sku: Sku,
        /// The version the caller expected.
        expected: u64,
        /// The position's version.
        actual: u64,
    },
    /// No reservation was ever made under this entry id.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let r = EntryId::new(77)?;
    /// let err = l.apply(&Command::new(EntryId::new(9)?, CommandKind::Release { reservation: r }), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::UnknownReservation { reservation: r });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("unknown reservation {reservation}")]
    UnknownReservation {
        /// The reservation's entry id.
        reservation: EntryId,
    },
    /// The reservation was already committed, released or expired (release
    /// twice, commit after `ExpireDue`).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// let r = EntryId::new(3)?;
    /// l.apply(&Command::new(r, CommandKind::Reserve { node: n, sku: s, qty: Qty::new(2), expires_at: None }), t)?;
    /// l.apply(&Command::new(EntryId::new(4)?, CommandKind::Release { reservation: r }), t)?;
    /// let err = l.apply(&Command::new(EntryId::new(5)?, CommandKind::Release { reservation: r }), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::ReservationResolved { reservation: r, resolution: Resolution::Released });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("reservation {reservation} was already resolved ({})", match resolution { Resolution::Committed => "committed", Resolution::Released => "released", Resolution::Expired => "expired" })]
    ReservationResolved {
        /// The reservation's entry id.
        reservation: EntryId,
        /// How it was resolved.
        resolution: Resolution,
    },
    /// Commit of a reservation whose expiry is at or before `now` (even if
    /// `ExpireDue` has not run yet).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// let r = EntryId::new(3)?;
    /// let exp = Timestamp::from_unix_ms(10);
    /// l.apply(&Command::new(r, CommandKind::Reserve { node: n, sku: s, qty: Qty::new(2), expires_at: Some(exp) }), t)?;
    /// let err = l.apply(&Command::new(EntryId::new(4)?, CommandKind::Commit { reservation: r, qty: Qty::new(1) }), exp).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::ReservationExpired { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("reservation {reservation} expired at {expired_at}")]
    ReservationExpired {
        /// The reservation's entry id.
        reservation: EntryId,
        /// Its expiry.
        expired_at: Timestamp,
    },
    /// Commit of more than the reservation holds.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// let r = EntryId::new(3)?;
    /// l.apply(&Command::new(r, CommandKind::Reserve { node: n, sku: s, qty: Qty::new(2), expires_at: None }), t)?;
    /// let err = l.apply(&Command::new(EntryId::new(4)?, CommandKind::Commit { reservation: r, qty: Qty::new(3) }), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::ExceedsReservation { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("cannot commit {requested} of reservation {reservation}, which holds {held}")]
    ExceedsReservation {
        /// The reservation's entry id.
        reservation: EntryId,
        /// Units asked for.
        requested: Qty,
        /// Units the reservation holds.
        held: Qty,
    },
    /// No open inbound receipt or transfer has this entry id (never
    /// announced, or already fully received).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// let tr = EntryId::new(77)?;
    /// let err = l.apply(&Command::new(EntryId::new(9)?, CommandKind::TransferIn { transfer: tr, qty: Qty::new(1) }), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::UnknownInbound { inbound: tr });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("no open inbound receipt or transfer {inbound}")]
    UnknownInbound {
        /// The entry id named.
        inbound: EntryId,
    },
    /// The inbound receipt exists but does not fit: a `Receive` names a
    /// transfer or a receipt of another position, or a `TransferIn` names a
    /// purchase-order receipt.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let po = EntryId::new(2)?;
    /// l.apply(&Command::new(po, CommandKind::ExpectInbound { node: n, sku: s, qty: Qty::new(5), eta: t }), t)?;
    /// let err = l.apply(&Command::new(EntryId::new(3)?, CommandKind::TransferIn { transfer: po, qty: Qty::new(1) }), t).unwrap_err();
    /// assert_eq!(err.error, LedgerError::InboundMismatch { inbound: po });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("inbound {inbound} does not match the command")]
    InboundMismatch {
        /// The entry id named.
        inbound: EntryId,
    },
    /// `TransferIn` of more than is still in transit.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (a, b, s) = (NodeId::new(0), NodeId::new(1), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 2, skus: 1 }), t)?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: a, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// let tr = EntryId::new(3)?;
    /// l.apply(&Command::new(tr, CommandKind::TransferOut { node: a, to: b, sku: s, qty: Qty::new(2), eta: t }), t)?;
    /// let err = l.apply(&Command::new(EntryId::new(4)?, CommandKind::TransferIn { transfer: tr, qty: Qty::new(3) }), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::ExceedsTransfer { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("cannot receive {requested} of transfer {transfer}, {in_transit} in transit")]
    ExceedsTransfer {
        /// The transfer's entry id.
        transfer: EntryId,
        /// Units received.
        requested: Qty,
        /// Units still in transit.
        in_transit: Qty,
    },
    /// A count is older than the oldest count the ledger can reconcile: the
    /// position's previous count, or `now` minus
    /// [`LedgerOptions::count_horizon_ms`](super::LedgerOptions::count_horizon_ms).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let now = Timestamp::from_unix_ms(30 * Timestamp::MS_PER_DAY);
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), now)?;
    /// let cmd = CommandKind::Count { node: NodeId::new(0), sku: Sku::new(0), counted: Qty::new(1), counted_at: Timestamp::EPOCH };
    /// let err = l.apply(&Command::new(EntryId::new(9)?, cmd), now).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::CountTooOld { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("count taken at {counted_at} is older than {oldest}, the oldest that can be reconciled")]
    CountTooOld {
        /// When the count was taken.
        counted_at: Timestamp,
        /// The oldest acceptable count time.
        oldest: Timestamp,
    },
    /// Not enough units: a bucket would go below zero, or claims
    /// (reserved + allocated) would exceed on-hand plus the backorder
    /// allowance. `available` is what the command could have had.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let cmd = CommandKind::Reserve { node: n, sku: s, qty: Qty::new(1), expires_at: None };
    /// let err = l.apply(&Command::new(EntryId::new(2)?, cmd), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::Insufficient { available, .. } if available == Qty::ZERO));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("insufficient {bucket} at {node}/{sku}: {requested} requested, {available} available")]
    Insufficient {
        /// The node.
        node: NodeId,
        /// The SKU.
        sku: Sku,
        /// The bucket that runs short.
        bucket: Bucket,
        /// Units needed.
        requested: Qty,
        /// Units available.
        available: Qty,
    },
    /// A balance or counter would exceed `u64::MAX`. `bucket` is `None` for
    /// the position's version counter.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// # let mut l = Ledger::new(); let t = Timestamp::EPOCH;
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::ReturnReceipt { node: n, sku: s, qty: Qty::MAX }), t)?;
    /// let err = l.apply(&Command::new(EntryId::new(3)?, CommandKind::ReturnReceipt { node: n, sku: s, qty: Qty::new(1) }), t).unwrap_err();
    /// assert!(matches!(err.error, LedgerError::Overflow { bucket: Some(Bucket::ReturnsPending), .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("arithmetic overflow at {node}/{sku} ({})", bucket.map_or("version", |b| match b { Bucket::OnHand => "on_hand", Bucket::Reserved => "reserved", Bucket::Allocated => "allocated", Bucket::Inbound => "inbound", Bucket::Quarantine => "quarantine", Bucket::Damaged => "damaged", Bucket::ReturnsPending => "returns_pending" }))]
    Overflow {
        /// The node.
        node: NodeId,
        /// The SKU.
        sku: Sku,
        /// The bucket, or `None` for the version counter.
        bucket: Option<Bucket>,
    },
    /// Replaying an event produced a different event: the event stream does
    /// not belong to this state (or was altered).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let mut a = Ledger::new();
    /// let ev = a.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH)?.into_event();
    /// let mut tampered = ev.clone();
    /// tampered.at = Timestamp::from_unix_ms(-1);
    /// let mut b = Ledger::new();
    /// b.apply_events(&[ev])?;
    /// let err = b.apply_events(&[tampered]).unwrap_err();
    /// assert!(matches!(err, LedgerError::ReplayDiverged { index: 0, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("replay diverged at event {index} (entry {entry})")]
    ReplayDiverged {
        /// Index of the event in the slice given.
        index: usize,
        /// Its entry id.
        entry: EntryId,
    },
    /// `check_invariants` (or loading a snapshot) found broken state.
    ///
    /// ```
    /// # use omniroute::ledger::*;
    /// assert!(Ledger::new().check_invariants().is_ok());
    /// ```
    #[error("ledger invariant broken: {detail}")]
    InvariantBroken {
        /// Which invariant, and where.
        detail: String,
    },
}

impl LedgerError {
    /// Whether the error is remembered under the command's entry id (a retry
    /// returns it again), as opposed to a condition of the call (conflict,
    /// time going backwards, version mismatch) that leaves the id unused.
    #[must_use]
    pub const fn is_recorded(&self) -> bool {
        !matches!(
            self,
            Self::IdempotencyConflict { .. } | Self::TimeWentBackwards { .. } | Self::VersionMismatch { .. }
        )
    }
}

/// A rejected command: the error, and the record the host must persist.
///
/// A command that fails for a reason tied to its content or the ledger's
/// state is remembered under its entry id, so a retry returns the same
/// error ("a failed first attempt stays failed"). `record` is that
/// memory as an event: persist it with the others so a replayed ledger
/// remembers the failure too. It is `None` when nothing was recorded
/// (see [`LedgerError::is_recorded`]) and when the failure is a retry of
/// an already recorded one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{error}")]
pub struct Rejection {
    /// Why.
    pub error: LedgerError,
    /// The event recording the failure, when this call recorded it.
    pub record: Option<Box<super::Event>>,
}

/// A rejected batch: nothing was applied and nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("batch command {index} rejected: {error}")]
pub struct BatchRejection {
    /// Index of the first failing command in the batch.
    pub index: usize,
    /// Why it failed.
    pub error: LedgerError,
}
