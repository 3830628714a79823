//! Host-supplied time.

use core::fmt;

use super::ModelError;

/// A point in time supplied by the host: milliseconds since the Unix epoch (UTC).
///
/// The library never reads a clock. Operations that depend on time (expiring
/// holds, promise dates) take a `Timestamp` argument.
///
/// ```
/// use omniroute::Timestamp;
/// let t = Timestamp::from_unix_ms(1_700_000_000_000);
/// let later = t.checked_add_days(2)?;
/// assert_eq!(later.as_unix_ms() - t.as_unix_ms(), 2 * 86_400_000);
/// assert_eq!(later.day_index(), t.day_index() + 2);
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Self = Self(0);
    /// Milliseconds in a day.
    pub const MS_PER_DAY: i64 = 86_400_000;

    /// A timestamp `ms` milliseconds after the Unix epoch (negative: before it).
    #[must_use]
    pub const fn from_unix_ms(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn as_unix_ms(self) -> i64 {
        self.0
    }

    /// The whole UTC day this instant falls in, counted from the epoch (floor division).
    #[must_use]
    pub const fn day_index(self) -> i64 {
        self.0.div_euclid(Self::MS_PER_DAY)
    }

    /// The start of UTC day `day` (as counted by [`Self::day_index`]).
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when out of range.
    pub const fn start_of_day(day: i64) -> Result<Self, ModelError> {
        match day.checked_mul(Self::MS_PER_DAY) {
            Some(ms) => Ok(Self(ms)),
            None => Err(ModelError::Overflow { what: "timestamp" }),
        }
    }

    /// `self` plus `ms` milliseconds (which may be negative).
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when out of range.
    pub const fn checked_add_ms(self, ms: i64) -> Result<Self, ModelError> {
        match self.0.checked_add(ms) {
            Some(v) => Ok(Self(v)),
            None => Err(ModelError::Overflow { what: "timestamp" }),
        }
    }

    /// `self` plus `days` whole days (which may be negative).
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when out of range.
    pub const fn checked_add_days(self, days: i64) -> Result<Self, ModelError> {
        match days.checked_mul(Self::MS_PER_DAY) {
            Some(ms) => self.checked_add_ms(ms),
            None => Err(ModelError::Overflow { what: "timestamp" }),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}
