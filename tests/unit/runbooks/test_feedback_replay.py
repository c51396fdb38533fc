"""Replaying a scripted history of responders' feedback over the real-alert evaluation set keeps
(or raises) recall on alerts the history never saw without costing the "no runbook" answers;
the scripted responders vote as the replay module says."""

from __future__ import annotations

import pytest

from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.tokens import family_key

from .feedback_replay import START, Replay, plain_index, replay, respond
from .real_alerts import Case, load_cases


@pytest.fixture(scope="module", params=["shipped pack", "pack without families or matchers"])
def replayed(request: pytest.FixtureRequest) -> Replay:
    library = RunbookLibrary.load(default_pack_dir())
    plain = request.param != "shipped pack"
    index = plain_index(library.all()) if plain else library.index()
    found = replay(index, load_cases())
    assert found.before is not None and found.after is not None
    print(f"\nfeedback replay, {request.param}: history {len(found.history)} cases, ", end="")
    print(f"votes {dict(found.kinds)}")
    print("held out, before feedback:\n" + found.before.text(details=False))
    print("held out, after feedback:\n" + found.after.text(details=False))
    return found


def test_history_and_evaluation_are_disjoint(replayed: Replay) -> None:
    """No evaluated case was in the history, the history cast votes, and held-out cases share
    families with it (so the feedback can reach them)."""
    assert replayed.history and replayed.held_out
    assert not {id(c) for c in replayed.history} & {id(c) for c in replayed.held_out}
    assert replayed.kinds["confirm"] > 0
    assert set(replayed.kinds) <= {"confirm", "link", "reject"}
    seen = {family_key(c.labels) for c in replayed.history}
    assert any(family_key(c.labels) in seen for c in replayed.held_out)


def test_feedback_does_not_lower_recall(replayed: Replay) -> None:
    """Recall@3 on the held-out cases after the replay is at least what it was before."""
    assert replayed.before is not None and replayed.after is not None
    assert replayed.after.overall.recall_at_3 >= replayed.before.overall.recall_at_3
    for lang, after in replayed.after.by_lang.items():
        assert after.recall_at_3 >= replayed.before.by_lang[lang].recall_at_3, lang


def test_feedback_finds_what_words_miss() -> None:
    """Where the ranking has only words to go on (no families or matchers), responders'
    confirmations and hand links raise recall@3 on held-out alerts of the same families."""
    index = plain_index(RunbookLibrary.load(default_pack_dir()).all())
    found = replay(index, load_cases())
    assert found.before is not None and found.after is not None
    assert found.after.overall.recall_at_3 > found.before.overall.recall_at_3
    assert found.kinds["link"] > 0


def test_feedback_keeps_no_runbook_answers(replayed: Replay) -> None:
    """The "no runbook" rate on held-out no-fit cases drops by at most 0.02."""
    assert replayed.before is not None and replayed.after is not None
    before, after = replayed.before.overall, replayed.after.overall
    assert after.no_runbook_rate >= before.no_runbook_rate - 0.02


class _Draws:
    """A random source returning the given draws in order (0.0 takes every chance)."""

    def __init__(self, *draws: float) -> None:
        self.draws = iter(draws)

    def random(self) -> float:
        return next(self.draws)


def _case(fitting: tuple[str, ...], tolerable: tuple[str, ...] = ()) -> Case:
    labels = {"alertname": "DiskAlmostFull"}
    return Case("test", "DiskAlmostFull", labels, {}, "en", fitting, tolerable)


def test_scripted_responders_vote_as_described() -> None:
    """Shown a fitting runbook they confirm it and reject the wrong ones (not the tolerable
    ones); shown none, they link a fitting one by hand; all under the alert's family."""
    found = Replay([], [])
    shown = ["wrong", "disk", "volume"]
    respond(found, _case(("disk",), ("volume",)), shown, START, _Draws(0.99, 0.0, 0.0))
    respond(found, _case(("disk",)), [], START, _Draws(0.0))
    votes = [(v.runbook_id, v.verdict) for v in found.votes["diskalmostfull"]]
    assert votes == [("disk", 1), ("wrong", -1), ("disk", 1)]
    assert dict(found.kinds) == {"confirm": 1, "reject": 1, "link": 1}


def test_a_mistaken_responder_confirms_a_wrong_runbook() -> None:
    """When the mistake draw hits, the wrong runbook shown is confirmed and nothing else."""
    found = Replay([], [])
    respond(found, _case(("disk",)), ["wrong", "disk"], START, _Draws(0.0))
    assert [(v.runbook_id, v.verdict) for v in found.votes["diskalmostfull"]] == [("wrong", 1)]
