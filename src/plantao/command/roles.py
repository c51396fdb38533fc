"""Who wears which hat on an incident (seed 002's RACI): assign, hand over, remove.

The rule of the seed is "uma pessoa = um chapéu por vez": a person holds one role per incident,
and every role but ``sme`` has one holder. Giving a single-holder role to someone else is a
hand-over (the previous holder loses it); giving a second hat to someone is refused with a
Conflict naming the hat they wear. Callers lock the incident row first
(``incidents.access.get_to_act`` or ``incidents.service.get(..., for_update=True)``), so two
assignments at once are decided one after the other; the unique constraints of
``incident_roles`` are the backstop, turned into the same Conflict.

"IC é o on-call até delegar" (002, Paging): :func:`ic_from_acknowledgements` makes the person
who acknowledged an incident its Incident Commander when it has none; the engine's reaction
step calls it for acknowledgement markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plantao import clock
from plantao.command.models import ROLES, IncidentRole
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import access
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.people import directory
from plantao.people.models import User

IC = "incident_commander"
#: Roles with several holders; every other role has one.
MANY = frozenset({"sme"})
LABELS = {
    "incident_commander": "Incident Commander",
    "comms_lead": "Comms Lead",
    "ops_lead": "Ops Lead",
    "sme": "SME",
    "scribe": "Scribe",
}
HANDOFF_FIELD_MAX = 4000
#: Who the timeline names for what the engine does on its own.
SYSTEM_ACTOR = "plantao"


@dataclass(frozen=True)
class Handoff:
    """An IC hand-off (seed 002 "Hand-off formatado"; 003 §11.4): what the next IC must know."""

    context: str = ""
    status: str = ""
    next_steps: str = ""

    def is_empty(self) -> bool:
        return not (self.context.strip() or self.status.strip() or self.next_steps.strip())


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationFailed(f"role: unknown role '{role[:40]}'; use {', '.join(ROLES)}")
    return role


def person(session: Session, handle: str) -> User:
    """The enabled person called ``handle``, or ValidationFailed."""
    wanted = handle.strip().lower()
    user = directory.by_handle(session, wanted) if wanted else None
    if user is None or user.kind != "user" or user.disabled_at is not None:
        raise ValidationFailed(f"user: nobody active is called '{handle.strip()[:64]}'")
    return user


def _rows(session: Session, incident_id: int) -> list[IncidentRole]:
    return list(
        session.scalars(
            select(IncidentRole)
            .where(IncidentRole.incident_id == incident_id)
            .order_by(IncidentRole.id)
        )
    )


def _handles(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.handle).where(User.id.in_(sorted(set(user_ids)))))
    return {uid: handle for uid, handle in rows.tuples()}  # noqa: C416 - rows, not pairs


def format_handoff(old: str | None, new: str, handoff: Handoff) -> str:
    """The hand-off as the timeline shows it, one labelled line per part."""
    lines = [f"IC hand-off: {old or 'nobody'} → {new}"]
    for label, value in (
        ("Context", handoff.context),
        ("Status", handoff.status),
        ("Next steps", handoff.next_steps),
    ):
        lines.append(f"{label}: {value.strip() or '—'}")
    return "\n".join(lines)


def _checked_handoff(role: str, handoff: Handoff | None) -> Handoff | None:
    if handoff is None or handoff.is_empty():
        return None
    if role != IC:
        raise ValidationFailed("handoff: only the incident_commander is handed over with one")
    for name in ("context", "status", "next_steps"):
        if len(getattr(handoff, name)) > HANDOFF_FIELD_MAX:
            raise ValidationFailed(f"handoff.{name}: longer than {HANDOFF_FIELD_MAX} characters")
    return handoff


def _flush(session: Session, incident: Incident) -> None:
    """Flush, turning the one-hat constraints' refusal into the rule's Conflict."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"the roles of {incident.human_id} changed at the same time; one hat per person "
            "and one holder per role: reload and try again"
        ) from None


def assign(
    session: Session,
    incident: Incident,
    role: str,
    user: User,
    *,
    actor: str,
    handoff: Handoff | None = None,
) -> str:
    """Give ``role`` to ``user`` on the (locked) incident; returns ``assigned``,
    ``handed_over`` or ``unchanged`` (they already wear it). Flushes.

    Conflict when they wear another hat or the incident is closed (its command is over: the
    roles it ended with are the record the postmortem reads); a single-holder role held by
    someone else passes to ``user`` (a hand-over). ``user`` also becomes a responder.
    """
    check_role(role)
    handoff = _checked_handoff(role, handoff)
    if incident.status is Status.CLOSED:
        raise Conflict(f"{incident.human_id} is closed: its roles can no longer change")
    rows = _rows(session, incident.id)
    worn = next((r for r in rows if r.user_id == user.id), None)
    if worn is not None and worn.role == role:
        return "unchanged"
    if worn is not None:
        raise Conflict(
            f"{user.handle} is already the {worn.role} of {incident.human_id}: one hat per "
            f"person; remove that role first"
        )
    previous = None if role in MANY else next((r for r in rows if r.role == role), None)
    now = clock.now()
    old_handle = None
    if previous is not None:
        old_handle = _handles(session, [previous.user_id]).get(previous.user_id, "?")
        session.delete(previous)
        _flush(session, incident)
    session.add(
        IncidentRole(
            incident_id=incident.id, role=role, user_id=user.id, assigned_by=actor, assigned_at=now
        )
    )
    _flush(session, incident)
    label = LABELS[role]
    if previous is None:
        outcome = "assigned"
        item = incident_service.TimelineItem(
            "role.assigned",
            actor,
            f"{actor} made {user.handle} the {label}",
            {"role": role, "user": user.handle},
        )
    else:
        outcome = "handed_over"
        item = incident_service.TimelineItem(
            "role.handed_over",
            actor,
            f"{actor} handed the {label} role over from {old_handle} to {user.handle}",
            {"role": role, "user": user.handle, "from": old_handle},
        )
    items = [item]
    if handoff is not None:
        items.append(
            incident_service.TimelineItem(
                "role.handoff",
                actor,
                format_handoff(old_handle, user.handle, handoff),
                {
                    "role": role,
                    "from": old_handle,
                    "to": user.handle,
                    "context": handoff.context.strip(),
                    "status": handoff.status.strip(),
                    "next_steps": handoff.next_steps.strip(),
                },
            )
        )
    incident_service.append(session, incident.id, items, at=now)
    access.add_responder(session, incident, user, actor=actor)
    return outcome


def unassign(
    session: Session, incident: Incident, role: str, user: User | None, *, actor: str
) -> User:
    """Take ``role`` off ``user`` (None: off its one holder; an SME must be named) on the
    (locked) incident; returns who lost it. NotFound when nobody (or not ``user``) wears it."""
    check_role(role)
    holders = [r for r in _rows(session, incident.id) if r.role == role]
    if user is None:
        if role in MANY and len(holders) > 1:
            raise ValidationFailed(f"user: {incident.human_id} has several {role}s; name one")
        row = holders[0] if holders else None
    else:
        row = next((r for r in holders if r.user_id == user.id), None)
    if row is None:
        who = f"{user.handle} is not" if user is not None else "nobody is"
        raise NotFound(f"{who} the {role} of {incident.human_id}")
    lost = user or session.get(User, row.user_id)
    assert lost is not None  # the foreign key keeps the person
    session.delete(row)
    _flush(session, incident)
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                "role.removed",
                actor,
                f"{actor} removed {lost.handle} as {LABELS[role]}",
                {"role": role, "user": lost.handle},
            )
        ],
    )
    return lost


def ic_from_acknowledgements(session: Session, acks: Sequence[tuple[int, str]]) -> int:
    """Make whoever acknowledged each incident its IC when it has none yet; returns how many.

    ``acks``: ``(incident_id, actor)`` in the order they happened; the first acknowledgement
    of an incident by an enabled person wins. Actors that are not people (``plantao``,
    ``oncall``, ``cli:…``) and people who already wear a hat on it are skipped. A concurrent
    assignment that got there first is kept (its row is in; this one is dropped).
    """
    first: dict[int, str] = {}
    for incident_id, actor in acks:
        if actor:
            first.setdefault(incident_id, actor)
    if not first:
        return 0
    people = {
        u.handle: u
        for u in session.scalars(
            select(User).where(
                User.handle.in_(sorted(set(first.values()))),
                User.kind == "user",
                User.disabled_at.is_(None),
            )
        )
    }
    wanted = {i: people[a] for i, a in first.items() if a in people}
    if not wanted:
        return 0
    taken: dict[int, list[IncidentRole]] = {}
    for row in session.scalars(
        select(IncidentRole).where(IncidentRole.incident_id.in_(sorted(wanted)))
    ):
        taken.setdefault(row.incident_id, []).append(row)
    now = clock.now()
    made = 0
    for incident_id, user in sorted(wanted.items()):
        rows = taken.get(incident_id, [])
        if any(r.role == IC or r.user_id == user.id for r in rows):
            continue
        try:
            with session.begin_nested():
                session.add(
                    IncidentRole(
                        incident_id=incident_id,
                        role=IC,
                        user_id=user.id,
                        assigned_by=SYSTEM_ACTOR,
                        assigned_at=now,
                    )
                )
        except IntegrityError:
            continue
        incident_service.append(
            session,
            incident_id,
            [
                incident_service.TimelineItem(
                    "role.assigned",
                    SYSTEM_ACTOR,
                    f"{user.handle} acknowledged: Incident Commander until they delegate",
                    {"role": IC, "user": user.handle, "via": "acknowledged"},
                )
            ],
            at=now,
        )
        made += 1
    return made
