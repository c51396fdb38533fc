"""``plantao secret``: the installation's signing key, rotated without breaking links in flight."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from plantao.auth import keyring
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope

app = typer.Typer(no_args_is_help=True, help="The key that signs sessions and action links.")


@app.command("status")
def status() -> None:
    """Where the signing key comes from and how many retired keys still verify (never a key)."""
    settings = get_settings()
    factory = make_sessionmaker(make_engine(settings.database_url, pool_size=1))
    with session_scope(factory) as session:
        ring = keyring.ensure(session, settings)
    typer.echo(
        f"signing key from the {ring.source}; {len(ring.verifying) - 1} retired key(s) verify"
    )


@app.command("rotate")
def rotate(
    grace_hours: Annotated[
        float,
        typer.Option(
            help="how long the retired key still verifies (default: the action-link lifetime)"
        ),
    ] = -1,
) -> None:
    """Make a new signing key. Links already sent keep working for the grace period; browsers
    log in again once each server process has picked up the new key (within 30 s, or at
    restart for the session cookie)."""
    settings = get_settings()
    if settings.secret_key:
        typer.echo(
            "error: PLANTAO_SECRET_KEY is set, so the key lives outside Plantão: set the new "
            "value there and move the old one to PLANTAO_SECRET_KEY_PREVIOUS for the grace period",
            err=True,
        )
        raise typer.Exit(1)
    hours = grace_hours if grace_hours >= 0 else settings.action_link_ttl_seconds / 3600
    factory = make_sessionmaker(make_engine(settings.database_url, pool_size=1))
    with session_scope(factory) as session:
        row = keyring.rotate(session, grace=timedelta(hours=hours))
    typer.echo(f"new signing key #{row.id}; the retired key verifies for {hours:g} more hour(s)")
