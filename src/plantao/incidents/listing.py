"""The incident list's read model: most urgent first, filtered, one query per page.

Why its own module and not ``service.list_incidents``: the API lists by id (stable for clients
walking history); a responder at 3 a.m. wants what is burning first. Urgency is one integer
(:data:`URGENCY_SQL`, mirrored by :func:`urgency`): open incidents by severity, then status
(triggered before acknowledged before mitigated), then resolved, then closed; ties go to the
oldest (waiting longest). The ``ix_incidents_urgency`` index holds ``(urgency, triggered_at,
id)``, so a page is an index range scan that stops after ``limit + 1`` rows however many
incidents are open, and the keyset cursor continues from the last row's key. The status and
severity filters are turned into the set of urgency values they allow, so they narrow the same
index range instead of filtering rows read in another order.

"Mine" needs to know who was paged, which on-call records above this package; the caller
passes those incident ids as a subquery (:attr:`Viewer.paged`). Every page leaves out the
private incidents the viewer may not see (:func:`plantao.incidents.visibility.visible_clause`,
checked on the rows the index scan reads: private incidents are few).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    exists,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.errors import ValidationFailed
from plantao.incidents import severity as severity_rules
from plantao.incidents import visibility
from plantao.incidents.lifecycle import OPEN_STATES, Status
from plantao.incidents.models import Incident, IncidentResponder, TimelineEntry
from plantao.people.models import Team, User

PAGE_SIZE = 50

_SEVERITY_WEIGHT = {"sev1": 0, "sev2": 4, "sev3": 8, "sev4": 12}
_STATUS_WEIGHT = {
    Status.TRIGGERED: 0,
    Status.ACKNOWLEDGED: 1,
    Status.MITIGATED: 2,
    Status.RESOLVED: 100,
    Status.CLOSED: 200,
}
#: The SQL of :func:`urgency`, spelled with constants only (no bound parameters) and
#: unqualified columns, exactly as in the index definition: PostgreSQL uses an expression index
#: only for the same expression.
URGENCY_SQL = (
    "(CASE severity WHEN 'sev1' THEN 0 WHEN 'sev2' THEN 4 WHEN 'sev3' THEN 8 ELSE 12 END)"
    " + (CASE status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1"
    " WHEN 'mitigated' THEN 2 WHEN 'resolved' THEN 100 ELSE 200 END)"
)
#: Below this, an incident is open (triggered, acknowledged or mitigated).
_OPEN_BELOW = 100

ACK_KIND = "incident.acknowledged"


def urgency(severity: str, status: Status) -> int:
    """Lower is more urgent: the value :data:`URGENCY_SQL` computes in the database."""
    return _SEVERITY_WEIGHT[severity] + _STATUS_WEIGHT[status]


def urgency_column() -> ColumnElement[int]:
    return literal_column(URGENCY_SQL, Integer())


@dataclass(frozen=True)
class Filters:
    """What the list shows; every field comes from the page's URL query.

    ``status``: ``open`` (default), ``""`` for all, or one lifecycle status; ``severity``:
    ``""`` or one of sev1..sev4 (aliases accepted); ``service``/``team``: a slug or ``""``;
    ``mine``: only incidents of the viewer (see :class:`Viewer`).
    """

    status: str = "open"
    severity: str = ""
    service: str = ""
    team: str = ""
    mine: bool = False

    def checked(self) -> Filters:
        """The same filters with status and severity validated and normalised."""
        if self.status not in ("", "open") and self.status not in {s.value for s in Status}:
            known = ", ".join(s.value for s in Status)
            raise ValidationFailed(f"status: unknown status '{self.status}'; use open or {known}")
        wanted = self.severity
        if wanted:
            try:
                wanted = severity_rules.normalize(wanted)
            except ValueError as exc:
                raise ValidationFailed(f"severity: {exc}") from None
        return Filters(self.status, wanted, self.service.strip(), self.team.strip(), self.mine)

    def urgencies(self) -> list[int] | None:
        """The urgency values these filters allow, or None for all of them."""
        if self.status == "" and not self.severity:
            return None
        if self.status == "open":
            statuses = sorted(OPEN_STATES)
        elif self.status:
            statuses = [Status(self.status)]
        else:
            statuses = list(Status)
        severities = [self.severity] if self.severity else list(_SEVERITY_WEIGHT)
        return sorted({urgency(sev, st) for sev in severities for st in statuses})


@dataclass(frozen=True)
class Viewer:
    """Who "mine" is: incidents of their teams, those they were added to as a responder, those
    they acknowledged, and ``paged``: ids of incidents that paged them (a subquery from on-call,
    which sits above this package). ``is_admin``: sees private incidents they are not on."""

    user_id: int
    handle: str
    team_ids: frozenset[int]
    paged: Select[tuple[int]] | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class Listed:
    """One row of the list: the incident and what the row shows beside it."""

    id: int
    human_id: str
    title: str
    status: Status
    severity: str
    service_slug: str
    service_name: str
    team_id: int | None
    team_slug: str | None
    team_name: str | None
    triggered_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    urgency: int
    private: bool = False


@dataclass(frozen=True)
class ListPage:
    rows: list[Listed]
    next_cursor: str | None


def encode_cursor(row: Listed) -> str:
    raw = orjson.dumps([row.urgency, row.triggered_at.isoformat(), row.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    """The key of the last row of the previous page; a clear 422 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, at, last_id = orjson.loads(raw)
        when = datetime.fromisoformat(at)
        if type(rank) is not int or type(last_id) is not int or when.tzinfo is None:
            raise ValueError(cursor)
        return rank, when, last_id
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise ValidationFailed(
            "cursor: not a cursor of this list; start from the first page"
        ) from None


def _acknowledged_by() -> ColumnElement[str | None]:
    """Who acknowledged last (the timeline's actor), looked up only for the page's rows that
    were acknowledged at all."""
    last = (
        select(TimelineEntry.actor)
        .where(TimelineEntry.incident_id == Incident.id, TimelineEntry.kind == ACK_KIND)
        .order_by(TimelineEntry.id.desc())
        .limit(1)
        .correlate(Incident)
        .scalar_subquery()
    )
    return case((Incident.acknowledged_at.is_not(None), last), else_=None)


def _mine(viewer: Viewer) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [
        Incident.id.in_(
            select(IncidentResponder.incident_id).where(IncidentResponder.user_id == viewer.user_id)
        ),
        exists().where(
            TimelineEntry.incident_id == Incident.id,
            TimelineEntry.kind == ACK_KIND,
            TimelineEntry.actor == viewer.handle,
        ),
    ]
    if viewer.team_ids:
        conditions.append(Service.team_id.in_(sorted(viewer.team_ids)))
    if viewer.paged is not None:
        conditions.append(Incident.id.in_(viewer.paged))
    return or_(*conditions)


def list_page(
    session: Session,
    filters: Filters,
    *,
    viewer: Viewer,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> ListPage:
    """One page of the list, most urgent first, in one query: an inner select finds the page's
    keys along the index; the outer one reads what the rows show for those rows only (who
    acknowledged is a look-up in the timeline, never made for rows that are not shown)."""
    filters = filters.checked()
    keys = select(
        Incident.id.label("id"),
        urgency_column().label("urgency"),
        Incident.triggered_at.label("triggered_at"),
    )
    if filters.service or filters.team or filters.mine:
        keys = keys.join(Service, Service.id == Incident.service_id)
    if filters.team:
        keys = keys.join(Team, Team.id == Service.team_id).where(Team.slug == filters.team)
    if filters.service:
        keys = keys.where(Service.slug == filters.service)
    allowed = filters.urgencies()
    if allowed is not None:
        # The range is what the index scan reads; IN drops the values in between.
        keys = keys.where(urgency_column().between(allowed[0], allowed[-1]))
        if len(allowed) < allowed[-1] - allowed[0] + 1:
            keys = keys.where(urgency_column().in_(allowed))
    if filters.mine:
        keys = keys.where(_mine(viewer))
    if not viewer.is_admin:
        keys = keys.where(visibility.visible_clause(viewer.user_id, viewer.is_admin))
    if cursor:
        after_rank, after_at, after_id = decode_cursor(cursor)
        keys = keys.where(
            tuple_(urgency_column(), Incident.triggered_at, Incident.id)
            > tuple_(
                literal(after_rank, Integer()),
                literal(after_at, Incident.triggered_at.type),
                literal(after_id, Integer()),
            )
        )
    page = (
        keys.order_by(urgency_column(), Incident.triggered_at, Incident.id)
        .limit(limit + 1)
        .subquery("page")
    )
    stmt = (
        select(
            Incident.id,
            Incident.human_id,
            Incident.title,
            Incident.status,
            Incident.severity,
            Service.slug,
            Service.name,
            Service.team_id,
            Team.slug,
            Team.name,
            Incident.triggered_at,
            Incident.acknowledged_at,
            _acknowledged_by(),
            page.c.urgency,
            Incident.private,
        )
        .join(page, page.c.id == Incident.id)
        .join(Service, Service.id == Incident.service_id)
        .outerjoin(Team, Team.id == Service.team_id)
        .order_by(page.c.urgency, page.c.triggered_at, page.c.id)
    )
    rows = [
        Listed(
            id=r[0],
            human_id=r[1],
            title=r[2],
            status=r[3],
            severity=r[4],
            service_slug=r[5],
            service_name=r[6],
            team_id=r[7],
            team_slug=r[8],
            team_name=r[9],
            triggered_at=r[10],
            acknowledged_at=r[11],
            acknowledged_by=r[12],
            urgency=int(r[13]),
            private=bool(r[14]),
        )
        for r in session.execute(stmt)
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return ListPage(rows=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)


def responders_of(
    incident_ids: Sequence[int],
) -> Select[tuple[int, str, str, datetime]]:
    """``(incident_id, "responder", handle, added_at)`` of the people added by hand to these
    incidents: a select in the shape of the page's other "who's on it" rows, so the caller can
    read them all in one query (``UNION ALL``)."""
    return (
        select(
            IncidentResponder.incident_id,
            literal("responder", String()),
            User.handle,
            IncidentResponder.added_at,
        )
        .join(User, User.id == IncidentResponder.user_id)
        .where(IncidentResponder.incident_id.in_(incident_ids))
    )
