"""Learning from responders through the real intake, engine and services, on both databases:
confirmations, manual links and rejections are stored per alert family and move the next
incident's suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.incidents import declare
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.people.models import AuditEntry
from plantao.runbooks import feedback, library_access, linking
from plantao.runbooks.feedback_models import RunbookFeedback
from plantao.runbooks.feedback_weights import CAP
from plantao.runbooks.models import RunbookLink
from tests.factories.config import apply_standard
from tests.factories.feedback_pack import write_feedback_pack
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import incident, send_am

_serial = count(1)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        env="test",
        runbooks_dir=write_feedback_pack(tmp_path / "runbooks"),
        runbooks_workdir=tmp_path,
    )


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    return factory


def _open(db: sessionmaker[Session], settings: Settings, name: str = "DiskAlmostFull") -> int:
    """A new incident for one alert of family ``name`` (a new device each time)."""
    device = f"sd{next(_serial)}"
    alert = am_alert(name, summary="disk almost full on the node", device=device)
    result = send_am(db, am_webhook([alert], group_key=f"{name}:{device}"))
    EngineLoop(db, registry(settings)).run_once()
    return incident(db, sorted(result.incidents)[0]).id


def _scores(db: sessionmaker[Session], incident_id: int) -> dict[str, float]:
    with db() as s:
        rows = s.scalars(select(RunbookLink).where(RunbookLink.incident_id == incident_id))
        return {r.ref: r.score or 0.0 for r in rows if r.source == "suggestion"}


def _confirm(db: sessionmaker[Session], settings: Settings, incident_id: int, rid: str) -> None:
    rb = library_access.get_runbook(library_access.library(settings), rid)
    with db() as s:
        linking.confirm(s, s.get_one(Incident, incident_id), rb, actor="ana")
        s.commit()


def _reject(db: sessionmaker[Session], settings: Settings, incident_id: int, rid: str) -> None:
    rb = library_access.get_runbook(library_access.library(settings), rid)
    with db() as s:
        feedback.reject(s, s.get_one(Incident, incident_id), rb, actor="bia", reason="wrong disk")
        s.commit()


def _votes(db: sessionmaker[Session]) -> list[tuple[str, str, int, str, int | None]]:
    with db() as s:
        rows = s.scalars(select(RunbookFeedback).order_by(RunbookFeedback.id))
        return [(r.family, r.runbook_id, r.verdict, r.kind, r.incident_id) for r in rows]


def test_votes_are_recorded_per_family(db: sessionmaker[Session], settings: Settings) -> None:
    """Confirming a suggestion is a +1 confirm, confirming an unsuggested runbook a +1 link, a
    rejection a -1 reject; all stored under the alert family, once per incident and runbook."""
    first = _open(db, settings)
    assert set(_scores(db, first)) == {"node-disk-full", "volume-full"}
    _confirm(db, settings, first, "volume-full")
    _confirm(db, settings, first, "volume-full")  # confirmed already: no second vote
    _confirm(db, settings, first, "kafka-consumer-lag")
    _reject(db, settings, first, "node-disk-full")
    assert _votes(db) == [
        ("diskalmostfull", "volume-full", 1, "confirm", first),
        ("diskalmostfull", "kafka-consumer-lag", 1, "link", first),
        ("diskalmostfull", "node-disk-full", -1, "reject", first),
    ]


def test_rejection_hides_the_runbook_and_is_logged(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """A rejected suggestion leaves the incident's lists for its rejected list, with a timeline
    entry and an audit entry naming the reason; confirming it brings it back."""
    first = _open(db, settings)
    _reject(db, settings, first, "node-disk-full")
    with db() as s:
        out = linking.incident_runbooks(s, first)
        entries = [e for e in incident_service.timeline(s, first) if e.kind == "runbook.rejected"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "runbook.reject")).all()
    assert [r.runbook_id for r in out.suggested] == ["volume-full"]
    assert [r.runbook_id for r in out.rejected] == ["node-disk-full"]
    assert entries[0].actor == "bia" and "wrong disk" in entries[0].message
    assert [a.object_id for a in audit] == [str(first)]
    _confirm(db, settings, first, "node-disk-full")
    with db() as s:
        out = linking.incident_runbooks(s, first)
    assert out.rejected == []
    assert [r.runbook_id for r in out.linked] == ["node-disk-full"]
    assert [v[3] for v in _votes(db)] == ["confirm"]


def test_confirmation_raises_the_runbook_next_time(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """After one confirmation the next incident of the family scores the runbook higher, by
    less than the cap, and says why."""
    first = _open(db, settings)
    before = _scores(db, first)
    _confirm(db, settings, first, "volume-full")
    second = _open(db, settings)
    after = _scores(db, second)
    assert 0.05 < after["volume-full"] - before["volume-full"] <= CAP
    assert after["node-disk-full"] == pytest.approx(before["node-disk-full"])
    with db() as s:
        why = linking.incident_runbooks(s, second).suggested
    assert "feedback:+" in next(r.why for r in why if r.runbook_id == "volume-full")


def test_repeated_feedback_reorders_but_stays_bounded(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """Responders who keep picking the second runbook and rejecting the first swap them for
    later incidents of the family; no amount of votes moves a score by more than the cap."""
    first = _open(db, settings)
    before = _scores(db, first)
    assert before["node-disk-full"] > before["volume-full"]
    for _ in range(12):  # enough to saturate both adjustments near the cap
        incident_id = _open(db, settings)
        _confirm(db, settings, incident_id, "volume-full")
        _reject(db, settings, incident_id, "node-disk-full")
        clock.advance(timedelta(hours=1))
    later = _scores(db, _open(db, settings))
    assert later["volume-full"] > later.get("node-disk-full", 0.0)
    assert later["volume-full"] - before["volume-full"] <= CAP + 1e-6


def test_enough_hand_links_suggest_a_runbook_with_no_shared_word(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """A runbook sharing no word with the alert, linked by hand on one incident, is still not
    suggested for the next; linked on several, it is, and says it is because of feedback."""
    first = _open(db, settings)
    assert "kafka-consumer-lag" not in _scores(db, first)
    _confirm(db, settings, first, "kafka-consumer-lag")
    assert "kafka-consumer-lag" not in _scores(db, _open(db, settings))
    for _ in range(6):
        _confirm(db, settings, _open(db, settings), "kafka-consumer-lag")
    later = _open(db, settings)
    assert "kafka-consumer-lag" in _scores(db, later)
    with db() as s:
        shown = linking.incident_runbooks(s, later).suggested
    why = next(r.why for r in shown if r.runbook_id == "kafka-consumer-lag")
    assert why.startswith("feedback:+")


def test_feedback_stays_within_its_family(db: sessionmaker[Session], settings: Settings) -> None:
    """Votes cast on one alert family change nothing for an alert of another family."""
    for _ in range(3):
        _reject(db, settings, _open(db, settings, "DiskAlmostFull"), "node-disk-full")
    other = _open(db, settings, "NodeFilesystemAlmostFull")
    with db() as s:
        assert feedback.weights_for(s, "nodefilesystemalmostfull") == {}
        assert feedback.weights_for(s, "diskalmostfull")["node-disk-full"] < 0
        shown = linking.incident_runbooks(s, other).suggested
    assert "node-disk-full" in [r.runbook_id for r in shown]
    assert all("feedback:" not in r.why for r in shown)


def test_an_incident_declared_by_hand_hides_and_restores(
    db: sessionmaker[Session], settings: Settings
) -> None:
    """An incident with no alert (declared by hand) teaches no family, yet a rejection hides
    the runbook there and a later confirmation brings it back."""
    spec = declare.Declaration(title="Disk trouble", service="checkout", severity="sev3")
    incident_id = run_transaction(db, lambda s: declare.declare(s, spec, actor="carla").id)
    _reject(db, settings, incident_id, "volume-full")
    with db() as s:
        assert feedback.rejected_on(s, incident_id) == {"volume-full"}
        assert feedback.weights_for(s, "") == {}
    _confirm(db, settings, incident_id, "volume-full")
    with db() as s:
        out = linking.incident_runbooks(s, incident_id)
    assert out.rejected == []
    assert [r.runbook_id for r in out.linked] == ["volume-full"]
    assert [(v[0], v[3]) for v in _votes(db)] == [("", "link")]


def test_votes_decay_with_age(db: sessionmaker[Session], settings: Settings) -> None:
    """A vote counts less as it ages and is not read at all past the horizon."""
    _confirm(db, settings, _open(db, settings), "volume-full")
    with db() as s:
        fresh = feedback.weights_for(s, "diskalmostfull")["volume-full"]
    clock.advance(timedelta(days=30))
    with db() as s:
        aged = feedback.weights_for(s, "diskalmostfull")["volume-full"]
    assert 0 < aged < fresh
    clock.advance(feedback.HORIZON)
    with db() as s:
        assert feedback.weights_for(s, "diskalmostfull") == {}
