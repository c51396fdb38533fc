"""Rank runbooks for an alert with field-weighted BM25 (BM25F), or say "no runbook found".

Why BM25F and not embeddings or plain substring search: the platform is self-hosted and must
run without a model server; alerts are short, keyword-heavy texts (alert names, service labels,
a summary line) where lexical overlap with a runbook's title, symptoms and tags is the strongest
signal; and BM25's inverse document frequency makes rare words ("kafka", "certificate") count
more than common ones ("high", "error"). Field weights encode that a word in a title, symptom
phrase or alert matcher is worth more than the same word in a long body.

Documents are (id, lang) entries; everything that does not depend on the query (term frequency
per field, length normalisation, IDF, the saturated term score) is precomputed at build time,
so a query is a few dictionary look-ups and additions per term.

Scores are normalised by the best score the query could reach (every term saturated in every
field), so ``score`` reads as "the share of the alert's evidence this runbook explains", and
:data:`THRESHOLD` is a fixed bar that does not drift with corpus size or alert verbosity. Below
it we return nothing: a wrong runbook during an incident costs more than none. A runbook whose
``alerts`` matchers explicitly link it to the alert ranks first regardless (score >= 1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plantao.runbooks.document import Runbook, is_specific
from plantao.runbooks.tokens import terms

K1 = 1.2
THRESHOLD = 0.25
# field -> (weight, length-normalisation b); short fields barely length-normalise.
FIELDS: dict[str, tuple[float, float]] = {
    "title": (3.0, 0.3), "alerts": (3.0, 0.3), "symptoms": (2.5, 0.5), "tags": (2.0, 0.3),
    "services": (2.0, 0.3), "body": (1.0, 0.75),
}
# Where a query term came from -> its weight in the query.
QUERY_WEIGHTS = {"alertname": 2.0, "label": 1.0, "summary": 1.0, "description": 0.6}
IGNORED_LABELS = frozenset({
    "severity", "prometheus", "receiver", "instance", "le", "quantile", "endpoint", "pod_ip",
    "priority", "team", "env", "environment", "region", "cluster", "monitor",
})


@dataclass(frozen=True)
class Suggestion:
    id: str
    title: str
    score: float
    why: str
    lang: str = "en"
    linked: bool = False


def _fields(rb: Runbook) -> dict[str, str]:
    matcher_words = " ".join(
        m.value for group in rb.alerts for m in group if m.op in ("=", "=~")
    )
    return {
        "title": rb.title, "alerts": matcher_words, "symptoms": " . ".join(rb.symptoms),
        "tags": " ".join(rb.tags), "services": " ".join(rb.services), "body": rb.body,
    }


def alert_query(
    labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> dict[str, tuple[float, str]]:
    """term -> (query weight, surface word seen in the alert)."""
    parts: list[tuple[str, float]] = []
    for name, value in labels.items():
        if name == "alertname":
            parts.append((value, QUERY_WEIGHTS["alertname"]))
        elif name not in IGNORED_LABELS:
            parts.append((value, QUERY_WEIGHTS["label"]))
    for name, value in (annotations or {}).items():
        if name in ("summary", "title", "alertname"):
            parts.append((value, QUERY_WEIGHTS["summary"]))
        elif name in ("description", "message"):
            parts.append((value, QUERY_WEIGHTS["description"]))
    query: dict[str, tuple[float, str]] = {}
    for text, weight in parts:
        for term, surface in terms(text):
            if term not in query or query[term][0] < weight:
                query[term] = (weight, surface)
    return query


class SuggestIndex:
    """Immutable postings over a set of runbooks; rebuild it when the library changes."""

    def __init__(self, runbooks: Iterable[Runbook]) -> None:
        self.docs = list(runbooks)
        n = len(self.docs)
        tfs: list[dict[str, dict[str, int]]] = []  # doc -> field -> term -> count
        total_len = dict.fromkeys(FIELDS, 0)
        for rb in self.docs:
            per_field: dict[str, dict[str, int]] = {}
            for name, text in _fields(rb).items():
                counts: dict[str, int] = defaultdict(int)
                for term, _ in terms(text):
                    counts[term] += 1
                per_field[name] = counts
                total_len[name] += sum(counts.values())
            tfs.append(per_field)
        avg = {f: (total_len[f] / n if n else 0.0) or 1.0 for f in FIELDS}
        df: dict[str, int] = defaultdict(int)
        for per_field in tfs:
            for term in {t for counts in per_field.values() for t in counts}:
                df[term] += 1
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        # term -> [(doc, saturated BM25F score, field that contributed most)]
        self.postings: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
        for doc, per_field in enumerate(tfs):
            lengths = {f: sum(c.values()) for f, c in per_field.items()}
            pseudo: dict[str, float] = defaultdict(float)
            best: dict[str, tuple[float, str]] = {}
            for name, counts in per_field.items():
                weight, b = FIELDS[name]
                norm = 1 - b + b * lengths[name] / avg[name]
                for term, tf in counts.items():
                    part = weight * tf / norm
                    pseudo[term] += part
                    if part > best.get(term, (0.0, ""))[0]:
                        best[term] = (part, name)
            for term, tf_tilde in pseudo.items():
                score = self.idf[term] * tf_tilde * (K1 + 1) / (K1 + tf_tilde)
                self.postings[term].append((doc, score, best[term][1]))

    def suggest(
        self, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None,
        k: int = 3, lang: str | None = None, threshold: float = THRESHOLD,
    ) -> list[Suggestion]:
        """Top ``k`` runbooks (languages merged by id, best score wins) above ``threshold``."""
        query = alert_query(labels, annotations)
        ceiling = sum(
            w * self.idf.get(t, self.unknown_idf) * (K1 + 1) for t, (w, _) in query.items()
        )
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, list[tuple[float, str, str]]] = defaultdict(list)
        for term, (weight, surface) in query.items():
            for doc, score, fld in self.postings.get(term, ()):
                scores[doc] += weight * score
                matched[doc].append((weight * score, surface, fld))
        for doc, rb in enumerate(self.docs):
            if any(is_specific(g) and all(m.matches(labels) for m in g) for g in rb.alerts):
                scores[doc] += ceiling or 1.0
                matched[doc].insert(0, (math.inf, "", "alert matcher"))
        best: dict[str, Suggestion] = {}
        for doc, raw in scores.items():
            rb = self.docs[doc]
            score = raw / ceiling if ceiling else (1.0 if raw else 0.0)
            linked = bool(matched[doc]) and matched[doc][0][2] == "alert matcher"
            if score < threshold and not linked:
                continue
            current = best.get(rb.id)
            preferred = lang is not None and rb.lang == lang
            if current is None or score > current.score + 1e-9 or (
                preferred and abs(score - current.score) <= 1e-9
            ):
                best[rb.id] = Suggestion(rb.id, rb.title, round(score, 4),
                                         _why(matched[doc]), rb.lang, linked)
        ranked = sorted(best.values(), key=lambda s: (-s.score, s.id))
        return ranked[:k]


def _why(hits: list[tuple[float, str, str]]) -> str:
    parts = [
        "linked by alert matcher" if fld == "alert matcher" else f"'{surface}' ({fld})"
        for _, surface, fld in sorted(hits, key=lambda h: -h[0])[:5]
    ]
    return "matched " + ", ".join(parts)
