"""Reading one ISO week of the database into :class:`~plantao.postmortems.weekly_facts.WeeklyFacts`
for a team (the incidents, postmortems, actions and gate decisions of its services) or for the
whole installation, in the team's business-calendar time zone.

"Overdue" and "must-fix still open" are counted as of now (a review of an old week still says
what is late today); everything else by when it happened in the week: incidents by when they
were triggered, postmortems by their due and publication times, actions by their due date (a
local date) and when they were done, gate refusals by when they were given. The previous week's
counts come from the same queries.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.errors import NotFound
from plantao.incidents import severity_config, visibility
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.incidents.severity import SEVERITY_NAMES
from plantao.people.models import Team, User
from plantao.postmortems import calendars, iso_weeks
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.business_days import zone
from plantao.postmortems.iso_weeks import IsoWeek
from plantao.postmortems.models import ACTION_OPEN, CorrectiveAction, GateDecision, Postmortem
from plantao.postmortems.weekly_facts import (
    ActionLine,
    Figure,
    GateBlockRow,
    IncidentLine,
    PostmortemLine,
    SeverityRow,
    WeeklyFacts,
)

_OPEN = (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED)
_MAJOR = ("sev1", "sev2")


@dataclass(frozen=True)
class Scope:
    """Whose review: a team (its services) or the installation (``team`` None)."""

    team: Team | None
    time_zone: str

    def services(self, column: Any) -> ColumnElement[bool]:
        if self.team is None:
            return true()
        inside: ColumnElement[bool] = column.in_(
            select(Service.id).where(Service.team_id == self.team.id)
        )
        return inside


def scope(session: Session, team_slug: str | None) -> Scope:
    """The scope of ``team_slug`` (NotFound when no such team), in its calendar's zone."""
    team = None
    if team_slug:
        team = session.scalars(select(Team).where(Team.slug == team_slug)).one_or_none()
        if team is None:
            raise NotFound(f"team '{team_slug[:64]}' does not exist")
    calendar = calendars.for_team(session, team.id if team is not None else None)
    return Scope(team, calendar.time_zone)


def default_week(session: Session, team_slug: str | None) -> IsoWeek:
    """The last complete week in the team's zone: what a review shows when asked for none."""
    return iso_weeks.last_complete(clock.now(), scope(session, team_slug).time_zone)


def _between(column: Any, bounds: tuple[datetime, datetime]) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[1])


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (a - b).total_seconds()


def _median(values: Sequence[float | None]) -> int | None:
    present = [v for v in values if v is not None]
    return None if not present else round(statistics.median(present))


def _target(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _incidents(where: Scope, bounds: tuple[datetime, datetime]) -> Select[Any]:
    return (
        select(Incident, Service.slug)
        .join(Service, Service.id == Incident.service_id)
        .where(_between(Incident.triggered_at, bounds), where.services(Incident.service_id))
        .order_by(Incident.triggered_at, Incident.id)
    )


def _severities(
    session: Session, where: Scope, bounds: tuple[datetime, datetime], previous: dict[str, int]
) -> tuple[tuple[SeverityRow, ...], list[IncidentLine]]:
    matrix = severity_config.severity_matrix(session)
    by_severity: dict[str, list[Incident]] = defaultdict(list)
    major: list[IncidentLine] = []
    for incident, service in session.execute(_incidents(where, bounds)).tuples():
        by_severity[incident.severity].append(incident)
        if incident.severity in _MAJOR:
            major.append(
                IncidentLine(
                    incident.id,
                    incident.human_id,
                    incident.title,
                    incident.severity,
                    incident.status.value,
                    incident.private,
                    service,
                    incident.triggered_at,
                    incident.resolved_at,
                )
            )
    rows = []
    for name in SEVERITY_NAMES:
        found = by_severity.get(name, [])
        try:
            level = matrix.level(name)
            mtta, mttr = _target(level.mtta), _target(level.mttr)
        except ValueError:
            mtta = mttr = None
        rows.append(
            SeverityRow(
                name,
                Figure(len(found), previous.get(name, 0)),
                sum(1 for i in found if i.status in _OPEN),
                _median([_seconds(i.acknowledged_at, i.triggered_at) for i in found]),
                _median([_seconds(i.resolved_at, i.triggered_at) for i in found]),
                mtta,
                mttr,
            )
        )
    major.sort(key=lambda line: (line.severity, line.triggered_at))
    return tuple(rows), major


def _opened_by_severity(
    session: Session, where: Scope, bounds: tuple[datetime, datetime]
) -> dict[str, int]:
    rows = session.execute(
        select(Incident.severity, func.count())
        .where(_between(Incident.triggered_at, bounds), where.services(Incident.service_id))
        .group_by(Incident.severity)
    ).tuples()
    return {severity: int(n) for severity, n in rows}


def _postmortems(session: Session, where: Scope, *conditions: Any) -> tuple[PostmortemLine, ...]:
    rows = session.execute(
        select(Postmortem, Incident, User.handle)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .outerjoin(User, User.id == Postmortem.owner_user_id)
        .where(where.services(Incident.service_id), *conditions)
        .order_by(Postmortem.due_at, Postmortem.id)
    ).tuples()
    return tuple(
        PostmortemLine(
            incident.id,
            incident.human_id,
            incident.title,
            incident.severity,
            incident.private,
            pm.status,
            pm.due_at,
            pm.published_at,
            owner,
        )
        for pm, incident, owner in rows
    )


def _pm_due(bounds: tuple[datetime, datetime]) -> list[ColumnElement[bool]]:
    return [Postmortem.required.is_(True), _between(Postmortem.due_at, bounds)]


def _pm_published(bounds: tuple[datetime, datetime]) -> list[ColumnElement[bool]]:
    return [Postmortem.status == "published", _between(Postmortem.published_at, bounds)]


def _actions(session: Session, where: Scope, *conditions: Any) -> tuple[ActionLine, ...]:
    rows = session.execute(
        select(CorrectiveAction, Incident, User.handle)
        .join(Incident, Incident.id == CorrectiveAction.incident_id)
        .outerjoin(User, User.id == CorrectiveAction.owner_user_id)
        .where(where.services(CorrectiveAction.service_id), *conditions)
        .order_by(CorrectiveAction.due_date, CorrectiveAction.id)
    ).tuples()
    return tuple(
        ActionLine(
            incident.id,
            format_action_id(action.id),
            incident.human_id,
            action.title,
            incident.private,
            action.severity,
            action.status,
            action.must_fix,
            action.due_date,
            action.done_at,
            owner,
        )
        for action, incident, owner in rows
    )


def _act_due(days: tuple[date, date]) -> list[ColumnElement[bool]]:
    return [CorrectiveAction.due_date >= days[0], CorrectiveAction.due_date <= days[1]]


def _act_done(bounds: tuple[datetime, datetime]) -> list[ColumnElement[bool]]:
    return [CorrectiveAction.status == "done", _between(CorrectiveAction.done_at, bounds)]


def _gate_blocks(
    session: Session, where: Scope, bounds: tuple[datetime, datetime]
) -> tuple[GateBlockRow, ...]:
    rows = session.execute(
        select(GateDecision.blocking, Service.slug, Service.name)
        .join(Service, Service.id == GateDecision.service_id)
        .where(
            GateDecision.allowed.is_(False),
            _between(GateDecision.at, bounds),
            where.services(GateDecision.service_id),
        )
        .order_by(GateDecision.id)
    ).tuples()
    found: dict[str, dict[str, Any]] = {}
    for blocking, slug, name in rows:
        entry = found.setdefault(slug, {"name": name, "n": 0, "actions": [], "incidents": []})
        entry["n"] += 1
        for item in blocking or []:
            kind, ref = item.get("kind"), str(item.get("id", ""))
            bucket = entry["actions"] if kind == "action" else entry["incidents"]
            if ref and ref not in bucket:
                bucket.append(ref)
    return tuple(
        GateBlockRow(slug, e["name"], e["n"], tuple(e["actions"]), tuple(e["incidents"]))
        for slug, e in sorted(found.items())
    )


def _gate_count(session: Session, where: Scope, bounds: tuple[datetime, datetime]) -> int:
    return _count(
        session,
        select(GateDecision.id).where(
            GateDecision.allowed.is_(False),
            _between(GateDecision.at, bounds),
            where.services(GateDecision.service_id),
        ),
    )


def gather(session: Session, week: IsoWeek, team_slug: str | None = None) -> WeeklyFacts:
    """Every figure of ``week`` for the team (or the installation); titles unredacted (the
    caller redacts for its reader: :func:`~plantao.postmortems.weekly_facts.redacted`)."""
    where = scope(session, team_slug)
    now = clock.now()
    this, before = week.bounds(where.time_zone), week.shifted(-1).bounds(where.time_zone)
    days, days_before = week.days(), week.shifted(-1).days()
    today = now.astimezone(zone(where.time_zone)).date()
    previous = _opened_by_severity(session, where, before)
    severities, major = _severities(session, where, this, previous)
    pm_due = _postmortems(session, where, *_pm_due(this))
    pm_published = _postmortems(session, where, *_pm_published(this))
    act_due = _actions(session, where, *_act_due(days))
    act_done = _actions(session, where, *_act_done(this))
    blocks = _gate_blocks(session, where, this)

    def counted_pm(conditions: list[ColumnElement[bool]]) -> int:
        stmt = (
            select(Postmortem.id)
            .join(Incident, Incident.id == Postmortem.incident_id)
            .where(where.services(Incident.service_id), *conditions)
        )
        return _count(session, stmt)

    def counted_act(conditions: list[ColumnElement[bool]]) -> int:
        stmt = select(CorrectiveAction.id).where(
            where.services(CorrectiveAction.service_id), *conditions
        )
        return _count(session, stmt)

    return WeeklyFacts(
        week=str(week),
        previous_week=str(week.shifted(-1)),
        next_week=str(week.shifted(1)),
        starts_at=this[0],
        ends_at=this[1],
        time_zone=where.time_zone,
        team=where.team.slug if where.team is not None else None,
        team_name=where.team.name if where.team is not None else None,
        generated_at=now,
        complete=this[1] <= now,
        incidents=Figure(sum(r.opened.current for r in severities), sum(previous.values())),
        severities=severities,
        major_incidents=tuple(major),
        postmortems_due=pm_due,
        postmortems_due_count=Figure(len(pm_due), counted_pm(_pm_due(before))),
        postmortems_overdue=_postmortems(
            session,
            where,
            Postmortem.required.is_(True),
            Postmortem.status != "published",
            Postmortem.due_at < now,
        ),
        postmortems_published=pm_published,
        postmortems_published_count=Figure(len(pm_published), counted_pm(_pm_published(before))),
        actions_due=act_due,
        actions_due_count=Figure(len(act_due), counted_act(_act_due(days_before))),
        actions_overdue=_actions(
            session,
            where,
            CorrectiveAction.status.in_(ACTION_OPEN),
            CorrectiveAction.due_date < today,
        ),
        actions_done=act_done,
        actions_done_count=Figure(len(act_done), counted_act(_act_done(before))),
        must_fix_open=_actions(
            session,
            where,
            CorrectiveAction.must_fix.is_(True),
            CorrectiveAction.status.in_(ACTION_OPEN),
        ),
        gate_blocks=blocks,
        gate_blocks_count=Figure(
            sum(b.blocks for b in blocks), _gate_count(session, where, before)
        ),
    )


def visible_private(
    session: Session, facts: WeeklyFacts, user_id: int, is_admin: bool
) -> frozenset[int]:
    """The private incidents of ``facts`` this person may see (their titles stay)."""
    ids = sorted(facts.private_incident_ids())
    if is_admin:
        return frozenset(ids)
    audiences = visibility.audiences(session, ids)
    return frozenset(i for i, people in audiences.items() if user_id in people)
