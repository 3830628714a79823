//! The order book and the machinery every operation shares: the draft, the
//! availability view, routing a demand, and the validate–apply–retry loop.

use std::collections::BTreeMap;

use super::{
    Applied, Destination, Network, OpId, Order, OrderError, OrderEvent, OrderEventKind, OrderPolicy, Unfilled,
};
use crate::ledger::{BatchRejection, Command, CommandKind, Ledger, LedgerError, Resolution};
use crate::model::{FulfilmentMethod, LineId, NodeId, OrderId, Qty, Sku, Timestamp};
use crate::routing::{Availability, OrderLine, Plan, PlanStatus, RouteOptions, RoutingProblem, Rules};

/// Every fulfilment order, the network and the policy.
///
/// Each operation validates fully, routes on a draft, then applies its
/// ledger commands as **one atomic batch** to the `&mut Ledger` it is given
/// ([`Ledger::apply_batch`]), and only when the batch succeeds writes the
/// drafts back to the book. A rejected operation therefore changes neither
/// the book nor the ledger. If the batch is rejected because a `Reserve`
/// found less stock than the host's availability view promised
/// (availability changed underneath), the operation caps that position at
/// the ledger's figure and routes again, at most
/// [`OrderPolicy::max_attempts`] times.
///
/// Ledger entry ids are derived from the caller's [`OpId`] ([`OpId::entry`]);
/// op ids must strictly increase.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BookRepr", into = "BookRepr"))]
pub struct OrderBook {
    pub(crate) network: Network,
    pub(crate) policy: OrderPolicy,
    pub(crate) orders: BTreeMap<OrderId, Order>,
    pub(crate) last_op: Option<OpId>,
}

/// The serialised form of an [`OrderBook`], checked on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct BookRepr {
    network: Network,
    policy: OrderPolicy,
    orders: Vec<Order>,
    last_op: Option<OpId>,
}

#[cfg(feature = "serde")]
impl TryFrom<BookRepr> for OrderBook {
    type Error = OrderError;
    fn try_from(r: BookRepr) -> Result<Self, OrderError> {
        let mut b = Self::new(r.network, r.policy);
        for o in r.orders {
            if b.orders.insert(o.id, o.clone()).is_some() {
                return Err(OrderError::DuplicateOrder { order: o.id });
            }
        }
        b.last_op = r.last_op;
        b.check_invariants()?;
        Ok(b)
    }
}

#[cfg(feature = "serde")]
impl From<OrderBook> for BookRepr {
    fn from(b: OrderBook) -> Self {
        Self {
            network: b.network,
            policy: b.policy,
            orders: b.orders.into_values().collect(),
            last_op: b.last_op,
        }
    }
}

/// The host's availability view, less what this attempt has reserved, plus
/// what it has released, capped by the ledger's figures where a previous
/// attempt found the view stale.
pub(crate) struct View<'a> {
    base: &'a dyn Availability,
    caps: &'a BTreeMap<(NodeId, Sku), u64>,
    taken: BTreeMap<(NodeId, Sku), u64>,
    given: BTreeMap<(NodeId, Sku), u64>,
}

impl Availability for View<'_> {
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        let k = (node, sku);
        let mut a = self.base.available(node, sku).get();
        if let Some(c) = self.caps.get(&k) {
            a = a.min(*c);
        }
        a = a.saturating_add(self.given.get(&k).copied().unwrap_or(0));
        Qty::new(a.saturating_sub(self.taken.get(&k).copied().unwrap_or(0)))
    }
}

/// One attempt of one operation: drafts, commands, events.
pub(crate) struct Work<'a> {
    pub(crate) op: OpId,
    pub(crate) now: Timestamp,
    seq: u32,
    pre: Vec<Command>,
    post: Vec<Command>,
    drafts: BTreeMap<OrderId, Order>,
    touched: Vec<(OrderId, OrderEventKind)>,
    pub(crate) unfilled: Vec<Unfilled>,
    plans: Vec<(OrderId, Plan)>,
    pub(crate) view: View<'a>,
    router: &'a dyn super::Router,
}

impl<'a> Work<'a> {
    fn new(
        op: OpId,
        now: Timestamp,
        source: super::Sourcing<'a>,
        caps: &'a BTreeMap<(NodeId, Sku), u64>,
    ) -> Self {
        Self {
            op,
            now,
            seq: 0,
            pre: Vec::new(),
            post: Vec::new(),
            drafts: BTreeMap::new(),
            touched: Vec::new(),
            unfilled: Vec::new(),
            plans: Vec::new(),
            view: View {
                base: source.get_availability(),
                caps,
                taken: BTreeMap::new(),
                given: BTreeMap::new(),
            },
            router: source.get_router(),
        }
    }

    fn entry(&mut self) -> Result<crate::model::EntryId, OrderError> {
        let e = self.op.entry(self.seq)?;
        self.seq = self.seq.checked_add(1).ok_or(OrderError::Overflow { what: "commands per operation" })?;
        Ok(e)
    }

    /// The draft of an order (the book's copy the first time), taken out
    /// of the work; give it back with [`Work::put`].
    pub(crate) fn take(&mut self, book: &OrderBook, id: OrderId) -> Result<Order, OrderError> {
        match self.drafts.remove(&id) {
            Some(o) => Ok(o),
            None => book.orders.get(&id).cloned().ok_or(OrderError::UnknownOrder { order: id }),
        }
    }

    /// Returns a draft, recording what happened to it (the first kind given
    /// for an order is kept).
    pub(crate) fn put(&mut self, order: Order, kind: OrderEventKind) {
        if !self.touched.iter().any(|(id, _)| *id == order.id) {
            self.touched.push((order.id, kind));
        }
        self.drafts.insert(order.id, order);
    }

    /// Releases a hold: `Release` (unless the ledger already resolved it,
    /// e.g. by its own `ExpireDue`), units free again for this attempt.
    pub(crate) fn release(
        &mut self,
        ledger: &Ledger,
        sku: Sku,
        h: &super::LineHold,
    ) -> Result<(), OrderError> {
        if ledger.reservation(h.reservation).is_some() {
            let e = self.entry()?;
            self.pre.push(Command::new(e, CommandKind::Release { reservation: h.reservation }));
        }
        add(&mut self.view.given, (h.node, sku), h.qty.get());
        Ok(())
    }

    /// Counts `qty` at (node, SKU) as free for this attempt (or, with
    /// `back`, no longer free) without a command.
    pub(crate) fn give(&mut self, node: NodeId, sku: Sku, qty: Qty, back: bool) {
        if back {
            if let Some(v) = self.view.given.get_mut(&(node, sku)) {
                *v = v.saturating_sub(qty.get());
            }
        } else {
            add(&mut self.view.given, (node, sku), qty.get());
        }
    }

    /// A `Release` command only (the units were already given).
    pub(crate) fn release_command(&mut self, ledger: &Ledger, h: &super::LineHold) -> Result<(), OrderError> {
        if ledger.reservation(h.reservation).is_some() {
            let e = self.entry()?;
            self.pre.push(Command::new(e, CommandKind::Release { reservation: h.reservation }));
        }
        Ok(())
    }

    /// Commits `qty` of a hold (the rest is released by the ledger).
    pub(crate) fn commit(&mut self, sku: Sku, h: &super::LineHold, qty: Qty) -> Result<(), OrderError> {
        let e = self.entry()?;
        self.pre.push(Command::new(e, CommandKind::Commit { reservation: h.reservation, qty }));
        add(&mut self.view.given, (h.node, sku), h.qty.get().saturating_sub(qty.get()));
        Ok(())
    }

    /// Ships allocated units.
    pub(crate) fn ship(&mut self, node: NodeId, sku: Sku, qty: Qty) -> Result<(), OrderError> {
        let e = self.entry()?;
        self.pre.push(Command::new(e, CommandKind::Ship { node, sku, qty }));
        Ok(())
    }

    /// Returns allocated units to available (`Deallocate`).
    pub(crate) fn deallocate(&mut self, node: NodeId, sku: Sku, qty: Qty) -> Result<(), OrderError> {
        let e = self.entry()?;
        self.pre.push(Command::new(e, CommandKind::Deallocate { node, sku, qty }));
        Ok(())
    }

    /// Writes units off the node's on-hand as shrinkage (`Adjust`).
    pub(crate) fn write_off(&mut self, node: NodeId, sku: Sku, qty: Qty) -> Result<(), OrderError> {
        let e = self.entry()?;
        self.pre.push(Command::new(
            e,
            CommandKind::Adjust {
                node,
                sku,
                bucket: crate::ledger::Bucket::OnHand,
                direction: crate::ledger::Direction::Decrease,
                qty,
                reason: crate::ledger::AdjustReason::Shrinkage,
            },
        ));
        Ok(())
    }

    /// Reserves `qty` at `node` for `line` (moving units out of open when
    /// `from_open`).
    pub(crate) fn reserve(
        &mut self,
        line: &mut super::Line,
        node: NodeId,
        qty: Qty,
        expires_at: Option<Timestamp>,
    ) -> Result<(), OrderError> {
        let e = self.entry()?;
        self.post.push(Command::new(e, CommandKind::Reserve { node, sku: line.sku, qty, expires_at }));
        line.holds.push(super::LineHold { node, reservation: e, qty, expires_at });
        add(&mut self.view.taken, (node, line.sku), qty.get());
        Ok(())
    }

    fn commands(&self) -> Vec<Command> {
        let mut v = Vec::with_capacity(self.pre.len().saturating_add(self.post.len()));
        v.extend(self.pre.iter().cloned());
        v.extend(self.post.iter().cloned());
        v
    }
}

fn add(m: &mut BTreeMap<(NodeId, Sku), u64>, k: (NodeId, Sku), q: u64) {
    if q > 0 {
        let e = m.entry(k).or_insert(0);
        *e = e.saturating_add(q);
    }
}

impl OrderBook {
    /// An empty book over `network` with `policy`.
    ///
    /// ```
    /// use omniroute::order::{Network, OrderBook, OrderPolicy};
    /// let book = OrderBook::new(Network::default(), OrderPolicy::new());
    /// assert_eq!(book.orders().count(), 0);
    /// ```
    #[must_use]
    pub fn new(network: Network, policy: OrderPolicy) -> Self {
        Self { network, policy, orders: BTreeMap::new(), last_op: None }
    }

    /// The network.
    #[must_use]
    pub const fn network(&self) -> &Network {
        &self.network
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &OrderPolicy {
        &self.policy
    }

    /// Every order, by id.
    pub fn orders(&self) -> impl Iterator<Item = &Order> + '_ {
        self.orders.values()
    }

    /// The last applied operation id: the last operation that changed
    /// something (an operation with no order event and no ledger command,
    /// such as `expire_holds` with nothing due, does not use up its id), so
    /// [`OrderBook::apply_events`] rebuilds it exactly.
    #[must_use]
    pub const fn last_op(&self) -> Option<OpId> {
        self.last_op
    }

    /// One order.
    ///
    /// # Errors
    ///
    /// [`OrderError::UnknownOrder`].
    pub fn order(&self, id: OrderId) -> Result<&Order, OrderError> {
        self.orders.get(&id).ok_or(OrderError::UnknownOrder { order: id })
    }

    /// Whether `op` may be applied next (op ids strictly increase).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`].
    ///
    /// ```
    /// use omniroute::order::{OpId, OrderBook, OrderError};
    /// use omniroute::ledger::Ledger;
    /// use omniroute::{OrderId, Timestamp};
    /// let (mut book, mut ledger) = (OrderBook::default(), Ledger::new());
    /// let none = |_: omniroute::NodeId, _: omniroute::Sku| omniroute::Qty::ZERO;
    /// let _ = book.cancel(&mut ledger, OpId::new(5), Timestamp::EPOCH, OrderId::new(1));
    /// assert!(book.check_op(OpId::new(5)).is_ok()); // a rejected operation does not use its id
    /// ```
    pub fn check_op(&self, op: OpId) -> Result<(), OrderError> {
        match self.last_op {
            Some(last) if op <= last => Err(OrderError::StaleOperation { op, last }),
            _ => Ok(()),
        }
    }

    /// Checks every order's accounting and that no reservation id is held
    /// twice.
    ///
    /// # Errors
    ///
    /// [`OrderError::InvariantBroken`] naming the broken invariant.
    ///
    /// ```
    /// assert!(omniroute::order::OrderBook::default().check_invariants().is_ok());
    /// ```
    pub fn check_invariants(&self) -> Result<(), OrderError> {
        let mut ids = Vec::new();
        for (id, o) in &self.orders {
            if *id != o.id {
                return Err(OrderError::InvariantBroken { what: "order key" });
            }
            o.check()?;
            ids.extend(o.lines.iter().flat_map(|l| l.holds.iter().map(|h| h.reservation)));
        }
        ids.sort_unstable();
        if ids.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(OrderError::InvariantBroken { what: "reservation held twice" });
        }
        Ok(())
    }

    /// Checks the book against the ledger: every hold is a live ledger
    /// reservation of the same node, SKU and quantity — or a checkout hold
    /// (one with an expiry) that the ledger's own `ExpireDue` already
    /// expired, which [`OrderBook::expire_holds`] has not settled yet.
    ///
    /// Units the book has allocated (released to fulfilment, not yet shipped)
    /// at a position are allocated in the ledger too: the ledger may hold
    /// more (a host's own allocations), never less.
    ///
    /// # Errors
    ///
    /// [`OrderError::InvariantBroken`] `"hold not in ledger"` for the first hold
    /// that does not match, `"allocated units not in ledger"` for the first
    /// position where the ledger has fewer allocated units than the book.
    ///
    /// # Complexity
    ///
    /// O(h + f log f) for h holds and f fills in the book.
    pub fn check_against(&self, ledger: &Ledger) -> Result<(), OrderError> {
        let mut allocated: BTreeMap<(NodeId, Sku), Qty> = BTreeMap::new();
        for o in self.orders.values() {
            for l in &o.lines {
                for f in l.fills.iter().filter(|f| !f.allocated.is_zero()) {
                    let a = allocated.entry((f.node, l.sku)).or_insert(Qty::ZERO);
                    *a =
                        a.checked_add(f.allocated).map_err(|_| OrderError::Overflow { what: "allocated" })?;
                }
                for h in &l.holds {
                    match ledger.reservation(h.reservation) {
                        Some(r) if r.node == h.node && r.sku == l.sku && r.qty == h.qty => {}
                        None if h.expires_at.is_some()
                            && ledger.resolution(h.reservation) == Some(Resolution::Expired) => {}
                        _ => return Err(OrderError::InvariantBroken { what: "hold not in ledger" }),
                    }
                }
            }
        }
        for ((node, sku), qty) in allocated {
            if ledger.position(node, sku).map_or(true, |p| p.allocated < qty) {
                return Err(OrderError::InvariantBroken { what: "allocated units not in ledger" });
            }
        }
        Ok(())
    }

    /// Applies persisted order events (each carries the order after its
    /// operation) onto this book: a snapshot plus the events after it
    /// rebuilds the live book.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`] for an event before the book's last
    /// operation (events of one operation share its id), and the accounting
    /// errors of [`Order::check`] for an event whose order is inconsistent;
    /// the book is then unchanged.
    pub fn apply_events(&mut self, events: &[OrderEvent]) -> Result<(), OrderError> {
        let mut last = self.last_op;
        for e in events {
            e.order.check()?;
            if let Some(l) = last {
                // Equal ids are the several events of one operation.
                if e.op < l {
                    return Err(OrderError::StaleOperation { op: e.op, last: l });
                }
            }
            last = Some(e.op);
        }
        for e in events {
            self.orders.insert(e.order.id, e.order.clone());
            self.last_op = Some(e.op);
        }
        Ok(())
    }

    /// The nodes that may ship `order` now: eligible for its channel and
    /// method, not excluded for it, and for pickup only the pickup node.
    pub(crate) fn candidates(&self, order: &Order) -> Vec<crate::model::Node> {
        self.network
            .nodes()
            .iter()
            .filter(|n| self.network.eligible_node(order.channel, order.method, n))
            .filter(|n| !order.excluded.contains(&n.id))
            .filter(|n| match order.destination {
                Destination::Pickup(p) => n.id == p,
                _ => true,
            })
            .cloned()
            .collect()
    }

    pub(crate) fn problem(
        &self,
        order: &Order,
        lines: Vec<OrderLine>,
        max_shipments: Option<u32>,
    ) -> RoutingProblem {
        let rules = Rules::new()
            .split_lines(self.policy.get_split_lines())
            .max_shipments(max_shipments)
            .unfilled_unit_penalty(Some(self.policy.get_unfilled_unit_penalty()));
        let (dest, pickup) = match order.destination {
            Destination::Address(l) => (Some(l), None),
            Destination::Pickup(n) => (None, Some(n)),
            Destination::Unknown => (None, None),
        };
        RoutingProblem::new(self.candidates(order), lines)
            .with_rules(rules)
            .with_destination(dest)
            .with_deliver_within_days(order.deliver_within_days)
            .with_pickup_at(pickup)
    }

    /// Routes `problem` with the operation's router over its view, and
    /// checks the plan ([`super::router`]).
    pub(crate) fn route(
        &self,
        order: &Order,
        problem: &RoutingProblem,
        work: &Work<'_>,
    ) -> Result<Plan, OrderError> {
        let name = work.router.name();
        if problem.lines.is_empty() {
            return Ok(Plan::infeasible(name));
        }
        if problem.nodes.is_empty() {
            let mut p = Plan::infeasible(name);
            p.unfilled = problem
                .lines
                .iter()
                .map(|l| crate::routing::LineQty { line: l.id, quantity: l.quantity })
                .collect();
            return Ok(p);
        }
        let opts = RouteOptions::new().max_node_sets(self.policy.get_max_node_sets());
        let mut plan = work
            .router
            .route(order, problem, &work.view, &opts)
            .map_err(|error| OrderError::Routing { order: order.id, error })?;
        super::router::check_plan(order, problem, &work.view, &mut plan)?;
        if plan.status == PlanStatus::Infeasible {
            plan.unfilled = problem
                .lines
                .iter()
                .map(|l| crate::routing::LineQty { line: l.id, quantity: l.quantity })
                .collect();
        }
        Ok(plan)
    }

    /// Routes `demand` (units of lines, moved out of `open`) for `order` and
    /// reserves the plan. Units the plan leaves unfilled stay open; with
    /// `reject_unfilled` they are [`OrderError::Unfillable`] instead.
    pub(crate) fn source(
        &self,
        work: &mut Work<'_>,
        order: &mut Order,
        demand: &[(LineId, Qty)],
        reject_unfilled: bool,
    ) -> Result<(), OrderError> {
        if order.hold_until.is_some_and(|h| h <= work.now) {
            // A lapsed checkout hold: nothing more is reserved for it; the
            // units stay open until `expire_holds` cancels them.
            if reject_unfilled {
                return Err(OrderError::NotAllowed {
                    order: order.id,
                    reason: "the checkout hold has lapsed",
                });
            }
            for (id, q) in demand.iter().filter(|(_, q)| !q.is_zero()) {
                work.unfilled.push(Unfilled { order: order.id, line: *id, qty: *q });
            }
            return Ok(());
        }
        let mut problem = self.problem(order, Vec::new(), self.policy.get_max_shipments());
        // Units beyond what the eligible nodes hold in total cannot ship:
        // they are left unfilled here rather than by the router, whose exact
        // search is much slower when it must prove a shortfall optimal.
        let window = problem.deliver_within_days;
        let in_window =
            |n: &crate::model::Node| !matches!((window, n.transit_days), (Some(w), Some(t)) if t > w);
        let mut claimed: BTreeMap<Sku, u64> = BTreeMap::new();
        let mut short = Vec::new();
        for (id, q) in demand {
            if q.is_zero() {
                continue;
            }
            let l = order.line(*id).ok_or(OrderError::UnknownLine { order: order.id, line: *id })?;
            let supply = problem
                .nodes
                .iter()
                .filter(|n| in_window(n))
                .fold(0u64, |a, n| a.saturating_add(work.view.available(n.id, l.sku).get()));
            let used = claimed.entry(l.sku).or_insert(0);
            let take = q.get().min(supply.saturating_sub(*used));
            *used = used.saturating_add(take);
            if take < q.get() {
                short.push(crate::routing::LineQty {
                    line: l.id,
                    quantity: Qty::new(q.get().saturating_sub(take)),
                });
            }
            if take > 0 {
                problem.lines.push(OrderLine::new(l.id, l.sku, Qty::new(take)));
            }
        }
        if let (Some(u), true) = (short.first(), reject_unfilled) {
            return Err(OrderError::Unfillable { order: order.id, line: u.line, short: u.quantity });
        }
        let mut plan = self.route(order, &problem, work)?;
        plan.unfilled.extend(short);
        self.reserve_plan(work, order, &plan, reject_unfilled)
    }

    pub(crate) fn reserve_plan(
        &self,
        work: &mut Work<'_>,
        order: &mut Order,
        plan: &Plan,
        reject_unfilled: bool,
    ) -> Result<(), OrderError> {
        if let Some(u) = plan.unfilled.first() {
            if reject_unfilled {
                return Err(OrderError::Unfillable { order: order.id, line: u.line, short: u.quantity });
            }
        }
        for u in &plan.unfilled {
            work.unfilled.push(Unfilled { order: order.id, line: u.line, qty: u.quantity });
        }
        work.plans.push((order.id, plan.clone()));
        let expires = order.hold_until;
        for s in &plan.shipments {
            for lq in &s.lines {
                let line = order.line_mut(lq.line)?;
                line.open =
                    line.open.checked_sub(lq.quantity).map_err(|_| OrderError::Overflow { what: "open" })?;
                work.reserve(line, s.node, lq.quantity, expires)?;
            }
        }
        Ok(())
    }

    /// Validates, plans on drafts, applies the batch, retries on stale
    /// availability, writes back.
    pub(crate) fn run<F>(
        &mut self,
        ledger: &mut Ledger,
        source: super::Sourcing<'_>,
        op: OpId,
        now: Timestamp,
        mut plan: F,
    ) -> Result<Applied, OrderError>
    where
        F: FnMut(&Self, &Ledger, &mut Work<'_>) -> Result<(), OrderError>,
    {
        self.check_op(op)?;
        let attempts = self.policy.get_max_attempts().max(1);
        let mut caps: BTreeMap<(NodeId, Sku), u64> = BTreeMap::new();
        let mut attempt = 0u32;
        while attempt < attempts {
            attempt = attempt.saturating_add(1);
            let (cmds, drafts, touched, unfilled, plans) = {
                let mut work = Work::new(op, now, source, &caps);
                plan(self, ledger, &mut work)?;
                (work.commands(), work.drafts, work.touched, work.unfilled, work.plans)
            };
            match ledger.apply_batch(&cmds, now) {
                Ok(outcomes) => {
                    let mut events = Vec::with_capacity(touched.len());
                    let mut drafts = drafts;
                    for (id, kind) in touched {
                        if let Some(mut o) = drafts.remove(&id) {
                            o.settle();
                            events.push(OrderEvent { op, at: now, kind, order: o.clone() });
                            self.orders.insert(id, o);
                        }
                    }
                    // An operation that changed nothing (no order event, no
                    // ledger command) leaves no trace, so it does not use up
                    // its op id: `apply_events` then rebuilds `last_op` exactly.
                    if !events.is_empty() || !cmds.is_empty() {
                        self.last_op = Some(op);
                    }
                    return Ok(Applied {
                        events,
                        ledger_events: outcomes.into_iter().map(crate::ledger::Outcome::into_event).collect(),
                        unfilled,
                        plans,
                        attempts: attempt,
                    });
                }
                Err(BatchRejection { index, error: LedgerError::Insufficient { node, sku, .. } })
                    if matches!(cmds.get(index).map(|c| &c.kind), Some(CommandKind::Reserve { .. })) =>
                {
                    let now_available = ledger.position(node, sku).map_or(0, |p| p.available().get());
                    caps.insert((node, sku), now_available);
                }
                Err(BatchRejection { index, error }) => return Err(OrderError::Ledger { index, error }),
            }
        }
        Err(OrderError::StaleAvailability { attempts })
    }
}

/// The fulfilment method's pickup node, validated against the network.
pub(crate) fn check_destination(book: &OrderBook, order: &Order) -> Result<(), OrderError> {
    super::state::validate_destination(order.method, order.destination)?;
    if let Destination::Pickup(n) = order.destination {
        if !book.network.eligible(order.channel, FulfilmentMethod::StorePickup, n) {
            return Err(OrderError::IneligibleNode { order: order.id, node: n });
        }
    }
    Ok(())
}
