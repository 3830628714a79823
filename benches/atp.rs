//! ATP: `atp/<what>/<size>`.
//!
//! - `network_read`: one network ATP read (SKU, channel, method) from views
//!   over 100 nodes × 200 SKUs with 4 channels, scattered SKUs.
//! - `earliest_promise`: the earliest promise date with 50 supply and demand
//!   events (25 inbound receipts over 10 nodes, 25 dated demands).
//! - `commands_ledger_only` / `commands_with_views`: the same 30,000 ledger
//!   commands (receive → reserve → commit) applied to the ledger alone, and
//!   to the ledger with every event fed to the views (the feed drained after
//!   each command, as a publishing host would); the
//!   difference is what the views and the feed add per command.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use omniroute::atp::{AtpPolicy, AtpViews, Buffer, Demand, InboundPolicy, Scope};
use omniroute::ledger::Ledger;
use omniroute::{ChannelId, Command, CommandKind, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};

use crate::stream::{Grid, id};

const GRID: Grid = Grid { nodes: 100, skus: 200 };
const NODES: u32 = GRID.nodes;
const SKUS: u32 = GRID.skus;
const CHANNELS: u32 = 4;

fn policy() -> AtpPolicy {
    let mut p = AtpPolicy::new(CHANNELS).unwrap();
    p.set_safety_stock(Scope::global(), Buffer::units(2).unwrap()).unwrap();
    p.set_safety_stock(Scope::global().channel(ChannelId::new(3)), Buffer::percent_bp(1_000).unwrap())
        .unwrap();
    p.set_low_stock_threshold(None, Qty::new(3)).unwrap();
    p.set_method_eligible(FulfilmentMethod::StorePickup, NodeId::new(0), false).unwrap();
    p.set_pool(Sku::new(0), NodeId::new(1), ChannelId::new(2), Qty::new(50), true).unwrap();
    p.inbound(InboundPolicy::within(30, 1).unwrap())
}

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("atp");
    let now = Timestamp::from_unix_ms(1);
    let ledger = GRID.prepared();
    let views = AtpViews::new(policy(), &ledger).unwrap();
    {
        let skus: Vec<Sku> =
            (0..1024u64).map(|i| Sku::new((i.wrapping_mul(7_919) % u64::from(SKUS)) as u32)).collect();
        let mut i = 0usize;
        g.bench_function(format!("network_read/{NODES}x{SKUS}"), |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                let q = views
                    .network(black_box(skus[i]), black_box(ChannelId::new(1)), FulfilmentMethod::Ship)
                    .unwrap();
                assert!(q.get() > 0);
                q
            })
        });
    }
    {
        // One SKU on 10 nodes: 25 receipts and 25 dated demands.
        let day = |d: i64| Timestamp::start_of_day(d).unwrap();
        let mut l = Ledger::new();
        let t = day(100);
        l.apply(&Command::new(id(1), CommandKind::Register { nodes: 10, skus: 1 }), t).unwrap();
        let sku = Sku::new(0);
        for n in 0..10 {
            let kind = CommandKind::Receive { node: NodeId::new(n), sku, qty: Qty::new(3), inbound: None };
            l.apply(&Command::new(id(10 + u64::from(n)), kind), t).unwrap();
        }
        for r in 0..25u64 {
            let kind = CommandKind::ExpectInbound {
                node: NodeId::new((r % 10) as u32),
                sku,
                qty: Qty::new(4),
                eta: day(100 + (r as i64 % 20)),
            };
            l.apply(&Command::new(id(100 + r), kind), t).unwrap();
        }
        let demand: Vec<Demand> =
            (0..25).map(|d| Demand { due: day(100 + (d * 7 % 23)), qty: Qty::new(3) }).collect();
        let v = AtpViews::new(AtpPolicy::new(1).unwrap().inbound(InboundPolicy::within(30, 1).unwrap()), &l)
            .unwrap();
        g.bench_function("earliest_promise/50_events", |b| {
            b.iter(|| {
                let when = v
                    .earliest_promise_date(
                        &l,
                        sku,
                        ChannelId::new(0),
                        FulfilmentMethod::Ship,
                        black_box(Qty::new(20)),
                        &demand,
                        t,
                    )
                    .unwrap();
                assert!(when.is_some());
                when
            })
        });
    }
    {
        let n = 30_000u64;
        let cmds = GRID.mixed(n);
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("commands_ledger_only/{n}"), |b| {
            b.iter_batched(
                || {
                    let mut l = ledger.clone();
                    l.reserve_entries(n as usize);
                    l
                },
                |mut l| {
                    for cmd in &cmds {
                        black_box(l.apply(black_box(cmd), now).unwrap());
                    }
                    l
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(format!("commands_with_views/{n}"), |b| {
            b.iter_batched(
                || {
                    let mut l = ledger.clone();
                    l.reserve_entries(n as usize);
                    (l, views.clone(), Vec::with_capacity(64))
                },
                |(mut l, mut v, mut feed)| {
                    // The host publishes and clears the feed after each command.
                    let mut published = 0usize;
                    for cmd in &cmds {
                        let e = l.apply(black_box(cmd), now).unwrap().into_event();
                        v.apply(&l, &e, &mut feed).unwrap();
                        published += feed.len();
                        feed.clear();
                    }
                    assert!(published > 0);
                    (l, v)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}
