//! Plans: what ships from where, what stays unfilled, and what it costs.

use crate::model::{LineId, Money, NodeId, Qty};

/// How much a plan can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PlanStatus {
    /// Proven least cost under every rule.
    Optimal,
    /// Valid under every rule, not proven least cost (a heuristic, or a search limit reached).
    Feasible,
    /// No plan satisfies every rule; the plan ships nothing and has no cost.
    Infeasible,
}

impl PlanStatus {
    /// The status as written in the interchange format.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Optimal => "optimal",
            Self::Feasible => "feasible",
            Self::Infeasible => "infeasible",
        }
    }
}

/// Units of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LineQty {
    /// The line.
    pub line: LineId,
    /// Units, never zero in a plan.
    pub quantity: Qty,
}

/// The units one node ships: one package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Shipment {
    /// The shipping node.
    pub node: NodeId,
    /// Lines and units, sorted by line id.
    pub lines: Vec<LineQty>,
}

/// The answer of a [`Strategy`](super::Strategy).
///
/// Shipments are sorted by node id and their lines by line id; `unfilled`
/// is sorted by line id; no entry has a zero quantity. Plans serialise (with
/// dense ids; [`Instance::plan_json`](super::Instance::plan_json) writes the
/// interchange format) but do not deserialise: they are outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Plan {
    /// The strategy that made the plan.
    pub strategy: String,
    /// Optimal, feasible or infeasible.
    pub status: PlanStatus,
    /// The exact cost; `None` when infeasible.
    pub cost: Option<Money>,
    /// What ships from where.
    pub shipments: Vec<Shipment>,
    /// Units left unfilled (only with an unfilled-unit penalty).
    pub unfilled: Vec<LineQty>,
}

impl Plan {
    /// The infeasible plan of a strategy.
    #[must_use]
    pub fn infeasible(strategy: &str) -> Self {
        Self {
            strategy: strategy.to_owned(),
            status: PlanStatus::Infeasible,
            cost: None,
            shipments: Vec::new(),
            unfilled: Vec::new(),
        }
    }

    /// Units of `line` shipped from `node`.
    #[must_use]
    pub fn shipped(&self, node: NodeId, line: LineId) -> Qty {
        self.shipments
            .iter()
            .filter(|s| s.node == node)
            .flat_map(|s| s.lines.iter())
            .filter(|l| l.line == line)
            .fold(Qty::ZERO, |a, l| Qty::new(a.get().saturating_add(l.quantity.get())))
    }
}
