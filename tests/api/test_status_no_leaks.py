"""Nothing internal leaks onto a status page: an incident whose internal title, alert labels and
annotations, notes of every kind, runbook links, internal status updates and responders all
carry marker words is published in public words, updated and resolved; then every public route
(collected from the app's route table, the snapshot names and the links the pages themselves
give) is read without a login and no marker appears anywhere, while the public words do. An
incident made private after its publication disappears from every public route too."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select
from starlette.routing import Route

from plantao import clock
from plantao.db import session_scope
from plantao.incidents.models import Incident
from plantao.runbooks.models import RunbookLink
from plantao.statuspage import pages, serving, snapshots
from plantao.statuspage.models import PublicIncident, StatusComponent, StatusPage
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import make_user

#: Words only the internal side ever holds; none may reach a public route.
MARKERS = {
    "alertname": "Qxalertname",
    "label": "qxlabelvalue",
    "annotation": "qxannotationtext",
    "title": "qxinternaltitle",
    "fact": "qxnotefact",
    "inference": "qxnoteinference",
    "action": "qxnoteaction",
    "decision": "qxnotedecision",
    "runbook_ref": "qxrunbookref",
    "runbook_title": "qxrunbooktitle",
    "impact": "qxinternalimpact",
    "symptoms": "qxinternalsymptoms",
    "mitigation": "qxinternalmitigation",
    "next_step": "qxinternalnextstep",
    "resolution": "qxinternalrootcause",
    "responder": "qxresponderperson",
    "private_public": "qxprivatepublished",
}
#: The Comms Lead's words: they must be there.
PUBLIC = ("Checkout slower than usual", "We are looking into it", "Fix rolling out", "All good")


def _incident_with_markers(api: Api) -> str:
    """Open an incident from an alert full of markers and pile internal facts on it."""
    alert = am_alert(
        MARKERS["alertname"],
        summary=f"{MARKERS['title']} {MARKERS['annotation']}",
        service="checkout",
        customer=MARKERS["label"],
    )
    alert["annotations"]["runbook_url"] = f"https://wiki.example/{MARKERS['runbook_ref']}"
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([alert]))
    admin = api.headers("admin")
    for kind in ("fact", "inference", "action", "decision"):
        res = api.client.post(
            f"/api/v1/incidents/{ref}/notes",
            json={"text": MARKERS[kind], "kind": kind},
            headers=admin,
        )
        assert res.status_code == 201, res.text
    with session_scope(api.factory) as session:
        make_user(session, MARKERS["responder"], global_role="responder")
        incident = session.scalars(select(Incident).where(Incident.human_id == ref)).one()
        session.add(
            RunbookLink(
                incident_id=incident.id,
                ref=f"https://wiki.example/{MARKERS['runbook_ref']}",
                runbook_id=None,
                lang=None,
                version=None,
                title=MARKERS["runbook_title"],
                source="annotation",
                score=None,
                why="",
                url=f"https://wiki.example/{MARKERS['runbook_ref']}",
                created_at=clock.now(),
                confirmed_at=None,
                confirmed_by=None,
                confirmed_version=None,
            )
        )
    res = api.client.post(
        f"/api/v1/incidents/{ref}/responders", json={"user": MARKERS["responder"]}, headers=admin
    )
    assert res.status_code == 201, res.text
    update = {
        "status": "identified",
        "impact": MARKERS["impact"],
        "symptoms": MARKERS["symptoms"],
        "mitigation": MARKERS["mitigation"],
        "next_steps": [{"action": MARKERS["next_step"]}],
    }
    res = api.client.post(f"/api/v1/incidents/{ref}/status-updates", json=update, headers=admin)
    assert res.status_code == 201, res.text
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=admin).text
    assert MARKERS["title"] in detail or MARKERS["alertname"] in detail  # the markers are real
    return ref


def _component(api: Api) -> str:
    """The public page's component fed by checkout (made when the page has none), and a second
    public page so ``/status/<slug>`` is walked."""
    with session_scope(api.factory) as session:
        page = pages.ensure_default(session)
        found = session.scalar(
            select(StatusComponent.slug).where(
                StatusComponent.page_id == page.id, StatusComponent.slug == "checkout"
            )
        )
        now = clock.now()
        if found is None:
            session.add(
                StatusComponent(
                    page_id=page.id,
                    slug="checkout",
                    name="Checkout",
                    description="",
                    group_name=None,
                    position=0,
                    services=["checkout"],
                    status="operational",
                    created_at=now,
                    updated_at=now,
                )
            )
        if pages.by_slug(session, "partners") is None:
            session.add(
                StatusPage(
                    slug="partners",
                    name="Partners",
                    audience="public",
                    host=None,
                    language="pt-BR",
                    branding={},
                    updated_at=now,
                )
            )
    return "checkout"


def _publish_and_resolve(api: Api, ref: str, component: str) -> int:
    admin = api.headers("admin")
    res = api.client.post(
        f"/api/v1/incidents/{ref}/publish",
        json={
            "title": PUBLIC[0],
            "body": PUBLIC[1],
            "components": {component: "partial_outage"},
        },
        headers=admin,
    )
    assert res.status_code == 201, res.text
    public_id = int(res.json()["id"])
    for status, body in (("identified", PUBLIC[2]), ("resolved", PUBLIC[3])):
        res = api.client.post(
            f"/api/v1/public-incidents/{public_id}/updates",
            json={"status": status, "body": body},
            headers=admin,
        )
        assert res.status_code == 201, res.text
    resolution = {
        "status": "resolved",
        "impact": MARKERS["impact"],
        "resolution": {
            "root_cause": MARKERS["resolution"],
            "fix": MARKERS["resolution"],
            "monitoring": "next 2 hours",
            "postmortem_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        },
    }
    res = api.client.post(f"/api/v1/incidents/{ref}/status-updates", json=resolution, headers=admin)
    assert res.status_code == 201, res.text
    return public_id


def _private_after_publication(api: Api, component: str) -> int:
    """Publish a second incident, then make it private: it must vanish from every route."""
    admin = api.headers("admin")
    res = api.client.post(
        "/api/v1/incidents",
        json={"title": "second", "service": "checkout", "severity": "sev2"},
        headers=admin,
    )
    assert res.status_code == 201, res.text
    ref = res.json()["human_id"]
    res = api.client.post(
        f"/api/v1/incidents/{ref}/publish",
        json={
            "title": MARKERS["private_public"],
            "body": MARKERS["private_public"],
            "components": {component: "major_outage"},
        },
        headers=admin,
    )
    assert res.status_code == 201, res.text
    res = api.client.post(
        f"/api/v1/incidents/{ref}/visibility", json={"private": True}, headers=admin
    )
    assert res.status_code == 200, res.text
    return int(res.json()["id"])


def _routes(routes: Sequence[Any], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every (path, route) of the app, through included routers."""
    for route in routes:
        if isinstance(route, Route):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            inner = prefix + getattr(route.include_context, "prefix", "")
            yield from _routes(route.original_router.routes, inner)


def _seeds(api: Api) -> list[str]:
    """Every public GET route of the app: fixed ones as they are, ``{slug}`` for every page,
    the snapshot routes for every artifact name (both languages), incidents and history."""
    with session_scope(api.factory) as session:
        slugs = list(session.scalars(select(StatusPage.slug)))
        public_ids = list(session.scalars(select(PublicIncident.id)))
    app: Any = api.client.app
    found: list[str] = []
    for path, route in _routes(app.routes):
        if "GET" not in (route.methods or set()):
            continue
        if not (path.startswith("/status") or path.startswith("/api/v2")):
            continue
        if "{rest:path}" in path:
            base = path.removesuffix("{rest:path}")
            if base == "/api/v2/":
                found += [base + name for name in snapshots.JSON_DOCUMENTS]
                continue
            rests = [*serving.SIMPLE, "history", "history?page=2"]
            rests += [f"incidents/{i}" for i in public_ids]
            rests += [f"api/v2/{name}" for name in snapshots.JSON_DOCUMENTS]
            for slug in slugs:
                prefix = base if slug == pages.DEFAULT_SLUG else f"{base}{slug}/"
                found += [prefix.rstrip("/") or "/status", *[prefix + r for r in rests]]
            continue
        for slug in slugs if "{slug}" in path else [""]:
            concrete = path.replace("{slug}", slug)
            if "{" in concrete:
                continue
            found.append(concrete)
    # Token pages with a token that means nothing: their error pages are public too.
    found += [
        f"{p}?token=not-a-token" for p in list(found) if p.endswith(("/confirm", "/unsubscribe"))
    ]
    langs = [f"{p}{'&' if '?' in p else '?'}lang=pt-BR" for p in found if "api/v2" not in p]
    return sorted(set(found + langs))


def _links(base: str, body: str) -> Iterator[str]:
    for raw in re.findall(r'(?:href|src)="([^"]+)"|"(?:url|shortlink)":\s*"([^"]+)"', body):
        link = next(x for x in raw if x).replace("&amp;", "&")
        absolute = urljoin(base, link)
        parts = urlsplit(absolute)  # any host: the pages give absolute links to base_url
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local.startswith(("/status", "/api/v2")):
            yield local


def _walk(api: Api) -> dict[str, str]:
    """GET every seed and every public link the answers give, without credentials."""
    api.client.cookies.clear()
    todo = _seeds(api)
    seen: dict[str, str] = {}
    while todo and len(seen) < 400:
        path = todo.pop()
        if path in seen:
            continue
        res = api.client.get(path, follow_redirects=False)
        assert res.status_code < 500, (path, res.status_code)
        seen[path] = f"{res.status_code} {res.headers.get('location', '')}\n{res.text}"
        if res.status_code == 200:
            todo += [
                link for link in _links(f"http://plantao.test{path}", res.text) if link not in seen
            ]
    return seen


def test_no_internal_word_reaches_a_public_route(api: Api) -> None:
    """Walking every public route finds the public words and none of the internal markers."""
    component = _component(api)
    ref = _incident_with_markers(api)
    public_id = _publish_and_resolve(api, ref, component)
    _private_after_publication(api, component)
    walked = _walk(api)
    ok = {p: body for p, body in walked.items() if body.startswith("200")}
    assert f"/status/incidents/{public_id}" in ok
    assert any(p.startswith("/api/v2/") for p in ok) and "/status/feed.atom" in ok
    leaks = [
        (path, name)
        for path, body in walked.items()
        for name, marker in MARKERS.items()
        if marker.lower() in body.lower()
    ]
    assert leaks == []
    everything = "\n".join(ok.values())
    for words in PUBLIC:
        assert words in everything, words
    assert PUBLIC[0] in ok[f"/status/incidents/{public_id}"]
    assert PUBLIC[0] in ok["/api/v2/incidents.json"]
    assert PUBLIC[0] in ok["/status/feed.atom"] and PUBLIC[0] in ok["/status/feed.rss"]
