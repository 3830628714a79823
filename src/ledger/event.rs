//! Events (what the host persists), outcomes and read views.

use super::{AdjustReason, BackorderPolicy, Bucket, CommandKind, Direction, LedgerError};
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

/// One applied (or recorded-as-failed) command: the host persists it.
///
/// Every command produces exactly one event. It names the command's entry
/// id and the `now` it was applied at, and carries what the command changed,
/// including what the ledger decided (which reservations an `ExpireDue`
/// expired, what a `Count` changed on-hand from and to, how much of an
/// inbound receipt a `Receive` drew down). [`Event::command`] rebuilds the
/// command from it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    /// The command's entry id.
    pub entry: EntryId,
    /// The `now` the command was applied at.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// A reservation expired by `ExpireDue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExpiredHold {
    /// The reservation's entry id.
    pub reservation: EntryId,
    /// Its node.
    pub node: NodeId,
    /// Its SKU.
    pub sku: Sku,
    /// Units it held (now released).
    pub qty: Qty,
    /// Its expiry.
    pub expires_at: Timestamp,
}

/// What an event records. Variants mirror [`CommandKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EventKind {
    /// `Register` applied.
    Registered {
        /// Nodes asked for.
        nodes: u32,
        /// SKUs asked for.
        skus: u32,
    },
    /// `SetBackorder` applied.
    BackorderSet {
        /// The SKU.
        sku: Sku,
        /// The position's node, or `None` for the SKU default.
        node: Option<NodeId>,
        /// The new policy.
        policy: BackorderPolicy,
    },
    /// `ExpectInbound` applied: a receipt named by the entry id is open.
    InboundExpected {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units expected.
        qty: Qty,
        /// Expected arrival.
        eta: Timestamp,
    },
    /// `Receive` applied: `qty` added to on-hand.
    Received {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units received.
        qty: Qty,
        /// The inbound receipt named, if any.
        inbound: Option<EntryId>,
        /// Units taken off that receipt (and off `Inbound`).
        drawn: Qty,
        /// Whether the receipt is now closed.
        closed: bool,
    },
    /// `Adjust` applied.
    Adjusted {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Physical bucket.
        bucket: Bucket,
        /// Add or remove.
        direction: Direction,
        /// Units.
        qty: Qty,
        /// Why.
        reason: AdjustReason,
    },
    /// `Count` applied: on-hand went from `on_hand_before` to `on_hand_after`
    /// (the count plus the on-hand movements booked after `counted_at`).
    Counted {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units counted.
        counted: Qty,
        /// When the count was taken.
        counted_at: Timestamp,
        /// On-hand before.
        on_hand_before: Qty,
        /// On-hand after.
        on_hand_after: Qty,
    },
    /// `Move` applied.
    Moved {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// From bucket.
        from: Bucket,
        /// To bucket.
        to: Bucket,
        /// Units.
        qty: Qty,
    },
    /// `TransferOut` applied: on-hand left `node`; a transfer receipt named
    /// by the entry id is open at `to`.
    TransferredOut {
        /// Sending node.
        node: NodeId,
        /// Receiving node.
        to: NodeId,
        /// SKU.
        sku: Sku,
        /// Units.
        qty: Qty,
        /// Expected arrival.
        eta: Timestamp,
    },
    /// `TransferIn` applied: `qty` arrived at `node` from `from`.
    TransferredIn {
        /// The transfer's entry id.
        transfer: EntryId,
        /// Receiving node.
        node: NodeId,
        /// Sending node.
        from: NodeId,
        /// SKU.
        sku: Sku,
        /// Units.
        qty: Qty,
        /// Whether the transfer is now complete.
        closed: bool,
    },
    /// `CloseInbound` applied: the receipt is closed and `remaining` left
    /// `Inbound` at `node`.
    InboundClosed {
        /// The receipt or transfer.
        inbound: EntryId,
        /// Receiving node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units that were still expected.
        remaining: Qty,
        /// The sending node for a transfer.
        from: Option<NodeId>,
    },
    /// `Reserve` applied: a hold named by the entry id.
    Reserved {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units held.
        qty: Qty,
        /// Expiry, if any.
        expires_at: Option<Timestamp>,
    },
    /// `Commit` applied: `qty` moved from reserved to allocated, `released`
    /// returned to availability, the hold is resolved.
    Committed {
        /// The reservation.
        reservation: EntryId,
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units committed.
        qty: Qty,
        /// Units released.
        released: Qty,
    },
    /// `Release` applied.
    Released {
        /// The reservation.
        reservation: EntryId,
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units released.
        qty: Qty,
    },
    /// `ExpireDue` applied: these holds expired, in (expiry, entry id) order.
    Expired {
        /// The expired holds (possibly none).
        holds: Vec<ExpiredHold>,
    },
    /// `Ship` applied: `qty` left allocated and on-hand.
    Shipped {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units.
        qty: Qty,
    },
    /// `Deallocate` applied: `qty` left allocated and is available again
    /// (on-hand unchanged).
    Deallocated {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units.
        qty: Qty,
    },
    /// `ReturnReceipt` applied: `qty` added to returns pending.
    ReturnReceived {
        /// Node.
        node: NodeId,
        /// SKU.
        sku: Sku,
        /// Units.
        qty: Qty,
    },
    /// The command was rejected and the failure recorded under its entry id.
    Rejected {
        /// The command that failed.
        command: Box<CommandKind>,
        /// Why.
        error: Box<LedgerError>,
    },
}

impl Event {
    /// Rebuilds the command this event records.
    ///
    /// ```
    /// use omniroute::ledger::Ledger;
    /// use omniroute::{Command, CommandKind, EntryId, Timestamp};
    /// let cmd = Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 });
    /// let ev = Ledger::new().apply(&cmd, Timestamp::EPOCH)?.into_event();
    /// assert_eq!(ev.command(), cmd.kind);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn command(&self) -> CommandKind {
        self.kind.command()
    }

    /// The recorded error, if this event records a rejected command.
    #[must_use]
    pub fn rejection(&self) -> Option<&LedgerError> {
        match &self.kind {
            EventKind::Rejected { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl EventKind {
    /// Rebuilds the command this event records (see [`Event::command`]).
    #[must_use]
    pub fn command(&self) -> CommandKind {
        use CommandKind as C;
        use EventKind as E;
        match self {
            E::Registered { nodes, skus } => C::Register { nodes: *nodes, skus: *skus },
            E::BackorderSet { sku, node, policy } => {
                C::SetBackorder { sku: *sku, node: *node, policy: *policy }
            }
            E::InboundExpected { node, sku, qty, eta } => {
                C::ExpectInbound { node: *node, sku: *sku, qty: *qty, eta: *eta }
            }
            E::Received { node, sku, qty, inbound, .. } => {
                C::Receive { node: *node, sku: *sku, qty: *qty, inbound: *inbound }
            }
            E::Adjusted { node, sku, bucket, direction, qty, reason } => C::Adjust {
                node: *node,
                sku: *sku,
                bucket: *bucket,
                direction: *direction,
                qty: *qty,
                reason: *reason,
            },
            E::Counted { node, sku, counted, counted_at, .. } => {
                C::Count { node: *node, sku: *sku, counted: *counted, counted_at: *counted_at }
            }
            E::Moved { node, sku, from, to, qty } => {
                C::Move { node: *node, sku: *sku, from: *from, to: *to, qty: *qty }
            }
            E::TransferredOut { node, to, sku, qty, eta } => {
                C::TransferOut { node: *node, to: *to, sku: *sku, qty: *qty, eta: *eta }
            }
            E::TransferredIn { transfer, qty, .. } => C::TransferIn { transfer: *transfer, qty: *qty },
            E::InboundClosed { inbound, .. } => C::CloseInbound { inbound: *inbound },
            E::Reserved { node, sku, qty, expires_at } => {
                C::Reserve { node: *node, sku: *sku, qty: *qty, expires_at: *expires_at }
            }
            E::Committed { reservation, qty, released, .. } => {
                // The command asked for `qty`; `released` is derived.
                let _ = released;
                C::Commit { reservation: *reservation, qty: *qty }
            }
            E::Released { reservation, .. } => C::Release { reservation: *reservation },
            E::Expired { .. } => C::ExpireDue,
            E::Shipped { node, sku, qty } => C::Ship { node: *node, sku: *sku, qty: *qty },
            E::Deallocated { node, sku, qty } => C::Deallocate { node: *node, sku: *sku, qty: *qty },
            E::ReturnReceived { node, sku, qty } => C::ReturnReceipt { node: *node, sku: *sku, qty: *qty },
            E::Rejected { command, .. } => (**command).clone(),
        }
    }
}

/// What `apply` did with a command that was not rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The command was applied now; persist the event.
    Applied(Event),
    /// The entry id was applied before with the same content; nothing
    /// changed. The event is the original one (already persisted).
    AlreadyApplied(Event),
}

impl Outcome {
    /// The event, applied now or before.
    #[must_use]
    pub const fn event(&self) -> &Event {
        match self {
            Self::Applied(e) | Self::AlreadyApplied(e) => e,
        }
    }

    /// The event, by value.
    #[must_use]
    pub fn into_event(self) -> Event {
        match self {
            Self::Applied(e) | Self::AlreadyApplied(e) => e,
        }
    }

    /// Whether this call changed the ledger.
    #[must_use]
    pub const fn is_new(&self) -> bool {
        matches!(self, Self::Applied(_))
    }
}

/// The buckets of one position (node, SKU), read by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Position {
    /// Physically present and sellable.
    pub on_hand: Qty,
    /// Held by live reservations.
    pub reserved: Qty,
    /// Committed to fulfilment, awaiting shipment.
    pub allocated: Qty,
    /// Expected: open receipts and transfers in transit to this node.
    pub inbound: Qty,
    /// Held for inspection.
    pub quarantine: Qty,
    /// Damaged.
    pub damaged: Qty,
    /// Returned, awaiting disposition.
    pub returns_pending: Qty,
    /// The effective backorder allowance (position override, else SKU policy).
    pub backorder_allowance: Qty,
    /// Bumped by every change to the position's buckets; 0 if never touched.
    pub version: u64,
}

impl Position {
    /// Units free to reserve: on-hand + backorder allowance − reserved −
    /// allocated (never below zero; saturates at `Qty::MAX`).
    #[must_use]
    pub fn available(&self) -> Qty {
        let supply =
            u128::from(self.on_hand.get()).saturating_add(u128::from(self.backorder_allowance.get()));
        let claims = u128::from(self.reserved.get()).saturating_add(u128::from(self.allocated.get()));
        Qty::new(u64::try_from(supply.saturating_sub(claims)).unwrap_or(u64::MAX))
    }

    /// The balance of one bucket.
    #[must_use]
    pub const fn bucket(&self, bucket: Bucket) -> Qty {
        match bucket {
            Bucket::OnHand => self.on_hand,
            Bucket::Reserved => self.reserved,
            Bucket::Allocated => self.allocated,
            Bucket::Inbound => self.inbound,
            Bucket::Quarantine => self.quarantine,
            Bucket::Damaged => self.damaged,
            Bucket::ReturnsPending => self.returns_pending,
        }
    }
}

/// A live reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Hold {
    /// Node.
    pub node: NodeId,
    /// SKU.
    pub sku: Sku,
    /// Units held.
    pub qty: Qty,
    /// When it was made (the `now` of its `Reserve`).
    pub made_at: Timestamp,
    /// When it lapses, if ever.
    pub expires_at: Option<Timestamp>,
}

/// An open inbound receipt: a purchase order / ASN, or a transfer in transit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Receipt {
    /// Receiving node.
    pub node: NodeId,
    /// SKU.
    pub sku: Sku,
    /// Units still expected.
    pub remaining: Qty,
    /// Expected arrival.
    pub eta: Timestamp,
    /// The sending node for a transfer; `None` for external supply.
    pub from: Option<NodeId>,
}
