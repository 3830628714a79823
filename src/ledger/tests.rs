use super::*;
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

fn id(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}

#[test]
fn batch_rollback_restores_index_order() {
    let mut l = Ledger::new();
    let t = Timestamp::EPOCH;
    let (n, s) = (NodeId::new(0), Sku::new(0));
    l.apply(&Command::new(id(1), CommandKind::Register { nodes: 1, skus: 1 }), t).unwrap();
    l.apply(
        &Command::new(id(2), CommandKind::Receive { node: n, sku: s, qty: Qty::new(10), inbound: None }),
        t,
    )
    .unwrap();
    for r in 3..6 {
        l.apply(
            &Command::new(
                id(r),
                CommandKind::Reserve { node: n, sku: s, qty: Qty::new(1), expires_at: None },
            ),
            t,
        )
        .unwrap();
    }
    let before = format!("{l:?}");
    let batch = [
        Command::new(id(10), CommandKind::Release { reservation: id(3) }),
        Command::new(id(11), CommandKind::Reserve { node: n, sku: s, qty: Qty::new(100), expires_at: None }),
    ];
    assert_eq!(l.apply_batch(&batch, t).unwrap_err().index, 1);
    assert_eq!(format!("{l:?}"), before);
    l.check_invariants().unwrap();
}

#[cfg(feature = "serde")]
#[test]
fn a_snapshot_whose_holds_disagree_with_its_reservations_is_refused() {
    let mut l = Ledger::new();
    let t = Timestamp::EPOCH;
    let (n, s) = (NodeId::new(0), Sku::new(0));
    l.apply(&Command::new(id(1), CommandKind::Register { nodes: 1, skus: 1 }), t).unwrap();
    l.apply(
        &Command::new(id(2), CommandKind::Receive { node: n, sku: s, qty: Qty::new(9), inbound: None }),
        t,
    )
    .unwrap();
    for r in 3..5 {
        l.apply(
            &Command::new(
                id(r),
                CommandKind::Reserve { node: n, sku: s, qty: Qty::new(1), expires_at: None },
            ),
            t,
        )
        .unwrap();
    }
    let good = serde_json::to_value(&l).unwrap();
    let back: Ledger = serde_json::from_value(good.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), good);
    // Dropping a hold or changing one is refused; listing them in another
    // order (as older snapshots may) is accepted and normalised.
    let mut dropped = good.clone();
    dropped["holds"].as_array_mut().unwrap().pop();
    assert!(serde_json::from_value::<Ledger>(dropped).is_err());
    let mut changed = good.clone();
    changed["holds"][0][1]["qty"] = serde_json::json!(2);
    assert!(serde_json::from_value::<Ledger>(changed).is_err());
    let mut swapped = good.clone();
    swapped["holds"].as_array_mut().unwrap().swap(0, 1);
    let back: Ledger = serde_json::from_value(swapped).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), good);
}
