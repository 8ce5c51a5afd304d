"""Browser tests: the app served on 127.0.0.1 by a real server thread over its own database
with the demo loaded, driven by Playwright in Debian's Chromium (headless, launched by path:
nothing is downloaded). A failing test leaves a screenshot in tests/browser/screenshots/."""
from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from procurement.core.db import db

SCREENSHOTS = Path(__file__).with_name("screenshots")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "london-demo-2026"


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is needed for the browser tests: install Debian's chromium package "
                    "(make test does so as root)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo on a server of its own: its base URL."""
    from werkzeug.serving import make_server

    from procurement import create_app, migrate
    from procurement.seed import seed_demo

    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'live.db'}"
    migrate.upgrade(url)
    before = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "live", "BID_SEALING_KEY": "live", "REDIS_URL": None,
                          "WTF_CSRF_ENABLED": True})
    finally:
        if before is not None:
            os.environ["INSTANCE_PATH"] = before
    with app.app_context():
        seed_demo(db.session)
        db.session.commit()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)
    db.bound(app).engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture()
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context()
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def axe_violations(page: Any) -> list[str]:
    """What axe-core (from the npm package) finds against WCAG 2.2 AA on the page as it is."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}})).violations""")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in found]


def sign_in_by_keyboard(page: Any, base: str, email: str) -> None:
    """Sign in with the keyboard alone: tab to each field, type, press Enter."""
    page.goto(f"{base}/sign-in")
    page.focus("#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
