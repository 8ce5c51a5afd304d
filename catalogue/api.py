"""Catalogue API: offers (a supplier's own), items, search, matching and imports."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from catalogue import services
from catalogue.matching import Line, match_lines
from catalogue.models import OfferStatus
from catalogue.schemas import (
    CatalogueItemCreateSchema,
    CatalogueItemSchema,
    CompareArgsSchema,
    ComparisonSchema,
    ImportSchema,
    ImportUploadSchema,
    LinkSchema,
    MatchRequestSchema,
    MatchResultSchema,
    OfferSchema,
    OfferWriteSchema,
    SearchArgsSchema,
    SearchPageSchema,
)
from catalogue.search import SearchQuery, search_offers
from procurement.parties.auth import api_actor, token_required
from procurement.core.http import accepts_up_to
from procurement.core.clock import now, to_london
from procurement.core.db import db
from procurement.core.errors import InvalidInput

blp = Blueprint("catalogue_api", __name__, url_prefix="/api/v1/catalogue",
                description="The shared catalogue: offers, items, search, matching and imports")
blueprints = [blp]


@blp.route("/offers")
class Offers(MethodView):
    decorators = [token_required]

    @blp.response(200, OfferSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> Any:
        """Your company's offers"""
        offers, total = services.list_own_offers(db.session, api_actor(), services.own_supplier_id(api_actor()),
                                                 pagination_parameters.page, pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return offers

    @blp.arguments(OfferWriteSchema)
    @blp.response(201, OfferSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add an offer"""
        return services.create_offer(db.session, api_actor(), services.own_supplier_id(api_actor()), services.OfferInput(**data))


@blp.route("/offers/<int:offer_id>")
class OfferById(MethodView):
    decorators = [token_required]

    @blp.response(200, OfferSchema)
    def get(self, offer_id: int) -> Any:
        return services.get_offer(db.session, api_actor(), offer_id)

    @blp.arguments(OfferWriteSchema)
    @blp.response(200, OfferSchema)
    def put(self, data: dict[str, Any], offer_id: int) -> Any:
        """Replace an offer's details (price changes are kept in its history)"""
        return services.update_offer(db.session, api_actor(), offer_id, services.OfferInput(**data))

    @blp.response(200, OfferSchema)
    def delete(self, offer_id: int) -> Any:
        """Withdraw an offer"""
        return services.withdraw_offer(db.session, api_actor(), offer_id)


@blp.route("/search")
class Search(MethodView):
    decorators = [token_required]

    @blp.arguments(SearchArgsSchema, location="query")
    @blp.response(200, SearchPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Full-text search with CPV (and everything under it), supplier, price and status filters"""
        query = SearchQuery(
            text=args["q"], cpv=(args["cpv"] or "").split("-")[0] or None, supplier_id=args["supplier_id"],
            min_price=args["min_price"], max_price=args["max_price"],
            status=OfferStatus(args["status"]) if args["status"] else None, sort=args["sort"],
            page=args["page"], per_page=args["per_page"])
        return search_offers(db.session, api_actor(), query)


@blp.route("/match")
class Match(MethodView):
    decorators = [token_required]

    @blp.arguments(MatchRequestSchema)
    @blp.response(200, MatchResultSchema(many=True))
    def post(self, data: dict[str, Any]) -> Any:
        """Find the offers and items that lines (from a requirement or bid) mean"""
        lines = [Line(**line) for line in data["lines"]]
        return match_lines(db.session, api_actor(), lines, supplier_id=data["supplier_id"])


@blp.route("/items")
class Items(MethodView):
    decorators = [token_required]

    @blp.response(200, CatalogueItemSchema(many=True))
    def get(self) -> Any:
        return services.list_items(db.session, api_actor())

    @blp.arguments(CatalogueItemCreateSchema)
    @blp.response(201, CatalogueItemSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a catalogue item (e-agency)"""
        return services.create_item(db.session, api_actor(), **data)


@blp.route("/items/<int:item_id>")
class ItemById(MethodView):
    decorators = [token_required]

    @blp.response(200, CatalogueItemSchema)
    def get(self, item_id: int) -> Any:
        return services.get_item(db.session, api_actor(), item_id)


@blp.route("/items/<int:item_id>/offers")
class ItemOffers(MethodView):
    decorators = [token_required]

    @blp.arguments(CompareArgsSchema, location="query")
    @blp.response(200, ComparisonSchema(many=True))
    def get(self, args: dict[str, Any], item_id: int) -> Any:
        """The linked published offers priced at a quantity, cheapest first"""
        return services.compare_offers(db.session, api_actor(), item_id, args["quantity"], to_london(now()).date())

    @blp.arguments(LinkSchema)
    @blp.response(200, OfferSchema)
    def post(self, data: dict[str, Any], item_id: int) -> Any:
        """Link an offer to this item (e-agency)"""
        return services.link_offer(db.session, api_actor(), item_id, data["offer_id"])


@blp.route("/imports")
class Imports(MethodView):
    decorators = [token_required]

    @accepts_up_to("CATALOGUE_BODY_MAX_BYTES")
    @blp.arguments(ImportUploadSchema, location="form")
    @blp.response(202, ImportSchema)
    @blp.alt_response(422, description="The file is not CSV or XLSX, is empty, too big or has a bad header")
    def post(self, args: dict[str, Any]) -> Any:
        """Upload a CSV or XLSX file (multipart field `file`); the import runs as a job"""
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("Attach the file as the multipart field 'file'", field_errors={"file": ["Missing"]})
        return services.start_import(
            db.session, api_actor(), supplier_id=services.own_supplier_id(api_actor()), filename=upload.filename or "",
            stream=upload.stream, mode=args["mode"],
            max_bytes=current_app.config["CATALOGUE_IMPORT_MAX_BYTES"])


@blp.route("/imports/<int:import_id>")
class ImportById(MethodView):
    decorators = [token_required]

    @blp.response(200, ImportSchema)
    def get(self, import_id: int) -> Any:
        """An import's status and live progress"""
        return services.get_import(db.session, api_actor(), import_id)


@blp.route("/imports/<int:import_id>/errors")
class ImportErrors(MethodView):
    decorators = [token_required]

    @blp.response(200, content_type="text/csv", description="row, column, message")
    def get(self, import_id: int) -> Any:
        """The import's error report as CSV"""
        return Response(services.import_errors_csv(db.session, api_actor(), import_id), mimetype="text/csv")
