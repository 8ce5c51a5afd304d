"""Bids into the sealed box, and the box's opening."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from procurement.core.clock import frozen_at
from procurement.core.errors import Conflict, NotFound, PermissionDenied
from tenders import sealing
from tenders.bidding import bids
from tenders.bidding import opening
from tenders.models import BidLine, BidStatus, BidVersion, OpenedBid, QualityResponse, TenderStatus, VersionState
from tests import factories

MARK = "Quokka-7 delivery promise"


@pytest.fixture()
def world(session):
    return factories.published_tender(session)


def _problems(call):
    with pytest.raises(bids.BidProblems) as caught:
        call()
    return caught.value.problems


def test_a_bid_is_sealed_with_a_receipt(session, world):
    receipt = bids.submit(session, world["bidder"], world["tender"].id, factories.bid(text=MARK))
    version = session.scalars(select(BidVersion)).one()
    assert receipt.version == 1 and receipt.digest == version.digest and len(receipt.digest) == 64
    assert MARK.encode() not in version.sealed and b"740.00" not in version.sealed
    assert "SHA-256 of the canonical bid: " + receipt.digest in receipt.text()


def test_every_problem_is_listed_by_line(session, world):
    """What the schema checks is listed first (see tests/unit/tenders/bidding/test_bid_schemas.py); then
    everything that needs the tender, each problem by line."""
    problems = _problems(lambda: bids.submit(session, world["bidder"], world["tender"].id, factories.bid({
        "lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "3"}, {"item": 7, "unit_price": "1"}]},
                 {"lot": 9, "items": []}],
        "bundles": [{"lots": [1, 9], "discount_percent": "5"}],
        "quality": [{"criterion": 4, "text": "?"}],
    })))
    text = "\n".join(problems)
    for expected in ("lot 1, item 7: there is no such item", "lot 9: there is no such lot",
                     "quality[1]: there is no criterion 4", "Answer ‘Delivery and support’"):
        assert expected in text, expected
    with pytest.raises(ValidationError) as caught:
        factories.bid(unit_price="cheap")
    assert caught.value.messages == {"lots": {0: {"items": {0: {"unit_price": ["Enter the unit price for {where} as a number of pounds, like 720.00"]}}}}}


def test_offers_are_checked_against_the_suppliers_own_catalogue(session, world):
    above = _problems(lambda: bids.submit(session, world["bidder"], world["tender"].id,
                                             factories.bid(unit_price="760.00")))
    laptop = world["tender"].lots[0].items[0].description
    assert above == [f"{laptop}: £760.00 is above your published price of £750.00 for 150 each ('BID-LAP')"]
    unknown = _problems(lambda: bids.submit(session, world["bidder"], world["tender"].id,
                                               factories.bid(sku="NOT-MINE")))
    assert unknown == [f"{laptop}: 'NOT-MINE' is not a published offer of yours"]
    rival = factories.user(session, "supplier")
    assert "not a published offer of yours" in _problems(lambda: bids.submit(
        session, rival, world["tender"].id, factories.bid()))[0]


def test_drafts_replacements_and_withdrawal(session, world):
    tender_id = world["tender"].id
    bids.save_draft(session, world["bidder"], tender_id, factories.bid({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "745"}]}]}))
    assert bids.unpack_line(bids.read_draft(session, world["bidder"], tender_id)["lines"][0])["unit_price"] == "745.00"
    with pytest.raises(bids.BidProblems):
        bids.submit(session, world["bidder"], tender_id)  # the draft answers no criterion
    first = bids.submit(session, world["bidder"], tender_id, factories.bid())
    assert bids.read_draft(session, world["bidder"], tender_id) is None  # sealed from its author too
    second = bids.submit(session, world["bidder"], tender_id, factories.bid(unit_price="735.00"))
    states = [r.state for r in bids.my_bid(session, world["bidder"], tender_id).receipts]
    assert (first.version, second.version) == (1, 2) and states == ["submitted", "superseded"]
    assert first.digest != second.digest
    bids.withdraw(session, world["bidder"], tender_id)
    mine = bids.my_bid(session, world["bidder"], tender_id)
    assert mine.bid.status is BidStatus.withdrawn and {r.state for r in mine.receipts} == {"superseded", "withdrawn"}


def test_after_the_deadline_nothing_is_stored(session, world):
    tender = world["tender"]
    with frozen_at(tender.submission_deadline):
        with pytest.raises(Conflict, match="deadline for bids was"):
            bids.submit(session, world["bidder"], tender.id, factories.bid())
        with pytest.raises(Conflict):
            bids.save_draft(session, world["bidder"], tender.id, factories.bid())
    assert session.scalars(select(BidVersion)).all() == []


def test_only_suppliers_bid_and_only_for_themselves(session, world):
    for role in ("buyer", "agency", "admin"):
        with pytest.raises(PermissionDenied):
            bids.submit(session, factories.user(session, role), world["tender"].id, factories.bid())
    bids.submit(session, world["bidder"], world["tender"].id, factories.bid())
    rival = factories.user(session, "supplier")
    assert bids.my_bid(session, rival, world["tender"].id).bid is None
    with pytest.raises(NotFound):
        bids.receipt(session, rival, world["tender"].id, 1)


def _close(session, world, count=1):
    for n in range(count):
        bidder = world["bidder"] if n == 0 else _another_bidder(session, world)
        bids.submit(session, bidder, world["tender"].id, factories.bid(text=f"{MARK} {n}"))
    return frozen_at(world["tender"].submission_deadline + timedelta(minutes=1))


def _another_bidder(session, world):
    from catalogue.services import OfferInput, create_offer

    bidder = factories.user(session, "supplier")
    create_offer(session, factories.SYSTEM, next(iter(bidder.supplier_ids)), OfferInput(
        sku="BID-LAP", title="Laptop", cpv_code=world["item"].cpv_code, unit="each", list_price="790.00",
        status="published"))
    return bidder


def test_opening_needs_the_deadline_and_two_agency_users(session, world):
    tender = world["tender"]
    with pytest.raises(Conflict):
        opening.request_opening(session, world["agency"], tender.id)  # before the deadline
    with _close(session, world, count=2):
        for role in ("buyer", "supplier", "admin"):
            with pytest.raises((PermissionDenied, NotFound)):
                opening.request_opening(session, factories.user(session, role), tender.id)
        with pytest.raises(Conflict, match="request"):
            opening.confirm_opening(session, world["agency"], tender.id)
        opening.request_opening(session, world["agency"], tender.id)
        with pytest.raises(Conflict, match="second, different"):
            opening.confirm_opening(session, world["agency"], tender.id)
        result = opening.confirm_opening(session, world["second_agency"], tender.id)
    assert (result.opened, result.corrupt, result.lines) == (2, 0, 2) and tender.status is TenderStatus.opened
    rows = session.scalars(select(BidLine).order_by(BidLine.opened_bid_id)).all()
    assert [r.unit_price for r in rows] == [Decimal("740.00")] * 2 and rows[0].tiers == [[1, 99, "760.00"], [100, None, "740.00"]]
    texts = {q.text for q in session.scalars(select(QualityResponse))}
    assert {f"{MARK} 0", f"{MARK} 1", "Apprenticeships in Hackney"} == texts
    # The digest on each receipt matches the canonical content that was opened.
    for opened in session.scalars(select(OpenedBid)):
        assert opened.intact and opened.digest == session.scalars(
            select(BidVersion.digest).where(BidVersion.bid_id == opened.bid_id, BidVersion.state == VersionState.submitted)).one()


def test_tampered_bids_are_reported_not_evaluated(session, world):
    tender = world["tender"]
    with _close(session, world, count=2):
        versions = session.scalars(select(BidVersion).order_by(BidVersion.id)).all()
        altered = bytearray(versions[0].sealed)
        altered[-1] ^= 1
        versions[0].sealed = bytes(altered)
        versions[1].digest = hashlib.sha256(b"something else").hexdigest()
        opening.request_opening(session, world["agency"], tender.id)
        result = opening.confirm_opening(session, world["second_agency"], tender.id)
    assert (result.opened, result.corrupt, result.lines) == (0, 2, 0)
    notes = [o.note for o in session.scalars(select(OpenedBid).order_by(OpenedBid.id))]
    assert "altered or corrupt" in notes[0] and "does not match its receipt" in notes[1]


def test_a_sealed_version_cannot_be_moved_to_another_bid():
    key = sealing.new_data_key()
    sealed = sealing.seal(key, b'{"a":1}', sealing.bid_context(1, 2, 1))
    assert sealing.unseal(key, sealed, sealing.bid_context(1, 2, 1)) == b'{"a":1}'
    with pytest.raises(sealing.SealBroken):
        sealing.unseal(key, sealed, sealing.bid_context(1, 3, 1))
    master = sealing.master_key("secret")
    assert sealing.unwrap_key(master, sealing.wrap_key(master, key, 5), 5) == key
    with pytest.raises(sealing.SealBroken):
        sealing.unwrap_key(sealing.master_key("other"), sealing.wrap_key(master, key, 5), 5)
    assert sealing.canonical({"b": 1, "a": [Decimal(1).__str__()]}) == json.dumps({"a": ["1"], "b": 1}, separators=(",", ":")).encode()
