"""marshmallow schemas for the JSON API: one per direction."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from procurement.parties.models import OrganisationKind, Partnership, Role
from procurement.core.db import MAX_ID
from procurement.core.openapi import id_field


class OrganisationSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    kind = fields.Enum(OrganisationKind, by_value=True)
    gss_code = fields.Str(allow_none=True)
    org_identifier = fields.Str(allow_none=True)
    partnership = fields.Enum(Partnership, by_value=True, allow_none=True)


class OrganisationCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in OrganisationKind]))
    gss_code = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=9))
    org_identifier = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    partnership = fields.Str(load_default=None, allow_none=True,
                             validate=validate.OneOf([p.value for p in Partnership]))
    annual_savings_target = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                                           validate=validate.Range(min=0))


class MembershipSchema(Schema):
    role = fields.Enum(Role, by_value=True)
    organisation_id = fields.Int(allow_none=True)
    supplier_id = fields.Int(allow_none=True)


class UserSchema(Schema):
    id = fields.Int()
    email = fields.Str()
    full_name = fields.Str()
    active = fields.Bool()
    last_sign_in_at = fields.AwareDateTime(allow_none=True)
    memberships = fields.List(fields.Nested(MembershipSchema))


class RoleGrantSchema(Schema):
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))
    organisation_id = id_field(load_default=None, allow_none=True)
    supplier_id = id_field(load_default=None, allow_none=True)


class UserCreateSchema(Schema):
    email = fields.Str(required=True, validate=validate.Length(min=3, max=254))
    full_name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(max=256))
    roles = fields.List(fields.Nested(RoleGrantSchema), required=True, validate=validate.Length(min=1, max=4))


class ApiTokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    token_prefix = fields.Str()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True)


class ApiTokenCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    days = fields.Int(load_default=None, validate=validate.Range(min=1, max=366),
                      metadata={"description": "Days until it expires (default API_TOKEN_DEFAULT_DAYS)"})


class ApiTokenCreatedSchema(ApiTokenSchema):
    token = fields.Str(metadata={"description": "The token itself. Shown only in this response."})


class CpvCodeSchema(Schema):
    code = fields.Str()
    check_digit = fields.Str()
    description = fields.Str()
    level = fields.Function(lambda cpv: cpv.level.value)
    parent_code = fields.Str(allow_none=True)


class CpvQueryArgsSchema(Schema):
    q = fields.Str(load_default="", validate=validate.Length(max=100))
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class AuditEventSchema(Schema):
    seq = fields.Int()
    occurred_at = fields.AwareDateTime()
    actor_id = fields.Int(allow_none=True)
    actor_label = fields.Str()
    action = fields.Str()
    subject_type = fields.Str(allow_none=True)
    subject_id = fields.Str(allow_none=True)
    request_id = fields.Str(allow_none=True)
    details = fields.Dict()
    prev_hash = fields.Str()
    hash = fields.Str()


class AuditQueryArgsSchema(Schema):
    after_seq = fields.Int(load_default=0, validate=validate.Range(min=0, max=MAX_ID))
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=1000))


class ChainCheckSchema(Schema):
    ok = fields.Bool()
    events_checked = fields.Int()
    broken_seq = fields.Int(allow_none=True)
    reason = fields.Str(allow_none=True)
