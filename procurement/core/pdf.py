"""PDFs from HTML with WeasyPrint, through one function. Its URL fetcher serves only the
app's own static files: no network, no file outside them. Tagged PDF (PDF/UA-1) with title,
author and date."""
from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent.parent / "static"
BASE_URL = "ljp-static:/"


class FetchRefused(ValueError):
    pass


def _static_file(url: str) -> Path:
    """`ljp-static:/print.css` -> procurement/static/print.css; anything else refused."""
    if not url.startswith(BASE_URL):
        raise FetchRefused(f"documents may only use the app's static files, not {url[:80]}")
    path = (STATIC / url[len(BASE_URL):]).resolve()
    if STATIC not in path.parents or not path.is_file():
        raise FetchRefused(f"no static file {url[:80]}")
    return path


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        """WeasyPrint's URL fetcher, serving only the app's static files (no network)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = _static_file(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return StaticOnly(fail_on_errors=True)


def render_pdf(html: str, *, title: str, author: str = "London Joint Procurement e-agency",
               created: datetime | None = None) -> bytes:
    import gc

    from weasyprint import HTML

    # A render allocates millions of short-lived objects; the collector's full passes over
    # everything else the process holds (a job's loaded rows) only slow it down.
    enabled = gc.isenabled()
    gc.disable()
    try:
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).render()
        document.metadata.title = title
        document.metadata.authors = [author]
        if created is not None:
            document.metadata.created = created.isoformat(timespec="seconds")
        return document.write_pdf(pdf_variant="pdf/ua-1")
    finally:
        if enabled:
            gc.enable()


def warm_up() -> None:
    """Import WeasyPrint and render once, in a worker's parent before it forks: each forked job
    then starts with it loaded (measured in DESIGN.md: ~0.7 s -> ~0.13 s for a 1-page job)."""
    render_pdf("<!DOCTYPE html><html lang='en-GB'><head><title>warm</title><link rel='stylesheet' "
               "href='ljp-static:/print.css'></head><body><h1>warm</h1></body></html>", title="warm")
