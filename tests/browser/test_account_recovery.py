"""Getting into an account in Chromium (issue 20, point 3), on a demo of its own whose agency
and admin roles need two-factor sign-in: a buyer who forgot their password asks for a link,
follows the one emailed (read from the server's outbox) and signs in with the new password;
an agency user sets up an authenticator app on first sign-in, keeps the recovery codes, and
next time signs in with the app's code (pyotp plays the app). Each page passes axe-core and
fits the window at 375 and 1280 pixels."""
from __future__ import annotations

import time
from typing import Any, Iterator

import pyotp
import pytest
from sqlalchemy import select

from procurement.core.db import db
from procurement.notifications.models import OutgoingEmail
from tests.browser.conftest import PASSWORD, axe_violations, demo_app, serve

HACKNEY = "buyer.hackney@demo.londonconnects.example"
EVALUATOR = "agency.evaluator@demo.londonconnects.example"
NEW_PASSWORD = "lantern otter quarry nineteen"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    folder = tmp_path_factory.mktemp("recovery")
    app = demo_app(f"sqlite:///{folder / 'recovery.db'}", folder, REDIS_URL=None, TWO_FACTOR_ROLES="agency,admin")
    with serve(app) as url:
        yield app, url


def checked(page: Any) -> None:
    """axe-core finds nothing, and the page is no wider than the window at either width."""
    assert axe_violations(page) == [], page.url
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (page.url, width)


def submit(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    submit(page, "Sign in")


def test_a_buyer_resets_a_forgotten_password_and_signs_in_with_the_new_one(demo, page):
    app, base = demo
    page.goto(f"{base}/sign-in")
    with page.expect_navigation():
        page.get_by_role("link", name="Forgotten your password?").click()
    checked(page)
    page.get_by_label("Email address").fill(HACKNEY)
    submit(page, "Send the link")
    assert "If an account uses this address we have sent a link" in page.locator("main").inner_text()
    checked(page)
    with app.app_context():
        link = db.session.scalar(select(OutgoingEmail.link).where(
            OutgoingEmail.to_address == HACKNEY, OutgoingEmail.subject == "Reset your password"))
    assert link and link.startswith("/password/reset/")

    page.goto(base + link)
    checked(page)
    page.get_by_label("New password").fill("short")
    submit(page, "Change my password")
    assert "Password must be at least 12 characters" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    submit(page, "Change my password")
    assert page.url.endswith("/sign-in")
    assert "Your password has been changed. Sign in." in page.locator("main").inner_text()

    page.goto(base + link)  # a second time: used
    assert "This link has already been used" in page.locator("main").inner_text()
    checked(page)
    sign_in(page, base, HACKNEY, PASSWORD)
    assert "Enter a correct email address and password" in page.locator("main").inner_text()
    sign_in(page, base, HACKNEY, NEW_PASSWORD)
    assert "/sign-in" not in page.url and f"Signed in as {HACKNEY}" in page.locator("main").inner_text()


def test_an_agency_user_sets_up_two_factor_sign_in_then_signs_in_with_a_code(demo, page):
    _app, base = demo
    sign_in(page, base, EVALUATOR, PASSWORD)
    assert page.url.endswith("/sign-in/set-up-two-factor")
    assert page.locator("main svg").count() == 1
    checked(page)
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)
    first_code = app.now()
    page.get_by_label("6-digit code").fill(first_code)
    submit(page, "Continue")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and "They will not be shown again" in page.locator("main").inner_text()
    checked(page)
    with page.expect_navigation():
        page.get_by_role("button", name="I have kept my codes: continue").click()
    page.goto(f"{base}/account")
    assert "On since" in page.locator("main").inner_text() and "10 of 10 recovery codes left" in page.locator("main").inner_text()
    checked(page)
    submit(page, "Sign out")

    sign_in(page, base, EVALUATOR, PASSWORD)
    assert page.url.endswith("/sign-in/two-factor")
    checked(page)
    page.get_by_label("Code").fill(first_code)  # its time step was used at set-up: refused
    submit(page, "Continue")
    assert page.url.endswith("/sign-in/two-factor")
    assert "Enter the code your authenticator app shows now" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Code").fill(app.at(time.time() + 30))  # the next step's (a clock a little ahead) works
    submit(page, "Continue")
    assert "/sign-in" not in page.url and f"Signed in as {EVALUATOR}" in page.locator("main").inner_text()
