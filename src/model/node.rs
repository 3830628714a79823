//! Fulfilment nodes and what they can do.

use super::{Location, ModelError, Money, NodeId, Qty};

/// What kind of place a node is. It labels the node for reporting and for
/// policies (e.g. which nodes take store pickups); routing cost never depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum NodeKind {
    /// A distribution centre or fulfilment centre.
    #[default]
    Warehouse,
    /// A retail store (ship-from-store, pickup in store).
    Store,
    /// A closed-to-the-public store for same-day delivery.
    DarkStore,
    /// A supplier that drop-ships.
    Vendor,
}

/// How an order line reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FulfilmentMethod {
    /// Parcel to the customer's address, from any eligible node.
    #[default]
    Ship,
    /// Buy online, pick up in store.
    StorePickup,
    /// Same-day delivery, usually from a dark store or nearby store.
    SameDay,
    /// Parcel shipped by a store.
    ShipFromStore,
    /// Shipped directly by a vendor.
    DropShip,
}

/// A set of capability tags (`hazmat`, `bulky`, `cold_chain`, …), kept sorted
/// and without duplicates so equal sets compare and serialise equally.
///
/// ```
/// use omniroute::Capabilities;
/// let node = Capabilities::from_tags(["hazmat", "bulky"])?;
/// let need = Capabilities::from_tags(["hazmat"])?;
/// assert!(node.contains_all(&need));
/// assert!(!need.contains_all(&node));
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "Vec<String>", into = "Vec<String>"))]
pub struct Capabilities(Vec<String>);

impl Capabilities {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Builds a set from tags, sorting and removing duplicates.
    ///
    /// # Errors
    ///
    /// [`ModelError::EmptyTag`] when a tag is the empty string.
    pub fn from_tags<I, S>(tags: I) -> Result<Self, ModelError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut v: Vec<String> = Vec::new();
        for t in tags {
            let t = t.into();
            if t.is_empty() {
                return Err(ModelError::EmptyTag);
            }
            v.push(t);
        }
        v.sort_unstable();
        v.dedup();
        Ok(Self(v))
    }

    /// Whether `tag` is in the set.
    #[must_use]
    pub fn contains(&self, tag: &str) -> bool {
        self.0.binary_search_by(|t| t.as_str().cmp(tag)).is_ok()
    }

    /// Whether every tag of `other` is in `self`.
    #[must_use]
    pub fn contains_all(&self, other: &Self) -> bool {
        other.0.iter().all(|t| self.contains(t))
    }

    /// The tags in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The number of tags.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<String>> for Capabilities {
    type Error = ModelError;
    fn try_from(v: Vec<String>) -> Result<Self, ModelError> {
        Self::from_tags(v)
    }
}

impl From<Capabilities> for Vec<String> {
    fn from(c: Capabilities) -> Self {
        c.0
    }
}

/// A fulfilment node: a place that holds stock and can ship, hand over or
/// drop-ship it.
///
/// ```
/// use omniroute::{Capabilities, Money, Node, NodeId, NodeKind};
/// let n = Node::new(NodeId::new(0), NodeKind::Store)
///     .with_shipment_cost("6.50".parse()?)
///     .with_capabilities(Capabilities::from_tags(["pickup"])?);
/// assert_eq!(n.shipment_cost, "6.5".parse::<Money>()?);
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Node {
    /// The node's dense id.
    pub id: NodeId,
    /// What kind of place it is.
    pub kind: NodeKind,
    /// Where it is, if known.
    pub location: Option<Location>,
    /// Tags for what it can ship (`hazmat`, `bulky`, …).
    pub capabilities: Capabilities,
    /// Lower ships first under priority rules; `None` sorts after every value.
    pub priority: Option<i64>,
    /// Fixed cost of one shipment from this node.
    pub shipment_cost: Money,
    /// Cost per unit shipped from this node.
    pub unit_cost: Money,
    /// A cap on the units this node may ship for one order.
    pub max_units: Option<Qty>,
    /// Days in transit to customers.
    pub transit_days: Option<u32>,
}

impl Node {
    /// A node with no location, no capabilities, no priority, zero costs and no caps.
    #[must_use]
    pub fn new(id: NodeId, kind: NodeKind) -> Self {
        Self {
            id,
            kind,
            location: None,
            capabilities: Capabilities::new(),
            priority: None,
            shipment_cost: Money::ZERO,
            unit_cost: Money::ZERO,
            max_units: None,
            transit_days: None,
        }
    }

    /// Sets the location.
    #[must_use]
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the capability tags.
    #[must_use]
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn with_priority(mut self, priority: i64) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Sets the fixed cost per shipment.
    #[must_use]
    pub fn with_shipment_cost(mut self, cost: Money) -> Self {
        self.shipment_cost = cost;
        self
    }

    /// Sets the cost per unit.
    #[must_use]
    pub fn with_unit_cost(mut self, cost: Money) -> Self {
        self.unit_cost = cost;
        self
    }

    /// Sets the per-order unit cap.
    #[must_use]
    pub fn with_max_units(mut self, max: Qty) -> Self {
        self.max_units = Some(max);
        self
    }

    /// Sets the transit days.
    #[must_use]
    pub fn with_transit_days(mut self, days: u32) -> Self {
        self.transit_days = Some(days);
        self
    }
}
