//! The ATP-aware per-order step: routing over what each channel may promise.

use super::fulfil::{Fulfiller, LedgerFulfiller, Placement, Units};
use super::{SimError, SimOrder};
use crate::atp::{AtpChange, AtpPolicy, AtpViews};
use crate::ledger::{Command, Ledger, Outcome};
use crate::model::{ChannelId, FulfilmentMethod, NodeId, OrderId, Qty, Sku, Timestamp};
use crate::routing::{Availability, RouteOptions, RoutingProblem, Strategy};

/// [`Fulfiller`] that promises through ATP: a [`LedgerFulfiller`] whose
/// routing reads [`AtpViews::for_channel`] for the order's channel and
/// fulfilment method instead of raw ledger availability, so safety stock,
/// ring-fenced channel pools and per-method eligibility (see
/// [`Scenario::atp_policy`](super::Scenario::atp_policy)) decide what an
/// order may take.
///
/// Every ledger event — its own reservations, commits, shipments and
/// releases, and the host's replenishment and returns commands applied
/// through [`Fulfiller::apply`] — is fed to the views as it happens
/// ([`AtpViews::apply`]); the availability changes they publish are
/// counted ([`AtpFulfiller::changes_published`]). [`Fulfiller::check`]
/// verifies at the end that the views equal a from-scratch computation
/// ([`AtpViews::verify`]).
///
/// Reservations, commits, shipments and releases are the
/// [`LedgerFulfiller`]'s (same batches, same entry ids). A rejected batch
/// changes neither the ledger nor the views; the views can only fail after
/// a batch applied if they were built from another ledger
/// ([`SimError::Atp`]), and are then out of step.
///
/// ```
/// use omniroute::routing::{Optimal, RouteOptions};
/// use omniroute::sim::{AtpFulfiller, Fulfiller, Scenario, ScenarioParams};
/// let s = Scenario::generate(&ScenarioParams::new().orders(10).skus(50).stores(3))?;
/// let mut f = AtpFulfiller::new(s.starting_ledger()?, s.atp_policy()?)?;
/// let order = &s.orders()[0];
/// let placed = f.place(order, &s.problem(order)?, &Optimal, &RouteOptions::new(), order.at)?;
/// let shipped = f.ship(order.id, order.release_at)?;
/// assert_eq!(shipped.iter().map(|u| u.qty.get()).sum::<u64>(), placed.reserved.get());
/// f.check()?; // ledger invariants, and the views equal a fresh computation
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AtpFulfiller {
    inner: LedgerFulfiller,
    views: AtpViews,
    /// Reused buffer for the views' change feed.
    feed: Vec<AtpChange>,
    published: u64,
}

impl AtpFulfiller {
    /// A fulfiller over `ledger`, promising under `policy`.
    ///
    /// # Errors
    ///
    /// [`SimError::Atp`] when the views cannot be built.
    ///
    /// # Complexity
    ///
    /// O(SKUs × nodes × channels × 5), building the views.
    pub fn new(ledger: Ledger, policy: AtpPolicy) -> Result<Self, SimError> {
        let views = AtpViews::new(policy, &ledger)?;
        Ok(Self { inner: LedgerFulfiller::new(ledger), views, feed: Vec::new(), published: 0 })
    }

    /// The ATP views, as up to date as the ledger.
    #[must_use]
    pub const fn views(&self) -> &AtpViews {
        &self.views
    }

    /// Orders with live holds.
    #[must_use]
    pub fn open_orders(&self) -> usize {
        self.inner.open_orders()
    }

    /// Network ATP changes the views published so far (one per (SKU,
    /// channel, method) that moved per event), for syncing storefronts.
    #[must_use]
    pub const fn changes_published(&self) -> u64 {
        self.published
    }

    /// The ledger, taken back.
    #[must_use]
    pub fn into_ledger(self) -> Ledger {
        self.inner.into_ledger()
    }

    fn feed(&mut self, outcomes: &[Outcome]) -> Result<(), SimError> {
        for o in outcomes {
            if let Outcome::Applied(ev) = o {
                self.feed.clear();
                self.views.apply(self.inner.ledger(), ev, &mut self.feed)?;
                self.published = self.published.saturating_add(self.feed.len() as u64);
            }
        }
        Ok(())
    }

    fn channel_view(
        &self,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Result<crate::atp::ChannelView<'_>, SimError> {
        Ok(self.views.for_channel(channel, method)?)
    }
}

impl Fulfiller for AtpFulfiller {
    fn ledger(&self) -> &Ledger {
        self.inner.ledger()
    }

    /// ATP of the first channel (`web`) by [`FulfilmentMethod::Ship`];
    /// [`Fulfiller::available_for`] answers for an order's own channel and method.
    fn available(&self, node: NodeId, sku: Sku) -> Qty {
        self.channel_view(ChannelId::new(0), FulfilmentMethod::Ship)
            .map_or(Qty::ZERO, |v| v.available(node, sku))
    }

    fn available_for(&self, order: &SimOrder, node: NodeId, sku: Sku) -> Qty {
        self.channel_view(order.channel, order.method).map_or(Qty::ZERO, |v| v.available(node, sku))
    }

    fn apply(&mut self, commands: &[Command], now: Timestamp) -> Result<(), SimError> {
        let out = self.inner.apply_out(commands, now)?;
        self.feed(&out)
    }

    fn place(
        &mut self,
        order: &SimOrder,
        problem: &RoutingProblem,
        strategy: &dyn Strategy,
        options: &RouteOptions,
        now: Timestamp,
    ) -> Result<Placement, SimError> {
        let view = self.views.for_channel(order.channel, order.method)?;
        let (placement, out) = self.inner.place_over(order, problem, strategy, options, now, Some(&view))?;
        self.feed(&out)?;
        Ok(placement)
    }

    fn cancel(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError> {
        let (units, out) = self.inner.cancel_out(order, now)?;
        self.feed(&out)?;
        Ok(units)
    }

    fn ship(&mut self, order: OrderId, now: Timestamp) -> Result<Vec<Units>, SimError> {
        let (units, out) = self.inner.ship_out(order, now)?;
        self.feed(&out)?;
        Ok(units)
    }

    fn check(&self) -> Result<(), SimError> {
        let ledger = self.inner.ledger();
        ledger.check_invariants().map_err(|e| SimError::Ledger { step: "end of run", error: e })?;
        match self.views.verify(ledger)? {
            None => Ok(()),
            Some((sku, channel, method)) => Err(SimError::AtpDiverged { sku, channel, method }),
        }
    }
}
