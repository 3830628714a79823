//! Ledger command throughput: `ledger/<commands>/<size>`.
//!
//! Each iteration applies a prebuilt stream of commands (fresh entry ids) to a
//! clone of a prepared ledger (100 × 1,000 stocked positions, 100,001 entry
//! ids remembered); the clone is made outside the timed section.
//! Throughput is reported in commands per second.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput};
use omniroute::{Command, CommandKind, Ledger, Qty, Timestamp};

use crate::stream::{Grid, Ids, id};

const GRID: Grid = Grid { nodes: 100, skus: 1_000 };

const PREPARED_ENTRIES: u64 = GRID.entries();

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("ledger");
    let now = Timestamp::from_unix_ms(1);
    {
        let n = 30_000u64;
        let cmds = GRID.mixed(n);
        let base = GRID.prepared();
        g.throughput(Throughput::Elements(n));
        one_by_one(&mut g, format!("reserve_commit_receive/{n}"), &base, false, &cmds, now);
        // The same with the idempotency table pre-sized (`reserve_entries`),
        // as a host with a steady volume would: no rehashing on the hot path.
        one_by_one(&mut g, format!("reserve_commit_receive_presized/{n}"), &base, true, &cmds, now);
        // The same with UUIDv4-like entry ids (seeded): no locality between
        // consecutive ids in the idempotency index.
        let random_cmds = GRID.mixed_with(n, Ids::Random);
        let random_base = GRID.prepared_with(Ids::Random);
        one_by_one(
            &mut g,
            format!("reserve_commit_receive_presized_random_ids/{n}"),
            &random_base,
            true,
            &random_cmds,
            now,
        );
        // Receives only, on 30,000 distinct scattered positions, pre-sized.
        let receives: Vec<Command> = (0..n)
            .map(|i| {
                let (node, sku) = GRID.pos(i);
                Command::new(id(i), CommandKind::Receive { node, sku, qty: Qty::new(1), inbound: None })
            })
            .collect();
        one_by_one(&mut g, format!("receive_presized/{n}"), &base, true, &receives, now);
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

/// Benches applying `cmds` one by one to a clone of `base` (pre-sized for
/// them when `presized`), asserting every command was remembered.
fn one_by_one(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: String,
    base: &Ledger,
    presized: bool,
    cmds: &[Command],
    now: Timestamp,
) {
    let n = cmds.len() as u64;
    g.bench_function(name, |b| {
        b.iter_batched(
            || {
                let mut l = base.clone();
                if presized {
                    l.reserve_entries(cmds.len());
                }
                l
            },
            |mut l| {
                for cmd in cmds {
                    black_box(l.apply(black_box(cmd), now).unwrap());
                }
                assert_eq!(l.entry_count() as u64, n + PREPARED_ENTRIES);
                l
            },
            BatchSize::LargeInput,
        )
    });
}
