//! Routing: the spec's worked examples, the optimiser against brute force,
//! feasibility of every strategy, determinism, malformed instances, streams.

mod network;
mod support;

use std::path::Path;

use omniroute::routing::{
    Instance, Optimal, PlanStatus, RouteOptions, RoutingError, STRATEGY_NAMES, explain, route_stream,
    strategy_by_name,
};
use rust_decimal::Decimal;
use serde_json::Value;
use support::{Rng, brute_force, check_plan, small_instance};

use crate::common::cases;

fn examples_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/examples")
}

#[test]
fn spec_examples_all_pass() {
    let dir = examples_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the spec examples must be at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "expected the spec's worked examples, found {}", files.len());
    for f in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let inst = Instance::from_value(&doc["instance"]).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let plan = Optimal.route_checked(&inst);
        let want_status = doc["expected"]["status"].as_str().unwrap();
        assert_eq!(plan.status.as_str(), want_status, "{}", f.display());
        match doc["expected"]["cost"].as_str() {
            Some(c) => assert_eq!(plan.cost.unwrap().get(), c.parse::<Decimal>().unwrap(), "{}", f.display()),
            None => assert!(plan.cost.is_none()),
        }
        // Every strategy gives a feasible plan on the examples too.
        for name in STRATEGY_NAMES {
            let s = strategy_by_name(name).unwrap();
            let p = s.route(&inst.problem, &inst.stock, &RouteOptions::new()).unwrap();
            check_plan(&inst.problem, &inst.stock, &p)
                .unwrap_or_else(|e| panic!("{name} on {}: {e}", f.display()));
            if let (Some(c), Some(best)) = (p.cost, plan.cost) {
                assert!(c >= best, "{name} beat optimal on {}", f.display());
            }
        }
    }
}

trait RouteChecked {
    fn route_checked(&self, inst: &Instance) -> omniroute::Plan;
}

impl RouteChecked for Optimal {
    fn route_checked(&self, inst: &Instance) -> omniroute::Plan {
        use omniroute::Strategy;
        let plan = self.route(&inst.problem, &inst.stock, &RouteOptions::new()).unwrap();
        check_plan(&inst.problem, &inst.stock, &plan).unwrap();
        plan
    }
}

#[test]
fn optimal_equals_brute_force_and_every_strategy_is_feasible() {
    use omniroute::Strategy;
    let n = cases(5000);
    let mut rng = Rng(0x5EED_0001);
    let mut seen = [0u32; 8]; // rules exercised: group, no-split, ship_complete, max_ship, penalty, pickup, window, requires
    let mut statuses = [0u32; 3];
    for case in 0..n {
        let max_nodes = if case % 4 == 0 { 4 } else { 3 };
        let v = small_instance(&mut rng, max_nodes);
        let inst = Instance::from_value(&v).unwrap_or_else(|e| panic!("case {case}: {e}\n{v}"));
        let p = &inst.problem;
        seen[0] += u32::from(p.lines.iter().any(|l| l.group.is_some()));
        seen[1] += u32::from(!p.rules.get_split_lines());
        seen[2] += u32::from(p.rules.get_ship_complete());
        seen[3] += u32::from(p.rules.get_max_shipments().is_some());
        seen[4] += u32::from(p.rules.get_unfilled_unit_penalty().is_some());
        seen[5] += u32::from(p.pickup_at.is_some());
        seen[6] += u32::from(p.deliver_within_days.is_some());
        seen[7] += u32::from(p.lines.iter().any(|l| !l.requires.is_empty()));
        let plan = Optimal.route(p, &inst.stock, &RouteOptions::new()).unwrap();
        check_plan(p, &inst.stock, &plan).unwrap_or_else(|e| panic!("case {case}: optimal: {e}\n{v}"));
        let truth = brute_force(p, &inst.stock);
        match truth {
            None => assert_eq!(
                plan.status,
                PlanStatus::Infeasible,
                "case {case}: brute force says infeasible\n{v}"
            ),
            Some(c) => {
                assert_eq!(plan.status, PlanStatus::Optimal, "case {case}\n{v}");
                assert_eq!(plan.cost.unwrap().get(), c, "case {case}: optimal cost vs brute force\n{v}");
            }
        }
        statuses[match plan.status {
            PlanStatus::Optimal => 0,
            PlanStatus::Infeasible => 1,
            _ => 2,
        }] += 1;
        for name in STRATEGY_NAMES {
            let s = strategy_by_name(name).unwrap();
            let other = s.route(p, &inst.stock, &RouteOptions::new()).unwrap();
            check_plan(p, &inst.stock, &other).unwrap_or_else(|e| panic!("case {case}: {name}: {e}\n{v}"));
            if let (Some(c), Some(best)) = (other.cost, truth) {
                assert!(c.get() >= best, "case {case}: {name} below the optimum\n{v}");
            }
            if truth.is_none() {
                assert_eq!(other.status, PlanStatus::Infeasible, "case {case}: {name}");
            }
        }
    }
    for (i, s) in seen.iter().enumerate() {
        assert!(*s > n / 40, "rule {i} exercised only {s} times");
    }
    assert!(statuses[0] > n / 4 && statuses[1] > n / 40, "status mix {statuses:?}");
}

/// Writes JSON with object keys in reverse order (serde_json sorts them).
fn write_reversed(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push('{');
            for (i, (k, val)) in m.iter().rev().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                write_reversed(val, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, val) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_reversed(val, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

#[test]
fn permuting_nodes_lines_and_keys_gives_the_same_plan() {
    let mut rng = Rng(0xD5_7E12);
    for case in 0..cases(400) {
        let v = small_instance(&mut rng, 4);
        let text = serde_json::to_string(&v).unwrap();
        let mut permuted = v.clone();
        let mut nodes = permuted["nodes"].as_array().unwrap().clone();
        rng.shuffle(&mut nodes);
        permuted["nodes"] = Value::Array(nodes);
        let mut lines = permuted["order"]["lines"].as_array().unwrap().clone();
        rng.shuffle(&mut lines);
        permuted["order"]["lines"] = Value::Array(lines);
        let mut ptext = String::new();
        write_reversed(&permuted, &mut ptext);
        for name in ["optimal", "greedy_set_cover", "local_search", "look_ahead"] {
            let s = strategy_by_name(name).unwrap();
            let a: Vec<String> = route_stream(&text, s.as_ref(), RouteOptions::new()).collect();
            let b: Vec<String> = route_stream(&ptext, s.as_ref(), RouteOptions::new()).collect();
            assert_eq!(a, b, "case {case}: {name} depends on input order\n{text}\n{ptext}");
        }
        // The rule strategies take lines in order by definition; nodes and keys must not matter.
        let mut nodes_only = v.clone();
        nodes_only["nodes"] = permuted["nodes"].clone();
        let mut ntext = String::new();
        write_reversed(&nodes_only, &mut ntext);
        for name in ["priority", "nearest", "high_stock"] {
            let s = strategy_by_name(name).unwrap();
            let a: Vec<String> = route_stream(&text, s.as_ref(), RouteOptions::new()).collect();
            let b: Vec<String> = route_stream(&ntext, s.as_ref(), RouteOptions::new()).collect();
            assert_eq!(a, b, "case {case}: {name} depends on node or key order\n{text}\n{ntext}");
        }
    }
}

#[test]
fn tie_break_prefers_fewer_shipments_then_smaller_ids() {
    // Two nodes at zero cost can ship the line; both 1-shipment plans cost 0.
    let text = r#"{"format":"omniroute.instance/1",
      "nodes":[{"id":"b"},{"id":"a"},{"id":"c"}],
      "stock":{"a":{"S":1},"b":{"S":2},"c":{"S":2}},
      "order":{"id":"t","lines":[{"id":"1","sku":"S","quantity":2}]}}"#;
    let plan: Vec<String> = route_stream(text, &Optimal, RouteOptions::new()).collect();
    assert!(
        plan[0].contains(r#""shipments":[{"node":"b","lines":[{"line":"1","quantity":2}]}]"#),
        "{}",
        plan[0]
    );
}

#[test]
fn malformed_instances_give_error_plans_naming_the_problem() {
    let good = r#"{"format":"omniroute.instance/1","nodes":[{"id":"n1"}],"stock":{"n1":{"S":1}},"order":{"id":"o","lines":[{"id":"1","sku":"S","quantity":1}]}}"#;
    let cases: &[(&str, &str)] = &[
        (r#"{"format":"omniroute.instance/2","nodes":[],"order":{"lines":[]}}"#, "format"),
        (r#"{"nodes":[],"order":{"lines":[]}}"#, "format: missing"),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n1"}],"stock":{"zz":{"S":1}},"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "stock.zz: unknown node",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":-1}]}}"#,
            "order.lines[0].quantity",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":2.0}]}}"#,
            "order.lines[0].quantity: not a JSON integer",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":1e3}]}}"#,
            "order.lines[0].quantity: not a JSON integer",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":0}]}}"#,
            "order.lines[0].quantity",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n1","shipment_cost":"1e3"}],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "nodes[0].shipment_cost: not a plain",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n1","unit_cost":"-1"}],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "nodes[0].unit_cost",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n1","unit_cost":1.5}],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "nodes[0].unit_cost: expected a string",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n1"},{"id":"n1"}],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "nodes[1].id: duplicate node id",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":""}],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "nodes[0].id: must not be empty",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":1},{"id":"1","sku":"T","quantity":1}]}}"#,
            "order.lines[1].id: duplicate line id",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[]}}"#,
            "order.lines: the order has no lines",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":1,"group":""}]}}"#,
            "order.lines[0].group: must not be empty",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"pickup_at":"x","lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "order.pickup_at: unknown node",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n"}],"unit_costs":{"m":{"S":"1"}},"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "unit_costs.m: unknown node",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[{"id":"n","max_units":9007199254740992}],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]}}"#,
            "nodes[0].max_units",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]},"rules":{"split_lines":"yes"}}"#,
            "rules.split_lines: expected a boolean",
        ),
        (
            r#"{"format":"omniroute.instance/1","nodes":[],"order":{"lines":[{"id":"1","sku":"S","quantity":1}]},"rules":{"unfilled_unit_penalty":" 1"}}"#,
            "rules.unfilled_unit_penalty",
        ),
        (r#"[1,2]"#, "instance: expected an object"),
        (r#"{"format":"omniroute.instance/1", "nodes": [} "#, "input: invalid JSON"),
    ];
    let mut stream = String::new();
    for (doc, _) in cases {
        stream.push_str(doc);
        stream.push('\n');
    }
    stream.push_str(good);
    let plans: Vec<String> = route_stream(&stream, &Optimal, RouteOptions::new()).collect();
    assert_eq!(plans.len(), cases.len() + 1, "{plans:#?}");
    for ((doc, want), got) in cases.iter().zip(&plans) {
        let v: Value = serde_json::from_str(got).unwrap();
        assert_eq!(v["status"], "error", "{doc}");
        assert_eq!(v["format"], "omniroute.plan/1");
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains(want), "{doc}: error {msg:?} should mention {want:?}");
    }
    let last: Value = serde_json::from_str(plans.last().unwrap()).unwrap();
    assert_eq!(last["status"], "optimal", "the stream goes on after bad input");
}

#[test]
fn explanations_add_up() {
    use omniroute::Strategy;
    let mut rng = Rng(77);
    for _ in 0..cases(200) {
        let v = small_instance(&mut rng, 4);
        let inst = Instance::from_value(&v).unwrap();
        let plan = Optimal.route(&inst.problem, &inst.stock, &RouteOptions::new()).unwrap();
        let e = explain(&inst.problem, &inst.stock, &plan).unwrap();
        assert_eq!(e.candidates.len() + e.excluded.len(), inst.problem.nodes.len());
        for s in &plan.shipments {
            assert!(e.candidates.contains(&s.node));
        }
        match (e.cost, plan.cost) {
            (Some(b), Some(c)) => assert_eq!(b.total, c),
            (None, None) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn search_limit_is_a_feasible_outcome() {
    use omniroute::Strategy;
    let mut rng = Rng(99);
    let mut limited = 0;
    for _ in 0..cases(300) {
        let v = small_instance(&mut rng, 4);
        let inst = Instance::from_value(&v).unwrap();
        match Optimal.route(&inst.problem, &inst.stock, &RouteOptions::new().max_node_sets(1)) {
            Ok(plan) => {
                check_plan(&inst.problem, &inst.stock, &plan).unwrap();
                if plan.status == PlanStatus::Feasible {
                    limited += 1;
                }
            }
            Err(RoutingError::GaveUp { .. }) => limited += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(limited > 0);
}

#[test]
fn route_example_runs_as_a_command() {
    let dir = examples_dir();
    let input: String = ["02-group.json", "05-no_split.json"]
        .iter()
        .map(|f| {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
            serde_json::to_string(&doc["instance"]).unwrap() + "\n"
        })
        .collect::<String>()
        + "{\"format\": 1}\n";
    let path = std::env::temp_dir().join(format!("omniroute-route-{}.jsonl", std::process::id()));
    std::fs::write(&path, input).unwrap();
    let out = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--all-features", "--example", "route", "--", "--strategy", "optimal"])
        .arg(&path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains(r#""cost":"26.0""#) || lines[0].contains(r#""cost":"26""#), "{}", lines[0]);
    assert!(lines[1].contains(r#""status":"optimal""#));
    assert!(lines[2].contains(r#""status":"error""#));
    let bad = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--all-features", "--example", "route", "--", "/nonexistent/file.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
