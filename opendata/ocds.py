"""Open contracting data: every published tender as OCDS 1.1 releases (planning, tender,
tenderUpdate per amendment, tenderCancellation, award with the bids and lots extensions,
contract) and records compiled with ocdsmerge. Only what has been published: nothing of a
draft, never a sealed bid or a quality response, no personal data (no contact names,
e-mails or telephone numbers); bid details only once the award decision is published.

Identifiers: the ocid is OCDS_OCID_PREFIX plus the tender's id; release ids are the ocid and
the stage, so they are unique and never change. Every party carries the scheme-qualified
identifier on record: councils GB-LAE-XXX, NHS bodies GB-NHS-XXX (their ODS code), suppliers by
Companies House number (GB-COH-NNNNNNNN), the agency by OCDS_AGENCY_IDENTIFIER if it has one
(a GB-PPON id, say).

The release's `buyer` is the agency (the centralised procurement authority that runs the
procedure on the participating authorities' behalf: roles buyer and procuringEntity); every
participating authority is in `parties` with the role buyer. Contact points are the agency's
role mailbox (CONTACT_EMAIL), never a person's. Each organisation's call-off order is a
contract of its own, so an integrator sees who buys what at which unit price.

The packages declare the UK profile (opendata/profile.py: the bids and lots extensions, the
Cabinet Office UK extension and what it depends on); nothing outside it is published. Two
fields the UK's own data carries are left out because their extensions (partyScale,
statusDetails) are not vendored here: a supplier's scale (the bid statistics still count SME
bids) and a cancelled tender's statusDetails (its reason is the cancellation amendment's
rationale)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata import profile
from procurement.core.audit import AuditEvent
from procurement.core.clock import LONDON
from procurement.parties.models import CpvCode, Organisation
from suppliers.models import Supplier
from tenders.award.record import lot_awards, lot_bid_counts, net_unit_price
from tenders.models import AwardDecision, BidVersion, Contract, LineStatus, OpenedBid, Standstill, Tender, TenderStatus
from tenders.award.ranking import decision_scores, lot_totals

VERSION = "1.1"
SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "ocds" / "release-schema-bids-lots.json"
# The UK profile, declared whole: the UK extension's fields (an award's standstillPeriod) patch
# definitions its dependencies add, so each of them is declared with it.
EXTENSIONS = [profile.DECLARED[name] for name in profile.UK_PROFILE]
AGENCY_ID = "ljp-agency"  # the agency's party id when it has no registered identifier
AGENCY_NAME = "London Joint Procurement e-agency"
LICENSE = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


@dataclass(frozen=True)
class Publisher:
    """Who publishes, from configuration (procurement/core/config.py, OCDS_*)."""

    name: str = AGENCY_NAME
    scheme: str = ""             # the publisher's identifier: "GB-PPON", say
    uid: str = ""
    uri: str = ""
    publication_policy: str = "https://londonconnects.example/open-data"
    agency_identifier: str = ""  # scheme-qualified, as GB-PPON-ABCD-1234-EFGH
    contact_email: str = "e-agency@demo.londonconnects.example"
    service_url: str = "http://127.0.0.1:5000"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Publisher":
        default = cls()
        return cls(name=config.get("OCDS_PUBLISHER_NAME") or default.name,
                   scheme=config.get("OCDS_PUBLISHER_SCHEME") or "", uid=config.get("OCDS_PUBLISHER_UID") or "",
                   uri=config.get("OCDS_PUBLISHER_URI") or "",
                   publication_policy=config.get("OCDS_PUBLICATION_POLICY") or default.publication_policy,
                   agency_identifier=config.get("OCDS_AGENCY_IDENTIFIER") or "",
                   contact_email=config.get("CONTACT_EMAIL") or default.contact_email,
                   service_url=(config.get("SERVICE_URL") or default.service_url).rstrip("/"))


def publisher() -> Publisher:
    """The configured publisher inside the app, the defaults outside it."""
    from flask import current_app, has_app_context

    return Publisher.from_config(current_app.config) if has_app_context() else Publisher()
PUBLISHED = ("published", "closed", "opened", "evaluation", "award_proposed", "standstill", "awarded", "complete",
             "cancelled", "unsuccessful")


@lru_cache(maxsize=1)
def release_schema() -> dict[str, Any]:
    """The UK profile's release schema: its merge rules compile the records."""
    return profile.release_schema()


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

def split_identifier(identifier: str | None) -> tuple[str, str] | None:
    """("GB-LAE", "CMD") of "GB-LAE-CMD": the scheme is the country and the register, the rest
    the id (a PPON has dashes of its own: GB-PPON-ABCD-1234-EFGH)."""
    parts = (identifier or "").split("-", 2)
    if len(parts) < 3 or not all(parts):
        return None
    return f"{parts[0]}-{parts[1]}", parts[2]


def _identified(identifier: str | None, fallback_id: str, name: str) -> tuple[str, dict[str, Any]]:
    split = split_identifier(identifier)
    if split is None:
        return fallback_id, {"legalName": name}
    return identifier or fallback_id, {"scheme": split[0], "id": split[1], "legalName": name}


LONDON_ADDRESS = {"locality": "London", "region": "London", "countryName": "United Kingdom"}
POSTCODE = __import__("re").compile(r"\b([A-Z]{1,2}[0-9][0-9A-Z]?) ?([0-9][A-Z]{2})$")


def contact(who: Publisher) -> dict[str, Any]:
    """The agency's role mailbox: every enquiry about a joint procurement goes to it."""
    return {"name": f"{who.name} procurement team", "email": who.contact_email, "url": who.service_url + "/contact"}


def organisation_party(organisation: Any, who: Publisher | None = None) -> dict[str, Any]:
    who = who or publisher()
    party_id, identifier = _identified(organisation.org_identifier, f"ljp-organisation-{organisation.id}", organisation.name)
    return {"id": party_id, "name": organisation.name, "roles": ["buyer"], "identifier": identifier,
            "address": LONDON_ADDRESS, "contactPoint": contact(who)}


def supplier_address(postal_address: str) -> dict[str, Any]:
    text = " ".join((postal_address or "").split())
    found = POSTCODE.search(text.upper())
    if found is None:
        return {"streetAddress": text, "countryName": "United Kingdom"}
    head = text[:found.start()].rstrip(" ,")
    street, _, locality = head.rpartition(",")
    return {"streetAddress": street.strip() or head, "locality": locality.strip() if street else None,
            "postalCode": f"{found.group(1)} {found.group(2)}", "countryName": "United Kingdom"}


def supplier_party(supplier: Any, roles: list[str]) -> dict[str, Any]:
    number = supplier.companies_house_number
    party_id, identifier = _identified(f"GB-COH-{number}" if number else None, f"ljp-supplier-{supplier.id}",
                                       supplier.legal_name)
    return {"id": party_id, "name": supplier.legal_name, "roles": roles, "identifier": identifier,
            "address": supplier_address(supplier.postal_address)}


def _ref(party: dict[str, Any]) -> dict[str, Any]:
    return {"id": party["id"], "name": party["name"]}


# What one tender publishes ------------------------------------------------------------------

class _Tender:
    """Everything about one tender the releases draw on, loaded once."""

    def __init__(self, session: Session, tender: Any, prefix: str, who: Publisher | None = None):
        self.session, self.tender, self.ocid = session, tender, ocid(prefix, tender.id)
        self.who = who or publisher()
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
        party_id, identifier = _identified(self.who.agency_identifier, AGENCY_ID, self.who.name)
        return {"id": party_id, "name": self.who.name, "roles": ["buyer", "procuringEntity"], "identifier": identifier,
                "address": LONDON_ADDRESS, "contactPoint": contact(self.who)}

    def agency_ref(self) -> dict[str, Any]:
        return _ref(self.agency())

    def parties(self) -> list[dict[str, Any]]:
        return [self.agency()] + [organisation_party(o, self.who) for o in self.organisations]

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
            "procuringEntity": self.agency_ref(),
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
                           "url": f"{self.who.service_url}/notices/{self.ocid}/documents/{d.id}",
                           "format": "text/plain" if d.filename.endswith(".txt") else None, "language": "en"}
                          for d in t.documents if d.amendment_number is None
                          or any(a.number == d.amendment_number for a in amendments)],
            "lots": [{"id": f"lot-{lot.number}", "title": lot.title, "status": status if status in ("active", "cancelled", "unsuccessful", "complete") else None,
                      "value": gbp(lot.estimated_value), "awardCriteria": self.award_criteria()} for lot in self.lots],
            "amendments": [{"id": f"amendment-{a.number}", "date": rfc3339(a.published_at), "rationale": a.summary,
                            "description": f"Deadline moved from {rfc3339(a.previous_deadline)} to {rfc3339(a.new_deadline)}"}
                           for a in amendments],
        }

    def award_criteria(self) -> dict[str, Any]:
        """The published criteria and weights each lot is awarded on (the awardCriteria extension):
        price, and each quality criterion, as exact percentages of the whole (they add up to 100)."""
        t = self.tender
        criteria = [{"type": "price", "name": "Price", "numbers": [{"number": t.price_weight, "weight": "percentageExact"}]}]
        criteria += [{"type": "quality", "name": c.name, "numbers": [{"number": c.weight, "weight": "percentageExact"}]}
                     for c in t.criteria]
        return {"criteria": criteria, "weightingDescription": "Most advantageous tender: weights are percentages of the "
                                                              "total score"}

    def release(self, stage: str, tag: list[str], when: datetime | None, **sections: Any) -> dict[str, Any]:
        parties = sections.pop("parties", None) or self.parties()
        return _clean({"ocid": self.ocid, "id": f"{self.ocid}-{stage}", "date": rfc3339(when), "tag": tag,
                       "initiationType": "tender", "language": "en", "parties": parties, "buyer": self.agency_ref(),
                       **sections})

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
                    "procuringEntity": self.agency_ref()})]
        out.append(self.release("tender", ["tender"], t.published_at, tender=self.tender_section("active")))
        amendments = list(t.amendments)
        for n, amendment in enumerate(amendments, start=1):
            out.append(self.release(f"tenderUpdate-{amendment.number}", ["tenderUpdate"], amendment.published_at,
                                    tender=self.tender_section("active", amendments[:n])))
        if t.status.value == "cancelled":
            section = self.tender_section("cancelled", amendments)
            section["amendments"].append({"id": "cancellation", "date": rfc3339(self.cancelled_at or t.published_at),
                                          "rationale": t.cancel_reason or "Cancelled",
                                          "description": "The tender is cancelled: no contract will be awarded under it"})
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
        return parties, self.parties() + list(parties.values())

    def _award_id(self, lot: Any, opened: Any) -> str:
        return f"{self.ocid}-award-lot-{lot.number}-bid-{opened.id}"

    def awards(self, status: str) -> list[dict[str, Any]]:
        parties, _ = self._bid_parties
        out = []
        for lot, opened, share, award in self._awarded:
            items = [self._priced(i, share) for i in self.items() if i["relatedLot"] == f"lot-{lot.number}"]
            if share.share_percent < 100 and len(lot.items) == 1:
                items = [{**items[0], "quantity": float(share.quantity)}]
            out.append({"id": self._award_id(lot, opened), "title": f"Lot {lot.number}: {lot.title}", "status": status,
                        "description": award.explanation,  # the basis (ranking or optimised) and any bundle discount
                        "date": rfc3339(self.standstill.published_at), "value": gbp(share.value),
                        "suppliers": [_ref(parties[opened.supplier_id])], "items": items,
                        "relatedLots": [f"lot-{lot.number}"],
                        "relatedBid": f"bid-{opened.id}-lot-{lot.number}",
                        "standstillPeriod": self.standstill_period()})
        return out

    def _priced(self, item: dict[str, Any], share: Any) -> dict[str, Any]:
        """The item at the awarded unit price: the bid's, less the share's bundle discount (what the
        organisations pay, as their orders state it)."""
        lot_item = next((i for lot in self.lots for i in lot.items if f"{lot.number}-{i.number}" == item["id"]), None)
        price = share.unit_prices.get(str(lot_item.id)) if lot_item is not None else None
        if price is None:
            return item
        net = net_unit_price(Decimal(price), share.discount_percent)
        return {**item, "unit": {**item["unit"], "value": gbp(net)}}

    def standstill_period(self) -> dict[str, Any] | None:
        s = self.standstill
        if s is None:
            return None
        end = datetime.combine(s.ends_on, time(23, 59, 59), LONDON)
        return {"startDate": rfc3339(s.published_at), "endDate": rfc3339(end)}

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
        names = {o.id: o.name for o in self.organisations}
        item_ids = {i.id: f"{lot.number}-{i.number}" for lot in self.lots for i in lot.items}
        for contract in self.contracts:
            lot = next(l for l in self.lots if l.id == contract.lot_id)
            award = awards.get(f"{self.ocid}-award-lot-{lot.number}-bid-{contract.opened_bid_id}")
            by_id = {i["id"]: i for i in (award["items"] if award else [])}
            for order in contract.orders:
                contracts.append(self._order(contract, order, lot, award, by_id, item_ids, names))
        when = max(c.entered_at for c in self.contracts)
        return self.release("contract", ["contract", "awardUpdate"], when, parties=parties,
                            awards=list(awards.values()), contracts=contracts)


    def _order(self, contract: Any, order: Any, lot: Any, award: dict[str, Any] | None, by_id: dict[str, Any],
               item_ids: dict[int, str], names: dict[int, str]) -> dict[str, Any]:
        """One organisation's call-off order under a lot's contract: its own quantities at the
        awarded unit prices, its value the order's total."""
        quantities: dict[str, Decimal] = {}
        prices: dict[str, Decimal] = {}
        for line in order.lines:
            key = item_ids.get(line.get("lot_item_id"))
            if key is None:
                continue
            quantities[key] = quantities.get(key, Decimal(0)) + Decimal(line["quantity"])
            prices[key] = Decimal(line["unit_price"])
        items = [{**by_id[key], "quantity": float(quantities[key]),
                  "unit": {**by_id[key]["unit"], "value": gbp(prices[key])}} for key in quantities if key in by_id]
        who = names.get(order.organisation_id, "An organisation")
        return {"id": f"{self.ocid}-order-{order.reference}", "awardID": award["id"] if award else None,
                "title": f"Lot {lot.number}: {lot.title}: {who}'s call-off order {order.reference}",
                "description": f"{who}'s order under the lot's contract {self.ocid}-contract-{contract.id}",
                "status": "active", "value": gbp(order.total), "dateSigned": rfc3339(contract.entered_at),
                "period": {"startDate": rfc3339(contract.entered_at)}, "items": items}


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


def package_metadata(uri: str, published: datetime, who: Publisher | None = None) -> dict[str, Any]:
    who = who or publisher()
    return _clean({"uri": uri, "version": VERSION, "extensions": EXTENSIONS, "publishedDate": rfc3339(published),
                   "publisher": {"name": who.name, "scheme": who.scheme, "uid": who.uid, "uri": who.uri},
                   "license": LICENSE, "publicationPolicy": who.publication_policy})


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
