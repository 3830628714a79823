//! Persisting the ledger in a real database: SQLite through rusqlite.
//!
//! The library does no I/O; the host in `examples/persistence/host.rs` stores
//! the event journal, the position rows and periodic snapshots, applies each
//! command in one transaction, recovers after a restart (latest snapshot plus
//! the journal tail), and uses position versions for compare-and-swap
//! between writers. It then does the same for orders: each order
//! operation's order events and ledger events are written in one
//! transaction, the host crashes inside and after that transaction, and a
//! restart recovers the book and the ledger and checks one against the
//! other. This example walks through each of those and prints what happens;
//! its output is in the README ("Running at scale").
//!
//! Run with `cargo run --example persistence`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects)]

#[path = "persistence/host.rs"]
mod host;

use std::path::PathBuf;

use host::{Faults, Host, HostError, HostOptions, OrderOp, OrderOutcome};
use omniroute::ledger::Outcome;
use omniroute::order::{LineSpec, Network, OrderBook, OrderPolicy, OrderSpec};
use omniroute::{
    ChannelId, Command, CommandKind, EntryId, LineId, Node, NodeId, NodeKind, OrderId, Qty, Sku, Timestamp,
};

fn id(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

fn db_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omniroute-persistence-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
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

/// The variant name of a ledger event's kind.
fn kind_name(ev: &omniroute::ledger::Event) -> String {
    let debug = format!("{:?}", ev.kind);
    debug.split([' ', '(', '{']).next().unwrap_or_default().to_owned()
}

fn show_order(what: &str, r: &Result<OrderOutcome, HostError>) {
    match r {
        Ok(o) => {
            let rec = o.record();
            let kinds: Vec<String> = rec.ledger_events.iter().map(kind_name).collect();
            let how = if o.is_new() { "applied as" } else { "already applied as" };
            let tail = if o.is_new() { "" } else { ", nothing written" };
            println!(
                "  {what}: {how} {}, {} order event(s), ledger events [{}]{tail}",
                rec.op,
                rec.events.len(),
                kinds.join(", ")
            );
        }
        Err(e) => println!("  {what}: {e}"),
    }
}

fn show_book(host: &Host) {
    for o in host.book().orders() {
        println!("  {} {:?}", o.id, o.status);
        for l in &o.lines {
            println!(
                "    {} {} × {}: reserved {}, allocated {}, shipped {}, cancelled {}",
                l.id,
                l.ordered,
                l.sku,
                l.reserved(),
                l.allocated(),
                l.shipped(),
                l.cancelled
            );
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = db_path("ledger.db");
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

    orders(t)?;
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    Ok(())
}

/// Sections 5–7: order operations persisted with their ledger events.
fn orders(t: Timestamp) -> Result<(), Box<dyn std::error::Error>> {
    let path = db_path("orders.db");
    let opts = HostOptions::default().snapshot_every(4);
    let (wh, west) = (NodeId::new(0), NodeId::new(1));
    let (tee, mug) = (Sku::new(0), Sku::new(1));
    let net = Network::new(vec![Node::new(wh, NodeKind::Warehouse), Node::new(west, NodeKind::Warehouse)])?;
    let initial = OrderBook::new(net, OrderPolicy::new());
    let line = |id, sku, q| LineSpec::new(LineId::new(id), sku, Qty::new(q));
    let (o1, o2, o3) = (OrderId::new(1), OrderId::new(2), OrderId::new(3));

    println!(
        "\n5. orders: one transaction per operation (order events + ledger events + position rows + ops row)"
    );
    let mut h = Host::open_with_book(&path, opts, &initial)?;
    h.submit(&Command::new(id(1), CommandKind::Register { nodes: 2, skus: 2 }), t)?;
    h.submit(
        &Command::new(id(2), CommandKind::Receive { node: wh, sku: tee, qty: Qty::new(10), inbound: None }),
        t,
    )?;
    h.submit(
        &Command::new(id(3), CommandKind::Receive { node: west, sku: mug, qty: Qty::new(4), inbound: None }),
        t,
    )?;
    println!(
        "  stock: 10 × {tee} at {wh}, 4 × {mug} at {west}; the caller names each request with its own key"
    );
    let spec1 = OrderSpec::new(o1, ChannelId::new(0)).line(line(0, tee, 3)).line(line(1, mug, 1));
    show_order("key 101, place order#1 (3 tees, 1 mug)", &h.order(101, t, &OrderOp::Place(spec1)));
    let spec2 = OrderSpec::new(o2, ChannelId::new(0)).line(line(0, tee, 4));
    show_order("key 102, place order#2 (4 tees)", &h.order(102, t, &OrderOp::Place(spec2)));
    show_order("key 103, release order#1", &h.order(103, t, &OrderOp::Release { order: o1, node: None }));
    let ship = |node, l, q| OrderOp::Ship { order: o1, node, line: LineId::new(l), qty: Qty::new(q) };
    show_order("key 104, ship order#1 line 0", &h.order(104, t, &ship(wh, 0, 3)));
    show_order("key 105, ship order#1 line 1", &h.order(105, t, &ship(west, 1, 1)));
    show_order("key 106, cancel order#2", &h.order(106, t, &OrderOp::Cancel { order: o2 }));
    show_order(
        "key 107, cancel order#2 again (refused, nothing written)",
        &h.order(107, t, &OrderOp::Cancel { order: o2 }),
    );
    println!(
        "  order rows {}, ledger rows {}, last op {}, book snapshot after order row {}",
        h.order_journal()?.len(),
        h.journal()?.len(),
        h.last_op(),
        h.book_snapshot_seq()
    );
    drop(h);

    println!("\n6. crashes while persisting an order operation");
    let place3 = OrderOp::Place(OrderSpec::new(o3, ChannelId::new(0)).line(line(0, tee, 2)));
    // Fault points of an operation: 0 before the transaction, 1 ledger rows,
    // 2 position rows, 3 order and ops rows (inside), 4 after commit.
    let mut crashing = Host::open_with_book(&path, opts.faults(Faults::crash_at(3)), &initial)?;
    show_order("key 108, place order#3 (2 tees)", &crashing.order(108, t, &place3));
    drop(crashing);
    let mut h = Host::open_with_book(&path, opts, &initial)?;
    println!(
        "  restart: order#3 known: {}, tees reserved {}; the transaction rolled back",
        h.book().order(o3).is_ok(),
        h.ledger().position(wh, tee)?.reserved
    );
    show_order("retry key 108", &h.order(108, t, &place3));
    drop(h);
    let mut crashing = Host::open_with_book(&path, opts.faults(Faults::crash_at(4)), &initial)?;
    let release3 = OrderOp::Release { order: o3, node: None };
    show_order("key 109, release order#3", &crashing.order(109, t, &release3));
    drop(crashing);
    let mut h = Host::open_with_book(&path, opts, &initial)?;
    println!("  restart: tees allocated {}", h.ledger().position(wh, tee)?.allocated);
    show_order("retry key 109", &h.order(109, t, &release3));
    show_order("key 109 with another request", &h.order(109, t, &OrderOp::Cancel { order: o3 }));
    let live = (serde_json::to_string(h.book())?, serde_json::to_string(h.ledger())?);
    drop(h);

    println!(
        "\n7. restart: book snapshot + order tail, ledger snapshot + tail, holds checked against the ledger"
    );
    let h = Host::open_with_book(&path, opts, &initial)?;
    println!(
        "  book: snapshot after order row {} + tail to row {}; ledger: snapshot after row {} + tail to row {}",
        h.book_snapshot_seq(),
        h.order_head(),
        h.snapshot_seq(),
        h.head()
    );
    let same = (serde_json::to_string(h.book())?, serde_json::to_string(h.ledger())?) == live;
    println!(
        "  same bytes as live: {same}; every hold is a live ledger reservation: {}",
        h.book().check_against(h.ledger()).is_ok()
    );
    show_book(&h);
    let (p, m) = (h.ledger().position(wh, tee)?, h.ledger().position(west, mug)?);
    println!(
        "  {tee} at {wh}: on hand {}, reserved {}, allocated {}; {mug} at {west}: on hand {}",
        p.on_hand, p.reserved, p.allocated, m.on_hand
    );
    h.ledger().check_invariants()?;
    h.book().check_invariants()?;
    h.verify_positions()?;
    drop(h);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    Ok(())
}
