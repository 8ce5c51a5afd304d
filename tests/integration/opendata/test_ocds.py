"""Open contracting data: every package the app publishes for the demo's tenders, at each
stage (planning, tender, tenderUpdate, tenderCancellation, award, contract), validates offline
with format checking against the official OCDS 1.1.5 schemas with the bids and lots
extensions; only what is published appears; the endpoints and the register are public."""
from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from opendata import ocds
from procurement.core.access import SystemActor
from procurement.core.clock import frozen_at, now
from procurement.seed import seed_demo
from tenders.award import evaluation
from tenders.models import Standstill, Tender, TenderStatus
from tenders.forming import publication

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "reference" / "ocds"
VENDORED = REPO / "tests" / "data" / "ocds"
SCHEMA_DIR = SHARED if (SHARED / "release-schema-bids-lots.json").exists() else VENDORED
BASE = "https://standard.open-contracting.org/schema/1__1__5/"
PREFIX = "ocds-ljp000"


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text())


@pytest.fixture(scope="module")
def validators():
    """Package validators whose $refs resolve to the local files: nothing is fetched."""
    registry = Registry().with_resources([
        (BASE + "release-schema.json", Resource.from_contents(_load("release-schema-bids-lots.json"), DRAFT4)),
        (BASE + "versioned-release-validation-schema.json",
         Resource.from_contents(_load("release-schema-bids-lots-versioned.json"), DRAFT4)),
    ])
    checker = FormatChecker()
    assert {"date-time", "uri"} <= set(checker.checkers), "install jsonschema[format-nongpl] to check formats"
    return {name: Draft4Validator(_load(f"{name}-package-schema.json"), registry=registry, format_checker=checker)
            for name in ("release", "record")}


def _errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_vendored_schemas_are_the_official_ones():
    """The copies agree with the reference set where it is on the machine, and always with the
    SHA-256 sums taken from it when they were copied."""
    import hashlib

    sums = dict(line.split()[::-1] for line in (VENDORED / "SHA256SUMS").read_text().splitlines())
    assert len(sums) == 4
    for name, digest in sums.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
        if SCHEMA_DIR == SHARED:
            assert (VENDORED / name).read_bytes() == (SHARED / name).read_bytes(), name


@pytest.fixture()
def demo(session):
    """The demo, with each stage reached: an amendment to the open tender, the awarded tender's
    contracts entered after standstill, and a cancelled tender."""
    seed_demo(session)
    agency = SystemActor("test")
    tenders = {t.title: t for t in session.scalars(select(Tender))}
    open_tender = tenders["Joint laptop and desktop refresh 2027"]
    publication.amend(session, agency, open_tender.id, summary="Delivery addresses corrected in the specification")
    publication.amend(session, agency, open_tender.id, summary="A site plan added", document=(
        "Site plan", "site-plan.txt", io.BytesIO(b"Loading bays")))
    awarded = tenders["Joint contact-centre seats and GIS licences"]
    standstill = session.scalar(select(Standstill).where(Standstill.tender_id == awarded.id))
    from procurement.parties.models import User

    lead = session.scalar(select(User).where(User.email == "agency.lead@demo.londonconnects.example"))
    with frozen_at(now() + timedelta(days=1)):
        assert standstill.ends_on < (now()).date()
        evaluation.enter_contracts(session, lead, awarded.id)
    closed = tenders["Joint network switches and CRM licences"]
    publication.cancel(session, agency, closed.id, "The requirement has changed: to be tendered again")
    session.flush()
    return tenders


def test_every_release_and_record_package_of_the_demo_validates(session, demo, validators):
    releases = ocds.all_releases(session, PREFIX)
    tags = {tag for r in releases for tag in r["tag"]}
    assert {"planning", "tender", "tenderUpdate", "tenderCancellation", "award", "contract", "awardUpdate"} <= tags
    package = ocds.release_package(releases, "https://example.org/api/ocds/releases", now())
    assert _errors(validators["release"], package) == []
    assert len({r["id"] for r in releases}) == len(releases)  # release ids are unique
    for tender in demo.values():
        record = ocds.record_package(session, PREFIX, f"{PREFIX}-{tender.id}", "https://example.org/r", now())
        if tender.status is TenderStatus.draft:
            assert record is None
            continue
        assert _errors(validators["record"], record) == [], tender.title
        for release in record["records"][0]["releases"]:
            assert _errors(validators["release"], ocds.release_package([release], "https://example.org/x", now())) == []


def test_the_demos_history_is_coherent(session, demo):
    """Built by the services on a moved clock: every tender period starts before it ends, bids
    arrive within it, an award follows its tender, a contract its award, and nothing is dated
    after today."""
    from datetime import datetime

    def at(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    releases = ocds.all_releases(session, PREFIX)
    assert releases
    by_ocid: dict[str, list[dict]] = {}
    for release in releases:
        by_ocid.setdefault(release["ocid"], []).append(release)
    for found in by_ocid.values():
        dates = [at(r["date"]) for r in found]
        assert dates == sorted(dates) and dates[-1] <= now() + timedelta(days=1)  # the fixture enters contracts a day on
        period = None
        for release in found:
            period = (release.get("tender") or {}).get("tenderPeriod") or period
            if period:
                assert at(period["startDate"]) < at(period["endDate"]), release["id"]
            for bid in (release.get("bids") or {}).get("details", []):
                assert at(period["startDate"]) <= at(bid["date"]) <= at(period["endDate"]), (release["id"], bid["id"])
            for award in release.get("awards", []):
                assert at(award["date"]) > at(period["endDate"]), release["id"]
            for contract in release.get("contracts", []):
                awarded = next(a for a in release["awards"] if a["id"] == contract["awardID"])
                assert at(contract["dateSigned"]) > at(awarded["date"]), release["id"]
    register = ocds.register(session, PREFIX)
    assert len({row["published_at"].date() for row in register}) == len(register)  # not every entry published today


def test_the_awarded_tender_in_ocds(session, demo, validators):
    awarded = demo["Joint contact-centre seats and GIS licences"]
    record = ocds.record_package(session, PREFIX, f"{PREFIX}-{awarded.id}", "https://example.org/r", now())
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["ocid"] == f"{PREFIX}-{awarded.id}" and compiled["tender"]["id"] == awarded.reference
    roles = {p["id"]: set(p["roles"]) for p in compiled["parties"]}
    # The agency runs the procedure for the authorities: the release's buyer, and procuring entity.
    assert roles["ljp-agency"] == {"buyer", "procuringEntity"} and compiled["buyer"]["id"] == "ljp-agency"
    assert compiled["tender"]["procuringEntity"]["id"] == "ljp-agency"
    gla = next(p for p in compiled["parties"] if p["name"] == "Greater London Authority")
    assert gla["roles"] == ["buyer"] and "scheme" not in gla["identifier"]  # no registered identifier on record
    assert roles["GB-LAE-CRY"] == {"buyer"}  # Croydon, by its GB-LAE code
    croydon = next(p for p in compiled["parties"] if p["id"] == "GB-LAE-CRY")
    assert croydon["identifier"] == {"scheme": "GB-LAE", "id": "CRY", "legalName": croydon["name"]}
    assert croydon["address"]["countryName"] == "United Kingdom" and croydon["contactPoint"]["email"]
    assert roles["GB-COH-09990003"] == {"tenderer", "supplier"}  # Borough CRM Solutions won both lots
    crm = next(p for p in compiled["parties"] if p["id"] == "GB-COH-09990003")
    assert crm["address"]["postalCode"] == "N7 8JL" and "contactPoint" not in crm
    assert all(i["classification"]["scheme"] == "CPV" for i in compiled["tender"]["items"])
    assert all(d["url"].startswith("http") for d in compiled["tender"]["documents"])
    for lot in compiled["tender"]["lots"]:  # what each lot is awarded on: price and quality, weights adding to 100
        criteria = lot["awardCriteria"]["criteria"]
        assert criteria[0]["type"] == "price" and {c["type"] for c in criteria[1:]} == {"quality"}
        assert sum(c["numbers"][0]["number"] for c in criteria) == 100
    assert {a["status"] for a in compiled["awards"]} == {"active"}
    assert all(a["standstillPeriod"]["startDate"] < a["standstillPeriod"]["endDate"] for a in compiled["awards"])
    assert all("value" in i["unit"] for a in compiled["awards"] for i in a["items"])  # the awarded unit prices
    # Each organisation's call-off order is a contract: together they are the two lots' contracts.
    orders = compiled["contracts"]
    assert len(orders) > 2 and all("call-off order" in c["title"] for c in orders)
    assert sum(c["value"]["amount"] for c in orders) == pytest.approx(160758.80)
    assert {c["value"]["currency"] for c in orders} == {"GBP"} and all(c["period"]["startDate"] for c in orders)
    for order in orders:
        priced = sum(i["quantity"] * i["unit"]["value"]["amount"] for i in order["items"])
        assert priced == pytest.approx(order["value"]["amount"], abs=0.02 * len(order["items"]))
    assert {s["measure"] for s in compiled["bids"]["statistics"]} == {"bids", "smeBids", "validBids"}
    # Issue 18, finding 1: no losing bidder's price, and no lowest or highest (with public
    # quantities they give unit prices): a value only on a bid an award points at.
    winning = {a["relatedBid"] for a in compiled["awards"]}
    assert all(("value" in b) == (b["id"] in winning) for b in compiled["bids"]["details"])
    assert any(b["id"] not in winning for b in compiled["bids"]["details"])
    text = json.dumps(record)
    for secret in ("onboarding in four weeks", "agency.lead@", "Hannah Lewis", "sales@boroughcrm", "contact_email",
                   "apprenticeships"):
        assert secret not in text  # no quality response, no personal data (contacts are the agency's mailbox)


def test_nothing_unpublished_and_no_bids_before_the_award(session, demo):
    releases = ocds.all_releases(session, PREFIX)
    drafts = [t for t in demo.values() if t.status is TenderStatus.draft]
    assert drafts and not any(r["ocid"] == f"{PREFIX}-{t.id}" for t in drafts for r in releases)
    open_tender = demo["Joint laptop and desktop refresh 2027"]
    mine = [r for r in releases if r["ocid"] == f"{PREFIX}-{open_tender.id}"]
    assert [r["tag"] for r in mine] == [["planning"], ["tender"], ["tenderUpdate"], ["tenderUpdate"]]
    assert not any("bids" in r or "awards" in r for r in mine)
    titles = [[d["title"] for d in r["tender"].get("documents", [])] for r in mine[1:]]
    assert titles == [["Specification"], ["Specification"], ["Specification", "Site plan"]]  # each as it stood


def test_public_endpoints_and_register(client, session, demo, validators):
    session.flush()
    response = client.get("/api/ocds/releases?limit=2")
    assert response.status_code == 200 and 'rel="next"' in response.headers["Link"]
    assert response.headers["X-Feed-More"] == "true"
    assert _errors(validators["release"], response.get_json()) == []
    assert len({r["ocid"] for r in response.get_json()["releases"]}) == 2  # two processes, all their releases
    # Following the cursor reaches every published process, each once, and then stays put.
    seen, cursor = [], None
    for _ in range(20):
        page = client.get("/api/ocds/releases", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200 and _errors(validators["release"], page.get_json()) == []
        seen += sorted({r["ocid"] for r in page.get_json()["releases"]})
        cursor = page.headers["X-Next-Cursor"]
        if page.headers["X-Feed-More"] == "false":
            break
    everything = client.get("/api/ocds/releases/all.json")
    assert sorted(seen) == sorted({r["ocid"] for r in everything.get_json()["releases"]})
    again = client.get("/api/ocds/releases", query_string={"cursor": cursor})
    assert again.get_json()["releases"] == [] and again.headers["X-Next-Cursor"] == cursor
    # A change moves its process to the end of the feed: a reader holding the cursor sees it.
    open_tender = demo["Joint laptop and desktop refresh 2027"]
    publication.amend(session, SystemActor("test"), open_tender.id, summary="Another correction")
    session.flush()
    moved = client.get("/api/ocds/releases", query_string={"cursor": cursor}).get_json()["releases"]
    assert {r["ocid"] for r in moved} == {f"{PREFIX}-{open_tender.id}"}
    assert [r["tag"] for r in moved][-1] == ["tenderUpdate"]
    assert everything.status_code == 200 and "attachment" in everything.headers["Content-Disposition"]
    assert _errors(validators["release"], everything.get_json()) == []
    awarded = demo["Joint contact-centre seats and GIS licences"]
    record = client.get(f"/api/ocds/records/{PREFIX}-{awarded.id}")
    assert record.status_code == 200 and _errors(validators["record"], record.get_json()) == []
    assert client.get(f"/api/ocds/records/{PREFIX}-999999").status_code == 404
    assert client.get("/api/ocds/records/not-an-ocid").status_code == 404
    bad = client.get("/api/ocds/releases?since=2026-01-01")  # day-level since/until gave way to the cursor
    assert bad.status_code == 400 and "since" in bad.get_json()["errors"] and "cursor" in bad.get_json()["message"]
    assert client.get("/api/ocds/releases?page=2").status_code == 400
    assert client.get("/api/ocds/releases?limit=0").status_code == 400
    forged = client.get("/api/ocds/releases?cursor=12345")
    assert forged.status_code == 400 and "cursor" in forged.get_json()["errors"]
    page = client.get("/register?cpv=485&organisation=croydon").get_data(as_text=True)
    assert "Joint contact-centre seats and GIS licences" in page and f"/api/ocds/records/{PREFIX}-{awarded.id}" in page
    assert "Joint laptop and desktop refresh 2027" not in page
    assert "Enter the date as YYYY-MM-DD" in client.get("/register?since=31/12/2026").get_data(as_text=True)
