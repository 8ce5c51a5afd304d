"""Who a tender's events tell, once each: exactly the right people (never a competitor,
another organisation's buyer or the one who acted), with the right page, and no second
notification when the event or the task runs again."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from procurement.core.clock import frozen_at, now, today
from procurement.notifications.models import Notification
from procurement.parties.models import Partnership
from suppliers.models import Supplier
from tenders import following, messages
from tenders.award import evaluation
from tenders.bidding import bids, clarifications, opening
from tenders.forming import pooling, publication
from tenders.models import Amendment
from tests import factories


def told(session, kind, user=None):
    """The notifications of `kind` (to `user`, if given), oldest first."""
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(session.scalars(query))


def told_ids(session, kind):
    return sorted(n.user_id for n in told(session, kind))


def supplier_user(session, **interests):
    person = factories.user(session, "supplier")
    supplier = session.get(Supplier, next(iter(person.supplier_ids)))
    supplier.alert_cpv_codes = interests.get("codes", [])
    supplier.alert_regions = interests.get("regions", [])
    session.flush()
    return person


def publish(session, world):
    from flask import current_app

    from tenders import rules

    publication.publish(session, world["agency"], world["tender"].id, short_period=rules.ShortPeriod(),
                        master_secret=current_app.config["BID_SEALING_KEY"])


def test_publication_tells_the_suppliers_whose_interests_it_matches(session):
    world = factories.published_tender(session, publish=False)
    for org in world["orgs"]:
        org.partnership = Partnership.north
    wide = supplier_user(session, codes=["30200000"])                          # computers, anywhere
    north = supplier_user(session, codes=["30213100"], regions=["north"])      # laptops, in the north
    south = supplier_user(session, codes=["30200000"], regions=["south"])      # the wrong partnership
    software = supplier_user(session, codes=["48000000"])                      # another branch
    silent = supplier_user(session)                                            # no interests: nothing
    colleague = factories.user(session, "supplier", supplier_id=next(iter(wide.supplier_ids)))
    publish(session, world)
    tender = world["tender"]
    assert told_ids(session, "new_opportunity") == sorted([wide.id, colleague.id, north.id])
    assert {south.id, software.id, silent.id, world["bidder"].id}.isdisjoint(told_ids(session, "new_opportunity"))
    notice = told(session, "new_opportunity", wide)[0]
    assert notice.link == f"/opportunities/{tender.id}" and tender.reference in notice.body
    assert "\n\n" in notice.body and "@" not in notice.body
    assert messages.tell_new_opportunity(session, tender) == 0  # told once
    assert len(told(session, "new_opportunity")) == 3


def test_an_answer_tells_the_followers_without_naming_the_asker(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    asker = world["bidder"]
    follower = factories.user(session, "supplier")
    bystander = factories.user(session, "supplier")
    following.follow_tender(session, follower, tender.id)
    question = clarifications.ask(session, asker, tender.id, "Is a docking station included?")
    assert following.is_following(session, tender.id, next(iter(asker.supplier_ids)))  # asking follows
    clarifications.answer(session, world["agency"], question.id, "No: lot 1 is laptops only.")
    assert told_ids(session, "answer_published") == sorted([asker.id, follower.id])
    assert told(session, "answer_published", bystander) == []
    body = told(session, "answer_published", follower)[0].body
    asker_supplier = session.get(Supplier, next(iter(asker.supplier_ids)))
    assert "docking station" in body and "laptops only" in body
    assert asker_supplier.legal_name not in body and asker.full_name not in body and asker.email not in body
    assert told(session, "answer_published", follower)[0].link == f"/opportunities/{tender.id}"
    assert messages.tell_answer(session, question) == 0


def test_stopping_following_stops_answers(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    follower = factories.user(session, "supplier")
    following.follow_tender(session, follower, tender.id)
    following.stop_following(session, follower, tender.id)
    question = clarifications.ask(session, world["bidder"], tender.id, "When is delivery?")
    clarifications.answer(session, world["agency"], question.id, "Within 30 days.")
    assert told(session, "answer_published", follower) == []


def test_an_amendment_tells_followers_and_bidders_and_asks_bids_in_the_box_to_be_confirmed_again(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    bidder, follower, bystander = world["bidder"], factories.user(session, "supplier"), factories.user(session, "supplier")
    bids.submit(session, bidder, tender.id, factories.bid())
    following.follow_tender(session, follower, tender.id)
    later = tender.submission_deadline + timedelta(days=7)
    amendment = publication.amend(session, world["agency"], tender.id, summary="Lot 1 now needs 16 GB of memory",
                                  new_deadline=later)
    assert told_ids(session, "amendment") == sorted([bidder.id, follower.id])
    assert told(session, "amendment", bystander) == []
    to_bidder, to_follower = told(session, "amendment", bidder)[0], told(session, "amendment", follower)[0]
    assert to_bidder.statutory and "confirm it again" in to_bidder.body and "16 GB" in to_bidder.body
    assert "confirm it again" not in to_follower.body
    from procurement.notifications.people import london_time

    assert london_time(later) in to_follower.body
    assert to_bidder.link == f"/opportunities/{tender.id}/bid" and to_follower.link == f"/opportunities/{tender.id}"
    assert messages.tell_amendment(session, session.get(Amendment, amendment.id)) == 0


def test_a_bid_received_tells_the_bidders_own_people_with_the_receipt(session):
    world = factories.published_tender(session)
    tender, bidder = world["tender"], world["bidder"]
    colleague = factories.user(session, "supplier", supplier_id=world["supplier_id"])
    competitor = factories.user(session, "supplier")
    receipt = bids.submit(session, bidder, tender.id, factories.bid())
    assert told_ids(session, "bid_received") == sorted([bidder.id, colleague.id])
    assert told(session, "bid_received", competitor) == []
    notice = told(session, "bid_received", colleague)[0]
    assert notice.link == f"/opportunities/{tender.id}/receipts/{receipt.version}"
    assert receipt.digest in notice.body and f"lot 1: {tender.lots[0].title}" in notice.body
    assert following.is_following(session, tender.id, world["supplier_id"])  # bidding follows
    again = bids.submit(session, bidder, tender.id, factories.bid(unit_price="735.00"))
    assert len(told(session, "bid_received", bidder)) == 2 and again.version == 2  # a receipt per version


def test_drafts_are_reminded_three_days_and_one_day_before_the_deadline_once_each(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    drafter, submitter, withdrawer = world["bidder"], factories.user(session, "supplier"), factories.user(session, "supplier")
    from catalogue.services import OfferInput, create_offer

    for other in (submitter, withdrawer):
        create_offer(session, factories.SYSTEM, next(iter(other.supplier_ids)), OfferInput(
            sku="BID-LAP", title="Laptop", cpv_code=world["item"].cpv_code, unit="each", list_price="800.00",
            status="published"))
        bids.submit(session, other, tender.id, factories.bid(tiers=""))
    bids.withdraw(session, withdrawer, tender.id)  # withdrawn on purpose, with no new draft: not reminded
    bids.save_draft(session, drafter, tender.id, factories.bid())
    deadline = tender.submission_deadline
    with frozen_at(deadline - timedelta(days=3, minutes=1)):
        assert messages.remind_drafts(session) == 0
    with frozen_at(deadline - timedelta(days=3) + timedelta(minutes=1)):
        assert messages.remind_drafts(session) == 1
        assert messages.remind_drafts(session) == 0  # the next run tells nobody again
    with frozen_at(deadline - timedelta(days=1, minutes=-1)):
        assert messages.remind_drafts(session) == 1
        assert messages.remind_drafts(session) == 0
    with frozen_at(deadline + timedelta(minutes=1)):
        assert messages.remind_drafts(session) == 0
    reminders = told(session, "draft_reminder")
    assert [n.user_id for n in reminders] == [drafter.id, drafter.id]
    assert [n.key.split(":user:")[0].rsplit(":", 1)[1] for n in reminders] == ["3d", "1d"]
    assert reminders[0].link == f"/opportunities/{tender.id}/bid"


def _draft_tender(session, confirm_in_days=5):
    """A draft tender of two organisations' laptop lines, none yet answered; and a bystander."""
    from demand.board import BoardFilter

    item = factories.catalogue_item(session)
    orgs = [factories.organisation(session) for _ in range(2)]
    buyers = [factories.user(session, "buyer", organisation_id=o.id) for o in orgs]
    for buyer in buyers:
        factories.requirement(session, buyer, catalogue_item_id=item.id, unit="", quantity="5")
    buyers.append(factories.user(session, "buyer", organisation_id=orgs[0].id))  # a colleague of the first
    agency = factories.user(session, "agency")
    tender = pooling.form_tender(session, agency, board=BoardFilter(), pool_keys=[f"item-{item.id}"],
                                 title="Joint laptops", confirm_by=today() + timedelta(days=confirm_in_days))
    return tender, buyers, agency


def test_forming_a_tender_asks_each_organisations_buyers_to_confirm(session):
    outsider = factories.user(session, "buyer")
    tender, buyers, agency = _draft_tender(session)
    assert told_ids(session, "lines_to_confirm") == sorted(b.id for b in buyers)
    assert told(session, "lines_to_confirm", outsider) == [] and told(session, "lines_to_confirm", agency) == []
    assert told(session, "lines_to_confirm", buyers[0])[0].link == "/requirements/pools"
    assert messages.tell_lines_to_confirm(session, tender) == 0


def test_buyers_with_lines_pending_are_reminded_two_days_before_the_date(session):
    tender, buyers, _agency = _draft_tender(session, confirm_in_days=5)
    answered = next(line for line in tender.lots[0].lines if line.organisation_id in buyers[0].organisation_ids)
    pooling.respond(session, buyers[0], answered.id, confirm=True)
    start = now()
    with frozen_at(start + timedelta(days=2)):   # three days before: not yet
        assert messages.remind_confirmations(session) == 0
    with frozen_at(start + timedelta(days=3)):   # two days before
        assert messages.remind_confirmations(session) == 1
        assert messages.remind_confirmations(session) == 0
    with frozen_at(start + timedelta(days=4)):   # and not again the next day
        assert messages.remind_confirmations(session) == 0
    reminders = [n for n in told(session, "lines_to_confirm") if n.key.startswith("lines_reminder:")]
    assert [n.user_id for n in reminders] == [buyers[1].id]  # the buyer who answered is not reminded


def test_opening_requested_tells_every_other_agency_user(session):
    world = factories.opened_tender(session)
    tender = world["tender"]
    assert told(session, "opening_requested", world["agency"]) == []   # the one who asked
    notice = told(session, "opening_requested", world["second_agency"])
    assert len(notice) == 1 and notice[0].link == f"/tenders/{tender.id}"
    assert {b.id for b in world["bidders"]}.isdisjoint(told_ids(session, "opening_requested"))
    assert messages.tell_opening_requested(session, tender) == 0


def test_evaluators_recommendations_decision_and_contracts(session):
    world = factories.decided_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    # marking: the panelist named by the lead (the lead named the panel)
    assert told_ids(session, "marking_assigned") == [panelist.id]
    assert told(session, "marking_assigned", panelist)[0].link == f"/tenders/{tender.id}/evaluation"
    # approval: anyone of the agency but the lead who recommended
    waiting = told_ids(session, "approval_waiting")
    assert panelist.id in waiting and lead.id not in waiting
    assert {b.id for b in world["bidders"]}.isdisjoint(waiting)
    # the decision: each bidder, its own result only
    bidders = world["bidders"]
    assert told_ids(session, "decision") == sorted(b.id for b in bidders)
    names = {b.id: session.get(Supplier, next(iter(b.supplier_ids))).legal_name for b in bidders}
    awarded = 0
    for bidder in bidders:
        notice = told(session, "decision", bidder)[0]
        assert notice.statutory and notice.link == f"/opportunities/{tender.id}/results"
        assert "out of 100" in notice.body and "£" not in notice.body
        assert all(name not in notice.body for other, name in names.items() if other != bidder.id)
        awarded += ": awarded to you." in notice.body
        assert ": awarded to you." in notice.body or "not ranked first on this lot" in notice.body  # the page's reason
    assert awarded == 1
    ends = world["standstill"].ends_on
    assert f"{ends.day} {ends:%B %Y}" in told(session, "decision", bidders[0])[0].body
    assert messages.tell_decision(session, tender, world["standstill"], evaluation.own_results(session, tender)) == 0
    # contracts: each organisation's buyers
    outsider = factories.user(session, "buyer")
    with frozen_at(world["after"] + timedelta(days=30)):
        contracts = evaluation.enter_contracts(session, lead, tender.id)
    assert told_ids(session, "contracts_entered") == sorted(b.id for b in world["buyers"])
    assert told(session, "contracts_entered", outsider) == []
    assert told(session, "contracts_entered", world["buyers"][0])[0].link == f"/awards/tenders/{tender.id}"
    assert messages.tell_contracts_entered(session, tender, contracts) == 0


def test_approval_of_a_second_recommendation_is_asked_again(session):
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    from tenders.models import OpenedBid

    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    with frozen_at(world["after"] + timedelta(hours=1)):
        factories.panel_marks(session, tender, lead, panelist, opened)
        for bid in opened:
            for criterion in tender.criteria:
                evaluation.record_consensus(session, lead, tender.id, bid.id, criterion.id, 3, "Agreed")
        evaluation.recommend(session, lead, tender.id, tender.lots[0].id, "Lowest price")
    with frozen_at(world["after"] + timedelta(hours=2)):
        evaluation.recommend(session, lead, tender.id, tender.lots[0].id, "Lowest price, reworded")
    assert len(told(session, "approval_waiting", panelist)) == 2
    assert told(session, "approval_waiting", lead) == []


def test_the_reminder_tasks_run_in_their_own_transaction(session):
    from tenders.jobs import confirmation_reminders, draft_reminders

    world = factories.published_tender(session)
    bids.save_draft(session, world["bidder"], world["tender"].id, factories.bid())
    _draft_tender(session, confirm_in_days=1)
    session.commit()  # the tasks open sessions of their own: they see what is committed (a savepoint here)
    with frozen_at(world["tender"].submission_deadline - timedelta(hours=2)):
        assert draft_reminders() == 1 and draft_reminders() == 0
    assert confirmation_reminders() == 3 and confirmation_reminders() == 0  # two organisations' three buyers
