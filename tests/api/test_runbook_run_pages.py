"""The step-run pages (/incidents/{ref}/runs): request a step run from a form, the engine runs
it, the page shows its redacted output; the guards of the API (typed confirmation for mutate,
a second person for destructive, approval window) refuse with pages that keep what was typed;
viewers get no forms and a 403; the kill switch shows and refuses; texts in pt-BR."""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.api.app import create_app
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.people.models import AuditEntry
from plantao.runbooks.models import RunbookRun
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.inbox import drain, latest_incident
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user
from tests.factories.runbooks import RUNBOOKS, write_pack

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"
SECRET = "s3cr3t-value-xyz"
PEOPLE = {"admin": "admin", "responder": "responder", "responder2": "responder", "viewer": "viewer"}


class Pages:
    """One browser-like client of the web UI, logged in as one person at a time."""

    def __init__(self, client: TestClient, factory: sessionmaker[Session], settings: Settings):
        self.client, self.factory, self.settings = client, factory, settings

    def as_person(self, name: str) -> None:
        self.client.cookies.clear()
        res = self.client.post(
            "/login",
            data={"handle": f"{name}-u", "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert res.status_code == 303, res.text

    def engine(self) -> int:
        return EngineLoop(self.factory, registry(self.settings)).run_once()

    def open_incident(self) -> str:
        body = am_webhook([am_alert("CheckoutErrors")], group_key="CheckoutErrors")
        assert self.client.post(AM, json=body).status_code == 202
        drain(self.factory)
        self.engine()  # links the runbook whose matchers select the alert
        return latest_incident(self.factory)

    def csrf(self, page: Response) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match, "no form with a CSRF token on the page"
        return match.group(1)

    def request(
        self, ref: str, action: str, *, confirm: str | None = None, **params: str
    ) -> Response:
        """Post the request form of one step of checkout-errors, as the page's form does."""
        page = self.client.get(f"/incidents/{ref}/runs")
        data = {"csrf": self.csrf(page), "runbook": "checkout-errors", "action": action}
        data |= {"lang": "en", **{f"param_{k}": v for k, v in params.items()}}
        if confirm is not None:
            data["confirm_command"] = confirm
        res: Response = self.client.post(
            f"/incidents/{ref}/runs", data=data, follow_redirects=False
        )
        return res

    def approve(self, ref: str, run_id: int) -> Response:
        page = self.client.get(f"/incidents/{ref}/runs/{run_id}")
        res: Response = self.client.post(
            f"/incidents/{ref}/runs/{run_id}/approve",
            data={"csrf": self.csrf(page)},
            follow_redirects=False,
        )
        return res

    def run(self, run_id: int) -> RunbookRun:
        with self.factory() as session:
            return session.scalars(select(RunbookRun).where(RunbookRun.id == run_id)).one()


def _command(action: str) -> str:
    """The exact command of ``action`` as written in the pack (a fenced block's text)."""
    text = textwrap.dedent(RUNBOOKS["checkout-errors.md"])
    match = re.search(r"```sh \{action=" + action + r" [^}]*\}\n(.*?)```", text, re.DOTALL)
    assert match
    return match.group(1)


def _run_id(res: Response) -> int:
    assert res.status_code == 303, res.text
    match = re.search(r"/runs/(\d+)$", res.headers["location"])
    assert match
    return int(match.group(1))


def _pages(factory: sessionmaker[Session], engine: Engine, settings: Settings) -> Iterator[Pages]:
    with TestClient(create_app(settings, engine=engine)) as client:
        yield Pages(client, factory, settings)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    pack = write_pack(tmp_path / "runbooks")
    english = textwrap.dedent(RUNBOOKS["checkout-errors.md"]).lstrip()
    portuguese = english.replace("title: Checkout returns errors", "title: Checkout com erros")
    (pack / "checkout-errors.pt-BR.md").write_text(
        portuguese.replace("owner: sre", "owner: sre\nlang: pt-BR"), encoding="utf-8"
    )
    return Settings(
        database_url=db_url,
        env="test",
        base_url="http://plantao.test",
        runbooks_dir=pack,
        runbooks_workdir=tmp_path,
        runbooks_reload_seconds=0,
    )


@pytest.fixture
def pages(
    engine: Engine,
    factory: sessionmaker[Session],
    settings: Settings,
    frozen: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Pages]:
    apply_standard(factory)
    with session_scope(factory) as session:
        for name, role in PEOPLE.items():
            make_user(session, f"{name}-u", global_role=role)
    monkeypatch.setenv("PLANTAO_RUNBOOK_SECRET_TOKEN", SECRET)
    yield from _pages(factory, engine, settings)


def test_read_step_from_the_page_shows_its_output(pages: Pages) -> None:
    """The page lists the linked runbook's steps with danger and exact command; a read step
    requested from its form is queued, run by the engine, and its output shows on both pages."""
    ref = pages.open_incident()
    pages.as_person("responder")
    page = pages.client.get(f"/incidents/{ref}/runs")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Checkout returns errors" in text and "Runbook steps" in text
    for action, danger in (
        ("leak", "Read"),
        ("show", "Read"),
        ("restart", "Mutate"),
        ("wipe", "Destructive"),
    ):
        assert f'id="step-checkout-errors-{action}"' in page.text
        assert f"rr-danger-{danger.lower()}" in page.text
    assert _command("restart") in text and "PLANTAO_RUNBOOK_SECRET_TOKEN" in text
    assert 'name="param_token"' not in page.text  # secrets are never typed into a page
    assert "No step has been requested" in text

    run_id = _run_id(pages.request(ref, "show", deployment="api"))
    queued = pages.client.get(f"/incidents/{ref}/runs/{run_id}")
    assert queued.status_code == 200 and "Queued" in queued.text
    assert pages.engine() == 1
    done = pages.client.get(f"/incidents/{ref}/runs/{run_id}")
    assert "Succeeded" in done.text and "deployment api" in done.text
    assert "responder-u" in done.text and 'class="rr-exit">0<' in done.text
    listing = pages.client.get(f"/incidents/{ref}/runs").text
    assert f'id="run-{run_id}"' in listing and "deployment api" in listing

    leak_id = _run_id(pages.request(ref, "leak"))
    pages.engine()
    leaked = pages.client.get(f"/incidents/{ref}/runs/{leak_id}").text
    assert SECRET not in leaked and "[REDACTED]" in leaked


def test_refused_requests_are_pages_that_keep_what_was_typed(pages: Pages) -> None:
    """A missing or invalid parameter is 422 naming the field, a forged form 400, and the
    values typed are in the form again; nothing is queued."""
    ref = pages.open_incident()
    pages.as_person("responder")
    missing = pages.request(ref, "show", deployment="")
    assert missing.status_code == 422 and "text/html" in missing.headers["content-type"]
    assert "The step run was not requested" in missing.text and "is required" in missing.text
    bad = pages.request(ref, "show", deployment="A;rm -rf")
    assert bad.status_code == 422
    assert 'value="A;rm -rf"' in bad.text and "does not match" in html.unescape(bad.text)
    assert 'class="field invalid"' in bad.text
    forged = pages.client.post(
        f"/incidents/{ref}/runs",
        data={
            "csrf": "forged",
            "runbook": "checkout-errors",
            "action": "show",
            "param_deployment": "kept-value",
        },
    )
    assert forged.status_code == 400 and "The form expired" in forged.text
    assert 'value="kept-value"' in forged.text
    secret = pages.request(ref, "leak", token="typed")
    assert secret.status_code == 422
    with pages.factory() as session:
        assert session.scalars(select(RunbookRun)).all() == []


def test_mutate_needs_the_exact_command_typed(pages: Pages) -> None:
    """A mutate step without the typed command, or with a different one, is a 409 page that
    keeps the text; typed exactly (without the block's final newline) it runs."""
    ref = pages.open_incident()
    pages.as_person("responder")
    command = _command("restart")
    missing = pages.request(ref, "restart", deployment="api")
    assert missing.status_code == 409
    assert "type the command exactly as shown" in missing.text
    wrong = pages.request(ref, "restart", deployment="api", confirm="printf 'restarted all'")
    assert wrong.status_code == 409
    assert "is not the exact command shown" in wrong.text
    assert "printf &#39;restarted all&#39;</textarea>" in wrong.text
    typed = command.rstrip("\n").replace("\n", "\r\n")
    run_id = _run_id(pages.request(ref, "restart", deployment="api", confirm=typed))
    assert pages.engine() == 1
    run = pages.run(run_id)
    assert (run.status, run.stdout, run.requested_by) == (
        "succeeded",
        "restarted api\n",
        "responder-u",
    )
    assert "restarted api" in pages.client.get(f"/incidents/{ref}/runs/{run_id}").text


def test_destructive_needs_a_second_person(pages: Pages) -> None:
    """A destructive step waits for approval; its requester gets no button and a refused page
    (403) when approving anyway; another responder approves from the page and the engine
    runs it; the request, the refused and the accepted approval are in the audit log."""
    ref = pages.open_incident()
    pages.as_person("responder")
    run_id = _run_id(pages.request(ref, "wipe", deployment="api", confirm=_command("wipe")))
    waiting = pages.client.get(f"/incidents/{ref}/runs/{run_id}")
    assert (
        "Waiting for approval" in waiting.text and "another responder must approve" in waiting.text
    )
    assert f"/runs/{run_id}/approve" not in waiting.text
    assert pages.engine() == 0
    self_approved = pages.approve(ref, run_id)
    assert self_approved.status_code == 403
    assert "you cannot approve it" in self_approved.text
    assert pages.run(run_id).status == "pending_approval"

    pages.as_person("responder2")
    page = pages.client.get(f"/incidents/{ref}/runs/{run_id}")
    assert f'action="/incidents/{ref}/runs/{run_id}/approve"' in page.text
    approved = pages.approve(ref, run_id)
    assert approved.status_code == 303
    after = pages.client.get(approved.headers["location"])
    assert "responder2-u" in after.text and "Queued" in after.text
    assert pages.engine() == 1
    run = pages.run(run_id)
    assert (run.status, run.stdout, run.approved_by) == ("succeeded", "wiped api\n", "responder2-u")
    again = pages.approve(ref, run_id)
    assert again.status_code == 409 and "no longer waiting for approval" in again.text
    with pages.factory() as session:
        audited = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.via)
            .where(AuditEntry.object_type == "runbook_run", AuditEntry.object_id == str(run_id))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(a) for a in audited] == [
        ("runbook_run.request", "responder-u", "session"),
        ("runbook_run.approve_refused", "responder-u", "session"),
        ("runbook_run.approve", "responder2-u", "session"),
    ]


def test_late_approval_is_refused_and_the_run_expires(pages: Pages) -> None:
    """An approval after the window is a 409 page saying so; the step run expires, unrun."""
    ref = pages.open_incident()
    pages.as_person("responder")
    run_id = _run_id(pages.request(ref, "wipe", deployment="api", confirm=_command("wipe")))
    clock.advance(timedelta(minutes=31))
    pages.as_person("responder2")
    late = pages.approve(ref, run_id)
    assert late.status_code == 409 and "The approval window closed" in late.text
    assert "Expired" in late.text
    assert pages.run(run_id).status == "expired" and pages.engine() == 0


def test_viewer_sees_no_forms_and_is_refused(pages: Pages) -> None:
    """A viewer reads steps and runs but gets no request or approve form; posting is a 403."""
    ref = pages.open_incident()
    pages.as_person("responder")
    run_id = _run_id(pages.request(ref, "wipe", deployment="api", confirm=_command("wipe")))
    pages.as_person("viewer")
    page = pages.client.get(f"/incidents/{ref}/runs")
    assert page.status_code == 200 and "but not request or approve them" in page.text
    assert f'action="/incidents/{ref}/runs"' not in page.text
    assert "/approve" not in page.text and 'name="confirm_command"' not in page.text
    assert _command("wipe").strip() in html.unescape(page.text)
    refused = pages.request(ref, "show", deployment="api")
    assert refused.status_code == 403 and "You may not act on this incident" in refused.text
    assert pages.approve(ref, run_id).status_code == 403
    with pages.factory() as session:
        assert len(session.scalars(select(RunbookRun)).all()) == 1
    assert pages.run(run_id).status == "pending_approval"


def test_execution_disabled_page_says_so(
    pages: Pages, engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> None:
    """With PLANTAO_RUNBOOKS_EXECUTION=0 the page says so and has no forms; a post is a 409."""
    ref = pages.open_incident()
    off = settings.model_copy(update={"runbooks_execution": False})
    for disabled in _pages(factory, engine, off):
        disabled.as_person("responder")
        page = disabled.client.get(f"/incidents/{ref}/runs")
        assert "turned off on this server" in page.text
        assert 'name="confirm_command"' not in page.text
        assert f'action="/incidents/{ref}/runs"' not in page.text
        refused = disabled.request(ref, "show", deployment="api")
        assert refused.status_code == 409 and "nothing was requested" in refused.text


def test_portuguese_page_and_runbook_title(pages: Pages) -> None:
    """?lang=pt-BR shows the page and the runbook's title in Portuguese; the request runs
    the Portuguese runbook's step."""
    ref = pages.open_incident()
    pages.as_person("responder")
    page = pages.client.get(f"/incidents/{ref}/runs?lang=pt-BR")
    assert "Passos do runbook" in page.text and "Checkout com erros" in page.text
    assert "Destrutivo" in page.text and "Checkout returns errors" not in page.text
    csrf = pages.csrf(page)
    refused = pages.client.post(
        f"/incidents/{ref}/runs",
        data={
            "csrf": csrf,
            "runbook": "checkout-errors",
            "action": "restart",
            "lang": "pt-BR",
            "param_deployment": "api",
        },
    )
    assert refused.status_code == 409 and "digite o comando exatamente" in refused.text
    english = pages.client.get(f"/incidents/{ref}/runs?lang=en")
    assert "Checkout returns errors" in english.text


def test_team_role_decides_who_may_request(pages: Pages) -> None:
    """A responder of the team owning the service requests from the page; a signed-in person
    with no role on that team reads it without forms and is refused (403)."""
    with session_scope(pages.factory) as session:
        make_user(session, "teamed-u", team_roles={"sre": "responder"})
        make_user(session, "outsider-u")
    ref = pages.open_incident()
    pages.as_person("teamed")
    assert 'name="confirm_command"' in pages.client.get(f"/incidents/{ref}/runs").text
    assert pages.request(ref, "show", deployment="api").status_code == 303
    pages.as_person("outsider")
    page = pages.client.get(f"/incidents/{ref}/runs")
    assert page.status_code == 200 and 'name="confirm_command"' not in page.text
    assert pages.request(ref, "show", deployment="api").status_code == 403
    with pages.factory() as session:
        assert [r.requested_by for r in session.scalars(select(RunbookRun))] == ["teamed-u"]
