//! A small exact min-cost flow (successive shortest paths with Bellman–Ford),
//! for the transportation subproblems of the optimiser: a few nodes, a few
//! lines, integer capacities and integer (scaled) costs.

use super::RoutingError;

#[derive(Debug, Clone, Copy)]
struct Edge {
    to: usize,
    /// The next edge out of the same vertex (`usize::MAX` ends the list).
    next: usize,
    cap: u64,
    cost: i128,
}

/// A flow network; edges come in pairs (forward, reverse), kept in
/// per-vertex linked lists so building one costs two allocations.
#[derive(Debug, Default)]
pub(crate) struct Network {
    edges: Vec<Edge>,
    head: Vec<usize>,
}

impl Network {
    pub(crate) fn with_vertices(n: usize) -> Self {
        Self { edges: Vec::with_capacity(n.saturating_mul(4)), head: vec![usize::MAX; n] }
    }

    /// Adds an edge and returns its index (for [`Self::flow_on`]).
    pub(crate) fn add(&mut self, from: usize, to: usize, cap: u64, cost: i128) -> usize {
        let idx = self.edges.len();
        let rev = idx.saturating_add(1);
        let (hf, ht) = (self.head.get(from).copied(), self.head.get(to).copied());
        self.edges.push(Edge { to, next: hf.unwrap_or(usize::MAX), cap, cost });
        self.edges.push(Edge {
            to: from,
            next: ht.unwrap_or(usize::MAX),
            cap: 0,
            cost: cost.saturating_neg(),
        });
        if let Some(h) = self.head.get_mut(from) {
            *h = idx;
        }
        if let Some(h) = self.head.get_mut(to) {
            *h = rev;
        }
        idx
    }

    /// Units sent over edge `idx`.
    pub(crate) fn flow_on(&self, idx: usize) -> u64 {
        self.edges.get(idx ^ 1).map_or(0, |e| e.cap)
    }

    /// Sends up to `need` units from `s` to `t` at least cost; returns the
    /// units sent and their cost.
    ///
    /// # Complexity
    ///
    /// O(P · V · E) for P augmenting paths; P is small for the order-sized
    /// networks the optimiser builds.
    pub(crate) fn min_cost_flow(
        &mut self,
        s: usize,
        t: usize,
        need: u64,
    ) -> Result<(u64, i128), RoutingError> {
        let n = self.head.len();
        let mut sent = 0u64;
        let mut total = 0i128;
        let mut dist: Vec<Option<i128>> = vec![None; n];
        let mut prev: Vec<usize> = vec![usize::MAX; n];
        let mut in_queue = vec![false; n];
        let mut queue = std::collections::VecDeque::with_capacity(n);
        while sent < need {
            dist.iter_mut().for_each(|d| *d = None);
            prev.iter_mut().for_each(|p| *p = usize::MAX);
            if let Some(d) = dist.get_mut(s) {
                *d = Some(0);
            }
            queue.clear();
            queue.push_back(s);
            if let Some(q) = in_queue.get_mut(s) {
                *q = true;
            }
            let mut relaxations = 0usize;
            let limit = n.saturating_mul(self.edges.len()).saturating_add(n);
            while let Some(u) = queue.pop_front() {
                if let Some(q) = in_queue.get_mut(u) {
                    *q = false;
                }
                let Some(du) = dist.get(u).copied().flatten() else { continue };
                let mut ei = self.head.get(u).copied().unwrap_or(usize::MAX);
                while let Some(&e) = self.edges.get(ei) {
                    let this = ei;
                    ei = e.next;
                    if e.cap == 0 {
                        continue;
                    }
                    let nd = du.checked_add(e.cost).ok_or(RoutingError::overflow("flow cost"))?;
                    let better = match dist.get(e.to).copied().flatten() {
                        None => true,
                        Some(dv) => nd < dv,
                    };
                    if better {
                        relaxations = relaxations.saturating_add(1);
                        if relaxations > limit {
                            // Only a negative cycle could cause this; residual
                            // graphs of successive shortest paths have none.
                            return Err(RoutingError::overflow("flow search"));
                        }
                        if let Some(d) = dist.get_mut(e.to) {
                            *d = Some(nd);
                        }
                        if let Some(p) = prev.get_mut(e.to) {
                            *p = this;
                        }
                        if let Some(q) = in_queue.get_mut(e.to) {
                            if !*q {
                                *q = true;
                                queue.push_back(e.to);
                            }
                        }
                    }
                }
            }
            let Some(path_cost) = dist.get(t).copied().flatten() else { break };
            // Bottleneck along the path.
            let mut push = need.saturating_sub(sent);
            let mut v = t;
            while v != s {
                let ei = prev.get(v).copied().unwrap_or(usize::MAX);
                let Some(e) = self.edges.get(ei) else { return Err(RoutingError::overflow("flow path")) };
                push = push.min(e.cap);
                v = self.edges.get(ei ^ 1).map_or(s, |r| r.to);
            }
            let mut v = t;
            while v != s {
                let ei = prev.get(v).copied().unwrap_or(usize::MAX);
                if let Some(e) = self.edges.get_mut(ei) {
                    e.cap = e.cap.saturating_sub(push);
                }
                if let Some(r) = self.edges.get_mut(ei ^ 1) {
                    r.cap = r.cap.saturating_add(push);
                    v = r.to;
                } else {
                    break;
                }
            }
            sent = sent.saturating_add(push);
            let add = super::compile::mul128(path_cost, i128::from(push))
                .ok_or(RoutingError::overflow("flow cost"))?;
            total = total.checked_add(add).ok_or(RoutingError::overflow("flow cost"))?;
        }
        Ok((sent, total))
    }
}
