"""On-call load: who gets paged, how often outside working hours and at night, in *their* day.

Why per person: a team's average hides the one person who took every night page; 000/001 ask
for the night pages to be visible. A page is an ``oncall_pages`` row (one person paged by one
firing of an escalation, so a repeated escalation round is a second page). The scope selects
pages by **when they were sent** (``paged_at`` in ``[start, end)``), not by when their incident
was triggered: the load falls on the night the phone rang. Service, team and severity filters
apply through the page's incident.

Each page is classified by :mod:`plantao.kpis.local_hours` in the paged person's time zone
(``users.time_zone``) against the business calendar of the team that owns the incident's
service (its working weekdays and holidays; the installation's default calendar, else Monday to
Friday, when the team has none), so a São Paulo engineer's 23:00 and a Lisbon engineer's 23:00
are both nights. That classification runs in Python over the page rows, which are few (one per
person paged), never over alerts.

*Sleep-interrupting pages per week* is night pages divided by the weeks in the period
(``days / 7``), per person and overall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.kpis.local_hours import person_zone, slots
from plantao.kpis.response import week_start, weeks
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import Cell, KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import share
from plantao.oncall.models import Page
from plantao.people.models import Team, User
from plantao.postmortems import calendars
from plantao.postmortems.business_days import Calendar

#: Weekly series, in the order charts draw them.
SERIES = ("pages", "outside_working_hours", "night")


@dataclass(frozen=True)
class Person:
    user_id: int
    handle: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class PersonLoad:
    """One person's pages in the period and when they fell in their day."""

    handle: str
    name: str
    time_zone: str
    pages: int
    outside_working_hours: int
    night: int
    night_per_week: float | None

    def row(self) -> tuple[Cell, ...]:
        return (
            self.handle,
            self.name,
            self.time_zone,
            self.pages,
            self.outside_working_hours,
            self.night,
            self.night_per_week,
            share(self.outside_working_hours, self.pages),
        )


PERSON_COLUMNS = (
    "handle",
    "name",
    "time_zone",
    "pages",
    "outside_working_hours",
    "night",
    "night_pages_per_week",
    "outside_working_hours_share",
)


@dataclass(frozen=True)
class OncallLoadReport:
    """Pages per person of one scope, with the weekly trend of pages, evening and night."""

    scope: KpiScope
    people: tuple[PersonLoad, ...]
    trends: tuple[WeekPoint, ...]

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.people)

    @property
    def night(self) -> int:
        return sum(p.night for p in self.people)

    @property
    def outside_working_hours(self) -> int:
        return sum(p.outside_working_hours for p in self.people)

    def summary(self) -> dict[str, Cell]:
        return {
            "pages": self.pages,
            "people_paged": len(self.people),
            "outside_working_hours": self.outside_working_hours,
            "outside_working_hours_share": share(self.outside_working_hours, self.pages),
            "night": self.night,
            "night_pages_per_week": per_week(self.night, self.scope),
        }

    def as_api(self) -> dict[str, Any]:
        """A JSON body for an API route: the summary, one row per person, the weekly trend."""
        return {
            **self.scope.query(),
            "summary": self.summary(),
            "by_person": [dict(zip(PERSON_COLUMNS, p.row(), strict=True)) for p in self.people],
            "weekly": week_table("oncall_load_weekly", self.trends).records(),
        }

    def section(self) -> Section:
        summary = self.summary()
        return Section(
            name="oncall_load",
            tables=(
                KpiTable("oncall_load_summary", tuple(summary), (tuple(summary.values()),)),
                KpiTable(
                    "oncall_load_by_person",
                    PERSON_COLUMNS,
                    tuple(p.row() for p in self.people),
                ),
                week_table("oncall_load_weekly", self.trends),
            ),
            trends=self.trends,
            headline={
                "pages": self.pages,
                "night": self.night,
                "night_pages_per_week": per_week(self.night, self.scope),
            },
        )


def per_week(count: int, scope: KpiScope) -> float:
    """``count`` spread over the weeks of the period (a 30-day period is 30/7 weeks)."""
    return count / (scope.days / 7)


def _filters(scope: KpiScope) -> list[ColumnElement[bool]]:
    """Pages sent in the period, of the scope's service / team / severity (via the incident)."""
    conditions: list[ColumnElement[bool]] = [
        Page.paged_at >= scope.start,
        Page.paged_at < scope.end,
    ]
    if scope.service:
        conditions.append(Service.slug == scope.service)
    if scope.team:
        conditions.append(
            Service.team_id == select(Team.id).where(Team.slug == scope.team).scalar_subquery()
        )
    if scope.severity:
        conditions.append(Incident.severity == scope.severity)
    return conditions


def compute(session: Session, scope: KpiScope) -> OncallLoadReport:
    """On-call load of ``scope``: one query for the people, one for the calendars, one for the
    pages, streamed into the time-zone classification page by page.

    ``paged_at`` is read without the UTC column type's per-row conversion (a year of pages
    is tens of thousands of rows): an instant without an offset (SQLite) is UTC.
    """
    people = {
        row.id: Person(row.id, row.handle, row.name, row.time_zone)
        for row in session.execute(select(User.id, User.handle, User.name, User.time_zone))
    }
    table = calendars.by_team(session)
    pages = session.connection().execute(  # Core: no ORM bookkeeping per page
        select(Page.user_id, type_coerce(Page.paged_at, DateTime(timezone=True)), Service.team_id)
        .join(Incident, Incident.id == Page.incident_id)
        .join(Service, Service.id == Incident.service_id)
        .where(*_filters(scope))
    )
    return from_pages(
        scope,
        pages.tuples(),
        people,
        lambda team_id: calendars.pick(table, team_id),
    )


def from_pages(
    scope: KpiScope,
    pages: Iterable[tuple[int, datetime, int | None]],
    people: dict[int, Person],
    calendar_of: Callable[[int | None], Calendar],
) -> OncallLoadReport:
    """The figures of pages ``(user_id, paged_at, team_id)`` (``calendar_of(team_id)`` gives
    the team's calendar); a ``paged_at`` without an offset is UTC.

    A year can hold tens of thousands of pages: zones, calendars and weeks are looked up once
    each, and a page costs one time-zone conversion and a few integer additions.
    """
    zones = {uid: person_zone(p.time_zone) for uid, p in people.items()}
    fallback = person_zone(None)
    by_team: dict[int | None, Calendar] = {}
    by_day: dict[date, date] = {}
    # per person and per week: [pages, outside working hours, night]
    mine: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for user_id, sent, team_id in pages:
        calendar = by_team.get(team_id)
        if calendar is None:
            calendar = by_team[team_id] = calendar_of(team_id)
        paged_at = sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent
        night, working = slots(paged_at, zones.get(user_id, fallback), calendar)
        day = paged_at.astimezone(UTC).date()
        week = by_day.get(day)
        if week is None:
            week = by_day[day] = week_start(paged_at)
        for counts in (mine[user_id], weekly[week]):
            counts[0] += 1
            counts[1] += not working
            counts[2] += night
    loads = []
    for user_id, (count, outside, nights) in mine.items():
        person = people.get(user_id) or Person(user_id, f"user-{user_id}", "", "UTC")
        loads.append(
            PersonLoad(
                handle=person.handle,
                name=person.name,
                time_zone=person.time_zone,
                pages=count,
                outside_working_hours=outside,
                night=nights,
                night_per_week=per_week(nights, scope),
            )
        )
    loads.sort(key=lambda p: (-p.pages, -p.night, p.handle))
    empty = [0, 0, 0]
    trends = tuple(
        WeekPoint(week, name, float(weekly.get(week, empty)[i]), weekly.get(week, empty)[0])
        for week in weeks(scope)
        for i, name in enumerate(SERIES)
    )
    return OncallLoadReport(scope=scope, people=tuple(loads), trends=trends)
