//! Grade → disposition by highest net recovery, and the ledger commands it implies.

use super::{
    DispositionRule, Grade, HazmatMode, HygieneRule, Inspection, Reason, Recovery, ReturnCase, ReturnId,
    ReturnPolicy, ReturnsError, Sale,
};
use crate::ledger::{AdjustReason, Bucket, Command, CommandKind, Direction};
use crate::model::{EntryId, Money, NodeId, Qty, Sku, Timestamp};

/// What happens to inspected units. The order is the tie-break order when two
/// dispositions recover the same amount.
///
/// No disposition is a terminal label: units that stay in the network sit in a
/// real ledger bucket (restock and open-box in `OnHand`, refurbish in `Damaged`
/// awaiting repair, quarantine in `Quarantine`), and units that leave it are
/// removed from `ReturnsPending` by an adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Disposition {
    /// Back on the shelf as new, at the receiving node or transferred to where it sells.
    Restock,
    /// Sold as open-box under a separate SKU at the receiving node.
    OpenBox,
    /// Held as damaged stock for repair; the host's repair flow moves it on.
    Refurbish,
    /// Sent back to the supplier for credit.
    ReturnToVendor,
    /// Sold through an outlet or liquidator.
    Liquidate,
    /// Given to charity.
    Donate,
    /// Recycled.
    Recycle,
    /// Destroyed.
    Destroy,
    /// Held for a person to decide.
    Quarantine,
}

/// What to do with inspected units, the ledger commands that do it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DispositionDecision {
    /// The return.
    pub return_id: ReturnId,
    /// The grade inspected.
    pub grade: Grade,
    /// Units disposed.
    pub qty: Qty,
    /// What happens to them.
    pub disposition: Disposition,
    /// Where they end up (the selling node for a restock, else the receiving node).
    pub node: NodeId,
    /// Net recovery of the chosen disposition (zero for quarantine).
    pub net_recovery: Money,
    /// The ledger commands, in order; command `k` has entry id `entry_base + k`.
    pub commands: Vec<Command>,
    /// The rules that fired, in order.
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Copy)]
struct Choice {
    disposition: Disposition,
    node: NodeId,
    net: Money,
    transit_days: u32,
}

fn ex(reasons: &mut Vec<Reason>, disposition: Disposition, rule: DispositionRule) {
    reasons.push(Reason::DispositionExcluded { disposition, by: rule });
}

/// Chooses the disposition and builds its commands; pure, changes nothing.
pub(crate) fn decide(
    sale: &Sale,
    case: &ReturnCase,
    received_at: NodeId,
    inspection: &Inspection,
    policy: &ReturnPolicy,
    recovery: &Recovery,
    entry_base: EntryId,
) -> Result<DispositionDecision, ReturnsError> {
    use Disposition::*;
    let q = inspection.qty;
    let rule = policy.rule_for(sale.category);
    let mut reasons = vec![Reason::GradeAllows { grade: inspection.grade }];
    let mut best: Option<Choice> = None;
    let mut consider = |c: Choice| {
        // Strictly better only: earlier dispositions and lower nodes win ties.
        if best.is_none_or(|b| c.net > b.net) {
            best = Some(c);
        }
    };
    for &d in inspection.grade.allows() {
        if inspection.suspect {
            ex(&mut reasons, d, DispositionRule::Suspect);
            continue;
        }
        if sale.recalled && !matches!(d, ReturnToVendor | Destroy) {
            ex(&mut reasons, d, DispositionRule::Recall);
            continue;
        }
        if d == Restock && case.opened && rule.hygiene == HygieneRule::Cleanable {
            ex(&mut reasons, d, DispositionRule::HygieneCleanable);
            continue;
        }
        if rule.perishable && !matches!(d, Donate | Recycle | Destroy) {
            ex(&mut reasons, d, DispositionRule::Perishable);
            continue;
        }
        if rule.hazmat != HazmatMode::None && matches!(d, Liquidate | Donate) {
            ex(&mut reasons, d, DispositionRule::Hazmat);
            continue;
        }
        if d == Restock {
            let mut nodes: Vec<_> = recovery
                .restock
                .iter()
                .filter(|n| n.accepts_returns && (rule.hazmat == HazmatMode::None || n.hazmat))
                .collect();
            nodes.sort_by_key(|n| (n.node != received_at, n.node));
            if nodes.is_empty() {
                ex(&mut reasons, d, DispositionRule::NoEconomics);
            }
            for n in nodes {
                let gross = n.resale_value.checked_mul_qty(q)?;
                let mut cost = n.handling_cost.checked_mul_qty(q)?;
                if n.node != received_at {
                    cost = cost.checked_add(n.transport_cost)?;
                }
                let net = gross.checked_sub(cost)?;
                reasons.push(Reason::DispositionCandidate { disposition: d, node: n.node, gross, cost, net });
                consider(Choice { disposition: d, node: n.node, net, transit_days: n.transit_days });
            }
            continue;
        }
        let econ = match recovery.economics(d) {
            Some(e) if d != OpenBox || recovery.open_box_sku.is_some() => e,
            _ => {
                ex(&mut reasons, d, DispositionRule::NoEconomics);
                continue;
            }
        };
        let gross = econ.gross.checked_mul_qty(q)?;
        let cost = econ.cost.checked_mul_qty(q)?;
        let net = gross.checked_sub(cost)?;
        reasons.push(Reason::DispositionCandidate { disposition: d, node: received_at, gross, cost, net });
        consider(Choice { disposition: d, node: received_at, net, transit_days: 0 });
    }
    let choice = match best {
        Some(c) => c,
        None => {
            reasons.push(Reason::FallbackQuarantine);
            Choice { disposition: Quarantine, node: received_at, net: Money::ZERO, transit_days: 0 }
        }
    };
    reasons.push(Reason::DispositionChosen {
        disposition: choice.disposition,
        node: choice.node,
        net: choice.net,
    });
    let kinds = commands_for(sale.sku, recovery.open_box_sku, received_at, q, choice, inspection.at)?;
    let mut commands = Vec::with_capacity(kinds.len());
    let mut entry = entry_base.get();
    for (k, kind) in kinds.into_iter().enumerate() {
        if k > 0 {
            entry = entry.checked_add(1).ok_or(ReturnsError::Overflow { what: "entry id" })?;
        }
        commands.push(Command::new(
            EntryId::new(entry).map_err(|_| ReturnsError::Overflow { what: "entry id" })?,
            kind,
        ));
    }
    Ok(DispositionDecision {
        return_id: case.id,
        grade: inspection.grade,
        qty: q,
        disposition: choice.disposition,
        node: choice.node,
        net_recovery: choice.net,
        commands,
        reasons,
    })
}

fn commands_for(
    sku: Sku,
    open_box_sku: Option<Sku>,
    node: NodeId,
    qty: Qty,
    choice: Choice,
    at: Timestamp,
) -> Result<Vec<CommandKind>, ReturnsError> {
    use Disposition::*;
    let mv = |to| CommandKind::Move { node, sku, from: Bucket::ReturnsPending, to, qty };
    let out = |reason| CommandKind::Adjust {
        node,
        sku,
        bucket: Bucket::ReturnsPending,
        direction: Direction::Decrease,
        qty,
        reason,
    };
    Ok(match choice.disposition {
        Restock if choice.node == node => vec![mv(Bucket::OnHand)],
        Restock => {
            let eta = at.checked_add_days(i64::from(choice.transit_days))?;
            vec![mv(Bucket::OnHand), CommandKind::TransferOut { node, to: choice.node, sku, qty, eta }]
        }
        OpenBox => match open_box_sku {
            Some(ob) => {
                vec![out(AdjustReason::Other), CommandKind::Receive { node, sku: ob, qty, inbound: None }]
            }
            // Unreachable by construction (open-box is only a candidate with a SKU); quarantine is safe.
            None => vec![mv(Bucket::Quarantine)],
        },
        Refurbish => vec![mv(Bucket::Damaged)],
        Quarantine => vec![mv(Bucket::Quarantine)],
        ReturnToVendor | Liquidate | Donate => vec![out(AdjustReason::Other)],
        Recycle | Destroy => vec![out(AdjustReason::WriteOff)],
    })
}
