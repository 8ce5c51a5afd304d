"""A supplier's draft as the bid form keeps it: saved as far as it is valid (an answer with a
problem is left out and named, every other answer kept), with a digest that the review page
carries so that what is submitted is what was reviewed, and the form's starting point (the
draft, else the latest version submitted, so a replacement starts from it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from procurement.core.access import Actor
from tenders import permissions, sealing
from tenders.bidding import bids
from tenders.bidding.bids import BidProblems, Where
from tenders.bidding.content import DraftContentSchema, bid_problems
from tenders.lifecycle import get_tender

# What a problem left out of the draft says of it: the draft keeps the rest, not this (nor what it held before).
NOT_SAVED = {"line": "this line is not saved until it is corrected", "lot": "this lot is not saved until it is corrected",
             "bundle": "this bundle is not saved until it is corrected", "quality": "this answer is not saved until it is corrected",
             "attachment": "this file is not saved until it is corrected"}
ROUNDS = 5  # leaving out a line can leave a bundle naming a lot no longer priced: check again


@dataclass
class Drafted:
    """What came of saving: the problems left out of the draft (each with where it is), whether
    a draft is stored, and (when asked for) what the draft still lacks before it can be submitted."""

    problems: list[tuple[str, Where]] = field(default_factory=list)
    saved: bool = False
    incomplete: list[tuple[str, Where]] = field(default_factory=list)


def where_in(path: str, raw: dict[str, Any]) -> Where:
    """A schema error's path ('lots.0.items.1.unit_price') as where it is, by the numbers the
    bid gives its lots, items and criteria."""
    parts = path.split(".")

    def entry(listed: Any, at: str) -> Any:
        if not at.isdecimal() or not isinstance(listed, list) or int(at) >= len(listed):
            return None
        found = listed[int(at)]
        return found if isinstance(found, dict) else None

    if parts[0] == "lots" and len(parts) > 1 and (lot := entry(raw.get("lots"), parts[1])) is not None:
        if len(parts) > 3 and parts[2] == "items" and (item := entry(lot.get("items"), parts[3])) is not None:
            return ("line", lot.get("lot"), item.get("item"), *parts[4:])
        return ("lot", lot.get("lot"))
    if parts[0] == "bundles" and len(parts) > 1 and parts[1].isdecimal():
        return ("bundle", int(parts[1]), *parts[2:])
    if parts[0] == "quality" and len(parts) > 1 and (answer := entry(raw.get("quality"), parts[1])) is not None:
        if len(parts) > 3 and parts[2] == "attachments" and parts[3].isdecimal():
            return ("attachment", answer.get("criterion"), int(parts[3]) + 1)
        return ("quality", answer.get("criterion"), *parts[2:])
    return ("bid",)


def without(raw: dict[str, Any], wheres: list[Where]) -> dict[str, Any]:
    """The bid content with the entries the problems are about left out, and nothing else."""
    lines = {(w[1], w[2]) for w in wheres if w[0] == "line"}
    lots = {w[1] for w in wheres if w[0] == "lot"}
    bundles = {w[1] for w in wheres if w[0] == "bundle"}
    answers = {w[1] for w in wheres if w[0] == "quality"}
    attachments = {(w[1], w[2]) for w in wheres if w[0] == "attachment"}
    kept_lots = []
    for lot in raw.get("lots", []):
        if lot.get("lot") in lots:
            continue
        items = [item for item in lot.get("items", []) if (lot.get("lot"), item.get("item")) not in lines]
        if items:
            kept_lots.append({**lot, "items": items})
    quality = [{**answer, "attachments": [a for n, a in enumerate(answer.get("attachments", []), start=1)
                                          if (answer.get("criterion"), n) not in attachments]}
               for answer in raw.get("quality", []) if answer.get("criterion") not in answers]
    return {**raw, "lots": kept_lots, "quality": quality,
            "bundles": [b for n, b in enumerate(raw.get("bundles", [])) if n not in bundles]}


def save_what_is_valid(session: Session, actor: Actor, tender_id: int, raw: dict[str, Any], *,
                       check_complete: bool = False) -> Drafted:
    """Save the draft with every answer that is valid; each one that is not is left out (the
    draft keeps none of it) and returned with where it is. Nothing is stored for a bid not
    started when nothing in it is valid. `check_complete` also says what a submission lacks."""
    bids.own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    permissions.can_bid(actor, tender).enforce()
    bids.check_may_take_part(session, bids.own_supplier(actor))
    drafted, kept = Drafted(), raw
    names = {(lot.number, item.number): item.description for lot in tender.lots for item in lot.items}
    for _ in range(ROUNDS):
        try:
            bid_input = DraftContentSchema().load(kept)
            bids.scan_attachments(session, actor, tender, bid_input)
            content = bids.validate(session, tender, bids.own_supplier(actor), bid_input, complete=False)
        except ValidationError as error:
            found = [(text, where_in(path, kept)) for text, path in bid_problems(error.messages, kept, names)]
        except BidProblems as error:
            found = error.located
        else:
            break
        if any(where[0] == "bid" for _, where in found):
            raise BidProblems([text for text, _ in found], found)
        drafted.problems += [(f"{text}; {NOT_SAVED[where[0]]}" if where[0] in NOT_SAVED else text, where) for text, where in found]
        kept = without(kept, [where for _, where in found])
    else:
        raise BidProblems([text for text, _ in drafted.problems], drafted.problems)
    empty = not (content["lines"] or content["bundles"] or content["quality"])
    if not empty or bids.read_draft(session, actor, tender_id) is not None:
        bids.store_draft(session, actor, tender, content)
        drafted.saved = True
    if check_complete and not drafted.problems:
        try:
            bids.validate(session, tender, bids.own_supplier(actor), bid_input, complete=True)
        except BidProblems as error:
            drafted.incomplete = error.located
    return drafted


def draft_digest(content: dict[str, Any]) -> str:
    """The SHA-256 of a draft as stored: the review page carries it, and submitting refuses a
    draft that has changed since (another tab, a schedule uploaded)."""
    return sealing.digest(sealing.canonical(content))


@dataclass(frozen=True)
class Reviewed:
    """The draft to check: its content, the digest that submits it, what it still lacks."""

    content: dict[str, Any]
    digest: str
    problems: list[tuple[str, Where]]


def review(session: Session, actor: Actor, tender_id: int) -> Reviewed | None:
    """The supplier's draft as it would be submitted, or None when there is none. Reads only."""
    tender = get_tender(session, actor, tender_id)
    permissions.can_bid(actor, tender).enforce()
    content = bids.read_draft(session, actor, tender_id)
    if content is None:
        return None
    problems: list[tuple[str, Where]] = []
    try:
        bids.validate(session, tender, bids.own_supplier(actor), bids.draft_input(content), complete=True)
    except BidProblems as error:
        problems = error.located
    return Reviewed(content, draft_digest(content), problems)


def starting_point(session: Session, actor: Actor, tender_id: int) -> dict[str, Any] | None:
    """What the bid form starts from: the draft, else the latest version submitted (to
    replace it without typing it again), else nothing."""
    draft = bids.read_draft(session, actor, tender_id)
    if draft is not None:
        return draft
    mine = bids.my_bid(session, actor, tender_id)
    if not mine.receipts:
        return None
    return bids.read_version(session, actor, tender_id, mine.receipts[0].version)

