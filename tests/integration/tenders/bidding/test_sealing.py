"""Sealing: before opening, no route of the app (enumerated from its URL map, not a list kept
by hand), called as any role, reveals a bid's contents to anyone but its own bidder (who reads
back what it submitted, and never a competitor's); nor does any log line."""
from __future__ import annotations

import io
import json
import logging
import zipfile
from typing import Any

from flask import current_app

from tenders import sealing
from tenders.bidding import bids
from tenders.models import BidVersion
from tests import factories
from tests.conftest import fresh_browser, sign_in

SECRET_TEXT = "Zebrafinch quality promise 4471"
SECRET_PRICE = "731.37"
SECRET_SKU = "SECRET-SKU-88"




def _urls(app, ids: dict[str, list[Any]]) -> list[tuple[str, str]]:
    """Every rule with each method, its arguments filled from `ids` (by name) or 1."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "assets") or "path" in str(rule):
            continue
        combos: list[dict[str, Any]] = [{}]
        for name in rule.arguments:
            if name in (rule.defaults or {}):
                continue
            converter = rule._converters[name]
            values = list(getattr(converter, "items", None) or ()) or ids.get(name, [1])
            combos = [dict(c, **{name: v}) for c in combos for v in values]
        for values in combos:
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((method, url))
    return found


def test_no_route_reveals_a_sealed_bid(app, session, caplog):
    world = factories.published_tender(session)
    tender = world["tender"]
    from catalogue.services import OfferInput, create_offer

    create_offer(session, factories.SYSTEM, world["supplier_id"], OfferInput(
        sku=SECRET_SKU, title="Secret laptop", cpv_code=world["item"].cpv_code, unit="each", list_price="800.00",
        status="published"))
    bids.submit(session, world["bidder"], tender.id, factories.bid(unit_price=SECRET_PRICE, text=SECRET_TEXT + " A",
                                                                               sku=SECRET_SKU))
    second = factories.user(session, "supplier")
    bids.submit(session, second, tender.id, factories.bid({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "700.01"}]}],
                                                              "quality": [{"criterion": 1, "text": SECRET_TEXT + " B"},
                                                                          {"criterion": 2, "text": "B"}]}))
    session.flush()
    versions = session.query(BidVersion).all()
    key = sealing.unwrap_key(sealing.master_key(current_app.config["BID_SEALING_KEY"]), tender.wrapped_key, tender.id)
    opened = [sealing.unseal(key, v.sealed, sealing.bid_context(tender.id, v.bid_id, v.version)).decode() for v in versions]
    assert SECRET_TEXT in opened[0] and SECRET_PRICE in opened[0] and SECRET_SKU in opened[0]  # the test is not vacuous

    lot = tender.lots[0]
    ids = {"tender_id": [tender.id], "version": [1, 2], "line_id": [l.id for l in lot.lines],
           "document_id": [d.id for d in tender.documents], "requirement_id": [l.requirement_id for l in lot.lines],
           "organisation_id": [o.id for o in world["orgs"]], "supplier_id": [world["supplier_id"]],
           "user_id": [world["bidder"].id], "offer_id": [1], "item_id": [world["item"].id]}
    urls = _urls(app, ids)
    assert len(urls) > 150
    roles = {"buyer": world["buyers"][0], "agency": world["agency"], "admin": factories.user(session, "admin"),
             "supplier": factories.user(session, "supplier"), "bidder": world["bidder"], "second bidder": second}
    # (The offer's SKU is public in the catalogue; that this bid names it is not checkable by text.)
    markers = (SECRET_TEXT, SECRET_PRICE, "700.01")
    own = {"bidder": {SECRET_TEXT + " A", SECRET_PRICE}, "second bidder": {SECRET_TEXT + " B", "700.01"}}
    caplog.set_level(logging.DEBUG)
    checked, read_back = 0, set()
    for role in ["anonymous", *roles]:
        with fresh_browser(app) as browser:
            headers = {}
            if role != "anonymous":
                user = roles[role]
                sign_in(browser, user.email, factories.PASSWORD)
                headers["Authorization"] = f"Bearer {factories.token_for(session, user)}"
            for method, url in urls:
                if url.endswith("/sign-out"):
                    continue
                response = browser.open(url, method=method, headers=headers,
                                        **({"json": {}} if url.startswith("/api/") and method != "GET" else {}))
                body = _text(response.get_data()) + json.dumps(dict(response.headers))
                response.close()
                mine = own.get(role, set())
                for marker in mine:
                    if marker in body:
                        read_back.add((role, marker))
                        body = body.replace(marker, "")
                for marker in markers:
                    assert marker not in body, (role, method, url, marker)
                checked += 1
    assert checked > 1000
    assert read_back == {(role, marker) for role, found in own.items() for marker in found}, "each bidder reads its own bid"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for marker in markers:
        assert marker not in logged


def _text(data: bytes) -> str:
    """What a response says: its text, or for a ZIP (an XLSX workbook or a ZIP of CSVs, the
    open-data downloads) the text of every file in it, so a price inside one is found too."""
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")
