//! The policy's rules resolved once per views, so refreshing a position
//! costs array reads rather than map lookups per (channel, method).

use super::compute::Rules;
use super::policy::{METHODS, method_index};
use super::{AtpPolicy, Buffer};
use crate::model::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku};

const M: usize = METHODS.len();
/// Shapes (see `AtpPolicy::safety_shapes`) naming neither SKU nor node.
const GENERIC: u16 = 0xF;
/// Shapes naming SKU and/or node but neither channel nor method: SKU × node
/// (12), SKU (8), node (4).
const POSITION: u16 = (1 << 12) | (1 << 8) | (1 << 4);

/// How safety stock is resolved, from the shapes of rules the policy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only rules by channel and/or method: one table read.
    Generic,
    /// Also rules by SKU and/or node alone: three lookups per position,
    /// then table reads.
    PerPosition,
    /// Rules combining SKU or node with channel or method: the policy's
    /// own lookup per (channel, method).
    Full,
}

/// Thresholds per channel and the channel/method part of safety stock per
/// (channel, method), precomputed from an immutable policy.
#[derive(Debug, Clone)]
pub(crate) struct RuleTable {
    mode: Mode,
    thresholds: Vec<Qty>,
    /// Per (channel, method): the channel × method rule (shape 3), and the
    /// first of the channel (2), method (1) and global (0) rules. Lookup
    /// order puts SKU × node before shape 3, and SKU, node between 3 and 2.
    generic: Vec<(Option<Buffer>, Option<Buffer>)>,
}

/// The SKU × node, SKU and node safety rules of one position.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PositionRules {
    sku_node: Option<Buffer>,
    sku: Option<Buffer>,
    node: Option<Buffer>,
}

impl RuleTable {
    /// # Complexity
    ///
    /// O(channels × 5 × log rules).
    pub(crate) fn new(policy: &AtpPolicy) -> Self {
        let shapes = policy.safety_shapes();
        let mode = if shapes & !GENERIC == 0 {
            Mode::Generic
        } else if shapes & !(GENERIC | POSITION) == 0 {
            Mode::PerPosition
        } else {
            Mode::Full
        };
        let channels = policy.channels();
        let thresholds = (0..channels).map(|c| policy.low_stock_threshold(ChannelId::new(c))).collect();
        let mut generic = Vec::with_capacity((channels as usize).saturating_mul(M));
        let (sku, node) = (Sku::new(0), NodeId::new(0));
        for c in 0..channels {
            let channel = ChannelId::new(c);
            for method in METHODS {
                let rule = |shape: u8| {
                    if shapes & (1 << shape) == 0 {
                        None
                    } else {
                        policy.safety_of_shape(shape, sku, node, channel, method)
                    }
                };
                generic.push((rule(3), rule(2).or_else(|| rule(1)).or_else(|| rule(0))));
            }
        }
        Self { mode, thresholds, generic }
    }

    pub(crate) fn threshold(&self, channel: ChannelId) -> Qty {
        self.thresholds.get(channel.as_usize()).copied().unwrap_or(Qty::ZERO)
    }

    /// The position's SKU- and node-only rules (looked up only when needed).
    pub(crate) fn position(&self, policy: &AtpPolicy, sku: Sku, node: NodeId) -> PositionRules {
        if self.mode != Mode::PerPosition {
            return PositionRules::default();
        }
        let shapes = policy.safety_shapes();
        let rule = |shape: u8| {
            if shapes & (1 << shape) == 0 {
                None
            } else {
                policy.safety_of_shape(shape, sku, node, ChannelId::new(0), FulfilmentMethod::Ship)
            }
        };
        PositionRules { sku_node: rule(12), sku: rule(8), node: rule(4) }
    }

    /// The safety stock of (SKU, node, channel, method), as
    /// [`AtpPolicy::safety_stock_rule`] answers it.
    pub(crate) fn safety(
        &self,
        policy: &AtpPolicy,
        pos: &PositionRules,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Option<Buffer> {
        let i = channel.as_usize().saturating_mul(M).saturating_add(method_index(method));
        let (cm, rest) = self.generic.get(i).copied().unwrap_or((None, None));
        match self.mode {
            Mode::Generic => cm.or(rest),
            Mode::PerPosition => pos.sku_node.or(cm).or(pos.sku).or(pos.node).or(rest),
            Mode::Full => policy.safety_stock_rule(sku, node, channel, method),
        }
    }

    /// Every rule of one (SKU, node, channel, method).
    pub(crate) fn rules<'a>(
        &self,
        policy: &'a AtpPolicy,
        sku: Sku,
        node: NodeId,
        channel: ChannelId,
        method: FulfilmentMethod,
    ) -> Rules<'a> {
        let eligible = policy.is_eligible(node, channel, method);
        let safety = if eligible {
            self.safety(policy, &self.position(policy, sku, node), sku, node, channel, method)
        } else {
            None
        };
        Rules::new(channel, eligible, safety, self.threshold(channel), policy.pool_map(sku, node))
    }
}
