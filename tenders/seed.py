"""Demo tenders: one published and open for bids (laptops and desktops), one past its
deadline with sealed bids waiting to be opened (network switches and CRM licences), and one
awarded by an optimised award across its two lots, past standstill."""
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


def _prepare(session: Session, actor: Any, items: list[CatalogueItem], title: str, description: str, days: int,
             award_rules: Any = None) -> Tender:
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
    if award_rules is not None:
        from tenders.optimised_award import set_award_rules

        set_award_rules(session, actor, tender.id, award_rules)
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


AWARDED_TITLE = "Joint contact-centre seats and GIS licences"


def seed_award(session: Session) -> dict[str, int]:
    """A third tender taken through evaluation and the award decision by the demo's two
    agency users, its standstill already over (the demo dates the decision three weeks
    back): the agency can enter the contracts in the browser, and each borough then sees
    its order and its saving."""
    from datetime import datetime, time as clock_time

    from procurement.core.clock import LONDON
    from tenders import evaluation, opening, scoring

    if session.scalar(select(Tender.id).where(Tender.title == AWARDED_TITLE)):
        return {"awarded_tenders": 0}
    users = {u.email.split("@")[0]: u for u in session.scalars(select(User).where(User.email.like("%@demo.londonconnects.example")))}
    lead, second = users.get("agency.lead"), users.get("agency.evaluator")
    items = {i.name: i for i in session.scalars(select(CatalogueItem))}
    names = ["Contact-centre telephony seat", "GIS desktop licence"]
    if lead is None or second is None or any(n not in items for n in names):
        return {"awarded_tenders": 0}
    from tenders import optimised_award

    # The award may be optimised across lots: Borough CRM Solutions' 6% discount for both lots beats
    # awarding each lot to its lowest price.
    tender = _prepare(session, SystemActor("seed-demo"), [items[n] for n in names], AWARDED_TITLE,
                      "Cloud contact-centre agent seats and desktop GIS licences for boroughs and the GLA.", 26,
                      award_rules=optimised_award.AwardRules(optimised=True))
    bids = {"supplier.capnet": [(1, "335.00")], "supplier.crm": [(1, "352.00"), (2, "1010.00")],
            "supplier.thames": [(2, "985.00")]}
    for name, prices in bids.items():
        content = {"lots": [{"lot": lot, "items": [{"item": 1, "unit_price": price}]} for lot, price in prices],
                   "quality": [{"criterion": 1, "text": f"{name}: onboarding in four weeks, UK support desk."},
                               {"criterion": 2, "text": f"{name}: local apprenticeships and carbon reporting."}]}
        if name == "supplier.crm":
            content["bundles"] = [{"lots": [1, 2], "discount_percent": "6"}]
        bidding.submit(session, users[name], tender.id, content)
    tender.clarification_deadline = now() - timedelta(days=30)
    tender.submission_deadline = now() - timedelta(days=28)
    lifecycle.advance(session, tender)
    opening.request_opening(session, lead, tender.id)
    opening.confirm_opening(session, second, tender.id)
    evaluation.start_evaluation(session, lead, tender.id, [lead.id, second.id], lead.id)
    marks = {"supplier.capnet": (4, 3), "supplier.crm": (3, 3), "supplier.thames": (4, 4)}
    opened = {o.supplier_id: o for o in session.scalars(select(evaluation.OpenedBid).where(evaluation.OpenedBid.tender_id == tender.id))}
    by_name = {name: opened[next(iter(users[name].supplier_ids))] for name in marks}
    for evaluator in (second, lead):
        evaluation.declare(session, evaluator, tender.id, "I have no conflict of interest with these bidders")
        for name, pair in marks.items():
            for criterion, score in zip(tender.criteria, pair):
                evaluation.save_mark(session, evaluator, tender.id, by_name[name].id, criterion.id, score, "As evidenced")
        evaluation.submit_marks(session, evaluator, tender.id)
    for name, pair in marks.items():
        for criterion, score in zip(tender.criteria, pair):
            evaluation.record_consensus(session, lead, tender.id, by_name[name].id, criterion.id, score, "Panel consensus")
    award = optimised_award.optimise(session, tender, time_limit=20)
    optimised_award.adopt(session, lead, tender.id, award.id)
    for lot in tender.lots:
        evaluation.approve(session, second, tender.id, lot.id)
    standstill = evaluation.publish_decision(session, lead, tender.id)
    published = datetime.combine(scoring.add_working_days(today() - timedelta(days=28), 1), clock_time(10), LONDON)
    standstill.published_at = published
    standstill.ends_on = scoring.standstill_ends(published.date())
    return {"awarded_tenders": 1}
