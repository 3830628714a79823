//! The simulation: a scenario's event stream through the stack, and the
//! comparison of strategies on the same orders and stock.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::SimError;
use super::fulfil::{Fulfiller, LedgerFulfiller, LedgerView, Units};
use super::metrics::{RunMetrics, StaticGap};
use super::scenario::{Scenario, SimOrder, fill_problem};
use crate::ledger::{Command, CommandKind, Ledger};
use crate::model::{EntryId, FulfilmentMethod, LineId, Money, NodeId, NodeKind, Qty, Sku, Timestamp};
use crate::returns::{
    Category, CategoryRule, Disposition, HygieneRule, Inspection, NodeSignal, Recovery, ReturnId,
    ReturnPolicy, ReturnRequest, Route, Sale, SaleReturns, Verdict,
};
use crate::routing::{
    Availability, LookAhead, Optimal, Plan, PlanStatus, RouteOptions, RoutingProblem, STRATEGY_NAMES,
    Strategy, strategy_by_name,
};

/// The entry-id namespace of the simulation's own host commands (stocking,
/// replenishment, returns): ids from `HOST_ENTRY_BASE`.
pub const HOST_ENTRY_BASE: u128 = 1 << 96;

/// A strategy as the simulation runs it.
///
/// `look_ahead` is [`LookAhead`] with *scarcity prices* recomputed for every
/// order: a unit of SKU `s` at a node holding `a` units, where the whole
/// network sells `θ` units of `s` a day, costs `2.00 × (θ − a) / θ` extra
/// when `a < θ` (and nothing otherwise) — thin positions of fast movers are
/// kept for the orders that need them (pickups and same day). It is a
/// heuristic estimate of opportunity cost, not dual prices from a network LP.
///
/// ```
/// use omniroute::sim::SimStrategy;
/// assert_eq!(SimStrategy::by_name("look_ahead")?.name(), "look_ahead");
/// assert_eq!(SimStrategy::all().len(), 7);
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
pub struct SimStrategy {
    name: String,
    inner: Box<dyn Strategy>,
    scarcity: bool,
}

impl core::fmt::Debug for SimStrategy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimStrategy").field("name", &self.name).field("scarcity", &self.scarcity).finish()
    }
}

/// The scarcity price scale of `look_ahead`, per unit.
const SCARCITY_SCALE_CENTS: u64 = 200;

impl SimStrategy {
    /// A built-in strategy by its routing name (`optimal`, `priority`,
    /// `nearest`, `high_stock`, `greedy_set_cover`, `local_search`,
    /// `look_ahead`).
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownStrategy`] for any other name.
    pub fn by_name(name: &str) -> Result<Self, SimError> {
        let inner =
            strategy_by_name(name).ok_or_else(|| SimError::UnknownStrategy { name: name.to_owned() })?;
        Ok(Self { name: name.to_owned(), inner, scarcity: name == "look_ahead" })
    }

    /// Every built-in strategy, in [`STRATEGY_NAMES`] order.
    #[must_use]
    pub fn all() -> Vec<Self> {
        STRATEGY_NAMES.iter().filter_map(|n| Self::by_name(n).ok()).collect()
    }

    /// A researcher's own strategy, run as it is.
    #[must_use]
    pub fn custom(strategy: Box<dyn Strategy>) -> Self {
        Self { name: strategy.name().to_owned(), inner: strategy, scarcity: false }
    }

    /// The name in reports.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The strategy for one order: the scarcity-priced look-ahead or the strategy itself.
    fn for_order<'a>(
        &'a self,
        scenario: &Scenario,
        problem: &RoutingProblem,
        avail: &dyn Availability,
        slot: &'a mut Option<LookAhead>,
    ) -> &'a dyn Strategy {
        if !self.scarcity {
            return self.inner.as_ref();
        }
        let mut la = LookAhead::new();
        for line in &problem.lines {
            let theta = scenario
                .products()
                .get(line.sku.as_usize())
                .map_or(1, |p| p.daily_demand_milli.div_ceil(1_000).max(1));
            for n in &problem.nodes {
                let a = avail.available(n.id, line.sku).get();
                if a == 0 || a >= theta {
                    continue;
                }
                let c = SCARCITY_SCALE_CENTS
                    .saturating_mul(theta.saturating_sub(a))
                    .checked_div(theta)
                    .unwrap_or(0);
                if c > 0 {
                    let cost = Money::new(Decimal::new(i64::try_from(c).unwrap_or(i64::MAX), 2));
                    la = la.with_opportunity_cost(n.id, line.sku, cost);
                }
            }
        }
        slot.insert(la)
    }
}

/// Options of a run. `Copy`, with by-value setters.
///
/// ```
/// use omniroute::routing::RouteOptions;
/// use omniroute::sim::SimOptions;
/// let o = SimOptions::new().route(RouteOptions::new().max_node_sets(50_000)).static_pass(false);
/// assert!(!o.get_static_pass());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    route: RouteOptions,
    static_pass: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl SimOptions {
    /// Default routing options; the static pass on.
    #[must_use]
    pub const fn new() -> Self {
        Self { route: RouteOptions::new(), static_pass: true }
    }

    /// The routing options every strategy gets.
    #[must_use]
    pub const fn route(mut self, route: RouteOptions) -> Self {
        self.route = route;
        self
    }

    /// Whether [`compare`] also routes every order against the starting
    /// stock with every strategy and `optimal` ([`StaticGap`]).
    #[must_use]
    pub const fn static_pass(mut self, yes: bool) -> Self {
        self.static_pass = yes;
        self
    }

    /// See [`Self::route`].
    #[must_use]
    pub const fn get_route(&self) -> RouteOptions {
        self.route
    }

    /// See [`Self::static_pass`].
    #[must_use]
    pub const fn get_static_pass(&self) -> bool {
        self.static_pass
    }
}

/// Hooks the host uses to time and follow a run; the library has no clock.
/// Every method has an empty default.
///
/// ```
/// use omniroute::sim::Observer;
/// struct Count(usize);
/// impl Observer for Count {
///     fn order_finished(&mut self, _: &str, _: usize) { self.0 += 1; }
/// }
/// ```
pub trait Observer {
    /// A pass over the orders begins: `strategy`'s run (or `static:<name>`
    /// for the static pass), of `orders` orders.
    fn pass_started(&mut self, strategy: &str, orders: usize) {
        let _ = (strategy, orders);
    }
    /// The placement of order `index` (route + reserve) begins.
    fn order_started(&mut self, strategy: &str, index: usize) {
        let _ = (strategy, index);
    }
    /// The placement of order `index` is done.
    fn order_finished(&mut self, strategy: &str, index: usize) {
        let _ = (strategy, index);
    }
}

/// The observer that observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

impl Scenario {
    /// A ledger holding the scenario's starting stock: nodes and SKUs
    /// registered, every stock entry received, at the scenario's start.
    /// Entry ids are `1, 2, …`.
    ///
    /// # Errors
    ///
    /// [`SimError::Ledger`] if the ledger rejects the stock (not reachable
    /// with a generated scenario).
    ///
    /// ```
    /// use omniroute::sim::{Scenario, ScenarioParams};
    /// let s = Scenario::generate(&ScenarioParams::new().orders(10).skus(50).stores(3))?;
    /// let l = s.starting_ledger()?;
    /// let (n, k, q) = s.stock()[0];
    /// assert_eq!(l.position(n, k).unwrap().on_hand, q);
    /// # Ok::<(), omniroute::sim::SimError>(())
    /// ```
    pub fn starting_ledger(&self) -> Result<Ledger, SimError> {
        let mut l = Ledger::new();
        l.reserve_entries(self.stock().len().saturating_add(1));
        let nodes = u32::try_from(self.nodes().len()).map_err(|_| SimError::Overflow { what: "nodes" })?;
        let skus = u32::try_from(self.products().len()).map_err(|_| SimError::Overflow { what: "skus" })?;
        let mut cmds = Vec::with_capacity(self.stock().len().saturating_add(1));
        cmds.push(Command::new(EntryId::new(1)?, CommandKind::Register { nodes, skus }));
        let mut id = 1_u128;
        for &(node, sku, qty) in self.stock() {
            id = id.saturating_add(1);
            cmds.push(Command::new(
                EntryId::new(id)?,
                CommandKind::Receive { node, sku, qty, inbound: None },
            ));
        }
        l.apply_batch(&cmds, super::scenario::START)
            .map_err(|r| SimError::Ledger { step: "stock", error: r.error })?;
        Ok(l)
    }

    fn starting_units(&self) -> u64 {
        self.stock().iter().fold(0_u64, |a, s| a.saturating_add(s.2.get()))
    }
}

#[derive(Debug)]
enum Ev {
    Place(usize),
    Cancel(usize),
    Ship(usize),
    Review,
    Receive { node: NodeId, sku: Sku, qty: Qty, inbound: EntryId },
    ReturnRequest { order: usize, line: LineId },
    ReturnArrives(usize),
    Inspect(usize),
    TransferIn { transfer: EntryId, qty: Qty },
}

/// One line's return in progress.
#[derive(Debug)]
struct Flow {
    grade: crate::returns::Grade,
    sku: Sku,
    price: Money,
    returns: SaleReturns,
    node: NodeId,
    qty: Qty,
}

/// Per order: what the placement planned, kept for shipping and returns.
#[derive(Debug, Default, Clone)]
struct Placed {
    /// (line, node, units) of the plan.
    lines: Vec<(LineId, NodeId, Qty)>,
    promise_ok: bool,
    slowest_days: u32,
}

struct Sim<'a, F: Fulfiller> {
    scenario: &'a Scenario,
    strategy: &'a SimStrategy,
    options: &'a SimOptions,
    f: &'a mut F,
    m: RunMetrics,
    queue: BTreeMap<(i64, u64), Ev>,
    seq: u64,
    next_host: u128,
    placed: Vec<Placed>,
    flows: Vec<Flow>,
    policy: ReturnPolicy,
    problem: Vec<RoutingProblem>,
}

fn add(a: &mut u64, b: u64, what: &'static str) -> Result<(), SimError> {
    *a = a.checked_add(b).ok_or(SimError::Overflow { what })?;
    Ok(())
}

fn add_money(a: &mut Money, b: Money, what: &'static str) -> Result<(), SimError> {
    *a = a.checked_add(b).map_err(|_| SimError::Overflow { what })?;
    Ok(())
}

fn pct(m: Money, percent: i64) -> Money {
    m.checked_mul(Decimal::new(percent, 2)).map(|x| Money::new(x.get().round_dp(2))).unwrap_or(Money::ZERO)
}

/// The return policy of every simulation: 30 days, a two-year statutory
/// window for merchant-fault returns, category 0 (say apparel) cleanable
/// after opening, category 1 final sale.
fn return_policy() -> ReturnPolicy {
    ReturnPolicy::new()
        .window_days(30)
        .statutory_defect_days(730)
        .category(Category::new(0), CategoryRule::new().hygiene(HygieneRule::Cleanable))
        .category(Category::new(1), CategoryRule::new().final_sale(true))
}

impl<F: Fulfiller> Sim<'_, F> {
    fn at(&mut self, t: Timestamp, ev: Ev) {
        self.seq = self.seq.saturating_add(1);
        self.queue.insert((t.as_unix_ms(), self.seq), ev);
    }

    fn host_id(&mut self) -> Result<EntryId, SimError> {
        let id = EntryId::new(self.next_host)?;
        self.next_host = self.next_host.checked_add(1).ok_or(SimError::Overflow { what: "entry id" })?;
        Ok(id)
    }

    fn run(&mut self, observer: &mut dyn Observer) -> Result<(), SimError> {
        let s = self.scenario;
        add(&mut self.m.units_supplied, s.starting_units(), "units supplied")?;
        for (i, o) in s.orders().iter().enumerate() {
            self.at(o.at, Ev::Place(i));
        }
        for d in 1..=i64::from(s.params().days) {
            self.at(super::scenario::START.checked_add_days(d)?, Ev::Review);
        }
        observer.pass_started(self.strategy.name(), s.orders().len());
        while let Some(((t, _), ev)) = self.queue.pop_first() {
            let now = Timestamp::from_unix_ms(t);
            match ev {
                Ev::Place(i) => {
                    observer.order_started(self.strategy.name(), i);
                    self.place(i, now)?;
                    observer.order_finished(self.strategy.name(), i);
                }
                Ev::Cancel(i) => self.cancel(i, now)?,
                Ev::Ship(i) => self.ship(i, now)?,
                Ev::Review => self.review(now)?,
                Ev::Receive { node, sku, qty, inbound } => {
                    let c = Command::new(
                        self.host_id()?,
                        CommandKind::Receive { node, sku, qty, inbound: Some(inbound) },
                    );
                    self.f.apply(&[c], now)?;
                    add(&mut self.m.units_supplied, qty.get(), "units supplied")?;
                }
                Ev::ReturnRequest { order, line } => self.return_request(order, line, now)?,
                Ev::ReturnArrives(k) => self.return_arrives(k, now)?,
                Ev::Inspect(k) => self.inspect(k, now)?,
                Ev::TransferIn { transfer, qty } => {
                    let c = Command::new(self.host_id()?, CommandKind::TransferIn { transfer, qty });
                    self.f.apply(&[c], now)?;
                }
            }
        }
        Ok(())
    }

    fn order(&self, i: usize) -> Result<&'_ SimOrder, SimError> {
        self.scenario.orders().get(i).ok_or(SimError::Overflow { what: "order index" })
    }

    fn place(&mut self, i: usize, now: Timestamp) -> Result<(), SimError> {
        let s = self.scenario;
        let o = s.orders().get(i).ok_or(SimError::Overflow { what: "order index" })?;
        // Reuse one problem per zone: the nodes are not cloned per order.
        let zone = o.zone as usize;
        if self.problem.len() <= zone {
            return Err(SimError::Overflow { what: "zone index" });
        }
        let penalty = s.params().unfilled_unit_penalty;
        let mut problem = core::mem::replace(
            self.problem.get_mut(zone).ok_or(SimError::Overflow { what: "zone index" })?,
            RoutingProblem::new(Vec::new(), Vec::new()),
        );
        fill_problem(&mut problem, o, penalty);
        let ordered = o.lines.iter().try_fold(0_u64, |a, l| a.checked_add(l.quantity.get()));
        let ordered = ordered.ok_or(SimError::Overflow { what: "units ordered" })?;
        let mut slot = None;
        let view_strategy = {
            let f: &F = self.f;
            let avail = |n: NodeId, k: Sku| f.available(n, k);
            self.strategy.for_order(s, &problem, &avail, &mut slot)
        };
        let placed = self.f.place(o, &problem, view_strategy, &self.options.route, now);
        let result = match placed {
            Ok(p) => self.record_placement(i, o, &problem, &p.plan, p.reserved, p.retries, ordered),
            Err(SimError::Routing(_)) => {
                add(&mut self.m.route_errors, 1, "route errors")?;
                self.record_placement(
                    i,
                    o,
                    &problem,
                    &Plan::infeasible(self.strategy.name()),
                    Qty::ZERO,
                    0,
                    ordered,
                )
            }
            Err(e) => Err(e),
        };
        if let Some(slot) = self.problem.get_mut(zone) {
            *slot = problem;
        }
        result?;
        match o.cancel_at {
            Some(t) => self.at(t, Ev::Cancel(i)),
            None => self.at(o.release_at, Ev::Ship(i)),
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record_placement(
        &mut self,
        i: usize,
        o: &SimOrder,
        problem: &RoutingProblem,
        plan: &Plan,
        reserved: Qty,
        retries: u32,
        ordered: u64,
    ) -> Result<(), SimError> {
        let penalty = self.scenario.params().unfilled_unit_penalty;
        let m = &mut self.m;
        add(&mut m.orders, 1, "orders")?;
        add(&mut m.reserve_retries, u64::from(retries), "retries")?;
        add(&mut m.units_ordered, ordered, "units ordered")?;
        add(&mut m.units_filled, reserved.get(), "units filled")?;
        let unfilled = ordered.saturating_sub(reserved.get());
        add(&mut m.units_unfilled, unfilled, "units unfilled")?;
        let pen = penalty
            .checked_mul_qty(Qty::new(unfilled))
            .map_err(|_| SimError::Overflow { what: "penalty" })?;
        add_money(&mut m.penalty_cost, pen, "penalty")?;
        // An infeasible plan (or a routing error) costs the penalty for every unit.
        add_money(&mut m.cost, plan.cost.unwrap_or(pen), "cost")?;
        let ships = plan.shipments.len() as u64;
        add(&mut m.shipments, ships, "shipments")?;
        if ships > 0 {
            add(&mut m.orders_with_shipments, 1, "orders")?;
        }
        if ships > 1 {
            add(&mut m.orders_split, 1, "orders")?;
        }
        let full = unfilled == 0;
        if full {
            add(&mut m.orders_fully_filled, 1, "orders")?;
        }
        let mut slowest = 0_u32;
        let mut lines = Vec::new();
        for sh in &plan.shipments {
            let days = problem.nodes.get(sh.node.as_usize()).and_then(|n| n.transit_days).unwrap_or(0);
            slowest = slowest.max(days);
            if !o.returns.is_empty() {
                lines.extend(sh.lines.iter().map(|l| (l.line, sh.node, l.quantity)));
            }
        }
        let promise_ok = full && (o.method != FulfilmentMethod::Ship || slowest <= o.promise_days);
        if let Some(p) = self.placed.get_mut(i) {
            *p = Placed { lines, promise_ok, slowest_days: slowest };
        }
        Ok(())
    }

    fn cancel(&mut self, i: usize, now: Timestamp) -> Result<(), SimError> {
        let id = self.order(i)?.id;
        let released = self.f.cancel(id, now)?;
        add(&mut self.m.orders_cancelled, 1, "orders")?;
        let units = released.iter().fold(0_u64, |a, u| a.saturating_add(u.qty.get()));
        add(&mut self.m.units_released, units, "units released")?;
        if let Some(p) = self.placed.get_mut(i) {
            *p = Placed::default();
        }
        Ok(())
    }

    fn ship(&mut self, i: usize, now: Timestamp) -> Result<(), SimError> {
        let o = self.scenario.orders().get(i).ok_or(SimError::Overflow { what: "order index" })?;
        let shipped: Vec<Units> = self.f.ship(o.id, now)?;
        let units = shipped.iter().fold(0_u64, |a, u| a.saturating_add(u.qty.get()));
        add(&mut self.m.units_shipped, units, "units shipped")?;
        add(&mut self.m.promise_orders, 1, "orders")?;
        let (ok, slowest) = self.placed.get(i).map(|p| (p.promise_ok, p.slowest_days)).unwrap_or_default();
        if ok {
            add(&mut self.m.promise_met, 1, "orders")?;
        }
        for r in &o.returns {
            let has = self.placed.get(i).is_some_and(|p| p.lines.iter().any(|l| l.0 == r.line));
            if has {
                let t = now.checked_add_days(i64::from(slowest).saturating_add(i64::from(r.after_days)))?;
                self.at(t, Ev::ReturnRequest { order: i, line: r.line });
            }
        }
        Ok(())
    }

    /// The daily replenishment review of the warehouses.
    fn review(&mut self, now: Timestamp) -> Result<(), SimError> {
        let lead = i64::from(self.scenario.params().lead_days);
        let eta = now.checked_add_days(lead)?;
        for r in self.scenario.replenishment() {
            let p = self
                .f
                .ledger()
                .position(r.node, r.sku)
                .map_err(|e| SimError::Ledger { step: "replenish", error: e })?;
            let level = p.available().get().saturating_add(p.inbound.get());
            if level >= r.reorder_point.get() {
                continue;
            }
            let qty = Qty::new(r.order_up_to.get().saturating_sub(level));
            if qty.is_zero() {
                continue;
            }
            let id = self.host_id()?;
            let c = Command::new(id, CommandKind::ExpectInbound { node: r.node, sku: r.sku, qty, eta });
            self.f.apply(&[c], now)?;
            add(&mut self.m.replenishment_orders, 1, "replenishment orders")?;
            self.at(eta, Ev::Receive { node: r.node, sku: r.sku, qty, inbound: id });
        }
        Ok(())
    }

    fn warehouses(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.scenario.nodes().iter().filter(|n| n.node.kind == NodeKind::Warehouse).map(|n| n.node.id)
    }

    fn return_request(&mut self, i: usize, line: LineId, now: Timestamp) -> Result<(), SimError> {
        let s = self.scenario;
        let o = s.orders().get(i).ok_or(SimError::Overflow { what: "order index" })?;
        let (Some(planned), Some(ol)) =
            (o.returns.iter().find(|r| r.line == line), o.lines.iter().find(|l| l.id == line))
        else {
            return Ok(());
        };
        let Some(product) = s.products().get(ol.sku.as_usize()) else { return Ok(()) };
        let plan_lines = self.placed.get(i).map(|p| p.lines.clone()).unwrap_or_default();
        let shipped =
            plan_lines.iter().filter(|l| l.0 == line).fold(0_u64, |a, l| a.saturating_add(l.2.get()));
        let from = plan_lines.iter().find(|l| l.0 == line).map(|l| l.1);
        let qty = Qty::new(planned.qty.get().min(shipped));
        if qty.is_zero() {
            return Ok(());
        }
        add(&mut self.m.returns_requested, 1, "returns")?;
        let paid =
            product.price.checked_mul_qty(ol.quantity).map_err(|_| SimError::Overflow { what: "price" })?;
        let mut sale = Sale::new(o.id, line, ol.sku, product.category, o.at)
            .quantities(ol.quantity, Qty::new(shipped))
            .paid(paid)
            .delivered_at(o.release_at);
        if let Some(n) = from {
            sale = sale.shipped_from(n);
        }
        let mut returns = SaleReturns::new(sale)?;
        let template = s.template_for(o)?;
        let resale = pct(product.price, 60);
        let signals: Vec<NodeSignal> = self
            .warehouses()
            .map(|w| {
                let leg = template.nodes.get(w.as_usize());
                NodeSignal::new(w, resale)
                    .handling_cost(Money::new(Decimal::new(150, 2)))
                    .transport_cost(leg.map_or(Money::ZERO, |n| n.shipment_cost))
                    .transit_days(leg.and_then(|n| n.transit_days).unwrap_or(0))
                    .hazmat(true)
            })
            .collect();
        let req = ReturnRequest::new(ReturnId::new(1), qty, planned.reason, now)
            .opened(planned.grade != crate::returns::Grade::Sealed);
        let d = returns.request(&req, &self.policy, &signals)?;
        if d.verdict != Verdict::Accepted {
            return add(&mut self.m.returns_refused, 1, "returns");
        }
        add(&mut self.m.returns_accepted, 1, "returns")?;
        if let Some(r) = d.refund {
            add_money(&mut self.m.refunds, r.amount, "refunds")?;
        }
        let node = match d.route {
            Some(Route::SendTo { node }) | Some(Route::InStore { store: node, .. }) => node,
            _ => return add(&mut self.m.returns_kept, 1, "returns"),
        };
        let days = signals.iter().find(|n| n.node == node).map_or(0, |n| n.transit_days);
        let k = self.flows.len();
        self.flows.push(Flow { grade: planned.grade, sku: ol.sku, price: product.price, returns, node, qty });
        self.at(now.checked_add_days(i64::from(days).saturating_add(1))?, Ev::ReturnArrives(k));
        Ok(())
    }

    fn return_arrives(&mut self, k: usize, now: Timestamp) -> Result<(), SimError> {
        let id = self.host_id()?;
        let Some(flow) = self.flows.get_mut(k) else { return Ok(()) };
        let receipt = flow.returns.receive(ReturnId::new(1), flow.node, flow.qty, now, id)?;
        let qty = flow.qty;
        self.f.apply(&receipt.commands, now)?;
        add(&mut self.m.units_returned, qty.get(), "units returned")?;
        self.at(now.checked_add_days(1)?, Ev::Inspect(k));
        Ok(())
    }

    fn inspect(&mut self, k: usize, now: Timestamp) -> Result<(), SimError> {
        let base = self.host_id()?;
        // Dispositions use at most two ids: keep the second one free.
        self.host_id()?;
        let warehouses: Vec<NodeId> = self.warehouses().collect();
        let Some(flow) = self.flows.get_mut(k) else { return Ok(()) };
        let price = flow.price;
        let mut recovery = Recovery::new();
        for w in warehouses {
            // Where it sells varies by node: 80–94 % of the price, by (node, SKU).
            let share = 80_i64.saturating_add(i64::from((w.get().wrapping_mul(7) ^ flow.sku.get()) % 15));
            let mut sig =
                NodeSignal::new(w, pct(price, share)).handling_cost(Money::new(Decimal::new(100, 2)));
            if w != flow.node {
                sig = sig.transport_cost(Money::new(Decimal::new(600, 2))).transit_days(2);
            }
            recovery = recovery.restock_at(sig.hazmat(true));
        }
        let recovery = recovery
            .value(Disposition::ReturnToVendor, pct(price, 40), Money::new(Decimal::new(200, 2)))
            .value(Disposition::Liquidate, pct(price, 25), Money::new(Decimal::new(50, 2)))
            .value(Disposition::Refurbish, pct(price, 60), pct(price, 20))
            .value(Disposition::Recycle, Money::new(Decimal::new(20, 2)), Money::new(Decimal::new(10, 2)))
            .value(Disposition::Donate, Money::ZERO, Money::ZERO)
            .value(Disposition::Destroy, Money::ZERO, Money::new(Decimal::new(100, 2)));
        let inspection = Inspection::new(ReturnId::new(1), flow.grade, flow.qty, now);
        let d = flow.returns.dispose(&inspection, &self.policy, &recovery, base)?;
        self.f.apply(&d.commands, now)?;
        add_money(&mut self.m.value_recovered, d.net_recovery, "value recovered")?;
        for c in &d.commands {
            match c.kind {
                CommandKind::Adjust { qty, .. } => {
                    add(&mut self.m.units_disposed_out, qty.get(), "disposed")?
                }
                CommandKind::TransferOut { qty, eta, .. } => {
                    add(&mut self.m.units_transferred, qty.get(), "transferred")?;
                    self.at(eta.max(now), Ev::TransferIn { transfer: c.entry, qty });
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Runs `scenario`'s whole event stream with `strategy` through `fulfiller`
/// (which holds the starting stock, e.g. a [`LedgerFulfiller`] over
/// [`Scenario::starting_ledger`]) and returns what it measured.
///
/// Events, in time order (ties in the order they were scheduled): orders
/// are placed (route + reserve), cancelled before release or released
/// (commit + ship) [`RELEASE_HOURS`](super::RELEASE_HOURS) later; warehouses
/// are reviewed daily and topped up (`ExpectInbound`, `Receive` after the
/// lead time); shipped lines are returned as planned — request (refund,
/// keep-it or route), receipt at the chosen warehouse (`ReturnReceipt`), and
/// inspection and disposition a day later (the ledger commands the returns
/// engine emits, with `TransferIn` when a restock moves the units). The run
/// goes on until every event has happened, so nothing is left in transit.
///
/// # Errors
///
/// The first error of the stack ([`SimError::Ledger`], [`SimError::Returns`],
/// [`SimError::Overflow`]); an order the strategy cannot route
/// ([`SimError::Routing`]) is not an error: it is counted in
/// [`RunMetrics::route_errors`] and left unfilled.
///
/// # Complexity
///
/// O(orders × route + days × replenished positions + returns × warehouses),
/// each event O(log events) in the queue.
///
/// # Example
///
/// ```
/// use omniroute::sim::*;
/// let s = Scenario::generate(&ScenarioParams::new().orders(100).skus(200).stores(5))?;
/// let mut f = LedgerFulfiller::new(s.starting_ledger()?);
/// let m = simulate(&s, &SimStrategy::by_name("nearest")?, &mut f, &SimOptions::new(), &mut NoObserver)?;
/// assert_eq!(m.orders, 100);
/// assert!(f.ledger().check_invariants().is_ok());
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
pub fn simulate<F: Fulfiller>(
    scenario: &Scenario,
    strategy: &SimStrategy,
    fulfiller: &mut F,
    options: &SimOptions,
    observer: &mut dyn Observer,
) -> Result<RunMetrics, SimError> {
    let problem: Vec<RoutingProblem> =
        (0..scenario.zones().len()).filter_map(|z| scenario.problem_template(z as u32).cloned()).collect();
    let mut sim = Sim {
        scenario,
        strategy,
        options,
        f: fulfiller,
        m: RunMetrics::default(),
        queue: BTreeMap::new(),
        seq: 0,
        next_host: HOST_ENTRY_BASE,
        placed: vec![Placed::default(); scenario.orders().len()],
        flows: Vec::new(),
        policy: return_policy(),
        problem,
    };
    sim.run(observer)?;
    Ok(sim.m)
}

/// One strategy's results in a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StrategyResult {
    /// The strategy's name.
    pub name: String,
    /// The simulation's counters.
    pub metrics: RunMetrics,
    /// Order by order against `optimal` on the starting stock (empty without the static pass).
    pub static_gap: StaticGap,
    /// Units on hand at the end, every physical bucket (on hand, quarantine, damaged, returns pending).
    pub units_on_hand_at_end: u64,
}

/// Strategies compared on one scenario.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Comparison {
    /// The scenario's parameters.
    pub params: super::ScenarioParams,
    /// A result per strategy, in the order given.
    pub results: Vec<StrategyResult>,
}

/// Units in every physical bucket of every position.
///
/// # Errors
///
/// [`SimError::Ledger`] (not reachable for positions the ledger lists).
pub fn physical_units(ledger: &Ledger) -> Result<u64, SimError> {
    let mut total = 0_u64;
    for (n, s) in ledger.positions() {
        let p = ledger.position(n, s).map_err(|e| SimError::Ledger { step: "report", error: e })?;
        for q in [p.on_hand, p.quarantine, p.damaged, p.returns_pending] {
            add(&mut total, q.get(), "units on hand")?;
        }
    }
    Ok(total)
}

/// Routes every order against the starting stock with `optimal` and each
/// strategy, and compares costs order by order.
fn static_pass(
    scenario: &Scenario,
    start: &Ledger,
    strategies: &[SimStrategy],
    options: &SimOptions,
    observer: &mut dyn Observer,
) -> Result<Vec<StaticGap>, SimError> {
    let view = LedgerView(start);
    let penalty = scenario.params().unfilled_unit_penalty;
    let mut gaps = vec![StaticGap::default(); strategies.len()];
    let mut problems: Vec<RoutingProblem> =
        (0..scenario.zones().len()).filter_map(|z| scenario.problem_template(z as u32).cloned()).collect();
    observer.pass_started("static", scenario.orders().len());
    for (i, o) in scenario.orders().iter().enumerate() {
        observer.order_started("static", i);
        let p = problems.get_mut(o.zone as usize).ok_or(SimError::Overflow { what: "zone index" })?;
        fill_problem(p, o, penalty);
        let units = o.lines.iter().fold(0_u64, |a, l| a.saturating_add(l.quantity.get()));
        let all_unfilled =
            penalty.checked_mul_qty(Qty::new(units)).map_err(|_| SimError::Overflow { what: "penalty" })?;
        let best = Optimal.route(p, &view, &options.route)?;
        let best_cost = best.cost.unwrap_or(all_unfilled);
        for (g, st) in gaps.iter_mut().zip(strategies) {
            let mut slot = None;
            let strat = st.for_order(scenario, p, &view, &mut slot);
            let cost = match strat.route(p, &view, &options.route) {
                Ok(plan) => plan.cost.unwrap_or(all_unfilled),
                Err(_) => {
                    add(&mut g.route_errors, 1, "route errors")?;
                    all_unfilled
                }
            };
            add(&mut g.orders, 1, "orders")?;
            add_money(&mut g.cost, cost, "cost")?;
            add_money(&mut g.optimal_cost, best_cost, "cost")?;
            if best.status != PlanStatus::Optimal {
                add(&mut g.optimal_unproven, 1, "orders")?;
            }
            if cost > best_cost {
                add(&mut g.orders_worse, 1, "orders")?;
                let gap = cost.checked_sub(best_cost).map_err(|_| SimError::Overflow { what: "gap" })?;
                g.max_gap = g.max_gap.max(gap);
            } else if cost < best_cost {
                add(&mut g.orders_better, 1, "orders")?;
            }
        }
        observer.order_finished("static", i);
    }
    Ok(gaps)
}

/// Compares `strategies` on `scenario`: each runs the whole simulation
/// ([`simulate`]) on its own copy of the starting ledger, through a
/// [`LedgerFulfiller`]; with the static pass on ([`SimOptions::static_pass`]),
/// each also routes every order against the starting stock, compared order
/// by order with `optimal` ([`StaticGap`]).
///
/// # Errors
///
/// As [`simulate`]; also [`SimError::Routing`] when `optimal` itself fails
/// in the static pass, and [`SimError::Ledger`] when a run ends with a
/// broken ledger invariant.
///
/// # Complexity
///
/// O(strategies × simulate), plus O(strategies × orders × route) for the static pass.
///
/// # Example
///
/// ```
/// use omniroute::sim::*;
/// let s = Scenario::generate(&ScenarioParams::new().orders(60).skus(150).stores(4))?;
/// let strategies = vec![SimStrategy::by_name("optimal")?, SimStrategy::by_name("priority")?];
/// let c = compare(&s, &strategies, &SimOptions::new(), &mut NoObserver)?;
/// assert_eq!(c.results.len(), 2);
/// assert!(c.results[0].static_gap.cost <= c.results[1].static_gap.cost);
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
pub fn compare(
    scenario: &Scenario,
    strategies: &[SimStrategy],
    options: &SimOptions,
    observer: &mut dyn Observer,
) -> Result<Comparison, SimError> {
    let start = scenario.starting_ledger()?;
    let gaps = if options.static_pass {
        static_pass(scenario, &start, strategies, options, observer)?
    } else {
        vec![StaticGap::default(); strategies.len()]
    };
    let mut results = Vec::with_capacity(strategies.len());
    for (st, gap) in strategies.iter().zip(gaps) {
        let mut f = LedgerFulfiller::new(start.clone());
        let metrics = simulate(scenario, st, &mut f, options, observer)?;
        f.ledger().check_invariants().map_err(|e| SimError::Ledger { step: "end of run", error: e })?;
        let units_on_hand_at_end = physical_units(f.ledger())?;
        results.push(StrategyResult {
            name: st.name().to_owned(),
            metrics,
            static_gap: gap,
            units_on_hand_at_end,
        });
    }
    Ok(Comparison { params: *scenario.params(), results })
}
