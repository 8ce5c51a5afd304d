"""Savings report pages and API: the report with its charts on the page; its PDF by a job."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from reports import savings as reports
from procurement.parties.auth import api_actor, page_actor, require, token_required
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.http import undone_if_refused
from procurement.core.jobrecords import Job
from procurement.core.documents import Document
from procurement.parties.forms import ConfirmForm
from procurement.parties.models import Organisation
from procurement.core.openapi import id_field

bp = Blueprint("reports", __name__, template_folder="templates")
blp = ApiBlueprint("reports_api", __name__, url_prefix="/api/v1/reports", description="Savings reports")
blueprints = [blp]


class ReportArgsSchema(Schema):
    kind = fields.Str(load_default="organisation", validate=validate.OneOf(reports.KINDS))
    tender_id = id_field(load_default=None)
    organisation_id = id_field(load_default=None)
    cpv = fields.Str(load_default=None, validate=validate.Regexp(r"^\d{5,8}$", error="Enter a CPV code"))
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)


def _query(args: dict[str, Any]) -> reports.ReportQuery:
    return reports.ReportQuery(args["kind"], args["tender_id"], args["organisation_id"], args["cpv"], args["start"], args["end"])


def _can_report(user: Any) -> bool:
    return access.has_role(user, access.AGENCY) or access.can_raise_requirements(user)


@bp.route("/reports/savings", methods=["GET", "POST"])
@login_required
def savings() -> Any:
    require(_can_report(current_user))
    source = request.form if request.method == "POST" else request.args
    raw = {k: v for k, v in source.items() if v != "" and k in ReportArgsSchema().fields}
    if not access.has_role(current_user, access.AGENCY):
        raw.setdefault("organisation_id", str(sorted(current_user.organisation_ids)[0]))
    errors: dict[str, Any] = {}
    report = charts = None
    if request.method == "GET" and not raw:  # the agency's first visit: the form, and no error for what it has not asked
        return _savings_page(report, charts, errors, raw)
    try:
        query = _query(ReportArgsSchema().load(raw))
        if request.method == "POST":
            if not ConfirmForm().validate_on_submit():
                raise InvalidInput("The form expired: try again")
            with undone_if_refused():
                job = reports.request_pdf(db.session, page_actor(), query)
            return redirect(url_for("reports.pdf", request_id=job.subject_id))
        report = reports.build(db.session, page_actor(), query)
        if report.rows:  # an empty report draws no chart
            charts = (reports.savings_by_organisation_svg(report), reports.cumulative_svg(report))
    except InvalidInput as error:
        errors = error.field_errors or {"report": [error.message]}
    except ValidationError as error:
        errors = error.messages  # type: ignore[assignment]
    return _savings_page(report, charts, errors, raw)


def _savings_page(report: Any, charts: Any, errors: dict[str, Any], raw: dict[str, Any]) -> Any:
    organisations = db.session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all() \
        if access.has_role(current_user, access.AGENCY) else []
    return render_template("reports/savings.html", report=report, charts=charts, errors=errors, args=raw,
                           organisations=organisations, button=ConfirmForm(), agency=access.has_role(current_user, access.AGENCY))


@bp.route("/reports/savings/requests/<int:request_id>")
@login_required
def pdf(request_id: int) -> Any:
    found = db.session.get(reports.ReportRequest, request_id)
    if found is None or not reports.may_see(current_user, found.query()):
        raise NotFound("No such report")
    job = db.session.scalar(select(Job).where(Job.kind == "savings_report", Job.subject_id == request_id).order_by(Job.id.desc()))
    document = db.session.scalar(select(Document).where(Document.kind == "savings_report", Document.subject_id == request_id))
    return render_template("reports/pdf.html", found=found, job=job, documents=[document] if document else [])


class ReportSchema(Schema):
    title = fields.Str()
    baseline = fields.Decimal(as_string=True)
    cost = fields.Decimal(as_string=True)
    saving = fields.Decimal(as_string=True)
    percent = fields.Decimal(as_string=True, allow_none=True)
    organisations = fields.Function(lambda r: [{"organisation": n, "baseline": str(b), "cost": str(c), "saving": str(s),
                                                 "percent": None if p is None else str(p)} for n, b, c, s, p in r.by_organisation()])
    cumulative = fields.Function(lambda r: [{"date": d.isoformat(), "saving": str(v)} for d, v in r.cumulative()])


class ReportJobSchema(Schema):
    job_id = fields.Int(attribute="id")
    status = fields.Function(lambda j: j.status.value)
    report_request_id = fields.Int(attribute="subject_id")


@blp.route("/savings")
class Savings(MethodView):
    decorators = [token_required]

    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """A savings report (agency: any; a buyer: its organisation's)"""
        return reports.build(db.session, api_actor(), _query(args))

    @blp.arguments(ReportArgsSchema)
    @blp.response(202, ReportJobSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Ask for the report as a PDF (a job; the document then lists under /api/v1/jobs and downloads)"""
        return reports.request_pdf(db.session, api_actor(), _query(args))
