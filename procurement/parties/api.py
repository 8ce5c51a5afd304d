"""JSON API under /api/v1: the acting user, organisations, accounts, tokens, CPV, audit."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from procurement.parties import accounts
from procurement.parties.accounts import RoleGrant
from procurement.parties.auth import api_actor, token_required
from procurement.core import access
from procurement.core.audit import AuditEvent, verify_chain
from procurement.core.db import db
from procurement.core.errors import PermissionDenied
from procurement.parties.models import Role
from procurement.parties.schemas import (
    ApiTokenCreatedSchema,
    ApiTokenCreateSchema,
    ApiTokenSchema,
    AuditEventSchema,
    AuditQueryArgsSchema,
    ChainCheckSchema,
    CpvCodeSchema,
    CpvQueryArgsSchema,
    OrganisationCreateSchema,
    OrganisationSchema,
    UserCreateSchema,
    UserSchema,
)
from procurement.parties.services import create_organisation, get_organisation, list_organisations, search_cpv

me_blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The signed-in account")
organisations_blp = Blueprint("organisations", __name__, url_prefix="/api/v1/organisations",
                              description="Public bodies taking part")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts (administrators)")
tokens_blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="Your API tokens")
cpv_blp = Blueprint("cpv", __name__, url_prefix="/api/v1/cpv", description="The CPV 2008 vocabulary")
audit_blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit log (administrators)")

blueprints = [me_blp, organisations_blp, users_blp, tokens_blp, cpv_blp, audit_blp]


@me_blp.route("")
class Me(MethodView):
    decorators = [token_required]

    @me_blp.response(200, UserSchema)
    def get(self) -> Any:
        return api_actor()


@organisations_blp.route("")
class Organisations(MethodView):
    decorators = [token_required]

    @organisations_blp.response(200, OrganisationSchema(many=True))
    def get(self) -> Any:
        return list_organisations(db.session, api_actor())

    @organisations_blp.arguments(OrganisationCreateSchema)
    @organisations_blp.response(201, OrganisationSchema)
    def post(self, data: dict[str, Any]) -> Any:
        return create_organisation(db.session, api_actor(), **data)


@organisations_blp.route("/<int:organisation_id>")
class OrganisationById(MethodView):
    decorators = [token_required]

    @organisations_blp.response(200, OrganisationSchema)
    def get(self, organisation_id: int) -> Any:
        return get_organisation(db.session, api_actor(), organisation_id)


@users_blp.route("")
class Users(MethodView):
    decorators = [token_required]

    @users_blp.response(200, UserSchema(many=True))
    def get(self) -> Any:
        return accounts.list_users(db.session, api_actor())

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> Any:
        grants = [RoleGrant(Role(g["role"]), g["organisation_id"], g["supplier_id"]) for g in data["roles"]]
        return accounts.create_user(
            db.session, api_actor(), email=data["email"], full_name=data["full_name"],
            password=data["password"], grants=grants,
        )


@users_blp.route("/<int:user_id>")
class UserById(MethodView):
    decorators = [token_required]

    @users_blp.response(200, UserSchema)
    def get(self, user_id: int) -> Any:
        if not access.can_manage_accounts(api_actor()):
            raise PermissionDenied("Only administrators can see accounts")
        return accounts.get_user(db.session, user_id)


@tokens_blp.route("")
class Tokens(MethodView):
    decorators = [token_required]

    @tokens_blp.response(200, ApiTokenSchema(many=True))
    def get(self) -> Any:
        return accounts.list_own_tokens(db.session, api_actor())

    @tokens_blp.arguments(ApiTokenCreateSchema)
    @tokens_blp.response(201, ApiTokenCreatedSchema)
    def post(self, data: dict[str, Any]) -> Any:
        days = data["days"] or current_app.config["API_TOKEN_DEFAULT_DAYS"]
        token, plain = accounts.create_api_token(db.session, api_actor(), name=data["name"], days=days)
        token.token = plain
        return token


@tokens_blp.route("/<int:token_id>")
class TokenById(MethodView):
    decorators = [token_required]

    @tokens_blp.response(200, ApiTokenSchema)
    def delete(self, token_id: int) -> Any:
        return accounts.revoke_api_token(db.session, api_actor(), token_id)


@cpv_blp.route("")
class CpvCodes(MethodView):
    decorators = [token_required]

    @cpv_blp.arguments(CpvQueryArgsSchema, location="query")
    @cpv_blp.response(200, CpvCodeSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        return search_cpv(db.session, api_actor(), args["q"], args["limit"])


@audit_blp.route("/events")
class AuditEvents(MethodView):
    decorators = [token_required]

    @audit_blp.arguments(AuditQueryArgsSchema, location="query")
    @audit_blp.response(200, AuditEventSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        if not access.can_view_audit_log(api_actor()):
            raise PermissionDenied("Only administrators can read the audit log")
        query = (select(AuditEvent).where(AuditEvent.seq > args["after_seq"])
                 .order_by(AuditEvent.seq).limit(args["limit"]))
        return list(db.session.scalars(query))


@audit_blp.route("/verify")
class AuditVerify(MethodView):
    decorators = [token_required]

    @audit_blp.response(200, ChainCheckSchema)
    def get(self) -> Any:
        if not access.can_view_audit_log(api_actor()):
            raise PermissionDenied("Only administrators can verify the audit log")
        return verify_chain(db.session)
