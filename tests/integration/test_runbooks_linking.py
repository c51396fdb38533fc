"""Runbooks in incidents: linking on intake (annotation, matchers, suggestions), one link job
for many incidents, triage, checklists, risk posture and the coverage KPI, through the real
services and engine."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.incidents import service as incident_service
from plantao.incidents.models import TimelineEntry
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.runbooks import checklists, coverage, library_access, linking, posture
from plantao.runbooks.models import RunbookLink
from tests.factories.config import apply_standard
from tests.factories.notify import open_incidents
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.runbooks import write_pack
from tests.integration.helpers import incident, send_am


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        env="test",
        runbooks_dir=write_pack(tmp_path / "runbooks"),
        runbooks_workdir=tmp_path,
    )


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    return factory


def _engine(db: sessionmaker[Session], settings: Settings) -> int:
    return EngineLoop(db, registry(settings)).run_once()


def _links(db: sessionmaker[Session], incident_id: int) -> dict[str, RunbookLink]:
    with db() as s:
        rows = s.scalars(select(RunbookLink).where(RunbookLink.incident_id == incident_id))
        return {r.ref: r for r in rows}


def _timeline(db: sessionmaker[Session], incident_id: int) -> list[TimelineEntry]:
    with db() as s:
        return incident_service.timeline(s, incident_id)


def _open(db: sessionmaker[Session], settings: Settings, alert: dict[str, object]) -> int:
    result = send_am(db, am_webhook([alert], group_key=str(alert["labels"])))
    assert _engine(db, settings) >= 1
    return incident(db, sorted(result.incidents)[0]).id


def test_matchers_link_runbook_with_version(db: sessionmaker[Session], settings: Settings) -> None:
    """An alert selected by a runbook's matchers links it (source matcher, exact version)."""
    incident_id = _open(db, settings, am_alert("CheckoutErrors", summary="checkout 5xx"))
    links = _links(db, incident_id)
    assert set(links) == {"checkout-errors"}
    link = links["checkout-errors"]
    assert link.source == "matcher"
    assert (
        link.version
        == library_access.get_runbook(library_access.library(settings), "checkout-errors").version
    )
    assert len(link.version or "") == 64
    assert "runbook.linked" in [e.kind for e in _timeline(db, incident_id)]


def test_runbook_url_annotation_is_honoured(db: sessionmaker[Session], settings: Settings) -> None:
    """A runbook_url naming a library runbook links it; an external URL is kept as a link."""
    alert = am_alert("VolumeFull", summary="volume full")
    alert["annotations"]["runbook_url"] = "https://git.example/runbooks/disk-full.md"
    incident_id = _open(db, settings, alert)
    link = _links(db, incident_id)["disk-full"]
    assert (link.source, link.runbook_id, link.url) == (
        "annotation",
        "disk-full",
        "https://git.example/runbooks/disk-full.md",
    )
    other = am_alert("Elsewhere", summary="x", instance="b")
    other["annotations"]["runbook_url"] = "https://wiki.example/pages/42"
    other_id = _open(db, settings, other)
    external = _links(db, other_id)["https://wiki.example/pages/42"]
    assert (external.source, external.runbook_id) == ("annotation", None)


def test_unmatched_alert_gets_suggestions(db: sessionmaker[Session], settings: Settings) -> None:
    """Without matchers or runbook_url, the best suggestions are stored with score and why."""
    incident_id = _open(
        db,
        settings,
        am_alert(
            "KafkaConsumerLagHigh",
            summary="kafka consumer lag growing on orders topic",
            topic="orders",
        ),
    )
    links = _links(db, incident_id)
    assert "kafka-consumer-lag" in links
    link = links["kafka-consumer-lag"]
    assert link.source == "suggestion" and (link.score or 0) > 0.2 and "kafka" in link.why
    with db() as s:
        out = linking.incident_runbooks(s, incident_id)
    assert out.linked == [] and out.suggested[0].runbook_id == "kafka-consumer-lag"


def test_unrelated_alert_gets_no_runbook(db: sessionmaker[Session], settings: Settings) -> None:
    """An alert the library knows nothing about gets no link and no suggestion."""
    incident_id = _open(
        db,
        settings,
        am_alert("CoffeeMachineEmpty", summary="the office espresso machine needs beans"),
    )
    assert _links(db, incident_id) == {}


def test_later_alerts_add_links_deduplicated(db: sessionmaker[Session], settings: Settings) -> None:
    """A second alert in the same incident adds its runbooks; a repeat adds nothing."""
    first = am_alert("CheckoutErrors", summary="checkout 5xx", service="checkout")
    send_am(db, am_webhook([first]))
    second = am_alert("CheckoutErrors", summary="checkout 5xx", service="checkout", instance="b")
    second["annotations"]["runbook_url"] = "https://git.example/disk-full"
    result = send_am(db, am_webhook([first, second]))
    assert result.created == 1
    EngineLoop(db, registry(settings)).run_once()
    incident_id = incident(db, sorted(result.incidents)[0]).id
    assert set(_links(db, incident_id)) == {"checkout-errors", "disk-full"}
    send_am(db, am_webhook([first, second]))  # dedup path: no new job
    assert _engine(db, settings) == 0


def test_triage_attached_and_checks_on_timeline(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """Every new incident gets the triage checklist; checks and risk posture are on the
    timeline with actor and time."""
    incident_id = _open(db, settings, am_alert("CoffeeMachineEmpty", summary="beans"))
    with db() as s:
        [triage] = checklists.checklists(s, incident_id)
    assert triage.kind == "triage" and len(triage.items) == 6
    item = triage.items[0]
    clock.advance(timedelta(minutes=1))

    def check(s: Session) -> None:
        inc = incident_service.get(s, incident_id, for_update=True)
        checklists.set_item(s, inc, triage.id, item.id, checked=True, actor="ana")
        posture.record_risk(s, inc, level="high", rationale="data may leak", actor="bruno")

    run_transaction(db, check)
    with db() as s:
        [again] = checklists.checklists(s, incident_id)
    assert again.items[0].checked_by == "ana" and again.items[0].checked_at == clock.now()
    entries = {e.kind: e for e in _timeline(db, incident_id)}
    assert entries["checklist.checked"].actor == "ana"
    assert entries["checklist.checked"].at == clock.now()
    assert entries["risk.posture"].actor == "bruno"
    assert entries["risk.posture"].data["level"] == "high"

    def uncheck(s: Session) -> None:
        inc = incident_service.get(s, incident_id, for_update=True)
        checklists.set_item(s, inc, triage.id, item.id, checked=False, actor="ana")

    run_transaction(db, uncheck)
    assert "checklist.unchecked" in [e.kind for e in _timeline(db, incident_id)]


def test_checklist_from_runbook(db: sessionmaker[Session], settings: Settings) -> None:
    """A runbook's steps become an incident checklist pinned to the runbook version."""
    incident_id = _open(db, settings, am_alert("CheckoutErrors"))
    rb = library_access.get_runbook(library_access.library(settings), "checkout-errors")

    def attach(s: Session) -> int:
        inc = incident_service.get(s, incident_id, for_update=True)
        return checklists.attach_runbook_checklist(s, inc, rb, actor="ana").id

    cid = run_transaction(db, attach)
    assert run_transaction(db, attach) == cid  # idempotent
    with db() as s:
        lists = {c.kind: c for c in checklists.checklists(s, incident_id)}
    steps = lists["runbook"]
    assert steps.runbook_version == rb.version
    assert [i.text for i in steps.items] == [
        "Look at the error graph.",
        "Check the last deploy.",
        "Roll back.",
    ]
    assert [i.section for i in steps.items] == ["diagnosis", "diagnosis", "mitigation"]


def test_coverage_counts(db: sessionmaker[Session], settings: Settings) -> None:
    """Coverage = share of incidents with a confirmed runbook; none = nothing linked at all."""
    linked = _open(db, settings, am_alert("CheckoutErrors"))
    _open(db, settings, am_alert("KafkaConsumerLagHigh", summary="kafka consumer lag growing"))
    _open(db, settings, am_alert("CoffeeMachineEmpty", summary="beans"))
    rb = library_access.get_runbook(library_access.library(settings), "checkout-errors")

    def confirm(s: Session) -> None:
        linking.confirm(s, incident_service.get(s, linked, for_update=True), rb, actor="ana")

    run_transaction(db, confirm)
    with db() as s:
        kpi = coverage.coverage(s, since=clock.now() - timedelta(hours=1), until=None)
        empty = coverage.coverage(s, since=clock.now() + timedelta(hours=1), until=None)
    assert (kpi.incidents, kpi.with_confirmed_runbook, kpi.without_confirmed_runbook) == (3, 1, 2)
    assert kpi.without_any_runbook == 1 and kpi.coverage == pytest.approx(1 / 3, abs=1e-3)
    assert (empty.incidents, empty.coverage) == (0, None)
    confirmed = [e for e in _timeline(db, linked) if e.kind == "runbook.confirmed"]
    assert confirmed[0].actor == "ana"
    assert confirmed[0].message == f"Confirmed runbook checkout-errors v{rb.short_version}"


# -- one runbooks.link job for many incidents ----------------------------------------------

Alert = tuple[dict[str, str], dict[str, str]]

# One incident per entry, covering every outcome: matcher, runbook_url naming a runbook,
# external URL, suggestion, nothing at all, and a suggestion upgraded by a later matcher.
CASES: list[list[Alert]] = [
    [({"alertname": "CheckoutErrors"}, {"summary": "checkout 5xx"})],
    [
        (
            {"alertname": "VolumeFull"},
            {"summary": "volume full", "runbook_url": "https://git.example/disk-full.md"},
        )
    ],
    [({"alertname": "Elsewhere"}, {"runbook_url": "https://wiki.example/pages/42"})],
    [
        (
            {"alertname": "KafkaConsumerLagHigh", "topic": "orders"},
            {"summary": "kafka consumer lag growing on orders topic"},
        )
    ],
    [({"alertname": "CoffeeMachineEmpty"}, {"summary": "the espresso machine needs beans"})],
    [
        ({"alertname": "CheckoutSlow"}, {"summary": "checkout returns errors, payments fail"}),
        ({"alertname": "CheckoutErrors"}, {"summary": "checkout 5xx"}),
    ],
]


Snapshot = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _snapshot(db: sessionmaker[Session], incident_id: int) -> Snapshot:
    """What linking leaves on one incident, without ids that differ between incidents."""
    with db() as s:
        links = sorted(
            (r.ref, r.runbook_id, r.lang, r.version, r.title, r.source, r.score, r.why, r.url)
            for r in s.scalars(select(RunbookLink).where(RunbookLink.incident_id == incident_id))
        )
        lists = [
            (c.kind, c.title, c.lang, [(i.key, i.text, i.section) for i in c.items])
            for c in checklists.checklists(s, incident_id)
        ]
        entries = [
            (e.kind, e.actor, e.message, {k: v for k, v in e.data.items() if k != "checklist_id"})
            for e in incident_service.timeline(s, incident_id)
        ]
    return links, lists, entries


def _link_jobs(db: sessionmaker[Session]) -> list[Job]:
    with db() as s:
        return list(s.scalars(select(Job).where(Job.kind == linking.LINK_JOB).order_by(Job.id)))


def _drain(db: sessionmaker[Session], settings: Settings) -> None:
    while _engine(db, settings):
        pass
    assert {j.state for j in _link_jobs(db)} <= {"done"}


def test_one_job_for_many_incidents_links_as_one_job_each(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """One batched job links each incident exactly as one old-shape job per incident does."""
    batched = open_incidents(db, len(CASES))
    single = open_incidents(db, len(CASES))
    deleted = 10_000_000  # an incident deleted before its job ran is skipped

    def schedule(s: Session) -> None:
        linking.schedule_linking_many(s, [*zip(batched, CASES, strict=True), (deleted, CASES[0])])

    run_transaction(db, schedule)
    [job] = _link_jobs(db)
    assert [e["incident_id"] for e in job.payload["incidents"]] == [*batched, deleted]

    def old_shape(s: Session) -> None:
        for incident_id, alerts in zip(single, CASES, strict=True):
            payload = [{"labels": labels, "annotations": notes} for labels, notes in alerts]
            job_service.enqueue(
                s, linking.LINK_JOB, {"incident_id": incident_id, "alerts": payload}
            )

    run_transaction(db, old_shape)
    _drain(db, settings)
    together = [_snapshot(db, i) for i in batched]
    assert together == [_snapshot(db, i) for i in single]
    kinds = [{link[0]: link[5] for link in links} for links, _, _ in together]
    assert kinds[0] == {"checkout-errors": "matcher"}
    assert kinds[1] == {"disk-full": "annotation"}
    assert kinds[2] == {"https://wiki.example/pages/42": "annotation"}
    assert kinds[3]["kafka-consumer-lag"] == "suggestion"
    assert kinds[4] == {}
    assert kinds[5]["checkout-errors"] == "matcher"
    assert all([kind for kind, *_ in lists] == ["triage"] for _, lists, _ in together)
    with db() as s:
        kpi = coverage.coverage(s, since=None, until=None)
    assert kpi.without_any_runbook == 2  # the espresso machine, once per way of linking


def test_batched_job_run_twice_links_once(db: sessionmaker[Session], settings: Settings) -> None:
    """Re-running a batched job adds no link, checklist or timeline entry; a later job's
    runbook_url upgrades a stored suggestion in place, without a second timeline entry."""
    ids = open_incidents(db, len(CASES))
    run_transaction(
        db, lambda s: linking.schedule_linking_many(s, list(zip(ids, CASES, strict=True)))
    )
    _drain(db, settings)
    before = [_snapshot(db, i) for i in ids]
    [job] = _link_jobs(db)
    claimed = Claimed(job.id, job.kind, job.payload, 2, "test")
    linking.link_job(db, claimed, settings)
    assert [_snapshot(db, i) for i in ids] == before

    kafka = ids[3]
    suggested = _links(db, kafka)["kafka-consumer-lag"]
    assert suggested.source == "suggestion"
    url = {"runbook_url": "https://git.example/runbooks/kafka-consumer-lag"}
    alerts = [
        {"labels": {"alertname": "KafkaConsumerLagHigh"}, "annotations": url},
        {"labels": {"alertname": "CheckoutErrors"}, "annotations": {}},
    ]
    later = {"incidents": [{"incident_id": kafka, "alerts": alerts}]}
    linking.link_job(db, Claimed(job.id, job.kind, later, 3, "test"), settings)
    links = _links(db, kafka)
    upgraded = links["kafka-consumer-lag"]
    assert (upgraded.id, upgraded.source, upgraded.score) == (suggested.id, "annotation", None)
    assert links["checkout-errors"].source == "matcher"
    timeline = [e.kind for e in _timeline(db, kafka)]
    assert timeline.count("checklist.attached") == 1
    assert timeline.count("runbook.linked") == 1  # checkout-errors, new; the upgrade adds none


def test_linking_is_chunked(
    db: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs hold at most LINK_CHUNK incidents and stop growing at LINK_CHUNK_ALERTS alerts;
    incidents without new alerts get no entry."""
    monkeypatch.setattr(linking, "LINK_CHUNK", 2)
    monkeypatch.setattr(linking, "LINK_CHUNK_ALERTS", 3)
    one, three = CASES[0], CASES[0] * 3
    batches = [(1, three), (2, []), (3, one), (4, one), (5, one)]
    run_transaction(db, lambda s: linking.schedule_linking_many(s, batches))
    chunks = [[e["incident_id"] for e in j.payload["incidents"]] for j in _link_jobs(db)]
    assert chunks == [[1], [3, 4], [5]]
