"""`flask catalogue import FILE --supplier NAME` with a progress bar."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from procurement.core.access import SystemActor
from procurement.core.db import db
from procurement.core.errors import DomainError

catalogue_cli = AppGroup("catalogue", help="The shared catalogue.")


@catalogue_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--supplier", required=True, help="The supplier's legal name or id")
@click.option("--mode", type=click.Choice(["all_or_nothing", "valid_rows"]), default="all_or_nothing",
              show_default=True)
def import_command(file: Path, supplier: str, mode: str) -> None:
    """Import FILE (CSV or XLSX) into SUPPLIER's catalogue."""
    from catalogue.importing import estimate_rows, run_import
    from catalogue.services import start_import
    from suppliers.models import Supplier

    session = db.session
    found = session.get(Supplier, int(supplier)) if supplier.isdecimal() else session.scalar(
        select(Supplier).where(Supplier.legal_name == supplier))
    if found is None:
        raise click.BadParameter(f"no supplier {supplier!r}", param_hint="--supplier")
    try:
        with file.open("rb") as stream:
            record = start_import(session, SystemActor("cli"), supplier_id=found.id, filename=file.name,
                                  stream=stream, mode=mode, enqueue=False,
                                  max_bytes=current_app.config["CATALOGUE_IMPORT_MAX_BYTES"])
    except DomainError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(2)
    session.commit()
    # In this process, with no job row: the bar is the progress, the import row the result.
    with click.progressbar(length=estimate_rows(file, record.file_format) or 0,
                           label=f"Importing {file.name}", show_pos=True) as bar:
        seen = [0]

        def report(done: int, _estimated: int | None) -> None:
            bar.update(done - seen[0])
            seen[0] = done

        record = run_import(session, record.id, report)
        bar.update(max(0, record.rows_done - seen[0]))
    session.commit()
    click.echo(f"{record.state}: {record.message}")
    if record.rows_invalid:
        click.echo(f"{record.rows_invalid} rows with errors; report: flask catalogue errors {record.id}")
    sys.exit(0 if record.state == "done" else 1)


@catalogue_cli.command("errors")
@click.argument("import_id", type=int)
def errors_command(import_id: int) -> None:
    """Print an import's error report as CSV."""
    from catalogue.services import import_errors_csv

    click.echo(import_errors_csv(db.session, SystemActor("cli"), import_id), nl=False)
