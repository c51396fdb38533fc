"""Runbook API: library, incident runbooks, checklists, and guarded runs end to end through
the engine (redaction, confirmation, second-person approval, permissions, kill switch)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.api.app import create_app
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.runbooks.models import RunbookRun
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import make_user, token_for
from tests.factories.runbooks import write_pack

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"
SECRET = "s3cr3t-value-xyz"
PAT = "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def rapi(
    db_url: str,
    engine: Engine,
    factory: sessionmaker[Session],
    tmp_path: Path,
    frozen: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Api, Settings]]:
    apply_standard(factory)
    tokens = {}
    with session_scope(factory) as session:
        for name, role in (
            ("admin", "admin"),
            ("responder", "responder"),
            ("responder2", "responder"),
            ("viewer", "viewer"),
        ):
            tokens[name] = token_for(session, make_user(session, f"{name}-u", global_role=role))
    monkeypatch.setenv("PLANTAO_RUNBOOK_SECRET_TOKEN", SECRET)
    settings = Settings(
        database_url=db_url,
        env="test",
        base_url="http://plantao.test",
        runbooks_dir=write_pack(tmp_path / "runbooks"),
        runbooks_workdir=tmp_path,
        runbooks_reload_seconds=0,
    )
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield Api(client=client, factory=factory, tokens=tokens), settings


def _engine(api: Api, settings: Settings) -> int:
    return EngineLoop(api.factory, registry(settings)).run_once()


def _open(api: Api, settings: Settings, name: str = "CheckoutErrors") -> str:
    ref = api.open_incident(AM, am_webhook([am_alert(name)], group_key=name))
    _engine(api, settings)
    return ref


def _run_url(ref: str, action: str, rid: str = "checkout-errors") -> str:
    return f"/api/v1/incidents/{ref}/runbooks/{rid}/actions/{action}/runs"


def _command(api: Api, action: str) -> tuple[str, str]:
    rb = api.client.get("/api/v1/runbooks/checkout-errors", headers=api.headers("viewer")).json()
    found = next(a for a in rb["actions"] if a["id"] == action)
    return found["command"], found["command_sha256"]


def test_library_and_runbook_rendering(rapi: tuple[Api, Settings]) -> None:
    """Viewers list runbooks and read one: safe HTML, steps, actions with danger and digest."""
    api, _ = rapi
    listing = api.client.get("/api/v1/runbooks", headers=api.headers("viewer"))
    assert listing.status_code == 200
    assert {r["id"] for r in listing.json()} == {
        "checkout-errors",
        "kafka-consumer-lag",
        "disk-full",
    }
    rb = api.client.get(
        "/api/v1/runbooks/checkout-errors?lang=en", headers=api.headers("viewer")
    ).json()
    assert "<h2>Symptom</h2>" in rb["html"]
    assert [a["danger"] for a in rb["actions"]] == ["read", "read", "mutate", "destructive"]
    command, digest = _command(api, "restart")
    assert digest == hashlib.sha256(command.encode()).hexdigest()
    assert next(p for p in rb["parameters"] if p["name"] == "token")["secret"] is True
    missing = api.client.get("/api/v1/runbooks/nope", headers=api.headers("viewer"))
    assert missing.status_code == 404


def test_incident_runbooks_and_confirm(rapi: tuple[Api, Settings]) -> None:
    """Linked runbooks are listed; a responder confirms one; viewers cannot."""
    api, _ = rapi
    ref = _open(api, rapi[1])
    out = api.client.get(f"/api/v1/incidents/{ref}/runbooks", headers=api.headers("viewer"))
    linked = out.json()["linked"]
    assert [(x["runbook_id"], x["source"]) for x in linked] == [("checkout-errors", "matcher")]
    assert linked[0]["url"].startswith("/runbooks/checkout-errors")
    url = f"/api/v1/incidents/{ref}/runbooks/checkout-errors/confirm"
    assert api.client.post(url, headers=api.headers("viewer")).status_code == 403
    done = api.client.post(url, headers=api.headers("responder"))
    assert done.status_code == 200
    assert done.json()["linked"][0]["confirmed_by"] == "responder-u"
    kpi = api.client.get("/api/v1/kpis/runbook-coverage", headers=api.headers("viewer")).json()
    assert (kpi["incidents"], kpi["with_confirmed_runbook"], kpi["coverage"]) == (1, 1, 1.0)


def test_checklists_api(rapi: tuple[Api, Settings]) -> None:
    """Attach a runbook checklist, check and uncheck an item; triage is already there."""
    api, settings = rapi
    ref = _open(api, settings)
    h = api.headers("responder")
    res = api.client.post(
        f"/api/v1/incidents/{ref}/checklists", json={"runbook": "checkout-errors"}, headers=h
    )
    assert res.status_code == 201
    cid, iid = res.json()["id"], res.json()["items"][0]["id"]
    base = f"/api/v1/incidents/{ref}/checklists/{cid}/items/{iid}"
    checked = api.client.post(f"{base}/check", headers=h).json()
    assert checked["items"][0]["checked_by"] == "responder-u"
    assert api.client.post(f"{base}/check", headers=api.headers("viewer")).status_code == 403
    unchecked = api.client.post(f"{base}/uncheck", headers=h).json()
    assert unchecked["items"][0]["checked_at"] is None
    lists = api.client.get(
        f"/api/v1/incidents/{ref}/checklists", headers=api.headers("viewer")
    ).json()
    assert [c["kind"] for c in lists] == ["triage", "runbook"]
    risk = api.client.post(
        f"/api/v1/incidents/{ref}/risk",
        json={"level": "medium", "rationale": "regression risk"},
        headers=h,
    )
    assert risk.status_code == 201 and risk.json()["by"] == "responder-u"
    assumption = api.client.post(
        f"/api/v1/incidents/{ref}/assumptions",
        json={
            "assumption": "the deploy caused it",
            "evidence": "errors began at 12:01",
            "signal": "errors persist after rollback",
            "fallback": "page the DBA",
        },
        headers=h,
    )
    assert assumption.status_code == 201
    assert assumption.json()["text"].startswith("I assume the deploy caused it because")


def _all_responses_text(api: Api, ref: str, run_id: int) -> str:
    h = api.headers("viewer")
    parts = [
        api.client.get(f"/api/v1/incidents/{ref}/runs/{run_id}", headers=h).text,
        api.client.get(f"/api/v1/incidents/{ref}/runs", headers=h).text,
        api.client.get(f"/api/v1/incidents/{ref}", headers=h).text,
    ]
    return "\n".join(parts)


def test_read_step_runs_in_engine_and_output_is_redacted(rapi: tuple[Api, Settings]) -> None:
    """A read step runs in the engine; a token pattern and a secret parameter value are
    [REDACTED] in the run row and in every API response."""
    api, settings = rapi
    ref = _open(api, settings)
    res = api.client.post(_run_url(ref, "leak"), json={}, headers=api.headers("responder"))
    assert res.status_code == 202 and res.json()["status"] == "queued"
    run_id = res.json()["id"]
    assert _engine(api, settings) == 1
    with api.factory() as s:
        row = s.scalars(select(RunbookRun).where(RunbookRun.id == run_id)).one()
        assert row.status == "succeeded" and row.exit_code == 0
        assert "[REDACTED]" in row.stdout
        assert SECRET not in row.stdout + str(row.params) and PAT not in row.stdout
    text = _all_responses_text(api, ref, run_id)
    assert SECRET not in text and PAT not in text and "[REDACTED]" in text
    assert "runbook.run.finished" in text


def test_secret_param_through_api_is_refused(rapi: tuple[Api, Settings]) -> None:
    """Secret values are never accepted over the API (they would be stored)."""
    api, settings = rapi
    ref = _open(api, settings)
    res = api.client.post(
        _run_url(ref, "leak"), json={"params": {"token": "x"}}, headers=api.headers("responder")
    )
    assert res.status_code == 422 and res.json()["errors"][0]["param"] == "token"


def test_params_validated_with_name(rapi: tuple[Api, Settings]) -> None:
    """A bad parameter value is a 422 that names the parameter; nothing is queued."""
    api, settings = rapi
    ref = _open(api, settings)
    h = api.headers("responder")
    bad = api.client.post(_run_url(ref, "show"), json={"params": {"deployment": "A;rm"}}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["param"] == "deployment"
    missing = api.client.post(_run_url(ref, "show"), json={}, headers=h)
    assert missing.status_code == 422 and "deployment" in missing.json()["detail"]
    ok = api.client.post(_run_url(ref, "show"), json={"params": {"deployment": "api"}}, headers=h)
    assert ok.status_code == 202
    _engine(api, settings)
    run = api.client.get(f"/api/v1/incidents/{ref}/runs/{ok.json()['id']}", headers=h).json()
    assert run["stdout"] == "deployment api\n" and run["params"] == {"deployment": "api"}


def test_mutate_needs_exact_confirmation(rapi: tuple[Api, Settings]) -> None:
    """A mutate step without, or with the wrong, confirmation is refused; with it, it runs."""
    api, settings = rapi
    ref = _open(api, settings)
    h = api.headers("responder")
    body: dict[str, Any] = {"params": {"deployment": "api"}}
    assert api.client.post(_run_url(ref, "restart"), json=body, headers=h).status_code == 409
    wrong = hashlib.sha256(b"something else").hexdigest()
    res = api.client.post(_run_url(ref, "restart"), json={**body, "confirmation": wrong}, headers=h)
    assert res.status_code == 409 and "different command" in res.json()["detail"]
    malformed = api.client.post(
        _run_url(ref, "restart"), json={**body, "confirmation": "yes"}, headers=h
    )
    assert malformed.status_code == 422
    _, digest = _command(api, "restart")
    res = api.client.post(
        _run_url(ref, "restart"), json={**body, "confirmation": digest}, headers=h
    )
    assert res.status_code == 202
    _engine(api, settings)
    run = api.client.get(f"/api/v1/incidents/{ref}/runs/{res.json()['id']}", headers=h).json()
    assert (run["status"], run["stdout"]) == ("succeeded", "restarted api\n")


def test_destructive_needs_a_second_person(rapi: tuple[Api, Settings]) -> None:
    """A destructive step waits for approval; self-approval is refused; another responder
    approves and the engine runs it."""
    api, settings = rapi
    ref = _open(api, settings)
    _, digest = _command(api, "wipe")
    body = {"params": {"deployment": "api"}, "confirmation": digest}
    res = api.client.post(_run_url(ref, "wipe"), json=body, headers=api.headers("responder"))
    assert res.status_code == 202 and res.json()["status"] == "pending_approval"
    run_id = res.json()["id"]
    assert _engine(api, settings) == 0  # nothing queued
    approve = f"{_run_url(ref, 'wipe')}/{run_id}/approve"
    assert api.client.post(approve, headers=api.headers("responder")).status_code == 403
    assert api.client.post(approve, headers=api.headers("viewer")).status_code == 403
    ok = api.client.post(approve, headers=api.headers("responder2"))
    assert ok.status_code == 200 and ok.json()["approved_by"] == "responder2-u"
    assert _engine(api, settings) == 1
    run = api.client.get(
        f"/api/v1/incidents/{ref}/runs/{run_id}", headers=api.headers("viewer")
    ).json()
    assert (run["status"], run["stdout"]) == ("succeeded", "wiped api\n")


def test_approval_expires(rapi: tuple[Api, Settings]) -> None:
    """An approval after the window (30 min by default) is refused and the run expires."""
    api, settings = rapi
    ref = _open(api, settings)
    _, digest = _command(api, "wipe")
    res = api.client.post(
        _run_url(ref, "wipe"),
        json={"params": {"deployment": "api"}, "confirmation": digest},
        headers=api.headers("responder"),
    )
    clock.advance(timedelta(minutes=31))
    late = api.client.post(
        f"/api/v1/incidents/{ref}/runs/{res.json()['id']}/approve", headers=api.headers("admin")
    )
    assert late.status_code == 200 and late.json()["status"] == "expired"
    assert _engine(api, settings) == 0


def test_viewer_cannot_run_anything(rapi: tuple[Api, Settings]) -> None:
    """Viewers get 403 on every run endpoint."""
    api, settings = rapi
    ref = _open(api, settings)
    res = api.client.post(_run_url(ref, "leak"), json={}, headers=api.headers("viewer"))
    assert res.status_code == 403


def test_execution_disabled(
    rapi: tuple[Api, Settings], engine: Engine, factory: sessionmaker[Session]
) -> None:
    """With PLANTAO_RUNBOOKS_EXECUTION=0 a run is refused with 409 and a clear message, and a
    run queued before the switch is refused by the engine."""
    api, settings = rapi
    ref = _open(api, settings)
    queued = api.client.post(_run_url(ref, "leak"), json={}, headers=api.headers("responder"))
    off = settings.model_copy(update={"runbooks_execution": False})
    with TestClient(create_app(off, engine=engine)) as client:
        res = client.post(_run_url(ref, "leak"), json={}, headers=api.headers("responder"))
    assert res.status_code == 409 and "PLANTAO_RUNBOOKS_EXECUTION=0" in res.json()["detail"]
    EngineLoop(factory, registry(off)).run_once()
    run = api.client.get(
        f"/api/v1/incidents/{ref}/runs/{queued.json()['id']}", headers=api.headers("viewer")
    ).json()
    assert run["status"] == "refused" and "disabled" in run["error"]


def _login(api: Api, role: str) -> None:
    api.login(role)


def test_web_incident_page_runbooks_triage_risk(rapi: tuple[Api, Settings]) -> None:
    """The incident page shows linked runbooks with Confirm, the triage checklist with
    checkboxes, and the risk and assumption forms; each posts to the timeline."""
    api, settings = rapi
    ref = _open(api, settings)
    _login(api, "responder")
    page = api.client.get(f"/incidents/{ref}")
    assert page.status_code == 200
    assert "Checkout returns errors" in page.text and "confirm-runbook" in page.text
    assert f'href="/incidents/{ref}/runs"' in page.text  # step runs are one click away
    assert "Triage (2 minutes)" in page.text and "☐" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    token = csrf.group(1)
    check = re.search(r'action="(/incidents/[^"]+/items/\d+/check)"', page.text)
    assert check is not None
    assert (
        api.client.post(check.group(1), data={"csrf": token}, follow_redirects=False).status_code
        == 303
    )
    api.client.post(
        f"/incidents/{ref}/triage/risk",
        data={"csrf": token, "level": "high", "rationale": "possible leak"},
    )
    api.client.post(f"/incidents/{ref}/runbooks/checkout-errors/confirm", data={"csrf": token})
    api.client.post(
        f"/incidents/{ref}/notes/assumption",
        data={"csrf": token, "assumption": "A", "evidence": "B", "signal": "C", "fallback": "D"},
    )
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    kinds = {e["kind"]: e for e in detail["timeline"]}
    assert kinds["checklist.checked"]["actor"] == "responder-u"
    assert kinds["risk.posture"]["data"]["level"] == "high"
    assert kinds["runbook.confirmed"]["actor"] == "responder-u"
    assert "I assume A because B; if C, I do D." in [e["message"] for e in detail["timeline"]]
    again = api.client.get(f"/incidents/{ref}").text
    assert "☑" in again and "possible leak" in again


def test_web_runbook_page_escapes_html(rapi: tuple[Api, Settings]) -> None:
    """A runbook page renders Markdown but shows raw HTML in a runbook as text."""
    api, settings = rapi
    assert settings.runbooks_dir is not None
    path = settings.runbooks_dir / "disk-full.md"
    path.write_text(path.read_text() + "\n<script>alert(1)</script>\n")
    _login(api, "viewer")
    page = api.client.get("/runbooks/disk-full")
    assert page.status_code == 200
    assert "<h1>Disk almost full</h1>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "checkout-errors" in api.client.get("/runbooks").text
