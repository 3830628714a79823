//! Two writers, two connections, one database file, one hot SKU:
//! compare-and-swap on the position version, never oversell.

use std::sync::{Arc, Barrier};

use omniroute::ledger::{LedgerError, Outcome};
use omniroute::{Command, CommandKind, NodeId, Qty, Sku, Timestamp};

use super::host::{Host, HostError, HostOptions};
use super::{TempDb, id};

const NODE: NodeId = NodeId::new(0);
const SKU: Sku = Sku::new(0);
const T: Timestamp = Timestamp::from_unix_ms(1_000);

fn reserve(n: u128, qty: u64) -> Command {
    Command::new(id(n), CommandKind::Reserve { node: NODE, sku: SKU, qty: Qty::new(qty), expires_at: None })
}

fn stocked(db: &TempDb, units: u64) {
    let mut h = Host::open(&db.path(), HostOptions::default()).unwrap();
    h.submit(&Command::new(id(1), CommandKind::Register { nodes: 1, skus: 1 }), T).unwrap();
    let rx = CommandKind::Receive { node: NODE, sku: SKU, qty: Qty::new(units), inbound: None };
    h.submit(&Command::new(id(2), rx), T).unwrap();
}

#[test]
fn the_loser_gets_a_conflict_reloads_and_retries() {
    let db = TempDb::new("cas");
    stocked(&db, 7);
    let opts = HostOptions::default();
    let (mut a, mut b) = (Host::open(&db.path(), opts).unwrap(), Host::open(&db.path(), opts).unwrap());
    let va = a.ledger().position(NODE, SKU).unwrap().version;
    let vb = b.ledger().position(NODE, SKU).unwrap().version;
    assert_eq!(va, vb);
    assert!(b.submit_if_version(&reserve(10, 4), T, NODE, SKU, vb).unwrap().is_new());
    let rows = a.journal().unwrap().len();
    match a.submit_if_version(&reserve(11, 4), T, NODE, SKU, va) {
        Err(HostError::Conflict { expected, actual, .. }) => assert_eq!((expected, actual), (va, va + 1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(a.journal().unwrap().len(), rows, "a conflict writes nothing");
    // A already holds the winner's row: it decides again on fresh numbers.
    let p = a.ledger().position(NODE, SKU).unwrap();
    assert_eq!((p.version, p.available()), (va + 1, Qty::new(3)));
    match a.submit_if_version(&reserve(11, 4), T, NODE, SKU, p.version) {
        Err(HostError::Rejected(r)) => assert!(matches!(r.error, LedgerError::Insufficient { .. })),
        other => panic!("expected a refusal for lack of stock, got {other:?}"),
    }
    assert!(a.submit_if_version(&reserve(12, 3), T, NODE, SKU, p.version).is_ok_and(|o| o.is_new()));
    b.refresh().unwrap();
    assert_eq!(b.ledger().position(NODE, SKU).unwrap().available(), Qty::ZERO);
    b.verify_positions().unwrap();
}

struct Tally {
    reserved: u64,
    conflicts: u32,
    refused: bool,
}

fn writer(path: std::path::PathBuf, base: u128, start: Arc<Barrier>) -> Tally {
    let mut h = Host::open(&path, HostOptions::default()).unwrap();
    let mut tally = Tally { reserved: 0, conflicts: 0, refused: false };
    let mut next = base;
    start.wait();
    // Bounded: 40 units / 3 a time is at most 14 successes per writer, and
    // each conflict means the other writer succeeded.
    for _ in 0..200 {
        h.refresh().unwrap();
        let v = h.ledger().position(NODE, SKU).unwrap().version;
        // Widen the window between reading the version and writing.
        std::thread::yield_now();
        match h.submit_if_version(&reserve(next, 3), T, NODE, SKU, v) {
            Ok(Outcome::Applied(_)) => {
                tally.reserved += 3;
                next += 1;
            }
            Err(HostError::Conflict { .. }) => tally.conflicts += 1,
            Err(HostError::Rejected(r)) if matches!(r.error, LedgerError::Insufficient { .. }) => {
                tally.refused = true;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    tally
}

#[test]
fn two_writers_racing_on_a_hot_sku_never_oversell() {
    for round in 0..crate::common::cases(3) {
        let db = TempDb::new("race");
        stocked(&db, 40);
        let start = Arc::new(Barrier::new(2));
        let handles: Vec<_> = [1_000_u128, 2_000]
            .into_iter()
            .map(|base| {
                let (path, start) = (db.path(), Arc::clone(&start));
                std::thread::spawn(move || writer(path, base, start))
            })
            .collect();
        let tallies: Vec<Tally> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let total: u64 = tallies.iter().map(|t| t.reserved).sum();
        assert!(tallies.iter().all(|t| t.refused), "round {round}: both end refused for lack of stock");
        assert_eq!(total, 39, "round {round}: 13 holds of 3 fit in 40 units, no more");
        let h = Host::open(&db.path(), HostOptions::default()).unwrap();
        let p = h.ledger().position(NODE, SKU).unwrap();
        assert_eq!((p.on_hand, p.reserved, p.available()), (Qty::new(40), Qty::new(39), Qty::new(1)));
        h.verify_positions().unwrap();
        h.ledger().check_invariants().unwrap();
        // Every success is one journal row; conflicts wrote nothing.
        let reserves = h.journal().unwrap().iter().filter(|e| e.entry.get() >= 1_000).count();
        assert_eq!(reserves, 13 + 2, "13 holds and two remembered refusals");
        let conflicts: u32 = tallies.iter().map(|t| t.conflicts).sum();
        eprintln!("race round {round}: {conflicts} conflicts");
    }
}
