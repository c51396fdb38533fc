"""Operational synonyms in English and Portuguese, shipped as data, to widen an alert's words.

Why a hand-kept vocabulary and not embeddings: the words responders use for the same failure
are few and well known (backend down / service unavailable / fora do ar; OOM / out of memory;
lag / backlog / atraso), a self-hosted platform must run without a model server, and a YAML list
is reviewable like code. The list lives in ``vocabulary/synonyms.yaml`` (package data).

A group fires when every term of one of its phrases is in the alert; the other phrases' terms
are added to the query at :data:`EXPANSION_WEIGHT` of the weakest matched term's weight, so an
expanded word can support a runbook but weighs less than a word the alert really said.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

from plantao.runbooks.tokens import terms

VOCABULARY = Path(__file__).parent / "vocabulary" / "synonyms.yaml"
#: An expanded term's weight as a share of the alert word that triggered it.
EXPANSION_WEIGHT = 0.5

Phrase = tuple[str, ...]


def parse_groups(text: str) -> list[list[Phrase]]:
    """The YAML text -> groups of phrases, each phrase as its tokenizer terms."""
    data = yaml.safe_load(text) or {}
    groups: list[list[Phrase]] = []
    for raw in data.get("groups", []):
        phrases = [tuple(dict.fromkeys(t for t, _ in terms(str(p)))) for p in raw]
        phrases = [p for p in dict.fromkeys(phrases) if p]
        if len(phrases) > 1:
            groups.append(phrases)
    return groups


@cache
def shipped_groups() -> tuple[tuple[Phrase, ...], ...]:
    """The shipped vocabulary, read once per process."""
    groups = parse_groups(VOCABULARY.read_text(encoding="utf-8"))
    return tuple(tuple(g) for g in groups)


def expand(
    weights: Mapping[str, float], groups: tuple[tuple[Phrase, ...], ...] | None = None
) -> dict[str, float]:
    """Terms to add to a query (term -> weight), never one it already has."""
    added: dict[str, float] = {}
    for group in shipped_groups() if groups is None else groups:
        fired = [min(weights[t] for t in p) for p in group if all(t in weights for t in p)]
        if not fired:
            continue
        weight = max(fired) * EXPANSION_WEIGHT
        for phrase in group:
            for term in phrase:
                if term not in weights and added.get(term, 0.0) < weight:
                    added[term] = weight
    return added
