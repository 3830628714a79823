//! The per-order step through the order lifecycle: an [`OrderBook`] over the
//! ledger, promising through ATP views, routing the scenario's zone problem.

use std::cell::Cell;

use super::fulfil::{Fulfiller, Placement, Units};
use super::{Scenario, SimError, SimOrder};
use crate::atp::{AtpChange, AtpPolicy, AtpViews, ChannelView};
use crate::ledger::{Command, Event, Ledger, Outcome};
use crate::model::Money;
use crate::model::{ChannelId, FulfilmentMethod, NodeId, NodeKind, OrderId, Qty, Sku, Timestamp};
use crate::order::{
    Applied, Destination, LineSpec, Network, OpId, Order, OrderBook, OrderError, OrderPolicy, OrderSpec,
    Router, Sourcing, UnfilledPolicy,
};
use crate::routing::{
    Availability, LineQty, Plan, PlanStatus, RouteOptions, RoutingError, RoutingProblem, Strategy,
};

impl Scenario {
    /// The order module's [`Network`] for this scenario: its nodes (with
    /// their zone-independent costs; routing prices by zone through
    /// [`OrderFulfiller`]'s router) and the eligibility its routing problems
    /// and [`Scenario::atp_policy`] allow:
    ///
    /// | method | node kinds |
    /// | --- | --- |
    /// | ship | warehouse, store, dark store, vendor |
    /// | store pickup | store (the zone's pickup store) |
    /// | same day | store, dark store |
    ///
    /// # Errors
    ///
    /// [`SimError::Order`] if a node id repeats (not reachable with a
    /// generated scenario).
    ///
    /// ```
    /// use omniroute::sim::{Scenario, ScenarioParams};
    /// use omniroute::{ChannelId, FulfilmentMethod, NodeId};
    /// let s = Scenario::generate(&ScenarioParams::new().orders(10).skus(50).stores(3))?;
    /// let net = s.order_network()?;
    /// // Node 0 is a warehouse: it ships, but takes no pickups.
    /// assert!(net.eligible(ChannelId::new(0), FulfilmentMethod::Ship, NodeId::new(0)));
    /// assert!(!net.eligible(ChannelId::new(0), FulfilmentMethod::StorePickup, NodeId::new(0)));
    /// # Ok::<(), omniroute::sim::SimError>(())
    /// ```
    pub fn order_network(&self) -> Result<Network, SimError> {
        let nodes = self.nodes().iter().map(|n| n.node.clone()).collect();
        let net = Network::new(nodes).map_err(|error| SimError::Order { step: "network", error })?;
        Ok(net
            .with_method_kinds(
                FulfilmentMethod::Ship,
                &[NodeKind::Warehouse, NodeKind::Store, NodeKind::DarkStore, NodeKind::Vendor],
            )
            .with_method_kinds(FulfilmentMethod::StorePickup, &[NodeKind::Store])
            .with_method_kinds(FulfilmentMethod::SameDay, &[NodeKind::Store, NodeKind::DarkStore]))
    }
}

/// Routes the scenario's zone problem of one order with the run's strategy:
/// the book's candidate nodes and line quantities, the zone's costs and
/// transit days, the order's capabilities, rules and penalty.
struct ZoneRouter<'a> {
    zone: &'a RoutingProblem,
    strategy: &'a dyn Strategy,
    options: &'a RouteOptions,
    /// Units the last call was asked to route (`None`: not called).
    asked: Cell<Option<u64>>,
}

/// A plan that ships nothing: every line of `problem` unfilled at `penalty`
/// per unit.
fn nothing_ships(name: &str, problem: &RoutingProblem, penalty: Money) -> Result<Plan, RoutingError> {
    let mut plan = Plan::infeasible(name);
    let mut units = 0_u64;
    for l in &problem.lines {
        units = units.checked_add(l.quantity.get()).ok_or(RoutingError::Overflow { what: "penalty" })?;
        plan.unfilled.push(LineQty { line: l.id, quantity: l.quantity });
    }
    plan.unfilled.sort_by_key(|u| u.line);
    plan.cost = Some(
        penalty.checked_mul_qty(Qty::new(units)).map_err(|_| RoutingError::Overflow { what: "penalty" })?,
    );
    plan.status = PlanStatus::Optimal;
    Ok(plan)
}

impl Router for ZoneRouter<'_> {
    fn name(&self) -> &str {
        self.strategy.name()
    }

    fn route(
        &self,
        order: &Order,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        _options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        let z = self.zone;
        // The book leaves out units no candidate node holds before it
        // routes. A ship-complete order (every unit from one node, or none)
        // missing any unit therefore ships nothing — as the whole zone
        // problem would decide.
        let short = order.lines.iter().any(|l| {
            let asked = problem
                .lines
                .iter()
                .filter(|p| p.id == l.id)
                .fold(0_u64, |a, p| a.saturating_add(p.quantity.get()));
            asked < l.open.get()
        });
        if short && z.rules.get_ship_complete() {
            if let Some(penalty) = z.rules.get_unfilled_unit_penalty() {
                self.asked
                    .set(Some(problem.lines.iter().fold(0_u64, |a, l| a.saturating_add(l.quantity.get()))));
                return nothing_ships(self.strategy.name(), problem, penalty);
            }
        }
        // The book's candidates come in the network's order: sorted by id.
        let nodes = z
            .nodes
            .iter()
            .filter(|n| problem.nodes.binary_search_by_key(&n.id, |c| c.id).is_ok())
            .cloned()
            .collect();
        let mut asked = 0_u64;
        let lines = problem
            .lines
            .iter()
            .map(|l| {
                asked = asked.saturating_add(l.quantity.get());
                let mut line = z.lines.iter().find(|x| x.id == l.id).cloned().unwrap_or_else(|| l.clone());
                line.quantity = l.quantity;
                line
            })
            .collect();
        self.asked.set(Some(asked));
        let mut p = RoutingProblem::new(nodes, lines)
            .with_rules(z.rules)
            .with_destination(z.destination)
            .with_deliver_within_days(z.deliver_within_days)
            .with_pickup_at(z.pickup_at);
        p.unit_costs.clone_from(&z.unit_costs);
        self.strategy.route(&p, availability, self.options)
    }
}

/// [`Fulfiller`] through the order lifecycle: an [`OrderBook`] over the
/// ledger, promising through [`AtpViews`] — the whole stack the issue asks
/// a simulation to drive.
///
/// - `place`: the [`SimOrder`] becomes an [`OrderSpec`] (channel, method,
///   address or pickup store, same-day window, prices, lines) and goes
///   through [`OrderBook::place`] with a [`Sourcing`] of the ATP view of the
///   order's channel and method and a router that routes the scenario's zone
///   problem (zone costs and transit days, the order's capabilities,
///   ship-complete and penalty) over the book's candidate nodes with the
///   run's strategy. Units nothing can source stay open
///   ([`UnfilledPolicy::KeepOpen`]) and are cancelled when the order ships.
/// - `ship`: [`OrderBook::release`], then [`OrderBook::ship`] (or
///   [`OrderBook::pick_up`]) per line and node, then [`OrderBook::cancel`]
///   of the units left open.
/// - `cancel`: [`OrderBook::cancel_allocated`] for released units, then
///   [`OrderBook::cancel`].
/// - returns: [`OrderBook::record_return`] when the goods arrive
///   ([`Fulfiller::record_return`]); the returns module moves them.
/// - every ledger event (the book's batches and the host's commands) is fed
///   to the views; [`Fulfiller::check`] checks the ledger's invariants, the
///   views against a fresh computation, the book's invariants, the book
///   against the ledger, and that every order is closed.
///
/// Entry ids: the book's are `0x0D << 120 | op << 32 | k`
/// ([`OpId::entry`]), above the simulation's host ids (from
/// [`HOST_ENTRY_BASE`](super::HOST_ENTRY_BASE) = 2^96) and the starting
/// stock's (from 1).
///
/// Each book operation is atomic; `ship` and `cancel` run several. The
/// simulation stops at the first error, so an error part-way through
/// leaves the earlier operations applied (unlike [`LedgerFulfiller`](super::LedgerFulfiller),
/// whose steps are single batches).
///
/// ```
/// use omniroute::routing::{Optimal, RouteOptions};
/// use omniroute::sim::{Fulfiller, OrderFulfiller, Scenario, ScenarioParams};
/// let s = Scenario::generate(&ScenarioParams::new().orders(10).skus(50).stores(3))?;
/// let mut f = OrderFulfiller::for_scenario(&s)?;
/// let order = &s.orders()[0];
/// let placed = f.place(order, &s.problem(order)?, &Optimal, &RouteOptions::new(), order.at)?;
/// let shipped = f.ship(order.id, order.release_at)?;
/// assert_eq!(shipped.iter().map(|u| u.qty.get()).sum::<u64>(), placed.reserved.get());
/// assert!(f.book().order(order.id)?.is_closed());
/// f.check()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OrderFulfiller {
    ledger: Ledger,
    book: OrderBook,
    views: AtpViews,
    feed: Vec<AtpChange>,
    published: u64,
    next_op: u64,
    penalty: Money,
}

impl OrderFulfiller {
    /// A fulfiller over `ledger` and an empty book over `network`, promising
    /// under `policy`; units left unfilled cost `penalty` each in the
    /// placements it reports.
    ///
    /// # Errors
    ///
    /// [`SimError::Atp`] when the views cannot be built.
    ///
    /// # Complexity
    ///
    /// O(SKUs × nodes × channels × 5), building the views.
    pub fn new(
        ledger: Ledger,
        policy: AtpPolicy,
        network: Network,
        penalty: Money,
    ) -> Result<Self, SimError> {
        let views = AtpViews::new(policy, &ledger)?;
        let book = OrderBook::new(
            network,
            OrderPolicy::new().unfilled(UnfilledPolicy::KeepOpen).unfilled_unit_penalty(penalty),
        );
        Ok(Self { ledger, book, views, feed: Vec::new(), published: 0, next_op: 1, penalty })
    }

    /// A fulfiller for `scenario`: its starting ledger, ATP policy, order
    /// network ([`Scenario::order_network`]) and unfilled-unit penalty.
    ///
    /// # Errors
    ///
    /// As [`Scenario::starting_ledger`], [`Scenario::atp_policy`],
    /// [`Scenario::order_network`] and [`OrderFulfiller::new`].
    pub fn for_scenario(scenario: &Scenario) -> Result<Self, SimError> {
        Self::new(
            scenario.starting_ledger()?,
            scenario.atp_policy()?,
            scenario.order_network()?,
            scenario.params().unfilled_unit_penalty,
        )
    }

    /// The order book.
    #[must_use]
    pub const fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The ATP views, as up to date as the ledger.
    #[must_use]
    pub const fn views(&self) -> &AtpViews {
        &self.views
    }

    /// Network ATP changes the views published so far.
    #[must_use]
    pub const fn changes_published(&self) -> u64 {
        self.published
    }

    /// The ledger, taken back.
    #[must_use]
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    fn op(&mut self) -> Result<OpId, SimError> {
        let op = OpId::new(self.next_op);
        self.next_op = self.next_op.checked_add(1).ok_or(SimError::Overflow { what: "operation id" })?;
        Ok(op)
    }

    fn feed(&mut self, events: &[Event]) -> Result<(), SimError> {
        for ev in events {
            self.feed.clear();
            self.views.apply(&self.ledger, ev, &mut self.feed)?;
            self.published = self.published.saturating_add(self.feed.len() as u64);
        }
        Ok(())
    }

    fn done(&mut self, step: &'static str, r: Result<Applied, OrderError>) -> Result<Applied, SimError> {
        let applied = r.map_err(|error| SimError::Order { step, error })?;
        self.feed(&applied.ledger_events)?;
        Ok(applied)
    }

    fn channel_view(
        &self,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<ChannelView<'_>, SimError> {
        Ok(self.views.for_channel(channel, method)?)
    }

    /// The order as the book takes it. Prices only feed the book's risk
    /// check (off here), so lines carry none.
    fn spec(order: &SimOrder) -> OrderSpec {
        let destination = match order.pickup_at {
            Some(n) if order.method == FulfilmentMethod::StorePickup => Destination::Pickup(n),
            _ => Destination::Address(order.destination),
        };
        let mut spec = OrderSpec::new(order.id, order.channel)
            .method(order.method)
            .destination(destination)
            .deliver_within_days((order.method == FulfilmentMethod::SameDay).then_some(0));
        for l in &order.lines {
            spec = spec.line(LineSpec::new(l.id, l.sku, l.quantity));
        }
        spec
    }
}

impl Fulfiller for OrderFulfiller {
    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// ATP of the first channel (`web`) by [`FulfilmentMethod::Ship`].
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.channel_view(ChannelId::new(0), FulfilmentMethod::Ship)
            .map_or(Qty::ZERO, |v| v.available(node, sku))
    }

    fn available_for(&self, order: &SimOrder, node: NodeId, sku: Sku) -> Qty {
        self.channel_view(order.channel, order.method).map_or(Qty::ZERO, |v| v.available(node, sku))
    }

    fn apply(&mut self, commands: &[Command], now: Timestamp) -> Result<(), SimError> {
        let out = self
            .ledger
            .apply_batch(commands, now)
            .map_err(|r| SimError::Ledger { step: "host", error: r.error })?;
        let events: Vec<Event> = out.into_iter().filter(Outcome::is_new).map(Outcome::into_event).collect();
        self.feed(&events)
    }

    fn place(
        &mut self,
        order: &SimOrder,
        problem: &RoutingProblem,
        strategy: &dyn Strategy,
        options: &RouteOptions,
        now: Timestamp,
    ) -> Result<Placement, SimError> {
        let spec = Self::spec(order);
        let op = self.op()?;
        let router = ZoneRouter { zone: problem, strategy, options, asked: Cell::new(None) };
        let result = {
            let view = self.views.for_channel(order.channel, order.method)?;
            let source = Sourcing::new(&view).router(&router);
            self.book.place(&mut self.ledger, source, op, now, spec)
        };
        let applied = match result {
            Err(OrderError::Routing { error, .. }) => return Err(SimError::Routing(error)),
            r => self.done("place", r)?,
        };
        let ordered = order.lines.iter().fold(0_u64, |a, l| a.saturating_add(l.quantity.get()));
        let mut plan = match applied.plans.into_iter().next() {
            Some((_, p)) => p,
            None => Plan::infeasible(strategy.name()),
        };
        // Units the book left unfilled before routing (no eligible node
        // holds them) cost the penalty too, as they do in the zone problem;
        // when it did not call the router at all, nothing ships.
        let overflow = |_| SimError::Overflow { what: "cost" };
        match (router.asked.get(), plan.cost) {
            (Some(asked), Some(c)) => {
                let short = ordered.saturating_sub(asked);
                let pen = self.penalty.checked_mul_qty(Qty::new(short)).map_err(overflow)?;
                plan.cost = Some(c.checked_add(pen).map_err(overflow)?);
            }
            (None, _) => {
                plan.cost = Some(self.penalty.checked_mul_qty(Qty::new(ordered)).map_err(overflow)?);
                plan.status = PlanStatus::Optimal;
            }
            (Some(_), None) => {}
        }
        let o = self.book.order(order.id).map_err(|error| SimError::Order { step: "place", error })?;
        let reserved = o.lines.iter().fold(0_u64, |a, l| a.saturating_add(l.reserved().get()));
        Ok(Placement { plan, reserved: Qty::new(reserved), retries: applied.attempts.saturating_sub(1) })
    }

    fn cancel(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError> {
        let Ok(o) = self.book.order(order) else { return Ok(Vec::new()) };
        if o.is_closed() {
            return Ok(Vec::new());
        }
        let mut units = Vec::new();
        let mut allocated = Vec::new();
        for l in &o.lines {
            for h in &l.holds {
                units.push(Units { node: h.node, sku: l.sku, qty: h.qty });
            }
            for f in l.fills.iter().filter(|f| !f.allocated.is_zero()) {
                units.push(Units { node: f.node, sku: l.sku, qty: f.allocated });
                allocated.push((f.node, l.id, f.allocated));
            }
        }
        for (node, line, qty) in allocated {
            let op = self.op()?;
            let r = self.book.cancel_allocated(&mut self.ledger, op, now, order, node, line, qty);
            self.done("cancel", r)?;
        }
        let op = self.op()?;
        let r = self.book.cancel(&mut self.ledger, op, now, order);
        self.done("cancel", r)?;
        Ok(units)
    }

    fn ship(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError> {
        let Ok(o) = self.book.order(order) else { return Ok(Vec::new()) };
        if o.is_closed() {
            return Ok(Vec::new());
        }
        if o.lines.iter().any(|l| !l.holds.is_empty()) {
            let op = self.op()?;
            let r = self.book.release(&mut self.ledger, op, now, order, None);
            self.done("release", r)?;
        }
        let o = self.book.order(order).map_err(|error| SimError::Order { step: "ship", error })?;
        let pickup = o.method == FulfilmentMethod::StorePickup;
        let mut units = Vec::new();
        let mut todo = Vec::new();
        for l in &o.lines {
            for f in l.fills.iter().filter(|f| !f.allocated.is_zero()) {
                todo.push((f.node, l.id, f.allocated));
                units.push(Units { node: f.node, sku: l.sku, qty: f.allocated });
            }
        }
        for (node, line, qty) in todo {
            let op = self.op()?;
            let r = if pickup {
                self.book.pick_up(&mut self.ledger, op, now, order, line, qty)
            } else {
                self.book.ship(&mut self.ledger, op, now, order, node, line, qty)
            };
            self.done("ship", r)?;
        }
        // Units nothing could source are lost sales: cancel them so the
        // order closes.
        let open = self.book.order(order).is_ok_and(|o| !o.is_closed());
        if open {
            let op = self.op()?;
            let r = self.book.cancel(&mut self.ledger, op, now, order);
            self.done("ship", r)?;
        }
        Ok(units)
    }

    fn record_return(
        &mut self,
        order: OrderId,
        line: crate::model::LineId,
        qty: Qty,
        now: Timestamp,
    ) -> Result<(), SimError> {
        let op = self.op()?;
        let r = self.book.record_return(&mut self.ledger, op, now, order, line, qty);
        self.done("return", r).map(|_| ())
    }

    fn check(&self) -> Result<(), SimError> {
        let ledger = &self.ledger;
        ledger.check_invariants().map_err(|e| SimError::Ledger { step: "end of run", error: e })?;
        if let Some((sku, channel, method)) = self.views.verify(ledger)? {
            return Err(SimError::AtpDiverged { sku, channel, method });
        }
        let step = "end of run";
        self.book.check_invariants().map_err(|error| SimError::Order { step, error })?;
        self.book.check_against(ledger).map_err(|error| SimError::Order { step, error })?;
        if self.book.orders().any(|o| !o.is_closed()) {
            return Err(SimError::Order {
                step,
                error: OrderError::InvariantBroken { what: "an order is still open at the end of the run" },
            });
        }
        Ok(())
    }
}
