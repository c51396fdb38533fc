"""Rank runbooks for an alert with field-weighted BM25 (BM25F) plus alert-specific evidence, or
say "no runbook found".

Why BM25F and not embeddings or plain substring search: the platform is self-hosted and must
run without a model server; alerts are short, keyword-heavy texts (alert names, service labels,
a summary line) where lexical overlap with a runbook's title, symptoms and tags is a strong
signal; and BM25's inverse document frequency makes rare words ("kafka", "certificate") count
more than common ones. Field weights encode that a word in a title, symptom phrase or alert
matcher is worth more than the same word in a long body. Why not ``bm25s`` or ``tantivy``: both
were considered; the hand-written index answers in about 1 ms at p99 over 1,000 runbooks
(``benchmarks/runbooks.py``), so speed is not what they would buy, neither offers per-field
saturation (BM25F) with our normalised "share of the alert explained" score, and every gain on
real alerts came from alert-specific evidence, not from the index: a dependency would add
nothing measurable.

What the score is made of (docs/runbook-ranking.md has the figures):

- words: the alert's terms (:mod:`plantao.runbooks.alert_query`: weighted by where they come
  from, generic words damped, synonyms added at a lower weight) matched against the runbook's
  fields, normalised by the best score the query could reach, so the text part reads as "the
  share of the alert's evidence this runbook explains" (0..1);
- families: an alert in a family the runbook declares (``families:``) adds
  :data:`FAMILY_BONUS` — strong evidence, but it competes with the words;
- feedback: ``adjust`` (responders' confirmations and rejections for the alert family);
- links: ``alerts:`` matchers that select the alert add 1, so it ranks first.

Abstention: below :data:`THRESHOLD` nothing is returned — a wrong runbook during an incident
costs more than none. Words alone are grounds for a suggestion only when they are specific: at
least :data:`MIN_HEAD_TERMS` distinct non-generic alert words must appear in the runbook's
head fields (title, symptoms, tags, services, matchers), and an alert named after a
product (``EtcdMembersDown``) only meets another product's runbook through a family or a link.
A runbook scoring under :data:`RELATIVE` of the best one is dropped.

Documents are (id, lang) entries; everything that does not depend on the query is precomputed
at build time, so a query is a few dictionary look-ups and additions per term.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from plantao.matchers import Matcher
from plantao.runbooks.alert_query import QueryTerm, alert_product, alert_query
from plantao.runbooks.document import Runbook, is_specific
from plantao.runbooks.families import Family
from plantao.runbooks.tokens import terms

__all__ = ["THRESHOLD", "SuggestIndex", "Suggestion", "alert_query"]

K1 = 1.2
# Calibrated on the real-alert set (tests/fixtures/alert_rules, 372 alerts) plus the project's
# own fixture alerts (tests/unit/runbooks/fixtures/alerts_*.json, 76) by maximising
# J = recall@3 (fitting cases) + no-runbook rate (no-fit cases) - 2 x wrong-suggestion rate
# (all cases). J peaks at 0.30 (1.856; 1.83-1.85 anywhere from 0.24 to 0.56, so the choice is
# not fragile). Margin: the nearest fitting suggestion above the bar scores 0.301, the highest
# suggestion below it 0.289 (a wrong one).
THRESHOLD = 0.30
# field -> (weight, length-normalisation b); short fields barely length-normalise.
FIELDS: dict[str, tuple[float, float]] = {
    "title": (3.0, 0.3),
    "alerts": (3.0, 0.3),
    "symptoms": (2.5, 0.5),
    "tags": (2.0, 0.3),
    "services": (2.0, 0.3),
    # the literal words of families: globs: support for ordering, not grounds (no head field),
    # so a product named in a generic runbook's family (Nginx*Latency*) does not make it a
    # match for every alert of that product.
    "families": (1.0, 0.3),
    "body": (1.0, 0.75),
}
# An expanded synonym counts this much in the ceiling: enough that a word with many synonyms
# cannot explain more than the alert said, little enough that synonyms do not dilute it.
EXPANDED_CEILING = 0.5
# Words alone must be specific: a runbook with no family, link or feedback needs this many
# distinct non-generic alert words in its title, symptoms, tags, services or matchers.
MIN_HEAD_TERMS = 3
# A suggestion scoring under this share of the best one is dropped: next to a runbook the
# alert's family or matcher names, a runbook that only shares some words is noise.
RELATIVE = 0.4
# Evidence a declared family match adds to the normalised score: an alert-name glob is the
# rule author's own name for the failure; a label glob (job=*mysqld*) names the technology only.
FAMILY_BONUS = {"name": 0.5, "label": 0.3}


@dataclass(frozen=True)
class Suggestion:
    """One ranked runbook. ``why`` holds short English reason codes a page can render:
    ``"matcher"`` (linked by its alert matchers), ``"family:<glob>"`` (a declared family),
    ``"words:disk,full"`` (alert words that matched), ``"feedback:+0.20"`` (responders'
    adjustment)."""

    id: str
    title: str
    score: float
    why: tuple[str, ...] = ()
    lang: str = "en"
    linked: bool = False

    @property
    def reason(self) -> str:
        """``why`` as one line, for places that store or print text."""
        return "; ".join(self.why)


def _fields(rb: Runbook) -> dict[str, str]:
    matcher_words = " ".join(m.value for group in rb.alerts for m in group if m.op in ("=", "=~"))
    family_words = " ".join(f.text.partition("=")[2] or f.text for f in rb.families)
    return {
        "title": rb.title,
        "alerts": matcher_words,
        "symptoms": " . ".join(rb.symptoms),
        "tags": " ".join(rb.tags),
        "services": " ".join(rb.services),
        "families": family_words,
        "body": rb.body,
    }


class SuggestIndex:
    """Immutable postings over a set of runbooks; rebuild it when the library changes."""

    def __init__(self, runbooks: Iterable[Runbook]) -> None:
        self.docs = list(runbooks)
        n = len(self.docs)
        self.docs_by_id: dict[str, list[int]] = defaultdict(list)
        for doc, rb in enumerate(self.docs):
            self.docs_by_id[rb.id].append(doc)
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
        # A word no runbook uses still counts against the ceiling (the alert is partly about
        # something else), but no more than the rarest word that does occur (df = 1).
        self.unknown_idf = math.log(1 + (n - 1 + 0.5) / 1.5)
        # term -> [(doc, saturated BM25F score)]; doc -> term -> (score, field that gave most)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.doc_terms: list[dict[str, tuple[float, str]]] = []
        self.head_terms: list[frozenset[str]] = [
            frozenset(
                t
                for f, counts in per_field.items()
                if f not in ("body", "families")
                for t in counts
            )
            for per_field in tfs
        ]
        for doc, per_field in enumerate(tfs):
            pseudo: dict[str, float] = defaultdict(float)
            best: dict[str, tuple[float, str]] = {}
            for name, counts in per_field.items():
                weight, b = FIELDS[name]
                norm = 1 - b + b * sum(counts.values()) / avg[name]
                for term, tf in counts.items():
                    part = weight * tf / norm
                    pseudo[term] += part
                    if part > best.get(term, (0.0, ""))[0]:
                        best[term] = (part, name)
            contributions: dict[str, tuple[float, str]] = {}
            for term, tf_tilde in pseudo.items():
                score = self.idf[term] * tf_tilde * (K1 + 1) / (K1 + tf_tilde)
                self.postings[term].append((doc, score))
                contributions[term] = (score, best[term][1])
            self.doc_terms.append(contributions)
        self.max_score = {t: max(s for _, s in p) for t, p in self.postings.items()}
        self.families = [(doc, rb.families) for doc, rb in enumerate(self.docs) if rb.families]
        # Explicit links: groups keyed by an exact alertname when they have one, else scanned.
        self.links_by_name: dict[str, list[tuple[int, tuple[Matcher, ...]]]] = defaultdict(list)
        self.links_other: list[tuple[int, tuple[Matcher, ...]]] = []
        for doc, rb in enumerate(self.docs):
            for group in filter(is_specific, rb.alerts):
                exact = next(
                    (m.value for m in group if m.name == "alertname" and m.op == "="), None
                )
                if exact is None:
                    self.links_other.append((doc, group))
                else:
                    self.links_by_name[exact].append((doc, group))

    def _linked(self, labels: Mapping[str, str]) -> set[int]:
        candidates = self.links_by_name.get(labels.get("alertname", ""), []) + self.links_other
        return {doc for doc, group in candidates if all(m.matches(labels) for m in group)}

    def suggest(
        self,
        labels: Mapping[str, str],
        annotations: Mapping[str, str] | None = None,
        k: int = 3,
        lang: str | None = None,
        threshold: float = THRESHOLD,
        *,
        adjust: Mapping[str, float] | None = None,
    ) -> list[Suggestion]:
        """Top ``k`` runbooks (languages merged by id, best score wins) above ``threshold``.

        ``adjust`` maps a runbook id to an additive change of its normalised score (responders'
        feedback for this alert family), applied before the threshold and the ranking: a
        runbook responders linked can appear with no shared words, a rejected one can drop
        out."""
        query = alert_query(labels, annotations)
        # Expanded synonyms add evidence but do not raise the ceiling: an alert is not "less
        # explained" because its words have many synonyms.
        ceiling = sum(
            q.weight
            * self.idf.get(t, self.unknown_idf)
            * (K1 + 1)
            * (EXPANDED_CEILING if q.expanded else 1.0)
            for t, q in query.items()
        )
        adjust = adjust or {}
        families = self._families(labels)
        # MaxScore pruning: terms whose combined best case stays under the bar cannot lift a
        # runbook over it alone, so they only add to runbooks the other terms already found.
        # Families, feedback and links can lift a runbook without words: those are scored
        # in full below whatever the bar.
        bar = threshold * ceiling
        known = sorted(
            (q.weight * self.max_score[t], t, q.weight)
            for t, q in query.items()
            if t in self.max_score
        )
        optional: list[tuple[str, float]] = []
        bound = 0.0
        while known and bound + known[0][0] < bar:
            top, term, weight = known.pop(0)
            bound += top
            optional.append((term, weight))
        scores: dict[int, float] = defaultdict(float)
        for _, term, weight in known:
            for doc, score in self.postings[term]:
                scores[doc] += weight * score
        linked = self._linked(labels)
        candidates = set(scores) | linked | set(families)
        candidates.update(d for rid in adjust for d in self.docs_by_id.get(rid, ()))
        for doc in candidates:
            contributions = self.doc_terms[doc]
            for term, weight in optional:
                hit = contributions.get(term)
                if hit is not None:
                    scores[doc] += weight * hit[0]
        specific = frozenset(t for t, q in query.items() if not q.generic and not q.expanded)
        product = alert_product(labels)
        best: dict[str, tuple[Suggestion, int]] = {}
        for doc in candidates:
            rb = self.docs[doc]
            change = adjust.get(rb.id, 0.0)
            family = families.get(doc)
            text = min(1.0, scores.get(doc, 0.0) / ceiling) if ceiling else 0.0
            score = (
                text
                + change
                + (
                    FAMILY_BONUS["name" if family and family.on_name else "label"]
                    if family
                    else 0.0
                )
            )
            if doc in linked:
                score += 1.0
            elif score < threshold or (
                family is None
                and change <= 0
                and (
                    len(self.head_terms[doc] & specific) < MIN_HEAD_TERMS
                    or (product is not None and product not in self.head_terms[doc])
                )
            ):
                # Generic words alone ("high", "memory", "latency") are no grounds for one.
                continue
            current = best.get(rb.id)
            preferred = lang is not None and rb.lang == lang
            if (
                current is None
                or score > current[0].score + 1e-9
                or (preferred and abs(score - current[0].score) <= 1e-9)
            ):
                found = Suggestion(rb.id, rb.title, round(score, 4), (), rb.lang, doc in linked)
                best[rb.id] = (found, doc)
        ranked = sorted(best.values(), key=lambda pair: (-pair[0].score, pair[0].id))[:k]
        if ranked:
            floor = ranked[0][0].score * RELATIVE
            ranked = [pair for pair in ranked if pair[0].score >= floor]
        return [self._explain(found, doc, query, adjust, families) for found, doc in ranked]

    def _families(self, labels: Mapping[str, str]) -> dict[int, Family]:
        """doc -> the first declared family the alert belongs to (alert-name globs first)."""
        found: dict[int, Family] = {}
        for doc, fams in self.families:
            match = next((f for f in fams if f.on_name and f.matches(labels)), None)
            match = match or next((f for f in fams if not f.on_name and f.matches(labels)), None)
            if match is not None:
                found[doc] = match
        return found

    def _explain(
        self,
        suggestion: Suggestion,
        doc: int,
        query: Mapping[str, QueryTerm],
        adjust: Mapping[str, float],
        families: Mapping[int, Family],
    ) -> Suggestion:
        """Reason codes: the matcher link, the family, the alert words that carried the score
        (best first), the feedback adjustment."""
        contributions = self.doc_terms[doc]
        hits = sorted(
            (
                (q.weight * contributions[t][0], q.surface)
                for t, q in query.items()
                if t in contributions
            ),
            key=lambda h: -h[0],
        )
        why = ["matcher"] if suggestion.linked else []
        family = families.get(doc)
        if family is not None:
            why.append(f"family:{family.text}")
        if hits:
            why.append("words:" + ",".join(dict.fromkeys(surface for _, surface in hits[:5])))
        change = adjust.get(suggestion.id, 0.0)
        if change:
            why.append(f"feedback:{change:+.2f}")
        return replace(suggestion, why=tuple(why))
