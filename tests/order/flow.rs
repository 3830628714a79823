//! Random order-operation sequences against a ledger, with every accounting
//! identity checked after every step. Shared by the model-based test and the
//! `order_flow` fuzz target (which includes this file by path), so it uses
//! nothing but the crate and `serde_json`, and reports failures as `Err`.

use std::collections::BTreeMap;

use omniroute::ledger::Ledger;
use omniroute::order::{
    Applied, BatchOptions, Destination, Fairness, LineSpec, Modification, Network, OpId, OrderBook,
    OrderError, OrderEventKind, OrderPolicy, OrderSpec, ReevaluateOptions, UnfilledPolicy,
};
use omniroute::{
    ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, LineId, Money, Node, NodeId, NodeKind,
    OrderId, Qty, Sku, Timestamp,
};
use omniroute::{Direction, EventKind};

/// A source of choices.
pub trait Src {
    fn next(&mut self) -> u64;
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// A seeded generator.
pub struct SplitMix(pub u64);

impl Src for SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Fuzzer bytes, one per choice; zeros when exhausted.
#[allow(dead_code)]
pub struct Bytes<'a>(pub &'a [u8]);

impl Src for Bytes<'_> {
    fn next(&mut self) -> u64 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                u64::from(*b)
            }
            None => 0,
        }
    }
}

pub const NODES: u32 = 6;
pub const SKUS: u32 = 3;
const DAY: i64 = 1_000;

pub fn network() -> Network {
    let m = Money::from_int;
    Network::new(vec![
        Node::new(NodeId::new(0), NodeKind::Warehouse)
            .with_shipment_cost(m(5))
            .with_unit_cost(m(1))
            .with_transit_days(2),
        Node::new(NodeId::new(1), NodeKind::Warehouse)
            .with_shipment_cost(m(4))
            .with_unit_cost(m(1))
            .with_transit_days(4),
        Node::new(NodeId::new(2), NodeKind::Store).with_shipment_cost(m(3)).with_transit_days(1),
        Node::new(NodeId::new(3), NodeKind::DarkStore).with_shipment_cost(m(2)).with_transit_days(0),
        Node::new(NodeId::new(4), NodeKind::Vendor).with_shipment_cost(m(6)).with_transit_days(5),
        Node::new(NodeId::new(5), NodeKind::Store).with_shipment_cost(m(3)).with_transit_days(1),
    ])
    .map(|n| n.exclude(ChannelId::new(1), NodeId::new(5)))
    .unwrap_or_default()
}

fn ts(t: i64) -> Timestamp {
    Timestamp::from_unix_ms(t)
}

/// The world: ledger, book, host-side holds, and the expected balances.
pub struct World {
    pub ledger: Ledger,
    pub book: OrderBook,
    pub replayed: OrderBook,
    pub now: i64,
    pub op: u64,
    pub host_entry: u128,
    pub host_holds: Vec<EntryId>,
    pub initial: BTreeMap<(NodeId, Sku), u64>,
    /// Units written off on-hand by short picks after release.
    pub written_off: BTreeMap<(NodeId, Sku), u64>,
    pub snapshot: BTreeMap<(NodeId, Sku), Qty>,
}

fn host_cmd(w: &mut World, kind: CommandKind) -> Result<omniroute::ledger::Outcome, String> {
    w.host_entry += 1;
    let e = EntryId::new(w.host_entry).map_err(|e| e.to_string())?;
    w.ledger.apply(&Command::new(e, kind), ts(w.now)).map_err(|e| e.to_string())
}

pub fn world(src: &mut dyn Src) -> Result<World, String> {
    let policy = OrderPolicy::new()
        .risk_max_line_qty(Some(Qty::new(6)))
        .max_attempts(3)
        .unfilled(if src.below(2) == 0 { UnfilledPolicy::Reject } else { UnfilledPolicy::KeepOpen });
    let book = OrderBook::new(network(), policy);
    let mut w = World {
        ledger: Ledger::new(),
        replayed: book.clone(),
        book,
        now: 0,
        op: 0,
        host_entry: 0,
        host_holds: Vec::new(),
        initial: BTreeMap::new(),
        written_off: BTreeMap::new(),
        snapshot: BTreeMap::new(),
    };
    host_cmd(&mut w, CommandKind::Register { nodes: NODES, skus: SKUS })?;
    for n in 0..NODES {
        for s in 0..SKUS {
            let q = src.below(9);
            if q > 0 {
                let (node, sku) = (NodeId::new(n), Sku::new(s));
                host_cmd(&mut w, CommandKind::Receive { node, sku, qty: Qty::new(q), inbound: None })?;
                w.initial.insert((node, sku), q);
            }
        }
    }
    refresh(&mut w);
    Ok(w)
}

fn refresh(w: &mut World) {
    w.snapshot.clear();
    for n in 0..NODES {
        for s in 0..SKUS {
            let (node, sku) = (NodeId::new(n), Sku::new(s));
            if let Ok(p) = w.ledger.position(node, sku) {
                w.snapshot.insert((node, sku), p.available());
            }
        }
    }
}

fn spec(src: &mut dyn Src, now: i64) -> OrderSpec {
    let id = OrderId::new(1 + src.below(8));
    let method = match src.below(6) {
        0 => FulfilmentMethod::StorePickup,
        1 => FulfilmentMethod::SameDay,
        2 => FulfilmentMethod::ShipFromStore,
        3 => FulfilmentMethod::DropShip,
        _ => FulfilmentMethod::Ship,
    };
    let destination = match method {
        FulfilmentMethod::StorePickup => {
            Destination::Pickup(NodeId::new([2, 3, 5, 0, 6][src.below(5) as usize]))
        }
        _ if src.below(10) == 0 => Destination::Pickup(NodeId::new(2)),
        _ => Destination::Unknown,
    };
    let mut s = OrderSpec::new(id, ChannelId::new(src.below(2) as u32))
        .method(method)
        .destination(destination)
        .priority(src.below(3) as i32)
        .promise_date(Some(ts(now + src.below(5) as i64 * DAY)))
        .deliver_within_days(if src.below(3) == 0 { Some(src.below(5) as u32) } else { None });
    if src.below(3) == 0 {
        s = s.hold_until(Some(ts(now + 1 + src.below(4) as i64 * DAY)));
    }
    for l in 0..1 + src.below(3) {
        let line = LineId::new(if src.below(12) == 0 { 0 } else { l as u32 });
        s = s.line(LineSpec::new(line, Sku::new(src.below(u64::from(SKUS)) as u32), Qty::new(src.below(8))));
    }
    s
}

/// Every identity that must hold between the book and the ledger.
pub fn check(w: &World) -> Result<(), String> {
    w.book.check_invariants().map_err(|e| format!("book invariants: {e}"))?;
    w.ledger.check_invariants().map_err(|e| format!("ledger invariants: {e}"))?;
    w.book.check_against(&w.ledger).map_err(|e| format!("book vs ledger: {e}"))?;
    let mut reserved: BTreeMap<(NodeId, Sku), u64> = BTreeMap::new();
    let mut allocated: BTreeMap<(NodeId, Sku), u64> = BTreeMap::new();
    let mut shipped: BTreeMap<(NodeId, Sku), u64> = BTreeMap::new();
    for o in w.book.orders() {
        for l in &o.lines {
            // A lapsed checkout hold the host's own ExpireDue took is not
            // reserved any more (check_against accepts it until expire_holds runs).
            for h in l.holds.iter().filter(|h| w.ledger.reservation(h.reservation).is_some()) {
                *reserved.entry((h.node, l.sku)).or_default() += h.qty.get();
            }
            for f in &l.fills {
                *allocated.entry((f.node, l.sku)).or_default() += f.allocated.get();
                *shipped.entry((f.node, l.sku)).or_default() += f.shipped.get();
            }
        }
    }
    for id in &w.host_holds {
        if let Some(h) = w.ledger.reservation(*id) {
            *reserved.entry((h.node, h.sku)).or_default() += h.qty.get();
        }
    }
    for n in 0..NODES {
        for s in 0..SKUS {
            let k = (NodeId::new(n), Sku::new(s));
            let p = w.ledger.position(k.0, k.1).map_err(|e| e.to_string())?;
            let get = |m: &BTreeMap<(NodeId, Sku), u64>| m.get(&k).copied().unwrap_or(0);
            if p.reserved.get() != get(&reserved) {
                return Err(format!(
                    "{k:?}: ledger reserved {} but book + host hold {}",
                    p.reserved,
                    get(&reserved)
                ));
            }
            if p.allocated.get() != get(&allocated) {
                return Err(format!("{k:?}: ledger allocated {} but book {}", p.allocated, get(&allocated)));
            }
            let expect = get(&w.initial)
                .checked_sub(get(&shipped))
                .and_then(|v| v.checked_sub(get(&w.written_off)))
                .ok_or("shipped and written off more than received")?;
            if p.on_hand.get() != expect {
                return Err(format!("{k:?}: on hand {} but expected {expect}", p.on_hand));
            }
        }
    }
    // Operations that touched no order emit no event and do not use up their
    // op id, so replaying the events rebuilds the whole book, last op included.
    if w.replayed != w.book {
        return Err("replaying the order events does not rebuild the book".into());
    }
    Ok(())
}

fn pick_order(src: &mut dyn Src, w: &World) -> OrderId {
    let ids: Vec<OrderId> = w.book.orders().map(|o| o.id).collect();
    if ids.is_empty() || src.below(8) == 0 {
        OrderId::new(1 + src.below(9))
    } else {
        ids[src.below(ids.len() as u64) as usize]
    }
}

/// Mostly an order with allocated units (else `fallback`), so the
/// operations on released units are reached.
fn pick_released(src: &mut dyn Src, w: &World, fallback: OrderId) -> OrderId {
    let ids: Vec<OrderId> =
        w.book.orders().filter(|o| o.lines.iter().any(|l| !l.allocated().is_zero())).map(|o| o.id).collect();
    if ids.is_empty() || src.below(4) == 0 { fallback } else { ids[src.below(ids.len() as u64) as usize] }
}

fn pick_line(src: &mut dyn Src, w: &World, order: OrderId) -> LineId {
    match w.book.order(order) {
        Ok(o) if !o.lines.is_empty() && src.below(8) != 0 => {
            o.lines[src.below(o.lines.len() as u64) as usize].id
        }
        _ => LineId::new(src.below(4) as u32),
    }
}

/// A node the order uses (held or allocated), or any node.
fn pick_node(src: &mut dyn Src, w: &World, order: OrderId, allocated: bool) -> NodeId {
    let mut nodes = Vec::new();
    if let Ok(o) = w.book.order(order) {
        for l in &o.lines {
            if allocated {
                nodes.extend(l.fills.iter().filter(|f| !f.allocated.is_zero()).map(|f| f.node));
            } else {
                nodes.extend(l.holds.iter().map(|h| h.node));
            }
        }
    }
    if nodes.is_empty() || src.below(6) == 0 {
        NodeId::new(src.below(u64::from(NODES) + 1) as u32)
    } else {
        nodes[src.below(nodes.len() as u64) as usize]
    }
}

/// One random step; returns the label of what happened.
pub fn step(src: &mut dyn Src, w: &mut World) -> Result<String, String> {
    w.now += src.below(3) as i64 * (DAY / 2);
    let now = ts(w.now);
    // A stale view now and then, so reservations meet less stock than promised.
    if src.below(2) != 0 {
        refresh(w);
    }
    let choice = src.below(24);
    let choice = if choice == 20 { 10 } else { choice };
    // Host-side changes to availability: not order operations.
    if choice == 18 || choice == 19 {
        let (node, sku) =
            (NodeId::new(src.below(u64::from(NODES)) as u32), Sku::new(src.below(u64::from(SKUS)) as u32));
        if choice == 18 {
            let avail = w.ledger.position(node, sku).map_err(|e| e.to_string())?.available().get();
            if avail > 0 {
                let q = 1 + src.below(avail);
                host_cmd(w, CommandKind::Reserve { node, sku, qty: Qty::new(q), expires_at: None })?;
                w.host_holds.push(EntryId::new(w.host_entry).map_err(|e| e.to_string())?);
            }
            return Ok("host:reserve".into());
        }
        if let Some(id) = w.host_holds.pop() {
            host_cmd(w, CommandKind::Release { reservation: id })?;
        }
        return Ok("host:release".into());
    }
    // Sometimes the host's own ExpireDue runs before the book expires holds.
    if choice == 15 && src.below(2) == 0 {
        let _ = host_cmd(w, CommandKind::ExpireDue);
    }
    w.op += if src.below(30) == 0 { 0 } else { 1 };
    let op = OpId::new(w.op);
    let book_before = w.book.clone();
    let ledger_before = serde_json::to_string(&w.ledger).map_err(|e| e.to_string())?;
    let view = w.snapshot.clone();
    let order = pick_order(src, w);
    let held_before: BTreeMap<(NodeId, Sku), u64> = match w.book.order(order) {
        Ok(o) => {
            let mut m = BTreeMap::new();
            for l in &o.lines {
                // Holds the ledger's own ExpireDue took are not there to release.
                for h in l.holds.iter().filter(|h| w.ledger.reservation(h.reservation).is_some()) {
                    *m.entry((h.node, l.sku)).or_default() += h.qty.get();
                }
            }
            m
        }
        Err(_) => BTreeMap::new(),
    };
    let qty = Qty::new(src.below(5));
    let (label, r): (&str, Result<Applied, OrderError>) = match choice {
        0..=2 => {
            let s = spec(src, w.now);
            ("place", w.book.place(&mut w.ledger, &view, op, now, s))
        }
        3 => ("approve", w.book.approve(&mut w.ledger, &view, op, now, order)),
        4 => ("confirm", w.book.confirm(&mut w.ledger, op, now, order)),
        5 | 6 => {
            let node = if src.below(2) == 0 { None } else { Some(pick_node(src, w, order, false)) };
            ("release", w.book.release(&mut w.ledger, op, now, order, node))
        }
        7 => {
            let (node, line) = (pick_node(src, w, order, false), pick_line(src, w, order));
            ("short_pick", w.book.short_pick(&mut w.ledger, &view, op, now, order, node, line, qty))
        }
        8 => {
            let node = pick_node(src, w, order, false);
            ("reject", w.book.reject(&mut w.ledger, &view, op, now, order, node))
        }
        9 => {
            let node = pick_node(src, w, order, false);
            ("outage", w.book.node_outage(&mut w.ledger, &view, op, now, node))
        }
        10 | 11 => {
            let (node, line) = (pick_node(src, w, order, true), pick_line(src, w, order));
            let qty = if src.below(4) == 0 { qty } else { Qty::new(1) };
            if src.below(3) == 0 {
                ("pick_up", w.book.pick_up(&mut w.ledger, op, now, order, line, qty))
            } else {
                ("ship", w.book.ship(&mut w.ledger, op, now, order, node, line, qty))
            }
        }
        12 => ("cancel", w.book.cancel(&mut w.ledger, op, now, order)),
        13 => {
            let line = pick_line(src, w, order);
            ("cancel_line", w.book.cancel_line(&mut w.ledger, op, now, order, line, qty))
        }
        14 => {
            let line = pick_line(src, w, order);
            let change = match src.below(4) {
                0 => Modification::Quantity { line, qty },
                1 => Modification::Destination(if src.below(2) == 0 {
                    Destination::Unknown
                } else {
                    Destination::Pickup(NodeId::new(src.below(u64::from(NODES)) as u32))
                }),
                2 => Modification::AddLine(LineSpec::new(
                    LineId::new(src.below(5) as u32),
                    Sku::new(src.below(u64::from(SKUS)) as u32),
                    qty,
                )),
                _ => Modification::RemoveLine(line),
            };
            ("modify", w.book.modify(&mut w.ledger, &view, op, now, order, change))
        }
        15 => ("expire", w.book.expire_holds(&mut w.ledger, op, now)),
        16 => {
            let line = pick_line(src, w, order);
            let qty = if src.below(4) == 0 { qty } else { Qty::new(1) };
            if src.below(2) == 0 {
                ("return", w.book.record_return(&mut w.ledger, op, now, order, line, qty))
            } else {
                let r = w.book.reevaluate(&mut w.ledger, &view, op, now, ReevaluateOptions::new());
                if let Ok((_, rep)) = &r {
                    if rep.shipments_after > rep.shipments_before {
                        return Err(format!("re-evaluation raised shipments: {rep:?}"));
                    }
                }
                ("reevaluate", r.map(|(a, _)| a))
            }
        }
        21 => {
            let order = pick_released(src, w, order);
            let (node, line) = (pick_node(src, w, order, true), pick_line(src, w, order));
            let qty = if src.below(4) == 0 { qty } else { Qty::new(1) };
            ("cancel_allocated", w.book.cancel_allocated(&mut w.ledger, op, now, order, node, line, qty))
        }
        22 => {
            let order = pick_released(src, w, order);
            let (node, line) = (pick_node(src, w, order, true), pick_line(src, w, order));
            let qty = if src.below(4) == 0 { qty } else { Qty::new(1) };
            let write_off = src.below(2) == 0;
            let r =
                w.book.short_pick_released(&mut w.ledger, &view, op, now, order, node, line, qty, write_off);
            (if write_off { "short_pick_released_lost" } else { "short_pick_released" }, r)
        }
        23 => {
            let order = pick_released(src, w, order);
            let node = pick_node(src, w, order, true);
            ("reject_released", w.book.reject_released(&mut w.ledger, &view, op, now, order, node))
        }
        _ => {
            let specs = (0..1 + src.below(4)).map(|_| spec(src, w.now)).collect();
            let fairness = match src.below(3) {
                0 => Fairness::FirstCome,
                1 => Fairness::ProRata,
                _ => Fairness::RoundRobin,
            };
            let o = BatchOptions::new().fairness(fairness);
            ("batch", w.book.allocate_batch(&mut w.ledger, &view, op, now, specs, o))
        }
    };
    match r {
        Ok(applied) => {
            w.replayed.apply_events(&applied.events).map_err(|e| format!("{label}: replay: {e}"))?;
            let mut dealloc = 0;
            for e in &applied.ledger_events {
                match &e.kind {
                    EventKind::Adjusted { node, sku, direction: Direction::Decrease, qty, .. } => {
                        *w.written_off.entry((*node, *sku)).or_default() += qty.get();
                    }
                    EventKind::Deallocated { qty, .. } => dealloc += qty.get(),
                    _ => {}
                }
            }
            // Only the operations on released units deallocate, and they always do.
            let releases = matches!(
                label,
                "cancel_allocated" | "short_pick_released" | "short_pick_released_lost" | "reject_released"
            );
            if releases != (dealloc > 0) && label != "reject_released" {
                return Err(format!("{label} deallocated {dealloc} units"));
            }
            // A rejection of a node holding only reservations deallocates nothing;
            // count it apart so the assertion on `ok:reject_released` means a deallocation.
            let label = if label == "reject_released" && dealloc == 0 {
                "reject_released_unallocated"
            } else {
                label
            };
            if label == "cancel_allocated" && dealloc != qty_asked(&applied) {
                return Err(format!("cancel_allocated deallocated {dealloc} units"));
            }
            if label == "cancel" {
                // A cancel releases exactly what the order held.
                for ((node, sku), q) in &held_before {
                    let before = ledger_reserved(&ledger_before, *node, *sku)?;
                    let after = w.ledger.position(*node, *sku).map_err(|e| e.to_string())?.reserved.get();
                    if before.checked_sub(*q) != Some(after) {
                        return Err(format!("cancel released {} at {node}/{sku}, held {q}", before - after));
                    }
                }
            }
            check(w).map_err(|e| format!("after {label}: {e}"))?;
            let tag = if applied.attempts > 1 { "ok-retried" } else { "ok" };
            Ok(format!("{tag}:{label}"))
        }
        Err(e) => {
            if w.book != book_before {
                return Err(format!("{label} rejected ({e}) but changed the book"));
            }
            if serde_json::to_string(&w.ledger).map_err(|e| e.to_string())? != ledger_before {
                return Err(format!("{label} rejected ({e}) but changed the ledger"));
            }
            if label == "place" && matches!(e, OrderError::StaleAvailability { .. }) {
                return Ok("err:stale".into());
            }
            Ok(format!("err:{label}"))
        }
    }
}

/// The quantity an `AllocatedCancelled` event names.
fn qty_asked(applied: &Applied) -> u64 {
    applied
        .events
        .iter()
        .map(|e| match e.kind {
            OrderEventKind::AllocatedCancelled { qty, .. } => qty.get(),
            _ => 0,
        })
        .sum()
}

fn ledger_reserved(json: &str, node: NodeId, sku: Sku) -> Result<u64, String> {
    let l: Ledger = serde_json::from_str(json).map_err(|e| e.to_string())?;
    Ok(l.position(node, sku).map_err(|e| e.to_string())?.reserved.get())
}

/// Builds a world and runs `steps` random steps, checking after each.
pub fn run(src: &mut dyn Src, steps: usize, labels: &mut BTreeMap<String, u32>) -> Result<(), String> {
    let mut w = world(src)?;
    check(&w)?;
    for _ in 0..steps {
        let label = step(src, &mut w)?;
        *labels.entry(label).or_default() += 1;
    }
    Ok(())
}
