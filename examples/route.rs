//! Routes a stream of instances (shared/spec/routing-instance.md) and writes
//! one plan per line.
//!
//! ```text
//! cargo run --release --example route -- [--strategy NAME] [FILE]
//! ```
//!
//! Reads FILE, or standard input when FILE is absent or `-`. A malformed
//! instance yields an `error` plan and the stream goes on; the exit status is
//! non-zero only when the input cannot be read (or the arguments are wrong).
use std::io::{Read, Write};
use std::process::ExitCode;

use omniroute::routing::{RouteOptions, STRATEGY_NAMES, route_stream, strategy_by_name};

fn main() -> ExitCode {
    let mut strategy = String::from("optimal");
    let mut file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--strategy" => match args.next() {
                Some(s) => strategy = s,
                None => return usage("--strategy needs a name"),
            },
            "-h" | "--help" => {
                println!("usage: route [--strategy NAME] [FILE]\nstrategies: {}", STRATEGY_NAMES.join(", "));
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() => file = Some(a),
            _ => return usage("more than one FILE"),
        }
    }
    let Some(s) = strategy_by_name(&strategy) else {
        return usage(&format!("unknown strategy {strategy:?}"));
    };
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
    for plan in route_stream(&input, s.as_ref(), RouteOptions::new()) {
        if writeln!(out, "{plan}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!(
        "route: {msg}\nusage: route [--strategy NAME] [FILE]\nstrategies: {}",
        STRATEGY_NAMES.join(", ")
    );
    ExitCode::from(2)
}
