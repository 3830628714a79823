//! ATP views and queries under fuzzed policies and ledger command streams.
//!
//! The bytes pick a policy (safety stock at random scopes, thresholds,
//! pools, exclusions, caps, inbound horizon), then drive the ledger's
//! reference command generator (small id and position pools, extreme
//! quantities) with time that sometimes jumps by days. After every event the
//! incremental views must equal a from-scratch computation, and a random
//! query (network, node, breakdown, explain, pickup, promise date,
//! can-promise-by, with ids in and out of range) must answer or return a
//! typed error — and agree with the others. Any difference is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omniroute::atp::{AtpError, AtpPolicy, AtpViews, Buffer, Demand, InboundPolicy, Scope};
use omniroute::ledger::{Ledger, Outcome};
use omniroute::{ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};

#[allow(dead_code)]
#[path = "../../tests/ledger/reference.rs"]
mod reference;

use reference::Source;

const METHODS: [FulfilmentMethod; 5] = [
    FulfilmentMethod::Ship,
    FulfilmentMethod::StorePickup,
    FulfilmentMethod::SameDay,
    FulfilmentMethod::ShipFromStore,
    FulfilmentMethod::DropShip,
];

fn policy(src: &mut dyn Source) -> AtpPolicy {
    let mut p = AtpPolicy::new(1 + src.below(3) as u32).unwrap_or_default();
    for _ in 0..src.below(6) {
        let mut scope = Scope::global();
        if src.chance(50) {
            scope = scope.sku(Sku::new(src.below(4) as u32));
        }
        if src.chance(50) {
            scope = scope.node(NodeId::new(src.below(5) as u32));
        }
        if src.chance(40) {
            scope = scope.channel(ChannelId::new(src.below(4) as u32));
        }
        if src.chance(30) {
            scope = scope.method(METHODS[src.below(5) as usize]);
        }
        let raw = src.below(20_000) as i64 - 2_000;
        let buffer = if src.chance(50) { Buffer::units(raw) } else { Buffer::percent_bp(raw) };
        if let Ok(b) = buffer {
            let _ = p.set_safety_stock(scope, b);
        }
    }
    if src.chance(50) {
        let c = if src.chance(50) { Some(ChannelId::new(src.below(4) as u32)) } else { None };
        let _ = p.set_low_stock_threshold(c, Qty::new(src.below(5)));
    }
    for _ in 0..src.below(4) {
        let q = if src.chance(10) { Qty::MAX } else { Qty::new(src.below(8)) };
        let _ = p.set_pool(
            Sku::new(src.below(4) as u32),
            NodeId::new(src.below(5) as u32),
            ChannelId::new(src.below(4) as u32),
            q,
            src.chance(50),
        );
    }
    for _ in 0..src.below(3) {
        let _ = p.set_channel_eligible(
            ChannelId::new(src.below(4) as u32),
            NodeId::new(src.below(5) as u32),
            false,
        );
        let _ =
            p.set_method_eligible(METHODS[src.below(5) as usize], NodeId::new(src.below(5) as u32), false);
    }
    let p = p.backorder_cap(Qty::new(if src.chance(20) { u64::MAX } else { src.below(6) }));
    let p = if src.chance(40) { p.preorder_cap(Some(Qty::new(src.below(9)))) } else { p };
    match InboundPolicy::within(src.below(8) as i64 - 1, src.below(3) as i64) {
        Ok(i) if src.chance(70) => p.inbound(i),
        _ => p,
    }
}

fn run(data: &[u8]) -> Result<(), String> {
    let steps = data.first().map_or(1, |b| 1 + usize::from(*b) % 80);
    let mut src = reference::Bytes(data.get(1..).unwrap_or_default());
    let policy = policy(&mut src);
    let channels = policy.channels();
    let mut now = Timestamp::from_unix_ms(10 * Timestamp::MS_PER_DAY);
    let mut l = Ledger::new();
    let mut views = AtpViews::new(policy.clone(), &l).map_err(|e| e.to_string())?;
    let mut feed = Vec::new();
    let mut sent = Vec::new();
    let reg = Command::new(EntryId::new(1 << 100).unwrap(), CommandKind::Register { nodes: 3, skus: 2 });
    let e = l.apply(&reg, now).map_err(|e| e.to_string())?.into_event();
    views.apply(&l, &e, &mut feed).map_err(|e| e.to_string())?;
    for i in 0..steps {
        let jump =
            if src.chance(5) { src.below(3) as i64 * Timestamp::MS_PER_DAY } else { src.below(3) as i64 };
        now = now.checked_add_ms(jump).map_err(|e| e.to_string())?;
        let c = if src.chance(10) {
            let eta = now.checked_add_days(src.below(6) as i64 - 1).map_err(|e| e.to_string())?;
            Command::new(
                EntryId::new((1 << 90) + i as u128).unwrap(),
                CommandKind::ExpectInbound {
                    node: NodeId::new(src.below(3) as u32),
                    sku: Sku::new(src.below(2) as u32),
                    qty: Qty::new(1 + src.below(9)),
                    eta,
                },
            )
        } else {
            reference::command(&mut src, now, &sent)
        };
        sent.push(c.clone());
        let event = match l.apply(&c, now) {
            Ok(Outcome::Applied(e)) => Some(e),
            Ok(_) => None,
            Err(r) => r.record.map(|b| *b),
        };
        if let Some(e) = event {
            views.apply(&l, &e, &mut feed).map_err(|e| format!("apply: {e}"))?;
        }
        if let Some(diff) = views.verify(&l).map_err(|e| e.to_string())? {
            return Err(format!("step {i}: views differ from scratch at {diff:?}"));
        }
        // A random query, ids sometimes out of range.
        let sku = Sku::new(src.below(3) as u32);
        let ch = ChannelId::new(src.below(u64::from(channels) + 1) as u32);
        let node = NodeId::new(src.below(4) as u32);
        let m = METHODS[src.below(5) as usize];
        let net = views.network(sku, ch, m);
        if let Ok(b) = views.breakdown(sku, ch, m) {
            let sum: u128 = b.nodes.iter().map(|(_, q)| u128::from(q.get())).sum();
            if Ok(b.total) != net || sum != u128::from(b.total.get()) {
                return Err(format!("breakdown {b:?} vs network {net:?}"));
            }
        }
        if let Ok(e) = views.explain(sku, node, ch, m) {
            if Ok(e.result) != views.node(sku, node, ch, m) {
                return Err("explain and node differ".into());
            }
        }
        let _ = views.pickup(sku, node, ch);
        let demand: Vec<Demand> = (0..src.below(5))
            .map(|_| Demand {
                due: now.checked_add_days(src.below(10) as i64 - 2).unwrap_or(now),
                qty: Qty::new(src.below(7)),
            })
            .collect();
        let q = Qty::new(src.below(30));
        let by = now.checked_add_days(src.below(10) as i64 - 1).unwrap_or(now);
        let earliest = views.earliest_promise_date(&l, sku, ch, m, q, &demand, now);
        let can = views.can_promise_by(&l, sku, ch, m, q, by, &demand, now);
        match (&earliest, &can) {
            (Ok(w), Ok(c)) => {
                if *c != w.is_some_and(|w| w.day_index() <= by.day_index()) {
                    return Err(format!("earliest {w:?} vs can_promise_by {c}"));
                }
            }
            (_, Err(AtpError::DateBeforeNow { .. })) if by < now => {}
            (Err(a), Err(b)) if a == b => {}
            other => return Err(format!("promise queries disagree: {other:?}")),
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = run(data) {
        panic!("atp: {e}");
    }
});
