"""Audit entries for on-call changes, on both databases: overrides created and deleted, silences
and maintenance windows created and ended, and schedules, policies, service policies and the
file's maintenance windows changed by ``plantao apply``; each names who, via what and from
where, with the object before and after, and is written in the change's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import session_scope
from plantao.oncall import service as oncall_service
from plantao.oncall import window_store
from plantao.people.actor import AuditActor
from plantao.people.models import AuditEntry
from tests.factories.config import apply_config, apply_standard
from tests.factories.oncall import ONCALL

ANA = AuditActor(handle="ana", user_id=None, via="session", source="198.51.100.4")
OPERATOR = AuditActor(handle="cli:ops", via="cli")


def entries(factory: sessionmaker[Session], prefix: str = "") -> list[AuditEntry]:
    with session_scope(factory) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        return [e for e in session.scalars(query) if e.action.startswith(prefix)]


def _oncall(factory: sessionmaker[Session]) -> None:
    apply_standard(factory)
    apply_config(factory, ONCALL)


def test_override_created_and_deleted_are_audited(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """override.create has the override as after, override.delete has it as before; both name
    the person, how they came and from where."""
    _oncall(factory)
    with session_scope(factory) as session:
        row = oncall_service.add_override(
            session,
            "primary",
            kind="replace",
            start=frozen + timedelta(hours=1),
            end=frozen + timedelta(hours=3),
            user="carla",
            replaces="ana",
            actor=ANA,
        )
        override_id = row.id
    [created] = entries(factory, "override.")
    assert (created.action, created.object_type, created.object_id) == (
        "override.create",
        "override",
        str(override_id),
    )
    assert (created.actor, created.via, created.source, created.at) == (
        "ana",
        "session",
        "198.51.100.4",
        frozen,
    )
    assert created.before is None
    assert created.after == {
        "schedule": "primary",
        "kind": "replace",
        "start": "2026-11-22T13:00:00+00:00",
        "end": "2026-11-22T15:00:00+00:00",
        "user": "carla",
        "replaces": "ana",
        "layer": None,
        "created_by": "ana",
    }
    with session_scope(factory) as session:
        oncall_service.delete_override(session, "primary", override_id, actor=OPERATOR)
    _, deleted = entries(factory, "override.")
    assert (deleted.action, deleted.actor, deleted.via) == ("override.delete", "cli:ops", "cli")
    assert deleted.before == created.after and deleted.after is None


def test_a_rolled_back_override_leaves_no_entry(factory: sessionmaker[Session]) -> None:
    """The entry is part of the change's transaction: rolling the change back removes both."""
    _oncall(factory)
    session = factory()
    try:
        start = datetime(2026, 11, 23, 12, tzinfo=UTC)
        oncall_service.add_override(
            session,
            "primary",
            kind="add",
            start=start,
            end=start + timedelta(hours=1),
            user="dora",
            actor=ANA,
        )
        session.flush()
        assert session.scalars(select(AuditEntry).where(AuditEntry.actor == "ana")).all()
        session.rollback()
    finally:
        session.close()
    assert entries(factory, "override.") == []


def test_silence_and_window_created_and_ended_are_audited(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A matchers-only silence is audited as silence.create/end, one naming services as
    maintenance_window.create/end; the end entry shows ended_at before and after."""
    _oncall(factory)
    with session_scope(factory) as session:
        silence = window_store.create(
            session,
            name="disk",
            starts_at=None,
            ends_at=frozen + timedelta(hours=2),
            services=[],
            matchers=['alertname="DiskFull"'],
            comment="swap",
            actor=ANA,
        )
        window = window_store.create(
            session,
            name="db upgrade",
            starts_at=frozen + timedelta(days=1),
            ends_at=frozen + timedelta(days=1, hours=2),
            services=["checkout"],
            matchers=[],
            comment="",
            actor=ANA,
        )
        ids = (silence.id, window.id)
    with session_scope(factory) as session:
        window_store.end(session, ids[0], OPERATOR)
        window_store.end(session, ids[1], OPERATOR)
    found = [(e.action, e.object_type, e.object_id, e.actor) for e in entries(factory)]
    assert found[-4:] == [
        ("silence.create", "silence", str(ids[0]), "ana"),
        ("maintenance_window.create", "maintenance_window", str(ids[1]), "ana"),
        ("silence.end", "silence", str(ids[0]), "cli:ops"),
        ("maintenance_window.end", "maintenance_window", str(ids[1]), "cli:ops"),
    ]
    created = entries(factory, "silence.create")[0]
    assert created.after is not None
    assert created.after["matchers"] == ['alertname="DiskFull"']
    assert created.after["ends_at"] == "2026-11-22T14:00:00+00:00"
    assert created.after["created_by"] == "ana" and created.after["comment"] == "swap"
    ended = entries(factory, "maintenance_window.end")[0]
    assert ended.before is not None and ended.after is not None
    assert ended.before["ended_at"] is None
    assert ended.after["ended_at"] == frozen.isoformat()
    assert ended.after["services"] == ["checkout"]


def test_config_apply_audits_schedules_policies_and_windows(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Applying the on-call document writes schedule, policy and service-policy entries with
    the object before and after, in the name of whoever ran the apply; applying it again writes
    none; a changed layer or step is an update with both sides; the file's windows are
    created, updated and deleted with entries too."""
    apply_standard(factory)
    window = """maintenance_windows:
  - {name: backup, start: 2026-12-01T02:00:00Z, end: 2026-12-01T03:00:00Z, services: [checkout]}
"""
    with session_scope(factory) as session:
        config_service.apply(session, load_text(ONCALL + window), actor=OPERATOR)
    created = {(e.action, e.object_id) for e in entries(factory) if e.actor == "cli:ops"}
    assert {
        ("schedule.create", "primary"),
        ("schedule.create", "secondary"),
        ("schedule.create", "future"),
        ("policy.create", "payments"),
        ("service_policy.create", "checkout"),
        ("maintenance_window.create", "backup"),
    } <= created
    [primary] = [e for e in entries(factory, "schedule.create") if e.object_id == "primary"]
    assert primary.before is None and primary.after is not None
    assert primary.after["time_zone"] == "America/Sao_Paulo"
    assert primary.after["layers"][0]["rotation"]["participants"] == ["ana", "bruno"]
    [service] = entries(factory, "service_policy.")
    assert (service.before, service.after) == (
        {"escalation_policy": None},
        {"escalation_policy": "payments"},
    )
    count = len(entries(factory))
    apply_config(factory, ONCALL + window)
    assert len(entries(factory, "schedule.")) == 3 and len(entries(factory, "policy.")) == 1
    assert [e.action for e in entries(factory)[count:]] == []

    changed = ONCALL.replace("participants: [ana, bruno]", "participants: [bruno, ana]").replace(
        "{delay: 30m, targets: [{user: carla}]}", "{delay: 20m, targets: [{user: carla}]}"
    ) + window.replace("03:00:00Z", "04:00:00Z")
    assert changed != ONCALL + window
    apply_config(factory, changed)
    [schedule] = entries(factory, "schedule.update")
    assert (schedule.object_id, schedule.actor, schedule.via) == ("primary", "config", "config")
    assert schedule.before is not None and schedule.after is not None
    assert schedule.before["layers"][0]["rotation"]["participants"] == ["ana", "bruno"]
    assert schedule.after["layers"][0]["rotation"]["participants"] == ["bruno", "ana"]
    [policy] = entries(factory, "policy.update")
    assert policy.before is not None and policy.after is not None
    assert policy.before["body"]["steps"][2]["delay_seconds"] == 1800
    assert policy.after["body"]["steps"][2]["delay_seconds"] == 1200
    [window_update] = entries(factory, "maintenance_window.update")
    assert window_update.before is not None and window_update.after is not None
    assert window_update.before["ends_at"] == "2026-12-01T03:00:00+00:00"
    assert window_update.after["ends_at"] == "2026-12-01T04:00:00+00:00"

    without = changed.replace(window.replace("03:00:00Z", "04:00:00Z"), "")
    apply_config(factory, without + "maintenance_windows: []\n")
    [gone] = entries(factory, "maintenance_window.delete")
    assert gone.object_id == "backup" and gone.after is None
    assert gone.before is not None and gone.before["services"] == ["checkout"]
