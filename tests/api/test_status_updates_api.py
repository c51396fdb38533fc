"""Status updates over the API: 201 with the update, the incident's next-update due time and
overdue flag, 422 problem bodies for bad input (a resolution without its facts), 403 for a
viewer, and the overdue gauge on /metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

from plantao import clock
from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY


def _open(api: Api, severity: str = "critical") -> str:
    return api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Checkout down", "dedup_key": "cd", "severity": severity},
    )


def test_post_answers_the_update_and_the_incident_shows_when_the_next_is_due(
    api: Api, frozen: datetime
) -> None:
    """A responder posts the initial update (201, kind initial, due 15 min later at Sev1) with
    next steps; the list and the incident show it; past the due time the incident is overdue."""
    ref = _open(api)
    h = api.headers("responder")
    before = api.client.get(f"/api/v1/incidents/{ref}", headers=h).json()
    assert datetime.fromisoformat(before["next_update_due_at"]) == frozen + timedelta(minutes=5)
    assert before["update_overdue"] is False
    eta = (frozen + timedelta(minutes=20)).isoformat()
    res = api.client.post(
        f"/api/v1/incidents/{ref}/status-updates",
        headers=h,
        json={
            "status": "identified",
            "impact": "10% of checkouts fail",
            "symptoms": "HTTP 502",
            "mitigation": "traffic shifted",
            "next_steps": [{"action": "roll back v1.3", "owner": "ana", "eta": eta}],
        },
    )
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["kind"] == "initial" and body["status"] == "identified"
    assert body["next_steps"] == [{"action": "roll back v1.3", "owner": "ana", "eta": eta}]
    assert datetime.fromisoformat(body["next_update_due_at"]) == frozen + timedelta(minutes=15)
    assert body["fanned_out_at"] is None and body["posted_by"] == "responder-u"
    listed = api.client.get(f"/api/v1/incidents/{ref}/status-updates", headers=h).json()
    assert [u["id"] for u in listed] == [body["id"]]
    incident = api.client.get(f"/api/v1/incidents/{ref}", headers=h).json()
    assert datetime.fromisoformat(incident["next_update_due_at"]) == frozen + timedelta(minutes=15)
    assert incident["update_overdue"] is False
    assert any(e["kind"] == "status_update" for e in incident["timeline"])
    clock.advance(timedelta(minutes=16))
    late = api.client.get(f"/api/v1/incidents/{ref}", headers=h).json()
    assert late["update_overdue"] is True
    listing = api.client.get("/api/v1/incidents", headers=h).json()["items"]
    assert [i["update_overdue"] for i in listing if i["human_id"] == ref] == [True]
    metrics = api.client.get("/metrics").text
    assert "plantao_status_updates_overdue 1.0" in metrics


def test_bad_updates_are_422_problems_and_change_nothing(api: Api, frozen: datetime) -> None:
    """No impact, an unknown status, a resolved update without its facts, a Sev1 resolution
    without a postmortem date, a next update time out of bounds: 422 problem+json, nothing
    posted."""
    ref = _open(api)
    h = api.headers("responder")
    url = f"/api/v1/incidents/{ref}/status-updates"
    missing = api.client.post(url, headers=h, json={"status": "investigating"})
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "impact" in missing.text
    unknown = api.client.post(url, headers=h, json={"status": "fixed", "impact": "x"})
    assert unknown.status_code == 422 and "status" in unknown.text
    bare = api.client.post(url, headers=h, json={"status": "resolved", "impact": "none"})
    assert bare.status_code == 422 and "root_cause" in bare.text
    no_date = api.client.post(
        url,
        headers=h,
        json={
            "status": "resolved",
            "impact": "none left",
            "resolution": {"root_cause": "leak", "fix": "rollback", "monitoring": "2 h"},
        },
    )
    assert no_date.status_code == 422
    assert no_date.json()["errors"] == [
        {
            "field": "resolution.postmortem_at",
            "message": "a sev1 resolution names the postmortem date (003 §4.3)",
        }
    ]
    too_late = api.client.post(
        url,
        headers=h,
        json={
            "status": "monitoring",
            "impact": "x",
            "next_update_at": (frozen + timedelta(hours=3)).isoformat(),
        },
    )
    assert too_late.status_code == 422 and "next_update_at" in too_late.text
    assert api.client.get(url, headers=h).json() == []


def test_a_resolution_update_carries_its_facts_and_clears_the_due_time(
    api: Api, frozen: datetime
) -> None:
    """Resolved 38 min after triggering: duration 38, the facts kept, no next update due."""
    ref = _open(api)
    clock.advance(timedelta(minutes=38))
    res = api.client.post(
        f"/api/v1/incidents/{ref}/status-updates",
        headers=api.headers("responder"),
        json={
            "status": "resolved",
            "impact": "none left",
            "resolution": {
                "root_cause": "connection leak",
                "fix": "rollback to v1.2.0",
                "monitoring": "next 2 hours",
                "postmortem_at": (frozen + timedelta(days=1)).isoformat(),
            },
        },
    )
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["kind"] == "resolution" and body["next_update_due_at"] is None
    assert body["resolution"]["duration_minutes"] == 38
    assert body["resolution"]["root_cause"] == "connection leak"
    incident = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert incident["next_update_due_at"] is None and incident["update_overdue"] is False


def test_a_viewer_may_read_but_not_post(api: Api, frozen: datetime) -> None:
    """A viewer reads the updates but posting one is 403 and posts nothing."""
    ref = _open(api)
    v = api.headers("viewer")
    url = f"/api/v1/incidents/{ref}/status-updates"
    denied = api.client.post(url, headers=v, json={"status": "investigating", "impact": "x"})
    assert denied.status_code == 403
    assert api.client.get(url, headers=v).json() == []
