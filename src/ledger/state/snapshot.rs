//! Snapshots: the serialised form of a ledger, validated on the way in.

use super::{Cold, Key, Ledger, LedgerOptions, Memo, Movement, SkuState, key};
use crate::ledger::{BackorderPolicy, Event, EventKind, Hold, LedgerError, Receipt, Resolution};
use crate::model::{EntryId, Timestamp};

/// The serialised form of a ledger: plain lists, validated on the way in.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct LedgerRepr {
    options: LedgerOptions,
    latest: Option<Timestamp>,
    nodes: u32,
    skus: Vec<SkuState>,
    cold: Vec<(Key, Cold)>,
    overrides: Vec<(Key, BackorderPolicy)>,
    holds: Vec<(EntryId, Hold)>,
    receipts: Vec<(EntryId, Receipt)>,
    resolved: Vec<(EntryId, Resolution)>,
    journal: Vec<Movement>,
    last_count: Vec<(Key, Timestamp)>,
    events: Vec<Event>,
}

impl From<Ledger> for LedgerRepr {
    fn from(l: Ledger) -> Self {
        Self {
            options: l.options,
            latest: l.latest,
            nodes: l.nodes,
            skus: l.skus,
            cold: l.cold.into_iter().collect(),
            overrides: l.overrides.into_iter().collect(),
            holds: l.holds.into_iter().collect(),
            receipts: l.receipts.into_iter().collect(),
            resolved: l.memo.iter().filter_map(|(id, m)| m.resolution.map(|r| (*id, r))).collect(),
            journal: l.journal.into_iter().collect(),
            last_count: l.last_count.into_iter().collect(),
            events: l.memo.into_iter().map(|(id, m)| Event { entry: id, at: m.at, kind: m.kind }).collect(),
        }
    }
}

impl TryFrom<LedgerRepr> for Ledger {
    type Error = LedgerError;
    fn try_from(r: LedgerRepr) -> Result<Self, LedgerError> {
        let mut l =
            Self { options: r.options, latest: r.latest, nodes: r.nodes, skus: r.skus, ..Self::default() };
        l.cold = r.cold.into_iter().collect();
        l.overrides = r.overrides.into_iter().collect();
        for (id, h) in r.holds {
            l.holds_by_pos.insert((key(h.node, h.sku), id.get()));
            if let Some(t) = h.expires_at {
                l.expiry.insert((t, id.get()));
            }
            l.holds.insert(id, h);
        }
        for (id, rc) in r.receipts {
            l.receipts_by_pos.insert((key(rc.node, rc.sku), id.get()));
            l.receipts.insert(id, rc);
        }
        l.journal = r.journal.into_iter().collect();
        l.last_count = r.last_count.into_iter().collect();
        for ev in r.events {
            l.memo.insert(ev.entry, Memo { kind: ev.kind, at: ev.at, resolution: None });
        }
        for (id, how) in r.resolved {
            match l.memo.get_mut(&id) {
                Some(m) if matches!(m.kind, EventKind::Reserved { .. }) => m.resolution = Some(how),
                _ => {
                    return Err(LedgerError::InvariantBroken {
                        detail: format!("resolution of {id}, not a reservation"),
                    });
                }
            }
        }
        l.check_invariants()?;
        Ok(l)
    }
}
