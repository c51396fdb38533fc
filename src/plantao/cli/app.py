"""The ``plantao`` command. Each command owns its transaction, like an HTTP request does."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from plantao.cli import actions as actions_cli
from plantao.cli import gate as gate_cli
from plantao.cli import inbox as inbox_cli
from plantao.cli import incidents as incidents_cli
from plantao.cli import oncall as oncall_cli
from plantao.cli import people as people_cli
from plantao.cli import postmortems as postmortems_cli
from plantao.cli import responders as responders_cli
from plantao.cli import runbooks as runbooks_cli
from plantao.cli import secret as secret_cli
from plantao.cli import status_updates as status_updates_cli
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError
from plantao.observability import logging as plantao_logging

# Rich tracebacks with local variables would print settings, keys and tokens.
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Plantão: alert intake, incidents and on-call.",
)
incidents_app = typer.Typer(no_args_is_help=True, help="List and act on incidents.")
integrations_app = typer.Typer(no_args_is_help=True, help="Integrations and their intake URLs.")
demo_app = typer.Typer(no_args_is_help=True, help="Demo data for a first look.")
app.add_typer(incidents_app, name="incidents")
incidents_cli.register(incidents_app)
responders_cli.register(incidents_app)
status_updates_cli.register(incidents_app)
app.add_typer(people_cli.tokens_app, name="tokens")
app.add_typer(people_cli.users_app, name="users")
app.add_typer(people_cli.teams_app, name="teams")
app.add_typer(people_cli.login_app, name="login")
app.add_typer(integrations_app, name="integrations")
app.add_typer(demo_app, name="demo")
app.add_typer(runbooks_cli.app, name="runbooks")
app.add_typer(oncall_cli.app, name="oncall")
app.add_typer(inbox_cli.app, name="inbox")
app.add_typer(secret_cli.app, name="secret")
app.add_typer(postmortems_cli.app, name="postmortems")
app.add_typer(gate_cli.app, name="gate")
app.add_typer(actions_cli.app, name="actions")


def _sessions() -> sessionmaker[Session]:
    settings = get_settings()
    return make_sessionmaker(make_engine(settings.database_url, pool_size=2))


def _configure_logging() -> None:
    """JSON, scrubbed logging for the long-running commands, told the secrets it must hide."""
    settings = get_settings()
    plantao_logging.configure(
        settings.log_level,
        json=settings.log_json,
        secrets=[settings.secret_key, settings.smtp_password],
    )


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
    down: Annotated[bool, typer.Option("--down", help="downgrade to the revision")] = False,
) -> None:
    """Bring the database schema up to date (or down, with --down)."""
    from plantao import migrations

    url = get_settings().database_url
    if down:
        migrations.downgrade(url, revision if revision != "head" else "base")
    else:
        migrations.upgrade(url, revision)
        if revision == "head":
            from plantao.auth import keyring

            with session_scope(_sessions()) as session:
                keyring.ensure(session, get_settings())  # the installation's own random key
    typer.echo(f"database at {'base' if down and revision == 'head' else revision}")


@app.command()
def apply(
    file: Annotated[Path, typer.Option("-f", "--file", help="plantao.yaml to apply")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show changes, apply nothing")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="delete objects not in the file")] = False,
) -> None:
    """Apply a configuration file: idempotent, prints each change (audited as cli:<os user>)."""
    from plantao.cli.operator import audit_actor
    from plantao.configfile import service as config_service
    from plantao.configfile.schema import ConfigError, load_text
    from plantao.oncall import default_policies

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{file}: {exc.strerror}")
        return
    try:
        config = load_text(text)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        typer.echo("nothing was applied", err=True)
        raise typer.Exit(2) from None
    factory = _sessions()
    session = factory()
    try:
        changes = config_service.apply(session, config, prune=prune, actor=audit_actor())
        unpaged = default_policies.unpaged_services(session)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except (LookupError, DomainError) as exc:
        session.rollback()
        _fail(f"{file}: {exc}; nothing was applied", 2)
        return
    finally:
        session.close()
    real = [c for c in changes if c.action != "keep"]
    for change in real:
        typer.echo(str(change))
    for slug in unpaged:
        warning = (
            f"warning: service '{slug}' has no escalation policy, nor has its team or the "
            "installation (defaults.escalation_policy): its incidents page nobody"
        )
        typer.echo(warning, err=True)
        if dry_run:
            typer.echo(warning)
    suffix = " (dry run: nothing applied)" if dry_run else ""
    typer.echo(f"{len(real)} change(s){suffix}" if real else f"no changes{suffix}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
    engine: Annotated[
        bool, typer.Option("--engine/--no-engine", help="run the engine in this process")
    ] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes (PostgreSQL)")] = 1,
    engines: Annotated[
        int, typer.Option(min=1, max=32, help="engine child processes (PostgreSQL)")
    ] = 2,
) -> None:
    """Serve the API and the web UI, and by default the engine: a thread of this process on
    SQLite, ``--engines`` child processes (``plantao worker``) on PostgreSQL."""
    import os

    import uvicorn

    from plantao.cli.engine_process import EngineProcess

    settings = get_settings()
    _configure_logging()
    sqlite = settings.database_url.startswith("sqlite")
    if workers > 1 and sqlite:
        _fail("--workers above 1 needs PostgreSQL: SQLite takes one writer process", 2)
    # Two by default: one applies the intake inbox while the other runs escalation timers and
    # deliveries; with one, pages waited behind storms (benchmarks/README.md, Paging).
    children = [EngineProcess() for _ in range(engines)] if engine and not sqlite else []
    os.environ["PLANTAO_ENGINE_IN_SERVE"] = "true" if engine and sqlite else "false"
    get_settings.cache_clear()
    for child in children:
        child.start()
    try:
        uvicorn.run(
            "plantao.api.app:serve_app",
            factory=True,
            workers=workers,
            host=host or settings.host,
            port=port or settings.port,
            log_level="warning",
            # uvicorn's own lines and tracebacks go through the same scrubbing JSON pipeline.
            log_config=plantao_logging.uvicorn_log_config(
                settings.log_level, json=settings.log_json
            ),
            access_log=False,
            # Slow clients (docs/security-limits.md): a header read timeout uvicorn lacks,
            # idle keep-alive connections closed; X-Forwarded-* believed from trusted proxies
            # only, the same list the rate limits use to find the client's address.
            http="plantao.api.http_protocol:HeaderTimeoutProtocol",
            timeout_keep_alive=settings.http_keep_alive_seconds,
            proxy_headers=bool(settings.trusted_proxies.strip()),
            forwarded_allow_ips=settings.trusted_proxies,
        )
    finally:
        for child in children:
            child.stop()


@app.command()
def worker(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="serve this engine's Prometheus metrics (plantao_engine_database_up, lag, "
            "cycles) on http://<metrics-host>:<port>/metrics",
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="address for --metrics-port")] = "127.0.0.1",
) -> None:
    """Run the engine alone (several may run against PostgreSQL; one on SQLite)."""
    import signal
    import threading

    import structlog

    settings = get_settings()
    _configure_logging()
    if metrics_port is not None:
        # A separate engine is otherwise invisible to Prometheus: its own outage (database
        # away, reconnecting) would show only as lag on the API's /healthz/engine.
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)
    from plantao.engine.runner import make_loop

    loop = make_loop(make_sessionmaker(make_engine(settings.database_url, pool_size=4)))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    from plantao.cli.engine_process import watch_parent

    watch_parent(stop)
    # A log line, not a bare echo: every line on a worker's stderr is one JSON object.
    structlog.get_logger("plantao.engine").info(
        "engine.started", worker=loop.worker_id, stop="Ctrl-C or SIGTERM"
    )
    loop.run_forever(stop)


@integrations_app.command("list")
def integrations_list() -> None:
    """Each integration with its intake URLs (they contain the secret key)."""
    from plantao.catalog import service as catalog_service

    settings = get_settings()
    with session_scope(_sessions()) as session:
        for integration, service in catalog_service.list_integrations(session):
            urls = catalog_service.intake_urls(settings.base_url, integration.key)
            typer.echo(f"{integration.slug} ({integration.kind}) → service {service.slug}")
            if integration.kind == "pagerduty":
                typer.echo(f"  {urls['pagerduty_events_v2']}  routing_key={integration.key}")
            else:
                typer.echo(f"  {urls[integration.kind]}")


def _incident_action(ref: str, action: str, note: str | None) -> None:
    from plantao.incidents import service as incident_service
    from plantao.incidents.lifecycle import Action

    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            incident_service.act(session, incident, Action(action), actor=_actor(), note=note)
            typer.echo(f"{incident.human_id} is now {incident.status}")
    except DomainError as exc:
        _fail(exc.detail)


@incidents_app.command("list")
def incidents_list(
    status: Annotated[str, typer.Option(help="open, triggered, ..., or all")] = "open",
    severity: Annotated[str | None, typer.Option(help="sev1..sev4 or p0..p3")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List incidents, newest first."""
    from plantao.api import incident_presenter as presenter
    from plantao.incidents import service as incident_service

    try:
        with session_scope(_sessions()) as session:
            page = incident_service.list_incidents(
                session,
                statuses=[] if status == "all" else [status],
                severities=[severity] if severity else [],
                limit=limit,
            )
            rows = presenter.summaries(session, page.items)
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    for r in rows:
        typer.echo(f"{r.human_id}\t{r.severity}\t{r.status}\t{r.service}\t{r.title}")


@incidents_app.command("show")
def incidents_show(ref: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """An incident with its alerts and timeline."""
    from plantao.api import incident_presenter as presenter
    from plantao.incidents import service as incident_service

    try:
        with session_scope(_sessions()) as session:
            detail = presenter.detail(session, incident_service.get(session, ref))
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(detail.model_dump_json(indent=2))
        return
    typer.echo(
        f"{detail.human_id} [{detail.severity}/{detail.priority}] {detail.status}: {detail.title}"
    )
    typer.echo(f"service {detail.service}; detected {detail.detected_at:%Y-%m-%d %H:%M:%S} UTC")
    typer.echo(f"alerts ({len(detail.alerts)}):")
    for a in detail.alerts:
        typer.echo(f"  [{a.status}] {a.severity} {a.summary}")
    typer.echo("timeline:")
    for e in detail.timeline:
        typer.echo(f"  {e.at:%H:%M:%S} {e.actor}: {e.message}")


@incidents_app.command("ack")
def incidents_ack(ref: str, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Acknowledge an incident."""
    _incident_action(ref, "acknowledge", note)


@incidents_app.command("mitigate")
def incidents_mitigate(ref: str, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Mark an incident mitigated (impact stopped)."""
    _incident_action(ref, "mitigate", note)


@incidents_app.command("resolve")
def incidents_resolve(ref: str, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Resolve an incident."""
    _incident_action(ref, "resolve", note)


@incidents_app.command("note")
def incidents_note(
    ref: str,
    text: str,
    kind: Annotated[str, typer.Option(help="fact, inference, action or decision")] = "fact",
) -> None:
    """Add a note to an incident's timeline."""
    from plantao.incidents import service as incident_service

    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            incident_service.add_note(session, incident, actor=_actor(), text=text, kind=kind)
    except DomainError as exc:
        _fail(exc.detail)
    typer.echo("note added")


@demo_app.command("seed")
def demo_seed() -> None:
    """Send a few sample alerts through intake, once, so the UI has something to show."""
    from plantao.cli.demo import seed

    with session_scope(_sessions()) as session:
        created = seed(session)
    typer.echo(f"demo: {created} incident(s) opened" if created else "demo: data already present")


@demo_app.command("admin")
def demo_admin(
    handle: Annotated[str, typer.Option(help="the admin's user name")] = "admin",
) -> None:
    """Make sure an admin exists and give them a new generated password, printed alone on the
    last line (for a first look; use SSO or 'plantao users set-password' for real people)."""
    import secrets

    from plantao.auth import passwords
    from plantao.people import directory
    from plantao.people.actor import AuditActor

    actor = AuditActor(handle="cli:demo", via="cli")
    clear = secrets.token_urlsafe(15)
    with session_scope(_sessions()) as session:
        user = directory.by_handle(session, handle) or directory.create(
            session, handle=handle, name="Admin", global_role="admin", actor=actor
        )
        if user.global_role != "admin":
            directory.change(session, user, {"global_role": "admin"}, actor=actor)
        passwords.set_password(session, user, clear, actor=actor)
    typer.echo(f"demo: user '{handle}' is an admin with a new password", err=True)
    typer.echo(clear)


def main() -> None:
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as exc:
        # The messages name the setting and the reason; hide_input_in_errors keeps values out.
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        typer.echo(f"error: the configuration is refused: {reasons}", err=True)
        sys.exit(2)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
