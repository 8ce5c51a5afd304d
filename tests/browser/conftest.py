"""Browser tests: the app served on 127.0.0.1 by a real server thread over its own database
with the demo loaded, driven by Playwright in Debian's Chromium (headless, launched by path:
nothing is downloaded). A failing test leaves a screenshot in tests/browser/screenshots/."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import pytest

from procurement.core.db import db
from tests.conftest import BACKENDS, REDIS_URL, fresh_database_url, fresh_redis

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).with_name("screenshots")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "london-demo-2026"
SECRET_KEY, SEALING_KEY = "browser-tests", "browser-tests-sealing"


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is needed for the browser tests: install Debian's chromium package "
                    "(make test does so as root)", pytrace=False)
    return path


def demo_app(url: str, folder: Path, **config: Any) -> Any:
    """The app on `url` (migrated, the demo loaded), its instance files in `folder`."""
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.seed import seed_demo

    migrate.upgrade(url)
    before = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    try:
        # The pages are read on the test's clock: no schedule thread moves the demo meanwhile.
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "BID_SEALING_KEY": SEALING_KEY,
                          "WTF_CSRF_ENABLED": True, "SCHEDULE_IN_PROCESS": False, **config})
    finally:
        if before is not None:
            os.environ["INSTANCE_PATH"] = before
        else:
            os.environ.pop("INSTANCE_PATH", None)
    with app.app_context():
        seed_demo(db.session)
        db.session.commit()
    return app


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app served on 127.0.0.1 by a threaded server in this process: its base URL."""
    from werkzeug.serving import make_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.bound(app).engine.dispose()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo on a server of its own, jobs in-process: its base URL."""
    folder = tmp_path_factory.mktemp("live")
    with serve(demo_app(f"sqlite:///{folder / 'live.db'}", folder, REDIS_URL=None)) as url:
        yield url


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
    # Through the DevTools protocol, not a script element: the page's Content-Security-Policy
    # allows no inline script (and the check must not loosen it).
    page.evaluate("(source) => { window.eval(source) }", AXE.read_text())
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


class JourneyClock:
    """The clock a journey controls: this process's (which the server thread reads) and, through
    Redis, the worker's (tests/browser/clocked_worker.py)."""

    def __init__(self, redis: Any) -> None:
        self.redis, self.moment, self._held = redis, None, ExitStack()

    def set(self, moment: datetime) -> None:
        from procurement.core.clock import frozen_at
        from tests.browser.clocked_worker import CLOCK_KEY

        self._held.close()
        self._held = ExitStack()
        self._held.enter_context(frozen_at(moment))
        self.redis.set(CLOCK_KEY, moment.isoformat())
        self.moment = moment

    def close(self) -> None:
        from tests.browser.clocked_worker import CLOCK_KEY

        self._held.close()
        self.redis.delete(CLOCK_KEY)


@dataclass
class Journey:
    url: str
    app: Any
    clock: JourneyClock
    worker_log: Path
    smtp: Any  # the real SMTP server (aiosmtpd) the worker sends the service's email to

    def worker_said(self) -> str:
        return self.worker_log.read_text(errors="replace")[-4000:] if self.worker_log.exists() else ""

    def emails_to(self, address: str, subject: str, seconds: float = 90) -> list[Any]:
        """The messages the SMTP server has received for `address` whose subject starts with
        `subject`, once there is one (the worker sends them after the request's commit)."""
        import time

        deadline = time.monotonic() + seconds
        while True:
            found = [m for m in self.smtp.handler.messages() if address in m.to and m.subject.startswith(subject)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


@pytest.fixture(scope="module", params=BACKENDS)
def journey(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    """The demo served live with jobs on Redis and a real RQ worker process, on a clock the test
    moves (it starts at 09:00 on Monday 1 February 2027, London time)."""
    from procurement.core.clock import LONDON

    backend = request.param
    folder = tmp_path_factory.mktemp(f"journey-{backend}")
    redis = fresh_redis()
    clock = JourneyClock(redis)
    clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=LONDON))
    from tests.integration.notifications.smtp import SmtpServer

    smtp = SmtpServer().__enter__()
    url = fresh_database_url(backend, "ljp_test_journey", folder)
    app = demo_app(url, folder, REDIS_URL=REDIS_URL, SMTP_URL=smtp.url)
    log = folder / "worker.log"
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": REDIS_URL, "SMTP_URL": smtp.url,
           "SECRET_KEY": SECRET_KEY, "BID_SEALING_KEY": SEALING_KEY, "INSTANCE_PATH": str(folder / "instance")}
    with log.open("w") as output:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--worker-class",
                                   "tests.browser.clocked_worker.ClockedWorker"], cwd=REPO, env=env,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        with serve(app) as base:
            yield Journey(base, app, clock, log, smtp)
    finally:
        smtp.__exit__(None, None, None)
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        clock.close()
        redis.flushdb()
        redis.close()
