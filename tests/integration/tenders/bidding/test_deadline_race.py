"""The deadline race, on PostgreSQL: bids from parallel threads straddling the deadline.
Each one acknowledged before the deadline is in the box exactly once; each after is refused;
nothing is lost or duplicated."""
from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from procurement import migrate
from procurement.factory import create_app
from procurement.core.clock import now
from procurement.core.db import db
from procurement.core.errors import Conflict
from procurement.parties.models import User
from tenders.bidding import bids
from tenders.models import BidVersion, Tender
from tests import factories
from tests.conftest import postgres_database

SUPPLIERS, ATTEMPTS = 10, 6


@pytest.fixture(scope="module")
def race_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from procurement.seed import load_cpv_codes

    url = postgres_database("ljp_test_race")
    migrate.upgrade(url)
    previous = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(tmp_path_factory.mktemp("race") / "instance")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "race", "BID_SEALING_KEY": "race-key",
                      "REDIS_URL": None})
    with app.app_context():
        load_cpv_codes(db.session)
        db.session.commit()
    yield app
    db.bound(app).engine.dispose()
    if previous is not None:
        os.environ["INSTANCE_PATH"] = previous


def test_bids_straddling_the_deadline(race_app):
    with race_app.app_context():
        session = db.session
        world = factories.published_tender(session)
        bidders = [factories.user(session, "supplier") for _ in range(SUPPLIERS)]
        session.commit()
        tender_id, bidder_ids = world["tender"].id, [b.id for b in bidders]
        deadline = now() + timedelta(seconds=1.5)
        session.execute(update(Tender).where(Tender.id == tender_id).values(submission_deadline=deadline))
        session.commit()

    acknowledged: list[tuple[int, int, str]] = []
    refused: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = time.monotonic()

    def bidder(user_id: int, offset: float) -> None:
        with race_app.app_context():
            factory = db.bound(race_app).sessionmaker
            for attempt in range(ATTEMPTS):
                delay = start + offset + attempt * 0.3 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                session = factory()
                try:
                    actor = session.get(User, user_id)
                    content = factories.bid(unit_price=f"{700 + attempt}.{user_id % 100:02d}", sku="")
                    receipt = bids.submit(session, actor, tender_id, content)
                    session.commit()  # acknowledged only once it is stored
                    with lock:
                        acknowledged.append((user_id, receipt.version, receipt.digest))
                except Conflict:
                    session.rollback()
                    with lock:
                        refused.append(user_id)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    session.rollback()
                    with lock:
                        errors.append(exc)
                finally:
                    session.close()

    threads = [threading.Thread(target=bidder, args=(uid, 0.05 * n)) for n, uid in enumerate(bidder_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert acknowledged and refused, (len(acknowledged), len(refused))  # the run straddled the deadline
    assert len(acknowledged) + len(refused) == SUPPLIERS * ATTEMPTS
    with race_app.app_context():
        stored = db.session.execute(select(BidVersion.digest, BidVersion.version, BidVersion.submitted_at)).all()
        assert sorted((v, d) for _, v, d in acknowledged) == sorted((v, d) for d, v, _ in stored)
        assert len({d for d, _, _ in stored}) == len(stored)  # no duplicates
        assert all(submitted_at < deadline for _, _, submitted_at in stored)
        db.session.rollback()
