"""The incident list (``/``): what is burning, most urgent first, and who is on it.

One page costs two queries whatever the number of open incidents: the urgency-ordered page of
incidents (:func:`plantao.incidents.listing.list_page`, an index range scan) and one ``UNION
ALL`` for the "who's on it" column of those rows (the people paged by the escalation's latest
firing, its next step, the responders added by hand). That second query reads on-call tables,
which the incidents package may not import, so it is assembled here, at the entry point.

The filters live in the URL query, so a filtered list can be bookmarked and shared, and the
live update (``static/incidents.js``) re-fetches the same URL with ``partial=1`` to swap only
the list. Bulk acknowledge/resolve posts one form; each incident is checked on its own
(``incident_access.get_to_act``) and the outcome is summarised after the redirect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.catalog import service as catalog_service
from plantao.command import cadence
from plantao.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from plantao.incidents import access as incident_access
from plantao.incidents import listing, severity_config
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action, Status
from plantao.oncall.models import Escalation, Page
from plantao.people import teams as people_teams
from plantao.people.models import Team, User
from plantao.web import rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

_FLASH = "il_bulk"
_TEXT = 64  # longest filter value taken from the URL
#: Most incidents one bulk form may act on (two pages of the list).
MAX_REFS = 100
_SHOWN_REFS = 10  # refs named per line of the summary (the session cookie stays small)


@dataclass
class OnIt:
    """What the "who's on it" cell shows for one incident."""

    paged: list[str] = field(default_factory=list)
    paged_at: datetime | None = None
    next_at: datetime | None = None
    responders: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """One incident as the list shows it."""

    item: listing.Listed
    on_it: OnIt
    priority: str
    ack_due_at: datetime | None
    ack_overdue: bool
    can_act: bool
    triggered_local: str
    ack_due_local: str | None
    #: The next status update is past due (seed 002 cadence).
    update_overdue: bool = False


def on_it(session: Session, incident_ids: Sequence[int]) -> dict[int, OnIt]:
    """The "who's on it" facts of these incidents, in one query."""
    found: dict[int, OnIt] = {i: OnIt() for i in incident_ids}
    if not incident_ids:
        return found
    ids = list(incident_ids)
    earlier = aliased(Page)
    latest_firing = (
        select(func.max(earlier.firing))
        .where(earlier.incident_id == Page.incident_id)
        .correlate(Page)
        .scalar_subquery()
    )
    paged = (
        select(Page.incident_id, literal("paged", String()), User.handle, Page.paged_at)
        .join(User, User.id == Page.user_id)
        .where(Page.incident_id.in_(ids), Page.firing == latest_firing)
    )
    upcoming = select(
        Escalation.incident_id,
        literal("next", String()),
        literal(None, String()),
        Escalation.due_at,
    ).where(
        Escalation.incident_id.in_(ids),
        Escalation.state == "active",
        Escalation.due_at.is_not(None),
    )
    rows: Sequence[Any] = session.execute(
        union_all(paged, upcoming, listing.responders_of(ids))
    ).all()
    for incident_id, kind, handle, at in rows:
        entry = found[incident_id]
        if kind == "paged":
            entry.paged.append(handle)
            entry.paged_at = max(entry.paged_at or at, at)
        elif kind == "next":
            entry.next_at = at
        else:
            entry.responders.append(handle)
    for entry in found.values():
        entry.paged.sort()
        entry.responders.sort()
    return found


@dataclass
class BulkOutcome:
    """What one bulk form did, kept in the session until the list shows it."""

    action: str
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (ref, team name or "")
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ref, status it was in)
    missing: list[str] = field(default_factory=list)

    def as_flash(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "done": len(self.done),
            "refused": self.refused[:_SHOWN_REFS],
            "refused_count": len(self.refused),
            "skipped": self.skipped[:_SHOWN_REFS],
            "skipped_count": len(self.skipped),
            "missing": self.missing[:_SHOWN_REFS],
            "missing_count": len(self.missing),
        }


def apply_bulk(
    session: Session, who: Principal, action: Action, refs: Sequence[str]
) -> BulkOutcome:
    """Act on each incident the person may act on; the others are counted with the reason.

    Every check comes before any write for that incident (permission, then the lifecycle), so
    a refused one leaves nothing behind. Refs are taken in sorted order, so two bulk forms
    sent at once lock their incidents in the same order.
    """
    outcome = BulkOutcome(action=action.value)
    for ref in sorted({r.strip() for r in refs if r.strip()}):
        try:
            incident = incident_access.get_to_act(session, ref, who)
            incident_service.act(session, incident, action, actor=who.actor)
        except NotFound:
            outcome.missing.append(ref)
        except PermissionDenied:
            outcome.refused.append((ref, _team_name(session, ref)))
        except InvalidTransition:
            outcome.skipped.append((ref, incident_service.get(session, ref).status.value))
        else:
            outcome.done.append(incident.human_id)
    return outcome


def bulk_summary(flash: dict[str, Any], texts: dict[str, str]) -> tuple[str, bool]:
    """The sentence shown after a bulk form ("3 acknowledged, 1 refused: you are not a
    responder of team SRE (INC-…)") and whether everything asked for was done."""

    def refs(items: list[str], total: int) -> str:
        return " (" + ", ".join(items) + (", …" if total > len(items) else "") + ")"

    asked = flash["done"] + flash["refused_count"] + flash["skipped_count"] + flash["missing_count"]
    if not asked:
        return texts["il_bulk_none"], False
    parts = [texts[f"il_done_{flash['action']}"].format(n=flash["done"])]
    if flash["refused_count"]:
        by_team: dict[str, list[str]] = {}
        for ref, team in flash["refused"]:
            by_team.setdefault(team, []).append(ref)
        reasons = "; ".join(
            (texts["il_refused_team"].format(team=team) if team else texts["il_refused_other"])
            + refs(items, len(items))
            for team, items in by_team.items()
        )
        more = ", …" if flash["refused_count"] > len(flash["refused"]) else ""
        parts.append(texts["il_refused"].format(n=flash["refused_count"]) + ": " + reasons + more)
    if flash["skipped_count"]:
        by_status: dict[str, list[str]] = {}
        for ref, status in flash["skipped"]:
            by_status.setdefault(status, []).append(ref)
        reasons = "; ".join(
            texts["il_skipped_status"].format(status=texts[status].lower())
            + refs(items, len(items))
            for status, items in by_status.items()
        )
        parts.append(texts["il_skipped"].format(n=flash["skipped_count"]) + ": " + reasons)
    if flash["missing_count"]:
        parts.append(
            texts["il_missing"].format(n=flash["missing_count"])
            + refs(flash["missing"], flash["missing_count"])
        )
    clean = not (flash["refused_count"] or flash["skipped_count"] or flash["missing_count"])
    return ", ".join(parts), clean


def _team_name(session: Session, ref: str) -> str:
    team_id = incident_access.team_of(session, incident_service.get(session, ref))
    team = session.get(Team, team_id) if team_id is not None else None
    return team.name if team is not None else ""


def local_text(at: datetime, zone: ZoneInfo) -> str:
    """The absolute time in the viewer's zone: the text of a ``<time>`` (static/time.js shows
    it relative and keeps this as the title)."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _zone(principal: Principal) -> ZoneInfo:
    try:
        return ZoneInfo(principal.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def rows_for(session: Session, principal: Principal, page: listing.ListPage) -> list[Row]:
    facts = on_it(session, [r.id for r in page.rows])
    dues = cadence.dues(session, [r.id for r in page.rows])
    matrix = severity_config.severity_matrix(session)
    now = clock.now()
    zone = _zone(principal)
    rows = []
    for item in page.rows:
        level = matrix.level(item.severity)
        due = None if level.mtta is None else item.triggered_at + level.mtta
        waiting = item.status is Status.TRIGGERED
        facts_of = facts[item.id]
        rows.append(
            Row(
                item=item,
                on_it=facts_of,
                priority=level.priority,
                ack_due_at=due if waiting else None,
                ack_overdue=waiting and due is not None and now > due,
                can_act=principal.can(
                    Need.RESPOND,
                    item.team_id,
                    granted=principal.handle in facts_of.responders,
                ),
                triggered_local=local_text(item.triggered_at, zone),
                ack_due_local=local_text(due, zone) if waiting and due is not None else None,
                update_overdue=item.id in dues and dues[item.id].overdue,
            )
        )
    return rows


def _query(filters: listing.Filters, cursor: str | None = None, **extra: str) -> str:
    """The list's URL query for these filters (empty values left out)."""
    values = {
        "status": filters.status,
        "severity": filters.severity,
        "service": filters.service,
        "team": filters.team,
        "mine": "1" if filters.mine else "",
        "cursor": cursor or "",
        **extra,
    }
    # status="" means "all" and must survive the round trip, unlike the other empty values.
    kept = {k: v for k, v in values.items() if v or k == "status"}
    return urlencode(kept)


Text = Annotated[str, Query(max_length=_TEXT)]


@router.get("/", response_class=HTMLResponse, response_model=None)
def incidents_page(
    request: Request,
    session: SessionDep,
    status: Text = "open",
    severity: Text = "",
    service: Text = "",
    team: Text = "",
    mine: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    partial: bool = False,
) -> Response:
    """The list; ``partial=1`` answers only the list region (the live update swaps it in)."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    filters = listing.Filters(status, severity, service, team, mine).checked()
    viewer = listing.Viewer(
        user_id=principal.user_id,
        handle=principal.handle,
        team_ids=frozenset(principal.access.team_roles),
        paged=select(Page.incident_id).where(Page.user_id == principal.user_id),
        is_admin=principal.is_admin,
    )
    page = listing.list_page(session, filters, viewer=viewer, cursor=cursor)
    rows = rows_for(session, principal, page)
    context: dict[str, Any] = {
        "rows": rows,
        "filters": filters,
        "cursor": cursor,
        "next_query": _query(filters, page.next_cursor) if page.next_cursor else None,
        "first_query": _query(filters) if cursor else None,
        "bulk": principal.can(Need.RESPOND) or any(r.can_act for r in rows),
    }
    zone = _zone(principal)
    context["local"] = lambda at: local_text(at, zone)
    flash = None if partial else request.session.pop(_FLASH, None)
    if partial:
        response = rendering.render(request, "incidents/list.html", principal, **context)
        response.headers["Cache-Control"] = "no-store"
        return response
    return rendering.render(
        request,
        "incidents.html",
        principal,
        services=catalog_service.list_services(session),
        teams=people_teams.list_teams(session),
        rows_query=_query(filters, cursor, partial="1"),
        here=quote("/?" + _query(filters, cursor), safe=""),
        summary=bulk_summary(flash, TEXTS[rendering.lang(request)]) if flash else None,
        **context,
    )


@router.post("/incidents/bulk", response_model=None)
def bulk_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    action: Annotated[str, Form(max_length=16)],
    ref: Annotated[list[str] | None, Form()] = None,
    status: Annotated[str, Form(max_length=_TEXT)] = "open",
    severity: Annotated[str, Form(max_length=_TEXT)] = "",
    service: Annotated[str, Form(max_length=_TEXT)] = "",
    team: Annotated[str, Form(max_length=_TEXT)] = "",
    mine: Annotated[bool, Form()] = False,
    cursor: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Acknowledge or resolve the checked incidents; back to the same filtered list with a
    summary (post/redirect/get)."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    rendering.check_csrf(request, csrf)
    if action not in (Action.ACKNOWLEDGE.value, Action.RESOLVE.value):
        raise ValidationFailed("action: use acknowledge or resolve")
    refs = ref or []
    if len(refs) > MAX_REFS:
        raise ValidationFailed(f"ref: at most {MAX_REFS} incidents at once")
    outcome = apply_bulk(session, principal, Action(action), refs)
    session.commit()
    request.session[_FLASH] = outcome.as_flash()
    filters = listing.Filters(status, severity, service, team, mine)
    return RedirectResponse("/?" + _query(filters, cursor or None), status_code=303)
