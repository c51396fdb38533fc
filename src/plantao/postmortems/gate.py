"""The release gate's answer for one service (seed 002: "AC items block promotions when marked
must-fix"; an open Sev1/Sev2 on the service blocks too unless configured otherwise).

:func:`evaluate` gathers what blocks with one indexed query per kind (open must-fix actions,
open incidents, the newest active override, the severities that block) and lets the pure
:func:`plantao.postmortems.gate_rules.decide` say the answer; :func:`answer` also stores the
decision (who asked, through what, the answer and its reasons) — every answer a pipeline got
can be shown later on the service. The web page computes without storing.

Private incidents still block, but their titles (and their actions' titles) are replaced by a
neutral text for a caller who may not see them — and always in the stored decision, which any
reader of the service page sees.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    false,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.models import ApiToken
from plantao.auth.principal import Principal
from plantao.auth.roles import READING
from plantao.catalog.models import Service
from plantao.errors import NotFound, ValidationFailed
from plantao.incidents import visibility
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.postmortems import gate_settings
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.gate_rules import (
    ActiveOverride,
    Answer,
    BlockingAction,
    OpenIncident,
    decide,
)
from plantao.postmortems.models import ACTION_OPEN, CorrectiveAction, GateDecision, GateOverride

ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PRIVATE_INCIDENT = "private incident"
PRIVATE_ACTION = "action of a private incident"
_CLOSED = ("resolved", "closed")


@dataclass(frozen=True)
class Evaluation:
    """The answer as the caller may read it, and as it is stored (private titles hidden)."""

    service: Service
    environment: str | None
    answer: Answer
    stored_blocking: tuple[dict[str, Any], ...]

    def body(self) -> dict[str, Any]:
        return self.answer.as_dict(self.service.slug, self.environment)


def service_by_slug(session: Session, slug: str) -> Service:
    service = session.scalar(select(Service).where(Service.slug == slug))
    if service is None:
        raise NotFound(f"no service '{slug[:64]}'")
    return service


def service_and_severities(session: Session, slug: str) -> tuple[Service, frozenset[str]]:
    """The service and the incident severities that block it, in one query."""
    row = session.execute(
        select(Service, gate_settings.severities_column()).where(Service.slug == slug)
    ).first()
    if row is None:
        raise NotFound(f"no service '{slug[:64]}'")
    return row[0], gate_settings.of_text(row[1])


def check_environment(environment: str | None) -> str | None:
    """None or empty: every environment; otherwise 1..64 of ``A-Z a-z 0-9 . _ -``."""
    if environment is None or environment == "":
        return None
    if not ENVIRONMENT.match(environment):
        raise ValidationFailed(
            "environment: 1 to 64 letters, digits, '.', '_' or '-' (like 'production')"
        )
    return environment


def _visible(who: Principal | None) -> ColumnElement[bool]:
    """Whether the caller may read the incident's title; a gate-only token reads no incident,
    so private ones are hidden from it whoever owns it."""
    if who is None:
        return visibility.visible_clause(0, True)
    if not (who.access.scopes & READING):
        return Incident.private.is_(False)
    return visibility.visible_clause(who.user_id, who.is_admin)


def _actions(service_id: int, environment: str | None, visible: ColumnElement[bool]) -> Select[Any]:
    """Open must-fix actions that block this environment (an action with no environment blocks
    every one; a question with no environment is blocked by every action), with whether their
    incident is private and whether the caller may see it (``ix_corrective_actions_gate``)."""
    where = [
        CorrectiveAction.service_id == service_id,
        CorrectiveAction.must_fix.is_(True),
        CorrectiveAction.status.in_(ACTION_OPEN),
    ]
    if environment is not None:
        where.append(
            or_(CorrectiveAction.environment.is_(None), CorrectiveAction.environment == environment)
        )
    return (
        select(
            literal("action").label("kind"),
            CorrectiveAction.id.label("num"),
            CorrectiveAction.title.label("title"),
            CorrectiveAction.due_date.label("due"),
            CorrectiveAction.environment.label("environment"),
            Incident.human_id.label("incident"),
            Incident.private.label("private"),
            visible.label("visible"),
            User.handle.label("who"),
            type_coerce(null(), String()).label("severity"),
            type_coerce(null(), String()).label("status"),
            type_coerce(null(), GateOverride.expires_at.type).label("expires_at"),
        )
        .join(Incident, Incident.id == CorrectiveAction.incident_id)
        .outerjoin(User, User.id == CorrectiveAction.owner_user_id)
        .where(*where)
    )


def _incidents(
    service_id: int, severities: frozenset[str], visible: ColumnElement[bool]
) -> Select[Any]:
    """Open incidents of the service of a blocking severity."""
    return select(
        literal("incident"),
        Incident.id,
        Incident.title,
        null(),
        null(),
        Incident.human_id,
        Incident.private,
        visible,
        null(),
        Incident.severity,
        Incident.status,
        null(),
    ).where(
        Incident.service_id == service_id,
        Incident.status.not_in(_CLOSED),
        Incident.severity.in_(sorted(severities)),
    )


def _override(service_id: int, environment: str | None, now: datetime) -> Select[Any]:
    """The newest override in force: not revoked, not expired, for this environment or for
    every one (a question with no environment is covered only by an every-environment one)."""
    env_match: ColumnElement[bool] = GateOverride.environment.is_(None)
    if environment is not None:
        env_match = or_(env_match, GateOverride.environment == environment)
    newest = (
        select(GateOverride)
        .where(
            GateOverride.service_id == service_id,
            GateOverride.expires_at > now,
            GateOverride.revoked_at.is_(None),
            env_match,
        )
        .order_by(GateOverride.created_at.desc(), GateOverride.id.desc())
        .limit(1)
        .subquery()
    )
    return select(
        literal("override"),
        newest.c.id,
        newest.c.reason,
        null(),
        newest.c.environment,
        null(),
        false(),
        false(),
        newest.c.created_by,
        null(),
        null(),
        newest.c.expires_at,
    )


def _gather(
    session: Session,
    service_id: int,
    environment: str | None,
    severities: frozenset[str],
    who: Principal | None,
    now: datetime,
) -> tuple[
    list[tuple[BlockingAction, bool, bool]],
    list[tuple[OpenIncident, bool, bool]],
    ActiveOverride | None,
]:
    """Everything that decides the answer, in one round trip (a ``UNION ALL``; a gate answer
    is mostly the cost of its statements, not of the database's work)."""
    visible = _visible(who)
    parts = [_actions(service_id, environment, visible), _override(service_id, environment, now)]
    if severities:
        parts.append(_incidents(service_id, severities, visible))
    actions, incidents, override = [], [], None
    for r in session.execute(union_all(*parts)).all():
        if r.kind == "action":
            action = BlockingAction(
                id=format_action_id(r.num),
                incident=r.incident,
                title=r.title,
                owner=r.who,
                due=r.due,
                environment=r.environment,
            )
            actions.append((action, bool(r.private), bool(r.visible)))
        elif r.kind == "incident":
            incident = OpenIncident(
                id=r.incident, title=r.title, severity=r.severity, status=str(r.status)
            )
            incidents.append((incident, bool(r.private), bool(r.visible)))
        else:
            override = ActiveOverride(
                id=r.num,
                reason=r.title,
                created_by=r.who,
                expires_at=r.expires_at,
                environment=r.environment,
            )
    return actions, incidents, override


def _masked(
    reasons: Sequence[dict[str, Any]], hidden: set[str], private_actions: set[str]
) -> tuple[dict[str, Any], ...]:
    """Reasons with the titles of hidden incidents (and of their actions) replaced."""
    out = []
    for reason in reasons:
        if reason["incident"] in hidden:
            neutral = PRIVATE_ACTION if reason["id"] in private_actions else PRIVATE_INCIDENT
            out.append({**reason, "title": neutral})
        else:
            out.append(reason)
    return tuple(out)


def evaluate(
    session: Session,
    service: Service,
    environment: str | None,
    who: Principal | None,
    *,
    now: datetime | None = None,
    severities: frozenset[str] | None = None,
) -> Evaluation:
    """The answer right now, without storing it (``who`` None: the operator, who sees all)."""
    now = now or clock.now()
    if severities is None:
        severities = gate_settings.block_severities(session, service.id)
    actions, incidents, override = _gather(session, service.id, environment, severities, who, now)
    answer = decide(
        [a for a, _, _ in actions],
        [i for i, _, _ in incidents],
        block_severities=severities,
        override=override,
    )
    private = {a.incident for a, p, _ in actions if p} | {i.id for i, p, _ in incidents if p}
    unseen = {a.incident for a, p, v in actions if p and not v}
    unseen |= {i.id for i, p, v in incidents if p and not v}
    action_ids = {a.id for a, p, _ in actions if p}
    shown = replace(answer, blocking=_masked(answer.blocking, unseen, action_ids))
    return Evaluation(service, environment, shown, _masked(answer.blocking, private, action_ids))


def asker(session: Session, who: Principal) -> str:
    """Who asked, as the decision log names them: the handle and the token's name."""
    if who.token_id is None:
        return who.handle[:200]
    name = session.scalar(select(ApiToken.name).where(ApiToken.id == who.token_id))
    return f"{who.handle} (token {name})"[:200] if name else who.handle[:200]


def answer(
    session: Session,
    service_slug: str,
    environment: str | None,
    *,
    asked_by: str,
    via: str,
    who: Principal | None,
) -> tuple[Evaluation, GateDecision]:
    """Answer and store the decision (flushes; the entry point commits)."""
    env = check_environment(environment)
    service, severities = service_and_severities(session, service_slug)
    now = clock.now()
    result = evaluate(session, service, env, who, now=now, severities=severities)
    decision = GateDecision(
        at=now,
        service_id=service.id,
        environment=env,
        asked_by=asked_by[:200],
        via=via[:16],
        allowed=result.answer.allowed,
        blocking=list(result.stored_blocking),
        override_id=None if result.answer.override is None else result.answer.override.id,
    )
    session.add(decision)
    session.flush()
    return result, decision


def decisions(
    session: Session, service_id: int | None = None, *, limit: int = 20
) -> list[tuple[GateDecision, str]]:
    """The newest decisions (of one service, or of all), each with its service's slug."""
    query = select(GateDecision, Service.slug).join(Service, Service.id == GateDecision.service_id)
    if service_id is not None:
        query = query.where(GateDecision.service_id == service_id)
    rows = session.execute(query.order_by(GateDecision.id.desc()).limit(limit)).tuples()
    return list(rows.all())
