//! A naive reference model of the ledger, and a command-stream driver that
//! checks the real ledger against it after every step.
//!
//! Shared by the model-based test (tests/ledger/model.rs) and the fuzz target
//! `ledger_ops` (fuzz/fuzz_targets/ledger_ops.rs includes this file with
//! `#[path]`). No cleverness: `BTreeMap`s, whole-state clones for atomicity,
//! the full on-hand history kept forever, plain loops.

use std::collections::BTreeMap;

use omniroute::ledger::{BatchRejection, Event, Ledger, LedgerError, Outcome, Rejection, Resolution};
use omniroute::{
    AdjustReason, BackorderPolicy, Bucket, Command, CommandKind, Direction, EntryId, NodeId, Qty, Sku,
    Timestamp,
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefPos {
    pub on_hand: u64,
    pub reserved: u64,
    pub allocated: u64,
    pub inbound: u64,
    pub quarantine: u64,
    pub damaged: u64,
    pub returns_pending: u64,
    pub version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefHold {
    pub node: u32,
    pub sku: u32,
    pub qty: u64,
    pub made_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefReceipt {
    pub node: u32,
    pub sku: u32,
    pub remaining: u64,
    pub eta: Timestamp,
    pub from: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct RefLedger {
    pub horizon_ms: i64,
    pub nodes: u32,
    pub skus: u32,
    pub latest: Option<Timestamp>,
    pub pos: BTreeMap<(u32, u32), RefPos>,
    pub sku_policy: BTreeMap<u32, u64>,
    pub pos_policy: BTreeMap<(u32, u32), u64>,
    pub holds: BTreeMap<u128, RefHold>,
    pub resolved: BTreeMap<u128, Resolution>,
    pub receipts: BTreeMap<u128, RefReceipt>,
    /// Every on-hand movement ever: (booked at, node, sku, signed delta).
    pub history: Vec<(Timestamp, u32, u32, i128)>,
    pub last_count: BTreeMap<(u32, u32), Timestamp>,
    pub seen: BTreeMap<u128, (CommandKind, Result<(), LedgerError>)>,
}

type R<T> = Result<T, LedgerError>;

fn insufficient(node: u32, sku: u32, bucket: Bucket, requested: u128, available: u128) -> LedgerError {
    LedgerError::Insufficient {
        node: NodeId::new(node),
        sku: Sku::new(sku),
        bucket,
        requested: Qty::new(u64::try_from(requested).unwrap_or(u64::MAX)),
        available: Qty::new(u64::try_from(available).unwrap_or(u64::MAX)),
    }
}

fn overflow(node: u32, sku: u32, bucket: Bucket) -> LedgerError {
    LedgerError::Overflow { node: NodeId::new(node), sku: Sku::new(sku), bucket: Some(bucket) }
}

fn plus(a: u64, b: u64, node: u32, sku: u32, bucket: Bucket) -> R<u64> {
    let s = u128::from(a) + u128::from(b);
    u64::try_from(s).map_err(|_| overflow(node, sku, bucket))
}

/// Erases what the reference does not predict (the conflict's field name).
pub fn normalise(e: &LedgerError) -> LedgerError {
    match e {
        LedgerError::IdempotencyConflict { entry, .. } => {
            LedgerError::IdempotencyConflict { entry: *entry, field: String::new() }
        }
        other => other.clone(),
    }
}

impl RefLedger {
    pub fn new() -> Self {
        Self {
            horizon_ms: 7 * Timestamp::MS_PER_DAY,
            nodes: 0,
            skus: 0,
            latest: None,
            pos: BTreeMap::new(),
            sku_policy: BTreeMap::new(),
            pos_policy: BTreeMap::new(),
            holds: BTreeMap::new(),
            resolved: BTreeMap::new(),
            receipts: BTreeMap::new(),
            history: Vec::new(),
            last_count: BTreeMap::new(),
            seen: BTreeMap::new(),
        }
    }

    fn allowance(&self, node: u32, sku: u32) -> u64 {
        self.pos_policy.get(&(node, sku)).or(self.sku_policy.get(&sku)).copied().unwrap_or(0)
    }

    fn p(&self, node: u32, sku: u32) -> RefPos {
        self.pos.get(&(node, sku)).copied().unwrap_or_default()
    }

    fn put(&mut self, node: u32, sku: u32, mut p: RefPos) {
        p.version += 1;
        self.pos.insert((node, sku), p);
    }

    fn claims(p: &RefPos) -> u128 {
        u128::from(p.reserved) + u128::from(p.allocated)
    }

    fn removable(&self, node: u32, sku: u32, p: &RefPos) -> u128 {
        let pinned = Self::claims(p).saturating_sub(u128::from(self.allowance(node, sku)));
        u128::from(p.on_hand).saturating_sub(pinned)
    }

    /// Applies one command; `Ok(true)` if applied now, `Ok(false)` if a duplicate.
    pub fn apply(&mut self, cmd: &Command, now: Timestamp) -> R<bool> {
        let id = cmd.entry.get();
        if let Some((kind, res)) = self.seen.get(&id) {
            if *kind != cmd.kind {
                return Err(LedgerError::IdempotencyConflict { entry: cmd.entry, field: String::new() });
            }
            return res.clone().map(|()| false);
        }
        if let Some(l) = self.latest {
            if now < l {
                return Err(LedgerError::TimeWentBackwards { now, latest: l });
            }
        }
        let mut next = self.clone();
        match next.exec(cmd, now) {
            Ok(()) => {
                next.latest = Some(now);
                next.seen.insert(id, (cmd.kind.clone(), Ok(())));
                *self = next;
                Ok(true)
            }
            Err(e) => {
                if e.is_recorded() {
                    self.seen.insert(id, (cmd.kind.clone(), Err(e.clone())));
                }
                Err(e)
            }
        }
    }

    /// All or nothing; errors are not recorded.
    pub fn apply_batch(&mut self, cmds: &[Command], now: Timestamp) -> Result<(), (usize, LedgerError)> {
        let mut next = self.clone();
        for (i, cmd) in cmds.iter().enumerate() {
            let id = cmd.entry.get();
            if let Some((kind, res)) = next.seen.get(&id) {
                if *kind != cmd.kind {
                    return Err((
                        i,
                        LedgerError::IdempotencyConflict { entry: cmd.entry, field: String::new() },
                    ));
                }
                if let Err(e) = res {
                    return Err((i, e.clone()));
                }
                continue;
            }
            if let Some(l) = next.latest {
                if now < l {
                    return Err((i, LedgerError::TimeWentBackwards { now, latest: l }));
                }
            }
            next.exec(cmd, now).map_err(|e| (i, e))?;
            next.latest = Some(now);
            next.seen.insert(id, (cmd.kind.clone(), Ok(())));
        }
        *self = next;
        Ok(())
    }

    fn node_ok(&self, n: NodeId) -> R<u32> {
        if n.get() < self.nodes { Ok(n.get()) } else { Err(LedgerError::UnknownNode { node: n }) }
    }

    fn sku_ok(&self, s: Sku) -> R<u32> {
        if s.get() < self.skus { Ok(s.get()) } else { Err(LedgerError::UnknownSku { sku: s }) }
    }

    fn hold(&self, r: EntryId, now: Timestamp, commit: bool) -> R<RefHold> {
        match self.holds.get(&r.get()) {
            Some(h) => {
                if commit {
                    if let Some(e) = h.expires_at {
                        if e <= now {
                            return Err(LedgerError::ReservationExpired { reservation: r, expired_at: e });
                        }
                    }
                }
                Ok(*h)
            }
            None => match self.resolved.get(&r.get()) {
                Some(how) => Err(LedgerError::ReservationResolved { reservation: r, resolution: *how }),
                None => Err(LedgerError::UnknownReservation { reservation: r }),
            },
        }
    }

    fn static_checks(&self, kind: &CommandKind, now: Timestamp) -> R<()> {
        use CommandKind as C;
        let zero = match kind {
            C::ExpectInbound { qty, .. }
            | C::Receive { qty, .. }
            | C::Adjust { qty, .. }
            | C::Move { qty, .. }
            | C::TransferOut { qty, .. }
            | C::TransferIn { qty, .. }
            | C::Reserve { qty, .. }
            | C::Commit { qty, .. }
            | C::Ship { qty, .. }
            | C::Deallocate { qty, .. }
            | C::ReturnReceipt { qty, .. } => qty.get() == 0,
            _ => false,
        };
        if zero {
            return Err(LedgerError::ZeroQuantity);
        }
        match kind {
            C::TransferOut { node, to, .. } if node == to => {
                return Err(LedgerError::SameNode { node: *node });
            }
            C::Adjust { bucket, .. } if !bucket.is_physical() => {
                return Err(LedgerError::NotPhysical { bucket: *bucket });
            }
            C::Move { from, to, .. } => {
                for b in [from, to] {
                    if !b.is_physical() {
                        return Err(LedgerError::NotPhysical { bucket: *b });
                    }
                }
                if from == to {
                    return Err(LedgerError::SameBucket { bucket: *from });
                }
            }
            C::Count { counted_at, .. } if *counted_at > now => {
                return Err(LedgerError::CountInFuture { counted_at: *counted_at, now });
            }
            C::Reserve { expires_at: Some(e), .. } if *e <= now => {
                return Err(LedgerError::AlreadyExpired { expires_at: *e, now });
            }
            C::Register { nodes, skus } if *nodes > Ledger::MAX_NODES || *skus > Ledger::MAX_SKUS => {
                return Err(LedgerError::RegisterLimit {
                    nodes: *nodes,
                    skus: *skus,
                    max_nodes: Ledger::MAX_NODES,
                    max_skus: Ledger::MAX_SKUS,
                });
            }
            _ => {}
        }
        match kind {
            C::TransferOut { node, to, sku, .. } => {
                self.node_ok(*node)?;
                self.node_ok(*to)?;
                self.sku_ok(*sku)?;
            }
            C::SetBackorder { sku, node, .. } => {
                if let Some(n) = node {
                    self.node_ok(*n)?;
                }
                self.sku_ok(*sku)?;
            }
            C::ExpectInbound { node, sku, .. }
            | C::Receive { node, sku, .. }
            | C::Adjust { node, sku, .. }
            | C::Count { node, sku, .. }
            | C::Move { node, sku, .. }
            | C::Reserve { node, sku, .. }
            | C::Ship { node, sku, .. }
            | C::Deallocate { node, sku, .. }
            | C::ReturnReceipt { node, sku, .. } => {
                self.node_ok(*node)?;
                self.sku_ok(*sku)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn get_b(p: &RefPos, b: Bucket) -> u64 {
        match b {
            Bucket::OnHand => p.on_hand,
            Bucket::Quarantine => p.quarantine,
            Bucket::Damaged => p.damaged,
            Bucket::ReturnsPending => p.returns_pending,
            Bucket::Reserved => p.reserved,
            Bucket::Allocated => p.allocated,
            Bucket::Inbound => p.inbound,
        }
    }

    fn set_b(p: &mut RefPos, b: Bucket, v: u64) {
        match b {
            Bucket::OnHand => p.on_hand = v,
            Bucket::Quarantine => p.quarantine = v,
            Bucket::Damaged => p.damaged = v,
            Bucket::ReturnsPending => p.returns_pending = v,
            Bucket::Reserved => p.reserved = v,
            Bucket::Allocated => p.allocated = v,
            Bucket::Inbound => p.inbound = v,
        }
    }

    fn exec(&mut self, cmd: &Command, now: Timestamp) -> R<()> {
        use CommandKind as C;
        self.static_checks(&cmd.kind, now)?;
        let id = cmd.entry.get();
        match cmd.kind.clone() {
            C::Register { nodes, skus } => {
                self.nodes = self.nodes.max(nodes);
                self.skus = self.skus.max(skus);
            }
            C::SetBackorder { sku, node, policy } => {
                let allow = u128::from(policy.allowance().get());
                let s = sku.get();
                let targets: Vec<u32> = match node {
                    Some(n) => vec![n.get()],
                    None => (0..self.nodes).filter(|n| !self.pos_policy.contains_key(&(*n, s))).collect(),
                };
                for n in targets {
                    let p = self.p(n, s);
                    let supply = u128::from(p.on_hand) + allow;
                    if Self::claims(&p) > supply {
                        return Err(insufficient(n, s, Bucket::OnHand, Self::claims(&p), supply));
                    }
                }
                match node {
                    Some(n) => {
                        self.pos_policy.insert((n.get(), s), policy.allowance().get());
                    }
                    None => {
                        self.sku_policy.insert(s, policy.allowance().get());
                    }
                }
            }
            C::ExpectInbound { node, sku, qty, eta } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                p.inbound = plus(p.inbound, qty.get(), n, s, Bucket::Inbound)?;
                self.put(n, s, p);
                self.receipts
                    .insert(id, RefReceipt { node: n, sku: s, remaining: qty.get(), eta, from: None });
            }
            C::Receive { node, sku, qty, inbound } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                let mut draw = None;
                if let Some(r) = inbound {
                    let rc = self.receipts.get(&r.get()).ok_or(LedgerError::UnknownInbound { inbound: r })?;
                    if rc.from.is_some() || rc.node != n || rc.sku != s {
                        return Err(LedgerError::InboundMismatch { inbound: r });
                    }
                    draw = Some((r.get(), qty.get().min(rc.remaining)));
                }
                p.on_hand = plus(p.on_hand, qty.get(), n, s, Bucket::OnHand)?;
                if let Some((r, d)) = draw {
                    p.inbound -= d;
                    let rc = self.receipts.get_mut(&r).unwrap();
                    rc.remaining -= d;
                    if rc.remaining == 0 {
                        self.receipts.remove(&r);
                    }
                }
                self.put(n, s, p);
                self.history.push((now, n, s, i128::from(qty.get())));
            }
            C::Adjust { node, sku, bucket, direction, qty, .. } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                let cur = Self::get_b(&p, bucket);
                let new = match direction {
                    Direction::Increase => plus(cur, qty.get(), n, s, bucket)?,
                    Direction::Decrease => {
                        let limit =
                            if bucket == Bucket::OnHand { self.removable(n, s, &p) } else { u128::from(cur) };
                        if u128::from(qty.get()) > limit {
                            return Err(insufficient(n, s, bucket, u128::from(qty.get()), limit));
                        }
                        cur - qty.get()
                    }
                };
                Self::set_b(&mut p, bucket, new);
                self.put(n, s, p);
                if bucket == Bucket::OnHand {
                    let d = i128::from(qty.get());
                    self.history.push((now, n, s, if direction == Direction::Increase { d } else { -d }));
                }
            }
            C::Count { node, sku, counted, counted_at } => {
                let (n, s) = (node.get(), sku.get());
                let mut oldest = Timestamp::from_unix_ms(now.as_unix_ms().saturating_sub(self.horizon_ms));
                if let Some(l) = self.last_count.get(&(n, s)) {
                    oldest = oldest.max(*l);
                }
                if counted_at < oldest {
                    return Err(LedgerError::CountTooOld { counted_at, oldest });
                }
                let later: i128 = self
                    .history
                    .iter()
                    .filter(|(at, hn, hs, _)| *at > counted_at && *hn == n && *hs == s)
                    .map(|(_, _, _, d)| *d)
                    .sum();
                let after = i128::from(counted.get()) + later;
                if after < 0 {
                    return Err(insufficient(
                        n,
                        s,
                        Bucket::OnHand,
                        u128::from(counted.get()) + after.unsigned_abs(),
                        u128::from(counted.get()),
                    ));
                }
                let after = u64::try_from(after).map_err(|_| overflow(n, s, Bucket::OnHand))?;
                let mut p = self.p(n, s);
                let supply = u128::from(after) + u128::from(self.allowance(n, s));
                if Self::claims(&p) > supply {
                    return Err(insufficient(n, s, Bucket::OnHand, Self::claims(&p), supply));
                }
                p.on_hand = after;
                self.put(n, s, p);
                self.last_count.insert((n, s), counted_at);
            }
            C::Move { node, sku, from, to, qty } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                let cur = Self::get_b(&p, from);
                let limit = if from == Bucket::OnHand { self.removable(n, s, &p) } else { u128::from(cur) };
                if u128::from(qty.get()) > limit {
                    return Err(insufficient(n, s, from, u128::from(qty.get()), limit));
                }
                let new_to = plus(Self::get_b(&p, to), qty.get(), n, s, to)?;
                Self::set_b(&mut p, from, cur - qty.get());
                Self::set_b(&mut p, to, new_to);
                self.put(n, s, p);
                let d = i128::from(qty.get());
                if from == Bucket::OnHand {
                    self.history.push((now, n, s, -d));
                } else if to == Bucket::OnHand {
                    self.history.push((now, n, s, d));
                }
            }
            C::TransferOut { node, to, sku, qty, eta } => {
                let (n, t, s) = (node.get(), to.get(), sku.get());
                let mut src = self.p(n, s);
                let limit = self.removable(n, s, &src);
                if u128::from(qty.get()) > limit {
                    return Err(insufficient(n, s, Bucket::OnHand, u128::from(qty.get()), limit));
                }
                let mut dst = self.p(t, s);
                dst.inbound = plus(dst.inbound, qty.get(), t, s, Bucket::Inbound)?;
                src.on_hand -= qty.get();
                self.put(n, s, src);
                self.put(t, s, dst);
                self.receipts
                    .insert(id, RefReceipt { node: t, sku: s, remaining: qty.get(), eta, from: Some(n) });
                self.history.push((now, n, s, -i128::from(qty.get())));
            }
            C::TransferIn { transfer, qty } => {
                let rc = *self
                    .receipts
                    .get(&transfer.get())
                    .ok_or(LedgerError::UnknownInbound { inbound: transfer })?;
                if rc.from.is_none() {
                    return Err(LedgerError::InboundMismatch { inbound: transfer });
                }
                if qty.get() > rc.remaining {
                    return Err(LedgerError::ExceedsTransfer {
                        transfer,
                        requested: qty,
                        in_transit: Qty::new(rc.remaining),
                    });
                }
                let (n, s) = (rc.node, rc.sku);
                let mut p = self.p(n, s);
                p.on_hand = plus(p.on_hand, qty.get(), n, s, Bucket::OnHand)?;
                p.inbound -= qty.get();
                self.put(n, s, p);
                let left = rc.remaining - qty.get();
                if left == 0 {
                    self.receipts.remove(&transfer.get());
                } else {
                    self.receipts.get_mut(&transfer.get()).unwrap().remaining = left;
                }
                self.history.push((now, n, s, i128::from(qty.get())));
            }
            C::CloseInbound { inbound } => {
                let rc = *self.receipts.get(&inbound.get()).ok_or(LedgerError::UnknownInbound { inbound })?;
                let mut p = self.p(rc.node, rc.sku);
                p.inbound -= rc.remaining;
                self.put(rc.node, rc.sku, p);
                self.receipts.remove(&inbound.get());
            }
            C::Reserve { node, sku, qty, expires_at } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                let avail = (u128::from(p.on_hand) + u128::from(self.allowance(n, s)))
                    .saturating_sub(Self::claims(&p));
                if u128::from(qty.get()) > avail {
                    return Err(insufficient(n, s, Bucket::OnHand, u128::from(qty.get()), avail));
                }
                p.reserved = plus(p.reserved, qty.get(), n, s, Bucket::Reserved)?;
                self.put(n, s, p);
                self.holds.insert(id, RefHold { node: n, sku: s, qty: qty.get(), made_at: now, expires_at });
            }
            C::Commit { reservation, qty } => {
                let h = self.hold(reservation, now, true)?;
                if qty.get() > h.qty {
                    return Err(LedgerError::ExceedsReservation {
                        reservation,
                        requested: qty,
                        held: Qty::new(h.qty),
                    });
                }
                let mut p = self.p(h.node, h.sku);
                p.reserved -= h.qty;
                p.allocated = plus(p.allocated, qty.get(), h.node, h.sku, Bucket::Allocated)?;
                self.put(h.node, h.sku, p);
                self.holds.remove(&reservation.get());
                self.resolved.insert(reservation.get(), Resolution::Committed);
            }
            C::Release { reservation } => {
                let h = self.hold(reservation, now, false)?;
                let mut p = self.p(h.node, h.sku);
                p.reserved -= h.qty;
                self.put(h.node, h.sku, p);
                self.holds.remove(&reservation.get());
                self.resolved.insert(reservation.get(), Resolution::Released);
            }
            C::ExpireDue => {
                let due: Vec<u128> = self
                    .holds
                    .iter()
                    .filter(|(_, h)| h.expires_at.is_some_and(|e| e <= now))
                    .map(|(id, _)| *id)
                    .collect();
                for r in due {
                    let h = self.holds.remove(&r).unwrap();
                    let mut p = self.p(h.node, h.sku);
                    p.reserved -= h.qty;
                    self.put(h.node, h.sku, p);
                    self.resolved.insert(r, Resolution::Expired);
                }
            }
            C::Ship { node, sku, qty } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                if p.allocated < qty.get() {
                    return Err(insufficient(
                        n,
                        s,
                        Bucket::Allocated,
                        u128::from(qty.get()),
                        u128::from(p.allocated),
                    ));
                }
                if p.on_hand < qty.get() {
                    return Err(insufficient(
                        n,
                        s,
                        Bucket::OnHand,
                        u128::from(qty.get()),
                        u128::from(p.on_hand),
                    ));
                }
                p.allocated -= qty.get();
                p.on_hand -= qty.get();
                self.put(n, s, p);
                self.history.push((now, n, s, -i128::from(qty.get())));
            }
            C::Deallocate { node, sku, qty } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                if p.allocated < qty.get() {
                    return Err(insufficient(
                        n,
                        s,
                        Bucket::Allocated,
                        u128::from(qty.get()),
                        u128::from(p.allocated),
                    ));
                }
                p.allocated -= qty.get();
                self.put(n, s, p);
            }
            C::ReturnReceipt { node, sku, qty } => {
                let (n, s) = (node.get(), sku.get());
                let mut p = self.p(n, s);
                p.returns_pending = plus(p.returns_pending, qty.get(), n, s, Bucket::ReturnsPending)?;
                self.put(n, s, p);
            }
            _ => unreachable!("the reference model knows every command kind"),
        }
        Ok(())
    }

    /// Compares every observable of the real ledger with the model.
    pub fn compare(&self, l: &Ledger) -> Result<(), String> {
        if (l.node_count(), l.sku_count(), l.latest()) != (self.nodes, self.skus, self.latest) {
            return Err(format!(
                "dims/latest: ledger {:?} model {:?}",
                (l.node_count(), l.sku_count(), l.latest()),
                (self.nodes, self.skus, self.latest)
            ));
        }
        if l.entry_count() != self.seen.len() {
            return Err(format!("entries: ledger {} model {}", l.entry_count(), self.seen.len()));
        }
        for n in 0..self.nodes {
            for s in 0..self.skus {
                let got = l.position(NodeId::new(n), Sku::new(s)).map_err(|e| e.to_string())?;
                let want = self.p(n, s);
                let want_view = (
                    want.on_hand,
                    want.reserved,
                    want.allocated,
                    want.inbound,
                    want.quarantine,
                    want.damaged,
                    want.returns_pending,
                    want.version,
                    self.allowance(n, s),
                );
                let got_view = (
                    got.on_hand.get(),
                    got.reserved.get(),
                    got.allocated.get(),
                    got.inbound.get(),
                    got.quarantine.get(),
                    got.damaged.get(),
                    got.returns_pending.get(),
                    got.version,
                    got.backorder_allowance.get(),
                );
                if got_view != want_view {
                    return Err(format!("node#{n}/sku#{s}: ledger {got_view:?} model {want_view:?}"));
                }
                let holds: Vec<_> = l
                    .reservations(NodeId::new(n), Sku::new(s))
                    .map(|(id, h)| (id.get(), h.qty.get(), h.made_at, h.expires_at))
                    .collect();
                let want_holds: Vec<_> = self
                    .holds
                    .iter()
                    .filter(|(_, h)| (h.node, h.sku) == (n, s))
                    .map(|(id, h)| (*id, h.qty, h.made_at, h.expires_at))
                    .collect();
                if holds != want_holds {
                    return Err(format!("node#{n}/sku#{s} holds: ledger {holds:?} model {want_holds:?}"));
                }
                let rcs: Vec<_> = l
                    .inbound(NodeId::new(n), Sku::new(s))
                    .map(|(id, r)| (id.get(), r.remaining.get(), r.eta, r.from.map(NodeId::get)))
                    .collect();
                let want_rcs: Vec<_> = self
                    .receipts
                    .iter()
                    .filter(|(_, r)| (r.node, r.sku) == (n, s))
                    .map(|(id, r)| (*id, r.remaining, r.eta, r.from))
                    .collect();
                if rcs != want_rcs {
                    return Err(format!("node#{n}/sku#{s} receipts: ledger {rcs:?} model {want_rcs:?}"));
                }
            }
        }
        for (id, how) in &self.resolved {
            let got = l.resolution(EntryId::new(*id).unwrap());
            if got != Some(*how) {
                return Err(format!("resolution of {id}: ledger {got:?} model {how:?}"));
            }
        }
        Ok(())
    }
}

/// A source of choices: a seeded PRNG in tests, the fuzzer's bytes in fuzzing.
pub trait Source {
    fn next_u64(&mut self) -> u64;

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// SplitMix64: small, seeded, good enough to drive tests.
pub struct SplitMix(pub u64);

impl Source for SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Bytes as a source; zeros once exhausted.
#[allow(dead_code)] // used by the fuzz target
pub struct Bytes<'a>(pub &'a [u8]);

impl Source for Bytes<'_> {
    fn next_u64(&mut self) -> u64 {
        let mut v = 0u64;
        for _ in 0..2 {
            let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
            self.0 = rest;
            v = (v << 8) | u64::from(b);
        }
        v
    }
}

const ID_POOL: u64 = 40;
const NODE_POOL: u32 = 4;
const SKU_POOL: u32 = 3;

fn qty(src: &mut dyn Source) -> Qty {
    Qty::new(match src.below(14) {
        0 => 0,
        1 => u64::MAX,
        2 => u64::MAX - 1,
        3 => 1 << 63,
        4..=7 => 1 + src.below(3),
        _ => 1 + src.below(12),
    })
}

fn bucket(src: &mut dyn Source) -> Bucket {
    match src.below(9) {
        0 => Bucket::Reserved,
        1 => Bucket::Inbound,
        2 | 3 => Bucket::Quarantine,
        4 => Bucket::Damaged,
        5 => Bucket::ReturnsPending,
        _ => Bucket::OnHand,
    }
}

/// Generates a command over small pools so ids, positions and holds collide.
pub fn command(src: &mut dyn Source, now: Timestamp, sent: &[Command]) -> Command {
    // Re-send an earlier command unchanged, or with one field changed.
    if !sent.is_empty() && src.chance(12) {
        let mut c = sent[src.below(sent.len() as u64) as usize].clone();
        if src.chance(40) {
            match &mut c.kind {
                CommandKind::Receive { qty: q, .. }
                | CommandKind::Reserve { qty: q, .. }
                | CommandKind::Ship { qty: q, .. }
                | CommandKind::Deallocate { qty: q, .. }
                | CommandKind::Commit { qty: q, .. } => *q = Qty::new(q.get().wrapping_add(1)),
                CommandKind::Register { skus, .. } => *skus += 1,
                other => *other = CommandKind::ExpireDue,
            }
        }
        return c;
    }
    // Mostly fresh ids; some from a small pool so unrelated commands collide.
    let entry = if src.chance(85) {
        EntryId::new(1_000 + u128::from(src.below(1 << 40))).unwrap()
    } else {
        EntryId::new(1 + u128::from(src.below(ID_POOL))).unwrap()
    };
    let node =
        NodeId::new(if src.chance(95) { src.below(3) } else { src.below(u64::from(NODE_POOL)) } as u32);
    let sku = Sku::new(if src.chance(95) { src.below(2) } else { src.below(u64::from(SKU_POOL)) } as u32);
    let any_id = EntryId::new(1 + u128::from(src.below(ID_POOL))).unwrap();
    // Ids of earlier commands of one kind, so commits, releases and receipts
    // mostly name something that exists.
    let earlier = |src: &mut dyn Source, want: fn(&CommandKind) -> bool| -> EntryId {
        let ids: Vec<EntryId> = sent.iter().filter(|c| want(&c.kind)).map(|c| c.entry).collect();
        if ids.is_empty() || src.chance(20) { any_id } else { ids[src.below(ids.len() as u64) as usize] }
    };
    let small = |src: &mut dyn Source| if src.chance(85) { Qty::new(1 + src.below(4)) } else { qty(src) };
    let ms = now.as_unix_ms();
    let kind = match src.below(23) {
        0 => CommandKind::Register {
            nodes: src.below(u64::from(NODE_POOL)) as u32 + 1,
            skus: if src.chance(3) {
                Ledger::MAX_SKUS + 1
            } else {
                src.below(u64::from(SKU_POOL)) as u32 + 1
            },
        },
        1 => CommandKind::SetBackorder {
            sku,
            node: if src.chance(50) { Some(node) } else { None },
            policy: if src.chance(40) { BackorderPolicy::None } else { BackorderPolicy::UpTo(qty(src)) },
        },
        2 => CommandKind::ExpectInbound { node, sku, qty: qty(src), eta: Timestamp::from_unix_ms(ms + 100) },
        3..=5 => CommandKind::Receive {
            node,
            sku,
            qty: qty(src),
            inbound: if src.chance(30) {
                Some(earlier(src, |k| {
                    matches!(k, CommandKind::ExpectInbound { .. } | CommandKind::TransferOut { .. })
                }))
            } else {
                None
            },
        },
        6 => CommandKind::Adjust {
            node,
            sku,
            bucket: bucket(src),
            direction: if src.chance(50) { Direction::Increase } else { Direction::Decrease },
            qty: qty(src),
            reason: AdjustReason::Correction,
        },
        7 => CommandKind::Count {
            node,
            sku,
            counted: Qty::new(src.below(20)),
            counted_at: Timestamp::from_unix_ms(ms - src.below(6) as i64 + i64::from(src.chance(5))),
        },
        8 => CommandKind::Move { node, sku, from: bucket(src), to: bucket(src), qty: small(src) },
        9 => CommandKind::TransferOut {
            node,
            to: NodeId::new(src.below(u64::from(NODE_POOL)) as u32),
            sku,
            qty: small(src),
            eta: Timestamp::from_unix_ms(ms + 50),
        },
        10 => CommandKind::TransferIn {
            transfer: earlier(src, |k| {
                matches!(k, CommandKind::TransferOut { .. } | CommandKind::ExpectInbound { .. })
            }),
            qty: small(src),
        },
        11..=14 => CommandKind::Reserve {
            node,
            sku,
            qty: small(src),
            expires_at: if src.chance(60) {
                Some(Timestamp::from_unix_ms(ms + src.below(6) as i64 - i64::from(src.chance(5))))
            } else {
                None
            },
        },
        15..=16 => CommandKind::Commit {
            reservation: earlier(src, |k| matches!(k, CommandKind::Reserve { .. })),
            qty: small(src),
        },
        17 if src.chance(25) => CommandKind::CloseInbound {
            inbound: earlier(src, |k| {
                matches!(k, CommandKind::TransferOut { .. } | CommandKind::ExpectInbound { .. })
            }),
        },
        17 => {
            CommandKind::Release { reservation: earlier(src, |k| matches!(k, CommandKind::Reserve { .. })) }
        }
        18 => CommandKind::ExpireDue,
        19..=20 => CommandKind::Ship { node, sku, qty: small(src) },
        21 => CommandKind::Deallocate { node, sku, qty: small(src) },
        _ => CommandKind::ReturnReceipt { node, sku, qty: qty(src) },
    };
    Command::new(entry, kind)
}

/// Runs one random sequence of up to `steps` commands (and small batches)
/// against both the ledger and the model; checks outcomes, every observable
/// and the invariants after every step, then replay and snapshot equivalence.
pub fn run(src: &mut dyn Source, steps: usize) -> Result<(), String> {
    run_counting(src, steps, &mut BTreeMap::new())
}

fn label(prefix: &str, debug: String) -> String {
    let name: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
    format!("{prefix}{name}")
}

/// As [`run`], counting outcomes by label (`ok:Reserve`, `err:Insufficient`, …)
/// so a test can check that the stream reaches every path.
pub fn run_counting(
    src: &mut dyn Source,
    steps: usize,
    seen: &mut BTreeMap<String, usize>,
) -> Result<(), String> {
    let mut live = Ledger::new();
    let mut model = RefLedger::new();
    let mut events: Vec<Event> = Vec::new();
    let mut sent: Vec<Command> = Vec::new();
    let mut now = Timestamp::from_unix_ms(1_000);
    #[allow(clippy::collection_is_never_read)]
    let mut expiries: Vec<Timestamp> = Vec::new();
    let mut snapshot_at = None;
    // Start registered most of the time so deeper states are reached.
    if src.chance(85) {
        let c = Command::new(EntryId::new(1000).unwrap(), CommandKind::Register { nodes: 3, skus: 2 });
        let o = live.apply(&c, now).map_err(|e| e.to_string())?;
        model.apply(&c, now).map_err(|e| e.to_string())?;
        events.push(o.into_event());
    }
    for step in 0..steps {
        // Time: mostly forward, sometimes onto an expiry exactly, sometimes backwards.
        // Time: mostly forward, sometimes onto an expiry exactly, sometimes
        // (for this step only) backwards.
        let mut at = now;
        match src.below(12) {
            0 if !expiries.is_empty() => {
                let e = expiries[src.below(expiries.len() as u64) as usize];
                now = now.max(e);
                at = e;
            }
            1 => at = Timestamp::from_unix_ms(now.as_unix_ms() - 1 - src.below(3) as i64),
            2..=5 => {}
            _ => {
                now = Timestamp::from_unix_ms(now.as_unix_ms() + 1 + src.below(3) as i64);
                at = now;
            }
        }
        let now = at;
        if src.chance(8) {
            let n = 1 + src.below(3) as usize;
            let batch: Vec<Command> = (0..n).map(|_| command(src, now, &sent)).collect();
            let before = serde_json::to_vec(&live).unwrap();
            let got = live.apply_batch(&batch, now);
            let want = model.apply_batch(&batch, now);
            match (got, want) {
                (Ok(outs), Ok(())) => {
                    for o in outs {
                        if let Outcome::Applied(e) = o {
                            events.push(e);
                        }
                    }
                    sent.extend(batch);
                }
                (Err(BatchRejection { index, error }), Err((wi, we))) => {
                    if index != wi || normalise(&error) != we {
                        return Err(format!(
                            "step {step} batch: ledger ({index}, {error:?}) model ({wi}, {we:?})"
                        ));
                    }
                    if serde_json::to_vec(&live).unwrap() != before {
                        return Err(format!("step {step}: failed batch changed the state"));
                    }
                }
                (g, w) => return Err(format!("step {step} batch {batch:?}: ledger {g:?} model {w:?}")),
            }
        } else {
            let cmd = command(src, now, &sent);
            if let CommandKind::Reserve { expires_at: Some(e), .. } = cmd.kind {
                expiries.push(e);
            }
            let was_seen = model.seen.contains_key(&cmd.entry.get());
            let got = live.apply(&cmd, now);
            let want = model.apply(&cmd, now);
            let key = match &got {
                Ok(o) if o.is_new() => label("ok:", format!("{:?}", cmd.kind)),
                Ok(_) => "duplicate".to_owned(),
                Err(r) => label("err:", format!("{:?}", r.error)),
            };
            *seen.entry(key).or_default() += 1;
            match (&got, &want) {
                (Ok(o), Ok(new)) if o.is_new() == *new => {
                    if let Outcome::Applied(e) = o {
                        events.push(e.clone());
                    }
                }
                (Err(Rejection { error, record }), Err(we)) if normalise(error) == *we => {
                    if let Some(r) = record {
                        events.push((**r).clone());
                    }
                    if record.is_some() != (error.is_recorded() && !was_seen) {
                        return Err(format!("step {step}: record {record:?} for {error:?}"));
                    }
                }
                _ => return Err(format!("step {step} {cmd:?} at {now}: ledger {got:?} model {want:?}")),
            }
            sent.push(cmd);
        }
        live.check_invariants().map_err(|e| format!("step {step}: {e}"))?;
        model.compare(&live).map_err(|e| format!("step {step}: {e}"))?;
        if step == steps / 2 {
            snapshot_at = Some((serde_json::to_vec(&live).unwrap(), events.len()));
        }
    }
    // Replay from nothing, and snapshot + tail, give the same bytes.
    let bytes = serde_json::to_vec(&live).unwrap();
    let replayed = Ledger::replay(&events).map_err(|e| format!("replay: {e}"))?;
    if serde_json::to_vec(&replayed).unwrap() != bytes {
        return Err("replay differs from the live state".into());
    }
    if let Some((snap, at)) = snapshot_at {
        let mut restored: Ledger = serde_json::from_slice(&snap).map_err(|e| format!("snapshot: {e}"))?;
        restored.apply_events(&events[at..]).map_err(|e| format!("tail replay: {e}"))?;
        if serde_json::to_vec(&restored).unwrap() != bytes {
            return Err("snapshot + tail differs from the live state".into());
        }
    }
    Ok(())
}
