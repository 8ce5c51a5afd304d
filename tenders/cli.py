"""Tender commands: `flask tenders tick` makes the clock's moves that are due."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from procurement.core.db import db

tenders_cli = AppGroup("tenders", help="Joint tenders.")


@tenders_cli.command("tick")
def tick_command() -> None:
    """Close tenders whose deadline has passed (idempotent: run it from cron or a scheduler)."""
    from tenders.lifecycle import tick

    moved = tick(db.session)
    db.session.commit()
    click.echo(f"{moved} tender(s) moved by the clock")


@tenders_cli.command("rebuild-award-records")
def rebuild_award_records_command() -> None:
    """Write the award record of decisions published before it was kept (once, after
    upgrading past migration 0012; idempotent)."""
    from procurement.core.access import SystemActor
    from tenders.award.evaluation import rebuild_award_records

    rebuilt = rebuild_award_records(db.session, SystemActor("flask tenders rebuild-award-records"))
    db.session.commit()
    click.echo(f"{len(rebuilt)} lot award record(s) rebuilt" + (": " + ", ".join(rebuilt) if rebuilt else ""))


@tenders_cli.command("remake-award-notices")
def remake_award_notices_command() -> None:
    """Make every award decision notice and bidder's letter again as they now read (no
    competitor's price, no organisation's quantities, no lots' lowest prices added up), and ask
    for the evaluation reports the packs now hold (once,
    after upgrading past issue 18; idempotent)."""
    from procurement.core.access import SystemActor
    from tenders.award.documents import remake_award_notices

    remade = remake_award_notices(db.session, SystemActor("flask tenders remake-award-notices"))
    db.session.commit()
    click.echo(f"{len(remade)} award notice(s) and letter(s) made again" + (": " + ", ".join(remade) if remade else ""))
