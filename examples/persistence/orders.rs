//! Order operations on the persisted host: one SQLite transaction per
//! operation holds its ledger event rows, the new position rows, its order
//! event rows and its `ops` row.
//!
//! # Operation ids and retries
//!
//! The book refuses an [`OpId`] that is not greater than the last one
//! (`OrderBook::check_op`), and ledger entry ids are derived from the op id.
//! So the op id cannot be the caller's retry key: after a crash the caller
//! does not know whether its operation committed, and several writers share
//! one book. Instead the caller names each request with its own key (a
//! checkout id, a message id), and the host, **under the write lock**,
//!
//! 1. catches up with the rows other writers committed (ledger and book);
//! 2. looks the key up in `ops`: if it is there the request committed
//!    before, and the host returns [`OrderOutcome::AlreadyApplied`] with the
//!    stored events, writing nothing (a different request under a used key
//!    is [`HostError::KeyReused`]);
//! 3. otherwise takes the next op id (the largest in `ops` plus one), runs
//!    the operation on the in-memory book and ledger, and writes everything
//!    in the same transaction.
//!
//! A crash before commit leaves no row and no op id used, so the retry runs
//! the operation afresh (with the same op id, as it happens, if nobody else
//! wrote in between); a crash after commit leaves the `ops` row, so the retry
//! is recognised as done. A refused operation writes nothing and does not
//! use its key: the book and the ledger are unchanged by a refusal, so
//! nothing needs remembering, and a retry is judged on the state it finds.

use std::collections::BTreeMap;

use omniroute::ledger::{Event, Ledger};
use omniroute::order::{Applied, OpId, OrderBook, OrderError, OrderEvent, OrderSpec, Unfilled};
use omniroute::{Command, CommandKind, EntryId, LineId, NodeId, OrderId, Qty, Sku, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Host, HostError, Step, touched};

/// An order operation, as the host receives it and stores it in `ops`.
///
/// The host builds the availability view of routing operations from its
/// ledger (every position's available units), so a view is never stale
/// under the write lock.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderOp {
    /// [`OrderBook::place`].
    Place(OrderSpec),
    /// [`OrderBook::release`] (every node, or one).
    Release {
        /// The order.
        order: OrderId,
        /// Only this node's holds.
        node: Option<NodeId>,
    },
    /// [`OrderBook::ship`].
    Ship {
        /// The order.
        order: OrderId,
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// [`OrderBook::cancel`].
    Cancel {
        /// The order.
        order: OrderId,
    },
    /// [`OrderBook::cancel_line`].
    CancelLine {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// [`OrderBook::cancel_allocated`].
    CancelAllocated {
        /// The order.
        order: OrderId,
        /// The node.
        node: NodeId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
    /// [`OrderBook::reject`]: the node rejects the order, which is re-sourced.
    Reject {
        /// The order.
        order: OrderId,
        /// The node.
        node: NodeId,
    },
    /// [`OrderBook::expire_holds`]: cancels orders whose checkout hold
    /// lapsed (run it before the ledger's `ExpireDue`).
    ExpireHolds,
    /// [`OrderBook::record_return`].
    RecordReturn {
        /// The order.
        order: OrderId,
        /// The line.
        line: LineId,
        /// Units.
        qty: Qty,
    },
}

impl OrderOp {
    /// Runs the operation as op `op` on `book` and `ledger`.
    ///
    /// # Errors
    ///
    /// The operation's [`OrderError`]; the book and the ledger are then
    /// unchanged.
    pub fn run(
        &self,
        book: &mut OrderBook,
        ledger: &mut Ledger,
        op: OpId,
        now: Timestamp,
    ) -> Result<Applied, OrderError> {
        match self {
            Self::Place(spec) => {
                let view = availability(ledger);
                book.place(ledger, &view, op, now, spec.clone())
            }
            Self::Release { order, node } => book.release(ledger, op, now, *order, *node),
            Self::Ship { order, node, line, qty } => book.ship(ledger, op, now, *order, *node, *line, *qty),
            Self::Cancel { order } => book.cancel(ledger, op, now, *order),
            Self::CancelLine { order, line, qty } => book.cancel_line(ledger, op, now, *order, *line, *qty),
            Self::CancelAllocated { order, node, line, qty } => {
                book.cancel_allocated(ledger, op, now, *order, *node, *line, *qty)
            }
            Self::Reject { order, node } => {
                let view = availability(ledger);
                book.reject(ledger, &view, op, now, *order, *node)
            }
            Self::ExpireHolds => book.expire_holds(ledger, op, now),
            Self::RecordReturn { order, line, qty } => {
                book.record_return(ledger, op, now, *order, *line, *qty)
            }
        }
    }
}

/// Every stocked position's available units: the ledger as its own
/// availability view.
pub fn availability(ledger: &Ledger) -> BTreeMap<(NodeId, Sku), Qty> {
    ledger
        .positions()
        .filter_map(|(n, s)| ledger.position(n, s).ok().map(|p| ((n, s), p.available())))
        .collect()
}

/// What one committed order operation wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct OpRecord {
    /// The op id the host gave it.
    pub op: OpId,
    /// Its order events.
    pub events: Vec<OrderEvent>,
    /// Its ledger events, in order.
    pub ledger_events: Vec<Event>,
    /// Units it left open.
    pub unfilled: Vec<Unfilled>,
}

impl OpRecord {
    /// The record of an operation the book just applied as `op`.
    pub fn new(op: OpId, applied: Applied) -> Self {
        Self { op, events: applied.events, ledger_events: applied.ledger_events, unfilled: applied.unfilled }
    }
}

/// The outcome of [`Host::order`].
#[derive(Debug, Clone, PartialEq)]
pub enum OrderOutcome {
    /// Applied now and committed.
    Applied(OpRecord),
    /// The request key had committed before: the original record, nothing
    /// written.
    AlreadyApplied(OpRecord),
}

impl OrderOutcome {
    /// The record, either way.
    pub fn record(&self) -> &OpRecord {
        match self {
            Self::Applied(r) | Self::AlreadyApplied(r) => r,
        }
    }

    /// Whether the operation was applied by this call.
    pub const fn is_new(&self) -> bool {
        matches!(self, Self::Applied(_))
    }
}

/// Refuses a raw ledger command that would leave the book holding a
/// reservation the ledger no longer has — recovery checks
/// `OrderBook::check_against` and would then refuse the database. Order
/// holds are changed through order operations; lapsed checkout holds
/// through `OrderBook::expire_holds` before any `ExpireDue`.
///
/// This guards the holds, which recovery checks; it cannot tell a raw
/// `Ship` of allocated units from one the book knows about, so hosts keep
/// such commands on the order path by convention.
pub(super) fn guard_ledger_command(book: &OrderBook, cmd: &Command, now: Timestamp) -> Result<(), HostError> {
    let tagged = |e: EntryId| e.get() >> 120 == OpId::ENTRY_TAG >> 120;
    if tagged(cmd.entry) {
        return Err(HostError::OrderOwned { reason: "entry ids with the order tag are the order book's" });
    }
    match &cmd.kind {
        CommandKind::Commit { reservation, .. } | CommandKind::Release { reservation }
            if tagged(*reservation) =>
        {
            Err(HostError::OrderOwned { reason: "the reservation is an order's hold" })
        }
        CommandKind::ExpireDue
            if book.orders().any(|o| {
                o.lines.iter().any(|l| l.holds.iter().any(|h| h.expires_at.is_some_and(|e| e <= now)))
            }) =>
        {
            Err(HostError::OrderOwned { reason: "an order's checkout hold has lapsed; expire it first" })
        }
        _ => Ok(()),
    }
}

fn sql_int(n: u64) -> Result<i64, HostError> {
    i64::try_from(n).map_err(|_| HostError::Overflow)
}

impl Host {
    /// The in-memory order book, as of the last order-journal row applied.
    pub const fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The last order-journal row applied.
    pub const fn order_head(&self) -> i64 {
        self.order_head
    }

    /// The order-journal row of the latest book snapshot loaded or written.
    pub const fn book_snapshot_seq(&self) -> i64 {
        self.book_snapshot_seq
    }

    /// The last committed op id (0: none yet).
    pub const fn last_op(&self) -> u64 {
        self.last_op
    }

    /// Applies order operation `request`, named by the caller's request
    /// `key`, at `now`, and persists it in one transaction (see the module
    /// docs for the retry rules).
    pub fn order(&mut self, key: u64, now: Timestamp, request: &OrderOp) -> Result<OrderOutcome, HostError> {
        self.order_write(key, now, request, &[])
    }

    /// As [`Host::order`], but only if every listed position (node, SKU)
    /// is still at the version the caller read when it decided:
    /// [`HostError::Conflict`] for the first that moved on, nothing written,
    /// and the host then holds the latest state to decide again.
    pub fn order_if_versions(
        &mut self,
        key: u64,
        now: Timestamp,
        request: &OrderOp,
        expected: &[(NodeId, Sku, u64)],
    ) -> Result<OrderOutcome, HostError> {
        self.order_write(key, now, request, expected)
    }

    fn order_write(
        &mut self,
        key: u64,
        now: Timestamp,
        request: &OrderOp,
        expected: &[(NodeId, Sku, u64)],
    ) -> Result<OrderOutcome, HostError> {
        self.alive()?;
        self.faults.point(Step::BeforeTransaction)?;
        let body = serde_json::to_string(request)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Under the write lock: every committed row, then the key.
        Self::catch_up(&tx, &mut self.ledger, &mut self.head)?;
        Self::catch_up_book(&tx, &mut self.book, &mut self.order_head)?;
        self.last_op = Self::max_op(&tx)?;
        if let Some((stored, record)) = Self::load_op(&tx, key)? {
            if stored != body {
                return Err(HostError::KeyReused { key });
            }
            return Ok(OrderOutcome::AlreadyApplied(record));
        }
        for &(node, sku, v) in expected {
            let actual = self.ledger.position(node, sku).map_err(HostError::Recovery)?.version;
            if actual != v {
                return Err(HostError::Conflict { node, sku, expected: v, actual });
            }
        }
        let op = OpId::new(self.last_op.checked_add(1).ok_or(HostError::Overflow)?);
        // A refusal changes neither the book nor the ledger; the transaction
        // rolls back on drop with nothing written.
        let applied = request.run(&mut self.book, &mut self.ledger, op, now).map_err(HostError::Refused)?;
        let record = OpRecord::new(op, applied);
        // The in-memory state is now ahead of the database until commit: on
        // any failure reload it, so the host never serves uncommitted state.
        let rows = Rows { key, request: &body, record: &record };
        match persist_op(tx, &self.ledger, &mut self.faults, (self.head, self.order_head), &rows) {
            Ok((head, order_head)) => {
                self.head = head;
                self.order_head = order_head;
                self.last_op = op.get();
            }
            Err(e) => {
                if !self.faults.dead {
                    self.recover()?;
                }
                return Err(e);
            }
        }
        self.faults.point(Step::Committed)?;
        self.maybe_snapshot()?;
        Ok(OrderOutcome::Applied(record))
    }

    pub(super) fn recover_book(&mut self) -> Result<(), HostError> {
        let snap: Option<(i64, String)> = self
            .conn
            .query_row("SELECT seq, body FROM book_snapshots ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (seq, book) = match snap {
            // Deserialisation re-checks the book's invariants.
            Some((seq, body)) => (seq, serde_json::from_str::<OrderBook>(&body)?),
            None => (0, OrderBook::default()),
        };
        self.book = book;
        self.order_head = seq;
        self.book_snapshot_seq = seq;
        Self::catch_up_book(&self.conn, &mut self.book, &mut self.order_head)?;
        self.last_op = Self::max_op(&self.conn)?;
        Ok(())
    }

    pub(super) fn catch_up_book(
        conn: &Connection,
        book: &mut OrderBook,
        head: &mut i64,
    ) -> Result<(), HostError> {
        let mut stmt =
            conn.prepare_cached("SELECT seq, body FROM order_events WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = stmt.query(params![*head])?;
        let mut events = Vec::new();
        let mut last = *head;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            if seq != last.checked_add(1).ok_or(HostError::Overflow)? {
                return Err(HostError::BookRecovery(OrderError::InvariantBroken {
                    what: "gap in the order journal",
                }));
            }
            events.push(serde_json::from_str::<OrderEvent>(&row.get::<_, String>(1)?)?);
            last = seq;
        }
        book.apply_events(&events).map_err(HostError::BookRecovery)?;
        *head = last;
        Ok(())
    }

    pub(super) fn max_op(conn: &Connection) -> Result<u64, HostError> {
        let max: i64 = conn.query_row("SELECT coalesce(max(op), 0) FROM ops", [], |r| r.get(0))?;
        u64::try_from(max).map_err(|_| HostError::Overflow)
    }

    /// The stored request and record of request `key`, if it committed.
    fn load_op(conn: &Connection, key: u64) -> Result<Option<(String, OpRecord)>, HostError> {
        let row: Option<(i64, String, i64, i64, String)> = conn
            .query_row(
                "SELECT op, request, ledger_first, ledger_last, unfilled FROM ops WHERE key = ?1",
                params![sql_int(key)?],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((op, request, first, last, unfilled)) = row else {
            return Ok(None);
        };
        let mut events = Vec::new();
        let mut stmt = conn.prepare_cached("SELECT body FROM order_events WHERE op = ?1 ORDER BY seq")?;
        for body in stmt.query_map(params![op], |r| r.get::<_, String>(0))? {
            events.push(serde_json::from_str(&body?)?);
        }
        let mut ledger_events = Vec::new();
        let mut stmt =
            conn.prepare_cached("SELECT body FROM events WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq")?;
        for body in stmt.query_map(params![first, last], |r| r.get::<_, String>(0))? {
            ledger_events.push(serde_json::from_str(&body?)?);
        }
        let op = OpId::new(u64::try_from(op).map_err(|_| HostError::Overflow)?);
        let record = OpRecord { op, events, ledger_events, unfilled: serde_json::from_str(&unfilled)? };
        Ok(Some((request, record)))
    }

    /// Every committed order event, in order.
    pub fn order_journal(&self) -> Result<Vec<OrderEvent>, HostError> {
        let mut stmt = self.conn.prepare("SELECT body FROM order_events ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(serde_json::from_str(&body?)?);
        }
        Ok(out)
    }
}

/// What one operation writes besides its ledger rows.
struct Rows<'a> {
    key: u64,
    request: &'a str,
    record: &'a OpRecord,
}

/// Writes an applied operation's rows and commits: ledger events, position
/// rows, order events, the `ops` row. Returns the new (ledger, order) heads.
fn persist_op(
    tx: Transaction<'_>,
    ledger: &Ledger,
    faults: &mut super::Faults,
    (head, order_head): (i64, i64),
    rows: &Rows<'_>,
) -> Result<(i64, i64), HostError> {
    let first = head.checked_add(1).ok_or(HostError::Overflow)?;
    let mut seq = head;
    let mut touched_all = Vec::new();
    for event in &rows.record.ledger_events {
        seq = seq.checked_add(1).ok_or(HostError::Overflow)?;
        tx.execute(
            "INSERT INTO events (seq, entry, body) VALUES (?1, ?2, ?3)",
            params![seq, event.entry.get().to_string(), serde_json::to_string(event)?],
        )?;
        touched_all.extend(touched(ledger, event));
    }
    faults.point(Step::EventWritten)?;
    touched_all.sort_unstable_by_key(|&(n, s)| (s.get(), n.get()));
    touched_all.dedup();
    for (node, sku) in touched_all {
        let p = ledger.position(node, sku).map_err(HostError::Recovery)?;
        tx.execute(
            "INSERT INTO positions (node, sku, version, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (node, sku) DO UPDATE SET version = excluded.version, body = excluded.body
             WHERE positions.version < excluded.version",
            params![node.get(), sku.get(), sql_int(p.version)?, serde_json::to_string(&p)?],
        )?;
    }
    faults.point(Step::PositionsWritten)?;
    let op = sql_int(rows.record.op.get())?;
    let mut order_seq = order_head;
    for e in &rows.record.events {
        order_seq = order_seq.checked_add(1).ok_or(HostError::Overflow)?;
        tx.execute(
            "INSERT INTO order_events (seq, op, body) VALUES (?1, ?2, ?3)",
            params![order_seq, op, serde_json::to_string(e)?],
        )?;
    }
    tx.execute(
        "INSERT INTO ops (op, key, request, ledger_first, ledger_last, unfilled) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![op, sql_int(rows.key)?, rows.request, first, seq, serde_json::to_string(&rows.record.unfilled)?],
    )?;
    faults.point(Step::OrderWritten)?;
    tx.commit()?;
    Ok((seq, order_seq))
}
