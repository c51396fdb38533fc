"""The period and filters every KPI is computed for, validated once at the edge.

Why one shape: the API, the page, the CSV export and the Prometheus metrics all ask the same
question ("these incidents"); a single ``KpiScope`` keeps them answering it the same way —
``[start, end)`` in UTC, incidents selected by when they were triggered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from plantao.errors import ValidationFailed

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
#: Longest period one request may ask for: two years of weekly trends is already 104 points.
MAX_SPAN = timedelta(days=731)
DEFAULT_SPAN = timedelta(days=30)


@dataclass(frozen=True)
class KpiScope:
    """Incidents triggered in ``[start, end)``, optionally of one service, team or severity."""

    start: datetime
    end: datetime
    service: str | None = None
    team: str | None = None
    severity: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("end must be after start")

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def query(self) -> dict[str, str]:
        """The scope as query parameters (links from the page to the API and the CSV)."""
        params = {"from": _iso(self.start), "to": _iso(self.end)}
        for key in ("service", "team", "severity"):
            value = getattr(self, key)
            if value:
                params[key] = value
        return params


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name} is not an ISO 8601 date or time",
            errors=[{"field": name, "message": "use e.g. 2026-11-01 or 2026-11-01T00:00:00Z"}],
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def scope_from_query(
    *,
    now: datetime,
    start: str | None = None,
    end: str | None = None,
    service: str | None = None,
    team: str | None = None,
    severity: str | None = None,
) -> KpiScope:
    """Read ``from``/``to``/filters as sent by a person; default: the 30 days up to ``now``.

    Raises ``ValidationFailed`` (422) for text that is not a date, a reversed or too long
    period, or an unknown severity; never guesses.
    """
    stop = _parse("to", end) if end else now.astimezone(UTC)
    begin = _parse("from", start) if start else stop - DEFAULT_SPAN
    if stop <= begin:
        raise ValidationFailed(
            "from must be before to", errors=[{"field": "from", "message": "must be before to"}]
        )
    if stop - begin > MAX_SPAN:
        raise ValidationFailed(
            "the period is longer than two years",
            errors=[{"field": "from", "message": "ask for at most 731 days"}],
        )
    sev = severity.strip().lower() if severity else None
    if sev and sev not in SEVERITIES:
        raise ValidationFailed(
            f"unknown severity {severity!r}",
            errors=[{"field": "severity", "message": "one of sev1, sev2, sev3, sev4"}],
        )
    return KpiScope(
        start=begin,
        end=stop,
        service=(service or "").strip() or None,
        team=(team or "").strip() or None,
        severity=sev,
    )
