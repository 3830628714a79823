//! Scenario orders in the routing instance format
//! (shared/spec/routing-instance.md), so `examples/route.rs` replays them.

use core::fmt::Write as _;

use super::SimError;
use super::scenario::{Scenario, SimOrder, fill_problem};
use crate::model::{Location, NodeId, NodeKind, Sku};
use crate::routing::Availability;

/// The instance id of node `i`: `n0000`, `n0001`, … — zero-padded so the
/// format's sorted-string ids give node `i` dense id `i` again.
#[must_use]
pub fn node_key(node: NodeId) -> String {
    format!("n{:04}", node.get())
}

/// The instance id of a SKU: `sku-0000000`, …
#[must_use]
pub fn sku_key(sku: Sku) -> String {
    format!("sku-{:07}", sku.get())
}

fn kind(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Store => "store",
        NodeKind::DarkStore => "dark_store",
        NodeKind::Vendor => "vendor",
        _ => "warehouse",
    }
}

fn loc(out: &mut String, l: Location) {
    // `{}` prints the shortest decimal that reads back to the same f64.
    let _ = write!(out, "{{\"lat\":{},\"lon\":{}}}", l.lat(), l.lon());
}

fn tags<'a>(out: &mut String, tags: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, t) in tags.enumerate() {
        if i > 0 {
            out.push(',');
        }
        super::report::json_str(out, t);
    }
    out.push(']');
}

/// One order of `scenario` as a routing instance (one line of JSON), with
/// the availability `stock` gives for the order's SKUs at every node.
///
/// Every node is listed, with its shipment cost and transit days to the
/// order's zone; lines carry the capabilities their SKUs need; rules carry
/// `ship_complete` and the unfilled-unit penalty; pickups set `pickup_at`,
/// same-day orders `deliver_within_days: 0`. Routing the instance with a
/// strategy gives the plan the simulation would get with that stock.
///
/// # Errors
///
/// [`SimError::InvalidParameter`] when the order is not from `scenario`.
///
/// # Example
///
/// ```
/// use omniroute::sim::{Scenario, ScenarioParams, LedgerView, instance_json};
/// let s = Scenario::generate(&ScenarioParams::new().orders(5).skus(40).stores(2))?;
/// let start = s.starting_ledger()?;
/// let json = instance_json(&s, &s.orders()[0], &LedgerView(&start))?;
/// assert!(json.starts_with(r#"{"format":"omniroute.instance/1""#));
/// # Ok::<(), omniroute::sim::SimError>(())
/// ```
pub fn instance_json(
    scenario: &Scenario,
    order: &SimOrder,
    stock: &dyn Availability,
) -> Result<String, SimError> {
    let mut p = scenario.template_for(order)?.clone();
    fill_problem(&mut p, order, scenario.params().unfilled_unit_penalty);
    let mut o = String::with_capacity(256usize.saturating_mul(p.nodes.len().saturating_add(1)));
    o.push_str("{\"format\":\"omniroute.instance/1\",\"nodes\":[");
    for (i, n) in p.nodes.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(o, "{{\"id\":\"{}\",\"kind\":\"{}\"", node_key(n.id), kind(n.kind));
        if let Some(pr) = n.priority {
            let _ = write!(o, ",\"priority\":{pr}");
        }
        if let Some(l) = n.location {
            o.push_str(",\"location\":");
            loc(&mut o, l);
        }
        let _ = write!(o, ",\"shipment_cost\":\"{}\",\"unit_cost\":\"{}\"", n.shipment_cost, n.unit_cost);
        o.push_str(",\"capabilities\":");
        tags(&mut o, n.capabilities.iter());
        if let Some(m) = n.max_units {
            let _ = write!(o, ",\"max_units\":{}", m.get());
        }
        if let Some(d) = n.transit_days {
            let _ = write!(o, ",\"transit_days\":{d}");
        }
        o.push('}');
    }
    o.push_str("],\"stock\":{");
    let mut first_node = true;
    for n in &p.nodes {
        let mut cells: Vec<(Sku, u64)> = p
            .lines
            .iter()
            .map(|l| (l.sku, stock.available(n.id, l.sku).get()))
            .filter(|(_, q)| *q > 0)
            .collect();
        cells.sort_unstable();
        cells.dedup();
        if cells.is_empty() {
            continue;
        }
        if !first_node {
            o.push(',');
        }
        first_node = false;
        let _ = write!(o, "\"{}\":{{", node_key(n.id));
        for (j, (s, q)) in cells.iter().enumerate() {
            if j > 0 {
                o.push(',');
            }
            let _ = write!(o, "\"{}\":{q}", sku_key(*s));
        }
        o.push('}');
    }
    let _ = write!(o, "}},\"order\":{{\"id\":\"o-{}\"", order.id.get());
    if let Some(d) = p.destination {
        o.push_str(",\"destination\":");
        loc(&mut o, d);
    }
    if let Some(d) = p.deliver_within_days {
        let _ = write!(o, ",\"deliver_within_days\":{d}");
    }
    if let Some(n) = p.pickup_at {
        let _ = write!(o, ",\"pickup_at\":\"{}\"", node_key(n));
    }
    o.push_str(",\"lines\":[");
    for (i, l) in p.lines.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(
            o,
            "{{\"id\":\"{:02}\",\"sku\":\"{}\",\"quantity\":{}",
            l.id.get(),
            sku_key(l.sku),
            l.quantity.get()
        );
        if !l.requires.is_empty() {
            o.push_str(",\"requires\":");
            tags(&mut o, l.requires.iter());
        }
        o.push('}');
    }
    let r = p.rules;
    let _ = write!(
        o,
        "]}},\"rules\":{{\"split_lines\":{},\"ship_complete\":{}",
        r.get_split_lines(),
        r.get_ship_complete()
    );
    if let Some(m) = r.get_max_shipments() {
        let _ = write!(o, ",\"max_shipments\":{m}");
    }
    if let Some(pen) = r.get_unfilled_unit_penalty() {
        let _ = write!(o, ",\"unfilled_unit_penalty\":\"{pen}\"");
    }
    o.push_str("}}");
    Ok(o)
}
