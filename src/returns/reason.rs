//! The typed, ordered reasons every decision carries.

use super::{Disposition, Grade, RefundTiming};
use crate::model::{Money, NodeId, Qty};

/// Which window admitted a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Window {
    /// The merchant's (category or default) window.
    Merchant,
    /// The statutory window for merchant-fault returns.
    Statutory,
}

/// What sent a return to manual review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "trigger"))]
#[non_exhaustive]
pub enum ReviewTrigger {
    /// The refund reached the policy's threshold.
    HighValue {
        /// The refund.
        refund: Money,
        /// The threshold.
        threshold: Money,
    },
    /// The host's risk score reached the policy's threshold.
    Risk {
        /// The score.
        score: u32,
        /// The threshold.
        threshold: u32,
    },
    /// No node can take the unit back and keep-it is not possible.
    NoDestination,
}

/// Why keep-it was not granted although it would have paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "cap"))]
#[non_exhaustive]
pub enum KeepItBlock {
    /// The policy does not offer keep-it.
    Disabled,
    /// A recalled product must come back.
    Recall,
    /// In-store returns are already in hand.
    InStore,
    /// The customer would exceed the count cap.
    Count {
        /// Keep-its including this one.
        count: u32,
        /// The cap.
        max: u32,
    },
    /// The customer would exceed the value cap.
    Value {
        /// Keep-it value including this one.
        value: Money,
        /// The cap.
        max: Money,
    },
}

/// Why a node was not a candidate destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum NodeExclusion {
    /// The node does not take returns.
    NoReturns,
    /// The item is hazardous and the node may not hold it.
    NoHazmat,
}

/// Which rule ruled a disposition out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DispositionRule {
    /// A recalled product goes back to the vendor, is destroyed or quarantined.
    Recall,
    /// The inspector suspects fraud: quarantine.
    Suspect,
    /// An opened cleanable hygiene item is never restocked as-is.
    HygieneCleanable,
    /// Perishables are never resold or kept.
    Perishable,
    /// Hazardous items are not liquidated or donated.
    Hazmat,
    /// The host supplied no economics for it.
    NoEconomics,
}

/// One rule that fired, with the numbers behind it. A decision's reasons are
/// in the order the rules were evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "rule"))]
#[non_exhaustive]
pub enum Reason {
    /// The product is recalled: returnable regardless of window and category,
    /// no fee, no keep-it.
    Recalled,
    /// The return is within a window.
    WithinWindow {
        /// Which window.
        window: Window,
        /// Whole days from delivery (or sale) to the request.
        days_elapsed: i64,
        /// The window's length.
        window_days: u32,
    },
    /// The return is outside every window that applies: refused.
    OutsideWindow {
        /// Whole days from delivery (or sale) to the request.
        days_elapsed: i64,
        /// The merchant window.
        merchant_days: u32,
        /// The statutory window, when the reason is the merchant's fault.
        statutory_days: Option<u32>,
    },
    /// The category is final sale: refused.
    FinalSale,
    /// An opened hygiene item that cannot be cleaned: refused.
    HygieneOpened,
    /// An opened hygiene item that can be cleaned: accepted, not restocked as-is.
    HygieneCleanable,
    /// A hazardous item only returnable in store was sent by mail: refused.
    HazmatInStoreOnly,
    /// A hazardous item that is never taken back: refused.
    HazmatNotReturnable,
    /// A perishable item: refused.
    Perishable,
    /// The merchant was at fault: the category refusal just named is overridden.
    MerchantFaultOverride,
    /// The unit cannot travel back (perishable, hazmat): refund without return.
    ForcedKeepIt,
    /// The return needs a person's approval.
    ManualReview {
        /// Why.
        trigger: ReviewTrigger,
    },
    /// A person approved the return.
    ReviewApproved,
    /// The pro-rata share of what was paid for the returned units.
    ProRata {
        /// Units returned.
        qty: Qty,
        /// Units sold.
        sold: Qty,
        /// What was paid for all of them.
        paid: Money,
        /// The share, rounded down to the policy's money scale (the last
        /// units returned get the remainder).
        amount: Money,
    },
    /// A restocking fee was charged.
    RestockingFee {
        /// Basis points of the pro-rata amount.
        rate_bp: u32,
        /// The fee.
        fee: Money,
    },
    /// The restocking fee was waived: the merchant was at fault, the product is
    /// recalled, or the customer keeps the unit (nothing is restocked).
    FeeWaived {
        /// The fee that would have been charged.
        fee: Money,
    },
    /// The refund was capped at what was paid minus what was already refunded.
    RefundCapped {
        /// The computed refund.
        computed: Money,
        /// The cap.
        refundable: Money,
    },
    /// A person set the refund amount.
    RefundOverride {
        /// The computed refund it replaces.
        computed: Money,
        /// The amount set.
        amount: Money,
    },
    /// The refund and when it is paid.
    Refund {
        /// The amount.
        amount: Money,
        /// When.
        timing: RefundTiming,
    },
    /// A node was not a candidate destination.
    NodeExcluded {
        /// The node.
        node: NodeId,
        /// Why.
        why: NodeExclusion,
    },
    /// A candidate destination and its net recovery.
    Candidate {
        /// The node.
        node: NodeId,
        /// Resale value of the units.
        value: Money,
        /// Transport and handling.
        cost: Money,
        /// `value - cost`.
        net: Money,
    },
    /// The destination chosen: the eligible node with the highest net recovery.
    Destination {
        /// The node.
        node: NodeId,
        /// Its net recovery.
        net: Money,
    },
    /// An in-store return stays at the store, which needs the unit most.
    LocalRestock {
        /// The store.
        node: NodeId,
    },
    /// Getting the unit back recovers less than it costs: the customer keeps it.
    KeepIt {
        /// The best expected recovery (resale value at the best node).
        expected_recovery: Money,
        /// What getting it there costs.
        cost_to_return: Money,
    },
    /// Keep-it would have paid but was not granted.
    KeepItBlocked {
        /// Why.
        block: KeepItBlock,
    },
    /// The dispositions the inspection grade allows.
    GradeAllows {
        /// The grade.
        grade: Grade,
    },
    /// A disposition the grade allows was ruled out.
    DispositionExcluded {
        /// The disposition.
        disposition: Disposition,
        /// By which rule.
        by: DispositionRule,
    },
    /// A candidate disposition and its net recovery.
    DispositionCandidate {
        /// The disposition.
        disposition: Disposition,
        /// Where the units end up (for restock: the selling node).
        node: NodeId,
        /// Gross recovery for the units.
        gross: Money,
        /// Costs for the units (transfer, handling, processing).
        cost: Money,
        /// `gross - cost`.
        net: Money,
    },
    /// The disposition chosen: the highest net recovery, ties broken in
    /// [`Disposition`] order.
    DispositionChosen {
        /// The disposition.
        disposition: Disposition,
        /// Where the units end up.
        node: NodeId,
        /// Its net recovery.
        net: Money,
    },
    /// No disposition was allowed or valued: the units are quarantined for a person to decide.
    FallbackQuarantine,
}
