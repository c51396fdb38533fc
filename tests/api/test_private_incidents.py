"""A private incident is invisible to everyone but its responders and admins, through every
route: the OpenAPI document is walked, so a route added later is covered without a new line here.

For a viewer and for a responder who is not on the incident, every operation that names an
incident answers a private incident's reference exactly as it answers a reference that matches
nothing (same status, same body once the reference itself is set aside), reading routes with a
404; lists and searches (API and web) leave it out. Its responder (a mere viewer elsewhere) and an
admin read it. The web pages and forms that name an incident are walked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from httpx import Response
from sqlalchemy import select, update

from plantao.db import session_scope
from plantao.incidents import access
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, TimelineEntry
from plantao.people import directory
from plantao.postmortems import records
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user, token_for

CANARY = "Canary 7f3a: customer CPF list exposed"
#: Names a path parameter holding an incident reference goes by.
REF_PARAMS = ("ref", "incident", "incident_ref", "incident_id")
#: Values for the other path parameters (anything else gets "1").
OTHER_PARAMS = {
    "rid": "api-error-spike",
    "action": "acknowledge",
    "section": "live",
    "role": "scribe",
    "handle": "viewer-u",
    "checklist": "setup",
    "verb": "check",
}
#: Form fields the web forms read (extra ones are ignored), so forms pass their own checks.
FORM_FIELDS = {
    "text": "x",
    "kind": "fact",
    "severity": "sev2",
    "reason": "x",
    "minutes": "10",
    "hours": "1",
    "handle": "viewer-u",
    "private": "1",
    "runbook": "api-error-spike",
    "level": "low",
    "rationale": "x",
}
OUTSIDERS = ("viewer", "responder")


@dataclass
class Secret:
    """The private incident, a reference of the same shape that matches nothing, and a public
    incident (lists are not empty)."""

    ref: str
    id: int
    missing: str
    public_ref: str
    insider_token: str


def _open(api: Api, name: str) -> str:
    body = am_webhook([am_alert(name, summary=CANARY)], group_key=f'{{}}:{{alertname="{name}"}}')
    return api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", body)


@pytest.fixture
def secret(api: Api) -> Secret:
    public_ref = _open(api, "PublicOne")
    ref = _open(api, "SecretOne")
    with session_scope(api.factory) as session:
        session.execute(update(Incident).where(Incident.human_id == ref).values(title=CANARY))
        session.execute(
            update(Incident).where(Incident.human_id == public_ref).values(title="Plain public")
        )
    res = api.client.post(
        f"/api/v1/incidents/{ref}/visibility", json={"private": True}, headers=api.headers("admin")
    )
    assert res.status_code == 200, res.text
    with session_scope(api.factory) as session:
        insider = make_user(session, "insider", global_role="viewer")
        incident = incident_service.get(session, ref)
        access.add_responder(session, incident, insider, actor="admin-u")
        records.ensure(session, incident, actor="admin-u")  # its postmortem is read, too
        token = token_for(session, insider)
        incident_id = incident.id
    day = ref.split("-")[1]
    return Secret(ref, incident_id, f"INC-{day}-99999", public_ref, token)


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A small value that satisfies ``schema`` (enough for a body to reach the handler)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], components)
    if "allOf" in schema:
        return _example(schema["allOf"][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        # No field required: one of them may still be (e.g. "user", "schedule" or "policy").
        wanted = schema.get("required") or list(props)[:1]
        return {k: _example(props[k], components) for k in wanted if k in props}
    if kind == "array":
        return [_example(schema.get("items", {}), components)] * schema.get("minItems", 0)
    if kind in {"integer", "number"}:
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2030-01-01T00:00:00Z"
        return "x" * max(1, schema.get("minLength", 1))
    return None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    ref_param: str
    params: dict[str, str]
    body: Any

    def url(self, ref: str) -> str:
        url = self.path.replace("{" + self.ref_param + "}", ref)
        for name, value in self.params.items():
            url = url.replace("{" + name + "}", value)
        return url


def _operations(api: Api) -> list[Operation]:
    """Every operation of the OpenAPI document with an incident reference in its path."""
    app: Any = api.client.app
    doc = app.openapi()
    components = doc.get("components", {}).get("schemas", {})
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            refs = [p["name"] for p in params if p["name"] in REF_PARAMS]
            if not refs:
                continue
            others = {
                p["name"]: OTHER_PARAMS.get(p["name"], "1") for p in params if p["name"] != refs[0]
            }
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = _example(schema["schema"], components) if "schema" in schema else None
            found.append(Operation(method.upper(), path, refs[0], others, body))
    return found


def _same(private: Response, missing: Response, secret: Secret) -> tuple[int, str, str]:
    """What a caller could tell apart: status, content type and body (the ref set aside)."""
    bodies = []
    for res, ref in ((private, secret.ref), (missing, secret.missing)):
        text = res.text.replace(ref, "<REF>").replace(ref.lower(), "<REF>")
        bodies.append(text)
        location = res.headers.get("location", "").replace(ref, "<REF>")
        bodies[-1] += "\nlocation: " + location
    assert private.status_code == missing.status_code, (private.text, missing.text)
    assert private.headers.get("content-type") == missing.headers.get("content-type")
    assert bodies[0] == bodies[1]
    return private.status_code, private.headers.get("content-type", ""), bodies[0]


def test_every_api_route_naming_the_incident_answers_as_if_it_did_not_exist(
    api: Api, secret: Secret
) -> None:
    """Walk the OpenAPI document: for a viewer and a non-added responder, each operation on the
    private incident answers exactly as on a missing one (GETs with 404), and changes nothing."""
    operations = _operations(api)
    assert len(operations) >= 25, "the walk found too few incident routes"
    assert any(o.path.endswith("/visibility") for o in operations)
    for caller in OUTSIDERS:
        for op in operations:
            answers = []
            for ref in (secret.ref, secret.missing):
                answers.append(
                    api.client.request(
                        op.method, op.url(ref), json=op.body, headers=api.headers(caller)
                    )
                )
            status, _, _ = _same(answers[0], answers[1], secret)
            where = f"{caller} {op.method} {op.path}"
            assert status >= 400, where
            if op.method == "GET":
                assert status == 404, where
    with session_scope(api.factory) as session:
        actors = set(
            session.scalars(
                select(TimelineEntry.actor).where(TimelineEntry.incident_id == secret.id)
            )
        )
        assert not actors & {"viewer-u", "responder-u"}, actors
        assert incident_service.get(session, secret.ref).status.value == "triggered"


def test_the_incident_number_is_as_unknown_as_its_human_id(api: Api, secret: Secret) -> None:
    """GET by number: the private incident's id answers like an id that matches nothing."""
    for caller in OUTSIDERS:
        hidden = api.client.get(f"/api/v1/incidents/{secret.id}", headers=api.headers(caller))
        missing = api.client.get("/api/v1/incidents/999999", headers=api.headers(caller))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(str(secret.id), "N") == missing.json()[
            "detail"
        ].replace("999999", "N")


def test_its_responder_and_an_admin_read_every_route(api: Api, secret: Secret) -> None:
    """The same walk's reading routes that need only the reference answer 200 to the incident's
    responder (a viewer elsewhere) and to an admin."""
    readers = {"insider": {"Authorization": f"Bearer {secret.insider_token}"}}
    readers["admin"] = api.headers("admin")
    reading = [o for o in _operations(api) if o.method == "GET" and not o.params]
    assert len(reading) >= 5
    for name, headers in readers.items():
        for op in reading:
            res = api.client.get(op.url(secret.ref), headers=headers)
            assert res.status_code == 200, f"{name} {op.path}: {res.text}"
        detail = api.client.get(f"/api/v1/incidents/{secret.ref}", headers=headers).json()
        assert detail["title"] == CANARY


def _list_texts(api: Api, headers: dict[str, str]) -> str:
    queries: list[dict[str, str]] = [
        {},
        {"status": "open"},
        {"status": "triggered"},
        {"severity": "sev3,sev1,sev2,sev4"},
        {"service": "default"},
        {"limit": "200"},
    ]
    texts = []
    for query in queries:
        res = api.client.get("/api/v1/incidents", params=query, headers=headers)
        assert res.status_code == 200, res.text
        texts.append(res.text)
    return "\n".join(texts)


def test_api_lists_and_filters_leave_it_out(api: Api, secret: Secret) -> None:
    """Whatever the filters, the API list never names the private incident to outsiders, and
    lists it for its responder and an admin."""
    for caller in OUTSIDERS:
        text = _list_texts(api, api.headers(caller))
        assert secret.public_ref in text
        assert secret.ref not in text and CANARY not in text and f'"id":{secret.id},' not in text
    for headers in ({"Authorization": f"Bearer {secret.insider_token}"}, api.headers("admin")):
        text = api.client.get("/api/v1/incidents", headers=headers).text
        assert secret.ref in text and CANARY in text


def _log_in(api: Api, handle: str) -> str:
    res = api.client.post(
        "/login",
        data={"handle": handle, "password": PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    page = api.client.get("/")
    return api.csrf(page.text)


def _routes(routes: Sequence[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every (path, route) of the app, through included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            inner = prefix + getattr(route.include_context, "prefix", "")
            yield from _routes(route.original_router.routes, inner)


def _web_routes(api: Api) -> list[tuple[str, str]]:
    """(method, path) of the web pages and forms (the API is the OpenAPI walk's) whose path
    names an incident."""
    app: Any = api.client.app
    return sorted(
        {
            (method, path)
            for path, route in _routes(app.routes)
            if not path.startswith("/api/") and any("{" + name + "}" in path for name in REF_PARAMS)
            for method in route.methods or ()
        }
    )


def _web_url(path: str, ref: str) -> str:
    url = path
    for name in REF_PARAMS:
        url = url.replace("{" + name + "}", ref)
    return re.sub(r"\{(\w+)\}", lambda m: OTHER_PARAMS.get(m.group(1), "1"), url)


def test_web_pages_and_forms_answer_as_if_it_did_not_exist(api: Api, secret: Secret) -> None:
    """Signed in as a viewer, then as a non-added responder: every web page and form naming an
    incident answers the private one as a missing one (pages 404), and the list, its live
    partial and "mine" never show it; the incident's responder and an admin see its page."""
    routes = _web_routes(api)
    assert len(routes) >= 10, "the walk found too few incident pages"
    for handle in ("viewer-u", "responder-u"):
        csrf = _log_in(api, handle)
        for method, path in routes:
            answers = []
            for ref in (secret.ref, secret.missing):
                url = _web_url(path, ref)
                if method == "GET":
                    answers.append(api.client.get(url, follow_redirects=False))
                else:
                    form = {"csrf": csrf, **FORM_FIELDS}
                    answers.append(
                        api.client.request(method, url, data=form, follow_redirects=False)
                    )
            status, _, _ = _same(answers[0], answers[1], secret)
            if method == "GET":
                assert status == 404, f"{handle} {path}"
        for query in ("/", "/?status=", "/?status=&partial=1", "/?mine=1&status="):
            page = api.client.get(query)
            assert page.status_code == 200
            assert secret.public_ref in page.text or "mine" in query
            assert secret.ref not in page.text and CANARY not in page.text, query
    for handle in ("insider", "admin-u"):
        _log_in(api, handle)
        page = api.client.get(f"/incidents/{secret.ref}")
        assert page.status_code == 200 and CANARY in page.text
        assert secret.ref in api.client.get("/?status=").text
    with session_scope(api.factory) as session:
        actors = set(
            session.scalars(
                select(TimelineEntry.actor).where(TimelineEntry.incident_id == secret.id)
            )
        )
        assert not actors & {"viewer-u", "responder-u"}, actors


def test_making_it_private_needs_a_responder_on_it_and_is_on_the_timeline(
    api: Api, secret: Secret
) -> None:
    """A viewer cannot change visibility (403 on a public incident); the admin who made it
    private became a responder and the timeline says who did it; making it public shows it."""
    denied = api.client.post(
        f"/api/v1/incidents/{secret.public_ref}/visibility",
        json={"private": True},
        headers=api.headers("viewer"),
    )
    assert denied.status_code == 403
    with session_scope(api.factory) as session:
        handles = [u.handle for _, u in access.responders(session, secret.id)]
        assert handles == ["admin-u", "insider"]
        entries = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.incident_id == secret.id, TimelineEntry.kind == "incident.visibility"
            )
        ).all()
        assert [(e.actor, e.data["private"]) for e in entries] == [("admin-u", True)]
    public = api.client.post(
        f"/api/v1/incidents/{secret.ref}/visibility",
        json={"private": False},
        headers={"Authorization": f"Bearer {secret.insider_token}"},
    )
    assert public.status_code == 403  # the insider is a responder, but holds a read-only token
    res = api.client.post(
        f"/api/v1/incidents/{secret.ref}/visibility",
        json={"private": False},
        headers=api.headers("admin"),
    )
    assert res.status_code == 200, res.text
    seen = api.client.get(f"/api/v1/incidents/{secret.ref}", headers=api.headers("viewer"))
    assert seen.status_code == 200 and seen.json()["title"] == CANARY
    with session_scope(api.factory) as session:
        assert directory.by_handle(session, "insider") is not None


def test_the_incident_page_toggles_visibility_in_both_languages(api: Api) -> None:
    """A responder makes a public incident private from its page and public again: the page
    says "Private", the timeline says who did it (in pt-BR too), a viewer sees no form."""
    ref = _open(api, "ToggleMe")
    api.login("viewer")
    page = api.client.get(f"/incidents/{ref}")
    assert "Everyone with access to Plantão sees it." in page.text
    assert f'action="/incidents/{ref}/visibility"' not in page.text
    api.login("responder")
    page = api.client.get(f"/incidents/{ref}")
    assert f'action="/incidents/{ref}/visibility"' in page.text
    res = api.client.post(
        f"/incidents/{ref}/visibility",
        data={"csrf": api.csrf(page.text), "private": "1"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == f"/incidents/{ref}"
    page = api.client.get(f"/incidents/{ref}")
    assert 'class="status warn vis-private">Private<' in page.text
    assert "responder-u made the incident private" in page.text
    assert ">Make public<" in page.text
    page = api.client.get(f"/incidents/{ref}?lang=pt-BR")
    assert "responder-u tornou o incidente privado" in page.text
    assert ">Tornar público<" in page.text
    res = api.client.post(
        f"/incidents/{ref}/visibility",
        data={"csrf": api.csrf(page.text), "private": "0"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert "responder-u tornou o incidente público" in api.client.get(f"/incidents/{ref}").text
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["private"] is False


def test_the_list_marks_private_incidents_for_those_who_see_them(api: Api, secret: Secret) -> None:
    """On the web list, the private incident's row carries a "Private" badge (its responder)."""
    _log_in(api, "insider")
    rows = api.client.get("/?status=").text
    row = rows[rows.index(f'href="/incidents/{secret.ref}"') :]
    assert row[: row.index("</td>")].count("vis-private") == 1
    public = rows[rows.index(f'href="/incidents/{secret.public_ref}"') :]
    assert "vis-private" not in public[: public.index("</td>")]
