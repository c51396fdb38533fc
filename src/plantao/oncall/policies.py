"""Escalation policies and which service uses which; running escalations keep a snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao.errors import NotFound
from plantao.oncall.escalation_plan import PolicySnapshot
from plantao.oncall.models import EscalationPolicy, ServicePolicy


def put(session: Session, *, slug: str, name: str, body: dict[str, Any]) -> str:
    PolicySnapshot.from_dict(body)  # the backstop: refuse what cannot run
    row = session.scalars(select(EscalationPolicy).where(EscalationPolicy.slug == slug)).first()
    if row is None:
        session.add(EscalationPolicy(slug=slug, name=name, body=body))
        session.flush()
        return "create"
    changed = [k for k, v in (("name", name), ("body", body)) if getattr(row, k) != v]
    for key in changed:
        setattr(row, key, name if key == "name" else body)
    session.flush()
    return "update" if changed else "keep"


def get(session: Session, slug: str) -> EscalationPolicy:
    row = session.scalars(select(EscalationPolicy).where(EscalationPolicy.slug == slug)).first()
    if row is None:
        raise NotFound(f"escalation policy '{slug}' does not exist")
    return row


def list_policies(session: Session) -> list[EscalationPolicy]:
    return list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.slug)))


def set_for_service(session: Session, service_id: int, slug: str | None) -> str:
    """Point a service at a policy (None: no paging); returns create, update, delete or keep."""
    row = session.get(ServicePolicy, service_id)
    if slug is None:
        if row is None:
            return "keep"
        session.execute(delete(ServicePolicy).where(ServicePolicy.service_id == service_id))
        return "delete"
    policy_id = get(session, slug).id
    if row is None:
        session.add(ServicePolicy(service_id=service_id, policy_id=policy_id))
        session.flush()
        return "create"
    if row.policy_id == policy_id:
        return "keep"
    row.policy_id = policy_id
    session.flush()
    return "update"
