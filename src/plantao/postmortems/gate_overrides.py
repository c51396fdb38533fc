"""An admin's "ship anyway": a release-gate override for a service (one environment or every
one) with a reason, until it expires (at most :data:`MAX_AHEAD` ahead, so a forgotten override
does not switch the gate off for good). Creating and revoking are audited; the rows stay, so
the decisions they let through keep pointing at them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.people import audit
from plantao.people.actor import AuditActor
from plantao.postmortems import gate
from plantao.postmortems.models import GateOverride

MAX_AHEAD = timedelta(days=7)
MAX_REASON = 2000


def snapshot(row: GateOverride, service_slug: str) -> dict[str, Any]:
    return {
        "service": service_slug,
        "environment": row.environment,
        "reason": row.reason,
        "expires_at": row.expires_at.isoformat(),
        "revoked_at": None if row.revoked_at is None else row.revoked_at.isoformat(),
    }


def create(
    session: Session,
    *,
    service_slug: str,
    environment: str | None,
    reason: str,
    expires_at: datetime,
    actor: AuditActor,
) -> tuple[GateOverride, Service]:
    """Validate, store and audit one override (flushes)."""
    env = gate.check_environment(environment)
    text = reason.strip()
    if not text:
        raise ValidationFailed("reason: say why the release may go out anyway")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"reason: at most {MAX_REASON} characters")
    if expires_at.tzinfo is None:
        raise ValidationFailed("expires_at: give a time zone (e.g. 2026-12-02T18:00:00Z)")
    now = clock.now()
    if expires_at <= now:
        raise ValidationFailed("expires_at: must be in the future")
    if expires_at > now + MAX_AHEAD:
        raise ValidationFailed("expires_at: at most 7 days ahead")
    service = gate.service_by_slug(session, service_slug)
    row = GateOverride(
        service_id=service.id,
        environment=env,
        reason=text,
        created_by=actor.handle[:200],
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "gate.override.create",
        "gate_override",
        row.id,
        after=snapshot(row, service.slug),
    )
    session.flush()
    return row, service


def revoke(session: Session, override_id: int, *, actor: AuditActor) -> tuple[GateOverride, str]:
    """End an override now; revoking one that is already over is a conflict."""
    found = session.execute(
        select(GateOverride, Service.slug)
        .join(Service, Service.id == GateOverride.service_id)
        .where(GateOverride.id == override_id)
        .with_for_update(of=GateOverride)
    ).first()
    if found is None:
        raise NotFound(f"no gate override {override_id}")
    row, slug = found[0], found[1]
    now = clock.now()
    if row.revoked_at is not None:
        raise Conflict("this override was already revoked")
    if row.expires_at <= now:
        raise Conflict("this override has already expired")
    before = snapshot(row, slug)
    row.revoked_at, row.revoked_by = now, actor.handle[:200]
    session.flush()
    audit.record(
        session,
        actor,
        "gate.override.revoke",
        "gate_override",
        row.id,
        before=before,
        after=snapshot(row, slug),
    )
    session.flush()
    return row, slug


def listing(
    session: Session, service_id: int | None = None, *, active_only: bool = False, limit: int = 50
) -> list[tuple[GateOverride, str]]:
    """Newest first, each with its service's slug."""
    query = select(GateOverride, Service.slug).join(Service, Service.id == GateOverride.service_id)
    if service_id is not None:
        query = query.where(GateOverride.service_id == service_id)
    if active_only:
        query = query.where(
            GateOverride.revoked_at.is_(None), GateOverride.expires_at > clock.now()
        )
    rows = session.execute(query.order_by(GateOverride.id.desc()).limit(limit)).tuples()
    return list(rows.all())
