//! The exact fast path for small split orders: the best plan of at most two
//! shipments, proven optimal by a bound on every plan of three or more.
//!
//! When every line splits freely, no two lines share a SKU and no candidate's
//! cap binds, a node set's least cost is its lines' cheapest stock taken
//! first (`split_set`), independently per line. The best plan with at most
//! two shipments is then found by evaluating single nodes and the pairs that
//! can still beat the bound below, and any plan with three or more shipments
//! costs at least the three least shipment costs plus every unit at its
//! cheapest unit cost (or the penalty). When the best plan of at most two
//! shipments is below that bound, it is the optimum, and it is the plan the
//! branch-and-bound returns (the costs carry the tie-break perturbation, so
//! equal perturbed costs of different node sets are the only ambiguity: the
//! fast path then gives up). Otherwise the caller runs the full search.

use smallvec::SmallVec;

use super::RoutingError;
use super::compile::{Compiled, bit};
use super::exact::{Assignment, NONE, add, mul, split_set};

/// At most this many candidates: the fast path's own worst case (every
/// single node and every pair) stays below the search setup it saves, and a
/// fast path that falls back costs little. On larger candidate sets (10-line
/// orders over 1,000 nodes: ~800 candidates, optimum rarely within two
/// shipments) trying it first measured ~3× slower at p99.
const MAX_CANDIDATES: usize = 64;

/// Whether the fast path's preconditions hold for `c`: every line splits
/// freely, the lines have distinct SKUs, no cap binds, no ship-complete rule,
/// at least two shipments are allowed, and at most [`MAX_CANDIDATES`]
/// candidates.
pub(crate) fn applies(c: &Compiled) -> bool {
    c.nodes.len() <= MAX_CANDIDATES
        && c.items.is_empty()
        && !c.ship_complete
        && c.max_ship >= 2
        && c.skus.len() == c.lines.len()
        && c.nodes.iter().all(|n| n.cap >= c.demand)
}

/// The optimum when it has at most two shipments and provably beats every
/// plan with more, as the branch-and-bound would return it; `None` when that
/// cannot be shown (the caller searches). `empty` is the plan shipping
/// nothing, if the penalty allows it. Call only when [`applies`] holds.
///
/// # Complexity
///
/// O(n × l) for n candidates and l lines, plus O(l × words) per node for the
/// pairs' candidate bitmaps, plus O(l) per pair that survives the bound
/// (on real orders: the pairs whose second node stocks every line the first
/// one cannot fill).
pub(crate) fn best_small(
    c: &Compiled,
    empty: Option<&Assignment>,
) -> Result<Option<Assignment>, RoutingError> {
    let n = c.nodes.len();
    let nl = c.lines.len();
    if n == 0 || nl == 0 || nl > 64 {
        return Ok(None);
    }
    let pen = c.penalty;
    // Every unit at its cheapest unit cost over all candidates, or the penalty.
    let mut cheapest: SmallVec<[i128; 16]> = SmallVec::from_elem(pen.unwrap_or(NONE), nl);
    let (mut f1, mut f2, mut f3) = (NONE, NONE, NONE);
    for node in &c.nodes {
        let f = node.fixed;
        if f < f1 {
            (f1, f2, f3) = (f, f1, f2);
        } else if f < f2 {
            (f2, f3) = (f, f2);
        } else if f < f3 {
            f3 = f;
        }
        for (li, l) in c.lines.iter().enumerate() {
            if node.elig & bit(li) != 0 {
                if let Some(m) = cheapest.get_mut(li) {
                    *m = (*m).min(node.unit.get(l.sku).copied().unwrap_or(0));
                }
            }
        }
    }
    let mut var_lb = 0i128;
    for (l, &u) in c.lines.iter().zip(cheapest.iter()) {
        if u == NONE {
            // A line nothing can fill and no penalty: infeasible; the search says so.
            return Ok(None);
        }
        var_lb = add(var_lb, mul(u, l.qty)?)?;
    }
    // Any plan with three or more shipments costs at least this.
    let lb3 = if c.max_ship >= 3 && n >= 3 { add(add(add(f1, f2)?, f3)?, var_lb)? } else { NONE };
    let mut inc = empty.map_or(NONE, |e| e.cost);
    let mut best_single: Option<usize> = None;
    let mut best_pair: Option<(usize, usize)> = None;
    let mut tie = false;
    let lim = |inc: i128| inc.min(lb3);
    // Single nodes.
    for (k, node) in c.nodes.iter().enumerate() {
        if add(node.fixed, var_lb)? > lim(inc) {
            continue;
        }
        let Some(cost) = set_cost(c, k, None, lim(inc))? else { continue };
        if cost < inc {
            inc = cost;
            best_single = Some(k);
            best_pair = None;
            tie = false;
        } else if cost == inc {
            tie = true;
        }
    }
    // Pairs. Per node: the lines it cannot fill alone whose shortfall, at
    // the penalty, would already lift any pair with it above the limit; the
    // other node of a pair must be eligible for all of them.
    let lim0 = lim(inc);
    if lim0 != NONE {
        let words = n.div_ceil(64);
        let mut line_bits: Vec<u64> = vec![0; words.saturating_mul(nl)];
        let mut required: Vec<u64> = Vec::with_capacity(n);
        for (k, node) in c.nodes.iter().enumerate() {
            let mut req = 0u64;
            for (li, l) in c.lines.iter().enumerate() {
                let have = if node.elig & bit(li) != 0 {
                    if let Some(w) = line_bits.get_mut(li.saturating_mul(words).saturating_add(k / 64)) {
                        *w |= 1u64 << (k % 64);
                    }
                    node.stock.get(l.sku).copied().unwrap_or(0)
                } else {
                    0
                };
                if have >= l.qty {
                    continue;
                }
                // Units the partner must fill or leave at the penalty.
                let short = l.qty.saturating_sub(have);
                let extra = match (pen, cheapest.get(li)) {
                    (Some(p), Some(&ch)) => mul(p.saturating_sub(ch), short)?,
                    _ => NONE,
                };
                let lb = add(add(node.fixed, f1)?, var_lb)?;
                if extra == NONE || lb.checked_add(extra).is_none_or(|v| v > lim0) {
                    req |= bit(li);
                }
            }
            required.push(req);
        }
        let mut cand: SmallVec<[u64; 16]> = SmallVec::from_elem(0, words);
        for a in 0..n {
            let (Some(na), Some(&ra)) = (c.nodes.get(a), required.get(a)) else { continue };
            if add(add(na.fixed, f1)?, var_lb)? > lim(inc) {
                continue;
            }
            // Partners above `a` eligible for every line `a` requires.
            for (w, slot) in cand.iter_mut().enumerate() {
                let lo = w.saturating_mul(64);
                let above = if lo > a {
                    u64::MAX
                } else if a.saturating_sub(lo) >= 63 {
                    0
                } else {
                    u64::MAX << (a.saturating_sub(lo).saturating_add(1))
                };
                *slot = above;
            }
            let mut r = ra;
            while r != 0 {
                let li = r.trailing_zeros() as usize;
                r &= r.wrapping_sub(1);
                let row = line_bits.get(li.saturating_mul(words)..li.saturating_add(1).saturating_mul(words));
                for (slot, &x) in cand.iter_mut().zip(row.unwrap_or_default()) {
                    *slot &= x;
                }
            }
            for w in 0..words {
                let mut x = cand.get(w).copied().unwrap_or(0);
                while x != 0 {
                    let b = w.saturating_mul(64).saturating_add(x.trailing_zeros() as usize);
                    x &= x.wrapping_sub(1);
                    let (Some(nb), Some(&rb)) = (c.nodes.get(b), required.get(b)) else { continue };
                    if rb & !na.elig != 0 {
                        continue;
                    }
                    if add(add(na.fixed, nb.fixed)?, var_lb)? > lim(inc) {
                        continue;
                    }
                    let Some(cost) = set_cost(c, a, Some(b), lim(inc))? else { continue };
                    if cost < inc {
                        inc = cost;
                        best_single = None;
                        best_pair = Some((a, b));
                        tie = false;
                    } else if cost == inc {
                        tie = true;
                    }
                }
            }
        }
    }
    if tie || inc == NONE || inc >= lb3 {
        return Ok(None);
    }
    // The search evaluates a set in its search order, which decides which
    // of two equally cheap stocks a line takes: the same order here.
    // (A pair's cost does not depend on that order: equal unit costs only
    // move units between its two nodes, and an order that left one of them
    // unused would be that single node's plan, which is cheaper.)
    if let Some((a, b)) = best_pair {
        let set = if search_key(c, b)? < search_key(c, a)? { [b, a] } else { [a, b] };
        return split_set(c, &set, None);
    }
    if let Some(k) = best_single {
        return split_set(c, &[k], None);
    }
    Ok(empty.cloned())
}

/// The cost of `split_set`'s plan on `{a}` or `{a, b}` (`a < b`): each line
/// from the cheaper stock first (the lower index on equal unit costs), units
/// left unfilled where the penalty is not dearer, plus the shipment costs.
/// `None` when the plan leaves a node of the set unused (it is a smaller
/// set's plan), is infeasible, or costs more than `lim`. Allocates nothing.
fn set_cost(c: &Compiled, a: usize, b: Option<usize>, lim: i128) -> Result<Option<i128>, RoutingError> {
    let Some(na) = c.nodes.get(a) else { return Ok(None) };
    let nb = match b {
        Some(b) => match c.nodes.get(b) {
            Some(n) => Some(n),
            None => return Ok(None),
        },
        None => None,
    };
    let mut cost = na.fixed;
    if let Some(n) = nb {
        cost = add(cost, n.fixed)?;
    }
    if cost > lim {
        return Ok(None);
    }
    let (mut used_a, mut used_b) = (false, nb.is_none());
    for (li, l) in c.lines.iter().enumerate() {
        let offer = |n: &super::compile::CNode| {
            let have = if n.elig & bit(li) != 0 { n.stock.get(l.sku).copied().unwrap_or(0) } else { 0 };
            (have > 0).then(|| (n.unit.get(l.sku).copied().unwrap_or(0), have))
        };
        let oa = offer(na);
        let ob = nb.and_then(offer);
        // Cheaper first; on equal unit cost `a` (the lower index) first.
        let (first, second, first_is_a) = match (oa, ob) {
            (Some(x), Some(y)) if y.0 < x.0 => (Some(y), Some(x), false),
            (x, y) => (x.or(y), if x.is_some() { y } else { None }, x.is_some()),
        };
        let mut left = l.qty;
        for (n, off) in [(0usize, first), (1, second)] {
            let Some((u, have)) = off else { continue };
            if left == 0 || c.penalty.is_some_and(|p| p <= u) {
                break;
            }
            let q = have.min(left);
            cost = add(cost, mul(u, q)?)?;
            left = left.saturating_sub(q);
            if (n == 0) == first_is_a {
                used_a = true;
            } else {
                used_b = true;
            }
        }
        if left > 0 {
            match c.penalty {
                Some(p) => cost = add(cost, mul(p, left)?)?,
                None => return Ok(None),
            }
        }
        if cost > lim {
            return Ok(None);
        }
    }
    Ok((used_a && used_b).then_some(cost))
}

/// Node `k`'s place in the branch-and-bound's search order, as its setup
/// computes it: the cost per unit of what it could ship alone, then `k`.
fn search_key(c: &Compiled, k: usize) -> Result<(u128, usize), RoutingError> {
    let Some(node) = c.nodes.get(k) else { return Ok((u128::MAX, k)) };
    let mut units = 0u64;
    let mut cost = node.fixed;
    // Distinct SKUs: each line is its SKU's whole need.
    for (li, l) in c.lines.iter().enumerate() {
        if node.elig & bit(li) == 0 {
            continue;
        }
        let q = l.qty.min(node.stock.get(l.sku).copied().unwrap_or(0));
        if q > 0 {
            units = units.saturating_add(q);
            cost = add(cost, mul(node.unit.get(l.sku).copied().unwrap_or(0), q)?)?;
        }
    }
    let usable = units.min(node.cap).max(1);
    let per = super::exact::div_floor(cost, usable);
    let per = per.and_then(|p| u128::try_from(p).ok()).unwrap_or(u128::MAX).min(u128::MAX >> 32);
    Ok((per, k))
}
