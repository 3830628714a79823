use std::hint::black_box;

use criterion::Criterion;
use omniroute::Money;

pub(crate) fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("model");
    g.bench_function("money/parse", |b| {
        b.iter(|| {
            let m: Money = black_box("8.759").parse().unwrap();
            assert!(!m.is_negative());
            m
        })
    });
    g.finish();
}
