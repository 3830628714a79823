//! Batch allocation under scarce stock, and re-evaluation of routed but
//! unreleased orders.

use std::collections::BTreeMap;

use super::book::Work;
use super::{Applied, OpId, Order, OrderBook, OrderError, OrderEventKind, OrderSpec, OrderStatus};
use crate::ledger::Ledger;
use crate::model::{ChannelId, FulfilmentMethod, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};
use crate::routing::{Availability, OrderLine, PlanStatus};

/// How scarce stock is shared among orders of the same priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Fairness {
    /// First come, first served: each order takes all it can, in order of
    /// priority, promise date, order id.
    #[default]
    FirstCome,
    /// Each line gets `⌊qty × supply / demand⌋` of a scarce SKU; the units
    /// left over go one each to lines in batch order.
    ProRata,
    /// Units are dealt one per line per round in batch order (water
    /// filling: every line gets `min(qty, level)`, the rest one each).
    RoundRobin,
}

/// Options of [`OrderBook::allocate_batch`]. `Copy`, with by-value setters.
///
/// ```
/// use omniroute::order::{BatchOptions, Fairness};
/// let o = BatchOptions::new().fairness(Fairness::ProRata);
/// assert_eq!(o.get_fairness(), Fairness::ProRata);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchOptions {
    fairness: Fairness,
}

impl BatchOptions {
    /// First come, first served.
    #[must_use]
    pub const fn new() -> Self {
        Self { fairness: Fairness::FirstCome }
    }

    /// Sets the fairness rule.
    #[must_use]
    pub const fn fairness(mut self, fairness: Fairness) -> Self {
        self.fairness = fairness;
        self
    }

    /// See [`Self::fairness`].
    #[must_use]
    pub const fn get_fairness(&self) -> Fairness {
        self.fairness
    }
}

/// Options of [`OrderBook::reevaluate`]. `Copy`, with by-value setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReevaluateOptions {
    max_cost_increase: Option<Money>,
}

impl Default for ReevaluateOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ReevaluateOptions {
    /// Accept a consolidation only when it costs no more (`max_cost_increase(Some(0))`).
    #[must_use]
    pub const fn new() -> Self {
        Self { max_cost_increase: Some(Money::ZERO) }
    }

    /// How much more an order may cost to save a shipment; `None`: any.
    #[must_use]
    pub const fn max_cost_increase(mut self, max: Option<Money>) -> Self {
        self.max_cost_increase = max;
        self
    }

    /// See [`Self::max_cost_increase`].
    #[must_use]
    pub const fn get_max_cost_increase(&self) -> Option<Money> {
        self.max_cost_increase
    }
}

/// What a re-evaluation achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Reevaluation {
    /// Orders considered (routed, nothing released, nothing open, ≥ 2 nodes).
    pub considered: u32,
    /// Orders moved to fewer nodes.
    pub changed: u32,
    /// Shipments of the considered orders before.
    pub shipments_before: u64,
    /// Shipments of the considered orders after (never more than before).
    pub shipments_after: u64,
    /// Cost before minus cost after over the changed orders (shipment costs
    /// + unit costs; may be negative when a cost increase was allowed).
    pub cost_saved: Money,
}

fn batch_key(o: &Order) -> (core::cmp::Reverse<i32>, bool, Option<Timestamp>, OrderId) {
    (core::cmp::Reverse(o.priority), o.promise_date.is_none(), o.promise_date, o.id)
}

/// Quotas for one priority class: demand rows (order index, line, sku, qty)
/// against the supply per SKU.
pub(super) fn quotas(
    rows: &[(usize, LineId, Sku, u64)],
    supply: &BTreeMap<Sku, u64>,
    fairness: Fairness,
) -> Vec<u64> {
    let mut out: Vec<u64> = rows.iter().map(|r| r.3).collect();
    if fairness == Fairness::FirstCome {
        return out;
    }
    let mut by_sku: BTreeMap<Sku, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_sku.entry(r.2).or_default().push(i);
    }
    for (sku, idx) in by_sku {
        let s = supply.get(&sku).copied().unwrap_or(0);
        let d: u128 = idx.iter().filter_map(|i| rows.get(*i)).map(|r| u128::from(r.3)).sum();
        if d <= u128::from(s) {
            continue;
        }
        let mut given: u64 = 0;
        match fairness {
            Fairness::RoundRobin => {
                // The highest level t with Σ min(qty, t) ≤ s.
                let mut qs: Vec<u64> = idx.iter().filter_map(|i| rows.get(*i)).map(|r| r.3).collect();
                qs.sort_unstable();
                let (mut used, mut level, mut left) = (0u128, 0u64, qs.len() as u128);
                for q in qs {
                    let need = u128::from(q.saturating_sub(level)).saturating_mul(left);
                    if used.saturating_add(need) > u128::from(s) {
                        let step = (u128::from(s).saturating_sub(used)).checked_div(left).unwrap_or(0);
                        level = level.saturating_add(u64::try_from(step).unwrap_or(u64::MAX));
                        break;
                    }
                    used = used.saturating_add(need);
                    level = q;
                    left = left.saturating_sub(1);
                }
                for i in &idx {
                    if let (Some(o), Some(r)) = (out.get_mut(*i), rows.get(*i)) {
                        *o = r.3.min(level);
                        given = given.saturating_add(*o);
                    }
                }
            }
            _ => {
                for i in &idx {
                    if let (Some(o), Some(r)) = (out.get_mut(*i), rows.get(*i)) {
                        let q = (u128::from(r.3).saturating_mul(u128::from(s))).checked_div(d).unwrap_or(0);
                        *o = u64::try_from(q).unwrap_or(u64::MAX);
                        given = given.saturating_add(*o);
                    }
                }
            }
        }
        let mut rest = s.saturating_sub(given);
        for i in &idx {
            if rest == 0 {
                break;
            }
            if let (Some(o), Some(r)) = (out.get_mut(*i), rows.get(*i)) {
                if *o < r.3 {
                    *o = o.saturating_add(1);
                    rest = rest.saturating_sub(1);
                }
            }
        }
    }
    out
}

impl OrderBook {
    /// Places many orders together under scarce stock, as one operation and
    /// one atomic ledger batch. Orders go in order of priority (higher
    /// first), promise date (earlier first, none last), order id. Within a
    /// priority class the [`Fairness`] rule first sets each line's quota
    /// from the class's demand and supply per SKU (the availability view
    /// summed over the nodes eligible for at least one of the class's
    /// orders of that SKU); each order is then routed (by the
    /// [`Sourcing`](super::Sourcing)'s router) for its quota. Units beyond the quota or that no eligible node can
    /// ship stay open and are listed in `unfilled` — a batch never fails for
    /// lack of stock. Orders over the risk limits are placed on risk hold.
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`]; any order's validation error
    /// ([`OrderError::InvalidOrder`], [`OrderError::DuplicateOrder`] — also
    /// for an id twice in the batch —, [`OrderError::IneligibleNode`]);
    /// routing and ledger errors; [`OrderError::StaleAvailability`].
    /// Nothing is placed then.
    ///
    /// # Complexity
    ///
    /// One exact routing call per order over its eligible nodes, plus
    /// O(lines × log lines) for the quotas and O(nodes × SKUs) per priority
    /// class for the supply.
    ///
    /// # Example
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// # let t = Timestamp::EPOCH; let mut ledger = Ledger::new();
    /// # let (n, s) = (NodeId::new(0), Sku::new(0));
    /// # ledger.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), t)?;
    /// # ledger.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node: n, sku: s, qty: Qty::new(6), inbound: None }), t)?;
    /// # let mut book = OrderBook::new(Network::new(vec![Node::new(n, NodeKind::Warehouse)])?, OrderPolicy::new());
    /// let view = |_: NodeId, _: Sku| Qty::new(6);
    /// // Two orders of 6 and 3 units, 6 in stock: pro rata gives 4 and 2.
    /// let specs: Vec<OrderSpec> = [(1, 6), (2, 3)].iter().map(|&(id, q)| {
    ///     OrderSpec::new(OrderId::new(id), ChannelId::new(0)).line(LineSpec::new(LineId::new(0), s, Qty::new(q)))
    /// }).collect();
    /// let done = book.allocate_batch(&mut ledger, &view, OpId::new(1), t, specs, BatchOptions::new().fairness(Fairness::ProRata))?;
    /// assert_eq!(book.order(OrderId::new(1))?.lines[0].reserved(), Qty::new(4));
    /// assert_eq!(book.order(OrderId::new(2))?.lines[0].reserved(), Qty::new(2));
    /// assert_eq!(done.unfilled.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_batch<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        specs: Vec<OrderSpec>,
        options: BatchOptions,
    ) -> Result<Applied, OrderError> {
        self.check_op(op)?;
        let mut orders = Vec::with_capacity(specs.len());
        let mut ids = std::collections::BTreeSet::new();
        for spec in &specs {
            spec.validate()?;
            if self.orders.contains_key(&spec.id) || !ids.insert(spec.id) {
                return Err(OrderError::DuplicateOrder { order: spec.id });
            }
            if spec.hold_until.is_some_and(|h| h <= now) {
                return Err(OrderError::InvalidOrder {
                    field: "hold_until",
                    reason: "the checkout hold is already past",
                });
            }
            let mut o = Order::from_spec(spec);
            super::book::check_destination(self, &o)?;
            if super::ops::risky(self, spec)? {
                o.status = OrderStatus::RiskHold;
            }
            orders.push(o);
        }
        orders.sort_by_key(batch_key);
        let fairness = options.get_fairness();
        self.run(ledger, source.into(), op, now, |book, _, work| {
            let mut start = 0;
            while let Some(first) = orders.get(start) {
                let prio = first.priority;
                let end = orders
                    .iter()
                    .skip(start)
                    .position(|o| o.priority != prio)
                    .map_or(orders.len(), |k| start.saturating_add(k));
                let class = orders.get(start..end).unwrap_or_default();
                book.allocate_class(work, class, fairness)?;
                start = end;
            }
            Ok(())
        })
    }

    fn allocate_class(
        &self,
        work: &mut Work<'_>,
        class: &[Order],
        fairness: Fairness,
    ) -> Result<(), OrderError> {
        let mut rows = Vec::new();
        for (i, o) in class.iter().enumerate() {
            if o.status == OrderStatus::Active {
                rows.extend(o.lines.iter().map(|l| (i, l.id, l.sku, l.open.get())));
            }
        }
        let mut supply: BTreeMap<Sku, u64> = BTreeMap::new();
        if fairness != Fairness::FirstCome {
            // The supply of a SKU is what the nodes eligible for at least one
            // of the class's orders of that SKU hold (orders in a batch are
            // new, so eligibility depends only on channel, method and pickup
            // node).
            let mut eligible: BTreeMap<(ChannelId, FulfilmentMethod, Option<NodeId>), Vec<NodeId>> =
                BTreeMap::new();
            let mut nodes_of: BTreeMap<Sku, std::collections::BTreeSet<NodeId>> = BTreeMap::new();
            for r in &rows {
                let Some(o) = class.get(r.0) else { continue };
                let pickup = match o.destination {
                    super::Destination::Pickup(n) => Some(n),
                    _ => None,
                };
                let nodes = eligible.entry((o.channel, o.method, pickup)).or_insert_with(|| {
                    self.network
                        .nodes()
                        .iter()
                        .filter(|n| self.network.eligible_node(o.channel, o.method, n))
                        .filter(|n| pickup.is_none_or(|p| p == n.id))
                        .map(|n| n.id)
                        .collect()
                });
                nodes_of.entry(r.2).or_default().extend(nodes.iter().copied());
            }
            for (sku, nodes) in nodes_of {
                let s = nodes.iter().fold(0u64, |a, n| a.saturating_add(work.view.available(*n, sku).get()));
                supply.insert(sku, s);
            }
        }
        let q = quotas(&rows, &supply, fairness);
        let mut k = 0usize;
        for (i, o) in class.iter().enumerate() {
            let mut o = o.clone();
            if o.status == OrderStatus::RiskHold {
                work.put(o, OrderEventKind::RiskHeld);
                continue;
            }
            let mut demand = Vec::with_capacity(o.lines.len());
            while let (Some(r), Some(qty)) = (rows.get(k), q.get(k)) {
                if r.0 != i {
                    break;
                }
                demand.push((r.1, Qty::new(*qty)));
                if *qty < r.3 {
                    work.unfilled.push(super::Unfilled {
                        order: o.id,
                        line: r.1,
                        qty: Qty::new(r.3.saturating_sub(*qty)),
                    });
                }
                k = k.saturating_add(1);
            }
            self.source(work, &mut o, &demand, false)?;
            work.put(o, OrderEventKind::Placed);
        }
        Ok(())
    }

    /// Re-optimises routed but unreleased orders to cut shipments: every
    /// active order with nothing open, nothing allocated or shipped, and
    /// reservations at two or more nodes is re-routed (exact optimiser, same
    /// eligibility, delivery promise and pickup rules, at most one node fewer
    /// than now, with its own reserved units counted as available). The new
    /// plan is taken only when it ships every unit from fewer nodes and costs
    /// no more than allowed; the order's reservations are then released and
    /// re-made, all orders in one atomic batch, in order of order id.
    /// Shipments therefore never increase.
    ///
    /// The new plan comes from the [`Sourcing`](super::Sourcing)'s router
    /// and is priced as the router prices it; the current reservations are
    /// priced from the [`Network`](super::Network)'s nodes (each node's
    /// `shipment_cost` once, `unit_cost` per unit). With a router that
    /// reprices (by zone, say), `max_cost_increase` compares the two bases:
    /// give the network's nodes the router's costs, or leave it `None`
    /// (shipments only).
    ///
    /// # Errors
    ///
    /// [`OrderError::StaleOperation`], routing and ledger errors,
    /// [`OrderError::StaleAvailability`], [`OrderError::Overflow`].
    ///
    /// # Complexity
    ///
    /// One exact routing call per candidate order.
    ///
    /// # Example
    ///
    /// See `tests/order` (`reevaluation_consolidates_constructed_case`).
    ///
    /// ```
    /// # use omniroute::order::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let (mut book, mut ledger) = (OrderBook::default(), Ledger::new());
    /// let none = |_: NodeId, _: Sku| Qty::ZERO;
    /// let (_, report) = book.reevaluate(&mut ledger, &none, OpId::new(1), Timestamp::EPOCH, ReevaluateOptions::new())?;
    /// assert_eq!(report.considered, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reevaluate<'s>(
        &mut self,
        ledger: &mut Ledger,
        source: impl Into<super::Sourcing<'s>>,
        op: OpId,
        now: Timestamp,
        options: ReevaluateOptions,
    ) -> Result<(Applied, Reevaluation), OrderError> {
        let ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| {
                o.status == OrderStatus::Active
                    && o.hold_until.is_none_or(|h| h > now)
                    && o.lines.iter().all(|l| l.open.is_zero() && l.released().is_zero())
                    && o.reserved_nodes().len() >= 2
            })
            .map(|o| o.id)
            .collect();
        let mut report = Reevaluation::default();
        let applied = self.run(ledger, source.into(), op, now, |book, ledger, work| {
            report = Reevaluation::default();
            for id in &ids {
                let mut o = work.take(book, *id)?;
                if let Some(kind) = book.reevaluate_one(work, ledger, &mut o, options, &mut report)? {
                    work.put(o, kind);
                }
            }
            Ok(())
        })?;
        Ok((applied, report))
    }

    fn current_cost(&self, o: &Order) -> Result<Money, OrderError> {
        let of = |_| OrderError::Overflow { what: "cost" };
        let mut c = Money::ZERO;
        for n in o.reserved_nodes() {
            if let Some(node) = self.network.node(n) {
                c = c.checked_add(node.shipment_cost).map_err(of)?;
            }
        }
        for l in &o.lines {
            for h in &l.holds {
                if let Some(node) = self.network.node(h.node) {
                    c = c.checked_add(node.unit_cost.checked_mul_qty(h.qty).map_err(of)?).map_err(of)?;
                }
            }
        }
        Ok(c)
    }

    fn reevaluate_one(
        &self,
        work: &mut Work<'_>,
        ledger: &Ledger,
        o: &mut Order,
        options: ReevaluateOptions,
        report: &mut Reevaluation,
    ) -> Result<Option<OrderEventKind>, OrderError> {
        let nodes_before = o.reserved_nodes();
        let before = u32::try_from(nodes_before.len()).unwrap_or(u32::MAX);
        report.considered = report.considered.saturating_add(1);
        report.shipments_before = report.shipments_before.saturating_add(u64::from(before));
        let mut lines = Vec::new();
        for l in &o.lines {
            for h in &l.holds {
                work.give(h.node, l.sku, h.qty, false);
            }
            if !l.reserved().is_zero() {
                lines.push(OrderLine::new(l.id, l.sku, l.reserved()));
            }
        }
        let problem = self.problem(o, lines, Some(before.saturating_sub(1)));
        let plan = self.route(o, &problem, work)?;
        let cost_before = self.current_cost(o)?;
        let accept = plan.status != PlanStatus::Infeasible
            && plan.unfilled.is_empty()
            && !plan.shipments.is_empty()
            && plan.shipments.len() < nodes_before.len()
            && match (plan.cost, options.get_max_cost_increase()) {
                (Some(after), Some(max)) => {
                    cost_before.checked_add(max).map_err(|_| OrderError::Overflow { what: "cost" })? >= after
                }
                (Some(_), None) => true,
                (None, _) => false,
            };
        if !accept {
            for l in &o.lines {
                for h in &l.holds {
                    work.give(h.node, l.sku, h.qty, true);
                }
            }
            report.shipments_after = report.shipments_after.saturating_add(u64::from(before));
            return Ok(None);
        }
        for l in &mut o.lines {
            for h in core::mem::take(&mut l.holds) {
                work.release_command(ledger, &h)?;
                l.open = l.open.checked_add(h.qty).map_err(|_| OrderError::Overflow { what: "open" })?;
            }
        }
        self.reserve_plan(work, o, &plan, true)?;
        let after = plan.shipments.len();
        let cost_after = plan.cost.unwrap_or(Money::ZERO);
        let saved = cost_before.checked_sub(cost_after).map_err(|_| OrderError::Overflow { what: "cost" })?;
        report.changed = report.changed.saturating_add(1);
        report.shipments_after = report.shipments_after.saturating_add(after as u64);
        report.cost_saved =
            report.cost_saved.checked_add(saved).map_err(|_| OrderError::Overflow { what: "cost" })?;
        Ok(Some(OrderEventKind::Reevaluated {
            shipments_before: before,
            shipments_after: u32::try_from(after).unwrap_or(u32::MAX),
            cost_saved: saved,
        }))
    }
}
