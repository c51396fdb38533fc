"""Incident API: reading, lifecycle verbs, notes, severity, filters and pagination."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"


def _open(api: Api, name: str = "HighErrorRate", **labels: str) -> str:
    return api.open_incident(AM, am_webhook([am_alert(name, **labels)], group_key=name))


def test_get_by_number_or_human_id(api: Api) -> None:
    """An incident is found by its number or its human id, with alerts and timeline."""
    ref = _open(api, severity="critical")
    by_human = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    by_number = api.client.get(
        f"/api/v1/incidents/{by_human['id']}", headers=api.headers("viewer")
    ).json()
    assert by_human == by_number
    assert by_human["status"] == "triggered" and by_human["severity"] == "sev1"
    assert by_human["priority"] == "P0"
    assert len(by_human["alerts"]) == 1
    assert [e["kind"] for e in by_human["timeline"]] == [
        "incident.triggered",
        "alert.attached",
        "paging.nobody",  # the standard services have no escalation policy
    ]
    assert by_human["targets"]["update_every_minutes"] == 15
    missing = api.client.get("/api/v1/incidents/INC-20000101-9", headers=api.headers("viewer"))
    assert missing.status_code == 404


def test_lifecycle_through_api(api: Api) -> None:
    """Acknowledge → mitigate → resolve → close (with a reason: the close checklist is not
    ticked), each on the timeline with the actor."""
    ref = _open(api)
    h = api.headers("responder")
    for verb, status in (
        ("acknowledge", "acknowledged"),
        ("mitigate", "mitigated"),
        ("resolve", "resolved"),
        ("close", "closed"),
    ):
        body = {"reason": "lifecycle test"} if verb == "close" else None
        res = api.client.post(f"/api/v1/incidents/{ref}/{verb}", headers=h, json=body)
        assert res.status_code == 200, res.text
        assert res.json()["status"] == status
    detail = res.json()
    assert detail["acknowledged_at"] and detail["mitigated_at"] and detail["closed_at"]
    actors = {e["actor"] for e in detail["timeline"] if e["kind"].startswith("incident.")}
    assert "responder-u" in actors


def test_invalid_transition_is_409_with_allowed(api: Api) -> None:
    """Acknowledging a resolved incident answers 409 naming what is allowed."""
    ref = _open(api)
    h = api.headers("responder")
    api.client.post(f"/api/v1/incidents/{ref}/resolve", headers=h)
    res = api.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=h)
    assert res.status_code == 409
    assert res.json()["detail"] == (
        "cannot acknowledge an incident that is resolved; allowed: reopen, close"
    )


def test_notes_and_severity(api: Api) -> None:
    """Notes carry a kind; severity changes are recorded with the reason."""
    ref = _open(api)
    h = api.headers("responder")
    res = api.client.post(
        f"/api/v1/incidents/{ref}/notes",
        headers=h,
        json={"text": "I assume the deploy caused it", "kind": "inference"},
    )
    assert res.status_code == 201
    res = api.client.post(
        f"/api/v1/incidents/{ref}/severity",
        headers=h,
        json={"severity": "P0", "reason": "customers affected"},
    )
    assert res.json()["severity"] == "sev1"
    last = res.json()["timeline"][-2:]
    assert last[0]["data"] == {"kind": "inference"}
    assert last[1]["message"] == "Severity changed from sev3 to sev1: customers affected"
    bad = api.client.post(f"/api/v1/incidents/{ref}/severity", headers=h, json={"severity": "sev7"})
    assert bad.status_code == 422 and "sev1..sev4" in bad.json()["detail"]
    bad_note = api.client.post(
        f"/api/v1/incidents/{ref}/notes", headers=h, json={"text": "x", "kind": "rumour"}
    )
    assert bad_note.status_code == 422 and "kind" in bad_note.json()["detail"]


def test_filters_and_cursor_pagination(api: Api) -> None:
    """Filters by status, severity and service; the cursor walks every page once."""
    refs = [_open(api, f"Alert{n}", severity="critical" if n % 2 else "warning") for n in range(5)]
    _open(api, "CheckoutDown", service="checkout")
    v = api.headers("viewer")
    sev1 = api.client.get("/api/v1/incidents?severity=sev1", headers=v).json()["items"]
    assert len(sev1) == 2
    checkout = api.client.get("/api/v1/incidents?service=checkout", headers=v).json()["items"]
    assert [i["title"] for i in checkout] == ["5xx above 20%"]
    seen: list[str] = []
    url = "/api/v1/incidents?limit=2&status=open"
    while url:
        page = api.client.get(url, headers=v).json()
        seen += [i["human_id"] for i in page["items"]]
        url = (
            f"/api/v1/incidents?limit=2&status=open&cursor={page['next_cursor']}"
            if page["next_cursor"]
            else ""
        )
    assert len(seen) == 6 and len(set(seen)) == 6 and set(refs) <= set(seen)
    bad = api.client.get("/api/v1/incidents?status=sleeping", headers=v)
    assert bad.status_code == 422 and "status" in bad.json()["detail"]
    bad_cursor = api.client.get("/api/v1/incidents?cursor=zzz", headers=v)
    assert bad_cursor.status_code == 422
    unknown_service = api.client.get("/api/v1/incidents?service=nope", headers=v)
    assert unknown_service.status_code == 404


def test_integrations_list_for_admin(api: Api) -> None:
    """Admins list integrations with their keys and intake URLs."""
    res = api.client.get("/api/v1/integrations", headers=api.headers("admin"))
    assert res.status_code == 200
    am = next(i for i in res.json() if i["slug"] == "am")
    assert am["key"] == AM_KEY
    assert am["urls"]["alertmanager"] == f"http://plantao.test/api/v1/intake/{AM_KEY}/alertmanager"
