//! Incremental network views and the availability-change feed.

use std::collections::BTreeMap;

use super::compute::{NodeBase, Rules, base_of, check_ids, evaluate, to_qty};
use super::policy::{METHODS, method_index};
use super::table::RuleTable;
use super::{AtpError, AtpPolicy, Explain, InboundPolicy};
use crate::ledger::{Event, EventKind, Ledger};
use crate::model::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};
use crate::routing::Availability;

/// One changed network ATP figure, for publishing to storefronts and marketplaces.
///
/// A total beyond [`Qty::MAX`] (which [`AtpViews::network`] reports as
/// [`AtpError::Overflow`]) appears here saturated at `Qty::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AtpChange {
    /// The SKU.
    pub sku: Sku,
    /// The channel.
    pub channel: ChannelId,
    /// The fulfilment method.
    pub method: FulfilmentMethod,
    /// Network ATP before.
    pub old: Qty,
    /// Network ATP after.
    pub new: Qty,
}

/// Network ATP for every (SKU, channel, method), kept up to date from the
/// ledger's events.
///
/// The views store, per (SKU, node), the figures ATP reads from the ledger
/// (40 bytes), per (SKU, channel, method) the network total, and, when the
/// policy counts inbound, each SKU's open receipts sorted by node and ETA
/// (the time-phased supply of [`AtpViews::schedule`]). Feeding an
/// event ([`AtpViews::apply`]) re-reads only the positions the event touched
/// and adjusts only that SKU's totals by the difference, appending an
/// [`AtpChange`] for every total that moved. A network read is one array
/// index: O(1).
///
/// Inbound horizons are measured from the views' day, the day of the latest
/// event fed (or of [`AtpViews::advance`]). When the day moves on and the
/// policy counts inbound, the SKUs with open receipts are refreshed.
///
/// A policy change means building new views ([`AtpViews::new`]).
///
/// ```
/// use omniroute::atp::{AtpPolicy, AtpViews};
/// use omniroute::ledger::Ledger;
/// use omniroute::{ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};
/// let mut l = Ledger::new();
/// let t = Timestamp::EPOCH;
/// let mut views = AtpViews::new(AtpPolicy::new(2)?, &l)?;
/// let mut feed = Vec::new();
/// for (id, kind) in [
///     (1, CommandKind::Register { nodes: 2, skus: 1 }),
///     (2, CommandKind::Receive { node: NodeId::new(1), sku: Sku::new(0), qty: Qty::new(7), inbound: None }),
/// ] {
///     let ev = l.apply(&Command::new(EntryId::new(id)?, kind), t)?.into_event();
///     views.apply(&l, &ev, &mut feed)?;
/// }
/// assert_eq!(views.network(Sku::new(0), ChannelId::new(1), FulfilmentMethod::Ship)?, Qty::new(7));
/// assert_eq!(feed.len(), 2 * 5); // 2 channels × 5 methods went from 0 to 7
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AtpViews {
    policy: AtpPolicy,
    today: i64,
    nodes: u32,
    /// Per SKU, per node.
    bases: Vec<Vec<NodeBase>>,
    /// Per SKU: number of nodes with open inbound.
    with_inbound: BTreeMap<Sku, u32>,
    /// Flat `[sku][channel][method]` network totals.
    totals: Vec<u128>,
    /// The policy's rules, resolved once.
    table: RuleTable,
    /// Per SKU, when the policy counts inbound: its open receipts as (node,
    /// ETA day, units), sorted by node then ETA day — the time-phased
    /// supply the promise-date queries read.
    receipts: BTreeMap<Sku, Vec<(NodeId, i64, u64)>>,
}

/// Distinct (safety stock, threshold) answers remembered per refresh.
const MEMO: usize = 8;

const M: usize = METHODS.len();

impl AtpViews {
    /// Builds views of `ledger` under `policy`, from scratch, as of the
    /// ledger's latest time (or the epoch for an unused ledger).
    ///
    /// # Errors
    ///
    /// [`AtpError::Ledger`] only if the ledger refuses a read of a registered position.
    ///
    /// # Complexity
    ///
    /// O(SKUs × nodes × channels × 5).
    ///
    /// ```
    /// use omniroute::atp::{AtpPolicy, AtpViews};
    /// let views = AtpViews::new(AtpPolicy::new(1)?, &omniroute::ledger::Ledger::new())?;
    /// assert_eq!(views.policy().channels(), 1);
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn new(policy: AtpPolicy, ledger: &Ledger) -> Result<Self, AtpError> {
        let table = RuleTable::new(&policy);
        let mut v = Self {
            table,
            receipts: BTreeMap::new(),
            policy,
            today: ledger.latest().unwrap_or(Timestamp::EPOCH).day_index(),
            nodes: 0,
            bases: Vec::new(),
            with_inbound: BTreeMap::new(),
            totals: Vec::new(),
        };
        let _ = v.grow(ledger);
        for s in 0..ledger.sku_count() {
            v.refresh_sku(ledger, Sku::new(s), &mut Vec::new())?;
        }
        Ok(v)
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &AtpPolicy {
        &self.policy
    }

    /// The day (see [`Timestamp::day_index`]) inbound horizons are measured from.
    #[must_use]
    pub const fn today(&self) -> i64 {
        self.today
    }

    fn channels(&self) -> usize {
        self.policy.channels() as usize
    }

    /// Grows to the ledger's registries; returns the node count before.
    fn grow(&mut self, ledger: &Ledger) -> u32 {
        let before = self.nodes;
        let skus = ledger.sku_count() as usize;
        let nodes = ledger.node_count();
        if nodes > self.nodes {
            self.nodes = nodes;
            for b in &mut self.bases {
                b.resize(nodes as usize, NodeBase::default());
            }
        }
        if skus > self.bases.len() {
            self.bases.resize(skus, vec![NodeBase::default(); self.nodes as usize]);
            let per = self.channels().saturating_mul(M);
            self.totals.resize(skus.saturating_mul(per), 0);
        }
        before
    }

    /// Newly registered nodes start from the SKU's backorder policy, which
    /// may already give them an allowance: read them once.
    fn grow_and_read(&mut self, ledger: &Ledger, changes: &mut Vec<AtpChange>) -> Result<(), AtpError> {
        let before = self.grow(ledger);
        for n in before..self.nodes {
            for s in 0..ledger.sku_count() {
                self.refresh(ledger, NodeId::new(n), Sku::new(s), changes)?;
            }
        }
        Ok(())
    }

    fn slot(&self, sku: Sku, channel: ChannelId, method: FulfilmentMethod) -> usize {
        sku.as_usize()
            .saturating_mul(self.channels())
            .saturating_add(channel.as_usize())
            .saturating_mul(M)
            .saturating_add(method_index(method))
    }

    /// Feeds one event the ledger returned (applied now, or replayed) and
    /// appends to `changes` every (SKU, channel, method) whose network ATP
    /// moved, with old and new values (one entry per key per call).
    /// `AlreadyApplied` and rejected events change nothing; feeding one is harmless.
    ///
    /// Call it with the ledger *after* the event was applied, for every
    /// event, in order. Only the positions the event names are re-read.
    ///
    /// # Errors
    ///
    /// [`AtpError::Ledger`] if the event names a position the ledger does
    /// not know (an event from another ledger). Nothing changes then.
    ///
    /// # Complexity
    ///
    /// O(t × (channels × 5 + k × pools)) for t positions touched (1, or 2
    /// for transfers; every node of the SKU for a SKU-wide backorder
    /// policy; every expired hold for `ExpireDue`), where k ≤ channels × 5
    /// is the number of formula evaluations: one per distinct (safety
    /// stock, threshold) among the channels without a pool at the position,
    /// plus one per pooled (channel, method). Rules are read from tables
    /// built with the views, except safety-stock rules that combine a SKU
    /// or node with a channel or method (O(log rules) lookups then). A
    /// position with open receipts also rewrites its part of the SKU's
    /// receipt list: O(receipts of the SKU). Plus a refresh of the SKUs
    /// with open inbound when the day moves on.
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let mut l = Ledger::new();
    /// let mut v = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// let ev = l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH)?.into_event();
    /// let mut feed = Vec::new();
    /// v.apply(&l, &ev, &mut feed)?;
    /// assert!(feed.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(
        &mut self,
        ledger: &Ledger,
        event: &Event,
        changes: &mut Vec<AtpChange>,
    ) -> Result<(), AtpError> {
        let touched = touched(&event.kind);
        // Validate first: every position the event names must be known.
        let known = |(node, sku): (NodeId, Sku)| ledger.position(node, sku).map(|_| ());
        match &touched {
            Touched::None => {}
            Touched::One(n, s) => known((*n, *s))?,
            Touched::Two(a, b) => {
                known(*a)?;
                known(*b)?;
            }
            Touched::SkuWide(sku) => {
                if sku.get() >= ledger.sku_count() {
                    return Err(AtpError::UnknownSku { sku: *sku });
                }
            }
            Touched::Holds(list) => list.iter().try_for_each(|p| known(*p))?,
        }
        let start = changes.len();
        let nodes_before = self.nodes;
        self.grow_and_read(ledger, changes)?;
        let day = event.at.day_index();
        let mut single = nodes_before == self.nodes;
        if day > self.today {
            self.advance_day(ledger, day, changes)?;
            single = false;
        }
        match touched {
            Touched::None => {}
            Touched::One(n, s) => {
                self.refresh(ledger, n, s, changes)?;
                if single {
                    // One position: every key appears at most once already.
                    return Ok(());
                }
            }
            Touched::Two(a, b) => {
                self.refresh(ledger, a.0, a.1, changes)?;
                self.refresh(ledger, b.0, b.1, changes)?;
            }
            Touched::SkuWide(s) => self.refresh_sku(ledger, s, changes)?,
            Touched::Holds(list) => {
                for (n, s) in list {
                    self.refresh(ledger, n, s, changes)?;
                }
            }
        }
        coalesce(changes, start);
        Ok(())
    }

    /// Moves the views' day to `now`'s day (never backwards) without an
    /// event, so inbound receipts that came within the horizon count;
    /// appends the changes.
    ///
    /// # Errors
    ///
    /// [`AtpError::Ledger`] when the views were fed from another ledger.
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let l = Ledger::new();
    /// let mut v = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// v.advance(&l, Timestamp::from_unix_ms(86_400_000), &mut Vec::new())?;
    /// assert_eq!(v.today(), 1);
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn advance(
        &mut self,
        ledger: &Ledger,
        now: Timestamp,
        changes: &mut Vec<AtpChange>,
    ) -> Result<(), AtpError> {
        let start = changes.len();
        self.grow_and_read(ledger, changes)?;
        let day = now.day_index();
        if day > self.today {
            self.advance_day(ledger, day, changes)?;
        }
        coalesce(changes, start);
        Ok(())
    }

    fn advance_day(
        &mut self,
        ledger: &Ledger,
        day: i64,
        changes: &mut Vec<AtpChange>,
    ) -> Result<(), AtpError> {
        self.today = day;
        if matches!(self.policy.get_inbound(), InboundPolicy::Within { .. }) {
            let skus: Vec<Sku> = self.with_inbound.keys().copied().collect();
            for s in skus {
                self.refresh_sku(ledger, s, changes)?;
            }
        }
        Ok(())
    }

    fn refresh_sku(
        &mut self,
        ledger: &Ledger,
        sku: Sku,
        changes: &mut Vec<AtpChange>,
    ) -> Result<(), AtpError> {
        for n in 0..self.nodes {
            self.refresh(ledger, NodeId::new(n), sku, changes)?;
        }
        Ok(())
    }

    fn refresh(
        &mut self,
        ledger: &Ledger,
        node: NodeId,
        sku: Sku,
        changes: &mut Vec<AtpChange>,
    ) -> Result<(), AtpError> {
        let new = base_of(&self.policy, ledger, node, sku, self.today)?;
        let Some(slot) = self.bases.get_mut(sku.as_usize()).and_then(|b| b.get_mut(node.as_usize())) else {
            return Ok(());
        };
        let old = core::mem::replace(slot, new);
        if old.has_inbound != new.has_inbound {
            self.track_inbound(sku, new.has_inbound);
        }
        if (old.has_inbound || new.has_inbound) && self.counts_inbound() {
            self.sync_receipts(ledger, node, sku);
        }
        if old == new {
            return Ok(());
        }
        // Rules come from the precomputed table; an eligible channel without
        // its own pool at this position answers the same as any other such
        // channel with the same safety stock and threshold, so each distinct
        // (safety stock, threshold) is evaluated once.
        let pools = self.policy.pool_map(sku, node);
        let pos = self.table.position(&self.policy, sku, node);
        let mut method_ok = [true; M];
        for (ok, m) in method_ok.iter_mut().zip(METHODS) {
            *ok = self.policy.method_eligible(m, node);
        }
        let mut memo = [(None, Qty::ZERO, 0_u128, 0_u128); MEMO];
        let mut memo_len = 0_usize;
        for c in 0..self.policy.channels() {
            let channel = ChannelId::new(c);
            let threshold = self.table.threshold(channel);
            let channel_ok = self.policy.channel_eligible(channel, node);
            let pooled = pools.is_some_and(|p| p.contains_key(&channel));
            for (method, m_ok) in METHODS.into_iter().zip(method_ok) {
                if !(channel_ok && m_ok) {
                    // Ineligible: 0 before and after.
                    continue;
                }
                let safety = self.table.safety(&self.policy, &pos, sku, node, channel, method);
                let known = if pooled {
                    None
                } else {
                    memo.iter().take(memo_len).find(|m| m.0 == safety && m.1 == threshold).map(|m| (m.2, m.3))
                };
                let (before, after) = known.unwrap_or_else(|| {
                    let rules = Rules::new(channel, true, safety, threshold, pools);
                    let before = evaluate(&self.policy, &rules, &old, true).1;
                    let after = evaluate(&self.policy, &rules, &new, true).1;
                    if !pooled {
                        if let Some(m) = memo.get_mut(memo_len) {
                            *m = (safety, threshold, before, after);
                            memo_len = memo_len.saturating_add(1);
                        }
                    }
                    (before, after)
                });
                if before == after {
                    continue;
                }
                let i = self.slot(sku, channel, method);
                if let Some(t) = self.totals.get_mut(i) {
                    let old_total = clamp(*t);
                    *t = t.saturating_sub(before).saturating_add(after);
                    let new_total = clamp(*t);
                    // Totals beyond `Qty::MAX` read as an overflow error; the
                    // feed reports them saturated, and only real moves.
                    if old_total != new_total {
                        changes.push(AtpChange { sku, channel, method, old: old_total, new: new_total });
                    }
                }
            }
        }
        Ok(())
    }

    fn counts_inbound(&self) -> bool {
        matches!(self.policy.get_inbound(), InboundPolicy::Within { .. })
    }

    /// Replaces the node's receipts in the SKU's time-phased supply with
    /// the ledger's open receipts of the position.
    fn sync_receipts(&mut self, ledger: &Ledger, node: NodeId, sku: Sku) {
        let list = self.receipts.entry(sku).or_default();
        let lo = list.partition_point(|r| r.0 < node);
        let hi = list.partition_point(|r| r.0 <= node);
        let open = ledger.inbound(node, sku).map(|(_, r)| (node, r.eta.day_index(), r.remaining.get()));
        let _ = list.splice(lo..hi, open);
        let hi = list.partition_point(|r| r.0 <= node);
        if let Some(segment) = list.get_mut(lo..hi) {
            // Stable: receipts of one day stay in id order.
            segment.sort_by_key(|r| r.1);
        }
        if list.is_empty() {
            self.receipts.remove(&sku);
        }
    }

    /// The open receipts of `sku` as (node, ETA day, units), by node then ETA day
    /// (empty unless the policy counts inbound).
    pub(crate) fn receipts_of(&self, sku: Sku) -> &[(NodeId, i64, u64)] {
        self.receipts.get(&sku).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn rules(
        &self,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Rules<'_> {
        self.table.rules(&self.policy, sku, node, channel, method)
    }

    /// Counts, per SKU, the nodes with open inbound, so a new day refreshes
    /// only those SKUs.
    fn track_inbound(&mut self, sku: Sku, has: bool) {
        let count = self.with_inbound.get(&sku).copied().unwrap_or(0);
        let count = if has { count.saturating_add(1) } else { count.saturating_sub(1) };
        if count == 0 {
            self.with_inbound.remove(&sku);
        } else {
            self.with_inbound.insert(sku, count);
        }
    }

    fn total(&self, sku: Sku, channel: ChannelId, method: FulfilmentMethod) -> Result<u128, AtpError> {
        self.policy.check_channel(channel)?;
        if sku.as_usize() >= self.bases.len() {
            return Err(AtpError::UnknownSku { sku });
        }
        self.totals.get(self.slot(sku, channel, method)).copied().ok_or(AtpError::UnknownSku { sku })
    }

    /// Network ATP of `sku` for `channel` by `method`: the sum of every
    /// node's ATP.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`], [`AtpError::UnknownSku`],
    /// [`AtpError::Overflow`] when the total exceeds [`Qty::MAX`].
    ///
    /// # Complexity
    ///
    /// O(1).
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// assert!(v.network(Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship).is_err());
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn network(&self, sku: Sku, channel: ChannelId, method: FulfilmentMethod) -> Result<Qty, AtpError> {
        to_qty(self.total(sku, channel, method)?, "network total")
    }

    /// Network ATP for many SKUs at once, in the order given.
    ///
    /// # Errors
    ///
    /// As [`AtpViews::network`], for the first SKU that fails.
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// assert_eq!(v.network_many(&[], ChannelId::new(0), FulfilmentMethod::Ship)?, vec![]);
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn network_many(
        &self,
        skus: &[Sku],
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<Vec<Qty>, AtpError> {
        skus.iter().map(|s| self.network(*s, channel, method)).collect()
    }

    pub(crate) fn base_pub(&self, sku: Sku, node: NodeId) -> Result<&NodeBase, AtpError> {
        self.base(sku, node)
    }

    fn base(&self, sku: Sku, node: NodeId) -> Result<&NodeBase, AtpError> {
        let per = self.bases.get(sku.as_usize()).ok_or(AtpError::UnknownSku { sku })?;
        per.get(node.as_usize()).ok_or(AtpError::UnknownNode { node })
    }

    /// ATP of `sku` at one node for `channel` by `method`.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`], [`AtpError::UnknownSku`], [`AtpError::UnknownNode`].
    ///
    /// # Complexity
    ///
    /// O(log rules + pools at the node).
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// assert!(v.node(Sku::new(0), NodeId::new(0), ChannelId::new(0), FulfilmentMethod::Ship).is_err());
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn node(
        &self,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<Qty, AtpError> {
        Ok(self.explain(sku, node, channel, method)?.result)
    }

    /// Units of `sku` a customer of `channel` can pick up at `store` (ATP by
    /// [`FulfilmentMethod::StorePickup`] at that node).
    ///
    /// # Errors
    ///
    /// As [`AtpViews::node`].
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// assert!(v.pickup(Sku::new(0), NodeId::new(0), ChannelId::new(0)).is_err());
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn pickup(&self, sku: Sku, store: NodeId, channel: ChannelId) -> Result<Qty, AtpError> {
        self.node(sku, store, channel, FulfilmentMethod::StorePickup)
    }

    /// The arithmetic of one node's answer (see [`Explain`]).
    ///
    /// # Errors
    ///
    /// As [`AtpViews::node`].
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH)?;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// let e = v.explain(Sku::new(0), NodeId::new(0), ChannelId::new(0), FulfilmentMethod::Ship)?;
    /// assert!(e.eligible);
    /// assert_eq!(e.result, Qty::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(
        &self,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<Explain, AtpError> {
        self.policy.check_channel(channel)?;
        let base = self.base(sku, node)?;
        let (e, result) = evaluate(&self.policy, &self.rules(sku, node, channel, method), base, true);
        to_qty(result, "node total")?;
        Ok(e)
    }

    /// Network ATP with its per-node breakdown: nodes with a non-zero
    /// answer, in node order.
    ///
    /// # Errors
    ///
    /// As [`AtpViews::network`].
    ///
    /// # Complexity
    ///
    /// O(nodes × (log rules + pools)).
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 3, skus: 1 }), Timestamp::EPOCH)?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: NodeId::new(2), sku: Sku::new(0), qty: Qty::new(4), inbound: None }), Timestamp::EPOCH)?;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// let b = v.breakdown(Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship)?;
    /// assert_eq!(b.total, Qty::new(4));
    /// assert_eq!(b.nodes, vec![(NodeId::new(2), Qty::new(4))]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn breakdown(
        &self,
        sku: Sku,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<Breakdown, AtpError> {
        let total = self.network(sku, channel, method)?;
        let per = self.bases.get(sku.as_usize()).ok_or(AtpError::UnknownSku { sku })?;
        let mut nodes = Vec::new();
        for (n, base) in (0_u32..).zip(per) {
            let node = NodeId::new(n);
            let v = evaluate(&self.policy, &self.rules(sku, node, channel, method), base, true).1;
            if v > 0 {
                nodes.push((node, to_qty(v, "node total")?));
            }
        }
        Ok(Breakdown { total, nodes })
    }

    /// A borrowed adapter implementing routing's [`Availability`] with this
    /// channel's ATP by `method` at each node.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`].
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// use omniroute::routing::Availability;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// let a = v.for_channel(ChannelId::new(0), FulfilmentMethod::Ship)?;
    /// assert_eq!(a.available(NodeId::new(0), Sku::new(0)), Qty::ZERO); // unknown: 0
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn for_channel(
        &self,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<ChannelView<'_>, AtpError> {
        self.policy.check_channel(channel)?;
        Ok(ChannelView { views: self, channel, method })
    }

    /// Checks that the views equal a from-scratch computation over `ledger`
    /// as of the views' day (the differential tests call this after every
    /// command). Returns the first differing (SKU, channel, method).
    ///
    /// # Errors
    ///
    /// [`AtpError::Ledger`] when the ledger refuses a read.
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let l = Ledger::new();
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// assert_eq!(v.verify(&l)?, None);
    /// # Ok::<(), AtpError>(())
    /// ```
    pub fn verify(&self, ledger: &Ledger) -> Result<Option<(Sku, ChannelId, FulfilmentMethod)>, AtpError> {
        let now = Timestamp::start_of_day(self.today).map_err(|_| AtpError::Overflow { what: "day" })?;
        if ledger.sku_count() as usize != self.bases.len() {
            return Ok(Some((Sku::new(ledger.sku_count()), ChannelId::new(0), FulfilmentMethod::Ship)));
        }
        for s in 0..ledger.sku_count() {
            let sku = Sku::new(s);
            for c in 0..self.policy.channels() {
                let channel = ChannelId::new(c);
                for method in METHODS {
                    check_ids(ledger, &self.policy, sku, channel)?;
                    let fresh =
                        super::available_to_promise(&self.policy, ledger, sku, channel, method, now).ok();
                    let held = self.network(sku, channel, method).ok();
                    if fresh != held {
                        return Ok(Some((sku, channel, method)));
                    }
                }
            }
        }
        Ok(None)
    }
}

fn clamp(v: u128) -> Qty {
    Qty::new(u64::try_from(v).unwrap_or(u64::MAX))
}

/// Merges the entries appended since `start`: one per key, first old, last
/// new, dropped when they are equal.
fn coalesce(changes: &mut Vec<AtpChange>, start: usize) {
    let Some(tail) = changes.get(start..) else { return };
    if tail.len() < 2 && tail.iter().all(|c| c.old != c.new) {
        return;
    }
    let mut merged: Vec<AtpChange> = Vec::with_capacity(tail.len());
    for c in tail {
        match merged.iter_mut().find(|m| (m.sku, m.channel, m.method) == (c.sku, c.channel, c.method)) {
            Some(m) => m.new = c.new,
            None => merged.push(*c),
        }
    }
    merged.retain(|c| c.old != c.new);
    changes.truncate(start);
    changes.extend(merged);
}

/// Network ATP with the nodes it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Breakdown {
    /// The network total.
    pub total: Qty,
    /// Each node with a non-zero answer, in node order.
    pub nodes: Vec<(NodeId, Qty)>,
}

/// [`AtpViews`] seen by one channel and method: routing's [`Availability`].
#[derive(Debug, Clone, Copy)]
pub struct ChannelView<'a> {
    views: &'a AtpViews,
    channel: ChannelId,
    method: FulfilmentMethod,
}

impl Availability for ChannelView<'_> {
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.views.base(sku, node).map_or(Qty::ZERO, |b| {
            clamp(
                evaluate(
                    &self.views.policy,
                    &self.views.rules(sku, node, self.channel, self.method),
                    b,
                    true,
                )
                .1,
            )
        })
    }
}

enum Touched {
    None,
    One(NodeId, Sku),
    Two((NodeId, Sku), (NodeId, Sku)),
    SkuWide(Sku),
    Holds(Vec<(NodeId, Sku)>),
}

fn touched(kind: &EventKind) -> Touched {
    use EventKind as E;
    match kind {
        E::Registered { .. } | E::Rejected { .. } => Touched::None,
        E::BackorderSet { sku, node: None, .. } => Touched::SkuWide(*sku),
        E::BackorderSet { sku, node: Some(node), .. } => Touched::One(*node, *sku),
        E::InboundExpected { node, sku, .. }
        | E::Received { node, sku, .. }
        | E::Adjusted { node, sku, .. }
        | E::Counted { node, sku, .. }
        | E::Moved { node, sku, .. }
        | E::InboundClosed { node, sku, .. }
        | E::Reserved { node, sku, .. }
        | E::Committed { node, sku, .. }
        | E::Released { node, sku, .. }
        | E::Shipped { node, sku, .. }
        | E::Deallocated { node, sku, .. }
        | E::ReturnReceived { node, sku, .. } => Touched::One(*node, *sku),
        E::TransferredOut { node, to, sku, .. } => Touched::Two((*node, *sku), (*to, *sku)),
        E::TransferredIn { node, from, sku, .. } => Touched::Two((*node, *sku), (*from, *sku)),
        E::Expired { holds } => Touched::Holds(holds.iter().map(|h| (h.node, h.sku)).collect()),
    }
}
