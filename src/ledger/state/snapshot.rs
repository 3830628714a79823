//! Snapshots: the serialised form of a ledger, validated on the way in.

use super::{Cold, Key, Ledger, LedgerOptions, Movement, SkuState, key};
use crate::ledger::{BackorderPolicy, Event, Hold, LedgerError, Receipt, Resolution};
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
            holds: l.memo.holds().collect(),
            receipts: l.receipts.into_iter().collect(),
            resolved: l.memo.resolutions().collect(),
            journal: l.journal.into_iter().collect(),
            last_count: l.last_count.into_iter().collect(),
            events: l.memo.events().collect(),
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
        for (id, rc) in r.receipts {
            l.receipts_by_pos.insert((key(rc.node, rc.sku), id.get()));
            l.receipts.insert(id, rc);
        }
        l.journal = r.journal.into_iter().collect();
        l.last_count = r.last_count.into_iter().collect();
        l.memo.reserve(r.events.len());
        for ev in &r.events {
            if l.memo.find(ev.entry).is_some() || !l.memo.has_room() {
                return Err(LedgerError::InvariantBroken { detail: format!("{} is listed twice", ev.entry) });
            }
            l.memo.push(ev);
        }
        for (id, how) in r.resolved {
            match l.memo.find(id) {
                Some(i) if l.memo.is_reservation(i) => {
                    l.memo.set_resolution(id, Some(how));
                }
                _ => {
                    return Err(LedgerError::InvariantBroken {
                        detail: format!("resolution of {id}, not a reservation"),
                    });
                }
            }
        }
        // The live holds are the unresolved reservations; the listed ones
        // must be exactly those, in any order (snapshots written before the
        // holds lived in the idempotency table list them in another order).
        let mut live: Vec<(EntryId, Hold)> = l.memo.holds().collect();
        let mut listed = r.holds.clone();
        live.sort_unstable_by_key(|(id, _)| *id);
        listed.sort_unstable_by_key(|(id, _)| *id);
        if live != listed {
            return Err(LedgerError::InvariantBroken {
                detail: "the listed holds differ from the unresolved reservations".into(),
            });
        }
        for (id, h) in r.holds {
            l.holds_by_pos.insert((key(h.node, h.sku), id.get()));
            if let Some(t) = h.expires_at {
                l.expiry.insert((t, id.get()));
            }
        }
        l.check_invariants()?;
        Ok(l)
    }
}
