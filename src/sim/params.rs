//! Scenario parameters: with the seed, they define a scenario.

use super::SimError;
use crate::model::Money;

/// The parameters of a scenario. `Copy`, with by-value setters; shares are
/// in basis points (1/100 of a percent) so no floating point enters a
/// scenario's definition.
///
/// ```
/// use omniroute::sim::ScenarioParams;
/// let p = ScenarioParams::new().seed(7).orders(500).stores(12);
/// assert_eq!((p.get_seed(), p.get_orders(), p.get_stores()), (7, 500, 12));
/// assert!(p.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioParams {
    pub(crate) seed: u64,
    pub(crate) orders: u32,
    pub(crate) days: u32,
    pub(crate) warehouses: u32,
    pub(crate) stores: u32,
    pub(crate) dark_stores: u32,
    pub(crate) vendors: u32,
    pub(crate) zones: u32,
    pub(crate) skus: u32,
    pub(crate) zipf_exponent_centi: u32,
    pub(crate) categories: u32,
    pub(crate) hazmat_bp: u32,
    pub(crate) bulky_bp: u32,
    pub(crate) drop_ship_bp: u32,
    pub(crate) single_line_bp: u32,
    pub(crate) max_lines: u32,
    pub(crate) pickup_bp: u32,
    pub(crate) same_day_bp: u32,
    pub(crate) ship_complete_bp: u32,
    pub(crate) express_bp: u32,
    pub(crate) cancel_bp: u32,
    pub(crate) return_bp: u32,
    pub(crate) cover_days: u32,
    pub(crate) lead_days: u32,
    pub(crate) unfilled_unit_penalty: Money,
}

impl Default for ScenarioParams {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident, $get:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub const fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }

        #[doc = concat!("See [`Self::", stringify!($name), "`].")]
        #[must_use]
        pub const fn $get(&self) -> $ty {
            self.$name
        }
    )*};
}

/// The most orders a scenario may have.
pub const MAX_ORDERS: u32 = 5_000_000;
/// The most nodes (warehouses + stores + dark stores + vendors) a scenario may have.
pub const MAX_NODES: u32 = 1_000;
/// The most SKUs a scenario may have.
pub const MAX_SKUS: u32 = 1_000_000;

impl ScenarioParams {
    /// The default scenario: seed 42; 20,000 orders over 7 days; 4
    /// warehouses, 40 stores, 6 dark stores and 3 drop-ship vendors over 30
    /// demand zones; 2,000 SKUs with Zipf(1.0) popularity in 8 categories,
    /// 3 % hazmat, 5 % bulky, 20 % drop-shippable; half the orders single-line,
    /// at most 8 lines; 12 % store pickup, 8 % same day, 10 % ship complete,
    /// 25 % express (2-day promise, else 4); 5 % cancelled, 10 % of shipped
    /// lines returned; warehouses stocked for 5 days of demand and
    /// replenished with a 2-day lead time; unfilled units cost 25.00 each.
    #[must_use]
    pub fn new() -> Self {
        Self {
            seed: 42,
            orders: 20_000,
            days: 7,
            warehouses: 4,
            stores: 40,
            dark_stores: 6,
            vendors: 3,
            zones: 30,
            skus: 2_000,
            zipf_exponent_centi: 100,
            categories: 8,
            hazmat_bp: 300,
            bulky_bp: 500,
            drop_ship_bp: 2_000,
            single_line_bp: 5_000,
            max_lines: 8,
            pickup_bp: 1_200,
            same_day_bp: 800,
            ship_complete_bp: 1_000,
            express_bp: 2_500,
            cancel_bp: 500,
            return_bp: 1_000,
            cover_days: 5,
            lead_days: 2,
            unfilled_unit_penalty: Money::from_int(25),
        }
    }

    setters! {
        /// The seed: the same parameters and seed give the same scenario on every machine.
        seed, get_seed: u64;
        /// Orders in the stream, 1 to [`MAX_ORDERS`].
        orders, get_orders: u32;
        /// Days the orders arrive over, 1 to 365.
        days, get_days: u32;
        /// Distribution centres (at least 1): stock most of the catalogue, ship anything.
        warehouses, get_warehouses: u32;
        /// Stores: stock popular SKUs, ship from store, take pickups and same-day orders.
        stores, get_stores: u32;
        /// Dark stores in the busiest zones: same-day from popular SKUs.
        dark_stores, get_dark_stores: u32;
        /// Drop-ship vendors: deep stock of the SKUs they carry, slower and dearer.
        vendors, get_vendors: u32;
        /// Demand zones (cities) with Zipf-distributed populations, 1 to 1,000.
        zones, get_zones: u32;
        /// SKUs in the catalogue, 1 to [`MAX_SKUS`].
        skus, get_skus: u32;
        /// The Zipf exponent of SKU popularity in hundredths (100 = 1.0), at most 300.
        zipf_exponent_centi, get_zipf_exponent_centi: u32;
        /// Product categories, 1 to 1,000.
        categories, get_categories: u32;
        /// Share of SKUs that are hazmat (only warehouses and vendors ship them).
        hazmat_bp, get_hazmat_bp: u32;
        /// Share of SKUs that are bulky (only warehouses and vendors ship them).
        bulky_bp, get_bulky_bp: u32;
        /// Share of SKUs a vendor drop-ships.
        drop_ship_bp, get_drop_ship_bp: u32;
        /// Share of orders with a single line.
        single_line_bp, get_single_line_bp: u32;
        /// The most lines an order has, 1 to 16.
        max_lines, get_max_lines: u32;
        /// Share of orders picked up in store (only the zone's store may fill them).
        pickup_bp, get_pickup_bp: u32;
        /// Share of orders for same-day delivery (only nodes in the zone may fill them).
        same_day_bp, get_same_day_bp: u32;
        /// Share of shipped orders the customer wants in one package (`ship_complete`).
        ship_complete_bp, get_ship_complete_bp: u32;
        /// Share of shipped orders with the 2-day promise (else 4 days).
        express_bp, get_express_bp: u32;
        /// Share of orders cancelled before release.
        cancel_bp, get_cancel_bp: u32;
        /// Share of shipped lines returned.
        return_bp, get_return_bp: u32;
        /// Days of expected demand a warehouse starts with and is topped up to, 1 to 365.
        cover_days, get_cover_days: u32;
        /// Replenishment lead time in days, 0 to 365.
        lead_days, get_lead_days: u32;
        /// The cost of each unit left unfilled (routing's `unfilled_unit_penalty`), ≥ 0.
        unfilled_unit_penalty, get_unfilled_unit_penalty: Money;
    }

    /// Checks every parameter.
    ///
    /// # Errors
    ///
    /// [`SimError::InvalidParameter`] naming the first parameter out of range.
    ///
    /// ```
    /// use omniroute::sim::ScenarioParams;
    /// assert!(ScenarioParams::new().warehouses(0).validate().is_err());
    /// assert!(ScenarioParams::new().cancel_bp(10_001).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), SimError> {
        let range = |name: &'static str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                Err(SimError::InvalidParameter { name, reason: format!("{v} is out of range [{lo}, {hi}]") })
            } else {
                Ok(())
            }
        };
        range("orders", self.orders, 1, MAX_ORDERS)?;
        range("days", self.days, 1, 365)?;
        range("warehouses", self.warehouses, 1, MAX_NODES)?;
        range("stores", self.stores, 0, MAX_NODES)?;
        range("dark_stores", self.dark_stores, 0, MAX_NODES)?;
        range("vendors", self.vendors, 0, MAX_NODES)?;
        let nodes = u64::from(self.warehouses)
            .saturating_add(u64::from(self.stores))
            .saturating_add(u64::from(self.dark_stores))
            .saturating_add(u64::from(self.vendors));
        if nodes > u64::from(MAX_NODES) {
            return Err(SimError::InvalidParameter {
                name: "nodes",
                reason: format!("{nodes} nodes in all, more than {MAX_NODES}"),
            });
        }
        range("zones", self.zones, 1, 1_000)?;
        range("skus", self.skus, 1, MAX_SKUS)?;
        range("zipf_exponent_centi", self.zipf_exponent_centi, 0, 300)?;
        range("categories", self.categories, 1, 1_000)?;
        for (name, v) in [
            ("hazmat_bp", self.hazmat_bp),
            ("bulky_bp", self.bulky_bp),
            ("drop_ship_bp", self.drop_ship_bp),
            ("single_line_bp", self.single_line_bp),
            ("pickup_bp", self.pickup_bp),
            ("same_day_bp", self.same_day_bp),
            ("ship_complete_bp", self.ship_complete_bp),
            ("express_bp", self.express_bp),
            ("cancel_bp", self.cancel_bp),
            ("return_bp", self.return_bp),
        ] {
            range(name, v, 0, 10_000)?;
        }
        if self.pickup_bp.saturating_add(self.same_day_bp) > 10_000 {
            return Err(SimError::InvalidParameter {
                name: "same_day_bp",
                reason: "pickup and same-day shares add up to more than 100 %".into(),
            });
        }
        range("max_lines", self.max_lines, 1, 16)?;
        range("cover_days", self.cover_days, 1, 365)?;
        range("lead_days", self.lead_days, 0, 365)?;
        if self.unfilled_unit_penalty.is_negative() {
            return Err(SimError::InvalidParameter {
                name: "unfilled_unit_penalty",
                reason: "must not be negative".into(),
            });
        }
        Ok(())
    }

    /// Nodes in all.
    pub(crate) fn node_count(&self) -> u32 {
        self.warehouses
            .saturating_add(self.stores)
            .saturating_add(self.dark_stores)
            .saturating_add(self.vendors)
    }
}
