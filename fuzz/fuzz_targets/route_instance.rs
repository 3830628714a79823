//! Routing instances, as raw JSON and as structured small instances: nothing
//! panics, every plan line is valid JSON of the plan format, every strategy's
//! plan respects stock and ordered quantities, its explanation adds up to its
//! cost, no strategy beats `optimal`, and a `RoutingNetwork` compiled from
//! the instance gives exactly `optimal`'s plan (or the same error).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use omniroute::routing::{
    Availability, Instance, PlanStatus, RouteOptions, RouteRequest, RoutingNetwork, STRATEGY_NAMES, explain,
    route_stream, strategy_by_name,
};
use serde_json::{Value, json};

#[derive(Debug, Arbitrary)]
struct FNode {
    ship: u8,
    unit: u8,
    caps: u8,
    max_units: Option<u8>,
    transit: Option<u8>,
    priority: Option<i8>,
    stock: [u8; 3],
}

#[derive(Debug, Arbitrary)]
struct FLine {
    sku: u8,
    qty: u8,
    requires: u8,
    group: Option<u8>,
}

#[derive(Debug, Arbitrary)]
struct FInstance {
    nodes: Vec<FNode>,
    lines: Vec<FLine>,
    split: Option<bool>,
    ship_complete: bool,
    max_shipments: Option<u8>,
    penalty: Option<u8>,
    within: Option<u8>,
    pickup: Option<u8>,
}

const CAPS: [&str; 2] = ["hazmat", "bulky"];

fn tags(bits: u8) -> Vec<&'static str> {
    CAPS.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, t)| *t).collect()
}

fn to_json(f: &FInstance) -> Value {
    let nodes: Vec<Value> = f
        .nodes
        .iter()
        .take(5)
        .enumerate()
        .map(|(i, n)| {
            json!({
                "id": format!("n{i}"),
                "shipment_cost": format!("{}.{}", n.ship / 10, n.ship % 10),
                "unit_cost": format!("0.{:02}", n.unit % 100),
                "capabilities": tags(n.caps),
                "max_units": n.max_units.map(|m| m % 8),
                "transit_days": n.transit.map(|t| t % 4),
                "priority": n.priority,
            })
        })
        .collect();
    let mut stock = serde_json::Map::new();
    for (i, n) in f.nodes.iter().take(5).enumerate() {
        let per: serde_json::Map<String, Value> =
            n.stock.iter().enumerate().map(|(s, q)| (format!("S{s}"), json!(q % 6))).collect();
        stock.insert(format!("n{i}"), Value::Object(per));
    }
    let lines: Vec<Value> = f
        .lines
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, l)| {
            json!({
                "id": format!("l{i}"),
                "sku": format!("S{}", l.sku % 3),
                "quantity": 1 + u64::from(l.qty % 4),
                "requires": tags(l.requires),
                "group": l.group.map(|g| format!("g{}", g % 2)),
            })
        })
        .collect();
    let n = f.nodes.len().min(5);
    json!({
        "format": "omniroute.instance/1",
        "nodes": nodes,
        "stock": stock,
        "order": {
            "id": "fuzz",
            "lines": lines,
            "deliver_within_days": f.within.map(|w| w % 4),
            "pickup_at": f.pickup.filter(|_| n > 0).map(|p| format!("n{}", usize::from(p) % n.max(1))),
        },
        "rules": {
            "split_lines": f.split,
            "ship_complete": f.ship_complete,
            "max_shipments": f.max_shipments.map(|m| m % 4),
            "unfilled_unit_penalty": f.penalty.map(|p| format!("{}", p % 30)),
        }
    })
}

/// The compiled network gives `optimal`'s plan, byte for byte, or its error.
fn check_network(inst: &Instance, opts: &RouteOptions) {
    let p = &inst.problem;
    let want = strategy_by_name("optimal").unwrap().route(p, &inst.stock, opts);
    let got = RoutingNetwork::with_unit_costs(p.nodes.clone(), p.unit_costs.clone())
        .and_then(|net| net.route(&RouteRequest::from_problem(p), &inst.stock, opts));
    match (&want, &got) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "network plan differs from optimal");
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("optimal {want:?} vs network {got:?}"),
    }
}

fn check_structured(v: &Value) {
    let Ok(inst) = Instance::from_value(v) else { return };
    let p = &inst.problem;
    let opts = RouteOptions::new();
    check_network(&inst, &opts);
    let optimal =
        strategy_by_name("optimal").unwrap().route(p, &inst.stock, &opts).expect("valid instance routes");
    for name in STRATEGY_NAMES {
        let plan =
            strategy_by_name(name).unwrap().route(p, &inst.stock, &opts).expect("valid instance routes");
        if plan.status == PlanStatus::Infeasible {
            assert!(plan.cost.is_none() && plan.shipments.is_empty() && plan.unfilled.is_empty());
            continue;
        }
        assert!(optimal.status != PlanStatus::Infeasible, "{name} found a plan where optimal found none");
        assert!(plan.cost >= optimal.cost, "{name} beat optimal");
        // Stock per (node, SKU) and ordered quantities.
        for s in &plan.shipments {
            let node = p.nodes.iter().find(|n| n.id == s.node).expect("known node");
            let mut per_sku = std::collections::BTreeMap::new();
            for lq in &s.lines {
                assert!(lq.quantity.get() > 0);
                let line = p.lines.iter().find(|l| l.id == lq.line).expect("known line");
                *per_sku.entry(line.sku).or_insert(0u64) += lq.quantity.get();
            }
            for (sku, q) in per_sku {
                assert!(q <= inst.stock.available(node.id, sku).get(), "{name} over-ships");
            }
        }
        for l in &p.lines {
            let shipped: u64 = plan.shipments.iter().map(|s| plan.shipped(s.node, l.id).get()).sum();
            let unfilled: u64 =
                plan.unfilled.iter().filter(|u| u.line == l.id).map(|u| u.quantity.get()).sum();
            assert_eq!(shipped + unfilled, l.quantity.get(), "{name} loses units");
            assert!(unfilled == 0 || p.rules.get_unfilled_unit_penalty().is_some());
        }
        let e = explain(p, &inst.stock, &plan).expect("explains");
        assert_eq!(e.cost.map(|c| c.total), plan.cost);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        // Raw JSON stream.
        let Ok(text) = std::str::from_utf8(rest) else { return };
        let optimal = strategy_by_name("optimal").unwrap();
        for line in route_stream(text, optimal.as_ref(), RouteOptions::new().max_node_sets(10_000)) {
            let v: Value = serde_json::from_str(&line).expect("plans are JSON");
            assert_eq!(v["format"], "omniroute.plan/1");
            assert!(["optimal", "feasible", "infeasible", "error"].contains(&v["status"].as_str().unwrap()));
        }
    } else {
        let mut u = arbitrary::Unstructured::new(rest);
        let Ok(f) = FInstance::arbitrary(&mut u) else { return };
        check_structured(&to_json(&f));
    }
});
