use thiserror::Error;

/// An invalid value for one of the model's types.
///
/// Variants are listed in the order the checks run; the first that applies is
/// returned.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// An identifier was out of its range: entry ids must be non-zero.
    ///
    /// ```
    /// use omniroute::{EntryId, ModelError};
    /// assert!(matches!(EntryId::new(0), Err(ModelError::ZeroId { .. })));
    /// ```
    #[error("{kind} id must be non-zero")]
    ZeroId {
        /// Which kind of identifier.
        kind: &'static str,
    },
    /// A decimal quantity was negative.
    ///
    /// ```
    /// use omniroute::{ModelError, Qty, UnitOfMeasure};
    /// let d = rust_decimal::Decimal::new(-1, 0);
    /// assert!(matches!(Qty::from_decimal(d, UnitOfMeasure::EACH), Err(ModelError::NegativeQuantity)));
    /// ```
    #[error("quantity must not be negative")]
    NegativeQuantity,
    /// A decimal quantity had more fractional digits than the unit of measure allows.
    ///
    /// ```
    /// use omniroute::{ModelError, Qty, UnitOfMeasure};
    /// let d = rust_decimal::Decimal::new(15, 1); // 1.5 each
    /// assert!(matches!(Qty::from_decimal(d, UnitOfMeasure::EACH), Err(ModelError::FinerThanScale { .. })));
    /// ```
    #[error("quantity has {digits} fractional digits but the unit of measure allows {scale}")]
    FinerThanScale {
        /// Fractional digits in the value (trailing zeros removed).
        digits: u32,
        /// Fractional digits the unit of measure allows.
        scale: u32,
    },
    /// A unit-of-measure scale was larger than [`UnitOfMeasure::MAX_SCALE`].
    ///
    /// [`UnitOfMeasure::MAX_SCALE`]: crate::UnitOfMeasure::MAX_SCALE
    ///
    /// ```
    /// use omniroute::{ModelError, UnitOfMeasure};
    /// assert!(matches!(UnitOfMeasure::new(40), Err(ModelError::ScaleTooLarge { .. })));
    /// ```
    #[error("unit-of-measure scale {scale} exceeds the maximum {max}")]
    ScaleTooLarge {
        /// The scale asked for.
        scale: u32,
        /// The largest scale supported.
        max: u32,
    },
    /// Arithmetic on quantities, money or time overflowed.
    ///
    /// ```
    /// use omniroute::{ModelError, Qty};
    /// assert!(matches!(Qty::MAX.checked_add(Qty::new(1)), Err(ModelError::Overflow { .. })));
    /// ```
    #[error("arithmetic overflow in {what}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// Money must be non-negative here.
    ///
    /// ```
    /// use omniroute::{ModelError, Money};
    /// assert!(matches!("-1".parse::<Money>().and_then(Money::non_negative), Err(ModelError::NegativeMoney)));
    /// ```
    #[error("amount must not be negative")]
    NegativeMoney,
    /// A string was not a plain decimal number.
    ///
    /// ```
    /// use omniroute::{ModelError, Money};
    /// assert!(matches!("1e5".parse::<Money>(), Err(ModelError::BadDecimal { .. })));
    /// ```
    #[error("not a plain decimal: {text:?}")]
    BadDecimal {
        /// The offending text (cut to 64 characters).
        text: String,
    },
    /// A latitude or longitude was not finite or out of range.
    ///
    /// ```
    /// use omniroute::{Location, ModelError};
    /// assert!(matches!(Location::new(91.0, 0.0), Err(ModelError::BadLocation { .. })));
    /// ```
    #[error("invalid location: latitude {lat}, longitude {lon}")]
    BadLocation {
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// A capability tag was empty.
    ///
    /// ```
    /// use omniroute::{Capabilities, ModelError};
    /// assert!(matches!(Capabilities::from_tags([""]), Err(ModelError::EmptyTag)));
    /// ```
    #[error("capability tag must not be empty")]
    EmptyTag,
}
