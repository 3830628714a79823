//! Routes a stream of instances (shared/spec/routing-instance.md) and writes
//! one plan per line.
//!
//! ```text
//! cargo run --release --example route -- [--strategy NAME] [--timing [--network]] [FILE]
//! ```
//!
//! Reads FILE, or standard input when FILE is absent or `-`. A malformed
//! instance yields an `error` plan and the stream goes on; the exit status is
//! non-zero only when the input cannot be read (or the arguments are wrong).
//!
//! `--timing` also writes, to standard error, one line per valid instance with
//! the microseconds spent routing it (parsing and writing excluded), for
//! tools/milp; instances are then read one JSON document at a time. With
//! `--network` (and `--strategy optimal`, the default) each instance's nodes
//! are compiled into a `RoutingNetwork` before the timer starts and the
//! timed call is `RoutingNetwork::route_with` (the fast path); the plans are
//! the same.
#![allow(clippy::float_arithmetic)] // timing only

use std::io::{Read, Write};
use std::process::ExitCode;

use omniroute::routing::{
    Instance, RouteOptions, RouteRequest, RouteWorkspace, RoutingNetwork, STRATEGY_NAMES, error_plan_json,
    route_stream, strategy_by_name,
};

fn main() -> ExitCode {
    let mut strategy = String::from("optimal");
    let mut file: Option<String> = None;
    let mut timing = false;
    let mut network = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--strategy" => match args.next() {
                Some(s) => strategy = s,
                None => return usage("--strategy needs a name"),
            },
            "--timing" => timing = true,
            "--network" => network = true,
            "-h" | "--help" => {
                println!(
                    "usage: route [--strategy NAME] [--timing [--network]] [FILE]\nstrategies: {}",
                    STRATEGY_NAMES.join(", ")
                );
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() => file = Some(a),
            _ => return usage("more than one FILE"),
        }
    }
    let Some(s) = strategy_by_name(&strategy) else {
        return usage(&format!("unknown strategy {strategy:?}"));
    };
    if network && (strategy != "optimal" || !timing) {
        return usage("--network needs --timing and the optimal strategy");
    }
    let mut ws = RouteWorkspace::new();
    let mut input = String::new();
    let read = match file.as_deref() {
        None | Some("-") => std::io::stdin().read_to_string(&mut input).map(|_| ()),
        Some(path) => std::fs::read_to_string(path).map(|t| input = t),
    };
    if let Err(e) = read {
        eprintln!("route: cannot read input: {e}");
        return ExitCode::FAILURE;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if timing {
        // Same output as `route_stream`, with the routing call timed alone.
        let opts = RouteOptions::new();
        for doc in serde_json::Deserializer::from_str(&input).into_iter::<serde_json::Value>() {
            let line = match doc {
                Err(e) => error_plan_json(s.name(), &format!("input: invalid JSON: {e}")),
                Ok(v) => match Instance::from_value(&v) {
                    Err(e) => error_plan_json(s.name(), &e.to_string()),
                    Ok(inst) => {
                        // The network is compiled outside the timer (as HiGHS's model building is).
                        let compiled = network.then(|| {
                            let p = &inst.problem;
                            RoutingNetwork::with_unit_costs(p.nodes.clone(), p.unit_costs.clone())
                                .map(|net| (net, RouteRequest::from_problem(p)))
                        });
                        let start = std::time::Instant::now();
                        let routed = match &compiled {
                            None => s.route(&inst.problem, &inst.stock, &opts),
                            Some(Ok((net, req))) => net.route_with(req, &inst.stock, &opts, &mut ws),
                            Some(Err(e)) => Err(e.clone()),
                        };
                        let micros = start.elapsed().as_secs_f64() * 1e6;
                        eprintln!("time_us {micros:.3}");
                        match routed {
                            Ok(plan) => inst.plan_json(&plan),
                            Err(e) => error_plan_json(s.name(), &e.to_string()),
                        }
                    }
                },
            };
            if writeln!(out, "{line}").is_err() {
                return ExitCode::FAILURE;
            }
        }
    } else {
        for plan in route_stream(&input, s.as_ref(), RouteOptions::new()) {
            if writeln!(out, "{plan}").is_err() {
                return ExitCode::FAILURE;
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!(
        "route: {msg}\nusage: route [--strategy NAME] [--timing [--network]] [FILE]\nstrategies: {}",
        STRATEGY_NAMES.join(", ")
    );
    ExitCode::from(2)
}
