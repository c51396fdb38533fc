"""The Statuspage-shaped JSON under ``/api/v2/`` and the page's Atom/RSS feeds, served by the
app without authentication: every document matches the schema written from Atlassian's public
documentation, and the feeds read back cleanly with ``feedparser``."""

from __future__ import annotations

from datetime import datetime, timedelta

import feedparser
import pytest
from sqlalchemy import delete

from plantao.db import session_scope
from plantao.oncall.models import Silence
from plantao.statuspage import pages
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusMaintenance,
)
from tests.api.conftest import Api
from tests.factories.statuspage_v2 import SCHEMAS, errors


def _seed(api: Api, now: datetime) -> dict[str, int]:
    """A page with a grouped and an ungrouped component, an open incident with two published
    updates, a resolved one, and an announced maintenance window two days ahead."""
    ids: dict[str, int] = {}
    with session_scope(api.factory) as session:
        page = pages.ensure_default(session)
        page.name = "Acme Status"
        # The standard config's services may have given the page components: start from none.
        session.execute(delete(StatusComponent).where(StatusComponent.page_id == page.id))
        made = {}
        for position, (slug, name, group, status) in enumerate(
            [
                ("api", "API", "Core", "partial_outage"),
                ("web", "Web", "Core", "operational"),
                ("db", "Database", None, "operational"),
            ],
            start=1,
        ):
            made[slug] = StatusComponent(
                page_id=page.id,
                slug=slug,
                name=name,
                description="",
                group_name=group,
                position=position,
                services=[],
                status=status,
                created_at=now - timedelta(days=30),
                updated_at=now - timedelta(minutes=5),
            )
            session.add(made[slug])
        session.flush()

        def incident(title: str, updates: list[tuple[str, str, int, dict[str, str]]]) -> int:
            started = now - timedelta(minutes=updates[0][2])
            last = now - timedelta(minutes=updates[-1][2])
            resolved = updates[-1][0] == "resolved"
            row = PublicIncident(
                page_id=page.id,
                incident_id=None,
                title=title,
                status=updates[-1][0],
                impact="major",
                published_by="comms-lead",
                created_at=started,
                updated_at=last,
                resolved_at=last if resolved else None,
            )
            session.add(row)
            session.flush()
            for status, body, minutes_ago, components in updates:
                session.add(
                    PublicUpdate(
                        public_incident_id=row.id,
                        status=status,
                        body=body,
                        components=components,
                        created_by="comms-lead",
                        created_at=now - timedelta(minutes=minutes_ago),
                    )
                )
            return row.id

        ids["open"] = incident(
            "Slow checkout",
            [
                ("investigating", "Payments are slow.", 30, {"api": "degraded_performance"}),
                ("identified", "A bad deploy <b>rolled back</b>.", 10, {"api": "partial_outage"}),
            ],
        )
        session.add(
            PublicIncidentComponent(
                public_incident_id=ids["open"], component_id=made["api"].id, status="partial_outage"
            )
        )
        ids["resolved"] = incident(
            "Login errors",
            [
                ("investigating", "Some logins fail.", 300, {"web": "major_outage"}),
                ("resolved", "All good.", 240, {"web": "operational"}),
            ],
        )
        window = Silence(
            name="db-upgrade",
            origin="api",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=1),
            recurrence=None,
            services=[],
            matchers=[],
            comment="",
            created_by="ops",
            created_at=now - timedelta(days=1),
            ended_at=None,
        )
        session.add(window)
        session.flush()
        session.add(
            StatusMaintenance(
                silence_id=window.id,
                page_id=page.id,
                title="Database upgrade",
                body="Writes pause for a few minutes.",
                components=["db"],
                created_at=now - timedelta(days=1),
                notified={},
            )
        )
    return ids


@pytest.fixture
def seeded(api: Api, frozen: datetime) -> dict[str, int]:
    return _seed(api, frozen)


@pytest.mark.parametrize("document", sorted(SCHEMAS))
def test_each_document_is_served_without_login_in_statuspage_shape(
    api: Api, seeded: dict[str, int], document: str
) -> None:
    """GET /api/v2/<document> answers 200 JSON with no token, valid against its schema."""
    res = api.client.get(f"/api/v2/{document}")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("application/json")
    body = res.json()
    assert errors(document, body) == []
    assert body["page"]["id"] == "public" and body["page"]["name"] == "Acme Status"


def test_documents_carry_the_seeded_page(api: Api, seeded: dict[str, int]) -> None:
    """The JSON says what the page shows: its status, groups, incidents and maintenance."""
    status = api.client.get("/api/v2/status.json").json()["status"]
    assert status == {"indicator": "major", "description": "Partial System Outage"}
    listed = api.client.get("/api/v2/components.json").json()["components"]
    assert [(c["name"], c["group"], c["status"]) for c in listed] == [
        ("Core", True, "partial_outage"),
        ("API", False, "partial_outage"),
        ("Web", False, "operational"),
        ("Database", False, "operational"),
    ]
    open_id, resolved_id = f"i{seeded['open']}", f"i{seeded['resolved']}"
    unresolved = api.client.get("/api/v2/incidents/unresolved.json").json()["incidents"]
    assert [i["id"] for i in unresolved] == [open_id]
    newest = unresolved[0]["incident_updates"][0]
    assert newest["status"] == "identified"
    assert newest["affected_components"] == [
        {
            "code": listed[1]["id"],
            "name": "API",
            "old_status": "degraded_performance",
            "new_status": "partial_outage",
        }
    ]
    every = api.client.get("/api/v2/incidents.json").json()["incidents"]
    assert [i["id"] for i in every] == [open_id, resolved_id]
    summary = api.client.get("/api/v2/summary.json").json()
    assert [i["id"] for i in summary["incidents"]] == [open_id]
    [window] = api.client.get("/api/v2/scheduled-maintenances.json").json()[
        "scheduled_maintenances"
    ]
    assert (window["name"], window["status"]) == ("Database upgrade", "scheduled")
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["Database upgrade"]


@pytest.mark.parametrize(("kind", "version"), [("atom", "atom10"), ("rss", "rss20")])
def test_feeds_are_served_without_login_and_parse(
    api: Api, seeded: dict[str, int], kind: str, version: str
) -> None:
    """GET /status/feed.<kind> answers a feed a real parser reads: four updates, newest first."""
    res = api.client.get(f"/status/feed.{kind}")
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith(f"application/{kind}+xml")
    parsed = feedparser.parse(res.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    assert parsed.feed.title == "Acme Status"
    assert [e.title for e in parsed.entries] == [
        "Slow checkout — Identified",
        "Slow checkout — Investigating",
        "Login errors — Resolved",
        "Login errors — Investigating",
    ]
    assert parsed.entries[0].link.endswith(f"/status/incidents/{seeded['open']}")
    assert b"<b>" not in res.content


def test_an_unknown_document_is_not_found(api: Api, seeded: dict[str, int]) -> None:
    """A path under /api/v2/ that Statuspage does not define answers 404, not 500."""
    assert api.client.get("/api/v2/pages.json").status_code == 404
