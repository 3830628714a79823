//! The ledger state and the command engine.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use indexmap::IndexMap;

use super::hash::IdHashBuilder;

use super::event::{ExpiredHold, Hold, Position, Receipt};
use super::{
    BackorderPolicy, BatchRejection, Bucket, Command, CommandKind, Direction, Event, EventKind, LedgerError,
    Outcome, Rejection, Resolution,
};
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

mod invariants;
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

/// What the idempotency table remembers per entry id: the event, and for a
/// reservation how it was resolved (kept here rather than in a second table,
/// so resolving a hold adds no new record).
///
/// The entry id is the map's key and is not stored again: a record is 64
/// bytes instead of the 96 a whole [`Event`] plus resolution would take.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Memo {
    kind: EventKind,
    at: Timestamp,
    resolution: Option<Resolution>,
}

impl Memo {
    fn event(&self, entry: EntryId) -> Event {
        Event { entry, at: self.at, kind: self.kind.clone() }
    }
}

/// The inverse of one mutation, for rolling back a batch or a replay.
#[derive(Debug, Clone)]
enum Undo {
    Latest(Option<Timestamp>),
    Nodes(u32),
    SkusLen(usize),
    SkuPolicy(u32, BackorderPolicy),
    Override(Key, Option<BackorderPolicy>),
    Hot { key: Key, old: Hot, old_len: usize },
    Cold(Key, Option<Cold>),
    HoldInserted(EntryId),
    HoldRemoved { index: usize, id: EntryId, hold: Hold },
    ReceiptInserted(EntryId),
    ReceiptSet(EntryId, Receipt),
    ReceiptRemoved { index: usize, id: EntryId, receipt: Receipt },
    Resolved(EntryId),
    JournalPushed,
    JournalPopped(Movement),
    LastCount(Key, Option<Timestamp>),
    Memo(EntryId),
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
    holds: Map<EntryId, Hold>,
    holds_by_pos: BTreeSet<(Key, u128)>,
    expiry: BTreeSet<(Timestamp, u128)>,
    receipts: Map<EntryId, Receipt>,
    receipts_by_pos: BTreeSet<(Key, u128)>,
    journal: VecDeque<Movement>,
    last_count: BTreeMap<Key, Timestamp>,
    memo: Map<EntryId, Memo>,
    undo: Option<Vec<Undo>>,
}

fn key(node: NodeId, sku: Sku) -> Key {
    (sku.get(), node.get())
}

fn add(a: u64, b: u64, node: NodeId, sku: Sku, bucket: Bucket) -> Result<u64, LedgerError> {
    a.checked_add(b).ok_or(LedgerError::Overflow { node, sku, bucket: Some(bucket) })
}

fn sub(a: u64, b: u64, node: NodeId, sku: Sku, bucket: Bucket) -> Result<u64, LedgerError> {
    a.checked_sub(b).ok_or(LedgerError::Insufficient {
        node,
        sku,
        bucket,
        requested: Qty::new(b),
        available: Qty::new(a),
    })
}

fn bumped(mut hot: Hot, node: NodeId, sku: Sku) -> Result<Hot, LedgerError> {
    hot.version = hot.version.checked_add(1).ok_or(LedgerError::Overflow { node, sku, bucket: None })?;
    Ok(hot)
}

fn to_u64_sat(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Claims (reserved + allocated) in excess of the backorder allowance: the
/// on-hand units that must stay.
fn pinned_on_hand(hot: Hot, allowance: u64) -> u128 {
    let claims = u128::from(hot.reserved).saturating_add(u128::from(hot.allocated));
    claims.saturating_sub(u128::from(allowance))
}

/// On-hand units that may leave without uncovering a claim.
fn removable_on_hand(hot: Hot, allowance: u64) -> u64 {
    to_u64_sat(u128::from(hot.on_hand).saturating_sub(pinned_on_hand(hot, allowance)))
}

fn available(hot: Hot, allowance: u64) -> u64 {
    let supply = u128::from(hot.on_hand).saturating_add(u128::from(allowance));
    let claims = u128::from(hot.reserved).saturating_add(u128::from(hot.allocated));
    to_u64_sat(supply.saturating_sub(claims))
}

fn physical(hot: &Hot, cold: &Cold, b: Bucket) -> u64 {
    match b {
        Bucket::OnHand => hot.on_hand,
        Bucket::Quarantine => cold.quarantine,
        Bucket::Damaged => cold.damaged,
        Bucket::ReturnsPending => cold.returns_pending,
        Bucket::Reserved => hot.reserved,
        Bucket::Allocated => hot.allocated,
        Bucket::Inbound => cold.inbound,
    }
}

fn set_physical(hot: &mut Hot, cold: &mut Cold, b: Bucket, v: u64) {
    match b {
        Bucket::OnHand => hot.on_hand = v,
        Bucket::Quarantine => cold.quarantine = v,
        Bucket::Damaged => cold.damaged = v,
        Bucket::ReturnsPending => cold.returns_pending = v,
        Bucket::Reserved => hot.reserved = v,
        Bucket::Allocated => hot.allocated = v,
        Bucket::Inbound => cold.inbound = v,
    }
}

/// The first field (declaration order) in which two commands differ.
fn first_difference(a: &CommandKind, b: &CommandKind) -> Option<&'static str> {
    use CommandKind as C;
    macro_rules! diff {
        ($( $name:ident : $x:expr, $y:expr );* $(;)?) => {{
            $( if $x != $y { return Some(stringify!($name)); } )*
            None
        }};
    }
    match (a, b) {
        (C::Register { nodes: n1, skus: s1 }, C::Register { nodes: n2, skus: s2 }) => {
            diff!(nodes: n1, n2; skus: s1, s2)
        }
        (
            C::SetBackorder { sku: s1, node: n1, policy: p1 },
            C::SetBackorder { sku: s2, node: n2, policy: p2 },
        ) => {
            diff!(sku: s1, s2; node: n1, n2; policy: p1, p2)
        }
        (
            C::ExpectInbound { node: n1, sku: s1, qty: q1, eta: e1 },
            C::ExpectInbound { node: n2, sku: s2, qty: q2, eta: e2 },
        ) => diff!(node: n1, n2; sku: s1, s2; qty: q1, q2; eta: e1, e2),
        (
            C::Receive { node: n1, sku: s1, qty: q1, inbound: i1 },
            C::Receive { node: n2, sku: s2, qty: q2, inbound: i2 },
        ) => diff!(node: n1, n2; sku: s1, s2; qty: q1, q2; inbound: i1, i2),
        (
            C::Adjust { node: n1, sku: s1, bucket: b1, direction: d1, qty: q1, reason: r1 },
            C::Adjust { node: n2, sku: s2, bucket: b2, direction: d2, qty: q2, reason: r2 },
        ) => diff!(node: n1, n2; sku: s1, s2; bucket: b1, b2; direction: d1, d2; qty: q1, q2; reason: r1, r2),
        (
            C::Count { node: n1, sku: s1, counted: c1, counted_at: t1 },
            C::Count { node: n2, sku: s2, counted: c2, counted_at: t2 },
        ) => diff!(node: n1, n2; sku: s1, s2; counted: c1, c2; counted_at: t1, t2),
        (
            C::Move { node: n1, sku: s1, from: f1, to: o1, qty: q1 },
            C::Move { node: n2, sku: s2, from: f2, to: o2, qty: q2 },
        ) => diff!(node: n1, n2; sku: s1, s2; from: f1, f2; to: o1, o2; qty: q1, q2),
        (
            C::TransferOut { node: n1, to: o1, sku: s1, qty: q1, eta: e1 },
            C::TransferOut { node: n2, to: o2, sku: s2, qty: q2, eta: e2 },
        ) => diff!(node: n1, n2; to: o1, o2; sku: s1, s2; qty: q1, q2; eta: e1, e2),
        (C::TransferIn { transfer: t1, qty: q1 }, C::TransferIn { transfer: t2, qty: q2 }) => {
            diff!(transfer: t1, t2; qty: q1, q2)
        }
        (
            C::Reserve { node: n1, sku: s1, qty: q1, expires_at: e1 },
            C::Reserve { node: n2, sku: s2, qty: q2, expires_at: e2 },
        ) => diff!(node: n1, n2; sku: s1, s2; qty: q1, q2; expires_at: e1, e2),
        (C::Commit { reservation: r1, qty: q1 }, C::Commit { reservation: r2, qty: q2 }) => {
            diff!(reservation: r1, r2; qty: q1, q2)
        }
        (C::Release { reservation: r1 }, C::Release { reservation: r2 }) => diff!(reservation: r1, r2),
        (C::CloseInbound { inbound: i1 }, C::CloseInbound { inbound: i2 }) => diff!(inbound: i1, i2),
        (C::ExpireDue, C::ExpireDue) => None,
        (C::Ship { node: n1, sku: s1, qty: q1 }, C::Ship { node: n2, sku: s2, qty: q2 }) => {
            diff!(node: n1, n2; sku: s1, s2; qty: q1, q2)
        }
        (
            C::ReturnReceipt { node: n1, sku: s1, qty: q1 },
            C::ReturnReceipt { node: n2, sku: s2, qty: q2 },
        ) => {
            diff!(node: n1, n2; sku: s1, s2; qty: q1, q2)
        }
        _ => Some("op"),
    }
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
    /// that knows its volume avoids rehashing on the hot path. Changes no
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
        self.memo.get(&entry).map(|m| m.event(entry))
    }

    /// Every remembered event in the order it was recorded: a full event log.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.memo.iter().map(|(id, m)| m.event(*id))
    }

    fn check_node(&self, node: NodeId) -> Result<(), LedgerError> {
        if node.get() < self.nodes { Ok(()) } else { Err(LedgerError::UnknownNode { node }) }
    }

    fn check_sku(&self, sku: Sku) -> Result<(), LedgerError> {
        if sku.as_usize() < self.skus.len() { Ok(()) } else { Err(LedgerError::UnknownSku { sku }) }
    }

    fn hot(&self, k: Key) -> Hot {
        self.skus.get(k.0 as usize).and_then(|s| s.positions.get(k.1 as usize)).copied().unwrap_or_default()
    }

    fn cold_of(&self, k: Key) -> Cold {
        self.cold.get(&k).copied().unwrap_or_default()
    }

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
            .filter_map(move |id| self.holds.get(&id).map(|h| (id, *h)))
    }

    /// A live reservation by its entry id.
    #[must_use]
    pub fn reservation(&self, reservation: EntryId) -> Option<Hold> {
        self.holds.get(&reservation).copied()
    }

    /// How a reservation was resolved, if it was.
    #[must_use]
    pub fn resolution(&self, reservation: EntryId) -> Option<Resolution> {
        self.memo.get(&reservation).and_then(|m| m.resolution)
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

    // ---- mutation primitives: each records its inverse when a batch is open ----

    fn log(&mut self, u: Undo) {
        if let Some(log) = self.undo.as_mut() {
            log.push(u);
        }
    }

    fn set_hot(&mut self, k: Key, new: Hot) {
        let nodes = self.nodes as usize;
        let Some(st) = self.skus.get_mut(k.0 as usize) else { return };
        let old_len = st.positions.len();
        let idx = k.1 as usize;
        if idx >= old_len {
            // Grow by doubling, but never past the registered node count, so a
            // SKU stocked everywhere carries no slack.
            let need = idx.saturating_add(1);
            if need > st.positions.capacity() {
                let target = need.max(old_len.saturating_mul(2).min(nodes));
                st.positions.reserve_exact(target.saturating_sub(old_len));
            }
            st.positions.resize(need, Hot::default());
        }
        let Some(slot) = st.positions.get_mut(idx) else { return };
        let old = *slot;
        *slot = new;
        self.log(Undo::Hot { key: k, old, old_len });
    }

    fn set_cold(&mut self, k: Key, new: Cold) {
        let old = if new == Cold::default() { self.cold.remove(&k) } else { self.cold.insert(k, new) };
        self.log(Undo::Cold(k, old));
    }

    fn insert_hold(&mut self, id: EntryId, hold: Hold) {
        let k = key(hold.node, hold.sku);
        self.holds.insert(id, hold);
        self.holds_by_pos.insert((k, id.get()));
        if let Some(t) = hold.expires_at {
            self.expiry.insert((t, id.get()));
        }
        self.log(Undo::HoldInserted(id));
    }

    fn remove_hold(&mut self, id: EntryId) {
        if let Some((index, _, hold)) = self.holds.swap_remove_full(&id) {
            self.holds_by_pos.remove(&(key(hold.node, hold.sku), id.get()));
            if let Some(t) = hold.expires_at {
                self.expiry.remove(&(t, id.get()));
            }
            self.log(Undo::HoldRemoved { index, id, hold });
        }
    }

    fn resolve(&mut self, id: EntryId, how: Resolution) {
        if let Some(m) = self.memo.get_mut(&id) {
            m.resolution = Some(how);
        }
        self.log(Undo::Resolved(id));
    }

    fn insert_receipt(&mut self, id: EntryId, r: Receipt) {
        self.receipts.insert(id, r);
        self.receipts_by_pos.insert((key(r.node, r.sku), id.get()));
        self.log(Undo::ReceiptInserted(id));
    }

    fn set_receipt_remaining(&mut self, id: EntryId, remaining: u64) {
        if remaining == 0 {
            if let Some((index, _, receipt)) = self.receipts.swap_remove_full(&id) {
                self.receipts_by_pos.remove(&(key(receipt.node, receipt.sku), id.get()));
                self.log(Undo::ReceiptRemoved { index, id, receipt });
            }
        } else if let Some(r) = self.receipts.get_mut(&id) {
            let old = *r;
            r.remaining = Qty::new(remaining);
            self.log(Undo::ReceiptSet(id, old));
        }
    }

    fn journal(&mut self, at: Timestamp, k: Key, qty: u64, increase: bool) {
        self.journal.push_back(Movement { at, sku: k.0, node: k.1, qty, increase });
        self.log(Undo::JournalPushed);
    }

    fn finish(&mut self, event: Event) -> Event {
        let at = event.at;
        if event.rejection().is_none() {
            let old = self.latest.replace(at);
            self.log(Undo::Latest(old));
            if let Some(cutoff) = at.as_unix_ms().checked_sub(self.options.count_horizon_ms) {
                while self.journal.front().is_some_and(|m| m.at.as_unix_ms() < cutoff) {
                    if let Some(m) = self.journal.pop_front() {
                        self.log(Undo::JournalPopped(m));
                    }
                }
            }
        }
        self.memo.insert(event.entry, Memo { kind: event.kind.clone(), at: event.at, resolution: None });
        self.log(Undo::Memo(event.entry));
        event
    }

    fn rollback(&mut self, log: Vec<Undo>) {
        for u in log.into_iter().rev() {
            match u {
                Undo::Latest(t) => self.latest = t,
                Undo::Nodes(n) => self.nodes = n,
                Undo::SkusLen(n) => self.skus.truncate(n),
                Undo::SkuPolicy(s, p) => {
                    if let Some(st) = self.skus.get_mut(s as usize) {
                        st.policy = p;
                    }
                }
                Undo::Override(k, p) => {
                    match p {
                        Some(p) => self.overrides.insert(k, p),
                        None => self.overrides.remove(&k),
                    };
                }
                Undo::Hot { key: k, old, old_len } => {
                    if let Some(st) = self.skus.get_mut(k.0 as usize) {
                        if let Some(slot) = st.positions.get_mut(k.1 as usize) {
                            *slot = old;
                        }
                        st.positions.truncate(old_len);
                    }
                }
                Undo::Cold(k, c) => {
                    match c {
                        Some(c) => self.cold.insert(k, c),
                        None => self.cold.remove(&k),
                    };
                }
                Undo::HoldInserted(id) => {
                    if let Some(hold) = self.holds.swap_remove(&id) {
                        self.holds_by_pos.remove(&(key(hold.node, hold.sku), id.get()));
                        if let Some(t) = hold.expires_at {
                            self.expiry.remove(&(t, id.get()));
                        }
                    }
                }
                Undo::HoldRemoved { index, id, hold } => {
                    let (at, _) = self.holds.insert_full(id, hold);
                    self.holds.swap_indices(index, at);
                    self.holds_by_pos.insert((key(hold.node, hold.sku), id.get()));
                    if let Some(t) = hold.expires_at {
                        self.expiry.insert((t, id.get()));
                    }
                }
                Undo::ReceiptInserted(id) => {
                    if let Some(r) = self.receipts.swap_remove(&id) {
                        self.receipts_by_pos.remove(&(key(r.node, r.sku), id.get()));
                    }
                }
                Undo::ReceiptSet(id, old) => {
                    if let Some(r) = self.receipts.get_mut(&id) {
                        *r = old;
                    }
                }
                Undo::ReceiptRemoved { index, id, receipt } => {
                    let (at, _) = self.receipts.insert_full(id, receipt);
                    self.receipts.swap_indices(index, at);
                    self.receipts_by_pos.insert((key(receipt.node, receipt.sku), id.get()));
                }
                Undo::Resolved(id) => {
                    if let Some(m) = self.memo.get_mut(&id) {
                        m.resolution = None;
                    }
                }
                Undo::JournalPushed => {
                    self.journal.pop_back();
                }
                Undo::JournalPopped(m) => self.journal.push_front(m),
                Undo::LastCount(k, t) => {
                    match t {
                        Some(t) => self.last_count.insert(k, t),
                        None => self.last_count.remove(&k),
                    };
                }
                Undo::Memo(id) => {
                    self.memo.swap_remove(&id);
                }
            }
        }
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

    fn seen(&self, cmd: &Command) -> Option<Result<Outcome, LedgerError>> {
        let m = self.memo.get(&cmd.entry)?;
        let original = m.kind.command();
        Some(match first_difference(&original, &cmd.kind) {
            Some(field) => {
                Err(LedgerError::IdempotencyConflict { entry: cmd.entry, field: field.to_owned() })
            }
            None => match &m.kind {
                EventKind::Rejected { error, .. } => Err((**error).clone()),
                _ => Ok(Outcome::AlreadyApplied(m.event(cmd.entry))),
            },
        })
    }

    fn check_time(&self, now: Timestamp) -> Result<(), LedgerError> {
        match self.latest {
            Some(latest) if now < latest => Err(LedgerError::TimeWentBackwards { now, latest }),
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
        if self.memo.contains_key(&ev.entry) || self.check_time(ev.at).is_err() {
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

    // ---- the engine: all checks, then the writes ----

    fn static_check(&self, kind: &CommandKind, now: Timestamp) -> Result<(), LedgerError> {
        use CommandKind as C;
        let qty = match kind {
            C::ExpectInbound { qty, .. }
            | C::Receive { qty, .. }
            | C::Adjust { qty, .. }
            | C::Move { qty, .. }
            | C::TransferOut { qty, .. }
            | C::TransferIn { qty, .. }
            | C::Reserve { qty, .. }
            | C::Commit { qty, .. }
            | C::Ship { qty, .. }
            | C::ReturnReceipt { qty, .. } => Some(*qty),
            _ => None,
        };
        if qty.is_some_and(Qty::is_zero) {
            return Err(LedgerError::ZeroQuantity);
        }
        match kind {
            C::TransferOut { node, to, .. } if node == to => Err(LedgerError::SameNode { node: *node }),
            C::Adjust { bucket, .. } if !bucket.is_physical() => {
                Err(LedgerError::NotPhysical { bucket: *bucket })
            }
            C::Move { from, to, .. } => {
                if !from.is_physical() {
                    Err(LedgerError::NotPhysical { bucket: *from })
                } else if !to.is_physical() {
                    Err(LedgerError::NotPhysical { bucket: *to })
                } else if from == to {
                    Err(LedgerError::SameBucket { bucket: *from })
                } else {
                    Ok(())
                }
            }
            C::Count { counted_at, .. } if *counted_at > now => {
                Err(LedgerError::CountInFuture { counted_at: *counted_at, now })
            }
            C::Reserve { expires_at: Some(e), .. } if *e <= now => {
                Err(LedgerError::AlreadyExpired { expires_at: *e, now })
            }
            C::Register { nodes, skus } if *nodes > Self::MAX_NODES || *skus > Self::MAX_SKUS => {
                Err(LedgerError::RegisterLimit {
                    nodes: *nodes,
                    skus: *skus,
                    max_nodes: Self::MAX_NODES,
                    max_skus: Self::MAX_SKUS,
                })
            }
            _ => Ok(()),
        }
    }

    fn ids_check(&self, kind: &CommandKind) -> Result<(), LedgerError> {
        use CommandKind as C;
        match kind {
            C::TransferOut { node, to, sku, .. } => {
                self.check_node(*node)?;
                self.check_node(*to)?;
                self.check_sku(*sku)
            }
            C::SetBackorder { sku, node, .. } => {
                if let Some(n) = node {
                    self.check_node(*n)?;
                }
                self.check_sku(*sku)
            }
            C::ExpectInbound { node, sku, .. }
            | C::Receive { node, sku, .. }
            | C::Adjust { node, sku, .. }
            | C::Count { node, sku, .. }
            | C::Move { node, sku, .. }
            | C::Reserve { node, sku, .. }
            | C::Ship { node, sku, .. }
            | C::ReturnReceipt { node, sku, .. } => {
                self.check_node(*node)?;
                self.check_sku(*sku)
            }
            _ => Ok(()),
        }
    }

    fn execute(
        &mut self,
        cmd: &Command,
        now: Timestamp,
        cas: Option<(NodeId, Sku, u64)>,
    ) -> Result<Event, LedgerError> {
        self.static_check(&cmd.kind, now)?;
        self.ids_check(&cmd.kind)?;
        if let Some((node, sku, expected)) = cas {
            self.check_node(node)?;
            self.check_sku(sku)?;
            let actual = self.hot(key(node, sku)).version;
            if actual != expected {
                return Err(LedgerError::VersionMismatch { node, sku, expected, actual });
            }
        }
        let kind = self.execute_kind(cmd.entry, &cmd.kind, now)?;
        Ok(self.finish(Event { entry: cmd.entry, at: now, kind }))
    }

    fn lookup_hold(&self, id: EntryId, now: Timestamp, for_commit: bool) -> Result<Hold, LedgerError> {
        match self.holds.get(&id) {
            Some(h) => {
                if for_commit {
                    if let Some(e) = h.expires_at.filter(|e| *e <= now) {
                        return Err(LedgerError::ReservationExpired { reservation: id, expired_at: e });
                    }
                }
                Ok(*h)
            }
            None => Err(match self.memo.get(&id).and_then(|m| m.resolution) {
                Some(r) => LedgerError::ReservationResolved { reservation: id, resolution: r },
                None => LedgerError::UnknownReservation { reservation: id },
            }),
        }
    }

    fn check_claims(&self, node: NodeId, sku: Sku, hot: Hot, allowance: u64) -> Result<(), LedgerError> {
        let claims = u128::from(hot.reserved).saturating_add(u128::from(hot.allocated));
        let supply = u128::from(hot.on_hand).saturating_add(u128::from(allowance));
        if claims > supply {
            return Err(LedgerError::Insufficient {
                node,
                sku,
                bucket: Bucket::OnHand,
                requested: Qty::new(to_u64_sat(claims)),
                available: Qty::new(to_u64_sat(supply)),
            });
        }
        Ok(())
    }

    #[allow(clippy::too_many_lines)]
    fn execute_kind(
        &mut self,
        entry: EntryId,
        kind: &CommandKind,
        now: Timestamp,
    ) -> Result<EventKind, LedgerError> {
        use CommandKind as C;
        match *kind {
            C::Register { nodes, skus } => {
                if nodes > self.nodes {
                    let old = core::mem::replace(&mut self.nodes, nodes);
                    self.log(Undo::Nodes(old));
                }
                let old_len = self.skus.len();
                if skus as usize > old_len {
                    self.skus.resize(skus as usize, SkuState::default());
                    self.log(Undo::SkusLen(old_len));
                }
                Ok(EventKind::Registered { nodes, skus })
            }
            C::SetBackorder { sku, node, policy } => {
                let allowance = policy.allowance().get();
                match node {
                    Some(n) => {
                        let k = key(n, sku);
                        self.check_claims(n, sku, self.hot(k), allowance)?;
                        let old = self.overrides.insert(k, policy);
                        self.log(Undo::Override(k, old));
                    }
                    None => {
                        let st = self.skus.get(sku.as_usize()).ok_or(LedgerError::UnknownSku { sku })?;
                        for (n, h) in st.positions.iter().enumerate() {
                            let n = u32::try_from(n).unwrap_or(u32::MAX);
                            if !self.overrides.contains_key(&(sku.get(), n)) {
                                self.check_claims(NodeId::new(n), sku, *h, allowance)?;
                            }
                        }
                        if let Some(st) = self.skus.get_mut(sku.as_usize()) {
                            let old = core::mem::replace(&mut st.policy, policy);
                            self.log(Undo::SkuPolicy(sku.get(), old));
                        }
                    }
                }
                Ok(EventKind::BackorderSet { sku, node, policy })
            }
            C::ExpectInbound { node, sku, qty, eta } => {
                let k = key(node, sku);
                let mut cold = self.cold_of(k);
                cold.inbound = add(cold.inbound, qty.get(), node, sku, Bucket::Inbound)?;
                let hot = bumped(self.hot(k), node, sku)?;
                self.set_cold(k, cold);
                self.set_hot(k, hot);
                self.insert_receipt(entry, Receipt { node, sku, remaining: qty, eta, from: None });
                Ok(EventKind::InboundExpected { node, sku, qty, eta })
            }
            C::Receive { node, sku, qty, inbound } => {
                let k = key(node, sku);
                let mut drawn = 0;
                let mut closed = false;
                let mut remaining = 0;
                if let Some(id) = inbound {
                    let r = self.receipts.get(&id).ok_or(LedgerError::UnknownInbound { inbound: id })?;
                    if r.from.is_some() || r.node != node || r.sku != sku {
                        return Err(LedgerError::InboundMismatch { inbound: id });
                    }
                    drawn = qty.get().min(r.remaining.get());
                    remaining = r.remaining.get().saturating_sub(drawn);
                    closed = remaining == 0;
                }
                let mut hot = self.hot(k);
                hot.on_hand = add(hot.on_hand, qty.get(), node, sku, Bucket::OnHand)?;
                let hot = bumped(hot, node, sku)?;
                let cold = match inbound {
                    Some(_) => {
                        let mut cold = self.cold_of(k);
                        cold.inbound = sub(cold.inbound, drawn, node, sku, Bucket::Inbound)?;
                        Some(cold)
                    }
                    None => None,
                };
                self.set_hot(k, hot);
                if let (Some(id), Some(cold)) = (inbound, cold) {
                    self.set_cold(k, cold);
                    self.set_receipt_remaining(id, remaining);
                }
                self.journal(now, k, qty.get(), true);
                Ok(EventKind::Received { node, sku, qty, inbound, drawn: Qty::new(drawn), closed })
            }
            C::Adjust { node, sku, bucket, direction, qty, reason } => {
                let k = key(node, sku);
                let mut hot = self.hot(k);
                let mut cold = self.cold_of(k);
                let cur = physical(&hot, &cold, bucket);
                let new = match direction {
                    Direction::Increase => add(cur, qty.get(), node, sku, bucket)?,
                    Direction::Decrease => {
                        let limit = if bucket == Bucket::OnHand {
                            removable_on_hand(hot, self.allowance(k))
                        } else {
                            cur
                        };
                        if qty.get() > limit {
                            return Err(LedgerError::Insufficient {
                                node,
                                sku,
                                bucket,
                                requested: qty,
                                available: Qty::new(limit),
                            });
                        }
                        sub(cur, qty.get(), node, sku, bucket)?
                    }
                };
                set_physical(&mut hot, &mut cold, bucket, new);
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                if bucket == Bucket::OnHand {
                    self.journal(now, k, qty.get(), direction == Direction::Increase);
                } else {
                    self.set_cold(k, cold);
                }
                Ok(EventKind::Adjusted { node, sku, bucket, direction, qty, reason })
            }
            C::Count { node, sku, counted, counted_at } => {
                let k = key(node, sku);
                let horizon = now.as_unix_ms().saturating_sub(self.options.count_horizon_ms);
                let mut oldest = Timestamp::from_unix_ms(horizon);
                if let Some(last) = self.last_count.get(&k) {
                    oldest = oldest.max(*last);
                }
                if counted_at < oldest {
                    return Err(LedgerError::CountTooOld { counted_at, oldest });
                }
                let mut after = i128::from(counted.get());
                for m in self.journal.iter().rev().take_while(|m| m.at > counted_at) {
                    if (m.sku, m.node) == k {
                        after = if m.increase {
                            after.saturating_add(i128::from(m.qty))
                        } else {
                            after.saturating_sub(i128::from(m.qty))
                        };
                    }
                }
                let mut hot = self.hot(k);
                let before = hot.on_hand;
                let Ok(after) = u64::try_from(after) else {
                    return Err(if after < 0 {
                        LedgerError::Insufficient {
                            node,
                            sku,
                            bucket: Bucket::OnHand,
                            requested: Qty::new(to_u64_sat(
                                after.unsigned_abs().saturating_add(u128::from(counted.get())),
                            )),
                            available: counted,
                        }
                    } else {
                        LedgerError::Overflow { node, sku, bucket: Some(Bucket::OnHand) }
                    });
                };
                hot.on_hand = after;
                self.check_claims(node, sku, hot, self.allowance(k))?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                let old = self.last_count.insert(k, counted_at);
                self.log(Undo::LastCount(k, old));
                Ok(EventKind::Counted {
                    node,
                    sku,
                    counted,
                    counted_at,
                    on_hand_before: Qty::new(before),
                    on_hand_after: Qty::new(after),
                })
            }
            C::Move { node, sku, from, to, qty } => {
                let k = key(node, sku);
                let mut hot = self.hot(k);
                let mut cold = self.cold_of(k);
                let cur_from = physical(&hot, &cold, from);
                let limit =
                    if from == Bucket::OnHand { removable_on_hand(hot, self.allowance(k)) } else { cur_from };
                if qty.get() > limit {
                    return Err(LedgerError::Insufficient {
                        node,
                        sku,
                        bucket: from,
                        requested: qty,
                        available: Qty::new(limit),
                    });
                }
                let new_from = sub(cur_from, qty.get(), node, sku, from)?;
                let new_to = add(physical(&hot, &cold, to), qty.get(), node, sku, to)?;
                set_physical(&mut hot, &mut cold, from, new_from);
                set_physical(&mut hot, &mut cold, to, new_to);
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                self.set_cold(k, cold);
                if from == Bucket::OnHand || to == Bucket::OnHand {
                    self.journal(now, k, qty.get(), to == Bucket::OnHand);
                }
                Ok(EventKind::Moved { node, sku, from, to, qty })
            }
            C::TransferOut { node, to, sku, qty, eta } => {
                let ks = key(node, sku);
                let kr = key(to, sku);
                let mut src = self.hot(ks);
                let limit = removable_on_hand(src, self.allowance(ks));
                if qty.get() > limit {
                    return Err(LedgerError::Insufficient {
                        node,
                        sku,
                        bucket: Bucket::OnHand,
                        requested: qty,
                        available: Qty::new(limit),
                    });
                }
                src.on_hand = sub(src.on_hand, qty.get(), node, sku, Bucket::OnHand)?;
                let src = bumped(src, node, sku)?;
                let mut cold = self.cold_of(kr);
                cold.inbound = add(cold.inbound, qty.get(), to, sku, Bucket::Inbound)?;
                let dst = bumped(self.hot(kr), to, sku)?;
                self.set_hot(ks, src);
                self.set_hot(kr, dst);
                self.set_cold(kr, cold);
                self.insert_receipt(entry, Receipt { node: to, sku, remaining: qty, eta, from: Some(node) });
                self.journal(now, ks, qty.get(), false);
                Ok(EventKind::TransferredOut { node, to, sku, qty, eta })
            }
            C::TransferIn { transfer, qty } => {
                let r =
                    *self.receipts.get(&transfer).ok_or(LedgerError::UnknownInbound { inbound: transfer })?;
                let Some(from) = r.from else {
                    return Err(LedgerError::InboundMismatch { inbound: transfer });
                };
                if qty > r.remaining {
                    return Err(LedgerError::ExceedsTransfer {
                        transfer,
                        requested: qty,
                        in_transit: r.remaining,
                    });
                }
                let (node, sku) = (r.node, r.sku);
                let k = key(node, sku);
                let mut hot = self.hot(k);
                hot.on_hand = add(hot.on_hand, qty.get(), node, sku, Bucket::OnHand)?;
                let hot = bumped(hot, node, sku)?;
                let mut cold = self.cold_of(k);
                cold.inbound = sub(cold.inbound, qty.get(), node, sku, Bucket::Inbound)?;
                let remaining = r.remaining.get().saturating_sub(qty.get());
                self.set_hot(k, hot);
                self.set_cold(k, cold);
                self.set_receipt_remaining(transfer, remaining);
                self.journal(now, k, qty.get(), true);
                Ok(EventKind::TransferredIn { transfer, node, from, sku, qty, closed: remaining == 0 })
            }
            C::CloseInbound { inbound } => {
                let r = *self.receipts.get(&inbound).ok_or(LedgerError::UnknownInbound { inbound })?;
                let (node, sku) = (r.node, r.sku);
                let k = key(node, sku);
                let mut cold = self.cold_of(k);
                cold.inbound = sub(cold.inbound, r.remaining.get(), node, sku, Bucket::Inbound)?;
                let hot = bumped(self.hot(k), node, sku)?;
                self.set_hot(k, hot);
                self.set_cold(k, cold);
                self.set_receipt_remaining(inbound, 0);
                Ok(EventKind::InboundClosed { inbound, node, sku, remaining: r.remaining, from: r.from })
            }
            C::Reserve { node, sku, qty, expires_at } => {
                let k = key(node, sku);
                let mut hot = self.hot(k);
                let avail = available(hot, self.allowance(k));
                if qty.get() > avail {
                    return Err(LedgerError::Insufficient {
                        node,
                        sku,
                        bucket: Bucket::OnHand,
                        requested: qty,
                        available: Qty::new(avail),
                    });
                }
                hot.reserved = add(hot.reserved, qty.get(), node, sku, Bucket::Reserved)?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                self.insert_hold(entry, Hold { node, sku, qty, made_at: now, expires_at });
                Ok(EventKind::Reserved { node, sku, qty, expires_at })
            }
            C::Commit { reservation, qty } => {
                let h = self.lookup_hold(reservation, now, true)?;
                if qty > h.qty {
                    return Err(LedgerError::ExceedsReservation { reservation, requested: qty, held: h.qty });
                }
                let (node, sku) = (h.node, h.sku);
                let k = key(node, sku);
                let mut hot = self.hot(k);
                hot.reserved = sub(hot.reserved, h.qty.get(), node, sku, Bucket::Reserved)?;
                hot.allocated = add(hot.allocated, qty.get(), node, sku, Bucket::Allocated)?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                self.remove_hold(reservation);
                self.resolve(reservation, Resolution::Committed);
                Ok(EventKind::Committed { reservation, node, sku, qty, released: h.qty.saturating_sub(qty) })
            }
            C::Release { reservation } => {
                let h = self.lookup_hold(reservation, now, false)?;
                let (node, sku) = (h.node, h.sku);
                let k = key(node, sku);
                let mut hot = self.hot(k);
                hot.reserved = sub(hot.reserved, h.qty.get(), node, sku, Bucket::Reserved)?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                self.remove_hold(reservation);
                self.resolve(reservation, Resolution::Released);
                Ok(EventKind::Released { reservation, node, sku, qty: h.qty })
            }
            C::ExpireDue => {
                let due: Vec<(Timestamp, EntryId)> = self
                    .expiry
                    .range(..=(now, u128::MAX))
                    .filter_map(|(t, id)| EntryId::new(*id).ok().map(|id| (*t, id)))
                    .collect();
                // Check every hold first, then write.
                let mut plan: BTreeMap<Key, Hot> = BTreeMap::new();
                let mut holds = Vec::with_capacity(due.len());
                for (t, id) in &due {
                    let h = self.holds.get(id).copied().ok_or(LedgerError::InvariantBroken {
                        detail: format!("expiry index names {id}, which is not live"),
                    })?;
                    let k = key(h.node, h.sku);
                    let cur = plan.get(&k).copied().unwrap_or_else(|| self.hot(k));
                    let mut hot = cur;
                    hot.reserved = sub(hot.reserved, h.qty.get(), h.node, h.sku, Bucket::Reserved)?;
                    plan.insert(k, bumped(hot, h.node, h.sku)?);
                    holds.push(ExpiredHold {
                        reservation: *id,
                        node: h.node,
                        sku: h.sku,
                        qty: h.qty,
                        expires_at: *t,
                    });
                }
                for (k, hot) in plan {
                    self.set_hot(k, hot);
                }
                for h in &holds {
                    self.remove_hold(h.reservation);
                    self.resolve(h.reservation, Resolution::Expired);
                }
                Ok(EventKind::Expired { holds })
            }
            C::Ship { node, sku, qty } => {
                let k = key(node, sku);
                let mut hot = self.hot(k);
                hot.allocated = sub(hot.allocated, qty.get(), node, sku, Bucket::Allocated)?;
                hot.on_hand = sub(hot.on_hand, qty.get(), node, sku, Bucket::OnHand)?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                self.journal(now, k, qty.get(), false);
                Ok(EventKind::Shipped { node, sku, qty })
            }
            C::ReturnReceipt { node, sku, qty } => {
                let k = key(node, sku);
                let mut cold = self.cold_of(k);
                cold.returns_pending =
                    add(cold.returns_pending, qty.get(), node, sku, Bucket::ReturnsPending)?;
                let hot = bumped(self.hot(k), node, sku)?;
                self.set_hot(k, hot);
                self.set_cold(k, cold);
                Ok(EventKind::ReturnReceived { node, sku, qty })
            }
        }
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
