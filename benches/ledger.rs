//! Ledger command throughput: `ledger/<commands>/<size>`.
//!
//! Each iteration applies a prebuilt stream of commands (fresh entry ids) to a
//! clone of a prepared ledger (100 × 1,000 stocked positions, 100,001 entry
//! ids remembered); the clone is made outside the timed section.
//! Throughput is reported in commands per second.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use omniroute::ledger::Ledger;
use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};

const NODES: u32 = 100;
const SKUS: u32 = 1_000;

fn id(n: u64) -> EntryId {
    EntryId::new(u128::from(n) + 1).unwrap()
}

fn pos(i: u64) -> (NodeId, Sku) {
    // A scattered walk over 100 × 1,000 positions.
    let k = i.wrapping_mul(7_919) % u64::from(NODES * SKUS);
    (NodeId::new((k % u64::from(NODES)) as u32), Sku::new((k / u64::from(NODES)) as u32))
}

/// 100 nodes × 1,000 SKUs, every position stocked (an existing inventory:
/// the timed commands measure steady-state work, not first-touch growth).
fn prepared() -> Ledger {
    let mut l = Ledger::new();
    let t = Timestamp::EPOCH;
    l.apply(&Command::new(id(1 << 40), CommandKind::Register { nodes: NODES, skus: SKUS }), t).unwrap();
    for s in 0..SKUS {
        for n in 0..NODES {
            let e = id((1 << 41) + u64::from(s * NODES + n));
            let kind = CommandKind::Receive {
                node: NodeId::new(n),
                sku: Sku::new(s),
                qty: Qty::new(1_000_000),
                inbound: None,
            };
            l.apply(&Command::new(e, kind), t).unwrap();
        }
    }
    l
}

const PREPARED_ENTRIES: u64 = 1 + NODES as u64 * SKUS as u64;

/// receive → reserve → commit triples on scattered positions.
fn mixed(n: u64) -> Vec<Command> {
    let mut v = Vec::with_capacity(n as usize);
    let mut i = 0;
    while (v.len() as u64) < n {
        let (node, sku) = pos(i);
        let base = 3 * i;
        v.push(Command::new(id(base), CommandKind::Receive { node, sku, qty: Qty::new(5), inbound: None }));
        v.push(Command::new(
            id(base + 1),
            CommandKind::Reserve { node, sku, qty: Qty::new(2), expires_at: None },
        ));
        v.push(Command::new(
            id(base + 2),
            CommandKind::Commit { reservation: id(base + 1), qty: Qty::new(1) },
        ));
        i += 1;
    }
    v.truncate(n as usize);
    v
}

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("ledger");
    let now = Timestamp::from_unix_ms(1);
    {
        let n = 30_000u64;
        let cmds = mixed(n);
        let base = prepared();
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("reserve_commit_receive/{n}"), |b| {
            b.iter_batched(
                || base.clone(),
                |mut l| {
                    for cmd in &cmds {
                        black_box(l.apply(black_box(cmd), now).unwrap());
                    }
                    assert_eq!(l.entry_count() as u64, n + PREPARED_ENTRIES);
                    l
                },
                BatchSize::LargeInput,
            )
        });
        // The same with the idempotency table pre-sized (`reserve_entries`),
        // as a host with a steady volume would: no rehashing on the hot path.
        g.bench_function(format!("reserve_commit_receive_presized/{n}"), |b| {
            b.iter_batched(
                || {
                    let mut l = base.clone();
                    l.reserve_entries(n as usize);
                    l
                },
                |mut l| {
                    for cmd in &cmds {
                        black_box(l.apply(black_box(cmd), now).unwrap());
                    }
                    assert_eq!(l.entry_count() as u64, n + PREPARED_ENTRIES);
                    l
                },
                BatchSize::LargeInput,
            )
        });
        // Receives only, on 30,000 distinct scattered positions, pre-sized.
        let receives: Vec<Command> = (0..n)
            .map(|i| {
                let (node, sku) = pos(i);
                Command::new(id(i), CommandKind::Receive { node, sku, qty: Qty::new(1), inbound: None })
            })
            .collect();
        g.bench_function(format!("receive_presized/{n}"), |b| {
            b.iter_batched(
                || {
                    let mut l = base.clone();
                    l.reserve_entries(n as usize);
                    l
                },
                |mut l| {
                    for cmd in &receives {
                        black_box(l.apply(black_box(cmd), now).unwrap());
                    }
                    assert_eq!(l.entry_count() as u64, n + PREPARED_ENTRIES);
                    l
                },
                BatchSize::LargeInput,
            )
        });
        // The same stream as one atomic batch (undo log on).
        g.bench_function(format!("batch_reserve_commit_receive_presized/{n}"), |b| {
            b.iter_batched(
                || {
                    let mut l = base.clone();
                    l.reserve_entries(n as usize);
                    l
                },
                |mut l| {
                    let out = l.apply_batch(black_box(&cmds), now).unwrap();
                    assert_eq!(out.len() as u64, n);
                    l
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}
