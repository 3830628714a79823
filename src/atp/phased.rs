//! Time-phased ATP: supply by sellable day against demand by due day,
//! cumulative ATP with backward consumption, earliest promise dates.

use super::compute::{check_ids, evaluate};
use super::{AtpError, AtpViews, InboundPolicy};
use crate::ledger::Ledger;
use crate::model::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};

/// Demand the host has accepted against future supply — a backorder or a
/// pre-order line — due on `due`'s day (a due date before today counts as
/// due today).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Demand {
    /// When the units are due.
    pub due: Timestamp,
    /// How many.
    pub qty: Qty,
}

/// Supply and demand per day from today on, for one SKU and channel.
///
/// Days are [`Timestamp::day_index`] values. Day `today` always has an
/// entry (the supply on hand now).
///
/// ```
/// use omniroute::atp::PromiseSchedule;
/// use omniroute::{Qty, Timestamp};
/// let day = |d: i64| Timestamp::start_of_day(d).unwrap();
/// let mut s = PromiseSchedule::new(day(10), Qty::new(5));
/// s.add_supply(day(12), Qty::new(10))?;
/// s.add_demand(day(11), Qty::new(8))?; // a backorder due on day 11 takes 5 now and 3 of day 12
/// assert_eq!(s.earliest(Qty::new(0)), Some(day(10)));
/// assert_eq!(s.earliest(Qty::new(1)), Some(day(12)));
/// assert_eq!(s.earliest(Qty::new(7)), Some(day(12)));
/// assert_eq!(s.earliest(Qty::new(8)), None);
/// # Ok::<(), omniroute::atp::AtpError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseSchedule {
    /// (day, supply, demand), sorted by day, one entry per day.
    days: Vec<(i64, u64, u64)>,
}

impl PromiseSchedule {
    /// The most distinct days a schedule holds.
    pub const MAX_DAYS: usize = 1 << 16;

    /// A schedule from `now`'s day with `on_hand` units of supply today.
    #[must_use]
    pub fn new(now: Timestamp, on_hand: Qty) -> Self {
        Self { days: vec![(now.day_index(), on_hand.get(), 0)] }
    }

    /// Builds from unsorted (day, supply, demand) entries in one sort,
    /// merging days in place.
    fn from_entries(today: i64, on_hand: u64, mut entries: Vec<(i64, u64, u64)>) -> Result<Self, AtpError> {
        entries.push((today, on_hand, 0));
        for e in &mut entries {
            e.0 = e.0.max(today);
        }
        entries.sort_unstable_by_key(|e| e.0);
        let mut kept = 0_usize;
        for i in 0..entries.len() {
            let Some(&(d, s, q)) = entries.get(i) else { break };
            match kept.checked_sub(1).and_then(|k| entries.get_mut(k)) {
                Some(last) if last.0 == d => {
                    last.1 = last.1.checked_add(s).ok_or(AtpError::Overflow { what: "daily supply" })?;
                    last.2 = last.2.checked_add(q).ok_or(AtpError::Overflow { what: "daily demand" })?;
                }
                _ => {
                    if let Some(slot) = entries.get_mut(kept) {
                        *slot = (d, s, q);
                    }
                    kept = kept.saturating_add(1);
                }
            }
        }
        entries.truncate(kept);
        if entries.len() > Self::MAX_DAYS {
            return Err(AtpError::TooManyRules { max: Self::MAX_DAYS });
        }
        Ok(Self { days: entries })
    }

    /// Today's day index.
    #[must_use]
    pub fn today(&self) -> i64 {
        self.days.first().map_or(0, |d| d.0)
    }

    fn entry(&mut self, at: Timestamp) -> Result<&mut (i64, u64, u64), AtpError> {
        let day = at.day_index().max(self.today());
        let i = match self.days.binary_search_by_key(&day, |d| d.0) {
            Ok(i) => i,
            Err(i) => {
                if self.days.len() >= Self::MAX_DAYS {
                    return Err(AtpError::TooManyRules { max: Self::MAX_DAYS });
                }
                self.days.insert(i, (day, 0, 0));
                i
            }
        };
        self.days.get_mut(i).ok_or(AtpError::Overflow { what: "schedule" })
    }

    /// Adds `qty` of supply sellable on `at`'s day (no earlier than today).
    ///
    /// # Errors
    ///
    /// [`AtpError::Overflow`] when the day's supply overflows,
    /// [`AtpError::TooManyRules`] beyond [`Self::MAX_DAYS`] days.
    pub fn add_supply(&mut self, at: Timestamp, qty: Qty) -> Result<(), AtpError> {
        let e = self.entry(at)?;
        e.1 = e.1.checked_add(qty.get()).ok_or(AtpError::Overflow { what: "daily supply" })?;
        Ok(())
    }

    /// Adds `qty` of demand due on `at`'s day (no earlier than today).
    ///
    /// # Errors
    ///
    /// As [`Self::add_supply`].
    pub fn add_demand(&mut self, at: Timestamp, qty: Qty) -> Result<(), AtpError> {
        let e = self.entry(at)?;
        e.2 = e.2.checked_add(qty.get()).ok_or(AtpError::Overflow { what: "daily demand" })?;
        Ok(())
    }

    /// Each day with its supply and demand, in day order.
    pub fn days(&self) -> impl Iterator<Item = (i64, Qty, Qty)> + '_ {
        self.days.iter().map(|(d, s, q)| (*d, Qty::new(*s), Qty::new(*q)))
    }

    /// The earliest day (its start, UTC) on which `qty` units can be
    /// promised without starving any demand, or `None` if never within the
    /// schedule: the first day `d` such that cumulative supply minus
    /// cumulative demand is at least `qty` on every day from `d` on. Zero
    /// units can always be promised today, even when some demand is short.
    ///
    /// # Complexity
    ///
    /// O(days), one backward pass, no allocation.
    #[must_use]
    pub fn earliest(&self, qty: Qty) -> Option<Timestamp> {
        if qty.is_zero() {
            return Timestamp::start_of_day(self.today()).ok();
        }
        let need = i128::from(qty.get());
        // Cumulative balance at the last day, then walk backwards.
        let mut bal: i128 = self
            .days
            .iter()
            .fold(0_i128, |b, (_, s, d)| b.saturating_add(i128::from(*s)).saturating_sub(i128::from(*d)));
        let mut answer = None;
        for (day, s, d) in self.days.iter().rev() {
            if bal < need {
                break;
            }
            answer = Some(*day);
            bal = bal.saturating_sub(i128::from(*s)).saturating_add(i128::from(*d));
        }
        answer.and_then(|d| Timestamp::start_of_day(d).ok())
    }

    /// Units that can be promised on `at`'s day: the least cumulative
    /// balance from that day on (0 when some later demand is already short).
    #[must_use]
    pub fn available_on(&self, at: Timestamp) -> Qty {
        let day = at.day_index();
        let mut bal = 0_i128;
        let mut least: Option<i128> = None;
        let mut before = 0_i128;
        for (d, s, q) in &self.days {
            bal = bal.saturating_add(i128::from(*s)).saturating_sub(i128::from(*q));
            if *d <= day {
                before = bal;
            } else {
                least = Some(least.map_or(bal, |l| l.min(bal)));
            }
        }
        let m = least.map_or(before, |l| l.min(before));
        Qty::new(u64::try_from(m.max(0)).unwrap_or(u64::MAX))
    }
}

impl AtpViews {
    /// The time-phased schedule of `sku` for `channel` by `method` as of
    /// `now` (see the [module docs](crate::atp)): supply today from the
    /// views, inbound receipts from the views' time-phased supply (kept
    /// from the ledger's events), and the host's `demand`.
    ///
    /// # Errors
    ///
    /// [`AtpError::UnknownChannel`], [`AtpError::UnknownSku`],
    /// [`AtpError::Overflow`].
    ///
    /// # Complexity
    ///
    /// O(nodes × log receipts + (receipts + demand) × log(receipts + demand)),
    /// with no ledger reads beyond its registry sizes.
    pub fn schedule(
        &self,
        ledger: &Ledger,
        sku: Sku,
        channel: ChannelId,
        method: FulfilmentMethod,
        demand: &[Demand],
        now: Timestamp,
    ) -> Result<PromiseSchedule, AtpError> {
        check_ids(ledger, self.policy(), sku, channel)?;
        let policy = self.policy();
        let today = now.day_index();
        let mut on_hand = 0_u64;
        let cap = policy.get_preorder_cap();
        let mut entries: Vec<(i64, u64, u64)> = Vec::with_capacity(demand.len().saturating_add(34));
        let mut backlog = 0_u64;
        // The views keep each SKU's open receipts sorted by node, then ETA
        // day: one pass alongside the nodes, no ledger reads.
        let mut receipts = self.receipts_of(sku);
        for n in 0..ledger.node_count() {
            let node = NodeId::new(n);
            let base = self.base_pub(sku, node)?;
            let rules = self.rules(sku, node, channel, method);
            let (e, _) = evaluate(policy, &rules, base, false);
            let here =
                e.own_pool.get().checked_add(e.shared.get()).ok_or(AtpError::Overflow { what: "supply" })?;
            on_hand = on_hand.checked_add(here).ok_or(AtpError::Overflow { what: "supply" })?;
            let skip = receipts.partition_point(|r| r.0 < node);
            let rest = receipts.get(skip..).unwrap_or(&[]);
            let count = rest.partition_point(|r| r.0 == node);
            let (here_receipts, later) = rest.split_at_checked(count).unwrap_or((&[], &[]));
            receipts = later;
            if e.eligible && rules.uses_shared() {
                if let InboundPolicy::Within { horizon_days, lead_time_days } = policy.get_inbound() {
                    // Claims beyond what the node holds now are backorders due
                    // now: they consume the receipts first.
                    let claims = base.reserved.saturating_add(base.allocated);
                    let excess = claims.saturating_sub(base.on_hand.saturating_add(e.backorder.get()));
                    backlog = backlog.saturating_add(excess);
                    let last = today.saturating_add(horizon_days);
                    let open = if base.has_inbound { here_receipts } else { &[] };
                    // The pre-order cap applies per node, to receipts in
                    // sellable-day order (within a day the order cannot
                    // change that day's total).
                    let mut left = cap.map_or(u64::MAX, Qty::get);
                    for &(_, eta_day, units) in open {
                        let day = eta_day.saturating_add(lead_time_days);
                        if day <= last {
                            if cap.is_some() {
                                let take = units.min(left);
                                left = left.saturating_sub(take);
                                entries.push((day.max(today), take, 0));
                            } else {
                                entries.push((day, units, 0));
                            }
                        }
                    }
                }
            }
        }
        entries.push((today, 0, backlog));
        entries.extend(demand.iter().map(|d| (d.due.day_index(), 0, d.qty.get())));
        PromiseSchedule::from_entries(today, on_hand, entries)
    }

    /// The earliest date (start of the UTC day) by which `qty` units of
    /// `sku` can be promised to `channel` by `method`, given the host's
    /// dated `demand`, or `None` if never within the policy's horizon.
    ///
    /// # Errors
    ///
    /// As [`AtpViews::schedule`].
    ///
    /// # Complexity
    ///
    /// As [`AtpViews::schedule`], plus O(days).
    ///
    /// ```
    /// use omniroute::atp::{AtpPolicy, AtpViews, InboundPolicy};
    /// use omniroute::ledger::Ledger;
    /// use omniroute::{ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, NodeId, Qty, Sku, Timestamp};
    /// let day = |d: i64| Timestamp::start_of_day(d).unwrap();
    /// let (node, sku) = (NodeId::new(0), Sku::new(0));
    /// let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), day(0))?;
    /// l.apply(&Command::new(EntryId::new(2)?, CommandKind::Receive { node, sku, qty: Qty::new(3), inbound: None }), day(0))?;
    /// l.apply(&Command::new(EntryId::new(3)?, CommandKind::ExpectInbound { node, sku, qty: Qty::new(10), eta: day(4) }), day(0))?;
    /// let policy = AtpPolicy::new(1)?.inbound(InboundPolicy::within(30, 1)?);
    /// let views = AtpViews::new(policy, &l)?;
    /// let when = |q| views.earliest_promise_date(&l, sku, ChannelId::new(0), FulfilmentMethod::Ship, Qty::new(q), &[], day(0));
    /// assert_eq!(when(3)?, Some(day(0)));
    /// assert_eq!(when(4)?, Some(day(5))); // ETA day 4 + 1 day lead time
    /// assert_eq!(when(14)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn earliest_promise_date(
        &self,
        ledger: &Ledger,
        sku: Sku,
        channel: ChannelId,
        method: FulfilmentMethod,
        qty: Qty,
        demand: &[Demand],
        now: Timestamp,
    ) -> Result<Option<Timestamp>, AtpError> {
        Ok(self.schedule(ledger, sku, channel, method, demand, now)?.earliest(qty))
    }

    /// Whether `qty` units can be promised by `date`.
    ///
    /// # Errors
    ///
    /// [`AtpError::DateBeforeNow`] when `date` is before `now`, else as
    /// [`AtpViews::schedule`].
    ///
    /// ```
    /// # use omniroute::atp::*; use omniroute::ledger::Ledger; use omniroute::*;
    /// let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1)?, CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH)?;
    /// let v = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// let ok = v.can_promise_by(&l, Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship, Qty::ZERO, Timestamp::EPOCH, &[], Timestamp::EPOCH)?;
    /// assert!(ok);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn can_promise_by(
        &self,
        ledger: &Ledger,
        sku: Sku,
        channel: ChannelId,
        method: FulfilmentMethod,
        qty: Qty,
        date: Timestamp,
        demand: &[Demand],
        now: Timestamp,
    ) -> Result<bool, AtpError> {
        self.policy().check_channel(channel)?;
        if date < now {
            return Err(AtpError::DateBeforeNow { date, now });
        }
        let when = self.earliest_promise_date(ledger, sku, channel, method, qty, demand, now)?;
        Ok(when.is_some_and(|w| w.day_index() <= date.day_index()))
    }
}
