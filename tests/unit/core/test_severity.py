"""The severity matrix defaults and the alert → severity rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plantao.incidents.severity import (
    Rule,
    SeverityMatrix,
    build_matrix,
    most_severe,
    normalize,
)
from plantao.matchers import parse_matchers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sev1", "sev1"),
        ("SEV-2", "sev2"),
        ("p0", "sev1"),
        ("P3", "sev4"),
        ("3", "sev3"),
        (" sev_4 ", "sev4"),
    ],
)
def test_normalize_accepts_aliases(raw: str, expected: str) -> None:
    """Sev names, P0–P3 aliases and bare numbers normalise to sevN."""
    assert normalize(raw) == expected


def test_normalize_rejects_unknown() -> None:
    """An unknown severity is refused with the accepted forms named."""
    with pytest.raises(ValueError, match=r"sev1\.\.sev4 or p0\.\.p3"):
        normalize("sev9")


def test_default_targets_come_from_the_operating_model() -> None:
    """Defaults: Sev1 5/60/15 min + RCA 48 h; Sev2 15 min/4 h/30 min; Sev3 1 h/24 h/2 h."""
    m = SeverityMatrix()
    sev1, sev2, sev3, sev4 = (m.level(n) for n in ("sev1", "sev2", "sev3", "sev4"))
    assert (sev1.mtta, sev1.mttr, sev1.update_every, sev1.rca_within) == (
        timedelta(minutes=5),
        timedelta(minutes=60),
        timedelta(minutes=15),
        timedelta(hours=48),
    )
    assert (sev2.mtta, sev2.mttr, sev2.update_every, sev2.rca_business_days) == (
        timedelta(minutes=15),
        timedelta(hours=4),
        timedelta(minutes=30),
        3,
    )
    assert (sev3.mtta, sev3.mttr, sev3.update_every, sev3.rca_business_days) == (
        timedelta(hours=1),
        timedelta(hours=24),
        timedelta(hours=2),
        5,
    )
    assert sev4.mtta is None and sev4.update_every is None
    assert [lv.priority for lv in m.levels] == ["P0", "P1", "P2", "P3"]
    assert m.level("p1").name == "sev2"


@pytest.mark.parametrize(
    ("labels", "sender", "expected"),
    [
        ({"severity": "critical"}, None, "sev1"),
        ({"severity": "page"}, None, "sev1"),
        ({"severity": "warning"}, None, "sev3"),
        ({"severity": "info"}, None, "sev4"),
        ({"severity": "P1"}, None, "sev2"),
        ({}, "error", "sev2"),
        ({"severity": "weird"}, "critical", "sev1"),
        ({}, None, "sev3"),
    ],
)
def test_classify_by_label_and_sender(
    labels: dict[str, str], sender: str | None, expected: str
) -> None:
    """The severity label wins, then the sender's own field, then the default."""
    assert SeverityMatrix().classify(labels, sender) == expected


def test_rules_win_over_labels() -> None:
    """An explicit rule (first match) beats the severity label."""
    matrix = build_matrix(
        rules=[Rule(tuple(parse_matchers(['alertname="DataLeak"'])), "sev1")], default="sev4"
    )
    assert matrix.classify({"alertname": "DataLeak", "severity": "info"}) == "sev1"
    assert matrix.classify({"alertname": "Other"}) == "sev4"


def test_custom_value_map() -> None:
    """Operators can map their own label values (e.g. Zabbix 'disaster')."""
    matrix = build_matrix(value_map={"blocker": "p0"})
    assert matrix.classify({"severity": "Blocker"}) == "sev1"


def test_most_severe() -> None:
    """The most severe of a set is the lowest number."""
    assert most_severe(["sev3", "sev1", "sev4"]) == "sev1"
