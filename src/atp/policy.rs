//! The ATP policy: safety stock, thresholds, channel pools, eligibility,
//! backorder and pre-order caps, inbound supply.

use std::collections::{BTreeMap, BTreeSet};

use super::AtpError;
use crate::ledger::Ledger;
use crate::model::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku};

/// Every fulfilment method, in the order ATP stores them.
pub(crate) const METHODS: [FulfilmentMethod; 5] = [
    FulfilmentMethod::Ship,
    FulfilmentMethod::StorePickup,
    FulfilmentMethod::SameDay,
    FulfilmentMethod::ShipFromStore,
    FulfilmentMethod::DropShip,
];

/// The dense index of a fulfilment method (0..5).
pub(crate) const fn method_index(m: FulfilmentMethod) -> usize {
    match m {
        FulfilmentMethod::Ship => 0,
        FulfilmentMethod::StorePickup => 1,
        FulfilmentMethod::SameDay => 2,
        FulfilmentMethod::ShipFromStore => 3,
        FulfilmentMethod::DropShip => 4,
    }
}

/// A safety-stock buffer: units held back from promising.
///
/// A percentage is of the position's on-hand units and **rounds up**
/// (`ceil(on_hand × bp / 10,000)`), so ATP never over-promises because of
/// rounding.
///
/// ```
/// use omniroute::atp::Buffer;
/// use omniroute::Qty;
/// assert_eq!(Buffer::units(3)?.of(Qty::new(100)), Qty::new(3));
/// assert_eq!(Buffer::percent_bp(1_000)?.of(Qty::new(15)), Qty::new(2)); // 10 % of 15 = 1.5 → 2
/// # Ok::<(), omniroute::atp::AtpError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "BufferRepr", into = "BufferRepr"))]
pub enum Buffer {
    /// A fixed number of units.
    Units(Qty),
    /// A share of on-hand in basis points (1/100 of a percent), 0..=10,000.
    PercentBp(u16),
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum BufferRepr {
    Units(i64),
    PercentBp(i64),
}

#[cfg(feature = "serde")]
impl TryFrom<BufferRepr> for Buffer {
    type Error = AtpError;
    fn try_from(r: BufferRepr) -> Result<Self, AtpError> {
        match r {
            BufferRepr::Units(u) => Self::units(u),
            BufferRepr::PercentBp(b) => Self::percent_bp(b),
        }
    }
}

#[cfg(feature = "serde")]
impl From<Buffer> for BufferRepr {
    fn from(b: Buffer) -> Self {
        match b {
            Buffer::Units(q) => Self::Units(i64::try_from(q.get()).unwrap_or(i64::MAX)),
            Buffer::PercentBp(bp) => Self::PercentBp(i64::from(bp)),
        }
    }
}

impl Buffer {
    /// A fixed buffer of `units`.
    ///
    /// # Errors
    ///
    /// [`AtpError::NegativeBuffer`] when `units < 0`.
    pub fn units(units: i64) -> Result<Self, AtpError> {
        u64::try_from(units)
            .map(|u| Self::Units(Qty::new(u)))
            .map_err(|_| AtpError::NegativeBuffer { value: units })
    }

    /// A percentage buffer in basis points (`1_000` = 10 %).
    ///
    /// # Errors
    ///
    /// [`AtpError::NegativeBuffer`] when negative, [`AtpError::PercentOutOfRange`] above 10,000.
    pub fn percent_bp(basis_points: i64) -> Result<Self, AtpError> {
        if basis_points < 0 {
            return Err(AtpError::NegativeBuffer { value: basis_points });
        }
        match u16::try_from(basis_points) {
            Ok(bp) if bp <= 10_000 => Ok(Self::PercentBp(bp)),
            _ => Err(AtpError::PercentOutOfRange { basis_points }),
        }
    }

    /// The units this buffer holds back from `on_hand` (percentages round up).
    #[must_use]
    pub fn of(self, on_hand: Qty) -> Qty {
        match self {
            Self::Units(q) => q,
            Self::PercentBp(bp) => {
                let num = u128::from(on_hand.get()).saturating_mul(u128::from(bp));
                let units = num.div_ceil(10_000);
                Qty::new(u64::try_from(units).unwrap_or(u64::MAX))
            }
        }
    }
}

/// Where a safety-stock rule applies: each `Some` field must match.
///
/// The most specific matching rule wins: the one with the most fields set;
/// among equally specific rules, the first in the order SKU, node, channel,
/// method decides (a rule naming the SKU beats one naming the node, and so
/// on). A rule with no fields is the global default.
///
/// ```
/// use omniroute::atp::Scope;
/// use omniroute::Sku;
/// let s = Scope::global().sku(Sku::new(3));
/// assert_eq!(s.specificity(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scope {
    sku: Option<Sku>,
    node: Option<NodeId>,
    channel: Option<ChannelId>,
    method: Option<FulfilmentMethod>,
}

impl Scope {
    /// Matches everything.
    #[must_use]
    pub const fn global() -> Self {
        Self { sku: None, node: None, channel: None, method: None }
    }
    /// Restricts to one SKU.
    #[must_use]
    pub const fn sku(mut self, sku: Sku) -> Self {
        self.sku = Some(sku);
        self
    }
    /// Restricts to one node.
    #[must_use]
    pub const fn node(mut self, node: NodeId) -> Self {
        self.node = Some(node);
        self
    }
    /// Restricts to one channel.
    #[must_use]
    pub const fn channel(mut self, channel: ChannelId) -> Self {
        self.channel = Some(channel);
        self
    }
    /// Restricts to one fulfilment method.
    #[must_use]
    pub const fn method(mut self, method: FulfilmentMethod) -> Self {
        self.method = Some(method);
        self
    }
    /// Number of fields set (0 = global).
    #[must_use]
    pub fn specificity(self) -> u32 {
        [self.sku.is_some(), self.node.is_some(), self.channel.is_some(), self.method.is_some()]
            .into_iter()
            .map(u32::from)
            .sum()
    }
}

/// The 16 ways to generalise a concrete (SKU, node, channel, method), most
/// specific first; bits: 8 = SKU, 4 = node, 2 = channel, 1 = method.
const LOOKUP_ORDER: [u8; 16] = [15, 14, 13, 11, 7, 12, 10, 9, 6, 5, 3, 8, 4, 2, 1, 0];

/// Whether and how inbound supply (open receipts and transfers in transit)
/// counts towards ATP.
///
/// ```
/// use omniroute::atp::InboundPolicy;
/// assert_eq!(InboundPolicy::default(), InboundPolicy::Ignore);
/// let p = InboundPolicy::within(14, 1)?;
/// assert!(matches!(p, InboundPolicy::Within { .. }));
/// # Ok::<(), omniroute::atp::AtpError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum InboundPolicy {
    /// Only stock on hand counts.
    #[default]
    Ignore,
    /// A receipt counts when it is sellable — its ETA plus `lead_time_days`
    /// (receiving and put-away) — on or before the day `horizon_days` after
    /// today.
    Within {
        /// How far ahead supply counts, in days.
        horizon_days: i64,
        /// Days between arrival and being sellable.
        lead_time_days: i64,
    },
}

impl InboundPolicy {
    /// Inbound counts within `horizon_days`, sellable `lead_time_days` after its ETA.
    ///
    /// # Errors
    ///
    /// [`AtpError::HorizonOutOfRange`] when either is negative or above
    /// [`AtpPolicy::MAX_HORIZON_DAYS`].
    pub fn within(horizon_days: i64, lead_time_days: i64) -> Result<Self, AtpError> {
        for days in [horizon_days, lead_time_days] {
            if !(0..=AtpPolicy::MAX_HORIZON_DAYS).contains(&days) {
                return Err(AtpError::HorizonOutOfRange { days, max: AtpPolicy::MAX_HORIZON_DAYS });
            }
        }
        Ok(Self::Within { horizon_days, lead_time_days })
    }
}

/// A ring-fenced quantity of a SKU at a node, held for one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pool {
    /// Units held for the channel (a pool larger than the stock is legal:
    /// it takes what there is).
    pub qty: Qty,
    /// Whether the channel may also draw on the shared (unfenced) stock.
    pub may_use_shared: bool,
}

/// How ATP turns ledger positions into promisable quantities.
///
/// Per node, for SKU `s`, channel `c`, method `m` (see the module docs for
/// the whole formula): free = on-hand + counted backorder allowance −
/// reserved − allocated; minus the safety stock of the most specific
/// [`Scope`]; the rest is split into ring-fenced channel [`Pool`]s (in
/// channel-id order) and the shared remainder; eligible inbound joins the
/// shared part; a result below the low-stock threshold shows as 0; nodes not
/// eligible for `c` or `m` give 0.
///
/// Channels are a bounded registry `0..channels`; nodes and SKUs are those of
/// the ledger (checked when queried).
///
/// ```
/// use omniroute::atp::{AtpPolicy, Buffer, Scope};
/// use omniroute::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku};
/// let mut p = AtpPolicy::new(2)?;
/// p.set_safety_stock(Scope::global(), Buffer::units(2)?)?;
/// p.set_safety_stock(Scope::global().sku(Sku::new(1)), Buffer::percent_bp(500)?)?;
/// p.set_low_stock_threshold(None, Qty::new(3))?;
/// p.set_pool(Sku::new(0), NodeId::new(0), ChannelId::new(1), Qty::new(5), false)?;
/// p.set_method_eligible(FulfilmentMethod::StorePickup, NodeId::new(0), false)?;
/// # Ok::<(), omniroute::atp::AtpError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PolicyRepr", into = "PolicyRepr"))]
pub struct AtpPolicy {
    channels: u32,
    safety: BTreeMap<Scope, Buffer>,
    /// Threshold per channel (`None` key = every channel without its own).
    threshold: BTreeMap<Option<ChannelId>, Qty>,
    /// (sku, node) → pools by channel.
    pools: BTreeMap<(Sku, NodeId), BTreeMap<ChannelId, Pool>>,
    channel_excluded: BTreeSet<(ChannelId, NodeId)>,
    method_excluded: BTreeSet<(FulfilmentMethod, NodeId)>,
    backorder_cap: Qty,
    preorder_cap: Option<Qty>,
    inbound: InboundPolicy,
    /// Bit `b` set when some safety-stock rule has shape `b` (see
    /// `LOOKUP_ORDER`): a lookup probes only shapes that exist. Derived
    /// from `safety`, so equality and serialisation stay consistent.
    #[cfg_attr(feature = "serde", serde(skip))]
    shapes: u16,
}

fn shape(scope: Scope) -> u8 {
    (u8::from(scope.sku.is_some()) << 3)
        | (u8::from(scope.node.is_some()) << 2)
        | (u8::from(scope.channel.is_some()) << 1)
        | u8::from(scope.method.is_some())
}

impl AtpPolicy {
    /// The most channels a policy can register.
    pub const MAX_CHANNELS: u32 = 1 << 10;
    /// The most entries in each policy table (safety stock, pools, exclusions).
    pub const MAX_RULES: usize = 4096;
    /// The longest inbound horizon and lead time, in days (ten years).
    pub const MAX_HORIZON_DAYS: i64 = 3_660;

    /// A policy for channels `0..channels` with no safety stock, no
    /// threshold, no pools, every node eligible, backorders and inbound not
    /// counted.
    ///
    /// # Errors
    ///
    /// [`AtpError::TooManyChannels`] above [`Self::MAX_CHANNELS`].
    ///
    /// ```
    /// let p = omniroute::atp::AtpPolicy::new(3)?;
    /// assert_eq!(p.channels(), 3);
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn new(channels: u32) -> Result<Self, AtpError> {
        if channels > Self::MAX_CHANNELS {
            return Err(AtpError::TooManyChannels { channels, max: Self::MAX_CHANNELS });
        }
        Ok(Self { channels, ..Self::default() })
    }

    /// Registered channels (ids `0..channels()`).
    #[must_use]
    pub const fn channels(&self) -> u32 {
        self.channels
    }

    pub(crate) fn check_channel(&self, channel: ChannelId) -> Result<(), AtpError> {
        if channel.get() < self.channels {
            Ok(())
        } else {
            Err(AtpError::UnknownChannel { channel, channels: self.channels })
        }
    }

    fn check_node(node: NodeId) -> Result<(), AtpError> {
        if node.get() < Ledger::MAX_NODES { Ok(()) } else { Err(AtpError::UnknownNode { node }) }
    }

    fn check_sku(sku: Sku) -> Result<(), AtpError> {
        if sku.get() < Ledger::MAX_SKUS { Ok(()) } else { Err(AtpError::UnknownSku { sku }) }
    }

    fn check_scope(&self, scope: Scope) -> Result<(), AtpError> {
        if let Some(c) = scope.channel {
            self.check_channel(c)?;
        }
        if let Some(n) = scope.node {
            Self::check_node(n)?;
        }
        if let Some(s) = scope.sku {
            Self::check_sku(s)?;
        }
        Ok(())
    }

    fn room<K: Ord, V>(map: &BTreeMap<K, V>, key: &K) -> Result<(), AtpError> {
        if map.contains_key(key) || map.len() < Self::MAX_RULES {
            Ok(())
        } else {
            Err(AtpError::TooManyRules { max: Self::MAX_RULES })
        }
    }

    /// Sets the safety stock for a scope (replacing any rule for the same scope).
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`], [`AtpError::UnknownNode`] or
    /// [`AtpError::UnknownSku`] beyond the registries' limits,
    /// [`AtpError::TooManyRules`].
    ///
    /// ```
    /// use omniroute::atp::{AtpPolicy, Buffer, Scope};
    /// use omniroute::{FulfilmentMethod, Qty, Sku};
    /// let mut p = AtpPolicy::new(1)?;
    /// p.set_safety_stock(Scope::global().method(FulfilmentMethod::SameDay), Buffer::units(1)?)?;
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn set_safety_stock(&mut self, scope: Scope, buffer: Buffer) -> Result<(), AtpError> {
        self.check_scope(scope)?;
        Self::room(&self.safety, &scope)?;
        self.safety.insert(scope, buffer);
        self.shapes |= 1 << shape(scope);
        Ok(())
    }

    /// Removes the safety-stock rule of exactly this scope; returns it.
    ///
    /// ```
    /// use omniroute::atp::{AtpPolicy, Buffer, Scope};
    /// let mut p = AtpPolicy::new(1)?;
    /// p.set_safety_stock(Scope::global(), Buffer::units(1)?)?;
    /// assert_eq!(p.clear_safety_stock(Scope::global()), Some(Buffer::units(1)?));
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn clear_safety_stock(&mut self, scope: Scope) -> Option<Buffer> {
        let old = self.safety.remove(&scope);
        self.shapes = self.safety.keys().fold(0, |m, s| m | (1 << shape(*s)));
        old
    }

    /// The safety stock that applies to a concrete (SKU, node, channel,
    /// method), or `None` when no rule matches.
    ///
    /// # Complexity
    ///
    /// Up to 16 map lookups, O(log R) each for R rules.
    #[must_use]
    pub fn safety_stock_rule(
        &self,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Option<Buffer> {
        if self.shapes == 0 {
            return None;
        }
        LOOKUP_ORDER
            .iter()
            .filter(|bits| self.shapes & (1 << **bits) != 0)
            .find_map(|bits| self.safety_of_shape(*bits, sku, node, channel, method))
    }

    /// Bit `b` set when some safety-stock rule has shape `b` (bit 3: SKU,
    /// 2: node, 1: channel, 0: method).
    pub(crate) const fn safety_shapes(&self) -> u16 {
        self.shapes
    }

    /// The rule whose scope names exactly the parts of (SKU, node, channel,
    /// method) that `shape` selects, if any.
    pub(crate) fn safety_of_shape(
        &self,
        shape: u8,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Option<Buffer> {
        let scope = Scope {
            sku: (shape & 8 != 0).then_some(sku),
            node: (shape & 4 != 0).then_some(node),
            channel: (shape & 2 != 0).then_some(channel),
            method: (shape & 1 != 0).then_some(method),
        };
        self.safety.get(&scope).copied()
    }

    /// Sets the low-stock threshold of one channel (`Some`) or of every
    /// channel without its own (`None`): a node's ATP below it shows as 0.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`].
    ///
    /// ```
    /// use omniroute::atp::AtpPolicy;
    /// use omniroute::{ChannelId, Qty};
    /// let mut p = AtpPolicy::new(2)?;
    /// p.set_low_stock_threshold(Some(ChannelId::new(1)), Qty::new(5))?;
    /// assert_eq!(p.low_stock_threshold(ChannelId::new(1)), Qty::new(5));
    /// assert_eq!(p.low_stock_threshold(ChannelId::new(0)), Qty::ZERO);
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn set_low_stock_threshold(
        &mut self,
        channel: Option<ChannelId>,
        threshold: Qty,
    ) -> Result<(), AtpError> {
        if let Some(c) = channel {
            self.check_channel(c)?;
        }
        self.threshold.insert(channel, threshold);
        Ok(())
    }

    /// The low-stock threshold that applies to a channel.
    #[must_use]
    pub fn low_stock_threshold(&self, channel: ChannelId) -> Qty {
        if self.threshold.is_empty() {
            return Qty::ZERO;
        }
        self.threshold.get(&Some(channel)).or_else(|| self.threshold.get(&None)).copied().unwrap_or(Qty::ZERO)
    }

    /// Ring-fences `qty` of `sku` at `node` for `channel`; other channels may
    /// not promise these units. `may_use_shared` says whether `channel` may
    /// also promise the shared remainder. A zero `qty` removes the pool.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`], [`AtpError::UnknownNode`],
    /// [`AtpError::UnknownSku`], [`AtpError::TooManyRules`].
    ///
    /// ```
    /// use omniroute::atp::AtpPolicy;
    /// use omniroute::{ChannelId, NodeId, Qty, Sku};
    /// let mut p = AtpPolicy::new(2)?;
    /// p.set_pool(Sku::new(0), NodeId::new(0), ChannelId::new(1), Qty::new(1_000_000), true)?; // larger than stock: legal
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn set_pool(
        &mut self,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        qty: Qty,
        may_use_shared: bool,
    ) -> Result<(), AtpError> {
        self.check_channel(channel)?;
        Self::check_node(node)?;
        Self::check_sku(sku)?;
        if qty.is_zero() {
            if let Some(m) = self.pools.get_mut(&(sku, node)) {
                m.remove(&channel);
                if m.is_empty() {
                    self.pools.remove(&(sku, node));
                }
            }
            return Ok(());
        }
        let count: usize = self.pools.values().map(BTreeMap::len).sum();
        let exists = self.pools.get(&(sku, node)).is_some_and(|m| m.contains_key(&channel));
        if !exists && count >= Self::MAX_RULES {
            return Err(AtpError::TooManyRules { max: Self::MAX_RULES });
        }
        self.pools.entry((sku, node)).or_default().insert(channel, Pool { qty, may_use_shared });
        Ok(())
    }

    pub(crate) fn pool_map(&self, sku: Sku, node: NodeId) -> Option<&BTreeMap<ChannelId, Pool>> {
        if self.pools.is_empty() { None } else { self.pools.get(&(sku, node)) }
    }

    /// The pools of a position, by channel.
    pub fn pools(&self, sku: Sku, node: NodeId) -> impl Iterator<Item = (ChannelId, Pool)> + '_ {
        self.pools.get(&(sku, node)).into_iter().flat_map(|m| m.iter().map(|(c, p)| (*c, *p)))
    }

    /// Makes `node` eligible (the default) or not for `channel`.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`], [`AtpError::UnknownNode`], [`AtpError::TooManyRules`].
    ///
    /// ```
    /// use omniroute::atp::AtpPolicy;
    /// use omniroute::{ChannelId, FulfilmentMethod, NodeId};
    /// let mut p = AtpPolicy::new(1)?;
    /// p.set_channel_eligible(ChannelId::new(0), NodeId::new(2), false)?;
    /// assert!(!p.is_eligible(NodeId::new(2), ChannelId::new(0), FulfilmentMethod::Ship));
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn set_channel_eligible(
        &mut self,
        channel: ChannelId,
        node: NodeId,
        eligible: bool,
    ) -> Result<(), AtpError> {
        self.check_channel(channel)?;
        Self::check_node(node)?;
        Self::set_flag(&mut self.channel_excluded, (channel, node), eligible)
    }

    /// Makes `node` eligible (the default) or not for a fulfilment method
    /// (a warehouse offers no store pickup; only dark stores do same day).
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownNode`], [`AtpError::TooManyRules`].
    ///
    /// ```
    /// use omniroute::atp::AtpPolicy;
    /// use omniroute::{FulfilmentMethod, NodeId};
    /// let mut p = AtpPolicy::new(1)?;
    /// p.set_method_eligible(FulfilmentMethod::StorePickup, NodeId::new(0), false)?;
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    pub fn set_method_eligible(
        &mut self,
        method: FulfilmentMethod,
        node: NodeId,
        eligible: bool,
    ) -> Result<(), AtpError> {
        Self::check_node(node)?;
        Self::set_flag(&mut self.method_excluded, (method, node), eligible)
    }

    fn set_flag<K: Ord>(set: &mut BTreeSet<K>, key: K, eligible: bool) -> Result<(), AtpError> {
        if eligible {
            set.remove(&key);
        } else {
            if !set.contains(&key) && set.len() >= Self::MAX_RULES {
                return Err(AtpError::TooManyRules { max: Self::MAX_RULES });
            }
            set.insert(key);
        }
        Ok(())
    }

    /// Whether `node` may fulfil for `channel` by `method`.
    #[must_use]
    pub fn is_eligible(&self, node: NodeId, channel: ChannelId, method: FulfilmentMethod) -> bool {
        self.channel_eligible(channel, node) && self.method_eligible(method, node)
    }

    pub(crate) fn channel_eligible(&self, channel: ChannelId, node: NodeId) -> bool {
        self.channel_excluded.is_empty() || !self.channel_excluded.contains(&(channel, node))
    }

    pub(crate) fn method_eligible(&self, method: FulfilmentMethod, node: NodeId) -> bool {
        self.method_excluded.is_empty() || !self.method_excluded.contains(&(method, node))
    }

    /// Caps the backorder allowance ATP may promise per position: the
    /// ledger's allowance ([`BackorderPolicy`](crate::BackorderPolicy)) counts
    /// up to this many units. The default, zero, promises no backorders.
    ///
    /// ```
    /// use omniroute::atp::AtpPolicy;
    /// use omniroute::Qty;
    /// let p = AtpPolicy::new(1)?.backorder_cap(Qty::new(10));
    /// assert_eq!(p.get_backorder_cap(), Qty::new(10));
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    #[must_use]
    pub const fn backorder_cap(mut self, cap: Qty) -> Self {
        self.backorder_cap = cap;
        self
    }

    /// The backorder cap.
    #[must_use]
    pub const fn get_backorder_cap(&self) -> Qty {
        self.backorder_cap
    }

    /// Caps the inbound units ATP may promise per position (pre-orders).
    /// `None` (the default) leaves counted inbound uncapped.
    ///
    /// ```
    /// use omniroute::atp::AtpPolicy;
    /// use omniroute::Qty;
    /// let p = AtpPolicy::new(1)?.preorder_cap(Some(Qty::new(50)));
    /// assert_eq!(p.get_preorder_cap(), Some(Qty::new(50)));
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    #[must_use]
    pub const fn preorder_cap(mut self, cap: Option<Qty>) -> Self {
        self.preorder_cap = cap;
        self
    }

    /// The pre-order cap.
    #[must_use]
    pub const fn get_preorder_cap(&self) -> Option<Qty> {
        self.preorder_cap
    }

    /// Whether and how inbound supply counts.
    ///
    /// ```
    /// use omniroute::atp::{AtpPolicy, InboundPolicy};
    /// let p = AtpPolicy::new(1)?.inbound(InboundPolicy::within(7, 1)?);
    /// assert!(matches!(p.get_inbound(), InboundPolicy::Within { horizon_days: 7, .. }));
    /// # Ok::<(), omniroute::atp::AtpError>(())
    /// ```
    #[must_use]
    pub const fn inbound(mut self, inbound: InboundPolicy) -> Self {
        self.inbound = inbound;
        self
    }

    /// The inbound policy.
    #[must_use]
    pub const fn get_inbound(&self) -> InboundPolicy {
        self.inbound
    }
}

/// The wire form of [`AtpPolicy`]: tables as lists, rebuilt through the
/// validating setters on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct PolicyRepr {
    channels: u32,
    safety_stock: Vec<(Scope, Buffer)>,
    thresholds: Vec<(Option<ChannelId>, Qty)>,
    pools: Vec<(Sku, NodeId, ChannelId, Pool)>,
    channel_excluded: Vec<(ChannelId, NodeId)>,
    method_excluded: Vec<(FulfilmentMethod, NodeId)>,
    backorder_cap: Qty,
    preorder_cap: Option<Qty>,
    inbound: InboundPolicy,
}

#[cfg(feature = "serde")]
impl From<AtpPolicy> for PolicyRepr {
    fn from(p: AtpPolicy) -> Self {
        Self {
            channels: p.channels,
            safety_stock: p.safety.into_iter().collect(),
            thresholds: p.threshold.into_iter().collect(),
            pools: p
                .pools
                .into_iter()
                .flat_map(|((s, n), m)| m.into_iter().map(move |(c, pool)| (s, n, c, pool)))
                .collect(),
            channel_excluded: p.channel_excluded.into_iter().collect(),
            method_excluded: p.method_excluded.into_iter().collect(),
            backorder_cap: p.backorder_cap,
            preorder_cap: p.preorder_cap,
            inbound: p.inbound,
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<PolicyRepr> for AtpPolicy {
    type Error = AtpError;
    fn try_from(r: PolicyRepr) -> Result<Self, AtpError> {
        let inbound = match r.inbound {
            InboundPolicy::Ignore => InboundPolicy::Ignore,
            InboundPolicy::Within { horizon_days, lead_time_days } => {
                InboundPolicy::within(horizon_days, lead_time_days)?
            }
        };
        let mut p = Self::new(r.channels)?
            .backorder_cap(r.backorder_cap)
            .preorder_cap(r.preorder_cap)
            .inbound(inbound);
        for (scope, buffer) in r.safety_stock {
            let buffer = match buffer {
                Buffer::Units(q) => Buffer::Units(q),
                Buffer::PercentBp(bp) => Buffer::percent_bp(i64::from(bp))?,
            };
            p.set_safety_stock(scope, buffer)?;
        }
        for (c, t) in r.thresholds {
            p.set_low_stock_threshold(c, t)?;
        }
        for (s, n, c, pool) in r.pools {
            p.set_pool(s, n, c, pool.qty, pool.may_use_shared)?;
        }
        for (c, n) in r.channel_excluded {
            p.set_channel_eligible(c, n, false)?;
        }
        for (m, n) in r.method_excluded {
            p.set_method_eligible(m, n, false)?;
        }
        Ok(p)
    }
}
