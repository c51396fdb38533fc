"""The public status routes through the ASGI app: no login, both languages, incident and history
pages, a page on its own host name, an internal page behind a session, ETags and headers."""

from __future__ import annotations

import re
from datetime import datetime

import feedparser
from sqlalchemy.orm import Session, sessionmaker

from plantao.engine.status_snapshot_step import StatusSnapshotStep
from plantao.statuspage.serving import SnapshotStore
from tests.api.conftest import Api
from tests.factories.status_page_state import HOST, SECRET_TITLE, Scripted, script


def _rendered(api: Api, now: datetime) -> Scripted:
    ids = script(api.factory, now)
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    StatusSnapshotStep(settings)(api.factory, "test")
    store: SnapshotStore = api.client.app.state.status_snapshots  # type: ignore[attr-defined]
    store.refresh()
    return ids


def test_public_page_answers_without_login_in_english_and_portuguese(
    api: Api, frozen: datetime
) -> None:
    """``/status`` needs no login; ``?lang=`` and ``Accept-Language`` choose the language, and
    a private incident's public words never show."""
    _rendered(api, frozen)
    en = api.client.get("/status")
    assert en.status_code == 200
    assert "Current incidents" in en.text and "Checkout is failing" in en.text
    assert "A bad deploy; rolling back." in en.text
    assert SECRET_TITLE not in en.text and "internal title" not in en.text
    pt = api.client.get("/status", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert "Incidentes em andamento" in pt.text and '<html lang="pt-BR">' in pt.text
    chosen = api.client.get("/status?lang=pt-BR", headers={"Accept-Language": "en"})
    assert "Incidentes em andamento" in chosen.text


def test_public_page_markup_is_standalone_and_fits_a_phone(api: Api, frozen: datetime) -> None:
    """The page has a viewport, no script, no inline style, feed links, footer links and a
    theme stylesheet with the page's colour."""
    _rendered(api, frozen)
    html = api.client.get("/status").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html and "style=" not in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert 'href="https://acme.test/support"' in html
    assert 'href="/status/subscribe?lang=en"' in html
    assert re.search(r'aria-label="[^"]*uptime|Uptime', html)
    theme = api.client.get("/status/theme.css")
    assert theme.headers["content-type"].startswith("text/css")
    assert "--sp-brand:#aa0000" in theme.text


def test_headers_etag_and_304(api: Api, frozen: datetime) -> None:
    """Snapshots carry an ETag, caching and security headers, come gzip-compressed to clients
    that take it; the same ETag back gets 304."""
    _rendered(api, frozen)
    plain = api.client.get("/status", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and "Checkout is failing" in plain.text
    res = api.client.get("/status")
    assert res.headers["content-encoding"] == "gzip" and res.text == plain.text
    assert res.headers["cache-control"] == (
        "public, max-age=15, stale-while-revalidate=60, stale-if-error=86400"
    )
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
    assert res.headers["x-content-type-options"] == "nosniff"
    etag = res.headers["etag"]
    again = api.client.get("/status", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_json_and_feeds_have_their_types_and_cors(api: Api, frozen: datetime) -> None:
    """The Statuspage JSON is ``application/json`` readable from any site; feeds have their
    types and list the published updates."""
    ids = _rendered(api, frozen)
    summary = api.client.get("/api/v2/summary.json")
    assert summary.status_code == 200
    assert summary.headers["content-type"] == "application/json"
    assert summary.headers["access-control-allow-origin"] == "*"
    assert summary.json()["status"]["indicator"] == "critical"
    for name in (
        "status.json",
        "components.json",
        "incidents.json",
        "incidents/unresolved.json",
        "scheduled-maintenances.json",
    ):
        assert api.client.get(f"/api/v2/{name}").status_code == 200, name
    atom = api.client.get("/status/feed.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    rss = api.client.get("/status/feed.rss")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    assert any("Checkout is failing" in e.title for e in feedparser.parse(atom.content).entries)
    assert SECRET_TITLE not in atom.text
    assert ids.open_id


def test_incident_and_history_pages(api: Api, frozen: datetime) -> None:
    """An incident page shows every update; an old one (no snapshot) is rendered on demand; a
    private one is 404; the history lists resolved incidents under their month."""
    ids = _rendered(api, frozen)
    page = api.client.get(f"/status/incidents/{ids.open_id}")
    assert page.status_code == 200
    assert "We are looking into errors." in page.text and "A bad deploy" in page.text
    old = api.client.get(f"/status/incidents/{ids.old_id}?lang=pt-BR")
    assert old.status_code == 200 and "Old outage" in old.text and "Resolvido" in old.text
    assert api.client.get(f"/status/incidents/{ids.hidden_id}").status_code == 404
    history = api.client.get("/status/history")
    assert history.status_code == 200
    assert "Old outage" in history.text and "Slow logins" in history.text
    assert "October 2026" in history.text and SECRET_TITLE not in history.text
    assert api.client.get("/status/history?page=5").status_code == 404


def test_page_on_its_own_host_name(api: Api, frozen: datetime) -> None:
    """A page with a host name answers at ``/`` and ``/status`` on that host, JSON included."""
    _rendered(api, frozen)
    root = api.client.get("/", headers={"Host": HOST})
    assert root.status_code == 200 and "Acme Cloud" in root.text
    status = api.client.get("/status", headers={"Host": HOST})
    assert "Acme Cloud" in status.text
    summary = api.client.get("/api/v2/summary.json", headers={"Host": HOST}).json()
    assert summary["page"]["name"] == "Acme Cloud"
    assert "Acme Status" in api.client.get("/status").text


def test_internal_page_needs_a_session(api: Api, frozen: datetime) -> None:
    """An internal page sends strangers to the login page and shows to a signed-in person,
    never cached publicly."""
    _rendered(api, frozen)
    res = api.client.get("/status/internal", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login?next=")
    json_res = api.client.get("/status/internal/api/v2/summary.json", follow_redirects=False)
    assert json_res.status_code == 303
    api.login("viewer")
    shown = api.client.get("/status/internal")
    assert shown.status_code == 200 and "Internal Status" in shown.text
    assert shown.headers["cache-control"] == "private, no-cache"


def test_unknown_pages_are_404(api: Api, frozen: datetime) -> None:
    """An unknown page, incident or document is 404."""
    _rendered(api, frozen)
    assert api.client.get("/status/nope").status_code == 404
    assert api.client.get("/api/v2/nope.json").status_code == 404
    assert api.client.get("/status/incidents/999999").status_code == 404


def test_page_never_rendered_is_rendered_on_demand(
    api: Api, factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Before the engine ever rendered the page, the first reader still gets it."""
    script(factory, frozen)
    res = api.client.get("/status")
    assert res.status_code == 200 and "Checkout is failing" in res.text
    assert api.client.get("/api/v2/summary.json").json()["page"]["id"] == "public"
