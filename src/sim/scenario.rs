//! The seeded scenario generator: network, catalogue, stock and order stream.

use super::SimError;
use super::params::ScenarioParams;
use super::rng::Rng;
use crate::model::{
    ChannelId, FulfilmentMethod, LineId, Location, Money, Node, NodeId, OrderId, Qty, Sku, Timestamp,
};
use crate::returns::{Category, Grade, ReturnReason};
use crate::routing::{OrderLine, RoutingProblem, Rules};

/// Where the scenario's clock starts: 2026-01-05T00:00:00Z, a Monday.
pub const START: Timestamp = Timestamp::from_unix_ms(1_767_571_200_000);
/// The region's width (west–east) in kilometres.
pub const REGION_WIDTH_KM: u32 = 1_600;
/// The region's height (south–north) in kilometres.
pub const REGION_HEIGHT_KM: u32 = 1_000;
/// A store or dark store within this distance of a zone's centre delivers
/// there the same day and counts as in the zone.
pub const LOCAL_KM: u64 = 40;
/// The channels orders arrive through, by [`ChannelId`] index, with their shares in basis points.
pub const CHANNELS: [(&str, u32); 4] =
    [("web", 5_500), ("app", 2_500), ("marketplace", 1_000), ("store", 1_000)];
/// Hours between an order's placement and its release to the pick floor
/// (commit and ship); cancellations come before it.
pub const RELEASE_HOURS: i64 = 4;

const MS_PER_HOUR: i64 = 3_600_000;

mod generate;

use generate::{catalogue, initial_stock, network, order_stream, pickup_stores, templates};

/// A demand zone: a city with a population weight.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Zone {
    /// Its index.
    pub id: u32,
    /// Centre, kilometres east of the region's west edge.
    pub x_km: u32,
    /// Centre, kilometres north of the region's south edge.
    pub y_km: u32,
    /// Relative population (Zipf over zones): the share of orders it sends.
    pub population: u64,
    /// The centre as WGS-84 coordinates (for `nearest` and for export).
    pub location: Location,
    /// The store that takes this zone's pickups, if the scenario has stores.
    pub pickup_store: Option<NodeId>,
}

/// A node of the network with its place on the map.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimNode {
    /// The node (costs here are the zone-independent parts; see [`Scenario::problem_template`]).
    pub node: Node,
    /// Kilometres east of the region's west edge.
    pub x_km: u32,
    /// Kilometres north of the region's south edge.
    pub y_km: u32,
}

/// One SKU of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Product {
    /// The SKU; SKU `k` is the `k+1`-th most popular.
    pub sku: Sku,
    /// Its category (for the return policy).
    pub category: Category,
    /// Hazardous: needs the `hazmat` capability.
    pub hazmat: bool,
    /// Bulky: needs the `bulky` capability.
    pub bulky: bool,
    /// Selling price per unit.
    pub price: Money,
    /// The vendor that drop-ships it, if any.
    pub vendor: Option<NodeId>,
    /// Its Zipf popularity weight (rank 1 = 10^12).
    pub popularity: u64,
    /// Expected demand across the network, in thousandths of a unit per day.
    pub daily_demand_milli: u64,
}

/// A return the customer will ask for if the line ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedReturn {
    /// The line.
    pub line: LineId,
    /// Units to return (capped at what shipped).
    pub qty: Qty,
    /// Days after shipment the request comes.
    pub after_days: u32,
    /// Why.
    pub reason: ReturnReason,
    /// The grade the inspector will give.
    pub grade: Grade,
}

/// One customer order of the stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimOrder {
    /// Its id (orders are numbered in time order from 1).
    pub id: OrderId,
    /// When it is placed.
    pub at: Timestamp,
    /// The customer's zone.
    pub zone: u32,
    /// The delivery address.
    pub destination: Location,
    /// The channel it came through (an index into [`CHANNELS`]).
    pub channel: ChannelId,
    /// Ship, store pickup or same day.
    pub method: FulfilmentMethod,
    /// The lines, with the capabilities their SKUs need.
    pub lines: Vec<OrderLine>,
    /// The customer asked for one package.
    pub ship_complete: bool,
    /// Promised delivery in days (0 for same day and pickup).
    pub promise_days: u32,
    /// The store for a pickup order.
    pub pickup_at: Option<NodeId>,
    /// When the customer cancels, if they do (always before release).
    pub cancel_at: Option<Timestamp>,
    /// When it is released to the pick floor: committed and shipped.
    pub release_at: Timestamp,
    /// The returns that follow if the lines ship.
    pub returns: Vec<PlannedReturn>,
}

/// Replenishment of one warehouse position: when available falls below
/// `reorder_point` at a daily review, order up to `order_up_to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replenishment {
    /// The warehouse.
    pub node: NodeId,
    /// The SKU.
    pub sku: Sku,
    /// Reorder when available + inbound is below this.
    pub reorder_point: Qty,
    /// Top up to this.
    pub order_up_to: Qty,
}

/// A generated scenario: the same parameters and seed give the same
/// scenario, value for value, on every machine.
///
/// # Example
///
/// ```
/// use omniroute::sim::{Scenario, ScenarioParams};
/// let p = ScenarioParams::new().orders(200).skus(300).stores(8).seed(3);
/// let a = Scenario::generate(&p)?;
/// let b = Scenario::generate(&p)?;
/// assert_eq!(a.orders(), b.orders());
/// assert_eq!(a.orders().len(), 200);
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    params: ScenarioParams,
    zones: Vec<Zone>,
    nodes: Vec<SimNode>,
    products: Vec<Product>,
    stock: Vec<(NodeId, Sku, Qty)>,
    replenishment: Vec<Replenishment>,
    orders: Vec<SimOrder>,
    templates: Vec<RoutingProblem>,
}

impl Scenario {
    /// Generates the scenario of `params` (and its seed).
    ///
    /// Network: warehouses and vendors anywhere in a 1,600 × 1,000 km
    /// region; zones (cities) with Zipf populations; stores in zones drawn by
    /// population; dark stores in the largest zones. Catalogue: Zipf
    /// popularity, categories, hazmat and bulky shares (only warehouses and
    /// vendors ship those), prices 3.00–119.99, some SKUs drop-shipped by a
    /// vendor. Stock: warehouses hold most SKUs, `cover_days` deep; stores
    /// and dark stores hold popular SKUs, a few units; vendors hold deep
    /// stock of their SKUs. Orders: arrival times uniform over `days`; zone
    /// by population; lines, quantities, channels, methods, promises,
    /// cancellations and returns as the parameters say.
    ///
    /// # Errors
    ///
    /// [`SimError::InvalidParameter`] for parameters out of range (including
    /// more than 50 million node × SKU pairs); [`SimError::Model`] if a
    /// coordinate or time leaves its range (not reachable with valid parameters).
    ///
    /// # Complexity
    ///
    /// O(nodes × zones + nodes × SKUs + orders × lines × log SKUs) time and
    /// O(stocked positions + orders × lines) space.
    ///
    /// # Example
    ///
    /// See [`Scenario`].
    pub fn generate(params: &ScenarioParams) -> Result<Self, SimError> {
        params.validate()?;
        let pairs = u64::from(params.node_count()).saturating_mul(u64::from(params.skus));
        if pairs > 50_000_000 {
            return Err(SimError::InvalidParameter {
                name: "skus",
                reason: format!("{pairs} node × SKU pairs, more than 50,000,000"),
            });
        }
        let seed = params.seed;
        let (mut zones, nodes) = network(params, &mut Rng::new(seed, 1))?;
        let products = catalogue(params, &nodes, &mut Rng::new(seed, 2));
        let (stock, replenishment) = initial_stock(params, &nodes, &products, &mut Rng::new(seed, 3));
        pickup_stores(&mut zones, &nodes);
        let templates = templates(params, &zones, &nodes)?;
        let orders = order_stream(params, &zones, &products, &mut Rng::new(seed, 4))?;
        Ok(Self { params: *params, zones, nodes, products, stock, replenishment, orders, templates })
    }

    /// The parameters it was generated from.
    #[must_use]
    pub const fn params(&self) -> &ScenarioParams {
        &self.params
    }

    /// The demand zones.
    #[must_use]
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The nodes, by [`NodeId`] index: warehouses, then stores, dark stores and vendors.
    #[must_use]
    pub fn nodes(&self) -> &[SimNode] {
        &self.nodes
    }

    /// The catalogue, by [`Sku`] index (most popular first).
    #[must_use]
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The starting stock: on-hand units per (node, SKU), sorted, no zeros.
    #[must_use]
    pub fn stock(&self) -> &[(NodeId, Sku, Qty)] {
        &self.stock
    }

    /// The replenished warehouse positions.
    #[must_use]
    pub fn replenishment(&self) -> &[Replenishment] {
        &self.replenishment
    }

    /// The order stream, in time order.
    #[must_use]
    pub fn orders(&self) -> &[SimOrder] {
        &self.orders
    }

    /// The routing problem for an order from `zone` with no lines: every
    /// node with its shipment cost and transit days to that zone, and the
    /// unfilled-unit penalty. [`Scenario::problem`] fills in an order.
    #[must_use]
    pub fn problem_template(&self, zone: u32) -> Option<&RoutingProblem> {
        self.templates.get(zone as usize)
    }

    /// The routing problem of `order`: the zone's template with the order's
    /// lines, destination and rules — `pickup_at` for pickups,
    /// `deliver_within_days: 0` for same day (only nodes in the zone),
    /// `ship_complete` when asked for. Promise days of shipped orders are a
    /// target measured afterwards, not a hard rule.
    ///
    /// # Errors
    ///
    /// [`SimError::InvalidParameter`] when the order's zone is not in the
    /// scenario (an order from another scenario).
    pub fn problem(&self, order: &SimOrder) -> Result<RoutingProblem, SimError> {
        let mut p = self.template_for(order)?.clone();
        fill_problem(&mut p, order, self.params.unfilled_unit_penalty);
        Ok(p)
    }

    pub(crate) fn template_for(&self, order: &SimOrder) -> Result<&RoutingProblem, SimError> {
        self.problem_template(order.zone).ok_or_else(|| SimError::InvalidParameter {
            name: "zone",
            reason: format!("order {} names zone {} the scenario does not have", order.id.get(), order.zone),
        })
    }

    /// Transit days from `node` to `zone` (as in the zone's template).
    #[must_use]
    pub fn transit_days(&self, node: NodeId, zone: u32) -> Option<u32> {
        self.problem_template(zone)?.nodes.get(node.as_usize())?.transit_days
    }
}

/// Puts the order into a template (whose lines are empty or stale).
pub(crate) fn fill_problem(p: &mut RoutingProblem, order: &SimOrder, penalty: Money) {
    p.lines.clear();
    p.lines.extend(order.lines.iter().cloned());
    p.destination = Some(order.destination);
    p.pickup_at = order.pickup_at;
    p.deliver_within_days = (order.method == FulfilmentMethod::SameDay).then_some(0);
    p.rules = Rules::new().ship_complete(order.ship_complete).unfilled_unit_penalty(Some(penalty));
}
