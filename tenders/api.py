"""Joint tenders API: forming drafts from pools (agency), confirming lines (buyers)."""
from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from procurement.parties.auth import api_actor, token_required
from procurement.core.http import accepts_up_to
from procurement.core.db import db
from procurement.core.errors import InvalidInput, NotFound
from demand.board import BoardFilter
from demand.schemas import BoardArgsSchema
from procurement.core.schemas import JobSchema as JobOutSchema
from tenders import lifecycle, rules
from tenders.bidding import bids
from tenders.award import evaluation
from tenders.bidding import opening
from tenders.optimisation import optimised_award
from tenders.forming import pooling
from tenders.schemas import AmendmentOutSchema, AmendmentSchema, AnswerSchema, AwardRulesSchema, BoxFactSchema, ClarificationSchema, CriteriaSchema, DetailsSchema, DocumentSchema, FormTenderSchema, LotLineSchema, MyBidSchema, OpenedBidSchema, OpeningResultSchema, OpportunityArgsSchema, OpportunitySchema, OptimisedAwardSchema, OrderSchema, PublishSchema, RankingSchema, QuestionSchema, CancelSchema, ReceiptSchema, ResultSchema, SavingSchema, TenderSchema
from tenders.bidding.content import BidContentOutSchema, BidContentSchema, BidInput, SubmitSchema
from tenders.forming import publication
from tenders.bidding import clarifications

blp = Blueprint("tenders_api", __name__, url_prefix="/api/v1/tenders",
                description="Joint tenders: formed from pools, lines confirmed by their buyers")
suppliers_blp = Blueprint("opportunities_api", __name__, url_prefix="/api/v1/opportunities",
                          description="Suppliers: published tenders, questions, and your own sealed bid")
blueprints = [blp, suppliers_blp]


@blp.route("")
class Tenders(MethodView):
    decorators = [token_required]

    @blp.response(200, TenderSchema(many=True))
    def get(self) -> Any:
        """The agency: every joint tender; a buyer: those their organisation has lines in"""
        actor = api_actor()
        return [pooling.tender_view(db.session, actor, t.id) for t in pooling.list_tenders(db.session, actor)]

    @blp.arguments(FormTenderSchema)
    @blp.response(201, TenderSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Agency: form a draft tender from demand-board pools (the board's filter picks the same lines)"""
        board = BoardFilter(**{k: data[k] for k in BoardArgsSchema().fields})
        tender = pooling.form_tender(db.session, api_actor(), board=board, pool_keys=data["pool_keys"],
                                     title=data["title"], confirm_by=data["confirm_by"], merge=data["merge"],
                                     description=data["description"])
        return pooling.tender_view(db.session, api_actor(), tender.id)


@blp.route("/<int:tender_id>")
class TenderById(MethodView):
    decorators = [token_required]

    @blp.response(200, TenderSchema)
    def get(self, tender_id: int) -> Any:
        return pooling.tender_view(db.session, api_actor(), tender_id)


@blp.route("/<int:tender_id>/close-confirmation")
class CloseConfirmation(MethodView):
    decorators = [token_required]

    @blp.response(200, TenderSchema)
    def post(self, tender_id: int) -> Any:
        """Agency: drop unconfirmed lines (after the date, or once every line is answered)"""
        pooling.close_confirmation(db.session, api_actor(), tender_id)
        return pooling.tender_view(db.session, api_actor(), tender_id)


@blp.route("/lines/pending")
class PendingLines(MethodView):
    decorators = [token_required]

    @blp.response(200, LotLineSchema(many=True))
    def get(self) -> Any:
        """Buyers: your organisation's lines waiting for an answer"""
        return pooling.lines_to_answer(db.session, api_actor())


@blp.route("/lines/<int:line_id>/confirm")
class ConfirmLine(MethodView):
    decorators = [token_required]

    @blp.response(200, LotLineSchema)
    def post(self, line_id: int) -> Any:
        """Buyers: confirm your line; it counts in the lot and the requirement is committed"""
        return pooling.respond(db.session, api_actor(), line_id, confirm=True)


@blp.route("/lines/<int:line_id>/decline")
class DeclineLine(MethodView):
    decorators = [token_required]

    @blp.response(200, LotLineSchema)
    def post(self, line_id: int) -> Any:
        """Buyers: decline your line; the requirement goes back on the demand board"""
        return pooling.respond(db.session, api_actor(), line_id, confirm=False)


def _file() -> Any:
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("Attach the file as the multipart field 'file'", field_errors={"file": ["Missing"]})
    return upload


# Running a tender (agency) ----------------------------------------------------------------

@blp.route("/<int:tender_id>/details")
class Details(MethodView):
    decorators = [token_required]

    @blp.arguments(DetailsSchema)
    @blp.response(200, OpportunitySchema)
    def put(self, data: dict[str, Any], tender_id: int) -> Any:
        """Agency: a draft's title, description, price weight, timeline, and its lots' values and titles"""
        by_lot: dict[str, dict[int, Any]] = {}
        for name in ("lot_values", "lot_titles"):
            try:
                by_lot[name] = {int(k): v for k, v in data.pop(name).items()}
            except ValueError:
                raise InvalidInput("Lot numbers are whole numbers", field_errors={name: ["Use lot numbers as keys"]}) from None
        return publication.set_details(db.session, api_actor(), tender_id, publication.TenderDetails(**data, **by_lot))


@blp.route("/<int:tender_id>/criteria")
class Criteria(MethodView):
    decorators = [token_required]

    @blp.arguments(CriteriaSchema)
    @blp.response(200, OpportunitySchema)
    def put(self, data: dict[str, Any], tender_id: int) -> Any:
        """Agency: a draft's quality criteria (weights with the price weight make 100)"""
        return publication.set_criteria(db.session, api_actor(), tender_id,
                                      [publication.CriterionInput(**c) for c in data["criteria"]])


@blp.route("/<int:tender_id>/documents")
class Documents(MethodView):
    decorators = [token_required]

    @blp.response(201, DocumentSchema)
    def post(self, tender_id: int) -> Any:
        """Agency: add a document to a draft (multipart `file`, form field `title`)"""
        upload = _file()
        return publication.add_document(db.session, api_actor(), tender_id, title=request.form.get("title", ""),
                                      filename=upload.filename or "", stream=upload.stream)


@blp.route("/<int:tender_id>/publish")
class Publish(MethodView):
    decorators = [token_required]

    @blp.arguments(PublishSchema)
    @blp.response(200, OpportunitySchema)
    def post(self, data: dict[str, Any], tender_id: int) -> Any:
        """Agency: publish (the minimum tendering period, and any ground for a shorter one, is checked;
        everything is frozen)"""
        return publication.publish(db.session, api_actor(), tender_id, short_period=rules.ShortPeriod(**data),
                                 master_secret=current_app.config["BID_SEALING_KEY"])


@blp.route("/<int:tender_id>/amendments")
class Amendments(MethodView):
    decorators = [token_required]

    @blp.arguments(AmendmentSchema)
    @blp.response(201, AmendmentOutSchema)
    def post(self, data: dict[str, Any], tender_id: int) -> Any:
        """Agency: publish an amendment (bids in the box must be re-confirmed)"""
        return publication.amend(db.session, api_actor(), tender_id, summary=data["summary"], new_deadline=data["new_deadline"])


@blp.route("/<int:tender_id>/cancel")
class Cancel(MethodView):
    decorators = [token_required]

    @blp.arguments(CancelSchema)
    @blp.response(200, OpportunitySchema)
    def post(self, data: dict[str, Any], tender_id: int) -> Any:
        """Agency: cancel, with a reason"""
        return publication.cancel(db.session, api_actor(), tender_id, data["reason"])


@blp.route("/<int:tender_id>/clarifications")
class Clarifications(MethodView):
    decorators = [token_required]

    @blp.response(200, ClarificationSchema(many=True))
    def get(self, tender_id: int) -> Any:
        return clarifications.clarifications(db.session, api_actor(), tender_id)


@blp.route("/clarifications/<int:clarification_id>/answer")
class Answer(MethodView):
    decorators = [token_required]

    @blp.arguments(AnswerSchema)
    @blp.response(200, ClarificationSchema)
    def post(self, data: dict[str, Any], clarification_id: int) -> Any:
        """Agency: answer a question; published to every supplier without who asked"""
        return clarifications.answer(db.session, api_actor(), clarification_id, data["answer"])


@blp.route("/<int:tender_id>/box")
class Box(MethodView):
    decorators = [token_required]

    @blp.response(200, BoxFactSchema(many=True))
    def get(self, tender_id: int) -> Any:
        """Agency: what may be known of the box before opening (never contents)"""
        return bids.box_facts(db.session, api_actor(), tender_id)


@blp.route("/<int:tender_id>/opening/request")
class OpeningRequest(MethodView):
    decorators = [token_required]

    @blp.response(200, OpportunitySchema)
    def post(self, tender_id: int) -> Any:
        """Agency: ask to open the box (after the deadline); a second agency user confirms"""
        return opening.request_opening(db.session, api_actor(), tender_id)


@blp.route("/<int:tender_id>/opening/confirm")
class OpeningConfirm(MethodView):
    decorators = [token_required]

    @blp.response(200, OpeningResultSchema)
    def post(self, tender_id: int) -> Any:
        """Agency (a second, different user): open the box into evaluation rows"""
        return opening.confirm_opening(db.session, api_actor(), tender_id)


@blp.route("/<int:tender_id>/opened-bids")
class OpenedBids(MethodView):
    decorators = [token_required]

    @blp.response(200, OpenedBidSchema(many=True))
    def get(self, tender_id: int) -> Any:
        return opening.opened_bids(db.session, api_actor(), tender_id)


# Suppliers --------------------------------------------------------------------------------

@suppliers_blp.route("")
class Opportunities(MethodView):
    decorators = [token_required]

    @suppliers_blp.arguments(OpportunityArgsSchema, location="query")
    @suppliers_blp.response(200, OpportunitySchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Published tenders open for bids, optionally under a CPV code"""
        return clarifications.opportunities(db.session, api_actor(), (args["cpv"] or "").split("-")[0] or None)


@suppliers_blp.route("/<int:tender_id>")
class Opportunity(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, OpportunitySchema)
    def get(self, tender_id: int) -> Any:
        return lifecycle.get_tender(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/questions")
class Questions(MethodView):
    decorators = [token_required]

    @suppliers_blp.arguments(QuestionSchema)
    @suppliers_blp.response(201, ClarificationSchema)
    def post(self, data: dict[str, Any], tender_id: int) -> Any:
        """Ask a clarification question (until the clarification deadline)"""
        return clarifications.ask(db.session, api_actor(), tender_id, data["question"])

    @suppliers_blp.response(200, ClarificationSchema(many=True))
    def get(self, tender_id: int) -> Any:
        """Published answers (and your own questions)"""
        return clarifications.clarifications(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/bid")
class MyBid(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, MyBidSchema)
    def get(self, tender_id: int) -> Any:
        """Your bid's status and receipts (read a version's contents at bid/versions/<version>)"""
        return bids.my_bid(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/bid/draft")
class Draft(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, BidContentOutSchema)
    def get(self, tender_id: int) -> Any:
        """Your saved draft (until you submit it)"""
        draft = bids.read_draft(db.session, api_actor(), tender_id)
        return bids.as_raw(draft) if draft else {"lots": [], "bundles": [], "quality": []}

    @accepts_up_to("BID_BODY_MAX_BYTES")
    @suppliers_blp.arguments(BidContentSchema)
    @suppliers_blp.response(200, MyBidSchema)
    def put(self, data: BidInput, tender_id: int) -> Any:
        """Save a draft (checked as far as it goes)"""
        bids.save_draft(db.session, api_actor(), tender_id, data)
        return bids.my_bid(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/bid/versions/<int:version>")
class SubmittedVersion(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, BidContentOutSchema)
    def get(self, tender_id: int, version: int) -> Any:
        """A version you submitted, as you gave it (yours alone: nobody else reads it before the box is opened)"""
        return bids.as_raw(bids.read_version(db.session, api_actor(), tender_id, version))


@suppliers_blp.route("/<int:tender_id>/bid/schedule")
class Schedule(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, MyBidSchema)
    def post(self, tender_id: int) -> Any:
        """Upload the price schedule CSV (multipart `file`) into your draft"""
        schedule = bids.schedule_from_csv(_file().read(bids.MAX_SCHEDULE_BYTES + 1))
        draft = bids.read_draft(db.session, api_actor(), tender_id)
        bids.save_draft(db.session, api_actor(), tender_id,
                           bids.merge_schedule(draft, schedule))
        return bids.my_bid(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/bid/submit")
class Submit(MethodView):
    decorators = [token_required]

    @accepts_up_to("BID_BODY_MAX_BYTES")
    @suppliers_blp.arguments(SubmitSchema)
    @suppliers_blp.response(201, ReceiptSchema)
    @suppliers_blp.alt_response(409, description="The deadline has passed: nothing was stored")
    def post(self, data: BidInput, tender_id: int) -> Any:
        """Submit (or replace) your bid: the given JSON, or with no body your saved draft"""
        given = data if request.get_data() and (data.lots or data.bundles or data.quality) else None
        return bids.submit(db.session, api_actor(), tender_id, given)


@suppliers_blp.route("/<int:tender_id>/bid/withdraw")
class Withdraw(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, MyBidSchema)
    def post(self, tender_id: int) -> Any:
        bids.withdraw(db.session, api_actor(), tender_id)
        return bids.my_bid(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/bid/reconfirm")
class Reconfirm(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, MyBidSchema)
    def post(self, tender_id: int) -> Any:
        """After an amendment: confirm your bid stands as submitted"""
        bids.reconfirm(db.session, api_actor(), tender_id)
        return bids.my_bid(db.session, api_actor(), tender_id)


# Results ---------------------------------------------------------------------------------

@blp.route("/<int:tender_id>/rankings")
class Rankings(MethodView):
    decorators = [token_required]

    @blp.response(200, RankingSchema(many=True))
    def get(self, tender_id: int) -> Any:
        """Agency: each lot's ranking (price and quality scores, eligibility)"""
        return evaluation.rankings(db.session, api_actor(), tender_id)


@blp.route("/<int:tender_id>/savings")
class Savings(MethodView):
    decorators = [token_required]

    @blp.response(200, SavingSchema(many=True))
    def get(self, tender_id: int) -> Any:
        """Savings per organisation and lot (a buyer: its own organisations')"""
        return evaluation.savings(db.session, api_actor(), tender_id)


@suppliers_blp.route("/<int:tender_id>/results")
class Results(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, ResultSchema(many=True))
    def get(self, tender_id: int) -> Any:
        """Your assessment summary, from the award decision's publication"""
        return evaluation.assessment_summary(db.session, api_actor(), tender_id)


orders_blp = Blueprint("orders_api", __name__, url_prefix="/api/v1/orders",
                       description="Buyers: your organisations' call-off orders and savings")
blueprints.append(orders_blp)


@orders_blp.route("")
class Orders(MethodView):
    decorators = [token_required]

    @orders_blp.response(200, OrderSchema(many=True))
    def get(self) -> Any:
        return evaluation.organisation_orders(db.session, api_actor())


@blp.route("/<int:tender_id>/award-rules")
class AwardRules(MethodView):
    decorators = [token_required]

    @blp.arguments(AwardRulesSchema)
    @blp.response(200, AwardRulesSchema)
    def put(self, data: dict[str, Any], tender_id: int) -> Any:
        """Agency: a draft's award rules (optimised across lots, split awards, resilience); frozen at publication"""
        tender = optimised_award.set_award_rules(db.session, api_actor(), tender_id, optimised_award.AwardRules(**data))
        return optimised_award.describe_rules(tender)


@blp.route("/<int:tender_id>/optimised-award")
class OptimisedAward(MethodView):
    decorators = [token_required]

    @blp.response(200, OptimisedAwardSchema)
    def get(self, tender_id: int) -> Any:
        """Agency: the newest optimised award worked out for the tender"""
        found = optimised_award.latest(db.session, api_actor(), tender_id)
        if found is None:
            raise NotFound("No optimised award has been worked out yet")
        return found

    @blp.response(202, JobOutSchema)
    def post(self, tender_id: int) -> Any:
        """Agency: work out the optimised award, in a background job (see /api/v1/jobs/{id})"""
        return optimised_award.request_optimisation(db.session, api_actor(), tender_id)


@blp.route("/<int:tender_id>/optimised-award/<int:award_id>/adopt")
class AdoptOptimisedAward(MethodView):
    decorators = [token_required]

    @blp.response(200, OptimisedAwardSchema)
    def post(self, tender_id: int, award_id: int) -> Any:
        """Lead evaluator: adopt the optimised award as the recommendation for every lot (a second agency user approves)"""
        return optimised_award.adopt(db.session, api_actor(), tender_id, award_id)
