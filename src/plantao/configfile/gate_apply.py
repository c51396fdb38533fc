"""Applying ``release_gate:`` (top level and per service) to ``gate_settings``.

Like stakeholders: a file that says ``release_gate`` nowhere leaves the stored settings alone;
one that says it anywhere declares the whole set, so a service whose ``release_gate`` was
removed from the file goes back to the installation default (its row is deleted), and a file
with no top-level one goes back to seed 002's ``sev1,sev2``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.configfile.common import Change
from plantao.configfile.schema import ConfigFile
from plantao.postmortems.models import GateSetting

__all__ = ["apply_gate_settings"]

_DEFAULT_KEY = "(default)"


def _wanted(config: ConfigFile) -> dict[str, str] | None:
    """{service slug or ``(default)``: severities text}, or None when the file is silent."""
    services = [s for s in config.services or [] if s.release_gate is not None]
    if config.release_gate is None and not services:
        return None
    wanted = {s.slug: s.release_gate.stored() for s in services if s.release_gate is not None}
    if config.release_gate is not None:
        wanted[_DEFAULT_KEY] = config.release_gate.stored()
    return wanted


def apply_gate_settings(
    session: Session, config: ConfigFile, services: dict[str, Service]
) -> list[Change]:
    """Make the stored settings what the file declares; run after services exist."""
    wanted = _wanted(config)
    if wanted is None:
        return []
    slugs = {s.id: slug for slug, s in services.items()}
    current = {
        _DEFAULT_KEY if row.service_id is None else slugs.get(row.service_id, ""): row
        for row in session.scalars(select(GateSetting))
    }
    changes: list[Change] = []
    now = clock.now()
    for key, text in sorted(wanted.items()):
        row = current.get(key)
        if row is None:
            service_id = None if key == _DEFAULT_KEY else services[key].id
            session.add(
                GateSetting(service_id=service_id, block_open_severities=text, updated_at=now)
            )
            changes.append(Change("release gate", "create", key, text or "no incident blocks"))
        elif row.block_open_severities != text:
            row.block_open_severities, row.updated_at = text, now
            changes.append(Change("release gate", "update", key, text or "no incident blocks"))
    for key, row in sorted(current.items()):
        if key not in wanted and key:
            session.delete(row)
            changes.append(Change("release gate", "delete", key))
    session.flush()
    return changes
