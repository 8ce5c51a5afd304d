"""The Jobs and Audit pages in words: sentences linked to their subjects where the reader may
open them, the audit log filtered by who, what and when with errors naming the field, paged in
SQL, its chain checked and said in words; documents downloaded under names a person would keep."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text

from procurement.core.audit import AuditEvent
from procurement.core.clock import to_london
from procurement.core.documents import Document
from procurement.core.jobrecords import Job
from tenders.models import Lot
from tests import factories
from tests.conftest import sign_in

ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+_[a-z_]+\b")


@pytest.fixture()
def world(session: Any) -> dict[str, Any]:
    made = factories.decided_tender(session)
    session.commit()  # the award pack's jobs run once the decision commits (in-process here)
    made["admin"] = factories.user(session, "admin")
    session.commit()
    return made


def visible(page: str) -> str:
    """The page's words as a reader sees them: without the closed technical disclosures and tags."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<details.*?</details>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def signed_in(client: Any, user: Any) -> Any:
    assert sign_in(client, user.email, factories.PASSWORD).status_code == 302
    return client


def _user_for(session: Any, world: dict[str, Any], role: str) -> Any:
    return {"buyer": world["buyers"][0], "supplier": world["bidders"][0], "agency": world["agency"],
            "admin": world["admin"]}[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path, allowed", [("/jobs", {"agency"}), ("/admin/audit", {"admin"})])
def test_who_may_see_the_jobs_and_the_audit_log_is_as_before(client, session, world, role, path, allowed):
    if role != "anonymous":
        signed_in(client, _user_for(session, world, role))
    response = client.get(path)
    if role == "anonymous":
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == (200 if role in allowed else 403)
        if role not in allowed:
            assert "Alex" not in response.get_data(as_text=True) and "Award decision notice for" not in \
                response.get_data(as_text=True)


def test_the_jobs_page_says_what_each_job_made_and_links_its_tender(client, session, world):
    tender = world["tender"]
    page = signed_in(client, world["agency"]).get("/jobs").get_data(as_text=True)
    words = visible(page)
    named = f"‘{tender.title}’ ({tender.reference})"
    assert f"Award decision notice for lot 1 of {named} made" in words
    assert f"Award documents for {named} asked for, one job each" in words
    bidder = world["bidders"][0]
    assert f"Assessment summary letter to " in words and f"for {named} made" in words
    assert f"Asked for by {world['agency'].full_name} on " in words and "Asked for by the service on " in words
    assert f'href="/tenders/{tender.id}"' in page
    assert not RAW.findall(words), RAW.findall(words)
    assert "opened_bid" not in words and "award_pack" not in words and "Done" in words
    assert "award_pack" in page  # still there, in the technical detail
    lot = session.scalars(select(Lot).where(Lot.tender_id == tender.id)).first()
    notice = session.scalars(select(Document).where(Document.kind == "award_notice")).first()
    file_name = f"Award decision notice - {tender.title} - lot {lot.number} - {tender.reference}.pdf"
    assert f'href="/documents/{notice.id}"' in page and file_name in words
    assert bidder  # the bidders' letters are named by the bidder, never a number


def test_a_failed_job_says_why_in_words_and_can_be_asked_for_again(client, session, world):
    job = session.scalars(select(Job).where(Job.kind == "award_notice")).first()
    job.status = type(job.status).failed
    job.error = "ValueError: the notice could not be drawn"
    job.attempts, job.progress_note = 2, "the process running it (host:12:runner) stopped; resumed"
    session.commit()
    page = signed_in(client, world["agency"]).get("/jobs").get_data(as_text=True)
    words = visible(page)
    assert "could not be made" in words and "Why: the notice could not be drawn" in words
    assert "Job retried after the worker running it stopped" in words and "ValueError" not in words
    assert f"/jobs/{job.id}/retry" in page and "Ask for it again" in words
    assert "host:12:runner" in page  # the stored note, for the technical detail


def test_the_audit_log_reads_as_sentences_linked_where_the_admin_may_go(client, session, world):
    tender, agency = world["tender"], world["agency"]
    page = signed_in(client, world["admin"]).get("/admin/audit?what=group:Bids").get_data(as_text=True)
    words = visible(page)
    named = f"‘{tender.title}’ ({tender.reference})"
    assert f"{agency.full_name} requested the opening of {named}" in words
    assert f"{world['second_agency'].full_name} opened the tender box of {named}" in words
    assert f'href="/tenders/{tender.id}"' not in page  # an administrator does not open tenders
    assert "tender.opening_requested" in page and "tender.opening_requested" not in words
    assert not RAW.findall(words), RAW.findall(words)
    assert "The chain of digests is whole" in words

    accounts = client.get("/admin/audit?what=user.created").get_data(as_text=True)
    assert f"created the account of {agency.full_name}" in visible(accounts)
    assert f'href="/admin/users/{agency.id}"' in accounts  # an administrator manages accounts
    approved = visible(client.get("/admin/audit?what=award.approved").get_data(as_text=True))
    assert f"{world['second_agency'].full_name} approved an award in lot 1 of {named}" in approved
    organisations = client.get("/admin/audit?what=organisation.created").get_data(as_text=True)
    assert f'href="/organisations/{world["orgs"][0].id}"' in organisations
    suppliers = client.get("/admin/audit?what=supplier.created").get_data(as_text=True)
    assert "added the supplier" in suppliers and 'href="/suppliers/' in suppliers
    requirements = client.get("/admin/audit?what=requirement.created").get_data(as_text=True)
    assert "’s requirement" in requirements or "'s requirement" in html.unescape(requirements)
    assert 'href="/requirements/' not in requirements  # an administrator does not read requirements


def test_an_agency_admin_is_linked_to_the_tender(client, session, world):
    from procurement.parties.accounts import RoleGrant, create_user
    from procurement.parties.models import Role

    both = create_user(session, factories.SYSTEM, email="both@test.example", full_name="Both Roles",
                       password=factories.PASSWORD, grants=[RoleGrant(Role.admin, None, None), RoleGrant(Role.agency, None, None)])
    session.commit()
    page = signed_in(client, both).get("/admin/audit?what=tender.opening_requested").get_data(as_text=True)
    assert f'<a class="govuk-link" href="/tenders/{world["tender"].id}">' in page


def test_the_audit_log_is_filtered_by_who_what_and_when(client, session, world):
    agency = world["agency"]
    signed_in(client, world["admin"])
    mine = session.scalar(select(func.count()).where(AuditEvent.actor_id == agency.id))
    words = visible(client.get(f"/admin/audit?who={agency.id}").get_data(as_text=True))
    assert f"of {mine:,} entr" in words and world["second_agency"].full_name + " opened" not in words
    opened = visible(client.get("/admin/audit?what=tender.opened").get_data(as_text=True))
    assert "Showing 1 to 1 of 1 entry" in opened and "opened the tender box" in opened
    service = visible(client.get("/admin/audit?who=service&what=tender.closed").get_data(as_text=True))
    assert "closed at its deadline" in service

    latest = session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at.desc())).first()
    day = to_london(latest.occurred_at).date()
    when = f"start={day.day}&start={day.month}&start={day.year}&end={day.day}&end={day.month}&end={day.year}"
    found = visible(client.get(f"/admin/audit?{when}").get_data(as_text=True))
    assert "Showing 1 to" in found and f"{day.day} {day:%B %Y} at" in found
    earlier = day - timedelta(days=1)
    before = visible(client.get(f"/admin/audit?end={earlier.day}&end={earlier.month}&end={earlier.year}")
                     .get_data(as_text=True))
    assert f"{day.day} {day:%B %Y} at" not in before
    later = day + timedelta(days=1)
    none = client.get(f"/admin/audit?start={later.day}&start={later.month}&start={later.year}")
    assert none.status_code == 200 and "No entries match" in visible(none.get_data(as_text=True))


@pytest.mark.parametrize("query, field, message", [
    ("who=999999", "who", "Select who did it from the list"),
    ("what=tender.exploded", "what", "Select what kind of act from the list"),
    ("start=1&start=&start=2026", "start", "Enter the ‘From’ date as a day, a month and a year"),
    ("start=31&start=2&start=2026", "start", "Enter a real ‘From’ date, for example 27 3 2026"),
    ("start=2&start=3&start=2026&end=1&end=3&end=2026", "end", "The ‘To’ date must be the same as or after the ‘From’ date"),
    ("page=two", "page", "Enter a page number, like 2"),
    ("page=0", "page", "Enter a page number, like 2"),
])
def test_a_bad_filter_is_an_error_naming_the_field_never_a_crash(client, session, world, query, field, message):
    response = signed_in(client, world["admin"]).get(f"/admin/audit?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and html.escape(message, quote=False) in page and f'href="#{field}"' in page
    assert "Correct the filter above to see entries" in page


def test_the_log_is_paged_in_the_database(client, session, world):
    total = session.scalar(select(func.count()).select_from(AuditEvent))
    assert total > 50
    signed_in(client, world["admin"])
    first = client.get("/admin/audit?what=all").get_data(as_text=True)
    assert f"Showing 1 to 50 of {total + 1:,} entries" in visible(first)  # and the admin's own sign-in
    assert "page=2" in first
    second = visible(client.get("/admin/audit?what=all&page=2").get_data(as_text=True))
    assert f"Showing 51 to {min(100, total + 1)} of" in second
    signing_in = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("sign_in.%")))
    quiet = visible(client.get("/admin/audit").get_data(as_text=True))  # by default, every act but signing in
    assert f"of {total + 1 - signing_in:,} entries" in quiet and "signed in" not in quiet.split("Showing")[1]
    filtered = client.get("/admin/audit?what=group:Evaluation+and+award&page=1").get_data(as_text=True)
    assert "page=2" not in filtered or "what=group" in filtered.split("page=2")[0].rsplit("href", 1)[-1]


def test_reading_the_log_writes_nothing_and_a_broken_chain_is_said_in_words(client, session, world):
    signed_in(client, world["admin"])
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    client.get("/admin/audit")
    client.get("/admin/audit?who=bogus")
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    victim = session.scalars(select(AuditEvent).order_by(AuditEvent.seq).offset(3)).first()
    session.execute(text("UPDATE audit_event SET actor_label = 'someone else' WHERE id = :id"), {"id": victim.id})
    session.commit()
    words = visible(client.get("/admin/audit").get_data(as_text=True))
    assert f"The chain of digests is broken at entry {victim.seq}: its contents do not match" in words


def test_a_document_downloads_under_a_name_a_person_would_keep(client, session, world):
    tender = world["tender"]
    notice = session.scalars(select(Document).where(Document.kind == "award_notice")).first()
    lot = session.get(Lot, notice.subject_id)
    expected = f"Award decision notice - {tender.title} - lot {lot.number} - {tender.reference}.pdf"
    response = signed_in(client, world["agency"]).get(f"/documents/{notice.id}")
    assert response.status_code == 200 and response.get_data()[:4] == b"%PDF"
    response.close()
    disposition = response.headers["Content-Disposition"]
    assert f'filename="{expected}"' in disposition and f"filename*=UTF-8''{quote(expected, safe='')}" in disposition
    listed = client.get(f"/tenders/{tender.id}/evaluation").get_data(as_text=True)
    assert f">{expected}</a>" in listed and "Check this file" in listed and notice.sha256 in listed

    letter = next(d for d in session.scalars(select(Document).where(Document.kind == "assessment_letter"))
                  if d.audience_supplier_id == next(iter(world["bidders"][0].supplier_ids)))
    supplier_name = session.execute(text("SELECT legal_name FROM supplier WHERE id = :id"),
                                    {"id": letter.audience_supplier_id}).scalar()
    api_token = factories.token_for(session, world["bidders"][0])
    session.commit()
    api = client.get(f"/api/v1/documents/{letter.id}", headers={"Authorization": f"Bearer {api_token}"})
    assert api.status_code == 200 and api.get_data()[:4] == b"%PDF"
    api.close()
    assert f'filename="Assessment summary - {tender.title} - {supplier_name} - {tender.reference}.pdf"' in \
        api.headers["Content-Disposition"]


def test_a_title_beyond_ascii_keeps_its_words_in_utf8_and_a_plain_twin(client, session, world):
    tender = world["tender"]
    tender.title = "Café kit – phase 2: “fast” laptops"
    session.commit()
    notice = session.scalars(select(Document).where(Document.kind == "award_notice")).first()
    response = signed_in(client, world["agency"]).get(f"/documents/{notice.id}")
    response.get_data()
    response.close()
    disposition = response.headers["Content-Disposition"]
    full = f"Award decision notice - Café kit – phase 2 “fast” laptops - lot 1 - {tender.reference}.pdf"
    assert f"filename*=UTF-8''{quote(full, safe='')}" in disposition
    assert f'filename="Award decision notice - Cafe kit - phase 2 \'fast\' laptops - lot 1 - {tender.reference}.pdf"' \
        in disposition
    disposition.encode("latin-1")  # a header must be


def test_the_jobs_are_filtered_by_who_what_and_when_and_paged(client, session, world):
    signed_in(client, world["agency"])
    notices = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "award_notice"))
    words = visible(client.get("/jobs?what=award_notice").get_data(as_text=True))
    assert f"Showing 1 to {notices} of {notices} job" in words and "Order summary for" not in words
    asked = visible(client.get(f"/jobs?who={world['agency'].id}").get_data(as_text=True))
    assert "Award documents for" in asked and "Award decision notice for" not in asked
    service = visible(client.get("/jobs?who=service").get_data(as_text=True))
    assert "Award decision notice for" in service and "Award documents for" not in service
    first = session.scalars(select(Job).order_by(Job.created_at)).first()
    day = to_london(first.created_at).date() - timedelta(days=1)
    none = client.get(f"/jobs?end={day.day}&end={day.month}&end={day.year}")
    assert none.status_code == 200 and "No jobs match" in visible(none.get_data(as_text=True))
    for query, field, message in [("who=42424242", "who", "Select who did it from the list"),
                                  ("what=award_pack.requested", "what", "Select what kind of act from the list"),
                                  ("end=1&end=13&end=2026", "end", "Enter a real ‘To’ date, for example 27 3 2026"),
                                  ("page=-1", "page", "Enter a page number, like 2")]:
        response = client.get(f"/jobs?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and html.escape(message, quote=False) in page and f'href="#{field}"' in page
        assert "Correct the filter above to see jobs" in page
    total = session.scalar(select(func.count()).select_from(Job))
    assert "page=2" not in client.get("/jobs").get_data(as_text=True) or total > 50
    assert visible(client.get("/jobs?page=9").get_data(as_text=True)).count("No jobs match") == 1


def test_a_jobs_live_status_is_in_words_on_the_page_and_in_its_json(client, session, world):
    pack = session.scalars(select(Job).where(Job.kind == "award_pack")).one()
    signed_in(client, world["agency"])
    live = client.get(f"/jobs/{pack.id}.json").get_json()
    assert live["status"] == "done" and live["state"] == "Done" and live["words"] == "" and live["finished"] is True
    pack.status, pack.progress, pack.progress_note = type(pack.status).running, 40, "asking for document 3 of 7"
    session.commit()
    live = client.get(f"/jobs/{pack.id}.json").get_json()
    assert live["state"] == "Running" and live["words"] == "40% done: asking for document 3 of 7"
    page = visible(client.get(f"/tenders/{world['tender'].id}/evaluation").get_data(as_text=True))
    assert "Award pack: Running 40% done: asking for document 3 of 7" in page
