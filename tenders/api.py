"""Joint tenders API: forming drafts from pools (agency), confirming lines (buyers)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement.auth import api_actor, token_required
from procurement.core.db import db
from procurement.demand.board import BoardFilter
from procurement.demand.schemas import BoardArgsSchema
from tenders import pooling
from tenders.schemas import FormTenderSchema, LotLineSchema, TenderSchema

blp = Blueprint("tenders_api", __name__, url_prefix="/api/v1/tenders",
                description="Joint tenders: formed from pools, lines confirmed by their buyers")
blueprints = [blp]


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
