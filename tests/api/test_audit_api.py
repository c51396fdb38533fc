"""The audit log over the API: filters, keyset pages, CSV and JSON Lines exports, admins only."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plantao import clock
from plantao.auth import passwords
from plantao.db import session_scope
from plantao.people import directory
from tests.api.conftest import Api

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _people_at(api: Api) -> None:
    """Three users created by the admin at T0, T0+1h and T0+2h, then one renamed at T0+3h."""
    try:
        for hours, handle in enumerate(("ana-b", "bia-c", "caio-d")):
            clock.freeze(T0 + timedelta(hours=hours))
            res = api.client.post(
                "/api/v1/users",
                json={"handle": handle, "name": handle.title()},
                headers=api.headers("admin"),
            )
            assert res.status_code == 201, res.text
        clock.freeze(T0 + timedelta(hours=3))
        res = api.client.patch(
            "/api/v1/users/bia-c", json={"name": "Bia C."}, headers=api.headers("admin")
        )
        assert res.status_code == 200, res.text
    finally:
        clock.unfreeze()


def _audit(api: Api, **params: str | int) -> dict[str, Any]:
    res = api.client.get("/api/v1/audit", params=params, headers=api.headers("admin"))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = body["items"]
    return items


def test_filters_by_actor_action_prefix_object_and_time(api: Api) -> None:
    """Each filter narrows the log: actor, action prefix, object type and id, since/until."""
    _people_at(api)
    with session_scope(api.factory) as session:  # a password set by the system (plantao)
        passwords.set_password(session, directory.get(session, "caio-d"), "a long enough one")
    mine = _items(_audit(api, actor="admin-u"))
    assert [e["action"] for e in mine] == [
        "user.update",
        "user.create",
        "user.create",
        "user.create",
    ]
    newest = mine[0]
    assert newest["object_type"] == "user" and newest["object_id"] == "bia-c"
    assert newest["via"] == "token" and newest["source"] == "testclient"
    assert newest["before"]["name"] == "Bia-C" and newest["after"]["name"] == "Bia C."
    assert datetime.fromisoformat(newest["at"]) == T0 + timedelta(hours=3)
    created = _items(_audit(api, action="user.cr", actor="admin-u"))
    assert [e["object_id"] for e in created] == ["caio-d", "bia-c", "ana-b"]
    assert {e["action"] for e in _items(_audit(api, action="user"))} >= {
        "user.create",
        "user.update",
        "user.password",
    }
    assert [e["action"] for e in _items(_audit(api, object_type="user", object_id="bia-c"))] == [
        "user.update",
        "user.create",
    ]
    window = _items(
        _audit(
            api,
            actor="admin-u",
            since=(T0 + timedelta(hours=1)).isoformat(),
            until=(T0 + timedelta(hours=3)).isoformat(),
        )
    )
    assert [e["object_id"] for e in window] == ["caio-d", "bia-c"]  # since inclusive, until not
    naive = _items(_audit(api, actor="admin-u", since="2026-11-22T14:00:00"))
    assert [e["object_id"] for e in naive] == ["bia-c", "caio-d"]  # a time without zone is UTC
    assert _items(_audit(api, action="user.create%")) == []  # the prefix is not a pattern
    assert _items(_audit(api, actor="nobody")) == []


def test_keyset_pages_cover_everything_once(api: Api) -> None:
    """Following next_cursor walks the whole log newest first, each entry once, and ends."""
    _people_at(api)
    everything = _items(_audit(api, limit=500))
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = _audit(api, **params)
        page = _items(body)
        assert len(page) <= 3
        seen.extend(e["id"] for e in page)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in everything]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) > 6


def test_export_csv_parses_back_with_the_csv_module(api: Api) -> None:
    """The CSV export holds every matching entry oldest first; before/after are JSON text."""
    _people_at(api)
    res = api.client.get(
        "/api/v1/audit/export",
        params={"format": "csv", "actor": "admin-u"},
        headers=api.headers("admin"),
    )
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    assert "attachment" in res.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert [r["object_id"] for r in rows] == ["ana-b", "bia-c", "caio-d", "bia-c"]
    assert list(rows[0]) == [
        "id",
        "at",
        "actor",
        "actor_user_id",
        "via",
        "source",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
    ]
    update = rows[-1]
    assert update["action"] == "user.update" and update["via"] == "token"
    assert json.loads(update["before"])["name"] == "Bia-C"
    assert json.loads(update["after"])["name"] == "Bia C."
    assert datetime.fromisoformat(update["at"]) == T0 + timedelta(hours=3)
    assert rows[0]["before"] == ""  # a creation has no before


def test_export_jsonl_and_filters(api: Api) -> None:
    """JSON Lines export: one object per line, filtered like the list."""
    _people_at(api)
    res = api.client.get(
        "/api/v1/audit/export",
        params={"format": "jsonl", "action": "user.update"},
        headers=api.headers("admin"),
    )
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in res.text.splitlines()]
    assert [(e["action"], e["object_id"], e["actor"]) for e in lines] == [
        ("user.update", "bia-c", "admin-u")
    ]


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_non_admins_are_refused(api: Api, role: str) -> None:
    """Only admins read or export the audit log; without a token it is 401."""
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        assert api.client.get(path, headers=api.headers(role)).status_code == 403
        assert api.client.get(path).status_code == 401


def test_bad_parameters_are_named(api: Api) -> None:
    """A foreign cursor, a reversed time window, an unknown format and a NUL are 422s."""
    headers = api.headers("admin")
    for params in (
        {"cursor": "abc"},
        {"since": "2026-11-22T12:00:00Z", "until": "2026-11-22T11:00:00Z"},
        {"limit": 0},
        {"actor": "a\x00b"},
    ):
        res = api.client.get("/api/v1/audit", params=params, headers=headers)
        assert res.status_code == 422, (params, res.text)
    res = api.client.get("/api/v1/audit/export", params={"format": "xml"}, headers=headers)
    assert res.status_code == 422
    reversed_export = api.client.get(
        "/api/v1/audit/export",
        params={"since": "2026-11-22T12:00:00Z", "until": "2026-11-22T11:00:00Z"},
        headers=headers,
    )
    assert reversed_export.status_code == 422
    assert "since" in reversed_export.json()["detail"]


def test_csv_export_neutralises_formulas(api: Api) -> None:
    """A free-text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    from plantao.db import session_scope
    from plantao.people import audit
    from plantao.people.actor import AuditActor

    with session_scope(api.factory) as session:
        audit.record(
            session,
            AuditActor(handle="config", via="config"),
            "route.update",
            "route",
            '=HYPERLINK("http://evil.example","x")',
            after={"name": "=1+1"},
        )
    res = api.client.get(
        "/api/v1/audit/export", params={"action": "route."}, headers=api.headers("admin")
    )
    [row] = list(csv.DictReader(io.StringIO(res.text)))
    assert row["object_id"] == '\'=HYPERLINK("http://evil.example","x")'
    assert json.loads(row["after"]) == {"name": "=1+1"}  # JSON text starts with {, kept as is
