"""The universal triage checklist, timeline note kinds and the assumption template."""

from __future__ import annotations

import pytest

from plantao.runbooks.triage import (
    NOTE_KINDS,
    TRIAGE,
    NoteKind,
    format_assumption,
    note_label,
    triage_checklist,
)


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_triage_is_two_minutes_six_questions_three_risks(lang: str) -> None:
    """Each language has the 2-minute budget, six questions and low/medium/high postures."""
    checklist = triage_checklist(lang)
    assert checklist.minutes == 2
    assert len(checklist.questions) == 6
    assert [r.level for r in checklist.risks] == ["low", "medium", "high"]
    assert all(r.posture and r.when for r in checklist.risks)


def test_languages_are_in_step() -> None:
    """Both languages ask the same questions in the same order (same keys)."""
    en, pt = TRIAGE["en"], TRIAGE["pt-BR"]
    assert [q.key for q in en.questions] == [q.key for q in pt.questions]
    assert [q.key for q in en.questions][3] == "safety"
    assert len(en.missing_data) == len(pt.missing_data) == 3


def test_unknown_language_falls_back_to_english() -> None:
    """A language we do not ship gets the English checklist rather than nothing."""
    assert triage_checklist("fr").lang == "en"


def test_note_kinds_have_labels_in_both_languages() -> None:
    """Fact, inference, action and decision are labelled in English and Portuguese."""
    assert [k.value for k in NoteKind] == ["fact", "inference", "action", "decision"]
    assert all(set(labels) == {"en", "pt-BR"} for labels in NOTE_KINDS.values())
    assert note_label("inference", "pt-BR") == "Inferência"
    assert note_label(NoteKind.DECISION) == "Decision"


def test_assumption_template_in_both_languages() -> None:
    """The template states assumption, evidence, the disproving signal and the fallback."""
    assert format_assumption(
        "the deploy", "errors began at 14:02", "rollback does not help", "page the DBA"
    ) == (
        "I assume the deploy because errors began at 14:02; if rollback does not help, "
        "I do page the DBA."
    )
    assert format_assumption(
        "o deploy", "os erros começaram 14:02", "o rollback não ajudar", "acionar o DBA", "pt-BR"
    ).startswith("Assumo o deploy porque")


def test_assumption_needs_every_part() -> None:
    """An assumption without its disproving signal is refused."""
    with pytest.raises(ValueError, match="signal"):
        format_assumption("x", "y", " ", "w")
