"""Replay a scripted history of responders' feedback over the real-alert evaluation set and
score the ranker before and after it (used by ``test_feedback_replay.py`` and
``benchmarks/runbook_feedback.py``).

The history is what an on-call team would plausibly do, seeded so every run is the same:

* the set is split by alert family (``tokens.family_key``): for a family with several cases
  (mostly one alert in English and again in Portuguese) one case goes to the history and the
  others are held out; a family with one case goes to either side by a coin toss. The figures
  are computed on the held-out cases only, so feedback is measured on alerts it never saw;
* each history case fires a few times over two months, in time order with a frozen clock;
  every time, responders look at the top 3 as ranked *with the feedback so far* and, with fixed
  probabilities, confirm the first fitting runbook shown, link a fitting one by hand when none
  is shown, and mark wrong suggestions (in neither list) "not relevant";
* responders err too: now and then one confirms a wrong suggestion instead
  (:data:`MISTAKE`), so the figures show what the caps do with noisy votes.

Two libraries are replayed: the shipped pack as it is, and the same pack stripped of its
``families:`` and ``alerts:`` matchers (:func:`plain_index`), which is what an operator's own
runbooks usually look like: there the ranking only has words to go on and misses more, so the
figures show what feedback recovers.

Votes become adjustments with the production code (:mod:`plantao.runbooks.feedback_weights`),
exactly as ``runbooks.feedback.weights_for`` does from the database.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from plantao.runbooks.document import Runbook
from plantao.runbooks.feedback_weights import Vote, adjustments
from plantao.runbooks.suggest import THRESHOLD, SuggestIndex
from plantao.runbooks.tokens import family_key

from .real_alerts import TOP, Case, Report, evaluate, index_ranker

SEED = 15
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 60
FIRINGS = (1, 4)  # how many times each history alert fires, inclusive
CONFIRM = 0.7  # a fitting runbook is shown: someone confirms it
LINK = 0.4  # none is shown: someone finds one and links it by hand
REJECT = 0.5  # a wrong runbook is shown: someone marks it not relevant
MISTAKE = 0.05  # someone confirms a wrong runbook instead


class Chance(Protocol):
    """Where the scripted responders' coin tosses come from (``random.Random`` in the replay)."""

    def random(self) -> float: ...


@dataclass
class Replay:
    """The split, the votes cast and the figures before and after them."""

    history: list[Case]
    held_out: list[Case]
    votes: dict[str, list[Vote]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    end: datetime = START
    before: Report | None = None
    after: Report | None = None


def plain_index(runbooks: Iterable[Runbook]) -> SuggestIndex:
    """An index over the runbooks without their ``families:`` and ``alerts:`` matchers."""
    return SuggestIndex(replace(rb, families=(), alerts=()) for rb in runbooks)


def split(cases: Sequence[Case], rng: random.Random) -> tuple[list[Case], list[Case]]:
    """History and held-out cases, no case in both; see the module docstring."""
    families: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        families[family_key(case.labels)].append(case)
    history: list[Case] = []
    held_out: list[Case] = []
    for key in sorted(families):
        group = families[key]
        if len(group) > 1:
            pick = rng.randrange(len(group))
            history.append(group[pick])
            held_out.extend(c for n, c in enumerate(group) if n != pick)
        elif rng.random() < 0.5:
            history.append(group[0])
        else:
            held_out.append(group[0])
    return history, held_out


def _adjust(replay: Replay, case: Case, now: datetime) -> Mapping[str, float]:
    return adjustments(replay.votes.get(family_key(case.labels), ()), now)


def respond(replay: Replay, case: Case, shown: Sequence[str], now: datetime, rng: Chance) -> None:
    """One incident: what the responders on it click, as votes on the case's family."""
    family = family_key(case.labels)
    if not family:
        return

    def vote(runbook_id: str, verdict: int, kind: str) -> None:
        replay.votes[family].append(Vote(runbook_id, verdict, now))
        replay.kinds[kind] += 1

    wrong = [r for r in shown if not case.acceptable(r)]
    fitting = [r for r in shown if r in case.fitting]
    if wrong and rng.random() < MISTAKE:
        vote(wrong[0], 1, "confirm")
        return
    if fitting and rng.random() < CONFIRM:
        vote(fitting[0], 1, "confirm")
    elif not fitting and case.fitting and rng.random() < LINK:
        vote(case.fitting[0], 1, "link")
    for runbook_id in wrong:
        if rng.random() < REJECT:
            vote(runbook_id, -1, "reject")


def replay(
    index: SuggestIndex,
    cases: Sequence[Case],
    seed: int = SEED,
    firings: tuple[int, int] = FIRINGS,
    threshold: float = THRESHOLD,
) -> Replay:
    """Split the cases, play the history in time order (each history alert firing between
    ``firings`` times, inclusive), score the held-out cases with no feedback and with the
    feedback as it stands at the end of the history. ``threshold`` is the ranker's bar (a
    stricter one shows what feedback does where the ranking abstains)."""
    rng = random.Random(seed)
    history, held_out = split(cases, rng)
    found = Replay(history, held_out)
    fired: list[tuple[datetime, int, Case]] = [
        (START + timedelta(seconds=rng.uniform(0, DAYS * 86400)), n, case)
        for n, case in enumerate(history)
        for _ in range(rng.randint(*firings))
    ]
    for at, _, case in sorted(fired, key=lambda f: (f[0], f[1])):  # time order
        shown = [
            s.id
            for s in index.suggest(
                case.labels,
                case.annotations,
                k=TOP,
                lang=case.lang,
                threshold=threshold,
                adjust=_adjust(found, case, at),
            )
        ]
        respond(found, case, shown, at, rng)
    found.end = START + timedelta(days=DAYS)
    found.before = evaluate(index_ranker(index, threshold=threshold), held_out)
    after = index_ranker(
        index, threshold=threshold, adjust=lambda held: _adjust(found, held, found.end)
    )
    found.after = evaluate(after, held_out)
    return found
