"""A screenshot of every page of every role, at 1280 and 375 px, to look at the whole service.

    make screenshots                      # into ~/ljp-screenshots (outside the repository)
    make screenshots OUT=/tmp/shots       # or wherever you like

The demo is built afresh in a temporary folder (SQLite, jobs in the web process), served on
a free local port, and read in Debian's Chromium as each demo role and signed out: from the
home page, every link within the service is followed (a few of each kind of page: four
tenders stand for all tenders), each page photographed at both widths. `index.html` in the
folder shows them side by side, role by role, and names every page wider than its window.
"""
from __future__ import annotations

import argparse
import html
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PASSWORD = "london-demo-2026"
ROLES = [None, "admin@demo.londonconnects.example", "agency.lead@demo.londonconnects.example",
         "agency.evaluator@demo.londonconnects.example", "buyer.camden@demo.londonconnects.example",
         "supplier.thames@demo.londonconnects.example", "supplier.crm@demo.londonconnects.example"]
WIDTHS = (1280, 375)
SKIP = re.compile(r"^/(sign-out|static/|assets/|api/|documents/|healthz|readyz)|\.(csv|json|xlsx|txt|pdf)$")
PER_KIND = 4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.environ.get("OUT") or str(Path.home() / "ljp-screenshots"))
    parser.add_argument("--max-pages", type=int, default=60, help="pages per role (default 60)")
    args = parser.parse_args()
    out = Path(args.out).expanduser().resolve()
    if out == REPO or REPO in out.parents:
        parser.error(f"--out must be outside the repository ({REPO}): screenshots are never committed")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        parser.error("Chromium is needed: install Debian's chromium package (apt-get install chromium)")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, _served_demo(Path(folder)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True)
        sheet: dict[str, list[dict[str, Any]]] = {}
        for email in ROLES:
            who = (email or "anonymous").split("@")[0]
            sheet[who] = _photograph_role(browser, base, email, out / who, args.max_pages)
        browser.close()
    _write_index(out, sheet)
    wide = sum(1 for shots in sheet.values() for s in shots if s["wide"])
    print(f"\n{sum(len(v) for v in sheet.values())} pages photographed into {out}; open {out / 'index.html'}")
    if wide:
        print(f"{wide} page(s) wider than the window: listed at the top of index.html")
    return 0


class _served_demo:
    """The demo, migrated and seeded in `folder`, served on a free port: its base URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> str:
        from werkzeug.serving import make_server

        os.environ["INSTANCE_PATH"] = str(self.folder / "instance")
        from procurement import migrate
        from procurement.core.db import db
        from procurement.factory import create_app
        from procurement.seed import enrol_demo_two_factor, seed_demo

        logging.disable(logging.INFO)  # the request log would bury the progress line
        url = f"sqlite:///{self.folder / 'demo.db'}"
        print("Building the demo…", flush=True)
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "screenshots", "BID_SEALING_KEY": "screenshots-sealing",
                          "SCHEDULE_IN_PROCESS": False, "REDIS_URL": None})
        with app.app_context():
            seed_demo(db.session)
            roles = {r.strip() for r in app.config["TWO_FACTOR_ROLES"].split(",") if r.strip()}
            TWO_FACTOR_KEYS.update(enrol_demo_two_factor(db.session, app.config["SECRET_KEY"], roles))
            db.session.commit()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def _photograph_role(browser: Any, base: str, email: str | None, folder: Path, max_pages: int) -> list[dict[str, Any]]:
    folder.mkdir(parents=True)
    contexts = {width: browser.new_context(viewport={"width": width, "height": 900}) for width in WIDTHS}
    pages = {width: context.new_page() for width, context in contexts.items()}
    if email:
        for page in pages.values():
            page.goto(f"{base}/sign-in")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("main form [type=submit]")
            if page.url.endswith("/sign-in/two-factor"):  # the demo's agency and admin: the app's code
                page.fill("#code", _next_code(email))
                with page.expect_navigation():
                    page.click("main form [type=submit]")
    who = (email or "anonymous").split("@")[0]
    queue, seen, kinds, shots = deque(["/"]), {"/"}, {}, []
    while queue and len(shots) < max_pages:
        path = queue.popleft()
        shot: dict[str, Any] = {"path": path, "files": {}, "wide": []}
        for width, page in pages.items():
            try:
                response = page.goto(base + path)
            except Exception as error:  # a link to a download: nothing to photograph
                if "Download is starting" in str(error):
                    break
                raise
            if response is None or not response.headers.get("content-type", "").startswith("text/html"):
                break
            name = f"{len(shots) + 1:03d}-{_slug(path)}-{width}.png"
            page.screenshot(path=str(folder / name), full_page=True)
            shot["files"][width] = f"{folder.name}/{name}"
            shot["title"] = page.title()
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                shot["wide"].append(f"{width} px: {page.evaluate('document.documentElement.scrollWidth')} px wide")
            if width == WIDTHS[0]:
                for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
                    target = urlsplit(urljoin(base + path, href))
                    if target.netloc != urlsplit(base).netloc or SKIP.search(target.path):
                        continue
                    link = target.path + (f"?{target.query}" if target.query else "")
                    kind = re.sub(r"/\d+", "/N", target.path)
                    if link not in seen and kinds.get(kind, 0) < PER_KIND:
                        seen.add(link)
                        kinds[kind] = kinds.get(kind, 0) + 1
                        queue.append(link)
        if shot["files"]:
            shots.append(shot)
            print(f"\r{who:<18} [{len(shots):>3}/{max_pages}] {path[:60]:<60}", end="", flush=True)
    print()
    for context in contexts.values():
        context.close()
    return shots


TWO_FACTOR_KEYS: dict[str, str] = {}  # email -> the authenticator app's secret (seed's enrolment)
_used_steps: dict[str, int] = {}


def _next_code(email: str) -> str:
    """A code the server has not seen used (each time step works once; one step ahead is accepted)."""
    import time

    import pyotp

    app = pyotp.TOTP(TWO_FACTOR_KEYS[email])
    step = max(app.timecode(time.time()), _used_steps.get(email, -1) + 1)
    _used_steps[email] = step
    return app.generate_otp(step)


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:60] or "home"


def _write_index(out: Path, sheet: dict[str, list[dict[str, Any]]]) -> None:
    parts = ["<!doctype html><meta charset=utf-8><title>Every page of every role</title>",
             "<style>body{font-family:sans-serif;margin:1em}figure{display:inline-block;vertical-align:top;margin:.5em}"
             "img{border:1px solid #b1b4b6;max-height:420px}section{border-top:2px solid #0b0c0c;margin-top:1em}"
             ".wide{color:#d4351c}</style>", "<h1>Every page of every role, at 1280 and 375 px</h1>"]
    wide = [(who, s) for who, shots in sheet.items() for s in shots if s["wide"]]
    if wide:
        parts.append("<h2 class=wide>Wider than the window</h2><ul>")
        parts += [f"<li>{html.escape(who)}: {html.escape(s['path'])} ({'; '.join(s['wide'])})</li>" for who, s in wide]
        parts.append("</ul>")
    for who, shots in sheet.items():
        parts.append(f"<h2>{html.escape(who)} ({len(shots)} pages)</h2>")
        for s in shots:
            parts.append(f"<section><h3>{html.escape(s.get('title', ''))} <small>{html.escape(s['path'])}</small></h3>")
            for width, file in s["files"].items():
                parts.append(f"<figure><a href='{file}'><img src='{file}' alt=''></a><figcaption>{width} px</figcaption></figure>")
            parts.append("</section>")
    (out / "index.html").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
