//! Operations on units already released to fulfilment (allocated, not yet
//! shipped): cancellation, a short pick found after release, and a node
//! rejecting its released pick. Each uses the ledger's `Deallocate`.

use super::book::Work;
use super::ops::{NONE, add_qty, exclude, open_order, sub_qty, unhold_node, zero_qty};
use super::{Applied, Line, OpId, OrderBook, OrderError, OrderEventKind};
use crate::ledger::Ledger;
use crate::model::{LineId, NodeId, OrderId, Qty, Timestamp};

/// Units of `line` allocated at `node`.
fn allocated_at(line: &Line, node: NodeId) -> Qty {
    line.fills.iter().find(|f| f.node == node).map_or(Qty::ZERO, |f| f.allocated)
}

/// Takes `qty` out of the line's allocation at `node` (the caller checked
/// it is there), deallocating it in the ledger; a fill left empty is removed.
fn deallocate(work: &mut Work<'_>, line: &mut Line, node: NodeId, qty: Qty) -> Result<(), OrderError> {
    let Ok(i) = line.fills.binary_search_by_key(&node, |f| f.node) else {
        return Err(OrderError::InvariantBroken { what: "fill" });
    };
    let Some(f) = line.fills.get_mut(i) else {
        return Err(OrderError::InvariantBroken { what: "fill" });
    };
    f.allocated = sub_qty(f.allocated, qty, "allocated")?;
    if f.allocated.is_zero() && f.shipped.is_zero() {
        line.fills.remove(i);
    }
    work.deallocate(node, line.sku, qty)
}

impl OrderBook {
    /// Cancels `qty` units of `line` that were released to `node` but not
    /// shipped: the ledger deallocates them (they are available again) and
    /// the line counts them as cancelled. To cancel a whole order after
    /// release, cancel its allocated units per node, then
    /// [`cancel`](OrderBook::cancel) the rest.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::UnknownLine`],
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
    /// book.cancel_allocated(&mut ledger, OpId::new(3), t, OrderId::new(1), n, LineId::new(0), Qty::new(2))?;
    /// assert_eq!(ledger.position(n, s)?.allocated, Qty::new(1));
    /// assert_eq!(ledger.position(n, s)?.available(), Qty::new(4));
    /// let err = book.cancel_allocated(&mut ledger, OpId::new(4), t, OrderId::new(1), n, LineId::new(0), Qty::new(2));
    /// assert!(matches!(err, Err(OrderError::ExceedsAllocated { allocated, .. }) if allocated == Qty::new(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn cancel_allocated(
        &mut self,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: NodeId,
        line: LineId,
        qty: Qty,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, super::Sourcing::new(NONE), op, now, |book, _, work| {
            let mut o = open_order(book, work, order)?;
            let l = o.line_mut(line)?;
            if qty.is_zero() {
                return Err(zero_qty());
            }
            let allocated = allocated_at(l, node);
            if qty > allocated {
                return Err(OrderError::ExceedsAllocated { order, line, node, requested: qty, allocated });
            }
            deallocate(work, l, node, qty)?;
            l.cancelled = add_qty(l.cancelled, qty, "cancelled")?;
            work.put(o, OrderEventKind::AllocatedCancelled { node, line, qty });
            Ok(())
        })
    }

    /// A short pick found after release: `node` holds only some of the
    /// units allocated to it for `line`, `missing` are not there. The
    /// missing units are deallocated and, with `write_off`, taken off the
    /// node's on-hand as shrinkage (`Deallocate` + `Adjust`, one batch);
    /// the node is excluded for this order and the missing units are
    /// re-sourced elsewhere. The node's other allocations and every other
    /// reservation stay. Units no other node can supply stay open (listed
    /// in `unfilled`).
    ///
    /// Without `write_off` the units stay on the node's books (the host
    /// counts the shelf later). The write-off cannot uncover other claims
    /// unless the position is backordered (claims beyond on-hand), in which
    /// case the ledger refuses it ([`OrderError::Ledger`]) and nothing changes.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::UnknownLine`],
    /// [`OrderError::InvalidOrder`] (zero units),
    /// [`OrderError::ExceedsAllocated`], routing and ledger errors.
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
    /// book.release(&mut ledger, OpId::new(2), t, OrderId::new(1), None)?;
    /// // The picker finds only 1 of the 3: 2 are gone.
    /// book.short_pick_released(&mut ledger, &view, OpId::new(3), t, OrderId::new(1), a, LineId::new(0), Qty::new(2), true)?;
    /// let at_a = ledger.position(a, s)?;
    /// assert_eq!((at_a.on_hand, at_a.allocated), (Qty::new(3), Qty::new(1)));
    /// assert_eq!(ledger.position(b, s)?.reserved, Qty::new(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn short_pick_released<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        order: OrderId,
        node: NodeId,
        line: LineId,
        missing: Qty,
        write_off: bool,
    ) -> Result<Applied, OrderError> {
        self.run(ledger, source.into(), op, now, |book, _, work| {
            let mut o = open_order(book, work, order)?;
            let l = o.line_mut(line)?;
            if missing.is_zero() {
                return Err(zero_qty());
            }
            let allocated = allocated_at(l, node);
            if missing > allocated {
                return Err(OrderError::ExceedsAllocated {
                    order,
                    line,
                    node,
                    requested: missing,
                    allocated,
                });
            }
            deallocate(work, l, node, missing)?;
            if write_off {
                work.write_off(node, l.sku, missing)?;
            }
            l.open = add_qty(l.open, missing, "open")?;
            exclude(&mut o, node);
            book.source(work, &mut o, &[(line, missing)], false)?;
            work.put(o, OrderEventKind::ReleasedShortPicked { node, line, missing, written_off: write_off });
            Ok(())
        })
    }

    /// A node rejects the pick released to it: every unit of the order
    /// allocated there is deallocated, every unit reserved there released,
    /// the node is excluded for this order and all of it is re-sourced
    /// elsewhere; other nodes' allocations and reservations stay. Units no
    /// other node can supply stay open (listed in `unfilled`).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], [`OrderError::UnknownOrder`],
    /// [`OrderError::OrderClosed`], [`OrderError::NotAllowed`] (nothing
    /// allocated or reserved at the node), routing and ledger errors.
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
    /// book.release(&mut ledger, OpId::new(2), t, OrderId::new(1), None)?;
    /// book.reject_released(&mut ledger, &view, OpId::new(3), t, OrderId::new(1), a)?;
    /// assert_eq!(ledger.position(a, s)?.available(), Qty::new(5));
    /// assert_eq!(ledger.position(b, s)?.reserved, Qty::new(3));
    /// let err = book.reject_released(&mut ledger, &view, OpId::new(4), t, OrderId::new(1), a);
    /// assert!(matches!(err, Err(OrderError::NotAllowed { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reject_released<'s>(
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
            let released = unhold_node(work, ledger, &mut o, node)?;
            let mut demand = Vec::new();
            for l in &mut o.lines {
                let mut q = released.iter().find(|(id, _)| *id == l.id).map_or(Qty::ZERO, |(_, q)| *q);
                let here = allocated_at(l, node);
                if !here.is_zero() {
                    deallocate(work, l, node, here)?;
                    l.open = add_qty(l.open, here, "open")?;
                    q = add_qty(q, here, "open")?;
                }
                if !q.is_zero() {
                    demand.push((l.id, q));
                }
            }
            if demand.is_empty() {
                return Err(OrderError::NotAllowed {
                    order,
                    reason: "nothing allocated or reserved at the node",
                });
            }
            exclude(&mut o, node);
            book.source(work, &mut o, &demand, false)?;
            work.put(o, OrderEventKind::ReleasedRejected { node });
            Ok(())
        })
    }
}
