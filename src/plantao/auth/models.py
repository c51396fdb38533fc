"""API tokens, signing keys, browser sessions and login settings.

Only a SHA-256 of each token is stored. Tokens are 256-bit random strings, so a fast hash is
enough to make a stolen table useless (there is nothing to brute-force); a slow password hash
such as argon2 would only add tens of milliseconds to every request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class ApiToken(Base):
    """A token belongs to a user or a service account and carries scopes (see
    ``plantao.auth.scopes``): what it may do is the intersection of its scopes and its owner's
    roles, so a leaked read-only token of an admin cannot change anything."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SigningKey(Base):
    """The installation's HMAC keys for sessions and signed action links, when
    ``PLANTAO_SECRET_KEY`` is not set.

    Generated at random on first use, so no two installations share one. The row without
    ``retired_at`` signs; retired rows still verify until ``verify_until`` (rotation grace).
    """

    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    verify_until: Mapped[datetime | None]


class WebSession(Base):
    """A logged-in browser. The cookie carries a random id; only its SHA-256 is stored, and
    logging out revokes the row, so a captured cookie dies with the session.

    The id rotates (``previous_sid_hash`` keeps the last one valid for a short grace, so requests
    already in flight from another tab are not logged out by the rotation).
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_sid_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16), default="password")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(64), default=None)


class AuthSetting(Base):
    """Installation-wide login settings an admin changes at run time (e.g. turning local
    password login off once SSO works)."""

    __tablename__ = "auth_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
