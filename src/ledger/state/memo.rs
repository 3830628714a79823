//! The idempotency table: what the ledger remembers per entry id.
//!
//! One compact 48-byte record per entry id, in the order the ids were first
//! seen (the event log order), plus an open-addressing index over them.
//!
//! - **Records.** The common events — receive (without a receipt), reserve,
//!   commit, release, ship, deallocate, return receipt, expected inbound —
//!   are stored as (entry id, at, two numbers, node, SKU, kind tag,
//!   resolution) and rebuilt into the [`Event`] on demand. A commit or
//!   release stores the *record index* of its reservation instead of the
//!   reservation's 128-bit id (the reservation is always remembered
//!   earlier in the same table, and records never move), and a commit's
//!   `released` is the reservation's quantity minus the committed one. Every
//!   other event (and any event whose fields do not fit, e.g. a commit whose
//!   `released` disagrees with its reservation in a hand-made snapshot) is
//!   kept whole in a side list, so a rebuilt event is always the event that
//!   was stored, field for field.
//! - **Index.** Linear probing over `u64` slots, each holding a 16-bit tag
//!   and the record index + 1 (0 = empty), at most 3/4 full. The slots come
//!   in 64-byte lines of eight, and ids are placed by *group*: the eight ids
//!   that differ only in their low three bits share a group, whose line is
//!   chosen by the seeded hash of the id with those bits cleared
//!   ([`IdHashBuilder`]); an id's home slot is the slot of its low three
//!   bits within that line. Hosts
//!   often number entries from a sequence, and then eight consecutive ids
//!   share one cache line of the index instead of touching eight random
//!   ones; random ids (UUIDs) are spread exactly as by a plain hash. The
//!   hash is seeded per ledger, so a caller cannot choose colliding groups,
//!   and a group holds at most eight ids by construction. The tag is the
//!   top 16 bits of the group's hash with the id's low three bits mixed in,
//!   so the ids of one group never share a tag. The slots' order never
//!   reaches an output (records are read in insertion order). Removal
//!   (rolling back a batch) only ever takes the newest record and uses
//!   backward-shift deletion (with the same home slots), so no tombstones
//!   build up; removing the newest record restores the slots exactly.
//!
//!   With sequential ids, whole groups collide, so probe runs are longer in
//!   slots than with random ids (about 10 slots over 2 lines at half load,
//!   against 2 slots over 1.1 lines) but each line is shared by the group's
//!   eight ids: fewer cache misses per id at the cost of more compares.

use crate::ledger::hash::IdHashBuilder;
use crate::ledger::{Event, EventKind, Hold, Resolution};
use crate::model::{EntryId, NodeId, Qty, Sku, Timestamp};

/// An empty index slot.
const EMPTY: u64 = 0;
/// The low 48 bits of a slot: record index + 1.
const INDEX_MASK: u64 = 0x0000_FFFF_FFFF_FFFF;
/// Ids per group and slots per line.
const GROUP: usize = 8;
/// A cache line.
const LINE_BYTES: usize = 64;
/// Where the id's low bits go in its tag (the tag's lowest bits).
const TAG_SHIFT: u32 = 48;

/// The index slots: a power of two of them (or none).
///
/// Groups must fall on 64-byte cache lines, but the allocator aligns the
/// vector only to 16 bytes. So the slots stay where they are and the homes
/// move instead: `shift` (0–7) is the first slot at a 64-byte boundary, and
/// every home is offset by it (see [`key`]), so each group's eight slots
/// are one cache line and the probe loops pay nothing for the alignment. A
/// clone, whose vector lands elsewhere, copies the slots rotated by the
/// difference of the two shifts — linear probing only depends on positions
/// relative to the homes, so the rotated table is the same table.
#[derive(Default)]
struct Slots {
    raw: Vec<u64>,
    shift: usize,
}

impl Slots {
    /// `n` empty slots (`n` a power of two, at least [`GROUP`]).
    fn new(n: usize) -> Self {
        let raw = vec![EMPTY; n];
        // `align_offset` may decline (usize::MAX); then stay unaligned.
        let shift = raw.as_ptr().align_offset(LINE_BYTES);
        Self { raw, shift: if shift < GROUP { shift } else { 0 } }
    }

    #[inline]
    fn len(&self) -> usize {
        self.raw.len()
    }

    /// Slot `pos` modulo `len()` (a power of two), for the probe loops.
    #[inline]
    fn at(&self, pos: usize) -> Option<u64> {
        self.raw.get(pos & self.raw.len().wrapping_sub(1)).copied()
    }

    /// As [`Slots::at`], to change.
    #[inline]
    fn at_mut(&mut self, pos: usize) -> Option<&mut u64> {
        let mask = self.raw.len().wrapping_sub(1);
        self.raw.get_mut(pos & mask)
    }

    /// Slot `pos` (`pos < len()`, else `None`).
    #[inline]
    fn get(&self, pos: usize) -> Option<u64> {
        self.raw.get(pos).copied()
    }

    #[inline]
    fn get_mut(&mut self, pos: usize) -> Option<&mut u64> {
        self.raw.get_mut(pos)
    }

    /// Sets slot `pos` to record `index` with tag `tag`.
    #[inline]
    fn set(&mut self, pos: usize, tag: u64, index: usize) {
        if let Some(s) = self.get_mut(pos) {
            *s = tag | ((index as u64).wrapping_add(1) & INDEX_MASK);
        }
    }

    /// The slots from the first one at a line boundary on, cyclically: the
    /// same sequence for a table and its clones.
    fn logical(&self) -> impl Iterator<Item = u64> + '_ {
        let (tail, head) = self.raw.split_at(self.shift.min(self.raw.len()));
        head.iter().chain(tail).copied()
    }

    /// The slots themselves (physical order).
    #[cfg(test)]
    fn view(&self) -> &[u64] {
        &self.raw
    }

    /// Every slot, in physical order.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.raw.iter().copied()
    }

    /// The cache line (counted from the first aligned slot) of slot `pos`.
    #[cfg(test)]
    fn line_of(&self, pos: usize) -> usize {
        (pos.wrapping_sub(self.shift) & self.raw.len().wrapping_sub(1)) / GROUP
    }
}

impl Clone for Slots {
    fn clone(&self) -> Self {
        let mut c = Self::new(self.len());
        // Slot p of `self` is slot p + (c.shift - self.shift) of the clone.
        let mask = self.len().wrapping_sub(1);
        let d = c.shift.wrapping_sub(self.shift) & mask;
        for (p, s) in self.raw.iter().enumerate() {
            if let Some(t) = c.raw.get_mut(p.wrapping_add(d) & mask) {
                *t = *s;
            }
        }
        c
    }
}

/// The slots from the first aligned one on (so a clone prints the same).
impl core::fmt::Debug for Slots {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.logical()).finish()
    }
}

/// Where an id lives in the index: the unmasked home slot and the tag
/// (already in the slot's top 16 bits); see the module docs.
#[derive(Debug, Clone, Copy)]
struct Key {
    home: usize,
    tag: u64,
}

/// The most records the index can address (2^48 − 2; at 48 bytes a record
/// that is 13.5 PB, so memory runs out long before).
const MAX_RECORDS: usize = 0x0000_FFFF_FFFF_FFFE;

/// What a record holds; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    /// `Received` without a receipt: `a` = qty.
    Received,
    /// `Reserved` without expiry: `a` = qty.
    Reserved,
    /// `Reserved` with expiry: `a` = qty, `b` = expiry (ms bits).
    ReservedUntil,
    /// `Committed`: `a` = qty, `b` = the reservation's record index.
    Committed,
    /// `Released`: `a` = qty, `b` = the reservation's record index.
    Released,
    /// `Shipped`: `a` = qty.
    Shipped,
    /// `Deallocated`: `a` = qty.
    Deallocated,
    /// `ReturnReceived`: `a` = qty.
    ReturnReceived,
    /// `InboundExpected`: `a` = qty, `b` = ETA (ms bits).
    InboundExpected,
    /// Any other event: `a` = its index in the side list.
    Extra,
}

/// One remembered entry id: 48 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rec {
    id: EntryId,
    at: i64,
    a: u64,
    b: u64,
    sku: u32,
    node: u16,
    tag: Tag,
    resolution: Option<Resolution>,
}

const fn ms_bits(t: Timestamp) -> u64 {
    u64::from_ne_bytes(t.as_unix_ms().to_ne_bytes())
}

const fn bits_ms(b: u64) -> Timestamp {
    Timestamp::from_unix_ms(i64::from_ne_bytes(b.to_ne_bytes()))
}

/// The idempotency table; see the module docs.
#[derive(Default)]
pub(super) struct Memos {
    records: Vec<Rec>,
    extra: Vec<EventKind>,
    /// Empty, or a power of two long (at least one line).
    slots: Slots,
    /// Re-index when the record count reaches this (3/4 of the slots).
    grow_at: usize,
    /// The reservation most recently resolved (id, record index): a commit
    /// or release stores its reservation's index without a second lookup.
    /// Checked against the record before use, so it can never mislead.
    recent: Option<(EntryId, usize)>,
    /// Where the last [`Memos::find_for_push`] of an unknown id ended: (id,
    /// empty slot, tag). Valid only until the slots change otherwise, so
    /// growing and popping clear it, and `push` checks the slot is still
    /// empty (a slot before it in the id's run cannot have emptied: only
    /// `pop` empties slots). Not state, like `recent`.
    vacant: Option<(EntryId, usize, u64)>,
    hasher: IdHashBuilder,
}

/// A clone's slots may be rotated (see [`Slots`]), so the `vacant` slot of
/// the original would point elsewhere: the clone starts without one.
impl Clone for Memos {
    fn clone(&self) -> Self {
        Self {
            records: self.records.clone(),
            extra: self.extra.clone(),
            slots: self.slots.clone(),
            grow_at: self.grow_at,
            recent: self.recent,
            vacant: None,
            hasher: self.hasher,
        }
    }
}

/// Everything but the `recent` and `vacant` lookup caches, which are not state: a batch
/// rolled back leaves the same `Debug` output as before it.
impl core::fmt::Debug for Memos {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Memos")
            .field("records", &self.records)
            .field("extra", &self.extra)
            .field("slots", &self.slots)
            .field("grow_at", &self.grow_at)
            .finish_non_exhaustive()
    }
}

/// The index key of `id` under `hasher`; see the module docs.
#[inline]
fn key(hasher: IdHashBuilder, shift: usize, id: EntryId) -> Key {
    let v = id.get();
    // The group's ids differ only in the low bits, so this is the group.
    let h = hasher.hash_u128(v & !((GROUP - 1) as u128));
    let low = (v as usize) & (GROUP - 1);
    Key {
        home: (((h as usize) & !(GROUP - 1)) | low).wrapping_add(shift),
        tag: (h ^ (low as u64).wrapping_shl(TAG_SHIFT)) & !INDEX_MASK,
    }
}

/// Puts record `index` (key `k`) into the first free slot of its probe run.
#[inline]
fn place(slots: &mut Slots, k: Key, index: usize) {
    let n = slots.len();
    let mask = n.wrapping_sub(1);
    let mut pos = k.home & mask;
    for _ in 0..n {
        if let Some(s) = slots.at_mut(pos) {
            if *s == EMPTY {
                *s = k.tag | ((index as u64).wrapping_add(1) & INDEX_MASK);
                return;
            }
        }
        pos = pos.wrapping_add(1) & mask;
    }
}

impl Memos {
    /// Number of remembered entry ids.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether one more record can be indexed.
    #[inline]
    pub(super) fn has_room(&self) -> bool {
        self.records.len() < MAX_RECORDS
    }

    #[inline]
    fn key(&self, id: EntryId) -> Key {
        key(self.hasher, self.slots.shift, id)
    }

    /// The record index of `id`, if remembered.
    #[inline]
    pub(super) fn find(&self, id: EntryId) -> Option<usize> {
        self.lookup(self.key(id), id).ok()
    }

    /// As [`Memos::find`]; when `id` is not remembered, also remembers
    /// where the walk ended, so that [`Memos::push`] of the same id (the
    /// next thing the ledger does with a fresh id) need not walk again.
    #[inline]
    pub(super) fn find_for_push(&mut self, id: EntryId) -> Option<usize> {
        let k = self.key(id);
        match self.lookup(k, id) {
            Ok(i) => Some(i),
            Err(pos) => {
                self.vacant = Some((id, pos, k.tag));
                None
            }
        }
    }

    /// The record index of `id` (key `k`), or else the empty slot where it
    /// would go (`usize::MAX` if the index has no slots).
    #[inline]
    fn lookup(&self, k: Key, id: EntryId) -> Result<usize, usize> {
        let n = self.slots.len();
        let mask = n.wrapping_sub(1);
        let mut pos = k.home & mask;
        for _ in 0..n {
            let Some(s) = self.slots.at(pos) else { break };
            if s == EMPTY {
                return Err(pos);
            }
            if s & !INDEX_MASK == k.tag {
                let i = ((s & INDEX_MASK) as usize).wrapping_sub(1);
                if self.records.get(i).is_some_and(|r| r.id == id) {
                    return Ok(i);
                }
            }
            pos = pos.wrapping_add(1) & mask;
        }
        Err(usize::MAX)
    }

    /// How many slots, and how many distinct 64-byte lines, a lookup of
    /// `id` reads (for the probe-length tests).
    #[cfg(test)]
    fn probes(&self, id: EntryId) -> (usize, usize) {
        let mask = self.slots.len().wrapping_sub(1);
        let k = self.key(id);
        let mut pos = k.home & mask;
        let (mut n, mut lines, mut last) = (0_usize, 0_usize, usize::MAX);
        for _ in 0..self.slots.len() {
            n = n.wrapping_add(1);
            if self.slots.line_of(pos) != last {
                lines = lines.wrapping_add(1);
                last = self.slots.line_of(pos);
            }
            let s = self.slots.get(pos).unwrap_or(EMPTY);
            if s == EMPTY
                || self.records.get(((s & INDEX_MASK) as usize).wrapping_sub(1)).is_some_and(|r| r.id == id)
            {
                break;
            }
            pos = pos.wrapping_add(1) & mask;
        }
        (n, lines)
    }

    /// The slot holding `id`, if remembered (for the placement tests).
    #[cfg(test)]
    fn slot_of(&self, id: EntryId) -> Option<usize> {
        let i = self.find(id)?;
        let k = self.key(id);
        let mask = self.slots.len().wrapping_sub(1);
        (0..self.slots.len())
            .map(|j| k.home.wrapping_add(j) & mask)
            .find(|p| self.slots.get(*p).is_some_and(|s| ((s & INDEX_MASK) as usize).wrapping_sub(1) == i))
    }

    /// Makes room for `additional` more records without re-indexing, and
    /// touches the new room so its pages are mapped now, not on the hot path.
    pub(super) fn reserve(&mut self, additional: usize) {
        self.records.reserve(additional);
        self.grow_for(self.records.len().saturating_add(additional));
        // Blank records (never read: they are beyond `len`).
        let Ok(id) = EntryId::new(u128::MAX) else { return };
        let blank = Rec { id, at: 0, a: 0, b: 0, sku: 0, node: 0, tag: Tag::Extra, resolution: None };
        for slot in self.records.spare_capacity_mut() {
            slot.write(blank);
        }
    }

    /// Re-indexes into a larger slot array if `total` records would make
    /// the index more than 3/4 full.
    #[cold]
    fn grow_for(&mut self, total: usize) {
        let need = total.saturating_mul(4).div_ceil(3);
        if need <= self.slots.len() {
            return;
        }
        let cap = need.max(16).checked_next_power_of_two().unwrap_or(need);
        self.vacant = None;
        let mut slots = Slots::new(cap);
        let shift = slots.shift;
        for (i, r) in self.records.iter().enumerate() {
            place(&mut slots, key(self.hasher, shift, r.id), i);
        }
        self.slots = slots;
        self.grow_at = (cap / 4).saturating_mul(3);
    }

    /// Remembers `event`, whose entry id the caller has checked is new.
    #[inline]
    pub(super) fn push(&mut self, event: &Event) {
        if !self.has_room() {
            return;
        }
        if self.records.len() >= self.grow_at {
            self.grow_for(self.records.len().saturating_add(1));
        }
        let rec = match self.compact(event) {
            Some(r) => r,
            None => {
                let x = self.extra.len() as u64;
                self.extra.push(event.kind.clone());
                Rec {
                    id: event.entry,
                    at: event.at.as_unix_ms(),
                    a: x,
                    b: 0,
                    sku: 0,
                    node: 0,
                    tag: Tag::Extra,
                    resolution: None,
                }
            }
        };
        let index = self.records.len();
        match self.vacant.take() {
            Some((id, pos, tag)) if id == event.entry && self.slots.get(pos) == Some(EMPTY) => {
                self.slots.set(pos, tag, index);
            }
            _ => {
                let k = self.key(event.entry);
                place(&mut self.slots, k, index);
            }
        }
        self.records.push(rec);
    }

    /// Forgets the newest record if it is `id` (rolling back a batch or a
    /// replay, which undo in reverse order). Anything else is ignored.
    pub(super) fn pop(&mut self, id: EntryId) {
        let Some(last) = self.records.last().copied() else { return };
        if last.id != id {
            return;
        }
        self.vacant = None;
        let index = self.records.len().wrapping_sub(1);
        let mask = self.slots.len().wrapping_sub(1);
        let mut pos = self.key(id).home & mask;
        let mut hole = None;
        for _ in 0..self.slots.len() {
            match self.slots.get(pos) {
                Some(s) if s != EMPTY && ((s & INDEX_MASK) as usize).wrapping_sub(1) == index => {
                    hole = Some(pos);
                    break;
                }
                Some(s) if s != EMPTY => pos = pos.wrapping_add(1) & mask,
                _ => break,
            }
        }
        if let Some(mut hole) = hole {
            // Backward-shift deletion: pull later entries of the run into
            // the hole when that does not move them before their home slot.
            let mut j = hole;
            for _ in 0..self.slots.len() {
                j = j.wrapping_add(1) & mask;
                let Some(s) = self.slots.get(j) else { break };
                if s == EMPTY {
                    break;
                }
                let i = ((s & INDEX_MASK) as usize).wrapping_sub(1);
                let Some(r) = self.records.get(i) else { break };
                let home = self.key(r.id).home & mask;
                if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                    if let Some(h) = self.slots.get_mut(hole) {
                        *h = s;
                    }
                    hole = j;
                }
            }
            if let Some(h) = self.slots.get_mut(hole) {
                *h = EMPTY;
            }
        }
        self.records.pop();
        if last.tag == Tag::Extra {
            self.extra.pop();
        }
    }

    /// The compact record of `event`, when it has one.
    #[inline]
    fn compact(&self, event: &Event) -> Option<Rec> {
        use EventKind as E;
        let rec = |tag, node: NodeId, sku: Sku, a: u64, b: u64| {
            Some(Rec {
                id: event.entry,
                at: event.at.as_unix_ms(),
                a,
                b,
                sku: sku.get(),
                node: u16::try_from(node.get()).ok()?,
                tag,
                resolution: None,
            })
        };
        // The record index of a remembered reservation at (node, sku)
        // holding `held` units.
        let reservation = |id: EntryId, node: NodeId, sku: Sku| {
            let i = match self.recent {
                Some((rid, i)) if rid == id && self.records.get(i).is_some_and(|r| r.id == id) => i,
                _ => self.find(id)?,
            };
            let r = self.records.get(i)?;
            let ok = matches!(r.tag, Tag::Reserved | Tag::ReservedUntil)
                && u32::from(r.node) == node.get()
                && r.sku == sku.get();
            ok.then_some((i as u64, r.a))
        };
        match &event.kind {
            E::Received { node, sku, qty, inbound: None, drawn, closed: false } if drawn.is_zero() => {
                rec(Tag::Received, *node, *sku, qty.get(), 0)
            }
            E::Reserved { node, sku, qty, expires_at: None } => rec(Tag::Reserved, *node, *sku, qty.get(), 0),
            E::Reserved { node, sku, qty, expires_at: Some(t) } => {
                rec(Tag::ReservedUntil, *node, *sku, qty.get(), ms_bits(*t))
            }
            E::Committed { reservation: id, node, sku, qty, released } => {
                let (i, held) = reservation(*id, *node, *sku)?;
                if held.checked_sub(qty.get()) != Some(released.get()) {
                    return None;
                }
                rec(Tag::Committed, *node, *sku, qty.get(), i)
            }
            E::Released { reservation: id, node, sku, qty } => {
                let (i, _) = reservation(*id, *node, *sku)?;
                rec(Tag::Released, *node, *sku, qty.get(), i)
            }
            E::Shipped { node, sku, qty } => rec(Tag::Shipped, *node, *sku, qty.get(), 0),
            E::Deallocated { node, sku, qty } => rec(Tag::Deallocated, *node, *sku, qty.get(), 0),
            E::ReturnReceived { node, sku, qty } => rec(Tag::ReturnReceived, *node, *sku, qty.get(), 0),
            E::InboundExpected { node, sku, qty, eta } => {
                rec(Tag::InboundExpected, *node, *sku, qty.get(), ms_bits(*eta))
            }
            _ => None,
        }
    }

    /// The event of record `i`, rebuilt.
    pub(super) fn event(&self, i: usize) -> Option<Event> {
        use EventKind as E;
        let r = self.records.get(i)?;
        let (node, sku, qty) = (NodeId::new(u32::from(r.node)), Sku::new(r.sku), Qty::new(r.a));
        let reservation = || self.records.get(usize::try_from(r.b).ok()?);
        let kind = match r.tag {
            Tag::Received => E::Received { node, sku, qty, inbound: None, drawn: Qty::ZERO, closed: false },
            Tag::Reserved => E::Reserved { node, sku, qty, expires_at: None },
            Tag::ReservedUntil => E::Reserved { node, sku, qty, expires_at: Some(bits_ms(r.b)) },
            Tag::Committed => {
                let res = reservation()?;
                E::Committed {
                    reservation: res.id,
                    node,
                    sku,
                    qty,
                    released: Qty::new(res.a.checked_sub(r.a)?),
                }
            }
            Tag::Released => E::Released { reservation: reservation()?.id, node, sku, qty },
            Tag::Shipped => E::Shipped { node, sku, qty },
            Tag::Deallocated => E::Deallocated { node, sku, qty },
            Tag::ReturnReceived => E::ReturnReceived { node, sku, qty },
            Tag::InboundExpected => E::InboundExpected { node, sku, qty, eta: bits_ms(r.b) },
            Tag::Extra => self.extra.get(usize::try_from(r.a).ok()?)?.clone(),
        };
        Some(Event { entry: r.id, at: Timestamp::from_unix_ms(r.at), kind })
    }

    /// The hold of reservation record `i` (whether or not it is still live).
    #[inline]
    fn hold_at(&self, i: usize) -> Option<Hold> {
        let r = self.records.get(i)?;
        let (node, sku, qty, made_at) =
            (NodeId::new(u32::from(r.node)), Sku::new(r.sku), Qty::new(r.a), Timestamp::from_unix_ms(r.at));
        match r.tag {
            Tag::Reserved => Some(Hold { node, sku, qty, made_at, expires_at: None }),
            Tag::ReservedUntil => Some(Hold { node, sku, qty, made_at, expires_at: Some(bits_ms(r.b)) }),
            Tag::Extra => match self.extra.get(usize::try_from(r.a).ok()?)? {
                EventKind::Reserved { node, sku, qty, expires_at } => {
                    Some(Hold { node: *node, sku: *sku, qty: *qty, made_at, expires_at: *expires_at })
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// What the ledger knows of reservation `id`: `None` if it is not a
    /// remembered reservation, else its live hold or how it was resolved.
    /// A reservation is live exactly while it is unresolved, so the
    /// idempotency table doubles as the table of live holds.
    #[inline]
    pub(super) fn reservation(&self, id: EntryId) -> Option<Result<Hold, Resolution>> {
        Some(self.reservation_at(id)?.1)
    }

    /// As [`Memos::reservation`], with the reservation's record index.
    #[inline]
    pub(super) fn reservation_at(&self, id: EntryId) -> Option<(usize, Result<Hold, Resolution>)> {
        let i = self.find(id)?;
        let hold = self.hold_at(i)?;
        Some((
            i,
            match self.records.get(i)?.resolution {
                Some(how) => Err(how),
                None => Ok(hold),
            },
        ))
    }

    /// The live hold of reservation `id`.
    #[inline]
    pub(super) fn hold(&self, id: EntryId) -> Option<Hold> {
        self.reservation(id)?.ok()
    }

    /// Every live hold, in the order the reservations were made.
    pub(super) fn holds(&self) -> impl Iterator<Item = (EntryId, Hold)> + '_ {
        self.records.iter().enumerate().filter(|(_, r)| r.resolution.is_none()).filter_map(|(i, r)| {
            let h = match r.tag {
                Tag::Reserved | Tag::ReservedUntil | Tag::Extra => self.hold_at(i)?,
                _ => return None,
            };
            Some((r.id, h))
        })
    }

    /// Whether record `i` is a reservation.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(super) fn is_reservation(&self, i: usize) -> bool {
        self.records.get(i).is_some_and(|r| match r.tag {
            Tag::Reserved | Tag::ReservedUntil => true,
            Tag::Extra => usize::try_from(r.a)
                .ok()
                .and_then(|x| self.extra.get(x))
                .is_some_and(|k| matches!(k, EventKind::Reserved { .. })),
            _ => false,
        })
    }

    /// How the reservation remembered under `id` was resolved, if it was.
    #[inline]
    pub(super) fn resolution(&self, id: EntryId) -> Option<Resolution> {
        self.records.get(self.find(id)?)?.resolution
    }

    /// Sets (or, rolling back, clears) the resolution of record `id`.
    #[inline]
    pub(super) fn set_resolution(&mut self, id: EntryId, how: Option<Resolution>) {
        if let Some(i) = self.find(id) {
            self.set_resolution_at(id, i, how);
        }
    }

    /// As [`Memos::set_resolution`], given the record index `i` of `id`
    /// (from [`Memos::reservation_at`]); a wrong index changes nothing.
    #[inline]
    pub(super) fn set_resolution_at(&mut self, id: EntryId, i: usize, how: Option<Resolution>) {
        if let Some(r) = self.records.get_mut(i).filter(|r| r.id == id) {
            r.resolution = how;
            self.recent = Some((id, i));
        }
    }

    /// Every remembered event, in the order it was recorded.
    pub(super) fn events(&self) -> impl Iterator<Item = Event> + '_ {
        (0..self.records.len()).filter_map(|i| self.event(i))
    }

    /// Every resolved reservation, in the order it was reserved.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(super) fn resolutions(&self) -> impl Iterator<Item = (EntryId, Resolution)> + '_ {
        self.records.iter().filter_map(|r| r.resolution.map(|how| (r.id, how)))
    }

    /// Whether every record rebuilds into an event (checked by
    /// `check_invariants`).
    pub(super) fn all_rebuild(&self) -> bool {
        (0..self.records.len()).all(|i| self.event(i).is_some())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;
