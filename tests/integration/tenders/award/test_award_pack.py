"""The award pack, made by its job (in-process here; through real RQ workers in
tests/integration/jobs): the documents, their text, who may download them, idempotence."""
from __future__ import annotations

import pytest
from pypdf import PdfReader
from sqlalchemy import select

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
