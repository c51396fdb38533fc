"""What the operator pages (services, heartbeats, inbox, deliveries, tokens, people, teams,
audit, settings) share on top of ``rendering``: the sign-in and permission gate of a GET, times
shown in the viewer's zone, and the text of an error shown above a form that keeps its values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.web import rendering


def reader(request: Request, session: Session, need: Need = Need.READ) -> Principal | Response:
    """The signed-in person allowed ``need`` (403 otherwise), or a redirect to the login page
    that comes back here."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    principal.require(need)
    return principal


def zone(principal: Principal) -> ZoneInfo:
    """The viewer's zone; UTC when their profile names one this machine does not know."""
    try:
        return ZoneInfo(principal.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Moment:
    """A time as a page shows it: ``iso`` for ``<time datetime>`` (the layout's script makes it
    relative), ``text`` the wall clock in the viewer's zone (what shows without JavaScript)."""

    iso: str
    text: str


def moments(principal: Principal) -> Callable[[datetime | None], Moment | None]:
    tz = zone(principal)

    def when(at: datetime | None) -> Moment | None:
        if at is None:
            return None
        local = at.astimezone(tz)
        return Moment(
            iso=at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            text=f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
        )

    return when


def span(seconds: int) -> str:
    """A configured duration as people write it: 90 s, 5 min, 2 h, 1 d (units are the same in
    English and Portuguese)."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def page(
    request: Request, name: str, principal: Principal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render an operator page: ``when(datetime)`` and ``span(seconds)`` are available to its
    template."""
    return rendering.render(
        request,
        name,
        principal,
        status_code=status_code,
        when=moments(principal),
        span=span,
        **context,
    )


def no_store(response: HTMLResponse) -> HTMLResponse:
    """For a page that shows a secret once (a new token): no cache may keep it."""
    response.headers["Cache-Control"] = "no-store"
    return response
