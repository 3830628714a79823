//! Crash recovery: the host is interrupted at every fault point of a command
//! stream (before the transaction, after the event row, after the position
//! rows, after commit, inside the snapshot that follows), restarted from the
//! database file, and the interrupted command retried with the same entry id.

use omniroute::ledger::{Event, Ledger, LedgerError, Outcome};
use omniroute::{Bucket, Command, CommandKind, NodeId, Qty, Sku, Timestamp};

use super::host::{Faults, Host, HostError, HostOptions, Step};
use super::{TempDb, id};

fn bytes(l: &Ledger) -> Vec<u8> {
    serde_json::to_vec(l).unwrap()
}

/// A stream touching most command kinds, a recorded failure, a duplicate
/// re-send and an expiry, at non-decreasing times.
fn script() -> Vec<(Command, Timestamp)> {
    let (n0, n1) = (NodeId::new(0), NodeId::new(1));
    let (s0, s1) = (Sku::new(0), Sku::new(1));
    let t = Timestamp::from_unix_ms;
    let c = |n, kind| Command::new(id(n), kind);
    let q = Qty::new;
    let rx = c(2, CommandKind::Receive { node: n0, sku: s0, qty: q(20), inbound: None });
    vec![
        (c(1, CommandKind::Register { nodes: 2, skus: 2 }), t(1_000)),
        (rx.clone(), t(1_000)),
        (c(3, CommandKind::ExpectInbound { node: n1, sku: s1, qty: q(8), eta: t(9_000) }), t(1_100)),
        (c(4, CommandKind::Reserve { node: n0, sku: s0, qty: q(5), expires_at: None }), t(1_200)),
        (c(5, CommandKind::Reserve { node: n0, sku: s0, qty: q(4), expires_at: Some(t(5_000)) }), t(1_300)),
        (c(6, CommandKind::Reserve { node: n0, sku: s0, qty: q(50), expires_at: None }), t(1_400)),
        (rx, t(1_500)),
        (c(7, CommandKind::Commit { reservation: id(4), qty: q(3) }), t(1_600)),
        (c(8, CommandKind::Ship { node: n0, sku: s0, qty: q(3) }), t(1_700)),
        (c(9, CommandKind::Receive { node: n1, sku: s1, qty: q(8), inbound: Some(id(3)) }), t(2_000)),
        (c(10, CommandKind::TransferOut { node: n0, to: n1, sku: s0, qty: q(2), eta: t(8_000) }), t(2_100)),
        (
            c(
                11,
                CommandKind::Move {
                    node: n1,
                    sku: s1,
                    from: Bucket::OnHand,
                    to: Bucket::Quarantine,
                    qty: q(1),
                },
            ),
            t(2_200),
        ),
        (c(12, CommandKind::TransferIn { transfer: id(10), qty: q(2) }), t(3_000)),
        (c(13, CommandKind::Release { reservation: id(4) }), t(3_100)),
        (c(14, CommandKind::ExpireDue), t(5_000)),
        (c(15, CommandKind::ReturnReceipt { node: n1, sku: s0, qty: q(1) }), t(5_100)),
        (c(16, CommandKind::Reserve { node: n1, sku: s1, qty: q(7), expires_at: None }), t(5_200)),
    ]
}

fn summary(r: Result<Outcome, HostError>) -> Result<Event, LedgerError> {
    match r {
        Ok(o) => Ok(o.into_event()),
        Err(HostError::Rejected(r)) => Err(r.error),
        Err(e) => panic!("unexpected host error {e}"),
    }
}

struct Reference {
    /// Serialised ledger after the first i commands.
    states: Vec<Vec<u8>>,
    outcomes: Vec<Result<Event, LedgerError>>,
    events: Vec<Event>,
}

fn reference(script: &[(Command, Timestamp)]) -> Reference {
    let mut l = Ledger::new();
    let mut states = vec![bytes(&l)];
    let mut outcomes = Vec::new();
    for (cmd, now) in script {
        outcomes.push(l.apply(cmd, *now).map(Outcome::into_event).map_err(|r| r.error));
        states.push(bytes(&l));
    }
    // The stream must exercise a recorded failure and a duplicate.
    assert!(outcomes.iter().any(Result::is_err));
    assert!(l.events().count() < script.len());
    Reference { states, outcomes, events: l.events().collect() }
}

/// Runs the script against a host that crashes at fault point `k`; returns
/// the step it crashed at, or `None` if the run passed fewer than `k` points.
fn run_with_crash_at(k: u64, script: &[(Command, Timestamp)], want: &Reference) -> Option<Step> {
    let db = TempDb::new("crash");
    let opts = HostOptions::default().snapshot_every(3);
    let mut host = Host::open(&db.path(), opts.faults(Faults::crash_at(k))).unwrap();
    let mut crashed = None;
    for (i, (cmd, now)) in script.iter().enumerate() {
        let got = match host.submit(cmd, *now) {
            Err(HostError::Crashed(step)) => {
                assert!(crashed.is_none(), "one crash per run");
                crashed = Some(step);
                // Restart: reopen the file, load the snapshot, replay the tail.
                drop(host);
                host = Host::open(&db.path(), opts).unwrap();
                let committed = host.journal().unwrap();
                assert_eq!(
                    bytes(host.ledger()),
                    bytes(&Ledger::replay(&committed).unwrap()),
                    "k={k}: recovered state is the state the committed events imply"
                );
                let expect = if step.is_after_commit() { i + 1 } else { i };
                assert_eq!(
                    bytes(host.ledger()),
                    want.states[expect],
                    "k={k} {step:?} at command {i}: nothing lost, nothing extra"
                );
                host.verify_positions().unwrap();
                // The caller never heard back: retry with the same entry id.
                host.submit(cmd, *now)
            }
            other => other,
        };
        assert_eq!(summary(got), want.outcomes[i], "k={k}: outcome of command {i}");
    }
    // A final restart from disk agrees with the reference, event for event.
    drop(host);
    let host = Host::open(&db.path(), opts).unwrap();
    assert_eq!(bytes(host.ledger()), *want.states.last().unwrap(), "k={k}: final state");
    let journal = host.journal().unwrap();
    assert_eq!(journal, want.events, "k={k}: journal holds each event exactly once");
    host.verify_positions().unwrap();
    host.ledger().check_invariants().unwrap();
    crashed
}

#[test]
fn a_crash_at_every_step_loses_nothing_and_applies_nothing_twice() {
    let script = script();
    let want = reference(&script);
    let mut seen = Vec::new();
    let mut k = 0;
    while let Some(step) = run_with_crash_at(k, &script, &want) {
        if !seen.contains(&step) {
            seen.push(step);
        }
        k += 1;
        assert!(k < 1_000, "fault points are bounded");
    }
    // Every command passes at least one point; applied ones pass four.
    assert!(k as usize > 3 * script.len(), "only {k} fault points");
    for step in
        [Step::BeforeTransaction, Step::EventWritten, Step::PositionsWritten, Step::Committed, Step::Snapshot]
    {
        assert!(seen.contains(&step), "no crash at {step:?}");
    }
}

#[test]
fn recovery_uses_the_snapshot_and_replays_only_the_tail() {
    let db = TempDb::new("snapshot");
    let script = script();
    let want = reference(&script);
    let opts = HostOptions::default().snapshot_every(5);
    let mut host = Host::open(&db.path(), opts).unwrap();
    for (cmd, now) in &script {
        let _ = host.submit(cmd, *now);
    }
    let head = host.head();
    drop(host);
    let host = Host::open(&db.path(), opts).unwrap();
    assert!(host.snapshot_seq() > 0 && host.snapshot_seq() < head, "a snapshot and a tail");
    assert_eq!(host.head(), head);
    assert_eq!(bytes(host.ledger()), *want.states.last().unwrap());
}

#[test]
fn a_tampered_journal_is_refused_on_recovery() {
    let setup = || {
        let db = TempDb::new("tamper");
        let mut host = Host::open(&db.path(), HostOptions::default()).unwrap();
        for (cmd, now) in script().iter().take(5) {
            host.submit(cmd, *now).unwrap();
        }
        drop(host);
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        (db, conn)
    };
    // Shrink the receipt: the reservation of 5 in row 4 no longer reproduces.
    let (db, conn) = setup();
    let n = conn
        .execute("UPDATE events SET body = replace(body, '\"qty\":20', '\"qty\":2') WHERE seq = 2", [])
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    let err = Host::open(&db.path(), HostOptions::default()).unwrap_err();
    assert!(matches!(err, HostError::Recovery(LedgerError::ReplayDiverged { index: 3, .. })), "{err}");
    // A lost row is a gap in the journal.
    let (db, conn) = setup();
    assert_eq!(conn.execute("DELETE FROM events WHERE seq = 3", []).unwrap(), 1);
    drop(conn);
    let err = Host::open(&db.path(), HostOptions::default()).unwrap_err();
    assert!(matches!(err, HostError::Recovery(LedgerError::InvariantBroken { .. })), "{err}");
}
