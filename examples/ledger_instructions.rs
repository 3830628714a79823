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
//! instructions per command = the collected total / 30,000. The arguments:
//! `presized` (tables pre-sized with `Ledger::reserve_entries`, the default)
//! or `grow`; `random` for UUIDv4-like entry ids instead of a sequence (both
//! in the prepared ledger and in the stream); `time` to apply the stream to
//! 41 fresh clones and print the least and median wall time (a quick A/B on
//! a quiet machine; not for callgrind).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;

use omniroute::ledger::Ledger;
use omniroute::{Command, Timestamp};

#[path = "../benches/stream.rs"]
mod stream;
use stream::{Grid, Ids};

const GRID: Grid = Grid { nodes: 100, skus: 1_000 };
const N: u64 = 30_000;

#[inline(never)]
fn run(l: &mut Ledger, cmds: &[Command]) {
    let now = Timestamp::from_unix_ms(1);
    for cmd in cmds {
        black_box(l.apply(black_box(cmd), now).unwrap());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |a: &str| args.iter().any(|x| x == a);
    let presized = !has("grow");
    let ids = if has("random") { Ids::Random } else { Ids::Sequential };
    let cmds = GRID.mixed_with(N, ids);
    let base = GRID.prepared_with(ids);
    let mut times = Vec::new();
    for _ in 0..if has("time") { 41 } else { 1 } {
        let mut l = base.clone();
        if presized {
            l.reserve_entries(N as usize);
        }
        let start = std::time::Instant::now();
        run(&mut l, &cmds);
        times.push(start.elapsed().as_micros());
        assert_eq!(l.entry_count() as u64, N + GRID.entries());
        l.check_invariants().unwrap();
    }
    times.sort_unstable();
    // Wall-clock time is printed for a rough look only; compare instruction
    // counts (callgrind), which do not depend on the machine's load.
    println!(
        "{} commands applied ({}, {:?} ids) in {} µs (least), {} µs (median of {})",
        N,
        if presized { "presized" } else { "grow" },
        ids,
        times[0],
        times[times.len() / 2],
        times.len()
    );
}
