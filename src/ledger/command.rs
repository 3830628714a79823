//! Ledger commands: the requests a host makes of the ledger, as data.
//!
//! Every command carries a caller-chosen [`EntryId`], its idempotency key.
//! Other modules (returns, orders) produce commands as values and leave it to
//! the host to apply them, so these types are the ledger's public contract.

use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

/// A balance bucket of a position (node, SKU).
///
/// `OnHand`, `Quarantine`, `Damaged` and `ReturnsPending` are physical: units
/// in them are in the building and [`CommandKind::Move`] moves units between them.
/// `Reserved` and `Allocated` are claims on `OnHand`, not separate stock.
/// `Inbound` is expected supply that has not arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Bucket {
    /// Physically present and sellable.
    OnHand,
    /// Pending holds (cart, checkout, order reservations) on on-hand units.
    Reserved,
    /// Committed to a released fulfilment, awaiting pick and ship.
    Allocated,
    /// Expected supply: purchase orders and transfers in transit, each with an ETA.
    Inbound,
    /// Present but held for inspection; not sellable.
    Quarantine,
    /// Present and damaged; not sellable.
    Damaged,
    /// Returned units received and awaiting disposition; not sellable.
    ReturnsPending,
}

impl core::fmt::Display for Bucket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::OnHand => "on_hand",
            Self::Reserved => "reserved",
            Self::Allocated => "allocated",
            Self::Inbound => "inbound",
            Self::Quarantine => "quarantine",
            Self::Damaged => "damaged",
            Self::ReturnsPending => "returns_pending",
        })
    }
}

impl Bucket {
    /// Whether units in this bucket are physically present (and so can be moved).
    #[must_use]
    pub const fn is_physical(self) -> bool {
        matches!(self, Self::OnHand | Self::Quarantine | Self::Damaged | Self::ReturnsPending)
    }
}

/// Why an adjustment was made; recorded in the event for audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum AdjustReason {
    /// Units lost or stolen.
    Shrinkage,
    /// Units found that were not on the books.
    Found,
    /// Units written off as damaged beyond recovery.
    WriteOff,
    /// Units past their sell-by date.
    Expired,
    /// A correction of an earlier booking error.
    Correction,
    /// Any other reason the host tracks itself.
    Other,
}

/// Whether an adjustment adds or removes units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Direction {
    /// Add units.
    Increase,
    /// Remove units.
    Decrease,
}

/// One ledger command with its idempotency key.
///
/// ```
/// use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku};
/// let cmd = Command::new(
///     EntryId::new(1)?,
///     CommandKind::Receive { node: NodeId::new(0), sku: Sku::new(0), qty: Qty::new(10), inbound: None },
/// );
/// assert_eq!(cmd.entry.get(), 1);
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Command {
    /// The idempotency key; for `Reserve`, `ExpectInbound` and `TransferOut` it
    /// also names the hold, receipt or transfer for later commands.
    pub entry: EntryId,
    /// What to do.
    pub kind: CommandKind,
}

impl Command {
    /// Pairs an entry id with what to do.
    #[must_use]
    pub const fn new(entry: EntryId, kind: CommandKind) -> Self {
        Self { entry, kind }
    }
}

/// How far a position may be promised beyond its on-hand units.
///
/// Reservations and allocations are claims on `OnHand`; a backorder
/// allowance lets the claims exceed on-hand by up to a limit. The policy is
/// set per SKU and may be overridden per position; the default is no
/// backorders.
///
/// ```
/// use omniroute::{BackorderPolicy, Qty};
/// assert_eq!(BackorderPolicy::default(), BackorderPolicy::None);
/// assert_eq!(BackorderPolicy::UpTo(Qty::new(5)).allowance(), Qty::new(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum BackorderPolicy {
    /// Claims may never exceed on-hand units.
    #[default]
    None,
    /// Claims may exceed on-hand units by at most this many units.
    UpTo(Qty),
}

impl BackorderPolicy {
    /// The number of units claims may exceed on-hand by.
    #[must_use]
    pub const fn allowance(self) -> Qty {
        match self {
            Self::None => Qty::ZERO,
            Self::UpTo(q) => q,
        }
    }
}

/// What a command does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum CommandKind {
    /// Makes sure at least `nodes` nodes (ids `0..nodes`) and `skus` SKUs
    /// (ids `0..skus`) are known to the ledger. Registration only grows:
    /// smaller figures than the current ones change nothing. Commands that
    /// name an unregistered node or SKU are rejected. The limits are
    /// [`Ledger::MAX_NODES`](crate::ledger::Ledger::MAX_NODES) and
    /// [`Ledger::MAX_SKUS`](crate::ledger::Ledger::MAX_SKUS).
    Register {
        /// Number of nodes to know at least.
        nodes: u32,
        /// Number of SKUs to know at least.
        skus: u32,
    },
    /// Sets the backorder policy of a SKU (`node: None`, for every position
    /// without an override) or of one position (`node: Some(..)`).
    SetBackorder {
        /// Which SKU.
        sku: Sku,
        /// Which node's position, or `None` for the SKU-wide default.
        node: Option<NodeId>,
        /// The new policy.
        policy: BackorderPolicy,
    },
    /// Announces expected supply (a purchase order or advance shipping
    /// notice) of `qty` at `node`, arriving at `eta`. It counts as `Inbound`.
    ExpectInbound {
        /// Where it will arrive.
        node: NodeId,
        /// What arrives.
        sku: Sku,
        /// How much.
        qty: Qty,
        /// Expected arrival.
        eta: Timestamp,
    },
    /// Physical receipt of `qty` into `OnHand`. When `inbound` names an
    /// `ExpectInbound` entry at the same position, the receipt draws that
    /// expectation down (an over-receipt closes it).
    Receive {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// How much.
        qty: Qty,
        /// The expected receipt this fulfils, if any.
        inbound: Option<EntryId>,
    },
    /// Adds or removes `qty` in a physical `bucket`, for a recorded reason.
    Adjust {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// Which physical bucket.
        bucket: Bucket,
        /// Add or remove.
        direction: Direction,
        /// How much.
        qty: Qty,
        /// Why.
        reason: AdjustReason,
    },
    /// An external count of `OnHand` taken at `counted_at`. It supersedes the
    /// movements booked before `counted_at` and keeps those booked since.
    Count {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// Units counted on hand.
        counted: Qty,
        /// When the count was taken.
        counted_at: Timestamp,
    },
    /// Moves `qty` between two physical buckets of one position.
    Move {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// From this physical bucket.
        from: Bucket,
        /// To this physical bucket.
        to: Bucket,
        /// How much.
        qty: Qty,
    },
    /// Ships `qty` out of `node`'s `OnHand` towards `to`; the units are in
    /// transit (inbound at `to`, arriving at `eta`) until `TransferIn`.
    TransferOut {
        /// Sending node.
        node: NodeId,
        /// Receiving node; must differ from `node`.
        to: NodeId,
        /// What.
        sku: Sku,
        /// How much.
        qty: Qty,
        /// Expected arrival at `to`.
        eta: Timestamp,
    },
    /// Receives `qty` of the transfer `transfer` into the receiving node's `OnHand`.
    TransferIn {
        /// The `TransferOut` entry.
        transfer: EntryId,
        /// How much arrived.
        qty: Qty,
    },
    /// Closes an open inbound receipt or transfer without receiving the
    /// rest: a cancelled purchase order, or units lost in transit. What was
    /// still expected leaves `Inbound` at the receiving node.
    CloseInbound {
        /// The `ExpectInbound` or `TransferOut` entry.
        inbound: EntryId,
    },
    /// Holds `qty` of `OnHand` for a cart, checkout or order until committed,
    /// released or expired. The command's entry id names the reservation.
    Reserve {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// How much.
        qty: Qty,
        /// The hold lapses at this time, if set.
        expires_at: Option<Timestamp>,
    },
    /// Commits `qty` of a reservation to fulfilment (`Reserved` → `Allocated`);
    /// what remains of the reservation is released.
    Commit {
        /// The `Reserve` entry.
        reservation: EntryId,
        /// How much to commit; at most what the reservation holds.
        qty: Qty,
    },
    /// Releases all of a reservation.
    Release {
        /// The `Reserve` entry.
        reservation: EntryId,
    },
    /// Expires every reservation whose expiry is at or before `now`.
    ExpireDue,
    /// Ships `qty` out of `Allocated` (and so out of `OnHand`).
    Ship {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// How much.
        qty: Qty,
    },
    /// Returns `qty` of `Allocated` to available stock: the units stay in
    /// `OnHand` but are no longer committed to a fulfilment (a released pick
    /// rejected by the store, a cancellation after release, a short pick).
    /// It is an error to deallocate more than is allocated at the position.
    ///
    /// A short pick where the missing units are physically gone is two
    /// commands in one batch: `Deallocate` the missing units, then
    /// `Adjust { bucket: OnHand, direction: Decrease, reason: Shrinkage }` by
    /// the same quantity.
    Deallocate {
        /// Where.
        node: NodeId,
        /// What.
        sku: Sku,
        /// How much.
        qty: Qty,
    },
    /// Receives returned units into `ReturnsPending`, awaiting disposition.
    ReturnReceipt {
        /// Where the return arrived.
        node: NodeId,
        /// What.
        sku: Sku,
        /// How much.
        qty: Qty,
    },
}
