//! Exact money.

use core::fmt;
use core::str::FromStr;

use rust_decimal::Decimal;

use super::ModelError;

/// An exact amount of money: a [`Decimal`], serialised as a string so no
/// reader turns it into a float.
///
/// Money may be negative (a net recovery can be a loss); APIs that need a
/// non-negative amount say so and check with [`Money::non_negative`].
/// Arithmetic is checked.
///
/// Parsing accepts plain decimals only — an optional leading `-`, digits, an
/// optional fraction — and rejects exponents, `NaN`, signs like `+` and spaces.
///
/// ```
/// use omniroute::Money;
/// let a: Money = "8.759".parse()?;
/// let b: Money = "0.55".parse()?;
/// assert_eq!(a.checked_add(b)?.to_string(), "9.309");
/// assert!("1e3".parse::<Money>().is_err());
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Money(Decimal);

impl Money {
    /// Zero.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// Wraps a decimal amount.
    #[must_use]
    pub const fn new(amount: Decimal) -> Self {
        Self(amount)
    }

    /// An integer amount of whole currency units.
    #[must_use]
    pub fn from_int(units: i64) -> Self {
        Self(Decimal::from(units))
    }

    /// The decimal amount.
    #[must_use]
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// Whether the amount is below zero.
    #[must_use]
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Returns `self` if it is not negative.
    ///
    /// # Errors
    ///
    /// [`ModelError::NegativeMoney`] otherwise.
    pub fn non_negative(self) -> Result<Self, ModelError> {
        if self.is_negative() { Err(ModelError::NegativeMoney) } else { Ok(self) }
    }

    /// `self + rhs`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when the result does not fit a [`Decimal`].
    pub fn checked_add(self, rhs: Self) -> Result<Self, ModelError> {
        self.0.checked_add(rhs.0).map(Self).ok_or(ModelError::Overflow { what: "money" })
    }

    /// `self - rhs`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when the result does not fit a [`Decimal`].
    pub fn checked_sub(self, rhs: Self) -> Result<Self, ModelError> {
        self.0.checked_sub(rhs.0).map(Self).ok_or(ModelError::Overflow { what: "money" })
    }

    /// `self × qty`, e.g. a unit cost times a quantity.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when the result does not fit a [`Decimal`].
    pub fn checked_mul_qty(self, qty: super::Qty) -> Result<Self, ModelError> {
        self.0.checked_mul(Decimal::from(qty.get())).map(Self).ok_or(ModelError::Overflow { what: "money" })
    }

    /// `self × factor`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when the result does not fit a [`Decimal`].
    pub fn checked_mul(self, factor: Decimal) -> Result<Self, ModelError> {
        self.0.checked_mul(factor).map(Self).ok_or(ModelError::Overflow { what: "money" })
    }
}

impl FromStr for Money {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, ModelError> {
        let bad = || ModelError::BadDecimal { text: s.chars().take(64).collect() };
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !plain(int) || frac.is_some_and(|f| !plain(f)) {
            return Err(bad());
        }
        Decimal::from_str_exact(s).map(Self).map_err(|_| bad())
    }
}

impl TryFrom<String> for Money {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, ModelError> {
        s.parse()
    }
}

impl From<Money> for String {
    fn from(m: Money) -> String {
        m.0.to_string()
    }
}

impl From<Decimal> for Money {
    fn from(d: Decimal) -> Self {
        Self(d)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
