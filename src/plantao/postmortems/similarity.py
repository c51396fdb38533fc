"""How alike two incidents are: the pure scoring behind "Similar past incidents".

An incident is reduced to a :class:`Profile`: the alert families it holds (``alertname``
lower-cased, digits stripped, so ``Disk1Full`` and ``disk2full`` are one family), its service,
its *stable* labels, and the terms of its title and alert summaries (the runbooks' tokenizer,
so English and Portuguese words meet). Two profiles score

    0.40 · family  +  0.30 · text  +  0.15 · service  +  0.15 · labels

- **family** (overlap of the family sets, 0 or up to 1): the same alert rule firing again is the
  strongest sign of the same failure mode, and responders' first question is "what did we do
  the last time *this* fired?"; it carries the most weight, but not all of it, so a family that
  fires on many services still ranks the same service's incidents first.
- **text** (TF-IDF cosine over title and summaries): the only evidence for incidents declared by
  hand (no alerts) and for alert rules renamed or split; it also separates two incidents of one
  broad family ("disk full on /var" vs "on /data"). Just below family because words are noisier.
  The probe's terms are widened with the runbooks' operational synonyms
  (:mod:`plantao.runbooks.synonyms`: "slow" also asks for "latency", "no space left" for "disk
  full") at half weight, so a hand-declared "checkout very slow" meets past latency alerts; a
  word matched only that way is shown as ``≈stem`` in the reasons.
- **service** (1 when equal): context, not cause: one service has many unrelated incidents.
- **labels** (Jaccard over stable labels): also context (same ``job``, ``namespace``,
  ``cluster``); per-instance labels (``instance``, ``pod``, ids, addresses) are dropped, since
  they differ between two occurrences of the same problem and would make every pair look unlike.

A result needs its own evidence of being the same problem — a shared family, or text
similarity of at least :data:`MIN_TEXT` — and a total above :data:`MIN_SCORE`: a past incident
that only shares the service and its labels is not "similar", and neither is the most recent
incident of an unrelated kind. Ties go to the most recent incident.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from plantao.runbooks import synonyms, tokens
from plantao.runbooks.tokens import terms

WEIGHT_FAMILY = 0.40
WEIGHT_TEXT = 0.30
WEIGHT_SERVICE = 0.15
WEIGHT_LABELS = 0.15
#: A result must score more than this...
MIN_SCORE = 0.15
#: ...and share a family or at least this much text (cosine): service and labels are context.
MIN_TEXT = 0.2

#: Labels that name one occurrence, not the problem: they differ between two firings of the
#: same rule, so they are left out of the label overlap.
VOLATILE_LABELS = frozenset(
    {
        "alertname",
        "severity",
        "instance",
        "pod",
        "pod_name",
        "pod_ip",
        "container_id",
        "id",
        "uid",
        "ip",
        "address",
        "endpoint",
        "fingerprint",
        "le",
        "quantile",
        "prometheus",
        "prometheus_replica",
        "receive",
        "replica",
        "__name__",
    }
)
#: Values that are ids or addresses whatever their label is called (hashes, UUIDs, IPv4:port).
_ID_LIKE = re.compile(r"^(?:[0-9a-f]{8,}|[0-9a-f-]{32,}|\d+(?:\.\d+){3}(?::\d+)?)$")
PREFIX_CHARS = 5
#: How many distinct terms of an incident's text are kept (long descriptions add little).
MAX_TERMS = 200


def family_key(labels: Mapping[str, object]) -> str:
    """The alert family of one alert's labels: the runbook feedback's key
    (:func:`plantao.runbooks.tokens.family_key`: ``alertname`` lower-cased, digits removed;
    ``""`` without one), for labels as stored, where a value need not be text."""
    name = labels.get("alertname")
    return tokens.family_key({"alertname": name}) if isinstance(name, str) else ""


def stable_labels(labels: Mapping[str, object]) -> frozenset[tuple[str, str]]:
    """The labels that describe the problem rather than this occurrence of it."""
    kept = set()
    for key, value in labels.items():
        if key in VOLATILE_LABELS or key.endswith(("_id", "_uid", "_ip")) or key.startswith("__"):
            continue
        text = str(value).strip().lower()
        if not text or len(text) > 200 or _ID_LIKE.match(text):
            continue
        kept.add((key, text))
    return frozenset(kept)


def search_words(title: str, count: int = 3) -> list[str]:
    """What to look for in past titles when the alert family cannot find them (an incident
    declared by hand, a renamed rule): the first five letters of the title's longest words
    (longer words tend to be rarer; five letters, as the tokenizer's prefixes, so ``latência``
    finds ``latency``). Only letters: the result goes into a ``LIKE`` pattern as it is."""
    seen: list[str] = []
    ranked = sorted(
        {w for _, w in text_terms(title) if w.isalpha() and len(w) >= 4}, key=lambda w: (-len(w), w)
    )
    for word in ranked:
        prefix = word[:PREFIX_CHARS]
        if prefix not in seen:
            seen.append(prefix)
        if len(seen) == count:
            break
    return seen


@dataclass(frozen=True)
class AlertFacts:
    """What one alert contributes to its incident's profile."""

    labels: Mapping[str, object]
    summary: str = ""


@dataclass(frozen=True)
class Profile:
    """An incident as the scoring sees it."""

    families: frozenset[str]
    service_id: int
    labels: frozenset[tuple[str, str]]
    terms: Mapping[str, int]
    #: A word as written for each term (what a "why" shows instead of a five-letter stem).
    surface: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=8192)
def text_terms(text: str) -> tuple[tuple[str, str], ...]:
    """The (term, word) pairs of one text, kept per text: alert rules repeat their summaries
    word for word, so most candidates' titles were tokenized by an earlier call."""
    return tuple(terms(text))


def profile(service_id: int, title: str, alerts: Iterable[AlertFacts]) -> Profile:
    """Build the profile of an incident from its title and (some of) its alerts."""
    families: set[str] = set()
    labels: set[tuple[str, str]] = set()
    texts = [title]
    for alert in alerts:
        family = family_key(alert.labels)
        if family:
            families.add(family)
        labels |= stable_labels(alert.labels)
        if alert.summary and alert.summary != title:
            texts.append(alert.summary)
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for text in texts:
        for term, word in text_terms(text):
            counts[term] += 1
            surface.setdefault(term, word)
    kept = dict(counts.most_common(MAX_TERMS))
    return Profile(
        families=frozenset(families),
        service_id=service_id,
        labels=frozenset(labels),
        terms=kept,
        surface={t: surface[t] for t in kept},
    )


@dataclass(frozen=True)
class Scored:
    """One candidate's score, its parts and the short reasons a page or API shows."""

    key: int
    score: float
    family: float
    text: float
    service: float
    labels: float
    why: tuple[str, ...]


def idf(profiles: Sequence[Profile]) -> dict[str, float]:
    """Smoothed inverse document frequency of every term over these profiles (the probe and
    its candidates): terms every candidate shares weigh little, rare ones a lot."""
    df: Counter[str] = Counter()
    for p in profiles:
        df.update(p.terms.keys())
    n = len(profiles)
    return {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}


def _vector(p: Profile, weights: Mapping[str, float]) -> dict[str, float]:
    return {t: (1.0 + math.log(c)) * weights.get(t, 1.0) for t, c in p.terms.items()}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[float, list[str]]:
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0, []
    dot = sum(a[t] * b[t] for t in shared)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    top = sorted(shared, key=lambda t: (-a[t] * b[t], t))[:3]
    return (dot / norm if norm else 0.0), top


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _jaccard(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def score(
    probe: Profile,
    candidate: Profile,
    key: int,
    weights: Mapping[str, float],
    probe_vector: Mapping[str, float] | None = None,
) -> Scored:
    """Score one candidate against the probe (``weights``: :func:`idf` over the pool;
    ``probe_vector``: the probe's weighted terms, when the caller scores many candidates)."""
    family = _overlap(probe.families, candidate.families)
    mine = _vector(probe, weights) if probe_vector is None else probe_vector
    text, words = _cosine(mine, _vector(candidate, weights))
    service = 1.0 if probe.service_id == candidate.service_id else 0.0
    labels = _jaccard(probe.labels, candidate.labels)
    total = (
        WEIGHT_FAMILY * family
        + WEIGHT_TEXT * text
        + WEIGHT_SERVICE * service
        + WEIGHT_LABELS * labels
    )
    why: list[str] = []
    if family:
        why.append("family:" + ",".join(sorted(probe.families & candidate.families)[:3]))
    if service:
        why.append("service")
    if labels:
        shared = sorted(probe.labels & candidate.labels)[:3]
        why.append("labels:" + ",".join(f"{k}={v}" for k, v in shared))
    if words:
        why.append("words:" + ",".join(probe.surface.get(w, "≈" + w) for w in words))
    return Scored(key, round(total, 4), family, text, service, labels, tuple(why))


def rank(
    probe: Profile,
    candidates: Mapping[int, Profile],
    *,
    limit: int,
    recency: Mapping[int, float] | None = None,
    min_score: float = MIN_SCORE,
) -> list[Scored]:
    """The ``limit`` best candidates scoring more than ``min_score``, best first; ties go to
    the larger ``recency`` value (e.g. a resolution timestamp), then the larger key."""
    weights = idf([probe, *candidates.values()])
    mine = _vector(probe, weights)
    mine.update(synonyms.expand(mine))
    scored = [score(probe, p, key, weights, mine) for key, p in candidates.items()]
    kept = [s for s in scored if s.score > min_score and (s.family > 0 or s.text >= MIN_TEXT)]
    when = recency or {}
    kept.sort(key=lambda s: (-s.score, -when.get(s.key, 0.0), -s.key))
    return kept[:limit]
