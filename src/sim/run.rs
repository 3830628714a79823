//! The simulation: a scenario's event stream through the stack.

use std::collections::BTreeMap;

use super::SimError;
use super::fulfil::{Fulfiller, Units};
use super::metrics::{RunMetrics, add, add_money};
use super::scenario::{Scenario, SimOrder, fill_problem};
use super::strategy::{Observer, SimOptions, SimStrategy};
use crate::ledger::{Command, CommandKind, Ledger};
use crate::model::{EntryId, FulfilmentMethod, LineId, NodeId, Qty, Sku, Timestamp};
use crate::returns::ReturnPolicy;
use crate::routing::{Plan, RoutingProblem};

mod returns;

use returns::{Flow, return_policy};

/// The entry-id namespace of the simulation's own host commands (stocking,
/// replenishment, returns): ids from `HOST_ENTRY_BASE`.
pub const HOST_ENTRY_BASE: u128 = 1 << 96;

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
            let avail = |n: NodeId, k: Sku| f.available_for(o, n, k);
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
}

/// Runs `scenario`'s whole event stream with `strategy` through `fulfiller`
/// (which holds the starting stock, e.g. an [`OrderFulfiller`](super::OrderFulfiller) or a [`LedgerFulfiller`](super::LedgerFulfiller) over
/// [`Scenario::starting_ledger`]) and returns what it measured.
///
/// Events, in time order (ties in the order they were scheduled): orders
/// are placed (route + reserve), cancelled before release or released
/// (commit + ship) [`RELEASE_HOURS`](super::RELEASE_HOURS) later; warehouses
/// are reviewed daily and topped up (`ExpectInbound`, `Receive` after the
/// lead time); shipped lines are returned as planned — request (refund,
/// keep-it or route), receipt at the chosen warehouse (`ReturnReceipt`, and
/// [`Fulfiller::record_return`](super::Fulfiller::record_return)), and
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
