//! The fulfilment network as the order module sees it: nodes, and which
//! nodes may serve which fulfilment method for which channel.

use std::collections::BTreeSet;

use super::OrderError;
use crate::model::{ChannelId, FulfilmentMethod, Node, NodeId, NodeKind};

/// The nodes that may fulfil orders and the eligibility rules.
///
/// A node may serve a fulfilment method when its [`NodeKind`] is allowed for
/// the method and the channel does not exclude it. The defaults:
///
/// | method | node kinds |
/// | --- | --- |
/// | ship to home | warehouse, dark store |
/// | buy online, pick up in store | store, dark store (only the chosen pickup node) |
/// | ship from store | store |
/// | same day | dark store |
/// | drop-ship | vendor |
///
/// Channel-aware *quantities* come from the [`Availability`](crate::Availability)
/// view the host passes to each operation (the ATP view of the order's
/// channel and method); the network decides which nodes are asked.
///
/// ```
/// use omniroute::order::Network;
/// use omniroute::{ChannelId, FulfilmentMethod, Node, NodeId, NodeKind};
/// let net = Network::new(vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse),
///     Node::new(NodeId::new(1), NodeKind::Store),
/// ])?
/// .exclude(ChannelId::new(2), NodeId::new(0));
/// assert!(net.eligible(ChannelId::new(1), FulfilmentMethod::Ship, NodeId::new(0)));
/// assert!(!net.eligible(ChannelId::new(2), FulfilmentMethod::Ship, NodeId::new(0)));
/// assert!(!net.eligible(ChannelId::new(1), FulfilmentMethod::Ship, NodeId::new(1)));
/// # Ok::<(), omniroute::order::OrderError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "NetworkRepr", into = "NetworkRepr"))]
pub struct Network {
    nodes: Vec<Node>,
    kinds: BTreeSet<(FulfilmentMethod, NodeKind)>,
    excluded: BTreeSet<(ChannelId, NodeId)>,
}

/// The serialised form of a [`Network`], validated on the way in.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct NetworkRepr {
    nodes: Vec<Node>,
    kinds: Vec<(FulfilmentMethod, NodeKind)>,
    excluded: Vec<(ChannelId, NodeId)>,
}

#[cfg(feature = "serde")]
impl TryFrom<NetworkRepr> for Network {
    type Error = OrderError;
    fn try_from(r: NetworkRepr) -> Result<Self, OrderError> {
        let mut n = Self::new(r.nodes)?;
        n.kinds = r.kinds.into_iter().collect();
        n.excluded = r.excluded.into_iter().collect();
        Ok(n)
    }
}

#[cfg(feature = "serde")]
impl From<Network> for NetworkRepr {
    fn from(n: Network) -> Self {
        Self {
            nodes: n.nodes,
            kinds: n.kinds.into_iter().collect(),
            excluded: n.excluded.into_iter().collect(),
        }
    }
}

const DEFAULT_KINDS: [(FulfilmentMethod, NodeKind); 7] = [
    (FulfilmentMethod::Ship, NodeKind::Warehouse),
    (FulfilmentMethod::Ship, NodeKind::DarkStore),
    (FulfilmentMethod::StorePickup, NodeKind::Store),
    (FulfilmentMethod::StorePickup, NodeKind::DarkStore),
    (FulfilmentMethod::ShipFromStore, NodeKind::Store),
    (FulfilmentMethod::SameDay, NodeKind::DarkStore),
    (FulfilmentMethod::DropShip, NodeKind::Vendor),
];

impl Default for Network {
    /// No nodes, the default eligibility table.
    fn default() -> Self {
        Self { nodes: Vec::new(), kinds: DEFAULT_KINDS.into_iter().collect(), excluded: BTreeSet::new() }
    }
}

impl Network {
    /// A network of `nodes` (sorted by id) with the default eligibility table.
    ///
    /// # Errors
    ///
    /// [`OrderError::DuplicateNode`] when a node id appears twice.
    ///
    /// ```
    /// use omniroute::order::Network;
    /// use omniroute::{Node, NodeId, NodeKind};
    /// let net = Network::new(vec![Node::new(NodeId::new(3), NodeKind::Vendor)])?;
    /// assert_eq!(net.nodes().len(), 1);
    /// # Ok::<(), omniroute::order::OrderError>(())
    /// ```
    pub fn new(mut nodes: Vec<Node>) -> Result<Self, OrderError> {
        nodes.sort_by_key(|n| n.id);
        for w in nodes.windows(2) {
            if let [a, b] = w {
                if a.id == b.id {
                    return Err(OrderError::DuplicateNode { node: a.id });
                }
            }
        }
        Ok(Self { nodes, kinds: DEFAULT_KINDS.into_iter().collect(), excluded: BTreeSet::new() })
    }

    /// Replaces the node kinds allowed for `method`.
    #[must_use]
    pub fn with_method_kinds(mut self, method: FulfilmentMethod, kinds: &[NodeKind]) -> Self {
        self.kinds.retain(|(m, _)| *m != method);
        self.kinds.extend(kinds.iter().map(|k| (method, *k)));
        self
    }

    /// Excludes `node` from every order of `channel` (a store that does not
    /// serve the marketplace, say).
    #[must_use]
    pub fn exclude(mut self, channel: ChannelId, node: NodeId) -> Self {
        self.excluded.insert((channel, node));
        self
    }

    /// The nodes, sorted by id.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.binary_search_by_key(&id, |n| n.id).ok().and_then(|i| self.nodes.get(i))
    }

    /// Whether `node` may serve `method` for `channel`.
    #[must_use]
    pub fn eligible(&self, channel: ChannelId, method: FulfilmentMethod, node: NodeId) -> bool {
        self.node(node).is_some_and(|n| self.eligible_node(channel, method, n))
    }

    pub(crate) fn eligible_node(&self, channel: ChannelId, method: FulfilmentMethod, n: &Node) -> bool {
        self.kinds.contains(&(method, n.kind)) && !self.excluded.contains(&(channel, n.id))
    }
}
