"""Who reads each award document, and what the one for every party says (issue 18, finding 1).

Readers against every kind of document a decided tender has, through the lists (the API's and
the pages') and the downloads (the page's and the API's); the award decision notice read as
its parties read it, against the award record; and the results API saying what the results
page says, for a losing and a winning bidder. Figures come from the award record, never from
literals: one record is the truth."""
from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import func, select

from dashboards import documents as reading
from opendata import ocds
from procurement.core.audit import AuditEvent
from procurement.core.clock import to_london
from procurement.core.documents import Document
from procurement.core.errors import NotFound
from tenders.award import record
from tenders.lifecycle import readable_documents
from tenders.models import LineStatus, OpenedBid
from tenders.permissions import is_party_to
from tests import factories
from tests.conftest import fresh_browser, sign_in
from tests.factories import stored_file

READERS = ["agency", "participating buyer", "other buyer", "winning supplier", "losing supplier",
           "supplier that did not bid", "admin", "anonymous"]
PARTIES = {"agency", "participating buyer", "winning supplier", "losing supplier"}
# Document -> who may read it; everyone else is refused, with 404 (a document's existence is private).
MAY_READ = {
    "award notice": PARTIES,
    "evaluation report": {"agency"},
    "winner's letter": {"agency", "winning supplier"},
    "loser's letter": {"agency", "losing supplier"},
    "another loser's letter": {"agency"},
    "own order summary": {"agency", "participating buyer"},
    "other organisation's order summary": {"agency"},
}
# Where each reader finds the tender's documents listed on a page.
LIST_PAGE = {"agency": "/tenders/{tender}", "participating buyer": "/tenders/{tender}", "other buyer": "/tenders/{tender}",
             "winning supplier": "/opportunities/{tender}/results", "losing supplier": "/opportunities/{tender}/results",
             "supplier that did not bid": "/opportunities/{tender}/results"}


def _text(document: Document) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(stored_file(document)).pages)
    return re.sub(r"\s+", " ", text)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _number(text: str, figure: str) -> bool:
    """Whether `figure` stands in `text` as a number of its own (not inside 600, 60%, 1.60)."""
    return re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,%])", text) is not None


@pytest.fixture()
def world(session):
    made = factories.decided_tender(session)
    session.commit()  # the award pack's jobs run once the decision is committed (in-process here)
    tender = made["tender"]
    (award,) = record.lot_awards(session, tender).values()
    (share,) = award.shares
    by_supplier = {next(iter(b.supplier_ids)): b for b in made["bidders"]}
    winner = by_supplier[share.supplier_id]
    opened = {o.supplier_id: o for o in session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id))}
    totals = {e.bid: e.total for e in award.entries}
    # The losing bidder with the lowest price: the one whose price the notice would most give away.
    loser, other_loser = sorted((b for s, b in by_supplier.items() if s != share.supplier_id),
                                key=lambda b: totals[opened[next(iter(b.supplier_ids))].id])
    readers = {"agency": made["agency"], "participating buyer": made["buyers"][0],
               "other buyer": factories.user(session, "buyer"), "winning supplier": winner, "losing supplier": loser,
               "supplier that did not bid": factories.user(session, "supplier"), "admin": factories.user(session, "admin")}
    docs = session.scalars(select(Document).where(Document.tender_id == tender.id)).all()

    def letter(bidder):
        return next(d for d in docs if d.kind == "assessment_letter" and d.audience_supplier_id == next(iter(bidder.supplier_ids)))

    def summary(organisation):
        return next(d for d in docs if d.kind == "order_summary" and d.audience_organisation_id == organisation.id)

    documents = {"award notice": next(d for d in docs if d.kind == "award_notice"),
                 "evaluation report": next(d for d in docs if d.kind == "evaluation_report"),
                 "winner's letter": letter(winner), "loser's letter": letter(loser),
                 "another loser's letter": letter(other_loser),
                 "own order summary": summary(made["orgs"][0]),
                 "other organisation's order summary": summary(made["orgs"][1])}
    session.commit()
    made.update(award=award, share=share, readers=readers, documents=documents, winner=winner, loser=loser,
                opened=opened)
    return made


def _allowed(world, reader):
    return {d.id for name, d in world["documents"].items() if reader in MAY_READ[name]}


def test_every_document_of_the_pack_is_in_the_table(session, world):
    """A new document must say who reads it here before it can pass."""
    made = set(session.scalars(select(Document.id).where(Document.tender_id == world["tender"].id)))
    assert made == {d.id for d in world["documents"].values()}


@pytest.mark.parametrize("reader", [r for r in READERS if r != "anonymous"])
def test_the_one_rule_lists_what_it_downloads(session, world, reader):
    actor, tender = world["readers"][reader], world["tender"]
    assert is_party_to(session, actor, tender) is (reader in PARTIES)
    allowed = _allowed(world, reader)
    assert {d.id for d in readable_documents(session, actor, tender.id)} == allowed
    for document in world["documents"].values():
        if document.id in allowed:
            assert reading.get_document(session, actor, document.id).id == document.id
        else:
            with pytest.raises(NotFound):
                reading.get_document(session, actor, document.id)


@pytest.mark.parametrize("reader", READERS)
def test_each_reader_lists_and_downloads_only_what_it_may(app, session, world, reader):
    tender, allowed = world["tender"], _allowed(world, reader)
    actor = world["readers"].get(reader)
    headers = {"Authorization": f"Bearer {factories.token_for(session, actor)}"} if actor else {}
    with fresh_browser(app) as browser:
        if actor:
            sign_in(browser, actor.email, factories.PASSWORD)
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        listed = browser.get(f"/api/v1/tenders/{tender.id}/documents", headers=headers)
        if actor is None:
            assert listed.status_code == 401
        else:
            assert listed.status_code == 200 and {d["id"] for d in listed.get_json()} == allowed
        if reader in LIST_PAGE:
            page = browser.get(LIST_PAGE[reader].format(tender=tender.id))
            linked = {int(n) for n in re.findall(r'href="/documents/(\d+)"', page.get_data(as_text=True))}
            if page.status_code == 200:
                assert linked == allowed
            else:  # a buyer whose organisation takes no part does not see the tender; nor a non-bidder its results
                assert page.status_code == 404 and not allowed
        for name, document in world["documents"].items():
            for url, refused_anonymous in ((f"/documents/{document.id}", 302), (f"/api/v1/documents/{document.id}", 401)):
                response = browser.get(url, headers=headers if url.startswith("/api") else {})
                if actor is None:
                    assert response.status_code == refused_anonymous, (name, url)
                elif document.id in allowed:
                    assert response.status_code == 200, (name, url)
                    assert response.data.startswith(b"%PDF") and response.headers["X-Content-SHA256"] == document.sha256
                else:
                    assert response.status_code == 404, (name, url, response.status_code)
                    assert b"%PDF" not in response.data
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events  # reading changes nothing


def test_no_public_page_offers_an_award_document(client, world):
    """The public register and the published OCDS data carry the award and bid counts; no
    award document is linked from them, and no losing bidder's price is in them."""
    award, share = world["award"], world["share"]
    losing = [e.total for e in award.entries if e.bid not in award.awarded_bids]
    ocid = ocds.ocid(current_app.config["OCDS_OCID_PREFIX"], world["tender"].id)
    for url in ("/register", f"/api/ocds/records/{ocid}"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True).replace(f"/notices/{ocid}/documents/", "")  # the tender's own documents
        assert "/documents/" not in body
        for total in losing:
            assert _money(total) not in body and f'"amount":{total:f}' not in body and f'"amount":{float(total)}' not in body
    released = client.get(f"/api/ocds/records/{ocid}").get_json()["records"][0]["compiledRelease"]
    (awarded,) = released["awards"]
    assert Decimal(str(awarded["value"]["amount"])) == share.value and awarded["description"] == award.explanation
    statistics = {s["id"]: s["value"] for s in released["bids"]["statistics"]}
    assert (statistics["lot-1-bids"], statistics["lot-1-validBids"]) == (award.counts.received, award.counts.valid)


def test_the_notice_for_every_party_states_the_award_and_not_the_competitors_prices(session, world):
    award, share, tender = world["award"], world["share"], world["tender"]
    notice = _text(world["documents"]["award notice"])
    standstill = world["standstill"]
    counts = award.counts
    assert counts.received == counts.assessed == len(world["bidders"]) and counts.valid == len(
        [e for e in award.entries if e.eligible])
    # What every party is told: the winner, the awarded value, the bid counts, the standstill, the
    # winner's rank and total score.
    assert f"awarded to {award.supplier(share)}: £{_money(share.value)} ex VAT" in notice
    assert f"{counts.received} received, {counts.assessed} assessed (pricing the whole lot), {counts.valid} valid" in notice
    assert f"8 working days beginning with {to_london(standstill.published_at):%-d %B %Y}" in notice
    assert f"no contract will be entered before the end of {standstill.ends_on:%-d %B %Y}" in notice
    assert f"ranked {share.rank} of {counts.assessed} on this lot, with a total score of {share.score} out of 100" in notice
    # What it is not told: any losing bidder's name or total, the winner's price and quality
    # scores (with its value they give the lowest price), any organisation's quantities.
    for entry in award.entries:
        if entry.bid not in award.awarded_bids:
            assert award.names[entry.bid] not in notice and _money(entry.total) not in notice
            assert not _number(notice, f"{entry.total:f}")
    assert not _number(notice, str(share.price_score)) and not _number(notice, str(share.quality_score))
    qty = current_app.jinja_env.filters["qty"]
    lines = [l for lot in tender.lots for l in lot.lines if l.status is LineStatus.confirmed]
    assert lines
    for line in lines:
        assert not _number(notice, qty(line.quantity)), line.quantity
    assert not _number(notice, qty(sum((l.quantity for l in lines), Decimal(0))))


def test_each_party_keeps_its_own_figures(session, world):
    """The losing bidder's letter has its own total and not the others'; each organisation's
    order summary its own quantities and not another's; the agency's report everything."""
    award, tender = world["award"], world["tender"]
    totals = {e.bid: e.total for e in award.entries}
    for bidder, name in ((world["loser"], "loser's letter"), (world["winner"], "winner's letter")):
        mine = world["opened"][next(iter(bidder.supplier_ids))].id
        letter = _text(world["documents"][name])
        assert _money(totals[mine]) in letter
        for bid, total in totals.items():
            if bid != mine:
                assert _money(total) not in letter, (name, total)
    qty = current_app.jinja_env.filters["qty"]
    own, other = world["orgs"]
    summary = _text(world["documents"]["own order summary"])
    for line in record.tender_lines(session, tender, own.id):
        assert f"{qty(line.quantity)} {_money(line.unit_price)} {_money(line.cost)}" in summary
    assert other.name not in summary
    for line in record.tender_lines(session, tender, other.id):
        assert not _number(summary, qty(line.quantity))
    report = _text(world["documents"]["evaluation report"])
    assert "For the agency's file only" in report
    for entry in award.entries:
        assert f"{award.names[entry.bid]} {_money(entry.total)} {entry.price_score} {entry.quality_score} {entry.score}" in report
    for organisation in (own, other):
        assert organisation.name in report


@pytest.mark.parametrize("bidder", ["losing supplier", "winning supplier"])
def test_the_results_api_says_what_the_results_page_says(app, session, world, bidder):
    tender, award, share = world["tender"], world["award"], world["share"]
    actor = world["readers"][bidder]
    mine = world["opened"][next(iter(actor.supplier_ids))]
    own = next(e for e in award.entries if e.bid == mine.id)
    token = factories.token_for(session, actor)
    session.commit()
    with fresh_browser(app) as browser:
        sign_in(browser, actor.email, factories.PASSWORD)
        page = html.unescape(re.sub(r"\s+", " ", browser.get(f"/opportunities/{tender.id}/results").get_data(as_text=True)))
        response = browser.get(f"/api/v1/opportunities/{tender.id}/results", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    (result,) = response.get_json()  # the one lot it bid for
    assert result["lot"] == award.lot.number and f"Lot {award.lot.number}: {award.lot.title}" in page
    won = mine.id in award.awarded_bids
    assert result["won"] is won and ("Awarded to you" if won else "Not awarded to you") in page
    assert result["basis"] == award.explanation and award.explanation in page
    assert result["own"]["score"] == str(own.score) and str(own.score) in page
    assert result["own"]["price_score"] == str(own.price_score) and str(own.price_score) in page
    (awarded,) = result["awarded"]
    assert awarded["supplier"] == award.supplier(share) and awarded["supplier"] in page
    assert awarded["score"] == str(share.score) and str(share.score) in page
    assert awarded["price_score"] == str(share.price_score) and str(share.price_score) in page
    if not won:
        assert result["reason"] and result["reason"] in page
    # Neither says another bidder's price: not the winner's to a loser, nor a loser's to anyone.
    others = [e.total for e in award.entries if e.bid != mine.id]
    for total in others:
        assert _money(total) not in page and str(total) not in response.get_data(as_text=True)
    assert "value" not in awarded and "total" not in awarded
