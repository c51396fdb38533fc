"""Status updates fanned out to stakeholders: one outbox row per target, once, for the right
audience (scope, min_severity, private incidents), and sent through the outbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import Service
from plantao.command import stakeholders, updates
from plantao.command.models import StatusUpdate
from plantao.command.update_schemas import StatusUpdateIn
from plantao.config import Settings
from plantao.db import run_transaction, session_scope
from plantao.engine import comms_fanout
from plantao.engine.delivery_step import DeliveryStep
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, IncidentResponder, TimelineEntry
from plantao.notify import addressed
from plantao.notify.models import Delivery
from plantao.notify.signing import verify_signature
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec
from plantao.people.directory import by_handle
from plantao.people.models import User
from tests.factories.config import apply_standard
from tests.factories.notify import (
    WEBHOOK_SECRET,
    WebhookReceiver,
    deliver,
    give_contacts,
    open_incidents,
)
from tests.factories.people import make_user

SETTINGS = Settings(env="test", base_url="http://plantao.test")
Spec = stakeholders.StakeholderSpec


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def _add(factory: sessionmaker[Session], *specs: Spec) -> None:
    def work(s: Session) -> None:
        for spec in specs:
            stakeholders.create(s, spec, actor="test")

    run_transaction(factory, work)


def _post(factory: sessionmaker[Session], incident_id: int, status: str = "investigating") -> int:
    def work(s: Session) -> int:
        incident = incident_service.get(s, incident_id, for_update=True)
        body = StatusUpdateIn.model_validate(
            {"status": status, "impact": "Checkout fails for 20% of users"}
        )
        return updates.post(s, incident, body, actor="ana").id

    return run_transaction(factory, work)


def _fan_out(factory: sessionmaker[Session]) -> int:
    return run_transaction(factory, lambda s: comms_fanout.fan_out(s, SETTINGS))


def _messages(factory: sessionmaker[Session]) -> list[Delivery]:
    with session_scope(factory) as s:
        rows = list(
            s.scalars(select(Delivery).where(Delivery.kind == "message").order_by(Delivery.id))
        )
        s.expunge_all()
        return rows


def _checkout(factory: sessionmaker[Session]) -> str:
    with session_scope(factory) as s:
        first = s.scalars(select(Service.slug).order_by(Service.id)).first()
        assert first is not None
        return first


def test_one_delivery_per_target_in_each_stakeholders_language(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Global list, service channel, team user (two contact methods) get one row each per
    target, in their language; another service's stakeholder gets nothing; marked fanned out."""
    apply_standard(factory)
    give_contacts(
        factory,
        [
            ContactMethodSpec("mail", "email", "ana@example.com"),
            ContactMethodSpec("hook", "webhook", "https://hooks.example.com/ana", WEBHOOK_SECRET),
        ],
    )
    slug = _checkout(factory)
    _add(
        factory,
        Spec("global", "", "exec list", "email", address="exec@example.com"),
        Spec(
            "service", slug, "ops", "slack", address="https://hooks.slack.test/x", language="pt-BR"
        ),
        Spec("team", "sre", "ana", "user", user="ana"),
        Spec("service", "orders", "orders list", "email", address="orders@example.com"),
    )
    [incident] = open_incidents(factory, 1)
    update_id = _post(factory, incident)
    assert _fan_out(factory) == 1
    rows = _messages(factory)
    by_key = {r.idempotency_key: r for r in rows}
    assert len(rows) == 4
    assert {r.channel for r in rows} == {"email", "slack", "webhook"}
    email = next(r for r in rows if r.address == "exec@example.com")
    slack = next(r for r in rows if r.channel == "slack")
    assert email.user_id is None and email.contact_method_id is None
    assert "Impact:" in email.text and "Impacto:" in slack.text
    assert email.subject.startswith("[STATUS]") and email.incident_ref in email.subject
    ana = [r for r in rows if r.user_id is not None]
    assert len(ana) == 2 and all(r.contact_method_id for r in ana)
    assert all(k.startswith(f"update:{update_id}:") for k in by_key)
    assert "orders@example.com" not in {r.address for r in rows}
    with session_scope(factory) as s:
        assert s.get(StatusUpdate, update_id).fanned_out_at == clock.now()  # type: ignore[union-attr]
        entry = s.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == comms_fanout.FANNED_OUT)
        ).one()
        assert entry.data["stakeholders"] == 3 and entry.data["messages"] == 4
    assert _fan_out(factory) == 0


def test_replaying_an_update_writes_nothing_twice(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """An update fanned out again (fanned_out_at reset) writes no second row: the keys hold."""
    apply_standard(factory)
    _add(factory, Spec("global", "", "exec", "email", address="exec@example.com"))
    [incident] = open_incidents(factory, 1)
    _post(factory, incident)
    _fan_out(factory)
    run_transaction(factory, lambda s: s.execute(update(StatusUpdate).values(fanned_out_at=None)))
    assert _fan_out(factory) == 1
    assert len(_messages(factory)) == 1


def test_private_incident_reaches_only_responders_and_admins(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A private incident's update goes to user stakeholders who are responders or admins;
    no e-mail list, no channel, no other person."""
    apply_standard(factory)
    with session_scope(factory) as s:
        make_user(s, "bob")
        make_user(s, "root", global_role="admin")
    rule = [NotificationRuleSpec("mail")]
    for handle in ("ana", "bob", "root"):
        give_contacts(
            factory,
            [ContactMethodSpec("mail", "email", f"{handle}@example.com")],
            rule,
            handle=handle,
        )
    _add(
        factory,
        Spec("global", "", "list", "email", address="all@example.com"),
        Spec("team", "sre", "chat", "mattermost", address="https://mm.example.com/hooks/x"),
        *(Spec("team", "sre", h, "user", user=h) for h in ("ana", "bob", "root")),
    )
    [incident] = open_incidents(factory, 1)

    def make_private(s: Session) -> None:
        row = s.get(Incident, incident)
        user = by_handle(s, "ana")
        assert row is not None and user is not None
        row.private = True
        s.add(
            IncidentResponder(
                incident_id=incident, user_id=user.id, added_by="t", added_at=clock.now()
            )
        )

    run_transaction(factory, make_private)
    _post(factory, incident)
    _fan_out(factory)
    rows = _messages(factory)
    assert all(r.address is None for r in rows)
    with session_scope(factory) as s:
        handles = {s.get(User, r.user_id).handle for r in rows}  # type: ignore[union-attr]
    assert handles == {"ana", "root"}


def test_min_severity_filters_the_audience(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A stakeholder at min_severity sev2 hears of sev1 and sev2 incidents, not of sev3."""
    apply_standard(factory)
    _add(
        factory, Spec("global", "", "execs", "email", address="x@example.com", min_severity="sev2")
    )
    sev3 = open_incidents(factory, 1, severity="sev3")[0]
    sev2 = open_incidents(factory, 1, severity="sev2")[0]
    sev1 = open_incidents(factory, 1, severity="sev1")[0]
    for incident in (sev3, sev2, sev1):
        _post(factory, incident)
    assert _fan_out(factory) == 3
    assert sorted(r.incident_id or 0 for r in _messages(factory)) == sorted([sev2, sev1])


def test_sev1_speaks_the_p0_messages(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Sev1's first update renders p0_initial, the next p0_update, a resolution p0_resolution."""
    assert comms_fanout.template_for("sev1", "initial") == "p0_initial"
    assert comms_fanout.template_for("sev1", "update") == "p0_update"
    assert comms_fanout.template_for("sev1", "resolution") == "p0_resolution"
    assert comms_fanout.template_for("sev2", "resolution") == "status_update"
    apply_standard(factory)
    _add(factory, Spec("global", "", "execs", "email", address="x@example.com"))
    [incident] = open_incidents(factory, 1, severity="sev1")
    _post(factory, incident)
    _post(factory, incident, "identified")
    _fan_out(factory)
    first, second = _messages(factory)
    assert first.subject != second.subject or first.text != second.text
    assert first.severity == "sev1" and first.urgency == "high"


def test_two_engines_fan_out_each_update_once(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Two engines fanning out 30 updates at once write each target's row exactly once."""
    apply_standard(factory)
    _add(
        factory,
        Spec("global", "", "a", "email", address="a@example.com"),
        Spec("global", "", "b", "slack", address="https://hooks.slack.test/b"),
    )
    incidents = open_incidents(factory, 30)
    for incident in incidents:
        _post(factory, incident)
    errors: list[BaseException] = []

    def engine() -> None:
        try:
            while run_transaction(factory, lambda s: comms_fanout.fan_out(s, SETTINGS, 4)):
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=engine) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    rows = _messages(factory)
    assert len(rows) == 60 and len({r.idempotency_key for r in rows}) == 60
    with session_scope(factory) as s:
        entries = s.scalar(
            select(func.count())
            .select_from(TimelineEntry)
            .where(TimelineEntry.kind == comms_fanout.FANNED_OUT)
        )
        assert entries == 30
        left = s.scalar(
            select(func.count())
            .select_from(StatusUpdate)
            .where(StatusUpdate.fanned_out_at.is_(None))
        )
        assert left == 0


def test_messages_to_channels_are_sent_signed_and_throttled_per_address(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """Slack and signed generic webhooks receive the rows through the delivery step; past the
    per-address limit a message waits for the window instead of being dropped."""
    apply_standard(factory)
    _add(
        factory,
        Spec("global", "", "chat", "slack", address=f"{receiver.url}/slack"),
        Spec("global", "", "bot", "webhook", address=f"{receiver.url}/bot", secret=WEBHOOK_SECRET),
    )
    incidents = open_incidents(factory, addressed.LIMIT + 1)
    for incident in incidents:
        _post(factory, incident)
    while _fan_out(factory):
        pass
    step = DeliveryStep(Settings(env="test"))
    try:
        while deliver(step, factory):
            pass
        signed = [i for i, sig in enumerate(receiver.signatures) if sig]
        assert len(signed) == addressed.LIMIT
        assert len(receiver.bodies) == 2 * addressed.LIMIT
        at = signed[0]
        verify_signature(WEBHOOK_SECRET, receiver.bodies[at], receiver.signatures[at], clock.now())
        waiting = [r for r in _messages(factory) if r.state == "pending"]
        assert len(waiting) == 2 and all("throttled" in (r.last_error or "") for r in waiting)
        clock.advance(addressed.WINDOW + timedelta(seconds=1))
        while deliver(step, factory):
            pass
        assert len(receiver.bodies) == 2 * (addressed.LIMIT + 1)
        assert all(r.state == "sent" for r in _messages(factory))
    finally:
        step.close()


def test_a_person_without_a_contact_method_is_named_on_the_timeline(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A user stakeholder with no contact method for the urgency gets no row, and the
    timeline entry says who could not be reached instead of staying silent."""
    apply_standard(factory)
    _add(factory, Spec("team", "sre", "ana", "user", user="ana"))
    [incident] = open_incidents(factory, 1)
    _post(factory, incident)
    _fan_out(factory)
    assert _messages(factory) == []
    with session_scope(factory) as s:
        entry = s.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == comms_fanout.FANNED_OUT)
        ).one()
        assert entry.data["unreachable"] == ["ana"]
        assert "no contact method for this urgency: ana" in entry.message


def test_a_channel_message_is_cancelled_when_the_incident_turns_private(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """A message written for a channel before its incident was made private is cancelled at
    lease time, never posted."""
    apply_standard(factory)
    _add(factory, Spec("global", "", "chat", "slack", address=f"{receiver.url}/chat"))
    [incident] = open_incidents(factory, 1)
    _post(factory, incident)
    _fan_out(factory)

    def make_private(s: Session) -> None:
        row = s.get(Incident, incident)
        assert row is not None
        row.private = True

    run_transaction(factory, make_private)
    step = DeliveryStep(Settings(env="test"))
    try:
        deliver(step, factory)
    finally:
        step.close()
    [row] = _messages(factory)
    assert row.state == "cancelled" and row.last_error == addressed.PRIVATE
    assert receiver.bodies == []


def test_a_failing_channel_is_retried_then_dead_like_a_page(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """A channel answering 500 gets the message retried with backoff, then dead-lettered after
    the attempt limit, as a page would be."""
    apply_standard(factory)
    receiver.statuses["/down"] = 500
    _add(factory, Spec("global", "", "down", "mattermost", address=f"{receiver.url}/down"))
    [incident] = open_incidents(factory, 1)
    _post(factory, incident)
    _fan_out(factory)
    settings = Settings(env="test", delivery_max_attempts=2, delivery_backoff_base_seconds=10)
    step = DeliveryStep(settings)
    try:
        deliver(step, factory)
        [row] = _messages(factory)
        assert (
            row.state == "retrying" and row.attempts == 1 and "HTTP 500" in (row.last_error or "")
        )
        clock.advance(timedelta(minutes=5))
        deliver(step, factory)
    finally:
        step.close()
    [row] = _messages(factory)
    assert row.state == "dead" and row.attempts == 2
    assert "gave up after 2 attempts" in (row.last_error or "")
