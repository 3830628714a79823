use std::hint::black_box;

use criterion::Criterion;
use omniroute::returns::{
    Category, Disposition, Grade, Inspection, NodeSignal, Recovery, ReturnId, ReturnPolicy, ReturnReason,
    ReturnRequest, Sale, SaleReturns, Verdict,
};
use omniroute::{EntryId, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};

fn day(d: i64) -> Timestamp {
    Timestamp::from_unix_ms(d * Timestamp::MS_PER_DAY)
}

fn cents(c: i64) -> Money {
    Money::new(rust_decimal::Decimal::new(c, 2))
}

fn nodes(n: u32) -> Vec<NodeSignal> {
    (0..n)
        .map(|i| {
            let v = i64::from(i);
            NodeSignal::new(NodeId::new(i), cents(4_000 + (v * 37) % 2_000))
                .handling_cost(cents(150 + v % 7))
                .transport_cost(cents(600 + (v * 13) % 900))
                .transit_days(1 + i % 5)
        })
        .collect()
}

pub(crate) fn benches(c: &mut Criterion) {
    let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), day(0))
        .quantities(Qty::new(3), Qty::new(3))
        .paid(cents(12_999));
    let policy = ReturnPolicy::new().restocking_fee_bp(1000).statutory_defect_days(730);
    let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::DoesNotFit, day(10));
    let mut g = c.benchmark_group("returns");
    for n in [8_u32, 64] {
        let network = nodes(n);
        g.bench_function(format!("request/{n}-nodes"), |b| {
            b.iter(|| {
                let mut r = SaleReturns::new(sale.clone()).unwrap();
                let d = r.request(black_box(&req), &policy, black_box(&network)).unwrap();
                assert_eq!(d.verdict, Verdict::Accepted);
                d
            })
        });
    }
    let mut received = SaleReturns::new(sale.clone()).unwrap();
    received.request(&req.clone().in_store(NodeId::new(0)), &policy, &[]).unwrap();
    received
        .receive(ReturnId::new(1), NodeId::new(0), Qty::new(1), day(10), EntryId::new(1).unwrap())
        .unwrap();
    let mut recovery = Recovery::new().open_box(Sku::new(900), cents(3_000), cents(300));
    for n in nodes(8) {
        recovery = recovery.restock_at(n);
    }
    for (i, d) in
        [Disposition::ReturnToVendor, Disposition::Liquidate, Disposition::Donate, Disposition::Recycle]
            .into_iter()
            .enumerate()
    {
        recovery = recovery.value(d, cents(3_000 / (i as i64 + 1)), cents(200));
    }
    let inspection = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), day(11));
    g.bench_function("dispose/8-restock-nodes", |b| {
        b.iter(|| {
            let mut r = received.clone();
            let d = r
                .dispose(black_box(&inspection), &policy, black_box(&recovery), EntryId::new(2).unwrap())
                .unwrap();
            assert_eq!(d.disposition, Disposition::Restock);
            d
        })
    });
    g.finish();
}
