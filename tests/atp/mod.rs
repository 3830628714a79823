//! ATP integration tests: incremental views against a from-scratch
//! computation after random ledger command streams, the change feed,
//! time-phased answers against a naive day-by-day simulation, properties
//! and bad input.

mod phased;

use omniroute::atp::{
    AtpChange, AtpError, AtpPolicy, AtpViews, Buffer, Demand, InboundPolicy, Scope, available_to_promise,
};
use omniroute::ledger::{Event, Ledger, Outcome};
use omniroute::routing::Availability;
use omniroute::{
    BackorderPolicy, ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp,
};
use std::collections::BTreeMap;

use crate::common;
use crate::ledger::reference::{Source, SplitMix, command};

pub const METHODS: [FulfilmentMethod; 5] = [
    FulfilmentMethod::Ship,
    FulfilmentMethod::StorePickup,
    FulfilmentMethod::SameDay,
    FulfilmentMethod::ShipFromStore,
    FulfilmentMethod::DropShip,
];

pub fn day(d: i64) -> Timestamp {
    Timestamp::start_of_day(d).unwrap()
}

/// A random policy over 2 channels, 4 nodes, 3 SKUs.
pub fn random_policy(src: &mut dyn Source) -> AtpPolicy {
    let mut p = AtpPolicy::new(2).unwrap();
    let opt = |src: &mut dyn Source, n: u64| if src.chance(50) { Some(src.below(n) as u32) } else { None };
    for _ in 0..src.below(5) {
        let mut scope = Scope::global();
        if let Some(s) = opt(src, 3) {
            scope = scope.sku(Sku::new(s));
        }
        if let Some(n) = opt(src, 4) {
            scope = scope.node(NodeId::new(n));
        }
        if let Some(c) = opt(src, 2) {
            scope = scope.channel(ChannelId::new(c));
        }
        if src.chance(30) {
            scope = scope.method(METHODS[src.below(5) as usize]);
        }
        let buffer = if src.chance(50) {
            Buffer::units(src.below(4) as i64).unwrap()
        } else {
            Buffer::percent_bp(src.below(10_001) as i64).unwrap()
        };
        p.set_safety_stock(scope, buffer).unwrap();
    }
    if src.chance(40) {
        p.set_low_stock_threshold(None, Qty::new(src.below(4))).unwrap();
    }
    if src.chance(30) {
        p.set_low_stock_threshold(Some(ChannelId::new(1)), Qty::new(src.below(4))).unwrap();
    }
    for _ in 0..src.below(4) {
        let (s, n, c) = (
            Sku::new(src.below(3) as u32),
            NodeId::new(src.below(4) as u32),
            ChannelId::new(src.below(2) as u32),
        );
        p.set_pool(s, n, c, Qty::new(src.below(6)), src.chance(50)).unwrap();
    }
    for _ in 0..src.below(3) {
        p.set_channel_eligible(ChannelId::new(src.below(2) as u32), NodeId::new(src.below(4) as u32), false)
            .unwrap();
    }
    for _ in 0..src.below(3) {
        p.set_method_eligible(METHODS[src.below(5) as usize], NodeId::new(src.below(4) as u32), false)
            .unwrap();
    }
    let mut p = p.backorder_cap(Qty::new(if src.chance(50) { 0 } else { src.below(6) }));
    if src.chance(40) {
        p = p.preorder_cap(Some(Qty::new(src.below(8))));
    }
    if src.chance(60) {
        p = p.inbound(InboundPolicy::within(src.below(4) as i64, src.below(2) as i64).unwrap());
    }
    p
}

/// One random ledger step: the reference generator's commands, plus dated
/// inbound receipts, and time that sometimes moves on by days.
pub fn step(
    src: &mut dyn Source,
    l: &mut Ledger,
    now: &mut Timestamp,
    sent: &mut Vec<Command>,
    next_id: &mut u128,
) -> Option<Event> {
    let jump = if src.chance(5) { src.below(3) as i64 * Timestamp::MS_PER_DAY } else { src.below(3) as i64 };
    *now = now.checked_add_ms(jump).unwrap();
    let c = if src.chance(10) {
        *next_id += 1;
        let eta = now.checked_add_days(src.below(5) as i64).unwrap();
        Command::new(
            EntryId::new(*next_id).unwrap(),
            CommandKind::ExpectInbound {
                node: NodeId::new(src.below(3) as u32),
                sku: Sku::new(src.below(2) as u32),
                qty: Qty::new(1 + src.below(9)),
                eta,
            },
        )
    } else {
        command(src, *now, sent)
    };
    sent.push(c.clone());
    match l.apply(&c, *now) {
        Ok(Outcome::Applied(e)) => Some(e),
        Ok(_) => None,
        Err(r) => r.record.map(|b| *b),
    }
}

pub fn registered(now: Timestamp) -> (Ledger, Event) {
    let mut l = Ledger::new();
    let reg = Command::new(EntryId::new(1 << 100).unwrap(), CommandKind::Register { nodes: 3, skus: 2 });
    let e = l.apply(&reg, now).unwrap().into_event();
    (l, e)
}

#[test]
fn views_equal_a_from_scratch_computation_after_random_command_streams() {
    for case in 0..common::cases(40) {
        let mut src = SplitMix(0xA7F0 + u64::from(case));
        let policy = random_policy(&mut src);
        let mut now = Timestamp::from_unix_ms(5 * Timestamp::MS_PER_DAY);
        let (mut l, reg) = registered(now);
        let mut views = AtpViews::new(policy.clone(), &Ledger::new()).unwrap();
        let mut feed = Vec::new();
        views.apply(&l, &reg, &mut feed).unwrap();
        // The feed, folded, must reproduce every network figure.
        let mut published: BTreeMap<(Sku, ChannelId, FulfilmentMethod), Qty> = BTreeMap::new();
        let mut sent = Vec::new();
        let mut next_id = 1 << 90;
        for i in 0..120 {
            let Some(e) = step(&mut src, &mut l, &mut now, &mut sent, &mut next_id) else { continue };
            let start = feed.len();
            views.apply(&l, &e, &mut feed).unwrap();
            for c in &feed[start..] {
                assert_ne!(c.old, c.new, "case {case} step {i}: a no-op change was published");
                let prev = published.insert((c.sku, c.channel, c.method), c.new).unwrap_or(Qty::ZERO);
                assert_eq!(
                    prev, c.old,
                    "case {case} step {i}: feed old value differs from the last published"
                );
            }
            assert_eq!(views.verify(&l).unwrap(), None, "case {case} step {i} after {e:?}");
            // Rebuilding from scratch gives the same figures.
            let fresh = AtpViews::new(policy.clone(), &l).unwrap();
            let today = day(views.today());
            for s in 0..l.sku_count() {
                for c in 0..2 {
                    for m in METHODS {
                        let (sku, ch) = (Sku::new(s), ChannelId::new(c));
                        let v = views.network(sku, ch, m).ok();
                        if fresh.today() == views.today() {
                            assert_eq!(v, fresh.network(sku, ch, m).ok());
                            // The time-phased supply kept incrementally
                            // equals the one built from scratch.
                            let demand = [Demand { due: now, qty: Qty::new(1) }];
                            assert_eq!(
                                views.schedule(&l, sku, ch, m, &demand, now),
                                fresh.schedule(&l, sku, ch, m, &demand, now),
                                "case {case} step {i}: schedule of {sku:?} {ch:?} {m:?}"
                            );
                        }
                        assert_eq!(v, available_to_promise(&policy, &l, sku, ch, m, today).ok());
                        if let Some(v) = v {
                            let p = published.get(&(sku, ch, m)).copied().unwrap_or(Qty::ZERO);
                            assert_eq!(p, v, "case {case} step {i}: feed and views disagree");
                        }
                        // The breakdown sums to the total.
                        if let (Ok(b), Some(v)) = (views.breakdown(sku, ch, m), v) {
                            let sum: u128 = b.nodes.iter().map(|(_, q)| u128::from(q.get())).sum();
                            assert_eq!(sum, u128::from(v.get()));
                        }
                    }
                }
            }
        }
    }
}

/// What a node can really deliver under the policy: on-hand, the capped
/// backorder allowance and counted inbound, less every claim; 0 when ineligible.
fn deliverable(
    policy: &AtpPolicy,
    l: &Ledger,
    node: NodeId,
    sku: Sku,
    ch: ChannelId,
    m: FulfilmentMethod,
    today: i64,
) -> u128 {
    if !policy.is_eligible(node, ch, m) {
        return 0;
    }
    let p = l.position(node, sku).unwrap();
    let bo = p.backorder_allowance.min(policy.get_backorder_cap());
    let claims = u128::from(p.reserved.get()) + u128::from(p.allocated.get());
    let inbound: u128 = match policy.get_inbound() {
        InboundPolicy::Within { horizon_days, lead_time_days } => l
            .inbound(node, sku)
            .filter(|(_, r)| r.eta.day_index() + lead_time_days <= today + horizon_days)
            .map(|(_, r)| u128::from(r.remaining.get()))
            .sum::<u128>()
            .min(u128::from(policy.get_preorder_cap().unwrap_or(Qty::MAX).get())),
        _ => 0,
    };
    (u128::from(p.on_hand.get()) + u128::from(bo.get()) + inbound).saturating_sub(claims)
}

#[test]
fn atp_never_exceeds_what_the_ledger_can_deliver_and_moves_the_right_way() {
    for case in 0..common::cases(40) {
        let mut src = SplitMix(0xBEEF + u64::from(case));
        let policy = random_policy(&mut src);
        let mut now = Timestamp::from_unix_ms(5 * Timestamp::MS_PER_DAY);
        let (mut l, reg) = registered(now);
        let mut views = AtpViews::new(policy.clone(), &l).unwrap();
        views.apply(&l, &reg, &mut Vec::new()).unwrap();
        let mut sent = Vec::new();
        let mut next_id = 1 << 90;
        for _ in 0..100 {
            let before = views.clone();
            let Some(e) = step(&mut src, &mut l, &mut now, &mut sent, &mut next_id) else { continue };
            views.apply(&l, &e, &mut Vec::new()).unwrap();
            let same_day = before.today() == views.today();
            for s in 0..l.sku_count() {
                for c in 0..2 {
                    for m in METHODS {
                        let (sku, ch) = (Sku::new(s), ChannelId::new(c));
                        let mut total = 0u128;
                        for n in 0..l.node_count() {
                            let node = NodeId::new(n);
                            let a = match views.node(sku, node, ch, m) {
                                Ok(a) => a,
                                Err(e) => {
                                    assert_eq!(e, AtpError::Overflow { what: "node total" });
                                    continue;
                                }
                            };
                            let d = deliverable(&policy, &l, node, sku, ch, m, views.today());
                            assert!(
                                u128::from(a.get()) <= d,
                                "case {case}: node ATP {a} exceeds deliverable {d}"
                            );
                            if policy.get_backorder_cap().is_zero()
                                && matches!(policy.get_inbound(), InboundPolicy::Ignore)
                            {
                                let p = l.position(node, sku).unwrap();
                                assert!(
                                    a <= p.on_hand.saturating_sub(p.reserved).saturating_sub(p.allocated)
                                );
                            }
                            total += d;
                        }
                        let Ok(v) = views.network(sku, ch, m) else { continue };
                        assert!(u128::from(v.get()) <= total);
                        if !same_day {
                            continue;
                        }
                        let Ok(old) = before.network(sku, ch, m) else { continue };
                        match &e.kind {
                            omniroute::EventKind::Received { .. } => {
                                assert!(v >= old, "case {case}: a receipt lowered ATP {old} -> {v}");
                            }
                            omniroute::EventKind::Reserved { .. } => {
                                assert!(v <= old, "case {case}: a reservation raised ATP {old} -> {v}");
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

fn stocked(nodes: u32, qty: u64) -> (Ledger, Timestamp) {
    let now = day(100);
    let mut l = Ledger::new();
    let mut id = 1u128;
    let mut apply = |l: &mut Ledger, kind| {
        id += 1;
        l.apply(&Command::new(EntryId::new(id).unwrap(), kind), now).unwrap();
    };
    apply(&mut l, CommandKind::Register { nodes, skus: 2 });
    for n in 0..nodes {
        apply(
            &mut l,
            CommandKind::Receive {
                node: NodeId::new(n),
                sku: Sku::new(0),
                qty: Qty::new(qty),
                inbound: None,
            },
        );
    }
    (l, now)
}

#[test]
fn safety_stock_most_specific_rule_wins_and_percent_rounds_up() {
    let (l, now) = stocked(2, 15);
    let mut p = AtpPolicy::new(2).unwrap();
    p.set_safety_stock(Scope::global(), Buffer::units(1).unwrap()).unwrap();
    p.set_safety_stock(Scope::global().sku(Sku::new(0)), Buffer::units(2).unwrap()).unwrap();
    p.set_safety_stock(Scope::global().node(NodeId::new(1)), Buffer::units(3).unwrap()).unwrap();
    p.set_safety_stock(
        Scope::global().sku(Sku::new(0)).node(NodeId::new(1)),
        Buffer::percent_bp(1_000).unwrap(),
    )
    .unwrap();
    p.set_safety_stock(Scope::global().channel(ChannelId::new(1)), Buffer::units(5).unwrap()).unwrap();
    let v = AtpViews::new(p, &l).unwrap();
    let ship = FulfilmentMethod::Ship;
    // node 0: SKU rule (2) beats global; node 1: SKU×node 10 % of 15 = 1.5 → 2.
    assert_eq!(v.node(Sku::new(0), NodeId::new(0), ChannelId::new(0), ship).unwrap(), Qty::new(13));
    assert_eq!(v.node(Sku::new(0), NodeId::new(1), ChannelId::new(0), ship).unwrap(), Qty::new(13));
    // channel 1 at node 0: SKU rule (1 field, SKU first) beats the channel rule (1 field).
    assert_eq!(v.node(Sku::new(0), NodeId::new(0), ChannelId::new(1), ship).unwrap(), Qty::new(13));
    let e = v.explain(Sku::new(0), NodeId::new(1), ChannelId::new(0), ship).unwrap();
    assert_eq!((e.on_hand, e.safety_stock, e.result), (Qty::new(15), Qty::new(2), Qty::new(13)));
    assert_eq!(v.network(Sku::new(0), ChannelId::new(0), ship).unwrap(), Qty::new(26));
    let _ = now;
}

#[test]
fn pools_thresholds_and_eligibility() {
    let (l, _) = stocked(2, 10);
    let mut p = AtpPolicy::new(3).unwrap();
    let (s, n0, n1) = (Sku::new(0), NodeId::new(0), NodeId::new(1));
    // Channel 1 has 4 ring-fenced units at node 0 and may not use the rest;
    // channel 2 has a pool larger than the stock and may use shared stock.
    p.set_pool(s, n0, ChannelId::new(1), Qty::new(4), false).unwrap();
    p.set_pool(s, n0, ChannelId::new(2), Qty::new(100), true).unwrap();
    p.set_low_stock_threshold(Some(ChannelId::new(0)), Qty::new(3)).unwrap();
    p.set_method_eligible(FulfilmentMethod::StorePickup, n1, false).unwrap();
    p.set_channel_eligible(ChannelId::new(2), n1, false).unwrap();
    let v = AtpViews::new(p, &l).unwrap();
    let ship = FulfilmentMethod::Ship;
    // node 0: pools carve 4 (ch 1) then 6 (ch 2); nothing shared is left.
    assert_eq!(v.node(s, n0, ChannelId::new(0), ship).unwrap(), Qty::ZERO);
    assert_eq!(v.node(s, n0, ChannelId::new(1), ship).unwrap(), Qty::new(4));
    assert_eq!(v.node(s, n0, ChannelId::new(2), ship).unwrap(), Qty::new(6));
    let e = v.explain(s, n0, ChannelId::new(0), ship).unwrap();
    assert_eq!((e.held_for_others, e.shared, e.hidden_by_threshold), (Qty::new(10), Qty::ZERO, true));
    // node 1: no pools; channel 2 is not eligible there.
    assert_eq!(v.node(s, n1, ChannelId::new(0), ship).unwrap(), Qty::new(10));
    // A pool fences one node: elsewhere channel 1 shares the stock.
    assert_eq!(v.node(s, n1, ChannelId::new(1), ship).unwrap(), Qty::new(10));
    assert_eq!(v.network(s, ChannelId::new(1), ship).unwrap(), Qty::new(14));
    assert_eq!(v.node(s, n1, ChannelId::new(2), ship).unwrap(), Qty::ZERO);
    assert_eq!(v.pickup(s, n1, ChannelId::new(0)).unwrap(), Qty::ZERO);
    assert_eq!(v.pickup(s, n0, ChannelId::new(2)).unwrap(), Qty::new(6));
    assert_eq!(v.network(s, ChannelId::new(0), ship).unwrap(), Qty::new(10));
    assert_eq!(
        v.network_many(&[s, Sku::new(1)], ChannelId::new(2), ship).unwrap(),
        vec![Qty::new(6), Qty::ZERO]
    );
    // The routing adapter sees the channel's figures.
    let a = v.for_channel(ChannelId::new(1), ship).unwrap();
    assert_eq!(a.available(n0, s), Qty::new(4));
    assert_eq!(a.available(NodeId::new(9), s), Qty::ZERO);
}

#[test]
fn backorders_count_only_up_to_the_policy_cap() {
    let (mut l, now) = stocked(1, 2);
    let cmd = CommandKind::SetBackorder {
        sku: Sku::new(0),
        node: None,
        policy: BackorderPolicy::UpTo(Qty::new(10)),
    };
    l.apply(&Command::new(EntryId::new(99).unwrap(), cmd), now).unwrap();
    let ch = ChannelId::new(0);
    let none = AtpViews::new(AtpPolicy::new(1).unwrap(), &l).unwrap();
    assert_eq!(none.network(Sku::new(0), ch, FulfilmentMethod::Ship).unwrap(), Qty::new(2));
    let capped = AtpViews::new(AtpPolicy::new(1).unwrap().backorder_cap(Qty::new(3)), &l).unwrap();
    assert_eq!(capped.network(Sku::new(0), ch, FulfilmentMethod::Ship).unwrap(), Qty::new(5));
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let (l, now) = stocked(2, 5);
    let mut p = AtpPolicy::new(2).unwrap();
    let before = p.clone();
    assert_eq!(Buffer::units(-1), Err(AtpError::NegativeBuffer { value: -1 }));
    assert_eq!(Buffer::percent_bp(-5), Err(AtpError::NegativeBuffer { value: -5 }));
    assert!(matches!(InboundPolicy::within(3, -1), Err(AtpError::HorizonOutOfRange { .. })));
    assert_eq!(
        p.set_safety_stock(Scope::global().channel(ChannelId::new(2)), Buffer::units(1).unwrap()),
        Err(AtpError::UnknownChannel { channel: ChannelId::new(2), channels: 2 })
    );
    assert!(matches!(
        p.set_pool(Sku::new(0), NodeId::new(u32::MAX), ChannelId::new(0), Qty::new(1), true),
        Err(AtpError::UnknownNode { .. })
    ));
    assert!(matches!(
        p.set_pool(Sku::new(u32::MAX), NodeId::new(0), ChannelId::new(0), Qty::new(1), true),
        Err(AtpError::UnknownSku { .. })
    ));
    assert_eq!(p, before);
    let v = AtpViews::new(p, &l).unwrap();
    let ship = FulfilmentMethod::Ship;
    assert_eq!(
        v.network(Sku::new(2), ChannelId::new(0), ship),
        Err(AtpError::UnknownSku { sku: Sku::new(2) })
    );
    assert!(matches!(v.network(Sku::new(0), ChannelId::new(7), ship), Err(AtpError::UnknownChannel { .. })));
    assert_eq!(
        v.node(Sku::new(0), NodeId::new(2), ChannelId::new(0), ship),
        Err(AtpError::UnknownNode { node: NodeId::new(2) })
    );
    assert!(v.for_channel(ChannelId::new(2), ship).is_err());
    let yesterday = now.checked_add_days(-1).unwrap();
    assert_eq!(
        v.can_promise_by(&l, Sku::new(0), ChannelId::new(0), ship, Qty::new(1), yesterday, &[], now),
        Err(AtpError::DateBeforeNow { date: yesterday, now })
    );
    assert!(v.verify(&l).unwrap().is_none());
}

#[test]
fn totals_beyond_u64_are_an_overflow_error() {
    let (l, _) = stocked(3, u64::MAX / 2);
    let v = AtpViews::new(AtpPolicy::new(1).unwrap(), &l).unwrap();
    assert_eq!(
        v.network(Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship),
        Err(AtpError::Overflow { what: "network total" })
    );
    assert_eq!(
        v.node(Sku::new(0), NodeId::new(0), ChannelId::new(0), FulfilmentMethod::Ship).unwrap(),
        Qty::new(u64::MAX / 2)
    );
}

#[test]
fn feed_reports_only_what_changed() {
    let (mut l, now) = stocked(2, 5);
    let mut v = AtpViews::new(AtpPolicy::new(2).unwrap(), &l).unwrap();
    let e = l
        .apply(
            &Command::new(
                EntryId::new(500).unwrap(),
                CommandKind::Reserve {
                    node: NodeId::new(0),
                    sku: Sku::new(0),
                    qty: Qty::new(2),
                    expires_at: None,
                },
            ),
            now,
        )
        .unwrap()
        .into_event();
    let mut feed = Vec::new();
    v.apply(&l, &e, &mut feed).unwrap();
    assert_eq!(feed.len(), 2 * 5);
    assert!(feed.iter().all(|c| c.sku == Sku::new(0) && c.old == Qty::new(10) && c.new == Qty::new(8)));
    // Feeding the same event again changes nothing and reports nothing.
    feed.clear();
    v.apply(&l, &e, &mut feed).unwrap();
    assert_eq!(feed, Vec::<AtpChange>::new());
}

#[cfg(feature = "serde")]
#[test]
fn policy_serde_round_trips_and_validates() {
    let mut src = SplitMix(7);
    for _ in 0..common::cases(20) {
        let p = random_policy(&mut src);
        let json = serde_json::to_string(&p).unwrap();
        let back: AtpPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
    let bad = r#"{"channels":1,"safety_stock":[],"thresholds":[[3,1]],"pools":[],"channel_excluded":[],"method_excluded":[],"backorder_cap":0,"preorder_cap":null,"inbound":"Ignore"}"#;
    assert!(serde_json::from_str::<AtpPolicy>(bad).unwrap_err().to_string().contains("unknown channel"));
    assert!(serde_json::from_str::<Buffer>(r#"{"percent_bp":20000}"#).is_err());
    assert!(serde_json::from_str::<Buffer>(r#"{"units":-2}"#).is_err());
}
