"""Turn responders' votes on runbooks into score adjustments for the ranker (pure).

Responders confirm a suggested runbook (+1), link another one by hand (+1) or reject a
suggestion as "not relevant" (-1), always for the alert family of the incident
(:func:`plantao.runbooks.tokens.family_key`). The next alert of that family gets each voted
runbook's normalised score moved by the ``adjust`` this module computes, before the ranker's
threshold (``SuggestIndex.suggest(..., adjust=...)``).

Why these shapes:

* **Decay** (:data:`HALF_LIFE_DAYS`): runbooks and systems change; a vote from last year
  should not outweigh what the team does now. Each vote counts ``0.5 ** (age / half-life)``.
* **Squash and cap** (:data:`CAP`, :data:`SCALE`): the decayed sum goes through ``tanh``, so
  the adjustment never exceeds ``±CAP`` however many clicks pile up, and the first click moves
  the score by :data:`ONE_VOTE` (0.08) — a nudge between runbooks the text already supports,
  not a verdict. The cap sits just above the ranker's bar (``suggest.THRESHOLD``): a runbook
  that shares no word with an alert family but that responders keep linking by hand is
  suggested on feedback alone after about six recent votes, never after one or two.
* **Rejects count less** (:data:`REJECT_WEIGHT`): a "not relevant" often means "not for this
  particular incident" (the right runbook sat next to it), while a confirmation says what was
  followed; so one reject lowers a runbook less than one confirmation raises it, and several
  confirmations outweigh the same number of rejects.

Votes only ever affect the family they were cast for: a rejection of ``database-issues`` for
``kubenodenotready`` says nothing about a ``postgresdown`` alert.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from plantao.runbooks.suggest import THRESHOLD

#: Age after which a vote counts half (then a quarter after twice as long, and so on).
HALF_LIFE_DAYS = 30.0
#: The largest change, either way, that votes can make to a runbook's normalised score: just
#: above the suggestion bar, so that only many votes can put up a runbook the text does not.
CAP = round(THRESHOLD + 0.05, 4)
#: What one fresh confirmation changes.
ONE_VOTE = 0.08
#: Decayed votes at which the adjustment reaches tanh(1) ≈ 76 % of the cap (about 4.3 at a 0.35
#: cap), chosen so that one vote moves the score by :data:`ONE_VOTE`.
SCALE = 1.0 / math.atanh(ONE_VOTE / CAP)
#: What one rejection weighs against one confirmation or manual link.
REJECT_WEIGHT = 0.75
#: Adjustments smaller than this are dropped: they would only add noise to the "why".
NEGLIGIBLE = 0.005
VERDICTS = (1, -1)
KINDS = ("confirm", "reject", "link")


@dataclass(frozen=True)
class Vote:
    """One responder's verdict on one runbook for one alert family, at a time."""

    runbook_id: str
    verdict: int
    created_at: datetime


def decayed(vote: Vote, now: datetime) -> float:
    """The vote's signed weight today: rejections weigh :data:`REJECT_WEIGHT`, and every vote
    halves each :data:`HALF_LIFE_DAYS`. A vote stamped in the future (clock skew between
    engines) counts as cast now, never more."""
    age_days = max((now - vote.created_at).total_seconds(), 0.0) / 86400.0
    weight = 1.0 if vote.verdict > 0 else -REJECT_WEIGHT
    return weight * math.pow(0.5, age_days / HALF_LIFE_DAYS)


def squash(total: float) -> float:
    """Decayed vote sum → score change, bounded by ±:data:`CAP` (tanh keeps it smooth and
    odd, so confirming and rejecting behave alike apart from the rejection weight)."""
    return CAP * math.tanh(total / SCALE)


def adjustments(votes: Iterable[Vote], now: datetime) -> dict[str, float]:
    """Runbook id → additive change to its normalised score for the family the votes were
    cast for; runbooks whose votes cancel out or have decayed away are left out."""
    totals: dict[str, float] = {}
    for vote in votes:
        totals[vote.runbook_id] = totals.get(vote.runbook_id, 0.0) + decayed(vote, now)
    out = {rid: round(squash(total), 4) for rid, total in totals.items()}
    return {rid: change for rid, change in out.items() if abs(change) >= NEGLIGIBLE}


def reason(change: float) -> str:
    """The short reason code a suggestion shows for its feedback share (``feedback:+0.08``)."""
    return f"feedback:{change:+.2f}"
