"""The real-alert evaluation: load the hand-labelled alert rules and score a runbook ranker on them.

Why a separate set from ``fixtures/alerts_*.json``: those alerts were written next to the pack
they test, so they share its vocabulary. The cases here are alert rules published by other
projects (kubernetes-mixin, exporters' example rules, Loki/Tempo mixins...), expanded into what
Alertmanager would send and labelled by hand with the runbooks an SRE would open first
(``fitting``), the ones that loosely fit (``tolerable``), or none. Sources and licences are in
``tests/fixtures/alert_rules/SOURCES.md``.

The metrics follow the issue-15 agreements:

- cases with a fitting runbook: recall@1 (the first suggestion fits), recall@3 (one of the
  first three fits) and MRR (1 / rank of the first fitting suggestion in the top 3);
- cases no runbook fits: the "no runbook" rate (nothing suggested at all) and the
  wrong-suggestion rate (the top 3 holds a runbook in neither list);
- the wrong-suggestion rate over all cases; all of it overall and per language.

The ranker is any function from a case to the ids it suggests, best first, so the same scoring
serves the plain index (:func:`index_ranker`), a ranker with feedback adjustments, or a fake in
the tests. Nothing here asserts a goal: the floor lives with the ranker's tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ALERT_RULES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "alert_rules"
TOP = 3
LANGS = ("en", "pt-BR")


@dataclass(frozen=True)
class Case:
    """One alert as Alertmanager would send it, with the runbooks an SRE would open."""

    source: str
    rule: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    lang: str
    fitting: tuple[str, ...]
    tolerable: tuple[str, ...]

    @property
    def name(self) -> str:
        """The alert name as sent, falling back to the published rule name."""
        return self.labels.get("alertname", self.rule)

    def acceptable(self, runbook_id: str) -> bool:
        """Whether suggesting this runbook is not wrong (it fits, or loosely fits)."""
        return runbook_id in self.fitting or runbook_id in self.tolerable


def _strings(mapping: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (mapping or {}).items()}


def parse_file(path: Path) -> list[Case]:
    """The cases of one source file (``{"source", "licence", "alerts": [...]}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    source = str(data.get("source", path.stem))
    return [
        Case(
            source=source,
            rule=str(raw["rule"]),
            labels=_strings(raw.get("labels")),
            annotations=_strings(raw.get("annotations")),
            lang=str(raw.get("lang", "en")),
            fitting=tuple(raw.get("fitting", ())),
            tolerable=tuple(raw.get("tolerable", ())),
        )
        for raw in data.get("alerts", [])
    ]


def load_cases(directory: Path = ALERT_RULES_DIR) -> list[Case]:
    """Every case of every ``*.json`` source file in ``directory``, in a stable order."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.json")):
        cases.extend(parse_file(path))
    return cases


Ranker = Callable[[Case], Sequence[str]]


class _Suggestion(Protocol):
    @property
    def id(self) -> str: ...


class _Index(Protocol):
    def suggest(
        self,
        labels: Mapping[str, str],
        annotations: Mapping[str, str] | None = ...,
        k: int = ...,
        lang: str | None = ...,
        threshold: float = ...,
        *,
        adjust: Mapping[str, float] | None = ...,
    ) -> Sequence[_Suggestion]: ...


def index_ranker(
    index: _Index,
    k: int = TOP,
    threshold: float | None = None,
    adjust: Callable[[Case], Mapping[str, float]] | None = None,
) -> Ranker:
    """A ranker asking ``index`` for its top ``k`` in the case's language.

    ``threshold`` overrides the index's default bar (for a sweep); ``adjust`` gives the
    feedback adjustments for a case (a replayed feedback history), passed on as they are.
    """

    def rank(case: Case) -> list[str]:
        options: dict[str, Any] = {"k": k, "lang": case.lang}
        if threshold is not None:
            options["threshold"] = threshold
        if adjust is not None:
            options["adjust"] = adjust(case)
        return [s.id for s in index.suggest(case.labels, case.annotations, **options)]

    return rank


@dataclass
class Scores:
    """Counts for one slice of the cases (all of them, or one language) and what went wrong."""

    fit_cases: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    reciprocal: float = 0.0
    nofit_cases: int = 0
    nofit_silent: int = 0
    nofit_wrong: int = 0
    wrong_cases: int = 0
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return self.fit_cases + self.nofit_cases

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.fit_cases if self.fit_cases else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.hits_at_3 / self.fit_cases if self.fit_cases else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.fit_cases if self.fit_cases else 0.0

    @property
    def no_runbook_rate(self) -> float:
        """Share of the no-fit cases answered with nothing at all."""
        return self.nofit_silent / self.nofit_cases if self.nofit_cases else 0.0

    @property
    def nofit_wrong_rate(self) -> float:
        """Share of the no-fit cases whose top 3 holds a runbook in neither list."""
        return self.nofit_wrong / self.nofit_cases if self.nofit_cases else 0.0

    @property
    def wrong_rate(self) -> float:
        """Share of all cases whose top 3 holds a runbook in neither list."""
        return self.wrong_cases / self.cases if self.cases else 0.0

    def add(self, case: Case, ranked: Sequence[str]) -> None:
        """Score one case given the ids suggested for it, best first."""
        top = list(ranked[:TOP])
        tag = f"[{case.lang}] {case.source.split()[0]}:{case.name}"
        wrong_ids = [i for i in top if not case.acceptable(i)]
        if wrong_ids:
            self.wrong_cases += 1
            self.wrong.append(f"{tag} -> {top} (wrong: {', '.join(wrong_ids)})")
        if case.fitting:
            self.fit_cases += 1
            rank = next((n for n, i in enumerate(top, 1) if i in case.fitting), None)
            if rank is None:
                self.misses.append(f"{tag} wanted {list(case.fitting)}, got {top}")
                return
            self.reciprocal += 1 / rank
            self.hits_at_1 += rank == 1
            self.hits_at_3 += 1
        else:
            self.nofit_cases += 1
            self.nofit_silent += not top
            self.nofit_wrong += bool(wrong_ids)

    def line(self) -> str:
        """The figures on one line, in the order the issue lists the goals."""
        return (
            f"fit={self.fit_cases:3d} recall@1={self.recall_at_1:.3f} "
            f"recall@3={self.recall_at_3:.3f} MRR={self.mrr:.3f} | "
            f"nofit={self.nofit_cases:3d} no-runbook={self.no_runbook_rate:.3f} "
            f"wrong(nofit)={self.nofit_wrong_rate:.3f} | "
            f"all={self.cases:3d} wrong(all)={self.wrong_rate:.3f}"
        )


@dataclass
class Report:
    """Scores over all cases and per language."""

    overall: Scores = field(default_factory=Scores)
    by_lang: dict[str, Scores] = field(default_factory=dict)

    def text(self, details: bool = True) -> str:
        """A printable report: the figures, then every miss and every wrong suggestion."""
        lines = [f"{'all':6s} {self.overall.line()}"]
        lines += [f"{lang:6s} {s.line()}" for lang, s in sorted(self.by_lang.items())]
        if details:
            lines.append(f"misses ({len(self.overall.misses)}):")
            lines += [f"  {m}" for m in self.overall.misses]
            lines.append(f"wrong suggestions ({len(self.overall.wrong)}):")
            lines += [f"  {w}" for w in self.overall.wrong]
        return "\n".join(lines)


def evaluate(rank: Ranker, cases: Iterable[Case]) -> Report:
    """Run ``rank`` on every case and score the answers overall and per language."""
    report = Report()
    for case in cases:
        ranked = list(rank(case))
        report.overall.add(case, ranked)
        report.by_lang.setdefault(case.lang, Scores()).add(case, ranked)
    return report
