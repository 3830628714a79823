use thiserror::Error;

use crate::model::{LineId, NodeId};

/// Why a routing problem could not be routed.
///
/// A problem that is valid but has no feasible plan is *not* an error: it is
/// a [`Plan`](super::Plan) with status [`PlanStatus::Infeasible`](super::PlanStatus::Infeasible).
/// Variants are listed in the order the checks run; the first that applies is
/// returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RoutingError {
    /// An interchange-format instance is invalid (shared/spec/routing-instance.md,
    /// "Validation"): `field` is where (e.g. `nodes[2].shipment_cost`), `reason` what.
    ///
    /// ```
    /// # #[cfg(feature = "serde")] {
    /// use omniroute::routing::{Instance, RoutingError};
    /// let e = Instance::from_json(r#"{"format": "omniroute.instance/2"}"#).unwrap_err();
    /// assert!(matches!(e, RoutingError::InvalidInstance { ref field, .. } if field == "format"));
    /// # }
    /// ```
    #[error("{field}: {reason}")]
    InvalidInstance {
        /// The JSON path of the offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The order has no lines.
    ///
    /// ```
    /// use omniroute::routing::{Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// let p = RoutingProblem::new(vec![], vec![]);
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert_eq!(r, Err(RoutingError::NoLines));
    /// ```
    #[error("the order has no lines")]
    NoLines,
    /// The order has more lines than the router supports.
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// use omniroute::{LineId, Qty, Sku};
    /// let lines = (0..65).map(|i| OrderLine::new(LineId::new(i), Sku::new(0), Qty::new(1))).collect();
    /// let p = RoutingProblem::new(vec![], lines);
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert!(matches!(r, Err(RoutingError::TooManyLines { .. })));
    /// ```
    #[error("the order has {lines} lines; at most {max} are supported")]
    TooManyLines {
        /// Lines in the order.
        lines: usize,
        /// The most supported.
        max: usize,
    },
    /// Two nodes have the same id.
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
    /// let n = Node::new(NodeId::new(3), NodeKind::Store);
    /// let p = RoutingProblem::new(vec![n.clone(), n], vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1))]);
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert_eq!(r, Err(RoutingError::DuplicateNode { node: NodeId::new(3) }));
    /// ```
    #[error("node {node} appears twice")]
    DuplicateNode {
        /// The repeated node.
        node: NodeId,
    },
    /// Two lines have the same id.
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// use omniroute::{LineId, Qty, Sku};
    /// let l = OrderLine::new(LineId::new(1), Sku::new(0), Qty::new(1));
    /// let p = RoutingProblem::new(vec![], vec![l.clone(), l]);
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert_eq!(r, Err(RoutingError::DuplicateLine { line: LineId::new(1) }));
    /// ```
    #[error("line {line} appears twice")]
    DuplicateLine {
        /// The repeated line.
        line: LineId,
    },
    /// A line asks for zero units.
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// use omniroute::{LineId, Qty, Sku};
    /// let p = RoutingProblem::new(vec![], vec![OrderLine::new(LineId::new(1), Sku::new(0), Qty::ZERO)]);
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert_eq!(r, Err(RoutingError::ZeroQuantity { line: LineId::new(1) }));
    /// ```
    #[error("line {line} has quantity 0")]
    ZeroQuantity {
        /// The line.
        line: LineId,
    },
    /// A cost or penalty is negative.
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, Rules, StockTable, Strategy};
    /// use omniroute::{LineId, Qty, Sku};
    /// let p = RoutingProblem::new(vec![], vec![OrderLine::new(LineId::new(1), Sku::new(0), Qty::new(1))])
    ///     .with_rules(Rules::new().unfilled_unit_penalty(Some("-1".parse()?)));
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert!(matches!(r, Err(RoutingError::NegativeCost { .. })));
    /// # Ok::<(), omniroute::ModelError>(())
    /// ```
    #[error("{what} must not be negative")]
    NegativeCost {
        /// Which cost.
        what: &'static str,
    },
    /// `pickup_at` or a unit-cost override names a node that is not in the problem.
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// use omniroute::{LineId, NodeId, Qty, Sku};
    /// let p = RoutingProblem::new(vec![], vec![OrderLine::new(LineId::new(1), Sku::new(0), Qty::new(1))])
    ///     .with_pickup_at(Some(NodeId::new(9)));
    /// let r = Optimal.route(&p, &StockTable::new(), &RouteOptions::new());
    /// assert_eq!(r, Err(RoutingError::UnknownNode { node: NodeId::new(9) }));
    /// ```
    #[error("node {node} is not in the problem")]
    UnknownNode {
        /// The unknown node.
        node: NodeId,
    },
    /// Exact cost arithmetic overflowed (costs too large or too finely scaled,
    /// or quantities too large, to optimise exactly).
    ///
    /// ```
    /// use omniroute::routing::{OrderLine, Optimal, RouteOptions, RoutingError, RoutingProblem, StockTable, Strategy};
    /// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
    /// let n = Node::new(NodeId::new(0), NodeKind::Store)
    ///     .with_unit_cost("79228162514264337593543950335".parse()?)
    ///     .with_shipment_cost("0.0000000000000000000000000001".parse()?);
    /// let mut stock = StockTable::new();
    /// stock.set(NodeId::new(0), Sku::new(0), Qty::new(5)).unwrap();
    /// let p = RoutingProblem::new(vec![n], vec![OrderLine::new(LineId::new(1), Sku::new(0), Qty::new(1))]);
    /// let r = Optimal.route(&p, &stock, &RouteOptions::new());
    /// assert!(matches!(r, Err(RoutingError::Overflow { .. })));
    /// # Ok::<(), omniroute::ModelError>(())
    /// ```
    #[error("arithmetic overflow in {what}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// The search limit was reached before any feasible plan was found, so
    /// neither a plan nor infeasibility can be reported. (When a plan had been
    /// found, reaching the limit is not an error: the plan has status
    /// [`PlanStatus::Feasible`](super::PlanStatus::Feasible).)
    ///
    /// ```
    /// use omniroute::routing::RoutingError;
    /// let e = RoutingError::GaveUp { evaluated: 10 };
    /// assert_eq!(e.to_string(), "search limit reached after 10 node sets without a feasible plan");
    /// ```
    #[error("search limit reached after {evaluated} node sets without a feasible plan")]
    GaveUp {
        /// Node sets evaluated.
        evaluated: u64,
    },
    /// A [`StockTable`](super::StockTable) index was too large.
    ///
    /// ```
    /// use omniroute::routing::{RoutingError, StockTable};
    /// use omniroute::{NodeId, Qty, Sku};
    /// let r = StockTable::new().set(NodeId::MAX, Sku::new(0), Qty::new(1));
    /// assert!(matches!(r, Err(RoutingError::IndexTooLarge { .. })));
    /// ```
    #[error("stock table index exceeds {max}")]
    IndexTooLarge {
        /// The largest index accepted.
        max: u32,
    },
}

impl RoutingError {
    pub(crate) const fn overflow(what: &'static str) -> Self {
        Self::Overflow { what }
    }
}
