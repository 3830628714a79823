//! Identifier newtypes.
//!
//! SKUs, nodes, channels and lines are dense `u32` indices: the host interns
//! its own codes (strings, UUIDs) to these once, and the library indexes
//! compact arrays with them. Order ids are `u64`. Entry ids, the idempotency
//! keys of ledger commands, are non-zero 128-bit values chosen by the caller.

use core::fmt;
use core::num::NonZeroU128;

use super::ModelError;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(u32);

        impl $name {
            /// The largest id.
            pub const MAX: Self = Self(u32::MAX);

            /// Creates an id from its dense index.
            #[must_use]
            pub const fn new(index: u32) -> Self {
                Self(index)
            }

            /// The dense index, as stored.
            #[must_use]
            pub const fn get(self) -> u32 {
                self.0
            }

            /// The dense index, for indexing arrays.
            #[must_use]
            pub const fn as_usize(self) -> usize {
                self.0 as usize
            }
        }

        impl From<u32> for $name {
            fn from(index: u32) -> Self {
                Self(index)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

dense_id!(
    /// A stock-keeping unit, interned to a dense index.
    ///
    /// ```
    /// use omniroute::Sku;
    /// let s = Sku::new(7);
    /// assert_eq!(s.as_usize(), 7);
    /// assert_eq!(s.to_string(), "sku#7");
    /// ```
    Sku,
    "sku#"
);
dense_id!(
    /// A fulfilment node (warehouse, store, dark store, vendor), interned to a dense index.
    NodeId,
    "node#"
);
dense_id!(
    /// A sales channel (web shop, app, marketplace, store), interned to a dense index.
    ChannelId,
    "channel#"
);
dense_id!(
    /// A line within an order.
    LineId,
    "line#"
);

/// A customer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct OrderId(u64);

impl OrderId {
    /// Creates an order id.
    #[must_use]
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The raw value.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "order#{}", self.0)
    }
}

/// The caller-chosen idempotency key of a ledger command: non-zero, 128 bits.
///
/// Sending a command again with the same entry id and the same content returns
/// the original outcome; with different content it is an error. A UUID fits.
///
/// ```
/// use omniroute::EntryId;
/// let id = EntryId::new(42)?;
/// assert_eq!(id.get(), 42);
/// assert!(EntryId::new(0).is_err());
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "u128", into = "u128"))]
pub struct EntryId(NonZeroU128);

impl EntryId {
    /// Creates an entry id.
    ///
    /// # Errors
    ///
    /// [`ModelError::ZeroId`] when `id` is 0.
    pub const fn new(id: u128) -> Result<Self, ModelError> {
        match NonZeroU128::new(id) {
            Some(v) => Ok(Self(v)),
            None => Err(ModelError::ZeroId { kind: "entry" }),
        }
    }

    /// The raw value.
    #[must_use]
    pub const fn get(self) -> u128 {
        self.0.get()
    }
}

impl TryFrom<u128> for EntryId {
    type Error = ModelError;
    fn try_from(id: u128) -> Result<Self, ModelError> {
        Self::new(id)
    }
}

impl From<EntryId> for u128 {
    fn from(id: EntryId) -> u128 {
        id.get()
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry#{:x}", self.0.get())
    }
}
