"""The optimised joint award in the app: the tender's award rules (set on the draft, frozen
at publication), a job that turns the opened bids into an award_model.Problem, solves it
(lowest cost, and the best total score as a second scenario), shares the saving out and
keeps the result; adoption as the recommendation, which then needs the usual approval; and
contracts and orders from an adopted allocation.

Units: a lot of one item is awarded in that item's units; a lot of several items in whole
percent of the lot (each supplier supplies that share of every item, at its unit prices for
the whole lot's quantities: bands of single items apply only to single-item lots)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import Conflict, InvalidInput, NotFound
from procurement.core.jobrecords import Job, Kind, Progress, request_job
from procurement.core.jobs import JobOptions
from procurement.core.access import Actor, actor_id
from demand import rules as demand_rules
from demand.board import linked_offer_prices
from procurement.parties.models import Organisation
from suppliers.models import Supplier
from tenders.optimisation import award_model as am
from tenders import messages, permissions
from tenders.award import exclusions, record
from tenders.award import evaluation
from tenders.optimisation import optimiser
from tenders.award import ranking
from tenders.optimisation import saving_shares
from tenders.models import (AwardDecision, BidBundle, BidLine, LineStatus, Lot, OpenedBid, OptimisedAward, Tender,
                            TenderStatus)
from tenders.forming import publication

OPTIMISE_JOB = JobOptions(timeout=1800, retries=1, retry_intervals=(30,), failure_ttl=7 * 24 * 3600)
PERCENT = Decimal(100)


# The rules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AwardRules:
    optimised: bool = False
    max_suppliers_per_lot: int = 1
    min_share_percent: Decimal = Decimal(0)
    max_lots_per_supplier: int | None = None
    min_suppliers: int = 1
    every_lot: bool = True


def set_award_rules(session: Session, actor: Actor, tender_id: int, data: AwardRules) -> Tender:
    """Set on the draft; published with the tender and frozen with it."""
    tender = publication.agency_draft(session, actor, tender_id)
    errors: dict[str, list[str]] = {}
    lots = len(tender.lots) or 1
    if not 1 <= data.max_suppliers_per_lot <= 10:
        errors["max_suppliers_per_lot"] = ["Allow from 1 to 10 suppliers per lot"]
    share = data.min_share_percent
    if not share.is_finite() or not 0 <= share < 100 or share != share.quantize(Decimal("0.01")):
        errors["min_share_percent"] = ["The least share must be a percentage from 0 to under 100, to 2 places"]
    elif data.max_suppliers_per_lot * data.min_share_percent > 100:
        errors["min_share_percent"] = [f"{data.max_suppliers_per_lot} suppliers with at least {data.min_share_percent}% "
                                       "each would need more than the whole lot"]
    if data.max_lots_per_supplier is not None and not 1 <= data.max_lots_per_supplier <= lots:
        errors["max_lots_per_supplier"] = [f"Allow from 1 to {lots} lots per supplier, or leave it empty"]
    if not 1 <= data.min_suppliers <= lots * data.max_suppliers_per_lot:
        errors["min_suppliers"] = [f"Require from 1 to {lots * data.max_suppliers_per_lot} suppliers overall"]
    if errors:
        raise InvalidInput("The award rules are not valid", field_errors=errors)
    tender.award_optimised = data.optimised
    tender.award_max_suppliers_per_lot, tender.award_min_share_percent = data.max_suppliers_per_lot, data.min_share_percent
    tender.award_max_lots_per_supplier, tender.award_min_suppliers = data.max_lots_per_supplier, data.min_suppliers
    tender.award_every_lot = data.every_lot
    session.flush()
    record_event(session, actor, "tender.award_rules_set", subject=tender, details=describe_rules(tender))
    return tender


def rules_of(tender: Tender) -> am.Rules:
    return am.Rules(tender.award_max_suppliers_per_lot, tender.award_min_share_percent, tender.award_max_lots_per_supplier,
                    tender.award_min_suppliers, tender.award_every_lot)


def describe_rules(tender: Tender) -> dict[str, Any]:
    return {"optimised": tender.award_optimised, "max_suppliers_per_lot": tender.award_max_suppliers_per_lot,
            "min_share_percent": str(tender.award_min_share_percent),
            "max_lots_per_supplier": tender.award_max_lots_per_supplier, "min_suppliers": tender.award_min_suppliers,
            "every_lot": tender.award_every_lot}


# From the opened bids to plain values -------------------------------------------------------

@dataclass
class Setting:
    """Everything the optimisation needs, loaded once: plain values."""
    tender: Tender
    lots: list[Lot]
    items: dict[int, list[tuple[int, Decimal]]]           # lot id -> [(item id, pooled quantity)]
    lines: dict[int, dict[int, tuple[Decimal, Any, Decimal | None]]]  # bid -> item -> (unit price, tiers, capacity)
    eligible: dict[int, list[int]]                        # lot id -> opened bids that may win it
    quality: dict[int, Decimal]                           # bid -> evaluated quality score
    bundles: list[tuple[int, list[int], Decimal]]         # (bid, lot ids, discount %)
    names: dict[int, str]                                 # bid -> supplier name
    supplier_of: dict[int, int]                           # bid -> supplier id
    organisation_lines: dict[int, dict[int, Decimal]]     # organisation -> item -> quantity
    baseline: dict[int, Decimal]                          # organisation -> baseline spend
    alone: dict[int, Decimal]                             # organisation -> cost at catalogue prices alone
    organisation_names: dict[int, str]


def load_setting(session: Session, tender: Tender) -> Setting:
    lots = list(tender.lots)
    items = {lot.id: [(i.id, i.quantity) for i in lot.items] for lot in lots}
    eligible, quality = {}, {}
    for lot in lots:
        ranked = ranking.rank_lot(session, tender, lot)
        eligible[lot.id] = [e.bid for e in ranked.entries if e.eligible]
        for e in ranked.entries:
            quality[e.bid] = e.quality_score
    bids = sorted({b for found in eligible.values() for b in found})
    lines: dict[int, dict[int, Any]] = defaultdict(dict)
    for bid, item, unit_price, tiers, capacity in session.execute(
            select(BidLine.opened_bid_id, BidLine.lot_item_id, BidLine.unit_price, BidLine.tiers, BidLine.capacity)
            .where(BidLine.opened_bid_id.in_(bids))):
        lines[bid][item] = (unit_price, tiers or [], capacity)
    numbers = {lot.number: lot.id for lot in lots}
    bundles = [(b.opened_bid_id, [numbers[n] for n in b.lot_numbers if n in numbers], b.discount_percent)
               for b in session.scalars(select(BidBundle).where(BidBundle.opened_bid_id.in_(bids)))]
    suppliers = dict(session.execute(select(OpenedBid.id, OpenedBid.supplier_id).where(OpenedBid.id.in_(bids))).all())
    names_by_supplier = dict(session.execute(select(Supplier.id, Supplier.legal_name)
                                             .where(Supplier.id.in_(list(suppliers.values())))).all())
    organisation_lines: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    baseline: dict[int, Decimal] = defaultdict(Decimal)
    for lot in lots:
        for line in lot.lines:
            if line.status is LineStatus.confirmed and line.lot_item_id is not None:
                organisation_lines[line.organisation_id][line.lot_item_id] += line.quantity
                baseline[line.organisation_id] += line.quantity * line.baseline_unit_price
    alone = _alone(session, lots, organisation_lines)
    organisation_names = dict(session.execute(select(Organisation.id, Organisation.name)
                                              .where(Organisation.id.in_(list(organisation_lines)))).all())
    return Setting(tender, lots, items, dict(lines), eligible, quality, bundles,
                   {b: names_by_supplier.get(s, "?") for b, s in suppliers.items()}, suppliers,
                   {o: dict(q) for o, q in organisation_lines.items()}, dict(baseline), alone, organisation_names)


def _alone(session: Session, lots: list[Lot], organisation_lines: dict[int, dict[int, Decimal]]) -> dict[int, Decimal]:
    """Each organisation buying alone: its own quantity at the best catalogue price break it
    reaches alone among the item's published offers; without a catalogue price, what it pays today."""
    catalogue = {i.id: i.catalogue_item_id for lot in lots for i in lot.items}
    today_price = {}
    for lot in lots:
        for line in lot.lines:
            if line.status is LineStatus.confirmed:
                today_price[(line.organisation_id, line.lot_item_id)] = line.baseline_unit_price
    offers = linked_offer_prices(session, sorted({c for c in catalogue.values() if c}))
    on = today()
    out = {}
    for organisation, quantities in organisation_lines.items():
        total = Decimal(0)
        for item, quantity in quantities.items():
            joint = demand_rules.joint_unit_price(offers.get(catalogue.get(item) or 0, []), quantity, on)
            unit = joint.unit_price if joint else today_price.get((organisation, item), Decimal(0))
            total += unit * quantity
        out[organisation] = am.pennies(total)
    return out


def problem_for(setting: Setting, organisations: frozenset | None = None) -> am.Problem:
    """The award problem for all the organisations, or for a group of them (their own quantities)."""
    chosen = setting.organisation_lines if organisations is None else {
        o: q for o, q in setting.organisation_lines.items() if o in organisations}
    quantity: dict[int, Decimal] = defaultdict(Decimal)
    for lines in chosen.values():
        for item, q in lines.items():
            quantity[item] += q
    lots, offers = [], []
    for lot in setting.lots:
        items = [(item, quantity[item]) for item, _ in setting.items[lot.id] if quantity[item] > 0]
        if not items:
            continue
        single = len(setting.items[lot.id]) == 1
        lot_quantity = items[0][1] if single else PERCENT
        lots.append(am.Lot(lot.id, lot_quantity, True, f"Lot {lot.number} {lot.title}"))
        for bid in setting.eligible[lot.id]:
            priced = setting.lines.get(bid, {})
            if any(item not in priced for item, _ in items):
                continue
            if single:
                unit_price, tiers, capacity = priced[items[0][0]]
                bands = tuple(am.Band(Decimal(str(low)), None if high is None else Decimal(str(high)), Decimal(str(p)))
                              for low, high, p in tiers)
                offers.append(am.Offer(bid, lot.id, unit_price, bands, capacity, setting.quality.get(bid, Decimal(0))))
            else:
                from tenders.award.scoring import unit_price_at

                per_percent = sum((unit_price_at(priced[i][0], priced[i][1], q) * q for i, q in items), Decimal(0)) / PERCENT
                caps = [priced[i][2] * PERCENT / q for i, q in items if priced[i][2] is not None]
                capacity = min(caps).to_integral_value(rounding=ROUND_FLOOR) if caps else None
                offers.append(am.Offer(bid, lot.id, per_percent, (), capacity, setting.quality.get(bid, Decimal(0))))
    present = {l.key for l in lots}
    bundles = tuple(am.Bundle(bid, frozenset(lot_ids), discount) for bid, lot_ids, discount in setting.bundles
                    if len(lot_ids) >= 2 and set(lot_ids) <= present)
    return am.Problem(tuple(lots), tuple(offers), bundles, rules_of(setting.tender), setting.tender.price_weight,
                      supplier_names=setting.names)


# The job --------------------------------------------------------------------------------

def request_optimisation(session: Session, actor: Actor, tender_id: int) -> Job:
    tender = evaluation.agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    permissions.can_optimise(actor, tender).enforce()
    exclusions.require_none_outstanding(session, tender)
    job = request_job(session, actor, "optimise_award", "tender", tender.id)
    record_event(session, actor, "award.optimisation_requested", subject=tender, details={"job_id": job.id})
    return job


def optimise_award_job(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    from flask import current_app

    tender = session.get(Tender, job.subject_id)
    assert tender is not None
    limit = float(current_app.config.get("OPTIMISER_SECONDS", 60))
    award = optimise(session, tender, limit, progress)
    award.job_id = job.id
    session.flush()
    return {"optimised_award": award.id, "status": award.status, "total": str(award.total or "")}


def optimise(session: Session, tender: Tender, time_limit: float = 60.0,
             progress: Callable[[int, str], None] = lambda p, n: None) -> OptimisedAward:
    """Work out the optimised award and keep it (each run adds one; the newest is shown)."""
    progress(2, "reading the opened bids")
    setting = load_setting(session, tender)
    problem = problem_for(setting)

    def solving(seconds: float, best: float | None, bound: float | None) -> None:
        gap = f", gap {abs(best - bound) / max(abs(best), 1e-9):.2%}" if best is not None and bound is not None else ""
        progress(5 + int(40 * min(1.0, seconds / time_limit)), f"lowest cost: {seconds:.0f} s{gap}")

    cost = optimiser.solve(problem, optimiser.COST, time_limit=time_limit, progress=solving)
    progress(45, "best total score")
    score = optimiser.solve(problem, optimiser.SCORE, time_limit=max(5.0, time_limit / 4))
    result: dict[str, Any] = {"rules": describe_rules(tender), "cost": _solution_json(setting, problem, cost),
                              "score": _solution_json(setting, problem, score)}
    if cost.total is not None:
        progress(55, "sharing out the saving")
        result["organisations"], result["shares"] = _shares(setting, problem, cost, time_limit, progress)
        alone = sum(setting.alone.values(), Decimal(0))
        result["cost"]["comparisons"].append({"name": "each organisation buying alone at catalogue prices",
                                              "total": str(alone), "saving": str(am.pennies(alone - cost.total)), "broken_rules": [],
                                              "note": f"{len(setting.alone)} organisations"})
    lot_by_lot = next((c.total for c in cost.comparisons if c.name.startswith("lot-by-lot")), None)
    award = OptimisedAward(tender_id=tender.id, status=cost.status, total=cost.total and am.pennies(cost.total),
                           lot_by_lot_total=lot_by_lot and am.pennies(lot_by_lot), result=result)
    session.add(award)
    session.flush()
    progress(100, "done")
    return award


def _solution_json(setting: Setting, problem: am.Problem, solution: optimiser.Solution) -> dict[str, Any]:
    lots = {lot.id: lot for lot in setting.lots}
    units = {l.key: (lots[l.key].unit if len(setting.items[l.key]) == 1 else "% of the lot") for l in problem.lots}
    priced = am.price(problem, solution.allocation) if solution.allocation else None
    rows = []
    for (lot_id, bid), quantity in sorted(solution.allocation.items(), key=lambda kv: (lots[kv[0][0]].number, -kv[1])):
        offer = problem.offer(lot_id, bid)
        assert offer is not None and priced is not None
        rows.append({"lot_id": lot_id, "lot": lots[lot_id].number, "lot_title": lots[lot_id].title, "opened_bid_id": bid,
                     "supplier": setting.names.get(bid, "?"), "quantity": str(quantity), "unit": units[lot_id],
                     "share_percent": str((quantity * 100 / problem.lot(lot_id).quantity).quantize(Decimal("0.1"))),
                     "unit_price": str(offer.price_at(quantity)), "cost": str(am.pennies(priced.lines[(lot_id, bid)]))})
    discounts = [{"supplier": setting.names.get(b.supplier, "?"), "opened_bid_id": b.supplier,
                  "lots": sorted(lots[l].number for l in b.lots), "percent": str(b.discount_percent),
                  "amount": str(am.pennies(amount))} for b, amount in solution.discounts.items()]

    return {"status": solution.status, "objective": solution.objective, "allocation": rows, "discounts": discounts,
            "total": str(am.pennies(solution.total)) if solution.total is not None else None,
            "score": str(solution.score.quantize(Decimal("0.01"))) if solution.score is not None else None,
            "gap": solution.gap, "seconds": round(solution.seconds, 2), "binding": solution.binding,
            "reasons": solution.reasons,
            "unawarded": [lots[l].number for l in solution.unawarded],
            "comparisons": [{"name": c.name, "total": str(am.pennies(c.total)) if c.total is not None else None,
                             "saving": str(am.pennies(c.saving)) if c.saving is not None else None,
                             "broken_rules": c.broken_rules,
                             "note": c.note}
                            for c in solution.comparisons]}


def _shares(setting: Setting, problem: am.Problem, cost: optimiser.Solution, time_limit: float,
            progress: Callable[[int, str], None]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What each organisation pays under the award, and its share of the pooled saving two ways."""
    assert cost.total is not None
    pays = organisation_costs(setting, problem, cost.allocation)
    alone = setting.alone
    pooled = sum(alone.values(), Decimal(0)) - am.pennies(cost.total)
    proportional = saving_shares.proportional(pooled, setting.baseline)
    cache: dict[frozenset, Decimal] = {}

    def worth(group: frozenset) -> Decimal:
        """What a group saves by buying together: its members alone, less its own optimised award."""
        if group not in cache:
            found = optimiser.solve(problem_for(setting, group), optimiser.COST, time_limit=min(5.0, time_limit), gap=1e-6)
            cache[group] = (sum((alone[o] for o in group), Decimal(0)) - found.total) if found.total is not None else Decimal(0)
        return cache[group]

    def counted(done: int, total: int) -> None:
        if done % 16 == 0 or done == total:
            progress(55 + int(40 * done / max(1, total)), f"Shapley value: {done} of {total} groups priced")

    players = sorted(setting.organisation_lines)
    shapley = saving_shares.shapley(players, lambda g: worth(g) if len(g) < len(players) else pooled, progress=counted)
    rows = [{"id": o, "name": setting.organisation_names.get(o, "?"), "baseline": str(am.pennies(setting.baseline.get(o, Decimal(0)))),
             "alone": str(alone.get(o, Decimal(0))), "pays": str(pays.get(o, Decimal(0))),
             "proportional": str(proportional.shares.get(o, Decimal(0))), "shapley": str(shapley.shares.get(o, Decimal(0)))}
            for o in sorted(players, key=lambda o: setting.organisation_names.get(o, ""))]
    return rows, {"pooled_saving": str(pooled), "default": proportional.method, "alternative": shapley.method,
                  "error": str(shapley.error), "groups_priced": shapley.groups_priced}


def organisation_costs(setting: Setting, problem: am.Problem, allocation: am.Allocation) -> dict[int, Decimal]:
    """Each organisation's part of each lot's cost after discounts, by its share of the lot
    (its quantity of each item at the lowest unit price bid for that item, as the common measure)."""
    priced = am.price(problem, allocation)
    lot_cost: dict[int, Decimal] = defaultdict(Decimal)
    for (lot_id, bid), amount in priced.lines.items():
        lot_cost[lot_id] += amount
    for bundle, discount in priced.discounts.items():
        lines = {l: priced.lines[(l, bundle.supplier)] for l in bundle.lots}
        whole = sum(lines.values(), Decimal(0))
        for lot_id, amount in lines.items():
            lot_cost[lot_id] -= discount * amount / whole if whole else Decimal(0)
    out: dict[int, Decimal] = defaultdict(Decimal)
    for lot in setting.lots:
        if lot.id not in lot_cost:
            continue
        reference = {item: min((setting.lines[b][item][0] for b in setting.eligible[lot.id] if item in setting.lines.get(b, {})),
                               default=Decimal(1)) for item, _ in setting.items[lot.id]}
        weights = {o: sum((q * reference[i] for i, q in lines.items() if i in reference), Decimal(0))
                   for o, lines in setting.organisation_lines.items()}
        for organisation, share in am.share_out(am.pennies(lot_cost[lot.id]), {o: w for o, w in weights.items() if w}).items():
            out[organisation] += share
    return dict(out)


# Adoption, and contracts from an adopted award -----------------------------------------------

def latest(session: Session, actor: Actor, tender_id: int) -> OptimisedAward | None:
    return _newest(session, evaluation.agency_tender(session, actor, tender_id))


def _newest(session: Session, tender: Tender) -> OptimisedAward | None:
    return session.scalars(select(OptimisedAward).where(OptimisedAward.tender_id == tender.id)
                           .order_by(OptimisedAward.id.desc())).first()


def adopt(session: Session, actor: Actor, tender_id: int, award_id: int) -> OptimisedAward:
    """The lead evaluator adopts the optimised award as the recommendation for every lot it
    awards; a second agency user then approves each lot as usual."""
    tender = evaluation.agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    mine = evaluation.declared_evaluator(session, actor, tender)
    award = session.get(OptimisedAward, award_id)
    if award is None or award.tender_id != tender.id:
        raise NotFound("No such optimised award")
    permissions.can_adopt_optimised(actor, tender, mine, award).enforce()
    if session.scalar(select(AwardDecision.id).where(AwardDecision.lot_id.in_([l.id for l in tender.lots]),
                                                     AwardDecision.approved_at.is_not(None))):
        raise Conflict("A lot's award is already approved; the optimised award can no longer be adopted")
    exclusions.require_none_outstanding(session, tender)
    barred = exclusions.cannot_win(session, tender)
    allocated = {r["opened_bid_id"] for r in award.result["cost"]["allocation"]}
    if session.scalar(select(OpenedBid.id).where(OpenedBid.id.in_(allocated), OpenedBid.supplier_id.in_(list(barred)))):
        raise Conflict("A bid in this optimised award can no longer win (an exclusion since it was worked out): "
                       "optimise the award again")
    for other in session.scalars(select(OptimisedAward).where(OptimisedAward.tender_id == tender.id)):
        other.adopted_at, other.adopted_by_id = None, None
    rows = award.result["cost"]["allocation"]
    for lot in tender.lots:
        mine = [r for r in rows if r["lot_id"] == lot.id]
        decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
        if not mine:
            if decision is not None:
                session.delete(decision)
            continue
        lead = max(mine, key=lambda r: Decimal(r["quantity"]))
        # Sent to every bidder: the awarded total, never what the lots would cost at their
        # lowest prices (with its own price known, a bidder would work out a competitor's).
        advantages = ("Part of the optimised joint award across lots under the published award rules: the award that "
                      f"costs least overall, £{award.total:,.2f} ex VAT.")
        if decision is None:
            decision = AwardDecision(lot_id=lot.id, opened_bid_id=lead["opened_bid_id"], advantages=advantages)
            session.add(decision)
        decision.opened_bid_id, decision.advantages = lead["opened_bid_id"], advantages
        decision.recommended_by_id, decision.recommended_at = actor_id(actor), now()
    award.adopted_at, award.adopted_by_id = now(), actor_id(actor)
    session.flush()
    waiting = []
    for lot in tender.lots:
        decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
        if decision is not None:
            record.record_award(session, tender, lot, decision, award, ranking.rank_lot(session, tender, lot).entries)
            waiting.append(decision)
    record_event(session, actor, "award.optimised_adopted", subject=tender,
                 details={"optimised_award": award.id, "total": str(award.total)})
    messages.tell_approval_waiting(session, tender, [d for d in waiting if d.approved_at is None])
    return award


def view(session: Session, actor: Actor, tender_id: int) -> tuple[Tender, OptimisedAward | None, Job | None]:
    """The agency's page: the tender, its newest optimised award and the job working on one."""
    tender = evaluation.agency_tender(session, actor, tender_id)
    job = session.scalars(select(Job).where(Job.kind == "optimise_award", Job.subject_type == "tender",
                                            Job.subject_id == tender.id).order_by(Job.id.desc())).first()
    return tender, _newest(session, tender), job


JOB_KINDS = [Kind("optimise_award", "Optimised award", optimise_award_job, OPTIMISE_JOB)]
