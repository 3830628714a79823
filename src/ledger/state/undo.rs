//! Mutation primitives and the undo log that makes batches and replays atomic.
//!
//! Every write to the ledger goes through one of these primitives; when a
//! batch or replay is open, each records its inverse, and `rollback` undoes
//! them in reverse order, restoring the state byte for byte (including the
//! insertion order of the ordered maps).

use super::{Cold, Hot, Key, Ledger, Movement, key};
use crate::ledger::{BackorderPolicy, Event, Hold, Receipt, Resolution};
use crate::model::{EntryId, Qty, Timestamp};

/// The inverse of one mutation, for rolling back a batch or a replay.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    Latest(Option<Timestamp>),
    Nodes(u32),
    SkusLen(usize),
    SkuPolicy(u32, BackorderPolicy),
    Override(Key, Option<BackorderPolicy>),
    Hot { key: Key, old: Hot, old_len: usize },
    Cold(Key, Option<Cold>),
    HoldInserted(EntryId, Hold),
    HoldRemoved(EntryId, Hold),
    ReceiptInserted(EntryId),
    ReceiptSet(EntryId, Receipt),
    ReceiptRemoved { index: usize, id: EntryId, receipt: Receipt },
    Resolved(EntryId),
    JournalPushed,
    JournalPopped(Movement),
    LastCount(Key, Option<Timestamp>),
    Memo(EntryId),
}

impl Ledger {
    // ---- mutation primitives: each records its inverse when a batch is open ----

    #[inline]
    pub(super) fn log(&mut self, u: Undo) {
        if let Some(log) = self.undo.as_mut() {
            log.push(u);
        }
    }

    #[inline]
    pub(super) fn set_hot(&mut self, k: Key, new: Hot) {
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

    pub(super) fn set_cold(&mut self, k: Key, new: Cold) {
        let old = if new == Cold::default() { self.cold.remove(&k) } else { self.cold.insert(k, new) };
        self.log(Undo::Cold(k, old));
    }

    /// Indexes a new hold. The hold itself lives in the idempotency table:
    /// a reservation is live while its record is unresolved.
    #[inline]
    pub(super) fn insert_hold(&mut self, id: EntryId, hold: Hold) {
        self.holds_by_pos.insert((key(hold.node, hold.sku), id.get()));
        if let Some(t) = hold.expires_at {
            self.expiry.insert((t, id.get()));
        }
        self.log(Undo::HoldInserted(id, hold));
    }

    /// Unindexes a hold (its resolution is recorded by `resolve`). Only
    /// the hold's node, SKU and expiry are used.
    #[inline]
    pub(super) fn remove_hold(&mut self, id: EntryId, hold: Hold) {
        self.unindex_hold(id, hold);
        self.log(Undo::HoldRemoved(id, hold));
    }

    #[inline]
    fn unindex_hold(&mut self, id: EntryId, hold: Hold) {
        self.holds_by_pos.remove(&(key(hold.node, hold.sku), id.get()));
        if let Some(t) = hold.expires_at {
            self.expiry.remove(&(t, id.get()));
        }
    }

    #[inline]
    pub(super) fn resolve(&mut self, id: EntryId, how: Resolution) {
        self.memo.set_resolution(id, Some(how));
        self.log(Undo::Resolved(id));
    }

    /// As `resolve`, given the reservation's record index.
    #[inline]
    pub(super) fn resolve_at(&mut self, id: EntryId, index: usize, how: Resolution) {
        self.memo.set_resolution_at(id, index, Some(how));
        self.log(Undo::Resolved(id));
    }

    pub(super) fn insert_receipt(&mut self, id: EntryId, r: Receipt) {
        self.receipts.insert(id, r);
        self.receipts_by_pos.insert((key(r.node, r.sku), id.get()));
        self.log(Undo::ReceiptInserted(id));
    }

    pub(super) fn set_receipt_remaining(&mut self, id: EntryId, remaining: u64) {
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

    #[inline]
    pub(super) fn journal(&mut self, at: Timestamp, k: Key, qty: u64, increase: bool) {
        self.journal.push_back(Movement { at, sku: k.0, node: k.1, qty, increase });
        self.log(Undo::JournalPushed);
    }

    pub(super) fn finish(&mut self, event: Event) -> Event {
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
        self.memo.push(&event);
        self.log(Undo::Memo(event.entry));
        event
    }

    pub(super) fn rollback(&mut self, log: Vec<Undo>) {
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
                Undo::HoldInserted(id, hold) => self.unindex_hold(id, hold),
                Undo::HoldRemoved(id, hold) => {
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
                Undo::Resolved(id) => self.memo.set_resolution(id, None),
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
                Undo::Memo(id) => self.memo.pop(id),
            }
        }
    }
}
