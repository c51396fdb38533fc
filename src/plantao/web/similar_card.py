"""The incident page's "Similar past incidents" card: up to five resolved incidents most like
this one (``plantao.postmortems.similar_incidents``), each with when and how fast it was
resolved, what people wrote about the fix, the runbooks they relied on, its postmortem, and
what made it alike, in the reader's language (``templates/incident/similar.html``).

Only the full page shows it, not the live partials: the look-up reads a year of history (a few
indexed queries, tens of milliseconds at 50,000 incidents) and its answer does not change while
the incident burns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.incidents.models import Incident
from plantao.postmortems import similar_incidents
from plantao.postmortems.similar_incidents import SimilarIncident
from plantao.web.oncall_times import Moment, moment, zone

SHOWN = 5


@dataclass(frozen=True)
class Line:
    """One past incident as the card shows it."""

    found: SimilarIncident
    resolved: Moment | None
    duration: str
    reasons: tuple[str, ...]


def duration_text(seconds: int, t: Mapping[str, str]) -> str:
    """A time to resolve in the page's words: ``45 min``, ``3 h 20 min``, ``2 days``."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} {t['time_min']}"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} {t['time_h']}" + (f" {rest} {t['time_min']}" if rest else "")
    days = round(minutes / 1440)
    return f"{days} {t['time_day'] if days == 1 else t['time_days']}"


def reasons(why: tuple[str, ...], t: Mapping[str, str]) -> tuple[str, ...]:
    """The ranker's reason codes (``family:…``, ``service``, ``labels:…``, ``words:…``) as
    words of the page's language; an unknown code is shown as it is."""
    out = []
    for code in why:
        kind, _, value = code.partition(":")
        key = f"sim_why_{kind}"
        out.append(t[key].replace("{value}", value.replace(",", ", ")) if key in t else code)
    return tuple(out)


def card(
    session: Session, principal: Principal, incident: Incident, t: Mapping[str, str]
) -> dict[str, Any]:
    """The card's context: ``sim`` with its lines (an empty list says "none found")."""
    viewer = similar_incidents.Viewer(user_id=principal.user_id, is_admin=principal.is_admin)
    tz = zone(principal.time_zone)
    lines = [
        Line(
            found=f,
            resolved=None if f.resolved_at is None else moment(f.resolved_at, tz),
            duration=""
            if f.time_to_resolve_seconds is None
            else duration_text(f.time_to_resolve_seconds, t),
            reasons=reasons(f.why, t),
        )
        for f in similar_incidents.similar_to(session, incident, viewer, limit=SHOWN)
    ]
    return {"sim": {"lines": lines}}
