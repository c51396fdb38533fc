"""The generated postmortem draft of a scripted incident: its timeline lines, the times to
detect / acknowledge / mitigate / resolve against the severity's targets, the changes of the
hour before and the runbooks, in English and Portuguese, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import Service
from plantao.changes import service as change_service
from plantao.changes.schemas import ChangeIn
from plantao.command import roles, updates
from plantao.command.update_schemas import StatusUpdateIn
from plantao.db import run_transaction
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.postmortems import blameless, drafting
from plantao.runbooks.models import RunbookLink
from tests.factories.config import apply_standard, integration
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import send_am


@dataclass(frozen=True)
class _OnCheckout:
    """The AM integration's id with the checkout service: changes recorded on checkout."""

    id: int
    service_id: int
    slug: str = "am"


def _at(frozen: datetime, minutes: int) -> None:
    clock.freeze(frozen + timedelta(minutes=minutes))


def _change(factory: sessionmaker[Session], summary: str, when: datetime, who: str) -> None:
    def work(s: Session) -> None:
        checkout = s.scalars(select(Service).where(Service.slug == "checkout")).one()
        where = _OnCheckout(integration(s, "am").id, checkout.id)
        change = ChangeIn(summary, "argocd", when, {"author": who})
        change_service.record(s, where, change, received_at=when)

    run_transaction(factory, work)


def _script(factory: sessionmaker[Session], frozen: datetime) -> int:
    """A Sev2 alert storm escalated to Sev1, worked and resolved over 90 minutes."""
    apply_standard(factory)
    _change(factory, "checkout v41 deployed", frozen - timedelta(minutes=40), "deploy-bot")
    _change(factory, "orders schema migration", frozen - timedelta(minutes=90), "ci")
    storm = [
        am_alert(
            fingerprint=f"fp{n:03d}",
            starts_at="2026-11-22T11:53:00Z",
            service="checkout",
            severity="error",
        )
        for n in range(30)
    ]
    sent = send_am(factory, am_webhook(storm))
    assert sent.created == 30
    _at(frozen, 2)
    later = [
        am_alert(
            fingerprint=f"late{n}",
            starts_at="2026-11-22T12:01:00Z",
            service="checkout",
            severity="error",
        )
        for n in range(5)
    ]
    send_am(factory, am_webhook(later))
    with factory() as s:
        incident_id = incident_service.get(s, sorted(sent.incidents)[0]).id

    def on(minutes: int, work: object) -> None:
        _at(frozen, minutes)

        def run(s: Session) -> None:
            incident = incident_service.get(s, incident_id, for_update=True)
            work(s, incident)  # type: ignore[operator]

        run_transaction(factory, run)

    on(3, lambda s, i: incident_service.act(s, i, Action.ACKNOWLEDGE, actor="ana"))
    on(4, lambda s, i: roles.assign(s, i, "comms_lead", roles.person(s, "ana"), actor="ana"))
    on(
        5,
        lambda s, i: updates.post(
            s,
            i,
            StatusUpdateIn.model_validate(
                {"status": "investigating", "impact": "EU checkouts fail"}
            ),
            actor="ana",
        ),
    )
    notes = {
        "fact": "5xx at 22% on checkout",
        "inference": "v41 may exhaust the pool",
        "action": "Rolled back to v40",
        "decision": "Freeze deploys for the day",
    }
    for offset, (kind, text) in enumerate(notes.items()):
        on(
            6 + offset,
            lambda s, i, k=kind, t=text: incident_service.add_note(
                s, i, actor="ana", text=t, kind=k
            ),
        )
    on(
        10,
        lambda s, i: incident_service.change_severity(
            s, i, actor="ana", new="sev1", reason="all EU"
        ),
    )
    on(11, lambda s, i: s.add(_runbook_link(i.id)))
    on(40, lambda s, i: incident_service.act(s, i, Action.MITIGATE, actor="ana"))
    on(90, lambda s, i: incident_service.act(s, i, Action.RESOLVE, actor="ana"))
    on(
        91,
        lambda s, i: updates.post(
            s,
            i,
            StatusUpdateIn.model_validate(
                {
                    "status": "resolved",
                    "impact": "EU checkouts failed for 40 minutes",
                    "resolution": {
                        "root_cause": "Connection pool too small for v41",
                        "fix": "Rolled back to v40",
                        "monitoring": "Pool saturation alarm",
                        "postmortem_at": (frozen + timedelta(days=2)).isoformat(),
                    },
                }
            ),
            actor="ana",
        ),
    )
    return incident_id


def _runbook_link(incident_id: int) -> RunbookLink:
    now = clock.now()
    return RunbookLink(
        incident_id=incident_id,
        ref="checkout-errors",
        runbook_id="checkout-errors",
        title="Checkout 5xx",
        source="annotation",
        why="",
        url="https://runbooks.example.com/checkout-errors",
        created_at=now,
        confirmed_at=now,
        confirmed_by="ana",
    )


def _draft(factory: sessionmaker[Session], incident_id: int, language: str) -> str:
    with factory() as s:
        return drafting.draft(s, incident_service.get(s, incident_id), language)


def test_draft_timeline_and_figures_in_english(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Lines come from real entries (the storm folded), figures meet or miss Sev1's targets."""
    incident_id = _script(factory, frozen)
    text = _draft(factory, incident_id, "en")
    lines = text.splitlines()
    assert "- 12:00 — 35 alerts attached (until 12:02); most frequent: HighErrorRate ×35" in lines
    assert "- 12:03 — Acknowledged by ana" in lines
    assert "- 12:04 — ana became Comms Lead (ana)" in lines
    assert "- 12:05 — Status update posted (investigating): EU checkouts fail (ana)" in lines
    assert "- 12:06 — Fact: 5xx at 22% on checkout (ana)" in lines
    assert "- 12:07 — Inference (not established fact): v41 may exhaust the pool (ana)" in lines
    assert "- 12:08 — Action: Rolled back to v40 (ana)" in lines
    assert "- 12:09 — Decision: Freeze deploys for the day (ana)" in lines
    assert "- 12:10 — Severity changed from sev2 to sev1: all EU (ana)" in lines
    assert "- 12:40 — Mitigated by ana" in lines
    assert "- 13:30 — Resolved by ana" in lines
    assert "| Time to detect | 7 min | — | — |" in lines
    assert "| Time to acknowledge | 3 min | 5 min | met |" in lines
    assert "| Time to mitigate | 40 min | 1 h 00 min | met |" in lines
    assert "| Time to resolve | 1 h 30 min | 1 h 00 min | missed |" in lines
    assert "- Detected through an alert (35 alert(s) attached)." in lines
    assert "- Duration (start to resolution): 1 h 37 min" in lines
    assert "- Severity over time: sev2 → sev1 (12:10)" in lines
    assert (
        "- 2026-11-22 11:20 UTC — checkout v41 deployed (by deploy-bot) [argocd] — Checkout"
        in lines
    )
    assert "orders schema migration" not in text
    assert (
        "- Checkout 5xx — https://runbooks.example.com/checkout-errors (confirmed by ana)" in lines
    )
    assert "Stated at resolution: Connection pool too small for v41" in lines
    assert "- Fix: Rolled back to v40" in lines
    assert "| ID | Action | Owner | Due | Status |" in lines
    assert blameless.lint(text, "en") == []


def test_draft_in_portuguese(factory: sessionmaker[Session], frozen: datetime) -> None:
    """The pt-BR draft words the same lines and figures in Portuguese."""
    incident_id = _script(factory, frozen)
    text = _draft(factory, incident_id, "pt-BR")
    lines = text.splitlines()
    assert "## Linha do tempo (UTC)" in lines
    assert "- 12:03 — Reconhecido por ana" in lines
    assert "- 12:04 — ana assumiu como Comms Lead (ana)" in lines
    assert "- 12:07 — Inferência (não é fato estabelecido): v41 may exhaust the pool (ana)" in lines
    assert "- 12:10 — Severidade alterada de sev2 para sev1: all EU (ana)" in lines
    assert "- 12:00 — 35 alertas anexados (até 12:02); mais frequentes: HighErrorRate ×35" in lines
    assert "| Tempo até detectar | 7 min | — | — |" in lines
    assert "| Tempo até reconhecer | 3 min | 5 min | cumprido |" in lines
    assert "| Tempo até resolver | 1 h 30 min | 1 h 00 min | não cumprido |" in lines
    assert "- Detectado por um alerta (35 alerta(s) anexado(s))." in lines
    assert any(line.startswith("- 2026-11-22 11:20 UTC — checkout v41 deployed") for line in lines)
    assert "### 5 porquês" in lines
    assert blameless.lint(text, "pt-BR") == []


def test_declared_incident_without_alerts_has_no_time_to_detect(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A customer-reported incident is detected by a customer; time to detect is n/a."""
    from plantao.incidents import declare

    apply_standard(factory)
    spec = declare.Declaration(
        title="Customers cannot pay",
        service="checkout",
        severity="sev3",
        category="customer_report",
    )
    incident_id = run_transaction(factory, lambda s: declare.declare(s, spec, actor="ana").id)
    text = _draft(factory, incident_id, "en")
    lines = text.splitlines()
    assert "- Detected through a customer report." in lines
    assert "| Time to detect | n/a | — | — |" in lines
    assert "| Time to acknowledge | not reached | 1 h 00 min | — |" in lines
    assert "- 12:00 — Incident declared by ana" in lines


def test_operator_template_overrides_the_shipped_one(
    factory: sessionmaker[Session],
    frozen: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A postmortem template in the operator's template directory replaces the shipped one."""
    from plantao.config import get_settings

    own = tmp_path / "postmortems" / "en"
    own.mkdir(parents=True)
    (own / "postmortem.md.j2").write_text(
        "# PM {{ incident.human_id }}\n"
        "{% for line in timeline %}{{ line.when }} {{ line.text }}\n{% endfor %}",
        encoding="utf-8",
    )
    monkeypatch.setenv("PLANTAO_NOTIFY_TEMPLATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        incident_id = _script(factory, frozen)
        text = _draft(factory, incident_id, "en")
        assert text.startswith("# PM INC-")
        assert "12:03 Acknowledged by ana" in text.splitlines()
        assert "## Timeline" not in text
        assert _draft(factory, incident_id, "pt-BR").startswith("# Postmortem — INC-")
    finally:
        get_settings.cache_clear()
