"""Who is calling: a person or a service account, with their roles and the token's scopes.

Pure (no database), so permission checks are decided in one place and unit-tested.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from plantao.auth.roles import Access, Need, Role
from plantao.people.actor import AuditActor


@dataclass(frozen=True)
class Principal:
    user_id: int
    handle: str
    name: str
    access: Access
    kind: str = "user"
    token_id: int | None = None
    via: str = "token"
    source: str | None = None
    language: str = "en"
    time_zone: str = "UTC"

    @property
    def actor(self) -> str:
        """The name written on timelines: the handle, stable across renames of the display name."""
        return self.handle

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(
            handle=self.handle, user_id=self.user_id, via=self.via, source=self.source
        )

    @property
    def is_admin(self) -> bool:
        return self.access.global_role is Role.ADMIN

    def can(self, need: Need, team_id: int | None = None, *, granted: bool = False) -> bool:
        return self.access.allows(need, team_id, granted=granted)

    def require(self, need: Need, team_id: int | None = None, *, granted: bool = False) -> None:
        self.access.require(need, team_id, granted=granted)

    def seen_from(self, source: str | None) -> Principal:
        return replace(self, source=source)
