"""The uptime bars and the maintenance cards from the database, on SQLite and PostgreSQL: a
public incident's published component statuses over time (changed by updates, ended by the
resolution), private incidents never counted, shown maintenance windows (one-off and
recurring), and the durable job that recomputes components at a window's start and end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import Service
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.jobs.models import Job
from plantao.statuspage import maintenance, maintenance_jobs, pages, uptime_gather
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
)
from plantao.statuspage.page_view import DayUptime
from tests.factories import status_pages
from tests.factories.config import apply_standard

# frozen: 2026-11-22 12:00 UTC
TODAY = date(2026, 11, 22)


@pytest.fixture
def page(factory: sessionmaker[Session], frozen: datetime) -> int:
    """The public page with 'api' and 'web', created 30 days ago."""
    apply_standard(factory)
    with session_scope(factory) as session:
        page_id = pages.ensure_default(session).id
        for row in session.scalars(select(StatusComponent)):
            session.delete(row)
        session.flush()
        status_pages.component(session, page_id, "api", created=frozen - timedelta(days=30))
        status_pages.component(session, page_id, "web", created=frozen - timedelta(days=30))
    return page_id


def _private_incident(session: Session) -> int:
    service_id = session.scalars(select(Service.id).where(Service.slug == "checkout")).one()
    incident = incident_service.open_incident(
        session,
        title="Secret",
        severity_name="sev2",
        service_id=service_id,
        route_id=None,
        group_key="k",
        group_window_seconds=3600,
        auto_resolve=False,
        detected_at=clock.now(),
        actor="test",
    )
    incident.private = True
    session.flush()
    return incident.id


def _publish(
    session: Session,
    page_id: int,
    at: datetime,
    steps: list[tuple[datetime, dict[str, str]]],
    resolved: datetime | None,
    *,
    incident_id: int | None = None,
) -> int:
    """A public incident: its first update at ``at`` with the first statuses, then ``steps``."""
    first = steps[0][1]
    row = PublicIncident(
        page_id=page_id,
        incident_id=incident_id,
        title="Errors",
        status="resolved" if resolved else "investigating",
        impact="major",
        published_by="t",
        created_at=at,
        updated_at=at,
        resolved_at=resolved,
    )
    session.add(row)
    session.flush()
    ids = {c.slug: c.id for c in session.scalars(select(StatusComponent))}
    for slug, status in first.items():
        session.add(
            PublicIncidentComponent(
                public_incident_id=row.id, component_id=ids[slug], status=status
            )
        )
    for when, statuses in steps:
        session.add(
            PublicUpdate(
                public_incident_id=row.id,
                status="investigating",
                body="b",
                components=statuses,
                status_update_id=None,
                created_by="t",
                created_at=when,
                notified_at=when,
            )
        )
    session.flush()
    return row.id


def _bars(session: Session, page_id: int) -> dict[str, tuple[tuple[DayUptime, ...], float]]:
    page = session.get(StatusPage, page_id)
    assert page is not None
    out = uptime_gather.bars(session, page, clock.now())
    ids = {c.id: c.slug for c in session.scalars(select(StatusComponent))}
    return {ids[k]: v for k, v in out.items()}


def _day(days: tuple[DayUptime, ...], which: date) -> DayUptime:
    return next(d for d in days if d.day == which)


def test_published_history_makes_the_bars(factory: sessionmaker[Session], page: int) -> None:
    """A partial outage that an update turns major, then resolved; the update's step and the
    resolution end each status; the day is counted by Atlassian's rule."""
    day = datetime(2026, 11, 20, tzinfo=UTC)
    with session_scope(factory) as session:
        public_id = _publish(
            session,
            page,
            day + timedelta(hours=10),
            [
                (day + timedelta(hours=10), {"api": "partial_outage"}),
                (day + timedelta(hours=11), {"api": "major_outage", "web": "degraded_performance"}),
            ],
            day + timedelta(hours=12),
        )
    with session_scope(factory) as session:
        bars = _bars(session, page)
    api = _day(bars["api"][0], date(2026, 11, 20))
    assert (api.partial_minutes, api.major_minutes) == (60, 60)
    assert api.uptime == pytest.approx(1 - (60 + 18) / 1440)
    assert api.incidents == (public_id,)
    web = _day(bars["web"][0], date(2026, 11, 20))
    assert (web.degraded_minutes, web.uptime) == (60, 1.0)
    assert len(bars["api"][0]) == 90
    # Created 30 days ago at noon: exactly 30 days observed.
    assert bars["api"][1] == pytest.approx(1 - 78 / (30 * 1440))


def test_an_open_incident_counts_until_now(factory: sessionmaker[Session], page: int) -> None:
    """An unresolved incident's status counts up to now."""
    with session_scope(factory) as session:
        _publish(
            session,
            page,
            clock.now() - timedelta(hours=2),
            [(clock.now(), {"web": "major_outage"})],
            None,
        )
    with session_scope(factory) as session:
        today = _day(_bars(session, page)["web"][0], TODAY)
    assert today.major_minutes == 120
    assert today.uptime == pytest.approx(1 - 120 / 720)


def test_private_incidents_never_dent_a_bar(factory: sessionmaker[Session], page: int) -> None:
    """A public row whose incident is private does not count."""
    with session_scope(factory) as session:
        _publish(
            session,
            page,
            clock.now() - timedelta(hours=2),
            [(clock.now() - timedelta(hours=2), {"api": "major_outage"})],
            None,
            incident_id=_private_incident(session),
        )
    with session_scope(factory) as session:
        assert _day(_bars(session, page)["api"][0], TODAY).uptime == 1.0


def test_maintenance_shows_and_counts_as_maintenance(
    factory: sessionmaker[Session], page: int
) -> None:
    """A shown window: scheduled ahead, maintenance minutes on the bar once it ran (not down),
    and a recurring one shows its next occurrence."""
    now = clock.now()
    with session_scope(factory) as session:
        past = status_pages.window(
            session, name="past", starts=now - timedelta(hours=5), ends=now - timedelta(hours=4)
        )
        ahead = status_pages.window(
            session,
            name="ahead",
            starts=now + timedelta(days=2),
            ends=now + timedelta(days=2, hours=1),
        )
        weekly = status_pages.window(
            session,
            name="weekly",
            starts=None,
            ends=None,
            recurrence={
                "every_days": 7,
                "start": "02:00",
                "duration_seconds": 3600,
                "time_zone": "UTC",
            },
        )
        status_pages.window(session, name="not shown", starts=now, ends=now + timedelta(hours=1))
        for silence_id, title in ((past, "Past"), (ahead, "Ahead"), (weekly, "Weekly")):
            maintenance.announce(
                session, silence_id, maintenance.Announcement("public", title, "", ("api",))
            )
    with session_scope(factory) as session:
        page_row = session.get(StatusPage, page)
        assert page_row is not None
        shown = {v.title: v for v in maintenance.views(session, page_row, now)}
        bars = _bars(session, page)
    assert set(shown) == {"Past", "Ahead", "Weekly"}
    assert shown["Past"].status == "completed"
    assert shown["Ahead"].status == "scheduled"
    assert shown["Ahead"].scheduled_for == now + timedelta(days=2)
    # 2026-11-22 is a Sunday: the next Monday-anchored occurrence is 2026-11-23 02:00.
    assert shown["Weekly"].scheduled_for == datetime(2026, 11, 23, 2, tzinfo=UTC)
    assert shown["Weekly"].components == ("api",)
    today = _day(bars["api"][0], TODAY)
    assert today.maintenance_minutes >= 60 and today.uptime == 1.0


def test_boundary_job_puts_components_under_maintenance_and_back(
    factory: sessionmaker[Session], page: int, frozen: datetime
) -> None:
    """Announcing schedules a job at the window's start; at the start the component is under
    maintenance, at the end operational again, with the next job queued each time."""
    start, end = frozen + timedelta(hours=1), frozen + timedelta(hours=2)
    with session_scope(factory) as session:
        window = status_pages.window(session, starts=start, ends=end)
        maintenance.announce(
            session, window, maintenance.Announcement("public", "Upgrade", "", ("api",))
        )
        maintenance_jobs.after_change(session, [page])
    with session_scope(factory) as session:
        due = session.scalars(
            select(Job.due_at).where(Job.kind == maintenance_jobs.JOB_KIND, Job.state == "pending")
        ).all()
        assert [d.astimezone(UTC) for d in due] == [start]

    def status() -> str:
        with session_scope(factory) as session:
            return session.scalars(
                select(StatusComponent.status).where(StatusComponent.slug == "api")
            ).one()

    assert status() == "operational"
    clock.freeze(start)
    with session_scope(factory) as session:
        maintenance_jobs.run_boundary(session)
    assert status() == "under_maintenance"
    clock.freeze(end)
    with session_scope(factory) as session:
        maintenance_jobs.run_boundary(session)
    assert status() == "operational"
    with session_scope(factory) as session:
        assert maintenance.under_maintenance(session, page, end) == set()
        assert maintenance.under_maintenance(session, page, start) == {"api"}
