"""What the demand board asks of tenders: the joint tenders being prepared or open for bids,
with what their lots buy (connected to demand's `tenders_under_way` by the composition root)."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from demand.board import TenderUnderWay
from tenders.models import Lot, LotItem, Tender, TenderStatus

UNDER_WAY = (TenderStatus.draft, TenderStatus.published)


def tenders_under_way(session: Session, **_: Any) -> list[TenderUnderWay]:
    tenders = {t.id: t for t in session.scalars(select(Tender).where(Tender.status.in_(UNDER_WAY)))}
    if not tenders:
        return []
    items: dict[int, set[int]] = defaultdict(set)
    codes: dict[int, set[str]] = defaultdict(set)
    for tender_id, item_id, code in session.execute(select(Lot.tender_id, Lot.catalogue_item_id, Lot.cpv_code)
                                                    .where(Lot.tender_id.in_(list(tenders)))):
        codes[tender_id].add(code)
        if item_id:
            items[tender_id].add(item_id)
    for tender_id, item_id, code in session.execute(select(Lot.tender_id, LotItem.catalogue_item_id, LotItem.cpv_code)
                                                    .join(Lot, Lot.id == LotItem.lot_id)
                                                    .where(Lot.tender_id.in_(list(tenders)))):
        codes[tender_id].add(code)
        if item_id:
            items[tender_id].add(item_id)
    return [TenderUnderWay(t.id, t.reference, t.title, t.stage, frozenset(items[t.id]), frozenset(codes[t.id]))
            for t in sorted(tenders.values(), key=lambda t: t.id)]
