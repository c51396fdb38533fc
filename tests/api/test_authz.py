"""Access: every route but intake and health needs a token; viewers cannot write."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook

READS = ["/api/v1/incidents", "/api/v1/incidents/1", "/api/v1/services", "/api/v1/severity-matrix"]
WRITES = [
    ("/api/v1/incidents/1/acknowledge", None),
    ("/api/v1/incidents/1/mitigate", None),
    ("/api/v1/incidents/1/resolve", None),
    ("/api/v1/incidents/1/notes", {"text": "hi"}),
    ("/api/v1/incidents/1/severity", {"severity": "sev2"}),
]
ADMIN = [
    ("GET", "/api/v1/integrations"),
    ("GET", "/api/v1/tokens?all=true"),
    ("POST", "/api/v1/users"),
]


@pytest.fixture
def with_incident(api: Api) -> Api:
    api.send(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    return api


@pytest.mark.parametrize("url", READS + [w[0] for w in WRITES] + [a[1] for a in ADMIN])
def test_no_token_is_401(with_incident: Api, url: str) -> None:
    """Without a token every API route answers 401 problem+json."""
    method = "GET" if url in READS or "integrations" in url or "tokens" in url else "POST"
    res = with_incident.client.request(method, url)
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == "Bearer"


def test_bad_token_is_401(with_incident: Api) -> None:
    """An unknown token is refused."""
    res = with_incident.client.get(
        "/api/v1/incidents", headers={"Authorization": "Bearer plt_nope"}
    )
    assert res.status_code == 401


@pytest.mark.parametrize("url", READS)
def test_viewer_can_read(with_incident: Api, url: str) -> None:
    """Viewers read incidents, services and the matrix."""
    assert with_incident.client.get(url, headers=with_incident.headers("viewer")).status_code == 200


@pytest.mark.parametrize(("url", "body"), WRITES)
def test_viewer_cannot_write(with_incident: Api, url: str, body: dict[str, str] | None) -> None:
    """Viewers get 403 on every write and nothing changes."""
    res = with_incident.client.post(url, json=body, headers=with_incident.headers("viewer"))
    assert res.status_code == 403
    detail = with_incident.client.get(
        "/api/v1/incidents/1", headers=with_incident.headers("viewer")
    ).json()
    assert detail["status"] == "triggered" and detail["severity"] == "sev3"
    # opened, alert attached, nobody paged (the standard services have no escalation policy)
    assert len(detail["timeline"]) == 3


@pytest.mark.parametrize(("method", "url"), ADMIN)
def test_only_admin_administers(with_incident: Api, method: str, url: str) -> None:
    """Responders get 403 on admin routes; admins get through."""
    body = {"handle": "newbie", "name": "Newbie"} if method == "POST" else None
    res = with_incident.client.request(
        method, url, json=body, headers=with_incident.headers("responder")
    )
    assert res.status_code == 403
    res = with_incident.client.request(
        method, url, json=body, headers=with_incident.headers("admin")
    )
    assert res.status_code in (200, 201)


def test_token_lifecycle(api: Api) -> None:
    """A created token is shown once, works, and stops working when revoked."""
    created = api.client.post(
        "/api/v1/tokens", json={"name": "bot", "scopes": ["read"]}, headers=api.headers("admin")
    ).json()
    token = created["token"]
    assert token.startswith("plt_")
    listed = api.client.get("/api/v1/tokens", headers=api.headers("admin")).json()
    assert all("token" not in t for t in listed)
    auth = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/incidents", headers=auth).status_code == 200
    api.client.delete(f"/api/v1/tokens/{created['id']}", headers=api.headers("admin"))
    assert api.client.get("/api/v1/incidents", headers=auth).status_code == 401


def test_health_needs_no_token(api: Api) -> None:
    """Health, readiness, metrics and OpenAPI docs are open."""
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json()["database"] == "ok"
    metrics = api.client.get("/metrics").text
    assert "plantao_http_requests_total" in metrics and "plantao_open_incidents" in metrics
    assert api.client.get("/docs").status_code == 200
    assert "/v2/enqueue" in api.client.get("/openapi.json").json()["paths"]


def test_engine_metrics_and_health(api: Api) -> None:
    """/metrics shows engine job depth, due timers, lag and cycle time; so does /healthz/engine."""
    from sqlalchemy import select

    from plantao.db import run_transaction
    from plantao.engine.runner import make_loop
    from plantao.jobs import service as job_service
    from plantao.jobs.models import Job

    run_transaction(api.factory, lambda s: job_service.enqueue(s, "no.such.kind", {}))
    text = api.client.get("/metrics").text
    assert 'plantao_engine_jobs{state="due"} 1.0' in text
    assert 'plantao_engine_jobs{state="pending"} 1.0' in text
    assert "plantao_engine_lag_seconds " in text
    make_loop(api.factory).run_once()
    assert "plantao_engine_cycle_duration_seconds_count" in api.client.get("/metrics").text
    health = api.client.get("/healthz/engine").json()
    # The unknown job waits; so does the timer the engine keeps for the weekly review e-mail.
    kinds = run_transaction(
        api.factory, lambda s: sorted(s.scalars(select(Job.kind).where(Job.state == "pending")))
    )
    assert kinds == ["no.such.kind", "postmortems.weekly_review"]
    assert health["jobs"] == {"pending": 2}
    assert health["status"] == "ok"


OPEN_ROUTES = {
    # credentials travel in the URL or body (integration key, heartbeat key, feed secret)
    ("POST", "/api/v1/intake/{key}/alertmanager"),
    ("POST", "/api/v1/intake/{key}/grafana"),
    ("POST", "/api/v1/intake/{key}/generic"),
    ("POST", "/v2/enqueue"),
    ("POST", "/v2/change/enqueue"),
    ("POST", "/api/v1/heartbeats/{key}"),
    ("GET", "/ical/{secret}.ics"),
    # probes
    ("GET", "/healthz"),
    ("GET", "/healthz/engine"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
}


def test_every_other_api_route_needs_a_token(api: Api) -> None:
    """Every route in the OpenAPI document answers 401 without a token, except the open list."""
    import re

    spec = api.client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method in operations:
            if (method.upper(), path) in OPEN_ROUTES:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            res = api.client.request(method.upper(), url, json={})
            assert res.status_code == 401, f"{method.upper()} {path} answered {res.status_code}"
            checked += 1
    assert checked >= 40


def test_feed_and_heartbeat_secrets_never_logged(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    """Calendar-feed secrets and heartbeat keys in URLs are redacted from the access log."""
    api.client.get("/ical/s3cr3t-feed-value.ics")
    api.client.post("/api/v1/heartbeats/hb-key-value-123")
    err = capsys.readouterr().err
    assert "s3cr3t-feed-value" not in err and "hb-key-value-123" not in err
    assert "/ical/[REDACTED].ics" in err


def test_a_narrow_token_never_mints_a_wider_one(api: Api) -> None:
    """An admin's read-only token cannot create, revoke or end sessions; a respond token only
    hands on respond/read; an admin token can make a gate-only token."""
    admin = api.headers("admin")
    made = api.client.post("/api/v1/tokens", json={"name": "ro", "scopes": ["read"]}, headers=admin)
    read_only = {"Authorization": f"Bearer {made.json()['token']}"}
    for scopes in (["admin"], ["read"]):
        res = api.client.post(
            "/api/v1/tokens", json={"name": "up", "scopes": scopes}, headers=read_only
        )
        assert res.status_code == 403, res.text
    assert api.client.delete("/api/v1/tokens/1", headers=read_only).status_code == 403
    assert api.client.post("/api/v1/me/logout-everywhere", headers=read_only).status_code == 403
    responder = api.headers("responder")
    wider = api.client.post(
        "/api/v1/tokens", json={"name": "up", "scopes": ["admin"]}, headers=responder
    )
    assert wider.status_code == 403
    narrower = api.client.post(
        "/api/v1/tokens", json={"name": "ro", "scopes": ["read"]}, headers=responder
    )
    assert narrower.status_code == 201
    gate = api.client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["gate"]}, headers=admin)
    assert gate.status_code == 201 and gate.json()["scopes"] == ["gate"]
    everyone = api.client.get("/api/v1/tokens?all=true", headers=admin).json()
    assert sorted(t["name"] for t in everyone if t["name"] in ("ro", "up", "ci")) == [
        "ci",
        "ro",
        "ro",
    ]


def test_the_people_list_shows_each_persons_team_roles(api: Api) -> None:
    """GET /api/v1/users names every person's teams and roles (read in one query for all)."""
    listed = api.client.get("/api/v1/users", headers=api.headers("viewer")).json()
    by_handle = {u["handle"]: u for u in listed}
    assert by_handle["ana"]["teams"] == [{"team": "sre", "role": "responder"}]
    assert by_handle["admin-u"]["teams"] == [] and by_handle["admin-u"]["global_role"] == "admin"
