"""The demo's story, run through the real services on a clock moved to the day each step
happened: requirements raised, pooled and formed into joint tenders; one tender awarded by an
optimised award across its two lots, past standstill (its contracts for the agency to enter);
one past its deadline with sealed bids waiting to be opened (network switches and CRM
licences); one published and open for bids (laptops and desktops); one draft waiting for its
buyers (monitors). Every date, release and document is one the service could have produced."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem
from procurement.core.access import Actor, SystemActor
from procurement.core.clock import LONDON, frozen_at, now, today
from demand.board import BoardFilter, pool_key
from demand.models import Requirement, RequirementStatus
from demand.services import move_requirement
from procurement.parties.models import User
from tenders import lifecycle
from tenders.bidding import bids
from tenders.forming import pooling
from tenders.models import LineStatus, Lot, Tender
from tenders.bidding.content import BidContentSchema
from tenders.forming import publication

OPEN_TITLE = "Joint laptop and desktop refresh 2027"
CLOSED_TITLE = "Joint network switches and CRM licences"
CRITERIA = [
    publication.CriterionInput("Delivery, installation and support", 20, [
        "No credible approach", "Major gaps", "Some gaps", "Meets the requirement",
        "Meets it with some added value", "Exceeds it with clear evidence"], pass_mark=2),
    publication.CriterionInput("Social value in London", 10, [
        "None offered", "Vague commitments", "Some measurable commitments", "Clear, measurable commitments",
        "Strong commitments with a delivery plan", "Exceptional, evidenced commitments"]),
]


# How many days before seeding the story starts (the parties and the catalogue exist from then).
STORY_DAYS = 80
AWARD_ITEMS = {"Contact-centre telephony seat", "GIS desktop licence"}
CLOSED_ITEMS = {"Network switch, 48-port", "CRM user licence"}


def story_moment(base: datetime, days_before: int, hhmm: time = time(9, 0)) -> datetime:
    """A London working morning `days_before` days before `base` (the weekend moved back to Friday)."""
    day: date = (base.astimezone(LONDON) - timedelta(days=days_before)).date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, hhmm, LONDON)


def next_working(moment: datetime) -> datetime:
    """The same London time on `moment`'s day, or on the next weekday if that is a weekend."""
    local = moment.astimezone(LONDON)
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local


def _prepare(session: Session, actor: Actor, items: list[CatalogueItem], title: str, description: str,
             formed: datetime, deadline: datetime, award_rules: Any = None) -> Tender:
    """Form a tender from the items' pools on `formed`, its buyers confirming within the hour;
    the agency sets it up and publishes it that afternoon, bids due by `deadline`."""
    with frozen_at(formed):
        tender = pooling.form_tender(session, actor, board=BoardFilter(), pool_keys=[pool_key(i.id, None, None) for i in items],
                                     title=title, confirm_by=today() + timedelta(days=7), description=description)
    with frozen_at(formed + timedelta(hours=1)):
        for lot in tender.lots:  # the demo buyers confirm their lines
            for line in lot.lines:
                line.status, line.responded_at = LineStatus.confirmed, now()
                requirement = session.get(Requirement, line.requirement_id)
                assert requirement is not None
                move_requirement(session, actor, requirement, RequirementStatus.committed, "requirement.committed",
                                 f"confirmed into tender {tender.reference}")
    with frozen_at(formed + timedelta(hours=4)):
        pooling.close_confirmation(session, actor, tender.id)
        publication.set_details(session, actor, tender.id, publication.TenderDetails(
            title=title, description=description, price_weight=70,
            clarification_deadline=deadline - timedelta(days=7), submission_deadline=deadline,
            expected_award_on=deadline.astimezone(LONDON).date() + timedelta(days=21),
            lot_values={lot.number: _estimated_value(lot) for lot in tender.lots}))
        publication.set_criteria(session, actor, tender.id, CRITERIA)
        if award_rules is not None:
            from tenders.optimisation.optimised_award import set_award_rules

            set_award_rules(session, actor, tender.id, award_rules)
        publication.add_document(session, actor, tender.id, title="Specification", filename="specification.txt",
                               stream=io.BytesIO(_specification(title, description, tender).encode()))
        _assess_conflicts(session, actor, tender)
        return publication.publish(session, actor, tender.id, master_secret=current_app.config["BID_SEALING_KEY"])


def _assess_conflicts(session: Session, actor: Actor, tender: Tender) -> None:
    """Before the notice: whoever shaped the draft declares no conflict of interest, and the demo's
    agency lead (or the seed) records the conflicts assessment."""
    from tenders import conflicts
    from tenders.models import ConflictStage

    for user_id in conflicts.required_now(session, tender, ConflictStage.before_publication):
        conflicts.declare(session, session.get(User, user_id), tender.id, answer="none")
    reviewer = session.scalar(select(User).where(User.email == "agency.lead@demo.londonconnects.example")) or actor
    conflicts.assess(session, reviewer, tender.id, conflicts="", mitigation="", summary=(
        "No conflict of interest declared by anyone who formed or prepared the tender; none otherwise known "
        "to the agency. To be reviewed once the bidders are known."))


def _estimated_value(lot: Lot) -> Decimal:
    """A lot's estimated value as the agency would set it: what its lines cost the buyers today."""
    return sum((line.quantity * line.baseline_unit_price for line in lot.lines), Decimal(0)).quantize(Decimal("0.01"))


def _specification(title: str, description: str, tender: Tender) -> str:
    lines = [title, "", description, "", "Lots:"]
    for lot in tender.lots:
        lines.append(f"  Lot {lot.number}: {lot.title}, {lot.quantity.normalize():f} {lot.unit}")
    lines += ["", "Delivery to each organisation's own address, as listed in the price schedule.",
              "Evaluation: most advantageous tender, price 70%, quality 30% (see the tender notice)."]
    return "\n".join(lines) + "\n"


def seed_story(session: Session, base: datetime) -> dict[str, int]:
    from demand.seed import seed_demand

    added = {"requirements": 0}
    if session.scalar(select(Tender.id).where(Tender.title == AWARDED_TITLE)) is None:
        with frozen_at(story_moment(base, STORY_DAYS, time(10, 0))):
            added["requirements"] += seed_demand(session, AWARD_ITEMS)["requirements"]
        added.update(seed_award(session, base))
    if session.scalar(select(Tender.id).where(Tender.title == CLOSED_TITLE)) is None:
        with frozen_at(story_moment(base, 43, time(10, 0))):  # days before the tender is formed, whatever the weekday
            added["requirements"] += seed_demand(session, CLOSED_ITEMS)["requirements"]
        added.update(seed_closed(session, base))
    with frozen_at(story_moment(base, 12, time(10, 0))):
        added["requirements"] += seed_demand(session, None)["requirements"]
    if session.scalar(select(Tender.id).where(Tender.title == OPEN_TITLE)) is None:
        added.update(seed_open(session, base))
    with frozen_at(story_moment(base, 2, time(11, 0))):
        added.update(seed_monitor_draft(session))
    return added


def _items(session: Session, names: list[str]) -> list[CatalogueItem] | None:
    items = {i.name: i for i in session.scalars(select(CatalogueItem))}
    return [items[n] for n in names] if all(n in items for n in names) else None


def seed_open(session: Session, base: datetime) -> dict[str, int]:
    """Laptops and desktops: published five days ago, open for bids for 25 days more."""
    items = _items(session, ["Business laptop, 14-inch", "Desktop PC, small form factor"])
    if items is None:
        return {"published_tenders": 0}
    formed = story_moment(base, 5)
    _prepare(session, SystemActor("seed-demo"), items, OPEN_TITLE,
             "Business laptops and small form factor desktops for five boroughs and Barts Health.", formed,
             datetime.combine(formed.date() + timedelta(days=30), time(12, 0), LONDON))
    return {"published_tenders": 1}


def seed_closed(session: Session, base: datetime) -> dict[str, int]:
    """Switches and CRM licences: published 40 days ago, bids in the box, its deadline two hours ago."""
    items = _items(session, ["Network switch, 48-port", "CRM user licence"])
    if items is None:
        return {"closed_tenders": 0}
    closed = _prepare(session, SystemActor("seed-demo"), items, CLOSED_TITLE,
                      "48-port PoE+ switches and named-user CRM licences for London boroughs and TfL.",
                      story_moment(base, 40), base - timedelta(hours=2))
    sealed = {"supplier.capnet@demo.londonconnects.example": {"lots": [{"lot": 1, "items": [
                {"item": 1, "unit_price": "3050.00", "offer_sku": "CNS-SW48-POE", "capacity": "200"}]}]},
            "supplier.crm@demo.londonconnects.example": {"lots": [{"lot": 2, "items": [
                {"item": 1, "unit_price": "185.00", "offer_sku": "BCS-CRM-USER", "tiers": "1-999:189.00; 1000-:185.00"}]}]}}
    submitted = 0
    for n, (email, content) in enumerate(sealed.items()):
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            continue
        content["quality"] = [{"criterion": 1, "text": "Next-day delivery across London; on-site engineers."},
                              {"criterion": 2, "text": "Two apprenticeships per borough served."}]
        with frozen_at(story_moment(base, 10 - 3 * n, time(15, 30))):
            bids.submit(session, user, closed.id, BidContentSchema().load(content))
        submitted += 1
    lifecycle.advance(session, closed)  # its deadline has passed: closed, waiting to be opened
    return {"closed_tenders": 1, "demo_bids": submitted}


AWARDED_TITLE = "Joint contact-centre seats and GIS licences"


def seed_award(session: Session, base: datetime) -> dict[str, int]:
    """Contact-centre seats and GIS licences, from requirements raised 80 days ago: published 75
    days ago, bid for, opened by two agency users after its deadline (26 days on), evaluated by a panel of
    two, awarded by an optimised award across its lots (Borough CRM Solutions' 6% discount for
    both lots beats awarding each to its lowest price), approved, the decision published and
    its standstill over: the agency can enter the contracts in the browser, and each borough
    then sees its order and its saving."""
    from tenders.award import evaluation
    from tenders.bidding import opening
    from tenders.optimisation import optimised_award

    users = {u.email.split("@")[0]: u for u in session.scalars(select(User).where(User.email.like("%@demo.londonconnects.example")))}
    lead, second = users.get("agency.lead"), users.get("agency.evaluator")
    items = _items(session, ["Contact-centre telephony seat", "GIS desktop licence"])
    if lead is None or second is None or items is None:
        return {"awarded_tenders": 0}
    formed = story_moment(base, 75)
    deadline = datetime.combine(formed.date() + timedelta(days=26), time(12, 0), LONDON)
    tender = _prepare(session, SystemActor("seed-demo"), items, AWARDED_TITLE,
                      "Cloud contact-centre agent seats and desktop GIS licences for boroughs and the GLA.", formed, deadline,
                      award_rules=optimised_award.AwardRules(optimised=True))
    sealed = {"supplier.capnet": [(1, "335.00")], "supplier.crm": [(1, "352.00"), (2, "1010.00")],
            "supplier.thames": [(2, "985.00")]}
    for n, (name, prices) in enumerate(sealed.items()):
        content = {"lots": [{"lot": lot, "items": [{"item": 1, "unit_price": price}]} for lot, price in prices],
                   "quality": [{"criterion": 1, "text": f"{name}: onboarding in four weeks, UK support desk."},
                               {"criterion": 2, "text": f"{name}: local apprenticeships and carbon reporting."}]}
        if name == "supplier.crm":
            content["bundles"] = [{"lots": [1, 2], "discount_percent": "6"}]
        with frozen_at(deadline - timedelta(days=9 - 2 * n, hours=2)):
            bids.submit(session, users[name], tender.id, BidContentSchema().load(content))
    opened_on = deadline + timedelta(hours=1)
    with frozen_at(opened_on):
        lifecycle.advance(session, tender)
        opening.request_opening(session, second, tender.id)  # the lead is told a second person is needed
    with frozen_at(opened_on + timedelta(minutes=40)):
        opening.confirm_opening(session, lead, tender.id)
    marks = {"supplier.capnet": (4, 3), "supplier.crm": (3, 3), "supplier.thames": (4, 4)}
    opened = {o.supplier_id: o for o in session.scalars(select(evaluation.OpenedBid).where(evaluation.OpenedBid.tender_id == tender.id))}
    by_name = {name: opened[next(iter(users[name].supplier_ids))] for name in marks}
    # Each step on a working day after the one before, whatever day the demo is seeded on.
    evaluated = next_working(datetime.combine(opened_on.astimezone(LONDON).date() + timedelta(days=2), time(10, 0), LONDON))
    moderated = next_working(evaluated + timedelta(days=1))
    published = next_working(moderated + timedelta(days=1))
    with frozen_at(evaluated):
        evaluation.start_evaluation(session, lead, tender.id, [lead.id, second.id], lead.id)
    for hours, evaluator in ((1, second), (3, lead)):
        with frozen_at(evaluated + timedelta(hours=hours)):
            evaluation.declare(session, evaluator, tender.id, "I have no conflict of interest with these bidders")
            for name, pair in marks.items():
                for criterion, score in zip(tender.criteria, pair):
                    evaluation.save_mark(session, evaluator, tender.id, by_name[name].id, criterion.id, score,
                                         _reason(score))
            evaluation.submit_marks(session, evaluator, tender.id)
    with frozen_at(evaluated + timedelta(hours=4)):
        from tenders import conflicts

        conflicts.assess(session, lead, tender.id, conflicts="", mitigation="", summary=(
            "Reviewed once the bidders were known: both evaluators declared no conflict of interest with any bidder."))
    with frozen_at(moderated):
        for name, pair in marks.items():
            for criterion, score in zip(tender.criteria, pair):
                evaluation.record_consensus(session, lead, tender.id, by_name[name].id, criterion.id, score,
                                            _reason(score))
        award = optimised_award.optimise(session, tender, time_limit=20)
        optimised_award.adopt(session, lead, tender.id, award.id)
    with frozen_at(moderated + timedelta(hours=3)):
        for lot in tender.lots:
            evaluation.approve(session, second, tender.id, lot.id)
    with frozen_at(published):
        evaluation.publish_decision(session, lead, tender.id)
        # The decision asks for the award pack when it commits: run in-process, its documents
        # are dated the day of the decision (an RQ worker makes them when it picks them up).
        session.commit()
    return {"awarded_tenders": 1}


def _reason(score: int) -> str:
    """A moderated mark's reason, as a panel would write it."""
    said = {3: "meets the requirement: a credible plan with named staff, but no added value beyond it",
            4: "meets the requirement with some added value: a tested plan and evidence from similar councils"}
    text = said.get(score, "as evidenced in the response")
    return text[0].upper() + text[1:] + "."


MONITOR_TENDER = "Joint monitor refresh"


def seed_monitor_draft(session: Session) -> dict[str, int]:
    """A draft joint tender formed from the monitors pool, its buyers still to confirm."""
    monitors = session.scalar(select(CatalogueItem).where(CatalogueItem.name == "Monitor, 24-inch"))
    if monitors is None or session.scalar(select(Tender.id).where(Tender.title == MONITOR_TENDER)):
        return {"tenders": 0}
    pooling.form_tender(session, SystemActor("seed-demo"), board=BoardFilter(), pool_keys=[pool_key(monitors.id, None, None)],
                title=MONITOR_TENDER, confirm_by=today() + timedelta(days=21),
                description="24-inch monitors for Hackney, Southwark and the GLA, from the demand board.")
    return {"tenders": 1}
