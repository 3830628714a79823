//! A host that persists an omniroute [`Ledger`] in SQLite.
//!
//! The library does no I/O: every change returns an [`Event`], and the host
//! stores it. This host keeps three ledger tables in one SQLite file (and
//! three for orders, below):
//!
//! - `events(seq, entry, body)`: the journal, one row per event in the order
//!   the ledger recorded them; `entry` (the command's idempotency key) is
//!   `UNIQUE`, so the database itself refuses to store a command twice;
//! - `positions(node, sku, version, body)`: the current buckets and version of
//!   every touched position, a read model written in the same transaction as
//!   the event, so its versions always match the journal;
//! - `snapshots(seq, body)`: the serialised ledger after journal row `seq`,
//!   written every `snapshot_every` events.
//!
//! Writing a command: open a write transaction (`BEGIN IMMEDIATE` takes
//! SQLite's write lock, so writers on other connections wait), catch up with
//! the journal rows other writers committed, apply the command to the
//! in-memory ledger (with a compare-and-swap on a position version when the
//! caller asks), insert the event and the new position rows, commit.
//! Recovery after a restart: load the latest snapshot (deserialisation
//! re-checks the ledger's invariants) and replay the journal rows after it
//! (replay re-executes each event and checks it reproduces exactly).
//!
//! Orders (`orders.rs`, same host): an order operation's order events,
//! its ledger events and the new position rows are written in one
//! transaction, with a row in `ops` keyed by the caller's request key;
//! order-book snapshots sit beside the ledger snapshots; recovery rebuilds
//! both and checks the book's holds against the ledger.
//!
//! Shared by `examples/persistence.rs` and the integration tests
//! (`tests/persistence`), which inject crashes through [`Faults`].
// Compiled into two crates (the example and the test binary); each uses
// part of it, and `pub` is for readers, not an exported API.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use omniroute::ledger::{Event, EventKind, Ledger, LedgerError, LedgerOptions, Outcome, Rejection};
use omniroute::order::{OrderBook, OrderError};
use omniroute::{Command, NodeId, Sku, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

#[path = "orders.rs"]
mod orders;
// Each includer uses part of it (see the allow at the top).
#[allow(unused_imports)]
pub use orders::{OpRecord, OrderOp, OrderOutcome};

/// A point in persisting one command where a fault can strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before the write transaction opens.
    BeforeTransaction,
    /// Inside the transaction, after the event row is inserted (for an order
    /// operation: all its ledger event rows).
    EventWritten,
    /// Inside the transaction, after the position rows are written, before commit.
    PositionsWritten,
    /// Inside an order operation's transaction, after its order-event and
    /// `ops` rows are written, before commit.
    OrderWritten,
    /// After commit, before the caller hears the outcome.
    Committed,
    /// Inside the snapshot transaction that follows a commit, before it commits.
    Snapshot,
}

impl Step {
    /// Whether a fault at this step leaves the command's event committed.
    pub const fn is_after_commit(self) -> bool {
        matches!(self, Self::Committed | Self::Snapshot)
    }
}

/// Fault injection: the host "crashes" at the `at`-th fault point it passes
/// (counting from 0 over the host's life), returning [`HostError::Crashed`]
/// and refusing all further calls, with any open transaction dropped
/// uncommitted — as if the process died there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    at: Option<u64>,
    passed: u64,
    dead: bool,
}

impl Faults {
    /// No faults.
    pub const fn none() -> Self {
        Self { at: None, passed: 0, dead: false }
    }

    /// A crash at fault point `k`.
    pub const fn crash_at(k: u64) -> Self {
        Self { at: Some(k), passed: 0, dead: false }
    }

    /// Fault points passed so far.
    pub const fn passed(self) -> u64 {
        self.passed
    }

    /// Passes a fault point: crashes if this is the one.
    fn point(&mut self, step: Step) -> Result<(), HostError> {
        let k = self.passed;
        self.passed = k.saturating_add(1);
        if self.at == Some(k) {
            self.dead = true;
            return Err(HostError::Crashed(step));
        }
        Ok(())
    }
}

/// The host's options.
#[derive(Debug, Clone, Copy)]
pub struct HostOptions {
    snapshot_every: u64,
    ledger: LedgerOptions,
    faults: Faults,
}

impl Default for HostOptions {
    fn default() -> Self {
        Self { snapshot_every: 1_000, ledger: LedgerOptions::new(), faults: Faults::none() }
    }
}

impl HostOptions {
    /// Write a snapshot every `n` journal rows (0: never).
    pub const fn snapshot_every(mut self, n: u64) -> Self {
        self.snapshot_every = n;
        self
    }

    /// Options of a ledger created from an empty database.
    pub const fn ledger(mut self, options: LedgerOptions) -> Self {
        self.ledger = options;
        self
    }

    /// Fault injection (tests).
    pub const fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }
}

/// What can go wrong in the host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The ledger refused the command; a remembered failure was persisted.
    #[error("rejected: {0}")]
    Rejected(Rejection),
    /// The order book refused the operation; nothing was written (and the
    /// request key stays unused).
    #[error("refused: {0}")]
    Refused(OrderError),
    /// A raw ledger command that would take a reservation away from the
    /// order book (or use the order module's entry ids): the book's holds
    /// would no longer match the ledger and recovery would refuse the
    /// database. Use the order operation instead.
    #[error("{reason}: use an order operation")]
    OrderOwned {
        /// Why.
        reason: &'static str,
    },
    /// A request key already committed with a different request.
    #[error("request key {key} was used for a different request")]
    KeyReused {
        /// The key.
        key: u64,
    },
    /// Compare-and-swap lost: the position changed since the caller read it.
    /// Reload (the host already has), decide again, retry.
    #[error("conflict at {node}/{sku}: expected version {expected}, found {actual}")]
    Conflict {
        /// The node.
        node: NodeId,
        /// The SKU.
        sku: Sku,
        /// The version the caller read.
        expected: u64,
        /// The version now.
        actual: u64,
    },
    /// An injected fault struck at this step; the host is dead, reopen it.
    #[error("crashed at {0:?}")]
    Crashed(Step),
    /// The database failed.
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored row does not deserialise.
    #[error("stored data: {0}")]
    Json(#[from] serde_json::Error),
    /// The stored journal does not replay: the database is not a journal of this ledger.
    #[error("recovery: {0}")]
    Recovery(LedgerError),
    /// The stored order journal does not rebuild a book, or the book's
    /// holds do not match the recovered ledger.
    #[error("order recovery: {0}")]
    BookRecovery(OrderError),
    /// A journal sequence number or counter overflowed.
    #[error("counter overflow")]
    Overflow,
}

/// A ledger persisted in one SQLite database file.
#[derive(Debug)]
pub struct Host {
    conn: Connection,
    ledger: Ledger,
    /// The last journal row applied to `ledger`.
    head: i64,
    /// The journal row of the latest snapshot.
    snapshot_seq: i64,
    /// The order book, as of order-journal row `order_head`.
    book: OrderBook,
    /// The last order-journal row applied to `book`.
    order_head: i64,
    /// The order-journal row of the latest book snapshot.
    book_snapshot_seq: i64,
    /// The last committed operation id (the `ops` table's largest).
    last_op: u64,
    options: HostOptions,
    faults: Faults,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY,
        entry TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS positions (
        node INTEGER NOT NULL,
        sku INTEGER NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (node, sku)
    );
    CREATE TABLE IF NOT EXISTS snapshots (
        seq INTEGER PRIMARY KEY,
        body TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS order_events (
        seq INTEGER PRIMARY KEY,
        op INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ops (
        op INTEGER PRIMARY KEY,
        key INTEGER NOT NULL UNIQUE,
        request TEXT NOT NULL,
        ledger_first INTEGER NOT NULL,
        ledger_last INTEGER NOT NULL,
        unfilled TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS book_snapshots (
        seq INTEGER PRIMARY KEY,
        body TEXT NOT NULL
    );
";

impl Host {
    /// Opens (creating if needed) the database at `path` and recovers the
    /// ledger from it: latest snapshot plus the journal tail.
    pub fn open(path: &Path, options: HostOptions) -> Result<Self, HostError> {
        Self::open_with_book(path, options, &OrderBook::default())
    }

    /// As [`Host::open`]; a database without an order book yet stores
    /// `initial` (network and policy, normally no orders) as its first book
    /// snapshot. A database that has one ignores `initial`: the stored book
    /// wins, so a restart needs no configuration.
    pub fn open_with_book(path: &Path, options: HostOptions, initial: &OrderBook) -> Result<Self, HostError> {
        let conn = Connection::open(path)?;
        // WAL: readers do not block the writer; the busy timeout makes a
        // second writer wait for the lock instead of failing at once.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        // One statement, so two processes opening at once store one book.
        conn.execute(
            "INSERT INTO book_snapshots (seq, body) SELECT 0, ?1
             WHERE NOT EXISTS (SELECT 1 FROM book_snapshots)",
            params![serde_json::to_string(initial)?],
        )?;
        let mut host = Self {
            conn,
            ledger: Ledger::with_options(options.ledger),
            head: 0,
            snapshot_seq: 0,
            book: OrderBook::default(),
            order_head: 0,
            book_snapshot_seq: 0,
            last_op: 0,
            options,
            faults: options.faults,
        };
        host.recover()?;
        Ok(host)
    }

    /// The in-memory ledger, as of the last journal row this host applied.
    pub const fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The last journal row applied.
    pub const fn head(&self) -> i64 {
        self.head
    }

    /// The journal row of the latest snapshot this host loaded or wrote.
    pub const fn snapshot_seq(&self) -> i64 {
        self.snapshot_seq
    }

    /// Fault points passed so far.
    pub const fn faults(&self) -> Faults {
        self.faults
    }

    /// Rebuilds the ledger and the order book from the database: the
    /// latest snapshot of each, then every journal row after it; then checks
    /// every hold of the book against the ledger.
    pub fn recover(&mut self) -> Result<(), HostError> {
        self.recover_ledger()?;
        self.recover_book()?;
        self.book.check_against(&self.ledger).map_err(HostError::BookRecovery)
    }

    fn recover_ledger(&mut self) -> Result<(), HostError> {
        let snap: Option<(i64, String)> = self
            .conn
            .query_row("SELECT seq, body FROM snapshots ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (seq, ledger) = match snap {
            Some((seq, body)) => (seq, serde_json::from_str::<Ledger>(&body)?),
            None => (0, Ledger::with_options(self.options.ledger)),
        };
        self.ledger = ledger;
        self.head = seq;
        self.snapshot_seq = seq;
        Self::catch_up(&self.conn, &mut self.ledger, &mut self.head)
    }

    /// Applies the journal rows other writers committed since this host's
    /// head. Returns how many it applied.
    pub fn refresh(&mut self) -> Result<usize, HostError> {
        self.alive()?;
        let before = self.head;
        Self::catch_up(&self.conn, &mut self.ledger, &mut self.head)?;
        Self::catch_up_book(&self.conn, &mut self.book, &mut self.order_head)?;
        self.last_op = Self::max_op(&self.conn)?;
        Ok(usize::try_from(self.head.saturating_sub(before)).unwrap_or(usize::MAX))
    }

    fn catch_up(conn: &Connection, ledger: &mut Ledger, head: &mut i64) -> Result<(), HostError> {
        let mut stmt = conn.prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = stmt.query(params![*head])?;
        let mut events = Vec::new();
        let mut last = *head;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let body: String = row.get(1)?;
            if seq != last.checked_add(1).ok_or(HostError::Overflow)? {
                return Err(HostError::Recovery(LedgerError::InvariantBroken {
                    detail: format!("journal gap before row {seq}"),
                }));
            }
            events.push(serde_json::from_str::<Event>(&body)?);
            last = seq;
        }
        ledger.apply_events(&events).map_err(HostError::Recovery)?;
        *head = last;
        Ok(())
    }

    /// Applies `cmd` at `now` and persists its event in one transaction.
    ///
    /// A retry with the same entry id after a crash returns
    /// `Outcome::AlreadyApplied` (if the first attempt committed) and writes
    /// nothing, or applies the command (if it did not).
    pub fn submit(&mut self, cmd: &Command, now: Timestamp) -> Result<Outcome, HostError> {
        self.write(cmd, now, None)
    }

    /// As [`Host::submit`], but only if position (node, SKU) is still at
    /// version `expected`: [`HostError::Conflict`] otherwise, after which the
    /// host holds the latest state (the caller reads it and decides again).
    pub fn submit_if_version(
        &mut self,
        cmd: &Command,
        now: Timestamp,
        node: NodeId,
        sku: Sku,
        expected: u64,
    ) -> Result<Outcome, HostError> {
        self.write(cmd, now, Some((node, sku, expected)))
    }

    fn alive(&self) -> Result<(), HostError> {
        if self.faults.dead { Err(HostError::Crashed(Step::BeforeTransaction)) } else { Ok(()) }
    }

    fn write(
        &mut self,
        cmd: &Command,
        now: Timestamp,
        cas: Option<(NodeId, Sku, u64)>,
    ) -> Result<Outcome, HostError> {
        self.alive()?;
        self.faults.point(Step::BeforeTransaction)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Under the write lock: see every committed row before deciding.
        Self::catch_up(&tx, &mut self.ledger, &mut self.head)?;
        Self::catch_up_book(&tx, &mut self.book, &mut self.order_head)?;
        orders::guard_ledger_command(&self.book, cmd, now)?;
        let applied = match cas {
            Some((node, sku, v)) => self.ledger.apply_if_version(cmd, now, node, sku, v),
            None => self.ledger.apply(cmd, now),
        };
        let (event, result) = match applied {
            Ok(Outcome::Applied(ev)) => (ev.clone(), Ok(Outcome::Applied(ev))),
            // Nothing new: nothing to write (the transaction rolls back on drop).
            Ok(done) => return Ok(done),
            Err(Rejection {
                error: LedgerError::VersionMismatch { node, sku, expected, actual }, ..
            }) => {
                return Err(HostError::Conflict { node, sku, expected, actual });
            }
            Err(Rejection { error, record: Some(ev) }) => {
                let rejection = Rejection { error, record: Some(ev.clone()) };
                (*ev, Err(HostError::Rejected(rejection)))
            }
            Err(r) => return Err(HostError::Rejected(r)),
        };
        // The in-memory ledger is now ahead of the database until commit.
        // Any failure from here on leaves it so: reload from the database
        // before reporting, so the host never serves uncommitted state.
        match Self::persist(tx, &self.ledger, &mut self.head, &mut self.faults, &event) {
            Ok(()) => {}
            Err(e) => {
                if !self.faults.dead {
                    self.recover()?;
                }
                return Err(e);
            }
        }
        self.faults.point(Step::Committed)?;
        self.maybe_snapshot()?;
        result
    }

    fn persist(
        tx: Transaction<'_>,
        ledger: &Ledger,
        head: &mut i64,
        faults: &mut Faults,
        event: &Event,
    ) -> Result<(), HostError> {
        let seq = head.checked_add(1).ok_or(HostError::Overflow)?;
        tx.execute(
            "INSERT INTO events (seq, entry, body) VALUES (?1, ?2, ?3)",
            params![seq, event.entry.get().to_string(), serde_json::to_string(event)?],
        )?;
        faults.point(Step::EventWritten)?;
        for (node, sku) in touched(ledger, event) {
            let p = ledger.position(node, sku).map_err(HostError::Recovery)?;
            let version = i64::try_from(p.version).map_err(|_| HostError::Overflow)?;
            // Versions only grow: a stale writer cannot overwrite a newer row.
            tx.execute(
                "INSERT INTO positions (node, sku, version, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (node, sku) DO UPDATE SET version = excluded.version, body = excluded.body
                 WHERE positions.version < excluded.version",
                params![node.get(), sku.get(), version, serde_json::to_string(&p)?],
            )?;
        }
        faults.point(Step::PositionsWritten)?;
        tx.commit()?;
        *head = seq;
        Ok(())
    }

    fn maybe_snapshot(&mut self) -> Result<(), HostError> {
        let every = i64::try_from(self.options.snapshot_every).map_err(|_| HostError::Overflow)?;
        if every > 0
            && (self.head.saturating_sub(self.snapshot_seq) >= every
                || self.order_head.saturating_sub(self.book_snapshot_seq) >= every)
        {
            self.snapshot()?;
        }
        Ok(())
    }

    /// Writes a snapshot of the ledger at the current head and one of the
    /// order book at the current order head, in one transaction, and drops
    /// all but the previous ones (kept in case the newest is damaged). The
    /// journals are kept whole as the audit trail.
    pub fn snapshot(&mut self) -> Result<(), HostError> {
        self.alive()?;
        let body = serde_json::to_string(&self.ledger)?;
        let book = serde_json::to_string(&self.book)?;
        let tx = self.conn.transaction()?;
        tx.execute("INSERT OR REPLACE INTO snapshots (seq, body) VALUES (?1, ?2)", params![self.head, body])?;
        tx.execute("DELETE FROM snapshots WHERE seq < ?1", params![self.snapshot_seq])?;
        tx.execute(
            "INSERT OR REPLACE INTO book_snapshots (seq, body) VALUES (?1, ?2)",
            params![self.order_head, book],
        )?;
        tx.execute("DELETE FROM book_snapshots WHERE seq < ?1", params![self.book_snapshot_seq])?;
        self.faults.point(Step::Snapshot)?;
        tx.commit()?;
        self.snapshot_seq = self.head;
        self.book_snapshot_seq = self.order_head;
        Ok(())
    }

    /// Every committed journal event, in order.
    pub fn journal(&self) -> Result<Vec<Event>, HostError> {
        let mut stmt = self.conn.prepare("SELECT body FROM events ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }

    /// Checks the positions table against the in-memory ledger: same rows,
    /// same buckets, same versions. Returns the number of rows.
    pub fn verify_positions(&self) -> Result<usize, HostError> {
        let mut stmt =
            self.conn.prepare("SELECT node, sku, version, body FROM positions ORDER BY sku, node")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut n = 0_usize;
        for row in rows {
            let (node, sku, version, body) = row?;
            let live = self.ledger.position(NodeId::new(node), Sku::new(sku)).map_err(HostError::Recovery)?;
            let stored: omniroute::ledger::Position = serde_json::from_str(&body)?;
            if stored != live || u64::try_from(version).ok() != Some(live.version) {
                return Err(HostError::Recovery(LedgerError::InvariantBroken {
                    detail: format!("position row {node}/{sku} differs from the ledger"),
                }));
            }
            n = n.saturating_add(1);
        }
        if n != self.ledger.positions().count() {
            return Err(HostError::Recovery(LedgerError::InvariantBroken {
                detail: "positions table misses a touched position".to_owned(),
            }));
        }
        Ok(n)
    }
}

/// The positions whose buckets an event changed.
fn touched(ledger: &Ledger, event: &Event) -> Vec<(NodeId, Sku)> {
    match &event.kind {
        EventKind::Registered { .. } | EventKind::BackorderSet { .. } | EventKind::Rejected { .. } => {
            Vec::new()
        }
        EventKind::InboundExpected { node, sku, .. }
        | EventKind::Received { node, sku, .. }
        | EventKind::Adjusted { node, sku, .. }
        | EventKind::Counted { node, sku, .. }
        | EventKind::Moved { node, sku, .. }
        | EventKind::TransferredIn { node, sku, .. }
        | EventKind::InboundClosed { node, sku, .. }
        | EventKind::Reserved { node, sku, .. }
        | EventKind::Committed { node, sku, .. }
        | EventKind::Released { node, sku, .. }
        | EventKind::Shipped { node, sku, .. }
        | EventKind::Deallocated { node, sku, .. }
        | EventKind::ReturnReceived { node, sku, .. } => vec![(*node, *sku)],
        EventKind::TransferredOut { node, to, sku, .. } => vec![(*node, *sku), (*to, *sku)],
        EventKind::Expired { holds } => {
            let mut v: Vec<_> = holds.iter().map(|h| (h.node, h.sku)).collect();
            v.sort_unstable_by_key(|&(n, s)| (s.get(), n.get()));
            v.dedup();
            v
        }
        // A kind added later: write every touched position (rows whose
        // version did not change are left alone by the upsert's guard).
        _ => ledger.positions().collect(),
    }
}
