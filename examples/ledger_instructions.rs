//! A fixed command stream for instruction counting (valgrind/callgrind),
//! which is repeatable on a loaded machine where wall-clock benches are not.
//!
//! ```sh
//! cargo build --release --example ledger_instructions
//! valgrind --tool=callgrind --toggle-collect='*ledger_instructions::run*' \
//!     target/release/examples/ledger_instructions presized
//! ```
//!
//! Same set-up as `benches/ledger.rs`: 100 nodes × 1,000 SKUs all stocked
//! (100,001 entry ids remembered), then 30,000 `receive → reserve → commit`
//! commands with fresh ids applied to a clone. Only `run` is counted;
//! instructions per command = the collected total / 30,000. The argument is
//! `presized` (tables pre-sized with `Ledger::reserve_entries`, the default)
//! or `grow`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;

use omniroute::ledger::Ledger;
use omniroute::{Command, CommandKind, EntryId, NodeId, Qty, Sku, Timestamp};

const NODES: u32 = 100;
const SKUS: u32 = 1_000;
const N: u64 = 30_000;

fn id(n: u64) -> EntryId {
    EntryId::new(u128::from(n) + 1).unwrap()
}

fn pos(i: u64) -> (NodeId, Sku) {
    let k = i.wrapping_mul(7_919) % u64::from(NODES * SKUS);
    (NodeId::new((k % u64::from(NODES)) as u32), Sku::new((k / u64::from(NODES)) as u32))
}

fn prepared() -> Ledger {
    let mut l = Ledger::new();
    let t = Timestamp::EPOCH;
    l.apply(&Command::new(id(1 << 40), CommandKind::Register { nodes: NODES, skus: SKUS }), t).unwrap();
    for s in 0..SKUS {
        for n in 0..NODES {
            let e = id((1 << 41) + u64::from(s * NODES + n));
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

fn mixed(n: u64) -> Vec<Command> {
    let mut v = Vec::new();
    let mut i = 0;
    while (v.len() as u64) < n {
        let (node, sku) = pos(i);
        let base = 3 * i;
        v.push(Command::new(id(base), CommandKind::Receive { node, sku, qty: Qty::new(5), inbound: None }));
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

#[inline(never)]
fn run(l: &mut Ledger, cmds: &[Command]) {
    let now = Timestamp::from_unix_ms(1);
    for cmd in cmds {
        black_box(l.apply(black_box(cmd), now).unwrap());
    }
}

fn main() {
    let presized = std::env::args().nth(1).as_deref() != Some("grow");
    let cmds = mixed(N);
    let base = prepared();
    let mut l = base.clone();
    if presized {
        l.reserve_entries(N as usize);
    }
    let start = std::time::Instant::now();
    run(&mut l, &cmds);
    let elapsed = start.elapsed();
    assert_eq!(l.entry_count() as u64, N + 1 + u64::from(NODES * SKUS));
    l.check_invariants().unwrap();
    // Wall-clock time is printed for a rough look only; compare instruction
    // counts (callgrind), which do not depend on the machine's load.
    println!(
        "{} commands applied ({}) in {} µs",
        N,
        if presized { "presized" } else { "grow" },
        elapsed.as_micros()
    );
}
