//! Quickstart: one position's life in the inventory ledger.
//!
//! Registers a warehouse and a SKU, receives stock, reserves some at
//! checkout, commits the reservation when the order is released, ships it,
//! and prints the event the ledger returns for each step — the record a host
//! persists. It then shows an idempotent retry and a rejected command, and
//! rebuilds the ledger from the events.
//!
//! Run with `cargo run --release --example quickstart`.

use omniroute::ledger::{Ledger, Outcome};
use omniroute::{Command, CommandKind, EntryId, Event, NodeId, Qty, Sku, Timestamp};

fn print_event(step: &str, event: &Event) {
    #[cfg(feature = "serde")]
    let text = serde_json::to_string(event).unwrap_or_else(|e| format!("<{e}>"));
    #[cfg(not(feature = "serde"))]
    let text = format!("{event:?}");
    println!("{step:<10} {text}");
}

/// Runs the walkthrough (also run by the integration tests).
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ledger = Ledger::new();
    let warehouse = NodeId::new(0);
    let sku = Sku::new(0);
    // The host supplies time (here: milliseconds since the Unix epoch).
    let t0 = Timestamp::from_unix_ms(1_700_000_000_000);
    let minutes = |m: i64| t0.checked_add_ms(m.saturating_mul(60_000));

    // Every command carries a caller-chosen, non-zero entry id: its idempotency key.
    let register = Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 });
    let receive = Command::new(
        EntryId::new(2)?,
        CommandKind::Receive { node: warehouse, sku, qty: Qty::new(10), inbound: None },
    );
    let cart = EntryId::new(3)?; // the reserve's entry id names the reservation
    let reserve = Command::new(
        cart,
        CommandKind::Reserve { node: warehouse, sku, qty: Qty::new(3), expires_at: Some(minutes(30)?) },
    );
    let commit = Command::new(EntryId::new(4)?, CommandKind::Commit { reservation: cart, qty: Qty::new(2) });
    let ship = Command::new(EntryId::new(5)?, CommandKind::Ship { node: warehouse, sku, qty: Qty::new(2) });

    let mut log = Vec::new();
    for (step, cmd, now) in [
        ("register", &register, t0),
        ("receive", &receive, t0),
        ("reserve", &reserve, minutes(1)?),
        ("commit", &commit, minutes(5)?),
        ("ship", &ship, minutes(60)?),
    ] {
        let outcome = ledger.apply(cmd, now)?;
        print_event(step, outcome.event());
        log.push(outcome.into_event());
        let p = ledger.position(warehouse, sku)?;
        println!(
            "{:<10} on_hand={} reserved={} allocated={} available={} version={}",
            "",
            p.on_hand,
            p.reserved,
            p.allocated,
            p.available(),
            p.version
        );
    }

    // A retry after a crash, at a later time, returns the original outcome.
    match ledger.apply(&ship, minutes(61)?)? {
        Outcome::AlreadyApplied(event) => print_event("retry", &event),
        other => println!("unexpected: {other:?}"),
    }

    // Bad input gets a clear error and changes nothing.
    let too_much = Command::new(
        EntryId::new(6)?,
        CommandKind::Reserve { node: warehouse, sku, qty: Qty::new(99), expires_at: None },
    );
    match ledger.apply(&too_much, minutes(62)?) {
        Err(rejection) => {
            println!("{:<10} {}", "rejected", rejection.error);
            // The failure is remembered under its entry id; persist its record too.
            if let Some(record) = rejection.record {
                log.push(*record);
            }
        }
        Ok(o) => println!("unexpected: {o:?}"),
    }

    ledger.check_invariants()?;
    let rebuilt = Ledger::replay(&log)?;
    assert_eq!(rebuilt.position(warehouse, sku)?, ledger.position(warehouse, sku)?);
    println!("replayed {} events: the same position", log.len());
    Ok(())
}
