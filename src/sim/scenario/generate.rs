//! The generator's steps: network, catalogue, stock, routing templates and orders.

use rust_decimal::Decimal;

use super::{
    CHANNELS, LOCAL_KM, MS_PER_HOUR, PlannedReturn, Product, REGION_HEIGHT_KM, REGION_WIDTH_KM,
    RELEASE_HOURS, Replenishment, START, SimNode, SimOrder, Zone,
};
use crate::model::{
    Capabilities, ChannelId, FulfilmentMethod, LineId, Location, Money, Node, NodeId, NodeKind, OrderId, Qty,
    Sku,
};
use crate::returns::{Category, Grade, ReturnReason};
use crate::routing::{OrderLine, RoutingProblem, Rules};
use crate::sim::SimError;
use crate::sim::params::ScenarioParams;
use crate::sim::rng::{Rng, Weighted, isqrt, zipf_weights};

fn cents(c: i64) -> Money {
    Money::new(Decimal::new(c, 2))
}

fn millis(m: i64) -> Money {
    Money::new(Decimal::new(m, 3))
}

fn dist_km(ax: u32, ay: u32, bx: u32, by: u32) -> u64 {
    let dx = u64::from(ax.abs_diff(bx));
    let dy = u64::from(ay.abs_diff(by));
    isqrt(dx.saturating_mul(dx).saturating_add(dy.saturating_mul(dy)))
}

/// Map coordinates to WGS-84: a flat region anchored at 30°N 100°W,
/// 111 km per degree of latitude and 88.8 km per degree of longitude.
#[allow(clippy::float_arithmetic)] // geometry only
fn to_location(x_km: u32, y_km: u32) -> Result<Location, SimError> {
    Ok(Location::new(30.0 + f64::from(y_km) / 111.0, -100.0 + f64::from(x_km) / 88.8)?)
}

fn jitter(rng: &mut Rng, v: u32, by: u32, max: u32) -> u32 {
    let lo = v.saturating_sub(by);
    let hi = v.saturating_add(by).min(max);
    u32::try_from(rng.between(u64::from(lo), u64::from(hi))).unwrap_or(v)
}

fn node_id(i: usize) -> NodeId {
    NodeId::new(u32::try_from(i).unwrap_or(u32::MAX))
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Zone-dependent cost and transit of a node: (shipment cost in thousandths,
/// transit days). Costs grow with distance; stores and dark stores near the
/// zone deliver the same day.
fn leg(kind: NodeKind, d_km: u64) -> (i64, u32) {
    let d = to_i64(d_km);
    let days = |per: u64, base: u64| {
        u32::try_from(base.saturating_add(d_km.checked_div(per).unwrap_or(0))).unwrap_or(u32::MAX)
    };
    match kind {
        NodeKind::Store | NodeKind::DarkStore if d_km <= LOCAL_KM => {
            (if kind == NodeKind::Store { 5_000 } else { 3_500 }, 0)
        }
        NodeKind::Store => (6_000_i64.saturating_add(d.saturating_mul(4)), days(400, 1)),
        NodeKind::DarkStore => (5_000_i64.saturating_add(d.saturating_mul(4)), days(400, 1)),
        NodeKind::Vendor => (7_500_i64.saturating_add(d.saturating_mul(2)), days(600, 3)),
        _ => (5_000_i64.saturating_add(d.saturating_mul(4)), days(400, 1)),
    }
}

pub(super) fn network(params: &ScenarioParams, rng: &mut Rng) -> Result<(Vec<Zone>, Vec<SimNode>), SimError> {
    let (w, h) = (u64::from(REGION_WIDTH_KM), u64::from(REGION_HEIGHT_KM));
    let pops = zipf_weights(params.zones as usize, 100);
    let mut zones = Vec::with_capacity(pops.len());
    for (i, pop) in pops.iter().enumerate() {
        // Cities keep 60 km from the region's edge so their suburbs stay on the map.
        let x = u32::try_from(rng.between(60, w.saturating_sub(60))).unwrap_or(0);
        let y = u32::try_from(rng.between(60, h.saturating_sub(60))).unwrap_or(0);
        zones.push(Zone {
            id: u32::try_from(i).unwrap_or(u32::MAX),
            x_km: x,
            y_km: y,
            population: *pop,
            location: to_location(x, y)?,
            pickup_store: None,
        });
    }
    let by_pop = Weighted::new(&pops).ok_or(SimError::Overflow { what: "zone populations" })?;
    let mut nodes = Vec::with_capacity(params.node_count() as usize);
    let hazmat_bulky = Capabilities::from_tags(["hazmat", "bulky"])?;
    let push = |nodes: &mut Vec<SimNode>, kind: NodeKind, x: u32, y: u32, priority: i64| {
        let id = node_id(nodes.len());
        let caps = if matches!(kind, NodeKind::Warehouse | NodeKind::Vendor) {
            hazmat_bulky.clone()
        } else {
            Capabilities::new()
        };
        let unit = match kind {
            NodeKind::Store => cents(150),
            NodeKind::DarkStore => cents(90),
            NodeKind::Vendor => cents(120),
            _ => cents(50),
        };
        let node = Node::new(id, kind)
            .with_location(to_location(x, y)?)
            .with_capabilities(caps)
            .with_priority(priority)
            .with_unit_cost(unit);
        nodes.push(SimNode { node, x_km: x, y_km: y });
        Ok::<(), SimError>(())
    };
    for i in 0..params.warehouses {
        let x = u32::try_from(rng.between(0, w)).unwrap_or(0);
        let y = u32::try_from(rng.between(0, h)).unwrap_or(0);
        push(&mut nodes, NodeKind::Warehouse, x, y, i64::from(i).saturating_add(1))?;
    }
    for i in 0..params.stores {
        let z = zones.get(by_pop.sample(rng)).map(|z| (z.x_km, z.y_km)).unwrap_or_default();
        let (x, y) = (jitter(rng, z.0, 15, REGION_WIDTH_KM), jitter(rng, z.1, 15, REGION_HEIGHT_KM));
        push(&mut nodes, NodeKind::Store, x, y, i64::from(i).saturating_add(100))?;
    }
    for i in 0..params.dark_stores {
        // The largest zones first (zone 0 is the most populous), round robin.
        let z = zones
            .get(i.checked_rem(params.zones).unwrap_or(0) as usize)
            .map(|z| (z.x_km, z.y_km))
            .unwrap_or_default();
        let (x, y) = (jitter(rng, z.0, 10, REGION_WIDTH_KM), jitter(rng, z.1, 10, REGION_HEIGHT_KM));
        push(&mut nodes, NodeKind::DarkStore, x, y, i64::from(i).saturating_add(50))?;
    }
    for i in 0..params.vendors {
        let x = u32::try_from(rng.between(0, w)).unwrap_or(0);
        let y = u32::try_from(rng.between(0, h)).unwrap_or(0);
        push(&mut nodes, NodeKind::Vendor, x, y, i64::from(i).saturating_add(200))?;
    }
    Ok((zones, nodes))
}

/// Each zone's pickup store: the store nearest its centre (ties by id).
pub(super) fn pickup_stores(zones: &mut [Zone], nodes: &[SimNode]) {
    for z in zones {
        z.pickup_store = nodes
            .iter()
            .filter(|n| n.node.kind == NodeKind::Store)
            .min_by_key(|n| (dist_km(n.x_km, n.y_km, z.x_km, z.y_km), n.node.id))
            .map(|n| n.node.id);
    }
}

pub(super) fn catalogue(params: &ScenarioParams, nodes: &[SimNode], rng: &mut Rng) -> Vec<Product> {
    let weights = zipf_weights(params.skus as usize, params.zipf_exponent_centi);
    let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    // Expected units a day: orders/day × ~2.2 lines × ~1.3 units, in thousandths.
    let units_per_day_milli =
        u128::from(params.orders).saturating_mul(2_860).checked_div(u128::from(params.days)).unwrap_or(0);
    let vendors: Vec<NodeId> =
        nodes.iter().filter(|n| n.node.kind == NodeKind::Vendor).map(|n| n.node.id).collect();
    weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let share = units_per_day_milli.saturating_mul(u128::from(*w)).checked_div(total).unwrap_or(0);
            let vendor = if vendors.is_empty() || !rng.chance_bp(params.drop_ship_bp) {
                None
            } else {
                vendors.get(rng.below(vendors.len() as u64) as usize).copied()
            };
            Product {
                sku: Sku::new(u32::try_from(i).unwrap_or(u32::MAX)),
                category: Category::new(u32::try_from(rng.below(u64::from(params.categories))).unwrap_or(0)),
                hazmat: rng.chance_bp(params.hazmat_bp),
                bulky: rng.chance_bp(params.bulky_bp),
                price: cents(to_i64(rng.between(300, 11_999))),
                vendor,
                popularity: *w,
                daily_demand_milli: u64::try_from(share).unwrap_or(u64::MAX).max(1),
            }
        })
        .collect()
}

/// `(n − rank) / n` raised to `power`, in basis points.
fn rank_bp(rank: usize, n: usize, power: u32) -> u64 {
    let n = n.max(1) as u128;
    let top = n.saturating_sub(rank as u128);
    let num = top.saturating_pow(power).saturating_mul(10_000);
    u64::try_from(num.checked_div(n.saturating_pow(power)).unwrap_or(0)).unwrap_or(10_000)
}

pub(super) type Stock = (Vec<(NodeId, Sku, Qty)>, Vec<Replenishment>);

pub(super) fn initial_stock(
    params: &ScenarioParams,
    nodes: &[SimNode],
    products: &[Product],
    rng: &mut Rng,
) -> Stock {
    let n = products.len();
    let mut stock = Vec::new();
    let mut repl = Vec::new();
    let whs = u64::from(params.warehouses.max(1));
    let stores = u64::from(params.stores.max(1));
    for sn in nodes {
        let id = sn.node.id;
        for (rank, p) in products.iter().enumerate() {
            let d = p.daily_demand_milli;
            let (stocked, depth) = match sn.node.kind {
                NodeKind::Warehouse => {
                    let chance = 6_000_u64.saturating_add(rank_bp(rank, n, 1).saturating_mul(4) / 10);
                    // cover_days of the warehouse's share of demand, +20 %, at least 2.
                    let need = d.saturating_mul(u64::from(params.cover_days)).saturating_mul(12) / 10;
                    (
                        rng.below(10_000) < chance,
                        need.checked_div(whs)
                            .unwrap_or(0)
                            .div_ceil(1_000)
                            .max(2)
                            .saturating_add(rng.below(3)),
                    )
                }
                NodeKind::Store if !p.hazmat && !p.bulky => {
                    let chance = 300_u64.saturating_add(rank_bp(rank, n, 4).saturating_mul(6) / 10);
                    let base = d.saturating_mul(8).checked_div(stores).unwrap_or(0) / 1_000;
                    (rng.below(10_000) < chance, rng.between(1, 4).saturating_add(base))
                }
                NodeKind::DarkStore if !p.hazmat && !p.bulky => {
                    let chance = 200_u64.saturating_add(rank_bp(rank, n, 6).saturating_mul(8) / 10);
                    (rng.below(10_000) < chance, rng.between(2, 6).saturating_add(d / 4_000))
                }
                NodeKind::Vendor => (p.vendor == Some(id), rng.between(200, 1_000)),
                _ => (false, 0),
            };
            if stocked && depth > 0 {
                stock.push((id, p.sku, Qty::new(depth)));
                if sn.node.kind == NodeKind::Warehouse {
                    let lead = u64::from(params.lead_days).saturating_add(1);
                    let rop = d.saturating_mul(lead).div_ceil(whs.saturating_mul(1_000)).max(1);
                    repl.push(Replenishment {
                        node: id,
                        sku: p.sku,
                        reorder_point: Qty::new(rop.min(depth)),
                        order_up_to: Qty::new(depth),
                    });
                }
            }
        }
    }
    stock.sort_unstable_by_key(|(n, s, _)| (*n, *s));
    repl.sort_unstable_by_key(|r| (r.node, r.sku));
    (stock, repl)
}

pub(super) fn templates(
    params: &ScenarioParams,
    zones: &[Zone],
    nodes: &[SimNode],
) -> Result<Vec<RoutingProblem>, SimError> {
    zones
        .iter()
        .map(|z| {
            let ns = nodes
                .iter()
                .map(|sn| {
                    let (ship_milli, days) = leg(sn.node.kind, dist_km(sn.x_km, sn.y_km, z.x_km, z.y_km));
                    sn.node.clone().with_shipment_cost(millis(ship_milli)).with_transit_days(days)
                })
                .collect();
            let rules = Rules::new().unfilled_unit_penalty(Some(params.unfilled_unit_penalty));
            Ok(RoutingProblem::new(ns, Vec::new()).with_destination(Some(z.location)).with_rules(rules))
        })
        .collect()
}

pub(super) fn order_stream(
    params: &ScenarioParams,
    zones: &[Zone],
    products: &[Product],
    rng: &mut Rng,
) -> Result<Vec<SimOrder>, SimError> {
    let horizon = u64::try_from(crate::model::Timestamp::MS_PER_DAY)
        .unwrap_or(0)
        .saturating_mul(u64::from(params.days));
    let mut times: Vec<u64> = (0..params.orders).map(|_| rng.below(horizon)).collect();
    times.sort_unstable();
    let zone_pick = Weighted::new(&zones.iter().map(|z| z.population).collect::<Vec<_>>())
        .ok_or(SimError::Overflow { what: "zone populations" })?;
    let sku_pick = Weighted::new(&products.iter().map(|p| p.popularity).collect::<Vec<_>>())
        .ok_or(SimError::Overflow { what: "popularity weights" })?;
    let channel_pick = Weighted::new(&CHANNELS.map(|(_, bp)| u64::from(bp)))
        .ok_or(SimError::Overflow { what: "channel shares" })?;
    let hazmat = Capabilities::from_tags(["hazmat"])?;
    let bulky = Capabilities::from_tags(["bulky"])?;
    let both = Capabilities::from_tags(["hazmat", "bulky"])?;
    let reasons = [
        (ReturnReason::DoesNotFit, 35),
        (ReturnReason::ChangedMind, 25),
        (ReturnReason::Defective, 15),
        (ReturnReason::NotAsDescribed, 10),
        (ReturnReason::DamagedInTransit, 10),
        (ReturnReason::WrongItem, 5),
    ];
    let reason_pick =
        Weighted::new(&reasons.map(|(_, w)| w)).ok_or(SimError::Overflow { what: "reasons" })?;
    let grades = [
        (Grade::Sealed, 35),
        (Grade::LikeNew, 25),
        (Grade::Used, 20),
        (Grade::Damaged, 12),
        (Grade::Scrap, 8),
    ];
    let grade_pick = Weighted::new(&grades.map(|(_, w)| w)).ok_or(SimError::Overflow { what: "grades" })?;
    let mut orders = Vec::with_capacity(times.len());
    for (i, t) in times.into_iter().enumerate() {
        let at = START.checked_add_ms(to_i64(t))?;
        let zi = zone_pick.sample(rng);
        let zone = zones.get(zi).ok_or(SimError::Overflow { what: "zone index" })?;
        let (x, y) =
            (jitter(rng, zone.x_km, 20, REGION_WIDTH_KM), jitter(rng, zone.y_km, 20, REGION_HEIGHT_KM));
        let channel = ChannelId::new(u32::try_from(channel_pick.sample(rng)).unwrap_or(0));
        let roll = rng.below(10_000);
        let mut method = if roll < u64::from(params.pickup_bp) {
            FulfilmentMethod::StorePickup
        } else if roll < u64::from(params.pickup_bp.saturating_add(params.same_day_bp)) {
            FulfilmentMethod::SameDay
        } else {
            FulfilmentMethod::Ship
        };
        if method == FulfilmentMethod::StorePickup && zone.pickup_store.is_none() {
            method = FulfilmentMethod::Ship;
        }
        let n_lines = if params.max_lines <= 1 || rng.chance_bp(params.single_line_bp) {
            1
        } else {
            // 2, then each further line with probability 1/2, up to max_lines.
            let mut n = 2;
            while n < params.max_lines && rng.chance_bp(5_000) {
                n = n.saturating_add(1);
            }
            n
        };
        let mut lines: Vec<OrderLine> = Vec::with_capacity(n_lines as usize);
        for li in 0..n_lines {
            // Distinct SKUs per order: a few redraws, then the line is dropped.
            let Some(p) = (0..8)
                .map(|_| products.get(sku_pick.sample(rng)))
                .find(|p| p.is_some_and(|p| lines.iter().all(|l| l.sku != p.sku)))
                .flatten()
            else {
                continue;
            };
            let q = match rng.below(100) {
                0..80 => 1,
                80..95 => 2,
                _ => rng.between(3, 5),
            };
            let mut line = OrderLine::new(LineId::new(li), p.sku, Qty::new(q));
            line = match (p.hazmat, p.bulky) {
                (true, true) => line.with_requires(both.clone()),
                (true, false) => line.with_requires(hazmat.clone()),
                (false, true) => line.with_requires(bulky.clone()),
                (false, false) => line,
            };
            lines.push(line);
        }
        let ship_complete = method == FulfilmentMethod::Ship && rng.chance_bp(params.ship_complete_bp);
        let promise_days = match method {
            FulfilmentMethod::Ship if rng.chance_bp(params.express_bp) => 2,
            FulfilmentMethod::Ship => 4,
            _ => 0,
        };
        let release_at = at.checked_add_ms(RELEASE_HOURS.saturating_mul(MS_PER_HOUR))?;
        let cancel_at = if rng.chance_bp(params.cancel_bp) {
            let after = rng.between(
                300_000,
                u64::try_from(RELEASE_HOURS.saturating_mul(MS_PER_HOUR)).unwrap_or(1).saturating_sub(1),
            );
            Some(at.checked_add_ms(to_i64(after))?)
        } else {
            None
        };
        let mut returns = Vec::new();
        for l in &lines {
            if rng.chance_bp(params.return_bp) {
                let (reason, _) =
                    reasons.get(reason_pick.sample(rng)).copied().unwrap_or((ReturnReason::ChangedMind, 0));
                let (grade, _) = grades.get(grade_pick.sample(rng)).copied().unwrap_or((Grade::Sealed, 0));
                returns.push(PlannedReturn {
                    line: l.id,
                    qty: Qty::new(rng.between(1, l.quantity.get())),
                    after_days: u32::try_from(rng.between(3, 25)).unwrap_or(3),
                    reason,
                    grade,
                });
            }
        }
        orders.push(SimOrder {
            id: OrderId::new(u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1)),
            at,
            zone: zone.id,
            destination: to_location(x, y)?,
            channel,
            method,
            lines,
            ship_complete,
            promise_days,
            pickup_at: if method == FulfilmentMethod::StorePickup { zone.pickup_store } else { None },
            cancel_at,
            release_at,
            returns,
        });
    }
    Ok(orders)
}
