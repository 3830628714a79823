//! Host persistence on a real database (SQLite, dev-only): crash recovery at
//! every step of persisting a command, two writers racing on one hot SKU,
//! a ledger partitioned by SKU against a single ledger, and the same for
//! orders (crash recovery of order operations, two writers placing orders).
//!
//! The host is the one `examples/persistence.rs` runs.

#[path = "../../examples/persistence/host.rs"]
mod host;

mod concurrency;
mod crash;
mod orders;
mod partitioned;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use omniroute::EntryId;

/// A fresh database path in a unique temp directory, removed on drop.
pub struct TempDb {
    dir: PathBuf,
}

impl TempDb {
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("omniroute-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("ledger.db")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn id(n: u128) -> EntryId {
    EntryId::new(n).unwrap()
}
