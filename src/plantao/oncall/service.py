"""On-call use cases, the one entry other domains and entry points call.

Schedules live in :mod:`plantao.oncall.schedules`, running escalations in
:mod:`plantao.oncall.escalations`, windows in :mod:`plantao.oncall.window_store`, monitors in
:mod:`plantao.oncall.heartbeats`; this module re-exports their verbs. Incidents opening,
reopening or being acknowledged reach on-call through the engine's reaction step
(``plantao.engine.reactions``), never through a call from the incidents domain.

Changes to schedules, overrides and policies go through the verbs below, which write the audit
entry (who, from where, before/after) in the caller's transaction, so the API, the web UI, the
CLI and ``plantao apply`` all leave the same trace. Which team owns a schedule is derived: the
teams whose services are paged by a policy that names the schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.catalog.models import Service
from plantao.errors import PermissionDenied
from plantao.oncall import escalations, heartbeats, policies, schedules, settings, window_store
from plantao.oncall.escalations import escalate_now, pages, run_timer
from plantao.oncall.heartbeats import beat
from plantao.oncall.heartbeats import check as check_heartbeat
from plantao.oncall.models import (
    EscalationPolicy,
    OncallSchedule,
    ScheduleOverride,
    ServicePolicy,
)
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor

__all__ = [
    "add_override",
    "beat",
    "check_heartbeat",
    "delete_override",
    "escalate_now",
    "escalations",
    "heartbeats",
    "may_act",
    "override_need",
    "pages",
    "policy_schedules",
    "policy_services",
    "put_policy",
    "put_schedule",
    "require_override",
    "require_window",
    "run_timer",
    "schedule_team_ids",
    "schedules",
    "set_service_policy",
    "settings",
    "window_store",
]

_SELF_KINDS = frozenset({"replace", "add"})


# --- who owns what ---------------------------------------------------------------------------


def policy_schedules(body: Mapping[str, Any]) -> list[str]:
    """The schedules a stored policy pages (its steps and fallback), in order, once each."""
    found: list[str] = []
    targets = [t for step in body.get("steps", []) for t in step.get("targets", [])]
    targets += list(body.get("fallback") or [])
    for target in targets:
        if target.get("kind") == "schedule" and target.get("ref") not in found:
            found.append(str(target["ref"]))
    return found


def policy_services(session: Session) -> dict[int, list[Service]]:
    """Services by the id of the policy that pages them, in one query."""
    rows = session.execute(
        select(ServicePolicy.policy_id, Service)
        .join(Service, Service.id == ServicePolicy.service_id)
        .order_by(Service.slug)
    ).tuples()
    found: dict[int, list[Service]] = {}
    for policy_id, service in rows:
        found.setdefault(policy_id, []).append(service)
    return found


def schedule_team_ids(session: Session, slug: str) -> set[int]:
    """The teams whose services are paged through this schedule (empty: nobody's yet)."""
    by_policy = policy_services(session)
    teams: set[int] = set()
    for policy in session.scalars(select(EscalationPolicy)):
        if slug in policy_schedules(policy.body):
            teams.update(s.team_id for s in by_policy.get(policy.id, []) if s.team_id)
    return teams


def may_act(who: Principal, need: Need, team_ids: Iterable[int], *, every: bool = False) -> bool:
    """Whether ``who`` has ``need`` on one (``every``: each) of the teams; with no team, on any.

    A schedule is shared by the teams it pages for, so a role on one of them is enough to change
    it; a window silences every team it names, so it needs the role on each.
    """
    ids = sorted(set(team_ids))
    if not ids:
        return who.can(need)
    checks = (who.can(need, team_id) for team_id in ids)
    return all(checks) if every else any(checks)


def override_need(kind: str, user: str | None, handle: str) -> Need:
    """Putting yourself on call (taking a shift, joining one) is a responder's move; changing
    someone else's time, or taking people off call, is a manager's."""
    return Need.RESPOND if kind in _SELF_KINDS and user == handle else Need.MANAGE


def require_override(
    session: Session, who: Principal, slug: str, *, kind: str, user: str | None
) -> None:
    need = override_need(kind, user, who.handle)
    if not may_act(who, need, schedule_team_ids(session, slug)):
        if need is Need.RESPOND:
            raise PermissionDenied("this needs the responder role on a team this schedule pages")
        raise PermissionDenied(
            "changing someone else's time on call needs the manager role on a team this "
            "schedule pages"
        )


def require_window(session: Session, who: Principal, services: Iterable[str]) -> None:
    """Silences and maintenance windows need the manager role on every team they silence."""
    slugs = sorted(set(services))
    teams: set[int] = set()
    if slugs:
        teams = {
            t
            for t in session.scalars(select(Service.team_id).where(Service.slug.in_(slugs)))
            if t is not None
        }
    if not may_act(who, Need.MANAGE, teams, every=True):
        raise PermissionDenied("silences and maintenance windows need the manager role")


# --- overrides -------------------------------------------------------------------------------


def override_snapshot(slug: str, row: ScheduleOverride) -> dict[str, Any]:
    return {
        "schedule": slug,
        "kind": row.kind,
        "start": row.starts_at,
        "end": row.ends_at,
        "user": row.user,
        "replaces": row.replaces,
        "layer": row.layer,
        "created_by": row.created_by,
    }


def add_override(
    session: Session,
    slug: str,
    *,
    kind: str,
    start: datetime,
    end: datetime,
    user: str | None,
    replaces: str | None = None,
    layer: str | None = None,
    actor: AuditActor,
) -> ScheduleOverride:
    row = schedules.add_override(
        session,
        slug,
        kind=kind,
        start=start,
        end=end,
        user=user,
        replaces=replaces,
        layer=layer,
        actor=actor.handle,
    )
    audit.record(
        session, actor, "override.create", "override", row.id, after=override_snapshot(slug, row)
    )
    return row


def delete_override(session: Session, slug: str, override_id: int, *, actor: AuditActor) -> None:
    found = session.get(ScheduleOverride, override_id)
    before = override_snapshot(slug, found) if found is not None else None
    schedules.delete_override(session, slug, override_id)
    audit.record(session, actor, "override.delete", "override", override_id, before=before)


# --- declared objects (plantao apply) ----------------------------------------------------------


def _schedule_snapshot(session: Session, slug: str) -> dict[str, Any] | None:
    found = session.scalars(select(OncallSchedule).where(OncallSchedule.slug == slug)).one_or_none()
    if found is None:
        return None
    return {"name": found.name, "time_zone": found.time_zone, "layers": found.layers}


def put_schedule(
    session: Session,
    *,
    slug: str,
    name: str,
    time_zone: str,
    layers: list[dict[str, Any]],
    actor: AuditActor = SYSTEM,
) -> str:
    """Create or update a schedule; returns create, update or keep (keep writes no entry)."""
    before = _schedule_snapshot(session, slug)
    action = schedules.put(session, slug=slug, name=name, time_zone=time_zone, layers=layers)
    if action != "keep":
        after = _schedule_snapshot(session, slug)
        audit.record(
            session, actor, f"schedule.{action}", "schedule", slug, before=before, after=after
        )
    return action


def _policy_snapshot(session: Session, slug: str) -> dict[str, Any] | None:
    found = session.scalars(
        select(EscalationPolicy).where(EscalationPolicy.slug == slug)
    ).one_or_none()
    return None if found is None else {"name": found.name, "body": found.body}


def put_policy(
    session: Session,
    *,
    slug: str,
    name: str,
    body: dict[str, Any],
    actor: AuditActor = SYSTEM,
) -> str:
    before = _policy_snapshot(session, slug)
    action = policies.put(session, slug=slug, name=name, body=body)
    if action != "keep":
        after = _policy_snapshot(session, slug)
        audit.record(session, actor, f"policy.{action}", "policy", slug, before=before, after=after)
    return action


def set_service_policy(
    session: Session, service: Service, slug: str | None, *, actor: AuditActor = SYSTEM
) -> str:
    """Point a service at a policy (None: no paging), with its audit entry."""
    current = escalations.policy_for_service(session, service.id)
    before = None if current is None else current.slug
    action = policies.set_for_service(session, service.id, slug)
    if action != "keep":
        audit.record(
            session,
            actor,
            f"service_policy.{action}",
            "service",
            service.slug,
            before={"escalation_policy": before},
            after={"escalation_policy": slug},
        )
    return action
