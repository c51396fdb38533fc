"""Alert identities, group keys and label matchers."""

from __future__ import annotations

import pytest

from plantao.alerts.identity import group_key, labels_fingerprint
from plantao.matchers import MatcherError, parse_matcher


def test_fingerprint_ignores_label_order() -> None:
    """The same label set hashes the same whatever the order."""
    assert labels_fingerprint({"a": "1", "b": "2"}) == labels_fingerprint({"b": "2", "a": "1"})


def test_fingerprint_distinguishes_values_and_boundaries() -> None:
    """Different values, or the same characters split differently, give different identities."""
    assert labels_fingerprint({"a": "1"}) != labels_fingerprint({"a": "2"})
    assert labels_fingerprint({"ab": "c"}) != labels_fingerprint({"a": "bc"})


def test_group_key_uses_only_group_by_labels() -> None:
    """Labels outside group_by do not split a group; missing labels count as empty."""
    one = group_key({"alertname": "X", "instance": "a"}, ["alertname"])
    two = group_key({"alertname": "X", "instance": "b"}, ["alertname"])
    assert one == two == "{alertname=X}"
    assert group_key({}, ["cluster"]) == "{cluster=}"


def test_group_key_ellipsis_means_all_labels() -> None:
    """'...' groups by every label, as in Alertmanager."""
    assert group_key({"b": "2", "a": "1"}, ["..."]) == "{a=1,b=2}"


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('service="checkout"', {"service": "checkout"}, True),
        ("service=checkout", {"service": "orders"}, False),
        ('severity!="info"', {"severity": "critical"}, True),
        ('alertname=~"Kafka.*Lag"', {"alertname": "KafkaConsumerLag"}, True),
        ('alertname=~"Kafka"', {"alertname": "KafkaConsumerLag"}, False),
        ('env!~"dev|staging"', {"env": "prod"}, True),
        ('env!~"dev|staging"', {"env": "dev"}, False),
        ('team=""', {}, True),
    ],
)
def test_matcher_semantics(text: str, labels: dict[str, str], expected: bool) -> None:
    """Matchers follow Alertmanager semantics: anchored regexes, missing label = empty."""
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("severity=>critical", "unknown operator '=>'"),
        ("severity", "is not a matcher"),
        ('alertname=~"("', "invalid regular expression"),
        ("9bad=1", "not a valid label name"),
    ],
)
def test_matcher_errors(text: str, message: str) -> None:
    """Malformed matchers are refused with a message saying what is wrong."""
    with pytest.raises(MatcherError, match=message):
        parse_matcher(text)
