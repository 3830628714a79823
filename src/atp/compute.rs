//! The per-node ATP arithmetic, shared by the from-scratch computation and
//! the incremental views.

use std::collections::BTreeMap;

use super::{AtpError, AtpPolicy, Buffer, InboundPolicy, Pool};
use crate::ledger::Ledger;
use crate::model::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};

/// What ATP needs of one ledger position: 40 bytes, stored per (SKU, node)
/// by the views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct NodeBase {
    pub(crate) on_hand: u64,
    pub(crate) reserved: u64,
    pub(crate) allocated: u64,
    /// The ledger's backorder allowance of the position.
    pub(crate) allowance: u64,
    /// Inbound units sellable within the policy's horizon as of the views' day.
    pub(crate) inbound: u64,
    /// Whether the position has any open receipt (counted or not yet).
    pub(crate) has_inbound: bool,
}

/// The arithmetic behind one node's answer, step by step.
///
/// `result = threshold(own_pool + shared)` where
/// `free = on_hand + inbound + backorder − reserved − allocated` (not below 0),
/// `after_safety = free − safety_stock` (not below 0), pools are carved
/// from `after_safety` in channel-id order (`held_for_others`, `own_pool`),
/// `shared` is the rest; a channel whose pool may not use the shared stock
/// gets no `shared` units. A percentage safety stock is of
/// `on_hand + inbound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Explain {
    /// Whether the node is eligible for the channel and method (if not, everything after is 0).
    pub eligible: bool,
    /// On hand.
    pub on_hand: Qty,
    /// Reserved (pending holds).
    pub reserved: Qty,
    /// Allocated (committed, awaiting shipment).
    pub allocated: Qty,
    /// Backorder units counted: the ledger's allowance, capped by the policy.
    pub backorder: Qty,
    /// Safety stock held back.
    pub safety_stock: Qty,
    /// Units ring-fenced for other channels.
    pub held_for_others: Qty,
    /// Units of this channel's own pool.
    pub own_pool: Qty,
    /// The shared remainder this channel may promise.
    pub shared: Qty,
    /// Counted inbound: open receipts sellable within the horizon, capped by the pre-order cap.
    pub inbound: Qty,
    /// The low-stock threshold.
    pub threshold: Qty,
    /// Whether the threshold hid the quantity.
    pub hidden_by_threshold: bool,
    /// The answer.
    pub result: Qty,
}

fn q(v: u128) -> Qty {
    // Every intermediate here is bounded by a u64 input; the caller checks the sum.
    Qty::new(u64::try_from(v).unwrap_or(u64::MAX))
}

/// One node's ATP in base units, as u128 (the sum of free stock and inbound
/// can exceed u64).
pub(crate) fn node_atp(
    policy: &AtpPolicy,
    sku: Sku,
    node: NodeId,
    channel: ChannelId,
    method: FulfilmentMethod,
    base: &NodeBase,
) -> u128 {
    node_explain(policy, sku, node, channel, method, base, true).1
}

pub(crate) fn node_explain(
    policy: &AtpPolicy,
    sku: Sku,
    node: NodeId,
    channel: ChannelId,
    method: FulfilmentMethod,
    base: &NodeBase,
    with_inbound: bool,
) -> (Explain, u128) {
    evaluate(policy, &Rules::lookup(policy, sku, node, channel, method), base, with_inbound)
}

/// The policy's answers for one (SKU, node, channel, method), looked up
/// once and evaluated against any number of positions.
pub(crate) struct Rules<'a> {
    channel: ChannelId,
    eligible: bool,
    safety: Option<Buffer>,
    threshold: Qty,
    pools: Option<&'a BTreeMap<ChannelId, Pool>>,
}

impl<'a> Rules<'a> {
    pub(crate) const fn new(
        channel: ChannelId,
        eligible: bool,
        safety: Option<Buffer>,
        threshold: Qty,
        pools: Option<&'a BTreeMap<ChannelId, Pool>>,
    ) -> Self {
        Self { channel, eligible, safety, threshold, pools }
    }

    /// Whether the channel may promise the position's shared stock (no
    /// own pool, or one that may use it).
    pub(crate) fn uses_shared(&self) -> bool {
        self.pools.and_then(|m| m.get(&self.channel)).is_none_or(|p| p.may_use_shared)
    }

    pub(crate) fn lookup(
        policy: &'a AtpPolicy,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Self {
        let eligible = policy.is_eligible(node, channel, method);
        Self {
            channel,
            eligible,
            safety: if eligible { policy.safety_stock_rule(sku, node, channel, method) } else { None },
            threshold: policy.low_stock_threshold(channel),
            pools: policy.pool_map(sku, node),
        }
    }
}

pub(crate) fn evaluate(
    policy: &AtpPolicy,
    rules: &Rules<'_>,
    base: &NodeBase,
    with_inbound: bool,
) -> (Explain, u128) {
    let mut e = Explain {
        on_hand: Qty::new(base.on_hand),
        reserved: Qty::new(base.reserved),
        allocated: Qty::new(base.allocated),
        threshold: rules.threshold,
        ..Explain::default()
    };
    if !rules.eligible {
        return (e, 0);
    }
    e.eligible = true;
    let channel = rules.channel;
    let backorder = base.allowance.min(policy.get_backorder_cap().get());
    e.backorder = Qty::new(backorder);
    let inbound = if with_inbound {
        let cap = policy.get_preorder_cap().map_or(u64::MAX, Qty::get);
        base.inbound.min(cap)
    } else {
        0
    };
    e.inbound = Qty::new(inbound);
    // Claims (reservations, allocations, backorders beyond on-hand) consume
    // counted inbound too, so receiving an expected unit never lowers ATP.
    let claims = u128::from(base.reserved).saturating_add(u128::from(base.allocated));
    let supply =
        u128::from(base.on_hand).saturating_add(u128::from(backorder)).saturating_add(u128::from(inbound));
    let free = supply.saturating_sub(claims);
    let basis = base.on_hand.saturating_add(inbound);
    let safety = rules.safety.map_or(0, |b| u128::from(b.of(Qty::new(basis)).get()));
    e.safety_stock = q(safety.min(free));
    let mut rest = free.saturating_sub(safety);
    let mut own: Option<(u128, bool)> = None;
    let mut others = 0_u128;
    for (c, pool) in rules.pools.into_iter().flatten() {
        let carve = u128::from(pool.qty.get()).min(rest);
        rest = rest.saturating_sub(carve);
        if *c == channel {
            own = Some((carve, pool.may_use_shared));
        } else {
            others = others.saturating_add(carve);
        }
    }
    e.held_for_others = q(others);
    let (own_units, uses_shared) = own.unwrap_or((0, true));
    e.own_pool = q(own_units);
    let shared = if uses_shared { rest } else { 0 };
    e.shared = q(shared);
    let total = own_units.saturating_add(shared);
    let result = if total < u128::from(e.threshold.get()) {
        e.hidden_by_threshold = true;
        0
    } else {
        total
    };
    e.result = q(result);
    (e, result)
}

/// The inbound units of a position sellable within the policy's horizon as
/// of `today`.
pub(crate) fn counted_inbound(
    policy: &AtpPolicy,
    ledger: &Ledger,
    node: NodeId,
    sku: Sku,
    today: i64,
) -> u64 {
    match policy.get_inbound() {
        InboundPolicy::Ignore => 0,
        InboundPolicy::Within { horizon_days, lead_time_days } => {
            let last = today.saturating_add(horizon_days);
            ledger
                .inbound(node, sku)
                .filter(|(_, r)| r.eta.day_index().saturating_add(lead_time_days) <= last)
                .fold(0_u64, |acc, (_, r)| acc.saturating_add(r.remaining.get()))
        }
    }
}

pub(crate) fn base_of(
    policy: &AtpPolicy,
    ledger: &Ledger,
    node: NodeId,
    sku: Sku,
    today: i64,
) -> Result<NodeBase, AtpError> {
    let p = ledger.position(node, sku)?;
    Ok(NodeBase {
        on_hand: p.on_hand.get(),
        reserved: p.reserved.get(),
        allocated: p.allocated.get(),
        allowance: p.backorder_allowance.get(),
        inbound: counted_inbound(policy, ledger, node, sku, today),
        has_inbound: p.inbound.get() > 0,
    })
}

pub(crate) fn to_qty(v: u128, what: &'static str) -> Result<Qty, AtpError> {
    u64::try_from(v).map(Qty::new).map_err(|_| AtpError::Overflow { what })
}

pub(crate) fn check_ids(
    ledger: &Ledger,
    policy: &AtpPolicy,
    sku: Sku,
    channel: ChannelId,
) -> Result<(), AtpError> {
    policy.check_channel(channel)?;
    if sku.get() >= ledger.sku_count() {
        return Err(AtpError::UnknownSku { sku });
    }
    Ok(())
}

/// Network ATP of `sku` for `channel` and `method`, computed from scratch
/// from the ledger: the sum over the ledger's nodes of each node's ATP (see
/// [`AtpPolicy`] and [`Explain`]). Inbound horizons are measured from `now`'s day.
///
/// [`AtpViews`](crate::atp::AtpViews) answers the same question in O(1);
/// this is the reference it is tested against, and the way to ask without
/// keeping views.
///
/// # Errors
///
/// [`AtpError::UnknownChannel`], [`AtpError::UnknownSku`],
/// [`AtpError::Overflow`] when the total does not fit in a [`Qty`].
///
/// # Complexity
///
/// O(nodes × (log rules + pools + receipts at the node)).
///
/// ```
/// use omniroute::atp::{available_to_promise, AtpPolicy, Buffer, Scope};
/// use omniroute::ledger::Ledger;
/// use omniroute::{ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};
/// let mut l = Ledger::new();
/// let t = Timestamp::EPOCH;
/// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 2, skus: 1 }), t)?;
/// for (id, n) in [(2, 0), (3, 1)] {
///     l.apply(&Command::new(EntryId::new(id)?, CommandKind::Receive { node: NodeId::new(n), sku: Sku::new(0), qty: Qty::new(10), inbound: None }), t)?;
/// }
/// let mut p = AtpPolicy::new(1)?;
/// p.set_safety_stock(Scope::global(), Buffer::units(2)?)?;
/// let atp = available_to_promise(&p, &l, Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship, t)?;
/// assert_eq!(atp, Qty::new(16));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn available_to_promise(
    policy: &AtpPolicy,
    ledger: &Ledger,
    sku: Sku,
    channel: ChannelId,
    method: FulfilmentMethod,
    now: Timestamp,
) -> Result<Qty, AtpError> {
    check_ids(ledger, policy, sku, channel)?;
    let today = now.day_index();
    let mut total = 0_u128;
    for n in 0..ledger.node_count() {
        let node = NodeId::new(n);
        let base = base_of(policy, ledger, node, sku, today)?;
        total = total.saturating_add(node_atp(policy, sku, node, channel, method, &base));
    }
    to_qty(total, "network total")
}
