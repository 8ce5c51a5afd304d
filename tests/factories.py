"""Test data through the same services the app uses."""
from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any
from procurement.parties.accounts import RoleGrant, create_api_token, create_user
from procurement.core.access import SystemActor
from procurement.parties.models import Organisation, Role, User
from procurement.parties.services import create_organisation
from suppliers.models import Supplier
from suppliers.services import create_supplier
from tenders.forming import publication

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
SYSTEM = SystemActor("test")


def organisation(session: Any, **overrides: Any) -> Organisation:
    n = next(_counter)
    data = dict(name=f"Test Borough {n}", kind="london_borough")
    data.update(overrides)
    return create_organisation(session, SYSTEM, **data)


def supplier(session: Any, **overrides: Any) -> Supplier:
    n = next(_counter)
    data = dict(legal_name=f"Test Supplier {n} Ltd", companies_house_number=f"{88000000 + n:08d}",
                contact_name="Pat Contact", contact_email=f"contact{n}@supplier.example")
    declared = overrides.pop("declared", True)
    data.update(overrides)
    made = create_supplier(session, SYSTEM, **data)
    if declared:  # a current, clean exclusions declaration: what taking part asks (issue 21)
        exclusion_declaration(session, made.id)
    return made


def exclusion_declaration(session: Any, supplier_id: int, **grounds: Any) -> Any:
    """A declaration of the supplier: every ground no, but those given ({code: {"applies": True,
    "details": ..., "mitigation": ...}})."""
    from suppliers import exclusions

    answers = {**exclusions.nothing_to_declare(), **grounds}
    evidence = "Records kept by the company secretary" if grounds else ""
    return exclusions.declare(session, SYSTEM, supplier_id, grounds=answers, connected=[], associated=[], evidence=evidence)


def user(session: Any, role: str, *, organisation_id: int | None = None, supplier_id: int | None = None,
         email: str | None = None, password: str = PASSWORD) -> User:
    n = next(_counter)
    if role == "buyer" and organisation_id is None:
        organisation_id = organisation(session).id
    if role == "supplier" and supplier_id is None:
        supplier_id = supplier(session).id
    created = create_user(
        session, SYSTEM, email=email or f"{role}{n}@test.example", full_name=f"{role.title()} {n}",
        password=password, grants=[RoleGrant(Role(role), organisation_id, supplier_id)],
    )
    session.flush()
    return created


def token_for(session: Any, account: User, days: int = 30) -> str:
    _token, plain = create_api_token(session, account, name="test", days=days)
    session.flush()
    return plain


def catalogue_item(session: Any, name: str | None = None, cpv_code: str = "30213100", unit: str = "each") -> Any:
    from catalogue.services import create_item

    return create_item(session, SYSTEM, name=name or f"Test item {next(_counter)}", cpv_code=cpv_code, unit=unit,
                       key_attributes="")


def linked_offer(session: Any, item: Any, list_price: str, breaks: str = "", **overrides: Any) -> Any:
    """A published offer of a new supplier, linked to the item."""
    from catalogue.services import OfferInput, create_offer, link_offer

    seller = supplier(session)
    data = dict(sku=f"SKU-{next(_counter)}", title=f"Offer for {item.name}", cpv_code=item.cpv_code, unit=item.unit,
                list_price=list_price, price_breaks=breaks, status="published")
    data.update(overrides)
    offer = create_offer(session, SYSTEM, seller.id, OfferInput(**data))
    link_offer(session, SYSTEM, item.id, offer.id)
    return offer


def requirement(session: Any, buyer: User, *, submit: bool = True, days: int = 30, **overrides: Any) -> Any:
    """A requirement raised by `buyer` through the service, submitted unless told."""
    from datetime import timedelta
    from procurement.core.clock import today
    from demand.services import RequirementInput, create_requirement

    data = dict(title="Laptops", cpv_code="30213100", specification="14-inch laptops", quantity="10", unit="each",
                delivery_location="Town Hall", needed_by=today() + timedelta(days=days), baseline_unit_price="800.00")
    data.update(overrides)
    return create_requirement(session, buyer, RequirementInput(**data), submit=submit)


def published_tender(session: Any, *, days: int = 30, short_period: Any = None, publish: bool = True,
                     conflicts: bool = True) -> dict[str, Any]:
    """A joint tender formed from a laptop pool of two organisations (both lines confirmed),
    with criteria, a document and a timeline, published unless told; and a bidder whose
    catalogue has the laptop at £800 (£750 from 100 units). Everyone who shaped it declares no
    conflict of interest and the agency records the conflicts assessment, unless told."""
    import io
    from datetime import timedelta


    from flask import current_app
    from procurement.core.clock import now, today
    from demand.board import BoardFilter
    from tenders import rules
    from tenders.forming import pooling

    item = catalogue_item(session, name=f"Tender laptop {next(_counter)}")
    orgs = [organisation(session) for _ in range(2)]
    buyers = [user(session, "buyer", organisation_id=o.id) for o in orgs]
    for buyer, quantity in zip(buyers, ("60", "90")):
        requirement(session, buyer, catalogue_item_id=item.id, unit="", quantity=quantity, baseline_unit_price="900.00")
    agency = user(session, "agency")
    tender = pooling.form_tender(session, agency, board=BoardFilter(), pool_keys=[f"item-{item.id}"],
                                 title="Joint laptop tender", confirm_by=today() + timedelta(days=3))
    for buyer, line in zip(buyers, sorted(tender.lots[0].lines, key=lambda l: l.organisation_id)):
        pooling.respond(session, buyer, line.id, confirm=True)
    pooling.close_confirmation(session, agency, tender.id)
    publication.set_details(session, agency, tender.id, publication.TenderDetails(
        title="Joint laptop tender", description="Laptops for two boroughs", price_weight=60,
        clarification_deadline=now() + timedelta(days=days - 5), submission_deadline=now() + timedelta(days=days),
        expected_award_on=today() + timedelta(days=days + 20), lot_values={1: Decimal("120000.00")}))
    publication.set_criteria(session, agency, tender.id, [
        publication.CriterionInput("Delivery and support", 25, [f"mark {n}" for n in range(6)], pass_mark=2),
        publication.CriterionInput("Social value", 15, [f"mark {n}" for n in range(6)]),
    ])
    publication.add_document(session, agency, tender.id, title="Specification", filename="spec.txt",
                           stream=io.BytesIO(b"Laptops: 14-inch, 16 GB"))
    if conflicts:
        conflicts_cleared(session, tender, agency)
    if publish:
        publication.publish(session, agency, tender.id, short_period=short_period or rules.ShortPeriod(),
                          master_secret=current_app.config["BID_SEALING_KEY"])
    bidder = user(session, "supplier")
    supplier_id = next(iter(bidder.supplier_ids))
    from catalogue.services import OfferInput, create_offer

    create_offer(session, SYSTEM, supplier_id, OfferInput(
        sku="BID-LAP", title="Bid laptop", cpv_code=item.cpv_code, unit="each", list_price="800.00",
        price_breaks="100:750.00", status="published"))
    session.flush()
    return {"tender": tender, "agency": agency, "second_agency": user(session, "agency"), "buyers": buyers,
            "orgs": orgs, "bidder": bidder, "supplier_id": supplier_id, "item": item}


def conflicts_cleared(session: Any, tender: Any, reviewer: User) -> Any:
    """Everyone who must declare on the tender now declares no conflict, and `reviewer` records
    the conflicts assessment (what publication asks for)."""
    from tenders import conflicts

    stage = conflicts.stage_of(tender.effective_status)
    made = conflicts.latest(conflicts.declarations_of(session, tender), stage)
    for user_id in conflicts.required_now(session, tender, stage):
        if user_id not in made:
            conflicts.declare(session, session.get(User, user_id), tender.id, answer="none")
    return conflicts.assess(session, reviewer, tender.id, conflicts="", mitigation="",
                            summary="Everyone who shaped the tender declared no conflict of interest")


def bid_content(unit_price: str = "740.00", text: str = "We deliver in 10 days", sku: str = "BID-LAP",
                tiers: str = "1-99:760.00; 100-:740.00") -> dict[str, Any]:
    return {"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": unit_price, "offer_sku": sku, "capacity": "500",
                                             "tiers": tiers}]}],
            "quality": [{"criterion": 1, "text": text}, {"criterion": 2, "text": "Apprenticeships in Hackney"}]}


def bid(raw: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Bid content (`raw`, or `bid_content`'s) loaded as the API and the bid form load it."""
    from tenders.bidding.content import BidContentSchema

    return BidContentSchema().load(raw if raw is not None else bid_content(**kwargs))


def opened_tender(session: Any, prices: tuple[str, ...] = ("740.00", "700.00", "745.00"),
                  after_publish: Any = None) -> dict[str, Any]:
    """A published tender with a bid per price (each from a supplier with a matching offer),
    past its deadline and opened by two agency users. `after_publish(world)` runs between the
    publication and the bids (a test publishing its tender notice on the central platform)."""
    from datetime import timedelta
    from catalogue.services import OfferInput, create_offer
    from procurement.core.clock import frozen_at
    from tenders.bidding import bids
    from tenders.bidding import opening

    world = published_tender(session)
    tender = world["tender"]
    if after_publish is not None:
        after_publish(world)
    bidders = []
    for n, price in enumerate(prices):
        bidder = world["bidder"] if n == 0 else user(session, "supplier")
        if n:
            create_offer(session, SYSTEM, next(iter(bidder.supplier_ids)), OfferInput(
                sku="BID-LAP", title="Laptop", cpv_code=world["item"].cpv_code, unit="each", list_price="800.00",
                price_breaks="100:750.00", status="published"))
        bids.submit(session, bidder, tender.id, bid(unit_price=price, text=f"Answer {n}", tiers=""))
        bidders.append(bidder)
    after = tender.submission_deadline + timedelta(minutes=1)
    with frozen_at(after):
        opening.request_opening(session, world["agency"], tender.id)
        opening.confirm_opening(session, world["second_agency"], tender.id)
    world.update(bidders=bidders, after=after)
    return world


AWARD_SCORES = {0: (4, 3), 1: (3, 3), 2: (5, 5)}


def panel_marks(session: Any, tender: Any, lead: User, panelist: User, opened: list[Any],
                score: Any = 3, reason: str = "Seen") -> None:
    """The lead starts the evaluation with a panel of two, who each declare, mark every response
    (`score` a number, or a function of the opened bid's position and the criterion) and submit."""
    from tenders.award import evaluation

    mark = score if callable(score) else (lambda n, criterion: score)
    evaluation.start_evaluation(session, lead, tender.id, [lead.id, panelist.id], lead.id)
    for evaluator in (panelist, lead):
        evaluation.declare(session, evaluator, tender.id, "No conflict of interest")
        for n, bid in enumerate(opened):
            for criterion in tender.criteria:
                given = mark(n, criterion)
                evaluation.save_mark(session, evaluator, tender.id, bid.id, criterion.id, given,
                                     reason if not callable(score) else f"Mark {given}")
        evaluation.submit_marks(session, evaluator, tender.id)


def decided_tender(session: Any, after_publish: Any = None) -> dict[str, Any]:
    """An opened tender evaluated by a panel of two (scores AWARD_SCORES), its award
    recommended, approved and the decision published (standstill running)."""
    from datetime import timedelta
    from sqlalchemy import select

    from procurement.core.clock import frozen_at
    from tenders.award import evaluation
    from tenders.models import OpenedBid

    world = opened_tender(session, after_publish=after_publish)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    with frozen_at(world["after"] + timedelta(hours=1)):
        panel_marks(session, tender, lead, panelist, opened,
                    lambda n, criterion: AWARD_SCORES[n][tender.criteria.index(criterion)])
        for n, pair in AWARD_SCORES.items():
            for criterion, score in zip(tender.criteria, pair):
                evaluation.record_consensus(session, lead, tender.id, opened[n].id, criterion.id, score, f"Agreed {score}")
        lot = tender.lots[0]
        evaluation.recommend(session, lead, tender.id, lot.id, "Best quality at a close price")
        evaluation.approve(session, panelist, tender.id, lot.id)
        world["standstill"] = evaluation.publish_decision(session, lead, tender.id)
    world["opened"] = opened
    return world


def stored_file(owner: Any) -> Any:
    """A stored file's content (a document's, a tender document's), read from the app's store."""
    import io

    from procurement.core.storage import file_store

    with file_store().open(owner.stored_path) as handle:
        return io.BytesIO(handle.read())
