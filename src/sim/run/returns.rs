//! The returns flow of a simulation: request, receipt, inspection and
//! disposition through [`SaleReturns`], with the ledger commands applied.

use rust_decimal::Decimal;

use super::{Ev, Sim};
use crate::ledger::CommandKind;
use crate::model::{LineId, Money, NodeId, NodeKind, Qty, Sku, Timestamp};
use crate::returns::{
    Category, CategoryRule, Disposition, HygieneRule, Inspection, NodeSignal, Recovery, ReturnId,
    ReturnPolicy, ReturnRequest, Route, Sale, SaleReturns, Verdict,
};
use crate::sim::SimError;
use crate::sim::fulfil::Fulfiller;
use crate::sim::metrics::{add, add_money};

/// One line's return in progress.
#[derive(Debug)]
pub(super) struct Flow {
    order: crate::model::OrderId,
    line: LineId,
    grade: crate::returns::Grade,
    sku: Sku,
    price: Money,
    returns: SaleReturns,
    node: NodeId,
    qty: Qty,
}

fn pct(m: Money, percent: i64) -> Money {
    m.checked_mul(Decimal::new(percent, 2)).map(|x| Money::new(x.get().round_dp(2))).unwrap_or(Money::ZERO)
}

/// The return policy of every simulation: 30 days, a two-year statutory
/// window for merchant-fault returns, category 0 (say apparel) cleanable
/// after opening, category 1 final sale.
pub(super) fn return_policy() -> ReturnPolicy {
    ReturnPolicy::new()
        .window_days(30)
        .statutory_defect_days(730)
        .category(Category::new(0), CategoryRule::new().hygiene(HygieneRule::Cleanable))
        .category(Category::new(1), CategoryRule::new().final_sale(true))
}

impl<F: Fulfiller> Sim<'_, F> {
    fn warehouses(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.scenario.nodes().iter().filter(|n| n.node.kind == NodeKind::Warehouse).map(|n| n.node.id)
    }

    pub(super) fn return_request(&mut self, i: usize, line: LineId, now: Timestamp) -> Result<(), SimError> {
        let s = self.scenario;
        let o = s.orders().get(i).ok_or(SimError::Overflow { what: "order index" })?;
        let (Some(planned), Some(ol)) =
            (o.returns.iter().find(|r| r.line == line), o.lines.iter().find(|l| l.id == line))
        else {
            return Ok(());
        };
        let Some(product) = s.products().get(ol.sku.as_usize()) else { return Ok(()) };
        let plan_lines = self.placed.get(i).map(|p| p.lines.clone()).unwrap_or_default();
        let shipped =
            plan_lines.iter().filter(|l| l.0 == line).fold(0_u64, |a, l| a.saturating_add(l.2.get()));
        let from = plan_lines.iter().find(|l| l.0 == line).map(|l| l.1);
        let qty = Qty::new(planned.qty.get().min(shipped));
        if qty.is_zero() {
            return Ok(());
        }
        add(&mut self.m.returns_requested, 1, "returns")?;
        let paid =
            product.price.checked_mul_qty(ol.quantity).map_err(|_| SimError::Overflow { what: "price" })?;
        let mut sale = Sale::new(o.id, line, ol.sku, product.category, o.at)
            .quantities(ol.quantity, Qty::new(shipped))
            .paid(paid)
            .delivered_at(o.release_at);
        if let Some(n) = from {
            sale = sale.shipped_from(n);
        }
        let mut returns = SaleReturns::new(sale)?;
        let template = s.template_for(o)?;
        let resale = pct(product.price, 60);
        let signals: Vec<NodeSignal> = self
            .warehouses()
            .map(|w| {
                let leg = template.nodes.get(w.as_usize());
                NodeSignal::new(w, resale)
                    .handling_cost(Money::new(Decimal::new(150, 2)))
                    .transport_cost(leg.map_or(Money::ZERO, |n| n.shipment_cost))
                    .transit_days(leg.and_then(|n| n.transit_days).unwrap_or(0))
                    .hazmat(true)
            })
            .collect();
        let req = ReturnRequest::new(ReturnId::new(1), qty, planned.reason, now)
            .opened(planned.grade != crate::returns::Grade::Sealed);
        let d = returns.request(&req, &self.policy, &signals)?;
        if d.verdict != Verdict::Accepted {
            return add(&mut self.m.returns_refused, 1, "returns");
        }
        add(&mut self.m.returns_accepted, 1, "returns")?;
        if let Some(r) = d.refund {
            add_money(&mut self.m.refunds, r.amount, "refunds")?;
        }
        let node = match d.route {
            Some(Route::SendTo { node }) | Some(Route::InStore { store: node, .. }) => node,
            _ => return add(&mut self.m.returns_kept, 1, "returns"),
        };
        let days = signals.iter().find(|n| n.node == node).map_or(0, |n| n.transit_days);
        let k = self.flows.len();
        self.flows.push(Flow {
            order: o.id,
            line,
            grade: planned.grade,
            sku: ol.sku,
            price: product.price,
            returns,
            node,
            qty,
        });
        self.at(now.checked_add_days(i64::from(days).saturating_add(1))?, Ev::ReturnArrives(k));
        Ok(())
    }

    pub(super) fn return_arrives(&mut self, k: usize, now: Timestamp) -> Result<(), SimError> {
        let id = self.host_id()?;
        let Some(flow) = self.flows.get_mut(k) else { return Ok(()) };
        let receipt = flow.returns.receive(ReturnId::new(1), flow.node, flow.qty, now, id)?;
        let (qty, order, line) = (flow.qty, flow.order, flow.line);
        self.f.apply(&receipt.commands, now)?;
        self.f.record_return(order, line, qty, now)?;
        add(&mut self.m.units_returned, qty.get(), "units returned")?;
        self.at(now.checked_add_days(1)?, Ev::Inspect(k));
        Ok(())
    }

    pub(super) fn inspect(&mut self, k: usize, now: Timestamp) -> Result<(), SimError> {
        let base = self.host_id()?;
        // Dispositions use at most two ids: keep the second one free.
        self.host_id()?;
        let warehouses: Vec<NodeId> = self.warehouses().collect();
        let Some(flow) = self.flows.get_mut(k) else { return Ok(()) };
        let price = flow.price;
        let mut recovery = Recovery::new();
        for w in warehouses {
            // Where it sells varies by node: 80–94 % of the price, by (node, SKU).
            let share = 80_i64.saturating_add(i64::from((w.get().wrapping_mul(7) ^ flow.sku.get()) % 15));
            let mut sig =
                NodeSignal::new(w, pct(price, share)).handling_cost(Money::new(Decimal::new(100, 2)));
            if w != flow.node {
                sig = sig.transport_cost(Money::new(Decimal::new(600, 2))).transit_days(2);
            }
            recovery = recovery.restock_at(sig.hazmat(true));
        }
        let recovery = recovery
            .value(Disposition::ReturnToVendor, pct(price, 40), Money::new(Decimal::new(200, 2)))
            .value(Disposition::Liquidate, pct(price, 25), Money::new(Decimal::new(50, 2)))
            .value(Disposition::Refurbish, pct(price, 60), pct(price, 20))
            .value(Disposition::Recycle, Money::new(Decimal::new(20, 2)), Money::new(Decimal::new(10, 2)))
            .value(Disposition::Donate, Money::ZERO, Money::ZERO)
            .value(Disposition::Destroy, Money::ZERO, Money::new(Decimal::new(100, 2)));
        let inspection = Inspection::new(ReturnId::new(1), flow.grade, flow.qty, now);
        let d = flow.returns.dispose(&inspection, &self.policy, &recovery, base)?;
        self.f.apply(&d.commands, now)?;
        add_money(&mut self.m.value_recovered, d.net_recovery, "value recovered")?;
        for c in &d.commands {
            match c.kind {
                CommandKind::Adjust { qty, .. } => {
                    add(&mut self.m.units_disposed_out, qty.get(), "disposed")?
                }
                CommandKind::TransferOut { qty, eta, .. } => {
                    add(&mut self.m.units_transferred, qty.get(), "transferred")?;
                    self.at(eta.max(now), Ev::TransferIn { transfer: c.entry, qty });
                }
                _ => {}
            }
        }
        Ok(())
    }
}
