"""Command-line interface: `flask db ...`, `flask seed-demo`, `flask users ...`,
`flask organisations ...`, `flask suppliers ...`, `flask audit verify`, `flask worker`."""
from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from procurement import migrate
from procurement.core.access import SystemActor
from procurement.core.db import db
from procurement.core.errors import DomainError


def _fail(error: DomainError) -> None:
    click.echo(f"Error: {error.message}", err=True)
    for field, messages in error.field_errors.items():
        for message in messages:
            click.echo(f"  {field}: {message}", err=True)
    sys.exit(2)


def _run_service(func: Any, *args: Any, **kwargs: Any) -> Any:
    session = db.session
    try:
        result = func(session, SystemActor("cli"), *args, **kwargs)
        session.commit()
        return result
    except DomainError as error:
        session.rollback()
        _fail(error)


db_cli = AppGroup("db", help="Build and migrate the database schema (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at revision {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION ('base' for empty)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at revision {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration by comparing the models with the database (autogenerate)."""
    from alembic import command

    command.revision(migrate.alembic_config(current_app.config["DATABASE_URL"]), message=message,
                     autogenerate=True)


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo London: authorities, partners, CPV codes, suppliers and demo users."""
    from procurement.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo

    session = db.session
    added = seed_demo(session)
    session.commit()
    totals = added.pop("totals")
    click.echo("Added: " + ", ".join(f"{count} {what}" for what, count in added.items()))
    click.echo("Now: " + ", ".join(f"{count} {what}" for what, count in totals.items()))
    click.echo(f"\nDemo users (demo data only; every password is {DEMO_PASSWORD!r}):")
    for user in DEMO_USERS:
        where = user.organisation or user.supplier or ""
        click.echo(f"  {user.role.value:<9} {user.email:<48} {where}")
    from procurement.parties.accounts import parse_roles
    from procurement.seed import enrol_demo_two_factor

    enrolled = enrol_demo_two_factor(session, current_app.config["SECRET_KEY"],
                                     parse_roles(current_app.config["TWO_FACTOR_ROLES"]))
    session.commit()
    if enrolled:
        click.echo("\nTwo-factor sign-in is on for these (add the key to an authenticator app, or run "
                   "`flask --app app demo-code EMAIL` for a code):")
        for email, secret in enrolled.items():
            click.echo(f"  {email:<48} {secret}")


@click.command("demo-code")
@click.argument("email")
def demo_code_command(email: str) -> None:
    """Print a current two-factor code of a demo account (development only)."""
    from sqlalchemy import select

    from procurement.parties.models import User, lower_email
    from procurement.parties.twofactor import current_code
    from procurement.seed import DEMO_DOMAIN

    email = lower_email(email)
    if current_app.config["APP_ENV"] != "development":
        raise click.UsageError("demo-code works only where APP_ENV is development")
    if not email.endswith(DEMO_DOMAIN):
        raise click.UsageError(f"demo-code works only for the demo's accounts ({DEMO_DOMAIN})")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.totp_enabled_at is None:
        raise click.UsageError(f"{email} has no two-factor sign-in")
    try:
        code, seconds = current_code(current_app.config["SECRET_KEY"], user)
    except DomainError as error:
        _fail(error)
    click.echo(f"{code}  (valid for about {seconds} more seconds; each code works once)")


users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(["buyer", "supplier", "agency", "admin"]), required=True)
@click.option("--organisation", help="Organisation name (buyers)")
@click.option("--supplier", help="Supplier legal name (supplier staff)")
@click.password_option(help="At least 12 characters, not the email")
def users_create(email: str, full_name: str, role: str, organisation: str | None, supplier: str | None,
                 password: str) -> None:
    """Create an account with one role."""
    from sqlalchemy import select

    from procurement.parties.accounts import RoleGrant, create_user
    from procurement.parties.models import Organisation, Role
    from suppliers.models import Supplier

    organisation_id = supplier_id = None
    if organisation:
        organisation_id = db.session.scalar(select(Organisation.id).where(Organisation.name == organisation))
        if organisation_id is None:
            raise click.BadParameter(f"no organisation named {organisation!r}", param_hint="--organisation")
    if supplier:
        supplier_id = db.session.scalar(select(Supplier.id).where(Supplier.legal_name == supplier))
        if supplier_id is None:
            raise click.BadParameter(f"no supplier named {supplier!r}", param_hint="--supplier")
    user = _run_service(create_user, email=email, full_name=full_name, password=password,
                        grants=[RoleGrant(Role(role), organisation_id, supplier_id)])
    click.echo(f"Created {user.email} ({role})")


@users_cli.command("list")
def users_list() -> None:
    """List accounts and their roles."""
    from procurement.parties.accounts import list_users

    for user in list_users(db.session, SystemActor("cli")):
        roles = ", ".join(m.role.value for m in user.memberships)
        click.echo(f"{user.id:>5}  {user.email:<48} {roles:<20} {'active' if user.active else 'inactive'}")


@users_cli.command("prune-sessions")
def users_prune_sessions() -> None:
    """Delete the records of sessions ended (or past their limits) over SESSION_KEEP_DAYS ago."""
    from procurement.parties.sessions import SessionPolicy, prune_sessions

    policy = SessionPolicy.from_settings(current_app.config)
    deleted = _run_service(prune_sessions, policy)
    click.echo(f"Deleted {deleted} session record(s) unused for over {policy.keep_days} days")


organisations_cli = AppGroup("organisations", help="Manage organisations.")


@organisations_cli.command("create")
@click.option("--name", required=True)
@click.option("--kind", required=True, help="london_borough, nhs_body, police, ...")
@click.option("--gss-code")
@click.option("--org-identifier")
@click.option("--partnership", type=click.Choice(["north", "east", "south", "west", "central"]))
def organisations_create(name: str, kind: str, gss_code: str | None, org_identifier: str | None,
                         partnership: str | None) -> None:
    """Add a public body."""
    from procurement.parties.services import create_organisation

    organisation = _run_service(create_organisation, name=name, kind=kind, gss_code=gss_code,
                                org_identifier=org_identifier, partnership=partnership)
    click.echo(f"Created organisation {organisation.id}: {organisation.name}")


suppliers_cli = AppGroup("suppliers", help="Manage supplier companies.")


@suppliers_cli.command("create")
@click.option("--name", "legal_name", required=True)
@click.option("--companies-house-number")
@click.option("--vat-number")
@click.option("--sme/--not-sme", default=False)
@click.option("--voluntary/--not-voluntary", default=False)
@click.option("--contact-name", required=True)
@click.option("--contact-email", required=True)
def suppliers_create(legal_name: str, companies_house_number: str | None, vat_number: str | None, sme: bool,
                     voluntary: bool, contact_name: str, contact_email: str) -> None:
    """Register a supplier company."""
    from suppliers.services import create_supplier

    supplier = _run_service(create_supplier, legal_name=legal_name, companies_house_number=companies_house_number,
                            vat_number=vat_number, is_sme=sme, is_voluntary_sector=voluntary,
                            contact_name=contact_name, contact_email=contact_email)
    click.echo(f"Created supplier {supplier.id}: {supplier.legal_name}")


audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; name the first broken link (exit status 1 if any)."""
    from procurement.core.audit import verify_chain

    check = verify_chain(db.session)
    click.echo(check.describe())
    if not check.ok:
        sys.exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--worker-class", default="rq.Worker", show_default=True,
              help="The RQ worker class to run, as a dotted path.")
def worker_command(burst: bool, worker_class: str) -> None:
    """Start an RQ worker for the application's queue (needs REDIS_URL)."""
    from rq.utils import import_attribute

    from procurement.core.jobs import queue_for

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set: without Redis, jobs run in-process")
    from procurement.core.jobrecords import recover

    app = current_app._get_current_object()
    recovered = recover(app)  # work whose message was lost while no worker ran
    if recovered:
        click.echo(f"recovered jobs {recovered}")
    if not burst:
        _sweep_every(app, int(app.config.get("JOB_SWEEP_SECONDS", 60)))
    from procurement.core.pdf import warm_up

    warm_up()  # forked jobs inherit WeasyPrint loaded
    queue = queue_for(app)
    # The forked child of each job inherits this app context.
    worker = import_attribute(worker_class)
    worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=not burst)


def _sweep_every(app: Flask, seconds: int) -> None:
    """The sweeper, in a thread of the worker's parent process, every `seconds`."""
    import threading

    from procurement.core.jobrecords import recover

    def sweep() -> None:
        while True:
            threading.Event().wait(seconds)
            try:
                with app.app_context():
                    recover(app)
            except Exception:  # noqa: BLE001 - the sweeper must outlive a bad pass
                import logging

                logging.getLogger("procurement.jobs").exception("sweeper pass failed")

    threading.Thread(target=sweep, name="job-sweeper", daemon=True).start()


@click.command("cron")
def cron_command() -> None:
    """Run the schedule (tenders closing at their deadline...) with RQ's cron scheduler: it
    enqueues each task at its interval for the workers (needs REDIS_URL; one is enough, a
    second does no harm: every task is idempotent)."""
    from procurement.core.schedule import TASKS, cron_scheduler

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set: without Redis the web process runs the schedule itself")
    scheduler = cron_scheduler(current_app._get_current_object())
    click.echo("scheduled: " + ", ".join(f"{t.name} every {t.every_seconds} s" for t in TASKS.values()))
    scheduler.start()


jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("recover")
@click.option("--stale-minutes", default=5.0, show_default=True,
              help="A running job silent this long, and no longer held by RQ, is re-enqueued.")
def jobs_recover(stale_minutes: float) -> None:
    """Re-enqueue jobs whose row says queued or running but which RQ no longer holds."""
    from datetime import timedelta

    from procurement.core.jobrecords import recover

    recovered = recover(current_app._get_current_object(), timedelta(minutes=stale_minutes))
    click.echo(f"{len(recovered)} job(s) re-enqueued" + (f": {recovered}" if recovered else ""))


@jobs_cli.command("run")
@click.option("--burst", is_flag=True, help="Stop when no job is left.")
def jobs_run(burst: bool) -> None:
    """Run queued jobs from the job table in this process (the default set-up's runner, without
    Redis; the web process also runs one). Jobs of runners that died are resumed first."""
    from procurement.core.runner import Runner

    app = current_app._get_current_object()
    if app.config["JOB_RUNNER"] == "rq":
        raise click.UsageError("REDIS_URL is set: jobs are RQ's; run `flask worker`")
    runner = Runner(app, poll_seconds=float(app.config.get("JOB_POLL_SECONDS", 5)))
    app.extensions["job_runner"] = runner  # jobs its jobs ask for are queued for it, not run inside them
    released = runner.release_abandoned()
    if released:
        click.echo(f"resumed or failed the jobs of stopped runners: {released}")
    if burst:
        click.echo(f"{runner.run_pending()} job(s) run")
        return
    click.echo(f"running jobs as {runner.name}; Ctrl+C stops")
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()


@jobs_cli.command("list")
def jobs_list() -> None:
    """Every job with its state."""
    from sqlalchemy import select

    from procurement.core.jobrecords import Job

    for job in db.session.scalars(select(Job).order_by(Job.id)):
        click.echo(f"{job.id:>5}  {job.kind:<16} {job.subject_type}:{job.subject_id:<8} {job.status.value:<8} "
                   f"{job.progress:>3}%  attempts {job.attempts}  {job.error[:60]}")


def register(app: Flask) -> None:
    for command in (db_cli, users_cli, organisations_cli, suppliers_cli, audit_cli, jobs_cli):
        app.cli.add_command(command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_code_command)
    from catalogue.cli import catalogue_cli

    app.cli.add_command(catalogue_cli)
    from tenders.cli import tenders_cli

    app.cli.add_command(tenders_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)
