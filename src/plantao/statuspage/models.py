"""Status page tables: pages and their components (fed by services), public incidents with
their updates and affected components, maintenance windows shown publicly, subscribers, and
the rendered snapshots the public routes serve."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base

#: Atlassian Statuspage's component statuses (widgets and monitors read these words).
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
#: Public incident statuses (Statuspage's, which are seed 002's status-update words).
PUBLIC_STATUSES = ("investigating", "identified", "monitoring", "resolved")
#: Statuspage's impact words, from the worst component status.
IMPACTS = ("none", "minor", "major", "critical", "maintenance")
AUDIENCES = ("public", "internal")
SUBSCRIBER_KINDS = ("email", "webhook")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class StatusPage(Base):
    """One page: ``public`` at ``/status`` by default; more pages (e.g. ``internal``) on their
    own path (``/status/<slug>``) or host name. ``branding``: ``{"logo_url", "colors":
    {"brand", "text", "background"}, "footer_links": [{"label", "url"}]}``."""

    __tablename__ = "status_pages"
    __table_args__ = (CheckConstraint(f"audience IN ({_in(AUDIENCES)})", name="audience_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(16), default="public")
    #: The host name the page answers on (``status.example.com``); NULL: path only.
    host: Mapped[str | None] = mapped_column(String(253), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    branding: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Components were declared for it (file or web UI): they no longer follow the services
    #: (``statuspage.default_components``).
    components_declared: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime]


class StatusComponent(Base):
    """A component on a page, fed by services (``services``: slugs); ``status`` is the one
    shown now, recomputed from open public incidents and maintenance on every change."""

    __tablename__ = "status_components"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(COMPONENT_STATUSES)})", name="status_known"),
        UniqueConstraint("page_id", "slug", name="uq_status_components_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    group_name: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    services: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(24), default="operational")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PublicIncident(Base):
    """What the public reads about an incident: its own words, never the internal title,
    labels, notes or runbooks. ``incident_id`` links it to the real incident (NULL when that
    one is gone)."""

    __tablename__ = "public_incidents"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(PUBLIC_STATUSES)})", name="status_known"),
        CheckConstraint(f"impact IN ({_in(IMPACTS)})", name="impact_known"),
        Index("ix_public_incidents_page", "page_id", "resolved_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16), default="none")
    published_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class PublicIncidentComponent(Base):
    """A component a public incident affects and the status it gives it while open."""

    __tablename__ = "public_incident_components"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(COMPONENT_STATUSES)})", name="status_known"),
    )

    public_incident_id: Mapped[int] = mapped_column(
        ForeignKey("public_incidents.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(24))


class PublicUpdate(Base):
    """One published update (the first is the publication itself). ``status_update_id`` is the
    internal status update it was published from, when it was. ``notified_at``: subscribers'
    outbox rows written (NULL: still to do)."""

    __tablename__ = "public_updates"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(PUBLIC_STATUSES)})", name="status_known"),
        Index("ix_public_updates_incident", "public_incident_id", "id"),
        Index("ix_public_updates_notified", "notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_incident_id: Mapped[int] = mapped_column(
        ForeignKey("public_incidents.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    #: The component statuses set with this update (``{"<slug>": "<status>"}``).
    components: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status_update_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_updates.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]


class ProposalDismissal(Base):
    """The Comms Lead chose not to publish this incident on this page: stop proposing it."""

    __tablename__ = "status_proposal_dismissals"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), primary_key=True
    )
    dismissed_by: Mapped[str] = mapped_column(String(200))
    dismissed_at: Mapped[datetime]


class StatusMaintenance(Base):
    """A maintenance window (``oncall_silences``) shown publicly (opt-in per window): its
    public title and text, the components it puts under maintenance. Its times are the
    window's."""

    __tablename__ = "status_maintenances"
    __table_args__ = (
        UniqueConstraint("silence_id", "page_id", name="uq_status_maintenances_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    silence_id: Mapped[int] = mapped_column(ForeignKey("oncall_silences.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    components: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    #: Subscribers told it is scheduled / started / completed (NULL: still to do).
    notified: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StatusSubscriber(Base):
    """An e-mail address (confirmed through double opt-in) or a webhook URL that receives
    published updates of a page, for every component (``components`` empty) or some.
    ``token_hash``: the hash of the secret in its confirm/unsubscribe links."""

    __tablename__ = "status_subscribers"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(SUBSCRIBER_KINDS)})", name="kind_known"),
        UniqueConstraint("page_id", "kind", "address", name="uq_status_subscribers_address"),
        Index("ix_status_subscribers_live", "page_id", "confirmed_at", "unsubscribed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(2000))
    components: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8), default="en")
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    #: Where the subscription came from (an IP address), for abuse handling.
    source: Mapped[str | None] = mapped_column(String(64))


class StatusSnapshot(Base):
    """A rendered artifact of a page (``html:en``, ``summary.json``, ``feed.atom``…) with its
    ETag: the public routes serve these, so they answer while the database does not."""

    __tablename__ = "status_snapshots"
    __table_args__ = (UniqueConstraint("page_id", "name", name="uq_status_snapshots_name"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime]


class StatusPageState(Base):
    """One row per page: ``version`` is bumped by every change that alters what the page shows
    (the engine re-renders when it differs from ``rendered_version``)."""

    __tablename__ = "status_page_states"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    rendered_version: Mapped[int] = mapped_column(Integer, default=0)
    rendered_at: Mapped[datetime | None]
