//! The rule-based strategies of the common commerce platforms: `priority`,
//! `nearest` and `high_stock` (shared/spec/routing-instance.md, "Strategies").

use core::cmp::Ordering;

use smallvec::SmallVec;

use super::compile::{Compiled, bit, compile};
use super::exact::Alloc;
use super::{Availability, Plan, PlanStatus, RouteOptions, RoutingError, RoutingProblem, Strategy, build};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank {
    Priority,
    Nearest,
    HighStock,
}

/// `priority`: nodes in ascending `priority` (absent priorities last, ties by
/// node id); lines in order, each taking as many units as it can from each
/// eligible node in turn (without `split_lines`, the first node that can ship
/// the whole line; a keep-together group, the first node that can ship the
/// whole group). Costs play no part in the choice, only in the reported cost.
///
/// Every hard rule holds: a node that has not shipped yet is used only while
/// `max_shipments` allows; with `ship_complete` the first node that can ship
/// everything ships it all. Units no node can take stay unfilled when the
/// penalty allows it; otherwise the plan is [`PlanStatus::Infeasible`]. The
/// status of a plan is [`PlanStatus::Feasible`].
///
/// # Complexity
///
/// O(nodes × lines + nodes log nodes).
///
/// # Example
///
/// ```
/// use omniroute::routing::{OrderLine, Priority, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_priority(2),
///     Node::new(NodeId::new(1), NodeKind::Store).with_priority(1),
/// ];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(3))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(9))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(2))?;
/// let plan = Priority.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.shipments.len(), 2); // 2 from node 1, then 1 from node 0
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Priority;

/// `nearest`: as [`Priority`], with nodes ordered by great-circle distance to
/// the destination (ties by priority, then node id); nodes whose distance
/// cannot be computed (no location, or no destination) come after all the
/// others, in priority order.
///
/// # Example
///
/// ```
/// use omniroute::routing::{Nearest, OrderLine, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Location, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_location(Location::new(40.7, -74.0)?),
///     Node::new(NodeId::new(1), NodeKind::Store).with_location(Location::new(42.3, -71.0)?),
/// ];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(1))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(1))?;
/// let p = RoutingProblem::new(nodes, lines).with_destination(Some(Location::new(42.36, -71.06)?));
/// let plan = Nearest.route(&p, &stock, &RouteOptions::new())?;
/// assert_eq!(plan.shipments[0].node, NodeId::new(1)); // Boston is nearer Boston
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nearest;

/// `high_stock`: as [`Priority`], except that for each line the nodes are
/// ordered by their availability of the line's SKU as given (not as consumed
/// by earlier lines), highest first, ties by priority, then node id. A
/// keep-together group (and `ship_complete`) orders nodes by the SKU of its
/// first line in order.
///
/// # Example
///
/// ```
/// use omniroute::routing::{HighStock, OrderLine, RouteOptions, RoutingProblem, StockTable, Strategy};
/// use omniroute::{LineId, Node, NodeId, NodeKind, Qty, Sku};
/// let nodes = vec![
///     Node::new(NodeId::new(0), NodeKind::Warehouse).with_priority(1),
///     Node::new(NodeId::new(1), NodeKind::Store).with_priority(2),
/// ];
/// let lines = vec![OrderLine::new(LineId::new(0), Sku::new(0), Qty::new(1))];
/// let mut stock = StockTable::new();
/// stock.set(NodeId::new(0), Sku::new(0), Qty::new(3))?;
/// stock.set(NodeId::new(1), Sku::new(0), Qty::new(8))?;
/// let plan = HighStock.route(&RoutingProblem::new(nodes, lines), &stock, &RouteOptions::new())?;
/// assert_eq!(plan.shipments[0].node, NodeId::new(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HighStock;

macro_rules! rule_strategy {
    ($t:ty, $name:literal, $rank:expr) => {
        impl Strategy for $t {
            fn name(&self) -> &str {
                $name
            }

            fn route(
                &self,
                problem: &RoutingProblem,
                availability: &dyn Availability,
                _options: &RouteOptions,
            ) -> Result<Plan, RoutingError> {
                let c = compile(problem, availability, None)?;
                let allocs = rule_allocs(problem, &c, $rank);
                build::build(problem, &c, &allocs, PlanStatus::Feasible, $name)
            }
        }
    };
}

rule_strategy!(Priority, "priority", Rank::Priority);
rule_strategy!(Nearest, "nearest", Rank::Nearest);
rule_strategy!(HighStock, "high_stock", Rank::HighStock);

type PriorityKey = (bool, Option<i64>, u32);

fn priority_keys(problem: &RoutingProblem, c: &Compiled) -> Vec<PriorityKey> {
    c.nodes
        .iter()
        .map(|n| {
            let p = problem.nodes.get(n.orig).and_then(|n| n.priority);
            (p.is_none(), p, n.id.get())
        })
        .collect()
}

/// Node order (indices into `c.nodes`) for a line of order SKU `sku`.
fn node_order(problem: &RoutingProblem, c: &Compiled, rank: Rank, sku: usize) -> SmallVec<[usize; 64]> {
    let mut order: SmallVec<[usize; 64]> = (0..c.nodes.len()).collect();
    let keys = priority_keys(problem, c);
    let key = |k: usize| keys.get(k).copied();
    let priority_cmp = |_: &RoutingProblem, _: &Compiled, a: usize, b: usize| key(a).cmp(&key(b));
    match rank {
        Rank::Priority => order.sort_unstable_by_key(|&k| key(k)),
        Rank::Nearest => {
            let dist: Vec<Option<f64>> = (0..c.nodes.len())
                .map(|k| {
                    let loc = c.nodes.get(k).and_then(|n| problem.nodes.get(n.orig)).and_then(|n| n.location);
                    match (loc, problem.destination) {
                        (Some(l), Some(d)) => Some(l.distance_km(d)),
                        _ => None,
                    }
                })
                .collect();
            let d = |k: usize| dist.get(k).copied().flatten();
            order.sort_unstable_by(|&a, &b| match (d(a), d(b)) {
                (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| priority_cmp(problem, c, a, b)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => priority_cmp(problem, c, a, b),
            });
        }
        Rank::HighStock => {
            let stock = |k: usize| c.nodes.get(k).and_then(|n| n.stock.get(sku)).copied().unwrap_or(0);
            order.sort_unstable_by(|&a, &b| {
                stock(b).cmp(&stock(a)).then_with(|| priority_cmp(problem, c, a, b))
            });
        }
    }
    order
}

struct State {
    stock: Vec<super::compile::StockRow>,
    cap: Vec<u64>,
    used: Vec<bool>,
    nused: usize,
    allocs: Vec<Alloc>,
}

impl State {
    fn can_open(&self, c: &Compiled, k: usize) -> bool {
        self.used.get(k).copied().unwrap_or(false) || self.nused < c.max_ship
    }

    fn take(&mut self, c: &Compiled, k: usize, line: usize, qty: u64) {
        if qty == 0 {
            return;
        }
        let sku = c.lines.get(line).map_or(0, |l| l.sku);
        if let Some(v) = self.stock.get_mut(k).and_then(|s| s.get_mut(sku)) {
            *v = v.saturating_sub(qty);
        }
        if let Some(v) = self.cap.get_mut(k) {
            *v = v.saturating_sub(qty);
        }
        if let Some(u) = self.used.get_mut(k) {
            if !*u {
                *u = true;
                self.nused = self.nused.saturating_add(1);
            }
        }
        self.allocs.push(Alloc { node: k, line, qty });
    }

    /// Whether node `k` can ship every line of `mask` whole now.
    fn fits_whole(&self, c: &Compiled, k: usize, mask: u64) -> bool {
        let Some(node) = c.nodes.get(k) else { return false };
        if node.elig & mask != mask || !self.can_open(c, k) {
            return false;
        }
        let mut need: SmallVec<[u64; 16]> = SmallVec::from_elem(0, c.skus.len());
        let mut total = 0u64;
        for (li, l) in c.lines.iter().enumerate() {
            if mask & bit(li) != 0 {
                if let Some(v) = need.get_mut(l.sku) {
                    *v = v.saturating_add(l.qty);
                }
                total = total.saturating_add(l.qty);
            }
        }
        let stock = self.stock.get(k);
        self.cap.get(k).is_some_and(|&cap| cap >= total)
            && need.iter().enumerate().all(|(s, &n)| stock.and_then(|v| v.get(s)).is_some_and(|&h| h >= n))
    }

    fn ship_whole(&mut self, c: &Compiled, k: usize, mask: u64) {
        for (li, l) in c.lines.iter().enumerate() {
            if mask & bit(li) != 0 {
                self.take(c, k, li, l.qty);
            }
        }
    }
}

fn rule_allocs(problem: &RoutingProblem, c: &Compiled, rank: Rank) -> Vec<Alloc> {
    let mut st = State {
        stock: c.nodes.iter().map(|n| n.stock.clone()).collect(),
        cap: c.nodes.iter().map(|n| n.cap).collect(),
        used: vec![false; c.nodes.len()],
        nused: 0,
        allocs: Vec::new(),
    };
    // Lines in the problem's order.
    let mut seq: SmallVec<[usize; 16]> = (0..c.lines.len()).collect();
    seq.sort_by_key(|&li| c.lines.get(li).map_or(0, |l| l.orig));
    let first_sku = seq.first().and_then(|&li| c.lines.get(li)).map_or(0, |l| l.sku);
    if c.ship_complete {
        let all = c.all_lines();
        for k in node_order(problem, c, rank, first_sku) {
            if st.fits_whole(c, k, all) {
                st.ship_whole(c, k, all);
                break;
            }
        }
        return st.allocs;
    }
    let mut done = 0u64;
    // Priority and distance orders do not depend on the line: sort once.
    let shared = (rank != Rank::HighStock).then(|| node_order(problem, c, rank, 0));
    for &li in &seq {
        if done & bit(li) != 0 {
            continue;
        }
        let Some(line) = c.lines.get(li) else { continue };
        let owned;
        let order: &[usize] = match &shared {
            Some(o) => o,
            None => {
                owned = node_order(problem, c, rank, line.sku);
                &owned
            }
        };
        if let Some(item) = c.items.iter().find(|it| it.mask & bit(li) != 0) {
            done |= item.mask;
            if let Some(&k) = order.iter().find(|&&k| st.fits_whole(c, k, item.mask)) {
                st.ship_whole(c, k, item.mask);
            }
            continue;
        }
        done |= bit(li);
        let mut left = line.qty;
        for &k in order {
            if left == 0 {
                break;
            }
            let eligible = c.nodes.get(k).is_some_and(|n| n.elig & bit(li) != 0);
            if !eligible || !st.can_open(c, k) {
                continue;
            }
            let have = st.stock.get(k).and_then(|s| s.get(line.sku)).copied().unwrap_or(0);
            let q = left.min(have).min(st.cap.get(k).copied().unwrap_or(0));
            st.take(c, k, li, q);
            left = left.saturating_sub(q);
        }
    }
    st.allocs
}
