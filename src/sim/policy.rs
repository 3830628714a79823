//! The scenario's ATP policy: what each channel may promise where.

use super::SimError;
use super::rng::Rng;
use super::scenario::{CHANNELS, Scenario};
use crate::atp::{AtpPolicy, Buffer, Scope};
use crate::model::{ChannelId, FulfilmentMethod, NodeKind, Qty};

/// The channel whose ring-fenced pools the generated policy holds
/// (`marketplace` in [`CHANNELS`]).
pub const MARKETPLACE: ChannelId = ChannelId::new(2);

/// The most popular SKUs that get a marketplace pool at each warehouse.
const POOLED_SKUS: usize = 50;

/// The random stream of the policy (separate from the generator's, so the
/// scenario itself does not change).
const POLICY_STREAM: u64 = 5;

impl Scenario {
    /// The ATP policy the scenario's orders are promised under, derived from
    /// the scenario and its seed (the same seed gives the same policy):
    ///
    /// - channels: the four of [`CHANNELS`];
    /// - safety stock: 1 unit at every store, kept for walk-in shoppers (no
    ///   buffer at warehouses, dark stores or vendors);
    /// - a ring-fenced pool for the `marketplace` channel ([`MARKETPLACE`])
    ///   at every warehouse for the 50 most popular SKUs (fewer when more
    ///   than 81 warehouses would exceed [`AtpPolicy::MAX_RULES`]), of 1–3
    ///   units drawn from the seed; the marketplace may also use the shared
    ///   stock, the other channels may not touch the pool;
    /// - store pickup only at stores;
    /// - same day only at stores and dark stores.
    ///
    /// # Errors
    ///
    /// [`SimError::Atp`] if the policy rejects a rule (not reachable with
    /// valid parameters).
    ///
    /// ```
    /// use omniroute::sim::{MARKETPLACE, Scenario, ScenarioParams};
    /// use omniroute::{FulfilmentMethod, NodeId, Sku};
    /// let s = Scenario::generate(&ScenarioParams::new().orders(10).skus(50).stores(3))?;
    /// let p = s.atp_policy()?;
    /// assert_eq!(p.channels(), 4);
    /// // Node 0 is a warehouse: no pickups there, and a marketplace pool for the top SKU.
    /// assert!(!p.is_eligible(NodeId::new(0), MARKETPLACE, FulfilmentMethod::StorePickup));
    /// assert_eq!(p.pools(Sku::new(0), NodeId::new(0)).count(), 1);
    /// # Ok::<(), omniroute::sim::SimError>(())
    /// ```
    pub fn atp_policy(&self) -> Result<AtpPolicy, SimError> {
        let channels = u32::try_from(CHANNELS.len()).map_err(|_| SimError::Overflow { what: "channels" })?;
        let mut p = AtpPolicy::new(channels)?;
        let mut rng = Rng::new(self.params().seed, POLICY_STREAM);
        let warehouses = self.nodes().iter().filter(|n| n.node.kind == NodeKind::Warehouse).count();
        let pooled = POOLED_SKUS
            .min(self.products().len())
            .min(AtpPolicy::MAX_RULES.checked_div(warehouses).unwrap_or(0));
        for n in self.nodes() {
            let id = n.node.id;
            match n.node.kind {
                NodeKind::Warehouse => {
                    for product in self.products().iter().take(pooled) {
                        let qty = Qty::new(rng.between(1, 3));
                        p.set_pool(product.sku, id, MARKETPLACE, qty, true)?;
                    }
                    p.set_method_eligible(FulfilmentMethod::StorePickup, id, false)?;
                    p.set_method_eligible(FulfilmentMethod::SameDay, id, false)?;
                }
                NodeKind::Store => {
                    p.set_safety_stock(Scope::global().node(id), Buffer::Units(Qty::new(1)))?;
                }
                NodeKind::DarkStore => {
                    p.set_method_eligible(FulfilmentMethod::StorePickup, id, false)?;
                }
                _ => {
                    p.set_method_eligible(FulfilmentMethod::StorePickup, id, false)?;
                    p.set_method_eligible(FulfilmentMethod::SameDay, id, false)?;
                }
            }
        }
        Ok(p)
    }
}
