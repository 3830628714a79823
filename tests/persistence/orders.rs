//! Orders on the persisted host: crash recovery at every step of persisting
//! an order operation (before, inside and after its transaction, and in the
//! snapshot that follows), a tampered journal refused on recovery, and two
//! writers placing orders on one hot SKU.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use omniroute::ledger::{Event, Ledger, LedgerError};
use omniroute::order::{
    LineSpec, Network, OpId, OrderBook, OrderError, OrderEvent, OrderPolicy, OrderSpec, OrderStatus,
};
use omniroute::{
    ChannelId, Command, CommandKind, LineId, Node, NodeId, NodeKind, OrderId, Qty, Sku, Timestamp,
};

use super::host::{Faults, Host, HostError, HostOptions, OpRecord, OrderOp, OrderOutcome, Step};
use super::{TempDb, id};

const N0: NodeId = NodeId::new(0);
const N1: NodeId = NodeId::new(1);
const TEE: Sku = Sku::new(0);
const MUG: Sku = Sku::new(1);

fn bytes<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn initial_book() -> OrderBook {
    let net =
        Network::new(vec![Node::new(N0, NodeKind::Warehouse), Node::new(N1, NodeKind::Warehouse)]).unwrap();
    OrderBook::new(net, OrderPolicy::new())
}

/// One step of the script: a ledger command, or an order request under a key.
#[derive(Clone)]
enum Item {
    Ledger(Command),
    Order(u64, OrderOp),
}

fn spec(order: u64, lines: &[(Sku, u64)]) -> OrderOp {
    let mut s = OrderSpec::new(OrderId::new(order), ChannelId::new(0));
    for (i, (sku, q)) in (0_u32..).zip(lines) {
        s = s.line(LineSpec::new(LineId::new(i), *sku, Qty::new(*q)));
    }
    OrderOp::Place(s)
}

/// Placing, releasing, shipping, cancelling (whole order, one line,
/// allocated units), a node rejection that re-sources, a return, two
/// refusals, a re-sent request and ledger commands in between. Tees are
/// at node 0 only until the second receipt, mugs at node 1 only, so every
/// node named below is the one routing chose.
fn script() -> Vec<(Item, Timestamp)> {
    let o = |n| OrderId::new(n);
    let l = LineId::new;
    let q = Qty::new;
    let led = |n, kind| Item::Ledger(Command::new(id(n), kind));
    let ord = Item::Order;
    let rx = |node, sku, units| CommandKind::Receive { node, sku, qty: q(units), inbound: None };
    let items = vec![
        led(1, CommandKind::Register { nodes: 2, skus: 2 }),
        led(2, rx(N0, TEE, 10)),
        led(3, rx(N1, MUG, 6)),
        ord(1, spec(1, &[(TEE, 3), (MUG, 2)])),
        ord(2, spec(2, &[(TEE, 4)])),
        ord(3, spec(3, &[(MUG, 50)])), // refused: unfillable
        ord(4, OrderOp::Release { order: o(1), node: None }),
        ord(5, OrderOp::CancelLine { order: o(2), line: l(0), qty: q(1) }),
        led(4, rx(N1, TEE, 5)),
        ord(6, OrderOp::Reject { order: o(2), node: N0 }),
        ord(7, OrderOp::Ship { order: o(1), node: N0, line: l(0), qty: q(3) }),
        ord(8, OrderOp::Ship { order: o(1), node: N1, line: l(1), qty: q(2) }),
        ord(9, spec(4, &[(MUG, 2)])),
        ord(10, OrderOp::Release { order: o(4), node: None }),
        ord(11, OrderOp::CancelAllocated { order: o(4), node: N1, line: l(0), qty: q(1) }),
        ord(12, OrderOp::Ship { order: o(4), node: N1, line: l(0), qty: q(1) }),
        ord(13, OrderOp::RecordReturn { order: o(1), line: l(0), qty: q(1) }),
        ord(4, OrderOp::Release { order: o(1), node: None }), // re-sent: already applied
        ord(14, OrderOp::Cancel { order: o(2) }),
        ord(15, OrderOp::Cancel { order: o(2) }), // refused: closed
        ord(16, spec(5, &[(TEE, 2)])),
    ];
    items.into_iter().zip(1_000_i64..).map(|(item, ms)| (item, Timestamp::from_unix_ms(ms * 10))).collect()
}

/// What a step returned, comparable between the host and the reference.
#[derive(Debug, PartialEq)]
enum Got {
    Ledger(Result<Event, LedgerError>),
    Order(Result<OpRecord, OrderError>),
}

struct Reference {
    /// (ledger, book) serialised after the first i steps.
    states: Vec<(Vec<u8>, Vec<u8>)>,
    outcomes: Vec<Got>,
    ledger_events: Vec<Event>,
    order_events: Vec<OrderEvent>,
}

/// The same script on an in-memory ledger and book, with the host's rules:
/// the next op id is one more than the last applied, a known key returns
/// its first record.
fn reference(script: &[(Item, Timestamp)]) -> Reference {
    let (mut ledger, mut book) = (Ledger::new(), initial_book());
    let mut states = vec![(bytes(&ledger), bytes(&book))];
    let (mut outcomes, mut order_events) = (Vec::new(), Vec::new());
    let mut done: BTreeMap<u64, OpRecord> = BTreeMap::new();
    let mut last_op = 0_u64;
    for (item, now) in script {
        let got = match item {
            Item::Ledger(cmd) => {
                Got::Ledger(ledger.apply(cmd, *now).map(|o| o.into_event()).map_err(|r| r.error))
            }
            Item::Order(key, op) => Got::Order(match done.get(key) {
                Some(r) => Ok(r.clone()),
                None => op.run(&mut book, &mut ledger, OpId::new(last_op + 1), *now).map(|a| {
                    last_op += 1;
                    let r = OpRecord::new(OpId::new(last_op), a);
                    order_events.extend(r.events.iter().cloned());
                    done.insert(*key, r.clone());
                    r
                }),
            }),
        };
        outcomes.push(got);
        states.push((bytes(&ledger), bytes(&book)));
    }
    // The script must exercise refusals and a re-sent request.
    assert_eq!(outcomes.iter().filter(|g| matches!(g, Got::Order(Err(_)))).count(), 2);
    assert_eq!(done.len(), 14);
    book.check_against(&ledger).unwrap();
    Reference { states, outcomes, ledger_events: ledger.events().collect(), order_events }
}

fn submit(host: &mut Host, item: &Item, now: Timestamp) -> Result<Got, HostError> {
    match item {
        Item::Ledger(cmd) => match host.submit(cmd, now) {
            Ok(o) => Ok(Got::Ledger(Ok(o.into_event()))),
            Err(HostError::Rejected(r)) => Ok(Got::Ledger(Err(r.error))),
            Err(e) => Err(e),
        },
        Item::Order(key, op) => match host.order(*key, now, op) {
            Ok(o) => Ok(Got::Order(Ok(o.record().clone()))),
            Err(HostError::Refused(e)) => Ok(Got::Order(Err(e))),
            Err(e) => Err(e),
        },
    }
}

/// The state the committed rows imply, rebuilt from nothing: every ledger
/// event replayed, every order event applied to the initial book.
fn implied(host: &Host) -> (Vec<u8>, Vec<u8>) {
    let ledger = Ledger::replay(&host.journal().unwrap()).unwrap();
    let mut book = initial_book();
    book.apply_events(&host.order_journal().unwrap()).unwrap();
    (bytes(&ledger), bytes(&book))
}

fn state(host: &Host) -> (Vec<u8>, Vec<u8>) {
    (bytes(host.ledger()), bytes(host.book()))
}

#[derive(Default)]
struct Seen {
    steps: Vec<Step>,
    /// Order retries recognised as done / applied afresh.
    recognised: u32,
    reapplied: u32,
}

/// Runs the script against a host that crashes at fault point `k`; returns
/// the step it crashed at, or `None` if the run passed fewer than `k` points.
fn run_with_crash_at(
    k: u64,
    script: &[(Item, Timestamp)],
    want: &Reference,
    seen: &mut Seen,
) -> Option<Step> {
    let db = TempDb::new("ocrash");
    let opts = HostOptions::default().snapshot_every(4);
    let book = initial_book();
    let mut host = Host::open_with_book(&db.path(), opts.faults(Faults::crash_at(k)), &book).unwrap();
    let mut crashed = None;
    for (i, (item, now)) in script.iter().enumerate() {
        let got = match submit(&mut host, item, *now) {
            Err(HostError::Crashed(step)) => {
                assert!(crashed.is_none(), "one crash per run");
                crashed = Some(step);
                // Restart: snapshots plus tails, then the book's holds
                // checked against the ledger (inside `open`).
                drop(host);
                host = Host::open_with_book(&db.path(), opts, &book).unwrap();
                assert_eq!(
                    state(&host),
                    implied(&host),
                    "k={k}: recovered state is what the committed rows imply"
                );
                let expect = if step.is_after_commit() { i + 1 } else { i };
                assert!(
                    state(&host) == want.states[expect],
                    "k={k} {step:?} at step {i}: nothing lost, nothing extra"
                );
                host.verify_positions().unwrap();
                // The caller never heard back: retry the same request.
                if let Item::Order(key, op) = item {
                    match host.order(*key, *now, op) {
                        Ok(OrderOutcome::AlreadyApplied(r)) => {
                            // (A re-sent key is recognised whatever the step.)
                            if step.is_after_commit() {
                                seen.recognised += 1;
                            }
                            Ok(Got::Order(Ok(r)))
                        }
                        Ok(OrderOutcome::Applied(r)) => {
                            assert!(!step.is_after_commit(), "k={k}: a committed operation applied twice");
                            seen.reapplied += 1;
                            Ok(Got::Order(Ok(r)))
                        }
                        Err(HostError::Refused(e)) => Ok(Got::Order(Err(e))),
                        Err(e) => Err(e),
                    }
                } else {
                    submit(&mut host, item, *now)
                }
            }
            other => other,
        };
        assert_eq!(got.unwrap(), want.outcomes[i], "k={k}: outcome of step {i}");
        if crashed.is_some() {
            assert!(state(&host) == want.states[i + 1], "k={k}: state after the retried step {i}");
        }
    }
    // A final restart from disk agrees with the reference, event for event.
    drop(host);
    let host = Host::open_with_book(&db.path(), opts, &book).unwrap();
    assert!(state(&host) == *want.states.last().unwrap(), "k={k}: final state");
    assert_eq!(host.journal().unwrap(), want.ledger_events, "k={k}: each ledger event once");
    assert_eq!(host.order_journal().unwrap(), want.order_events, "k={k}: each order event once");
    assert_eq!(host.last_op(), 14);
    host.verify_positions().unwrap();
    host.ledger().check_invariants().unwrap();
    host.book().check_invariants().unwrap();
    crashed
}

#[test]
fn an_order_operation_crashed_at_any_step_is_recovered_and_applied_exactly_once() {
    let script = script();
    let want = reference(&script);
    let mut seen = Seen::default();
    let mut k = 0;
    while let Some(step) = run_with_crash_at(k, &script, &want, &mut seen) {
        if !seen.steps.contains(&step) {
            seen.steps.push(step);
        }
        k += 1;
        assert!(k < 1_000, "fault points are bounded");
    }
    // 14 applied operations pass five points each, 4 ledger commands four.
    assert!(k > 14 * 5 + 4 * 4, "only {k} fault points");
    for step in [
        Step::BeforeTransaction,
        Step::EventWritten,
        Step::PositionsWritten,
        Step::OrderWritten,
        Step::Committed,
        Step::Snapshot,
    ] {
        assert!(seen.steps.contains(&step), "no crash at {step:?}");
    }
    // Each applied operation crashed after commit (Committed, Snapshot) at
    // least once, and before it (three points inside, one before) four times.
    assert!(seen.recognised >= 14, "retries recognised as done: {}", seen.recognised);
    assert!(seen.reapplied >= 14 * 4, "retries applied afresh: {}", seen.reapplied);
}

#[test]
fn recovery_loads_both_snapshots_and_replays_both_tails() {
    let db = TempDb::new("osnap");
    let script = script();
    let want = reference(&script);
    let opts = HostOptions::default().snapshot_every(5);
    let mut host = Host::open_with_book(&db.path(), opts, &initial_book()).unwrap();
    for (item, now) in &script {
        submit(&mut host, item, *now).unwrap();
    }
    let (head, order_head) = (host.head(), host.order_head());
    drop(host);
    // The stored book wins over the one passed in.
    let host = Host::open(&db.path(), opts).unwrap();
    assert!(host.snapshot_seq() > 0 && host.snapshot_seq() < head, "a ledger snapshot and a tail");
    assert!(
        host.book_snapshot_seq() > 0 && host.book_snapshot_seq() < order_head,
        "a book snapshot and a tail"
    );
    assert_eq!((host.head(), host.order_head()), (head, order_head));
    assert!(state(&host) == *want.states.last().unwrap());
}

#[test]
fn a_journal_that_lost_a_ledger_row_is_refused_by_the_book_check() {
    let setup = || {
        let db = TempDb::new("otamper");
        let mut host = Host::open_with_book(&db.path(), HostOptions::default(), &initial_book()).unwrap();
        for (item, now) in script().iter().take(5) {
            submit(&mut host, item, *now).unwrap();
        }
        drop(host);
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        (db, conn)
    };
    // The last row is order#2's reservation: the ledger alone replays
    // without it, but the book holds a reservation the ledger lacks.
    let (db, conn) = setup();
    assert_eq!(conn.execute("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)", []).unwrap(), 1);
    drop(conn);
    let err = Host::open(&db.path(), HostOptions::default()).unwrap_err();
    assert!(
        matches!(err, HostError::BookRecovery(OrderError::InvariantBroken { what: "hold not in ledger" })),
        "{err}"
    );
    // A lost order row is a gap in the order journal.
    let (db, conn) = setup();
    assert_eq!(conn.execute("DELETE FROM order_events WHERE seq = 1", []).unwrap(), 1);
    drop(conn);
    let err = Host::open(&db.path(), HostOptions::default()).unwrap_err();
    assert!(matches!(err, HostError::BookRecovery(OrderError::InvariantBroken { .. })), "{err}");
}

#[test]
fn a_request_key_names_one_request() {
    let db = TempDb::new("okey");
    let mut host = Host::open_with_book(&db.path(), HostOptions::default(), &initial_book()).unwrap();
    let t = Timestamp::from_unix_ms(20_000);
    for (item, now) in script().iter().take(4) {
        submit(&mut host, item, *now).unwrap();
    }
    let rows = (host.journal().unwrap().len(), host.order_journal().unwrap().len());
    let other = spec(9, &[(TEE, 1)]);
    assert!(matches!(host.order(1, t, &other), Err(HostError::KeyReused { key: 1 })));
    // A refused request writes nothing and leaves its key unused.
    let big = spec(9, &[(TEE, 100)]);
    assert!(matches!(host.order(2_000, t, &big), Err(HostError::Refused(OrderError::Unfillable { .. }))));
    assert_eq!((host.journal().unwrap().len(), host.order_journal().unwrap().len()), rows);
    assert!(host.order(2_000, t, &other).unwrap().is_new());
}

#[test]
fn raw_ledger_commands_cannot_take_an_orders_hold() {
    let db = TempDb::new("oguard");
    let mut host = Host::open_with_book(&db.path(), HostOptions::default(), &initial_book()).unwrap();
    let script = script();
    for (item, now) in script.iter().take(4) {
        submit(&mut host, item, *now).unwrap();
    }
    let t = script[3].1;
    let hold = host.book().order(OrderId::new(1)).unwrap().lines[0].holds[0];
    let rows = host.journal().unwrap().len();
    let release = Command::new(id(50), CommandKind::Release { reservation: hold.reservation });
    assert!(matches!(host.submit(&release, t), Err(HostError::OrderOwned { .. })));
    let tagged = Command::new(OpId::new(99).entry(0).unwrap(), CommandKind::ExpireDue);
    assert!(matches!(host.submit(&tagged, t), Err(HostError::OrderOwned { .. })));
    // A checkout hold lapses: the ledger's ExpireDue waits for the book.
    let s = OrderSpec::new(OrderId::new(7), ChannelId::new(0))
        .line(LineSpec::new(LineId::new(0), TEE, Qty::new(1)))
        .hold_until(Some(Timestamp::from_unix_ms(t.as_unix_ms() + 100)));
    host.order(70, t, &OrderOp::Place(s)).unwrap();
    let later = Timestamp::from_unix_ms(t.as_unix_ms() + 200);
    let expire = Command::new(id(51), CommandKind::ExpireDue);
    assert!(matches!(host.submit(&expire, later), Err(HostError::OrderOwned { .. })));
    assert_eq!(host.journal().unwrap().len(), rows + 1, "refused commands write nothing");
    let done = host.order(71, later, &OrderOp::ExpireHolds).unwrap();
    assert_eq!(done.record().events.len(), 1);
    assert_eq!(host.book().order(OrderId::new(7)).unwrap().status, OrderStatus::Expired);
    host.submit(&expire, later).unwrap();
    drop(host);
    let host = Host::open(&db.path(), HostOptions::default()).unwrap();
    host.book().check_against(host.ledger()).unwrap();
}

// --- two writers, one hot SKU -------------------------------------------

const HOT: Sku = Sku::new(0);
const T: Timestamp = Timestamp::from_unix_ms(1_000);

fn hot_book() -> OrderBook {
    OrderBook::new(Network::new(vec![Node::new(N0, NodeKind::Warehouse)]).unwrap(), OrderPolicy::new())
}

fn stocked(db: &TempDb, units: u64) {
    let mut h = Host::open_with_book(&db.path(), HostOptions::default(), &hot_book()).unwrap();
    h.submit(&Command::new(id(1), CommandKind::Register { nodes: 1, skus: 1 }), T).unwrap();
    let rx = CommandKind::Receive { node: N0, sku: HOT, qty: Qty::new(units), inbound: None };
    h.submit(&Command::new(id(2), rx), T).unwrap();
}

fn version(h: &Host) -> u64 {
    h.ledger().position(N0, HOT).unwrap().version
}

#[test]
fn the_losing_order_writer_gets_a_conflict_reloads_and_retries() {
    let db = TempDb::new("ocas");
    stocked(&db, 7);
    let (mut a, mut b) = (
        Host::open(&db.path(), HostOptions::default()).unwrap(),
        Host::open(&db.path(), HostOptions::default()).unwrap(),
    );
    let (va, vb) = (version(&a), version(&b));
    assert_eq!(va, vb);
    let guard = |v| [(N0, HOT, v)];
    assert!(b.order_if_versions(1, T, &spec(1, &[(HOT, 4)]), &guard(vb)).unwrap().is_new());
    let rows = a.order_journal().unwrap().len();
    let mine = spec(2, &[(HOT, 4)]);
    match a.order_if_versions(2, T, &mine, &guard(va)) {
        Err(HostError::Conflict { expected, actual, .. }) => assert_eq!((expected, actual), (va, va + 1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(a.order_journal().unwrap().len(), rows, "a conflict writes nothing");
    // A already holds B's order and the new version: it decides again.
    assert!(a.book().order(OrderId::new(1)).is_ok());
    let v = version(&a);
    assert!(matches!(
        a.order_if_versions(2, T, &mine, &guard(v)),
        Err(HostError::Refused(OrderError::Unfillable { .. }))
    ));
    let smaller = spec(2, &[(HOT, 3)]);
    let done = a.order_if_versions(2, T, &smaller, &guard(v)).unwrap();
    assert_eq!(done.record().op, OpId::new(2));
    b.refresh().unwrap();
    assert_eq!(b.ledger().position(N0, HOT).unwrap().available(), Qty::ZERO);
    assert_eq!(b.book().orders().count(), 2);
    b.book().check_against(b.ledger()).unwrap();
}

struct Tally {
    orders: u64,
    conflicts: u32,
    refused: bool,
}

fn order_writer(path: std::path::PathBuf, base: u64, start: Arc<Barrier>) -> Tally {
    let mut h = Host::open(&path, HostOptions::default()).unwrap();
    let mut tally = Tally { orders: 0, conflicts: 0, refused: false };
    let mut next = base;
    start.wait();
    // Bounded: 40 units / 3 an order is at most 13 successes in all, and
    // each conflict means the other writer succeeded.
    for _ in 0..200 {
        h.refresh().unwrap();
        let v = version(&h);
        std::thread::yield_now();
        match h.order_if_versions(next, T, &spec(next, &[(HOT, 3)]), &[(N0, HOT, v)]) {
            Ok(OrderOutcome::Applied(_)) => {
                tally.orders += 1;
                next += 1;
            }
            Err(HostError::Conflict { .. }) => tally.conflicts += 1,
            Err(HostError::Refused(OrderError::Unfillable { .. })) => {
                tally.refused = true;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    tally
}

#[test]
fn two_order_writers_racing_on_a_hot_sku_never_oversell() {
    for round in 0..crate::common::cases(2) {
        let db = TempDb::new("orace");
        stocked(&db, 40);
        let start = Arc::new(Barrier::new(2));
        let handles: Vec<_> = [1_000_u64, 2_000]
            .into_iter()
            .map(|base| {
                let (path, start) = (db.path(), Arc::clone(&start));
                std::thread::spawn(move || order_writer(path, base, start))
            })
            .collect();
        let tallies: Vec<Tally> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(tallies.iter().all(|t| t.refused), "round {round}: both end refused for lack of stock");
        assert_eq!(
            tallies.iter().map(|t| t.orders).sum::<u64>(),
            13,
            "round {round}: 13 orders of 3 fit in 40"
        );
        let h = Host::open(&db.path(), HostOptions::default()).unwrap();
        let p = h.ledger().position(N0, HOT).unwrap();
        assert_eq!((p.on_hand, p.reserved, p.available()), (Qty::new(40), Qty::new(39), Qty::new(1)));
        assert_eq!(h.book().orders().filter(|o| o.status == OrderStatus::Active).count(), 13);
        assert_eq!(h.last_op(), 13, "op ids 1..=13, one per committed order, no gaps");
        h.verify_positions().unwrap();
        h.ledger().check_invariants().unwrap();
        h.book().check_invariants().unwrap();
        let conflicts: u32 = tallies.iter().map(|t| t.conflicts).sum();
        eprintln!("order race round {round}: {conflicts} conflicts");
    }
}
