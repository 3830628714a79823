//! Seeded instance generator, an independent feasibility checker and an
//! exhaustive brute-force optimiser for small instances.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use omniroute::routing::{Availability, Plan, PlanStatus, RoutingProblem};
use omniroute::{LineId, Money, NodeId, Qty};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// splitmix64: a small seeded PRNG.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

/// A small random instance (≤ `max_nodes` nodes, ≤ 3 lines, quantities ≤ 3)
/// exercising every rule.
pub fn small_instance(rng: &mut Rng, max_nodes: u64) -> Value {
    let n = 1 + rng.below(max_nodes);
    let mut ids: Vec<String> = Vec::new();
    while (ids.len() as u64) < n {
        let id = format!("{}{}", rng.pick(&["n", "dc-", "store-", "v"]), rng.below(50));
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let skus = ["A", "B", "C"];
    let nsku = 1 + rng.below(2) as usize;
    let mut nodes = Vec::new();
    let mut stock = serde_json::Map::new();
    let mut unit_costs = serde_json::Map::new();
    for id in &ids {
        let mut node = serde_json::Map::new();
        node.insert("id".into(), json!(id));
        if rng.chance(50) {
            node.insert("shipment_cost".into(), json!(rng.pick(&["0", "1", "2.5", "3", "8.759"])));
        }
        if rng.chance(60) {
            node.insert("unit_cost".into(), json!(rng.pick(&["0", "0.5", "1", "1.25"])));
        }
        if rng.chance(30) {
            let caps: Vec<&str> = ["hazmat", "bulky"].into_iter().filter(|_| rng.chance(50)).collect();
            node.insert("capabilities".into(), json!(caps));
        }
        if rng.chance(25) {
            node.insert("max_units".into(), json!(rng.below(5)));
        }
        if rng.chance(25) {
            node.insert("transit_days".into(), json!(rng.below(4)));
        }
        if rng.chance(50) {
            node.insert("priority".into(), json!(rng.below(5) as i64 - 1));
        }
        if rng.chance(60) {
            node.insert(
                "location".into(),
                json!({"lat": (rng.below(2000) as f64) / 100.0 + 25.0, "lon": -(rng.below(5000) as f64) / 100.0 - 70.0}),
            );
        }
        nodes.push(Value::Object(node));
        let mut per = serde_json::Map::new();
        for s in &skus[..nsku] {
            if rng.chance(80) {
                per.insert((*s).into(), json!(rng.below(4)));
            }
        }
        stock.insert(id.clone(), Value::Object(per));
        if rng.chance(20) {
            unit_costs.insert(
                id.clone(),
                json!({ skus[rng.below(nsku as u64) as usize]: rng.pick(&["0.25", "2"]) }),
            );
        }
    }
    let nlines = 1 + rng.below(3);
    let mut lines = Vec::new();
    for i in 0..nlines {
        let mut l = serde_json::Map::new();
        l.insert("id".into(), json!(format!("{}", ["1", "2", "L-3", "x"][i as usize])));
        l.insert("sku".into(), json!(skus[rng.below(nsku as u64) as usize]));
        l.insert("quantity".into(), json!(1 + rng.below(3)));
        if rng.chance(15) {
            l.insert("requires".into(), json!([rng.pick(&["hazmat", "bulky"])]));
        }
        if rng.chance(25) {
            l.insert("group".into(), json!(rng.pick(&["kit-1", "kit-2"])));
        }
        lines.push(Value::Object(l));
    }
    let mut order = serde_json::Map::new();
    order.insert("id".into(), json!(format!("o-{}", rng.below(1000))));
    order.insert("lines".into(), Value::Array(lines));
    if rng.chance(50) {
        order.insert("destination".into(), json!({"lat": 40.0, "lon": -80.0}));
    }
    if rng.chance(20) {
        order.insert("deliver_within_days".into(), json!(rng.below(3)));
    }
    if rng.chance(10) {
        order.insert("pickup_at".into(), json!(rng.pick(&ids)));
    }
    let mut rules = serde_json::Map::new();
    if rng.chance(60) {
        rules.insert("split_lines".into(), json!(rng.chance(50)));
    }
    if rng.chance(15) {
        rules.insert("ship_complete".into(), json!(true));
    }
    if rng.chance(30) {
        rules.insert("max_shipments".into(), json!(rng.below(4)));
    }
    if rng.chance(55) {
        rules.insert("unfilled_unit_penalty".into(), json!(rng.pick(&["0", "1", "4", "20"])));
    }
    json!({
        "format": "omniroute.instance/1",
        "nodes": nodes,
        "stock": stock,
        "unit_costs": unit_costs,
        "order": order,
        "rules": rules,
    })
}

fn eligible(p: &RoutingProblem, k: usize, l: usize) -> bool {
    let node = &p.nodes[k];
    let line = &p.lines[l];
    if p.pickup_at.is_some_and(|x| x != node.id) {
        return false;
    }
    if let (Some(w), Some(t)) = (p.deliver_within_days, node.transit_days) {
        if t > w {
            return false;
        }
    }
    node.capabilities.contains_all(&line.requires)
}

/// Every rule of the spec, on a dense matrix `x[k][l]`; returns the exact cost.
pub fn check_matrix(p: &RoutingProblem, stock: &dyn Availability, x: &[Vec<u64>]) -> Result<Decimal, String> {
    let nk = p.nodes.len();
    let nl = p.lines.len();
    let penalty = p.rules.get_unfilled_unit_penalty();
    let mut cost = Decimal::ZERO;
    let mut shipping = 0usize;
    for k in 0..nk {
        let total: u64 = x[k].iter().sum();
        if total == 0 {
            continue;
        }
        shipping += 1;
        cost += p.nodes[k].shipment_cost.get();
        if let Some(m) = p.nodes[k].max_units {
            if total > m.get() {
                return Err(format!("node {k} ships {total} > max_units"));
            }
        }
        let mut per_sku: BTreeMap<_, u64> = BTreeMap::new();
        for l in 0..nl {
            if x[k][l] > 0 {
                if !eligible(p, k, l) {
                    return Err(format!("node {k} not eligible for line {l}"));
                }
                *per_sku.entry(p.lines[l].sku).or_default() += x[k][l];
                cost += p.unit_cost(&p.nodes[k], p.lines[l].sku).get() * Decimal::from(x[k][l]);
            }
        }
        for (s, q) in per_sku {
            if q > stock.available(p.nodes[k].id, s).get() {
                return Err(format!("node {k} ships {q} of {s} beyond stock"));
            }
        }
    }
    let mut unfilled_total = 0u64;
    for l in 0..nl {
        let q = p.lines[l].quantity.get();
        let shipped: u64 = (0..nk).map(|k| x[k][l]).sum();
        if shipped > q {
            return Err(format!("line {l} over-shipped"));
        }
        let left = q - shipped;
        unfilled_total += left;
        if left > 0 {
            match penalty {
                Some(pp) => cost += pp.get() * Decimal::from(left),
                None => return Err(format!("line {l} has unfilled units without a penalty")),
            }
        }
        let sources = (0..nk).filter(|&k| x[k][l] > 0).count();
        let whole = !p.rules.get_split_lines() || p.lines[l].group.is_some();
        if whole && (sources > 1 || (sources == 1 && shipped != q)) {
            return Err(format!("line {l} must ship whole from one node"));
        }
    }
    // Groups: every line of a group from one single node, or the whole group unfilled.
    let mut groups: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for l in 0..nl {
        if let Some(g) = p.lines[l].group {
            groups.entry(g).or_default().push(l);
        }
    }
    for (_, ls) in groups {
        let node_of = |l: usize| (0..nk).find(|&k| x[k][l] > 0);
        let first = node_of(ls[0]);
        if ls.iter().any(|&l| node_of(l) != first) {
            return Err("group split or partly unfilled".into());
        }
    }
    if p.rules.get_ship_complete() {
        let demand: u64 = p.lines.iter().map(|l| l.quantity.get()).sum();
        if shipping > 1 || (unfilled_total != 0 && unfilled_total != demand) {
            return Err("ship_complete violated".into());
        }
    }
    if let Some(m) = p.rules.get_max_shipments() {
        if shipping > m as usize {
            return Err(format!("{shipping} shipments > max_shipments {m}"));
        }
    }
    Ok(cost)
}

/// The independent checker for a plan: structure (sorted, no zeros,
/// unfilled = ordered − shipped), every rule, and the exact cost.
pub fn check_plan(p: &RoutingProblem, stock: &dyn Availability, plan: &Plan) -> Result<(), String> {
    if plan.status == PlanStatus::Infeasible {
        if plan.cost.is_some() || !plan.shipments.is_empty() || !plan.unfilled.is_empty() {
            return Err("infeasible plan carries content".into());
        }
        return Ok(());
    }
    let kidx = |id: NodeId| p.nodes.iter().position(|n| n.id == id).ok_or("unknown node in plan");
    let lidx = |id: LineId| p.lines.iter().position(|l| l.id == id).ok_or("unknown line in plan");
    let mut x = vec![vec![0u64; p.lines.len()]; p.nodes.len()];
    let mut last_node = None;
    for s in &plan.shipments {
        if last_node.is_some_and(|n| n >= s.node) {
            return Err("shipments not sorted by node".into());
        }
        last_node = Some(s.node);
        if s.lines.is_empty() {
            return Err("empty shipment".into());
        }
        let k = kidx(s.node)?;
        let mut last = None;
        for lq in &s.lines {
            if last.is_some_and(|l| l >= lq.line) {
                return Err("shipment lines not sorted".into());
            }
            last = Some(lq.line);
            if lq.quantity == Qty::ZERO {
                return Err("zero quantity".into());
            }
            x[k][lidx(lq.line)?] += lq.quantity.get();
        }
    }
    for (l, line) in p.lines.iter().enumerate() {
        let shipped: u64 = (0..p.nodes.len()).map(|k| x[k][l]).sum();
        let listed =
            plan.unfilled.iter().filter(|u| u.line == line.id).map(|u| u.quantity.get()).sum::<u64>();
        if shipped + listed != line.quantity.get() {
            return Err(format!("line {l}: shipped {shipped} + unfilled {listed} != ordered"));
        }
    }
    if plan.unfilled.iter().any(|u| u.quantity == Qty::ZERO) {
        return Err("zero unfilled entry".into());
    }
    let cost = check_matrix(p, stock, &x)?;
    let reported: Money = plan.cost.ok_or("feasible plan without cost")?;
    if reported.get() != cost {
        return Err(format!("reported cost {reported} != checked cost {cost}"));
    }
    Ok(())
}

/// Exhaustive search over every `x[k][l]`: the least cost, or `None`.
pub fn brute_force(p: &RoutingProblem, stock: &dyn Availability) -> Option<Decimal> {
    let nk = p.nodes.len();
    let nl = p.lines.len();
    let mut x = vec![vec![0u64; nl]; nk];
    let mut best: Option<Decimal> = None;
    fn rec(
        p: &RoutingProblem,
        stock: &dyn Availability,
        x: &mut Vec<Vec<u64>>,
        l: usize,
        k: usize,
        left: u64,
        best: &mut Option<Decimal>,
    ) {
        let nk = p.nodes.len();
        if l == p.lines.len() {
            if let Ok(c) = check_matrix(p, stock, x) {
                if best.is_none_or(|b| c < b) {
                    *best = Some(c);
                }
            }
            return;
        }
        if k == nk {
            let next_left = p.lines.get(l + 1).map_or(0, |n| n.quantity.get());
            rec(p, stock, x, l + 1, 0, next_left, best);
            return;
        }
        let avail = stock.available(p.nodes[k].id, p.lines[l].sku).get();
        for q in 0..=left.min(avail) {
            x[k][l] = q;
            rec(p, stock, x, l, k + 1, left - q, best);
        }
        x[k][l] = 0;
    }
    let first = p.lines[0].quantity.get();
    rec(p, stock, &mut x, 0, 0, first, &mut best);
    best
}
