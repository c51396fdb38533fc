"""The incident's Messages card and preview page, and the template editor for managers:
rendered from real data, without JavaScript, errors shown with what was typed."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import func, select

from plantao.comms.models import TemplateOverride
from plantao.db import session_scope
from tests.api.conftest import Api


def _declare(api: Api, **fields: Any) -> str:
    body = {"title": "Checkout & payments down", "service": "checkout", "severity": "sev2"} | fields
    res = api.client.post("/api/v1/incidents", json=body, headers=api.headers("responder"))
    assert res.status_code == 201, res.text
    return str(res.json()["number"])


def _csrf(api: Api, path: str) -> str:
    return api.csrf(api.client.get(path).text)


def test_incident_page_offers_the_messages_card(api: Api) -> None:
    """The incident page has a GET form to the preview with every template and language."""
    ref = _declare(api)
    api.login("viewer")
    page = api.client.get(f"/incidents/{ref}").text
    assert f'action="/incidents/{ref}/messages/preview"' in page
    assert 'value="customer_email"' in page and 'value="pt-BR"' in page


def test_preview_page_renders_the_incident_real_data(api: Api) -> None:
    """The preview page shows subject and text from the incident's ref and title, in pt-BR."""
    ref = _declare(api)
    api.login("viewer")
    res = api.client.get(
        f"/incidents/{ref}/messages/preview",
        params={"template": "status_update", "language": "pt-BR", "time_zone": "UTC"},
    )
    assert res.status_code == 200, res.text
    text = html.unescape(res.text)
    assert f"[STATUS] SEV2 {ref} — Checkout & payments down" in text
    assert "Impacto: ainda em avaliação" in text
    assert "{{" not in text.split('id="com-text"')[1].split("</pre>")[0]


def test_preview_page_takes_the_escalation_and_data_loss_details(api: Api) -> None:
    """Fields typed on the page reach the escalation and the notice (times in the chosen zone)."""
    ref = _declare(api)
    api.login("responder")
    res = api.client.get(
        f"/incidents/{ref}/messages/preview",
        params={
            "template": "data_loss_notice",
            "language": "en",
            "time_zone": "America/Sao_Paulo",
            "backup_at": "2026-03-14T00:00",
            "lost_from": "2026-03-14T00:00",
            "lost_until": "2026-03-14T06:30",
        },
    )
    assert res.status_code == 200, res.text
    assert "between 2026-03-14 00:00 UTC-03:00 and 2026-03-14 06:30 UTC-03:00" in res.text
    res = api.client.get(
        f"/incidents/{ref}/messages/preview",
        params={
            "template": "escalation",
            "help_needed": "Need the DBA",
            "if_no_answer": "Fail over",
            "answer_within": "15",
        },
    )
    assert "Need the DBA" in res.text and "within 15 min" in res.text


def test_preview_page_shows_an_unknown_time_zone_as_an_error_keeping_the_form(api: Api) -> None:
    """A bad zone answers 422 with the reason and the form as typed."""
    ref = _declare(api)
    api.login("viewer")
    res = api.client.get(
        f"/incidents/{ref}/messages/preview",
        params={"template": "escalation", "time_zone": "Mars/Base", "help_needed": "typed"},
    )
    assert res.status_code == 422
    assert "Mars/Base" in res.text and ">typed</textarea>" in res.text


def test_preview_page_needs_a_session(api: Api) -> None:
    """Nobody signed in is sent to log in."""
    ref = _declare(api)
    res = api.client.get(f"/incidents/{ref}/messages/preview", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_template_admin_pages_are_for_managers_and_admins(api: Api) -> None:
    """A viewer gets 403 on the editor; an admin sees every template and the variables."""
    api.login("viewer")
    assert api.client.get("/admin/templates").status_code == 403
    assert api.client.get("/admin/templates/status_update/en").status_code == 403
    api.login("admin")
    listing = api.client.get("/admin/templates")
    assert listing.status_code == 200
    assert listing.text.count('href="/admin/templates/') == 18
    edit = api.client.get("/admin/templates/customer_email/pt-BR")
    assert edit.status_code == 200
    assert "rca_due_at" in edit.text and "ACME Payments" in edit.text  # variables, sample
    assert api.client.get("/admin/templates/nope/en").status_code == 404


def test_saving_a_broken_template_keeps_what_was_typed_and_saves_nothing(api: Api) -> None:
    """An undefined variable is refused (422) with its line; the form keeps the typed text."""
    api.login("admin")
    csrf = _csrf(api, "/admin/templates/status_update/en")
    res = api.client.post(
        "/admin/templates/status_update/en",
        data={"csrf": csrf, "subject": "My subject", "body": "ok\n{{ incident.nope }}"},
    )
    assert res.status_code == 422
    assert "body, line 2" in res.text and "My subject" in res.text
    assert "{{ incident.nope }}</textarea>" in res.text
    with session_scope(api.factory) as session:
        assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0


def test_saving_and_resetting_a_template_from_the_editor(api: Api) -> None:
    """A valid override is saved and used by the preview; reset brings the shipped text back."""
    ref = _declare(api)
    api.login("admin")
    csrf = _csrf(api, "/admin/templates/p0_update/en")
    res = api.client.post(
        "/admin/templates/p0_update/en",
        data={
            "csrf": csrf,
            "subject": "Ours {{ incident.ref }}",
            "body": "Ours: {{ incident.title }}",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    preview = api.client.get(
        f"/incidents/{ref}/messages/preview", params={"template": "p0_update", "language": "en"}
    )
    assert f"Ours {ref}" in preview.text
    page = api.client.get("/admin/templates/p0_update/en").text
    assert 'action="/admin/templates/p0_update/en/reset"' in page
    res = api.client.post(
        "/admin/templates/p0_update/en/reset", data={"csrf": csrf}, follow_redirects=False
    )
    assert res.status_code == 303
    with session_scope(api.factory) as session:
        assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0


def test_editor_forms_check_csrf(api: Api) -> None:
    """A post without this session's token changes nothing."""
    api.login("admin")
    res = api.client.post(
        "/admin/templates/p0_update/en", data={"csrf": "forged", "subject": "x", "body": "y"}
    )
    assert res.status_code in (400, 403)
    with session_scope(api.factory) as session:
        assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0
