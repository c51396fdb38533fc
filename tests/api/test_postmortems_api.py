"""Postmortems over the API: started once (201, then 200), saved as versions with a conflict on
a stale base version, reviewed (a save dismisses stale approvals), published only when every
reviewer approved the current version, reopened, exported; who may read and change them,
including on a private incident; bad input answered with 4xx problems that change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plantao.db import session_scope
from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY
from tests.factories.people import make_user, token_for


def _open(api: Api, key: str = "pm", severity: str = "critical") -> str:
    return api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Checkout down", "dedup_key": key, "severity": severity},
    )


def _start(api: Api, ref: str, role: str = "responder") -> dict[str, Any]:
    res = api.client.post(f"/api/v1/incidents/{ref}/postmortem", headers=api.headers(role))
    assert res.status_code in (200, 201), res.text
    body: dict[str, Any] = res.json()
    return body


def _save(api: Api, pm: dict[str, Any], text: str, base: int, role: str = "responder") -> Any:
    return api.client.patch(
        f"/api/v1/postmortems/{pm['id']}",
        headers=api.headers(role),
        json={"markdown": text, "base_version": base},
    )


def _person(api: Api, handle: str, role: str = "viewer") -> dict[str, str]:
    with session_scope(api.factory) as session:
        user = make_user(session, handle, global_role=role)
        return {"Authorization": f"Bearer {token_for(session, user, ['read', 'respond'])}"}


def test_start_answers_201_then_200_and_get_reads_it(api: Api, frozen: datetime) -> None:
    """The first POST starts the postmortem from its draft (201, version 1, draft, a due date
    for a Sev1); a second POST answers the same one with 200; GET reads it; the timeline says
    who started it."""
    ref = _open(api)
    h = api.headers("responder")
    first = api.client.post(f"/api/v1/incidents/{ref}/postmortem", headers=h)
    assert first.status_code == 201, first.text
    body = first.json()
    assert {"id", "status", "markdown", "due_at"} <= body.keys()
    assert body["status"] == "draft" and body["version"] == 1 and body["required"] is True
    assert body["due_at"] is not None and body["markdown"].strip()
    assert body["incident"]["human_id"] == ref and body["url"] == f"/postmortems/{body['id']}"
    assert isinstance(body["lint"], list) and body["reviews"] == []
    again = api.client.post(f"/api/v1/incidents/{ref}/postmortem", headers=h)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    read = api.client.get(f"/api/v1/incidents/{ref}/postmortem", headers=api.headers("viewer"))
    assert read.status_code == 200 and read.json()["id"] == body["id"]
    incident = api.client.get(f"/api/v1/incidents/{ref}", headers=h).json()
    assert [e["kind"] for e in incident["timeline"]].count("postmortem.started") == 1


def test_an_incident_without_one_is_404_and_a_viewer_cannot_start_it(api: Api) -> None:
    """GET before anyone started it is a 404 problem; a viewer's POST is 403 and starts
    nothing."""
    ref = _open(api)
    missing = api.client.get(f"/api/v1/incidents/{ref}/postmortem", headers=api.headers("viewer"))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    denied = api.client.post(f"/api/v1/incidents/{ref}/postmortem", headers=api.headers("viewer"))
    assert denied.status_code == 403
    again = api.client.get(f"/api/v1/incidents/{ref}/postmortem", headers=api.headers("viewer"))
    assert again.status_code == 404


def test_saves_are_versions_and_a_stale_base_version_is_409(api: Api) -> None:
    """Each save is a new version kept with its author; a save on an older version is 409
    naming the current one and saves nothing; blame phrasing comes back as lint warnings."""
    pm = _start(api, _open(api))
    saved = _save(api, pm, "# Postmortem\n\nThe deploy failed.\n", 1)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2
    stale = _save(api, pm, "# Mine\n", 1, role="admin")
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    blamed = _save(api, pm, "# Postmortem\n\nJoão's fault: human error.\n", 2)
    assert blamed.status_code == 200 and blamed.json()["version"] == 3
    assert blamed.json()["lint"], "blame phrasing is warned about"
    versions = api.client.get(
        f"/api/v1/postmortems/{pm['id']}/versions", headers=api.headers("viewer")
    ).json()["items"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["author"] == "responder-u"
    two = api.client.get(
        f"/api/v1/postmortems/{pm['id']}/versions/2", headers=api.headers("viewer")
    )
    assert two.status_code == 200 and two.json()["markdown"].startswith("# Postmortem")
    none = api.client.get(
        f"/api/v1/postmortems/{pm['id']}/versions/9", headers=api.headers("viewer")
    )
    assert none.status_code == 404


def test_bad_input_is_4xx_and_changes_nothing(api: Api) -> None:
    """An empty, oversized or unstorable (NUL) text, a text without its base version, an
    unknown owner, root cause or change, an unknown field: 4xx problems; the postmortem stays
    at version 1."""
    pm = _start(api, _open(api))
    url = f"/api/v1/postmortems/{pm['id']}"
    h = api.headers("responder")
    assert _save(api, pm, "", 1).status_code == 422
    assert _save(api, pm, "   \n", 1).status_code == 422
    assert _save(api, pm, "x" * 200_001, 1).status_code == 422
    assert _save(api, pm, "# a\x00b", 1).status_code == 422
    bad_owner = api.client.get("/api/v1/postmortems", params={"owner": "a\x00"}, headers=h)
    assert bad_owner.status_code == 200 and bad_owner.json()["items"] == []
    assert api.client.patch(url, headers=h, json={"markdown": "# x"}).status_code == 422
    assert api.client.patch(url, headers=h, json={"owner": "nobody-here"}).status_code == 422
    assert api.client.patch(url, headers=h, json={"root_cause": "gremlins"}).status_code == 422
    assert api.client.patch(url, headers=h, json={"cause_change": 12345}).status_code == 422
    assert api.client.patch(url, headers=h, json={"colour": "red"}).status_code == 422
    assert api.client.patch(url, headers=h, json={}).status_code == 422
    assert api.client.get("/api/v1/postmortems/99999", headers=h).status_code == 404
    assert api.client.get("/api/v1/postmortems/0", headers=h).status_code == 422
    assert api.client.get(url, headers=h).json()["version"] == 1


def test_owner_and_root_cause_change(api: Api) -> None:
    """The owner is a person's handle and the root cause one of the taxonomy's; both show."""
    pm = _start(api, _open(api))
    url = f"/api/v1/postmortems/{pm['id']}"
    res = api.client.patch(
        url, headers=api.headers("responder"), json={"owner": "admin-u", "root_cause": "capacity"}
    )
    assert res.status_code == 200, res.text
    assert res.json()["owner"] == "admin-u" and res.json()["root_cause"] == "capacity"
    listed = api.client.get(
        "/api/v1/postmortems", params={"owner": "admin-u"}, headers=api.headers("viewer")
    ).json()["items"]
    assert [p["id"] for p in listed] == [pm["id"]]


def test_review_flow_with_stale_approval_and_publish_rules(api: Api) -> None:
    """Submit asks reviewers (not the author); publishing waits for every approval of the
    current version; a save after an approval sets it back to pending; once everyone approved
    it publishes, is read-only, and reopens as a draft whose versions continue."""
    pm = _start(api, _open(api))
    url = f"/api/v1/postmortems/{pm['id']}"
    h = api.headers("responder")
    rita = _person(api, "rita")
    own = api.client.post(url + "/submit", headers=h, json={"reviewers": ["responder-u"]})
    assert own.status_code == 422
    sent = api.client.post(url + "/submit", headers=h, json={"reviewers": ["admin-u", "rita"]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "in_review"
    assert sorted(sent.json()["waiting_for"]) == ["admin-u", "rita"]
    not_asked = api.client.post(url + "/reviews", headers=h, json={"decision": "approve"})
    assert not_asked.status_code == 403
    bare = api.client.post(url + "/reviews", headers=rita, json={"decision": "request_changes"})
    assert bare.status_code == 422
    ok = api.client.post(url + "/reviews", headers=rita, json={"decision": "approve"})
    assert ok.status_code == 200 and ok.json()["waiting_for"] == ["admin-u"]
    early = api.client.post(url + "/publish", headers=h)
    assert early.status_code == 409 and "admin-u" in early.json()["detail"]
    admin = api.headers("admin")
    assert (
        api.client.post(url + "/reviews", headers=admin, json={"decision": "approve"}).status_code
        == 200
    )
    assert _save(api, pm, "# Postmortem\n\nA clearer timeline.\n", 1).status_code == 200
    stale = api.client.get(url, headers=h).json()
    assert sorted(stale["waiting_for"]) == ["admin-u", "rita"]
    assert {r["decision"] for r in stale["reviews"]} == {"pending"}
    for who in (rita, admin):
        res = api.client.post(url + "/reviews", headers=who, json={"decision": "approve"})
        assert res.status_code == 200
    published = api.client.post(url + "/publish", headers=h)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] and published.json()["published_by"] == "responder-u"
    assert _save(api, pm, "# After\n", 2).status_code == 409
    assert api.client.post(url + "/publish", headers=h).status_code == 409
    reopened = api.client.post(url + "/reopen", headers=h)
    assert reopened.status_code == 200 and reopened.json()["status"] == "draft"
    assert _save(api, pm, "# After\n", 2).json()["version"] == 3
    kinds = [
        e["kind"]
        for e in api.client.get(
            f"/api/v1/incidents/{pm['incident']['human_id']}", headers=h
        ).json()["timeline"]
        if e["kind"].startswith("postmortem.")
    ]
    for kind in ("submitted", "approved", "published", "reopened"):
        assert f"postmortem.{kind}" in kinds


def test_without_reviewers_a_draft_publishes_directly(api: Api) -> None:
    """A small team publishes a draft nobody was asked to review; a viewer may not."""
    pm = _start(api, _open(api))
    url = f"/api/v1/postmortems/{pm['id']}/publish"
    assert api.client.post(url, headers=api.headers("viewer")).status_code == 403
    res = api.client.post(url, headers=api.headers("responder"))
    assert res.status_code == 200 and res.json()["status"] == "published"


def test_request_changes_keeps_it_unpublishable(api: Api) -> None:
    """A reviewer's requested changes (with a comment) block publishing until they approve."""
    pm = _start(api, _open(api))
    url = f"/api/v1/postmortems/{pm['id']}"
    h = api.headers("responder")
    api.client.post(url + "/submit", headers=h, json={"reviewers": ["admin-u"]})
    asked = api.client.post(
        url + "/reviews",
        headers=api.headers("admin"),
        json={"decision": "request_changes", "comment": "Add the detection gap."},
    )
    assert asked.status_code == 200
    review = asked.json()["reviews"][0]
    assert review["decision"] == "changes_requested" and review["comment"].startswith("Add")
    assert api.client.post(url + "/publish", headers=h).status_code == 409


def test_list_filters_and_export(api: Api, frozen: datetime) -> None:
    """The list filters by state and overdue; the export is a Markdown attachment."""
    pm = _start(api, _open(api))
    v = api.headers("viewer")
    drafts = api.client.get("/api/v1/postmortems", params={"status": "draft"}, headers=v).json()
    assert [p["id"] for p in drafts["items"]] == [pm["id"]]
    assert api.client.get("/api/v1/postmortems?status=published", headers=v).json()["items"] == []
    assert api.client.get("/api/v1/postmortems?overdue=true", headers=v).json()["items"] == []
    assert api.client.get("/api/v1/postmortems?status=nope", headers=v).status_code == 422
    res = api.client.get(f"/api/v1/postmortems/{pm['id']}/export.md", headers=v)
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/markdown")
    assert res.headers["content-disposition"].startswith("attachment;")
    assert pm["incident"]["human_id"] in res.text and pm["markdown"].strip() in res.text


def test_a_private_incidents_postmortem_is_hidden(api: Api) -> None:
    """Once the incident is private, a viewer who may not see it gets 404 for its postmortem,
    by incident or by id, and the list leaves it out; an admin still reads it."""
    ref = _open(api)
    pm = _start(api, ref)
    res = api.client.post(
        f"/api/v1/incidents/{ref}/visibility",
        headers=api.headers("admin"),
        json={"private": True},
    )
    assert res.status_code == 200, res.text
    v = api.headers("viewer")
    assert api.client.get(f"/api/v1/postmortems/{pm['id']}", headers=v).status_code == 404
    assert api.client.get(f"/api/v1/incidents/{ref}/postmortem", headers=v).status_code == 404
    assert api.client.get(f"/api/v1/postmortems/{pm['id']}/export.md", headers=v).status_code == 404
    assert api.client.get("/api/v1/postmortems", headers=v).json()["items"] == []
    admin = api.client.get(f"/api/v1/postmortems/{pm['id']}", headers=api.headers("admin"))
    assert admin.status_code == 200
    rita = _person(api, "rita")
    sent = api.client.post(
        f"/api/v1/postmortems/{pm['id']}/submit",
        headers=api.headers("admin"),
        json={"reviewers": ["rita"]},
    )
    assert sent.status_code == 422, "a reviewer must be able to see the incident"
    assert api.client.get(f"/api/v1/postmortems/{pm['id']}", headers=rita).status_code == 404


def test_lint_keeps_lines_and_columns_past_a_pasted_blob(api: Api) -> None:
    """A long run without spaces (a hash, base64) is not read as a phrase, and a warning after
    it on the same line, or on a later line, keeps its real line and column."""
    pm = _start(api, _open(api))
    blob = "A" * 300
    res = _save(api, pm, f"# Notes\n{blob} then human error\n\nhuman error again\n", 1)
    assert res.status_code == 200, res.text
    found = [(f["line"], f["column"], f["text"].lower()) for f in res.json()["lint"]]
    assert (2, len(blob) + 7, "human error") in found
    assert (4, 1, "human error") in found
