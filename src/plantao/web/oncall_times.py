"""Times on the on-call pages: shown and typed in the viewer's own time zone.

Shifts are stored in UTC and hand off in the schedule's zone, but the person reading the page
plans in theirs (``Principal.time_zone``). Every time shown is a :class:`Moment`: the exact
instant for ``<time datetime>`` (the layout's script turns it into "in 3 h") and the wall-clock
text in the viewer's zone. Times typed in a form (``<input type="datetime-local">``) are read in
the same zone, with the rotation's rule for DST gaps and folds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plantao import clock
from plantao.configfile.durations import parse_duration
from plantao.oncall.rotation import resolve_local

INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def zone(name: str | None) -> ZoneInfo:
    """The viewer's zone; UTC when their profile names one this machine does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Moment:
    """An instant as the page shows it: ``iso`` (UTC) for ``<time datetime>``, ``text`` on the
    viewer's wall clock, and ``seconds`` from now (negative: past) for the relative words."""

    iso: str
    text: str
    seconds: int

    def relative(self, t: Mapping[str, str]) -> str:
        """The words static/time.js writes for this instant (same rounding, same texts), so the
        page says the same with or without JavaScript."""
        size = abs(self.seconds)
        if size < 45:
            return t["time_now"]
        minutes = round(size / 60)
        if minutes < 60:
            amount = f"{minutes} {t['time_min']}"
        elif minutes < 48 * 60:
            hours, rest = divmod(minutes, 60)
            amount = f"{hours} {t['time_h']}"
            if hours < 6 and rest:
                amount += f" {rest} {t['time_min']}"
        else:
            days = round(minutes / 1440)
            amount = f"{days} {t['time_day'] if days == 1 else t['time_days']}"
        return (t["time_in"] if self.seconds > 0 else t["time_ago"]).replace("{}", amount)


def moment(at: datetime, tz: ZoneInfo) -> Moment:
    local = at.astimezone(tz)
    return Moment(
        iso=at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        text=f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
        seconds=round((at - clock.now()).total_seconds()),
    )


def to_input(at: datetime, tz: ZoneInfo) -> str:
    """The value a ``datetime-local`` input shows for ``at``."""
    return at.astimezone(tz).strftime(INPUT_FORMAT)


def parse_local(text: str, tz: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` value (seconds optional) in ``tz`` as aware UTC; None if malformed."""
    value = text.strip()
    for pattern in (INPUT_FORMAT, INPUT_FORMAT + ":%S"):
        try:
            naive = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return resolve_local(naive.date(), naive.time(), tz)
    return None


def parse_length(text: str) -> timedelta | None:
    """``90m``, ``2h``, ``1d`` (as ``plantao.yaml`` writes durations); None if malformed."""
    try:
        length = parse_duration(text.strip())
    except ValueError:
        return None
    return length if length > timedelta(0) else None
