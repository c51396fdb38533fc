"""Alert intake endpoints: authenticated by the integration key in the URL or routing_key.

Each request is read with a size cap, parsed once, validated at the edge and committed to the
intake inbox before the answer, so a 2xx means the alerts are durable; the engine then applies
them (dedup, grouping, incidents; a change event is recorded) within milliseconds. Concurrent
requests share one commit (``writer``), and the event loop never blocks on the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import orjson
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.schemas import AlertEvent
from plantao.api.deps import Admin, SessionDep
from plantao.api.errors import problem, problem_responses
from plantao.api.params import BigId
from plantao.catalog import service as catalog_service
from plantao.changes.schemas import ChangeIn
from plantao.db import run_transaction
from plantao.errors import NotFound
from plantao.intake import inbox, limits, openapi
from plantao.intake.body import BodyTooLarge, read_body
from plantao.intake.inbox import CHANGE, Submission
from plantao.intake.models import InboxEntry
from plantao.intake.schemas import Rejected, describe_validation_error, put_links, real_time
from plantao.intake.sources import alertmanager, generic, pagerduty
from plantao.intake.writer import IntakeWriter, Unstorable
from plantao.observability.metrics import ALERTS_ACCEPTED, ALERTS_RECEIVED, INTAKE_REJECTED

router = APIRouter(tags=["intake"])
log = structlog.get_logger("plantao.intake")


async def _read(request: Request, limit: int) -> bytes:
    return await read_body(request.stream(), request.headers.get("content-length"), limit)


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


class StoreFailed(Exception):
    """The inbox commit failed: nothing of this request was stored.

    ``refused``: the database refused this request's own values, so retrying cannot help (4xx);
    otherwise the database was away and the sender must retry (503).
    """

    def __init__(self, *, refused: bool) -> None:
        super().__init__("refused" if refused else "unavailable")
        self.refused = refused


def _request_id() -> str | None:
    """The request id to store with the entry, if it can be stored (it comes from a header)."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    if not isinstance(value, str) or limits.violation(value) is not None:
        return None
    return value[:64]


async def _store(
    request: Request,
    key: str,
    source: str,
    events: list[AlertEvent],
    records: list[dict[str, Any]] | None = None,
) -> int | None:
    """Commit the signal to the inbox: the entry id, or None for an unknown key."""
    writer: IntakeWriter = request.app.state.intake_writer
    submission = Submission(key, source, events, _request_id(), records or ())
    try:
        return await writer.submit(submission)
    except Unstorable as exc:
        raise StoreFailed(refused=True) from exc
    except Exception as exc:
        raise StoreFailed(refused=False) from exc


def _accepted(body: dict[str, Any]) -> Response:
    """The 202 answer, serialised with orjson: this is the hottest response of the product."""
    return Response(orjson.dumps(body), status_code=202, media_type="application/json")


def _unavailable() -> Response:
    return problem(
        503,
        "Service unavailable",
        "the alerts could not be stored; nothing was accepted, retry later",
    )


def _unstorable() -> Response:
    return problem(
        422,
        "Unprocessable alerts",
        "the database refused a value of this request; nothing was accepted from it",
    )


def _known(factory: sessionmaker[Session], key: str) -> bool:
    return run_transaction(factory, lambda s: catalog_service.integration_ref(s, key)) is not None


async def _alert_batch(
    request: Request,
    key: str,
    source: str,
    parse: Callable[[Any], tuple[list[AlertEvent], list[Rejected]]],
) -> Response:
    settings = request.app.state.settings
    factory = _factory(request)
    unknown = problem(404, "Unknown integration", "no integration has this key")
    try:
        raw = await _read(request, settings.intake_max_body_bytes)
    except BodyTooLarge:
        INTAKE_REJECTED.labels(source, "too_large").inc()
        return problem(
            413,
            "Payload too large",
            f"the body is larger than {settings.intake_max_body_bytes} bytes",
        )
    parsed = _parse(raw, parse)
    if isinstance(parsed, _BadBody):
        # The key is checked before reporting a body error, so a wrong URL reads as a wrong URL.
        if not await anyio.to_thread.run_sync(_known, factory, key):
            INTAKE_REJECTED.labels(source, "unknown_key").inc()
            return unknown
        INTAKE_REJECTED.labels(source, parsed.reason).inc()
        return parsed.response
    events, rejected = parsed
    try:
        entry = await _store(request, key, source, events)
    except StoreFailed as failed:
        INTAKE_REJECTED.labels(source, "unstorable" if failed.refused else "unavailable").inc()
        return _unstorable() if failed.refused else _unavailable()
    if entry is None:
        INTAKE_REJECTED.labels(source, "unknown_key").inc()
        return unknown
    ALERTS_ACCEPTED.labels(source).inc(len(events))
    if rejected:
        ALERTS_RECEIVED.labels(source, "invalid").inc(len(rejected))
        log.warning(
            "intake.partially_rejected",
            source=source,
            rejected=[{"index": r.index, "error": r.error} for r in rejected],
        )
    body_out: dict[str, Any] = {
        "status": "accepted",
        "accepted": len(events),
        "intake_id": entry,
        "rejected": [{"index": r.index, "error": r.error} for r in rejected],
    }
    return _accepted(body_out)


@dataclass(frozen=True)
class _BadBody:
    response: JSONResponse
    reason: str  # the metric label: bad_json or schema


def _parse(
    raw: bytes, parse: Callable[[Any], tuple[list[AlertEvent], list[Rejected]]]
) -> tuple[list[AlertEvent], list[Rejected]] | _BadBody:
    """Parse and validate; a problem response (tagged with the metric reason) on failure."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _BadBody(
            problem(400, "Malformed JSON", f"the body is not valid JSON: {exc}"), "bad_json"
        )
    try:
        events, rejected = parse(body)
    except ValidationError as exc:
        return _BadBody(problem(422, "Validation failed", describe_validation_error(exc)), "schema")
    except generic.NotABatch as exc:
        return _BadBody(problem(422, "Validation failed", str(exc)), "schema")
    except limits.Unacceptable as exc:
        found = exc.violation
        return _BadBody(
            problem(
                422,
                "Validation failed",
                str(found),
                errors=[{"field": found.field, "message": found.message}],
            ),
            "schema",
        )
    if not events and rejected:
        return _BadBody(
            problem(
                422,
                "Validation failed",
                "; ".join(r.error for r in rejected),
                errors=[{"index": r.index, "error": r.error} for r in rejected],
            ),
            "schema",
        )
    return events, rejected


@router.post(
    "/api/v1/intake/{key}/alertmanager",
    status_code=202,
    responses=openapi.BATCH_RESPONSES,
    openapi_extra=openapi.ALERTMANAGER_BODY,
)
async def alertmanager_webhook(key: str, request: Request) -> Response:
    """Prometheus Alertmanager webhook receiver (payload version 4)."""
    return await _alert_batch(request, key, "alertmanager", alertmanager.parse)


@router.post(
    "/api/v1/intake/{key}/grafana",
    status_code=202,
    responses=openapi.BATCH_RESPONSES,
    openapi_extra=openapi.ALERTMANAGER_BODY,
)
async def grafana_webhook(key: str, request: Request) -> Response:
    """Grafana unified alerting webhook contact point."""
    return await _alert_batch(
        request, key, "grafana", lambda body: alertmanager.parse(body, source="grafana")
    )


@router.post(
    "/api/v1/intake/{key}/generic",
    status_code=202,
    responses=openapi.BATCH_RESPONSES,
    openapi_extra=openapi.GENERIC_BODY,
)
async def generic_webhook(key: str, request: Request) -> Response:
    """Plain JSON alerts: one object, a list, or {"alerts": [...]}."""
    return await _alert_batch(request, key, "generic", generic.parse)


def _pd_error(status: int, errors: list[str], message: str = "Event object is invalid") -> Response:
    return JSONResponse(
        {"status": "invalid event", "message": message, "errors": errors}, status_code=status
    )


async def _pd_body(request: Request) -> tuple[Any, Response | None]:
    settings = request.app.state.settings
    try:
        raw = await _read(request, settings.intake_max_body_bytes)
    except BodyTooLarge:
        INTAKE_REJECTED.labels("pagerduty", "too_large").inc()
        return None, _pd_error(413, ["Request body is too large"], "Payload too large")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        INTAKE_REJECTED.labels("pagerduty", "bad_json").inc()
        return None, _pd_error(400, ["Malformed JSON"], "Event object is invalid")
    unstorable = limits.violation(body)
    if unstorable is not None:
        INTAKE_REJECTED.labels("pagerduty", "schema").inc()
        return None, _pd_error(400, [str(unstorable)])
    return body, None


def _pd_errors(exc: ValidationError) -> list[str]:
    return [part for part in describe_validation_error(exc).split("; ") if part]


@router.post(
    "/v2/enqueue",
    status_code=202,
    responses=openapi.PD_RESPONSES,
    openapi_extra=openapi.PD_BODY,
)
async def pagerduty_enqueue(request: Request) -> Response:
    """PagerDuty Events API v2: trigger, acknowledge and resolve."""
    body, error = await _pd_body(request)
    if error is not None:
        return error
    try:
        event = pagerduty.Event.model_validate(body)
    except ValidationError as exc:
        INTAKE_REJECTED.labels("pagerduty", "schema").inc()
        return _pd_error(400, _pd_errors(exc))
    alert_event = pagerduty.to_alert_event(event)
    try:
        entry = await _store(request, event.routing_key, "pagerduty", [alert_event])
    except StoreFailed as failed:
        if failed.refused:
            INTAKE_REJECTED.labels("pagerduty", "unstorable").inc()
            return _pd_error(400, ["The event holds a value that cannot be stored"])
        INTAKE_REJECTED.labels("pagerduty", "unavailable").inc()
        return _pd_error(503, ["Temporarily unavailable, retry"], "Service unavailable")
    if entry is None:
        INTAKE_REJECTED.labels("pagerduty", "unknown_key").inc()
        return _pd_error(404, ["Invalid routing key"], "Routing key not found")
    ALERTS_ACCEPTED.labels("pagerduty").inc()
    return _accepted(
        {"status": "success", "message": "Event processed", "dedup_key": alert_event.identity}
    )


@router.post(
    "/v2/change/enqueue",
    status_code=202,
    responses=openapi.PD_CHANGE_RESPONSES,
    openapi_extra=openapi.PD_CHANGE_BODY,
)
async def pagerduty_change(request: Request) -> Response:
    """PagerDuty change events: accepted into the inbox, then shown beside incidents of the
    service."""
    body, error = await _pd_body(request)
    if error is not None:
        return error
    try:
        event = pagerduty.ChangeEvent.model_validate(body)
    except ValidationError as exc:
        INTAKE_REJECTED.labels(CHANGE, "schema").inc()
        return _pd_error(400, _pd_errors(exc))
    details: dict[str, Any] = {}
    if event.payload.custom_details is not None:
        details["custom_details"] = event.payload.custom_details
    put_links(details, event.links)
    change = ChangeIn(
        summary=event.payload.summary,
        source=event.payload.source,
        occurred_at=real_time(event.payload.timestamp),
        details=details,
    )
    try:
        entry = await _store(request, event.routing_key, CHANGE, [], [change.to_json()])
    except StoreFailed as failed:
        if failed.refused:
            INTAKE_REJECTED.labels(CHANGE, "unstorable").inc()
            return _pd_error(400, ["The event holds a value that cannot be stored"])
        INTAKE_REJECTED.labels(CHANGE, "unavailable").inc()
        return _pd_error(503, ["Temporarily unavailable, retry"], "Service unavailable")
    if entry is None:
        INTAKE_REJECTED.labels(CHANGE, "unknown_key").inc()
        return _pd_error(404, ["Invalid routing key"], "Routing key not found")
    ALERTS_ACCEPTED.labels(CHANGE).inc()
    return JSONResponse({"status": "success", "message": "Change event processed"}, status_code=202)


# ---------------------------------------------------------------------------------------------
# Operators' view of the inbox: how far behind the engine is, and what it set aside. An entry the
# engine could not apply is kept (``failed``), never dropped; an admin reads its error here and
# puts it back in line once the cause is fixed.


class FailedEntryOut(BaseModel):
    id: int
    integration: str | None
    source: str
    alert_count: int
    request_id: str | None
    received_at: datetime
    attempts: int
    last_error: str | None


class InboxOut(BaseModel):
    pending_entries: int
    pending_alerts: int
    oldest_pending_seconds: float
    failed_entries: int
    failed: list[FailedEntryOut]


class RetriedOut(BaseModel):
    requeued: int


def _out(entry: InboxEntry, slugs: dict[int, str]) -> FailedEntryOut:
    return FailedEntryOut(
        id=entry.id,
        integration=slugs.get(entry.integration_id),
        source=entry.source,
        alert_count=entry.alert_count,
        request_id=entry.request_id,
        received_at=entry.received_at,
        attempts=entry.attempts,
        last_error=entry.last_error,
    )


# The inbox admin routes answer the API's problem+json errors (token, role, unknown entry).
_ADMIN_ERRORS = problem_responses(400, 401, 403, 404, 422, 503)


@router.get("/api/v1/intake/inbox", responses=_ADMIN_ERRORS)
def inbox_status(session: SessionDep, _admin: Admin, limit: int = 100) -> InboxOut:
    """Depth of the inbox and the entries set aside as failed (oldest first)."""
    depth = inbox.depth(session)
    slugs = {i: ref.slug for i, ref in catalog_service.integrations_by_id(session).items()}
    return InboxOut(
        pending_entries=depth.pending_entries,
        pending_alerts=depth.pending_alerts,
        oldest_pending_seconds=round(depth.oldest_pending_age.total_seconds(), 3),
        failed_entries=depth.failed_entries,
        failed=[_out(e, slugs) for e in inbox.failed_entries(session, min(max(limit, 1), 1000))],
    )


@router.post("/api/v1/intake/inbox/retry", responses=_ADMIN_ERRORS)
def retry_all(session: SessionDep, who: Admin) -> RetriedOut:
    """Put every failed entry back in line (each one audited)."""
    requeued = inbox.retry_failed(session, actor=who.audit_actor)
    session.commit()
    return RetriedOut(requeued=requeued)


@router.post("/api/v1/intake/inbox/{entry_id}/retry", responses=_ADMIN_ERRORS)
def retry_one(entry_id: BigId, session: SessionDep, who: Admin) -> RetriedOut:
    """Put one failed entry back in line (audited)."""
    requeued = inbox.retry_failed(session, entry_id, actor=who.audit_actor)
    if not requeued:
        raise NotFound(f"no failed inbox entry {entry_id}")
    session.commit()
    return RetriedOut(requeued=requeued)
