"""Demand API: requirements (your organisation's), uploads, the demand board (agency), your pools."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from catalogue.spreadsheets import csv_text
from procurement.parties.auth import api_actor, token_required
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from demand import board as boards
from demand import services, uploads
from demand.schemas import (
    BoardArgsSchema,
    OwnShareSchema,
    PoolSchema,
    ReasonSchema,
    RequirementCreateSchema,
    RequirementListArgsSchema,
    RequirementSchema,
    RequirementWriteSchema,
    UploadFormSchema,
    UploadSchema,
)

blp = Blueprint("demand_api", __name__, url_prefix="/api/v1",
                description="Requirements, their uploads, the demand board and pools")
blueprints = [blp]


@blp.route("/requirements")
class Requirements(MethodView):
    decorators = [token_required]

    @blp.arguments(RequirementListArgsSchema, location="query")
    @blp.response(200, RequirementSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Your organisation's requirements (the agency: anyone's)"""
        found, total = services.list_requirements(db.session, api_actor(), organisation_id=args["organisation_id"],
                                                  status=args["status"], page=pagination_parameters.page,
                                                  per_page=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return found

    @blp.arguments(RequirementCreateSchema)
    @blp.response(201, RequirementSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Raise a requirement (a draft, or submitted at once with `submit`)"""
        submit = data.pop("submit")
        return services.create_requirement(db.session, api_actor(), services.RequirementInput(**data), submit=submit)


@blp.route("/requirements/<int:requirement_id>")
class RequirementById(MethodView):
    decorators = [token_required]

    @blp.response(200, RequirementSchema)
    def get(self, requirement_id: int) -> Any:
        return services.get_requirement(db.session, api_actor(), requirement_id)

    @blp.arguments(RequirementWriteSchema)
    @blp.response(200, RequirementSchema)
    def put(self, data: dict[str, Any], requirement_id: int) -> Any:
        """Replace a draft or submitted requirement's details"""
        return services.update_requirement(db.session, api_actor(), requirement_id, services.RequirementInput(**data))


def _action(name: str, summary: str, call: Any, with_reason: bool = False) -> None:
    def post(self: Any, *args: Any, **kwargs: Any) -> Any:
        data = args[0] if with_reason else {}
        return call(db.session, api_actor(), kwargs["requirement_id"], *([data.get("reason", "")] if with_reason else []))

    post.__doc__ = summary
    post = blp.response(200, RequirementSchema)(post)
    if with_reason:
        post = blp.arguments(ReasonSchema)(post)
    view = type(f"Requirement{name.title().replace('-', '')}", (MethodView,), {"decorators": [token_required], "post": post})
    blp.route(f"/requirements/<int:requirement_id>/{name}")(view)


_action("submit", "Submit a draft to the demand board", services.submit_requirement)
_action("withdraw", "Withdraw your requirement (until it is committed to a tender)", services.withdraw_requirement, True)
_action("fulfilled", "Mark an awarded requirement as delivered", services.mark_fulfilled)
_action("agency-withdraw", "Agency: withdraw a committed requirement, with a reason", services.agency_withdraw, True)
_action("cancel", "Agency: cancel a requirement, with a reason", services.cancel_requirement, True)


@blp.route("/requirements/uploads")
class Uploads(MethodView):
    decorators = [token_required]

    @blp.arguments(UploadFormSchema, location="form")
    @blp.response(202, UploadSchema, description="Received: status \"checking\" until its job has checked "
                                                  "every row; GET its `url` for the outcome")
    @blp.alt_response(422, description="The file is not CSV or XLSX, is empty, too big or has a bad header")
    def post(self, args: dict[str, Any]) -> Any:
        """Upload a CSV or XLSX of requirements (multipart field `file`): all rows or none.
        The file is checked in the background; the upload's `url` gives the outcome and the
        error report (row, column, message) once its status is done or rejected."""
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("Attach the file as the multipart field 'file'", field_errors={"file": ["Missing"]})
        record = uploads.upload_requirements(db.session, api_actor(), organisation_id=args["organisation_id"],
                                             filename=upload.filename or "", stream=upload.stream,
                                             max_bytes=current_app.config["REQUIREMENT_UPLOAD_MAX_BYTES"],
                                             submit=args["submit"])
        return record, {"Location": url_for("demand_api.UploadById", upload_id=record.id)}


@blp.route("/requirements/uploads/<int:upload_id>")
class UploadById(MethodView):
    decorators = [token_required]

    @blp.response(200, UploadSchema)
    def get(self, upload_id: int) -> Any:
        """An upload's status and live progress, then its outcome and error report"""
        return uploads.get_upload(db.session, api_actor(), upload_id)


@blp.route("/demand/board")
class Board(MethodView):
    decorators = [token_required]

    @blp.arguments(BoardArgsSchema, location="query")
    @blp.response(200, PoolSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Agency: the pools of submitted demand with their estimated saving and threshold.
        Add `Accept: text/csv` for a CSV export."""
        pools = boards.demand_board(db.session, api_actor(), boards.BoardFilter(**args))
        if request.accept_mimetypes.best == "text/csv":
            return Response(csv_text(boards.board_csv_rows(pools)), mimetype="text/csv")
        return pools


@blp.route("/demand/pools")
class OwnPools(MethodView):
    decorators = [token_required]

    @blp.response(200, OwnShareSchema(many=True))
    def get(self) -> Any:
        """Buyers: the pools your organisation is in, with pooled totals and your own part"""
        actor = api_actor()
        own = sorted(getattr(actor, "organisation_ids", ()) or ())
        if not own:
            from procurement.core.errors import PermissionDenied

            raise PermissionDenied("Only buyers have pools")
        return [share for organisation_id in own for share in boards.pools_for_organisation(db.session, actor, organisation_id)]
