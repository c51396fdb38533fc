"""Retrieval metrics for runbook suggestions, shared by the quality tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plantao.runbooks.suggest import SuggestIndex


@dataclass
class Quality:
    total: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    reciprocal: float = 0.0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.total if self.total else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.hits_at_3 / self.total if self.total else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.total if self.total else 0.0

    def line(self) -> str:
        return (
            f"alerts={self.total} recall@1={self.recall_at_1:.3f} "
            f"recall@3={self.recall_at_3:.3f} MRR={self.mrr:.3f} "
            f"false_positives={len(self.false_positives)}"
        )


def load_cases(paths: Iterable[Path]) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        cases.extend(data if isinstance(data, list) else data.get("alerts", []))
    return cases


def evaluate(index: SuggestIndex, cases: list[dict[str, Any]]) -> Quality:
    quality = Quality()
    for case in cases:
        labels = {str(k): str(v) for k, v in case.get("labels", {}).items()}
        annotations = {str(k): str(v) for k, v in case.get("annotations", {}).items()}
        ids = [s.id for s in index.suggest(labels, annotations, k=3)]
        name = labels.get("alertname", "?")
        expected = case.get("expected")
        if expected is None:
            if ids:
                quality.false_positives.append(f"{name} -> {ids}")
            continue
        quality.total += 1
        if expected in ids:
            rank = ids.index(expected) + 1
            quality.reciprocal += 1 / rank
            quality.hits_at_1 += rank == 1
            quality.hits_at_3 += 1
        else:
            quality.misses.append(f"{name} expected {expected}, got {ids}")
    return quality
