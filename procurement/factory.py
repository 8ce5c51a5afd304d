"""The application factory."""
from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, g, request, send_from_directory, url_for
from flask_smorest import Api
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from procurement.core.clock import to_london
from procurement.core.config import REPO_ROOT, load_settings
from procurement.core.db import check_database, db
from procurement.core.navigation import menu
from procurement.core.tables import govuk_table

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests); everything else is read from the
    environment, with a SQLite file under instance/ and in-process jobs by default."""
    instance_path = Path(os.environ.get("INSTANCE_PATH", REPO_ROOT / "instance")).resolve()
    app = Flask("procurement", instance_path=str(instance_path))
    app.config.update(load_settings(instance_path, config))

    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies, take the client's address from X-Forwarded-For, so
        # lockout by address counts the real client, not the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    if not app.config.get("SKIP_DATABASE_CHECK"):
        check_database(db.bound(app).engine)

    from procurement.parties.auth import init_sessions, login_manager
    from procurement.core.http import init_http

    login_manager.init_app(app)
    init_sessions(app)
    csrf.init_app(app)
    _init_templates(app)
    _init_assets(app)

    from procurement.core.openapi import DatabaseId, Plugin

    app.url_map.converters["int"] = DatabaseId
    api = Api(app, spec_kwargs={"info": {"description": _API_DESCRIPTION}, "marshmallow_plugin": Plugin()})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    init_http(app)  # after Api(), so its handlers serve pages and the API alike

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        from flask import render_template

        return render_template("errors/400.html", status=400, description=error.description), 400

    _wire(app, api)
    # Everything built so far (modules, the app, SQLAlchemy's mappings) lives as long as the
    # process: keep it out of the garbage collector's full passes, which otherwise walk
    # ~130,000 objects each time and cost a busy request up to a third of its time (the
    # demand board, measured: 0.27 s -> 0.20 s). It also spares forked workers' memory.
    gc.freeze()
    return app


_API_DESCRIPTION = (
    "JSON API of the London joint procurement marketplace. Authenticate with an API token "
    "created on your account page: `Authorization: Bearer <token>`."
)


def _wire(app: Flask, api: Api) -> None:
    """The composition root: every package's pages and API, the signals between domains and
    the job kinds, wired here and nowhere else (nothing below imports this module)."""
    from catalogue import api as catalogue_api
    from catalogue import jobs as catalogue_jobs
    from catalogue import views as catalogue_views
    from dashboards import documents_api, documents_views
    from dashboards import views as dashboard_views
    from demand import api as demand_api
    from demand import jobs as demand_jobs
    from demand import views as demand_views
    from demand.signals import requirement_leaving, requirement_tender, tenders_under_way
    from opendata import public as public_views
    from opendata import views as opendata_views
    from opendata.uk_notices import jobs as notice_jobs
    from opendata.uk_notices import services as notice_services
    from opendata.uk_notices import views as notice_views
    from procurement.core.audit import event_recorded
    from procurement import cli
    from procurement.core.jobrecords import register_kinds
    from procurement.core.limits import init_rate_limits
    from procurement.core.schedule import register_tasks, start_in_process
    from procurement.parties import jobs as parties_jobs
    from procurement.notifications import jobs as notification_jobs
    from procurement.notifications import receivers as notification_receivers
    from procurement.core.jobrecords import job_failed
    from procurement.notifications import views as notification_views
    from procurement.parties import api as parties_api
    from procurement.parties import account_views
    from procurement.parties import views as parties_views
    from reports import savings
    from reports import views as reports_views
    from suppliers import api as suppliers_api
    from suppliers import views as supplier_views
    from suppliers import exclusion_views, joining_views, people_views
    from procurement.parties import organisation_views
    from procurement.core import outbox
    from procurement.notifications import services as notification_services
    from tenders import api as tenders_api
    from tenders.award import documents as tender_documents
    from tenders.award import outcome
    from tenders import jobs as tender_jobs
    from tenders.award import exclusion_views as tender_exclusion_views
    from tenders.award import views as evaluation_views
    from tenders.bidding import views as opportunity_views
    from tenders.optimisation import optimised_award
    from tenders.optimisation import views as optimised_views
    from tenders.forming import pooling
    from tenders import under_way
    from tenders import views as tender_views
    from tenders import conflict_views

    from procurement.core import health

    for blueprint in (health.bp, dashboard_views.bp, parties_views.bp, parties_views.admin_bp, supplier_views.bp,
                      account_views.bp, catalogue_views.bp, demand_views.bp, tender_views.bp, tender_views.pools_bp,
                      evaluation_views.bp, opportunity_views.bp, optimised_views.bp, documents_views.bp,
                      reports_views.bp, opendata_views.bp, public_views.bp, notification_views.bp,
                      notification_views.callbacks_bp, joining_views.bp, people_views.bp, organisation_views.bp,
                      notice_views.bp, exclusion_views.bp, tender_exclusion_views.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(conflict_views.bp)
    opendata_views.describe(api.spec, app)  # the public OCDS change feed, in the API's document
    for blueprint in (*parties_api.blueprints, *suppliers_api.blueprints, *catalogue_api.blueprints,
                      *demand_api.blueprints, *tenders_api.blueprints, *documents_api.blueprints,
                      *reports_views.blueprints):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)

    @app.route("/api/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/api/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def _api_not_found(path: str) -> Any:
        abort(404, description="No such API endpoint")

    csrf.exempt(_api_not_found)
    csrf.exempt(notification_views.callbacks_bp)  # Notify authenticates with its bearer token
    cli.register(app)
    outbox.connect(send_email=notification_services.send_email, notify=notification_services.notify)
    requirement_leaving.connect(pooling.requirement_left)
    tenders_under_way.connect(under_way.tenders_under_way)
    requirement_tender.connect(outcome.requirement_tender)
    job_failed.connect(notification_receivers.job_failed)
    event_recorded.connect(notice_services.on_event)  # a tender's acts make the notices the Act requires
    app.jinja_env.globals.update(notices_for_tender=notice_views.notices_for_tender,
                                 public_notices_for_tender=notice_views.public_notices_for_tender,
                                 overdue_notices=notice_views.overdue_notices,
                                 notices_configured=notice_services.platform_configured,
                                 notices_service_only=notice_services.SERVICE_ONLY)
    register_kinds(*catalogue_jobs.JOB_KINDS, *demand_jobs.JOB_KINDS, *tender_documents.JOB_KINDS,
                   *optimised_award.JOB_KINDS, *savings.JOB_KINDS, *notification_jobs.JOB_KINDS,
                   *notice_jobs.JOB_KINDS)
    register_tasks(*tender_jobs.SCHEDULED, *parties_jobs.SCHEDULED, *notification_jobs.SCHEDULED, *notice_jobs.SCHEDULED)
    init_rate_limits(app)  # once every view is registered: it wraps the marked ones
    if app.config["SCHEDULE_IN_PROCESS"] and not app.config.get("REDIS_URL") and not app.testing:
        @app.before_request
        def _schedule() -> None:  # the first request of a serving process starts it; CLI commands never do
            start_in_process(app)
    @app.before_request
    def _job_runner() -> None:  # likewise: jobs run beside the requests, never in one
        if app.config["JOB_RUNNER"] == "thread" and "job_runner" not in app.extensions:
            from procurement.core.runner import start_runner

            start_runner(app)


def _init_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("procurement"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["london"] = _london_format
    app.jinja_env.filters["money"] = _money_format
    app.jinja_env.filters["qty"] = _quantity_format
    app.jinja_env.filters["percent"] = _percent_format
    app.jinja_env.filters["longdate"] = _long_date
    app.jinja_env.filters["filesize"] = _file_size
    app.jinja_env.filters["cpv"] = _cpv_format
    app.jinja_env.filters["of"] = _quantity_of
    app.jinja_env.globals["govuk_table"] = govuk_table  # the table macro's stand-in (see core/tables.py)
    WTFormsHelpers(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_login import current_user

        from procurement.core import access

        return {"service_name": app.config["SERVICE_NAME"], "access": access, "current_user": current_user,
                "nav_menu": _nav_menu, "unread_notifications": _unread_notifications}


def _unread_notifications() -> int:
    """The count in the header: the signed-in person's unread notifications."""
    from flask_login import current_user

    from procurement.notifications.services import unread_count

    return unread_count(db.session, current_user) if current_user.is_authenticated else 0


def _nav_menu() -> dict[str, Any]:
    """The navigation and breadcrumbs of this request's page, worked out once per request."""
    from flask_login import current_user

    if "nav_menu" not in g:
        g.nav_menu = menu(current_user, request.path, url_for, frozenset(current_app.view_functions))
    return g.nav_menu


def _london_format(moment: Any, pattern: str = "%-d %B %Y at %H:%M") -> str:
    """A moment as every page writes it, in London: "3 December 2026 at 14:05"."""
    local = to_london(moment)
    return local.strftime(pattern) if local else ""


def _money_format(amount: Any) -> str:
    """£1,234.50; a negative amount as -£12.00; nothing as an en dash."""
    if amount is None:
        return "–"
    from decimal import Decimal

    amount = Decimal(str(amount))
    return ("-" if amount < 0 else "") + f"£{abs(amount):,.2f}"


def _quantity_format(quantity: Any) -> str:
    from demand.rules import quantity_text

    if quantity is None:
        return "–"
    from decimal import Decimal

    text = quantity_text(Decimal(str(quantity)))
    whole, _, fraction = text.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def _percent_format(value: Any) -> str:
    """6.00 -> '6%', 33.30 -> '33.3%'."""
    from decimal import Decimal

    if value is None:
        return "–"
    return format(Decimal(str(value)).normalize(), "f") + "%"


def _long_date(day: Any) -> str:
    """One way of writing a day on every page and document: 16 November 2026."""
    return f"{day.day} {day:%B %Y}" if day else "–"


def _quantity_of(quantity: Any, unit: str) -> str:
    """{{ quantity|of(unit) }}: '285 seats per year'."""
    from decimal import Decimal

    from demand.rules import quantity_with_unit

    return "–" if quantity is None else quantity_with_unit(Decimal(str(quantity)), unit)


def _cpv_format(code: Any) -> str:
    """A CPV code as the vocabulary writes it, with its check digit: 30213100-6."""
    from procurement.parties.models import cpv_check_digits

    digit = cpv_check_digits().get(str(code or ""))
    return f"{code}-{digit}" if digit else str(code or "")


def _file_size(size: int) -> str:
    """A file's size as people read it: 1 KB, 240 KB, 3.2 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024)):,} KB"


def _init_assets(app: Flask) -> None:
    """GOV.UK Frontend and Swagger UI files from node_modules, installed by the set-up."""
    root = Path(app.config["ASSETS_DIR"])
    govuk = root / "govuk-frontend" / "dist" / "govuk"
    swagger = root / "swagger-ui-dist"
    if not govuk.is_dir():
        app.logger.warning("GOV.UK Frontend not found in %s: run `make install`", root)

    @app.route("/assets/<path:filename>")
    def assets(filename: str) -> Any:
        if filename.startswith("swagger-ui/"):
            return send_from_directory(swagger, filename.removeprefix("swagger-ui/"), max_age=3600)
        for folder in (govuk / "assets", govuk):
            if (folder / filename).is_file():
                return send_from_directory(folder, filename, max_age=3600)
        abort(404)
