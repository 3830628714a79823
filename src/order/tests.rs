use std::collections::BTreeMap;

use super::batch::quotas;
use super::*;
use crate::model::{LineId, Qty, Sku};

fn rows(qs: &[u64]) -> Vec<(usize, LineId, Sku, u64)> {
    qs.iter().enumerate().map(|(i, q)| (i, LineId::new(0), Sku::new(0), *q)).collect()
}

fn supply(s: u64) -> BTreeMap<Sku, u64> {
    [(Sku::new(0), s)].into_iter().collect()
}

#[test]
fn quotas_share_scarce_stock() {
    let r = rows(&[8, 6, 2]);
    assert_eq!(quotas(&r, &supply(10), Fairness::FirstCome), vec![8, 6, 2]);
    assert_eq!(quotas(&r, &supply(10), Fairness::ProRata), vec![6, 3, 1]);
    assert_eq!(quotas(&r, &supply(10), Fairness::RoundRobin), vec![4, 4, 2]);
    // Enough stock: everyone gets everything.
    assert_eq!(quotas(&r, &supply(16), Fairness::ProRata), vec![8, 6, 2]);
    assert_eq!(quotas(&r, &supply(99), Fairness::RoundRobin), vec![8, 6, 2]);
    // Round robin with a remainder: level 3 uses 9, the tenth unit goes to the first line.
    assert_eq!(quotas(&rows(&[5, 5, 5]), &supply(10), Fairness::RoundRobin), vec![4, 3, 3]);
    assert_eq!(quotas(&r, &supply(0), Fairness::RoundRobin), vec![0, 0, 0]);
}

#[test]
fn quotas_never_exceed_supply_or_demand() {
    let mut x: u64 = 0x1234_5678;
    for _ in 0..500 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = 1 + (x % 6) as usize;
        let qs: Vec<u64> = (0..n).map(|i| (x >> (i * 5)) % 9).collect();
        let s = (x >> 40) % 30;
        for f in [Fairness::ProRata, Fairness::RoundRobin] {
            let q = quotas(&rows(&qs), &supply(s), f);
            let total: u64 = q.iter().sum();
            let demand: u64 = qs.iter().sum();
            assert!(q.iter().zip(&qs).all(|(a, b)| a <= b), "{f:?} {qs:?} {s} -> {q:?}");
            assert_eq!(total, demand.min(s), "{f:?} {qs:?} {s} -> {q:?}");
        }
    }
}

#[test]
fn entry_ids_are_distinct_across_operations() {
    let a = OpId::new(1).entry(u32::MAX).unwrap();
    let b = OpId::new(2).entry(0).unwrap();
    assert_ne!(a, b);
    assert!(a.get() < b.get());
    assert_eq!(OpId::new(0).entry(0).unwrap().get() >> 120, 0x0D);
}

#[test]
fn line_check_catches_broken_accounting() {
    let mut l = Line::new(&LineSpec::new(LineId::new(0), Sku::new(0), Qty::new(3)));
    assert!(l.check().is_ok());
    l.open = Qty::new(2);
    assert!(matches!(l.check(), Err(OrderError::InvariantBroken { what: "line accounting" })));
    l.open = Qty::ZERO;
    l.fills.push(LineFill { node: crate::NodeId::new(0), allocated: Qty::ZERO, shipped: Qty::new(3) });
    l.returned = Qty::new(4);
    assert!(matches!(l.check(), Err(OrderError::InvariantBroken { what: "returned" })));
}
