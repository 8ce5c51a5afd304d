"""The acts a page offers are the acts the predicates allow (issue 17, point 3).

Every tender of the demo, at three moments (now, past the open tender's deadline, past
standstill's end), is read by each role and a second agency user on each of its pages; the
forms on the page (their action, or a button's formaction) are compared with the forms the
predicates of tenders.permissions and demand.permissions say that user may send. A page that
offers an act the service would refuse, or hides one it would allow, fails. And no template
compares a status to decide anything: the predicates do.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import url_for
from sqlalchemy import select

from procurement.core.clock import LONDON, frozen_at, now
from tests.conftest import csrf_token, sign_in
from tests.integration.test_refused_requests import DEMO, demo  # noqa: F401  (the demo fixture)

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ["procurement", "suppliers", "catalogue", "demand", "tenders", "opendata", "reports", "dashboards"]
READERS = {**DEMO, "evaluator": "agency.evaluator@demo.londonconnects.example",
           "bidder": "supplier.crm@demo.londonconnects.example", "other_buyer": "buyer.hackney@demo.londonconnects.example"}
ACTS = {  # the endpoints that act on a tender or a requirement, as a page offers them
    "tenders.answer", "tenders.close_confirmation", "tenders.details", "tenders.lots", "tenders.criteria", "tenders.add_document",
    "tenders.publish", "tenders.abandon", "tenders.cancel", "tenders.answer_question", "tenders.amend",
    "tenders.open_box", "opportunities.ask", "opportunities.bid", "opportunities.upload_schedule",
    "opportunities.bid_action", "evaluation.reply", "evaluation.start", "evaluation.declare", "evaluation.marks",
    "evaluation.consensus", "evaluation.check", "evaluation.award", "evaluation.step", "evaluation.pack",
    "optimised.rules", "optimised.work_out", "optimised.adopt", "demand.submit_requirement",
    "demand.withdraw_requirement", "demand.fulfil_requirement", "demand.agency_withdraw", "demand.cancel_requirement",
}
FORM_TAG = re.compile(r'<form\b[^>]*>|\bformaction="([^"]+)"', re.IGNORECASE)
ACTION = re.compile(r'\baction="([^"]*)"')
STATUS_TEST = re.compile(r"\{%-?\s*(?:if|elif)\b(?:(?!%\}).)*(?:status\.value|status\s+(?:not\s+)?in\b|status\s+is\b"
                         r"|effective_status)(?:(?!%\}).)*%\}", re.DOTALL)


def test_no_template_compares_a_status() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("**/templates/**/*.html")):
            for match in STATUS_TEST.finditer(path.read_text()):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)[:120]}")
    assert not found, "templates deciding by a status (ask a predicate in the view instead):\n" + "\n".join(found)


@pytest.fixture(scope="module")
def readers(demo: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    app = demo["app"]
    browsers = {}
    for role, email in READERS.items():
        browser = app.test_client()
        assert sign_in(browser, email, "london-demo-2026").status_code == 302, role
        csrf_token(browser)
        browsers[role] = browser
    return browsers


def _offered(app: Any, page: str, html: str) -> set[str]:
    """The paths the page's acting forms post to (a form without an action posts to the page)."""
    adapter = app.url_map.bind("localhost")
    found = set()
    for match in FORM_TAG.finditer(html):
        if match.group(1):
            target = match.group(1)
        elif 'method="post"' in match.group(0).lower():
            action = ACTION.search(match.group(0))
            target = action.group(1) if action and action.group(1) else page
        else:
            continue
        target = target.split("?")[0]
        endpoint, _args = adapter.match(target, method="POST")
        if endpoint in ACTS:
            found.add(target)
    return found


def _allowed_on_tender_pages(session: Any, actor: Any, tender: Any) -> dict[str, set[str]]:
    """What each tender page should offer `actor`, from the predicates alone."""
    from tenders.award import evaluation
    from tenders.optimisation import optimised_award
    from tenders import permissions as p
    from tenders import progress
    from tenders.models import AwardDecision, Bid, Clarification, LowPriceCheck, OpenedBid
    from tenders.award.ranking import rank_lot

    t = tender.id
    mine = evaluation.evaluator_of(session, actor, tender)
    panel = evaluation.panel(session, tender)
    supplier_id = p.own_supplier(actor)
    bid = session.scalar(select(Bid).where(Bid.tender_id == t, Bid.supplier_id == supplier_id)) if supplier_id else None
    lines = [line for lot in tender.lots for line in lot.lines]
    questions = session.scalars(select(Clarification).where(Clarification.tender_id == t,
                                                            Clarification.answered_at.is_(None))).all()
    checks = session.scalars(select(LowPriceCheck).join(OpenedBid).where(OpenedBid.tender_id == t)).all()
    tender_page: set[str] = set()
    for line in lines:
        if p.can_answer_line(actor, line):
            tender_page |= {url_for("tenders.answer", line_id=line.id, answer=a) for a in ("confirm", "decline")}
    # The draft's builder: each task's form on its own page; destructive acts on confirmation pages.
    builder: dict[str, set[str]] = {}
    drafting = bool(p.can_abandon(actor, tender))
    for task, endpoint in (("details", "tenders.details"), ("lots", "tenders.lots"), ("criteria", "tenders.criteria"),
                           ("documents", "tenders.add_document"), ("publish", "tenders.publish"), ("confirmation", None)):
        offered = {url_for(endpoint, tender_id=t)} if drafting and endpoint else set()
        if task == "lots" and tender.confirmation_closed_at is None:
            offered = set()  # the lots are named and valued once their quantities are confirmed
        if task == "publish" and drafting and not progress.may_publish(progress.draft_tasks(progress.tender_facts(session, tender))):
            offered = set()  # publish opens once every other task is completed
        builder[f"/tenders/{t}/build/{task}"] = offered
    builder[f"/tenders/{t}/abandon"] = {url_for("tenders.abandon", tender_id=t)} if drafting else set()
    builder[f"/tenders/{t}/close-confirmation"] = (
        {url_for("tenders.close_confirmation", tender_id=t)} if p.can_close_confirmation(actor, tender) else set())
    builder[f"/tenders/{t}/cancel"] = (
        {url_for("tenders.cancel", tender_id=t)} if p.can_cancel(actor, tender) and not drafting else set())
    if p.can_run(actor, tender):
        if p.can_answer_questions(actor, tender):
            tender_page |= {url_for("tenders.answer_question", clarification_id=q.id) for q in questions}
        if p.can_request_opening(actor, tender):
            tender_page.add(url_for("tenders.open_box", tender_id=t, step="request"))
        if p.can_confirm_opening(actor, tender):
            tender_page.add(url_for("tenders.open_box", tender_id=t, step="confirm"))
        if p.can_amend(actor, tender):
            tender_page.add(url_for("tenders.amend", tender_id=t))

    opportunity = {url_for("opportunities.ask", tender_id=t)} if p.can_ask(actor, tender) else set()
    bid_page: set[str] = set()
    if p.can_bid(actor, tender):
        bid_page |= {url_for("opportunities.bid", tender_id=t), url_for("opportunities.upload_schedule", tender_id=t)}
    if p.can_withdraw_bid(actor, tender, bid):
        bid_page.add(url_for("opportunities.bid_action", tender_id=t, action="withdraw"))
    if p.can_reconfirm_bid(actor, tender, bid) and bid is not None and bid.needs_reconfirmation:
        bid_page.add(url_for("opportunities.bid_action", tender_id=t, action="reconfirm"))
    results = {url_for("evaluation.reply", tender_id=t, check_id=c.id) for c in checks
               if supplier_id is not None and p.can_write_about_low_price(actor, tender, None, c, supplier_id)
               and session.get(OpenedBid, c.opened_bid_id).supplier_id == supplier_id}

    workspace: set[str] = set()
    step = lambda act: url_for("evaluation.step", tender_id=t, act=act)  # noqa: E731
    for allowed, url in ((p.can_start_evaluation(actor, tender), url_for("evaluation.start", tender_id=t)),
                         (p.can_declare(actor, tender, mine), url_for("evaluation.declare", tender_id=t)),
                         (p.can_mark(actor, tender, mine), url_for("evaluation.marks", tender_id=t)),
                         (p.can_moderate(actor, tender, mine, panel), url_for("evaluation.consensus", tender_id=t)),
                         (p.can_publish_decision(actor, tender), step("publish")),
                         (p.can_lift_challenge(actor, tender, tender.standstill), step("lift")),
                         (p.can_enter_contracts(actor, tender, tender.standstill), step("contracts")),
                         (p.can_complete(actor, tender), step("complete")),
                         (p.can_make_award_pack(actor, tender), url_for("evaluation.pack", tender_id=t))):
        if allowed:
            workspace.add(url)
    ranked = tender.opened_at is not None and tender.effective_status.value != "opened"
    for lot in tender.lots if ranked else []:
        ranking = rank_lot(session, tender, lot)
        decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
        if p.can_recommend(actor, tender, mine, decision, ranking.winner is not None):
            workspace.add(url_for("evaluation.award", tender_id=t, lot_id=lot.id, act="recommend"))
        if p.can_approve(actor, tender, decision):
            workspace.add(url_for("evaluation.award", tender_id=t, lot_id=lot.id, act="approve"))
        for check in ranking.checks.values():
            if p.can_decide_low_price(actor, tender, mine, check):
                workspace |= {url_for("evaluation.check", tender_id=t, check_id=check.id, act=a)
                              for a in ("message", "accept", "reject")}

    optimised: set[str] = set()
    if p.can_set_optimisation_rules(actor, tender):
        optimised.add(url_for("optimised.rules", tender_id=t))
    if p.can_optimise(actor, tender):
        optimised.add(url_for("optimised.work_out", tender_id=t))
    if p.agency(actor):
        award = optimised_award.view(session, actor, t)[1]
        if award is not None and p.can_adopt_optimised(actor, tender, mine, award):
            optimised.add(url_for("optimised.adopt", tender_id=t, award_id=award.id))
    challenge = {step("challenge")} if p.can_record_challenge(actor, tender, tender.standstill) else set()
    return {**builder, f"/tenders/{t}/evaluation/challenge": challenge, f"/tenders/{t}": tender_page, f"/opportunities/{t}": opportunity, f"/opportunities/{t}/bid": bid_page,
            f"/opportunities/{t}/results": results, f"/tenders/{t}/evaluation": workspace,
            f"/tenders/{t}/optimised-award": optimised}


def _allowed_on_requirement_pages(actor: Any, requirement: Any) -> dict[str, set[str]]:
    """The requirement's page offers submitting; every other act is done on a confirmation
    page of its own (at the act's own address), which offers its form when allowed."""
    from demand import permissions as p

    r = requirement.id
    page = f"/requirements/{r}"
    pages = {page: {url_for("demand.submit_requirement", requirement_id=r)} if p.can_submit(actor, requirement) else set()}
    acts = ((p.can_withdraw, "demand.withdraw_requirement"), (p.can_mark_fulfilled, "demand.fulfil_requirement"),
            (p.can_agency_withdraw, "demand.agency_withdraw"), (p.can_cancel, "demand.cancel_requirement"))
    for predicate, endpoint in acts:
        target = url_for(endpoint, requirement_id=r)
        pages[target] = {target} if predicate(actor, requirement) else set()
    return pages


def _moments(demo: dict[str, Any]) -> Iterator[tuple[str, Any]]:  # noqa: F811
    from procurement.core.db import db
    from tenders.models import Tender

    with demo["app"].app_context():
        published = db.session.get(Tender, demo["ids"]["tenders"]["published"])
        decided = db.session.get(Tender, demo["ids"]["tenders"]["decided"])
        yield "now", now()
        yield "past the deadline", published.submission_deadline + timedelta(hours=1)
        if decided.standstill is not None:
            yield "past standstill", datetime.combine(decided.standstill.ends_on + timedelta(days=1), time(10), LONDON)


def _compare(demo: dict[str, Any], readers: dict[str, Any], moment: str,  # noqa: F811
             tender_ids: list[int] | None = None, requirements: int = 40) -> int:
    """Read every page of the tenders (all, or `tender_ids`) and of the first requirements as
    each reader; assert each offers what the predicates allow. Returns the pages compared."""
    from demand.models import Requirement
    from procurement.core.db import db
    from procurement.parties.models import User
    from tenders.models import Tender

    app = demo["app"]
    compared = 0
    for role, browser in readers.items():
        with app.test_request_context():
            session = db.session
            actor = session.scalar(select(User).where(User.email == READERS[role]))
            expected: dict[str, set[str]] = {}
            chosen = select(Tender).order_by(Tender.id)
            for tender in session.scalars(chosen.where(Tender.id.in_(tender_ids)) if tender_ids else chosen):
                expected.update(_allowed_on_tender_pages(session, actor, tender))
            for requirement in session.scalars(select(Requirement).order_by(Requirement.id).limit(requirements)):
                expected.update(_allowed_on_requirement_pages(actor, requirement))
            session.rollback()
        for page, allowed in expected.items():
            response = browser.get(page)
            if response.status_code != 200:
                assert not allowed, f"{role} may act on {page} ({sorted(allowed)}) but cannot read it"
                continue
            offered = _offered(app, page, response.get_data(as_text=True))
            assert offered == allowed, (f"{role} at {moment} on {page}: offered but not allowed "
                                        f"{sorted(offered - allowed)}; allowed but not offered {sorted(allowed - offered)}")
            compared += 1
    return compared


@pytest.mark.parametrize("moment", ["now", "past the deadline", "past standstill"])
def test_each_page_offers_what_the_predicates_allow(demo: dict[str, Any], readers: dict[str, Any],  # noqa: F811
                                                    moment: str) -> None:
    at = dict(_moments(demo)).get(moment)
    if at is None:
        pytest.skip("the demo has no standstill")
    with frozen_at(at):
        assert _compare(demo, readers, moment) > 20


def test_the_pages_follow_tenders_through_their_acts(demo: dict[str, Any], readers: dict[str, Any]) -> None:  # noqa: F811
    """The closed tender opened by two agency users and evaluated; the decided one contracted
    and completed: after each act, every reader's pages offer what the predicates allow."""
    from procurement.core.db import db
    from procurement.parties.models import User
    from tenders.award import evaluation
    from tenders.bidding import opening

    app = demo["app"]
    closed, decided = demo["ids"]["tenders"]["closed"], demo["ids"]["tenders"]["decided"]
    with app.app_context():
        users = {role: db.session.scalar(select(User).where(User.email == READERS[role])) for role in ("agency", "evaluator")}
        lead, second = users["agency"], users["evaluator"]
        after_standstill = dict(_moments(demo))["past standstill"]
    acts = [
        ("the opening requested", lambda s: opening.request_opening(s, lead, closed)),
        ("the box opened", lambda s: opening.confirm_opening(s, second, closed)),
        ("the evaluation started", lambda s: evaluation.start_evaluation(s, lead, closed, [lead.id, second.id], lead.id)),
        ("the lead declared", lambda s: evaluation.declare(s, lead, closed, "No conflict of interest")),
        ("the contracts entered", lambda s: evaluation.enter_contracts(s, lead, decided)),
        ("the tender complete", lambda s: evaluation.complete(s, lead, decided)),
    ]
    with frozen_at(after_standstill):
        for moment, act in acts:
            with app.app_context():
                act(db.session)
                db.session.commit()
            assert _compare(demo, readers, moment, [closed, decided], requirements=0) > 10


