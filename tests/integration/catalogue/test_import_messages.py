"""The supplier user who uploaded a catalogue import is told what came of it, once."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from catalogue.importing import run_import
from catalogue.messages import tell_import_finished
from catalogue.services import start_import
from procurement.notifications.models import Notification
from tests import factories
from tests.integration.catalogue.test_import import GOOD, HEADER


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_the_uploader_is_told_and_nobody_else(session):
    uploader = factories.user(session, "supplier")
    colleague = factories.user(session, "supplier", supplier_id=next(iter(uploader.supplier_ids)))
    record = start_import(session, uploader, supplier_id=next(iter(uploader.supplier_ids)), filename="offers.csv",
                          stream=io.BytesIO(_csv(GOOD)), mode="all_or_nothing", max_bytes=1 << 20, enqueue=False)
    record = run_import(session, record.id)
    told = list(session.scalars(select(Notification).where(Notification.kind == "import_finished")))
    assert [n.user_id for n in told] == [uploader.id] and colleague.id not in [n.user_id for n in told]
    assert told[0].link == f"/catalogue/imports/{record.id}" and "offers added" in told[0].body
    assert told[0].subject == "Catalogue import finished: offers.csv"
    assert tell_import_finished(session, record) == 0
