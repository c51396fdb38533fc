"""The release gate through the API: what blocks a release, what lets it through, what is
recorded, and what a gate-only token may not read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from plantao.catalog.models import Service
from plantao.db import session_scope
from plantao.people.models import AuditEntry
from tests.api.conftest import Api
from tests.factories.config import apply_config
from tests.factories.gate import add_action, declare, in_hours, past_override, set_status
from tests.factories.people import make_user, token_for

GATE = "/api/v1/release-gate"


def ask(api: Api, role: str = "admin", **params: str) -> Any:
    return api.client.get(GATE, params={"service": "checkout", **params}, headers=api.headers(role))


def service_id(api: Api, slug: str = "checkout") -> int:
    with session_scope(api.factory) as session:
        return session.scalars(select(Service.id).where(Service.slug == slug)).one()


def gate_token(api: Api) -> dict[str, str]:
    with session_scope(api.factory) as session:
        user = make_user(session, "ci-bot", global_role="admin", password=None)
        token = token_for(session, user, ["gate"])
    return {"Authorization": f"Bearer {token}"}


def override(api: Api, **extra: Any) -> Any:
    body = {"service": "checkout", "reason": "hotfix for the outage", "expires_at": in_hours(2)}
    return api.client.post(
        GATE + "/overrides", json={**body, **extra}, headers=api.headers("admin")
    )


def test_no_actions_allows(api: Api) -> None:
    """A service with nothing open is allowed: 200 and no reasons."""
    res = ask(api)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["allowed"] is True and body["blocking"] == []
    assert body["service"] == "checkout" and isinstance(body["decision"], int)


def test_open_must_fix_blocks_with_reasons(api: Api) -> None:
    """An open must-fix action blocks with 409 and names the action, incident, owner, due."""
    ref = declare(api.client, api.tokens["admin"], title="Payments down")
    action = add_action(api.factory, ref, title="Retry budget on the payment client")
    res = ask(api)
    assert res.status_code == 409, res.text
    assert res.json()["allowed"] is False
    assert res.json()["blocking"] == [
        {
            "kind": "action",
            "id": action,
            "incident": ref,
            "title": "Retry budget on the payment client",
            "owner": "ana",
            "due": "2026-12-10",
            "severity": None,
            "status": None,
        }
    ]


def test_done_wont_do_and_not_must_fix_allow(api: Api) -> None:
    """Done, won't-do and not-must-fix actions do not block."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref, status="done")
    add_action(api.factory, ref, status="wont_do")
    add_action(api.factory, ref, must_fix=False)
    assert ask(api).status_code == 200


def test_in_progress_must_fix_blocks(api: Api) -> None:
    """An action in progress is still open: it blocks."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref, status="in_progress")
    assert ask(api).status_code == 409


def test_other_service_does_not_block(api: Api) -> None:
    """An action of another service does not block this one."""
    ref = declare(api.client, api.tokens["admin"], service="orders")
    add_action(api.factory, ref)
    assert ask(api).status_code == 200
    assert ask(api, service="orders").status_code == 409


def test_environment_scoping(api: Api) -> None:
    """An action of one environment blocks that one and questions with no environment; an
    action of no environment blocks every one."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref, environment="production")
    assert ask(api, environment="production").status_code == 409
    assert ask(api, environment="staging").status_code == 200
    assert ask(api).status_code == 409
    add_action(api.factory, ref)
    assert ask(api, environment="staging").status_code == 409


def test_bad_environment_and_unknown_service(api: Api) -> None:
    """A malformed environment is a 422 and an unknown service a 404 problem."""
    assert ask(api, environment="prod uction").status_code == 422
    res = ask(api, service="nope")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")


def test_active_override_lets_through_and_says_so(api: Api) -> None:
    """An active override answers 200 with the override and what it overrode."""
    ref = declare(api.client, api.tokens["admin"])
    action = add_action(api.factory, ref)
    made = override(api)
    assert made.status_code == 201, made.text
    res = ask(api)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["allowed"] is True
    assert body["override"]["id"] == made.json()["id"]
    assert body["override"]["reason"] == "hotfix for the outage"
    assert body["override"]["by"] == "admin-u"
    assert [r["id"] for r in body["blocking"]] == [action]


def test_override_of_other_environment_does_not_apply(api: Api) -> None:
    """An override for staging does not let production through."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref)
    assert override(api, environment="staging").status_code == 201
    assert ask(api, environment="staging").status_code == 200
    assert ask(api, environment="production").status_code == 409


def test_expired_override_blocks(api: Api) -> None:
    """An expired override no longer lets anything through."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref)
    past_override(api.factory, service_id(api))
    assert ask(api).status_code == 409


def test_revoked_override_blocks_and_is_audited(api: Api) -> None:
    """A revoked override stops applying; creating and revoking are in the audit log."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref)
    made = override(api).json()
    res = api.client.delete(f"{GATE}/overrides/{made['id']}", headers=api.headers("admin"))
    assert res.status_code == 200, res.text
    assert res.json()["active"] is False and res.json()["revoked_by"] == "admin-u"
    assert ask(api).status_code == 409
    again = api.client.delete(f"{GATE}/overrides/{made['id']}", headers=api.headers("admin"))
    assert again.status_code == 409
    with session_scope(api.factory) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "gate_override")
        ).all()
    assert sorted(actions) == ["gate.override.create", "gate.override.revoke"]


def test_override_validation(api: Api) -> None:
    """An override needs a reason and an expiry in the future, at most 7 days ahead; only
    admins make one."""
    assert override(api, reason="").status_code == 422
    assert override(api, expires_at=in_hours(-1)).status_code == 422
    assert override(api, expires_at=in_hours(24 * 8)).status_code == 422
    assert override(api, expires_at="2026-12-02T10:00:00").status_code == 422
    assert override(api, service="nope").status_code == 404
    body = {"service": "checkout", "reason": "x", "expires_at": in_hours(1)}
    res = api.client.post(GATE + "/overrides", json=body, headers=api.headers("viewer"))
    assert res.status_code == 403


def test_overrides_listed(api: Api) -> None:
    """Overrides are listed newest first, with whether each is in force."""
    past_override(api.factory, service_id(api))
    override(api)
    res = api.client.get(
        GATE + "/overrides", params={"service": "checkout"}, headers=api.headers("viewer")
    )
    assert res.status_code == 200
    assert [o["active"] for o in res.json()] == [True, False]
    active = api.client.get(
        GATE + "/overrides", params={"active": "true"}, headers=api.headers("viewer")
    )
    assert len(active.json()) == 1


def test_open_sev1_blocks(api: Api) -> None:
    """An open Sev1 on the service blocks, naming the incident, its severity and status."""
    ref = declare(api.client, api.tokens["admin"], severity="sev1", title="Checkout down")
    res = ask(api)
    assert res.status_code == 409, res.text
    [reason] = res.json()["blocking"]
    assert reason["kind"] == "incident" and reason["id"] == ref
    assert reason["severity"] == "sev1" and reason["title"] == "Checkout down"
    assert reason["status"] == "triggered"


def test_sev3_and_resolved_sev1_allow(api: Api) -> None:
    """A Sev3 does not block by default, nor a resolved or closed Sev1."""
    declare(api.client, api.tokens["admin"], severity="sev3")
    assert ask(api).status_code == 200
    ref = declare(api.client, api.tokens["admin"], severity="sev1")
    set_status(api.factory, ref, "resolved")
    assert ask(api).status_code == 200
    set_status(api.factory, ref, "closed")
    assert ask(api).status_code == 200


def test_configured_severities(api: Api) -> None:
    """``release_gate: {block_open_severities: []}`` on the service lets a Sev1 through;
    the installation default applies to the other services."""
    declare(api.client, api.tokens["admin"], severity="sev1")
    declare(api.client, api.tokens["admin"], service="orders", severity="sev3")
    apply_config(
        api.factory,
        """
version: 1
release_gate: {block_open_severities: [sev1, sev2, sev3]}
services:
  - {slug: checkout, name: Checkout, team: sre, release_gate: {block_open_severities: []}}
""",
    )
    assert ask(api).status_code == 200
    assert ask(api, service="orders").status_code == 409


def test_private_incident_blocks_without_its_title(api: Api) -> None:
    """A private incident still blocks, but a caller who may not see it does not read its
    title (nor its action's); the stored decision never keeps it."""
    ref = declare(
        api.client, api.tokens["admin"], severity="sev1", title="Card data leak", private=True
    )
    add_action(api.factory, ref, title="Rotate the leaked keys")
    res = ask(api, role="viewer")
    assert res.status_code == 409
    titles = {r["kind"]: r["title"] for r in res.json()["blocking"]}
    assert titles == {"incident": "private incident", "action": "action of a private incident"}
    seen = ask(api, role="admin").json()["blocking"]
    assert {r["title"] for r in seen} == {"Card data leak", "Rotate the leaked keys"}
    listed = api.client.get(GATE + "/decisions", headers=api.headers("viewer")).json()
    assert all("leak" not in r["title"] for d in listed for r in d["blocking"])


def test_decisions_stored_and_listed(api: Api) -> None:
    """Every answer is stored with who asked and through what, and listed newest first."""
    ref = declare(api.client, api.tokens["admin"])
    ask(api, role="viewer")
    action = add_action(api.factory, ref)
    ask(api, role="admin", environment="production")
    res = api.client.get(
        GATE + "/decisions", params={"service": "checkout"}, headers=api.headers("viewer")
    )
    assert res.status_code == 200
    newest, oldest = res.json()
    assert newest["allowed"] is False and newest["environment"] == "production"
    assert newest["asked_by"] == "admin-u (token admin-u-t)" and newest["via"] == "api"
    assert [r["id"] for r in newest["blocking"]] == [action]
    assert oldest["allowed"] is True and oldest["asked_by"].startswith("viewer-u")


def test_gate_only_token_reads_no_incident(api: Api) -> None:
    """A gate-only token gets the gate's answer but 403 on incidents and decisions."""
    headers = gate_token(api)
    ref = declare(api.client, api.tokens["admin"], severity="sev1")
    res = api.client.get(GATE, params={"service": "checkout"}, headers=headers)
    assert res.status_code == 409
    assert res.json()["blocking"][0]["id"] == ref
    assert ask(api, service="orders").status_code == 200
    assert api.client.get("/api/v1/incidents", headers=headers).status_code == 403
    assert api.client.get(f"/api/v1/incidents/{ref}", headers=headers).status_code == 403
    assert api.client.get(GATE + "/decisions", headers=headers).status_code == 403
    decisions = api.client.get(GATE + "/decisions", headers=api.headers("admin")).json()
    assert decisions[-1]["asked_by"] == "ci-bot (token ci-bot-t)"


def test_gate_needs_a_token(api: Api) -> None:
    """Without a token the gate answers 401."""
    assert api.client.get(GATE, params={"service": "checkout"}).status_code == 401
