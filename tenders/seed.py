"""Demo tenders: one published and open for bids (laptops and desktops), one past its
deadline with sealed bids waiting to be opened (network switches and CRM licences)."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem
from procurement.core.access import SystemActor
from procurement.core.clock import now, today
from procurement.demand.board import BoardFilter, pool_key
from procurement.demand.models import Requirement, RequirementStatus
from procurement.demand.services import move_requirement
from procurement.models import User
from tenders import bidding, lifecycle, pooling
from tenders.models import LineStatus, Tender

OPEN_TITLE = "Joint laptop and desktop refresh 2027"
CLOSED_TITLE = "Joint network switches and CRM licences"
CRITERIA = [
    lifecycle.CriterionInput("Delivery, installation and support", 20, [
        "No credible approach", "Major gaps", "Some gaps", "Meets the requirement",
        "Meets it with some added value", "Exceeds it with clear evidence"], pass_mark=2),
    lifecycle.CriterionInput("Social value in London", 10, [
        "None offered", "Vague commitments", "Some measurable commitments", "Clear, measurable commitments",
        "Strong commitments with a delivery plan", "Exceptional, evidenced commitments"]),
]


def _prepare(session: Session, actor: Any, items: list[CatalogueItem], title: str, description: str, days: int) -> Tender:
    tender = pooling.form_tender(session, actor, board=BoardFilter(), pool_keys=[pool_key(i.id, None, None) for i in items],
                                 title=title, confirm_by=today() + timedelta(days=7), description=description)
    for lot in tender.lots:  # the demo buyers have all confirmed their lines
        for line in lot.lines:
            line.status, line.responded_at = LineStatus.confirmed, now()
            requirement = session.get(Requirement, line.requirement_id)
            assert requirement is not None
            move_requirement(session, actor, requirement, RequirementStatus.committed, "requirement.committed",
                             f"confirmed into tender {tender.reference} (demo)")
    pooling.close_confirmation(session, actor, tender.id)
    lifecycle.set_details(session, actor, tender.id, lifecycle.TenderDetails(
        title=title, description=description, price_weight=70,
        clarification_deadline=now() + timedelta(days=days - 7), submission_deadline=now() + timedelta(days=days),
        expected_award_on=today() + timedelta(days=days + 21)))
    lifecycle.set_criteria(session, actor, tender.id, CRITERIA)
    lifecycle.add_document(session, actor, tender.id, title="Specification", filename="specification.txt",
                           stream=io.BytesIO(f"{title}\n\n{description}\n".encode()),
                           directory=Path(current_app.instance_path) / "documents")
    return lifecycle.publish(session, actor, tender.id, master_secret=current_app.config["BID_SEALING_KEY"])


def seed_tenders(session: Session) -> dict[str, int]:
    if session.scalar(select(Tender.id).where(Tender.title.in_([OPEN_TITLE, CLOSED_TITLE]))):
        return {"published_tenders": 0}
    actor = SystemActor("seed-demo")
    items = {i.name: i for i in session.scalars(select(CatalogueItem))}
    wanted = ["Business laptop, 14-inch", "Desktop PC, small form factor", "Network switch, 48-port", "CRM user licence"]
    if any(name not in items for name in wanted):
        return {"published_tenders": 0}
    _prepare(session, actor, [items[wanted[0]], items[wanted[1]]], OPEN_TITLE,
             "Business laptops and small form factor desktops for five boroughs and Barts Health.", 30)
    closed = _prepare(session, actor, [items[wanted[2]], items[wanted[3]]], CLOSED_TITLE,
                      "48-port PoE+ switches and named-user CRM licences for London boroughs and TfL.", 26)
    bids = {"supplier.capnet@demo.londonconnects.example": {"lots": [{"lot": 1, "items": [
                {"item": 1, "unit_price": "3050.00", "offer_sku": "CNS-SW48-POE", "capacity": "200"}]}]},
            "supplier.crm@demo.londonconnects.example": {"lots": [{"lot": 2, "items": [
                {"item": 1, "unit_price": "185.00", "offer_sku": "BCS-CRM-USER", "tiers": "1-999:189.00; 1000-:185.00"}]}]}}
    submitted = 0
    for email, content in bids.items():
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            continue
        content["quality"] = [{"criterion": 1, "text": "Next-day delivery across London; on-site engineers."},
                              {"criterion": 2, "text": "Two apprenticeships per borough served."}]
        bidding.submit(session, user, closed.id, content)
        submitted += 1
    # The demo moves this tender's deadline into the past, so it waits to be opened.
    closed.clarification_deadline = now() - timedelta(days=3)
    closed.submission_deadline = now() - timedelta(hours=2)
    lifecycle.advance(session, closed)
    return {"published_tenders": 2, "demo_bids": submitted}
