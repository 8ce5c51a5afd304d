"""The award pack, made by its job (in-process here; through real RQ workers in
tests/integration/jobs): the documents, their text, who may download them, idempotence."""
from __future__ import annotations

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, func, select

from procurement.core.errors import NotFound
from procurement.core.jobrecords import Job, JobStatus, run_job
from dashboards import documents as reading
from tenders.lifecycle import readable_documents
from procurement.core.documents import Document
from tests import factories
from tests.factories import stored_file


def _text(document: Document) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(stored_file(document)).pages)


@pytest.fixture()
def world(session):
    made = factories.decided_tender(session)
    session.commit()  # the job runs once the transaction that asked for it commits (in-process here)
    return made


def test_the_award_pack_is_made_once_and_says_the_right_things(session, world):
    job = session.scalars(select(Job).where(Job.kind == "award_pack")).one()
    assert job.status is JobStatus.done and job.progress == 100 and job.result["documents"] == 7
    children = session.scalars(select(Job).where(Job.id.in_(job.result["jobs"]))).all()
    assert len(children) == 7 and {c.status for c in children} == {JobStatus.done}
    docs = {(d.kind, d.subject_id): d for d in session.scalars(select(Document))}
    kinds = sorted(k for k, _ in docs)
    assert kinds == ["assessment_letter"] * 3 + ["award_notice", "evaluation_report"] + ["order_summary"] * 2
    notice = next(d for (k, _), d in docs.items() if k == "award_notice")
    text = _text(notice)
    assert "award decision notice" in text.lower() and "96.38" in text and world["tender"].reference in text
    assert f"{world['standstill'].ends_on:%-d %B %Y}" in text and "Page 1 of" in text
    letters = {d.audience_supplier_id: d for (k, _), d in docs.items() if k == "assessment_letter"}
    totals = {0: "111,000.00", 1: "105,000.00", 2: "111,750.00"}
    for n, bidder in enumerate(world["bidders"]):
        letter = _text(letters[next(iter(bidder.supplier_ids))])
        assert totals[n] in letter and "Best quality at a close price" in letter
    losing = _text(letters[next(iter(world["bidders"][1].supplier_ids))])
    assert "111,000.00" not in losing and "111,750.00" not in losing  # only its own prices
    reader = PdfReader(stored_file(notice))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]  # a tagged PDF
    assert reader.metadata.title == notice.title and reader.metadata.author
    first = {d.id: d.sha256 for d in docs.values()}
    assert run_job(job.id)["status"] == "already done"
    for again in (job, children[0]):  # the pack and a document job run again: nothing new
        again.status = JobStatus.queued
        session.flush()
        result = run_job(again.id)
        if again is job:
            assert result["jobs"] == []  # every document exists: no job asked for
        else:
            assert result["made"] is False
    session.expire_all()
    assert {d.id: d.sha256 for d in session.scalars(select(Document))} == first


def test_each_party_downloads_only_what_it_may(session, world):
    docs = session.scalars(select(Document)).all()
    bidder, other = world["bidders"][0], world["bidders"][1]
    own_letter = next(d for d in docs if d.audience_supplier_id == next(iter(bidder.supplier_ids)))
    other_letter = next(d for d in docs if d.audience_supplier_id == next(iter(other.supplier_ids)))
    buyer_summary = next(d for d in docs if d.audience_organisation_id == world["orgs"][0].id)
    other_summary = next(d for d in docs if d.audience_organisation_id == world["orgs"][1].id)
    notice = next(d for d in docs if d.kind == "award_notice")
    assert reading.get_document(session, bidder, own_letter.id)
    assert reading.get_document(session, world["buyers"][0], buyer_summary.id)
    assert reading.get_document(session, world["buyers"][0], notice.id)
    assert reading.get_document(session, bidder, notice.id)
    for actor, document in [(bidder, other_letter), (world["buyers"][0], other_summary), (world["buyers"][0], own_letter),
                            (factories.user(session, "admin"), notice), (factories.user(session, "supplier"), own_letter)]:
        with pytest.raises(NotFound):
            reading.get_document(session, actor, document.id)
    assert len(readable_documents(session, world["agency"], world["tender"].id)) == 7


def test_notices_made_before_are_made_again_without_the_competitors_prices(app, session, world):
    """`flask tenders remake-award-notices`, once after upgrading: a notice made by the old
    template (every bidder's total) is made again in its row, and the pack is asked for the
    evaluation report it did not hold."""
    from procurement.core import documents as stored
    from tenders.award import record

    tender = world["tender"]
    (award,) = record.lot_awards(session, tender).values()
    losing = [f"{e.total:,.2f}" for e in award.entries if e.bid not in award.awarded_bids]
    notice = session.scalars(select(Document).where(Document.kind == "award_notice")).one()
    stored.save(session, kind=notice.kind, subject_type=notice.subject_type, subject_id=notice.subject_id,
                title=notice.title, file_name=notice.file_name, data=_old_notice(losing), tender_id=tender.id,
                audience_parties=True)
    session.execute(delete(Document).where(Document.kind == "evaluation_report"))
    session.commit()
    assert all(total in _text(notice) for total in losing)

    result = app.test_cli_runner().invoke(args=["tenders", "remake-award-notices"])
    letters = session.scalar(select(func.count()).select_from(Document).where(Document.kind == "assessment_letter"))
    assert letters >= 2  # each bidder's letter is made again too (issue 18: the advantages' figure)
    assert result.exit_code == 0 and f"{1 + letters} award notice(s) and letter(s) made again" in result.output, \
        result.output
    session.expire_all()
    (again,) = session.scalars(select(Document).where(Document.kind == "award_notice")).all()
    text = _text(again)
    assert again.id == notice.id and f"{award.counts.received} received" in text
    assert not any(total in text for total in losing)
    assert session.scalars(select(Document).where(Document.kind == "evaluation_report")).one().subject_id == award.lot.id
    packs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "award_pack"))
    result = app.test_cli_runner().invoke(args=["tenders", "remake-award-notices"])
    assert result.exit_code == 0
    assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "award_pack")) == packs  # nothing missing


def _old_notice(totals: list[str]) -> bytes:
    from procurement.core.pdf import render_pdf

    rows = "".join(f"<p>Tender {n}: £{total}</p>" for n, total in enumerate(totals, start=1))
    return render_pdf(f"<html><head><title>Old notice</title></head><body>{rows}</body></html>", title="Old notice")
