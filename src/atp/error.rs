//! The ATP error enum.

use crate::ledger::LedgerError;
use crate::model::{ChannelId, NodeId, Sku, Timestamp};

/// Why an ATP policy change or query was refused. Nothing changes on error.
///
/// Variants are listed in precedence order: when several apply, the first
/// one listed is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AtpError {
    /// A channel outside the policy's registry.
    ///
    /// ```
    /// use omniroute::atp::{AtpError, AtpPolicy};
    /// use omniroute::{ChannelId, Qty};
    /// let mut p = AtpPolicy::new(1)?;
    /// let err = p.set_low_stock_threshold(Some(ChannelId::new(5)), Qty::new(1)).unwrap_err();
    /// assert_eq!(err, AtpError::UnknownChannel { channel: ChannelId::new(5), channels: 1 });
    /// # Ok::<(), AtpError>(())
    /// ```
    #[error("unknown channel {channel} (the policy has {channels} channels)")]
    UnknownChannel {
        /// The channel named.
        channel: ChannelId,
        /// Channels registered in the policy.
        channels: u32,
    },
    /// A channel registry larger than [`AtpPolicy::MAX_CHANNELS`](crate::atp::AtpPolicy::MAX_CHANNELS).
    ///
    /// ```
    /// use omniroute::atp::{AtpError, AtpPolicy};
    /// assert!(matches!(AtpPolicy::new(100_000), Err(AtpError::TooManyChannels { .. })));
    /// ```
    #[error("{channels} channels exceed the limit of {max}")]
    TooManyChannels {
        /// Channels asked for.
        channels: u32,
        /// The limit.
        max: u32,
    },
    /// A node the ledger does not know (or beyond the ledger's limit, in a policy).
    ///
    /// ```
    /// use omniroute::atp::{AtpError, AtpViews, AtpPolicy};
    /// use omniroute::ledger::Ledger;
    /// use omniroute::{ChannelId, FulfilmentMethod, NodeId, Sku};
    /// let views = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// let err = views.node(Sku::new(0), NodeId::new(3), ChannelId::new(0), FulfilmentMethod::Ship).unwrap_err();
    /// assert!(matches!(err, AtpError::UnknownNode { .. } | AtpError::UnknownSku { .. }));
    /// # Ok::<(), AtpError>(())
    /// ```
    #[error("unknown node {node}")]
    UnknownNode {
        /// The node named.
        node: NodeId,
    },
    /// A SKU the ledger does not know.
    ///
    /// ```
    /// use omniroute::atp::{AtpError, AtpViews, AtpPolicy};
    /// use omniroute::ledger::Ledger;
    /// use omniroute::{ChannelId, FulfilmentMethod, Sku};
    /// let views = AtpViews::new(AtpPolicy::new(1)?, &Ledger::new())?;
    /// let err = views.network(Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship).unwrap_err();
    /// assert_eq!(err, AtpError::UnknownSku { sku: Sku::new(0) });
    /// # Ok::<(), AtpError>(())
    /// ```
    #[error("unknown sku {sku}")]
    UnknownSku {
        /// The SKU named.
        sku: Sku,
    },
    /// A buffer or cap given as a negative number.
    ///
    /// ```
    /// use omniroute::atp::{AtpError, Buffer};
    /// assert_eq!(Buffer::units(-3), Err(AtpError::NegativeBuffer { value: -3 }));
    /// ```
    #[error("negative buffer {value}")]
    NegativeBuffer {
        /// The value given.
        value: i64,
    },
    /// A percentage buffer above 100 % (10,000 basis points).
    ///
    /// ```
    /// use omniroute::atp::{AtpError, Buffer};
    /// assert_eq!(Buffer::percent_bp(10_001), Err(AtpError::PercentOutOfRange { basis_points: 10_001 }));
    /// ```
    #[error("percentage buffer of {basis_points} basis points is outside 0..=10000")]
    PercentOutOfRange {
        /// The value given, in basis points (1/100 of a percent).
        basis_points: i64,
    },
    /// A horizon or lead time that is negative or longer than
    /// [`AtpPolicy::MAX_HORIZON_DAYS`](crate::atp::AtpPolicy::MAX_HORIZON_DAYS).
    ///
    /// ```
    /// use omniroute::atp::{AtpError, InboundPolicy};
    /// assert!(matches!(InboundPolicy::within(-1, 0), Err(AtpError::HorizonOutOfRange { .. })));
    /// ```
    #[error("horizon of {days} days is outside 0..={max}")]
    HorizonOutOfRange {
        /// Days given.
        days: i64,
        /// The limit.
        max: i64,
    },
    /// A query date before `now`.
    ///
    /// ```
    /// use omniroute::atp::{AtpError, AtpPolicy, AtpViews};
    /// use omniroute::ledger::Ledger;
    /// use omniroute::{ChannelId, Command, CommandKind, EntryId, FulfilmentMethod, Qty, Sku, Timestamp};
    /// let mut l = Ledger::new();
    /// l.apply(&Command::new(EntryId::new(1).unwrap(), CommandKind::Register { nodes: 1, skus: 1 }), Timestamp::EPOCH).unwrap();
    /// let views = AtpViews::new(AtpPolicy::new(1)?, &l)?;
    /// let now = Timestamp::from_unix_ms(10 * 86_400_000);
    /// let err = views
    ///     .can_promise_by(&l, Sku::new(0), ChannelId::new(0), FulfilmentMethod::Ship, Qty::new(1), Timestamp::EPOCH, &[], now)
    ///     .unwrap_err();
    /// assert!(matches!(err, AtpError::DateBeforeNow { .. }));
    /// # Ok::<(), AtpError>(())
    /// ```
    #[error("date {date} is before now ({now})")]
    DateBeforeNow {
        /// The date asked about.
        date: Timestamp,
        /// The `now` passed in.
        now: Timestamp,
    },
    /// A policy table is full (see [`AtpPolicy::MAX_RULES`](crate::atp::AtpPolicy::MAX_RULES)).
    ///
    /// ```
    /// use omniroute::atp::{AtpError, AtpPolicy};
    /// assert_eq!(AtpError::TooManyRules { max: AtpPolicy::MAX_RULES }.to_string(), "policy table is full (4096 rules)");
    /// ```
    #[error("policy table is full ({max} rules)")]
    TooManyRules {
        /// The limit.
        max: usize,
    },
    /// A sum that does not fit in 64 bits.
    ///
    /// ```
    /// use omniroute::atp::AtpError;
    /// assert_eq!(AtpError::Overflow { what: "network total" }.to_string(), "overflow in network total");
    /// ```
    #[error("overflow in {what}")]
    Overflow {
        /// What overflowed.
        what: &'static str,
    },
    /// The ledger refused a read (an unknown node or SKU it reports itself).
    ///
    /// ```
    /// use omniroute::atp::AtpError;
    /// use omniroute::ledger::LedgerError;
    /// use omniroute::Sku;
    /// let e = AtpError::from(LedgerError::UnknownSku { sku: Sku::new(1) });
    /// assert!(e.to_string().starts_with("ledger:"));
    /// ```
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
}
