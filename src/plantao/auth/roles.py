"""Roles and what each may do. Pure, so the API, web UI and CLI agree on one table."""

from __future__ import annotations

from enum import StrEnum

from plantao.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"
    VIEWER = "viewer"


_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}


def require(actual: Role, needed: Role) -> None:
    if _RANK[actual] < _RANK[needed]:
        raise PermissionDenied(f"this needs the {needed.value} role; the token is {actual.value}")
