//! Parsing money and converting quantities never panics, and what parses
//! round-trips exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omniroute::{Money, Qty, UnitOfMeasure};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = text.parse::<Money>() {
        let again: Money = m.to_string().parse().expect("display of money parses");
        assert_eq!(again, m);
        let json = serde_json::to_string(&m).expect("money serialises");
        assert_eq!(serde_json::from_str::<Money>(&json).expect("money deserialises"), m);
        for scale in [0, 3, UnitOfMeasure::MAX_SCALE] {
            let uom = UnitOfMeasure::new(scale).expect("scale in range");
            if let Ok(q) = Qty::from_decimal(m.get(), uom) {
                assert_eq!(q.to_decimal(uom).expect("representable"), m.get().normalize());
            }
        }
    }
});
