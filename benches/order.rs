//! Order benches: `order/place/<lines>x<nodes>` (route + reserve one order
//! against a ledger) and `order/batch/<orders>x<nodes>` (batch allocation
//! under scarce stock, first come and pro rata).
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use omniroute::ledger::Ledger;
use omniroute::order::{BatchOptions, Fairness, LineSpec, Network, OpId, OrderBook, OrderPolicy, OrderSpec};
use omniroute::routing::{Optimal, OrderLine, RouteOptions, RoutingProblem, Rules, StockTable, Strategy};
use omniroute::{
    ChannelId, Command, CommandKind, EntryId, LineId, Location, Money, Node, NodeId, NodeKind, OrderId, Qty,
    Sku, Timestamp,
};

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SKUS: u32 = 200;
const T: Timestamp = Timestamp::EPOCH;

/// `nodes` warehouses with shipment costs 7.5–10, unit costs 0.5–1.7, each
/// stocking 40 % of 200 SKUs with `units(rng)` units; the same figures as
/// the ledger and as a static availability view.
fn world(nodes: u32, seed: u64, units: impl Fn(&mut Rng) -> u64) -> (OrderBook, Ledger, StockTable) {
    let mut rng = Rng(seed);
    let mut ledger = Ledger::new();
    let mut stock = StockTable::new();
    let mut entry = 0u128;
    let mut apply = |l: &mut Ledger, kind| {
        entry += 1;
        l.apply(&Command::new(EntryId::new(entry).unwrap(), kind), T).unwrap();
    };
    apply(&mut ledger, CommandKind::Register { nodes, skus: SKUS });
    let mut out = Vec::new();
    for i in 0..nodes {
        let loc = Location::new(
            25.0 + (rng.below(2_300) as f64) / 100.0,
            -(70.0 + (rng.below(5_000) as f64) / 100.0),
        )
        .unwrap();
        out.push(
            Node::new(NodeId::new(i), NodeKind::Warehouse)
                .with_shipment_cost(Money::new(rust_decimal::Decimal::new(
                    7_500 + rng.below(2_500) as i64,
                    3,
                )))
                .with_unit_cost(Money::new(rust_decimal::Decimal::new(5_000 + rng.below(12_000) as i64, 4)))
                .with_location(loc),
        );
        for s in 0..SKUS {
            if rng.below(100) < 40 {
                let q = units(&mut rng);
                let (node, sku) = (NodeId::new(i), Sku::new(s));
                apply(&mut ledger, CommandKind::Receive { node, sku, qty: Qty::new(q), inbound: None });
                stock.set(node, sku, Qty::new(q)).unwrap();
            }
        }
    }
    let book = OrderBook::new(Network::new(out).unwrap(), OrderPolicy::new());
    (book, ledger, stock)
}

fn spec(rng: &mut Rng, id: u64, lines: u32) -> OrderSpec {
    let mut s = OrderSpec::new(OrderId::new(id), ChannelId::new(0)).priority(rng.below(3) as i32);
    for l in 0..lines {
        s = s.line(LineSpec::new(
            LineId::new(l),
            Sku::new(rng.below(u64::from(SKUS)) as u32),
            Qty::new(1 + rng.below(3)),
        ));
    }
    s
}

pub fn benches(c: &mut Criterion) {
    // Place: plenty of stock, so every order is fully reserved; the book and
    // ledger grow as in production (one order and its entries per call).
    for lines in [1u32, 3] {
        let (mut book, mut ledger, stock) = world(100, 7, |_| 1_000_000);
        let mut rng = Rng(11);
        let mut n = 0u64;
        c.bench_function(&format!("order/place/{lines}x100"), |b| {
            b.iter(|| {
                n += 1;
                let s = spec(&mut rng, n, lines);
                let done = book.place(&mut ledger, &stock, OpId::new(n), T, black_box(s)).unwrap();
                assert!(done.unfilled.is_empty() && !done.ledger_events.is_empty());
                done
            });
        });
    }
    // Baseline in the same run: the exact routing call alone on the same
    // kind of orders (problem prebuilt, no ledger, no book).
    for lines in [1u32, 3] {
        let (book, _, stock) = world(100, 7, |_| 1_000_000);
        let mut problem = RoutingProblem::new(book.network().nodes().to_vec(), Vec::new())
            .with_rules(Rules::new().unfilled_unit_penalty(Some(Money::from_int(1_000))));
        let mut rng = Rng(11);
        let opts = RouteOptions::new();
        c.bench_function(&format!("order/route_only/{lines}x100"), |b| {
            b.iter(|| {
                let s = spec(&mut rng, 0, lines);
                problem.lines = s.lines.iter().map(|l| OrderLine::new(l.id, l.sku, l.qty)).collect();
                let plan = Optimal.route(black_box(&problem), &stock, &opts).unwrap();
                assert!(plan.unfilled.is_empty() && !plan.shipments.is_empty());
                plan
            });
        });
    }
    // Batch: 10,000 orders of 1–3 lines, 1–3 units each (≈ 40,000 units)
    // against ≈ 52,000 units spread thin, so popular SKUs run short.
    let mut g = c.benchmark_group("order/batch");
    g.sample_size(10);
    for (name, fairness) in [("first_come", Fairness::FirstCome), ("pro_rata", Fairness::ProRata)] {
        let (book, ledger, stock) = world(100, 7, |r| 1 + r.below(12));
        let mut rng = Rng(13);
        let specs: Vec<OrderSpec> = (1..=10_000u64)
            .map(|i| {
                let lines = 1 + rng.below(3) as u32;
                spec(&mut rng, i, lines)
            })
            .collect();
        g.bench_function(format!("{name}/10000x100"), |b| {
            b.iter_batched(
                || (book.clone(), ledger.clone(), specs.clone()),
                |(mut book, mut ledger, specs)| {
                    let o = BatchOptions::new().fairness(fairness);
                    let done = book.allocate_batch(&mut ledger, &stock, OpId::new(1), T, specs, o).unwrap();
                    assert_eq!(done.events.len(), 10_000);
                    (book, ledger, done)
                },
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}
