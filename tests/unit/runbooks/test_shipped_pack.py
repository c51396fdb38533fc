"""The runbook pack shipped with Plantão: complete in both languages, lint-clean and usable.

A responder meets these files at the worst moment, so defects must fail CI rather than show up
during an incident: a language missing, a matcher that links every critical alert, a runbook
without a way to check the fix or without a safe first diagnostic step, a step whose command
the shell cannot even parse, a link to a runbook that does not exist, a family list that misses
the very alerts the runbook links.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from plantao.runbooks.document import LANGS, Runbook
from plantao.runbooks.families import matching
from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.lint import lint_paths

# The day the newest runbooks of the pack were reviewed: the pack must be clean on it. (Staleness
# against the real date is what `plantao runbooks lint` in an operator's CI is for.)
REVIEW_DAY = date(2026, 12, 3)

# The alert families issue 15 added to the pack (agreement 1 of the issue's plan).
ISSUE_15_IDS = (
    "node-disk-full",
    "node-not-ready",
    "host-cpu-saturation",
    "certificate-expiry",
    "kubernetes-job-failed",
    "pvc-full",
    "dns-failures",
    "mysql-replication-connections",
    "mongodb-replica-set",
    "elasticsearch-cluster-health",
    "rabbitmq-queues-node-down",
    "load-balancer-backends-down",
    "otel-collector-refusing-data",
)

PACK_DOC = Path(__file__).resolve().parents[3] / "docs" / "runbook-pack.md"

_LINK = re.compile(r"\]\(([^)\s]+)\.md\)")
# A matcher value that is a plain list of alert names: A|B|C, no other regex syntax.
_NAME_LIST = re.compile(r"^[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*$")


@pytest.fixture(scope="module")
def pack() -> list[Runbook]:
    library = RunbookLibrary.load(default_pack_dir())
    assert library.problems == []
    return library.all()


def _ids(pack: list[Runbook]) -> set[str]:
    return {rb.id for rb in pack}


def test_pack_lints_without_errors_or_warnings() -> None:
    """`plantao runbooks lint` on the shipped pack reports nothing at all on its review day."""
    problems = lint_paths(default_pack_dir(), REVIEW_DAY)
    assert [f"{p.file}:{p.line}: {p.field}: {p.message}" for p in problems] == []


def test_every_runbook_exists_in_both_languages(pack: list[Runbook]) -> None:
    """Each id ships once in English and once in pt-BR, each file declaring its language."""
    by_id: dict[str, list[str]] = {}
    for rb in pack:
        by_id.setdefault(rb.id, []).append(rb.lang)
        assert rb.path.replace("\\", "/").split("/")[-2] == rb.lang, rb.path
    assert {i: sorted(langs) for i, langs in by_id.items() if sorted(langs) != sorted(LANGS)} == {}


def test_issue_15_runbooks_are_shipped(pack: list[Runbook]) -> None:
    """The 13 runbooks for the alert families teams meet most are in the pack, with families."""
    assert set(ISSUE_15_IDS) - _ids(pack) == set()
    assert [
        f"{rb.id} ({rb.lang})" for rb in pack if rb.id in ISSUE_15_IDS and not rb.families
    ] == []


def test_no_matcher_group_links_by_severity_alone(pack: list[Runbook]) -> None:
    """Every alerts group names something other than a severity: no "any critical alert" link."""
    bare = [
        f"{rb.id} ({rb.lang}) alerts[{i}]"
        for rb in pack
        for i, group in enumerate(rb.alerts)
        if not any(m.op in ("=", "=~") and m.name not in ("severity", "priority") for m in group)
    ]
    assert bare == []


def test_every_runbook_can_be_verified_and_diagnosed_safely(pack: list[Runbook]) -> None:
    """Each runbook has a Verification section and at least one read-only executable step."""
    missing = [
        f"{rb.id} ({rb.lang})"
        for rb in pack
        if "verification" not in rb.sections or not any(a.danger == "read" for a in rb.actions)
    ]
    assert missing == []


def test_every_executable_step_is_valid_sh(pack: list[Runbook]) -> None:
    """Each step's command parses under sh -n, the shell the engine runs it with (/bin/sh -c):
    a quoting slip must fail here, not in the middle of an incident."""
    broken = []
    for rb in pack:
        for action in rb.actions:
            checked = subprocess.run(
                ["sh", "-n", "-c", action.command], capture_output=True, text=True, check=False
            )
            if checked.returncode != 0:
                broken.append(f"{rb.id} ({rb.lang}) {action.id}: {checked.stderr.strip()}")
    assert broken == []


def test_cross_links_name_runbooks_of_the_pack(pack: list[Runbook]) -> None:
    """A `[x](some-id.md)` link in a body points at a runbook that ships in the pack."""
    ids = _ids(pack)
    broken = sorted(
        f"{rb.id} ({rb.lang}) -> {target}"
        for rb in pack
        for target in _LINK.findall(rb.body)
        if "/" not in target and target not in ids
    )
    assert broken == []


def test_pack_page_lists_every_runbook(pack: list[Runbook]) -> None:
    """docs/runbook-pack.md has a table row for every shipped id and none for a missing one."""
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", PACK_DOC.read_text("utf-8"), re.M))
    assert (sorted(_ids(pack) - listed), sorted(listed - _ids(pack))) == ([], [])


@pytest.mark.parametrize("runbook_id", ISSUE_15_IDS)
def test_families_cover_the_alert_names_the_runbook_links(
    pack: list[Runbook], runbook_id: str
) -> None:
    """Every alert name an issue-15 runbook links by matcher also belongs to one of its families,
    so a renamed or re-labelled copy of that alert still finds the runbook through ranking."""
    versions = [r for r in pack if r.id == runbook_id]
    assert len(versions) == len(LANGS), f"{runbook_id} is not shipped in every language"
    for rb in versions:
        alerts = [
            {**{o.name: o.value for o in group if o.op == "="}, "alertname": name}
            for group in rb.alerts
            for m in group
            if m.name == "alertname" and _NAME_LIST.match(m.value)
            for name in m.value.split("|")
        ]
        assert alerts, f"{rb.id} ({rb.lang}) links no alert by name"
        uncovered = [a["alertname"] for a in alerts if not matching(rb.families, a)]
        assert uncovered == [], f"{rb.id} ({rb.lang})"
