"""Default escalation policies: a team's and the installation's, used when a service has none.

Stored as one ``oncall_settings`` document (``default_policies``) so no table changes:
``{"global": <policy slug or null>, "teams": {<team slug>: <policy slug>}}``. Policies are
named by slug, so deleting a policy leaves a default that resolves to nothing, which
:func:`resolve` reports like a missing one (nobody is paged silently).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.oncall import settings
from plantao.oncall.models import EscalationPolicy, OncallSetting, ServicePolicy
from plantao.people.models import Team

SETTING = "default_policies"


@dataclass(frozen=True)
class Resolved:
    """The policy a service's incidents escalate through, and where it came from."""

    service_slug: str
    team_slug: str | None
    policy: EscalationPolicy | None
    source: str  # "service", "team", "global" or "none"

    def nobody_message(self) -> str:
        """Why nobody will be paged, naming every level that was tried."""
        team = f"team '{self.team_slug}'" if self.team_slug else "no team"
        return (
            f"Nobody was paged: service '{self.service_slug}' has no escalation policy "
            f"and neither has {team} nor the installation"
        )


def stored(session: Session) -> tuple[str | None, dict[str, str]]:
    """The global default's slug and each team's default slug."""
    row = session.get(OncallSetting, SETTING)
    body: dict[str, Any] = {} if row is None else row.body
    teams = body.get("teams") or {}
    return body.get("global"), {str(k): str(v) for k, v in teams.items()}


def put(session: Session, global_slug: str | None, teams: dict[str, str]) -> str:
    """Replace the whole document; returns create, update or keep."""
    body = {"global": global_slug, "teams": dict(sorted(teams.items()))}
    return settings.put(session, SETTING, body)


def resolve(session: Session, service_ids: Sequence[int]) -> dict[int, Resolved]:
    """Each service's policy: its own, else its team's default, else the global default.

    Three queries whatever the number of services, as the engine resolves whole batches.
    """
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Service.id, Service.slug, Team.slug, EscalationPolicy)
        .outerjoin(Team, Team.id == Service.team_id)
        .outerjoin(ServicePolicy, ServicePolicy.service_id == Service.id)
        .outerjoin(EscalationPolicy, EscalationPolicy.id == ServicePolicy.policy_id)
        .where(Service.id.in_(ids))
    ).tuples()
    found = list(rows.all())
    global_slug, team_slugs = stored(session)
    wanted = {s for s in [global_slug, *team_slugs.values()] if s}
    by_slug: dict[str, EscalationPolicy] = {}
    if wanted and any(policy is None for *_, policy in found):
        by_slug = {
            p.slug: p
            for p in session.scalars(
                select(EscalationPolicy).where(EscalationPolicy.slug.in_(sorted(wanted)))
            )
        }
    out: dict[int, Resolved] = {}
    for service_id, service_slug, team_slug, own in found:
        if own is not None:
            out[service_id] = Resolved(service_slug, team_slug, own, "service")
            continue
        team_policy = by_slug.get(team_slugs.get(team_slug or "", ""))
        if team_policy is not None:
            out[service_id] = Resolved(service_slug, team_slug, team_policy, "team")
        elif global_slug and global_slug in by_slug:
            out[service_id] = Resolved(service_slug, team_slug, by_slug[global_slug], "global")
        else:
            out[service_id] = Resolved(service_slug, team_slug, None, "none")
    return out


def unpaged_services(session: Session) -> list[str]:
    """Slugs of the services whose incidents would page nobody (no policy after fallback)."""
    ids = list(session.scalars(select(Service.id)))
    resolved = resolve(session, ids)
    return sorted(r.service_slug for r in resolved.values() if r.policy is None)
