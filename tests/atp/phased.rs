//! Time-phased answers against a naive day-by-day simulation.

use omniroute::atp::{AtpViews, Demand, InboundPolicy, PromiseSchedule};
use omniroute::ledger::Ledger;
use omniroute::{ChannelId, NodeId, Qty, Sku, Timestamp};

use super::{METHODS, day, random_policy, registered, step};
use crate::common;
use crate::ledger::reference::{Source, SplitMix};

/// Earliest day on which `q` can be promised, simulating stock day by day:
/// the promise is taken on day `d`; it is feasible when stock never goes
/// below zero on `d` or any later day.
fn naive_earliest(
    today: i64,
    last: i64,
    supply: &[(i64, u64)],
    demand: &[(i64, u64)],
    q: u64,
) -> Option<i64> {
    if q == 0 {
        return Some(today);
    }
    'days: for d in today..=last {
        let mut stock: i128 = 0;
        for t in today..=last {
            stock += supply
                .iter()
                .filter(|(x, _)| (*x).max(today) == t)
                .map(|(_, s)| i128::from(*s))
                .sum::<i128>();
            stock -= demand
                .iter()
                .filter(|(x, _)| (*x).max(today) == t)
                .map(|(_, s)| i128::from(*s))
                .sum::<i128>();
            if t == d {
                stock -= i128::from(q);
            }
            if t >= d && stock < 0 {
                continue 'days;
            }
        }
        return Some(d);
    }
    None
}

#[test]
fn earliest_equals_a_day_by_day_simulation() {
    for case in 0..common::cases(300) {
        let mut src = SplitMix(0x5EED + u64::from(case));
        let today = 50 + src.below(5) as i64;
        let on_hand = src.below(10);
        let mut s = PromiseSchedule::new(day(today), Qty::new(on_hand));
        let mut supply = vec![(today, on_hand)];
        let mut demand = Vec::new();
        for _ in 0..src.below(25) {
            let d = today - 3 + src.below(25) as i64;
            let q = src.below(12);
            if src.chance(50) {
                s.add_supply(day(d), Qty::new(q)).unwrap();
                supply.push((d, q));
            } else {
                s.add_demand(day(d), Qty::new(q)).unwrap();
                demand.push((d, q));
            }
        }
        let last = today + 25;
        for q in 0..40 {
            let fast = s.earliest(Qty::new(q)).map(Timestamp::day_index);
            assert_eq!(fast, naive_earliest(today, last, &supply, &demand, q), "case {case} q {q}: {s:?}");
        }
        for d in today..=last {
            let can = s.available_on(day(d)).get();
            let mut most = 0;
            while naive_earliest(today, last, &supply, &demand, most + 1).is_some_and(|e| e <= d) {
                most += 1;
            }
            assert_eq!(can, most, "case {case} day {d}");
        }
    }
}

#[test]
fn ledger_promise_dates_equal_a_day_by_day_simulation() {
    for case in 0..common::cases(40) {
        let mut src = SplitMix(0xDA7E + u64::from(case));
        let mut policy = random_policy(&mut src);
        if src.chance(70) {
            policy =
                policy.inbound(InboundPolicy::within(2 + src.below(6) as i64, src.below(2) as i64).unwrap());
        }
        let mut now = Timestamp::from_unix_ms(5 * Timestamp::MS_PER_DAY);
        let (mut l, _) = registered(now);
        let mut sent = Vec::new();
        let mut next_id = 1 << 90;
        for _ in 0..60 {
            step(&mut src, &mut l, &mut now, &mut sent, &mut next_id);
        }
        let views = AtpViews::new(policy.clone(), &l).unwrap();
        let on_hand_only = AtpViews::new(policy.clone().inbound(InboundPolicy::Ignore), &l).unwrap();
        let today = now.day_index();
        let demand: Vec<Demand> = (0..src.below(6))
            .map(|_| Demand { due: day(today - 1 + src.below(8) as i64), qty: Qty::new(src.below(6)) })
            .collect();
        for s in 0..l.sku_count() {
            'pair: for c in 0..2 {
                let m = METHODS[src.below(5) as usize];
                let (sku, ch) = (Sku::new(s), ChannelId::new(c));
                // Supply: what each node shows now (before the threshold), plus
                // receipts by sellable day, capped per node.
                let mut supply = vec![];
                let mut on_hand = 0u64;
                let mut backlog = 0u64;
                let mut last = today + 1;
                for n in 0..l.node_count() {
                    let node = NodeId::new(n);
                    let Ok(e) = on_hand_only.explain(sku, node, ch, m) else { continue 'pair };
                    if !e.eligible {
                        continue;
                    }
                    let Some(o) = on_hand.checked_add(e.own_pool.get() + e.shared.get()) else {
                        continue 'pair;
                    };
                    on_hand = o;
                    let fenced = policy.pools(sku, node).any(|(pc, p)| pc == ch && !p.may_use_shared);
                    if fenced {
                        continue;
                    }
                    if let InboundPolicy::Within { horizon_days, lead_time_days } = policy.get_inbound() {
                        let claims = e.reserved.get().saturating_add(e.allocated.get());
                        backlog += claims.saturating_sub(e.on_hand.get().saturating_add(e.backorder.get()));
                        let mut rs: Vec<(i64, u128, u64)> = l
                            .inbound(node, sku)
                            .map(|(id, r)| {
                                ((r.eta.day_index() + lead_time_days).max(today), id.get(), r.remaining.get())
                            })
                            .filter(|r| r.0 <= today + horizon_days)
                            .collect();
                        rs.sort();
                        let mut left = policy.get_preorder_cap().unwrap_or(Qty::MAX).get();
                        for (d, _, q) in rs {
                            let take = q.min(left);
                            left -= take;
                            supply.push((d, take));
                            last = last.max(d + 1);
                        }
                    }
                }
                supply.push((today, on_hand));
                let mut dem: Vec<(i64, u64)> =
                    demand.iter().map(|d| (d.due.day_index(), d.qty.get())).collect();
                dem.push((today, backlog));
                last = last.max(today + 9);
                for q in [0, 1, 2, 3, 5, 8, 13, 21] {
                    let got = match views.earliest_promise_date(&l, sku, ch, m, Qty::new(q), &demand, now) {
                        Ok(g) => g.map(Timestamp::day_index),
                        Err(e) => {
                            assert!(matches!(e, omniroute::atp::AtpError::Overflow { .. }));
                            continue 'pair;
                        }
                    };
                    let want = naive_earliest(today, last, &supply, &dem, q);
                    assert_eq!(
                        got,
                        want,
                        "case {case} sku {s} ch {c} {m:?} q {q} today {today} supply {supply:?} dem {dem:?} sched {:?}",
                        views.schedule(&l, sku, ch, m, &demand, now).unwrap()
                    );
                    for by in [today, today + 2, today + 7] {
                        let ok = views
                            .can_promise_by(&l, sku, ch, m, Qty::new(q), day(by).max(now), &demand, now)
                            .unwrap();
                        assert_eq!(ok, want.is_some_and(|w| w <= by), "case {case} by {by}");
                    }
                }
            }
        }
        let _: &Ledger = &l;
    }
}
