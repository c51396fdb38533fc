"""On-call API: who is on call (DST-correct), shifts, overrides, feeds, silences, heartbeats."""

from __future__ import annotations

from datetime import datetime

from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY, apply_config
from tests.factories.oncall import oncall_loop, responders

# Lisbon leaves summer time on 2026-10-25 at 02:00 local: the 09:00 hand-off moves from 08:00
# to 09:00 UTC. Daily turns from 2026-10-20: ana, bruno, ana, bruno, ana, bruno (25th), ana.
CONFIG = (
    responders("main")
    + """schedules:
  - slug: lisbon
    name: Lisbon
    time_zone: Europe/Lisbon
    layers:
      - name: daily
        rotation: {type: daily, handoff: "09:00", start: 2026-10-20, participants: [ana, bruno]}
escalation_policies:
  - slug: main
    name: Main
    steps:
      - {targets: [{schedule: lisbon}]}
      - {delay: 5m, targets: [{user: carla}]}
heartbeats:
  - {slug: rollout-monitor, name: Rollout, service: checkout, interval: 5m,
     key: hb-key-0123456789abcdef}
"""
)


def _setup(api: Api) -> None:
    apply_config(api.factory, CONFIG)


def _who(api: Api, at: str) -> list[str]:
    response = api.client.get(
        "/api/v1/schedules/lisbon/oncall", params={"at": at}, headers=api.headers("viewer")
    )
    assert response.status_code == 200, response.text
    users: list[str] = response.json()["users"]
    return users


def test_who_is_on_call_follows_local_handoff_across_dst(api: Api) -> None:
    """The 09:00 Lisbon hand-off is 08:00 UTC in summer time and 09:00 UTC after it ends."""
    _setup(api)
    assert _who(api, "2026-10-24T07:59:00Z") == ["bruno"]
    assert _who(api, "2026-10-24T08:00:00Z") == ["ana"]
    assert _who(api, "2026-10-26T08:30:00Z") == ["bruno"]
    assert _who(api, "2026-10-26T09:00:00Z") == ["ana"]


def test_next_shifts(api: Api) -> None:
    """/shifts?n= lists the next shifts, the first one in progress."""
    _setup(api)
    response = api.client.get(
        "/api/v1/schedules/lisbon/shifts",
        params={"n": 3, "at": "2026-10-25T12:00:00Z"},
        headers=api.headers("viewer"),
    )
    assert response.status_code == 200
    shifts = response.json()["shifts"]
    assert [s["user"] for s in shifts] == ["bruno", "ana", "bruno"]
    assert shifts[0]["start"].startswith("2026-10-25T12:00:00")
    assert shifts[0]["end"].startswith("2026-10-26T09:00:00")
    bad = api.client.get(
        "/api/v1/schedules/nope/shifts", params={"n": 3}, headers=api.headers("viewer")
    )
    assert bad.status_code == 404
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_override_needs_a_responder_and_changes_who(api: Api) -> None:
    """Putting carla on call needs a manager: viewers and responders get 403; an admin's replace
    override puts carla on call for its period."""
    _setup(api)
    body = {
        "kind": "replace",
        "start": "2026-10-26T10:00:00Z",
        "end": "2026-10-26T12:00:00Z",
        "user": "carla",
    }
    url = "/api/v1/schedules/lisbon/overrides"
    assert api.client.post(url, json=body, headers=api.headers("viewer")).status_code == 403
    assert api.client.post(url, json=body, headers=api.headers("responder")).status_code == 403
    created = api.client.post(url, json=body, headers=api.headers("admin"))
    assert created.status_code == 201, created.text
    assert _who(api, "2026-10-26T11:00:00Z") == ["carla"]
    assert _who(api, "2026-10-26T12:00:00Z") == ["ana"]
    unknown = api.client.post(url, json=body | {"user": "zed"}, headers=api.headers("admin"))
    assert unknown.status_code == 422
    assert "unknown user 'zed'" in unknown.json()["detail"]


def test_ical_feeds_at_secret_urls(api: Api) -> None:
    """Admins read the feed URLs; the feed itself needs no token; a wrong secret is 404."""
    _setup(api)
    assert (
        api.client.get("/api/v1/schedules/lisbon/feed", headers=api.headers("responder"))
    ).status_code == 403
    for path in ("/api/v1/schedules/lisbon/feed", "/api/v1/users/ana/feed"):
        url = api.client.get(path, headers=api.headers("admin")).json()["url"]
        assert url.startswith("http://plantao.test/ical/") and url.endswith(".ics")
        feed = api.client.get(url.removeprefix("http://plantao.test"))
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")
        assert b"BEGIN:VCALENDAR" in feed.content
    assert api.client.get("/ical/not-a-secret.ics").status_code == 404


def test_silences_create_list_end(api: Api) -> None:
    """Managers (here an admin) create and end silences, responders may not; everyone can list
    them."""
    _setup(api)
    body = {
        "name": "deploy",
        "ends_at": "2099-01-01T00:00:00Z",
        "starts_at": "2098-12-31T00:00:00Z",
        "services": ["checkout"],
    }
    assert (
        api.client.post("/api/v1/silences", json=body, headers=api.headers("viewer")).status_code
        == 403
    )
    refused = api.client.post("/api/v1/silences", json=body, headers=api.headers("responder"))
    assert refused.status_code == 403
    created = api.client.post("/api/v1/silences", json=body, headers=api.headers("admin"))
    assert created.status_code == 201, created.text
    silence_id = created.json()["id"]
    listed = api.client.get("/api/v1/silences", headers=api.headers("viewer")).json()
    assert [s["name"] for s in listed] == ["deploy"]
    ended = api.client.post(f"/api/v1/silences/{silence_id}/end", headers=api.headers("admin"))
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    again = api.client.post(f"/api/v1/silences/{silence_id}/end", headers=api.headers("admin"))
    assert again.status_code == 409
    bad = api.client.post(
        "/api/v1/silences",
        json=body | {"matchers": ['job=>"x"']},
        headers=api.headers("admin"),
    )
    assert bad.status_code == 422


def test_heartbeat_key_authenticates(api: Api) -> None:
    """A beat needs no token, only the monitor's key; an unknown key is 404."""
    _setup(api)
    ok = api.client.post("/api/v1/heartbeats/hb-key-0123456789abcdef")
    assert ok.status_code == 200 and ok.json()["state"] == "ok"
    assert api.client.post("/api/v1/heartbeats/nope").status_code == 404


def test_escalate_route(api: Api, frozen: datetime) -> None:
    """POST …/escalate pages the next step now; the escalation view lists the pages."""
    _setup(api)
    ref = api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Down", "severity": "critical", "labels": {"service": "checkout"}},
    )
    loop = oncall_loop(api.factory)
    loop.run_once()
    assert (
        api.client.post(
            f"/api/v1/incidents/{ref}/escalate", headers=api.headers("viewer")
        ).status_code
        == 403
    )
    response = api.client.post(
        f"/api/v1/incidents/{ref}/escalate", headers=api.headers("responder")
    )
    assert response.status_code == 200, response.text
    assert [p["user"] for p in response.json()["pages"]] == ["bruno", "carla"]
