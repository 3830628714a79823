//! Helpers shared by the test modules.

/// The multiplier for randomised test sizes, from `OMNIROUTE_TEST_SCALE` (default 1).
pub fn scale() -> u32 {
    std::env::var("OMNIROUTE_TEST_SCALE").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(1)
}

/// `base` cases times [`scale`].
pub fn cases(base: u32) -> u32 {
    base.saturating_mul(scale())
}

#[test]
fn scale_defaults_to_one() {
    assert!(scale() >= 1);
    assert!(cases(10) >= 10);
}
