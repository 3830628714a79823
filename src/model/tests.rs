use rust_decimal::Decimal;

use super::*;

#[test]
fn qty_decimal_round_trip_and_rejections() {
    let g = UnitOfMeasure::new(3).unwrap();
    assert_eq!(Qty::from_decimal(Decimal::new(1, 0), g).unwrap().get(), 1000);
    assert_eq!(Qty::from_decimal(Decimal::new(10, 1), UnitOfMeasure::EACH).unwrap().get(), 1); // 1.0 is fine
    assert_eq!(Qty::from_decimal(Decimal::new(0, 5), g).unwrap(), Qty::ZERO);
    assert_eq!(Qty::from_decimal(Decimal::new(-0, 0), g).unwrap(), Qty::ZERO);
    assert_eq!(
        Qty::from_decimal(Decimal::new(1, 4), g),
        Err(ModelError::FinerThanScale { digits: 4, scale: 3 })
    );
    assert_eq!(Qty::from_decimal(Decimal::new(-5, 0), g), Err(ModelError::NegativeQuantity));
    assert!(matches!(Qty::from_decimal(Decimal::MAX, g), Err(ModelError::Overflow { .. })));
    let big = Qty::MAX;
    let max_uom = UnitOfMeasure::new(UnitOfMeasure::MAX_SCALE).unwrap();
    let d = big.to_decimal(max_uom).unwrap();
    assert_eq!(Qty::from_decimal(d, max_uom).unwrap(), big);
}

#[test]
fn qty_checked_arithmetic() {
    assert!(Qty::new(1).checked_sub(Qty::new(2)).is_err());
    assert_eq!(Qty::new(1).checked_add(Qty::new(2)).unwrap(), Qty::new(3));
    assert_eq!(Qty::new(1).saturating_sub(Qty::new(2)), Qty::ZERO);
}

#[test]
fn money_parsing_is_plain_decimal_only() {
    for ok in ["0", "1", "8.759", "-2.5", "0.000", "123456789.123456789"] {
        assert!(ok.parse::<Money>().is_ok(), "{ok}");
    }
    for bad in ["", ".5", "5.", "+1", "1e3", "NaN", " 1", "1 ", "1,5", "--1", "0x10", "inf"] {
        assert!(matches!(bad.parse::<Money>(), Err(ModelError::BadDecimal { .. })), "{bad}");
    }
    assert!("99999999999999999999999999999999".parse::<Money>().is_err());
}

#[test]
fn money_serialises_as_string() {
    let m: Money = "1.10".parse().unwrap();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, "\"1.10\"");
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    assert!(serde_json::from_str::<Money>("1.1").is_err());
    assert!(serde_json::from_str::<Money>("\"1e1\"").is_err());
}

#[test]
fn entry_id_rejects_zero_in_serde() {
    assert!(serde_json::from_str::<EntryId>("0").is_err());
    assert_eq!(serde_json::from_str::<EntryId>("5").unwrap().get(), 5);
}

#[test]
fn location_validation_and_distance() {
    assert!(Location::new(f64::NAN, 0.0).is_err());
    assert!(Location::new(0.0, 181.0).is_err());
    let a = Location::new(0.0, 0.0).unwrap();
    let b = Location::new(0.0, 180.0).unwrap();
    let half = core::f64::consts::PI * Location::EARTH_RADIUS_KM;
    assert!((a.distance_km(b) - half).abs() < 1e-6);
    assert_eq!(a.distance_km(a), 0.0);
    assert!(serde_json::from_str::<Location>(r#"{"lat": 100, "lon": 0}"#).is_err());
}

#[test]
fn capabilities_are_sorted_sets() {
    let a = Capabilities::from_tags(["b", "a", "b"]).unwrap();
    assert_eq!(a.iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(serde_json::to_string(&a).unwrap(), r#"["a","b"]"#);
    assert!(serde_json::from_str::<Capabilities>(r#"["x",""]"#).is_err());
}

#[test]
fn timestamp_days() {
    assert_eq!(Timestamp::from_unix_ms(-1).day_index(), -1);
    assert_eq!(Timestamp::start_of_day(3).unwrap().day_index(), 3);
    assert!(Timestamp::from_unix_ms(i64::MAX).checked_add_ms(1).is_err());
    assert!(Timestamp::EPOCH.checked_add_days(i64::MAX).is_err());
}
