"""The incident page: who's on it, the alerts' own words, live partials, errors as pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from plantao import clock
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.delivery_step import DeliveryStep
from plantao.engine.handlers import registry
from plantao.engine.reactions import ReactionStep
from plantao.engine.runner import EngineLoop
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec
from plantao.oncall.models import Silence
from plantao.people.models import AuditEntry
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, GENERIC_KEY, PD_KEY, apply_config
from tests.factories.notify import WEBHOOK_SECRET, WebhookReceiver, deliver, give_contacts
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user

# ana is paged at once, bruno 5 minutes later (sev1: acknowledge within 5 minutes).
PAGING = """
version: 1
users:
  - {handle: ana, name: Ana Lima, time_zone: America/Sao_Paulo}
  - {handle: bruno, name: Bruno}
  - {handle: carla, name: Carla}
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: pay}
escalation_policies:
  - slug: pay
    name: Payments
    steps:
      - {delay: 0m, targets: [{user: ana}]}
      - {delay: 5m, targets: [{user: bruno}]}
"""


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(statuses={"/down": 503, "/gone": 404}).start()
    yield server
    server.stop()


def _settle(api: Api) -> None:
    """Run the engine (reactions and jobs; not delivery, which tests run themselves) until it
    has nothing left to do at the frozen time."""
    loop = EngineLoop(api.factory, registry(Settings(env="test")), steps=[ReactionStep()])
    for _ in range(20):
        if loop.run_once() == 0:
            return
    raise AssertionError("the engine did not settle")


def _fire(api: Api, name: str = "Down", severity: str = "critical") -> str:
    body = {
        "title": f"{name} on checkout",
        "dedup_key": name,
        "severity": severity,
        "labels": {"service": "checkout", "alertname": name, "region": "sa-east-1"},
    }
    ref = api.open_incident(f"/api/v1/intake/{GENERIC_KEY}/generic", body)
    _settle(api)
    return ref


def page_html(api: Api, ref: str, query: str = "") -> str:
    """The incident page's HTML for the logged-in client."""
    res = api.client.get(f"/incidents/{ref}{query}")
    assert res.status_code == 200, res.text
    return str(res.text)


def visible_text(page: str) -> str:
    """The page's visible words, tags removed and spaces collapsed (for sentence asserts)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def page_section(page: str, section_id: str) -> str:
    found = re.search(
        rf'<section id="{section_id}".*?</section>\s*(?=<section|</div>|\Z)', page, re.S
    )
    assert found, f"no section {section_id}"
    return str(found.group(0))


def test_panel_shows_paged_person_deliveries_next_step_and_ack_due(
    api: Api, frozen: datetime, receiver: WebhookReceiver, request: pytest.FixtureRequest
) -> None:
    """Who was paged, each delivery's state with its reason, the next step with its due time,
    and the acknowledge target still running."""
    apply_config(api.factory, PAGING)
    give_contacts(
        api.factory,
        [
            ContactMethodSpec("hook-ok", "webhook", f"{receiver.url}/ok", WEBHOOK_SECRET),
            ContactMethodSpec("hook-down", "webhook", f"{receiver.url}/down", WEBHOOK_SECRET),
            ContactMethodSpec("hook-gone", "webhook", f"{receiver.url}/gone", WEBHOOK_SECRET),
            ContactMethodSpec("hook-later", "webhook", f"{receiver.url}/ok", WEBHOOK_SECRET),
        ],
        [
            NotificationRuleSpec("hook-ok"),
            NotificationRuleSpec("hook-down"),
            NotificationRuleSpec("hook-gone"),
            NotificationRuleSpec("hook-later", after=timedelta(minutes=10)),
        ],
    )
    ref = _fire(api)
    step = DeliveryStep(Settings(env="test", delivery_max_attempts=2))
    request.addfinalizer(step.close)
    assert deliver(step, api.factory) == 3
    api.login("viewer")
    panel = visible_text(page_section(page_html(api, ref), "inc-oncall"))
    assert "Ana Lima (ana) · step 1 of 2 · high urgency" in panel
    assert "sent webhook (hook-ok)" in panel
    assert "retrying webhook (hook-down)" in panel and "reason: HTTP 503" in panel
    assert "failed webhook (hook-gone)" in panel and "reason: HTTP 404" in panel
    assert "queued webhook (hook-later) · next attempt" in panel
    assert "Policy pay · running" in panel
    assert "Next: step 2 of 2 — 12:05 UTC bruno" in panel
    raw = page_section(page_html(api, ref), "inc-oncall")
    due = (frozen + timedelta(minutes=5)).isoformat()
    assert f'data-countdown="{due}"' in raw  # next step and ack due: both at 12:05
    assert "Not acknowledged yet · due at 12:05 UTC" in panel
    assert "Target: acknowledge within 5 min" in panel
    clock.advance(timedelta(minutes=2))
    assert deliver(step, api.factory) == 1  # the retry gives up: dead, with the reason
    panel = visible_text(page_section(page_html(api, ref), "inc-oncall"))
    assert "dead webhook (hook-down)" in panel
    assert "reason: gave up after 2 attempts: HTTP 503" in panel


def test_ack_due_met_and_missed(api: Api, frozen: datetime) -> None:
    """Acknowledged within the sev1 target says Met and who; later says Missed; never
    acknowledged past the target says Missed too."""
    apply_config(api.factory, PAGING)
    on_time, late, never = _fire(api, "OnTime"), _fire(api, "Late"), _fire(api, "Never")
    headers = api.headers("responder")
    clock.advance(timedelta(minutes=3))
    assert api.client.post(f"/api/v1/incidents/{on_time}/acknowledge", headers=headers).is_success
    clock.advance(timedelta(minutes=4))
    assert api.client.post(f"/api/v1/incidents/{late}/acknowledge", headers=headers).is_success
    api.login("viewer")
    met = visible_text(page_section(page_html(api, on_time), "inc-oncall"))
    assert "Met · acknowledged by responder-u at 12:03 UTC" in met
    missed = visible_text(page_section(page_html(api, late), "inc-oncall"))
    assert "Missed · acknowledged by responder-u at 12:07 UTC" in missed
    overdue = page_section(page_html(api, never), "inc-oncall")
    assert (
        "Missed · due at 12:05 UTC" in visible_text(overdue) and 'class="status missed' in overdue
    )


def test_alerts_own_words_render_links_safely_and_fold_long_values(api: Api) -> None:
    """Description, generatorURL, runbook and dashboard links, PagerDuty links, images and
    custom_details appear; unsafe URLs are text; images are links with the reason."""
    alert = am_alert("DiskFull", summary="Disk 95% full", severity="critical")
    alert["annotations"] |= {
        "description": "The /var volume on db-1 is 95% full.\nIt grows 1%/h.",
        "runbook_url": "https://runbooks.example/disk",
        "dashboard": "javascript:alert(1)",
    }
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([alert]))
    pd = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "dedup_key": "pd-1",
        "links": [
            {"href": "https://grafana.example/d/abc", "text": "Latency board"},
            {"href": "javascript:alert(2)", "text": "bad"},
        ],
        "images": [{"src": "https://img.example/graph.png", "alt": "error graph"}],
        "payload": {
            "summary": "Checkout p99 over 2s",
            "source": "checkout-api",
            "severity": "critical",
            "custom_details": {
                "region": "sa-east-1",
                "trace": {"id": "abc", "spans": list(range(60))},
            },
        },
    }
    pd_ref = api.open_incident("/v2/enqueue", pd)
    api.login("viewer")
    words = page_section(page_html(api, ref), "inc-alerts")
    assert "The /var volume on db-1 is 95% full.\nIt grows 1%/h." in words
    assert 'href="http://prometheus:9090/graph?g0.expr=up"' in words
    assert 'href="https://runbooks.example/disk"' in words
    assert "javascript:alert(1)" in words and 'href="javascript' not in words.lower()
    pd_words = page_section(page_html(api, pd_ref), "inc-alerts")
    link = '<a href="https://grafana.example/d/abc" rel="noopener noreferrer" target="_blank">'
    assert link + "Latency board</a>" in pd_words
    assert "javascript:alert(2)" in pd_words and 'href="javascript' not in pd_words.lower()
    assert 'href="https://img.example/graph.png"' in pd_words and "<img" not in pd_words
    assert "Images are shown as links" in pd_words
    assert '<dt>region</dt><dd><span class="inc-text">sa-east-1</span></dd>' in pd_words
    assert re.search(
        r'<dt>trace</dt><dd><details class="inc-fold"><summary>.*?</summary><pre>', pd_words, re.S
    )


def test_alerts_are_capped_with_a_link_to_the_api(api: Api) -> None:
    """Past 50 alerts the page shows 50, the count, and where to get the rest."""
    alerts = [am_alert(f"Storm{n}") for n in range(55)]
    ref = api.open_incident(
        f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook(alerts, group_key="{}:{storm}")
    )
    api.login("viewer")
    section = page_section(page_html(api, ref), "inc-alerts")
    assert section.count('<article class="card inc-alert') == 50
    assert "Showing 50 of 55 alerts." in visible_text(section)
    assert f'href="/api/v1/incidents/{ref}"' in section


def test_add_responder_grants_rbac_and_pages_them(api: Api, frozen: datetime) -> None:
    """A person with no role on the team, added as a responder, is paged and may act."""
    apply_config(api.factory, PAGING)
    with session_scope(api.factory) as session:
        make_user(session, "outsider", global_role="viewer")
    give_contacts(
        api.factory, [ContactMethodSpec("mail", "email", "out@example.com")], handle="outsider"
    )
    ref = _fire(api)
    api.login("responder")
    page = page_html(api, ref)
    res = api.client.post(
        f"/incidents/{ref}/responders", data={"csrf": api.csrf(page), "target": "user:outsider"}
    )
    assert res.status_code == 200
    responders = visible_text(page_section(res.text, "inc-responders"))
    assert "Outsider (outsider) Paged named directly · added by responder-u" in responders
    assert "queued e-mail (mail)" in visible_text(page_section(res.text, "inc-oncall"))
    assert "Paged outsider as responder" in visible_text(res.text)
    with session_scope(api.factory) as session:
        rows = session.scalars(select(Delivery).where(Delivery.step == "responder:user"))
        assert [r.channel for r in rows] == ["email"]
    twice = api.client.post(
        f"/incidents/{ref}/responders", data={"csrf": api.csrf(page), "target": "user:outsider"}
    )
    assert twice.status_code == 409 and "already on this incident" in twice.text
    unknown = api.client.post(
        f"/incidents/{ref}/responders", data={"csrf": api.csrf(page), "target": "user:nobody"}
    )
    assert unknown.status_code == 422 and "&#39;nobody&#39; does not exist" in unknown.text
    assert '<option value="user:nobody"' not in unknown.text
    api.client.post("/logout", data={"csrf": api.csrf(page)})
    api.client.post("/login", data={"handle": "outsider", "password": PASSWORD, "next": "/"})
    mine = page_html(api, ref)
    acked = api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": api.csrf(mine)})
    assert acked.status_code == 200 and 'id="incident-status">Acknowledged' in acked.text


def test_escalate_now_pages_the_next_step(api: Api, frozen: datetime) -> None:
    """Escalate now pages bruno at once; the panel shows him."""
    apply_config(api.factory, PAGING)
    ref = _fire(api)
    api.login("responder")
    page = page_html(api, ref)
    res = api.client.post(f"/incidents/{ref}/escalate", data={"csrf": api.csrf(page)})
    assert res.status_code == 200
    panel = visible_text(page_section(res.text, "inc-oncall"))
    assert "Bruno (bruno) · step 2 of 2" in panel
    assert "Paged bruno (step 2 of 2) by responder-u" in visible_text(res.text)


def test_snooze_from_the_page_and_the_api(api: Api, frozen: datetime) -> None:
    """Snoozing needs an acknowledged incident (409 otherwise, as a page and in the API); the
    panel then says who snoozed it and until when."""
    apply_config(api.factory, PAGING)
    ref = _fire(api)
    headers = api.headers("responder")
    early = api.client.post(
        f"/api/v1/incidents/{ref}/snooze", json={"minutes": 30}, headers=headers
    )
    assert early.status_code == 409 and "only an acknowledged incident" in early.json()["detail"]
    bad = api.client.post(f"/api/v1/incidents/{ref}/snooze", json={"minutes": 0}, headers=headers)
    assert bad.status_code == 422
    api.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=headers)
    api.login("responder")
    page = page_html(api, ref)
    assert 'action="/incidents/' + ref + '/snooze"' in page
    res = api.client.post(
        f"/incidents/{ref}/snooze", data={"csrf": api.csrf(page), "minutes": "30"}
    )
    assert res.status_code == 200
    words = visible_text(res.text)
    assert "responder-u snoozed it for 30 min; it pages again at" in words
    assert "Snoozed for 30 min by responder-u" in words
    until = (frozen + timedelta(minutes=30)).isoformat()
    assert f'data-countdown="{until}"' in res.text
    by_api = api.client.post(
        f"/api/v1/incidents/{ref}/snooze", json={"minutes": 60}, headers=headers
    ).json()
    assert [
        e["data"]["minutes"] for e in by_api["timeline"] if e["kind"] == "incident.snoozed"
    ] == [30, 60]


def test_silence_from_the_incident_needs_manager_and_is_audited(api: Api, frozen: datetime) -> None:
    """The silence form is prefilled with the alerts' common labels; a responder is refused
    (403 page), an admin creates it: audited, on the timeline, and paging is held."""
    apply_config(api.factory, PAGING)
    ref = _fire(api)
    api.login("responder")
    page = page_html(api, ref)
    assert 'action="/incidents/' + ref + '/silence"' not in page
    refused = api.client.post(
        f"/incidents/{ref}/silence",
        data={"csrf": api.csrf(page), "matchers": 'alertname="Down"', "hours": "2", "comment": "x"},
    )
    assert refused.status_code == 403 and "Your role does not allow this" in refused.text
    api.client.post("/logout", data={"csrf": api.csrf(page)})
    api.login("admin")
    page = page_html(api, ref)
    form = page_section(page, "inc-oncall")
    prefilled = re.search(r'name="matchers"[^>]*>(.*?)</textarea>', form, re.S)
    assert prefilled is not None
    assert html.unescape(prefilled.group(1)).splitlines() == [
        'alertname="Down"',
        'region="sa-east-1"',
        'service="checkout"',
    ]
    res = api.client.post(
        f"/incidents/{ref}/silence",
        data={
            "csrf": api.csrf(page),
            "matchers": 'alertname="Down"\nservice="checkout"',
            "hours": "4",
            "comment": "db migration",
        },
    )
    assert res.status_code == 200
    with session_scope(api.factory) as session:
        [row] = session.scalars(select(Silence))
        assert row.matchers == ['alertname="Down"', 'service="checkout"']
        assert row.ends_at == frozen + timedelta(hours=4) and row.created_by == "admin-u"
        audit = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "silence.create", AuditEntry.object_id == str(row.id)
            )
        )
        assert [(a.actor, a.via) for a in audit] == [("admin-u", "session")]
    assert f"Silence {row.id} created until" in visible_text(res.text)
    bad = api.client.post(
        f"/incidents/{ref}/silence",
        data={"csrf": api.csrf(page), "matchers": "not a matcher", "hours": "4", "comment": ""},
    )
    assert bad.status_code == 422 and "not a matcher</textarea>" in bad.text


def test_live_partial_has_only_the_sections(api: Api) -> None:
    """The partial the page swaps in holds the live sections, not the layout; logged out: 401."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    assert api.client.get(f"/incidents/{ref}/partial/live").status_code == 401
    api.login("viewer")
    part = api.client.get(f"/incidents/{ref}/partial/live")
    assert part.status_code == 200 and part.headers["cache-control"] == "no-store"
    ids = re.findall(r'<section id="([^"]+)"[^>]*data-live-section', part.text)
    assert ids == [
        "inc-summary",
        "inc-roles",
        "inc-oncall",
        "inc-responders",
        "inc-alerts",
        "inc-runbooks",
        "inc-checklists",
        "inc-command-checklists",
        "inc-updates",
        "inc-timeline",
    ]
    assert "<header" not in part.text and "<html" not in part.text
    one = api.client.get(f"/incidents/{ref}/partial/timeline")
    assert one.status_code == 200 and re.findall(r'<section id="([^"]+)"', one.text) == [
        "inc-timeline"
    ]
    assert api.client.get(f"/incidents/{ref}/partial/nothing").status_code == 404


def test_timeline_is_shown_in_the_readers_language(api: Api) -> None:
    """Stored English messages of known kinds render in Portuguese; notes stay as written."""
    ref = api.open_incident(
        f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert(severity="critical")])
    )
    headers = api.headers("responder")
    api.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=headers)
    api.client.post(
        f"/api/v1/incidents/{ref}/notes", json={"text": "Rollback feito"}, headers=headers
    )
    api.client.post(
        f"/api/v1/incidents/{ref}/severity",
        json={"severity": "sev2", "reason": "menor"},
        headers=headers,
    )
    api.login("viewer")
    timeline = visible_text(page_section(page_html(api, ref, "?lang=pt-BR"), "inc-timeline"))
    assert "Incidente aberto: 5xx above 20%" in timeline
    assert "responder-u Reconhecido" in timeline
    assert "Rollback feito" in timeline
    assert "Severidade mudou de SEV1 para SEV2 (menor)" in timeline
    english = visible_text(page_section(page_html(api, ref, "?lang=en"), "inc-timeline"))
    assert (
        "responder-u Acknowledged" in english
        and "Severity changed from SEV1 to SEV2 (menor)" in english
    )
