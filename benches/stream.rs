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

/// A UUIDv4-like entry id for `n`: 122 pseudo-random bits (a seeded,
/// invertible mix of `n`, so distinct `n` give distinct ids) with the
/// version and variant bits of a UUIDv4 (so never zero).
pub fn random_id(n: u64) -> EntryId {
    fn mix(mut z: u64) -> u64 {
        // The splitmix64 finaliser (Steele, Lea & Flood 2014): a bijection on u64.
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let hi = mix(n.wrapping_add(0x5EED));
    let lo = mix(n ^ 0xA5A5_A5A5_A5A5_A5A5);
    let v = (u128::from(hi) << 64) | u128::from(lo);
    let v = (v & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    EntryId::new(v).unwrap()
}

/// How a stream numbers its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// From a sequence, as many hosts do: [`id`].
    Sequential,
    /// UUIDv4-like, seeded: [`random_id`].
    Random,
}

impl Ids {
    /// The `n`-th entry id of this numbering.
    pub fn id(self, n: u64) -> EntryId {
        match self {
            Ids::Sequential => id(n),
            Ids::Random => random_id(n),
        }
    }
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
        self.prepared_with(Ids::Sequential)
    }

    /// As [`Grid::prepared`], numbering the entries with `ids`.
    pub fn prepared_with(&self, ids: Ids) -> Ledger {
        let id = |n| ids.id(n);
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
        self.mixed_with(n, Ids::Sequential)
    }

    /// As [`Grid::mixed`], numbering the entries with `ids`.
    pub fn mixed_with(&self, n: u64, ids: Ids) -> Vec<Command> {
        let id = |n| ids.id(n);
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
