"""The audit log page (admins): the same filters as ``GET /api/v1/audit``, kept in the URL so a
filtered view can be bookmarked or sent, pages that follow the log's keyset cursor, and
exports of what the filter matches."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from plantao.api.deps import SessionDep, get_factory
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import ValidationFailed
from plantao.people import audit_query
from plantao.people.audit_query import AuditFilter
from plantao.people.models import AuditEntry
from plantao.web import admin_common

router = APIRouter(include_in_schema=False)

FIELDS = ("actor", "action", "object_type", "object_id", "since", "until")
_LIMITS = {
    "actor": 200,
    "action": 64,
    "object_type": 32,
    "object_id": 200,
    "since": 40,
    "until": 40,
}


def typed(request: Request) -> dict[str, str]:
    """The filter fields as the person typed them (shown back in the form as they were)."""
    return {name: request.query_params.get(name, "").strip()[: _LIMITS[name]] for name in FIELDS}


def _filter(values: dict[str, str], principal: Principal) -> AuditFilter:
    """Times typed without an offset (``datetime-local``) are in the viewer's own zone."""
    for name, value in values.items():
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValidationFailed(f"{name}: control characters are not allowed")
    tz = admin_common.zone(principal)
    return AuditFilter(
        actor=values["actor"] or None,
        action=values["action"] or None,
        object_type=values["object_type"] or None,
        object_id=values["object_id"] or None,
        since=audit_query.parse_time(values["since"], tz, "since"),
        until=audit_query.parse_time(values["until"], tz, "until"),
    )


def changed(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """The fields that differ between before and after (all of after for a creation)."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


@router.get("/audit", response_class=HTMLResponse, response_model=None)
def audit_page(request: Request, session: SessionDep, cursor: str = "") -> Response:
    """Newest first, 50 a page; an unreadable filter is an error above the form, kept."""
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    values = typed(request)
    error = None
    entries: list[AuditEntry] = []
    next_cursor = None
    query: dict[str, str] = {k: v for k, v in values.items() if v}
    try:
        found = audit_query.page(
            session, _filter(values, principal), cursor=cursor[:12] or None, limit=50
        )
        entries, next_cursor = found.items, found.next_cursor
    except ValidationFailed as exc:
        error = exc.detail
    return admin_common.page(
        request,
        "admin/audit.html",
        principal,
        status_code=422 if error else 200,
        values=values,
        error=error,
        entries=entries,
        changed=changed,
        older=f"?{urlencode({**query, 'cursor': next_cursor})}" if next_cursor else None,
        newest=f"?{urlencode(query)}" if cursor else None,
        export_csv=f"/audit/export?{urlencode({**query, 'format': 'csv'})}",
        export_jsonl=f"/audit/export?{urlencode({**query, 'format': 'jsonl'})}",
    )


@router.get("/audit/export", response_model=None)
def audit_export(request: Request, session: SessionDep, format: str = "csv") -> Response:
    """The filtered log as a download (the browser session's twin of the API export)."""
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    filt = _filter(typed(request), principal)
    media_type, lines = audit_query.export(get_factory(request), filt, format)
    return StreamingResponse(
        lines,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="plantao-audit.{format}"',
            "Cache-Control": "no-store",
        },
    )
