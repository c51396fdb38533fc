"""The people part of ``plantao apply``: global roles, service accounts, team members with their
roles (the members loop lives in ``service``), and the single sign-on group mappings.

A handle is either a person or a service account, never both: a file that declares an existing
person under ``service_accounts`` (or the reverse) is refused rather than turning one into the
other. Team members follow the file (added, role changed, removed), with one exception that
keeps ``plantao apply`` and the identity provider from undoing each other: on a team that a
group mapping names, the memberships of people who sign in with SSO belong to their groups, and
the file does not remove them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from plantao.auth import sso_settings
from plantao.auth.oidc_claims import GroupMapping
from plantao.configfile.common import Change
from plantao.configfile.schema import ConfigFile, ServiceAccountSpec, UserSpec
from plantao.errors import Conflict
from plantao.people.actor import AuditActor
from plantao.people.models import Team, User


def check_kinds(config: ConfigFile, users: dict[str, User]) -> None:
    """Refuse a file that would turn a person into a service account or the reverse."""
    for label, specs, kind in (
        ("users", config.users, "user"),
        ("service_accounts", config.service_accounts, "service"),
    ):
        for spec in specs or []:
            row = users.get(spec.handle)
            if row is not None and row.kind != kind:
                other = "a service account" if row.kind == "service" else "a person"
                raise Conflict(f"{label}: '{spec.handle}' already exists as {other}")


def user_values(spec: UserSpec) -> dict[str, Any]:
    return {
        "handle": spec.handle,
        "name": spec.name,
        "email": spec.email,
        "time_zone": spec.time_zone,
        "language": spec.language,
        "global_role": spec.role,
    }


def service_account_values(spec: ServiceAccountSpec) -> dict[str, Any]:
    return {"handle": spec.handle, "name": spec.name, "kind": "service", "global_role": spec.role}


def declared_people(config: ConfigFile) -> list[UserSpec | ServiceAccountSpec]:
    return [*(config.users or []), *(config.service_accounts or [])]


def _mappings(config: ConfigFile) -> list[GroupMapping]:
    if config.sso is None:
        return []
    return [
        GroupMapping(group=m.group, team=m.team, role=m.role) for m in config.sso.group_mappings
    ]


def apply_sso(
    session: Session, config: ConfigFile, teams: dict[str, Team], actor: AuditActor
) -> list[Change]:
    """Store the file's group mappings (when it has an ``sso`` section). Teams must exist."""
    if config.sso is None:
        return []
    mappings = _mappings(config)
    for index, mapping in enumerate(mappings):
        if mapping.team is not None and mapping.team not in teams:
            raise LookupError(f"sso.group_mappings[{index}].team: unknown team '{mapping.team}'")
    if not sso_settings.save_mappings(session, mappings, actor=actor):
        return []
    return [Change("sso group mappings", "update", "sso.group_mappings", f"{len(mappings)} in all")]


def idp_teams(session: Session, config: ConfigFile) -> set[str]:
    """The teams whose SSO users' memberships follow their groups (named by a mapping)."""
    mappings: Iterable[GroupMapping] = (
        _mappings(config) if config.sso is not None else sso_settings.load_mappings(session)
    )
    return {m.team for m in mappings if m.team is not None}


def keeps_membership(user: User, team_slug: str, idp_teams: set[str]) -> bool:
    """True when the file must not remove ``user`` from the team: their SSO groups decide."""
    return user.oidc_subject is not None and team_slug in idp_teams


def prunable_people(users: dict[str, User], kind: str) -> dict[str, User]:
    """Who ``--prune`` may delete for a section: people created by single sign-on are the
    identity provider's and are never pruned."""
    return {
        handle: user
        for handle, user in users.items()
        if user.kind == kind and (kind == "service" or user.oidc_subject is None)
    }
