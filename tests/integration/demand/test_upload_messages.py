"""The buyer who uploaded a requirements file is told what came of it, once."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from demand import uploads
from demand.messages import tell_upload_checked
from procurement.core.clock import today
from procurement.notifications.models import Notification
from tests import factories

HEADER = "title,catalogue_item_id,cpv_code,specification,quantity,unit,delivery_location,needed_by,current_unit_price,notes"


def _checked(session, buyer, *rows):
    data = io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode())
    record = uploads.upload_requirements(session, buyer, organisation_id=None, filename="requirements.csv", stream=data,
                                         max_bytes=1 << 20)
    return uploads.check_upload(session, record.id)


def _told(session):
    return list(session.scalars(select(Notification).where(Notification.kind == "import_finished")))


def test_the_uploader_is_told_of_the_outcome_and_nobody_else(session):
    buyer = factories.user(session, "buyer")
    colleague = factories.user(session, "buyer", organisation_id=next(iter(buyer.organisation_ids)))
    soon = (today() + timedelta(days=40)).isoformat()
    record = _checked(session, buyer, f"Laptops,,30213100,14-inch laptops,12,each,Town Hall,{soon},845.00,")
    told = _told(session)
    assert [n.user_id for n in told] == [buyer.id] and colleague.id not in [n.user_id for n in told]
    assert told[0].link == f"/requirements/uploads/{record.id}" and "1 requirements added" in told[0].body
    assert tell_upload_checked(session, record) == 0


def test_a_rejected_file_says_so(session):
    buyer = factories.user(session, "buyer")
    record = _checked(session, buyer, "Laptops,,30213100,14-inch laptops,lots,each,Town Hall,soon,845.00,")
    told = _told(session)
    assert [n.user_id for n in told] == [buyer.id]
    assert "was not added" in told[0].body and "nothing was added" in told[0].body
    assert told[0].link == f"/requirements/uploads/{record.id}"
