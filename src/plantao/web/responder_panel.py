"""What the incident page's responders panel (``incident/responders.html``) shows: each
responder with their state and how they were asked, the reader's own row (to acknowledge their
page or join), and the choices of the "page responders" form: people, schedules with whoever
is on call now, and escalation policies.

Read again on every live update, so it reads only what it shows: the choices only for someone
who may act on the incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.command import responders
from plantao.incidents.models import Incident
from plantao.incidents.schemas import ResponderOut
from plantao.oncall import policies, rotation, schedules
from plantao.people import directory


@dataclass(frozen=True)
class Row:
    """One responder, with ``via`` split for the reader's language."""

    responder: ResponderOut
    via_kind: str  # user, schedule, policy, page (paged by the escalation, private incident)
    via_name: str


@dataclass(frozen=True)
class Panel:
    rows: list[Row]
    mine: ResponderOut | None
    people: list[tuple[str, str]] = field(default_factory=list)
    #: (form value, name, handles on call now) per schedule.
    schedules: list[tuple[str, str, list[str]]] = field(default_factory=list)
    policies: list[tuple[str, str]] = field(default_factory=list)


def _row(r: ResponderOut) -> Row:
    kind, _, name = r.via.partition(":")
    return Row(r, kind if kind in ("schedule", "policy", "page") else "user", name)


def _schedules(session: Session) -> list[tuple[str, str, list[str]]]:
    now = clock.now()
    return [
        (
            f"schedule:{row.slug}",
            row.name,
            rotation.who_is_on_call(schedules.to_pure(session, row), now),
        )
        for row in schedules.list_schedules(session)
    ]


def panel(session: Session, principal: Principal, incident: Incident, can_write: bool) -> Panel:
    """The panel for ``principal``; the form's choices only when they may act."""
    rows = [_row(r) for r in responders.listing(session, incident.id)]
    mine = next((r.responder for r in rows if r.responder.user == principal.handle), None)
    if not can_write:
        return Panel(rows, mine)
    return Panel(
        rows,
        mine,
        people=[
            (f"user:{u.handle}", f"{u.name} ({u.handle})")
            for u in directory.list_users(session, kind="user")
            if u.disabled_at is None
        ],
        schedules=_schedules(session),
        policies=[(f"policy:{p.slug}", p.name) for p in policies.list_policies(session)],
    )
