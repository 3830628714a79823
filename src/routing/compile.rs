//! Validation and compilation of a problem to dense indices and integer costs.
//!
//! Lines are put in canonical order (by line id) and candidate nodes in
//! canonical order (by node id), so everything downstream is independent of
//! the order the caller listed them in. Money is scaled to a common integer
//! scale (`i128`), so the optimiser compares costs exactly and fast.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::OrderLine;
use super::{Availability, RoutingError, RoutingProblem};
use crate::model::{Capabilities, LineId, Money, NodeId, Sku};

/// The most lines an order may have (line sets are `u64` bitmasks).
pub const MAX_LINES: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct CLine {
    pub(crate) id: LineId,
    /// Index into `problem.lines`.
    pub(crate) orig: usize,
    pub(crate) sku: usize,
    pub(crate) qty: u64,
}

/// Inline capacity of a candidate's per-SKU rows: orders of up to 10 SKUs
/// keep a candidate record at ~300 bytes (16 made it ~460, and the setup
/// passes over ~800 candidates of a 10-line order are memory-bound).
const ROW: usize = 10;

/// A candidate's unit cost per order SKU.
pub(crate) type UnitRow = SmallVec<[i128; ROW]>;

/// A candidate's stock per order SKU.
pub(crate) type StockRow = SmallVec<[u64; ROW]>;

#[derive(Debug, Clone)]
pub(crate) struct CNode {
    pub(crate) id: NodeId,
    /// Index into `problem.nodes`.
    pub(crate) orig: usize,
    pub(crate) fixed: i128,
    /// Per order SKU (index into `Compiled::skus`).
    pub(crate) unit: UnitRow,
    pub(crate) stock: StockRow,
    /// Units the node may ship for this order (its cap, at most the demand).
    pub(crate) cap: u64,
    /// Lines the node may ship (eligible and in stock), as a bitmask over canonical lines.
    pub(crate) elig: u64,
}

/// A unit of whole shipping: a keep-together group or, without `split_lines`, one line.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) mask: u64,
    pub(crate) qty: u64,
    /// (order SKU, units) the item needs.
    pub(crate) need: SmallVec<[(usize, u64); 4]>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    pub(crate) lines: Vec<CLine>,
    pub(crate) skus: Vec<Sku>,
    pub(crate) nodes: Vec<CNode>,
    pub(crate) items: Vec<Item>,
    /// Lines that split freely (not in any item).
    pub(crate) split_mask: u64,
    pub(crate) penalty: Option<i128>,
    pub(crate) max_ship: usize,
    pub(crate) ship_complete: bool,
    pub(crate) demand: u64,
}

impl Compiled {
    pub(crate) fn all_lines(&self) -> u64 {
        mask_below(self.lines.len())
    }
}

/// `a × b`, or `None` on overflow. When both fit in 64 bits the product
/// cannot overflow 128 bits, so it skips `i128::checked_mul`'s slow path
/// (a hot spot of the optimiser's bounds and of compiling costs).
/// Written as a product of two sign-extended `i64`s, so it compiles to one
/// 64 × 64-bit multiplication.
#[inline]
pub(crate) fn mul128(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) => Some(i128::from(x).wrapping_mul(i128::from(y))),
        _ => a.checked_mul(b),
    }
}

pub(crate) fn mask_below(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n).wrapping_sub(1) }
}

pub(crate) fn bit(i: usize) -> u64 {
    if i >= 64 { 0 } else { 1u64 << i }
}

/// The indices of the set bits of `bits`, lowest first (e.g. the lines a
/// node is eligible for, from its `elig` mask).
#[inline]
pub(crate) fn set_bits(mut bits: u64) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let i = bits.trailing_zeros() as usize;
        bits &= bits.wrapping_sub(1);
        Some(i)
    })
}

/// Checks a problem for everything a caller can get wrong, in the order of
/// [`RoutingError`]'s variants.
pub(crate) fn validate(problem: &RoutingProblem) -> Result<(), RoutingError> {
    if problem.lines.is_empty() {
        return Err(RoutingError::NoLines);
    }
    if problem.lines.len() > MAX_LINES {
        return Err(RoutingError::TooManyLines { lines: problem.lines.len(), max: MAX_LINES });
    }
    // One pass for the id range and negative costs (reported in precedence order below).
    let mut max_id = 0usize;
    let (mut neg_ship, mut neg_unit) = (false, false);
    for n in &problem.nodes {
        max_id = max_id.max(n.id.as_usize());
        neg_ship |= n.shipment_cost.is_negative();
        neg_unit |= n.unit_cost.is_negative();
    }
    // Duplicate node ids: a bitset when ids are dense (the usual case), else a sort.
    let mut seen: Vec<u64> = Vec::new();
    if max_id <= problem.nodes.len().saturating_mul(64).saturating_add(4096) {
        seen = vec![0u64; (max_id / 64).saturating_add(1)];
        for n in &problem.nodes {
            let (w, b) = (n.id.as_usize() / 64, n.id.as_usize() % 64);
            let Some(word) = seen.get_mut(w) else { continue };
            if *word & (1u64 << b) != 0 {
                return Err(RoutingError::DuplicateNode { node: n.id });
            }
            *word |= 1u64 << b;
        }
    } else {
        let mut ids: Vec<NodeId> = problem.nodes.iter().map(|n| n.id).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w.first() == w.get(1)) {
            return Err(RoutingError::DuplicateNode { node: w.first().copied().unwrap_or_default() });
        }
    }
    let mut lids: Vec<LineId> = problem.lines.iter().map(|l| l.id).collect();
    lids.sort_unstable();
    if let Some(w) = lids.windows(2).find(|w| w.first() == w.get(1)) {
        return Err(RoutingError::DuplicateLine { line: w.first().copied().unwrap_or_default() });
    }
    if let Some(l) = problem.lines.iter().find(|l| l.quantity.is_zero()) {
        return Err(RoutingError::ZeroQuantity { line: l.id });
    }
    for n in problem.nodes.iter().filter(|_| neg_ship || neg_unit) {
        if n.shipment_cost.is_negative() {
            return Err(RoutingError::NegativeCost { what: "shipment cost" });
        }
        if n.unit_cost.is_negative() {
            return Err(RoutingError::NegativeCost { what: "unit cost" });
        }
    }
    if problem.unit_costs.values().any(|m| m.is_negative()) {
        return Err(RoutingError::NegativeCost { what: "unit cost" });
    }
    if problem.rules.get_unfilled_unit_penalty().is_some_and(Money::is_negative) {
        return Err(RoutingError::NegativeCost { what: "unfilled unit penalty" });
    }
    let known = |id: NodeId| {
        if seen.is_empty() {
            problem.nodes.iter().any(|n| n.id == id)
        } else {
            seen.get(id.as_usize() / 64).is_some_and(|w| w & (1u64 << (id.as_usize() % 64)) != 0)
        }
    };
    if let Some(p) = problem.pickup_at.filter(|&p| !known(p)) {
        return Err(RoutingError::UnknownNode { node: p });
    }
    if let Some(&(n, _)) = problem.unit_costs.keys().find(|(n, _)| !known(*n)) {
        return Err(RoutingError::UnknownNode { node: n });
    }
    Ok(())
}

/// Exact money → integer at `scale` fractional digits.
pub(crate) fn scaled(m: Decimal, scale: u32) -> Result<i128, RoutingError> {
    // Evaluated at compile time: an overflow or bad index would fail the build.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    const POW10: [i128; 29] = {
        let mut t = [1i128; 29];
        let mut i = 1;
        while i < 29 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let up = scale.checked_sub(m.scale()).ok_or(RoutingError::overflow("cost scale"))?;
    let f = POW10.get(up as usize).copied().ok_or(RoutingError::overflow("cost scale"))?;
    m.mantissa().checked_mul(f).ok_or(RoutingError::overflow("cost scale"))
}

/// Validates and compiles. `extra` adds per-(node, SKU) costs to unit costs
/// (the look-ahead strategy's opportunity costs).
pub(crate) fn compile(
    problem: &RoutingProblem,
    availability: &dyn Availability,
    extra: Option<&BTreeMap<(NodeId, Sku), Money>>,
) -> Result<Compiled, RoutingError> {
    validate(problem)?;
    let mut order: Vec<usize> = (0..problem.lines.len()).collect();
    order.sort_unstable_by_key(|&i| problem.lines.get(i).map(|l| l.id));
    let mut skus: Vec<Sku> = problem.lines.iter().map(|l| l.sku).collect();
    skus.sort_unstable();
    skus.dedup();
    let sku_idx = |s: Sku| skus.binary_search(&s).unwrap_or(0);
    let mut lines = Vec::with_capacity(order.len());
    let mut demand = 0u64;
    for &i in &order {
        let Some(l) = problem.lines.get(i) else { continue };
        demand = demand.checked_add(l.quantity.get()).ok_or(RoutingError::overflow("demand"))?;
        lines.push(CLine { id: l.id, orig: i, sku: sku_idx(l.sku), qty: l.quantity.get() });
    }
    let rules = problem.rules;

    // Candidate nodes: eligible for some line that they hold stock of.
    let reqs: SmallVec<[(usize, &Capabilities); 16]> =
        order.iter().filter_map(|&oi| problem.lines.get(oi)).map(|l| (sku_idx(l.sku), &l.requires)).collect();
    let any_reqs = reqs.iter().any(|(_, r)| !r.is_empty());
    // (node index, eligible lines, offset of its stock in `flat`).
    let mut raw: Vec<(usize, u64, usize)> = Vec::with_capacity(problem.nodes.len());
    let mut flat: Vec<u64> = Vec::with_capacity(problem.nodes.len().saturating_mul(skus.len()));
    let mut buf: SmallVec<[u64; 16]> = SmallVec::from_elem(0, skus.len());
    for (ni, node) in problem.nodes.iter().enumerate() {
        if problem.pickup_at.is_some_and(|p| p != node.id) {
            continue;
        }
        if let (Some(w), Some(t)) = (problem.deliver_within_days, node.transit_days) {
            if t > w {
                continue;
            }
        }
        if node.max_units.is_some_and(|m| m.is_zero()) {
            continue;
        }
        let mut any = false;
        for (slot, &s) in buf.iter_mut().zip(skus.iter()) {
            *slot = availability.available(node.id, s).get();
            any |= *slot > 0;
        }
        if !any {
            continue;
        }
        let mut elig = 0u64;
        for (li, &(s, req)) in reqs.iter().enumerate() {
            let has = buf.get(s).is_some_and(|&q| q > 0);
            if has && (!any_reqs || node.capabilities.contains_all(req)) {
                elig |= bit(li);
            }
        }
        if elig != 0 {
            raw.push((ni, elig, flat.len()));
            flat.extend_from_slice(&buf);
        }
    }
    let id_of = |ni: usize| problem.nodes.get(ni).map(|n| n.id);
    if !raw.windows(2).all(|w| match (w.first(), w.get(1)) {
        (Some(a), Some(b)) => id_of(a.0) < id_of(b.0),
        _ => true,
    }) {
        raw.sort_unstable_by_key(|(ni, _, _)| id_of(*ni));
    }

    // Common scale of every cost that can enter the objective. Raw decimal
    // scales are used (cheap); only when they are large are values
    // normalised first (trailing zeros dropped), which is exact but slower.
    let overrides = !problem.unit_costs.is_empty();
    let extras = extra.is_some_and(|e| !e.is_empty());
    let mut raw_scale = 0u32;
    {
        let mut see = |m: Money| raw_scale = raw_scale.max(m.get().scale());
        if let Some(p) = rules.get_unfilled_unit_penalty() {
            see(p);
        }
        for (ni, _, _) in &raw {
            let Some(node) = problem.nodes.get(*ni) else { continue };
            see(node.shipment_cost);
            see(node.unit_cost);
        }
        let mut see_map = |m: &BTreeMap<(NodeId, Sku), Money>| {
            for ((_, s), v) in m {
                if skus.binary_search(s).is_ok() {
                    see(*v);
                }
            }
        };
        if overrides {
            see_map(&problem.unit_costs);
        }
        if let Some(e) = extra {
            see_map(e);
        }
    }
    let normalise = raw_scale > 12;
    let norm = |m: Money| if normalise { m.get().normalize() } else { m.get() };
    let mut scale = 0u32;
    if normalise {
        let mut see = |m: Money| scale = scale.max(norm(m).scale());
        if let Some(p) = rules.get_unfilled_unit_penalty() {
            see(p);
        }
        for (ni, _, _) in &raw {
            let Some(node) = problem.nodes.get(*ni) else { continue };
            see(node.shipment_cost);
            see(node.unit_cost);
            for &s in &skus {
                if overrides {
                    if let Some(m) = problem.unit_costs.get(&(node.id, s)) {
                        see(*m);
                    }
                }
                if let Some(m) = extra.and_then(|e| e.get(&(node.id, s))) {
                    see(*m);
                }
            }
        }
    } else {
        scale = raw_scale;
    }
    let sc = |m: Money| scaled(norm(m), scale);

    let mut nodes = Vec::with_capacity(raw.len());
    for (ni, elig, off) in raw {
        let Some(node) = problem.nodes.get(ni) else { continue };
        let stock = SmallVec::from_slice(flat.get(off..off.saturating_add(skus.len())).unwrap_or_default());
        let base_unit = sc(node.unit_cost)?;
        let mut unit = SmallVec::new();
        for &s in &skus {
            let mut u = base_unit;
            if overrides {
                if let Some(m) = problem.unit_costs.get(&(node.id, s)) {
                    u = sc(*m)?;
                }
            }
            if extras {
                if let Some(m) = extra.and_then(|e| e.get(&(node.id, s))) {
                    u = u.checked_add(sc(*m)?).ok_or(RoutingError::overflow("unit cost"))?;
                }
            }
            unit.push(u);
        }
        let cap = node.max_units.map_or(demand, |m| m.get().min(demand));
        nodes.push(CNode { id: node.id, orig: ni, fixed: sc(node.shipment_cost)?, unit, stock, cap, elig });
    }

    let (items, split_mask) = order_items(&problem.lines, &order, &skus, rules.get_split_lines());
    let mut penalty = match rules.get_unfilled_unit_penalty() {
        Some(p) => Some(sc(p)?),
        None => None,
    };
    perturb(&mut nodes, &mut penalty, demand)?;
    let max_ship = rules.get_max_shipments().map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
    Ok(Compiled {
        lines,
        skus,
        nodes,
        items,
        split_mask,
        penalty,
        max_ship,
        ship_complete: rules.get_ship_complete(),
        demand,
    })
}

/// Whole items (keep-together groups, and every other line when lines don't
/// split) over canonical lines `order`, and the mask of freely splitting lines.
pub(crate) fn order_items(
    lines: &[OrderLine],
    order: &[usize],
    skus: &[Sku],
    split_lines: bool,
) -> (Vec<Item>, u64) {
    let sku_idx = |s: Sku| skus.binary_search(&s).unwrap_or(0);
    let mut items: Vec<Item> = Vec::new();
    let mut groups: BTreeMap<u32, usize> = BTreeMap::new();
    let mut split_mask = 0u64;
    for (li, &oi) in order.iter().enumerate() {
        let Some(l) = lines.get(oi) else { continue };
        let slot = match l.group {
            Some(g) => *groups.entry(g.get()).or_insert_with(|| {
                items.push(Item { mask: 0, qty: 0, need: SmallVec::new() });
                items.len().saturating_sub(1)
            }),
            None if !split_lines => {
                items.push(Item { mask: 0, qty: 0, need: SmallVec::new() });
                items.len().saturating_sub(1)
            }
            None => {
                split_mask |= bit(li);
                continue;
            }
        };
        if let Some(it) = items.get_mut(slot) {
            it.mask |= bit(li);
            it.qty = it.qty.saturating_add(l.quantity.get());
            let s = sku_idx(l.sku);
            match it.need.iter_mut().find(|(k, _)| *k == s) {
                Some(e) => e.1 = e.1.saturating_add(l.quantity.get()),
                None => it.need.push((s, l.quantity.get())),
            }
        }
    }
    (items, split_mask)
}

/// The tie-break perturbation's `(b, m)` for `count` candidate nodes (see
/// [`perturb`]).
pub(crate) fn tie_break(count: usize) -> Result<(i128, i128), RoutingError> {
    let count = i128::try_from(count).map_err(|_| RoutingError::overflow("node count"))?;
    let b =
        count.checked_mul(count).and_then(|v| v.checked_add(1)).ok_or(RoutingError::overflow("tie-break"))?;
    let m = count
        .checked_add(1)
        .and_then(|v| v.checked_mul(b))
        .and_then(|v| v.checked_add(1))
        .ok_or(RoutingError::overflow("tie-break"))?;
    Ok((b, m))
}

/// Applies the tie-break perturbation to `nodes` (in node-id order) and the
/// penalty, and checks once that every total the optimiser forms fits.
pub(crate) fn perturb(
    nodes: &mut [CNode],
    penalty: &mut Option<i128>,
    demand: u64,
) -> Result<(), RoutingError> {
    // Tie-break by perturbation: every cost is multiplied by `m` and each
    // node's fixed cost gains `b + rank` (rank = position in node-id order),
    // with `b` larger than any sum of ranks and `m` larger than any sum of
    // those additions. Minimising the perturbed cost then minimises, in
    // order: the cost, the number of shipments, the sum of the shipping
    // nodes' ranks. The search can prune on ties, and the optimum of the
    // perturbed problem is the documented tie-break.
    let (b, m) = tie_break(nodes.len())?;
    let ovf = || RoutingError::overflow("cost scale");
    for (rank, n) in nodes.iter_mut().enumerate() {
        let r = i128::try_from(rank).map_err(|_| ovf())?;
        n.fixed = mul128(n.fixed, m)
            .and_then(|v| v.checked_add(b))
            .and_then(|v| v.checked_add(r))
            .ok_or_else(ovf)?;
        for u in &mut n.unit {
            *u = mul128(*u, m).ok_or_else(ovf)?;
        }
    }
    if let Some(p) = penalty.as_mut() {
        *p = p.checked_mul(m).ok_or_else(ovf)?;
    }
    // Every total the optimiser forms is at most demand × (largest cost) plus
    // the fixed costs; check once that it fits, so later sums cannot overflow.
    let mut biggest = penalty.unwrap_or(0);
    let mut fixed_sum = 0i128;
    for n in nodes.iter() {
        fixed_sum = fixed_sum.checked_add(n.fixed).ok_or(RoutingError::overflow("shipment costs"))?;
        for &u in &n.unit {
            biggest = biggest.max(u);
        }
    }
    biggest
        .checked_mul(i128::from(demand))
        .and_then(|v| v.checked_mul(4))
        .and_then(|v| v.checked_add(fixed_sum))
        .ok_or(RoutingError::overflow("plan cost"))?;
    Ok(())
}
