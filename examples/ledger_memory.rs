//! Measures the ledger's memory: bytes per stocked position and bytes per
//! remembered command (the idempotency table and the count journal).
//!
//! Run with `cargo run --release --example ledger_memory` (Linux: it reads the
//! resident set size from `/proc/self/statm`). Each scenario runs in its own
//! child process so freed memory of one cannot hide the cost of the next.
//!
//! - `positions`: 1,000 nodes × 1,000 SKUs, one receipt into every position
//!   (1,000,000 positions, 1,000,000 commands remembered).
//! - `entries`: 1,000,000 receipts into a single position (1,000,000
//!   commands remembered, one position).
//!
//! Bytes per position = (RSS growth of `positions` − RSS growth of `entries`)
//! / 1,000,000; the command cost cancels out because both scenarios remember
//! the same number of commands of the same kind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic
)]

use omniroute::ledger::Ledger;
use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};

const SIDE: u32 = 1_000;
const COMMANDS: u64 = SIDE as u64 * SIDE as u64;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("resident pages");
    pages * 4096
}

fn receive(i: u64, node: u32, sku: u32) -> Command {
    let kind =
        CommandKind::Receive { node: NodeId::new(node), sku: Sku::new(sku), qty: Qty::new(1), inbound: None };
    Command::new(EntryId::new(u128::from(i) + 10).unwrap(), kind)
}

/// Runs one scenario; prints `rss_growth_bytes position_array_bytes entries`.
fn scenario(name: &str) {
    let t = Timestamp::EPOCH;
    let mut l = Ledger::new();
    let reg = Command::new(EntryId::new(1).unwrap(), CommandKind::Register { nodes: SIDE, skus: SIDE });
    l.apply(&reg, t).unwrap();
    let before = rss_bytes();
    let mut i = 0;
    for s in 0..SIDE {
        for n in 0..SIDE {
            let c = if name == "positions" { receive(i, n, s) } else { receive(i, 0, 0) };
            l.apply(&c, t).unwrap();
            i += 1;
        }
    }
    let after = rss_bytes();
    l.check_invariants().unwrap();
    println!("{} {} {}", after - before, l.position_bytes(), l.entry_count());
}

fn run_child(name: &str) -> (f64, f64) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe).arg(name).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Vec<f64> = text.split_whitespace().map(|x| x.parse().unwrap()).collect();
    (v[0], v[1])
}

fn main() {
    if let Some(name) = std::env::args().nth(1) {
        scenario(&name);
        return;
    }
    println!("size_of position record (on_hand, reserved, allocated, version): 32 bytes");
    let (pos_rss, pos_arrays) = run_child("positions");
    let (ent_rss, _) = run_child("entries");
    let n = COMMANDS as f64;
    println!(
        "positions scenario: RSS +{:.1} MB for {COMMANDS} positions and {COMMANDS} commands",
        pos_rss / 1e6
    );
    println!("entries scenario:   RSS +{:.1} MB for 1 position and {COMMANDS} commands", ent_rss / 1e6);
    println!("per remembered command (idempotency record + journal): {:.1} bytes", ent_rss / n);
    println!("per stocked position, measured (RSS difference): {:.1} bytes", (pos_rss - ent_rss) / n);
    println!("per stocked position, position arrays by capacity: {:.1} bytes", pos_arrays / n);
}
