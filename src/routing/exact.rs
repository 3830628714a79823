//! The exact engine: evaluation of a fixed node set, lower bounds, and the
//! branch-and-bound over node sets.
//!
//! # Complexity
//!
//! For n candidate nodes and l lines, the search's setup is O(n × l) plus a
//! sort, O(n log n): one pass for what each node could ship alone (and the
//! Lagrangian multipliers), the Lagrangian reduced cost of every node
//! ([`lagrange`]), the seed (best single node), a cheap pair among the
//! nodes of least reduced cost; then, over the nodes whose bound leaves
//! them in play only, the search order, dominance (each node against at
//! most `DOMINANCE_TRIES` earlier ones) and the amortised suffix bounds (the
//! greedy set cover, O(shipments × n × l), runs only when the visit limit
//! is hit). The search itself is
//! exponential in the worst case and bounded by the visit limit; per visited
//! set it costs O(candidates × l) for the children's cheap bounds, where the
//! candidates are only the undominated positions plus those dominated by a
//! member of the set, and each child's bound stops at the incumbent. A set
//! is evaluated exactly: with freely splitting lines of distinct SKUs and no
//! binding cap, in O(l × set log set) per line cheapest first; otherwise by
//! exhaustive whole-item assignment and a min-cost flow.

use smallvec::SmallVec;

use super::RoutingError;
use super::compile::{Compiled, MAX_LINES, StockRow, bit, set_bits};
use super::flow::Network;

/// Units of canonical line `line` from compiled node `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alloc {
    pub(crate) node: usize,
    pub(crate) line: usize,
    pub(crate) qty: u64,
}

/// An assignment and its (perturbed, scaled) cost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Assignment {
    pub(crate) cost: i128,
    pub(crate) allocs: Vec<Alloc>,
}

/// "No value" in flat tables of costs.
pub(super) const NONE: i128 = i128::MAX;

/// No list of dominated positions (in `Search::list_of`).
const NO_LIST: u32 = u32::MAX;

pub(super) const OVF: RoutingError = RoutingError::Overflow { what: "plan cost" };

pub(super) fn add(a: i128, b: i128) -> Result<i128, RoutingError> {
    a.checked_add(b).ok_or(OVF)
}

pub(super) fn mul(a: i128, q: u64) -> Result<i128, RoutingError> {
    super::compile::mul128(a, i128::from(q)).ok_or(OVF)
}

/// The cost of leaving everything unfilled, if allowed.
pub(crate) fn empty_plan(c: &Compiled) -> Result<Option<Assignment>, RoutingError> {
    match c.penalty {
        Some(p) => Ok(Some(Assignment { cost: mul(p, c.demand)?, allocs: Vec::new() })),
        None => Ok(None),
    }
}

/// The min-cost transport of the lines in `lines` (all treated as splittable)
/// from the nodes of `set` with residual `stock`/`cap`, each line also
/// reachable from "outside" at `outside[line]` per unit. Returns the cost and,
/// when `allocs` is given, the units per (node, line).
#[allow(clippy::too_many_arguments)]
pub(crate) fn transport(
    c: &Compiled,
    set: &[usize],
    stock: &[StockRow],
    cap: &[u64],
    lines: u64,
    outside: &dyn Fn(usize) -> Option<i128>,
    allocs: Option<&mut Vec<Alloc>>,
) -> Result<Option<i128>, RoutingError> {
    let ns = c.skus.len();
    let m = set.len();
    let nl = c.lines.len();
    let line_v = |l: usize| 3usize.saturating_add(m).saturating_add(m.saturating_mul(ns)).saturating_add(l);
    let pair_v =
        |i: usize, s: usize| 3usize.saturating_add(m).saturating_add(i.saturating_mul(ns)).saturating_add(s);
    let mut net = Network::with_vertices(line_v(nl));
    let (src, sink, out) = (0usize, 1usize, 2usize);
    let mut need = 0u64;
    for (li, l) in c.lines.iter().enumerate() {
        if lines & bit(li) == 0 {
            continue;
        }
        need = need.checked_add(l.qty).ok_or(OVF)?;
        net.add(line_v(li), sink, l.qty, 0);
        if let Some(o) = outside(li) {
            net.add(out, line_v(li), l.qty, o);
        }
    }
    if need == 0 {
        return Ok(Some(0));
    }
    net.add(src, out, need, 0);
    let mut edges: SmallVec<[(usize, usize, usize); 32]> = SmallVec::new();
    for (i, &k) in set.iter().enumerate() {
        let Some(node) = c.nodes.get(k) else { continue };
        let usable = node.elig & lines;
        if usable == 0 {
            continue;
        }
        let ncap = cap.get(i).copied().unwrap_or(0);
        if ncap == 0 {
            continue;
        }
        net.add(src, 3usize.saturating_add(i), ncap, 0);
        let st = stock.get(i);
        for s in 0..ns {
            let units = st.and_then(|v| v.get(s)).copied().unwrap_or(0);
            if units == 0 {
                continue;
            }
            let mut any = false;
            for (li, l) in c.lines.iter().enumerate() {
                if l.sku == s && usable & bit(li) != 0 {
                    let u = node.unit.get(s).copied().unwrap_or(0);
                    let e = net.add(pair_v(i, s), line_v(li), l.qty, u);
                    edges.push((e, k, li));
                    any = true;
                }
            }
            if any {
                net.add(3usize.saturating_add(i), pair_v(i, s), units, 0);
            }
        }
    }
    let (sent, cost) = net.min_cost_flow(src, sink, need)?;
    if sent < need {
        return Ok(None);
    }
    if let Some(out) = allocs {
        for (e, k, li) in edges {
            let q = net.flow_on(e);
            if q > 0 {
                out.push(Alloc { node: k, line: li, qty: q });
            }
        }
    }
    Ok(Some(cost))
}

/// Exact least (perturbed) cost using only nodes of `set`, or `None` when
/// nothing feasible costs less than `bound`. Each partial assignment of whole
/// items costs one unit of `budget`; when it runs out the search stops and
/// the answer is only the best found (the caller sees `*budget == 0`).
pub(crate) fn eval_set(
    c: &Compiled,
    set: &[usize],
    bound: Option<i128>,
    budget: &mut u64,
) -> Result<Option<Assignment>, RoutingError> {
    if c.items.is_empty() && set.len() <= 64 && independent_lines(c, set) {
        // As `Eval::items` at its root: one unit of budget, then the leaf.
        if bound.is_some_and(|b| b <= 0) || *budget == 0 {
            return Ok(None);
        }
        *budget = budget.saturating_sub(1);
        return split_set(c, set, bound);
    }
    let mut stock: Vec<StockRow> =
        set.iter().filter_map(|&k| c.nodes.get(k).map(|n| n.stock.clone())).collect();
    let mut cap: Vec<u64> = set.iter().filter_map(|&k| c.nodes.get(k).map(|n| n.cap)).collect();
    let mut used = vec![false; set.len()];
    let mut cur: Vec<Alloc> = Vec::new();
    let mut best: Option<Assignment> = None;
    let mut ev = Eval {
        c,
        set,
        bound,
        stock: &mut stock,
        cap: &mut cap,
        used: &mut used,
        cur: &mut cur,
        best: &mut best,
        budget,
    };
    ev.items(0, 0)?;
    Ok(best)
}

/// Whether the lines of an order are independent problems over `set`: no
/// two lines share a SKU and no node of `set` has a cap below the demand,
/// so the min-cost transport splits into one problem per line.
fn independent_lines(c: &Compiled, set: &[usize]) -> bool {
    c.skus.len() == c.lines.len() && set.iter().all(|&k| c.nodes.get(k).is_some_and(|n| n.cap >= c.demand))
}

/// [`eval_set`] when every line splits freely and the lines are independent
/// ([`independent_lines`]): each line takes its set nodes' stock cheapest
/// first (ties: the node earlier in `set`, which is the search's candidate
/// order — deterministic and independent of input order), leaving units unfilled
/// where the penalty is not dearer, which is a min-cost transport; then the
/// shipment cost of every node used is added. `None` when a line cannot be
/// filled without a penalty or the cost is not below `bound`.
///
/// # Complexity
///
/// O(lines × set log set), no allocation beyond the plan's.
pub(crate) fn split_set(
    c: &Compiled,
    set: &[usize],
    bound: Option<i128>,
) -> Result<Option<Assignment>, RoutingError> {
    let mut takes: SmallVec<[(usize, usize, u64); 32]> = SmallVec::new();
    let mut offers: SmallVec<[(i128, usize, u64); 8]> = SmallVec::new();
    let mut cost = 0i128;
    let mut used = 0u64;
    for (li, l) in c.lines.iter().enumerate() {
        offers.clear();
        for (i, &k) in set.iter().enumerate() {
            let Some(node) = c.nodes.get(k) else { continue };
            let have = node.stock.get(l.sku).copied().unwrap_or(0);
            if node.elig & bit(li) != 0 && have > 0 {
                offers.push((node.unit.get(l.sku).copied().unwrap_or(0), i, have));
            }
        }
        offers.sort_unstable();
        let mut left = l.qty;
        for &(u, i, have) in &offers {
            if left == 0 || c.penalty.is_some_and(|p| p <= u) {
                break;
            }
            let q = have.min(left);
            cost = add(cost, mul(u, q)?)?;
            left = left.saturating_sub(q);
            takes.push((i, li, q));
            if used & bit(i) == 0 {
                // The node's shipment cost, once, as it opens.
                used |= bit(i);
                cost = add(cost, set.get(i).and_then(|&k| c.nodes.get(k)).map_or(0, |n| n.fixed))?;
            }
        }
        if left > 0 {
            match c.penalty {
                Some(p) => cost = add(cost, mul(p, left)?)?,
                None => return Ok(None),
            }
        }
        // Costs are never negative: the cost so far only grows.
        if bound.is_some_and(|b| cost >= b) {
            return Ok(None);
        }
    }
    if bound.is_some_and(|b| cost >= b) {
        return Ok(None);
    }
    takes.sort_unstable();
    let allocs = takes
        .iter()
        .filter_map(|&(i, line, qty)| set.get(i).map(|&node| Alloc { node, line, qty }))
        .collect();
    Ok(Some(Assignment { cost, allocs }))
}

struct Eval<'a> {
    c: &'a Compiled,
    set: &'a [usize],
    bound: Option<i128>,
    stock: &'a mut Vec<StockRow>,
    cap: &'a mut Vec<u64>,
    used: &'a mut Vec<bool>,
    cur: &'a mut Vec<Alloc>,
    best: &'a mut Option<Assignment>,
    budget: &'a mut u64,
}

impl Eval<'_> {
    fn limit(&self) -> Option<i128> {
        match (&self.best, self.bound) {
            (Some(b), Some(x)) => Some(b.cost.min(x)),
            (Some(b), None) => Some(b.cost),
            (None, x) => x,
        }
    }

    /// Whole items from `idx` on, with `partial` cost so far.
    fn items(&mut self, idx: usize, partial: i128) -> Result<(), RoutingError> {
        if self.limit().is_some_and(|l| partial >= l) || *self.budget == 0 {
            return Ok(());
        }
        *self.budget = self.budget.saturating_sub(1);
        let Some(item) = self.c.items.get(idx) else { return self.leaf(partial) };
        let item = item.clone();
        let next = idx.saturating_add(1);
        for i in 0..self.set.len() {
            let Some(&k) = self.set.get(i) else { continue };
            let Some(node) = self.c.nodes.get(k) else { continue };
            if node.elig & item.mask != item.mask || self.cap.get(i).copied().unwrap_or(0) < item.qty {
                continue;
            }
            let fits = item
                .need
                .iter()
                .all(|&(s, q)| self.stock.get(i).and_then(|v| v.get(s)).is_some_and(|&have| have >= q));
            if !fits {
                continue;
            }
            let mut cost = partial;
            let was_used = self.used.get(i).copied().unwrap_or(true);
            if !was_used {
                cost = add(cost, node.fixed)?;
            }
            for &(s, q) in &item.need {
                cost = add(cost, mul(node.unit.get(s).copied().unwrap_or(0), q)?)?;
            }
            self.apply(i, &item, true);
            let mark = self.cur.len();
            for (li, l) in self.c.lines.iter().enumerate() {
                if item.mask & bit(li) != 0 {
                    self.cur.push(Alloc { node: k, line: li, qty: l.qty });
                }
            }
            if let Some(u) = self.used.get_mut(i) {
                *u = true;
            }
            let r = self.items(next, cost);
            if let Some(u) = self.used.get_mut(i) {
                *u = was_used;
            }
            self.cur.truncate(mark);
            self.apply(i, &item, false);
            r?;
        }
        if let Some(p) = self.c.penalty {
            let cost = add(partial, mul(p, item.qty)?)?;
            self.items(next, cost)?;
        }
        Ok(())
    }

    fn apply(&mut self, i: usize, item: &super::compile::Item, take: bool) {
        if let Some(c) = self.cap.get_mut(i) {
            *c = if take { c.saturating_sub(item.qty) } else { c.saturating_add(item.qty) };
        }
        if let Some(st) = self.stock.get_mut(i) {
            for &(s, q) in &item.need {
                if let Some(v) = st.get_mut(s) {
                    *v = if take { v.saturating_sub(q) } else { v.saturating_add(q) };
                }
            }
        }
    }

    fn leaf(&mut self, partial: i128) -> Result<(), RoutingError> {
        let mut allocs = self.cur.clone();
        let penalty = self.c.penalty;
        let flow = transport(
            self.c,
            self.set,
            self.stock,
            self.cap,
            self.c.split_mask,
            &|_| penalty,
            Some(&mut allocs),
        )?;
        let Some(var) = flow else { return Ok(()) };
        // Fixed costs of nodes the flow opened.
        let mut cost = add(partial, var)?;
        for (i, &k) in self.set.iter().enumerate() {
            if self.used.get(i).copied().unwrap_or(true) {
                continue;
            }
            if allocs.iter().any(|a| a.node == k) {
                cost = add(cost, self.c.nodes.get(k).map_or(0, |n| n.fixed))?;
            }
        }
        if self.limit().is_some_and(|l| cost >= l) {
            return Ok(());
        }
        *self.best = Some(Assignment { cost, allocs });
        Ok(())
    }
}

/// The result of the branch-and-bound.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) best: Option<Assignment>,
    pub(crate) complete: bool,
    pub(crate) visits: u64,
    /// Whether the fast path for small split orders answered ([`super::pairs`]).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fast: bool,
}

/// Exact least perturbed cost over all node sets, within `max_visits`.
///
/// # Complexity
///
/// Worst case exponential in the number of candidate nodes (bounded by the
/// visit limit). Per visited set: the cheap bound of each candidate child
/// (only undominated positions and those dominated by a set member are
/// iterated; each bound stops as soon as it reaches the incumbent), a
/// per-line relaxation, the min-cost-flow bound only when the relaxation is
/// not exact, and the set's exact evaluation (per line, cheapest first, when
/// lines split freely and are independent; else whole-item enumeration and a
/// flow). Lower bounds (linear relaxation of the fixed costs, amortised over
/// each node's usable capacity; and a Lagrangian bound, O(1) per child,
/// which also removes nodes from the search before its setup) prune almost
/// every set on real orders. The setup is O(n × lines + n log n) for n
/// candidates (see the module docs).
pub(crate) fn branch_and_bound(
    c: &Compiled,
    seed: Option<Assignment>,
    max_visits: u64,
) -> Result<Outcome, RoutingError> {
    branch_and_bound_with(c, seed, max_visits, true)
}

/// [`branch_and_bound`], trying the fast path for small split orders
/// ([`super::pairs`]) first when `fast` is set. The fast path answers only
/// without a seed and with at least the default search limit, so that a
/// plan it proves optimal is the one the search returns.
pub(crate) fn branch_and_bound_with(
    c: &Compiled,
    seed: Option<Assignment>,
    max_visits: u64,
    fast: bool,
) -> Result<Outcome, RoutingError> {
    search(c, seed, max_visits, fast, true)
}

/// [`branch_and_bound_with`], with the Lagrangian bound ([`lagrange`]) used
/// when `lagrangian` is set (off only to test that it changes nothing but
/// the work done).
pub(crate) fn search(
    c: &Compiled,
    seed: Option<Assignment>,
    max_visits: u64,
    fast: bool,
    lagrangian: bool,
) -> Result<Outcome, RoutingError> {
    let try_fast = fast
        && seed.is_none()
        && max_visits >= super::RouteOptions::DEFAULT_MAX_NODE_SETS
        && super::pairs::applies(c);
    let mut best = seed;
    if let Some(e) = empty_plan(c)? {
        if best.as_ref().is_none_or(|b| e.cost < b.cost) {
            best = Some(e);
        }
    }
    if c.ship_complete {
        return ship_complete(c, best);
    }
    if try_fast {
        if let Some(a) = super::pairs::best_small(c, best.as_ref())? {
            return Ok(Outcome { best: Some(a), complete: true, visits: 0, fast: true });
        }
    }
    let n = c.nodes.len();
    let nl = c.lines.len();
    let depth = c.max_ship.min(n).min(usize::try_from(c.demand).unwrap_or(usize::MAX));
    let pen = c.penalty.unwrap_or(NONE);
    // Per node: the units it could ship of this order and their cost, for
    // the amortised bound and for the search order (most promising first).
    let mut usable: Vec<u64> = Vec::with_capacity(n);
    // For the Lagrangian bound, in the same pass: the multipliers (each
    // line's least amortised unit cost: unit cost plus the node's shipment
    // cost shared over its usable units, or the penalty), and per (node,
    // line) the unit cost (NONE where not eligible) and the units the node
    // could ship of the line alone (its stock of the SKU, at most the
    // line's quantity).
    // (Plain arrays of at most 64 entries, not `SmallVec`s: every index of a
    // `SmallVec` re-checks whether it spilled.)
    // Both indexed by line modulo `MAX_LINES` (a no-op: a line index is a
    // set bit of a u64) in the passes below, which elides the bounds check.
    let mut lam_buf = [pen; MAX_LINES];
    // With one line per SKU (the usual case) a node's lines are visited
    // through the set bits of its eligibility only; otherwise its units per
    // SKU are summed first (a plain array: at most 64 SKUs, one per line).
    let distinct = c.skus.len() == nl;
    let mut need_buf = [0u64; MAX_LINES];
    let need = need_buf.get_mut(..c.skus.len()).unwrap_or_default();
    // Per line, its SKU and quantity, compact (the line records are larger).
    let mut sq_buf = [(0usize, 0u64); MAX_LINES];
    for (slot, l) in sq_buf.iter_mut().zip(c.lines.iter()) {
        *slot = (l.sku, l.qty);
    }
    // In the same pass, the seed: the best single node that ships everything
    // alone (as [`best_single`]: all lines eligible, all their units in
    // stock, within its cap; then its cost to ship alone is the plan's).
    let all = c.all_lines();
    let mut single: Option<(i128, usize)> = None;
    for (k, node) in c.nodes.iter().enumerate() {
        let units = if distinct {
            let stock = node.stock.as_slice();
            let mut units = 0u64;
            for li in set_bits(node.elig) {
                let Some(&(sku, qty)) = sq_buf.get(li % MAX_LINES) else { continue };
                units = units.saturating_add(qty.min(stock.get(sku).copied().unwrap_or(0)));
            }
            units
        } else {
            units_shared_skus(c, node, need)
        };
        if c.max_ship >= 1 && node.elig & all == all && units == c.demand && node.cap >= c.demand {
            let cost = node_alone(c, node, distinct)?;
            if single.is_none_or(|(b, _)| cost < b) {
                single = Some((cost, k));
            }
        }
        let u = units.min(node.cap).max(1);
        usable.push(u);
        if lagrangian {
            let share = div_floor(node.fixed, u).unwrap_or(node.fixed);
            let units = node.unit.as_slice();
            for li in set_bits(node.elig) {
                let (Some(&(sku, _)), Some(m)) =
                    (sq_buf.get(li % MAX_LINES), lam_buf.get_mut(li % MAX_LINES))
                else {
                    continue;
                };
                let cu = units.get(sku).copied().unwrap_or(0);
                *m = (*m).min(add(cu, share)?);
            }
        }
    }
    if let Some((cost, k)) = single {
        if best.as_ref().is_none_or(|b| cost < b.cost) {
            best = Some(single_node(c, cost, k));
        }
    }
    // The Lagrangian bound ([`lagrange`]). A node whose bound reaches the
    // incumbent, or exceeds the cost of a cheap pair of nodes, is in no
    // plan the search could return: the rest of the setup and the search
    // run over the other nodes only (the same optimum; among plans of equal
    // perturbed cost the search order decides, as ever).
    let lam = lam_buf.get(..nl).unwrap_or_default();
    let lag = if lagrangian { lagrange(c, lam) } else { None };
    let mut live: Vec<bool> = vec![true; n];
    let mut pair: Option<Assignment> = None;
    if let Some(lag) = &lag {
        if c.max_ship >= 2 {
            pair = pair_by_slack(c, lag, best.as_ref().map(|b| b.cost))?;
        }
        let b = best.as_ref().map(|b| b.cost);
        let h = pair.as_ref().map(|a| a.cost);
        if b.is_some() || h.is_some() {
            for (v, &g) in live.iter_mut().zip(lag.slack.iter()) {
                *v = lag
                    .base
                    .checked_add(g)
                    .is_none_or(|lb| b.is_none_or(|b| lb < b) && h.is_none_or(|h| lb <= h));
            }
        }
    }
    // Search order: cost per unit the node could ship (integer division; it
    // only orders the search), then index — both independent of input order.
    // Sorted as one `u128` per node, the key above the index (the key is a
    // cost per unit, far below 2^96; larger keys, if any, tie and fall back
    // to index order), which sorts much faster than (i128, usize) pairs.
    const LOW: u32 = 32;
    let live_nodes = (0..n).filter(|&k| live.get(k).copied().unwrap_or(true));
    // A live node's cost to ship alone what it could of the order (only the
    // live ones need it).
    let per_unit = |k: usize| -> Result<Option<i128>, RoutingError> {
        let Some(node) = c.nodes.get(k) else { return Ok(Some(0)) };
        Ok(div_floor(node_alone(c, node, distinct)?, usable.get(k).copied().unwrap_or(1)))
    };
    let order: Vec<usize> = if u32::try_from(n).is_ok() {
        let mut keys: Vec<u128> = live_nodes
            .map(|k| {
                let per = per_unit(k)?;
                let per =
                    per.and_then(|p| u128::try_from(p).ok()).unwrap_or(u128::MAX).min((1u128 << 96) - 1);
                Ok((per << LOW) | k as u128)
            })
            .collect::<Result<_, RoutingError>>()?;
        keys.sort_unstable();
        keys.into_iter().map(|v| (v & u128::from(u32::MAX)) as usize).collect()
    } else {
        let mut order: Vec<(i128, usize)> = live_nodes
            .map(|k| Ok((per_unit(k)?.unwrap_or(i128::MAX), k)))
            .collect::<Result<_, RoutingError>>()?;
        order.sort_unstable();
        order.into_iter().map(|(_, k)| k).collect()
    };
    // From here on, positions are over the live nodes only.
    let m = order.len();
    // suffix[p * lines + l]: the least of the penalty and the amortised unit
    // cost of line l over the nodes at search positions p.. (NONE if
    // neither), flat for speed. The same
    // pass lays out, per search position, the node's fixed cost, Lagrangian
    // reduced cost and unit cost per line (NONE where not eligible)
    // contiguously, so the search never touches the large node records, and
    // finds every line's cheapest unit cost for `base`.
    // Every entry starts at the penalty, so no second table is needed.
    let mut suffix: Vec<i128> = vec![pen; m.saturating_add(1).saturating_mul(nl)];
    let mut pos_fixed: Vec<i128> = vec![0; m];
    let mut pos_slack: Vec<i128> = vec![0; m];
    let mut pos_unit: Vec<i128> = vec![NONE; m.saturating_mul(nl)];
    let mut cheapest_buf: [Option<i128>; MAX_LINES] = [None; MAX_LINES];
    let cheapest = cheapest_buf.get_mut(..nl).unwrap_or_default();
    // For dominance, per search position: the node's eligibility and cap,
    // and per line it is eligible for its stock of the line's SKU up to the
    // order's demand for the SKU (flat, like `pos_unit`).
    let mut want_buf = [0u64; MAX_LINES];
    let want = want_buf.get_mut(..c.skus.len()).unwrap_or_default();
    need_per_sku(c, c.all_lines(), want);
    let mut pos_key: Vec<(i128, u64, u64)> = vec![(NONE, 0, 0); m];
    let mut pos_have: Vec<u64> = vec![0; m.saturating_mul(nl)];
    for p in (0..m).rev() {
        let j = order.get(p).copied().unwrap_or(0);
        let (Some(node), at, below) =
            (c.nodes.get(j), p.saturating_mul(nl), p.saturating_add(1).saturating_mul(nl))
        else {
            continue;
        };
        if let Some(f) = pos_fixed.get_mut(p) {
            *f = node.fixed;
        }
        if let (Some(g), Some(lag)) = (pos_slack.get_mut(p), &lag) {
            *g = lag.slack.get(j).copied().unwrap_or(0);
        }
        if let Some(key) = pos_key.get_mut(p) {
            *key = (node.fixed, node.elig, node.cap);
        }
        let u = usable.get(j).copied().unwrap_or(1);
        let share = div_floor(node.fixed, u).unwrap_or(node.fixed);
        let (units, stock) = (node.unit.as_slice(), node.stock.as_slice());
        // The row below, then the node's own lines.
        if below.saturating_add(nl) <= suffix.len() {
            suffix.copy_within(below..below.saturating_add(nl), at);
        }
        for li in set_bits(node.elig) {
            let Some(&(sku, _)) = sq_buf.get(li % MAX_LINES) else { continue };
            let unit = units.get(sku).copied().unwrap_or(0);
            let i = at.saturating_add(li);
            if let Some(slot) = suffix.get_mut(i) {
                *slot = (*slot).min(add(unit, share)?);
            }
            if let Some(slot) = pos_unit.get_mut(i) {
                *slot = unit;
            }
            if let Some(slot) = pos_have.get_mut(i) {
                *slot = stock.get(sku).copied().unwrap_or(0).min(want.get(sku).copied().unwrap_or(0));
            }
            if let Some(m) = cheapest.get_mut(li) {
                *m = Some(m.map_or(unit, |m| m.min(unit)));
            }
        }
    }
    // A bound no set can beat: every unit at its cheapest unit cost (or the penalty).
    let mut base = 0i128;
    for (l, &unit) in c.lines.iter().zip(cheapest.iter()) {
        let cheapest = match (unit, c.penalty) {
            (Some(a), Some(p)) => Some(a.min(p)),
            (a, p) => a.or(p),
        };
        if let Some(u) = cheapest {
            base = add(base, mul(u, l.qty)?)?;
        }
    }
    let dominator = dominators(&order, nl, Rows { key: &pos_key, unit: &pos_unit, have: &pos_have });
    let mut free = Vec::with_capacity(m);
    // Lists only for the nodes that dominate a position (a few of them):
    // one list per node would cost a SmallVec per candidate.
    let mut list_of: Vec<u32> = vec![NO_LIST; n];
    let mut dominated: Vec<SmallVec<[usize; 4]>> = Vec::new();
    for (p, d) in dominator.iter().enumerate() {
        let Some(slot) = d.and_then(|a| list_of.get_mut(a)) else {
            free.push(p);
            continue;
        };
        if *slot == NO_LIST {
            *slot = u32::try_from(dominated.len()).unwrap_or(NO_LIST);
            dominated.push(SmallVec::new());
        }
        match dominated.get_mut(*slot as usize) {
            Some(list) => list.push(p),
            None => free.push(p),
        }
    }
    let lag_base = lag.map_or(i128::MIN, |l| l.base);
    let suffix_min = |v: &[i128]| {
        let mut out = vec![NONE; v.len()];
        let mut m = NONE;
        for (slot, &x) in out.iter_mut().zip(v.iter()).rev() {
            m = m.min(x);
            *slot = m;
        }
        out
    };
    let (min_fixed_from, min_slack_from) = (suffix_min(&pos_fixed), suffix_min(&pos_slack));
    let mut s = Search {
        c,
        order,
        base,
        depth,
        best,
        visits: 0,
        budget: max_visits,
        gave_up: false,
        set: Vec::new(),
        set_pos: Vec::new(),
        pos_have,
        free,
        list_of,
        dominated,
        outside: suffix,
        pen_row: vec![pen; nl],
        qty: c.lines.iter().map(|l| l.qty).collect(),
        pos_fixed,
        min_fixed_from,
        min_slack_from,
        pos_unit,
        limit: pair.as_ref().and_then(|a| a.cost.checked_add(1)),
        lag_base,
        pos_slack,
    };
    let none: SmallVec<[i128; 16]> = SmallVec::from_elem(NONE, nl);
    s.children(0, 0, 0, &none)?;
    let mut best = s.best;
    if s.gave_up {
        // The search limit was hit: the plan returned is the best of what
        // the search found, the pair it measured its bounds against, and
        // the greedy set cover's plan.
        if let Some(a) = pair {
            if best.as_ref().is_none_or(|b| a.cost < b.cost) {
                best = Some(a);
            }
        }
        let greedy = super::heuristics::greedy(c)?;
        if let Some(cost) = assignment_cost(c, &greedy)? {
            if best.as_ref().is_none_or(|b| cost < b.cost) {
                best = Some(Assignment { cost, allocs: greedy });
            }
        }
    }
    Ok(Outcome { best, complete: !s.gave_up, visits: s.visits, fast: false })
}

struct Search<'a> {
    c: &'a Compiled,
    /// Search order: node indices, most promising first.
    order: Vec<usize>,
    base: i128,
    depth: usize,
    best: Option<Assignment>,
    visits: u64,
    /// Work units left (node sets visited and whole-item assignments tried).
    budget: u64,
    gave_up: bool,
    set: Vec<usize>,
    /// The search positions of [`Self::set`]'s nodes.
    set_pos: Vec<usize>,
    /// `pos_have[p * lines + l]`: the stock of line l's SKU at the node at
    /// search position p, at most the order's demand for the SKU (0 where
    /// not eligible).
    pos_have: Vec<u64>,
    /// Search positions whose node no earlier node dominates, ascending.
    free: Vec<usize>,
    /// Per node index: its list in [`Self::dominated`], [`NO_LIST`] if none.
    list_of: Vec<u32>,
    /// Lists of the search positions a node dominates, ascending.
    dominated: Vec<SmallVec<[usize; 4]>>,
    /// `outside[p * lines + l]`: the least of the penalty and the amortised
    /// bound of line l over positions p.. (NONE if neither).
    outside: Vec<i128>,
    /// The penalty (NONE if there is none), once per line.
    pen_row: Vec<i128>,
    /// Per line, its quantity (compact).
    qty: Vec<u64>,
    /// Per search position: the node's fixed cost.
    pos_fixed: Vec<i128>,
    /// Per search position p: the least fixed cost at positions p.. (NONE
    /// past the end).
    min_fixed_from: Vec<i128>,
    /// Per search position p: the least of [`Self::pos_slack`] at positions
    /// p.. (NONE past the end).
    min_slack_from: Vec<i128>,
    /// `pos_unit[p * lines + l]`: the unit cost of line l at the node at search
    /// position p, NONE if it is not eligible.
    pos_unit: Vec<i128>,
    /// One more than the cost of a known plan (the pair of [`pair_by_slack`]):
    /// sets whose bound is above that cost are not searched, so the search
    /// finds that plan, or a cheaper one, itself (in its own order).
    limit: Option<i128>,
    /// The Lagrangian bound on every plan ([`Lagrange::base`]; `i128::MIN`
    /// when it is not used).
    lag_base: i128,
    /// Per search position: the node's Lagrangian reduced shipment cost
    /// ([`Lagrange::slack`]; 0 when the bound is not used).
    pos_slack: Vec<i128>,
}

impl Search<'_> {
    fn tick(&mut self) -> bool {
        if self.budget == 0 {
            self.gave_up = true;
        } else {
            self.budget = self.budget.saturating_sub(1);
            self.visits = self.visits.saturating_add(1);
        }
        !self.gave_up
    }

    /// The least of the penalty and the amortised bound of line `li` over
    /// search positions `pos..`.
    fn future(&self, pos: usize, li: usize) -> Option<i128> {
        let v = self.outside.get(pos.saturating_mul(self.c.lines.len()).saturating_add(li)).copied()?;
        (v != NONE).then_some(v)
    }

    fn best_cost(&self) -> Option<i128> {
        self.best.as_ref().map(|b| b.cost)
    }

    /// What a set's bound must stay below to be searched: the incumbent's
    /// cost, or [`Self::limit`] when that is lower.
    fn prune_at(&self) -> Option<i128> {
        match (self.best_cost(), self.limit) {
            (Some(b), Some(l)) => Some(b.min(l)),
            (b, l) => b.or(l),
        }
    }

    /// Lower bound for every set extending `self.set` with nodes from `next` on.
    fn bound(&self, fixed: i128, next: usize) -> Result<Option<i128>, RoutingError> {
        let c = self.c;
        let stock: Vec<StockRow> =
            self.set.iter().filter_map(|&k| c.nodes.get(k).map(|n| n.stock.clone())).collect();
        let cap: Vec<u64> = self.set.iter().filter_map(|&k| c.nodes.get(k).map(|n| n.cap)).collect();
        let more = self.set.len() < self.depth;
        let penalty = c.penalty;
        let outside = |li: usize| {
            let fut = if more { self.future(next, li) } else { None };
            match (fut, penalty) {
                (Some(a), Some(p)) => Some(a.min(p)),
                (a, p) => a.or(p),
            }
        };
        let var = transport(c, &self.set, &stock, &cap, c.all_lines(), &outside, None)?;
        match var {
            Some(v) => Ok(Some(add(fixed, v)?)),
            None => Ok(None),
        }
    }

    fn children(&mut self, next: usize, fixed: i128, slack: i128, smin: &[i128]) -> Result<(), RoutingError> {
        if self.set.len() >= self.depth {
            return Ok(());
        }
        // No child at all when even the least shipment cost, or the least
        // reduced cost, of the positions left cannot keep a bound below
        // the incumbent (every child pays one of each).
        if let Some(best) = self.prune_at() {
            let f = self.min_fixed_from.get(next).copied().unwrap_or(NONE);
            let g = self.min_slack_from.get(next).copied().unwrap_or(NONE);
            if add(fixed, f).and_then(|v| add(v, self.base)).is_ok_and(|lb| lb >= best)
                || self.lag_base.saturating_add(slack).saturating_add(g) >= best
            {
                return Ok(());
            }
        }
        let c = self.c;
        let more = self.set.len().saturating_add(1) < self.depth;
        let nl = c.lines.len();
        // Candidate positions from `next` on, ascending: the undominated ones,
        // merged with those dominated by a member of the set (a dominated
        // node ships only alongside its dominator: swapping it for an unused
        // dominator makes any plan strictly cheaper). Iterating only these is
        // the same search as testing every position's dominator.
        // Each dominated list is ascending and each position has one
        // dominator, so the lists are disjoint: merged, not sorted.
        let mut extra: SmallVec<[usize; 32]> = SmallVec::new();
        let mut merged: SmallVec<[usize; 32]> = SmallVec::new();
        for &k in &self.set {
            let Some(list) = self.list_of.get(k).and_then(|&i| self.dominated.get(i as usize)) else {
                continue;
            };
            let tail = list.get(list.partition_point(|&p| p < next)..).unwrap_or_default();
            if tail.is_empty() {
                continue;
            }
            if extra.is_empty() {
                extra.extend_from_slice(tail);
                continue;
            }
            merged.clear();
            let (mut a, mut b) = (extra.iter().peekable(), tail.iter().peekable());
            loop {
                let take_a = match (a.peek(), b.peek()) {
                    (Some(&&x), Some(&&y)) => x < y,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                let next_pos = if take_a { a.next() } else { b.next() };
                merged.extend(next_pos.copied());
            }
            std::mem::swap(&mut extra, &mut merged);
        }
        let mut fi = self.free.partition_point(|&p| p < next);
        let mut xi = 0usize;
        let mut child_min: SmallVec<[i128; 16]> = SmallVec::from_slice(smin);
        loop {
            let (f, x) = (self.free.get(fi).copied(), extra.get(xi).copied());
            let pos = match (f, x) {
                (Some(a), Some(b)) if b < a => {
                    xi = xi.saturating_add(1);
                    b
                }
                (Some(a), _) => {
                    fi = fi.saturating_add(1);
                    a
                }
                (None, Some(b)) => {
                    xi = xi.saturating_add(1);
                    b
                }
                (None, None) => break,
            };
            if self.gave_up {
                return Ok(());
            }
            let best = self.prune_at().unwrap_or(NONE);
            // The Lagrangian bound of every set holding the set and this child.
            let s2 = slack.saturating_add(self.pos_slack.get(pos).copied().unwrap_or(0));
            if self.lag_base.saturating_add(s2) >= best {
                // Nor any later child, when even the least reduced cost from
                // here on cannot (the incumbent only falls).
                let g = self.min_slack_from.get(pos).copied().unwrap_or(NONE);
                if self.lag_base.saturating_add(slack).saturating_add(g) >= best {
                    break;
                }
                continue;
            }
            let f2 = add(fixed, self.pos_fixed.get(pos).copied().unwrap_or(0))?;
            if add(f2, self.base).is_ok_and(|lb| lb >= best) {
                continue;
            }
            let Some(&j) = self.order.get(pos) else { continue };
            // Cheap bound: every unit at the least of the set's unit costs, the
            // amortised cost of later nodes, or the penalty; no capacities.
            // Stops as soon as it reaches the best cost.
            let after = pos.saturating_add(1);
            let units =
                self.pos_unit.get(pos.saturating_mul(nl)..after.saturating_mul(nl)).unwrap_or_default();
            let outs = if more {
                self.outside.get(after.saturating_mul(nl)..after.saturating_add(1).saturating_mul(nl))
            } else {
                Some(self.pen_row.as_slice())
            };
            let (Some(outs), true) = (outs, units.len() == nl && smin.len() == nl) else { continue };
            let mut lb = f2;
            let mut pruned = false;
            for (((&a, &b), &o), &q) in smin.iter().zip(units.iter()).zip(outs.iter()).zip(self.qty.iter()) {
                let u = a.min(b).min(o);
                if u == NONE {
                    pruned = true;
                    break;
                }
                lb = add(lb, mul(u, q)?)?;
                if lb >= best {
                    pruned = true;
                    break;
                }
            }
            if pruned {
                continue;
            }
            for ((slot, &a), &b) in child_min.iter_mut().zip(smin.iter()).zip(units.iter()) {
                *slot = a.min(b);
            }
            if !self.tick() {
                return Ok(());
            }
            self.set.push(j);
            self.set_pos.push(pos);
            let r = self.visit(f2, s2, after, &child_min);
            self.set.pop();
            self.set_pos.pop();
            r?;
        }
        Ok(())
    }

    /// [`Self::bound`] relaxed line by line: each line's units from the
    /// set's nodes (their whole stock of its SKU, caps ignored) or from
    /// outside, cheapest first. A lower bound of [`Self::bound`]; equal to it
    /// when no two lines share a SKU and no set node's cap is below the
    /// order's demand (the flow then splits into one independent problem per
    /// line), which the second value reports. `Ok(None)` when some line
    /// cannot be filled (so [`Self::bound`] is `None` too). Costs are never
    /// negative, so once the bound reaches `stop` the remaining lines are
    /// skipped: the value returned is then at least `stop` (and not claimed
    /// exact).
    fn line_bound(
        &self,
        fixed: i128,
        next: usize,
        stop: Option<i128>,
    ) -> Result<(Option<i128>, bool), RoutingError> {
        let c = self.c;
        let more = self.set.len() < self.depth;
        let nl = c.lines.len();
        let mut lb = fixed;
        let mut offers: SmallVec<[(i128, u64); 8]> = SmallVec::new();
        for (li, l) in c.lines.iter().enumerate() {
            let fut = if more { self.future(next, li) } else { None };
            let outside = match (fut, c.penalty) {
                (Some(a), Some(p)) => Some(a.min(p)),
                (a, p) => a.or(p),
            };
            offers.clear();
            // From the flat per-position rows: the unit cost where eligible
            // (NONE elsewhere) and the stock up to the SKU's demand, which
            // takes the same units, as `left` never exceeds the line's
            // quantity.
            for &p in &self.set_pos {
                let at = p.saturating_mul(nl).saturating_add(li);
                let u = self.pos_unit.get(at).copied().unwrap_or(NONE);
                if u == NONE {
                    continue;
                }
                let have = self.pos_have.get(at).copied().unwrap_or(0);
                if have > 0 {
                    offers.push((u, have));
                }
            }
            offers.sort_unstable();
            let mut left = l.qty;
            for &(u, have) in &offers {
                if left == 0 || outside.is_some_and(|o| o <= u) {
                    break;
                }
                let q = have.min(left);
                lb = add(lb, mul(u, q)?)?;
                left = left.saturating_sub(q);
            }
            if left > 0 {
                match outside {
                    Some(o) => lb = add(lb, mul(o, left)?)?,
                    None => return Ok((None, true)),
                }
            }
            // Costs are never negative: once the bound reaches `stop`, the
            // rest of the lines only raise it.
            if stop.is_some_and(|s| lb >= s) {
                return Ok((Some(lb), false));
            }
        }
        Ok((Some(lb), independent_lines(c, &self.set)))
    }

    fn visit(&mut self, fixed: i128, slack: i128, next: usize, smin: &[i128]) -> Result<(), RoutingError> {
        // The per-line relaxation first: it prunes without a flow whenever
        // the flow bound would, and is the flow bound itself in the common
        // case of distinct SKUs and no binding caps.
        let (cheap, exact) = self.line_bound(fixed, next, self.prune_at())?;
        let Some(cheap) = cheap else { return Ok(()) };
        if self.prune_at().is_some_and(|b| cheap >= b) {
            return Ok(());
        }
        let lb = if exact { Some(cheap) } else { self.bound(fixed, next)? };
        let Some(lb) = lb else { return Ok(()) };
        if self.prune_at().is_some_and(|b| lb >= b) {
            return Ok(());
        }
        // The set itself.
        if self.tick() {
            let found = eval_set(self.c, &self.set, self.prune_at(), &mut self.budget)?;
            if self.budget == 0 {
                // The set's own search was cut short: what it found is
                // valid, but the optimum is no longer proven.
                self.gave_up = true;
            }
            if let Some(a) = found {
                if self.best_cost().is_none_or(|b| a.cost < b) {
                    self.best = Some(a);
                }
            }
        }
        self.children(next, fixed, slack, smin)
    }
}

/// `a / b` rounded down for `a ≥ 0`, in 64 bits when both fit (128-bit
/// division is a slow library call); `None` when `b` is 0.
pub(crate) fn div_floor(a: i128, b: u64) -> Option<i128> {
    match u64::try_from(a) {
        Ok(x) => x.checked_div(b).map(i128::from),
        Err(_) => a.checked_div(i128::from(b)),
    }
}

/// The units `node` could ship of `c`'s order on its own (its stock of each
/// eligible line's SKU, at most the lines' demand for it; the cap not
/// applied), when lines share SKUs (the search's first pass sums them
/// line by line otherwise). `need` is scratch space, one entry per order SKU.
// Out of line: the rare path, kept out of the first pass's loop.
#[inline(never)]
fn units_shared_skus(c: &Compiled, node: &super::compile::CNode, need: &mut [u64]) -> u64 {
    need_per_sku(c, node.elig, need);
    let mut units = 0u64;
    for (&have, &want) in node.stock.as_slice().iter().zip(need.iter()) {
        units = units.saturating_add(want.min(have));
    }
    units
}

/// Per order SKU, the units of the lines in `elig` (into `need`).
fn need_per_sku(c: &Compiled, elig: u64, need: &mut [u64]) {
    need.iter_mut().for_each(|v| *v = 0);
    for (li, l) in c.lines.iter().enumerate() {
        if elig & bit(li) != 0 {
            if let Some(v) = need.get_mut(l.sku) {
                *v = v.saturating_add(l.qty);
            }
        }
    }
}

/// What `node` would cost shipping alone the units it could ship (as the
/// search's first pass counts them: its shipment cost plus their unit costs).
fn node_alone(c: &Compiled, node: &super::compile::CNode, distinct: bool) -> Result<i128, RoutingError> {
    let (stock, unit) = (node.stock.as_slice(), node.unit.as_slice());
    let mut cost = node.fixed;
    if distinct {
        for li in set_bits(node.elig) {
            let Some(l) = c.lines.get(li) else { continue };
            let q = l.qty.min(stock.get(l.sku).copied().unwrap_or(0));
            if q > 0 {
                cost = add(cost, mul(unit.get(l.sku).copied().unwrap_or(0), q)?)?;
            }
        }
    } else {
        let mut need_buf = [0u64; MAX_LINES];
        let need = need_buf.get_mut(..c.skus.len()).unwrap_or_default();
        need_per_sku(c, node.elig, need);
        for ((&have, &want), &u) in stock.iter().zip(need.iter()).zip(unit.iter()) {
            let q = want.min(have);
            if q > 0 {
                cost = add(cost, mul(u, q)?)?;
            }
        }
    }
    Ok(cost)
}

/// A Lagrangian lower bound of the facility-location kind ([`lagrange`]).
#[derive(Debug, Clone)]
pub(crate) struct Lagrange {
    /// `Σ_l λ_l q_l + Σ_l q_l min(0, p − λ_l) + Σ_k min(0, g_k)`: a lower
    /// bound on the (perturbed) cost of every plan.
    pub(crate) base: i128,
    /// Per node (in the order given), `max(0, g_k)`: every plan shipping from
    /// the nodes of a set S costs at least `base + Σ_{k ∈ S} slack[k]`.
    pub(crate) slack: Vec<i128>,
}

/// The Lagrangian bound for multipliers `lam` (a price per unit of each
/// line), over `c`'s nodes in their compiled order: node k's shipment cost
/// `f_k`, and per line l it is eligible for its unit cost `c_kl` and the
/// units it could ship of the line alone `ub_kl` (its stock of the SKU, at
/// most the line's quantity; 0 where not eligible).
///
/// Why it is a lower bound, for any multipliers: relax "each line's units
/// are shipped or left unfilled" into the objective with the multipliers,
/// and relax the plan to fractional units `0 ≤ x_kl ≤ ub_kl × y_k` (stock
/// shared between lines of a SKU, caps and the shipment limit dropped,
/// which only lowers the minimum). What remains separates: `Σ_l λ_l q_l`,
/// each line's unfilled units at `p − λ_l` each (at least
/// `q_l × min(0, p − λ_l)`; none without a penalty), and each node closed
/// (0) or open at its reduced cost
/// `g_k = f_k + Σ_l min(0, c_kl − λ_l) × ub_kl`. A plan opening S costs at
/// least the relaxation with S open, which is at least `base` plus
/// `max(0, g_k)` for each node of S. Exact integers throughout. `None` when
/// a multiplier is `NONE` (a line no node can ship and no penalty), or on
/// overflow (the bound is then not used).
///
/// # Complexity
///
/// O(n × l) for n nodes and l lines (the set bits of each node's
/// eligibility), reading the node records in place.
#[inline(never)]
pub(crate) fn lagrange(c: &Compiled, lam: &[i128]) -> Option<Lagrange> {
    let nl = c.lines.len();
    if lam.len() != nl || lam.contains(&NONE) {
        return None;
    }
    let mut base = 0i128;
    for (l, &v) in c.lines.iter().zip(lam.iter()) {
        let q = i128::from(l.qty);
        base = base.checked_add(super::compile::mul128(v, q)?)?;
        if let Some(p) = c.penalty.filter(|&p| p < v) {
            base = base.checked_add(super::compile::mul128(p.checked_sub(v)?, q)?)?;
        }
    }
    // Per line, its SKU, quantity and multiplier, compact; a full array of
    // `MAX_LINES`, so that a line index (below 64) needs no bounds check.
    let mut per_line = [(0usize, 0u64, 0i128); MAX_LINES];
    for ((slot, l), &v) in per_line.iter_mut().zip(c.lines.iter()).zip(lam.iter()) {
        *slot = (l.sku, l.qty, v);
    }
    // The order's units, exactly (at most 64 × 2^64, no overflow in 128
    // bits). Below 2^63 (always, short of absurd quantities) every node's
    // sum of `(λ_l − c_kl) × ub_kl` over the terms whose difference fits 64
    // bits is below 2^64 × 2^63 = 2^127: [`lagrange_node`] then sums those
    // terms in unchecked 128-bit arithmetic (one 64 × 64-bit product each).
    let units = c.lines.iter().fold(0u128, |t, l| t.wrapping_add(u128::from(l.qty)));
    let fast = units < 1u128 << 63;
    let mut slack = Vec::with_capacity(c.nodes.len());
    for node in &c.nodes {
        let g = lagrange_node(node, &per_line, fast)?;
        if g < 0 {
            base = base.checked_add(g)?;
            slack.push(0);
        } else {
            slack.push(g);
        }
    }
    Some(Lagrange { base, slack })
}

/// A node's reduced cost `g_k` ([`lagrange`]) from its record, given per
/// line (indexed by line) its SKU, quantity and multiplier.
///
/// With `fast` (the order's units below 2^63), the terms `(λ_l − c_kl) ×
/// ub_kl` whose difference fits 64 bits are summed in a `u128` without
/// checks (their sum is below 2^127, see [`lagrange`]) and subtracted once
/// at the end; the others as before, checked. The result is exactly the
/// checked one: every term is positive, so `g` only decreases, every
/// intermediate value lies between `f_k` and the final one, and it is
/// `None` exactly when the final value or a term does not fit (a term of
/// the unchecked sum always fits).
#[inline]
fn lagrange_node(
    node: &super::compile::CNode,
    per_line: &[(usize, u64, i128); MAX_LINES],
    fast: bool,
) -> Option<i128> {
    let (units, stock) = (node.unit.as_slice(), node.stock.as_slice());
    let mut g = node.fixed;
    let mut sum = 0u128;
    for li in set_bits(node.elig) {
        // `li % MAX_LINES` is `li` (a set bit of a u64): no bounds check.
        let Some(&(sku, qty, v)) = per_line.get(li % MAX_LINES) else { continue };
        let u = units.get(sku).copied().unwrap_or(NONE);
        if u >= v {
            continue;
        }
        let q = stock.get(sku).copied().unwrap_or(0).min(qty);
        if q == 0 {
            continue;
        }
        let d = v.checked_sub(u)?;
        match u64::try_from(d) {
            // No wrap: see above.
            Ok(d) if fast => sum = sum.wrapping_add(u128::from(d).wrapping_mul(u128::from(q))),
            _ => g = g.checked_sub(super::compile::mul128(d, i128::from(q))?)?,
        }
    }
    g.checked_sub(i128::try_from(sum).ok()?)
}

/// How many positions of least reduced cost [`pair_by_slack`] pairs up.
const PAIR_POOL: usize = 8;

/// The least cost of a plan shipping from two of the [`PAIR_POOL`] nodes of
/// least Lagrangian reduced cost, each pair evaluated exactly
/// ([`split_set`]) when its lines are independent and its bound is below
/// `bound`; `None` when no such pair beats `bound`. Its cost bounds the
/// search; the plan itself is returned only when the search limit is hit.
///
/// # Complexity
///
/// O(n × `PAIR_POOL`) to pick the nodes, then O(l) per pair.
#[inline(never)]
fn pair_by_slack(
    c: &Compiled,
    lag: &Lagrange,
    bound: Option<i128>,
) -> Result<Option<Assignment>, RoutingError> {
    if !(c.items.is_empty() && c.skus.len() == c.lines.len()) {
        return Ok(None);
    }
    // The PAIR_POOL least (slack, node), ascending.
    let mut pool: SmallVec<[(i128, usize); PAIR_POOL]> = SmallVec::new();
    for (k, &g) in lag.slack.iter().enumerate() {
        if pool.len() == PAIR_POOL && pool.last().is_some_and(|&w| (g, k) >= w) {
            continue;
        }
        let at = pool.partition_point(|&w| w < (g, k));
        if pool.len() == PAIR_POOL {
            pool.pop();
        }
        pool.insert(at, (g, k));
    }
    let mut best: Option<Assignment> = None;
    for (i, &(gi, a)) in pool.iter().enumerate() {
        for &(gj, b) in pool.iter().skip(i.saturating_add(1)) {
            let lb = lag.base.saturating_add(gi).saturating_add(gj);
            let below = best.as_ref().map(|x| x.cost).or(bound);
            if below.is_some_and(|x| lb >= x) {
                continue;
            }
            let set = [a.min(b), a.max(b)];
            if !independent_lines(c, &set) {
                continue;
            }
            if let Some(found) = split_set(c, &set, below)? {
                best = Some(found);
            }
        }
    }
    Ok(best)
}

/// [`lagrange`] (for the tests).
#[cfg(test)]
pub(crate) fn lagrange_by_node(c: &Compiled, lam: &[i128]) -> Option<Lagrange> {
    lagrange(c, lam)
}

/// How many earlier nodes eligible for its first line each node is compared
/// with when looking for a dominator (bounds the O(nodes²) pairwise check).
const DOMINANCE_TRIES: usize = 24;

/// Per search position, what [`dominators`] compares, flat: the node's
/// (shipment cost, eligibility, cap), and per (position, line) its unit cost
/// (NONE where not eligible) and its stock of the line's SKU up to the
/// order's demand for the SKU (0 where not eligible).
struct Rows<'a> {
    key: &'a [(i128, u64, u64)],
    unit: &'a [i128],
    have: &'a [u64],
}

/// Per search position, a node earlier in `order` that dominates the node
/// there: eligible for every line it is, at most its unit cost for each of
/// those lines' SKUs, at least its stock of each (up to the order's demand
/// for the SKU), at least its cap, and a strictly smaller perturbed shipment
/// cost. In any plan that uses the dominated node and not the dominator,
/// moving the dominated node's units to the dominator costs strictly less
/// (perturbed), so the optimum never opens a dominated node without its
/// dominator. `rows` are per position of `order` (lines `nl` per row).
#[inline(never)]
fn dominators(order: &[usize], nl: usize, rows: Rows<'_>) -> Vec<Option<usize>> {
    // Per line: the first `DOMINANCE_TRIES` positions of the nodes eligible
    // for it, in search order (flat, `DOMINANCE_TRIES` slots per line).
    let mut by_line: Vec<u32> = vec![0; nl.saturating_mul(DOMINANCE_TRIES)];
    let mut filled = [0usize; MAX_LINES];
    let mut out = Vec::with_capacity(order.len());
    for (pb, &(fb, eb, cb)) in rows.key.iter().enumerate() {
        let at_b = pb.saturating_mul(nl);
        let (ub, hb) = (
            rows.unit.get(at_b..at_b.saturating_add(nl)).unwrap_or_default(),
            rows.have.get(at_b..at_b.saturating_add(nl)).unwrap_or_default(),
        );
        let first = eb.trailing_zeros() as usize;
        let tried = filled.get(first).copied().unwrap_or(0);
        let from = first.saturating_mul(DOMINANCE_TRIES);
        let list = by_line.get(from..from.saturating_add(tried)).unwrap_or_default();
        let mut found = None;
        for &pa in list {
            let pa = pa as usize;
            let Some(&(fa, ea, ca)) = rows.key.get(pa) else { continue };
            if fa >= fb || ea & eb != eb || ca < cb {
                continue;
            }
            let at_a = pa.saturating_mul(nl);
            let (ua, ha) = (
                rows.unit.get(at_a..at_a.saturating_add(nl)).unwrap_or_default(),
                rows.have.get(at_a..at_a.saturating_add(nl)).unwrap_or_default(),
            );
            // Every line at once, no mask: where b is not eligible its row
            // holds NONE and 0, which every a passes; where it is, a is too.
            let ok = ua.len() == ub.len()
                && ha.len() == hb.len()
                && ha.iter().zip(hb.iter()).all(|(a, b)| a >= b)
                && ua.iter().zip(ub.iter()).all(|(a, b)| a <= b);
            if ok {
                found = order.get(pa).copied();
                break;
            }
        }
        out.push(found);
        for li in set_bits(eb) {
            let Some(n) = filled.get_mut(li) else { continue };
            if *n < DOMINANCE_TRIES {
                if let Some(slot) = by_line.get_mut(li.saturating_mul(DOMINANCE_TRIES).saturating_add(*n)) {
                    *slot = u32::try_from(pb).unwrap_or(u32::MAX);
                }
                *n = n.saturating_add(1);
            }
        }
    }
    out
}

/// The (perturbed) cost of an assignment, or `None` if it leaves units
/// unfilled without a penalty.
pub(crate) fn assignment_cost(c: &Compiled, allocs: &[Alloc]) -> Result<Option<i128>, RoutingError> {
    let mut cost = 0i128;
    let mut shipped: SmallVec<[u64; 16]> = SmallVec::from_elem(0, c.lines.len());
    let mut opened: SmallVec<[usize; 16]> = SmallVec::new();
    for a in allocs {
        let (Some(node), Some(line)) = (c.nodes.get(a.node), c.lines.get(a.line)) else { continue };
        if !opened.contains(&a.node) {
            opened.push(a.node);
            cost = add(cost, node.fixed)?;
        }
        cost = add(cost, mul(node.unit.get(line.sku).copied().unwrap_or(0), a.qty)?)?;
        if let Some(s) = shipped.get_mut(a.line) {
            *s = s.saturating_add(a.qty);
        }
    }
    for (li, l) in c.lines.iter().enumerate() {
        let left = l.qty.saturating_sub(shipped.get(li).copied().unwrap_or(0));
        if left > 0 {
            match c.penalty {
                Some(p) => cost = add(cost, mul(p, left)?)?,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(cost))
}

/// The cheapest node that can ship the whole order alone, if any.
fn best_single(c: &Compiled) -> Result<Option<Assignment>, RoutingError> {
    let all = c.all_lines();
    let mut need: SmallVec<[u64; 16]> = SmallVec::from_elem(0, c.skus.len());
    for l in &c.lines {
        if let Some(v) = need.get_mut(l.sku) {
            *v = v.saturating_add(l.qty);
        }
    }
    let mut best: Option<(i128, usize)> = None;
    for (k, node) in c.nodes.iter().enumerate() {
        if node.elig & all != all || node.cap < c.demand {
            continue;
        }
        if need.iter().zip(node.stock.iter()).any(|(n, s)| s < n) {
            continue;
        }
        let mut cost = node.fixed;
        for l in &c.lines {
            cost = add(cost, mul(node.unit.get(l.sku).copied().unwrap_or(0), l.qty)?)?;
        }
        if best.is_none_or(|(b, _)| cost < b) {
            best = Some((cost, k));
        }
    }
    Ok(best.map(|(cost, k)| single_node(c, cost, k)))
}

/// The plan shipping every line whole from node `k`, at `cost`.
fn single_node(c: &Compiled, cost: i128, k: usize) -> Assignment {
    Assignment {
        cost,
        allocs: c.lines.iter().enumerate().map(|(li, l)| Alloc { node: k, line: li, qty: l.qty }).collect(),
    }
}

/// `ship_complete`: one node ships everything, or (with a penalty) nothing ships.
fn ship_complete(c: &Compiled, mut best: Option<Assignment>) -> Result<Outcome, RoutingError> {
    let visits = u64::try_from(c.nodes.len()).unwrap_or(u64::MAX);
    if c.max_ship >= 1 {
        if let Some(a) = best_single(c)? {
            if best.as_ref().is_none_or(|b| a.cost < b.cost) {
                best = Some(a);
            }
        }
    }
    Ok(Outcome { best, complete: true, visits, fast: false })
}
