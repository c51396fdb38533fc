"""When the weekly operational review goes out, and the recurring job that sends it.

The setting (``operational_review`` in ``plantao.yaml``: weekday, time, enabled; default
Monday 09:00, on) is a config document. The time is read in each team's business-calendar
zone, so a São Paulo team gets its review at 09:00 there and a Lisbon team at 09:00 in Lisbon.

One ``postmortems.weekly_review`` job is pending at any time, due at the earliest next send
moment of any team. When it runs it sends every team whose latest send moment has passed
(within :data:`CATCH_UP`, so an engine that was down on Monday morning still sends when it is
back, but a fresh installation does not mail last week on its first start) the review of the
week that had ended by then, then enqueues its successor, keyed by its due time so that a
replay finds the successor there and adds none. :func:`ensure_job` creates the job when it is
missing (the engine calls it when it starts, ``plantao apply`` when the file sets the time)
and moves it when the setting changed. The ``review_sendings`` row makes each team's review go
once per week whatever runs twice (``weekly_sending``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import ConfigDocument
from plantao.db import run_transaction
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.people.models import Team
from plantao.postmortems import calendars, iso_weeks, weekly_sending
from plantao.postmortems.iso_weeks import SendTime

log = structlog.get_logger("plantao.postmortems.weekly_review")

#: The job kind; ``engine/handlers.py`` runs it (not urgent: it pages nobody).
JOB_KIND = "postmortems.weekly_review"
DOCUMENT = "operational_review"
#: How late a send moment may be noticed and still send (an engine down on Monday morning).
CATCH_UP = timedelta(hours=24)


@dataclass(frozen=True)
class ReviewSetting:
    enabled: bool = True
    send: SendTime = field(default_factory=SendTime)

    def document(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "weekday": self.send.weekday,
            "time": self.send.at.strftime("%H:%M:%S" if self.send.at.second else "%H:%M"),
        }


def setting(session: Session) -> ReviewSetting:
    """The setting in force (the default when ``plantao.yaml`` never set one)."""
    doc = session.get(ConfigDocument, DOCUMENT)
    if doc is None:
        return ReviewSetting()
    body = doc.body
    try:
        send = SendTime(
            str(body.get("weekday", "monday")), iso_weeks.parse_time(str(body.get("time", "09:00")))
        )
    except ValueError:
        send = SendTime()
    return ReviewSetting(bool(body.get("enabled", True)), send)


def configure(session: Session, wanted: ReviewSetting) -> str:
    """Store the setting and (re)schedule the job: ``create``, ``update`` or ``keep``."""
    doc = session.get(ConfigDocument, DOCUMENT)
    body = wanted.document()
    action = "keep"
    if doc is None:
        session.add(ConfigDocument(name=DOCUMENT, body=body, updated_at=clock.now()))
        action = "create"
    elif doc.body != body:
        doc.body, doc.updated_at = body, clock.now()
        action = "update"
    session.flush()
    ensure_job(session)
    return action


def _zones(session: Session) -> dict[str, str]:
    """Each team's zone (team slug → zone)."""
    return {
        team.slug: calendars.for_team(session, team.id).time_zone
        for team in session.scalars(select(Team).order_by(Team.id))
    }


def next_due(session: Session, now: datetime) -> datetime:
    """The earliest send moment after ``now`` of any team (UTC's when there is no team)."""
    send = setting(session).send
    zones = set(_zones(session).values()) or {"UTC"}
    return min(iso_weeks.next_send(now, send, tz) for tz in zones)


def _pending(session: Session) -> list[Job]:
    return list(
        session.scalars(
            select(Job).where(Job.kind == JOB_KIND, Job.state == "pending").order_by(Job.id)
        )
    )


def _enqueue(session: Session, due: datetime) -> None:
    job_service.enqueue(
        session, JOB_KIND, {}, due_at=due, dedup_key=f"{JOB_KIND}:{due.isoformat()}"
    )


def ensure_job(session: Session) -> Job | None:
    """Make the one pending job exist, due at the next send moment; nothing while disabled
    (a pending job is then left to find the setting off and stop)."""
    if not setting(session).enabled:
        return None
    now = clock.now()
    due = next_due(session, now)
    pending = _pending(session)
    if not pending:
        _enqueue(session, due)
        return _pending(session)[0]
    first, *extra = pending
    for job in extra:  # two engines that started together: one job is enough
        job.state, job.finished_at = "done", clock.now()
    if now < first.due_at != due:  # one already due runs first, then schedules the next
        first.due_at = due
    session.flush()
    return first


@dataclass(frozen=True)
class Sent:
    team: str
    week: str
    recipients: int | None


def run(session: Session, base_url: str) -> list[Sent]:
    """Send every team whose send moment has just passed its review (the job's work)."""
    wanted = setting(session)
    if not wanted.enabled:
        return []
    now = clock.now()
    outcomes = []
    for team in session.scalars(select(Team).order_by(Team.id)):
        tz = calendars.for_team(session, team.id).time_zone
        moment = iso_weeks.last_send(now, wanted.send, tz)
        if now - moment > CATCH_UP:
            continue
        week = iso_weeks.reported_week(moment, tz)
        count = weekly_sending.send_team(session, team, week, base_url)
        outcomes.append(Sent(team.slug, str(week), count))
    return outcomes


def _successor(session: Session) -> None:
    due = next_due(session, clock.now())
    if any(job.due_at == due for job in _pending(session)):
        return  # a replay of this job: its successor is already there
    if not _pending(session):
        _enqueue(session, due)


def run_job(factory: sessionmaker[Session], job: Claimed, base_url: str) -> None:
    """The engine's handler: send what is due, then enqueue the next run."""

    def work(session: Session) -> list[Sent]:
        sent = run(session, base_url)
        if setting(session).enabled:
            _successor(session)
        return sent

    for item in run_transaction(factory, work):
        log.info(JOB_KIND, team=item.team, week=item.week, recipients=item.recipients)
