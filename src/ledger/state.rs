//! The ledger state and the command engine.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use indexmap::IndexMap;

use super::hash::IdHashBuilder;

use super::event::{Hold, Position, Receipt};
use super::{
    BackorderPolicy, BatchRejection, Command, Event, EventKind, LedgerError, Outcome, Rejection, Resolution,
};
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

mod engine;
mod invariants;
mod memo;
mod undo;

use engine::first_difference;
use memo::Memos;
use undo::Undo;
#[cfg(feature = "serde")]
mod snapshot;

/// (sku, node): SKU first so one SKU's positions are adjacent in sorted maps.
type Key = (u32, u32);

/// Insertion-ordered map with the ledger's seeded fast hasher.
type Map<K, V> = IndexMap<K, V, IdHashBuilder>;

/// Tuning of the ledger. Part of the ledger's state (and its snapshot).
///
/// ```
/// use omniroute::ledger::{Ledger, LedgerOptions};
/// let ledger = Ledger::with_options(LedgerOptions::new().count_horizon_ms(86_400_000));
/// assert_eq!(ledger.options().get_count_horizon_ms(), 86_400_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LedgerOptions {
    count_horizon_ms: i64,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl LedgerOptions {
    /// The defaults: a count horizon of 7 days.
    #[must_use]
    pub const fn new() -> Self {
        Self { count_horizon_ms: 7 * Timestamp::MS_PER_DAY }
    }

    /// How far back (from `now`) a count may have been taken. The ledger
    /// keeps a journal of on-hand movements this long to reconcile counts;
    /// its memory grows with the number of on-hand movements in the window.
    /// Negative values are treated as zero.
    #[must_use]
    pub const fn count_horizon_ms(mut self, ms: i64) -> Self {
        self.count_horizon_ms = if ms < 0 { 0 } else { ms };
        self
    }

    /// The count horizon in milliseconds.
    #[must_use]
    pub const fn get_count_horizon_ms(self) -> i64 {
        self.count_horizon_ms
    }
}

/// The hot part of a position: the buckets every reserve, commit and ship
/// touches, and the version. 32 bytes; stored densely per SKU, indexed by node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Hot {
    on_hand: u64,
    reserved: u64,
    allocated: u64,
    version: u64,
}

/// The cold buckets, kept sparsely: most positions have none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Cold {
    inbound: u64,
    quarantine: u64,
    damaged: u64,
    returns_pending: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct SkuState {
    /// Indexed by node; grows to the highest node touched.
    positions: Vec<Hot>,
    policy: BackorderPolicy,
}

/// An on-hand movement, kept for the count horizon to reconcile counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Movement {
    at: Timestamp,
    sku: u32,
    node: u32,
    qty: u64,
    increase: bool,
}

/// The inventory ledger. See the [module docs](super) for the rules.
///
/// ```
/// use omniroute::ledger::Ledger;
/// use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};
/// let mut ledger = Ledger::new();
/// let t = Timestamp::from_unix_ms(0);
/// let (node, sku) = (NodeId::new(0), Sku::new(0));
/// ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
/// ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node, sku, qty: Qty::new(10), inbound: None }), t)?;
/// assert_eq!(ledger.position(node, sku)?.available(), Qty::new(10));
/// ledger.check_invariants()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "snapshot::LedgerRepr", into = "snapshot::LedgerRepr"))]
pub struct Ledger {
    options: LedgerOptions,
    latest: Option<Timestamp>,
    nodes: u32,
    skus: Vec<SkuState>,
    cold: BTreeMap<Key, Cold>,
    overrides: BTreeMap<Key, BackorderPolicy>,
    holds_by_pos: BTreeSet<(Key, u128)>,
    expiry: BTreeSet<(Timestamp, u128)>,
    receipts: Map<EntryId, Receipt>,
    receipts_by_pos: BTreeSet<(Key, u128)>,
    journal: VecDeque<Movement>,
    last_count: BTreeMap<Key, Timestamp>,
    memo: Memos,
    undo: Option<Vec<Undo>>,
}

#[inline]
fn key(node: NodeId, sku: Sku) -> Key {
    (sku.get(), node.get())
}

impl Ledger {
    /// The most nodes a ledger can register (ids `0..MAX_NODES`).
    pub const MAX_NODES: u32 = 1 << 16;
    /// The most SKUs a ledger can register (ids `0..MAX_SKUS`).
    pub const MAX_SKUS: u32 = 1 << 24;

    /// An empty ledger with default options: no nodes, no SKUs.
    ///
    /// ```
    /// let ledger = omniroute::ledger::Ledger::new();
    /// assert_eq!((ledger.node_count(), ledger.sku_count()), (0, 0));
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty ledger with the given options.
    ///
    /// ```
    /// use omniroute::ledger::{Ledger, LedgerOptions};
    /// let ledger = Ledger::with_options(LedgerOptions::new());
    /// assert_eq!(ledger.options(), LedgerOptions::default());
    /// ```
    #[must_use]
    pub fn with_options(options: LedgerOptions) -> Self {
        Self { options, ..Self::default() }
    }

    /// The ledger's options.
    #[must_use]
    pub const fn options(&self) -> LedgerOptions {
        self.options
    }

    /// Registered nodes (ids `0..node_count()`).
    #[must_use]
    pub const fn node_count(&self) -> u32 {
        self.nodes
    }

    /// Registered SKUs (ids `0..sku_count()`).
    #[must_use]
    pub fn sku_count(&self) -> u32 {
        u32::try_from(self.skus.len()).unwrap_or(u32::MAX)
    }

    /// The latest `now` a command was applied at, if any.
    #[must_use]
    pub const fn latest(&self) -> Option<Timestamp> {
        self.latest
    }

    /// Number of entry ids remembered (applied or recorded as failed).
    #[must_use]
    pub fn entry_count(&self) -> usize {
        self.memo.len()
    }

    /// Reserves room for `additional` more entry ids in the idempotency
    /// table (and as many on-hand movements in the count journal), so a host
    /// that knows its volume avoids re-indexing, reallocation and first-touch
    /// page faults on the hot path: the table's new room is written once
    /// here, so this call takes time in proportion to it. Changes no
    /// observable state.
    ///
    /// ```
    /// let mut l = omniroute::ledger::Ledger::new();
    /// l.reserve_entries(1_000);
    /// assert_eq!(l.entry_count(), 0);
    /// ```
    pub fn reserve_entries(&mut self, additional: usize) {
        self.memo.reserve(additional);
        self.journal.reserve(additional);
    }

    /// The event recorded under an entry id, if any.
    #[must_use]
    pub fn event_of(&self, entry: EntryId) -> Option<Event> {
        self.memo.find(entry).and_then(|i| self.memo.event(i))
    }

    /// Every remembered event in the order it was recorded: a full event log.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.memo.events()
    }

    #[inline]
    fn check_node(&self, node: NodeId) -> Result<(), LedgerError> {
        if node.get() < self.nodes { Ok(()) } else { Err(LedgerError::UnknownNode { node }) }
    }

    #[inline]
    fn check_sku(&self, sku: Sku) -> Result<(), LedgerError> {
        if sku.as_usize() < self.skus.len() { Ok(()) } else { Err(LedgerError::UnknownSku { sku }) }
    }

    #[inline]
    fn hot(&self, k: Key) -> Hot {
        self.skus.get(k.0 as usize).and_then(|s| s.positions.get(k.1 as usize)).copied().unwrap_or_default()
    }

    #[inline]
    fn cold_of(&self, k: Key) -> Cold {
        self.cold.get(&k).copied().unwrap_or_default()
    }

    #[inline]
    fn allowance(&self, k: Key) -> u64 {
        let policy = match self.overrides.get(&k) {
            Some(p) => *p,
            None => self.skus.get(k.0 as usize).map(|s| s.policy).unwrap_or_default(),
        };
        policy.allowance().get()
    }

    /// The buckets of a position. Untouched positions read as zero.
    ///
    /// # Errors
    ///
    /// [`LedgerError::UnknownNode`] or [`LedgerError::UnknownSku`].
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH)?;
    /// assert_eq!(l.position(NodeId::new(0), Sku::new(0))?.version, 0);
    /// assert!(l.position(NodeId::new(1), Sku::new(0)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn position(&self, node: NodeId, sku: Sku) -> Result<Position, LedgerError> {
        self.check_node(node)?;
        self.check_sku(sku)?;
        let k = key(node, sku);
        let h = self.hot(k);
        let c = self.cold_of(k);
        Ok(Position {
            on_hand: Qty::new(h.on_hand),
            reserved: Qty::new(h.reserved),
            allocated: Qty::new(h.allocated),
            inbound: Qty::new(c.inbound),
            quarantine: Qty::new(c.quarantine),
            damaged: Qty::new(c.damaged),
            returns_pending: Qty::new(c.returns_pending),
            backorder_allowance: Qty::new(self.allowance(k)),
            version: h.version,
        })
    }

    /// The live reservations of a position, by entry id.
    ///
    /// # Complexity
    ///
    /// O(log R + r) for R live reservations, r of them at this position.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let l = Ledger::new();
    /// assert_eq!(l.reservations(NodeId::new(0), Sku::new(0)).count(), 0);
    /// ```
    pub fn reservations(&self, node: NodeId, sku: Sku) -> impl Iterator<Item = (EntryId, Hold)> + '_ {
        let k = key(node, sku);
        self.holds_by_pos
            .range((k, 0)..=(k, u128::MAX))
            .filter_map(move |(_, id)| EntryId::new(*id).ok())
            .filter_map(move |id| self.memo.hold(id).map(|h| (id, h)))
    }

    /// A live reservation by its entry id.
    #[must_use]
    pub fn reservation(&self, reservation: EntryId) -> Option<Hold> {
        self.memo.hold(reservation)
    }

    /// How a reservation was resolved, if it was.
    #[must_use]
    pub fn resolution(&self, reservation: EntryId) -> Option<Resolution> {
        self.memo.resolution(reservation)
    }

    /// The open inbound receipts (purchase orders and transfers in transit)
    /// of a position, by entry id, each with its ETA.
    ///
    /// # Complexity
    ///
    /// O(log I + i) for I open receipts, i of them at this position.
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let l = Ledger::new();
    /// assert_eq!(l.inbound(NodeId::new(0), Sku::new(0)).count(), 0);
    /// ```
    pub fn inbound(&self, node: NodeId, sku: Sku) -> impl Iterator<Item = (EntryId, Receipt)> + '_ {
        let k = key(node, sku);
        self.receipts_by_pos
            .range((k, 0)..=(k, u128::MAX))
            .filter_map(move |(_, id)| EntryId::new(*id).ok())
            .filter_map(move |id| self.receipts.get(&id).map(|r| (id, *r)))
    }

    /// Positions that were ever touched (version > 0), in (SKU, node) order.
    pub fn positions(&self) -> impl Iterator<Item = (NodeId, Sku)> + '_ {
        self.skus.iter().enumerate().flat_map(|(s, st)| {
            st.positions.iter().enumerate().filter(|(_, h)| h.version > 0).map(move |(n, _)| {
                (
                    NodeId::new(u32::try_from(n).unwrap_or(u32::MAX)),
                    Sku::new(u32::try_from(s).unwrap_or(u32::MAX)),
                )
            })
        })
    }

    // ---- the public command API ----

    /// Applies one command at `now`.
    ///
    /// Order of checks: (1) the entry id — if it was seen before, the same
    /// content returns [`Outcome::AlreadyApplied`] with the original event
    /// (or the original error, for a recorded failure) whatever `now` is,
    /// and different content is [`LedgerError::IdempotencyConflict`];
    /// (2) time — `now` earlier than [`Ledger::latest`] is
    /// [`LedgerError::TimeWentBackwards`]; (3) the command, in the
    /// precedence order of [`LedgerError`]. Everything is checked before
    /// anything changes.
    ///
    /// # Errors
    ///
    /// A [`Rejection`]: the first applicable [`LedgerError`], and the event
    /// recording it when the failure is remembered under the entry id. A
    /// rejected command changes no balance, reservation, receipt or version;
    /// a remembered failure adds only its record to the idempotency table.
    ///
    /// # Complexity
    ///
    /// O(log n) in the live reservations and receipts for most commands;
    /// `ExpireDue` is O(k log n) for k expiring holds; `Count` scans the
    /// on-hand journal back to `counted_at`; `SetBackorder` for a whole SKU
    /// is O(nodes).
    ///
    /// ```
    /// use omniroute::ledger::{EventKind, Ledger, Outcome};
    /// use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};
    /// let mut l = Ledger::new();
    /// let t = Timestamp::from_unix_ms(0);
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let rx = Command::new(EntryId::new(2)?, CommandKind::Receive { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::new(3), inbound: None });
    /// let first = l.apply(&rx, t)?;
    /// assert!(matches!(first.event().kind, EventKind::Received { .. }));
    /// let again = l.apply(&rx, Timestamp::from_unix_ms(9))?;
    /// assert_eq!(again, Outcome::AlreadyApplied(first.into_event()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(&mut self, cmd: &Command, now: Timestamp) -> Result<Outcome, Rejection> {
        self.apply_checked(cmd, now, None)
    }

    /// Applies one command only if the position (node, SKU) is at version
    /// `expected` — compare-and-swap for hosts that persist concurrently.
    /// A retry of an already-applied command still returns
    /// [`Outcome::AlreadyApplied`] (duplicate detection comes first).
    ///
    /// # Errors
    ///
    /// As [`Ledger::apply`], plus [`LedgerError::VersionMismatch`] (checked
    /// after the command's own field checks and the node/SKU lookups, and
    /// never remembered).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let mut l = Ledger::new();
    /// let t = Timestamp::EPOCH;
    /// let (n, s) = (NodeId::new(0), Sku::new(0));
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// let v = l.position(n, s)?.version;
    /// let rx = Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(3), inbound: None });
    /// l.apply_if_version(&rx, t, n, s, v)?;
    /// assert_eq!(l.position(n, s)?.version, v + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_if_version(
        &mut self,
        cmd: &Command,
        now: Timestamp,
        node: NodeId,
        sku: Sku,
        expected: u64,
    ) -> Result<Outcome, Rejection> {
        self.apply_checked(cmd, now, Some((node, sku, expected)))
    }

    #[inline]
    fn seen(&mut self, cmd: &Command) -> Option<Result<Outcome, LedgerError>> {
        let i = self.memo.find_for_push(cmd.entry)?;
        Some(self.seen_again(cmd, i))
    }

    #[cold]
    fn seen_again(&self, cmd: &Command, i: usize) -> Result<Outcome, LedgerError> {
        let ev = self.memo.event(i).ok_or_else(|| LedgerError::InvariantBroken {
            detail: format!("the record of {} does not rebuild", cmd.entry),
        })?;
        if let Some(field) = first_difference(&ev.kind.command(), &cmd.kind) {
            return Err(LedgerError::IdempotencyConflict { entry: cmd.entry, field: field.to_owned() });
        }
        match ev.kind {
            EventKind::Rejected { error, .. } => Err(*error),
            _ => Ok(Outcome::AlreadyApplied(ev)),
        }
    }

    /// The checks of the call rather than the command: time, and room in
    /// the idempotency table (2^48 − 2 entries: unreachable in practice).
    #[inline]
    fn check_time(&self, now: Timestamp) -> Result<(), LedgerError> {
        match self.latest {
            Some(latest) if now < latest => Err(LedgerError::TimeWentBackwards { now, latest }),
            _ if !self.memo.has_room() => {
                Err(LedgerError::InvariantBroken { detail: "the idempotency table is full".into() })
            }
            _ => Ok(()),
        }
    }

    fn apply_checked(
        &mut self,
        cmd: &Command,
        now: Timestamp,
        cas: Option<(NodeId, Sku, u64)>,
    ) -> Result<Outcome, Rejection> {
        if let Some(r) = self.seen(cmd) {
            return r.map_err(|error| Rejection { error, record: None });
        }
        self.check_time(now).map_err(|error| Rejection { error, record: None })?;
        match self.execute(cmd, now, cas) {
            Ok(ev) => Ok(Outcome::Applied(ev)),
            Err(error) if error.is_recorded() => {
                let ev = Event {
                    entry: cmd.entry,
                    at: now,
                    kind: EventKind::Rejected {
                        command: Box::new(cmd.kind.clone()),
                        error: Box::new(error.clone()),
                    },
                };
                let ev = self.finish(ev);
                Err(Rejection { error, record: Some(Box::new(ev)) })
            }
            Err(error) => Err(Rejection { error, record: None }),
        }
    }

    /// Applies a batch atomically at `now`: every command applies, in order,
    /// each seeing the state the earlier ones left, or none does.
    ///
    /// The commands are executed against the live state with an undo log;
    /// on the first failure the log is rolled back, so the ledger is left
    /// byte-identical (same serialised snapshot) and nothing is remembered
    /// under any of the batch's entry ids — a failed batch may be retried.
    ///
    /// # Errors
    ///
    /// [`BatchRejection`] with the index of the first failing command and
    /// its error. Each command gets the same checks, in the same order, as
    /// with [`Ledger::apply`] (so a batch re-sent at an earlier time returns
    /// the original outcomes; time going backwards is reported at the first
    /// command that is not a duplicate).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let mut l = Ledger::new();
    /// let t = Timestamp::EPOCH;
    /// let (n, s) = (NodeId::new(0), Sku::new(0));
    /// let ok = [
    ///     Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }),
    ///     Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(2), inbound: None }),
    /// ];
    /// assert_eq!(l.apply_batch(&ok, t)?.len(), 2);
    /// let bad = [
    ///     Command::new(EntryId::new(3)?, CommandKind::Reserve { node: n, sku: s, qty: Qty::new(2), expires_at: None }),
    ///     Command::new(EntryId::new(4)?, CommandKind::Reserve { node: n, sku: s, qty: Qty::new(1), expires_at: None }),
    /// ];
    /// let err = l.apply_batch(&bad, t).unwrap_err();
    /// assert_eq!(err.index, 1);
    /// assert_eq!(l.position(n, s)?.reserved, Qty::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_batch(&mut self, cmds: &[Command], now: Timestamp) -> Result<Vec<Outcome>, BatchRejection> {
        let outer = self.undo.replace(Vec::new());
        let mut out = Vec::with_capacity(cmds.len());
        let mut failed = None;
        for (index, cmd) in cmds.iter().enumerate() {
            let r = match self.seen(cmd) {
                Some(r) => r,
                None => {
                    self.check_time(now).and_then(|()| self.execute(cmd, now, None)).map(Outcome::Applied)
                }
            };
            match r {
                Ok(o) => out.push(o),
                Err(error) => {
                    failed = Some(BatchRejection { index, error });
                    break;
                }
            }
        }
        self.end_undo(outer, failed.is_some());
        match failed {
            Some(f) => Err(f),
            None => Ok(out),
        }
    }

    fn end_undo(&mut self, outer: Option<Vec<Undo>>, roll_back: bool) {
        let log = core::mem::replace(&mut self.undo, outer).unwrap_or_default();
        if roll_back {
            self.rollback(log);
        } else if let Some(o) = self.undo.as_mut() {
            o.extend(log);
        }
    }

    /// Replays persisted events onto this ledger, atomically: a fresh
    /// ledger replaying every event, or a snapshot replaying the events
    /// after it, reaches the same state as the live ledger (same serialised
    /// bytes). Each event is re-executed from its command at its `at` and
    /// must reproduce itself exactly, which also verifies the stream.
    ///
    /// # Errors
    ///
    /// [`LedgerError::ReplayDiverged`] naming the first event that does not
    /// reproduce (the ledger is then left unchanged).
    ///
    /// ```
    /// # use omniroute::ledger::*; use omniroute::*;
    /// let mut live = Ledger::new();
    /// let ev = live.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH)?.into_event();
    /// let replayed = Ledger::replay(&[ev])?;
    /// assert_eq!(replayed.node_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_events(&mut self, events: &[Event]) -> Result<(), LedgerError> {
        let outer = self.undo.replace(Vec::new());
        let mut failed = None;
        for (index, ev) in events.iter().enumerate() {
            if !self.replay_one(ev) {
                failed = Some(LedgerError::ReplayDiverged { index, entry: ev.entry });
                break;
            }
        }
        self.end_undo(outer, failed.is_some());
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn replay_one(&mut self, ev: &Event) -> bool {
        if self.memo.find_for_push(ev.entry).is_some() || self.check_time(ev.at).is_err() {
            return false;
        }
        let cmd = Command::new(ev.entry, ev.command());
        match (ev.rejection(), self.execute(&cmd, ev.at, None)) {
            (None, Ok(again)) => again == *ev,
            (Some(recorded), Err(e)) if *recorded == e && e.is_recorded() => {
                self.finish(ev.clone());
                true
            }
            _ => false,
        }
    }

    /// A fresh ledger (default options) rebuilt from a full event log.
    ///
    /// # Errors
    ///
    /// As [`Ledger::apply_events`].
    ///
    /// ```
    /// # use omniroute::ledger::*;
    /// assert_eq!(Ledger::replay(&[])?.entry_count(), 0);
    /// # Ok::<(), LedgerError>(())
    /// ```
    pub fn replay(events: &[Event]) -> Result<Self, LedgerError> {
        let mut l = Self::new();
        l.apply_events(events)?;
        Ok(l)
    }

    /// Heap bytes held by the position arrays and sparse bucket maps, as
    /// counted by capacity (for the memory report; an estimate for the maps).
    #[must_use]
    pub fn position_bytes(&self) -> usize {
        let arrays: usize =
            self.skus.iter().map(|s| s.positions.capacity().saturating_mul(size_of::<Hot>())).sum();
        arrays.saturating_add(self.skus.capacity().saturating_mul(size_of::<SkuState>()))
    }
}
