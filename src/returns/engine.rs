//! The per-sale return state and the request and receipt steps.

use rust_decimal::{Decimal, RoundingStrategy};

use super::disposition::{self, DispositionDecision};
use super::{
    Disposition, HazmatMode, HygieneRule, Inspection, KeepItBlock, NodeExclusion, NodeSignal, Reason,
    Recovery, RefundTiming, ReturnChannel, ReturnId, ReturnPolicy, ReturnReason, ReturnRequest, ReturnsError,
    ReviewTrigger, Sale, Window,
};
use crate::ledger::{Command, CommandKind};
use crate::model::{EntryId, Money, NodeId, Qty, Timestamp};

/// The outcome of a return request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Verdict {
    /// Accepted and recorded.
    Accepted,
    /// Refused by a policy rule; nothing recorded.
    Refused,
    /// Needs a person's approval; nothing recorded. Send it again with
    /// [`ReturnRequest::review_approved`] once approved.
    NeedsReview,
}

/// Where an accepted return goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "route"))]
#[non_exhaustive]
pub enum Route {
    /// Returnless refund: the customer keeps the units.
    KeepIt,
    /// Mail the units to `node`.
    SendTo {
        /// The destination.
        node: NodeId,
    },
    /// Received at `store`; they sell best at `destination` (possibly the store itself).
    InStore {
        /// The store taking the units.
        store: NodeId,
        /// Where they should end up.
        destination: NodeId,
    },
}

/// The money side of an accepted return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Refund {
    /// What the customer gets back.
    pub amount: Money,
    /// The restocking fee withheld.
    pub fee: Money,
    /// The pro-rata share of what was paid for the returned units, before fee and cap.
    pub pro_rata: Money,
    /// When it is paid.
    pub timing: RefundTiming,
}

/// The decision on a return request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct RequestDecision {
    /// The return.
    pub return_id: ReturnId,
    /// Accepted, refused or to review.
    pub verdict: Verdict,
    /// The refund, when accepted.
    pub refund: Option<Refund>,
    /// Where the units go, when accepted.
    pub route: Option<Route>,
    /// The rules that fired, in order, with their numbers.
    pub reasons: Vec<Reason>,
}

/// Units received for a return, and the ledger command that books them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Receipt {
    /// The return.
    pub return_id: ReturnId,
    /// Where they arrived.
    pub node: NodeId,
    /// How many.
    pub qty: Qty,
    /// One `ReturnReceipt` command with the entry id given.
    pub commands: Vec<Command>,
}

/// Where one return stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ReturnStatus {
    /// Accepted, no units received yet.
    Requested,
    /// Returnless refund: nothing will arrive.
    KeptByCustomer,
    /// Some units received; not every unit received and disposed.
    Received,
    /// Every unit received and disposed.
    Disposed,
}

/// Units of one return given one disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Disposed {
    /// What happened to them.
    pub disposition: Disposition,
    /// How many.
    pub qty: Qty,
    /// Where they ended up.
    pub node: NodeId,
}

/// One accepted return of a sale and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ReturnCase {
    /// The return.
    pub id: ReturnId,
    /// Units accepted for return.
    pub qty: Qty,
    /// Why.
    pub reason: ReturnReason,
    /// Whether the packaging was opened.
    pub opened: bool,
    /// When it was accepted.
    pub requested_at: Timestamp,
    /// The refund granted.
    pub refund: Refund,
    /// Where it goes.
    pub route: Route,
    /// Units received.
    pub received: Qty,
    /// Where they were received.
    pub received_node: Option<NodeId>,
    /// The time of the latest step (request, receipt or inspection).
    pub last_at: Timestamp,
    /// Dispositions so far, in order.
    pub dispositions: Vec<Disposed>,
}

impl ReturnCase {
    /// Units received and disposed.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::Overflow`] (not reachable through the engine's own checks).
    pub fn disposed(&self) -> Result<Qty, ReturnsError> {
        self.dispositions.iter().try_fold(Qty::ZERO, |acc, d| acc.checked_add(d.qty)).map_err(Into::into)
    }

    /// Where the return stands.
    #[must_use]
    pub fn status(&self) -> ReturnStatus {
        if self.route == Route::KeepIt {
            return ReturnStatus::KeptByCustomer;
        }
        let disposed =
            self.dispositions.iter().fold(0_u128, |acc, d| acc.saturating_add(u128::from(d.qty.get())));
        if self.received.is_zero() {
            ReturnStatus::Requested
        } else if self.received == self.qty && disposed == u128::from(self.qty.get()) {
            ReturnStatus::Disposed
        } else {
            ReturnStatus::Received
        }
    }
}

/// The returns of one sold line: the sale record and every accepted return,
/// so over-returns, over-refunds and out-of-order steps are caught across
/// several returns of the sale.
///
/// Each step validates everything first and only then records; a step that
/// returns an error (or a refused or to-review request) leaves the value
/// unchanged.
///
/// ```
/// use omniroute::returns::*;
/// use omniroute::{EntryId, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};
///
/// let day = |d| Timestamp::from_unix_ms(d * Timestamp::MS_PER_DAY);
/// let sale = Sale::new(OrderId::new(1), LineId::new(0), Sku::new(3), Category::new(0), day(0))
///     .quantities(Qty::new(1), Qty::new(1))
///     .paid(Money::from_int(60));
/// let mut returns = SaleReturns::new(sale)?;
/// let policy = ReturnPolicy::new();
/// let nodes = [
///     NodeSignal::new(NodeId::new(1), Money::from_int(45)).transport_cost(Money::from_int(7)),
///     NodeSignal::new(NodeId::new(2), Money::from_int(55)).transport_cost(Money::from_int(9)),
/// ];
/// let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::DoesNotFit, day(5));
/// let decision = returns.request(&req, &policy, &nodes)?;
/// assert_eq!(decision.verdict, Verdict::Accepted);
/// assert_eq!(decision.route, Some(Route::SendTo { node: NodeId::new(2) }));
///
/// let receipt = returns.receive(ReturnId::new(1), NodeId::new(2), Qty::new(1), day(8), EntryId::new(100)?)?;
/// assert_eq!(receipt.commands.len(), 1);
/// let inspection = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), day(9));
/// let recovery = Recovery::new().restock_at(NodeSignal::new(NodeId::new(2), Money::from_int(55)));
/// let d = returns.dispose(&inspection, &policy, &recovery, EntryId::new(101)?)?;
/// assert_eq!(d.disposition, Disposition::Restock);
/// assert_eq!(returns.case(ReturnId::new(1)).map(ReturnCase::status), Some(ReturnStatus::Disposed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SaleReturnsRepr", into = "SaleReturnsRepr"))]
pub struct SaleReturns {
    sale: Sale,
    cases: Vec<ReturnCase>,
}

#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone)]
struct SaleReturnsRepr {
    sale: Sale,
    cases: Vec<ReturnCase>,
}

impl From<SaleReturns> for SaleReturnsRepr {
    fn from(s: SaleReturns) -> Self {
        Self { sale: s.sale, cases: s.cases }
    }
}

impl TryFrom<SaleReturnsRepr> for SaleReturns {
    type Error = ReturnsError;
    fn try_from(r: SaleReturnsRepr) -> Result<Self, ReturnsError> {
        let mut s = Self::new(r.sale)?;
        for c in r.cases {
            if s.case(c.id).is_some() {
                return Err(ReturnsError::DuplicateReturn { id: c.id });
            }
            if c.qty.is_zero() {
                return Err(ReturnsError::ZeroQuantity);
            }
            let already = s.returned_qty()?;
            if already.checked_add(c.qty)? > s.sale.qty_shipped {
                return Err(ReturnsError::OverReturn { qty: c.qty, already, shipped: s.sale.qty_shipped });
            }
            let refundable = s.refundable()?;
            if c.refund.amount.is_negative() || c.refund.amount > refundable {
                return Err(ReturnsError::RefundExceedsPaid { asked: c.refund.amount, refundable });
            }
            let outstanding = if c.route == Route::KeepIt { Qty::ZERO } else { c.qty };
            if c.received > outstanding || c.received.is_zero() != c.received_node.is_none() {
                return Err(ReturnsError::OverReceipt { id: c.id, qty: c.received, outstanding });
            }
            let disposed = c.disposed()?;
            if disposed > c.received {
                return Err(ReturnsError::NotReceived { id: c.id, qty: disposed, undisposed: c.received });
            }
            s.cases.push(c);
        }
        Ok(s)
    }
}

fn round_down(m: Money, scale: u32) -> Money {
    Money::new(m.get().round_dp_with_strategy(scale, RoundingStrategy::ToZero))
}

fn max(a: Money, b: Money) -> Money {
    if a >= b { a } else { b }
}

struct Candidate {
    node: NodeId,
    value: Money,
    cost: Money,
    net: Money,
}

impl SaleReturns {
    /// Starts tracking the returns of `sale`.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::InvalidSale`] when the record is inconsistent (see [`Sale::validate`]).
    pub fn new(sale: Sale) -> Result<Self, ReturnsError> {
        sale.validate()?;
        Ok(Self { sale, cases: Vec::new() })
    }

    /// The sale.
    #[must_use]
    pub const fn sale(&self) -> &Sale {
        &self.sale
    }

    /// Every accepted return, in the order accepted.
    #[must_use]
    pub fn cases(&self) -> &[ReturnCase] {
        &self.cases
    }

    /// One accepted return.
    #[must_use]
    pub fn case(&self, id: ReturnId) -> Option<&ReturnCase> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// Units accepted for return across all returns (keep-its included).
    ///
    /// # Errors
    ///
    /// [`ReturnsError::Overflow`] (not reachable through the engine's own checks).
    pub fn returned_qty(&self) -> Result<Qty, ReturnsError> {
        self.cases.iter().try_fold(Qty::ZERO, |acc, c| acc.checked_add(c.qty)).map_err(Into::into)
    }

    /// Everything refunded: before any return plus every accepted return's refund.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::Overflow`] (not reachable through the engine's own checks).
    pub fn refunded(&self) -> Result<Money, ReturnsError> {
        self.cases
            .iter()
            .try_fold(self.sale.refunded, |acc, c| acc.checked_add(c.refund.amount))
            .map_err(Into::into)
    }

    /// What may still be refunded: paid minus refunded.
    ///
    /// # Errors
    ///
    /// [`ReturnsError::Overflow`] (not reachable through the engine's own checks).
    pub fn refundable(&self) -> Result<Money, ReturnsError> {
        Ok(self.sale.paid.checked_sub(self.refunded()?)?)
    }

    fn index(&self, id: ReturnId) -> Result<usize, ReturnsError> {
        self.cases.iter().position(|c| c.id == id).ok_or(ReturnsError::UnknownReturn { id })
    }

    /// Decides a return request: returnable or not and by which rule, the
    /// refund, keep-it, and the destination among `nodes` (each node's resale
    /// value net of transport and handling). An accepted return is recorded;
    /// a refused one or one that needs review is not.
    ///
    /// Rules run in this order, each adding its [`Reason`]: recall; window
    /// (merchant, then statutory for merchant-fault reasons); final sale,
    /// hygiene, hazmat, perishable (each overridden when the merchant was at
    /// fault); pro-rata refund, restocking fee (waived on merchant fault or
    /// recall), cap at what is still refundable, override; manual review;
    /// destination or keep-it; refund timing. Ties between destinations go to
    /// the store of an in-store return, then to the lowest node id.
    ///
    /// # Errors
    ///
    /// In this order: [`ReturnsError::InvalidPolicy`], [`ReturnsError::NegativeAmount`],
    /// [`ReturnsError::DuplicateNode`], [`ReturnsError::ZeroQuantity`], [`ReturnsError::DuplicateReturn`],
    /// [`ReturnsError::BeforeSale`], [`ReturnsError::OverReturn`],
    /// [`ReturnsError::RefundExceedsPaid`], [`ReturnsError::Overflow`].
    ///
    /// # Complexity
    ///
    /// O(r + n log n) for r returns of the sale and n nodes.
    ///
    /// # Example
    ///
    /// See [`SaleReturns`].
    pub fn request(
        &mut self,
        req: &ReturnRequest,
        policy: &ReturnPolicy,
        nodes: &[NodeSignal],
    ) -> Result<RequestDecision, ReturnsError> {
        policy.validate()?;
        for n in nodes {
            n.validate()?;
        }
        super::input::unique_nodes(nodes)?;
        if req.refund_override.is_some_and(Money::is_negative) {
            return Err(ReturnsError::NegativeAmount { field: "refund_override" });
        }
        if req.customer.keep_it_value.is_negative() {
            return Err(ReturnsError::NegativeAmount { field: "keep_it_value" });
        }
        if req.qty.is_zero() {
            return Err(ReturnsError::ZeroQuantity);
        }
        if self.case(req.id).is_some() {
            return Err(ReturnsError::DuplicateReturn { id: req.id });
        }
        if req.requested_at < self.sale.sold_at {
            return Err(ReturnsError::BeforeSale { at: req.requested_at, sold_at: self.sale.sold_at });
        }
        let already = self.returned_qty()?;
        let after = already.checked_add(req.qty)?;
        if after > self.sale.qty_shipped {
            return Err(ReturnsError::OverReturn { qty: req.qty, already, shipped: self.sale.qty_shipped });
        }
        let refundable = self.refundable()?;
        if let Some(asked) = req.refund_override {
            if asked > refundable {
                return Err(ReturnsError::RefundExceedsPaid { asked, refundable });
            }
        }
        let decision = self.evaluate(req, policy, nodes, after, refundable)?;
        if let (Verdict::Accepted, Some(refund), Some(route)) =
            (decision.verdict, decision.refund, decision.route)
        {
            self.cases.push(ReturnCase {
                id: req.id,
                qty: req.qty,
                reason: req.reason,
                opened: req.opened,
                requested_at: req.requested_at,
                refund,
                route,
                received: Qty::ZERO,
                received_node: None,
                last_at: req.requested_at,
                dispositions: Vec::new(),
            });
        }
        Ok(decision)
    }

    #[allow(clippy::too_many_lines)] // one rule after another, in the documented order
    fn evaluate(
        &self,
        req: &ReturnRequest,
        policy: &ReturnPolicy,
        nodes: &[NodeSignal],
        returned_after: Qty,
        refundable: Money,
    ) -> Result<RequestDecision, ReturnsError> {
        let sale = &self.sale;
        let rule = policy.rule_for(sale.category);
        let fault = req.reason.is_merchant_fault();
        let store = match req.channel {
            ReturnChannel::InStore(s) => Some(s),
            ReturnChannel::Mail => None,
        };
        let mut reasons = Vec::new();
        let decided = |verdict, reasons| RequestDecision {
            return_id: req.id,
            verdict,
            refund: None,
            route: None,
            reasons,
        };
        let mut forced_keep = false;

        if sale.recalled {
            reasons.push(Reason::Recalled);
        } else {
            let days = req
                .requested_at
                .day_index()
                .checked_sub(sale.window_start().day_index())
                .ok_or(ReturnsError::Overflow { what: "days" })?;
            let merchant = policy.merchant_window_days(&rule);
            let statutory = policy.statutory_days();
            if days <= i64::from(merchant) {
                reasons.push(Reason::WithinWindow {
                    window: Window::Merchant,
                    days_elapsed: days,
                    window_days: merchant,
                });
            } else if fault && statutory > 0 && days <= i64::from(statutory) {
                reasons.push(Reason::WithinWindow {
                    window: Window::Statutory,
                    days_elapsed: days,
                    window_days: statutory,
                });
            } else {
                reasons.push(Reason::OutsideWindow {
                    days_elapsed: days,
                    merchant_days: merchant,
                    statutory_days: (fault && statutory > 0).then_some(statutory),
                });
                return Ok(decided(Verdict::Refused, reasons));
            }
            // Category refusals; a merchant-fault reason overrides each one.
            let refusal = |reasons: &mut Vec<Reason>, r: Reason| {
                reasons.push(r);
                if fault {
                    reasons.push(Reason::MerchantFaultOverride);
                }
                !fault
            };
            if rule.final_sale && refusal(&mut reasons, Reason::FinalSale) {
                return Ok(decided(Verdict::Refused, reasons));
            }
            if req.opened {
                match rule.hygiene {
                    HygieneRule::SealedOnly => {
                        if refusal(&mut reasons, Reason::HygieneOpened) {
                            return Ok(decided(Verdict::Refused, reasons));
                        }
                    }
                    HygieneRule::Cleanable => reasons.push(Reason::HygieneCleanable),
                    HygieneRule::None => {}
                }
            }
            match rule.hazmat {
                HazmatMode::NotReturnable => {
                    if refusal(&mut reasons, Reason::HazmatNotReturnable) {
                        return Ok(decided(Verdict::Refused, reasons));
                    }
                    forced_keep = true;
                }
                HazmatMode::InStoreOnly if store.is_none() => {
                    if refusal(&mut reasons, Reason::HazmatInStoreOnly) {
                        return Ok(decided(Verdict::Refused, reasons));
                    }
                    forced_keep = true;
                }
                _ => {}
            }
            if rule.perishable {
                if refusal(&mut reasons, Reason::Perishable) {
                    return Ok(decided(Verdict::Refused, reasons));
                }
                forced_keep |= store.is_none();
            }
        }

        // Refund: pro rata (the last units get the remainder), fee, cap, override.
        let scale = policy.scale();
        let gross_before =
            self.cases.iter().try_fold(Money::ZERO, |acc, c| acc.checked_add(c.refund.pro_rata))?;
        let pro_rata = if returned_after == sale.qty_sold {
            max(sale.paid.checked_sub(gross_before)?, Money::ZERO)
        } else {
            let share = sale
                .paid
                .checked_mul_qty(req.qty)?
                .get()
                .checked_div(Decimal::from(sale.qty_sold.get()))
                .ok_or(ReturnsError::Overflow { what: "refund" })?;
            round_down(Money::new(share), scale)
        };
        reasons.push(Reason::ProRata {
            qty: req.qty,
            sold: sale.qty_sold,
            paid: sale.paid,
            amount: pro_rata,
        });
        let rate_bp = policy.fee_bp(&rule);
        let mut fee =
            round_down(pro_rata.checked_mul(Decimal::from(rate_bp))?.checked_mul(Decimal::new(1, 4))?, scale);
        if !fee.get().is_zero() {
            if fault || sale.recalled {
                reasons.push(Reason::FeeWaived { fee });
                fee = Money::ZERO;
            } else {
                reasons.push(Reason::RestockingFee { rate_bp, fee });
            }
        }
        let computed = pro_rata.checked_sub(fee)?;
        let mut amount = computed;
        if computed > refundable {
            reasons.push(Reason::RefundCapped { computed, refundable });
            amount = max(refundable, Money::ZERO);
        }
        // Nothing is restocked on a keep-it, so it refunds without the fee.
        let mut amount_if_kept = max(Money::ZERO, if pro_rata > refundable { refundable } else { pro_rata });
        if let Some(o) = req.refund_override {
            reasons.push(Reason::RefundOverride { computed: amount, amount: o });
            amount = o;
            amount_if_kept = o;
        }

        // Manual review (a recall is never held up).
        if !sale.recalled {
            let mut triggers = Vec::new();
            if let Some(threshold) = policy.review_refund_at() {
                if amount >= threshold {
                    triggers.push(ReviewTrigger::HighValue { refund: amount, threshold });
                }
            }
            if let Some(threshold) = policy.review_risk_at() {
                if req.risk_score >= threshold {
                    triggers.push(ReviewTrigger::Risk { score: req.risk_score, threshold });
                }
            }
            let held = !triggers.is_empty();
            reasons.extend(triggers.into_iter().map(|trigger| Reason::ManualReview { trigger }));
            if held {
                if !req.review_approved {
                    return Ok(decided(Verdict::NeedsReview, reasons));
                }
                reasons.push(Reason::ReviewApproved);
            }
        }

        // Destination or keep-it.
        let route = if forced_keep {
            reasons.push(Reason::ForcedKeepIt);
            Route::KeepIt
        } else {
            let best = self.best_node(req, &rule, nodes, store, &mut reasons)?;
            let pays = best.as_ref().is_none_or(|b| b.net.is_negative());
            let mut keep = false;
            if pays {
                let caps = policy.keep_it_caps();
                let count = req.customer.keep_it_count.saturating_add(1);
                let value = req.customer.keep_it_value.checked_add(amount_if_kept)?;
                let block = if sale.recalled {
                    Some(KeepItBlock::Recall)
                } else if store.is_some() {
                    Some(KeepItBlock::InStore)
                } else if !caps.enabled {
                    Some(KeepItBlock::Disabled)
                } else if count > caps.max_count {
                    Some(KeepItBlock::Count { count, max: caps.max_count })
                } else if value > caps.max_value {
                    Some(KeepItBlock::Value { value, max: caps.max_value })
                } else {
                    None
                };
                match block {
                    Some(block) => reasons.push(Reason::KeepItBlocked { block }),
                    None => {
                        let (expected_recovery, cost_to_return) =
                            best.as_ref().map_or((Money::ZERO, Money::ZERO), |b| (b.value, b.cost));
                        reasons.push(Reason::KeepIt { expected_recovery, cost_to_return });
                        if !fee.get().is_zero() && req.refund_override.is_none() {
                            reasons.push(Reason::FeeWaived { fee });
                            fee = Money::ZERO;
                        }
                        amount = amount_if_kept;
                        keep = true;
                    }
                }
            }
            if keep {
                Route::KeepIt
            } else {
                match (best, store) {
                    (Some(b), None) => {
                        reasons.push(Reason::Destination { node: b.node, net: b.net });
                        Route::SendTo { node: b.node }
                    }
                    (Some(b), Some(s)) => {
                        reasons.push(Reason::Destination { node: b.node, net: b.net });
                        if b.node == s {
                            reasons.push(Reason::LocalRestock { node: s });
                        }
                        Route::InStore { store: s, destination: b.node }
                    }
                    (None, Some(s)) => {
                        reasons.push(Reason::LocalRestock { node: s });
                        Route::InStore { store: s, destination: s }
                    }
                    (None, None) => {
                        reasons.push(Reason::ManualReview { trigger: ReviewTrigger::NoDestination });
                        return Ok(decided(Verdict::NeedsReview, reasons));
                    }
                }
            }
        };
        let timing =
            if route == Route::KeepIt || store.is_some() { RefundTiming::Instant } else { policy.timing() };
        reasons.push(Reason::Refund { amount, timing });
        Ok(RequestDecision {
            return_id: req.id,
            verdict: Verdict::Accepted,
            refund: Some(Refund { amount, fee, pro_rata, timing }),
            route: Some(route),
            reasons,
        })
    }

    fn best_node(
        &self,
        req: &ReturnRequest,
        rule: &super::CategoryRule,
        nodes: &[NodeSignal],
        store: Option<NodeId>,
        reasons: &mut Vec<Reason>,
    ) -> Result<Option<Candidate>, ReturnsError> {
        let mut sorted: Vec<&NodeSignal> = nodes.iter().collect();
        // The store of an in-store return first, then by id (ids are unique): ties go to the first.
        sorted.sort_by_key(|n| (Some(n.node) != store, n.node));
        let mut best: Option<Candidate> = None;
        for n in sorted {
            if !n.accepts_returns {
                reasons.push(Reason::NodeExcluded { node: n.node, why: NodeExclusion::NoReturns });
                continue;
            }
            if rule.hazmat != HazmatMode::None && !n.hazmat {
                reasons.push(Reason::NodeExcluded { node: n.node, why: NodeExclusion::NoHazmat });
                continue;
            }
            let value = n.resale_value.checked_mul_qty(req.qty)?;
            let mut cost = n.handling_cost.checked_mul_qty(req.qty)?;
            if Some(n.node) != store {
                cost = cost.checked_add(n.transport_cost)?;
            }
            let net = value.checked_sub(cost)?;
            reasons.push(Reason::Candidate { node: n.node, value, cost, net });
            if best.as_ref().is_none_or(|b| net > b.net) {
                best = Some(Candidate { node: n.node, value, cost, net });
            }
        }
        Ok(best)
    }

    /// Books units of an accepted return as received at `node` at time `at`,
    /// and returns the `ReturnReceipt` command (entry id `entry`) that puts
    /// them into the node's `ReturnsPending`. A return may arrive in several
    /// receipts, all at one node.
    ///
    /// # Errors
    ///
    /// In this order: [`ReturnsError::ZeroQuantity`], [`ReturnsError::UnknownReturn`],
    /// [`ReturnsError::TimeWentBackwards`] (before the request or an earlier
    /// receipt), [`ReturnsError::OverReceipt`] (more than outstanding, or
    /// anything for a keep-it), [`ReturnsError::ReceiptNodeMismatch`],
    /// [`ReturnsError::Overflow`].
    ///
    /// # Example
    ///
    /// See [`SaleReturns`].
    pub fn receive(
        &mut self,
        id: ReturnId,
        node: NodeId,
        qty: Qty,
        at: Timestamp,
        entry: EntryId,
    ) -> Result<Receipt, ReturnsError> {
        if qty.is_zero() {
            return Err(ReturnsError::ZeroQuantity);
        }
        let i = self.index(id)?;
        let case = self.cases.get(i).ok_or(ReturnsError::UnknownReturn { id })?;
        if at < case.last_at {
            return Err(ReturnsError::TimeWentBackwards { at, previous: case.last_at });
        }
        let outstanding =
            if case.route == Route::KeepIt { Qty::ZERO } else { case.qty.checked_sub(case.received)? };
        if qty > outstanding {
            return Err(ReturnsError::OverReceipt { id, qty, outstanding });
        }
        if let Some(first) = case.received_node {
            if first != node {
                return Err(ReturnsError::ReceiptNodeMismatch { id, first, node });
            }
        }
        let received = case.received.checked_add(qty)?;
        let commands =
            vec![Command::new(entry, CommandKind::ReturnReceipt { node, sku: self.sale.sku, qty })];
        // Validated: apply.
        if let Some(case) = self.cases.get_mut(i) {
            case.received = received;
            case.received_node = Some(node);
            case.last_at = at;
        }
        Ok(Receipt { return_id: id, node, qty, commands })
    }

    /// Decides what happens to inspected units of a received return: among
    /// the dispositions the grade allows and the rules leave, the one with the
    /// highest net recovery (ties in [`Disposition`] order, then lowest node),
    /// or quarantine when none is left. Returns the ledger commands that move
    /// the units out of `ReturnsPending` at the receiving node; command `k`
    /// (0-based) has entry id `entry_base + k`, and a decision has at most two
    /// commands, so reserve two ids per call.
    ///
    /// Commands per disposition, at the receiving node: restock — `Move`
    /// returns-pending → on-hand, plus a `TransferOut` when it sells better at
    /// another node; open-box — `Adjust` decrease of returns-pending and a
    /// `Receive` of the open-box SKU; refurbish — `Move` to damaged;
    /// quarantine — `Move` to quarantine; return to vendor, liquidate, donate
    /// — `Adjust` decrease (reason `Other`); recycle, destroy — `Adjust`
    /// decrease (reason `WriteOff`).
    ///
    /// # Errors
    ///
    /// In this order: [`ReturnsError::InvalidPolicy`], [`ReturnsError::NegativeAmount`],
    /// [`ReturnsError::DuplicateNode`], [`ReturnsError::ZeroQuantity`], [`ReturnsError::UnknownReturn`],
    /// [`ReturnsError::TimeWentBackwards`], [`ReturnsError::NotReceived`] (more
    /// units than received and not yet disposed), [`ReturnsError::Overflow`]
    /// (including entry ids past `u128::MAX`).
    ///
    /// # Complexity
    ///
    /// O(d + n log n) for d dispositions and n restock nodes.
    ///
    /// # Example
    ///
    /// See [`SaleReturns`].
    pub fn dispose(
        &mut self,
        inspection: &Inspection,
        policy: &ReturnPolicy,
        recovery: &Recovery,
        entry_base: EntryId,
    ) -> Result<DispositionDecision, ReturnsError> {
        policy.validate()?;
        recovery.validate()?;
        let id = inspection.return_id;
        if inspection.qty.is_zero() {
            return Err(ReturnsError::ZeroQuantity);
        }
        let i = self.index(id)?;
        let case = self.cases.get(i).ok_or(ReturnsError::UnknownReturn { id })?;
        if inspection.at < case.last_at {
            return Err(ReturnsError::TimeWentBackwards { at: inspection.at, previous: case.last_at });
        }
        let undisposed = case.received.checked_sub(case.disposed()?)?;
        let node = match case.received_node {
            Some(n) if inspection.qty <= undisposed => n,
            _ => return Err(ReturnsError::NotReceived { id, qty: inspection.qty, undisposed }),
        };
        let decision = disposition::decide(&self.sale, case, node, inspection, policy, recovery, entry_base)?;
        // Validated: apply.
        if let Some(case) = self.cases.get_mut(i) {
            case.last_at = inspection.at;
            case.dispositions.push(Disposed {
                disposition: decision.disposition,
                qty: decision.qty,
                node: decision.node,
            });
        }
        Ok(decision)
    }
}
