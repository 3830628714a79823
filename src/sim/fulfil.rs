//! The per-order step: everything the simulation asks of the order stack,
//! behind one trait so the order lifecycle and ATP views can replace it.

use std::collections::BTreeMap;

use super::{SimError, SimOrder};
use crate::ledger::{Command, CommandKind, Ledger, LedgerError, Outcome};
use crate::model::{EntryId, NodeId, OrderId, Qty, Sku, Timestamp};
use crate::routing::{Availability, Plan, RouteOptions, RoutingProblem, Strategy};

/// Availability read straight from a ledger: a position's
/// [`Position::available`](crate::ledger::Position::available)
/// (on hand + backorder allowance − reserved − allocated); unknown
/// positions read 0. There is no safety stock, channel pool or eligibility
/// here — that is the ATP module's job.
///
/// ```
/// use omniroute::ledger::Ledger;
/// use omniroute::routing::Availability;
/// use omniroute::sim::LedgerView;
/// use omniroute::{NodeId, Qty, Sku};
/// let l = Ledger::new();
/// assert_eq!(LedgerView(&l).available(NodeId::new(0), Sku::new(0)), Qty::ZERO);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LedgerView<'a>(pub &'a Ledger);

impl Availability for LedgerView<'_> {
    #[inline]
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.0.position(node, sku).map(|p| p.available()).unwrap_or(Qty::ZERO)
    }
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Placement {
    /// The plan the units were reserved by (its cost includes the penalty for unfilled units).
    pub plan: Plan,
    /// Units reserved.
    pub reserved: Qty,
    /// Times the reservation batch was rejected and the order re-routed.
    pub retries: u32,
}

/// One (node, SKU, quantity) of a shipment or release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Units {
    /// The node.
    pub node: NodeId,
    /// The SKU.
    pub sku: Sku,
    /// How many.
    pub qty: Qty,
}

/// Everything the simulation asks of the order stack, one order at a time.
///
/// [`LedgerFulfiller`] implements it over the ledger and a routing
/// strategy, [`AtpFulfiller`](super::AtpFulfiller) over ATP views, and
/// [`OrderFulfiller`](super::OrderFulfiller) over the order lifecycle
/// (place / release / ship / cancel / record return with ATP views).
/// Implementations must be deterministic and must leave their state
/// unchanged when they return an error.
pub trait Fulfiller {
    /// The ledger, for end-of-run checks and reports.
    fn ledger(&self) -> &Ledger;

    /// Units of `sku` the stack would promise at `node` now (the look-ahead
    /// strategy prices scarcity from it).
    fn available(&self, node: NodeId, sku: Sku) -> Qty;

    /// Units of `sku` the stack would promise at `node` now to `order`'s
    /// channel and fulfilment method; by default [`Fulfiller::available`].
    fn available_for(&self, order: &SimOrder, node: NodeId, sku: Sku) -> Qty {
        let _ = order;
        self.available(node, sku)
    }

    /// The end-of-run check: the ledger's invariants, and whatever the
    /// implementation keeps beside the ledger (the ATP views of
    /// [`AtpFulfiller`](super::AtpFulfiller) against a fresh computation).
    ///
    /// # Errors
    ///
    /// [`SimError::Ledger`] for a broken ledger invariant; implementations
    /// add their own ([`SimError::AtpDiverged`]).
    fn check(&self) -> Result<(), SimError> {
        self.ledger().check_invariants().map_err(|e| SimError::Ledger { step: "end of run", error: e })
    }

    /// Applies host commands (receipts, replenishment, returns) atomically.
    ///
    /// # Errors
    ///
    /// [`SimError::Ledger`] when the ledger rejects the batch (nothing applied).
    fn apply(&mut self, commands: &[Command], now: Timestamp) -> Result<(), SimError>;

    /// Places `order` (whose routing problem is `problem`): routes it with
    /// `strategy` over current availability and reserves the plan's units
    /// atomically, re-routing on a rejected reservation. The order carries
    /// what an order-lifecycle implementation needs beyond the problem
    /// (channel, fulfilment method, promise) to pick its ATP view.
    ///
    /// # Errors
    ///
    /// [`SimError::Routing`] when the strategy fails, [`SimError::Ledger`]
    /// when the reservation still fails after re-routing.
    fn place(
        &mut self,
        order: &SimOrder,
        problem: &RoutingProblem,
        strategy: &dyn Strategy,
        options: &RouteOptions,
        now: Timestamp,
    ) -> Result<Placement, SimError>;

    /// Releases everything held for `order` (a customer cancellation) and
    /// returns what was released.
    ///
    /// # Errors
    ///
    /// [`SimError::Ledger`] when the ledger rejects the release.
    fn cancel(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError>;

    /// Records that `qty` units of `order`'s `line` came back (the returns
    /// module moves the goods through [`Fulfiller::apply`]); by default
    /// nothing is kept. [`OrderFulfiller`](super::OrderFulfiller) records it
    /// in the order book.
    ///
    /// # Errors
    ///
    /// [`SimError::Order`] when the book refuses (more returned than shipped).
    fn record_return(
        &mut self,
        order: OrderId,
        line: crate::model::LineId,
        qty: Qty,
        now: Timestamp,
    ) -> Result<(), SimError> {
        let _ = (order, line, qty, now);
        Ok(())
    }

    /// Releases `order` to fulfilment and confirms its shipment: commits
    /// every hold and ships it. Returns what shipped, by node and SKU.
    ///
    /// # Errors
    ///
    /// [`SimError::Ledger`] when the ledger rejects the commit or shipment.
    fn ship(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    reservation: EntryId,
    units: Units,
}

/// The entry-id namespace of [`LedgerFulfiller`]'s own commands: ids
/// `FULFILLER_ENTRY_BASE + k`; hosts keep their ids below it.
pub const FULFILLER_ENTRY_BASE: u128 = 1 << 100;

/// [`Fulfiller`] over a [`Ledger`] and a routing strategy — the stand-in
/// for the order lifecycle:
///
/// - `place`: route over [`LedgerView`]; one `Reserve` per (node, SKU) of
///   the plan (lines naming the same SKU at one node share a hold), applied
///   with [`Ledger::apply_batch`]; a rejected batch re-routes once with the
///   fresher numbers, then fails.
/// - `ship`: one batch of `Commit` (the whole hold) and `Ship` per hold.
/// - `cancel`: one batch of `Release` per hold.
///
/// Entry ids are `FULFILLER_ENTRY_BASE + k` for the `k`-th command it makes.
///
/// ```
/// use omniroute::routing::{Optimal, RouteOptions};
/// use omniroute::sim::{Fulfiller, LedgerFulfiller, Scenario, ScenarioParams};
/// let s = Scenario::generate(&ScenarioParams::new().orders(10).skus(50).stores(3))?;
/// let mut f = LedgerFulfiller::new(s.starting_ledger()?);
/// let order = &s.orders()[0];
/// let placed = f.place(order, &s.problem(order)?, &Optimal, &RouteOptions::new(), order.at)?;
/// let shipped = f.ship(order.id, order.release_at)?;
/// let units: u64 = shipped.iter().map(|u| u.qty.get()).sum();
/// assert_eq!(units, placed.reserved.get());
/// assert!(f.ledger().check_invariants().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LedgerFulfiller {
    ledger: Ledger,
    next: u128,
    held: BTreeMap<OrderId, Vec<Held>>,
}

impl LedgerFulfiller {
    /// A fulfiller over `ledger`.
    #[must_use]
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger, next: FULFILLER_ENTRY_BASE, held: BTreeMap::new() }
    }

    /// The ledger, taken back.
    #[must_use]
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    /// Orders with live holds.
    #[must_use]
    pub fn open_orders(&self) -> usize {
        self.held.len()
    }

    fn entry(&mut self) -> Result<EntryId, SimError> {
        let id = EntryId::new(self.next)?;
        self.next = self.next.checked_add(1).ok_or(SimError::Overflow { what: "entry id" })?;
        Ok(id)
    }
}

/// The plan's units by (node, SKU).
fn plan_units(problem: &RoutingProblem, plan: &Plan) -> Result<BTreeMap<(NodeId, Sku), u64>, SimError> {
    let mut units: BTreeMap<(NodeId, Sku), u64> = BTreeMap::new();
    for s in &plan.shipments {
        for lq in &s.lines {
            let Some(line) = problem.lines.iter().find(|l| l.id == lq.line) else { continue };
            let u = units.entry((s.node, line.sku)).or_insert(0);
            *u = u.checked_add(lq.quantity.get()).ok_or(SimError::Overflow { what: "plan units" })?;
        }
    }
    Ok(units)
}

fn ledger_err(step: &'static str) -> impl Fn(crate::ledger::BatchRejection) -> SimError {
    move |r| SimError::Ledger { step, error: r.error }
}

impl LedgerFulfiller {
    /// Routes over `view` (the ledger itself when `None`) and reserves the
    /// plan; returns the placement and the ledger's outcomes.
    pub(crate) fn place_over(
        &mut self,
        order: &SimOrder,
        problem: &RoutingProblem,
        strategy: &dyn Strategy,
        options: &RouteOptions,
        now: Timestamp,
        view: Option<&dyn Availability>,
    ) -> Result<(Placement, Vec<Outcome>), SimError> {
        let mut retries = 0;
        loop {
            let plan = match view {
                Some(v) => strategy.route(problem, v, options)?,
                None => strategy.route(problem, &LedgerView(&self.ledger), options)?,
            };
            let units = plan_units(problem, &plan)?;
            let saved = self.next;
            let mut cmds = Vec::with_capacity(units.len());
            let mut held = Vec::with_capacity(units.len());
            let mut reserved = Qty::ZERO;
            for ((node, sku), q) in units {
                let qty = Qty::new(q);
                let id = self.entry()?;
                cmds.push(Command::new(id, CommandKind::Reserve { node, sku, qty, expires_at: None }));
                held.push(Held { reservation: id, units: Units { node, sku, qty } });
                reserved = reserved.checked_add(qty)?;
            }
            match self.ledger.apply_batch(&cmds, now) {
                Ok(out) => {
                    if !held.is_empty() {
                        self.held.entry(order.id).or_default().extend(held);
                    }
                    return Ok((Placement { plan, reserved, retries }, out));
                }
                Err(r) if retries == 0 && matches!(r.error, LedgerError::Insufficient { .. }) => {
                    // Availability moved underneath: the batch changed nothing; re-route once.
                    self.next = saved;
                    retries = 1;
                }
                Err(r) => {
                    self.next = saved;
                    return Err(SimError::Ledger { step: "reserve", error: r.error });
                }
            }
        }
    }

    /// [`Fulfiller::apply`], returning the ledger's outcomes.
    pub(crate) fn apply_out(
        &mut self,
        commands: &[Command],
        now: Timestamp,
    ) -> Result<Vec<Outcome>, SimError> {
        self.ledger.apply_batch(commands, now).map_err(ledger_err("host"))
    }

    /// [`Fulfiller::cancel`], returning the ledger's outcomes too.
    pub(crate) fn cancel_out(
        &mut self,
        order: OrderId,
        now: Timestamp,
    ) -> Result<(Vec<Units>, Vec<Outcome>), SimError> {
        let Some(held) = self.held.get(&order) else { return Ok((Vec::new(), Vec::new())) };
        let saved = self.next;
        let mut cmds = Vec::with_capacity(held.len());
        let ids: Vec<EntryId> = held.iter().map(|h| h.reservation).collect();
        for reservation in ids {
            cmds.push(Command::new(self.entry()?, CommandKind::Release { reservation }));
        }
        let out = match self.ledger.apply_batch(&cmds, now) {
            Ok(out) => out,
            Err(r) => {
                self.next = saved;
                return Err(ledger_err("cancel")(r));
            }
        };
        let units = self.held.remove(&order).unwrap_or_default().into_iter().map(|h| h.units).collect();
        Ok((units, out))
    }

    /// [`Fulfiller::ship`], returning the ledger's outcomes too.
    pub(crate) fn ship_out(
        &mut self,
        order: OrderId,
        now: Timestamp,
    ) -> Result<(Vec<Units>, Vec<Outcome>), SimError> {
        let Some(held) = self.held.get(&order).cloned() else { return Ok((Vec::new(), Vec::new())) };
        let saved = self.next;
        let mut cmds = Vec::with_capacity(held.len().saturating_mul(2));
        for h in &held {
            let Units { node, sku, qty } = h.units;
            cmds.push(Command::new(self.entry()?, CommandKind::Commit { reservation: h.reservation, qty }));
            cmds.push(Command::new(self.entry()?, CommandKind::Ship { node, sku, qty }));
        }
        let out = match self.ledger.apply_batch(&cmds, now) {
            Ok(out) => out,
            Err(r) => {
                self.next = saved;
                return Err(ledger_err("ship")(r));
            }
        };
        self.held.remove(&order);
        Ok((held.into_iter().map(|h| h.units).collect(), out))
    }
}

impl Fulfiller for LedgerFulfiller {
    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        LedgerView(&self.ledger).available(node, sku)
    }

    fn apply(&mut self, commands: &[Command], now: Timestamp) -> Result<(), SimError> {
        self.apply_out(commands, now).map(|_| ())
    }

    fn place(
        &mut self,
        order: &SimOrder,
        problem: &RoutingProblem,
        strategy: &dyn Strategy,
        options: &RouteOptions,
        now: Timestamp,
    ) -> Result<Placement, SimError> {
        self.place_over(order, problem, strategy, options, now, None).map(|(p, _)| p)
    }

    fn cancel(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError> {
        self.cancel_out(order, now).map(|(u, _)| u)
    }

    fn ship(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError> {
        self.ship_out(order, now).map(|(u, _)| u)
    }
}
