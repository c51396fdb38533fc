"""Replaying a scripted history of responders' feedback over the real-alert evaluation set
raises recall on alerts the history never saw without costing the "no runbook" answers."""

from __future__ import annotations

import pytest

from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.tokens import family_key

from .feedback_replay import Replay, replay
from .real_alerts import load_cases


@pytest.fixture(scope="module")
def replayed() -> Replay:
    found = replay(RunbookLibrary.load(default_pack_dir()).index(), load_cases())
    assert found.before is not None and found.after is not None
    print(f"\nfeedback replay: history {len(found.history)} cases, votes {dict(found.kinds)}")
    print("held out, before feedback:\n" + found.before.text(details=False))
    print("held out, after feedback:\n" + found.after.text(details=False))
    return found


def test_history_and_evaluation_are_disjoint(replayed: Replay) -> None:
    """No evaluated case was in the history, and the history voted every way it can."""
    assert replayed.history and replayed.held_out
    assert not {id(c) for c in replayed.history} & {id(c) for c in replayed.held_out}
    assert set(replayed.kinds) == {"confirm", "link", "reject"}
    seen = {family_key(c.labels) for c in replayed.history}
    assert any(family_key(c.labels) in seen for c in replayed.held_out)


def test_feedback_does_not_lower_recall(replayed: Replay) -> None:
    """Recall@3 on the held-out cases after the replay is at least what it was before."""
    assert replayed.before is not None and replayed.after is not None
    assert replayed.after.overall.recall_at_3 >= replayed.before.overall.recall_at_3
    for lang, after in replayed.after.by_lang.items():
        assert after.recall_at_3 >= replayed.before.by_lang[lang].recall_at_3, lang


def test_feedback_keeps_no_runbook_answers(replayed: Replay) -> None:
    """The "no runbook" rate on held-out no-fit cases drops by at most 0.02."""
    assert replayed.before is not None and replayed.after is not None
    before, after = replayed.before.overall, replayed.after.overall
    assert after.no_runbook_rate >= before.no_runbook_rate - 0.02
