//! Quantities in integer base units and their unit-of-measure scale.

use core::fmt;

use rust_decimal::Decimal;

use super::ModelError;

/// A non-negative quantity in the SKU's base unit (units, grams, millilitres).
///
/// Arithmetic is checked: overflow and underflow are errors, never a wrap or
/// a panic. Converting from a [`Decimal`] goes through a [`UnitOfMeasure`],
/// which rejects values finer than its scale instead of rounding them.
///
/// ```
/// use omniroute::{Qty, UnitOfMeasure};
/// use rust_decimal::Decimal;
///
/// let kg = UnitOfMeasure::new(3)?; // base unit: grams, shown in kilograms
/// let q = Qty::from_decimal(Decimal::new(1250, 3), kg)?; // 1.250 kg
/// assert_eq!(q.get(), 1250);
/// assert_eq!(q.to_decimal(kg)?, Decimal::new(1250, 3));
/// assert!(Qty::from_decimal(Decimal::new(12505, 4), kg).is_err()); // 1.2505 kg is finer than a gram
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Qty(u64);

impl Qty {
    /// Zero units.
    pub const ZERO: Self = Self(0);
    /// The largest quantity.
    pub const MAX: Self = Self(u64::MAX);

    /// Creates a quantity of `units` base units.
    #[must_use]
    pub const fn new(units: u64) -> Self {
        Self(units)
    }

    /// The number of base units.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Whether this is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when the sum does not fit.
    pub const fn checked_add(self, rhs: Self) -> Result<Self, ModelError> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Ok(Self(v)),
            None => Err(ModelError::Overflow { what: "quantity" }),
        }
    }

    /// `self - rhs`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when `rhs > self`.
    pub const fn checked_sub(self, rhs: Self) -> Result<Self, ModelError> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Ok(Self(v)),
            None => Err(ModelError::Overflow { what: "quantity" }),
        }
    }

    /// `self - rhs`, or zero when `rhs > self`.
    #[must_use]
    pub const fn saturating_sub(self, rhs: Self) -> Self {
        Self(self.0.saturating_sub(rhs.0))
    }

    /// The smaller of two quantities.
    #[must_use]
    pub fn min(self, rhs: Self) -> Self {
        Ord::min(self, rhs)
    }

    /// Converts a decimal amount in the unit of measure's display unit to base units.
    ///
    /// # Errors
    ///
    /// [`ModelError::NegativeQuantity`], [`ModelError::FinerThanScale`] when the
    /// value has more fractional digits than the scale, [`ModelError::Overflow`]
    /// when it does not fit in 64 bits.
    pub fn from_decimal(value: Decimal, uom: UnitOfMeasure) -> Result<Self, ModelError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(ModelError::NegativeQuantity);
        }
        let normal = value.normalize();
        let digits = normal.scale();
        if digits > uom.scale {
            return Err(ModelError::FinerThanScale { digits, scale: uom.scale });
        }
        // normal = m / 10^digits; base units = m * 10^(scale - digits).
        let mantissa = normal.mantissa();
        let factor = pow10(uom.scale.checked_sub(digits).ok_or(ModelError::Overflow { what: "quantity" })?)?;
        let base = mantissa.checked_mul(factor).ok_or(ModelError::Overflow { what: "quantity" })?;
        u64::try_from(base).map(Self).map_err(|_| ModelError::Overflow { what: "quantity" })
    }

    /// Converts base units to a decimal amount in the display unit.
    ///
    /// # Errors
    ///
    /// [`ModelError::Overflow`] when the value cannot be represented as a
    /// [`Decimal`] (never for scales up to [`UnitOfMeasure::MAX_SCALE`]).
    pub fn to_decimal(self, uom: UnitOfMeasure) -> Result<Decimal, ModelError> {
        Decimal::try_from_i128_with_scale(i128::from(self.0), uom.scale)
            .map_err(|_| ModelError::Overflow { what: "quantity" })
    }
}

fn pow10(exp: u32) -> Result<i128, ModelError> {
    10_i128.checked_pow(exp).ok_or(ModelError::Overflow { what: "quantity" })
}

impl From<u64> for Qty {
    fn from(units: u64) -> Self {
        Self(units)
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// How a SKU's base unit relates to the decimal amounts hosts exchange: the
/// number of fractional digits of the display unit.
///
/// Scale 0 means the base unit is the display unit (pieces). Scale 3 with a
/// display unit of kilograms means the base unit is a gram.
///
/// ```
/// use omniroute::UnitOfMeasure;
/// assert_eq!(UnitOfMeasure::EACH.scale(), 0);
/// assert_eq!(UnitOfMeasure::new(3)?.scale(), 3);
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "u32", into = "u32"))]
pub struct UnitOfMeasure {
    scale: u32,
}

impl UnitOfMeasure {
    /// Whole pieces: scale 0.
    pub const EACH: Self = Self { scale: 0 };
    /// The largest scale: 18 fractional digits keeps every `u64` quantity representable.
    pub const MAX_SCALE: u32 = 18;

    /// A unit of measure with `scale` fractional digits.
    ///
    /// # Errors
    ///
    /// [`ModelError::ScaleTooLarge`] when `scale` exceeds [`Self::MAX_SCALE`].
    pub const fn new(scale: u32) -> Result<Self, ModelError> {
        if scale > Self::MAX_SCALE {
            return Err(ModelError::ScaleTooLarge { scale, max: Self::MAX_SCALE });
        }
        Ok(Self { scale })
    }

    /// The number of fractional digits.
    #[must_use]
    pub const fn scale(self) -> u32 {
        self.scale
    }
}

impl TryFrom<u32> for UnitOfMeasure {
    type Error = ModelError;
    fn try_from(scale: u32) -> Result<Self, ModelError> {
        Self::new(scale)
    }
}

impl From<UnitOfMeasure> for u32 {
    fn from(uom: UnitOfMeasure) -> u32 {
        uom.scale
    }
}
