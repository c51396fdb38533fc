"""Contact methods, notification rules, the delivery outbox and used action-link nonces.

The outbox (``deliveries``) is the only queue for notifications: a row is written in the same
transaction as the page that causes it, leased by an engine (``locked_by`` + ``attempts`` are
the fencing token), and finished as ``sent``, ``dead`` or ``cancelled``. States::

    pending ──lease──▶ leased ──▶ sent
       │                 │  ╰───▶ retrying ──(due)──▶ leased ...   (retryable failure)
       │                 ╰──────▶ dead                            (permanent, or out of attempts)
       ├──throttle──▶ held ──(window opens)──▶ bundled   (into one digest row, kind='digest')
       ╰──ack/resolve──▶ cancelled   (also from held / retrying)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base

CONTACT_TYPES = ("email", "webhook", "slack", "mattermost", "teams", "sms", "voice")
DELIVERY_STATES = ("pending", "leased", "retrying", "held", "bundled", "sent", "dead", "cancelled")
#: States a delivery can still leave without being sent; ``cancel_pending_for_incident`` ends them.
UNSENT_STATES = ("pending", "retrying", "held")
#: The step of a page to someone added to an incident as a responder (``responder:<via>``):
#: the incident's acknowledgement does not make it stale (they were asked for on purpose);
#: their own answer, or the incident's resolution, does.
RESPONDER_STEP_PREFIX = "responder:"


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class ContactMethod(Base):
    """One way to reach a user, with its own throttle (default 5 messages per 15 minutes)."""

    __tablename__ = "contact_methods"
    __table_args__ = (
        UniqueConstraint("user_id", "name"),
        CheckConstraint(f"type IN ({_in(CONTACT_TYPES)})", name="type_known"),
        CheckConstraint("throttle_limit >= 1", name="throttle_limit_positive"),
        CheckConstraint("throttle_window_seconds >= 1", name="throttle_window_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str | None] = mapped_column(String(512))
    throttle_limit: Mapped[int] = mapped_column(Integer, default=5)
    throttle_window_seconds: Mapped[int] = mapped_column(Integer, default=900)


class NotificationRule(Base):
    """Use ``contact_method`` ``after_seconds`` after a page starts, for pages of ``urgency``."""

    __tablename__ = "notification_rules"
    __table_args__ = (
        UniqueConstraint("contact_method_id", "after_seconds", "urgency"),
        CheckConstraint("urgency IN ('high', 'low', 'any')", name="urgency_known"),
        CheckConstraint("after_seconds >= 0", name="after_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE")
    )
    after_seconds: Mapped[int] = mapped_column(Integer, default=0)
    urgency: Mapped[str] = mapped_column(String(8), default="any")


class Delivery(Base):
    """One message to one contact method: the outbox row (see the module docstring).

    ``kind``: ``page`` (a person paged), ``digest`` (throttled pages bundled), ``message`` (a
    status update or other incident communication to a stakeholder). A message to a channel
    that belongs to nobody (an e-mail list, a Slack/Teams/Mattermost incoming webhook) has no
    ``user_id``/``contact_method_id``; its ``channel`` and ``address`` say where it goes.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        CheckConstraint(f"state IN ({_in(DELIVERY_STATES)})", name="state_known"),
        CheckConstraint("kind IN ('page', 'digest', 'message')", name="kind_known"),
        CheckConstraint("user_id IS NOT NULL OR address IS NOT NULL", name="has_recipient"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_contact_released", "contact_method_id", "released_at"),
        Index("ix_deliveries_incident_state", "incident_id", "state"),
        # The per-address throttle of messages to lists and channels (notify/addressed.py)
        # reads the last window's releases; the address itself may be too long for a btree.
        Index(
            "ix_deliveries_addressed_released",
            "released_at",
            sqlite_where=text("contact_method_id IS NULL"),
            postgresql_where=text("contact_method_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8), default="page")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    #: Where a ``message`` without a contact method goes (e-mail address or webhook URL).
    address: Mapped[str | None] = mapped_column(String(2048))
    step: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    urgency: Mapped[str] = mapped_column(String(8))
    incident_ref: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[dict[str, Any]]]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(128))
    released_at: Mapped[datetime | None]  # when the throttle let it out (counts in the window)
    bundled_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class UsedActionNonce(Base):
    """A signed action link that was used: a link works once (kept until it would expire)."""

    __tablename__ = "used_action_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime]
    expires_at: Mapped[datetime]
