//! The routing hook: which [`Router`] an operation routes with, over which
//! availability ([`Sourcing`]), and the checks a router's plan must pass.

use std::collections::BTreeMap;

use super::{Order, OrderError};
use crate::model::{LineId, NodeId, Qty, Sku};
use crate::routing::{Availability, Optimal, Plan, RouteOptions, RoutingError, RoutingProblem, Strategy};

/// Routes the problem an order operation built for an order.
///
/// The book builds the [`RoutingProblem`]: the candidate nodes (eligible for
/// the order's channel and method, not excluded for the order, only the
/// pickup node for a pickup), the lines and units to source, and the rules
/// of the [`OrderPolicy`](super::OrderPolicy). A router sees the order too,
/// so a host can price by destination, zone or customer: it may route a
/// modified copy of the problem (other costs, capabilities, rules) as long
/// as its plan uses only the problem's nodes and lines and no more units
/// than asked or available — the book checks that and rejects the operation
/// otherwise ([`OrderError::InvalidPlan`]), with nothing applied.
///
/// The problem's lines carry the units the book asks for now. Units no
/// candidate node holds at all were already left out (they stay open and
/// are listed as unfilled), so a line may ask for less than the order's
/// open units — a router enforcing all-or-nothing rules (ship complete)
/// compares `problem.lines` with the `order`'s lines.
///
/// Every [`Strategy`] is a router that routes the problem as it is; the
/// default is [`Optimal`]. Both traits have `name` and `route`: where both
/// are in scope, call a strategy as `Strategy::route(&s, …)`.
///
/// # Example
///
/// A router that makes node 0 expensive for every order:
///
/// ```
/// use omniroute::order::{Order, Router};
/// use omniroute::routing::{Availability, Optimal, Plan, RouteOptions, RoutingError, RoutingProblem, Strategy};
/// use omniroute::{Money, NodeId};
/// struct AvoidNodeZero;
/// impl Router for AvoidNodeZero {
///     fn name(&self) -> &str { "avoid_node_zero" }
///     fn route(&self, _: &Order, problem: &RoutingProblem, availability: &dyn Availability,
///              options: &RouteOptions) -> Result<Plan, RoutingError> {
///         let mut p = problem.clone();
///         for n in p.nodes.iter_mut().filter(|n| n.id == NodeId::new(0)) {
///             n.shipment_cost = Money::from_int(1_000);
///         }
///         Strategy::route(&Optimal, &p, availability, options)
///     }
/// }
/// assert_eq!(Router::name(&AvoidNodeZero), "avoid_node_zero");
/// ```
pub trait Router {
    /// The router's name.
    fn name(&self) -> &str;

    /// Routes `problem` (built by the book for `order`) over `availability`.
    ///
    /// # Errors
    ///
    /// A [`RoutingError`]; the operation then fails with
    /// [`OrderError::Routing`] and changes nothing.
    fn route(
        &self,
        order: &Order,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError>;
}

impl<S: Strategy + ?Sized> Router for S {
    fn name(&self) -> &str {
        Strategy::name(self)
    }

    fn route(
        &self,
        _order: &Order,
        problem: &RoutingProblem,
        availability: &dyn Availability,
        options: &RouteOptions,
    ) -> Result<Plan, RoutingError> {
        Strategy::route(self, problem, availability, options)
    }
}

/// Where an operation's units come from: the host's availability view (the
/// ATP view of the order's channel and method) and the [`Router`] (by
/// default [`Optimal`]).
///
/// Every routing operation takes `impl Into<Sourcing>`, so a plain
/// availability view (`&view`, `&snapshot`, `&dyn Availability`) routes with
/// [`Optimal`]; [`Sourcing::router`] picks another router.
///
/// ```
/// use omniroute::order::Sourcing;
/// use omniroute::routing::Nearest;
/// use omniroute::{NodeId, Qty, Sku};
/// let view = |_: NodeId, _: Sku| Qty::new(5);
/// let s = Sourcing::new(&view);
/// assert_eq!(s.get_router().name(), "optimal");
/// let s = Sourcing::new(&view).router(&Nearest);
/// assert_eq!(s.get_router().name(), "nearest");
/// ```
#[derive(Clone, Copy)]
pub struct Sourcing<'a> {
    availability: &'a dyn Availability,
    router: &'a dyn Router,
}

impl core::fmt::Debug for Sourcing<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sourcing").field("router", &self.router.name()).finish_non_exhaustive()
    }
}

impl<'a> Sourcing<'a> {
    /// Sourcing over `availability` with the [`Optimal`] router.
    #[must_use]
    pub fn new(availability: &'a dyn Availability) -> Self {
        Self { availability, router: &Optimal }
    }

    /// Routes with `router` instead.
    #[must_use]
    pub fn router(mut self, router: &'a dyn Router) -> Self {
        self.router = router;
        self
    }

    /// The availability view.
    #[must_use]
    pub fn get_availability(&self) -> &'a dyn Availability {
        self.availability
    }

    /// The router.
    #[must_use]
    pub fn get_router(&self) -> &'a dyn Router {
        self.router
    }
}

impl<'a, A: Availability> From<&'a A> for Sourcing<'a> {
    fn from(availability: &'a A) -> Self {
        Self::new(availability)
    }
}

impl<'a, 'b: 'a> From<&'a (dyn Availability + 'b)> for Sourcing<'a> {
    fn from(availability: &'a (dyn Availability + 'b)) -> Self {
        Self::new(availability)
    }
}

/// Checks a router's plan against the problem it was given: every shipment
/// from a candidate node, every line known, no line shipped or left
/// unfilled beyond what was asked, no (node, SKU) above what `view` says is
/// available. Units the plan neither ships nor lists as unfilled are added
/// to its `unfilled` (they stay open).
pub(super) fn check_plan(
    order: &Order,
    problem: &RoutingProblem,
    view: &dyn Availability,
    plan: &mut Plan,
) -> Result<(), OrderError> {
    let bad = |reason| Err(OrderError::InvalidPlan { order: order.id, reason });
    let mut shipped: BTreeMap<LineId, u64> = BTreeMap::new();
    let mut at: BTreeMap<(NodeId, Sku), u64> = BTreeMap::new();
    for s in &plan.shipments {
        if !problem.nodes.iter().any(|n| n.id == s.node) {
            return bad("a shipment from a node that is not a candidate");
        }
        for lq in &s.lines {
            let Some(line) = problem.lines.iter().find(|l| l.id == lq.line) else {
                return bad("a shipment of a line that was not asked for");
            };
            let e = shipped.entry(lq.line).or_insert(0);
            *e = e.checked_add(lq.quantity.get()).ok_or(OrderError::Overflow { what: "plan units" })?;
            let e = at.entry((s.node, line.sku)).or_insert(0);
            *e = e.checked_add(lq.quantity.get()).ok_or(OrderError::Overflow { what: "plan units" })?;
        }
    }
    for ((node, sku), q) in &at {
        if *q > view.available(*node, *sku).get() {
            return bad("more units than available at a node");
        }
    }
    let mut unfilled: BTreeMap<LineId, u64> = BTreeMap::new();
    for u in &plan.unfilled {
        if !problem.lines.iter().any(|l| l.id == u.line) {
            return bad("an unfilled line that was not asked for");
        }
        let e = unfilled.entry(u.line).or_insert(0);
        *e = e.checked_add(u.quantity.get()).ok_or(OrderError::Overflow { what: "plan units" })?;
    }
    for l in &problem.lines {
        let s = shipped.get(&l.id).copied().unwrap_or(0);
        let u = unfilled.get(&l.id).copied().unwrap_or(0);
        let total = s.checked_add(u).ok_or(OrderError::Overflow { what: "plan units" })?;
        if total > l.quantity.get() {
            return bad("more units than asked for a line");
        }
        if total < l.quantity.get() {
            let rest = Qty::new(l.quantity.get().saturating_sub(total));
            match plan.unfilled.iter_mut().find(|x| x.line == l.id) {
                Some(x) => x.quantity = Qty::new(x.quantity.get().saturating_add(rest.get())),
                None => plan.unfilled.push(crate::routing::LineQty { line: l.id, quantity: rest }),
            }
        }
    }
    plan.unfilled.sort_by_key(|u| u.line);
    Ok(())
}
