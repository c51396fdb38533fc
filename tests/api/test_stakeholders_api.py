"""Stakeholders API: adding, listing and removing who is kept informed, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from plantao.command.models import Stakeholder
from plantao.db import session_scope
from plantao.people.models import AuditEntry
from tests.api.conftest import Api
from tests.factories.people import make_user, token_for

URL = "/api/v1/stakeholders"


def _count(api: Api) -> int:
    with session_scope(api.factory) as session:
        return int(session.scalar(select(func.count()).select_from(Stakeholder)) or 0)


def _body(**over: Any) -> dict[str, Any]:
    return {
        "scope": "service",
        "scope_slug": "checkout",
        "name": "customer success",
        "kind": "email",
        "address": "cs@example.com",
        "language": "pt-BR",
        "min_severity": "sev2",
    } | over


def test_admin_adds_lists_and_removes_a_stakeholder(api: Api) -> None:
    """An admin adds a service's e-mail list, sees it listed, removes it (204, gone)."""
    res = api.client.post(URL, json=_body(), headers=api.headers("admin"))
    assert res.status_code == 201, res.text
    made = res.json()
    assert made["address"] == "cs@example.com" and made["language"] == "pt-BR"
    assert made["origin"] == "api" and made["min_severity"] == "sev2"
    listed = api.client.get(URL, headers=api.headers("admin")).json()
    assert [s["name"] for s in listed] == ["customer success"]
    res = api.client.delete(f"{URL}/{made['id']}", headers=api.headers("admin"))
    assert res.status_code == 204
    assert _count(api) == 0


def test_webhook_url_and_secret_are_never_shown(api: Api) -> None:
    """A chat webhook's URL is shown up to its host and a generic webhook's secret never."""
    hook = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    body = _body(kind="slack", address=hook, name="ops channel")
    assert api.client.post(URL, json=body, headers=api.headers("admin")).status_code == 201
    body = _body(kind="webhook", address="https://hooks.example.com/x", secret="s" * 32, name="bot")
    assert api.client.post(URL, json=body, headers=api.headers("admin")).status_code == 201
    text = api.client.get(URL, headers=api.headers("admin")).text
    assert "very-secret-token" not in text and "s" * 32 not in text
    assert "https://hooks.slack.com/…" in text


@pytest.mark.parametrize(
    ("over", "why"),
    [
        ({"address": "not-an-email"}, "not an e-mail address"),
        ({"address": "a@b.com, c@d.com"}, "not an e-mail address"),
        ({"kind": "slack", "address": "ftp://hooks.example.com/x"}, "http(s) URL"),
        ({"kind": "mattermost", "address": "javascript:alert(1)"}, "http(s) URL"),
        ({"kind": "webhook", "address": "https://h.example.com/x"}, "signing secret"),
        ({"kind": "user", "address": None, "user": "nobody-here"}, "does not exist"),
        ({"min_severity": "sev9"}, "min_severity"),
        ({"scope_slug": "no-such-service"}, "does not exist"),
        ({"scope": "global", "scope_slug": "checkout"}, "names no team or service"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(api: Api, over: dict[str, Any], why: str) -> None:
    """Each invalid stakeholder is a 422 problem naming what is wrong; nothing is written."""
    res = api.client.post(URL, json=_body(**over), headers=api.headers("admin"))
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert why in res.text
    assert _count(api) == 0


def test_unknown_language_is_refused(api: Api) -> None:
    """A language other than en or pt-BR is refused at the edge (422)."""
    res = api.client.post(URL, json=_body(language="fr"), headers=api.headers("admin"))
    assert res.status_code == 422
    assert _count(api) == 0


def test_same_name_in_a_scope_is_a_conflict(api: Api) -> None:
    """A second stakeholder of the same name in the same scope is refused with 409."""
    assert api.client.post(URL, json=_body(), headers=api.headers("admin")).status_code == 201
    res = api.client.post(URL, json=_body(), headers=api.headers("admin"))
    assert res.status_code == 409
    assert _count(api) == 1


def test_team_manager_manages_their_team_but_not_global(api: Api) -> None:
    """A manager of sre adds a stakeholder to sre's service but not a global one (403)."""
    with session_scope(api.factory) as session:
        user = make_user(session, "mgr", team_roles={"sre": "manager"})
        token = token_for(session, user, ["respond"])
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.post(URL, json=_body(), headers=headers).status_code == 201
    res = api.client.post(URL, json=_body(scope="global", scope_slug=""), headers=headers)
    assert res.status_code == 403
    assert _count(api) == 1


def test_responder_cannot_add_or_list(api: Api) -> None:
    """A responder may neither list (addresses are personal data) nor add stakeholders."""
    assert api.client.get(URL, headers=api.headers("responder")).status_code == 403
    res = api.client.post(URL, json=_body(), headers=api.headers("responder"))
    assert res.status_code == 403
    assert _count(api) == 0


def test_changes_are_audited_without_secrets(api: Api) -> None:
    """Adding and removing a stakeholder are audit entries; the secret and URL path are not."""
    body = _body(
        kind="webhook", address="https://h.example.com/path-secret", secret="z" * 32, name="bot"
    )
    made = api.client.post(URL, json=body, headers=api.headers("admin")).json()
    api.client.delete(f"{URL}/{made['id']}", headers=api.headers("admin"))
    with session_scope(api.factory) as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "stakeholder")
                .order_by(AuditEntry.id)
            )
        )
        assert [e.action for e in entries] == ["stakeholder.create", "stakeholder.delete"]
        text = repr([(e.before, e.after) for e in entries])
    assert "z" * 32 not in text and "path-secret" not in text
