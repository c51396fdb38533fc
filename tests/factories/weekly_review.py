"""A scripted week for the weekly operational review: 2026-W49 of team ``payments`` (business
calendar in São Paulo), with incidents of each severity, postmortems due, overdue and published,
corrective actions due, overdue and done, and release-gate refusals, plus rows of the weeks
around it and of another team that the review must leave out.

``NOW`` is Wednesday of the following week (2026-12-09 12:00 UTC). Figures the tests expect are
in the docstrings of :func:`script`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.catalog.models import Service
from plantao.db import run_transaction
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, IncidentResponder
from plantao.people.models import Team, User
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.models import (
    BusinessCalendar,
    CorrectiveAction,
    GateDecision,
    Postmortem,
)
from tests.factories.config import apply_config

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
WEEK = "2026-W49"

PEOPLE = """
version: 1
teams:
  - {slug: payments, name: Payments, members: [ana, bob, carl]}
  - {slug: ops, name: Ops, members: [dora]}
  - {slug: quiet, name: Quiet, members: [carl]}
users:
  - handle: ana
    name: Ana
    email: ana@example.com
    language: pt-BR
    contact_methods: [{name: work, type: email, address: ana.work@example.com}]
  - {handle: bob, name: Bob, email: bob@example.com}
  - {handle: carl, name: Carl}
  - {handle: dora, name: Dora, email: dora@example.com}
services:
  - {slug: pay, name: Payments API, team: payments}
  - {slug: other, name: Other, team: ops}
"""


def _at(day: int, hour: int = 12, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Week:
    """Ids the tests look at."""

    incidents: dict[str, int]
    refs: dict[str, str]
    actions: dict[str, str]


def people(factory: sessionmaker[Session]) -> None:
    """Teams, people and services; ``payments`` counts its weeks in São Paulo."""
    apply_config(factory, PEOPLE)

    def calendar(s: Session) -> None:
        team = s.scalars(select(Team).where(Team.slug == "payments")).one()
        s.add(
            BusinessCalendar(
                name="brasil", team_id=team.id, time_zone="America/Sao_Paulo", updated_at=NOW
            )
        )

    run_transaction(factory, calendar)


def script(factory: sessionmaker[Session]) -> Week:
    """The week, in ``payments`` (São Paulo):

    - incidents opened in W49: sev1 ×2 (ack 4 and 10 min, resolved in 50 and 90 min), sev2 ×1
      (private, acknowledged after 20 min, still open), sev3 ×1 (still open), sev4 ×1 (Sunday
      23:30 in São Paulo, already Monday in UTC); previous week: one sev2;
    - postmortems due in W49: 2 (A published in the week, B draft → overdue), previous week 1
      (G, in review → overdue); published in W49: 1;
    - actions due in W49: 2 (AC a done in the week, AC b must-fix open → overdue), previous
      week 1 (done then); overdue now: b and c (must-fix, private incident); done in W49: 1,
      previous 1; must-fix open: b, c;
    - gate: two refusals for ``pay`` in W49 naming action b (and incident C once), one allowed
      answer, one refusal the week before.

    The other team's incident, postmortem, action and refusal in W49 are left out.
    """
    people(factory)

    def work(s: Session) -> Week:
        pay = s.scalars(select(Service).where(Service.slug == "pay")).one()
        other = s.scalars(select(Service).where(Service.slug == "other")).one()
        owner = s.scalars(select(User).where(User.handle == "bob")).one()
        incidents: dict[str, Incident] = {}

        def incident(
            key: str,
            sev: str,
            at: datetime,
            *,
            service: Service = pay,
            status: Status = Status.RESOLVED,
            **kw: Any,
        ) -> Incident:
            row = Incident(
                human_id=f"INC-{at:%Y%m%d}-{key}",
                title=f"Incident {key}",
                status=status,
                severity=sev,
                service_id=service.id,
                group_key=key,
                detected_at=at,
                triggered_at=at,
                last_alert_at=at,
                created_by="test",
                **kw,
            )
            s.add(row)
            incidents[key] = row
            return row

        incident("A", "sev1", _at(1), acknowledged_at=_at(1, 12, 4), resolved_at=_at(1, 12, 50))
        incident("B", "sev1", _at(2), acknowledged_at=_at(2, 12, 10), resolved_at=_at(2, 13, 30))
        incident(
            "C",
            "sev2",
            _at(3),
            status=Status.ACKNOWLEDGED,
            acknowledged_at=_at(3, 12, 20),
            private=True,
        )
        incident("D", "sev3", _at(4), status=Status.TRIGGERED)
        incident("E", "sev4", _at(7, 2, 30), resolved_at=_at(7, 3, 0))  # Sun 23:30 in SP
        incident("F", "sev3", _at(7, 3, 30), resolved_at=_at(7, 4))  # Mon 00:30 in SP: W50
        incident("G", "sev2", _at(25, month=11), resolved_at=_at(25, 14, month=11))
        incident("H", "sev1", _at(2), service=other, resolved_at=_at(2, 13))
        s.flush()
        dora = s.scalars(select(User).where(User.handle == "dora")).one()
        s.add(
            IncidentResponder(
                incident_id=incidents["C"].id, user_id=dora.id, added_by="t", added_at=_at(3)
            )
        )
        pms: dict[str, Postmortem] = {}

        def postmortem(key: str, due: datetime, status: str = "draft", **kw: Any) -> None:
            row = Postmortem(
                incident_id=incidents[key].id,
                status=status,
                required=True,
                due_at=due,
                owner_user_id=owner.id,
                created_by="test",
                created_at=_at(1, month=11),
                updated_at=_at(1, month=11),
                **kw,
            )
            s.add(row)
            pms[key] = row

        postmortem("A", _at(3), "published", published_at=_at(2, 18), published_by="bob")
        postmortem("B", _at(4))
        postmortem("G", _at(27, month=11), "in_review")
        postmortem("C", _at(10))
        postmortem("H", _at(4))
        s.flush()
        actions: dict[str, CorrectiveAction] = {}

        def action(key: str, pm: str, due: date, status: str = "open", **kw: Any) -> None:
            row = CorrectiveAction(
                postmortem_id=pms[pm].id,
                incident_id=incidents[pm].id,
                service_id=incidents[pm].service_id,
                title=f"Action {key}",
                due_date=due,
                severity=incidents[pm].severity,
                status=status,
                created_by="test",
                created_at=_at(1, month=11),
                updated_at=_at(1, month=11),
                **kw,
            )
            s.add(row)
            actions[key] = row

        action("a", "A", date(2026, 12, 2), "done", done_at=_at(2, 15))
        action("b", "B", date(2026, 12, 6), must_fix=True, owner_user_id=owner.id)
        action("c", "C", date(2026, 12, 8), "in_progress", must_fix=True)
        action("d", "G", date(2026, 11, 26), "done", done_at=_at(27, month=11))
        action("e", "A", date(2026, 12, 20))
        action("h", "H", date(2026, 12, 3), must_fix=True)
        s.flush()
        b_ref = format_action_id(actions["b"].id)
        c_ref = incidents["C"].human_id

        def refusal(
            service: Service, at: datetime, allowed: bool, blocking: list[dict[str, str]]
        ) -> None:
            s.add(
                GateDecision(
                    at=at,
                    service_id=service.id,
                    environment="production",
                    asked_by="ci",
                    via="api",
                    allowed=allowed,
                    blocking=blocking,
                )
            )

        refusal(
            pay, _at(2), False, [{"kind": "action", "id": b_ref}, {"kind": "incident", "id": c_ref}]
        )
        refusal(pay, _at(3), False, [{"kind": "action", "id": b_ref}])
        refusal(pay, _at(4), True, [])
        refusal(other, _at(2), False, [{"kind": "action", "id": "AC-99"}])
        refusal(pay, _at(26, month=11), False, [{"kind": "action", "id": b_ref}])
        s.flush()
        return Week(
            {k: v.id for k, v in incidents.items()},
            {k: v.human_id for k, v in incidents.items()},
            {k: format_action_id(v.id) for k, v in actions.items()},
        )

    return run_transaction(factory, work)
