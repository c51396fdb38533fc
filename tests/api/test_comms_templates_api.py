"""Message templates over the API: list, read, override (refused when it does not render),
reset, and the preview rendered from an incident's real data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from plantao.comms.models import TemplateOverride
from plantao.db import session_scope
from plantao.people.models import AuditEntry
from tests.api.conftest import Api

TEMPLATES = "/api/v1/comms/templates"


def _declare(api: Api, **fields: Any) -> str:
    body = {"title": "Customers cannot pay", "service": "checkout", "severity": "sev1"} | fields
    res = api.client.post("/api/v1/incidents", json=body, headers=api.headers("responder"))
    assert res.status_code == 201, res.text
    return str(res.json()["number"])


def _preview(api: Api, ref: str, role: str = "viewer", **body: Any) -> Any:
    return api.client.post(
        f"/api/v1/incidents/{ref}/messages/preview", json=body, headers=api.headers(role)
    )


def test_list_names_every_template_in_both_languages(api: Api) -> None:
    """GET lists the nine templates in en and pt-BR, none overridden on a new install."""
    res = api.client.get(TEMPLATES, headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    items = res.json()["items"]
    assert len(items) == 18
    assert {(i["name"], i["language"]) for i in items} >= {
        ("status_update", "en"),
        ("customer_email", "pt-BR"),
        ("data_loss_notice", "en"),
    }
    assert not any(i["overridden"] for i in items)


def test_read_one_shows_the_shipped_source(api: Api) -> None:
    """GET one answers the shipped subject and body and no override."""
    res = api.client.get(TEMPLATES + "/customer_email/pt-BR", headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    got = res.json()
    assert "{{ incident.ref }}" in got["shipped"]["subject"]
    assert "rca_due_at" in got["shipped"]["body"]
    assert got["override"] is None
    missing = api.client.get(TEMPLATES + "/nope/en", headers=api.headers("viewer"))
    assert missing.status_code == 404


def test_override_is_used_by_the_preview_and_reset_brings_the_shipped_text_back(api: Api) -> None:
    """PUT stores an override the preview renders; DELETE returns to the shipped template."""
    ref = _declare(api)
    body = {"subject": "Heads-up {{ incident.ref }}", "body": "{{ incident.title }} is ongoing.\n"}
    put = api.client.put(TEMPLATES + "/p0_initial/en", json=body, headers=api.headers("admin"))
    assert put.status_code == 200, put.text
    assert put.json()["override"]["updated_by"] == "admin-u"
    got = _preview(api, ref, template="p0_initial", language="en").json()
    assert got["subject"] == f"Heads-up {ref}"
    assert got["text"] == "Customers cannot pay is ongoing.\n"
    listed = api.client.get(TEMPLATES, headers=api.headers("viewer")).json()["items"]
    assert [i["overridden"] for i in listed if i["name"] == "p0_initial"] == [True, False]
    gone = api.client.delete(TEMPLATES + "/p0_initial/en", headers=api.headers("admin"))
    assert gone.status_code == 204
    again = _preview(api, ref, template="p0_initial", language="en").json()
    assert again["subject"].startswith("🔥 P0 INCIDENT")
    twice = api.client.delete(TEMPLATES + "/p0_initial/en", headers=api.headers("admin"))
    assert twice.status_code == 404


def test_override_with_an_undefined_variable_is_refused_and_changes_nothing(api: Api) -> None:
    """A template naming an unknown variable answers 422 with its line; nothing is stored."""
    body = {"subject": "ok", "body": "first line\n{{ incident.titel }}\n"}
    res = api.client.put(TEMPLATES + "/status_update/en", json=body, headers=api.headers("admin"))
    assert res.status_code == 422, res.text
    assert "line 2" in res.json()["detail"] and "titel" in res.json()["detail"]
    optional = {"subject": "ok", "body": "{{ update.impact }}"}
    res = api.client.put(
        TEMPLATES + "/status_update/en", json=optional, headers=api.headers("admin")
    )
    assert res.status_code == 422, res.text
    with session_scope(api.factory) as session:
        assert session.scalar(select(func.count()).select_from(TemplateOverride)) == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "comms.template")
            )
            == 0
        )


def test_override_in_an_unknown_language_is_refused(api: Api) -> None:
    """Overrides exist only for the shipped languages."""
    body = {"subject": "ok", "body": "{{ incident.ref }}"}
    res = api.client.put(TEMPLATES + "/status_update/fr", json=body, headers=api.headers("admin"))
    assert res.status_code == 422


def test_a_viewer_cannot_override(api: Api) -> None:
    """Changing a template needs a manager or an admin."""
    body = {"subject": "ok", "body": "{{ incident.ref }}"}
    res = api.client.put(TEMPLATES + "/status_update/en", json=body, headers=api.headers("viewer"))
    assert res.status_code == 403


def test_preview_renders_the_incident_real_data(api: Api) -> None:
    """The preview carries the incident's real ref, title, priority and its latest update."""
    ref = _declare(api, description="Three tickets in ten minutes")
    update = {
        "status": "identified",
        "impact": "EU customers cannot pay",
        "mitigation": "payments flag off",
        "next_steps": [{"action": "Drain the DLQ", "owner": "responder-u"}],
    }
    posted = api.client.post(
        f"/api/v1/incidents/{ref}/status-updates", json=update, headers=api.headers("responder")
    )
    assert posted.status_code == 201, posted.text
    res = _preview(api, ref, template="status_update", language="pt-BR", time_zone="UTC")
    assert res.status_code == 200, res.text
    got = res.json()
    assert got["language"] == "pt-BR" and got["template"] == "status_update"
    assert ref in got["subject"] and "Customers cannot pay" in got["subject"]
    assert "Impacto: EU customers cannot pay" in got["text"]
    assert "- Drain the DLQ — responder-u" in got["text"]
    assert f"http://plantao.test/incidents/{ref}" in got["text"]
    assert "{{" not in got["text"] and "None" not in got["text"]


def test_preview_takes_the_escalation_ask_and_the_data_loss_times(api: Api) -> None:
    """What only the person composing knows is rendered into the escalation and the notice."""
    ref = _declare(api)
    res = _preview(
        api,
        ref,
        template="escalation",
        escalation={
            "help_needed": "Need a DBA",
            "if_no_answer": "Fail over",
            "answer_within_minutes": 15,
        },
    )
    assert res.status_code == 200, res.text
    text = res.json()["text"]
    assert "Priority: P0" in text and "Need a DBA" in text and "within 15 min" in text
    loss = {
        "backup_at": "2026-03-14T03:00:00Z",
        "lost_from": "2026-03-14T03:00:00Z",
        "lost_until": "2026-03-14T09:30:00Z",
    }
    res = _preview(api, ref, template="data_loss_notice", language="en", data_loss=loss)
    assert "between 2026-03-14 03:00 UTC and 2026-03-14 09:30 UTC" in res.json()["text"]


def test_preview_refuses_unknown_template_and_time_zone(api: Api) -> None:
    """An unknown template is 404, an unknown zone 422."""
    ref = _declare(api)
    assert _preview(api, ref, template="nope").status_code == 404
    assert _preview(api, ref, template="status_update", time_zone="Mars/Base").status_code == 422
    assert _preview(api, "INC-20000101-9", template="status_update").status_code == 404


def test_preview_of_a_private_incident_is_not_found_for_who_may_not_see_it(api: Api) -> None:
    """A viewer cannot render a private incident's messages (404, as for no incident); an
    admin can."""
    ref = _declare(api, private=True)
    assert _preview(api, ref, template="status_update").status_code == 404
    assert _preview(api, ref, "admin", template="status_update").status_code == 200
    api.login("viewer")
    page = api.client.get(f"/incidents/{ref}/messages/preview")
    assert page.status_code == 404
