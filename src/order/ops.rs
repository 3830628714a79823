//! The order operations. Each validates fully, plans on a draft, applies one
//! atomic ledger batch and only then writes the book (see [`OrderBook`]).

use super::book::{Work, check_destination};
use super::state::validate_destination;
use super::{
    Applied, Destination, Line, LineSpec, OpId, Order, OrderBook, OrderError, OrderEventKind, OrderSpec,
    OrderStatus, UnfilledPolicy,
};
use crate::ledger::Ledger;
use crate::model::Timestamp;
use crate::model::{FulfilmentMethod, LineId, Money, NodeId, OrderId, Qty, Sku};
use crate::routing::Availability;

/// A change to an order ([`OrderBook::modify`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Modification {
    /// Set a line's quantity (ordered − cancelled) to `qty`: an increase is
    /// routed, a decrease cancels open, then reserved units.
    Quantity {
        /// The line.
        line: LineId,
        /// The new quantity.
        qty: Qty,
    },
    /// Change the destination: every reserved unit is re-routed.
    Destination(Destination),
    /// Add a line, routed on its own.
    AddLine(LineSpec),
    /// Remove a line: its open and reserved units are cancelled.
    RemoveLine(LineId),
}

fn no_stock(_: NodeId, _: Sku) -> Qty {
    Qty::ZERO
}

pub(super) const NONE: &dyn Availability = &no_stock;

pub(super) fn zero_qty() -> OrderError {
    OrderError::InvalidOrder { field: "qty", reason: "must be at least one unit" }
}

pub(super) fn open_order(book: &OrderBook, work: &mut Work<'_>, id: OrderId) -> Result<Order, OrderError> {
    let o = work.take(book, id)?;
    if o.is_closed() {
        return Err(OrderError::OrderClosed { order: id });
    }
    Ok(o)
}

pub(super) fn add_qty(a: Qty, b: Qty, what: &'static str) -> Result<Qty, OrderError> {
    a.checked_add(b).map_err(|_| OrderError::Overflow { what })
}

pub(super) fn sub_qty(a: Qty, b: Qty, what: &'static str) -> Result<Qty, OrderError> {
    a.checked_sub(b).map_err(|_| OrderError::Overflow { what })
}

/// Cancels `qty` units of a line: open first, then the newest holds
/// (a partly cancelled hold is released and re-reserved smaller, in the
/// same batch).
fn cancel_units(work: &mut Work<'_>, ledger: &Ledger, line: &mut Line, qty: Qty) -> Result<(), OrderError> {
    let from_open = line.open.min(qty);
    line.open = sub_qty(line.open, from_open, "open")?;
    let mut rest = sub_qty(qty, from_open, "cancel")?;
    while !rest.is_zero() {
        let Some(h) = line.holds.pop() else {
            return Err(OrderError::Overflow { what: "cancel" });
        };
        work.release(ledger, line.sku, &h)?;
        if h.qty > rest {
            let keep = sub_qty(h.qty, rest, "hold")?;
            rest = Qty::ZERO;
            if h.expires_at.is_some_and(|e| e <= work.now) {
                // A lapsed checkout hold cannot be re-made: the rest is open.
                line.open = add_qty(line.open, keep, "open")?;
            } else {
                work.reserve(line, h.node, keep, h.expires_at)?;
            }
        } else {
            rest = sub_qty(rest, h.qty, "cancel")?;
        }
    }
    line.cancelled = add_qty(line.cancelled, qty, "cancelled")?;
    Ok(())
}

/// Releases every hold of `order` at `node` back to open and returns the
/// demand to re-source.
pub(super) fn unhold_node(
    work: &mut Work<'_>,
    ledger: &Ledger,
    order: &mut Order,
    node: NodeId,
) -> Result<Vec<(LineId, Qty)>, OrderError> {
    let mut demand = Vec::new();
    for line in &mut order.lines {
        let (gone, kept): (Vec<_>, Vec<_>) = line.holds.iter().copied().partition(|h| h.node == node);
        let mut q = Qty::ZERO;
        for h in &gone {
            work.release(ledger, line.sku, h)?;
            q = add_qty(q, h.qty, "reserved")?;
        }
        line.holds = kept;
        if !q.is_zero() {
            line.open = add_qty(line.open, q, "open")?;
            demand.push((line.id, q));
        }
    }
    Ok(demand)
}

pub(super) fn exclude(order: &mut Order, node: NodeId) {
    if let Err(i) = order.excluded.binary_search(&node) {
        order.excluded.insert(i, node);
    }
}

pub(crate) fn risky(book: &OrderBook, spec: &OrderSpec) -> Result<bool, OrderError> {
    let p = book.policy();
    if let Some(max) = p.get_risk_max_line_qty() {
        if spec.lines.iter().any(|l| l.qty > max) {
            return Ok(true);
        }
    }
    if let Some(max) = p.get_risk_max_order_value() {
        let mut v = Money::ZERO;
        for l in &spec.lines {
            let x = l
                .unit_price
                .checked_mul_qty(l.qty)
                .map_err(|_| OrderError::Overflow { what: "order value" })?;
            v = v.checked_add(x).map_err(|_| OrderError::Overflow { what: "order value" })?;
        }
        if v > max {
            return Ok(true);
        }
    }
    Ok(false)
}

fn all_open(order: &Order) -> Vec<(LineId, Qty)> {
    order.lines.iter().map(|l| (l.id, l.open)).collect()
}

impl OrderBook {
    /// Places an order: validates it, holds it for review if the risk policy
    /// says so, else routes every line over the eligible nodes (exact
    /// optimiser) and reserves the plan atomically. If availability changed
    /// underneath (a `Reserve` is rejected), re-routes with the ledger's
    /// figures, within [`OrderPolicy::max_attempts`](super::OrderPolicy::max_attempts).
    /// Units that cannot be sourced reject the order or stay open, by
    /// [`UnfilledPolicy`].
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::InvalidOrder`],
    /// [`OrderError::DuplicateOrder`], [`OrderError::IneligibleNode`] (a
    /// pickup node that cannot serve pickups), [`OrderError::Unfillable`],
    /// [`OrderError::Routing`], [`OrderError::Ledger`],
    /// [`OrderError::StaleAvailability`], [`OrderError::Overflow`].
    ///
    /// # Example
    ///
    /// ```
    /// use omniroute::order::{LineSpec, Network, OpId, OrderBook, OrderError, OrderPolicy, OrderSpec};
    /// use omniroute::ledger::Ledger;
    /// use omniroute::*;
    /// let t = Timestamp::EPOCH;
    /// let mut ledger = Ledger::new();
    /// let e = |n| EntryId::new(n).unwrap();
    /// ledger.apply(&Command::new(e(1), CommandKind::Register { nodes: 2, skus: 1 }), t)?;
    /// ledger.apply(&Command::new(e(2), CommandKind::Receive { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::new(5), inbound: None }), t)?;
    /// let net = Network::new(vec![Node::new(NodeId::new(0), NodeKind::Warehouse), Node::new(NodeId::new(1), NodeKind::Store)])?;
    /// let mut book = OrderBook::new(net, OrderPolicy::new());
    /// // The host's availability view for the channel (here: straight from the ledger).
    /// let snapshot: std::collections::BTreeMap<(NodeId, Sku), Qty> =
    ///     [((NodeId::new(0), Sku::new(0)), Qty::new(5))].into_iter().collect();
    /// let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), Sku::new(0), Qty::new(3)));
    /// let done = book.place(&mut ledger, &snapshot, OpId::new(1), t, spec.clone())?;
    /// assert_eq!(done.ledger_events.len(), 1); // one Reserve
    /// assert_eq!(ledger.position(NodeId::new(0), Sku::new(0))?.reserved, Qty::new(3));
    /// let again = book.place(&mut ledger, &snapshot, OpId::new(2), t, spec);
    /// assert!(matches!(again, Err(OrderError::DuplicateOrder { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn place<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        spec: OrderSpec,
    ) -> Result<Applied, OrderError> {
        self.check_op(op)?;
        spec.validate()?;
        if self.orders.contains_key(&spec.id) {
            return Err(OrderError::DuplicateOrder { order: spec.id });
        }
        if spec.hold_until.is_some_and(|h| h <= now) {
            return Err(OrderError::InvalidOrder {
                field: "hold_until",
                reason: "the checkout hold is already past",
            });
        }
        let held = risky(self, &spec)?;
        let base = Order::from_spec(&spec);
        check_destination(self, &base)?;
        let reject = self.policy().get_unfilled() == UnfilledPolicy::Reject;
        self.run(ledger, source.into(), op, now, |book, _, work| {
            let mut o = base.clone();
            if held {
                o.status = OrderStatus::RiskHold;
                work.put(o, OrderEventKind::RiskHeld);
                return Ok(());
            }
            let demand = all_open(&o);
            book.source(work, &mut o, &demand, reject)?;
            work.put(o, OrderEventKind::Placed);
            Ok(())
        })
    }

    /// Approves an order on risk hold and routes it as [`OrderBook::place`] does.
    ///
    /// # Errors
    ///
    /// As [`OrderBook::place`], plus [`OrderError::UnknownOrder`] and
    /// [`OrderError::NotAllowed`] when the order is not on risk hold.
    pub fn approve<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        order: OrderId,
    ) -> Result<Applied, OrderError> {
        let reject = self.policy().get_unfilled() == UnfilledPolicy::Reject;
        self.run(ledger, source.into(), op, now, |book, _, work| {
            let mut o = open_order(book, work, order)?;
            if o.status != OrderStatus::RiskHold {
                return Err(OrderError::NotAllowed { order, reason: "the order is not on risk hold" });
            }
            if o.hold_until.is_some_and(|h| h <= work.now) {
                return Err(OrderError::NotAllowed { order, reason: "the checkout hold has lapsed" });
            }
            o.status = OrderStatus::Active;
            let demand = all_open(&o);
            book.source(work, &mut o, &demand, reject)?;
            work.put(o, OrderEventKind::Approved);
            Ok(())
        })
    }

    /// Confirms a checkout hold: the order's reservations stop lapsing
    /// (each is released and re-reserved without expiry, in one batch).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::NotAllowed`] (no checkout
    /// hold, or it has lapsed), [`OrderError::Ledger`].
    pub fn confirm(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, ledger, work| {
            let mut o = open_order(book, work, order)?;
            match o.hold_until {
                None => {
                    return Err(OrderError::NotAllowed { order, reason: "the order has no checkout hold" });
                }
                Some(h) if h <= work.now => {
                    return Err(OrderError::NotAllowed { order, reason: "the checkout hold has lapsed" });
                }
                Some(_) => {}
            }
            o.hold_until = None;
            for line in &mut o.lines {
                let holds = core::mem::take(&mut line.holds);
                for h in holds {
                    work.release(ledger, line.sku, &h)?;
                    work.reserve(line, h.node, h.qty, None)?;
                }
            }
            work.put(o, OrderEventKind::Confirmed);
            Ok(())
        })
    }

    /// Releases reserved units to fulfilment (reserved → allocated): every
    /// hold of the order, or only those at `node`.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::NotAllowed`] (on risk
    /// hold, checkout hold not confirmed, nothing reserved there),
    /// [`OrderError::Ledger`].
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::new(5), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(NodeId::new(0), NodeKind::Warehouse)])?, OrderPolicy::new());
    /// # let view = |n: NodeId, s: Sku| Qty::new(5);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), Sku::new(0), Qty::new(3)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?;
    /// book.release(&mut ledger, OpId::new(2), t, OrderId::new(1), None)?;
    /// assert_eq!(ledger.position(NodeId::new(0), Sku::new(0))?.allocated, Qty::new(3));
    /// let err = book.release(&mut ledger, OpId::new(3), t, OrderId::new(1), None).unwrap_err();
    /// assert!(matches!(err, OrderError::NotAllowed { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn release(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: Option<NodeId>,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, _, work| {
            let mut o = open_order(book, work, order)?;
            if o.status == OrderStatus::RiskHold {
                return Err(OrderError::NotAllowed { order, reason: "the order is on risk hold" });
            }
            if o.hold_until.is_some() {
                return Err(OrderError::NotAllowed { order, reason: "the checkout hold is not confirmed" });
            }
            let mut any = false;
            for line in &mut o.lines {
                let (go, keep): (Vec<_>, Vec<_>) =
                    line.holds.iter().copied().partition(|h| node.is_none_or(|n| n == h.node));
                for h in &go {
                    work.commit(line.sku, h, h.qty)?;
                    line.allocate(h.node, h.qty)?;
                    any = true;
                }
                line.holds = keep;
            }
            if !any {
                return Err(OrderError::NotAllowed { order, reason: "nothing reserved to release" });
            }
            work.put(o, OrderEventKind::Released { node });
            Ok(())
        })
    }

    /// A short pick: `node` could pick only `picked` of the units it holds
    /// for `line`. Those are allocated (the ledger's partial commit releases
    /// the rest), the node is excluded for this order, and the remainder is
    /// re-sourced elsewhere; other lines and nodes keep their reservations.
    /// Units no other node can supply stay open (listed in `unfilled`).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::UnknownLine`],
    /// [`OrderError::NotAllowed`] (checkout hold not confirmed),
    /// [`OrderError::ExceedsReserved`], routing and ledger errors.
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (a, b, s) = (NodeId::new(0), NodeId::new(1), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 2, skus: 1 }), t)?;
    /// # for (i, n) in [a, b].into_iter().enumerate() {
    /// #   ledger.apply(&Command::new(EntryId::new(2 + i as u128)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// # }
    /// # let net = Network::new(vec![Node::new(a, NodeKind::Warehouse).with_priority(1), Node::new(b, NodeKind::Warehouse).with_shipment_cost(Money::from_int(1))])?;
    /// # let mut book = OrderBook::new(net, OrderPolicy::new());
    /// # let view = |n: NodeId, s: Sku| Qty::new(5);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(3)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?; // node 0 is cheaper
    /// let err = book.short_pick(&mut ledger, &view, OpId::new(2), t, OrderId::new(1), a, LineId::new(0), Qty::new(4));
    /// assert!(matches!(err, Err(OrderError::ExceedsReserved { .. })));
    /// book.short_pick(&mut ledger, &view, OpId::new(2), t, OrderId::new(1), a, LineId::new(0), Qty::new(1))?;
    /// assert_eq!(ledger.position(a, s)?.allocated, Qty::new(1));
    /// assert_eq!(ledger.position(b, s)?.reserved, Qty::new(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn short_pick<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: NodeId,
        line: LineId,
        picked: Qty,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, source.into(), op, now, |book, ledger, work| {
            let mut o = open_order(book, work, order)?;
            if o.hold_until.is_some() {
                return Err(OrderError::NotAllowed { order, reason: "the checkout hold is not confirmed" });
            }
            let l = o.line_mut(line)?;
            let reserved = l.reserved_at(node);
            if picked > reserved || reserved.is_zero() {
                return Err(OrderError::ExceedsReserved { order, line, node, requested: picked, reserved });
            }
            let (here, keep): (Vec<_>, Vec<_>) = l.holds.iter().copied().partition(|h| h.node == node);
            let mut to_pick = picked;
            for h in &here {
                let take = to_pick.min(h.qty);
                if take.is_zero() {
                    work.release(ledger, l.sku, h)?;
                } else {
                    work.commit(l.sku, h, take)?;
                    l.allocate(node, take)?;
                }
                to_pick = sub_qty(to_pick, take, "picked")?;
            }
            l.holds = keep;
            let short = sub_qty(reserved, picked, "short")?;
            l.open = add_qty(l.open, short, "open")?;
            exclude(&mut o, node);
            book.source(work, &mut o, &[(line, short)], false)?;
            work.put(o, OrderEventKind::ShortPicked { node, line, picked });
            Ok(())
        })
    }

    /// A node rejects the order: every unit it holds for the order is
    /// released and re-sourced without it (the node is excluded for this
    /// order); reservations elsewhere stay. Units released to the node
    /// (allocated) are not affected — report a short pick instead before
    /// releasing, or ship what was picked.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::NotAllowed`] (nothing
    /// reserved at the node), routing and ledger errors.
    pub fn reject<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: NodeId,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, source.into(), op, now, |book, ledger, work| {
            let mut o = open_order(book, work, order)?;
            let demand = unhold_node(work, ledger, &mut o, node)?;
            if demand.is_empty() {
                return Err(OrderError::NotAllowed { order, reason: "nothing reserved at the node" });
            }
            exclude(&mut o, node);
            book.source(work, &mut o, &demand, false)?;
            work.put(o, OrderEventKind::NodeRejected { node });
            Ok(())
        })
    }

    /// A node goes down: every order's unreleased units there are released
    /// and re-sourced without it (excluded for those orders), in order of
    /// order id, as one atomic batch. Allocated units stay (they are in the
    /// node's hands).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], routing and ledger errors.
    pub fn node_outage<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        node: NodeId,
    ) -> Result<Applied, OrderError> {
        let ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| o.lines.iter().any(|l| l.holds.iter().any(|h| h.node == node)))
            .map(|o| o.id)
            .collect();
        self.run(ledger, source.into(), op, now, |book, ledger, work| {
            for id in &ids {
                let mut o = work.take(book, *id)?;
                let demand = unhold_node(work, ledger, &mut o, node)?;
                exclude(&mut o, node);
                book.source(work, &mut o, &demand, false)?;
                work.put(o, OrderEventKind::NodeOutage { node });
            }
            Ok(())
        })
    }

    /// Confirms a shipment: `qty` allocated units of `line` leave `node`
    /// (partial shipments allowed).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::NotAllowed`] (a pickup
    /// order: use [`OrderBook::pick_up`]), [`OrderError::UnknownLine`],
    /// [`OrderError::InvalidOrder`] (zero units),
    /// [`OrderError::ExceedsAllocated`], [`OrderError::Ledger`].
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(n, NodeKind::Warehouse)])?, OrderPolicy::new());
    /// # let view = |_: NodeId, _: Sku| Qty::new(5);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(3)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?;
    /// book.release(&mut ledger, OpId::new(2), t, OrderId::new(1), None)?;
    /// book.ship(&mut ledger, OpId::new(3), t, OrderId::new(1), n, LineId::new(0), Qty::new(2))?;
    /// let err = book.ship(&mut ledger, OpId::new(4), t, OrderId::new(1), n, LineId::new(0), Qty::new(2)).unwrap_err();
    /// assert!(matches!(err, OrderError::ExceedsAllocated { allocated, .. } if allocated == Qty::new(1)));
    /// assert_eq!(ledger.position(n, s)?.on_hand, Qty::new(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn ship(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: NodeId,
        line: LineId,
        qty: Qty,
    ) -> Result<Applied, OrderError> {
        self.hand_over(ledger, op, now, order, Some(node), line, qty)
    }

    /// Confirms that the customer picked up `qty` units of `line` at the
    /// order's pickup node.
    ///
    /// # Errors
    ///
    /// As [`OrderBook::ship`]; [`OrderError::NotAllowed`] when the order is
    /// not a pickup order.
    pub fn pick_up(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        line: LineId,
        qty: Qty,
    ) -> Result<Applied, OrderError> {
        self.hand_over(ledger, op, now, order, None, line, qty)
    }

    #[allow(clippy::too_many_arguments)]
    fn hand_over(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: Option<NodeId>,
        line: LineId,
        qty: Qty,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, _, work| {
            let mut o = open_order(book, work, order)?;
            let pickup = o.method == FulfilmentMethod::StorePickup;
            let node = match (node, o.destination) {
                (Some(n), _) if !pickup => n,
                (None, Destination::Pickup(p)) if pickup => p,
                (Some(_), _) => {
                    return Err(OrderError::NotAllowed {
                        order,
                        reason: "a pickup order is picked up, not shipped",
                    });
                }
                (None, _) => return Err(OrderError::NotAllowed { order, reason: "not a pickup order" }),
            };
            let l = o.line_mut(line)?;
            if qty.is_zero() {
                return Err(zero_qty());
            }
            let allocated = l.fills.iter().find(|f| f.node == node).map_or(Qty::ZERO, |f| f.allocated);
            if qty > allocated {
                return Err(OrderError::ExceedsAllocated { order, line, node, requested: qty, allocated });
            }
            let sku = l.sku;
            if let Some(f) = l.fills.iter_mut().find(|f| f.node == node) {
                f.allocated = sub_qty(f.allocated, qty, "allocated")?;
                f.shipped = add_qty(f.shipped, qty, "shipped")?;
            }
            work.ship(node, sku, qty)?;
            let kind = if pickup {
                OrderEventKind::PickedUp { node, line, qty }
            } else {
                OrderEventKind::Shipped { node, line, qty }
            };
            work.put(o, kind);
            Ok(())
        })
    }

    /// Cancels the whole order: every open and reserved unit (reservations
    /// released). Units already released to fulfilment cannot be cancelled.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::ExceedsCancellable`] when
    /// a line has allocated units, [`OrderError::Ledger`].
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(n, NodeKind::Warehouse)])?, OrderPolicy::new());
    /// # let view = |_: NodeId, _: Sku| Qty::new(5);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(3)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?;
    /// book.cancel(&mut ledger, OpId::new(2), t, OrderId::new(1))?;
    /// assert_eq!(ledger.position(n, s)?.reserved, Qty::ZERO);
    /// let again = book.cancel(&mut ledger, OpId::new(3), t, OrderId::new(1));
    /// assert!(matches!(again, Err(OrderError::OrderClosed { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, ledger, work| {
            let mut o = open_order(book, work, order)?;
            for line in &mut o.lines {
                let allocated = line.allocated();
                if !allocated.is_zero() {
                    return Err(OrderError::ExceedsCancellable {
                        order,
                        line: line.id,
                        requested: line.outstanding(),
                        cancellable: line.cancellable(),
                    });
                }
                let q = line.cancellable();
                cancel_units(work, ledger, line, q)?;
            }
            if o.status == OrderStatus::RiskHold {
                o.status = OrderStatus::Active;
            }
            work.put(o, OrderEventKind::Cancelled);
            Ok(())
        })
    }

    /// Cancels `qty` units of one line: open units first, then reserved
    /// ones (newest reservations first).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::UnknownLine`],
    /// [`OrderError::InvalidOrder`] (zero units),
    /// [`OrderError::ExceedsCancellable`], [`OrderError::Ledger`].
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(n, NodeKind::Warehouse)])?, OrderPolicy::new());
    /// # let view = |_: NodeId, _: Sku| Qty::new(5);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(3)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?;
    /// book.cancel_line(&mut ledger, OpId::new(2), t, OrderId::new(1), LineId::new(0), Qty::new(2))?;
    /// assert_eq!(ledger.position(n, s)?.reserved, Qty::new(1));
    /// let err = book.cancel_line(&mut ledger, OpId::new(3), t, OrderId::new(1), LineId::new(0), Qty::new(2)).unwrap_err();
    /// assert!(matches!(err, OrderError::ExceedsCancellable { cancellable, .. } if cancellable == Qty::new(1)));
    /// let err = book.cancel_line(&mut ledger, OpId::new(3), t, OrderId::new(1), LineId::new(7), Qty::new(1)).unwrap_err();
    /// assert!(matches!(err, OrderError::UnknownLine { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn cancel_line(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        line: LineId,
        qty: Qty,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, ledger, work| {
            let mut o = open_order(book, work, order)?;
            let l = o.line_mut(line)?;
            if qty.is_zero() {
                return Err(zero_qty());
            }
            let cancellable = l.cancellable();
            if qty > cancellable {
                return Err(OrderError::ExceedsCancellable { order, line, requested: qty, cancellable });
            }
            cancel_units(work, ledger, l, qty)?;
            work.put(o, OrderEventKind::LineCancelled { line, qty });
            Ok(())
        })
    }

    /// Modifies an order; only what changed is re-routed: a quantity
    /// increase routes the extra units, a decrease cancels, an added line is
    /// routed alone, a removed line is cancelled, a new destination re-routes
    /// the reserved units (nothing may be released yet).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::UnknownLine`],
    /// [`OrderError::InvalidOrder`], [`OrderError::IneligibleNode`],
    /// [`OrderError::LineReleased`] (touching units allocated or shipped),
    /// [`OrderError::Unfillable`] (by policy), routing and ledger errors.
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(9), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(n, NodeKind::Warehouse)])?, OrderPolicy::new());
    /// # let view = |_: NodeId, _: Sku| Qty::new(9);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(3)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?;
    /// let up = Modification::Quantity { line: LineId::new(0), qty: Qty::new(5) };
    /// book.modify(&mut ledger, &view, OpId::new(2), t, OrderId::new(1), up)?;
    /// assert_eq!(ledger.position(n, s)?.reserved, Qty::new(5));
    /// book.release(&mut ledger, OpId::new(3), t, OrderId::new(1), None)?;
    /// let down = Modification::Quantity { line: LineId::new(0), qty: Qty::new(1) };
    /// let err = book.modify(&mut ledger, &view, OpId::new(4), t, OrderId::new(1), down).unwrap_err();
    /// assert!(matches!(err, OrderError::LineReleased { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn modify<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        change: Modification,
    ) -> Result<Applied, OrderError> {
        let reject = self.policy().get_unfilled() == UnfilledPolicy::Reject;
        self.run(ledger, source.into(), op, now, |book, ledger, work| {
            let mut o = open_order(book, work, order)?;
            let routed = o.status == OrderStatus::Active;
            match &change {
                Modification::Quantity { line, qty } => {
                    let l = o.line_mut(*line)?;
                    let current = sub_qty(l.ordered, l.cancelled, "quantity")?;
                    if *qty > current {
                        let more = sub_qty(*qty, current, "quantity")?;
                        l.ordered = add_qty(l.ordered, more, "ordered")?;
                        l.open = add_qty(l.open, more, "open")?;
                        if routed {
                            book.source(work, &mut o, &[(*line, more)], reject)?;
                        }
                    } else if *qty < current {
                        let less = sub_qty(current, *qty, "quantity")?;
                        if less > l.cancellable() {
                            return Err(OrderError::LineReleased {
                                order,
                                line: *line,
                                released: l.released(),
                            });
                        }
                        cancel_units(work, ledger, l, less)?;
                    }
                }
                Modification::Destination(d) => {
                    validate_destination(o.method, *d)?;
                    if let Some(l) = o.lines.iter().find(|l| !l.released().is_zero()) {
                        return Err(OrderError::LineReleased { order, line: l.id, released: l.released() });
                    }
                    o.destination = *d;
                    check_destination(book, &o)?;
                    for line in &mut o.lines {
                        for h in core::mem::take(&mut line.holds) {
                            work.release(ledger, line.sku, &h)?;
                            line.open = add_qty(line.open, h.qty, "open")?;
                        }
                    }
                    if routed {
                        let demand = all_open(&o);
                        book.source(work, &mut o, &demand, reject)?;
                    }
                }
                Modification::AddLine(spec) => {
                    if spec.qty.is_zero() {
                        return Err(zero_qty());
                    }
                    if spec.unit_price.is_negative() {
                        return Err(OrderError::InvalidOrder {
                            field: "unit_price",
                            reason: "must not be negative",
                        });
                    }
                    if o.line(spec.id).is_some() {
                        return Err(OrderError::InvalidOrder {
                            field: "lines",
                            reason: "a line id appears twice",
                        });
                    }
                    o.lines.push(Line::new(spec));
                    if routed {
                        book.source(work, &mut o, &[(spec.id, spec.qty)], reject)?;
                    }
                }
                Modification::RemoveLine(line) => {
                    let l = o.line_mut(*line)?;
                    if !l.released().is_zero() {
                        return Err(OrderError::LineReleased { order, line: *line, released: l.released() });
                    }
                    let q = l.cancellable();
                    cancel_units(work, ledger, l, q)?;
                }
            }
            if o.status == OrderStatus::RiskHold && o.lines.iter().all(|l| l.outstanding().is_zero()) {
                o.status = OrderStatus::Active;
            }
            work.put(o, OrderEventKind::Modified);
            Ok(())
        })
    }

    /// Expires checkout holds: every order not confirmed whose hold lapsed
    /// at or before `now` is cancelled (its reservations released, unless the
    /// ledger's own `ExpireDue` already expired them) and marked expired.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::Ledger`].
    pub fn expire_holds(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
    ) -> Result<Applied, OrderError> {
        let ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| !o.is_closed() && o.hold_until.is_some_and(|h| h <= now))
            .map(|o| o.id)
            .collect();
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, ledger, work| {
            for id in &ids {
                let mut o = work.take(book, *id)?;
                for line in &mut o.lines {
                    let q = line.cancellable();
                    cancel_units(work, ledger, line, q)?;
                }
                o.status = OrderStatus::Expired;
                work.put(o, OrderEventKind::HoldExpired);
            }
            Ok(())
        })
    }

    /// Records `qty` returned units of a line (returned ≤ shipped). The goods
    /// themselves go through the returns module, which emits the ledger
    /// commands; this keeps the order's accounting.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::UnknownLine`], [`OrderError::InvalidOrder`] (zero),
    /// [`OrderError::ExceedsReturnable`].
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(5), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(n, NodeKind::Warehouse)])?, OrderPolicy::new());
    /// # let view = |_: NodeId, _: Sku| Qty::new(5);
    /// # let spec = OrderSpec::new(OrderId::new(1), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(1)));
    /// book.place(&mut ledger, &view, OpId::new(1), t, spec)?;
    /// let err = book.record_return(&mut ledger, OpId::new(2), t, OrderId::new(1), LineId::new(0), Qty::new(1));
    /// assert!(matches!(err, Err(OrderError::ExceedsReturnable { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn record_return(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        line: LineId,
        qty: Qty,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, _, work| {
            let mut o = work.take(book, order)?;
            let l = o.line_mut(line)?;
            if qty.is_zero() {
                return Err(zero_qty());
            }
            let returnable = l.shipped().saturating_sub(l.returned);
            if qty > returnable {
                return Err(OrderError::ExceedsReturnable { order, line, requested: qty, returnable });
            }
            l.returned = add_qty(l.returned, qty, "returned")?;
            work.put(o, OrderEventKind::Returned { line, qty });
            Ok(())
        })
    }
}
