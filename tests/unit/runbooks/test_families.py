"""Alert families declared in runbook front matter: globs on names and labels, lint of bad ones."""

from __future__ import annotations

import pytest

from plantao.runbooks.document import RunbookError, parse_runbook
from plantao.runbooks.families import FamilyError, parse_family

from .conftest import VALID_FRONT, document


@pytest.mark.parametrize(
    ("pattern", "labels", "expected"),
    [
        ("KubeNodeNotReady", {"alertname": "kubenodenotready"}, True),
        ("Node*Pressure", {"alertname": "NodeMemoryPressure"}, True),
        ("Node*Pressure", {"alertname": "NodePressure"}, True),
        ("Node*Pressure", {"alertname": "NodeMemoryPressureHigh"}, False),
        ("*FilesystemAlmostOutOfSpace", {"alertname": "NodeFilesystemAlmostOutOfSpace"}, True),
        ("job=*mysqld*", {"alertname": "X", "job": "prom-mysqld-exporter"}, True),
        ("job=*mysqld*", {"alertname": "MysqldDown"}, False),
        ("service=api.v1", {"service": "apixv1"}, False),
    ],
)
def test_globs_match_case_insensitively_and_whole(
    pattern: str, labels: dict[str, str], expected: bool
) -> None:
    """`*` is any run of characters, the rest is literal, the whole value must match."""
    assert parse_family(pattern).matches(labels) is expected


@pytest.mark.parametrize("bad", ["*", "job=*", "", "=mysql", "9job=x", "Kube Node", "a=b=c"])
def test_bad_patterns_are_refused(bad: str) -> None:
    """Catch-alls, empty patterns, bad label names and stray characters are errors."""
    with pytest.raises(FamilyError):
        parse_family(bad)


def test_front_matter_families_are_parsed() -> None:
    """`families:` becomes part of the runbook, in declaration order, with no warning."""
    text = document(VALID_FRONT + "families: [KubeNodeNotReady, 'job=*kubelet*']\n")
    rb = parse_runbook(text, "x.md")
    assert [f.text for f in rb.families] == ["KubeNodeNotReady", "job=*kubelet*"]
    assert [f.label for f in rb.families] == ["alertname", "job"]
    assert not [w for w in rb.warnings if w.field.startswith("families")]


def test_a_bad_family_entry_is_a_lint_error_naming_it() -> None:
    """One bad entry fails the file, and the error names the entry and its position."""
    text = document(VALID_FRONT + "families: [KubeNodeNotReady, '*', 42]\n")
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "x.md")
    problems = {p.field: p.message for p in caught.value.problems}
    assert "'*'" in problems["families[1]"]
    assert "42" in problems["families[2]"]
