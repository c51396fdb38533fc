"""Paging through the notify service: outbox rows, idempotency, rendering, throttles, digests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine.delivery_step import DeliveryStep
from plantao.notify import action_links, paging
from plantao.notify.channels.recording import RecordingChannel
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec, ThrottleSpec
from tests.factories.config import apply_standard
from tests.factories.notify import (
    WEBHOOK_SECRET,
    deliver,
    deliveries,
    give_contacts,
    open_incidents,
    page,
    user_id,
)
from tests.integration.helpers import send_am, timeline_kinds

EMAIL = ContactMethodSpec("work-email", "email", "ana@example.com")
HOOK = ContactMethodSpec("hook", "webhook", "http://127.0.0.1:9/hook", WEBHOOK_SECRET)


def _step(**channels: RecordingChannel) -> DeliveryStep:
    settings = Settings(env="test", delivery_max_attempts=3)
    return DeliveryStep(settings, channels=dict(channels))


def test_page_user_writes_one_row_per_rule_and_replay_is_a_no_op(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A page writes a row per matching rule, due at now+after; the same step again adds none."""
    apply_standard(factory)
    changes = give_contacts(
        factory,
        [EMAIL, HOOK],
        [
            NotificationRuleSpec("hook"),
            NotificationRuleSpec("work-email", timedelta(minutes=2)),
            NotificationRuleSpec("work-email", urgency="low"),
        ],
    )
    assert "+ contact ana/work-email (email)" in changes
    assert "+ rule ana/work-email after 2m (any)" in changes
    [incident] = open_incidents(factory, 1)
    assert page(factory, [incident], urgency="high") == 2
    assert page(factory, [incident], urgency="high") == 0
    rows = deliveries(factory)
    assert [(r.channel, r.next_attempt_at - frozen) for r in rows] == [
        ("webhook", timedelta(0)),
        ("email", timedelta(minutes=2)),
    ]
    assert len({r.idempotency_key for r in rows}) == 2
    assert timeline_kinds(factory, incident).count("notify.paged") == 1
    assert page(factory, [incident], step="2") == 2


def test_message_names_incident_runbook_and_signed_links_in_user_language(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The message names human id, severity, summary, runbook and has 3 links (pt-BR)."""
    apply_standard(factory)
    with factory.begin() as s:
        from plantao.people.models import User

        user = s.get(User, user_id(s))
        assert user is not None
        user.language = "pt-BR"
    give_contacts(factory, [EMAIL])
    send_am(
        factory,
        {
            "status": "firing",
            "groupKey": "g1",
            "alerts": [
                {
                    "status": "firing",
                    "fingerprint": "f1",
                    "labels": {"alertname": "HighLatency", "severity": "critical"},
                    "annotations": {
                        "summary": "p99 above 2s",
                        "runbook_url": "https://runbooks.example/latency",
                    },
                    "startsAt": "2026-11-22T11:59:00Z",
                }
            ],
        },
    )
    with factory() as s:
        from plantao.incidents.models import Incident

        incident = s.scalars(select(Incident)).one()
    assert page(factory, [incident.id]) == 1
    [row] = deliveries(factory)
    assert incident.human_id in row.subject
    assert "Severidade" in row.text and "p99 above 2s" in row.text
    assert "https://runbooks.example/latency" in row.text
    assert [lk["action"] for lk in row.links] == ["ack", "resolve", "escalate"]
    assert [lk["label"] for lk in row.links] == ["Reconhecer", "Resolver", "Escalar agora"]
    assert all(lk["url"].startswith("http://127.0.0.1:8080/a/") for lk in row.links)
    assert row.html is not None and "<h2>" in row.html


def test_throttle_holds_then_bundles_one_digest_when_the_window_opens(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Over 2 per 15 min, messages are held; when the window opens they go out as one digest."""
    apply_standard(factory)
    give_contacts(factory, [HOOK], throttle=ThrottleSpec(limit=2, window=timedelta(minutes=15)))
    recording = RecordingChannel()
    step = _step(webhook=recording)
    incidents = open_incidents(factory, 5)
    page(factory, incidents[:3])
    assert deliver(step, factory) == 2
    clock.advance(timedelta(minutes=5))
    page(factory, incidents[3:])
    deliver(step, factory)
    states = [r.state for r in deliveries(factory)]
    assert states == ["sent", "sent", "held", "held", "held"]
    assert len(recording.sent) == 2
    clock.advance(timedelta(minutes=9, seconds=59))
    deliver(step, factory)
    assert len(recording.sent) == 2  # the window is still full
    clock.advance(timedelta(seconds=1))
    deliver(step, factory)
    assert len(recording.sent) == 3
    digest = recording.sent[-1].message
    assert "3 held notifications" in digest.subject
    rows = deliveries(factory)
    assert [r.state for r in rows] == ["sent", "sent", "bundled", "bundled", "bundled", "sent"]
    assert rows[-1].kind == "digest" and {r.bundled_into_id for r in rows[2:5]} == {rows[-1].id}
    step.close()


def test_cancel_pending_keeps_sent_and_cancels_unsent(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Cancelling an incident's pages ends pending ones; sent ones stay sent."""
    apply_standard(factory)
    give_contacts(
        factory,
        [EMAIL, HOOK],
        [NotificationRuleSpec("hook"), NotificationRuleSpec("work-email", timedelta(minutes=5))],
    )
    [incident] = open_incidents(factory, 1)
    page(factory, [incident])
    step = _step(webhook=RecordingChannel())
    deliver(step, factory)
    n = run_transaction(
        factory, lambda s: paging.cancel_pending_for_incident(s, incident, "acknowledged")
    )
    assert n == 1
    assert [r.state for r in deliveries(factory)] == ["sent", "cancelled"]
    clock.advance(timedelta(minutes=10))
    assert deliver(step, factory) == 0
    step.close()


def test_set_contact_methods_is_idempotent_and_reports_changes(
    factory: sessionmaker[Session],
) -> None:
    """Applying the same contacts twice changes nothing; edits and removals are described."""
    apply_standard(factory)
    assert give_contacts(factory, [EMAIL, HOOK])
    assert give_contacts(factory, [EMAIL, HOOK]) == []
    moved = ContactMethodSpec("work-email", "email", "ana@new.example")
    changes = give_contacts(factory, [moved])
    assert changes == [
        "- contact ana/hook",
        "~ contact ana/work-email (address)",
    ]


def test_invalid_contact_methods_are_refused(factory: sessionmaker[Session]) -> None:
    """A webhook without a secret, a bad e-mail or a rule for an unknown contact is refused."""
    import pytest

    from plantao.errors import ValidationFailed

    apply_standard(factory)
    for methods, rules in [
        ([ContactMethodSpec("h", "webhook", "http://x/")], None),
        ([ContactMethodSpec("e", "email", "not-an-address")], None),
        ([EMAIL], [NotificationRuleSpec("nope")]),
    ]:
        with pytest.raises(ValidationFailed):
            give_contacts(factory, methods, rules)


def test_used_nonces_are_forgotten_once_their_links_expired(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A used link's nonce is kept until the link expires, then purged."""
    from plantao.notify.models import UsedActionNonce
    from tests.integration.helpers import count

    apply_standard(factory)
    give_contacts(factory, [HOOK])
    [incident] = open_incidents(factory, 1)
    page(factory, [incident])
    token = deliveries(factory)[0].links[0]["url"].rpartition("/a/")[2]
    result = run_transaction(
        factory, lambda s: action_links.change_status(s, action_links.redeem(s, token))
    )
    assert result.outcome == "acknowledged" and count(factory, UsedActionNonce) == 1
    assert run_transaction(factory, action_links.purge_used_nonces) == 0
    clock.advance(timedelta(days=2))
    assert run_transaction(factory, action_links.purge_used_nonces) == 1
