"""People join by themselves, in Chromium on the demo (issue 20): a supplier registers, follows
the link the service emailed (read from the live server's outbox table), confirms, signs in and
chooses its alerts; a buyer registers from camden.gov.uk, confirms, Camden's administrator
approves, and the buyer signs in to the buyer's home. The pages pass axe-core and fit a phone."""
from __future__ import annotations

import itertools
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from procurement.core.db import db
from tests.browser.conftest import axe_violations, demo_app, serve, sign_in_by_keyboard

PASSWORD = "tidal marble orchestra"
CAMDEN_ADMIN = "buyer.camden@demo.londonconnects.example"
_numbers = itertools.count(1)



@pytest.fixture(scope="module")
def joining_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The demo served by a server of this module's own, so the test can read its outbox."""
    folder = tmp_path_factory.mktemp("joining")
    app = demo_app(f"sqlite:///{folder / 'joining.db'}", folder, REDIS_URL=None)
    with serve(app) as base:
        yield base, app


def emailed_link(app: Any, to: str, prefix: str) -> str:
    from procurement.notifications.models import OutgoingEmail

    with app.app_context():
        link = db.session.scalar(select(OutgoingEmail.link).where(OutgoingEmail.to_address == to,
                                                                  OutgoingEmail.link.startswith(prefix))
                                 .order_by(OutgoingEmail.id.desc()))
    assert link, f"no email to {to} with a link to {prefix}"
    return link


def fits(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in_as(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_a_supplier_registers_confirms_signs_in_and_sets_its_alerts(joining_live, page):
    base, app = joining_live
    email = f"rosa{next(_numbers)}@riverside.example"
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.get_by_role("link", name="register your company").click()
    assert page.url.endswith("/join/supplier")
    with page.expect_navigation():
        page.get_by_role("button", name="Register your company").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter your company's registered name" in summary.inner_text() and axe_violations(page) == []
    page.fill("#legal_name", "Riverside Laptops Ltd")
    page.fill("#companies_house_number", "1234567")  # padded to 01234567
    page.fill("#postal_address", "1 River Street, London E1 1AA")
    page.get_by_role("group", name="Is your company a small or medium-sized enterprise (SME)?").get_by_label("Yes").check()
    page.get_by_role("group", name="Is it a voluntary, community or social enterprise (VCSE)?").get_by_label("No").check()
    page.fill("#cpv_codes", "30213100")
    page.get_by_label("East London").check()
    page.fill("#full_name", "Rosa Rivers")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Register your company").click()
    assert page.locator("h1").inner_text() == "Check your email"

    page.goto(base + emailed_link(app, email, "/join/verify/"))
    assert f"Confirm that {email} is your email address" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    main = page.locator("main").inner_text()
    assert "Email address confirmed" in main and "Riverside Laptops Ltd is registered" in main
    with page.expect_navigation():
        page.get_by_role("link", name="Sign in").last.click()
    sign_in_as(page, base, email, PASSWORD)
    with page.expect_navigation():
        page.get_by_role("link", name="Your alerts").click()
    assert page.input_value("#cpv_codes") == "30213100" and page.is_checked("input[value='east']")
    page.fill("#cpv_codes", "30213100, 48000000")
    page.get_by_label("Central London").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save your alerts").click()
    assert "Your alerts are saved" in page.locator("main").inner_text()
    assert page.input_value("#cpv_codes") == "30213100, 48000000"
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert fits(page)
    page.goto(f"{base}/supplier/people")
    assert "Rosa Rivers (you)" in page.locator("main").inner_text() and fits(page) and axe_violations(page) == []


def test_a_camden_buyer_registers_is_approved_and_reaches_the_buyer_home(joining_live, chromium):
    base, app = joining_live
    email = f"cara{next(_numbers)}@camden.gov.uk"
    applicant = chromium.new_context().new_page()
    applicant.goto(f"{base}/join")
    with applicant.expect_navigation():
        applicant.get_by_role("button", name="Register as a buyer").click()
    applicant.fill("#full_name", "Cara Camden")
    applicant.fill("#email", email)
    applicant.fill("#job_title", "ICT category manager")
    applicant.fill("#password", PASSWORD)
    with applicant.expect_navigation():
        applicant.get_by_role("button", name="Register as a buyer").click()
    applicant.goto(base + emailed_link(app, email, "/join/verify/"))
    with applicant.expect_navigation():
        applicant.get_by_role("button", name="Confirm").click()
    assert "to approve you as a buyer" in applicant.locator("main").inner_text()
    sign_in_as(applicant, base, email, PASSWORD)
    assert "You are waiting for approval by London Borough of Camden" in applicant.locator("main").inner_text()

    approver = chromium.new_context().new_page()
    sign_in_by_keyboard(approver, base, CAMDEN_ADMIN)
    with approver.expect_navigation():
        approver.get_by_role("link", name="Applications to buy for your organisation").click()
    card = approver.locator(".govuk-summary-card").filter(has_text="Cara Camden")
    assert "ICT category manager" in card.inner_text() and axe_violations(approver) == []
    with approver.expect_navigation():
        card.get_by_role("button", name="Approve Cara Camden").click()
    assert "Cara Camden: application approved" in approver.locator("main").inner_text()
    approver.context.close()

    applicant.goto(f"{base}/")
    main = applicant.locator("main").inner_text()
    assert "Tenders you take part in" in main and "waiting for approval" not in main
    assert applicant.get_by_role("link", name="Requirements").count() >= 1  # the buyer's navigation
    applicant.context.close()
