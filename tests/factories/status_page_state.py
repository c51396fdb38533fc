"""A scripted status-page state in the database, for the gatherer's and the public routes'
tests: the ``public`` page with grouped and ungrouped components, an open incident with two
updates, a resolved one of three days ago, an old one (history only), one whose internal
incident is private (never shown); an ``internal`` page; a page on its own host name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.incidents.models import Incident
from plantao.statuspage import page_state, pages
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
)
from tests.factories.notify import open_incidents

HOST = "status.acme.test"
SECRET_TITLE = "Hidden private outage"


@dataclass(frozen=True)
class Scripted:
    page_id: int
    internal_id: int
    host_page_id: int
    open_id: int
    recent_id: int
    old_id: int
    hidden_id: int


def _component(
    s: Session,
    page: StatusPage,
    slug: str,
    group: str | None,
    position: int,
    status: str,
    now: datetime,
) -> StatusComponent:
    row = StatusComponent(
        page_id=page.id,
        slug=slug,
        name=slug.upper(),
        description="",
        group_name=group,
        position=position,
        services=[],
        status=status,
        created_at=now - timedelta(days=100),
        updated_at=now,
    )
    s.add(row)
    s.flush()
    return row


def _incident(
    s: Session,
    page: StatusPage,
    title: str,
    created: datetime,
    resolved: datetime | None,
    affected: list[tuple[StatusComponent, str]],
    bodies: list[tuple[str, str, datetime]],
    incident_id: int | None = None,
) -> PublicIncident:
    row = PublicIncident(
        page_id=page.id,
        incident_id=incident_id,
        title=title,
        status="resolved" if resolved else bodies[-1][0],
        impact="critical" if not resolved else "minor",
        published_by="ana",
        created_at=created,
        updated_at=bodies[-1][2],
        resolved_at=resolved,
    )
    s.add(row)
    s.flush()
    for component, status in affected:
        s.add(
            PublicIncidentComponent(
                public_incident_id=row.id, component_id=component.id, status=status
            )
        )
    for status, body, at in bodies:
        s.add(
            PublicUpdate(
                public_incident_id=row.id,
                status=status,
                body=body,
                components={c.slug: st for c, st in affected},
                created_by="ana",
                created_at=at,
            )
        )
    s.flush()
    return row


def script(factory: sessionmaker[Session], now: datetime) -> Scripted:
    """Write the scripted state (needs the standard config for the private incident)."""
    private_id = open_incidents(factory, 1, title="internal title")[0]

    def work(s: Session) -> Scripted:
        s.execute(update(Incident).where(Incident.id == private_id).values(private=True))
        page = pages.ensure_default(s)
        page.name = "Acme Status"
        page.branding = {
            "colors": {"brand": "#aa0000"},
            "footer_links": [{"label": "Support", "url": "https://acme.test/support"}],
        }
        db = _component(s, page, "db", "Data", 1, "operational", now)
        api = _component(s, page, "api", "Core", 2, "major_outage", now)
        _component(s, page, "web", "Core", 3, "operational", now)
        _component(s, page, "docs", None, 5, "operational", now)
        opened = _incident(
            s,
            page,
            "Checkout is failing",
            now - timedelta(hours=1),
            None,
            [(api, "major_outage")],
            [
                ("investigating", "We are looking into errors.", now - timedelta(hours=1)),
                ("identified", "A bad deploy; rolling back.", now - timedelta(minutes=30)),
            ],
        )
        recent = _incident(
            s,
            page,
            "Slow logins",
            now - timedelta(days=3, hours=2),
            now - timedelta(days=3),
            [(db, "degraded_performance")],
            [
                ("investigating", "Logins are slow.", now - timedelta(days=3, hours=2)),
                ("resolved", "Logins are fast again.", now - timedelta(days=3)),
            ],
        )
        old = _incident(
            s,
            page,
            "Old outage",
            now - timedelta(days=30, hours=1),
            now - timedelta(days=30),
            [(db, "partial_outage")],
            [("resolved", "It was a while ago.", now - timedelta(days=30))],
        )
        hidden = _incident(
            s,
            page,
            SECRET_TITLE,
            now - timedelta(minutes=20),
            None,
            [(db, "major_outage")],
            [("investigating", "Secret words.", now - timedelta(minutes=20))],
            incident_id=private_id,
        )
        internal = StatusPage(
            slug="internal",
            name="Internal Status",
            audience="internal",
            host=None,
            language="pt-BR",
            branding={},
            updated_at=now,
        )
        acme = StatusPage(
            slug="acme",
            name="Acme Cloud",
            audience="public",
            host=HOST,
            language="en",
            branding={},
            updated_at=now,
        )
        s.add_all([internal, acme])
        s.flush()
        _component(s, internal, "vpn", None, 1, "operational", now)
        _component(s, acme, "cloud", None, 1, "operational", now)
        page_state.touch(s, [page.id, internal.id, acme.id])
        return Scripted(page.id, internal.id, acme.id, opened.id, recent.id, old.id, hidden.id)

    return run_transaction(factory, work)
