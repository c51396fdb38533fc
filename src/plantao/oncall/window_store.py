"""Maintenance windows (from plantao.yaml) and silences (from the API), in the database; when
one is active and what it covers is :mod:`plantao.oncall.window_rules`.

Both are rows of one table: ``origin`` says who owns them. Applying the file replaces the
``config`` rows it declares by name; silences and windows made in the API or the web UI are
created and ended by people. A row that names services (or comes from the file) is shown and
audited as a maintenance window, one that only has label matchers as a silence: the same rule
either way, but people plan the first and react with the second. Every change writes an audit
entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.matchers import MatcherError, parse_matchers
from plantao.oncall.layers import parse_hhmm
from plantao.oncall.models import Silence
from plantao.oncall.window_rules import Recurrence, Window
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor

MAX_SILENCE = timedelta(days=90)


def recurrence_from_dict(data: Mapping[str, Any]) -> Recurrence:
    weekdays = data.get("weekdays")
    return Recurrence(
        every_days=int(data["every_days"]),
        start=parse_hhmm(data["start"]),
        duration=timedelta(seconds=int(data["duration_seconds"])),
        tz=str(data.get("time_zone", "UTC")),
        weekdays=None if weekdays is None else frozenset(int(d) for d in weekdays),
    )


def kind_of(row: Silence) -> str:
    """``maintenance_window`` (from the file, or naming services) or ``silence``."""
    return "maintenance_window" if row.origin == "config" or row.services else "silence"


def snapshot(row: Silence) -> dict[str, Any]:
    return {
        "name": row.name,
        "origin": row.origin,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "recurrence": row.recurrence,
        "services": list(row.services),
        "matchers": list(row.matchers),
        "comment": row.comment,
        "created_by": row.created_by,
        "ended_at": row.ended_at,
    }


def to_window(row: Silence) -> Window:
    return Window(
        name=row.name,
        start=row.starts_at,
        end=row.ended_at or row.ends_at,
        recurrence=None if row.recurrence is None else recurrence_from_dict(row.recurrence),
        services=frozenset(row.services),
        matchers=tuple(parse_matchers(row.matchers)),
    )


@dataclass(frozen=True)
class Suppression:
    name: str
    until: datetime | None


def suppression_for(
    session: Session, service: str, alert_labels: Iterable[Mapping[str, str]], at: datetime
) -> Suppression | None:
    """The first window active at ``at`` that covers this service/these alerts, if any."""
    labels = list(alert_labels)
    rows = session.scalars(select(Silence).where(Silence.ended_at.is_(None)).order_by(Silence.id))
    for row in rows:
        window = to_window(row)
        until = window.active_until(at)
        if until is not False and window.covers(service, labels):
            return Suppression(row.name, until if isinstance(until, datetime) else None)
    return None


def put_config_windows(
    session: Session, windows: list[dict[str, Any]], *, actor: AuditActor = SYSTEM
) -> list[tuple[str, str]]:
    """Make the ``config`` windows exactly ``windows``; returns (action, name) pairs."""
    current = {
        row.name: row for row in session.scalars(select(Silence).where(Silence.origin == "config"))
    }
    changes: list[tuple[str, str]] = []
    for spec in windows:
        values = {
            "starts_at": spec.get("start"),
            "ends_at": spec.get("end"),
            "recurrence": spec.get("recurrence"),
            "services": list(spec.get("services", [])),
            "matchers": list(spec.get("matchers", [])),
        }
        row = current.pop(spec["name"], None)
        if row is None:
            row = Silence(
                name=spec["name"],
                origin="config",
                comment="",
                created_by="config",
                created_at=clock.now(),
                ended_at=None,
                **values,
            )
            session.add(row)
            changes.append(("create", spec["name"]))
            _audit(session, actor, "create", row, before=None, after=snapshot(row))
            continue
        before = snapshot(row)
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        for key in changed:
            setattr(row, key, values[key])
        if changed:
            changes.append(("update", spec["name"]))
            _audit(session, actor, "update", row, before=before, after=snapshot(row))
    for name, row in sorted(current.items()):
        _audit(session, actor, "delete", row, before=snapshot(row), after=None)
        session.execute(delete(Silence).where(Silence.id == row.id))
        changes.append(("delete", name))
    session.flush()
    return changes


def _audit(
    session: Session,
    actor: AuditActor,
    verb: str,
    row: Silence,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Config windows are keyed by name (their id may not exist yet); others by id."""
    kind = kind_of(row)
    key: object = row.name if row.origin == "config" else row.id
    audit.record(session, actor, f"{kind}.{verb}", kind, key, before=before, after=after)


def create(
    session: Session,
    *,
    name: str,
    starts_at: datetime | None,
    ends_at: datetime,
    services: list[str],
    matchers: list[str],
    comment: str,
    actor: AuditActor,
) -> Silence:
    """A silence (matchers only) or a maintenance window (naming services), audited."""
    now = clock.now()
    start = starts_at or now
    if ends_at <= start:
        raise ValidationFailed("ends_at: must be after starts_at")
    if ends_at - start > MAX_SILENCE:
        raise ValidationFailed(f"ends_at: a silence lasts at most {MAX_SILENCE.days} days")
    if not services and not matchers:
        raise ValidationFailed("services: name a service or give matchers (or both)")
    for index, text in enumerate(matchers):
        try:
            parse_matchers([text])
        except MatcherError as exc:
            raise ValidationFailed(f"matchers[{index}]: {exc}") from None
    row = Silence(
        name=name,
        origin="api",
        starts_at=start,
        ends_at=ends_at,
        recurrence=None,
        services=services,
        matchers=matchers,
        comment=comment,
        created_by=actor.handle,
        created_at=now,
        ended_at=None,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "create", row, before=None, after=snapshot(row))
    return row


def list_silences(session: Session, *, active_only: bool = False) -> list[Silence]:
    rows = list(session.scalars(select(Silence).order_by(Silence.id)))
    if not active_only:
        return rows
    now = clock.now()
    return [r for r in rows if r.ended_at is None and to_window(r).active_until(now) is not False]


def current_rows(session: Session, at: datetime | None = None) -> list[Silence]:
    """Rows not ended whose time is not over at ``at`` (active or upcoming; recurring ones and
    windows without an end stay), soonest end first."""
    now = at or clock.now()
    rows = session.scalars(select(Silence).where(Silence.ended_at.is_(None)).order_by(Silence.id))
    kept = [r for r in rows if r.recurrence is not None or r.ends_at is None or r.ends_at > now]
    return sorted(kept, key=lambda r: (r.ends_at is None, r.ends_at or now, r.id))


def end(session: Session, silence_id: int, actor: AuditActor) -> Silence:
    """End a silence or window now; the file's windows are changed in the file."""
    row = session.get(Silence, silence_id)
    if row is None:
        raise NotFound(f"silence {silence_id} does not exist")
    if row.origin == "config":
        raise Conflict("maintenance windows from plantao.yaml are changed in the file")
    if row.ended_at is not None:
        raise Conflict(f"silence {silence_id} already ended")
    before = snapshot(row)
    row.ended_at = clock.now()
    session.flush()
    _audit(session, actor, "end", row, before=before, after=snapshot(row))
    return row
