"""Errors on web routes are pages in the person's language with the status code kept; the API,
intake and probes keep answering problem+json.

Most cases go through the real routes; failures no page provokes on purpose (a conflict no
page handles itself, a crash) go through a few routes added for the test to the real app, so
the real middleware, handlers and layout answer them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import APIRouter, Form
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.auth.roles import Access, Need, Role
from plantao.config import Settings
from plantao.errors import Conflict
from plantao.incidents import lifecycle
from plantao.incidents.lifecycle import Action, Status
from tests.api.conftest import Api
from tests.factories.config import apply_standard
from tests.factories.people import PASSWORD, make_user

faults = APIRouter()


@faults.get("/test-faults/conflict")
def conflict() -> None:
    lifecycle.transition(Status.ACKNOWLEDGED, Action.ACKNOWLEDGE)


@faults.post("/test-faults/conflict")
def conflict_form(text: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> None:
    raise Conflict("already acknowledged by ana at 03:12")


@faults.get("/test-faults/forbidden")
def forbidden() -> None:
    Access(global_role=Role.VIEWER).require(Need.RESPOND, team_id=1)


@faults.post("/test-faults/validated")
def validated(reason: Annotated[str, Form(max_length=5)], minutes: Annotated[int, Form()]) -> None:
    return None


@faults.get("/test-faults/crash")
def crash() -> None:
    raise RuntimeError("the database password is hunter2")


@pytest.fixture
def web(db_url: str, engine: Engine, factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The real app plus the fault routes, with a signed-in viewer; server errors answered
    (not raised into the test) like a real server does."""
    apply_standard(factory)
    with factory() as session:
        make_user(session, "watcher", global_role="viewer")
        session.commit()
    settings = Settings(database_url=db_url, env="test", base_url="http://plantao.test")
    app = create_app(settings, engine=engine)
    app.include_router(faults)
    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.post(
            "/login",
            data={"handle": "watcher", "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert res.status_code == 303
        yield client


def is_page(res: object) -> bool:
    content_type: str = res.headers["content-type"]  # type: ignore[attr-defined]
    text: str = res.text  # type: ignore[attr-defined]
    return content_type.startswith("text/html") and text.lstrip().startswith("<!doctype html>")


def test_unknown_address_is_a_404_page_and_stays_json_for_programs(api: Api) -> None:
    """A browser gets a 404 page (even signed out); the API, and a client asking for JSON
    only, get problem+json."""
    page = api.client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and is_page(page)
    assert "Not found" in page.text and 'href="/"' in page.text
    api_answer = api.client.get(
        "/api/v1/no-such-thing", headers={"accept": "text/html", **api.headers("viewer")}
    )
    assert api_answer.status_code == 404
    assert api_answer.headers["content-type"] == "application/problem+json"
    wants_json = api.client.get("/no-such-page", headers={"accept": "application/json"})
    assert wants_json.headers["content-type"] == "application/problem+json"


def test_unknown_incident_is_a_404_page_in_both_languages(api: Api) -> None:
    """/incidents/<unknown> says the incident does not exist, in English and Portuguese; the
    API still answers problem+json for the same incident."""
    api.login("viewer")
    page = api.client.get("/incidents/INC-20000101-999")
    assert page.status_code == 404 and is_page(page)
    assert "incident &#39;INC-20000101-999&#39; does not exist" in page.text
    portuguese = api.client.get("/incidents/INC-20000101-999?lang=pt-BR")
    assert portuguese.status_code == 404 and '<html lang="pt-BR"' in portuguese.text
    assert "Não encontrado" in portuguese.text
    assert "o incidente &#39;INC-20000101-999&#39; não existe" in portuguese.text
    api_answer = api.client.get("/api/v1/incidents/INC-20000101-999", headers=api.headers("viewer"))
    assert api_answer.headers["content-type"] == "application/problem+json"


def test_an_expired_form_is_a_400_page_with_a_way_back(api: Api) -> None:
    """A form posted with a stale CSRF token changes nothing and says to reload, linking back
    to the page the form was on."""
    api.login("responder")
    res = api.client.post(
        "/incidents/bulk",
        data={"csrf": "stale", "action": "acknowledge"},
        headers={"referer": "http://testserver/?status=open&severity=sev1"},
    )
    assert res.status_code == 400 and is_page(res)
    assert "The form expired" in res.text and "reload the page and send it again" in res.text
    assert 'href="/?status=open&amp;severity=sev1">Reload the page</a>' in res.text
    again = api.client.post(
        "/incidents/bulk?lang=pt-BR", data={"csrf": "stale", "action": "acknowledge"}
    )
    assert again.status_code == 400 and "O formulário expirou" in again.text


def test_a_rejected_field_is_a_422_page_naming_it(api: Api) -> None:
    """A form field the route refuses (too long, missing) is named on a 422 page; a bad
    filter value on the list too."""
    api.login("responder")
    res = api.client.post("/incidents/bulk", data={"action": "acknowledge-everything-now"})
    assert res.status_code == 422 and is_page(res)
    assert "Some fields need another look" in res.text
    assert "<code>action</code>" in res.text and "at most 16 characters" in res.text
    assert "<code>csrf</code>" in res.text and "this field is required" in res.text
    listed = api.client.get("/?status=burning")
    assert listed.status_code == 422 and "unknown status &#39;burning&#39;" in listed.text


def test_validation_page_names_fields_and_keeps_what_was_typed(web: TestClient) -> None:
    """422 from FastAPI's own validation: each wrong field with its problem (in Portuguese
    too), and the sentence that was typed shown back to copy."""
    typed = "the reason I wrote at 3 a.m. and do not want to lose"
    res = web.post("/test-faults/validated", data={"reason": typed, "minutes": "ten"})
    assert res.status_code == 422 and is_page(res)
    assert "<code>reason</code>" in res.text and "at most 5 characters" in res.text
    assert "<code>minutes</code>" in res.text and "must be a whole number" in res.text
    assert f"readonly>{typed}</textarea>" in res.text
    pt = web.post("/test-faults/validated?lang=pt-BR", data={"reason": typed, "minutes": "x"})
    assert "no máximo 5 caracteres" in pt.text and "precisa ser um número inteiro" in pt.text


def test_conflict_is_a_409_page_with_the_message_and_a_link_back(web: TestClient) -> None:
    """A conflict says what collided, in the page's language, with a link back; a form's
    typed text is shown again."""
    res = web.get("/test-faults/conflict", headers={"referer": "http://testserver/incidents/7"})
    assert res.status_code == 409 and is_page(res)
    assert "Someone got there first" in res.text
    assert "cannot acknowledge an incident that is acknowledged; allowed: mitigate, resolve" in (
        res.text
    )
    assert 'href="/incidents/7">Back</a>' in res.text
    pt = web.get("/test-faults/conflict?lang=pt-BR")
    assert "Alguém chegou antes" in pt.text
    assert "não é possível reconhecer um incidente que está reconhecido" in pt.text
    note = "restarted the pods; errors dropped to 2%"
    form = web.post("/test-faults/conflict", data={"text": note, "csrf": "secret-token-value"})
    assert form.status_code == 409 and "already acknowledged by ana at 03:12" in form.text
    assert note in form.text and "secret-token-value" not in form.text


def test_forbidden_is_a_403_page_naming_the_role_needed(web: TestClient) -> None:
    """A refusal names the role the action needs and the one the person has (both languages)."""
    res = web.get("/test-faults/forbidden")
    assert res.status_code == 403 and is_page(res)
    assert "You may not do this" in res.text
    assert "this needs the responder role on this team; you have viewer" in res.text
    pt = web.get("/test-faults/forbidden?lang=pt-BR")
    assert "isto exige o papel respondente neste time; você tem leitor" in pt.text


def test_a_crash_is_a_500_page_with_an_id_and_no_details(
    web: TestClient, capfd: pytest.CaptureFixture[str]
) -> None:
    """An unexpected error shows an id to quote and nothing of the exception; the same id is
    on the server's log line of that error."""
    res = web.get("/test-faults/crash")
    assert res.status_code == 500 and is_page(res)
    assert "Something went wrong on our side" in res.text
    assert "hunter2" not in res.text and "Traceback" not in res.text
    found = re.search(r'<code class="error-id">([0-9a-f]{12})</code>', res.text)
    assert found, "no error id on the page"
    logged = capfd.readouterr().err
    assert f'"error_id": "{found.group(1)}"' in logged and "http.unhandled" in logged
