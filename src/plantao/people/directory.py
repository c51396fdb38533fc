"""Users and service accounts: creating, changing, disabling, finding.

Configuration (``plantao apply``), the API, the CLI and single sign-on (just-in-time creation)
all come through here, so each change is validated once and lands in the audit log.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor
from plantao.people.models import ROLES, User

HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LANGUAGES = ("en", "pt-BR")
GLOBAL_ROLES = ("none", *ROLES)
EDITABLE = ("name", "email", "time_zone", "language", "global_role")


def snapshot(user: User) -> dict[str, Any]:
    """The user's fields for the audit log and the API (never the password hash)."""
    return {
        "handle": user.handle,
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "language": user.language,
        "kind": user.kind,
        "global_role": user.global_role,
        "disabled": user.disabled_at is not None,
        "sso": user.oidc_subject is not None,
    }


def check_fields(fields: dict[str, Any]) -> None:
    """Validation shared by creation and change; names the bad field."""
    if "handle" in fields and not HANDLE.match(str(fields["handle"])):
        raise ValidationFailed(
            "handle: use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationFailed("name: must not be empty")
    if "time_zone" in fields:
        try:
            ZoneInfo(str(fields["time_zone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(
                f"time_zone: unknown time zone '{fields['time_zone']}'"
            ) from None
    if "language" in fields and fields["language"] not in LANGUAGES:
        raise ValidationFailed("language: use 'en' or 'pt-BR'")
    if "global_role" in fields and fields["global_role"] not in GLOBAL_ROLES:
        raise ValidationFailed(f"global_role: use one of {', '.join(GLOBAL_ROLES)}")


def list_users(session: Session, *, kind: str | None = None) -> list[User]:
    query = select(User).order_by(User.handle)
    if kind is not None:
        query = query.where(User.kind == kind)
    return list(session.scalars(query))


def by_handle(session: Session, handle: str) -> User | None:
    return session.scalars(select(User).where(User.handle == handle)).one_or_none()


def get(session: Session, handle: str) -> User:
    user = by_handle(session, handle)
    if user is None:
        raise NotFound(f"user '{handle}' does not exist")
    return user


def create(
    session: Session,
    *,
    handle: str,
    name: str,
    email: str | None = None,
    time_zone: str = "UTC",
    language: str = "en",
    global_role: str = "viewer",
    kind: str = "user",
    actor: AuditActor = SYSTEM,
) -> User:
    fields = {
        "handle": handle,
        "name": name,
        "time_zone": time_zone,
        "language": language,
        "global_role": global_role,
    }
    check_fields(fields)
    if kind not in ("user", "service"):
        raise ValidationFailed("kind: use 'user' or 'service'")
    if by_handle(session, handle) is not None:
        raise Conflict(f"user '{handle}' already exists")
    user = User(
        handle=handle,
        name=name.strip(),
        email=(email or None),
        time_zone=time_zone,
        language=language,
        global_role=global_role,
        kind=kind,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", handle, after=snapshot(user))
    return user


def change(
    session: Session, user: User, changes: dict[str, Any], *, actor: AuditActor = SYSTEM
) -> User:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    check_fields(changes)
    before = snapshot(user)
    for key, value in changes.items():
        setattr(user, key, value.strip() if key == "name" else value)
    session.flush()
    after = snapshot(user)
    if after != before:
        audit.record(session, actor, "user.update", "user", user.handle, before=before, after=after)
    return user


def set_disabled(
    session: Session, user: User, disabled: bool, *, actor: AuditActor = SYSTEM
) -> User:
    """Disabling keeps the user (timelines name them) but refuses their logins and tokens."""
    before = snapshot(user)
    if disabled and user.disabled_at is None:
        user.disabled_at = clock.now()
    elif not disabled:
        user.disabled_at = None
    session.flush()
    if snapshot(user) != before:
        action = "user.disable" if disabled else "user.enable"
        audit.record(
            session, actor, action, "user", user.handle, before=before, after=snapshot(user)
        )
    return user
