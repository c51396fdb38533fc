"""``plantao gate``: the release gate from a shell or a CI job.

``plantao gate check --service S`` exits 0 when the release may go, 1 when it is blocked (the
reasons one per line) and 2 when it could not get an answer — never 0 on an error, so a
pipeline cannot ship because the gate was unreachable. With ``--url`` (or ``PLANTAO_URL``) it
asks the server's API with a token (``--token`` or ``PLANTAO_GATE_TOKEN``), which is what a CI
runner does; without a URL it answers from the local database, as the server's operator
(``cli:<os user>``). ``override``, ``revoke`` and ``decisions`` act on the local database.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

import httpx
import typer
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.cli.operator import audit_actor
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError

app = typer.Typer(no_args_is_help=True, help="The release gate: may this service ship now?")

ALLOWED, BLOCKED, ERROR = 0, 1, 2
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_DURATION = re.compile(r"^(\d{1,4})([mhd])$")

ServiceOpt = Annotated[str, typer.Option(help="the service's slug")]
EnvOpt = Annotated[
    str | None, typer.Option(help="the environment released to (omitted: any environment)")
]


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


def _error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(ERROR)


def reason_line(reason: dict[str, Any]) -> str:
    """One reason as a CI log shows it: ``AC-03 INC-… "title" owner=@alice due=2026-12-10``."""
    title = json.dumps(reason.get("title", ""), ensure_ascii=False)
    if reason.get("kind") == "action":
        owner = f"@{reason['owner']}" if reason.get("owner") else "nobody"
        return f"{reason['id']} {reason['incident']} {title} owner={owner} due={reason['due']}"
    return f"{reason['id']} {title} severity={reason.get('severity')} status={reason.get('status')}"


def _report(body: dict[str, Any], as_json: bool) -> int:
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    elif body["allowed"]:
        typer.echo("allowed")
        override = body.get("override")
        if override:
            typer.echo(
                f"override #{override['id']} by {override['by']} until "
                f"{override['expires_at']}: {override['reason']}"
            )
            for reason in body["blocking"]:
                typer.echo(f"overridden: {reason_line(reason)}")
    else:
        typer.echo(f"blocked: {body['service']} may not be released now")
        for reason in body["blocking"]:
            typer.echo(reason_line(reason))
    return ALLOWED if body["allowed"] else BLOCKED


def ask_server(url: str, token: str, service: str, environment: str | None) -> dict[str, Any]:
    """The API's answer (200 or 409); anything else is a ``typer.Exit(2)`` with why."""
    if not url.startswith(("http://", "https://")):
        raise _error("--url must start with http:// or https://")
    params = {"service": service}
    if environment:
        params["environment"] = environment
    try:
        res = httpx.get(
            url.rstrip("/") + "/api/v1/release-gate",
            params=params,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise _error(f"could not reach the gate at {url}: {type(exc).__name__}") from None
    if res.status_code in (200, 409):
        try:
            body: dict[str, Any] = res.json()
        except ValueError:
            raise _error(f"the gate answered {res.status_code} without JSON") from None
        if isinstance(body, dict) and isinstance(body.get("allowed"), bool):
            return body
        raise _error(f"the gate answered {res.status_code} with an unexpected body")
    detail = ""
    with contextlib.suppress(ValueError, AttributeError):
        detail = str(res.json().get("detail", ""))[:300]
    meaning = {
        401: "the token was refused (missing, expired or revoked)",
        403: "the token may not ask the gate",
        404: "not found",
        422: "the question is invalid",
    }.get(res.status_code, "the server failed")
    raise _error(f"{res.status_code} {meaning}{': ' + detail if detail else ''}")


@app.command("check")
def check(
    service: ServiceOpt,
    environment: EnvOpt = None,
    url: Annotated[
        str | None, typer.Option(envvar="PLANTAO_URL", help="ask this server's API")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="PLANTAO_GATE_TOKEN", help="a token with the gate scope"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's body")] = False,
) -> None:
    """Exit 0 when the service may be released, 1 when blocked (reasons printed), 2 on error."""
    if url:
        if not token:
            raise _error("--token (or PLANTAO_GATE_TOKEN) is needed with --url")
        body = ask_server(url, token, service, environment)
        raise typer.Exit(_report(body, as_json))
    from plantao.postmortems import gate

    try:
        with session_scope(_sessions()) as session:
            result, decision = gate.answer(
                session,
                service,
                environment,
                asked_by=audit_actor().handle,
                via="cli",
                who=None,
            )
            body = {**result.body(), "decision": decision.id}
    except DomainError as exc:
        raise _error(str(exc)) from None
    raise typer.Exit(_report(json.loads(json.dumps(body, default=str)), as_json))


def parse_expiry(text: str, now: datetime) -> datetime:
    """``90m``, ``2h``, ``3d`` from now, or an ISO 8601 time with its zone."""
    match = _DURATION.match(text.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now + timedelta(**{unit: int(match.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _error("--expires takes 90m, 2h, 3d or an ISO 8601 time with its zone") from None
    if when.tzinfo is None:
        raise _error("--expires needs a time zone (e.g. 2026-12-02T18:00:00Z)")
    return when


@app.command("override")
def override(
    service: ServiceOpt,
    reason: Annotated[str, typer.Option(help="why the release may go out anyway")],
    expires: Annotated[str, typer.Option(help="90m, 2h, 3d (at most 7d) or an ISO 8601 time")],
    environment: EnvOpt = None,
) -> None:
    """Let the service's releases through until it expires, whatever blocks them (audited)."""
    from plantao.postmortems import gate_overrides

    expires_at = parse_expiry(expires, clock.now())
    try:
        with session_scope(_sessions()) as session:
            row, _ = gate_overrides.create(
                session,
                service_slug=service,
                environment=environment,
                reason=reason,
                expires_at=expires_at,
                actor=audit_actor(),
            )
            typer.echo(f"override #{row.id} for {service} until {row.expires_at.isoformat()}")
    except DomainError as exc:
        raise _error(str(exc)) from None


@app.command("revoke")
def revoke(override_id: Annotated[int, typer.Argument(help="the override's number")]) -> None:
    """End an override now (audited)."""
    from plantao.postmortems import gate_overrides

    try:
        with session_scope(_sessions()) as session:
            gate_overrides.revoke(session, override_id, actor=audit_actor())
    except DomainError as exc:
        raise _error(str(exc)) from None
    typer.echo(f"override #{override_id} revoked")


@app.command("decisions")
def decisions(
    service: ServiceOpt,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The gate's recorded answers for a service, newest first."""
    from plantao.postmortems import gate

    try:
        with session_scope(_sessions()) as session:
            found = gate.service_by_slug(session, service)
            rows: list[dict[str, Any]] = [
                {
                    "id": d.id,
                    "at": d.at.isoformat(),
                    "environment": d.environment,
                    "asked_by": d.asked_by,
                    "via": d.via,
                    "allowed": d.allowed,
                    "blocking": d.blocking,
                    "override_id": d.override_id,
                }
                for d, _ in gate.decisions(session, found.id, limit=limit)
            ]
    except DomainError as exc:
        raise _error(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        answer = "allowed" if row["allowed"] else "blocked"
        ids = " ".join(r["id"] for r in row["blocking"])
        env = row["environment"] or "any"
        typer.echo(f"#{row['id']}\t{row['at']}\t{env}\t{answer}\t{row['asked_by']}\t{ids}")
