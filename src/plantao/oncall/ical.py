"""iCalendar (RFC 5545) feeds of on-call shifts, for a schedule or for one person.

Built on the ``icalendar`` package rather than string templates: it folds long lines, escapes
commas and semicolons in summaries and emits CRLF, the three things hand-written feeds get
wrong and calendar clients then silently reject.

Times are written in UTC (``...Z``) so no VTIMEZONE block is needed and clients convert to the
viewer's zone themselves. A UID is derived from (schedule key, user, layer, shift start), so
re-rendering the feed keeps the same UIDs and clients update events instead of duplicating them.
A shift cut by the feed window's start takes the window's start as its start (and so its UID
changes as the window moves); callers should pick a window that starts well in the past.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event

from plantao.oncall.rotation import Schedule, Shift, shifts

__all__ = ["PRODID", "render_schedule_feed", "render_user_feed", "shift_uid"]

PRODID = "-//Plantao//On-call schedule//EN"


def shift_uid(schedule: Schedule, shift: Shift, domain: str = "plantao") -> str:
    """A stable, opaque UID for one shift of one schedule."""
    identity = "\x1f".join(
        (schedule.key, shift.user, shift.layer or "", shift.start.astimezone(UTC).isoformat())
    )
    return f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}@{domain}"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(schedule: Schedule, shift: Shift, now: datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", shift_uid(schedule, shift, domain))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", shift.start.astimezone(UTC))
    event.add("dtend", shift.end.astimezone(UTC))
    event.add("summary", f"On call: {schedule.name}")
    description = f"{shift.user} is on call for {schedule.name}"
    if shift.layer is not None:
        description += f" (layer {shift.layer})"
    event.add("description", description)
    event.add("transp", "OPAQUE")
    return event


def _render(
    name: str,
    items: Iterable[tuple[Schedule, Shift]],
    now: datetime,
    domain: str,
) -> bytes:
    calendar = _calendar(name)
    for schedule, shift in items:
        calendar.add_component(_event(schedule, shift, now, domain))
    rendered: bytes = calendar.to_ical()
    return rendered


def render_schedule_feed(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    user: str | None = None,
    domain: str = "plantao",
) -> bytes:
    """The shifts of ``schedule`` in ``[start, end)`` (only ``user``'s when given)."""
    found = [s for s in shifts(schedule, start, end) if user is None or s.user == user]
    return _render(f"On call: {schedule.name}", ((schedule, s) for s in found), now, domain)


def render_user_feed(
    schedules: Sequence[Schedule],
    user: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    domain: str = "plantao",
) -> bytes:
    """Everything ``user`` is on call for across ``schedules``, ordered by start."""
    items = [
        (schedule, shift)
        for schedule in schedules
        for shift in shifts(schedule, start, end)
        if shift.user == user
    ]
    items.sort(key=lambda item: (item[1].start, item[0].key))
    return _render(f"On call: {user}", items, now, domain)
