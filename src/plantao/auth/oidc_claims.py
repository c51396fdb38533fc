"""What a single sign-on identity may do here, and what it is called: pure functions of the
claims, so the mapping an operator configures is tested in milliseconds and applied the same way
at every sign-in (just-in-time creation and every later login re-derive access from groups).

``map_groups`` turns the provider's groups into a global role and one role per team through the
operator's ``GroupMapping`` list: several groups may grant the same team, and the highest role
wins (viewer < responder < manager < admin). A mapping without a team grants a global role
(``team=None, role="admin"`` is an installation administrator). Groups with no mapping grant
nothing; matching is exact and case-sensitive, as providers send group names verbatim.

``handle_from`` makes a valid Plantão handle (1-64 of ``a-z 0-9 . _ -``, starting with a letter
or a digit) from ``preferred_username``, else the e-mail's local part, else the subject.
Collisions between two people are the caller's to resolve (it knows the existing users).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

RoleName = Literal["viewer", "responder", "manager", "admin"]
#: Lowest to highest; a team granted twice keeps the later of the two in this order.
ROLE_ORDER: tuple[RoleName, ...] = get_args(RoleName)
HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
HANDLE_MAX = 64
_NOT_HANDLE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class GroupMapping:
    """Members of ``group`` get ``role`` on ``team`` (a team slug), or everywhere when ``team``
    is None."""

    group: str
    team: str | None
    role: RoleName

    def __post_init__(self) -> None:
        if self.role not in ROLE_ORDER:
            raise ValueError(f"role must be one of {', '.join(ROLE_ORDER)}, not {self.role!r}")
        if not self.group:
            raise ValueError("group must not be empty")


@dataclass(frozen=True)
class MappedAccess:
    """The access the groups grant: a global role (or None) and a role per team slug."""

    global_role: RoleName | None
    team_roles: dict[str, RoleName] = field(default_factory=dict)

    @property
    def grants_anything(self) -> bool:
        return self.global_role is not None or bool(self.team_roles)


def _higher(current: RoleName | None, candidate: RoleName) -> RoleName:
    if current is None or ROLE_ORDER.index(candidate) > ROLE_ORDER.index(current):
        return candidate
    return current


def map_groups(groups: Iterable[str], mappings: Iterable[GroupMapping]) -> MappedAccess:
    """The highest role each team (and the installation) gets from the groups a person is in."""
    member_of = set(groups)
    global_role: RoleName | None = None
    team_roles: dict[str, RoleName] = {}
    for mapping in mappings:
        if mapping.group not in member_of:
            continue
        if mapping.team is None:
            global_role = _higher(global_role, mapping.role)
        else:
            team_roles[mapping.team] = _higher(team_roles.get(mapping.team), mapping.role)
    return MappedAccess(global_role=global_role, team_roles=dict(sorted(team_roles.items())))


class HasHandleClaims(Protocol):
    """The parts of an identity a handle can come from (``oidc.OidcIdentity`` has them)."""

    @property
    def handle(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def subject(self) -> str: ...


def normalize_handle(raw: str) -> str | None:
    """``raw`` as a handle: accents dropped, lowercase, other characters turned into '-',
    leading punctuation removed, cut to 64; None when nothing usable is left."""
    if "@" in raw:
        raw = raw.split("@", 1)[0]  # a UPN or e-mail given as a username: keep the local part
    ascii_only = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    handle = _NOT_HANDLE.sub("-", ascii_only.lower())
    handle = handle.lstrip("._-")[:HANDLE_MAX].rstrip("._-")
    return handle if HANDLE_PATTERN.match(handle) else None


def handle_from(identity: HasHandleClaims) -> str:
    """A valid handle for ``identity``: from its username claim, else its e-mail's local part,
    else its subject; an opaque subject that leaves nothing gets ``user-`` and a digest of it."""
    for source in (identity.handle, identity.email, identity.subject):
        if source:
            handle = normalize_handle(source)
            if handle is not None:
                return handle
    digest = hashlib.sha256(identity.subject.encode("utf-8")).hexdigest()[:12]
    return f"user-{digest}"
