use super::policy::{METHODS, method_index};
use super::*;
use crate::model::{ChannelId, FulfilmentMethod, NodeId, Qty, Sku};

#[test]
fn method_indices_are_dense_and_distinct() {
    for (i, m) in METHODS.iter().enumerate() {
        assert_eq!(method_index(*m), i);
    }
}

#[test]
fn percent_buffers_round_up_and_never_exceed_on_hand() {
    for on_hand in [0_u64, 1, 7, 15, 99, 10_001, u64::MAX] {
        for bp in [0_i64, 1, 999, 5_000, 9_999, 10_000] {
            let b = Buffer::percent_bp(bp).unwrap().of(Qty::new(on_hand)).get();
            let exact = u128::from(on_hand) * bp as u128;
            assert!(u128::from(b) * 10_000 >= exact, "rounds up");
            assert!(u128::from(b) * 10_000 < exact + 10_000, "by less than one unit");
            assert!(b <= on_hand);
        }
    }
}

#[test]
fn most_specific_scope_wins_with_sku_node_channel_method_tie_break() {
    let mut p = AtpPolicy::new(2).unwrap();
    let (s, n, c, m) = (Sku::new(1), NodeId::new(2), ChannelId::new(1), FulfilmentMethod::SameDay);
    let rules = [
        (Scope::global(), 1),
        (Scope::global().method(m), 2),
        (Scope::global().channel(c), 3),
        (Scope::global().node(n), 4),
        (Scope::global().sku(s), 5),
        (Scope::global().channel(c).method(m), 6),
        (Scope::global().sku(s).node(n), 7),
        (Scope::global().sku(s).node(n).channel(c), 8),
        (Scope::global().sku(s).node(n).channel(c).method(m), 9),
    ];
    for (scope, units) in rules {
        p.set_safety_stock(scope, Buffer::units(units).unwrap()).unwrap();
        assert_eq!(p.safety_stock_rule(s, n, c, m), Some(Buffer::units(units).unwrap()), "{scope:?}");
    }
    // A different method falls back to the three-field rule.
    assert_eq!(p.safety_stock_rule(s, n, c, FulfilmentMethod::Ship), Some(Buffer::units(8).unwrap()));
    assert_eq!(
        p.safety_stock_rule(Sku::new(0), NodeId::new(0), ChannelId::new(0), FulfilmentMethod::Ship),
        Some(Buffer::units(1).unwrap())
    );
}

#[test]
fn policy_tables_are_bounded() {
    let mut p = AtpPolicy::new(1).unwrap();
    for i in 0..AtpPolicy::MAX_RULES {
        p.set_channel_eligible(ChannelId::new(0), NodeId::new(i as u32), false).unwrap();
    }
    let before = p.clone();
    assert_eq!(
        p.set_channel_eligible(ChannelId::new(0), NodeId::new(60_000), false),
        Err(AtpError::TooManyRules { max: AtpPolicy::MAX_RULES })
    );
    assert_eq!(p, before);
}
