//! Persisting the ledger in a real database: SQLite through rusqlite.
//!
//! The library does no I/O; the host in `examples/persistence/host.rs` stores
//! the event journal, the position rows and periodic snapshots, applies each
//! command in one transaction, recovers after a restart (latest snapshot plus
//! the journal tail), and uses position versions for compare-and-swap
//! between writers. This example walks through each of those and prints
//! what happens; its output is in the README ("Running at scale").
//!
//! Run with `cargo run --example persistence`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects)]

#[path = "persistence/host.rs"]
mod host;

use std::path::PathBuf;

use host::{Faults, Host, HostError, HostOptions};
use omniroute::ledger::Outcome;
use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};

fn id(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

fn db_path() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omniroute-persistence-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ledger.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn show(what: &str, r: &Result<Outcome, HostError>) {
    match r {
        Ok(Outcome::Applied(ev)) => println!("  {what}: applied as {}", ev.entry),
        Ok(Outcome::AlreadyApplied(ev)) => {
            println!("  {what}: already applied ({}), nothing written", ev.entry)
        }
        Ok(_) => println!("  {what}: other outcome"),
        Err(e) => println!("  {what}: {e}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = db_path();
    let (store, sku) = (NodeId::new(0), Sku::new(0));
    let t = Timestamp::from_unix_ms(1_700_000_000_000);
    let opts = HostOptions::default().snapshot_every(4);

    println!("1. one writer: each command is one transaction (event + position rows)");
    let mut a = Host::open(&path, opts)?;
    show("register", &a.submit(&Command::new(id(1), CommandKind::Register { nodes: 2, skus: 1 }), t));
    let receive = CommandKind::Receive { node: store, sku, qty: Qty::new(10), inbound: None };
    show("receive 10", &a.submit(&Command::new(id(2), receive), t));
    let reserve = |q| CommandKind::Reserve { node: store, sku, qty: Qty::new(q), expires_at: None };
    show("reserve 3 (order A)", &a.submit(&Command::new(id(3), reserve(3)), t));
    show(
        "commit 3 (order A)",
        &a.submit(&Command::new(id(4), CommandKind::Commit { reservation: id(3), qty: Qty::new(3) }), t),
    );
    show("reserve 50 (refused, the failure is persisted)", &a.submit(&Command::new(id(5), reserve(50)), t));
    println!(
        "  journal rows {}, latest snapshot after row {}, position rows match the ledger: {}",
        a.journal()?.len(),
        a.snapshot_seq(),
        a.verify_positions()? == 1
    );

    println!("\n2. a crash after commit, before the caller hears back");
    drop(a);
    let mut crashing = Host::open(&path, opts.faults(Faults::crash_at(3)))?;
    let ship = Command::new(id(6), CommandKind::Ship { node: store, sku, qty: Qty::new(3) });
    show("ship 3", &crashing.submit(&ship, t));
    drop(crashing);
    let mut a = Host::open(&path, opts)?;
    println!(
        "  restart: snapshot after row {} + tail to row {}; on hand {}",
        a.snapshot_seq(),
        a.head(),
        a.ledger().position(store, sku)?.on_hand
    );
    show("retry ship 3 with the same entry id", &a.submit(&ship, t));

    println!("\n3. two writers on one hot SKU: compare-and-swap on the position version");
    let mut b = Host::open(&path, opts)?;
    let va = a.ledger().position(store, sku)?.version;
    let vb = b.ledger().position(store, sku)?.version;
    println!("  both read version {va}/{vb}, available {}", a.ledger().position(store, sku)?.available());
    show(
        "B reserves 4 at that version",
        &b.submit_if_version(&Command::new(id(7), reserve(4)), t, store, sku, vb),
    );
    let lost = a.submit_if_version(&Command::new(id(8), reserve(4)), t, store, sku, va);
    show("A reserves 4 at that version", &lost);
    let p = a.ledger().position(store, sku)?;
    println!("  A reloaded: version {}, available {}", p.version, p.available());
    show(
        "A decides again: reserves the 3 left",
        &a.submit_if_version(&Command::new(id(8), reserve(3)), t, store, sku, p.version),
    );
    b.refresh()?;
    let p = b.ledger().position(store, sku)?;
    show("B tries 1 more", &b.submit_if_version(&Command::new(id(9), reserve(1)), t, store, sku, p.version));

    println!("\n4. restart from disk: snapshot + tail equals the live ledger");
    let live = serde_json::to_string(b.ledger())?;
    drop((a, b));
    let c = Host::open(&path, opts)?;
    let p = c.ledger().position(store, sku)?;
    println!(
        "  journal rows {}, snapshot after row {}, same bytes as live: {}",
        c.journal()?.len(),
        c.snapshot_seq(),
        serde_json::to_string(c.ledger())? == live
    );
    println!(
        "  on hand {}, reserved {}, allocated {}, available {}, version {}",
        p.on_hand,
        p.reserved,
        p.allocated,
        p.available(),
        p.version
    );
    c.ledger().check_invariants()?;
    drop(c);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    Ok(())
}
