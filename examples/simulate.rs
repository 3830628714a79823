//! The main example: generate a seeded scenario, run every routing strategy
//! on the same orders and the same starting stock, compare them side by
//! side, and write a report folder.
//!
//! ```text
//! cargo run --release --example simulate -- [--orders N] [--seed S] [--skus N] [--stores N]
//!     [--days N] [--strategies a,b,...] [--fulfiller order|atp|ledger] [--out DIR] [--no-static]
//!     [--export FILE]
//! ```
//!
//! With no arguments: 20,000 orders over 7 days, 53 nodes, 2,000 SKUs, seed
//! 42, all seven strategies, report in `target/sim-report`. Progress goes to
//! standard error; the table and the report's path to standard output.
//!
//! `--fulfiller` chooses the per-order step: `order` (the default) drives the
//! order lifecycle — each order is placed, released, shipped (or picked up),
//! cancelled and its returns recorded through the order book, which routes
//! the order's zone problem with the strategy over what its channel may
//! promise by its fulfilment method, under the scenario's ATP policy (store
//! safety stock, marketplace pools at the warehouses, pickup only at stores,
//! same day only at stores and dark stores), with the ATP views kept in step
//! with every ledger event; `atp` does the same routing but reserves,
//! commits and ships on the ledger directly, without the book; `ledger`
//! routes over raw ledger availability.
//!
//! The report folder holds `metrics.csv`, `metrics.json` and `chart.svg`
//! (cost per order against split rate), which depend only on the scenario:
//! the same seed gives byte-identical files. Wall-clock figures — placement
//! latency per order (route + reserve, p50/p99) and throughput (orders per
//! second of a whole simulation pass, events included) — are in the printed
//! table and in `timing.json` only, since they change from run to run.
//!
//! `--export FILE` writes the scenario's orders as routing instances (one
//! JSON per line, with the starting stock) and exits:
//! `cargo run --release --example route -- --strategy nearest FILE` replays them.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // timing only

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use omniroute::sim::{
    Comparison, FulfillerKind, LedgerView, Observer, Scenario, ScenarioParams, SimOptions, SimStrategy,
    compare, instance_json,
};

const USAGE: &str = "usage: simulate [--orders N] [--seed S] [--skus N] [--stores N] [--days N] \
[--strategies a,b,...] [--fulfiller order|atp|ledger] [--out DIR] [--no-static] [--export FILE]";

struct Args {
    params: ScenarioParams,
    strategies: Vec<String>,
    out: PathBuf,
    static_pass: bool,
    fulfiller: FulfillerKind,
    export: Option<PathBuf>,
}

fn parse() -> Result<Option<Args>, String> {
    let mut a = Args {
        params: ScenarioParams::new(),
        strategies: omniroute::routing::STRATEGY_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        out: PathBuf::from("target/sim-report"),
        static_pass: true,
        fulfiller: FulfillerKind::default(),
        export: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|_| format!("{flag}: not a number: {v:?}"));
        let num32 = |v: String| v.parse::<u32>().map_err(|_| format!("{flag}: not a number: {v:?}"));
        match flag.as_str() {
            "--orders" => a.params = a.params.orders(num32(value()?)?),
            "--seed" => a.params = a.params.seed(num(value()?)?),
            "--skus" => a.params = a.params.skus(num32(value()?)?),
            "--stores" => a.params = a.params.stores(num32(value()?)?),
            "--days" => a.params = a.params.days(num32(value()?)?),
            "--strategies" => a.strategies = value()?.split(',').map(str::to_owned).collect(),
            "--fulfiller" => {
                let v = value()?;
                a.fulfiller = FulfillerKind::by_name(&v)
                    .ok_or_else(|| format!("--fulfiller: expected order, atp or ledger, got {v:?}"))?;
            }
            "--out" => a.out = PathBuf::from(value()?),
            "--export" => a.export = Some(PathBuf::from(value()?)),
            "--no-static" => a.static_pass = false,
            "-h" | "--help" => {
                println!("{USAGE}\nstrategies: {}", omniroute::routing::STRATEGY_NAMES.join(", "));
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(a))
}

/// Times each placement and each pass, and shows progress on stderr.
#[derive(Default)]
struct Timer {
    /// Percentages only on a terminal; a log gets one line per pass.
    tty: bool,
    passes: Vec<Pass>,
    started: Option<Instant>,
    last_shown: usize,
}

struct Pass {
    name: String,
    orders: usize,
    began: Instant,
    wall: Duration,
    latencies_ns: Vec<u64>,
}

impl Timer {
    fn close(&mut self) {
        if let Some(p) = self.passes.last_mut() {
            if p.wall.is_zero() {
                p.wall = p.began.elapsed();
                eprintln!("\r  {:<18} {:>3}%  {:>7.2} s", p.name, 100, p.wall.as_secs_f64());
            }
        }
    }
}

impl Observer for Timer {
    fn pass_started(&mut self, strategy: &str, orders: usize) {
        self.close();
        self.last_shown = 0;
        self.passes.push(Pass {
            name: strategy.to_owned(),
            orders,
            began: Instant::now(),
            wall: Duration::ZERO,
            latencies_ns: Vec::with_capacity(orders),
        });
    }

    fn order_started(&mut self, _: &str, _: usize) {
        self.started = Some(Instant::now());
    }

    fn order_finished(&mut self, _: &str, _: usize) {
        let ns = self.started.take().map_or(0, |t| u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let Some(p) = self.passes.last_mut() else { return };
        p.latencies_ns.push(ns);
        let pct = p.latencies_ns.len().saturating_mul(100).checked_div(p.orders).unwrap_or(100);
        if self.tty && pct >= self.last_shown.saturating_add(5) {
            self.last_shown = pct;
            eprint!("\r  {:<18} {:>3}%", p.name, pct);
            let _ = std::io::stderr().flush();
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()).saturating_sub(1)).map_or(0.0, |ns| *ns as f64 / 1_000.0)
}

struct Timing {
    p50_us: f64,
    p99_us: f64,
    orders_per_s: f64,
    wall_s: f64,
}

fn timing(p: &Pass) -> Timing {
    let mut l = p.latencies_ns.clone();
    l.sort_unstable();
    let wall_s = p.wall.as_secs_f64();
    Timing {
        p50_us: percentile(&l, 50.0),
        p99_us: percentile(&l, 99.0),
        orders_per_s: if wall_s > 0.0 { p.orders as f64 / wall_s } else { 0.0 },
        wall_s,
    }
}

fn print_table(c: &Comparison, timer: &Timer) {
    let t = c.table();
    let Some((header, body)) = t.split_first() else { return };
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let cols = [
        ("strategy", "strategy"),
        ("fill", "fill_rate"),
        ("split", "split_rate"),
        ("ship/order", "shipments_per_order"),
        ("cost/order", "cost_per_order"),
        ("unfilled", "units_unfilled"),
        ("promise", "promise_attainment"),
        ("recovered", "value_recovered"),
        ("static cost/order", "static_cost_per_order"),
        ("gap vs optimal %", "static_gap_vs_optimal_pct"),
    ];
    let mut head: Vec<String> = cols.iter().map(|(h, _)| (*h).to_owned()).collect();
    head.extend(["p50 µs", "p99 µs", "orders/s"].map(str::to_owned));
    let mut rows = vec![head];
    for r in body {
        let cell = |i: usize| r.get(i).cloned().unwrap_or_default();
        let mut row: Vec<String> = cols.iter().map(|(_, k)| cell(col(k))).collect();
        match timer.passes.iter().find(|p| p.name == cell(0)).map(timing) {
            Some(tm) => row.extend([
                format!("{:.1}", tm.p50_us),
                format!("{:.1}", tm.p99_us),
                format!("{:.0}", tm.orders_per_s),
            ]),
            None => row.extend(["-", "-", "-"].map(str::to_owned)),
        }
        rows.push(row);
    }
    let width = |i: usize| rows.iter().map(|r| r.get(i).map_or(0, |v| v.chars().count())).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols.len().saturating_add(3)).map(width).collect();
    for (k, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (v, w))| if i == 0 { format!("{v:<w$}") } else { format!("{v:>w$}") })
            .collect();
        println!("{}", line.join("  "));
        if k == 0 {
            println!("{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
        }
    }
}

fn timing_json(timer: &Timer) -> String {
    let mut s = String::from(
        "{\n  \"note\": \"wall-clock figures of this run; they vary between runs\",\n  \"passes\": [",
    );
    for (i, p) in timer.passes.iter().enumerate() {
        let t = timing(p);
        s.push_str(if i == 0 { "\n    " } else { ",\n    " });
        s.push_str(&format!(
            "{{\"pass\": \"{}\", \"orders\": {}, \"wall_s\": {:.3}, \"placement_p50_us\": {:.2}, \"placement_p99_us\": {:.2}, \"orders_per_s\": {:.0}}}",
            p.name, p.orders, t.wall_s, t.p50_us, t.p99_us, t.orders_per_s
        ));
    }
    s.push_str("\n  ]\n}\n");
    s
}

fn run(a: Args) -> Result<(), String> {
    let strategies = a
        .strategies
        .iter()
        .map(|n| SimStrategy::by_name(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let p = a.params;
    eprintln!(
        "simulate: seed {}, {} orders over {} days, {} SKUs, {} nodes ({} warehouses, {} stores, {} dark stores, {} vendors)",
        p.get_seed(),
        p.get_orders(),
        p.get_days(),
        p.get_skus(),
        p.get_warehouses()
            .saturating_add(p.get_stores())
            .saturating_add(p.get_dark_stores())
            .saturating_add(p.get_vendors()),
        p.get_warehouses(),
        p.get_stores(),
        p.get_dark_stores(),
        p.get_vendors()
    );
    let t0 = Instant::now();
    let scenario = Scenario::generate(&p).map_err(|e| e.to_string())?;
    eprintln!("  scenario generated in {:.2} s", t0.elapsed().as_secs_f64());
    if let Some(path) = a.export {
        let start = scenario.starting_ledger().map_err(|e| e.to_string())?;
        let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = std::io::BufWriter::new(file);
        for o in scenario.orders() {
            let line = instance_json(&scenario, o, &LedgerView(&start)).map_err(|e| e.to_string())?;
            writeln!(w, "{line}").map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
        println!("{} instances written to {}", scenario.orders().len(), path.display());
        return Ok(());
    }
    eprintln!(
        "  {} strategies through the {} fulfiller{}",
        strategies.len(),
        a.fulfiller.name(),
        if a.static_pass { ", plus the static pass (every order on the starting stock)" } else { "" }
    );
    let mut timer = Timer { tty: std::io::stderr().is_terminal(), ..Timer::default() };
    let options = SimOptions::new().static_pass(a.static_pass).fulfiller(a.fulfiller);
    let c = compare(&scenario, &strategies, &options, &mut timer).map_err(|e| e.to_string())?;
    timer.close();
    eprintln!("  done in {:.2} s\n", t0.elapsed().as_secs_f64());
    print_table(&c, &timer);
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    for f in c.report_files() {
        let path = a.out.join(f.name);
        std::fs::write(&path, f.contents).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let tpath = a.out.join("timing.json");
    std::fs::write(&tpath, timing_json(&timer)).map_err(|e| format!("{}: {e}", tpath.display()))?;
    println!(
        "\ncost/order includes the penalty for unfilled units; \"gap vs optimal\" routes every order on the \
         same starting stock.\nreport: {} (metrics.csv, metrics.json, chart.svg; wall-clock figures in timing.json)",
        a.out.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse() {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(a)) => match run(a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("simulate: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("simulate: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
