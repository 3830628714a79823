//! The JSON interchange format (shared/spec/routing-instance.md, normative):
//! instances in, plans out, validation naming the field.
//!
//! Instances are read as a [`serde_json::Value`] and walked by hand, so every
//! error names its field and a quantity like `2.0` or `1e3` is told apart from
//! a JSON integer.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{
    GroupId, OrderLine, Plan, RouteOptions, RoutingError, RoutingProblem, Rules, StockTable, Strategy,
};
use crate::model::{Capabilities, LineId, Location, Money, Node, NodeId, NodeKind, Qty, Sku};

/// The `format` tag of an instance.
pub const INSTANCE_FORMAT: &str = "omniroute.instance/1";
/// The `format` tag of a plan.
pub const PLAN_FORMAT: &str = "omniroute.plan/1";
/// The largest quantity, stock, cap or day count: 2^53 − 1, so any JSON reader keeps it exact.
const MAX_INT: u64 = (1 << 53) - 1;
/// The smallest `priority`: −(2^53 − 1).
const MIN_INT: i64 = 1 - (1 << 53);

/// A parsed and validated instance: the routing problem with dense ids, its
/// availability, and the string ids to write plans with.
///
/// Dense ids are ranks in sorted order of the instance's strings: node `i`
/// is the `i`-th node id in sorted order, likewise lines, SKUs (of the order's
/// lines) and groups. So the optimiser's tie-break by id is a tie-break by the
/// instance's string ids, and permuting nodes, lines or keys changes nothing.
///
/// ```
/// use omniroute::routing::{Instance, Optimal, RouteOptions, Strategy};
/// let inst = Instance::from_json(r#"{
///   "format": "omniroute.instance/1",
///   "nodes": [{"id": "dc", "shipment_cost": "5"}],
///   "stock": {"dc": {"SKU-1": 3}},
///   "order": {"id": "o-1", "lines": [{"id": "1", "sku": "SKU-1", "quantity": 2}]}
/// }"#)?;
/// let plan = Optimal.route(&inst.problem, &inst.stock, &RouteOptions::new())?;
/// assert_eq!(
///     inst.plan_json(&plan),
///     r#"{"format":"omniroute.plan/1","order":"o-1","strategy":"optimal","status":"optimal","cost":"5","shipments":[{"node":"dc","lines":[{"line":"1","quantity":2}]}],"unfilled":[]}"#
/// );
/// # Ok::<(), omniroute::routing::RoutingError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Instance {
    /// `order.id`, if given.
    pub order_id: Option<String>,
    /// The problem, nodes and lines in the instance's order.
    pub problem: RoutingProblem,
    /// `stock`, for the order's SKUs.
    pub stock: StockTable,
    /// String id of each dense node id.
    pub node_ids: Vec<String>,
    /// String id of each dense line id.
    pub line_ids: Vec<String>,
    /// SKU code of each dense SKU id.
    pub skus: Vec<String>,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> RoutingError {
    RoutingError::InvalidInstance { field: field.into(), reason: reason.into() }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(field: &str, want: &str, got: &Value) -> RoutingError {
    bad(field, format!("expected {want}, found {}", type_name(got)))
}

/// A present, non-null field.
fn opt<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, RoutingError> {
    v.as_object().ok_or_else(|| wrong(field, "an object", v))
}

fn string<'a>(v: &'a Value, field: &str) -> Result<&'a str, RoutingError> {
    v.as_str().ok_or_else(|| wrong(field, "a string", v))
}

/// A JSON integer in `[min, max]`.
fn integer(v: &Value, field: &str, min: i64, max: u64) -> Result<i128, RoutingError> {
    let Value::Number(n) = v else { return Err(wrong(field, "an integer", v)) };
    let x = if let Some(u) = n.as_u64() {
        i128::from(u)
    } else if let Some(i) = n.as_i64() {
        i128::from(i)
    } else {
        return Err(bad(field, format!("not a JSON integer: {n}")));
    };
    if x < i128::from(min) || x > i128::from(max) {
        return Err(bad(field, format!("{x} is out of range [{min}, {max}]")));
    }
    Ok(x)
}

fn count(v: &Value, field: &str, min: i64) -> Result<u64, RoutingError> {
    let x = integer(v, field, min, MAX_INT)?;
    u64::try_from(x).map_err(|_| bad(field, "out of range"))
}

fn days(v: &Value, field: &str) -> Result<u32, RoutingError> {
    let x = integer(v, field, 0, u64::from(u32::MAX))?;
    u32::try_from(x).map_err(|_| bad(field, "out of range"))
}

/// A plain non-negative decimal string: digits with an optional fraction.
fn decimal(v: &Value, field: &str) -> Result<Money, RoutingError> {
    let s = string(v, field)?;
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(bad(
            field,
            format!("not a plain non-negative decimal: {:?}", s.chars().take(64).collect::<String>()),
        ));
    }
    s.parse::<Money>().map_err(|e| bad(field, e.to_string()))
}

fn location(v: &Value, field: &str) -> Result<Location, RoutingError> {
    let o = object(v, field)?;
    let coord = |k: &str| {
        let f = format!("{field}.{k}");
        match o.get(k) {
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| bad(f.as_str(), "not a number")),
            Some(other) => Err(wrong(&f, "a number", other)),
            None => Err(bad(f, "missing")),
        }
    };
    let (lat, lon) = (coord("lat")?, coord("lon")?);
    Location::new(lat, lon).map_err(|e| bad(field, e.to_string()))
}

fn tags(v: &Value, field: &str) -> Result<Capabilities, RoutingError> {
    let arr = v.as_array().ok_or_else(|| wrong(field, "an array of strings", v))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, t) in arr.iter().enumerate() {
        out.push(string(t, &format!("{field}[{i}]"))?.to_owned());
    }
    Capabilities::from_tags(out).map_err(|e| bad(field, e.to_string()))
}

/// Dense rank of `s` in the sorted, deduplicated `all`.
fn rank(all: &[String], s: &str) -> u32 {
    let i = all.binary_search_by(|x| x.as_str().cmp(s)).unwrap_or(0);
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Instance {
    /// Parses and validates one instance from JSON text.
    ///
    /// # Errors
    ///
    /// [`RoutingError::InvalidInstance`] naming the field (`input` for JSON
    /// that does not parse).
    pub fn from_json(text: &str) -> Result<Self, RoutingError> {
        let v: Value = serde_json::from_str(text).map_err(|e| bad("input", format!("invalid JSON: {e}")))?;
        Self::from_value(&v)
    }

    /// Parses and validates one instance from a JSON value.
    ///
    /// # Errors
    ///
    /// [`RoutingError::InvalidInstance`] naming the field: a missing or wrong
    /// `format`; an empty or repeated node id; a repeated line id; no lines; a
    /// quantity, stock, cap or day count that is not a JSON integer in range;
    /// an empty `group`; a decimal that is not a plain non-negative decimal
    /// string; `stock`, `unit_costs` or `order.pickup_at` naming an unknown
    /// node; a field of the wrong JSON type. Unknown fields are ignored; `null`
    /// in an optional field (also a `stock` or `unit_costs` entry) means absent. Ranges: quantities, stock and caps 0 … 2^53 − 1 (quantities
    /// from 1), `priority` ±(2^53 − 1), day counts 0 … 2^32 − 1.
    ///
    /// # Complexity
    ///
    /// O(size of the instance × log nodes).
    pub fn from_value(v: &Value) -> Result<Self, RoutingError> {
        let root = object(v, "instance")?;
        match root.get("format") {
            None => return Err(bad("format", "missing")),
            Some(Value::String(s)) if s == INSTANCE_FORMAT => {}
            Some(other) => {
                return Err(bad("format", format!("expected \"{INSTANCE_FORMAT}\", found {other}")));
            }
        }

        // Nodes.
        let raw_nodes = match root.get("nodes") {
            None => return Err(bad("nodes", "missing")),
            Some(n) => n.as_array().ok_or_else(|| wrong("nodes", "an array", n))?,
        };
        let mut node_ids: Vec<String> = Vec::with_capacity(raw_nodes.len());
        for (i, n) in raw_nodes.iter().enumerate() {
            let f = format!("nodes[{i}]");
            let o = object(n, &f)?;
            let id = string(o.get("id").unwrap_or(&Value::Null), &format!("{f}.id"))?;
            if id.is_empty() {
                return Err(bad(format!("{f}.id"), "must not be empty"));
            }
            node_ids.push(id.to_owned());
        }
        let mut sorted = node_ids.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w.first() == w.get(1)) {
            let dup = w.first().cloned().unwrap_or_default();
            let at = node_ids.iter().rposition(|x| *x == dup).unwrap_or(0);
            return Err(bad(format!("nodes[{at}].id"), format!("duplicate node id {dup:?}")));
        }
        let node_of = |s: &str| {
            sorted
                .binary_search_by(|x| x.as_str().cmp(s))
                .ok()
                .map(|i| NodeId::new(u32::try_from(i).unwrap_or(u32::MAX)))
        };
        let mut nodes = Vec::with_capacity(raw_nodes.len());
        for (i, n) in raw_nodes.iter().enumerate() {
            let f = format!("nodes[{i}]");
            let o = object(n, &f)?;
            let id = node_of(node_ids.get(i).map_or("", String::as_str)).unwrap_or_default();
            let mut node = Node::new(id, NodeKind::Warehouse);
            if let Some(k) = opt(o, "kind") {
                let k = string(k, &format!("{f}.kind"))?;
                node.kind = match k {
                    "store" => NodeKind::Store,
                    "dark_store" => NodeKind::DarkStore,
                    "vendor" => NodeKind::Vendor,
                    _ => NodeKind::Warehouse,
                };
            }
            if let Some(p) = opt(o, "priority") {
                let x = integer(p, &format!("{f}.priority"), MIN_INT, MAX_INT)?;
                node.priority =
                    Some(i64::try_from(x).map_err(|_| bad(format!("{f}.priority"), "out of range"))?);
            }
            if let Some(l) = opt(o, "location") {
                node.location = Some(location(l, &format!("{f}.location"))?);
            }
            if let Some(c) = opt(o, "shipment_cost") {
                node.shipment_cost = decimal(c, &format!("{f}.shipment_cost"))?;
            }
            if let Some(c) = opt(o, "unit_cost") {
                node.unit_cost = decimal(c, &format!("{f}.unit_cost"))?;
            }
            if let Some(c) = opt(o, "capabilities") {
                node.capabilities = tags(c, &format!("{f}.capabilities"))?;
            }
            if let Some(m) = opt(o, "max_units") {
                node.max_units = Some(Qty::new(count(m, &format!("{f}.max_units"), 0)?));
            }
            if let Some(t) = opt(o, "transit_days") {
                node.transit_days = Some(days(t, &format!("{f}.transit_days"))?);
            }
            nodes.push(node);
        }

        // Order and lines (SKUs and groups are ranked over the order's lines).
        let order = object(root.get("order").unwrap_or(&Value::Null), "order")?;
        let order_id = match opt(order, "id") {
            Some(v) => Some(string(v, "order.id")?.to_owned()),
            None => None,
        };
        let raw_lines = match order.get("lines") {
            None => return Err(bad("order.lines", "missing")),
            Some(l) => l.as_array().ok_or_else(|| wrong("order.lines", "an array", l))?,
        };
        if raw_lines.is_empty() {
            return Err(bad("order.lines", "the order has no lines"));
        }
        struct RawLine {
            id: String,
            sku: String,
            qty: u64,
            requires: Capabilities,
            group: Option<String>,
        }
        let mut parsed = Vec::with_capacity(raw_lines.len());
        for (i, l) in raw_lines.iter().enumerate() {
            let f = format!("order.lines[{i}]");
            let o = object(l, &f)?;
            let id = string(o.get("id").unwrap_or(&Value::Null), &format!("{f}.id"))?.to_owned();
            let sku = string(o.get("sku").unwrap_or(&Value::Null), &format!("{f}.sku"))?.to_owned();
            let qf = format!("{f}.quantity");
            let qty = match o.get("quantity") {
                None => return Err(bad(qf, "missing")),
                Some(q) => count(q, &qf, 1)?,
            };
            let requires = match opt(o, "requires") {
                Some(r) => tags(r, &format!("{f}.requires"))?,
                None => Capabilities::new(),
            };
            let group = match opt(o, "group") {
                Some(g) => {
                    let g = string(g, &format!("{f}.group"))?;
                    if g.is_empty() {
                        return Err(bad(format!("{f}.group"), "must not be empty"));
                    }
                    Some(g.to_owned())
                }
                None => None,
            };
            parsed.push(RawLine { id, sku, qty, requires, group });
        }
        let mut line_ids: Vec<String> = parsed.iter().map(|l| l.id.clone()).collect();
        line_ids.sort_unstable();
        if let Some(w) = line_ids.windows(2).find(|w| w.first() == w.get(1)) {
            let dup = w.first().cloned().unwrap_or_default();
            let at = parsed.iter().rposition(|l| l.id == dup).unwrap_or(0);
            return Err(bad(format!("order.lines[{at}].id"), format!("duplicate line id {dup:?}")));
        }
        let skus: Vec<String> =
            parsed.iter().map(|l| l.sku.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let groups: Vec<String> =
            parsed.iter().filter_map(|l| l.group.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let lines: Vec<OrderLine> = parsed
            .iter()
            .map(|l| {
                let mut ol = OrderLine::new(
                    LineId::new(rank(&line_ids, &l.id)),
                    Sku::new(rank(&skus, &l.sku)),
                    Qty::new(l.qty),
                )
                .with_requires(l.requires.clone());
                if let Some(g) = &l.group {
                    ol = ol.with_group(GroupId::new(rank(&groups, g)));
                }
                ol
            })
            .collect();
        let destination = match opt(order, "destination") {
            Some(d) => Some(location(d, "order.destination")?),
            None => None,
        };
        let deliver_within_days = match opt(order, "deliver_within_days") {
            Some(d) => Some(days(d, "order.deliver_within_days")?),
            None => None,
        };
        let pickup_at = match opt(order, "pickup_at") {
            Some(p) => {
                let s = string(p, "order.pickup_at")?;
                Some(node_of(s).ok_or_else(|| bad("order.pickup_at", format!("unknown node {s:?}")))?)
            }
            None => None,
        };

        // Stock and unit-cost overrides.
        let mut stock = StockTable::new();
        if let Some(s) = opt(root, "stock") {
            for (node, per) in object(s, "stock")? {
                let f = format!("stock.{node}");
                if per.is_null() {
                    if node_of(node).is_none() {
                        return Err(bad(f, format!("unknown node {node:?}")));
                    }
                    continue;
                }
                let id = node_of(node).ok_or_else(|| bad(f.as_str(), format!("unknown node {node:?}")))?;
                for (sku, q) in object(per, &f)?.iter().filter(|(_, q)| !q.is_null()) {
                    let units = count(q, &format!("{f}.{sku}"), 0)?;
                    if let Ok(i) = skus.binary_search(sku) {
                        let sku_id = Sku::new(u32::try_from(i).unwrap_or(u32::MAX));
                        stock.set(id, sku_id, Qty::new(units)).map_err(|e| bad(f.as_str(), e.to_string()))?;
                    }
                }
            }
        }
        let mut unit_costs = BTreeMap::new();
        if let Some(u) = opt(root, "unit_costs") {
            for (node, per) in object(u, "unit_costs")? {
                let f = format!("unit_costs.{node}");
                if per.is_null() {
                    if node_of(node).is_none() {
                        return Err(bad(f, format!("unknown node {node:?}")));
                    }
                    continue;
                }
                let id = node_of(node).ok_or_else(|| bad(f.as_str(), format!("unknown node {node:?}")))?;
                for (sku, c) in object(per, &f)?.iter().filter(|(_, c)| !c.is_null()) {
                    let cost = decimal(c, &format!("{f}.{sku}"))?;
                    if let Ok(i) = skus.binary_search(sku) {
                        unit_costs.insert((id, Sku::new(u32::try_from(i).unwrap_or(u32::MAX))), cost);
                    }
                }
            }
        }

        // Rules.
        let mut rules = Rules::new();
        if let Some(r) = opt(root, "rules") {
            let r = object(r, "rules")?;
            let flag = |k: &str| match opt(r, k) {
                Some(Value::Bool(b)) => Ok(Some(*b)),
                Some(other) => Err(wrong(&format!("rules.{k}"), "a boolean", other)),
                None => Ok(None),
            };
            if let Some(b) = flag("split_lines")? {
                rules = rules.split_lines(b);
            }
            if let Some(b) = flag("ship_complete")? {
                rules = rules.ship_complete(b);
            }
            if let Some(m) = opt(r, "max_shipments") {
                let x = count(m, "rules.max_shipments", 0)?;
                rules = rules.max_shipments(Some(u32::try_from(x).unwrap_or(u32::MAX)));
            }
            if let Some(p) = opt(r, "unfilled_unit_penalty") {
                rules = rules.unfilled_unit_penalty(Some(decimal(p, "rules.unfilled_unit_penalty")?));
            }
        }

        let mut problem = RoutingProblem::new(nodes, lines)
            .with_rules(rules)
            .with_destination(destination)
            .with_deliver_within_days(deliver_within_days)
            .with_pickup_at(pickup_at);
        problem.unit_costs = unit_costs;
        Ok(Self { order_id, problem, stock, node_ids: sorted, line_ids, skus })
    }

    /// The plan in the interchange format, on one line.
    #[must_use]
    pub fn plan_json(&self, plan: &Plan) -> String {
        let name = |all: &[String], i: usize| all.get(i).cloned().unwrap_or_default();
        let out = PlanOut {
            format: PLAN_FORMAT,
            order: self.order_id.as_deref(),
            strategy: &plan.strategy,
            status: plan.status.as_str(),
            cost: plan.cost.map(|c| c.to_string()),
            shipments: plan
                .shipments
                .iter()
                .map(|s| ShipOut {
                    node: name(&self.node_ids, s.node.as_usize()),
                    lines: s
                        .lines
                        .iter()
                        .map(|l| LineOut {
                            line: name(&self.line_ids, l.line.as_usize()),
                            quantity: l.quantity.get(),
                        })
                        .collect(),
                })
                .collect(),
            unfilled: plan
                .unfilled
                .iter()
                .map(|l| LineOut {
                    line: name(&self.line_ids, l.line.as_usize()),
                    quantity: l.quantity.get(),
                })
                .collect(),
            error: None,
        };
        serde_json::to_string(&out).unwrap_or_default()
    }
}

#[derive(serde::Serialize)]
struct PlanOut<'a> {
    format: &'static str,
    order: Option<&'a str>,
    strategy: &'a str,
    status: &'a str,
    cost: Option<String>,
    shipments: Vec<ShipOut>,
    unfilled: Vec<LineOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(serde::Serialize)]
struct ShipOut {
    node: String,
    lines: Vec<LineOut>,
}

#[derive(serde::Serialize)]
struct LineOut {
    line: String,
    quantity: u64,
}

/// An `error` plan: status `error`, the message, and nothing else assumed
/// about the instance (`order` and `cost` are null, no shipments).
///
/// ```
/// use omniroute::routing::error_plan_json;
/// assert_eq!(
///     error_plan_json("optimal", "format: missing"),
///     r#"{"format":"omniroute.plan/1","order":null,"strategy":"optimal","status":"error","cost":null,"shipments":[],"unfilled":[],"error":"format: missing"}"#
/// );
/// ```
#[must_use]
pub fn error_plan_json(strategy: &str, message: &str) -> String {
    let out = PlanOut {
        format: PLAN_FORMAT,
        order: None,
        strategy,
        status: "error",
        cost: None,
        shipments: Vec::new(),
        unfilled: Vec::new(),
        error: Some(message.to_owned()),
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// Routes a stream of instances (JSON documents separated by whitespace or
/// newlines) and yields one plan per instance, as one line of JSON, in input
/// order. An invalid instance yields an `error` plan and the stream goes on;
/// text that is not JSON yields one `error` plan and reading resumes at the
/// next line.
///
/// # Example
///
/// ```
/// use omniroute::routing::{Optimal, RouteOptions, route_stream};
/// let input = r#"{"format": "omniroute.instance/1", "nodes": [], "order": {"lines": [{"id": "1", "sku": "A", "quantity": 1}]}}
/// {"format": "nope"}"#;
/// let plans: Vec<String> = route_stream(input, &Optimal, RouteOptions::new()).collect();
/// assert_eq!(plans.len(), 2);
/// assert!(plans[0].contains(r#""status":"infeasible""#));
/// assert!(plans[1].contains(r#""status":"error""#));
/// ```
pub fn route_stream<'a>(input: &'a str, strategy: &'a dyn Strategy, options: RouteOptions) -> PlanStream<'a> {
    PlanStream { input, pos: 0, strategy, options }
}

/// The iterator of [`route_stream`].
#[allow(missing_debug_implementations)]
pub struct PlanStream<'a> {
    input: &'a str,
    pos: usize,
    strategy: &'a dyn Strategy,
    options: RouteOptions,
}

impl PlanStream<'_> {
    fn route_value(&self, v: &Value) -> String {
        let name = self.strategy.name();
        match Instance::from_value(v) {
            Err(e) => error_plan_json(name, &e.to_string()),
            Ok(inst) => match self.strategy.route(&inst.problem, &inst.stock, &self.options) {
                Ok(plan) => inst.plan_json(&plan),
                Err(e) => error_plan_json(name, &e.to_string()),
            },
        }
    }
}

impl Iterator for PlanStream<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let rest = self.input.get(self.pos..)?;
        let trimmed = rest.trim_start();
        if trimmed.is_empty() {
            self.pos = self.input.len();
            return None;
        }
        self.pos = self.pos.saturating_add(rest.len().saturating_sub(trimmed.len()));
        let mut de = serde_json::Deserializer::from_str(trimmed).into_iter::<Value>();
        match de.next()? {
            Ok(v) => {
                self.pos = self.pos.saturating_add(de.byte_offset());
                Some(self.route_value(&v))
            }
            Err(e) => {
                // Resume after the line holding the error.
                let line = e.line().max(1);
                let mut skip = trimmed.len();
                let mut seen = 0usize;
                for (i, b) in trimmed.bytes().enumerate() {
                    if b == b'\n' {
                        seen = seen.saturating_add(1);
                        if seen == line {
                            skip = i.saturating_add(1);
                            break;
                        }
                    }
                }
                self.pos = self.pos.saturating_add(skip);
                Some(error_plan_json(self.strategy.name(), &format!("input: invalid JSON: {e}")))
            }
        }
    }
}
