"""The real-alert evaluation set itself (size, sources, labels) and the metrics that score it.

These tests keep the set honest; they do not assert how well the ranker does on it (the floor
lives with the ranker's tests, and ``benchmarks/runbooks.py`` prints the figures).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from plantao.runbooks.library import RunbookLibrary, default_pack_dir

from .conftest import document
from .real_alerts import (
    ALERT_RULES_DIR,
    LANGS,
    Case,
    evaluate,
    index_ranker,
    load_cases,
    parse_file,
)

MIN_RULES = 200
MIN_PT_BR = 60
HELD_OUT = "awesome-prometheus-alerts"


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def _files() -> list[Path]:
    return sorted(ALERT_RULES_DIR.glob("*.json"))


def test_the_set_holds_enough_distinct_real_rules(cases: list[Case]) -> None:
    """At least MIN_RULES distinct published rules (source, alert name) are in the set."""
    distinct = {(c.source, c.rule) for c in cases}
    assert len(distinct) >= MIN_RULES, len(distinct)


def test_enough_cases_are_written_in_portuguese(cases: list[Case]) -> None:
    """At least MIN_PT_BR cases carry annotations written in pt-BR."""
    assert Counter(c.lang for c in cases)["pt-BR"] >= MIN_PT_BR


def test_about_half_of_the_cases_have_no_fitting_runbook(cases: list[Case]) -> None:
    """Abstention is measured on a real share of the set: between a third and two thirds."""
    share = sum(not c.fitting for c in cases) / len(cases)
    assert 1 / 3 <= share <= 2 / 3, share


def test_every_file_is_pretty_printed_utf8_with_source_and_licence() -> None:
    """Each source file is indented JSON in UTF-8 naming its source and licence."""
    assert _files()
    for path in _files():
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert text.startswith("{\n "), path.name
        assert data["source"] and data["licence"] and data["alerts"], path.name


def test_every_source_file_is_listed_in_sources_md() -> None:
    """SOURCES.md names every fixture file, its repository and its licence."""
    sources = (ALERT_RULES_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for path in _files():
        data = json.loads(path.read_text(encoding="utf-8"))
        assert f"`{path.name}`" in sources, path.name
        repository = data["source"].split()[0]
        assert repository in sources, (path.name, repository)
        assert data["licence"] in sources, (path.name, data["licence"])


def test_no_rule_comes_from_the_held_out_collection() -> None:
    """The blind set's collection is never the source of a fixture file."""
    for path in _files():
        source = json.loads(path.read_text(encoding="utf-8"))["source"].lower()
        assert HELD_OUT not in source and "samber/" not in source, path.name


def test_every_case_is_an_alert_as_alertmanager_sends_it(cases: list[Case]) -> None:
    """Each case has an alertname, a severity, a summary, a known language and a rule name."""
    for case in cases:
        assert case.rule and case.labels.get("alertname"), case
        assert case.labels.get("severity"), case.name
        assert case.annotations.get("summary"), case.name
        assert case.lang in LANGS, case.name
        assert "{{" not in " ".join(case.annotations.values()), f"unfilled template: {case.name}"


def test_labelled_runbooks_exist_in_the_shipped_pack(cases: list[Case]) -> None:
    """Every fitting or tolerable id is a runbook the package ships."""
    known = set(RunbookLibrary.load(default_pack_dir()).ids())
    unknown = {i for c in cases for i in (*c.fitting, *c.tolerable)} - known
    assert not unknown


def test_no_case_labels_a_runbook_both_fitting_and_tolerable(cases: list[Case]) -> None:
    """A runbook is either what an SRE opens first or a loose fit, never both; no repeats."""
    for case in cases:
        assert not set(case.fitting) & set(case.tolerable), case.name
        assert len(set(case.fitting)) == len(case.fitting), case.name
        assert len(set(case.tolerable)) == len(case.tolerable), case.name


def test_portuguese_variants_are_labelled_like_their_english_case(cases: list[Case]) -> None:
    """A pt-BR case repeats an English case's labels and judgement; only the words differ."""
    english = {
        (c.source, tuple(sorted(c.labels.items()))): (c.fitting, c.tolerable)
        for c in cases
        if c.lang == "en"
    }
    for case in (c for c in cases if c.lang == "pt-BR"):
        key = (case.source, tuple(sorted(case.labels.items())))
        assert english.get(key) == (case.fitting, case.tolerable), case.name


def test_portuguese_annotations_are_not_copies_of_the_english_ones(cases: list[Case]) -> None:
    """A pt-BR variant has its own summary, with at least one non-ASCII or Portuguese word."""
    english = {c.annotations["summary"] for c in cases if c.lang == "en"}
    portuguese = re.compile(r"[ãõçáéíóúâêô]|\b(não|nó|está|sem|com|de|do|da)\b", re.IGNORECASE)
    for case in (c for c in cases if c.lang == "pt-BR"):
        assert case.annotations["summary"] not in english, case.name
        assert portuguese.search(" ".join(case.annotations.values())), case.name


# The metrics, on hand-made cases whose answers are known.


def _case(
    name: str, fitting: Sequence[str] = (), tolerable: Sequence[str] = (), lang: str = "en"
) -> Case:
    return Case(
        source="hand",
        rule=name,
        labels={"alertname": name, "severity": "warning"},
        annotations={"summary": name},
        lang=lang,
        fitting=tuple(fitting),
        tolerable=tuple(tolerable),
    )


def test_recall_and_mrr_count_the_first_fitting_rank_within_the_top_three() -> None:
    """Hit at 1, hit at 2, hit only at 4 (a miss): recall@1 1/3, recall@3 2/3, MRR (1 + 1/2)/3."""
    cases = [_case("A", ["a"]), _case("B", ["b"]), _case("C", ["c"])]
    answers = {"A": ["a", "x"], "B": ["x", "b"], "C": ["x", "y", "z", "c"]}
    report = evaluate(lambda case: answers[case.name], cases)
    scores = report.overall
    assert (scores.fit_cases, scores.hits_at_1, scores.hits_at_3) == (3, 1, 2)
    assert scores.mrr == pytest.approx((1 + 1 / 2) / 3)
    assert scores.misses == ["[en] hand:C wanted ['c'], got ['x', 'y', 'z']"]


def test_no_fit_cases_split_into_silent_tolerated_and_wrong() -> None:
    """Silence counts as "no runbook"; a tolerable suggestion is neither silent nor wrong."""
    cases = [_case("Q"), _case("T", tolerable=["t"]), _case("W", tolerable=["t"])]
    answers = {"Q": [], "T": ["t"], "W": ["t", "w"]}
    scores = evaluate(lambda case: answers[case.name], cases).overall
    assert (scores.nofit_cases, scores.nofit_silent, scores.nofit_wrong) == (3, 1, 1)
    assert scores.no_runbook_rate == pytest.approx(1 / 3)
    assert scores.nofit_wrong_rate == pytest.approx(1 / 3)
    assert scores.wrong == ["[en] hand:W -> ['t', 'w'] (wrong: w)"]


def test_wrong_rate_over_all_cases_counts_fitting_cases_too() -> None:
    """A hit with a stray runbook beside it is still a wrong suggestion over all cases."""
    cases = [_case("A", ["a"]), _case("B", ["b"], ["t"]), _case("Q")]
    answers = {"A": ["a", "stray"], "B": ["t", "b"], "Q": []}
    scores = evaluate(lambda case: answers[case.name], cases).overall
    assert scores.wrong_cases == 1
    assert scores.wrong_rate == pytest.approx(1 / 3)
    assert scores.hits_at_3 == 2 and scores.hits_at_1 == 1


def test_scores_are_broken_down_per_language() -> None:
    """Each language gets its own figures, and they add up to the overall ones."""
    cases = [_case("A", ["a"]), _case("A", ["a"], lang="pt-BR"), _case("Q", lang="pt-BR")]
    answers = {"A": ["a"], "Q": ["x"]}
    report = evaluate(lambda case: answers[case.name], cases)
    assert set(report.by_lang) == {"en", "pt-BR"}
    assert report.by_lang["pt-BR"].nofit_wrong == 1 and report.by_lang["en"].nofit_cases == 0
    assert report.overall.cases == sum(s.cases for s in report.by_lang.values())
    assert "pt-BR" in report.text() and "wrong suggestions (1):" in report.text()


def test_index_ranker_scores_a_tiny_real_index(tmp_path: Path) -> None:
    """On a two-runbook index, a linked alert is a hit and an unrelated one gets no runbook."""
    for name, front in {
        "disk": "id: disk\ntitle: Node disk full\nowner: sre\nlast_reviewed: 2026-11-01\n"
        'alerts:\n  - alertname="NodeDiskFull"\n',
        "kafka": "id: kafka\ntitle: Kafka consumer lag\nowner: sre\nlast_reviewed: 2026-11-01\n"
        "tags: [kafka, lag]\n",
    }.items():
        (tmp_path / "en").mkdir(exist_ok=True)
        body = f"# {name}\n\n## Symptom\nSomething.\n\n## Mitigation\n- [ ] Fix it.\n"
        (tmp_path / "en" / f"{name}.md").write_text(document(front, body), encoding="utf-8")
    library = RunbookLibrary.load(tmp_path)
    assert library.ids() == ["disk", "kafka"]
    cases = [
        _case("NodeDiskFull", ["disk"], ["kafka"]),
        _case("WatchdogHeartbeat"),
    ]
    report = evaluate(index_ranker(library.index()), cases)
    assert report.overall.recall_at_1 == 1.0
    assert report.overall.no_runbook_rate == 1.0


@dataclass(frozen=True)
class _Found:
    id: str


@dataclass
class _RecordingIndex:
    """Answers every alert with one runbook and keeps the options it was asked with."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def suggest(
        self,
        labels: Mapping[str, str],
        annotations: Mapping[str, str] | None = None,
        k: int = 3,
        lang: str | None = None,
        threshold: float = 0.5,
        *,
        adjust: Mapping[str, float] | None = None,
    ) -> list[_Found]:
        self.calls.append({"k": k, "lang": lang, "threshold": threshold, "adjust": adjust})
        return [_Found(labels["alertname"].lower())]


def test_index_ranker_passes_language_threshold_and_feedback_adjustments() -> None:
    """The case's language, a threshold override and the case's adjustments reach the index."""
    index = _RecordingIndex()
    case = _case("Disk", ["disk"], lang="pt-BR")
    assert index_ranker(index)(case) == ["disk"]
    assert index.calls[-1] == {"k": 3, "lang": "pt-BR", "threshold": 0.5, "adjust": None}
    boost = {"disk": 0.2}
    index_ranker(index, k=5, threshold=0.3, adjust=lambda c: boost)(case)
    assert index.calls[-1] == {"k": 5, "lang": "pt-BR", "threshold": 0.3, "adjust": boost}


def test_cases_load_from_a_source_file(tmp_path: Path) -> None:
    """A source file's alerts become cases carrying its source name, strings throughout."""
    path = tmp_path / "x.json"
    path.write_text(
        json.dumps(
            {
                "source": "org/repo path.yaml",
                "licence": "MIT",
                "alerts": [
                    {
                        "rule": "Up",
                        "labels": {"alertname": "Up", "code": 503},
                        "annotations": {"summary": "s"},
                        "lang": "pt-BR",
                        "fitting": ["a"],
                        "tolerable": [],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    (case,) = parse_file(path)
    assert case.source == "org/repo path.yaml" and case.labels["code"] == "503"
    assert (case.lang, case.fitting, case.tolerable) == ("pt-BR", ("a",), ())
