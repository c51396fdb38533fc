"""``plantao inbox``: how far behind the engine is, and the entries it set aside."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope

app = typer.Typer(no_args_is_help=True, help="The intake inbox (accepted, not yet applied).")


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


@app.command("status")
def status() -> None:
    """Pending and failed entries; each failed one with its error."""
    from plantao.intake import inbox

    with session_scope(_sessions()) as session:
        depth = inbox.depth(session)
        typer.echo(
            f"pending: {depth.pending_entries} requests, {depth.pending_alerts} alerts, "
            f"oldest {depth.oldest_pending_age.total_seconds():.1f}s; "
            f"failed: {depth.failed_entries}"
        )
        for entry in inbox.failed_entries(session):
            typer.echo(
                f"  #{entry.id} {entry.source} {entry.alert_count} alert(s) received "
                f"{entry.received_at:%Y-%m-%d %H:%M:%S}Z: {entry.last_error}"
            )


@app.command("retry")
def retry(
    entry: Annotated[
        int | None, typer.Argument(help="one entry id; all failed when omitted")
    ] = None,
) -> None:
    """Put failed entries back in line for the engine."""
    from plantao.cli.operator import audit_actor
    from plantao.intake import inbox

    with session_scope(_sessions()) as session:
        requeued = inbox.retry_failed(session, entry, actor=audit_actor())
    if entry is not None and not requeued:
        typer.echo(f"error: no failed inbox entry {entry}", err=True)
        raise typer.Exit(1)
    typer.echo(f"requeued {requeued}")
