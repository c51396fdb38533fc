"""Responders' feedback on runbooks through the API and the incident page: "not relevant"
(API and form), confirmations recorded as votes, and the why of the next suggestion."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.runbooks.feedback_models import RunbookFeedback
from plantao.web.i18n import TEXTS
from plantao.web.rendering import templates
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.feedback_pack import write_feedback_pack
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import make_user, token_for

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"


@pytest.fixture
def fapi(
    db_url: str, engine: Engine, factory: sessionmaker[Session], tmp_path: Path, frozen: datetime
) -> Iterator[tuple[Api, Settings]]:
    apply_standard(factory)
    tokens = {}
    with session_scope(factory) as session:
        for name, role in (("responder", "responder"), ("viewer", "viewer")):
            tokens[name] = token_for(session, make_user(session, f"{name}-u", global_role=role))
    settings = Settings(
        database_url=db_url,
        env="test",
        base_url="http://plantao.test",
        runbooks_dir=write_feedback_pack(tmp_path / "runbooks"),
        runbooks_workdir=tmp_path,
        runbooks_reload_seconds=0,
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        yield Api(client=client, factory=factory, tokens=tokens), settings


def _open(api: Api, settings: Settings, device: str) -> str:
    alert = am_alert("DiskAlmostFull", summary="disk almost full on the node", device=device)
    ref = api.open_incident(AM, am_webhook([alert], group_key=device))
    EngineLoop(api.factory, registry(settings)).run_once()
    return ref


def _url(ref: str, rid: str, verb: str) -> str:
    return f"/api/v1/incidents/{ref}/runbooks/{rid}/{verb}"


def _kinds(api: Api) -> list[tuple[str, str]]:
    with api.factory() as s:
        rows = s.scalars(select(RunbookFeedback).order_by(RunbookFeedback.id))
        return [(r.runbook_id, r.kind) for r in rows]


def test_reject_hides_a_suggestion(fapi: tuple[Api, Settings]) -> None:
    """A responder marks a suggestion not relevant (with a reason): it moves to ``rejected``;
    a viewer is refused, an unknown runbook is a 404 and an overlong reason a 422."""
    api, settings = fapi
    ref = _open(api, settings, "sda")
    url = _url(ref, "node-disk-full", "reject")
    assert api.client.post(url, headers=api.headers("viewer")).status_code == 403
    too_long = api.client.post(url, json={"reason": "x" * 501}, headers=api.headers("responder"))
    assert too_long.status_code == 422
    missing = api.client.post(_url(ref, "nope", "reject"), headers=api.headers("responder"))
    assert missing.status_code == 404
    done = api.client.post(url, json={"reason": "not a node"}, headers=api.headers("responder"))
    assert done.status_code == 200, done.text
    body = done.json()
    assert [r["runbook_id"] for r in body["suggested"]] == ["volume-full"]
    assert [r["runbook_id"] for r in body["rejected"]] == ["node-disk-full"]
    assert _kinds(api) == [("node-disk-full", "reject")]


def test_reject_without_a_body(fapi: tuple[Api, Settings]) -> None:
    """The reason is optional: a bare POST rejects the runbook."""
    api, settings = fapi
    ref = _open(api, settings, "sda")
    done = api.client.post(_url(ref, "volume-full", "reject"), headers=api.headers("responder"))
    assert done.status_code == 200
    assert [r["runbook_id"] for r in done.json()["rejected"]] == ["volume-full"]


def test_confirm_through_the_api_teaches_the_next_incident(fapi: tuple[Api, Settings]) -> None:
    """Confirming over the API records a vote; the next incident of the family says the
    runbook was raised by feedback."""
    api, settings = fapi
    first = _open(api, settings, "sda")
    res = api.client.post(_url(first, "volume-full", "confirm"), headers=api.headers("responder"))
    assert res.status_code == 200
    assert _kinds(api) == [("volume-full", "confirm")]
    second = _open(api, settings, "sdb")
    out = api.client.get(f"/api/v1/incidents/{second}/runbooks", headers=api.headers("viewer"))
    why = {r["runbook_id"]: r["why"] for r in out.json()["suggested"]}
    assert "feedback:+" in why["volume-full"]
    assert "feedback" not in why["node-disk-full"]


@pytest.mark.parametrize(
    ("lang", "because", "button"),
    [("en", "Suggested because:", "Not relevant"), ("pt-BR", "Sugerido porque:", "Não relevante")],
)
def test_incident_page_explains_and_rejects(
    fapi: tuple[Api, Settings], lang: str, because: str, button: str
) -> None:
    """The incident page says why each runbook was suggested and offers "not relevant", whose
    form hides the runbook and lists it as marked not relevant."""
    api, settings = fapi
    ref = _open(api, settings, "sda")
    api.login("responder")
    page = api.client.get(f"/incidents/{ref}", headers={"Accept-Language": lang})
    assert page.status_code == 200
    assert because in page.text and button in page.text
    action = f"/incidents/{ref}/runbooks/node-disk-full/reject"
    assert action in page.text
    sent = api.client.post(
        action, data={"csrf": api.csrf(page.text), "reason": "wrong"}, follow_redirects=False
    )
    assert sent.status_code == 303
    after = api.client.get(f"/incidents/{ref}").text
    rejected = after.split('class="rb-rejected"', 1)[1].split("</ul>", 1)[0]
    assert "Node disk almost full" in rejected
    assert action not in after


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "the runbook's alert matchers select this alert; it handles the alert family "
            "KubeNodeNotReady; the alert says disk, full; responders marked it not relevant "
            "for this kind of alert (-0.06); odd:code",
        ),
        (
            "pt-BR",
            "os matchers de alerta do runbook selecionam este alerta; ele trata a família de "
            "alertas KubeNodeNotReady; o alerta diz disk, full; responders o marcaram como não "
            "relevante para este tipo de alerta (-0.06); odd:code",
        ),
    ],
)
def test_reason_codes_read_as_sentences(lang: str, expected: str) -> None:
    """Each reason code becomes a phrase in the reader's language; an unknown code is shown
    as it is, escaped."""
    template = templates.env.from_string(
        '{% from "incident/runbook_why.html" import why_line with context %}{{ why_line(w) }}'
    )
    why = "matcher; family:KubeNodeNotReady; words:disk,full; feedback:-0.06; odd:code"
    assert html.unescape(template.render(t=TEXTS[lang], w=why)) == expected
    assert "&lt;b&gt;" in template.render(t=TEXTS[lang], w="<b>")
