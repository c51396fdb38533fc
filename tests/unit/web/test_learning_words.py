"""Postmortem and corrective-action timeline entries in the reader's language."""

from __future__ import annotations

from plantao.web import learning_words
from plantao.web.i18n import TEXTS


def test_postmortem_entries_are_worded_in_both_languages() -> None:
    """A publication and a review request read in English and Portuguese from their data."""
    published = {"postmortem": 3, "version": 4}
    en = learning_words.describe("postmortem.published", published, "ana", "x", TEXTS["en"])
    pt = learning_words.describe("postmortem.published", published, "ana", "x", TEXTS["pt-BR"])
    assert en == "ana published the postmortem (version 4)"
    assert pt == "ana publicou o postmortem (versão 4)"
    asked = {"postmortem": 3, "version": 2, "reviewers": ["bia", "caio"]}
    pt = learning_words.describe("postmortem.submitted", asked, "ana", "x", TEXTS["pt-BR"])
    assert pt == "ana pediu a bia, caio a revisão do postmortem (versão 2)"


def test_action_entries_name_the_action_and_translate_its_fields() -> None:
    """A must-fix action's creation and a status change keep the title and translate the rest."""
    created = {
        "action": "AC-07",
        "title": "Bound the retries",
        "owner": "bia",
        "due_date": "2026-12-20",
        "kind": "hardening",
        "must_fix": True,
    }
    pt = learning_words.describe("action.created", created, "ana", "x", TEXTS["pt-BR"])
    assert pt == (
        "ana adicionou a ação corretiva AC-07: Bound the retries — bia, prazo 2026-12-20"
        " (obrigatória: bloqueia releases até ser concluída)"
    )
    changed = {"action": "AC-07", "changes": {"status": "wont_do", "reason": "replaced by AC-09"}}
    en = learning_words.describe("action.changed", changed, "ana", "x", TEXTS["en"])
    assert en == "ana changed corrective action AC-07: Status → Won't do, reason: replaced by AC-09"


def test_an_entry_written_before_titles_were_kept_shows_its_message() -> None:
    """An older action entry without a title in its data falls back to its stored message."""
    old = {"action": "AC-01", "owner": "bia", "due_date": "2026-12-20"}
    shown = learning_words.describe("action.created", old, "ana", "stored words", TEXTS["pt-BR"])
    assert shown == "stored words"
