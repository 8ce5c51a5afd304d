"""Each notice's body: an OCDS release in the UK profile, named as Find a Tender's own data names
its notices (the notice's document carries `documentType` and the UK extension's `noticeType`:
planning/documents for UK1 and UK2, tender/documents for UK4 and UK12, awards/documents for UK6,
contracts/documents for UK7). The releases' content is opendata/ocds.py's, so a notice says what
the open data says; this module only shapes it into the notice."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata import ocds, profile
from opendata.uk_notices.models import NoticeKind
from procurement.parties.models import Organisation
from tenders.models import Tender

# documentType (OCDS core and the UK extension's codelists) of each notice's own document.
DOCUMENT_TYPES = {NoticeKind.UK1: "plannedProcurementNotice", NoticeKind.UK2: "marketEngagementNotice",
                  NoticeKind.UK4: "tenderNotice", NoticeKind.UK6: "awardNotice", NoticeKind.UK7: "contractNotice",
                  NoticeKind.UK12: "tenderCancellationNotice"}
CONTRACT_COPY_TYPE = "contractSigned"  # the copy of a contract over £5m, attached to the UK7
TAGS = {NoticeKind.UK1: ["planning"], NoticeKind.UK2: ["planning"], NoticeKind.UK4: ["tender"],
        NoticeKind.UK6: ["award"], NoticeKind.UK7: ["contract"], NoticeKind.UK12: ["tenderCancellation"]}


def notice_document(kind: NoticeKind, notice_id: int, title: str, at: datetime, url: str) -> dict[str, Any]:
    return {"id": f"notice-{notice_id}", "documentType": DOCUMENT_TYPES[kind], "noticeType": kind.value,
            "title": title, "url": url, "datePublished": ocds.rfc3339(at), "format": "text/html", "language": "en"}


def _with_document(section: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    return {**section, "documents": [*section.get("documents", []), document]}


def _release(facts: Any, kind: NoticeKind, notice_id: int, at: datetime, **sections: Any) -> dict[str, Any]:
    release = facts.release(f"{kind.value.lower()}-{notice_id}", TAGS[kind], at, **sections)
    release["buyer"] = {"id": ocds.AGENCY_ID, "name": ocds.AGENCY_NAME}
    return release


def tender_body(session: Session, tender: Tender, kind: NoticeKind, notice_id: int, prefix: str, at: datetime,
                url: str, *, contract_copy: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body of a tender's notice (UK2, UK4, UK6, UK7, UK12)."""
    facts = ocds.facts(session, tender, prefix)
    document = notice_document(kind, notice_id, f"{kind.value} {tender.reference}: {tender.title}", at, url)
    amendments = list(tender.amendments)
    if kind is NoticeKind.UK2:
        return _release(facts, kind, notice_id, at, planning=_with_document({
            "rationale": "Preliminary market engagement before the tender notice (Procurement Act 2023, s.16)"}, document),
            tender={"id": tender.reference, "title": tender.title, "description": tender.description, "status": "planning",
                    "items": facts.items(), "procuringEntity": {"id": ocds.AGENCY_ID, "name": ocds.AGENCY_NAME}})
    if kind is NoticeKind.UK4:
        return _release(facts, kind, notice_id, at, tender=_with_document(facts.tender_section("active", amendments), document))
    if kind is NoticeKind.UK12:
        section = facts.tender_section("cancelled", amendments)
        # The reason as a cancellation amendment's rationale, as the releases give it (the
        # statusDetails extension is not in the profile: no field outside it is used).
        section.setdefault("amendments", []).append({
            "id": "cancellation", "date": ocds.rfc3339(at), "rationale": tender.cancel_reason or "Cancelled",
            "description": "The procurement is terminated: no contract will be awarded under it"})
        return _release(facts, kind, notice_id, at, tender=_with_document(section, document))
    if kind is NoticeKind.UK6:
        award = facts.award_release()
        awards = [_with_document(a, {**document, "id": f"notice-{notice_id}-{n}"}) for n, a in enumerate(award["awards"])]
        return _release(facts, kind, notice_id, at, parties=award["parties"], tender=award["tender"], awards=awards,
                        bids=award.get("bids"))
    contract = facts.contract_release()
    contracts = []
    for n, entry in enumerate(contract["contracts"]):
        documents = [{**document, "id": f"notice-{notice_id}-{n}"}]
        if contract_copy is not None:
            documents.append({**contract_copy, "id": f"contract-copy-{notice_id}-{n}"})
        contracts.append({**entry, "documents": documents})
    return _release(facts, kind, notice_id, at, parties=contract["parties"], awards=contract["awards"], contracts=contracts)


def pipeline_body(organisation: Organisation, planned: list[dict[str, Any]], notice_id: int, prefix: str,
                  at: datetime, url: str) -> dict[str, Any]:
    """A pipeline notice (UK1): the authority's planned contracts over £2m, each with its value."""
    party = ocds.organisation_party(organisation)
    document = notice_document(NoticeKind.UK1, notice_id, f"Pipeline notice: {organisation.name}", at, url)
    return _clean({
        "ocid": f"{prefix}-pipeline-{organisation.id}", "id": f"{prefix}-pipeline-{organisation.id}-uk1-{notice_id}",
        "date": ocds.rfc3339(at), "tag": TAGS[NoticeKind.UK1], "initiationType": "tender", "language": "en",
        "parties": [party], "buyer": {"id": party["id"], "name": organisation.name},
        "planning": {"rationale": "Pipeline of planned procurements over £2m in the next 18 months (Procurement Act "
                                  "2023, s.93)", "documents": [document],
                     "budget": {"description": "; ".join(f"{p['title']}: £{p['value']:,.2f}" for p in planned)
                                or "No planned procurement over £2m",
                                "amount": ocds.gbp(sum((p["value"] for p in planned), Decimal(0)) or None)}},
        "tender": {"id": f"pipeline-{organisation.id}", "title": f"Pipeline of {organisation.name}", "status": "planning",
                   "lots": [{"id": f"planned-{n}", "title": p["title"], "value": ocds.gbp(p["value"])}
                            for n, p in enumerate(planned, start=1)]},
    })


def _clean(value: Any) -> Any:
    """Without the empty fields (OCDS omits what is not known rather than writing null)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def problems_by_field(body: dict[str, Any]) -> list[dict[str, str]]:
    """The body's faults against the UK profile's schema, by field (empty when it validates)."""
    return [{"field": p.field or "(the release)", "message": p.message} for p in profile.problems(body)]


def organisations_over(session: Session, threshold: Decimal) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.annual_spend > threshold).order_by(Organisation.name)))
