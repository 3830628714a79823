//! Geography: locations and great-circle distance.
//!
//! Floating point is allowed here and only here: distances rank nodes, they
//! never enter a ledger, an ATP figure or a cost.
#![allow(clippy::float_arithmetic)]

use super::ModelError;

/// A WGS-84 position in degrees.
///
/// ```
/// use omniroute::Location;
/// let nyc = Location::new(40.71, -74.01)?;
/// let boston = Location::new(42.36, -71.06)?;
/// let km = nyc.distance_km(boston);
/// assert!((km - 306.0).abs() < 2.0);
/// # Ok::<(), omniroute::ModelError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawLocation", into = "RawLocation"))]
pub struct Location {
    lat: f64,
    lon: f64,
}

impl Location {
    /// The mean Earth radius used for distances (IUGG), in kilometres.
    pub const EARTH_RADIUS_KM: f64 = 6371.0088;

    /// A location at latitude `lat` ∈ [-90, 90] and longitude `lon` ∈ [-180, 180].
    ///
    /// # Errors
    ///
    /// [`ModelError::BadLocation`] when either is not finite or out of range.
    pub fn new(lat: f64, lon: f64) -> Result<Self, ModelError> {
        if !lat.is_finite()
            || !lon.is_finite()
            || !(-90.0..=90.0).contains(&lat)
            || !(-180.0..=180.0).contains(&lon)
        {
            return Err(ModelError::BadLocation { lat, lon });
        }
        Ok(Self { lat, lon })
    }

    /// Latitude in degrees.
    #[must_use]
    pub const fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    #[must_use]
    pub const fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in kilometres (haversine, radius [`Self::EARTH_RADIUS_KM`]).
    #[must_use]
    pub fn distance_km(self, other: Self) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        let c = 2.0 * a.sqrt().min(1.0).asin();
        Self::EARTH_RADIUS_KM * c
    }
}

#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy)]
struct RawLocation {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawLocation> for Location {
    type Error = ModelError;
    fn try_from(r: RawLocation) -> Result<Self, ModelError> {
        Self::new(r.lat, r.lon)
    }
}

impl From<Location> for RawLocation {
    fn from(l: Location) -> Self {
        Self { lat: l.lat, lon: l.lon }
    }
}
