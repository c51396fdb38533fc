"""Schedules in the database: who is on call, shifts, overrides, calendar feeds."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import NotFound, ValidationFailed
from plantao.oncall import ical, rotation
from plantao.oncall.layers import build_schedule
from plantao.oncall.models import OncallSchedule, ScheduleOverride, UserFeed
from plantao.oncall.rotation import OverrideKind, Schedule
from plantao.people.models import User

FEED_PAST = timedelta(days=14)
FEED_FUTURE = timedelta(days=90)
MAX_SHIFTS = 200


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def get(session: Session, slug: str) -> OncallSchedule:
    row = session.scalars(select(OncallSchedule).where(OncallSchedule.slug == slug)).one_or_none()
    if row is None:
        raise NotFound(f"schedule '{slug}' does not exist")
    return row


def list_schedules(session: Session) -> list[OncallSchedule]:
    return list(session.scalars(select(OncallSchedule).order_by(OncallSchedule.slug)))


def to_pure(session: Session, row: OncallSchedule) -> Schedule:
    overrides = session.scalars(
        select(ScheduleOverride)
        .where(ScheduleOverride.schedule_id == row.id)
        .order_by(ScheduleOverride.id)
    )
    return build_schedule(
        row.slug,
        row.name,
        row.time_zone,
        row.layers,
        [(o.kind, o.starts_at, o.ends_at, o.user, o.replaces, o.layer) for o in overrides],
    )


def who_is_on_call(session: Session, slug: str, at: datetime | None = None) -> list[str]:
    row = get(session, slug)
    return rotation.who_is_on_call(to_pure(session, row), at or clock.now())


def next_shifts(
    session: Session, slug: str, n: int, at: datetime | None = None
) -> list[rotation.Shift]:
    if not 1 <= n <= MAX_SHIFTS:
        raise ValidationFailed(f"n: must be between 1 and {MAX_SHIFTS}")
    return rotation.next_shifts(to_pure(session, get(session, slug)), at or clock.now(), n)


def put(
    session: Session, *, slug: str, name: str, time_zone: str, layers: list[dict[str, Any]]
) -> str:
    """Create or update from validated config; returns create, update or keep."""
    build_schedule(slug, name, time_zone, layers)  # the backstop: refuse what cannot run
    row = session.scalars(select(OncallSchedule).where(OncallSchedule.slug == slug)).one_or_none()
    if row is None:
        session.add(
            OncallSchedule(
                slug=slug, name=name, time_zone=time_zone, layers=layers, ical_secret=new_secret()
            )
        )
        session.flush()
        return "create"
    values = {"name": name, "time_zone": time_zone, "layers": layers}
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for key in changed:
        setattr(row, key, values[key])
    session.flush()
    return "update" if changed else "keep"


def known_handles(session: Session, handles: set[str]) -> set[str]:
    if not handles:
        return set()
    return set(session.scalars(select(User.handle).where(User.handle.in_(sorted(handles)))))


def add_override(
    session: Session,
    slug: str,
    *,
    kind: str,
    start: datetime,
    end: datetime,
    user: str | None,
    replaces: str | None,
    layer: str | None,
    actor: str,
) -> ScheduleOverride:
    row = get(session, slug)
    people = {h for h in (user, replaces) if h}
    missing = sorted(people - known_handles(session, people))
    if missing:
        raise ValidationFailed(f"user: unknown user '{missing[0]}'")
    if layer is not None and layer not in {layer_["name"] for layer_ in row.layers}:
        raise ValidationFailed(f"layer: schedule '{slug}' has no layer '{layer}'")
    try:
        rotation.Override(OverrideKind(kind), start, end, user, replaces, layer)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    override = ScheduleOverride(
        schedule_id=row.id,
        kind=kind,
        starts_at=start,
        ends_at=end,
        user=user,
        replaces=replaces,
        layer=layer,
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(override)
    session.flush()
    return override


def list_overrides(session: Session, slug: str) -> list[ScheduleOverride]:
    row = get(session, slug)
    return list(
        session.scalars(
            select(ScheduleOverride)
            .where(ScheduleOverride.schedule_id == row.id)
            .order_by(ScheduleOverride.starts_at, ScheduleOverride.id)
        )
    )


def delete_override(session: Session, slug: str, override_id: int) -> None:
    row = get(session, slug)
    found = session.get(ScheduleOverride, override_id)
    if found is None or found.schedule_id != row.id:
        raise NotFound(f"schedule '{slug}' has no override {override_id}")
    session.delete(found)
    session.flush()


def user_feed_secret(session: Session, handle: str) -> str:
    """The user's feed secret, created on first use."""
    user = session.scalars(select(User).where(User.handle == handle)).one_or_none()
    if user is None:
        raise NotFound(f"user '{handle}' does not exist")
    feed = session.get(UserFeed, user.id)
    if feed is None:
        feed = UserFeed(user_id=user.id, secret=new_secret())
        session.add(feed)
        session.flush()
    return feed.secret


def feed(session: Session, secret: str) -> bytes:
    """The iCalendar feed a secret opens (a schedule's or a person's); NotFound otherwise."""
    now = clock.now()
    start, end = now - FEED_PAST, now + FEED_FUTURE
    if not secret or len(secret) > 64:
        raise NotFound("no such calendar feed")
    row = session.scalars(
        select(OncallSchedule).where(OncallSchedule.ical_secret == secret)
    ).one_or_none()
    if row is not None:
        return ical.render_schedule_feed(to_pure(session, row), start, end, now=now)
    user_feed = session.scalars(select(UserFeed).where(UserFeed.secret == secret)).one_or_none()
    if user_feed is None:
        raise NotFound("no such calendar feed")
    handle = session.scalar(select(User.handle).where(User.id == user_feed.user_id))
    assert handle is not None
    pure = [to_pure(session, r) for r in list_schedules(session)]
    return ical.render_user_feed(pure, handle, start, end, now=now)
