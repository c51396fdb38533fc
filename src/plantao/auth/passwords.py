"""Local password login, the fallback when SSO is down or not set up.

argon2id (argon2-cffi's defaults follow RFC 9106's second recommended profile). After
``LOCK_AFTER`` consecutive failures the account locks for ``LOCK_FOR``: together with the
per-address limiter in the web layer this bounds guessing both per account and per source. An
admin can turn password login off for the whole installation once SSO works.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.models import AuthSetting
from plantao.errors import Unauthenticated, ValidationFailed
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor
from plantao.people.models import User

LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
MIN_LENGTH = 12
_HASHER = PasswordHasher()
# Verified against when the handle is unknown, so a wrong handle costs the same time as a
# wrong password and handles cannot be enumerated by timing.
_DUMMY_HASH = _HASHER.hash("plantao-dummy-password-for-timing")
PASSWORD_LOGIN = "password_login"  # noqa: S105 - a setting name
_FAILED = "wrong handle or password"


def password_login_enabled(session: Session) -> bool:
    row = session.get(AuthSetting, PASSWORD_LOGIN)
    return row is None or row.value != "off"


def set_password_login(session: Session, enabled: bool, *, actor: AuditActor = SYSTEM) -> None:
    before = password_login_enabled(session)
    row = session.get(AuthSetting, PASSWORD_LOGIN)
    value = "on" if enabled else "off"
    if row is None:
        session.add(AuthSetting(key=PASSWORD_LOGIN, value=value))
    else:
        row.value = value
    session.flush()
    audit.record(
        session,
        actor,
        "settings.password_login",
        "setting",
        PASSWORD_LOGIN,
        before={"enabled": before},
        after={"enabled": enabled},
    )


def set_password(
    session: Session, user: User, password: str, *, actor: AuditActor = SYSTEM
) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > 1024:
        raise ValidationFailed("a password may have at most 1024 characters")
    if user.kind != "user":
        raise ValidationFailed("service accounts log in with tokens, not passwords")
    user.password_hash = _HASHER.hash(password)
    user.login_failures = 0
    user.locked_until = None
    session.flush()
    audit.record(session, actor, "user.password", "user", user.handle, after={"password": "set"})


def verify(session: Session, handle: str, password: str) -> User:
    """The user, or Unauthenticated with one message for every failure (no enumeration).

    Failure counts are written by the caller's commit even though this raises: the caller
    commits before turning the exception into a response.
    """
    if not password_login_enabled(session):
        raise Unauthenticated("password login is turned off; use single sign-on")
    user = session.scalars(
        select(User).where(User.handle == handle.strip().lower(), User.kind == "user")
    ).one_or_none()
    if user is None or user.password_hash is None:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_DUMMY_HASH, password + "x")
        raise Unauthenticated(_FAILED)
    now = clock.now()
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthenticated("too many failed logins: this account is locked for a while")
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.login_failures = (user.login_failures or 0) + 1
        if user.login_failures >= LOCK_AFTER:
            user.locked_until = now + LOCK_FOR
            user.login_failures = 0
        session.flush()
        raise Unauthenticated(_FAILED) from None
    if user.disabled_at is not None:
        raise Unauthenticated(_FAILED)
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.login_failures = 0
    user.locked_until = None
    session.flush()
    return user
