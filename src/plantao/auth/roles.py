"""Roles, token scopes and what each may do. Pure, so the API, web UI and CLI agree on one table.

Two independent limits apply to every call (the model GitHub's fine-grained tokens and
PagerDuty's scoped keys use): the *owner's role* on the team that owns the object — viewer <
responder < manager < admin, a global role applying to every team — and the *token's scopes*,
which can only narrow what the owner may do. A session (a person in a browser) carries every
scope of its owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from plantao.errors import PermissionDenied


class Role(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    MANAGER = "manager"
    ADMIN = "admin"


RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class Scope(StrEnum):
    READ = "read"
    RESPOND = "respond"
    ADMIN = "admin"
    GATE = "gate"
    INTAKE = "intake"


ALL_SCOPES = frozenset({Scope.READ, Scope.RESPOND, Scope.ADMIN})
READING = frozenset({Scope.READ, Scope.RESPOND, Scope.ADMIN})
WRITING = frozenset({Scope.RESPOND, Scope.ADMIN})


class Need(StrEnum):
    """What a route asks for. ``read``: see; ``respond``: act on an incident; ``manage``: change
    a team's on-call objects (overrides, silences, windows, retries); ``admin``: installation
    settings, people, tokens of others, configuration."""

    READ = "read"
    RESPOND = "respond"
    MANAGE = "manage"
    ADMIN = "admin"
    GATE = "gate"


_ROLE_FOR_NEED = {
    Need.READ: Role.VIEWER,
    Need.RESPOND: Role.RESPONDER,
    Need.MANAGE: Role.MANAGER,
    Need.ADMIN: Role.ADMIN,
}
_SCOPES_FOR_NEED = {
    Need.READ: frozenset({Scope.READ, Scope.RESPOND, Scope.ADMIN}),
    Need.RESPOND: frozenset({Scope.RESPOND, Scope.ADMIN}),
    Need.MANAGE: frozenset({Scope.RESPOND, Scope.ADMIN}),
    Need.ADMIN: frozenset({Scope.ADMIN}),
    Need.GATE: frozenset({Scope.GATE, Scope.READ, Scope.RESPOND, Scope.ADMIN}),
}


_IMPLIED = {
    Scope.ADMIN: frozenset(Scope),
    Scope.RESPOND: frozenset({Scope.RESPOND, Scope.READ}),
    Scope.READ: frozenset({Scope.READ}),
    Scope.GATE: frozenset({Scope.GATE}),
    Scope.INTAKE: frozenset({Scope.INTAKE}),
}


def implied(scopes: frozenset[Scope]) -> frozenset[Scope]:
    """Every scope at most as wide as ``scopes`` (what a token may hand on to a new one)."""
    return frozenset().union(*(_IMPLIED[s] for s in scopes)) if scopes else frozenset()


def parse_scopes(values: Iterable[str]) -> frozenset[Scope]:
    """Scopes from text; ``gate`` and ``intake`` are exclusive (a pipeline's token must not
    also read incidents), so mixing them with others is refused."""
    scopes: set[Scope] = set()
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        try:
            scopes.add(Scope(value))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise PermissionDenied(f"unknown scope '{value}'; use {known}") from None
    if not scopes:
        raise PermissionDenied("a token needs at least one scope")
    exclusive = scopes & {Scope.GATE, Scope.INTAKE}
    if exclusive and len(scopes) > 1:
        raise PermissionDenied("the gate and intake scopes cannot be combined with others")
    return frozenset(scopes)


@dataclass(frozen=True)
class Access:
    """Everything a permission check needs about the caller."""

    global_role: Role | None
    team_roles: Mapping[int, Role] = field(default_factory=dict)
    scopes: frozenset[Scope] = ALL_SCOPES

    def role_on(self, team_id: int | None) -> Role | None:
        """The caller's role on a team's object; on an object of no team, their best role."""
        candidates = [self.global_role] if self.global_role is not None else []
        if team_id is None:
            candidates.extend(self.team_roles.values())
        elif team_id in self.team_roles:
            candidates.append(self.team_roles[team_id])
        if not candidates:
            return None
        return max(candidates, key=lambda r: RANK[r])

    def denial(
        self, need: Need, team_id: int | None = None, *, granted: bool = False
    ) -> str | None:
        """Why the call is refused, or None when it is allowed.

        ``granted``: the caller was added to this incident as a responder, which lets them act
        on it whatever their role on its team.
        """
        if not (self.scopes & _SCOPES_FOR_NEED[need]):
            have = ", ".join(sorted(s.value for s in self.scopes))
            return f"the token's scopes ({have}) do not allow this"
        if need is Need.GATE:
            return None
        wanted = _ROLE_FOR_NEED[need]
        if need is Need.ADMIN:
            if self.global_role is Role.ADMIN:
                return None
            return "this needs the admin role"
        if need is Need.RESPOND and granted:
            return None
        role = self.role_on(team_id)
        if role is not None and RANK[role] >= RANK[wanted]:
            return None
        where = "on this team" if team_id is not None else "on any team"
        have = role.value if role is not None else "no role"
        return f"this needs the {wanted.value} role {where}; you have {have}"

    def require_scope(self, allowed: frozenset[Scope], what: str) -> None:
        """For routes about the caller's own things (their tokens, their sessions), where no
        team role applies but a narrowed token must still not reach them."""
        if not (self.scopes & allowed):
            have = ", ".join(sorted(s.value for s in self.scopes))
            raise PermissionDenied(f"the token's scopes ({have}) do not allow {what}")

    def allows(self, need: Need, team_id: int | None = None, *, granted: bool = False) -> bool:
        return self.denial(need, team_id, granted=granted) is None

    def require(self, need: Need, team_id: int | None = None, *, granted: bool = False) -> None:
        reason = self.denial(need, team_id, granted=granted)
        if reason is not None:
            raise PermissionDenied(reason)
