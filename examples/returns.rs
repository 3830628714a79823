//! Three returns end to end, printing every decision with its reasons:
//!
//! 1. a mail return routed to, received and restocked at a different node
//!    than the one that shipped it;
//! 2. a keep-it (returnless refund): sending it back costs more than it recovers;
//! 3. a damaged in-store return sent to refurbish.
//!
//! Run with `cargo run --example returns`.

use omniroute::returns::{
    Category, CategoryRule, Disposition, Grade, Inspection, NodeSignal, Reason, Recovery, ReturnId,
    ReturnPolicy, ReturnReason, ReturnRequest, ReturnsError, Sale, SaleReturns,
};
use omniroute::{Command, EntryId, LineId, Money, NodeId, OrderId, Qty, Sku, Timestamp};

const EAST_DC: NodeId = NodeId::new(1);
const WEST_DC: NodeId = NodeId::new(2);
const DOWNTOWN_STORE: NodeId = NodeId::new(3);

const JACKETS: Category = Category::new(1);
const PHONE_CASES: Category = Category::new(2);
const HEADPHONES: Category = Category::new(3);

fn day(d: i64) -> Timestamp {
    // 2026-01-01 + d days
    Timestamp::from_unix_ms(1_767_225_600_000_i64.saturating_add(d.saturating_mul(Timestamp::MS_PER_DAY)))
}

fn money(s: &str) -> Result<Money, ReturnsError> {
    s.parse::<Money>().map_err(ReturnsError::from)
}

fn show_reasons(reasons: &[Reason]) {
    for (i, r) in (1_u32..).zip(reasons) {
        println!("    {i:>2}. {r:?}");
    }
}

fn show_commands(commands: &[Command]) {
    for c in commands {
        println!("    -> {} {:?}", c.entry, c.kind);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = ReturnPolicy::new()
        .window_days(30)
        .statutory_defect_days(730)
        .restocking_fee_bp(1000)
        .category(JACKETS, CategoryRule::new().window_days(60))
        .category(HEADPHONES, CategoryRule::new().restocking_fee_bp(1500));
    let mut entry = 1000_u128;
    let mut next_entries = |n: u128| -> Result<EntryId, omniroute::ModelError> {
        let id = EntryId::new(entry)?;
        entry = entry.saturating_add(n);
        Ok(id)
    };

    // 1. A jacket shipped from the east DC, returned by mail. It sells better
    //    in the west (winter there), so the label sends it to the west DC.
    println!("== 1. mail return, restocked where it sells");
    let jacket = Sale::new(OrderId::new(5001), LineId::new(0), Sku::new(40), JACKETS, day(0))
        .delivered_at(day(3))
        .quantities(Qty::new(1), Qty::new(1))
        .paid(money("120.00")?)
        .shipped_from(EAST_DC);
    let mut returns = SaleReturns::new(jacket)?;
    let network = [
        NodeSignal::new(EAST_DC, money("70.00")?)
            .transport_cost(money("9.50")?)
            .handling_cost(money("4.00")?),
        NodeSignal::new(WEST_DC, money("96.00")?)
            .transport_cost(money("11.00")?)
            .handling_cost(money("4.00")?),
        NodeSignal::new(DOWNTOWN_STORE, money("90.00")?).accepts_returns(false),
    ];
    let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::DoesNotFit, day(20));
    let d = returns.request(&req, &policy, &network)?;
    println!("  request: {:?}, refund {:?}, route {:?}", d.verdict, d.refund, d.route);
    show_reasons(&d.reasons);
    let receipt = returns.receive(ReturnId::new(1), WEST_DC, Qty::new(1), day(24), next_entries(1)?)?;
    println!("  receipt at {}:", receipt.node);
    show_commands(&receipt.commands);
    let recovery = Recovery::new()
        .restock_at(NodeSignal::new(WEST_DC, money("96.00")?).handling_cost(money("2.00")?))
        .restock_at(NodeSignal::new(EAST_DC, money("70.00")?).transport_cost(money("7.00")?).transit_days(4))
        .value(Disposition::Liquidate, money("30.00")?, money("2.00")?);
    let inspection = Inspection::new(ReturnId::new(1), Grade::Sealed, Qty::new(1), day(25));
    let dd = returns.dispose(&inspection, &policy, &recovery, next_entries(2)?)?;
    println!("  disposition: {:?} at {} (net {})", dd.disposition, dd.node, dd.net_recovery);
    show_reasons(&dd.reasons);
    show_commands(&dd.commands);
    assert_eq!((dd.disposition, dd.node), (Disposition::Restock, WEST_DC));

    // 2. A phone case: the return label costs more than the case recovers.
    println!("\n== 2. keep-it (returnless refund)");
    let case = Sale::new(OrderId::new(5002), LineId::new(0), Sku::new(77), PHONE_CASES, day(0))
        .quantities(Qty::new(1), Qty::new(1))
        .paid(money("14.99")?)
        .shipped_from(EAST_DC);
    let mut returns = SaleReturns::new(case)?;
    let network = [NodeSignal::new(EAST_DC, money("6.00")?)
        .transport_cost(money("7.20")?)
        .handling_cost(money("1.50")?)];
    let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::ChangedMind, day(9));
    let d = returns.request(&req, &policy, &network)?;
    println!("  request: {:?}, refund {:?}, route {:?}", d.verdict, d.refund, d.route);
    show_reasons(&d.reasons);

    // 3. Headphones that arrived damaged, brought back to the store: the
    //    merchant's fault waives the 15% fee; inspection finds them repairable.
    println!("\n== 3. damaged in-store return, sent to refurbish");
    let headphones = Sale::new(OrderId::new(5003), LineId::new(2), Sku::new(12), HEADPHONES, day(0))
        .quantities(Qty::new(1), Qty::new(1))
        .paid(money("249.00")?)
        .shipped_from(WEST_DC);
    let mut returns = SaleReturns::new(headphones)?;
    let network = [
        NodeSignal::new(DOWNTOWN_STORE, money("150.00")?).handling_cost(money("3.00")?),
        NodeSignal::new(WEST_DC, money("160.00")?)
            .transport_cost(money("12.00")?)
            .handling_cost(money("3.00")?),
    ];
    let req = ReturnRequest::new(ReturnId::new(1), Qty::new(1), ReturnReason::DamagedInTransit, day(4))
        .in_store(DOWNTOWN_STORE)
        .opened(true);
    let d = returns.request(&req, &policy, &network)?;
    println!("  request: {:?}, refund {:?}, route {:?}", d.verdict, d.refund, d.route);
    show_reasons(&d.reasons);
    let receipt = returns.receive(ReturnId::new(1), DOWNTOWN_STORE, Qty::new(1), day(4), next_entries(1)?)?;
    println!("  receipt at {}:", receipt.node);
    show_commands(&receipt.commands);
    let recovery = Recovery::new()
        .value(Disposition::Refurbish, money("140.00")?, money("45.00")?)
        .value(Disposition::ReturnToVendor, money("60.00")?, money("10.00")?)
        .value(Disposition::Liquidate, money("40.00")?, money("5.00")?)
        .value(Disposition::Recycle, money("2.00")?, money("1.00")?);
    let inspection = Inspection::new(ReturnId::new(1), Grade::Damaged, Qty::new(1), day(5));
    let dd = returns.dispose(&inspection, &policy, &recovery, next_entries(2)?)?;
    println!("  disposition: {:?} at {} (net {})", dd.disposition, dd.node, dd.net_recovery);
    show_reasons(&dd.reasons);
    show_commands(&dd.commands);
    assert_eq!(dd.disposition, Disposition::Refurbish);
    Ok(())
}
