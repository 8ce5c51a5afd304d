"""A requirement's page on the demo, as its buyer reads it: no internal id, who raised it in
words, its quantity with its plural unit, its CPV code with its check digit, its last move
as a sentence, and its tender's outcome once the decision is published."""
from __future__ import annotations

from sqlalchemy import select

from demand.models import Requirement
from procurement.parties.models import Organisation
from procurement.seed import seed_demo
from tests.conftest import fresh_browser, sign_in


def test_a_committed_requirement_reads_in_words_and_links_its_published_outcome(app, session):
    seed_demo(session)
    session.commit()
    camden = session.scalar(select(Organisation).where(Organisation.name == "London Borough of Camden"))
    found = session.scalar(select(Requirement).where(Requirement.organisation_id == camden.id,
                                                     Requirement.title == "GIS desktop licence"))
    client = app.test_client()
    sign_in(client, "buyer.camden@demo.londonconnects.example", "london-demo-2026")
    page = client.get(f"/requirements/{found.id}").get_data(as_text=True)
    assert f"Requirement {found.id}" not in page and "seed-demo" not in page
    assert "by the demo set-up" in page and "20 licences per year" in page and "48326100-0" in page
    assert "Committed to joint tender LC-2026-0001." in page
    assert "See the outcome: Joint contact-centre seats and GIS licences" in page
    listed = client.get("/requirements").get_data(as_text=True)
    assert ">Committed</strong>" in listed and ">committed<" not in listed
    with fresh_browser(app) as other_buyer:
        sign_in(other_buyer, "buyer.croydon@demo.londonconnects.example", "london-demo-2026")
        other = other_buyer.get(f"/requirements/{found.id}")
    assert other.status_code == 404 or "See the outcome" not in other.get_data(as_text=True)
