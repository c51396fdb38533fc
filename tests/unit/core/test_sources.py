"""Sender payload parsing: Alertmanager/Grafana, PagerDuty Events v2, generic JSON."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from plantao.alerts.identity import labels_fingerprint
from plantao.intake.sources import alertmanager, generic, pagerduty
from tests.factories.payloads import am_alert, am_webhook, pd_event


def test_alertmanager_zero_ends_at_means_unset() -> None:
    """A firing alert's 0001-01-01 endsAt is not a time; the fingerprint is the identity."""
    events, rejected = alertmanager.parse(am_webhook([am_alert(fingerprint="abc123")]))
    assert rejected == []
    assert events[0].ends_at is None
    assert events[0].identity == "abc123"
    assert events[0].sender_group_key == '{}:{alertname="X"}'


def test_alertmanager_identity_falls_back_to_labels() -> None:
    """Without a fingerprint the identity is a stable hash of the labels."""
    events, _ = alertmanager.parse(am_webhook([am_alert(instance="a")]))
    assert events[0].identity == labels_fingerprint({"alertname": "HighErrorRate", "instance": "a"})


def test_alertmanager_bad_element_is_reported_not_fatal() -> None:
    """One malformed alert is rejected with its index; its siblings are accepted."""
    body = am_webhook([am_alert(), {"status": "firing"}, am_alert("Other")])
    events, rejected = alertmanager.parse(body)
    assert len(events) == 2
    assert rejected[0].index == 1
    assert "alerts[1].labels" in rejected[0].error


def test_alertmanager_envelope_errors_raise() -> None:
    """A body without an alerts list is invalid as a whole."""
    with pytest.raises(ValidationError):
        alertmanager.parse({"version": "4"})


def test_unknown_fields_are_ignored() -> None:
    """Fields a newer sender adds are ignored, not rejected."""
    body = am_webhook([{**am_alert(), "futureField": 1}])
    body["futureEnvelope"] = True
    events, rejected = alertmanager.parse(body)
    assert len(events) == 1 and rejected == []


def test_pagerduty_trigger_maps_fields_to_labels() -> None:
    """PD payload fields become labels so routes can match them."""
    event = pagerduty.Event.model_validate(
        pd_event(component="postgres", group="db", **{"class": "disk"})
    )
    alert = pagerduty.to_alert_event(event)
    assert alert.labels == {
        "source": "db-1",
        "severity": "critical",
        "component": "postgres",
        "group": "db",
        "class": "disk",
    }
    assert alert.action == "firing"
    assert len(alert.identity) == 32  # generated dedup key


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"routing_key": "k", "event_action": "trigger"}, "'payload' is required"),
        ({"routing_key": "k", "event_action": "resolve"}, "'dedup_key' is required"),
        ({"routing_key": "k", "event_action": "explode"}, "event_action"),
        (
            {
                "routing_key": "k",
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "fatal"},
            },
            "payload.severity",
        ),
    ],
)
def test_pagerduty_invalid_events(body: dict[str, object], fragment: str) -> None:
    """Invalid PD events are refused with a message naming the problem."""
    with pytest.raises(ValidationError) as info:
        pagerduty.Event.model_validate(body)
    from plantao.intake.schemas import describe_validation_error

    assert fragment in describe_validation_error(info.value)


def test_generic_accepts_object_list_and_envelope() -> None:
    """The generic webhook takes an object, a list, or {"alerts": [...]}."""
    one = {"title": "Backup failed", "dedup_key": "backup-nightly", "severity": "error"}
    for body in (one, [one], {"alerts": [one]}):
        events, rejected = generic.parse(body)
        assert [e.identity for e in events] == ["backup-nightly"] and rejected == []
    events, _ = generic.parse({**one, "status": "resolve"})
    assert events[0].action == "resolved"


def test_generic_missing_title_names_field() -> None:
    """A generic alert without a title is rejected naming the field."""
    _, rejected = generic.parse({"dedup_key": "x"})
    assert rejected[0].error.startswith("title:")
    with pytest.raises(generic.NotABatch):
        generic.parse("just a string")
