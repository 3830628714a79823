//! The ledger set-up and command stream shared by benches/ledger.rs,
//! benches/atp.rs and examples/ledger_instructions.rs (which includes this
//! file by path, so the instruction counts and the benches measure the same
//! commands).
#![allow(dead_code, unreachable_pub)]

use omniroute::ledger::Ledger;
use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};

/// Entry id `n + 1` (never zero).
pub fn id(n: u64) -> EntryId {
    EntryId::new(u128::from(n) + 1).unwrap()
}

/// A grid of `nodes × skus` positions.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub nodes: u32,
    pub skus: u32,
}

impl Grid {
    /// The `i`-th position of a scattered walk over the grid.
    pub fn pos(&self, i: u64) -> (NodeId, Sku) {
        let k = i.wrapping_mul(7_919) % u64::from(self.nodes * self.skus);
        (NodeId::new((k % u64::from(self.nodes)) as u32), Sku::new((k / u64::from(self.nodes)) as u32))
    }

    /// Every position stocked with 1,000,000 units (an existing inventory:
    /// timed commands measure steady-state work, not first-touch growth).
    /// Entry ids from 2^40, clear of the stream's.
    pub fn prepared(&self) -> Ledger {
        let mut l = Ledger::new();
        let t = Timestamp::EPOCH;
        let register = CommandKind::Register { nodes: self.nodes, skus: self.skus };
        l.apply(&Command::new(id(1 << 40), register), t).unwrap();
        for s in 0..self.skus {
            for n in 0..self.nodes {
                let e = id((1 << 41) + u64::from(s * self.nodes + n));
                let kind = CommandKind::Receive {
                    node: NodeId::new(n),
                    sku: Sku::new(s),
                    qty: Qty::new(1_000_000),
                    inbound: None,
                };
                l.apply(&Command::new(e, kind), t).unwrap();
            }
        }
        l
    }

    /// Entry ids [`Grid::prepared`] remembers.
    pub const fn entries(&self) -> u64 {
        1 + self.nodes as u64 * self.skus as u64
    }

    /// `n` commands: receive → reserve → commit triples on scattered
    /// positions, entry ids from 1.
    pub fn mixed(&self, n: u64) -> Vec<Command> {
        let mut v = Vec::with_capacity(n as usize);
        let mut i = 0;
        while (v.len() as u64) < n {
            let (node, sku) = self.pos(i);
            let base = 3 * i;
            v.push(Command::new(
                id(base),
                CommandKind::Receive { node, sku, qty: Qty::new(5), inbound: None },
            ));
            v.push(Command::new(
                id(base + 1),
                CommandKind::Reserve { node, sku, qty: Qty::new(2), expires_at: None },
            ));
            v.push(Command::new(
                id(base + 2),
                CommandKind::Commit { reservation: id(base + 1), qty: Qty::new(1) },
            ));
            i += 1;
        }
        v.truncate(n as usize);
        v
    }
}
