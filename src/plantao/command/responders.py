"""Responders: ask more people onto an incident ("page the DBA", seed 003 §9.2 lateral
escalation) and follow whether they answered.

A responder is named directly (a user), through a schedule (whoever is on call now) or through
an escalation policy (the people its *first* step reaches now). Each person found becomes an
``incident_responders`` row in state ``paged`` and is paged through the outbox like any page
(:func:`plantao.notify.paging.page_user`, step ``responder:<via>``: a replayed request writes no
second delivery), in the caller's transaction; the engine's delivery step sends it.

States: ``paged`` → ``acknowledged`` (they answered the page: the signed ack link, the API or
the incident page) and ``joined`` (they said they are working on it, or were put on it by hand;
adding yourself joins at once, without a page). Answering cancels their later, unsent
responder pages (the SMS that would follow the e-mail).

Refusals change nothing: an unknown user, schedule or policy is 404; a closed incident, a
schedule or policy that reaches nobody now, or only people who already are responders, is 409
(re-adding a responder never pages them twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import access as incident_access
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import OPEN_STATES
from plantao.incidents.models import Incident, IncidentResponder
from plantao.incidents.schemas import ResponderOut
from plantao.notify import paging as notify_paging
from plantao.notify.models import RESPONDER_STEP_PREFIX
from plantao.oncall import escalation_plan, policies, schedules
from plantao.oncall.escalation_plan import PolicySnapshot
from plantao.people import directory
from plantao.people.models import User

SourceKind = Literal["user", "schedule", "policy"]
#: Longest message a person adding responders may send along with the page.
MESSAGE_MAX = 500


@dataclass(frozen=True)
class Source:
    """Whom to ask for: a user's handle, a schedule's or an escalation policy's slug."""

    kind: SourceKind
    name: str

    @property
    def via(self) -> str:
        """What ``incident_responders.via`` records: ``user``, ``schedule:<slug>``, ..."""
        return "user" if self.kind == "user" else f"{self.kind}:{self.name}"

    @property
    def described(self) -> str:
        return f"user '{self.name}'" if self.kind == "user" else f"{self.kind} '{self.name}'"


def source_of(*, user: str | None, schedule: str | None, policy: str | None) -> Source:
    """Exactly one of the three, stripped; anything else is a 422 naming the choice."""
    given = [
        (kind, value.strip())
        for kind, value in (("user", user), ("schedule", schedule), ("policy", policy))
        if value is not None and value.strip()
    ]
    if len(given) != 1:
        raise ValidationFailed("give exactly one of user, schedule or policy")
    kind, name = given[0]
    if len(name) > 64:
        raise ValidationFailed(f"{kind}: at most 64 characters")
    return Source(kind, name)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Added:
    """What :func:`add` did: who was paged (or joined), and who already was a responder."""

    paged: tuple[str, ...]
    joined: tuple[str, ...]
    already: tuple[str, ...]
    deliveries: int


def _on_call(session: Session, slug: str, at: datetime) -> list[str]:
    try:
        return schedules.who_is_on_call(session, slug, at)
    except NotFound:
        return []


def _handles(session: Session, source: Source, at: datetime) -> tuple[list[str], str]:
    """The handles ``source`` reaches at ``at``, and why it reaches nobody when it does."""
    if source.kind == "user":
        return [source.name], ""
    if source.kind == "schedule":
        schedules.get(session, source.name)  # unknown → 404
        found = schedules.who_is_on_call(session, source.name, at)
        return found, f"schedule '{source.name}' has nobody on call now"
    policy = policies.get(session, source.name)
    first = PolicySnapshot.from_dict(policy.body).steps[0]
    resolution = escalation_plan.resolve_targets(
        first, lambda slug, when: _on_call(session, slug, when), at
    )
    empty = ", ".join(f"schedule '{s}'" for s in resolution.empty_schedules)
    why = f"the first step of escalation policy '{source.name}' reaches nobody now"
    return list(resolution.users), why + (f" ({empty} has nobody on call)" if empty else "")


def resolve(session: Session, source: Source, at: datetime | None = None) -> list[User]:
    """The active people ``source`` reaches now, in its order; 404 for an unknown user,
    schedule or policy, 409 when it reaches nobody."""
    handles, nobody = _handles(session, source, at or clock.now())
    users = {
        u.handle: u
        for u in session.scalars(select(User).where(User.handle.in_(handles or [""])))
        if u.kind == "user" and u.disabled_at is None
    }
    if source.kind == "user" and source.name not in users:
        raise NotFound(f"user '{source.name}' does not exist or is disabled")
    found = [users[h] for h in handles if h in users]
    if not found:
        raise Conflict(f"nobody was paged: {nobody}")
    return found


def _reason(actor: str, message: str | None) -> str:
    reason = f"added as a responder by {actor}"
    return f"{reason}: {message}" if message else reason


def _clean(message: str | None) -> str | None:
    text = (message or "").strip()
    if len(text) > MESSAGE_MAX:
        raise ValidationFailed(f"message: at most {MESSAGE_MAX} characters")
    return text or None


def add(
    session: Session,
    incident: Incident,
    *,
    user: str | None = None,
    schedule: str | None = None,
    policy: str | None = None,
    actor: str,
    message: str | None = None,
) -> Added:
    """Page the people of one source as responders of ``incident`` (locked by the caller).

    Someone adding themselves joins at once, unpaged. People who already are responders are
    left as they are; when that is everyone found, nothing changes and it is a 409.
    """
    source = source_of(user=user, schedule=schedule, policy=policy)
    note = _clean(message)
    if incident.status not in OPEN_STATES:
        raise Conflict(f"{incident.human_id} is {incident.status}; reopen it to add responders")
    people = resolve(session, source)
    present = set(
        session.scalars(
            select(IncidentResponder.user_id).where(
                IncidentResponder.incident_id == incident.id,
                IncidentResponder.user_id.in_([p.id for p in people]),
            )
        )
    )
    already = tuple(p.handle for p in people if p.id in present)
    new = [p for p in people if p.id not in present]
    if not new:
        names = ", ".join(already)
        verb = "is already a responder" if len(already) == 1 else "are already responders"
        raise Conflict(f"{names} {verb} on {incident.human_id}")
    joined = tuple(p.handle for p in new if p.handle == actor)
    for me in (p for p in new if p.handle == actor):
        incident_access.add_responder(session, incident, me, actor=actor)
    new = [p for p in new if p.handle != actor]
    if not new:
        return Added((), joined, already, 0)
    now = clock.now()
    for person in new:
        session.add(
            IncidentResponder(
                incident_id=incident.id,
                user_id=person.id,
                added_by=actor,
                added_at=now,
                state="paged",
                via=source.via,
                paged_at=now,
            )
        )
    session.flush()
    handles = [p.handle for p in new]
    via = "" if source.kind == "user" else f" (via {source.described})"
    text = f"Paged {', '.join(handles)} as responder{'s' if len(new) > 1 else ''}{via}"
    data: dict[str, object] = {"users": handles, "via": source.via}
    if note:
        text += f": {note}"
        data["message"] = note
    incident_service.append(
        session,
        incident.id,
        [incident_service.TimelineItem("responder.paged", actor, text, data)],
        at=now,
    )
    urgency = escalation_plan.urgency_for(incident.severity).value
    written = sum(
        notify_paging.page_user(
            session,
            incident_id=incident.id,
            user_id=person.id,
            urgency=urgency,
            reason=_reason(actor, note),
            step=f"{RESPONDER_STEP_PREFIX}{source.via}",
        )
        for person in new
    )
    return Added(tuple(handles), joined, already, written)


def _row(session: Session, incident: Incident, user: User) -> IncidentResponder | None:
    return session.get(IncidentResponder, (incident.id, user.id))


def acknowledge(session: Session, incident: Incident, user: User) -> bool:
    """``user`` answered their page; False when they had already answered (acknowledged or
    joined: nothing changes). 404 when they are no responder of the incident."""
    row = _row(session, incident, user)
    if row is None:
        raise NotFound(f"{user.handle} is not a responder on {incident.human_id}")
    if not incident_access.acknowledge_page(session, incident, user):
        return False
    notify_paging.cancel_responder_pages(
        session, incident.id, user.id, f"acknowledged by {user.handle}"
    )
    return True


def answered_by_acknowledgement(session: Session, acks: Sequence[tuple[int, str]]) -> int:
    """Paged responders who acknowledged the incident itself (web, API, CLI) answered their
    page too: ``acknowledged``, later responder pages cancelled. ``acks``: ``(incident_id,
    actor)``, from the engine's reaction step; one query finds the few rows. Returns how many."""
    wanted = {(i, a) for i, a in acks if a}
    if not wanted:
        return 0
    rows = session.execute(
        select(Incident, User)
        .join(IncidentResponder, IncidentResponder.incident_id == Incident.id)
        .join(User, User.id == IncidentResponder.user_id)
        .where(
            IncidentResponder.incident_id.in_(sorted({i for i, _ in wanted})),
            IncidentResponder.state == "paged",
            User.handle.in_(sorted({a for _, a in wanted})),
        )
        .order_by(Incident.id, User.id)
    ).all()
    return sum(
        acknowledge(session, incident, user)
        for incident, user in rows
        if (incident.id, user.handle) in wanted
    )


def join(session: Session, incident: Incident, user: User) -> bool:
    """``user`` is working on the incident: ``joined`` (added when they were not a responder);
    False when they already had joined. Only people join (a service account is a 422)."""
    if user.kind != "user":
        raise ValidationFailed(f"{user.handle} is a service account; only people join incidents")
    row = _row(session, incident, user)
    if row is None:
        incident_access.add_responder(session, incident, user, actor=user.handle)
        return True
    if row.state == "joined":
        return False
    now = clock.now()
    row.state, row.joined_at = "joined", now
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                "responder.joined",
                user.handle,
                f"{user.handle} joined as a responder",
                {"user": user.handle, "via": row.via},
            )
        ],
        at=now,
    )
    notify_paging.cancel_responder_pages(
        session, incident.id, user.id, f"{user.handle} joined the incident"
    )
    session.flush()
    return True


def listing(session: Session, incident_id: int) -> list[ResponderOut]:
    """The incident's responders in the order they were added."""
    return [
        ResponderOut(
            user=u.handle,
            name=u.name,
            state=r.state,
            via=r.via,
            added_by=r.added_by,
            added_at=r.added_at,
            paged_at=r.paged_at,
            acknowledged_at=r.acknowledged_at,
            joined_at=r.joined_at,
        )
        for r, u in incident_access.responders(session, incident_id)
    ]


def person(session: Session, handle: str) -> User:
    """The user called ``handle`` (404 otherwise), for the verbs a person does themselves."""
    return directory.get(session, handle)
