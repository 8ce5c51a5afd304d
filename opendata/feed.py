"""The change feed for integrators: published contracting processes in the order they were last
changed, followed with an opaque cursor, so that a reader that keeps its cursor misses no change,
however the writers' commits interleave.

The race (Prozorro's openprocurement.api, docs/source/developers/projects/cdb/feed_ordering.rst):
a feed ordered by a modification time taken when a write *starts* serves items in an order other
than the one in which they become visible. Transaction A takes time 489 and B time 490; B commits
first; a reader sees B, keeps 490 as its offset; A then commits with 489, behind the offset, and
that reader never sees it. Prozorro's answer is a watermark delay: serve nothing younger than N
seconds, N larger than any start-to-commit delay. That is a bound on luck (a transaction held open
longer than N, by a lock wait or a slow disk, is still skipped).

Here the position need not be guessed, because the audit log already has one whose order is the
commit order. Every change to a tender is recorded by `procurement.core.audit.record_event` in
the same transaction as the change, and record_event takes a PostgreSQL advisory transaction lock
(pg_advisory_xact_lock(727001)) before it reads the last `seq` and appends `seq + 1`. That lock is
held until the transaction commits or rolls back, and PostgreSQL makes a commit visible before it
releases the transaction's locks. So the transaction that appends seq n + 1 can only read n after
the transaction that appended n has committed (or rolled back, and then n is taken again): the
committed seqs are always a whole prefix 1..N, and nothing can later appear at or below a seq a
reader has already seen. (On SQLite one writer holds the database at a time: the same holds.)

A feed position is therefore the seq of the tender's latest public change. Each read first takes
the watermark W, the highest committed seq (everything at or below it is committed, by the
argument above), and then serves only positions at or below W, in position order: a change
committed between the two reads has a seq above W and waits for the next read, whatever order the
statements' snapshots see. A page that is not full moves the cursor up to W (every position up to
it has been considered), so a reader does not rescan the events of drafts and private acts.

A process appears once, at its latest position; changed again, it appears again further on (its
releases have stable ids: the reader replaces what it holds). The cursor is opaque (base64 of a
version and the position) and is checked: a forged or mangled one is refused by name.

Which events count: those about a tender (subject tender) except the ones that change nothing
published and would tell the world of private activity (a supplier following a tender, a
recommendation before its decision is published, an evaluator's mark)."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from procurement.core.audit import AuditEvent
from tenders.models import Tender, TenderStatus

CURSOR_VERSION = "1"
LIMIT_MAX = 100
# Acts about a tender that change nothing it publishes (and whose timing is nobody else's business).
PRIVATE_ACTS = ("tender.followed", "tender.unfollowed", "award.recommended", "award.optimisation_requested",
                "award_pack.requested", "evaluation.declared", "evaluation.marked", "evaluation.marks_submitted",
                "evaluation.consensus", "evaluation.low_price_message", "evaluation.low_price_decided",
                "tender.award_rules_set", "tender.opening_requested", "conflicts.declared", "conflicts.assessed",
                "exclusion.decided")


class BadCursor(ValueError):
    pass


def encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_VERSION}.{position}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The position a cursor stands for; BadCursor for anything this feed did not hand out."""
    text = (cursor or "").strip()
    if not text:
        return 0
    if len(text) > 40:
        raise BadCursor("cursor is not one this feed gave")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor("cursor is not one this feed gave") from None
    version, _, position = raw.partition(".")
    if version != CURSOR_VERSION or not position.isdecimal():
        raise BadCursor("cursor is not one this feed gave")
    return int(position)


@dataclass(frozen=True)
class Change:
    tender_id: int
    position: int


@dataclass(frozen=True)
class Page:
    changes: list[Change]
    next_position: int   # where the reader continues from
    watermark: int       # every position up to here was committed when the page was read
    more: bool           # a full page: ask again straight away

    @property
    def next_cursor(self) -> str:
        return encode(self.next_position)


def watermark(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.seq))) or 0


def changes(session: Session, after: int, limit: int) -> Page:
    """Published processes whose latest public change is after `after`, in position order, at
    most `limit`, none beyond the watermark."""
    high = watermark(session)  # first: whatever commits after this waits for the next read
    latest = func.max(AuditEvent.seq)
    rows = session.execute(
        select(Tender.id, latest)
        .join(AuditEvent, AuditEvent.subject_id == cast(Tender.id, String))
        .where(AuditEvent.subject_type == "tender", AuditEvent.action.not_in(PRIVATE_ACTS), AuditEvent.seq <= high,
               Tender.published_at.is_not(None), Tender.status != TenderStatus.draft)
        .group_by(Tender.id)
        .having(latest > after)
        .order_by(latest)
        .limit(limit + 1)).all()
    found = [Change(tender_id, position) for tender_id, position in rows[:limit]]
    more = len(rows) > limit
    next_position = found[-1].position if more else max(high, after)
    return Page(found, next_position, high, more)
