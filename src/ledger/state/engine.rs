//! The command engine: every check first, then the writes.

use std::collections::BTreeMap;

use super::{Cold, Hot, Key, Ledger, SkuState, Undo, key};
use crate::ledger::event::{ExpiredHold, Hold, Receipt};
use crate::ledger::{Bucket, Command, CommandKind, Direction, Event, EventKind, LedgerError, Resolution};
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

#[inline]
pub(super) fn add(a: u64, b: u64, node: NodeId, sku: Sku, bucket: Bucket) -> Result<u64, LedgerError> {
    a.checked_add(b).ok_or(LedgerError::Overflow { node, sku, bucket: Some(bucket) })
}

#[inline]
pub(super) fn sub(a: u64, b: u64, node: NodeId, sku: Sku, bucket: Bucket) -> Result<u64, LedgerError> {
    a.checked_sub(b).ok_or(LedgerError::Insufficient {
        node,
        sku,
        bucket,
        requested: Qty::new(b),
        available: Qty::new(a),
    })
}

#[inline]
pub(super) fn bumped(mut hot: Hot, node: NodeId, sku: Sku) -> Result<Hot, LedgerError> {
    hot.version = hot.version.checked_add(1).ok_or(LedgerError::Overflow { node, sku, bucket: None })?;
    Ok(hot)
}

#[inline]
pub(super) fn to_u64_sat(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Claims (reserved + allocated) in excess of the backorder allowance: the
/// on-hand units that must stay.
#[inline]
pub(super) fn pinned_on_hand(hot: Hot, allowance: u64) -> u128 {
    let claims = u128::from(hot.reserved).saturating_add(u128::from(hot.allocated));
    claims.saturating_sub(u128::from(allowance))
}

/// On-hand units that may leave without uncovering a claim.
#[inline]
pub(super) fn removable_on_hand(hot: Hot, allowance: u64) -> u64 {
    to_u64_sat(u128::from(hot.on_hand).saturating_sub(pinned_on_hand(hot, allowance)))
}

#[inline]
pub(super) fn available(hot: Hot, allowance: u64) -> u64 {
    let supply = u128::from(hot.on_hand).saturating_add(u128::from(allowance));
    let claims = u128::from(hot.reserved).saturating_add(u128::from(hot.allocated));
    to_u64_sat(supply.saturating_sub(claims))
}

pub(super) fn physical(hot: &Hot, cold: &Cold, b: Bucket) -> u64 {
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

pub(super) fn set_physical(hot: &mut Hot, cold: &mut Cold, b: Bucket, v: u64) {
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
pub(super) fn first_difference(a: &CommandKind, b: &CommandKind) -> Option<&'static str> {
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
        (C::Deallocate { node: n1, sku: s1, qty: q1 }, C::Deallocate { node: n2, sku: s2, qty: q2 }) => {
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
    // ---- the engine: all checks, then the writes ----

    pub(super) fn static_check(&self, kind: &CommandKind, now: Timestamp) -> Result<(), LedgerError> {
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
            | C::Deallocate { qty, .. }
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

    pub(super) fn ids_check(&self, kind: &CommandKind) -> Result<(), LedgerError> {
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
            | C::Deallocate { node, sku, .. }
            | C::ReturnReceipt { node, sku, .. } => {
                self.check_node(*node)?;
                self.check_sku(*sku)
            }
            _ => Ok(()),
        }
    }

    pub(super) fn execute(
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

    pub(super) fn lookup_hold(
        &self,
        id: EntryId,
        now: Timestamp,
        for_commit: bool,
    ) -> Result<(usize, Hold), LedgerError> {
        match self.memo.reservation_at(id) {
            Some((i, Ok(h))) => {
                if for_commit {
                    if let Some(e) = h.expires_at.filter(|e| *e <= now) {
                        return Err(LedgerError::ReservationExpired { reservation: id, expired_at: e });
                    }
                }
                Ok((i, h))
            }
            Some((_, Err(r))) => Err(LedgerError::ReservationResolved { reservation: id, resolution: r }),
            None => Err(LedgerError::UnknownReservation { reservation: id }),
        }
    }

    pub(super) fn check_claims(
        &self,
        node: NodeId,
        sku: Sku,
        hot: Hot,
        allowance: u64,
    ) -> Result<(), LedgerError> {
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
    pub(super) fn execute_kind(
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
                let (ri, h) = self.lookup_hold(reservation, now, true)?;
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
                self.remove_hold(reservation, h);
                self.resolve_at(reservation, ri, Resolution::Committed);
                Ok(EventKind::Committed { reservation, node, sku, qty, released: h.qty.saturating_sub(qty) })
            }
            C::Release { reservation } => {
                let (ri, h) = self.lookup_hold(reservation, now, false)?;
                let (node, sku) = (h.node, h.sku);
                let k = key(node, sku);
                let mut hot = self.hot(k);
                hot.reserved = sub(hot.reserved, h.qty.get(), node, sku, Bucket::Reserved)?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                self.remove_hold(reservation, h);
                self.resolve_at(reservation, ri, Resolution::Released);
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
                    let h = self.memo.hold(*id).ok_or(LedgerError::InvariantBroken {
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
                    let hold = Hold {
                        node: h.node,
                        sku: h.sku,
                        qty: h.qty,
                        made_at: now,
                        expires_at: Some(h.expires_at),
                    };
                    self.remove_hold(h.reservation, hold);
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
            C::Deallocate { node, sku, qty } => {
                let k = key(node, sku);
                let mut hot = self.hot(k);
                hot.allocated = sub(hot.allocated, qty.get(), node, sku, Bucket::Allocated)?;
                let hot = bumped(hot, node, sku)?;
                self.set_hot(k, hot);
                Ok(EventKind::Deallocated { node, sku, qty })
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
}
