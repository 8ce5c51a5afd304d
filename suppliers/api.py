"""Supplier directory API."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from procurement.parties.auth import api_actor, token_required
from procurement.core.db import db
from suppliers.schemas import SupplierCreateSchema, SupplierSchema
from suppliers.services import create_supplier, get_supplier, list_suppliers

suppliers_blp = Blueprint("suppliers_api", __name__, url_prefix="/api/v1/suppliers",
                          description="Supplier companies")
blueprints = [suppliers_blp]


@suppliers_blp.route("")
class Suppliers(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, SupplierSchema(many=True))
    def get(self) -> Any:
        return list_suppliers(db.session, api_actor())

    @suppliers_blp.arguments(SupplierCreateSchema)
    @suppliers_blp.response(201, SupplierSchema)
    def post(self, data: dict[str, Any]) -> Any:
        return create_supplier(db.session, api_actor(), **data)


@suppliers_blp.route("/<int:supplier_id>")
class SupplierById(MethodView):
    decorators = [token_required]

    @suppliers_blp.response(200, SupplierSchema)
    def get(self, supplier_id: int) -> Any:
        return get_supplier(db.session, api_actor(), supplier_id)
