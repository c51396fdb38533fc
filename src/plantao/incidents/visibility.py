"""Who may see an incident: the one place the private-incident rule lives.

A private incident (security, LGPD: seed 002, seed 003 §8.4) is visible only to its responders
(``incident_responders`` rows: people added by hand, paged for it, or given a role on it) and
to global admins. For anyone else it does not exist: every route answers the very 404 a
nonexistent reference gets (:func:`hidden`), never a 403 that would confirm it is there, and
lists, searches, counts and live events leave it out.

Several shapes of the same rule, so callers never restate it:

- :func:`allows`: the rule itself on plain facts (pure; the live hub applies it to events it
  has already read, with :func:`audiences`: who may see each private incident of a batch);
- :func:`can_see`: one incident already loaded (one indexed look-up, only when it is private);
- :func:`visible_clause`: a SQL condition on ``incidents`` for list queries (``NOT private OR
  EXISTS (responder row)``): no query per row;
- :func:`hidden_from`: the (few) private incidents someone may not see, for filtering rows of
  other tables that point at incidents (deliveries).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, Select, exists, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from plantao.errors import NotFound
from plantao.incidents.models import Incident, IncidentResponder


def allows(*, private: bool, responders: Collection[int], user_id: int, is_admin: bool) -> bool:
    """The rule: public incidents are everyone's; private ones their responders' and admins'."""
    return not private or is_admin or user_id in responders


def _is_responder(
    incident_id: InstrumentedAttribute[int] | int, user_id: int
) -> ColumnElement[bool]:
    return exists().where(
        IncidentResponder.incident_id == incident_id, IncidentResponder.user_id == user_id
    )


def can_see(session: Session, incident: Incident, user_id: int, is_admin: bool) -> bool:
    """Whether this person may see this (loaded) incident."""
    if not incident.private or is_admin:
        return True
    return bool(session.scalar(select(_is_responder(incident.id, user_id))))


def visible_clause(user_id: int, is_admin: bool) -> ColumnElement[bool]:
    """A WHERE condition on :class:`Incident` keeping what this person may see (correlated:
    use it in a query that selects from ``incidents``)."""
    if is_admin:
        return true()
    return or_(Incident.private.is_(False), _is_responder(Incident.id, user_id))


def hidden_from(user_id: int) -> Select[tuple[int]]:
    """The ids of the private incidents this (non-admin) person may not see, as a subquery:
    for filtering rows that point at incidents (deliveries) with ``NOT IN``; private incidents
    are few, so this set stays small where the visible one would be every incident."""
    return select(Incident.id).where(
        Incident.private.is_(True), ~_is_responder(Incident.id, user_id)
    )


def audiences(session: Session, incident_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Who may see each *private* one of these incidents besides admins (user ids), in one
    query; public incidents are not keys. For readers of many incidents at once (live events)."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(Incident.id, IncidentResponder.user_id)
        .outerjoin(IncidentResponder, IncidentResponder.incident_id == Incident.id)
        .where(Incident.id.in_(sorted(set(incident_ids))), Incident.private.is_(True))
    ).all()
    found: dict[int, set[int]] = {}
    for incident_id, user_id in rows:
        people = found.setdefault(incident_id, set())
        if user_id is not None:
            people.add(user_id)
    return {incident_id: frozenset(people) for incident_id, people in found.items()}


def hidden(ref: str | int) -> NotFound:
    """The error for an incident this person may not see: word for word the one
    ``incidents.service.get`` raises for a reference that matches nothing."""
    return NotFound(f"incident '{str(ref).strip()}' does not exist")
