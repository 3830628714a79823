//! `check_invariants`: every invariant of the state, checked from scratch.

use std::collections::BTreeMap;

use super::{Cold, Key, Ledger, key};
use crate::ledger::LedgerError;
use crate::model::{NodeId, Sku};

impl Ledger {
    /// Checks every invariant of the state:
    ///
    /// - every stored position is registered, and claims (reserved +
    ///   allocated) never exceed on-hand plus the position's backorder
    ///   allowance;
    /// - `reserved` equals the sum of the position's live reservations, and
    ///   `inbound` the sum of its open receipts; every hold and receipt is
    ///   positive and the indexes agree with them;
    /// - no reservation is both live and resolved; the count journal is in
    ///   time order.
    ///
    /// # Errors
    ///
    /// [`LedgerError::InvariantBroken`] naming the first broken invariant.
    ///
    /// # Complexity
    ///
    /// O(P + R log R + I log I + J + E) over positions, reservations,
    /// receipts, journal and remembered events.
    ///
    /// ```
    /// assert!(omniroute::ledger::Ledger::new().check_invariants().is_ok());
    /// ```
    pub fn check_invariants(&self) -> Result<(), LedgerError> {
        let broken = |detail: String| Err(LedgerError::InvariantBroken { detail });
        if self.nodes > Self::MAX_NODES || self.skus.len() > Self::MAX_SKUS as usize {
            return broken("more nodes or skus than the limits".into());
        }
        let mut reserved: BTreeMap<Key, u128> = BTreeMap::new();
        let (mut live, mut expiring) = (0usize, 0usize);
        for (id, h) in self.memo.holds() {
            live = live.saturating_add(1);
            if h.expires_at.is_some() {
                expiring = expiring.saturating_add(1);
            }
            let k = key(h.node, h.sku);
            if h.qty.is_zero() || !self.holds_by_pos.contains(&(k, id.get())) {
                return broken(format!("reservation {id} is empty or unindexed"));
            }
            if h.expires_at.is_some_and(|t| !self.expiry.contains(&(t, id.get()))) {
                return broken(format!("reservation {id} missing from the expiry index"));
            }
            let e = reserved.entry(k).or_insert(0);
            *e = e.saturating_add(u128::from(h.qty.get()));
        }
        if self.holds_by_pos.len() != live || self.expiry.len() != expiring {
            return broken("reservation indexes out of step".into());
        }
        let mut inbound: BTreeMap<Key, u128> = BTreeMap::new();
        for (id, r) in &self.receipts {
            let k = key(r.node, r.sku);
            if r.remaining.is_zero() || !self.receipts_by_pos.contains(&(k, id.get())) {
                return broken(format!("receipt {id} is empty or unindexed"));
            }
            let e = inbound.entry(k).or_insert(0);
            *e = e.saturating_add(u128::from(r.remaining.get()));
        }
        if self.receipts_by_pos.len() != self.receipts.len() {
            return broken("receipt index out of step".into());
        }
        for (s, st) in self.skus.iter().enumerate() {
            if st.positions.len() > self.nodes as usize {
                return broken(format!("sku#{s} has positions beyond the registered nodes"));
            }
            for (n, h) in st.positions.iter().enumerate() {
                let k = (u32::try_from(s).unwrap_or(u32::MAX), u32::try_from(n).unwrap_or(u32::MAX));
                if self.check_claims(NodeId::new(k.1), Sku::new(k.0), *h, self.allowance(k)).is_err() {
                    return broken(format!(
                        "node#{n}/sku#{s}: claims exceed on hand plus backorder allowance"
                    ));
                }
                if u128::from(h.reserved) != reserved.get(&k).copied().unwrap_or(0) {
                    return broken(format!("node#{n}/sku#{s}: reserved differs from its reservations"));
                }
                if u128::from(self.cold_of(k).inbound) != inbound.get(&k).copied().unwrap_or(0) {
                    return broken(format!("node#{n}/sku#{s}: inbound differs from its receipts"));
                }
            }
        }
        for k in reserved.keys().chain(inbound.keys()).chain(self.cold.keys()) {
            if self.skus.get(k.0 as usize).is_none_or(|st| k.1 as usize >= st.positions.len()) {
                return broken(format!("node#{}/sku#{}: balances outside the position arrays", k.1, k.0));
            }
        }
        for k in self.overrides.keys().chain(self.last_count.keys()) {
            if k.0 as usize >= self.skus.len() || k.1 >= self.nodes {
                return broken(format!(
                    "node#{}/sku#{}: policy or count of an unregistered position",
                    k.1, k.0
                ));
            }
        }
        if self.journal.iter().any(|m| m.sku as usize >= self.skus.len() || m.node >= self.nodes) {
            return broken("journal names an unregistered position".into());
        }
        if self.cold.values().any(|c| *c == Cold::default()) {
            return broken("an empty cold record is stored".into());
        }
        if !self.memo.all_rebuild() {
            return broken("a remembered event does not rebuild".into());
        }
        if self.journal.iter().zip(self.journal.iter().skip(1)).any(|(a, b)| a.at > b.at) {
            return broken("count journal out of time order".into());
        }
        Ok(())
    }
}
