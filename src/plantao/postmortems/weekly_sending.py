"""E-mailing a team its weekly operational review, once.

Every member of the team with an e-mail address gets the review of the week in their own
language, with the titles of private incidents they may not see hidden. Where a member has
e-mail contact methods the review goes to those; otherwise to the address on their profile
(``User.email``); members with neither are skipped, and a team with nobody to write to gets
nothing (and no sending is recorded, so a member added later still gets the next one).

Once: the ``review_sendings`` row (team, week) is inserted first, ``ON CONFLICT DO NOTHING``;
only the transaction that inserted it writes the outbox rows, each keyed per team, week, person
and address, so two engines, a retried job or a replay write them once. The engine's delivery
step sends them like any other message (retries, throttles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import is_postgres, wake_engines
from plantao.notify.models import ContactMethod, Delivery
from plantao.people.models import Team, TeamMembership, User
from plantao.postmortems import weekly_gather
from plantao.postmortems.iso_weeks import IsoWeek
from plantao.postmortems.models import ReviewSending
from plantao.postmortems.weekly_facts import WeeklyFacts, redacted
from plantao.postmortems.weekly_render import render

#: The outbox step of these messages (the deliveries page shows it).
STEP = "weekly_review"
INSTALLATION = "*"
_MD = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Address:
    """Where one member's review goes: a contact method of theirs, or their profile address."""

    contact_method_id: int | None
    address: str | None


@dataclass(frozen=True)
class Recipient:
    user: User
    addresses: tuple[Address, ...]


def recipients(session: Session, team_id: int) -> list[Recipient]:
    """The team's members that have an e-mail address, each with where to write."""
    members = list(
        session.scalars(
            select(User)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team_id, User.kind == "user")
            .order_by(User.id)
        )
    )
    if not members:
        return []
    methods: dict[int, list[ContactMethod]] = {}
    for method in session.scalars(
        select(ContactMethod)
        .where(ContactMethod.user_id.in_([u.id for u in members]), ContactMethod.type == "email")
        .order_by(ContactMethod.id)
    ):
        methods.setdefault(method.user_id, []).append(method)
    found = []
    for user in members:
        seen: set[str] = set()
        addresses = []
        for method in methods.get(user.id, []):
            key = method.address.strip().lower()
            if key and key not in seen:
                seen.add(key)
                addresses.append(Address(method.id, None))
        if not addresses and user.email:
            addresses.append(Address(None, user.email.strip()))
        if addresses:
            found.append(Recipient(user, tuple(addresses)))
    return found


def _record(session: Session, team_key: str, week: IsoWeek, count: int) -> bool:
    """Insert the sending row; False when it was already there (sent before)."""
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = (
        builder(ReviewSending)
        .values(team_key=team_key, week=str(week), sent_at=clock.now(), recipients=count)
        .on_conflict_do_nothing(index_elements=[ReviewSending.team_key, ReviewSending.week])
        .returning(ReviewSending.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def _rows(
    team_key: str, facts: WeeklyFacts, recipient: Recipient, language: str, base_url: str
) -> list[dict[str, Any]]:
    out = render(facts, language, base_url)
    now = clock.now()
    user = recipient.user
    rows = []
    for address in recipient.addresses:
        where = str(address.contact_method_id) if address.contact_method_id else "profile"
        rows.append(
            {
                "idempotency_key": f"{STEP}:{team_key}:{facts.week}:{user.id}:{where}"[:255],
                "kind": "message",
                "incident_id": None,
                # A profile address is a row addressed by itself (no contact method to throttle
                # or to look the address up in), like a stakeholder list's.
                "user_id": user.id if address.contact_method_id else None,
                "contact_method_id": address.contact_method_id,
                "channel": "email",
                "address": address.address,
                "step": STEP,
                "reason": f"weekly operational review {facts.week}",
                "urgency": "low",
                "incident_ref": facts.week,
                "severity": "sev4",
                "subject": out.subject,
                "text": out.text,
                "html": _MD.render(out.text),
                "links": [],
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return rows


def send_team(session: Session, team: Team, week: IsoWeek, base_url: str) -> int | None:
    """Write ``team``'s review of ``week`` to the outbox; the number of people it goes to, 0
    when nobody has an address, None when it was sent before."""
    people = recipients(session, team.id)
    if not people:
        return 0
    if not _record(session, team.slug, week, len(people)):
        return None
    facts = weekly_gather.gather(session, week, team.slug)
    _write(session, team.slug, facts, people, base_url)
    return len(people)


def _write(
    session: Session,
    team_key: str,
    facts: WeeklyFacts,
    people: Sequence[Recipient],
    base_url: str,
) -> None:
    rows: list[dict[str, Any]] = []
    for person in people:
        is_admin = person.user.global_role == "admin"
        seen = weekly_gather.visible_private(session, facts, person.user.id, is_admin)
        rows.extend(_rows(team_key, redacted(facts, seen), person, person.user.language, base_url))
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = builder(Delivery).on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
    for row in rows:
        session.execute(stmt, row)
    if rows:
        wake_engines(session)
