//! The merchant's return policy: windows, category rules, review thresholds,
//! fees, refund timing and keep-it caps.

use core::fmt;
use std::collections::BTreeMap;

use super::ReturnsError;
use crate::model::Money;

/// A product category, interned by the host to a dense index; the policy's
/// category rules are keyed by it.
///
/// ```
/// use omniroute::returns::Category;
/// assert_eq!(Category::new(3).get(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Category(u32);

impl Category {
    /// A category id.
    #[must_use]
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// The raw id.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "category#{}", self.0)
    }
}

/// How a hygiene-sensitive category (cosmetics, underwear, earbuds) treats
/// opened items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum HygieneRule {
    /// Not hygiene-sensitive.
    #[default]
    None,
    /// Opened items can be cleaned and resold after cleaning: returnable, but
    /// never restocked as-is (open-box or refurbish instead).
    Cleanable,
    /// Opened items cannot be made sellable again: returnable only sealed,
    /// unless the merchant was at fault.
    SealedOnly,
}

/// How a hazardous-materials category may come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum HazmatMode {
    /// Not hazardous.
    #[default]
    None,
    /// Hazardous, returnable by mail and in store, only to nodes with the
    /// `hazmat` capability.
    AnyChannel,
    /// Hazardous, returnable only at a store (carriers will not take it back).
    InStoreOnly,
    /// Hazardous and never taken back.
    NotReturnable,
}

/// When the customer gets their money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum RefundTiming {
    /// At once, when the return is accepted.
    Instant,
    /// When the carrier first scans the parcel.
    OnCarrierScan,
    /// When the parcel arrives at the node.
    #[default]
    OnReceipt,
    /// When the units have been inspected.
    OnInspection,
}

/// The return rules of one category; categories without rules use the
/// policy's defaults.
///
/// ```
/// use omniroute::returns::{CategoryRule, HygieneRule};
/// let earbuds = CategoryRule::new().window_days(14).hygiene(HygieneRule::Cleanable).restocking_fee_bp(1000);
/// assert_eq!(earbuds.restocking_fee_bp, Some(1000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct CategoryRule {
    /// The merchant's return window in days; `None` uses the policy default.
    pub window_days: Option<u32>,
    /// Final sale: not returnable unless the merchant was at fault.
    pub final_sale: bool,
    /// Hygiene treatment of opened items.
    pub hygiene: HygieneRule,
    /// Hazardous-materials return mode.
    pub hazmat: HazmatMode,
    /// Perishable: never taken back for resale; refunded without return when the
    /// merchant was at fault, refused otherwise.
    pub perishable: bool,
    /// Restocking fee in basis points of the refund (1500 = 15%); `None` uses
    /// the policy default.
    pub restocking_fee_bp: Option<u32>,
}

impl CategoryRule {
    /// A rule with every setting at its default.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            window_days: None,
            final_sale: false,
            hygiene: HygieneRule::None,
            hazmat: HazmatMode::None,
            perishable: false,
            restocking_fee_bp: None,
        }
    }

    /// Sets the merchant window.
    #[must_use]
    pub const fn window_days(mut self, days: u32) -> Self {
        self.window_days = Some(days);
        self
    }

    /// Marks the category final sale.
    #[must_use]
    pub const fn final_sale(mut self, yes: bool) -> Self {
        self.final_sale = yes;
        self
    }

    /// Sets the hygiene rule.
    #[must_use]
    pub const fn hygiene(mut self, rule: HygieneRule) -> Self {
        self.hygiene = rule;
        self
    }

    /// Sets the hazmat mode.
    #[must_use]
    pub const fn hazmat(mut self, mode: HazmatMode) -> Self {
        self.hazmat = mode;
        self
    }

    /// Marks the category perishable.
    #[must_use]
    pub const fn perishable(mut self, yes: bool) -> Self {
        self.perishable = yes;
        self
    }

    /// Sets the restocking fee in basis points.
    #[must_use]
    pub const fn restocking_fee_bp(mut self, bp: u32) -> Self {
        self.restocking_fee_bp = Some(bp);
        self
    }
}

/// Limits on returnless refunds per customer, against abuse. The host supplies
/// the customer's history (see [`CustomerHistory`](super::CustomerHistory)) for
/// whatever period it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeepItCaps {
    /// Whether economic keep-it is offered at all.
    pub enabled: bool,
    /// The most keep-it refunds a customer may have in the period, this one included.
    pub max_count: u32,
    /// The most keep-it refund value a customer may have in the period, this one included.
    pub max_value: Money,
}

impl KeepItCaps {
    /// Keep-it enabled with at most `max_count` refunds worth at most `max_value` per customer.
    ///
    /// ```
    /// use omniroute::returns::KeepItCaps;
    /// use omniroute::Money;
    /// let caps = KeepItCaps::new(2, Money::from_int(50));
    /// assert!(caps.enabled);
    /// assert!(!KeepItCaps::disabled().enabled);
    /// ```
    #[must_use]
    pub const fn new(max_count: u32, max_value: Money) -> Self {
        Self { enabled: true, max_count, max_value }
    }

    /// No economic keep-it (merchant-fault keep-its for perishables and
    /// hazmat still happen: they are not a choice).
    #[must_use]
    pub const fn disabled() -> Self {
        Self { enabled: false, max_count: 0, max_value: Money::ZERO }
    }
}

impl Default for KeepItCaps {
    fn default() -> Self {
        Self { enabled: true, max_count: 3, max_value: Money::from_int(100) }
    }
}

/// A merchant's return policy.
///
/// ```
/// use omniroute::returns::{Category, CategoryRule, HygieneRule, RefundTiming, ReturnPolicy};
/// use omniroute::Money;
/// let policy = ReturnPolicy::new()
///     .window_days(30)
///     .statutory_defect_days(730)
///     .category(Category::new(2), CategoryRule::new().hygiene(HygieneRule::Cleanable))
///     .manual_review_refund_at(Money::from_int(1000))
///     .refund_timing(RefundTiming::OnCarrierScan);
/// assert!(policy.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PolicyRepr", into = "PolicyRepr"))]
pub struct ReturnPolicy {
    window_days: u32,
    statutory_defect_days: u32,
    restocking_fee_bp: u32,
    categories: BTreeMap<Category, CategoryRule>,
    manual_review_refund_at: Option<Money>,
    manual_review_risk_at: Option<u32>,
    refund_timing: RefundTiming,
    keep_it: KeepItCaps,
    money_scale: u32,
}

/// The serialised form of [`ReturnPolicy`]; deserialisation validates it.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone)]
struct PolicyRepr {
    window_days: u32,
    statutory_defect_days: u32,
    restocking_fee_bp: u32,
    categories: Vec<(Category, CategoryRule)>,
    manual_review_refund_at: Option<Money>,
    manual_review_risk_at: Option<u32>,
    refund_timing: RefundTiming,
    keep_it: KeepItCaps,
    money_scale: u32,
}

impl TryFrom<PolicyRepr> for ReturnPolicy {
    type Error = ReturnsError;
    fn try_from(r: PolicyRepr) -> Result<Self, ReturnsError> {
        let p = Self {
            window_days: r.window_days,
            statutory_defect_days: r.statutory_defect_days,
            restocking_fee_bp: r.restocking_fee_bp,
            categories: r.categories.into_iter().collect(),
            manual_review_refund_at: r.manual_review_refund_at,
            manual_review_risk_at: r.manual_review_risk_at,
            refund_timing: r.refund_timing,
            keep_it: r.keep_it,
            money_scale: r.money_scale,
        };
        p.validate()?;
        Ok(p)
    }
}

impl From<ReturnPolicy> for PolicyRepr {
    fn from(p: ReturnPolicy) -> Self {
        Self {
            window_days: p.window_days,
            statutory_defect_days: p.statutory_defect_days,
            restocking_fee_bp: p.restocking_fee_bp,
            categories: p.categories.into_iter().collect(),
            manual_review_refund_at: p.manual_review_refund_at,
            manual_review_risk_at: p.manual_review_risk_at,
            refund_timing: p.refund_timing,
            keep_it: p.keep_it,
            money_scale: p.money_scale,
        }
    }
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        Self::new()
    }
}

/// The largest restocking fee: 100%.
const MAX_FEE_BP: u32 = 10_000;
/// The most fractional digits a refund is rounded to.
const MAX_MONEY_SCALE: u32 = 10;

impl ReturnPolicy {
    /// A 30-day window, no statutory window, no fees, no manual review,
    /// refunds on receipt, keep-it with the default caps, refunds in cents.
    #[must_use]
    pub fn new() -> Self {
        Self {
            window_days: 30,
            statutory_defect_days: 0,
            restocking_fee_bp: 0,
            categories: BTreeMap::new(),
            manual_review_refund_at: None,
            manual_review_risk_at: None,
            refund_timing: RefundTiming::OnReceipt,
            keep_it: KeepItCaps::default(),
            money_scale: 2,
        }
    }

    /// Sets the default merchant window in days, counted from delivery (or
    /// from the sale when there is no delivery date).
    #[must_use]
    pub fn window_days(mut self, days: u32) -> Self {
        self.window_days = days;
        self
    }

    /// Sets the statutory window for merchant-fault returns (defective, wrong,
    /// damaged in transit, not as described); it overrides a shorter merchant
    /// window and category refusals. 0 disables it.
    #[must_use]
    pub fn statutory_defect_days(mut self, days: u32) -> Self {
        self.statutory_defect_days = days;
        self
    }

    /// Sets the default restocking fee in basis points of the refund.
    #[must_use]
    pub fn restocking_fee_bp(mut self, bp: u32) -> Self {
        self.restocking_fee_bp = bp;
        self
    }

    /// Sets (or replaces) the rules of one category.
    #[must_use]
    pub fn category(mut self, category: Category, rule: CategoryRule) -> Self {
        self.categories.insert(category, rule);
        self
    }

    /// Sends returns whose refund is at least `amount` to manual review.
    #[must_use]
    pub fn manual_review_refund_at(mut self, amount: Money) -> Self {
        self.manual_review_refund_at = Some(amount);
        self
    }

    /// Sends returns whose host-supplied risk score is at least `score` to manual review.
    #[must_use]
    pub fn manual_review_risk_at(mut self, score: u32) -> Self {
        self.manual_review_risk_at = Some(score);
        self
    }

    /// Sets when refunds are paid (in-store returns and keep-its are always instant).
    #[must_use]
    pub fn refund_timing(mut self, timing: RefundTiming) -> Self {
        self.refund_timing = timing;
        self
    }

    /// Sets the keep-it caps.
    #[must_use]
    pub fn keep_it(mut self, caps: KeepItCaps) -> Self {
        self.keep_it = caps;
        self
    }

    /// Sets the fractional digits refunds are rounded down to (2 = cents).
    #[must_use]
    pub fn money_scale(mut self, digits: u32) -> Self {
        self.money_scale = digits;
        self
    }

    /// The rules for `category` (defaults when it has none).
    #[must_use]
    pub fn rule_for(&self, category: Category) -> CategoryRule {
        self.categories.get(&category).copied().unwrap_or_default()
    }

    /// Checks that fees are at most 100%, amounts are not negative and the money
    /// scale is at most 10 digits.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::InvalidPolicy`] naming the first offending field.
    pub fn validate(&self) -> Result<(), ReturnsError> {
        let bad = |field| Err(ReturnsError::InvalidPolicy { field });
        if self.restocking_fee_bp > MAX_FEE_BP
            || self.categories.values().any(|r| r.restocking_fee_bp.is_some_and(|bp| bp > MAX_FEE_BP))
        {
            return bad("restocking_fee_bp");
        }
        if self.manual_review_refund_at.is_some_and(Money::is_negative) {
            return bad("manual_review_refund_at");
        }
        if self.keep_it.max_value.is_negative() {
            return bad("keep_it.max_value");
        }
        if self.money_scale > MAX_MONEY_SCALE {
            return bad("money_scale");
        }
        Ok(())
    }

    pub(crate) const fn merchant_window_days(&self, rule: &CategoryRule) -> u32 {
        match rule.window_days {
            Some(d) => d,
            None => self.window_days,
        }
    }

    pub(crate) const fn statutory_days(&self) -> u32 {
        self.statutory_defect_days
    }

    pub(crate) const fn fee_bp(&self, rule: &CategoryRule) -> u32 {
        match rule.restocking_fee_bp {
            Some(bp) => bp,
            None => self.restocking_fee_bp,
        }
    }

    pub(crate) const fn review_refund_at(&self) -> Option<Money> {
        self.manual_review_refund_at
    }

    pub(crate) const fn review_risk_at(&self) -> Option<u32> {
        self.manual_review_risk_at
    }

    pub(crate) const fn timing(&self) -> RefundTiming {
        self.refund_timing
    }

    pub(crate) const fn keep_it_caps(&self) -> KeepItCaps {
        self.keep_it
    }

    pub(crate) const fn scale(&self) -> u32 {
        self.money_scale
    }
}
