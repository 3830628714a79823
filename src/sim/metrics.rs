//! What a run measured: exact counters and money, with the rates derived from them.

use rust_decimal::Decimal;

use super::SimError;
use crate::model::Money;

/// The counters of one strategy's run over a scenario. Everything is an
/// exact integer or [`Money`]; the rates are derived on demand.
///
/// ```
/// use omniroute::sim::RunMetrics;
/// let m = RunMetrics::default();
/// assert_eq!(m.fill_rate(), 0.0);
/// assert_eq!(m.cost_per_order(), omniroute::Money::ZERO);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunMetrics {
    /// Orders placed.
    pub orders: u64,
    /// Orders cancelled by the customer before release.
    pub orders_cancelled: u64,
    /// Orders placed with every unit reserved.
    pub orders_fully_filled: u64,
    /// Orders placed with at least one shipment planned.
    pub orders_with_shipments: u64,
    /// Orders placed with more than one shipment planned (split orders).
    pub orders_split: u64,
    /// Orders the strategy could not route (an error, e.g. a search limit with no plan): nothing reserved.
    pub route_errors: u64,
    /// Reservation batches rejected and re-routed.
    pub reserve_retries: u64,
    /// Units ordered.
    pub units_ordered: u64,
    /// Units reserved at placement.
    pub units_filled: u64,
    /// Units left unfilled at placement.
    pub units_unfilled: u64,
    /// Units shipped (or picked up).
    pub units_shipped: u64,
    /// Units released by cancellations.
    pub units_released: u64,
    /// Shipments planned (one per node per order).
    pub shipments: u64,
    /// Total plan cost: shipments + units + unfilled-unit penalties.
    pub cost: Money,
    /// The part of `cost` that is unfilled-unit penalty.
    pub penalty_cost: Money,
    /// Orders that were not cancelled (the promise denominator).
    pub promise_orders: u64,
    /// Of those, orders fully filled in time: every shipment's transit ≤ the promise.
    pub promise_met: u64,
    /// Return requests made.
    pub returns_requested: u64,
    /// Return requests accepted (including keep-it).
    pub returns_accepted: u64,
    /// Accepted returns the customer keeps (returnless refund).
    pub returns_kept: u64,
    /// Refused or sent to manual review.
    pub returns_refused: u64,
    /// Returned units received at a node.
    pub units_returned: u64,
    /// Refunds granted.
    pub refunds: Money,
    /// Net recovery of every disposition (resale or salvage value minus handling).
    pub value_recovered: Money,
    /// Units received into on-hand from suppliers: starting stock and replenishment.
    pub units_supplied: u64,
    /// Replenishment orders placed.
    pub replenishment_orders: u64,
    /// Returned units that left the network by disposition (vendor, liquidation, donation, recycling, destruction).
    pub units_disposed_out: u64,
    /// Returned units transferred to another node for restock.
    pub units_transferred: u64,
}

/// `a / b` as a float (0 when `b` is 0): a research metric, not money.
#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// `m / n` rounded half-even to 4 decimals (zero when `n` is 0).
pub(crate) fn per(m: Money, n: u64) -> Money {
    if n == 0 {
        return Money::ZERO;
    }
    m.get().checked_div(Decimal::from(n)).map(|d| Money::new(d.round_dp(4))).unwrap_or(Money::ZERO)
}

impl RunMetrics {
    /// Units reserved / units ordered.
    #[must_use]
    pub fn fill_rate(&self) -> f64 {
        ratio(self.units_filled, self.units_ordered)
    }

    /// Split orders / orders with a shipment.
    #[must_use]
    pub fn split_rate(&self) -> f64 {
        ratio(self.orders_split, self.orders_with_shipments)
    }

    /// Shipments / orders with a shipment.
    #[must_use]
    pub fn shipments_per_order(&self) -> f64 {
        ratio(self.shipments, self.orders_with_shipments)
    }

    /// Promise met / orders not cancelled.
    #[must_use]
    pub fn promise_attainment(&self) -> f64 {
        ratio(self.promise_met, self.promise_orders)
    }

    /// Total plan cost per order placed, to 4 decimals.
    #[must_use]
    pub fn cost_per_order(&self) -> Money {
        per(self.cost, self.orders)
    }

    /// Plan cost without penalties per order placed, to 4 decimals.
    #[must_use]
    pub fn fulfilment_cost_per_order(&self) -> Money {
        per(self.cost.checked_sub(self.penalty_cost).unwrap_or(Money::ZERO), self.orders)
    }
}

/// Every strategy on the same orders against the same (starting) stock,
/// order by order, compared with `optimal`: the per-order gap the
/// simulation's drift cannot blur.
///
/// ```
/// use omniroute::sim::StaticGap;
/// let g = StaticGap::default();
/// assert_eq!(g.gap_pct(), 0.0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaticGap {
    /// Orders compared.
    pub orders: u64,
    /// The strategy's total cost over them.
    pub cost: Money,
    /// `optimal`'s total cost over them.
    pub optimal_cost: Money,
    /// Orders where the strategy cost more than `optimal`.
    pub orders_worse: u64,
    /// Orders where the strategy cost less than `optimal` — only possible
    /// when `optimal` stopped at its search limit (see `optimal_unproven`).
    pub orders_better: u64,
    /// The largest per-order excess over `optimal`.
    pub max_gap: Money,
    /// Orders where `optimal` stopped at its search limit (status `feasible`).
    pub optimal_unproven: u64,
    /// Orders the strategy could not route (an error): compared at the full penalty.
    pub route_errors: u64,
}

impl StaticGap {
    /// Cost per order.
    #[must_use]
    pub fn cost_per_order(&self) -> Money {
        per(self.cost, self.orders)
    }

    /// (cost − optimal cost) / optimal cost, in percent.
    #[must_use]
    #[allow(clippy::float_arithmetic)]
    pub fn gap_pct(&self) -> f64 {
        let (c, o) = (self.cost.get(), self.optimal_cost.get());
        if o.is_zero() {
            return 0.0;
        }
        let g = c.checked_sub(o).and_then(|d| d.checked_div(o)).unwrap_or_default();
        // Decimal to f64 through its exact string: no float until the last step.
        g.round_dp(8).to_string().parse::<f64>().map(|x| x * 100.0).unwrap_or(0.0)
    }
}

/// `a += b`, or [`SimError::Overflow`] naming `what`.
pub(crate) fn add(a: &mut u64, b: u64, what: &'static str) -> Result<(), SimError> {
    *a = a.checked_add(b).ok_or(SimError::Overflow { what })?;
    Ok(())
}

/// `a += b` in money, or [`SimError::Overflow`] naming `what`.
pub(crate) fn add_money(a: &mut Money, b: Money, what: &'static str) -> Result<(), SimError> {
    *a = a.checked_add(b).map_err(|_| SimError::Overflow { what })?;
    Ok(())
}
