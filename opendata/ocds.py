"""Open contracting data: every published tender as OCDS 1.1 releases (planning, tender,
tenderUpdate per amendment, tenderCancellation, award with the bids and lots extensions,
contract) and records compiled with ocdsmerge. Only what has been published: nothing of a
draft, never a sealed bid or a quality response, no personal data (no contact names,
e-mails or telephone numbers); bid details only once the award decision is published.

Identifiers: the ocid is OCDS_OCID_PREFIX plus the tender's id; release ids are the ocid and
the stage, so they are unique and never change. Councils are identified as GB-LAE-XXX,
suppliers by Companies House number (GB-COH-NNNNNNNN)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.audit import AuditEvent
from procurement.parties.models import CpvCode, Organisation
from suppliers.models import Supplier
from tenders.award.record import lot_awards, lot_bid_counts
from tenders.models import AwardDecision, BidVersion, Contract, LineStatus, OpenedBid, Standstill, Tender, TenderStatus
from tenders.award.ranking import decision_scores, lot_totals

VERSION = "1.1"
SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "ocds" / "release-schema-bids-lots.json"
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
]
AGENCY_ID = "ljp-agency"  # our own party ids carry no identifier scheme: none is registered for them
AGENCY_NAME = "London Joint Procurement e-agency"
PUBLISHED = ("published", "closed", "opened", "evaluation", "award_proposed", "standstill", "awarded", "complete",
             "cancelled", "unsuccessful")


@lru_cache(maxsize=1)
def release_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text())


def rfc3339(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def gbp(amount: Decimal | None) -> dict[str, Any] | None:
    return None if amount is None else {"amount": float(amount.quantize(Decimal("0.01"))), "currency": "GBP"}


def ocid(prefix: str, tender_id: int) -> str:
    return f"{prefix}-{tender_id}"


def _clean(value: Any) -> Any:
    """Drop empty fields: OCDS omits what is not known rather than sending nulls."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


# Parties ---------------------------------------------------------------------------------

def organisation_party(organisation: Any) -> dict[str, Any]:
    identifier = organisation.org_identifier
    if identifier and "-" in identifier:
        scheme, _, local = identifier.rpartition("-")
        return {"id": identifier, "name": organisation.name, "roles": ["buyer"],
                "identifier": {"scheme": scheme, "id": local, "legalName": organisation.name}}
    return {"id": f"ljp-organisation-{organisation.id}", "name": organisation.name, "roles": ["buyer"],
            "identifier": {"legalName": organisation.name}}


def supplier_party(supplier: Any, roles: list[str]) -> dict[str, Any]:
    if supplier.companies_house_number:
        return {"id": f"GB-COH-{supplier.companies_house_number}", "name": supplier.legal_name, "roles": roles,
                "identifier": {"scheme": "GB-COH", "id": supplier.companies_house_number, "legalName": supplier.legal_name},
                "details": {"scale": "sme" if supplier.is_sme else "large"}}
    return {"id": f"ljp-supplier-{supplier.id}", "name": supplier.legal_name, "roles": roles,
            "identifier": {"legalName": supplier.legal_name}, "details": {"scale": "sme" if supplier.is_sme else "large"}}


def _ref(party: dict[str, Any]) -> dict[str, Any]:
    return {"id": party["id"], "name": party["name"]}


# What one tender publishes ------------------------------------------------------------------

class _Tender:
    """Everything about one tender the releases draw on, loaded once."""

    def __init__(self, session: Session, tender: Any, prefix: str):
        self.session, self.tender, self.ocid = session, tender, ocid(prefix, tender.id)
        self.lots = list(tender.lots)
        confirmed = [line for lot in self.lots for line in lot.lines if line.status is LineStatus.confirmed]
        organisation_ids = sorted({line.organisation_id for line in confirmed})
        self.organisations = list(session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids))
                                                  .order_by(Organisation.name)))
        self.baseline = sum((line.quantity * line.baseline_unit_price for line in confirmed), Decimal(0))
        self.line_count = len(confirmed)
        self.contracts = list(session.scalars(select(Contract).where(Contract.lot_id.in_([l.id for l in self.lots]))
                                              .order_by(Contract.id)))
        self._cpv: dict[str, str] | None = None

    # loaded when a release needs them (the register needs none of them)
    @cached_property
    def standstill(self) -> Any:
        return self.session.scalar(select(Standstill).where(Standstill.tender_id == self.tender.id))

    @cached_property
    def decisions(self) -> dict[int, Any]:
        return {d.lot_id: d for d in self.session.scalars(select(AwardDecision).where(
            AwardDecision.lot_id.in_([l.id for l in self.lots])))}

    @cached_property
    def opened(self) -> list[Any]:
        return list(self.session.scalars(select(OpenedBid).where(OpenedBid.tender_id == self.tender.id)
                                         .order_by(OpenedBid.id)))

    @cached_property
    def cancelled_at(self) -> datetime | None:
        return self.session.scalar(select(AuditEvent.occurred_at).where(
            AuditEvent.action == "tender.cancelled", AuditEvent.subject_type == "tender",
            AuditEvent.subject_id == str(self.tender.id)).order_by(AuditEvent.seq.desc()).limit(1))

    def cpv(self, code: str) -> str | None:
        if self._cpv is None:
            codes = {i.cpv_code for lot in self.lots for i in lot.items} | {lot.cpv_code for lot in self.lots}
            self._cpv = dict(self.session.execute(select(CpvCode.code, CpvCode.description).where(CpvCode.code.in_(codes))).all())
        return self._cpv.get(code)

    # sections --------------------------------------------------------------------------

    def agency(self) -> dict[str, Any]:
        return {"id": AGENCY_ID, "name": AGENCY_NAME, "roles": ["procuringEntity"],
                "identifier": {"legalName": AGENCY_NAME}, "address": {"locality": "London", "countryName": "United Kingdom"}}

    def items(self, quantities: dict[int, Decimal] | None = None) -> list[dict[str, Any]]:
        out = []
        for lot in self.lots:
            for item in lot.items:
                out.append({"id": f"{lot.number}-{item.number}", "description": item.description,
                            "classification": {"scheme": "CPV", "id": item.cpv_code, "description": self.cpv(item.cpv_code)},
                            "quantity": float((quantities or {}).get(item.id, item.quantity)),
                            "unit": {"name": item.unit}, "relatedLot": f"lot-{lot.number}"})
        return out

    def tender_section(self, status: str, amendments: Iterable[Any] = ()) -> dict[str, Any]:
        t = self.tender
        criteria = "; ".join(f"{c.name} {c.weight}%" for c in t.criteria)
        amendments = list(amendments)
        deadline = amendments[-1].new_deadline if amendments else (
            t.submission_deadline if not t.amendments else t.amendments[0].previous_deadline)
        return {
            "id": t.reference, "title": t.title, "description": t.description, "status": status,
            "procuringEntity": {"id": AGENCY_ID, "name": AGENCY_NAME},
            "items": self.items(),
            "value": gbp(sum((l.estimated_value or Decimal(0) for l in self.lots), Decimal(0)) or None),
            "procurementMethod": "open", "procurementMethodDetails": "Open procedure (Procurement Act 2023)",
            "mainProcurementCategory": "goods",
            "awardCriteria": "ratedCriteria",
            "awardCriteriaDetails": f"Most advantageous tender: price {t.price_weight}%; quality: {criteria}",
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": {"startDate": rfc3339(t.published_at), "endDate": rfc3339(deadline)},
            "enquiryPeriod": {"startDate": rfc3339(t.published_at), "endDate": rfc3339(t.clarification_deadline)},
            "awardPeriod": {"startDate": rfc3339(deadline)} if t.expected_award_on is None else {
                "startDate": rfc3339(deadline), "endDate": rfc3339(t.expected_award_on)},
            "documents": [{"id": f"tender-document-{d.id}", "documentType": "technicalSpecifications" if "specif" in d.title.lower()
                           else "biddingDocuments", "title": d.title, "datePublished": rfc3339(max(d.uploaded_at, t.published_at)),
                           "format": "text/plain" if d.filename.endswith(".txt") else None, "language": "en"}
                          for d in t.documents if d.amendment_number is None
                          or any(a.number == d.amendment_number for a in amendments)],
            "lots": [{"id": f"lot-{lot.number}", "title": lot.title, "status": status if status in ("active", "cancelled", "unsuccessful", "complete") else None,
                      "value": gbp(lot.estimated_value)} for lot in self.lots],
            "amendments": [{"id": f"amendment-{a.number}", "date": rfc3339(a.published_at), "rationale": a.summary,
                            "description": f"Deadline moved from {rfc3339(a.previous_deadline)} to {rfc3339(a.new_deadline)}"}
                           for a in amendments],
        }

    def release(self, stage: str, tag: list[str], when: datetime | None, **sections: Any) -> dict[str, Any]:
        parties = sections.pop("parties", None) or [self.agency()] + [organisation_party(o) for o in self.organisations]
        return _clean({"ocid": self.ocid, "id": f"{self.ocid}-{stage}", "date": rfc3339(when), "tag": tag,
                       "initiationType": "tender", "language": "en", "parties": parties, **sections})

    # the releases ------------------------------------------------------------------------

    def releases(self) -> list[dict[str, Any]]:
        t = self.tender
        if t.published_at is None or t.status.value not in PUBLISHED:
            return []
        out = [self.release("planning", ["planning"], t.confirmation_closed_at or t.published_at, planning={
            "rationale": f"Joint procurement of pooled demand: {len(self.organisations)} organisations confirmed "
                         f"{self.line_count} requirement lines",
            "budget": {"description": "Baseline spend of the confirmed requirements (what the organisations pay today)",
                       "amount": gbp(self.baseline)}},
            tender={"id": t.reference, "title": t.title, "status": "planned", "items": self.items(),
                    "procuringEntity": {"id": AGENCY_ID, "name": AGENCY_NAME}})]
        out.append(self.release("tender", ["tender"], t.published_at, tender=self.tender_section("active")))
        amendments = list(t.amendments)
        for n, amendment in enumerate(amendments, start=1):
            out.append(self.release(f"tenderUpdate-{amendment.number}", ["tenderUpdate"], amendment.published_at,
                                    tender=self.tender_section("active", amendments[:n])))
        if t.status.value == "cancelled":
            section = self.tender_section("cancelled", amendments)
            section["statusDetails"] = t.cancel_reason or "Cancelled"
            out.append(self.release("tenderCancellation", ["tenderCancellation"], self.cancelled_at or t.published_at,
                                    tender=section))
            return out
        if self.standstill is not None:
            out.append(self.award_release())
        if self.contracts:
            out.append(self.contract_release())
        return out

    @cached_property
    def _awarded(self) -> list[tuple[Any, Any, Any, Any]]:
        """(lot, opened bid, award share, the lot's award) of each approved award, from the award record."""

        by_id = {o.id: o for o in self.opened}
        return [(award.lot, by_id[share.opened_bid_id], share, award)
                for award in lot_awards(self.session, self.tender, approved_only=True).values() for share in award.shares]

    @cached_property
    def _bid_parties(self) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
        winners = {o.supplier_id for _, o, _, _ in self._awarded}
        suppliers = {s.id: s for s in self.session.scalars(select(Supplier).where(
            Supplier.id.in_([o.supplier_id for o in self.opened])))}
        parties = {sid: supplier_party(s, ["tenderer", "supplier"] if sid in winners else ["tenderer"])
                   for sid, s in suppliers.items()}
        return parties, [self.agency()] + [organisation_party(o) for o in self.organisations] + list(parties.values())

    def _award_id(self, lot: Any, opened: Any) -> str:
        return f"{self.ocid}-award-lot-{lot.number}-bid-{opened.id}"

    def awards(self, status: str) -> list[dict[str, Any]]:
        parties, _ = self._bid_parties
        out = []
        for lot, opened, share, award in self._awarded:
            items = [i for i in self.items() if i["relatedLot"] == f"lot-{lot.number}"]
            if share.share_percent < 100 and len(lot.items) == 1:
                items = [{**items[0], "quantity": float(share.quantity)}]
            out.append({"id": self._award_id(lot, opened), "title": f"Lot {lot.number}: {lot.title}", "status": status,
                        "description": award.explanation,
                        "date": rfc3339(self.standstill.published_at), "value": gbp(share.value),
                        "suppliers": [_ref(parties[opened.supplier_id])], "items": items,
                        "relatedLots": [f"lot-{lot.number}"],
                        "relatedBid": f"bid-{opened.id}-lot-{lot.number}",
                        "contractPeriod": None})
        return out

    def bids(self) -> dict[str, Any]:
        """Bid statistics and each bid's tenderer and status; a value only for a bid that won
        (the award's): losing bidders' prices, and the lowest and highest with public
        quantities, would give competitors their unit prices (Find a Tender's UK6 publishes
        the award and bid counts, not rivals' prices)."""
        parties, _ = self._bid_parties
        winning = {award["relatedBid"] for award in self.awards("pending")}
        scores = decision_scores(self.session, self.tender)
        submitted = dict(self.session.execute(select(BidVersion.bid_id, BidVersion.submitted_at).where(
            BidVersion.bid_id.in_([o.bid_id for o in self.opened]), BidVersion.submitted_at.is_not(None))).all())
        sme = {s.id for s in self.session.scalars(select(Supplier).where(Supplier.id.in_([o.supplier_id for o in self.opened]),
                                                                          Supplier.is_sme))}
        statistics = [{"id": "bids", "measure": "bids", "value": len(self.opened)},
                      {"id": "smeBids", "measure": "smeBids", "value": len([o for o in self.opened if o.supplier_id in sme])}]
        details = []
        counts = lot_bid_counts(self.session, self.tender)  # the award record's, as the notices state them
        for lot in self.lots:
            totals = lot_totals(self.session, self.tender, lot)
            eligible = {e.bid: e for e in scores.get(lot.id, [])}
            statistics += [{"id": f"lot-{lot.number}-bids", "measure": "bids", "value": counts[lot.id].received,
                            "relatedLot": f"lot-{lot.number}"},
                           {"id": f"lot-{lot.number}-validBids", "measure": "validBids", "value": counts[lot.id].valid,
                            "relatedLot": f"lot-{lot.number}"}]
            for opened in self.opened:
                if opened.id not in totals:
                    continue
                entry = eligible.get(opened.id)
                bid_id = f"bid-{opened.id}-lot-{lot.number}"
                details.append({"id": bid_id, "date": rfc3339(submitted.get(opened.bid_id)),
                                "status": "valid" if entry is None or entry.eligible else "disqualified",
                                "tenderers": [_ref(parties[opened.supplier_id])],
                                **({"value": gbp(totals[opened.id])} if bid_id in winning else {}),
                                "relatedLots": [f"lot-{lot.number}"]})
        return {"statistics": statistics, "details": details}

    def award_release(self) -> dict[str, Any]:
        _, parties = self._bid_parties
        return self.release("award", ["award"], self.standstill.published_at, parties=parties,
                            tender=self.tender_section("complete", list(self.tender.amendments)),
                            awards=self.awards("pending"), bids=self.bids())

    def contract_release(self) -> dict[str, Any]:
        _, parties = self._bid_parties
        awards = {a["id"]: a for a in self.awards("active")}
        contracts = []
        for contract in self.contracts:
            lot = next(l for l in self.lots if l.id == contract.lot_id)
            award = awards.get(f"{self.ocid}-award-lot-{lot.number}-bid-{contract.opened_bid_id}")
            contracts.append({"id": f"{self.ocid}-contract-{contract.id}", "awardID": award["id"] if award else None,
                              "title": f"Lot {lot.number}: {lot.title}", "status": "active", "value": gbp(contract.value),
                              "dateSigned": rfc3339(contract.entered_at), "items": award["items"] if award else None})
        when = max(c.entered_at for c in self.contracts)
        return self.release("contract", ["contract", "awardUpdate"], when, parties=parties,
                            awards=list(awards.values()), contracts=contracts)


# Packages --------------------------------------------------------------------------------

def published_tenders(session: Session) -> list[Any]:
    return list(session.scalars(select(Tender).where(Tender.published_at.is_not(None),
                                                     Tender.status != TenderStatus.draft).order_by(Tender.id)))


def facts(session: Session, tender: Any, prefix: str) -> _Tender:
    """What one tender publishes, for pages that show its releases' content (opendata/notices.py)."""
    return _Tender(session, tender, prefix)


def tender_releases(session: Session, tender: Any, prefix: str) -> list[dict[str, Any]]:
    return _Tender(session, tender, prefix).releases()


def all_releases(session: Session, prefix: str, since: datetime | None = None,
                 until: datetime | None = None) -> list[dict[str, Any]]:
    """Every release of every published tender, oldest first (by date, then id)."""
    found = [r for t in published_tenders(session) for r in tender_releases(session, t, prefix)]
    if since is not None:
        found = [r for r in found if r["date"] >= rfc3339(since)]
    if until is not None:
        found = [r for r in found if r["date"] <= rfc3339(until)]
    return sorted(found, key=lambda r: (r["date"], r["id"]))


def package_metadata(uri: str, published: datetime) -> dict[str, Any]:
    return {"uri": uri, "version": VERSION, "extensions": EXTENSIONS, "publishedDate": rfc3339(published),
            "publisher": {"name": AGENCY_NAME}, "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            "publicationPolicy": "https://londonconnects.example/open-data"}


def release_package(releases: list[dict[str, Any]], uri: str, published: datetime) -> dict[str, Any]:
    return {**package_metadata(uri, published), "releases": releases}


def record_package(session: Session, prefix: str, record_ocid: str, uri: str, published: datetime) -> dict[str, Any] | None:
    """The record of one contracting process: its releases and the compiled release."""
    import ocdsmerge


    if not record_ocid.startswith(prefix + "-") or not record_ocid[len(prefix) + 1:].isdecimal():
        return None
    tender = session.get(Tender, int(record_ocid[len(prefix) + 1:]))
    if tender is None:
        return None
    releases = tender_releases(session, tender, prefix)
    if not releases:
        return None
    compiled = ocdsmerge.Merger(schema=release_schema()).create_compiled_release(
        sorted(releases, key=lambda r: r["date"]))
    return {**package_metadata(uri, published), "records": [{"ocid": record_ocid, "releases": releases,
                                                             "compiledRelease": compiled}]}


def register(session: Session, prefix: str, *, cpv: str = "", organisation: str = "", since: date | None = None,
             until: date | None = None) -> list[dict[str, Any]]:
    """Published tenders and awarded contracts for the public register, newest first."""
    rows = []
    wanted_cpv = "".join(ch for ch in cpv if ch.isdecimal())
    for tender in reversed(published_tenders(session)):
        facts = _Tender(session, tender, prefix)
        codes = sorted({lot.cpv_code for lot in facts.lots})
        names = [o.name for o in facts.organisations]
        published_on = tender.published_at.date()
        if wanted_cpv and not any(code.startswith(wanted_cpv.rstrip("0") or wanted_cpv) for code in codes):
            continue
        if organisation and not any(organisation.lower() in n.lower() for n in names):
            continue
        if (since and published_on < since) or (until and published_on > until):
            continue
        awarded = sum((c.value for c in facts.contracts), Decimal(0))
        rows.append({"ocid": facts.ocid, "reference": tender.reference, "title": tender.title,
                     "status": tender.stage, "published_at": tender.published_at,
                     "cpv": [(code, facts.cpv(code)) for code in codes], "organisations": names,
                     "contracts": len(facts.contracts), "awarded": awarded if facts.contracts else None})
    return rows
