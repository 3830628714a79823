//! Table-driven tests: every rule, its precedence and its reasons.

use super::*;
use crate::ledger::{AdjustReason, Bucket, CommandKind, Direction};
use crate::model::{EntryId, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};

fn day(d: i64) -> Timestamp {
    Timestamp::from_unix_ms(d * Timestamp::MS_PER_DAY + 3_600_000)
}

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

const CAT: Category = Category::new(0);
const STORE: NodeId = NodeId::new(1);
const DC: NodeId = NodeId::new(2);
const OUTLET: NodeId = NodeId::new(3);

fn sale() -> Sale {
    Sale::new(OrderId::new(1), LineId::new(0), Sku::new(5), CAT, day(0))
        .delivered_at(day(2))
        .quantities(Qty::new(3), Qty::new(3))
        .paid(m("100"))
}

fn nodes() -> Vec<NodeSignal> {
    vec![
        NodeSignal::new(DC, m("45")).transport_cost(m("8")).handling_cost(m("2")),
        NodeSignal::new(STORE, m("40")).transport_cost(m("6")).handling_cost(m("2")),
        NodeSignal::new(OUTLET, m("90")).accepts_returns(false),
    ]
}

fn req(qty: u64, reason: ReturnReason, at: i64) -> ReturnRequest {
    ReturnRequest::new(ReturnId::new(1), Qty::new(qty), reason, day(at))
}

fn tags(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(|r| serde_json::to_value(r).unwrap()["rule"].as_str().unwrap().to_owned()).collect()
}

use ReturnReason::{ChangedMind, DamagedInTransit, Defective, WrongItem};
use Verdict::{Accepted, NeedsReview, Refused};

/// (name, sale, policy, request, nodes, verdict, the reasons' rule tags in order)
type Row =
    (&'static str, Sale, ReturnPolicy, ReturnRequest, Vec<NodeSignal>, Verdict, &'static [&'static str]);

const ROUTED: &[&str] =
    &["within_window", "pro_rata", "candidate", "candidate", "node_excluded", "destination", "refund"];

fn rows() -> Vec<Row> {
    let p = ReturnPolicy::new;
    let rule = |r: CategoryRule| ReturnPolicy::new().category(CAT, r);
    let cheap = vec![NodeSignal::new(DC, m("5")).transport_cost(m("9"))];
    vec![
        ("merchant window, routed", sale(), p(), req(1, ChangedMind, 10), nodes(), Accepted, ROUTED),
        (
            "window counts from delivery, last day in",
            sale(),
            p(),
            req(1, ChangedMind, 32),
            nodes(),
            Accepted,
            ROUTED,
        ),
        (
            "one day past the window",
            sale(),
            p(),
            req(1, ChangedMind, 33),
            nodes(),
            Refused,
            &["outside_window"],
        ),
        (
            "statutory window admits a late defect",
            sale(),
            p().statutory_defect_days(730),
            req(1, Defective, 400),
            nodes(),
            Accepted,
            ROUTED,
        ),
        (
            "statutory window is for merchant fault only",
            sale(),
            p().statutory_defect_days(730),
            req(1, ChangedMind, 400),
            nodes(),
            Refused,
            &["outside_window"],
        ),
        (
            "category window overrides the default",
            sale(),
            rule(CategoryRule::new().window_days(7)),
            req(1, ChangedMind, 10),
            nodes(),
            Refused,
            &["outside_window"],
        ),
        (
            "final sale refused",
            sale(),
            rule(CategoryRule::new().final_sale(true)),
            req(1, ChangedMind, 5),
            nodes(),
            Refused,
            &["within_window", "final_sale"],
        ),
        (
            "final sale overridden by a wrong item",
            sale(),
            rule(CategoryRule::new().final_sale(true)),
            req(1, WrongItem, 5),
            cheap.clone(),
            Accepted,
            &[
                "within_window",
                "final_sale",
                "merchant_fault_override",
                "pro_rata",
                "candidate",
                "keep_it",
                "refund",
            ],
        ),
        (
            "opened sealed-only hygiene refused",
            sale(),
            rule(CategoryRule::new().hygiene(HygieneRule::SealedOnly)),
            req(1, ChangedMind, 5).opened(true),
            nodes(),
            Refused,
            &["within_window", "hygiene_opened"],
        ),
        (
            "unopened sealed-only hygiene accepted",
            sale(),
            rule(CategoryRule::new().hygiene(HygieneRule::SealedOnly)),
            req(1, ChangedMind, 5),
            nodes(),
            Accepted,
            ROUTED,
        ),
        (
            "opened cleanable hygiene accepted",
            sale(),
            rule(CategoryRule::new().hygiene(HygieneRule::Cleanable)),
            req(1, ChangedMind, 5).opened(true),
            vec![NodeSignal::new(DC, m("45"))],
            Accepted,
            &["within_window", "hygiene_cleanable", "pro_rata", "candidate", "destination", "refund"],
        ),
        (
            "hazmat in-store-only by mail refused",
            sale(),
            rule(CategoryRule::new().hazmat(HazmatMode::InStoreOnly)),
            req(1, ChangedMind, 5),
            nodes(),
            Refused,
            &["within_window", "hazmat_in_store_only"],
        ),
        (
            "hazmat in-store-only defect by mail: refund without return",
            sale(),
            rule(CategoryRule::new().hazmat(HazmatMode::InStoreOnly)),
            req(1, Defective, 5),
            nodes(),
            Accepted,
            &[
                "within_window",
                "hazmat_in_store_only",
                "merchant_fault_override",
                "pro_rata",
                "forced_keep_it",
                "refund",
            ],
        ),
        (
            "hazmat in store goes only to hazmat nodes",
            sale(),
            rule(CategoryRule::new().hazmat(HazmatMode::InStoreOnly)),
            req(1, ChangedMind, 5).in_store(STORE),
            vec![NodeSignal::new(STORE, m("40")), NodeSignal::new(DC, m("45")).hazmat(true)],
            Accepted,
            &["within_window", "pro_rata", "node_excluded", "candidate", "destination", "refund"],
        ),
        (
            "hazmat never returnable",
            sale(),
            rule(CategoryRule::new().hazmat(HazmatMode::NotReturnable)),
            req(1, ChangedMind, 5).in_store(STORE),
            nodes(),
            Refused,
            &["within_window", "hazmat_not_returnable"],
        ),
        (
            "perishable refused",
            sale(),
            rule(CategoryRule::new().perishable(true)),
            req(1, ChangedMind, 1),
            nodes(),
            Refused,
            &["within_window", "perishable"],
        ),
        (
            "perishable damaged in transit: refund without return",
            sale(),
            rule(CategoryRule::new().perishable(true)),
            req(1, DamagedInTransit, 1),
            nodes(),
            Accepted,
            &[
                "within_window",
                "perishable",
                "merchant_fault_override",
                "pro_rata",
                "forced_keep_it",
                "refund",
            ],
        ),
        (
            "recall ignores window and category, keeps no fee",
            sale().recalled(true),
            rule(CategoryRule::new().final_sale(true).restocking_fee_bp(1000)),
            req(1, ChangedMind, 900),
            nodes(),
            Accepted,
            &[
                "recalled",
                "pro_rata",
                "fee_waived",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "refund",
            ],
        ),
        (
            "recall must come back even when it does not pay",
            sale().recalled(true),
            p(),
            req(1, ChangedMind, 5),
            cheap.clone(),
            Accepted,
            &["recalled", "pro_rata", "candidate", "keep_it_blocked", "destination", "refund"],
        ),
        (
            "restocking fee",
            sale(),
            p().restocking_fee_bp(1500),
            req(1, ChangedMind, 5),
            nodes(),
            Accepted,
            &[
                "within_window",
                "pro_rata",
                "restocking_fee",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "refund",
            ],
        ),
        (
            "restocking fee waived on a defect",
            sale(),
            p().restocking_fee_bp(1500),
            req(1, Defective, 5),
            nodes(),
            Accepted,
            &[
                "within_window",
                "pro_rata",
                "fee_waived",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "refund",
            ],
        ),
        (
            "refund capped at what is still refundable",
            sale().refunded(m("90")),
            p(),
            req(1, ChangedMind, 5),
            nodes(),
            Accepted,
            &[
                "within_window",
                "pro_rata",
                "refund_capped",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "refund",
            ],
        ),
        (
            "refund override",
            sale(),
            p(),
            req(1, ChangedMind, 5).refund_override(m("20")),
            nodes(),
            Accepted,
            &[
                "within_window",
                "pro_rata",
                "refund_override",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "refund",
            ],
        ),
        (
            "high value needs review",
            sale(),
            p().manual_review_refund_at(m("30")),
            req(1, ChangedMind, 5),
            nodes(),
            NeedsReview,
            &["within_window", "pro_rata", "manual_review"],
        ),
        (
            "risk needs review, both triggers listed",
            sale(),
            p().manual_review_refund_at(m("30")).manual_review_risk_at(70),
            req(1, ChangedMind, 5).risk_score(70),
            nodes(),
            NeedsReview,
            &["within_window", "pro_rata", "manual_review", "manual_review"],
        ),
        (
            "approved review goes through",
            sale(),
            p().manual_review_risk_at(70),
            req(1, ChangedMind, 5).risk_score(99).review_approved(true),
            nodes(),
            Accepted,
            &[
                "within_window",
                "pro_rata",
                "manual_review",
                "review_approved",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "refund",
            ],
        ),
        (
            "keep-it when the return costs more than it recovers",
            sale(),
            p(),
            req(1, ChangedMind, 5),
            cheap.clone(),
            Accepted,
            &["within_window", "pro_rata", "candidate", "keep_it", "refund"],
        ),
        (
            "keep-it refunds without the restocking fee",
            sale(),
            p().restocking_fee_bp(1000),
            req(1, ChangedMind, 5),
            cheap.clone(),
            Accepted,
            &["within_window", "pro_rata", "restocking_fee", "candidate", "keep_it", "fee_waived", "refund"],
        ),
        (
            "keep-it count cap",
            sale(),
            p().keep_it(KeepItCaps::new(2, m("1000"))),
            req(1, ChangedMind, 5).customer(CustomerHistory::new(2, m("10"))),
            cheap.clone(),
            Accepted,
            &["within_window", "pro_rata", "candidate", "keep_it_blocked", "destination", "refund"],
        ),
        (
            "keep-it value cap",
            sale(),
            p().keep_it(KeepItCaps::new(9, m("40"))),
            req(1, ChangedMind, 5).customer(CustomerHistory::new(0, m("10"))),
            cheap.clone(),
            Accepted,
            &["within_window", "pro_rata", "candidate", "keep_it_blocked", "destination", "refund"],
        ),
        (
            "keep-it disabled and nowhere to send: review",
            sale(),
            p().keep_it(KeepItCaps::disabled()),
            req(1, ChangedMind, 5),
            vec![],
            NeedsReview,
            &["within_window", "pro_rata", "keep_it_blocked", "manual_review"],
        ),
        (
            "in-store return restocks locally when the store needs it",
            sale(),
            p(),
            req(1, ChangedMind, 5).in_store(STORE),
            nodes(),
            Accepted,
            &[
                "within_window",
                "pro_rata",
                "candidate",
                "candidate",
                "node_excluded",
                "destination",
                "local_restock",
                "refund",
            ],
        ),
        (
            "in-store return is never a keep-it",
            sale(),
            p(),
            req(1, ChangedMind, 5).in_store(DC),
            cheap.clone(),
            Accepted,
            &["within_window", "pro_rata", "candidate", "destination", "local_restock", "refund"],
        ),
    ]
}

#[test]
fn request_rules_table() {
    for (name, sale, policy, req, nodes, verdict, expected) in rows() {
        let mut r = SaleReturns::new(sale).unwrap();
        let before = r.clone();
        let d = r.request(&req, &policy, &nodes).unwrap();
        assert_eq!(d.verdict, verdict, "{name}: {:?}", d.reasons);
        assert_eq!(tags(&d.reasons), expected.to_vec(), "{name}: {:?}", d.reasons);
        match verdict {
            Accepted => {
                assert_eq!(r.cases().len(), 1, "{name}");
                assert!(d.refund.is_some() && d.route.is_some(), "{name}");
            }
            _ => {
                assert_eq!(r, before, "{name}: a refused or held request records nothing");
                assert!(d.refund.is_none() && d.route.is_none(), "{name}");
            }
        }
    }
}

fn accept(
    r: &mut SaleReturns,
    policy: &ReturnPolicy,
    req: &ReturnRequest,
    nodes: &[NodeSignal],
) -> RequestDecision {
    let d = r.request(req, policy, nodes).unwrap();
    assert_eq!(d.verdict, Accepted, "{:?}", d.reasons);
    d
}

#[test]
fn request_numbers() {
    // Destination: DC nets 45-8-2 = 35, the store 40-6-2 = 32; the outlet takes no returns.
    let mut r = SaleReturns::new(sale()).unwrap();
    let d = accept(&mut r, &ReturnPolicy::new(), &req(1, ChangedMind, 5), &nodes());
    assert_eq!(d.route, Some(Route::SendTo { node: DC }));
    assert!(d.reasons.contains(&Reason::Destination { node: DC, net: m("35") }));
    assert!(d.reasons.contains(&Reason::NodeExcluded { node: OUTLET, why: NodeExclusion::NoReturns }));
    // 100 / 3 rounds down to cents.
    let refund = d.refund.unwrap();
    assert_eq!(
        (refund.amount, refund.pro_rata, refund.timing),
        (m("33.33"), m("33.33"), RefundTiming::OnReceipt)
    );

    // A 15% fee on 33.33 is 4.9995, rounded down to 4.99.
    let mut r = SaleReturns::new(sale()).unwrap();
    let d = accept(&mut r, &ReturnPolicy::new().restocking_fee_bp(1500), &req(1, ChangedMind, 5), &nodes());
    assert!(d.reasons.contains(&Reason::RestockingFee { rate_bp: 1500, fee: m("4.99") }));
    assert_eq!(d.refund.unwrap().amount, m("28.34"));

    // Keep-it numbers: recovery 5 against a 9 transport.
    let mut r = SaleReturns::new(sale()).unwrap();
    let d = accept(
        &mut r,
        &ReturnPolicy::new(),
        &req(1, ChangedMind, 5),
        &[NodeSignal::new(DC, m("5")).transport_cost(m("9"))],
    );
    assert_eq!(d.route, Some(Route::KeepIt));
    assert!(d.reasons.contains(&Reason::KeepIt { expected_recovery: m("5"), cost_to_return: m("9") }));
    assert_eq!(d.refund.unwrap().timing, RefundTiming::Instant);
    assert_eq!(r.cases()[0].status(), ReturnStatus::KeptByCustomer);
    let mut r = SaleReturns::new(sale()).unwrap();
    let cheap = [NodeSignal::new(DC, m("5")).transport_cost(m("9"))];
    let d = accept(&mut r, &ReturnPolicy::new().restocking_fee_bp(1000), &req(1, ChangedMind, 5), &cheap);
    assert_eq!((d.refund.unwrap().amount, d.refund.unwrap().fee), (m("33.33"), Money::ZERO));

    // In store: the store pays no transport, so it nets 38 and beats the DC's 35.
    let mut r = SaleReturns::new(sale()).unwrap();
    let d = accept(&mut r, &ReturnPolicy::new(), &req(1, ChangedMind, 5).in_store(STORE), &nodes());
    assert_eq!(d.route, Some(Route::InStore { store: STORE, destination: STORE }));
    assert_eq!(d.refund.unwrap().timing, RefundTiming::Instant);
}

#[test]
fn last_units_get_the_remainder() {
    let mut r = SaleReturns::new(sale()).unwrap();
    let p = ReturnPolicy::new();
    let mut total = Money::ZERO;
    for id in 1..=3 {
        let q = ReturnRequest::new(ReturnId::new(id), Qty::new(1), ChangedMind, day(5)).in_store(STORE);
        total = total.checked_add(accept(&mut r, &p, &q, &[]).refund.unwrap().amount).unwrap();
    }
    assert_eq!(total, m("100"));
    assert_eq!(r.refundable().unwrap(), Money::ZERO);
}

fn received(grade_sale: Sale, rule: CategoryRule, opened: bool) -> SaleReturns {
    let policy = ReturnPolicy::new().category(CAT, rule);
    let mut r = SaleReturns::new(grade_sale).unwrap();
    accept(&mut r, &policy, &req(2, Defective, 5).in_store(STORE).opened(opened), &[]);
    r.receive(ReturnId::new(1), STORE, Qty::new(2), day(5), EntryId::new(10).unwrap()).unwrap();
    r
}

fn recovery() -> Recovery {
    Recovery::new()
        .restock_at(NodeSignal::new(STORE, m("30")).handling_cost(m("1")))
        .restock_at(NodeSignal::new(DC, m("45")).handling_cost(m("1")).transport_cost(m("6")).transit_days(3))
        .open_box(Sku::new(900), m("28"), m("2"))
        .value(Disposition::Refurbish, m("25"), m("10"))
        .value(Disposition::ReturnToVendor, m("12"), m("3"))
        .value(Disposition::Liquidate, m("8"), m("1"))
        .value(Disposition::Donate, m("2"), m("0"))
        .value(Disposition::Recycle, m("1"), m("1"))
        .value(Disposition::Destroy, m("0"), m("2"))
}

fn dispose(
    r: &mut SaleReturns,
    rule: CategoryRule,
    grade: Grade,
    suspect: bool,
    rec: &Recovery,
) -> DispositionDecision {
    let policy = ReturnPolicy::new().category(CAT, rule);
    let i = Inspection::new(ReturnId::new(1), grade, Qty::new(2), day(6)).suspect(suspect);
    r.dispose(&i, &policy, rec, EntryId::new(20).unwrap()).unwrap()
}

/// (name, sale, category rule, opened, grade, suspect, chosen disposition, its node)
type DispositionRow = (&'static str, Sale, CategoryRule, bool, Grade, bool, Disposition, NodeId);

#[test]
fn disposition_table() {
    use Disposition::*;
    let none = CategoryRule::new();
    // (name, sale, rule, opened, grade, suspect, chosen, node)
    let rows: Vec<DispositionRow> = vec![
        // DC: 2×45 - 2×1 - 6 = 82 beats the store's 2×30 - 2 = 58 and open-box 52.
        ("sealed restocks where it sells", sale(), none, false, Grade::Sealed, false, Restock, DC),
        (
            "opened cleanable never restocks as-is",
            sale(),
            none.hygiene(HygieneRule::Cleanable),
            true,
            Grade::Sealed,
            false,
            OpenBox,
            STORE,
        ),
        ("like new goes open-box", sale(), none, false, Grade::LikeNew, false, OpenBox, STORE),
        ("used refurbishes", sale(), none, false, Grade::Used, false, Refurbish, STORE),
        ("damaged refurbishes", sale(), none, false, Grade::Damaged, false, Refurbish, STORE),
        ("scrap back to vendor", sale(), none, false, Grade::Scrap, false, ReturnToVendor, STORE),
        (
            "recall only vendor or destroy",
            sale().recalled(true),
            none,
            false,
            Grade::Sealed,
            false,
            ReturnToVendor,
            STORE,
        ),
        ("perishable donated", sale(), none.perishable(true), false, Grade::Sealed, false, Donate, STORE),
        (
            "hazmat not liquidated",
            sale(),
            none.hazmat(HazmatMode::AnyChannel),
            false,
            Grade::Damaged,
            false,
            Refurbish,
            STORE,
        ),
        ("suspect quarantined", sale(), none, false, Grade::Sealed, true, Quarantine, STORE),
    ];
    for (name, s, rule, opened, grade, suspect, want, node) in rows {
        let mut r = received(s, rule, opened);
        let d = dispose(&mut r, rule, grade, suspect, &recovery());
        assert_eq!((d.disposition, d.node), (want, node), "{name}: {:?}", d.reasons);
        assert_eq!(d.reasons.first(), Some(&Reason::GradeAllows { grade }), "{name}");
        assert!(
            matches!(d.reasons.last(), Some(Reason::DispositionChosen { disposition, .. }) if *disposition == want),
            "{name}"
        );
        assert_eq!(r.cases()[0].status(), ReturnStatus::Disposed, "{name}");
    }
}

#[test]
fn disposition_exclusions_are_listed() {
    let rule = CategoryRule::new().hazmat(HazmatMode::AnyChannel);
    let mut r = received(sale(), rule, false);
    let d = dispose(&mut r, rule, Grade::Damaged, false, &recovery());
    // Hazmat rules out liquidation; the restock nodes are not hazmat-capable, but
    // a damaged grade never restocks anyway.
    assert!(d.reasons.contains(&Reason::DispositionExcluded {
        disposition: Disposition::Liquidate,
        by: DispositionRule::Hazmat
    }));
    let mut r = received(sale(), CategoryRule::new(), false);
    let d = dispose(&mut r, CategoryRule::new(), Grade::Sealed, false, &Recovery::new());
    assert_eq!(d.disposition, Disposition::Quarantine);
    assert!(d.reasons.contains(&Reason::FallbackQuarantine));
}

#[test]
fn disposition_commands() {
    let sku = Sku::new(5);
    let e = |n| EntryId::new(n).unwrap();
    let pending = Bucket::ReturnsPending;
    // Restock elsewhere: move to on-hand at the store, then transfer to the DC.
    let mut r = received(sale(), CategoryRule::new(), false);
    let d = dispose(&mut r, CategoryRule::new(), Grade::Sealed, false, &recovery());
    assert_eq!(d.net_recovery, m("82"));
    assert_eq!(d.commands.len(), 2);
    assert_eq!(d.commands[0].entry, e(20));
    assert_eq!(
        d.commands[0].kind,
        CommandKind::Move { node: STORE, sku, from: pending, to: Bucket::OnHand, qty: Qty::new(2) }
    );
    assert_eq!(d.commands[1].entry, e(21));
    assert_eq!(
        d.commands[1].kind,
        CommandKind::TransferOut { node: STORE, to: DC, sku, qty: Qty::new(2), eta: day(9) }
    );
    // Open-box: out of returns-pending, into the open-box SKU.
    let mut r = received(sale(), CategoryRule::new(), false);
    let d = dispose(&mut r, CategoryRule::new(), Grade::LikeNew, false, &recovery());
    assert_eq!(
        d.commands.iter().map(|c| c.kind.clone()).collect::<Vec<_>>(),
        vec![
            CommandKind::Adjust {
                node: STORE,
                sku,
                bucket: pending,
                direction: Direction::Decrease,
                qty: Qty::new(2),
                reason: AdjustReason::Other
            },
            CommandKind::Receive { node: STORE, sku: Sku::new(900), qty: Qty::new(2), inbound: None },
        ]
    );
    // Refurbish stays in the network as damaged stock.
    let mut r = received(sale(), CategoryRule::new(), false);
    let d = dispose(&mut r, CategoryRule::new(), Grade::Damaged, false, &recovery());
    assert_eq!(
        d.commands[0].kind,
        CommandKind::Move { node: STORE, sku, from: pending, to: Bucket::Damaged, qty: Qty::new(2) }
    );
    // Destroy is a write-off.
    let rec = Recovery::new().value(Disposition::Destroy, m("0"), m("1"));
    let mut r = received(sale(), CategoryRule::new(), false);
    let d = dispose(&mut r, CategoryRule::new(), Grade::Scrap, false, &rec);
    assert_eq!(d.disposition, Disposition::Destroy);
    assert_eq!(d.net_recovery, m("-2"));
    assert!(matches!(d.commands[0].kind, CommandKind::Adjust { reason: AdjustReason::WriteOff, .. }));
}

#[test]
fn ties_go_to_the_earlier_disposition() {
    let rec = Recovery::new().value(Disposition::Donate, m("5"), m("0")).value(
        Disposition::Liquidate,
        m("6"),
        m("1"),
    );
    let mut r = received(sale(), CategoryRule::new(), false);
    let d = dispose(&mut r, CategoryRule::new(), Grade::Used, false, &rec);
    assert_eq!(d.disposition, Disposition::Liquidate);
}

#[test]
fn policy_round_trips_and_rejects_bad_data() {
    let p = ReturnPolicy::new()
        .category(CAT, CategoryRule::new().hygiene(HygieneRule::Cleanable))
        .restocking_fee_bp(500);
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<ReturnPolicy>(&json).unwrap(), p);
    let bad = json.replace("\"restocking_fee_bp\":500", "\"restocking_fee_bp\":20000");
    assert_ne!(bad, json);
    assert!(serde_json::from_str::<ReturnPolicy>(&bad).is_err());
}
