"""The draft's pure parts: storms folded into one line with counts and top alert names, notes
labelled by kind, dates when the incident spans days, figures against targets, both shipped
templates rendering a bare open incident, and a broken operator template refused by line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantao.errors import ValidationFailed
from plantao.postmortems import blameless, draft_render, draft_timeline
from plantao.postmortems.draft_facts import DraftFacts, EntryFact

T0 = datetime(2026, 11, 22, 23, 40, tzinfo=UTC)


def _facts(**changes: object) -> DraftFacts:
    base: dict[str, object] = {
        "human_id": "INC-20261122-7",
        "title": "Orders queue backlog",
        "severity": "sev2",
        "severity_title": "High",
        "status": "triggered",
        "category": None,
        "service": "Orders",
        "description": None,
        "detected_at": T0,
        "triggered_at": T0 + timedelta(minutes=2),
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "first_alert_at": T0,
        "alert_count": 0,
        "declared_by_hand": False,
        "ack_target": timedelta(minutes=15),
        "restore_target": timedelta(hours=4),
    }
    return DraftFacts(**(base | changes))  # type: ignore[arg-type]


def _alert(at: datetime, name: str) -> EntryFact:
    return EntryFact(
        at,
        "alert.attached",
        "alertmanager",
        f"Alert attached: {name}",
        {"labels": {"alertname": name}},
    )


def test_a_storm_becomes_one_line_with_count_and_top_names() -> None:
    """4,000 alerts within minutes of each other are one line naming the most frequent."""
    names = ["KafkaLag"] * 5 + ["PodRestarts"] * 3 + ["DiskFull"] * 2
    storm = [_alert(T0 + timedelta(seconds=n // 40), names[n % 10]) for n in range(3999)]
    storm.append(_alert(T0 + timedelta(seconds=99), "Rare"))
    ack = EntryFact(
        T0 + timedelta(minutes=3),
        "incident.acknowledged",
        "ana",
        "Acknowledged",
        {"from": "triggered", "to": "acknowledged"},
    )
    lines = draft_timeline.lines((*storm, ack), "en")
    assert [line.text for line in lines] == [
        "4,000 alerts attached (until 23:41); most frequent: "
        "KafkaLag ×2,000, PodRestarts ×1,200, DiskFull ×799",
        "Acknowledged by ana",
    ]


def test_alerts_far_apart_start_a_new_line() -> None:
    """Alerts more than the burst gap after the last one open a new line."""
    late = T0 + draft_timeline.BURST_GAP + timedelta(minutes=1)
    lines = draft_timeline.lines((_alert(T0, "A"), _alert(late, "B")), "pt-BR")
    assert [line.text for line in lines] == [
        "Alerta anexado: A (alertmanager)",
        "Alerta anexado: B (alertmanager)",
    ]


def test_automated_bursts_other_than_alerts_are_worded() -> None:
    """Pages sent in a burst are one worded line in each language."""
    pages = tuple(
        EntryFact(T0 + timedelta(seconds=n), "notify.paged", "plantao", f"Paging u{n}", {})
        for n in range(12)
    )
    assert draft_timeline.lines(pages, "en")[0].text == "12 pages sent"
    assert draft_timeline.lines(pages, "pt-BR")[0].text == "12 acionamentos enviados"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Fact: a", "Inference (not established fact): b", "Action: c", "Decision: d"]),
        ("pt-BR", ["Fato: a", "Inferência (não é fato estabelecido): b", "Ação: c", "Decisão: d"]),
    ],
)
def test_notes_say_their_kind(language: str, expected: list[str]) -> None:
    """Every note is prefixed by its kind; an inference says it is not established fact."""
    notes = tuple(
        EntryFact(T0, "note", "ana", text, {"kind": kind})
        for kind, text in zip(["fact", "inference", "action", "decision"], "abcd", strict=True)
    )
    assert [line.text for line in draft_timeline.lines(notes, language)] == [
        f"{e} (ana)" for e in expected
    ]


def test_a_timeline_across_midnight_carries_dates() -> None:
    """When the incident spans two UTC days each line shows its date."""
    entries = (
        EntryFact(T0, "note", "ana", "first", {"kind": "fact"}),
        EntryFact(T0 + timedelta(minutes=30), "note", "ana", "second", {"kind": "fact"}),
    )
    text = draft_render.render(_facts(entries=entries), "en")
    assert "- 2026-11-22 23:40 — Fact: first (ana)" in text.splitlines()
    assert "- 2026-11-23 00:10 — Fact: second (ana)" in text.splitlines()


def test_figures_meet_or_miss_their_targets() -> None:
    """Acknowledged within 15 min is met; resolved after 4 h is missed; detection 2 min."""
    facts = _facts(
        acknowledged_at=T0 + timedelta(minutes=10),
        mitigated_at=T0 + timedelta(hours=1),
        resolved_at=T0 + timedelta(hours=5),
    )
    lines = draft_render.render(facts, "en").splitlines()
    assert "| Time to detect | 2 min | — | — |" in lines
    assert "| Time to acknowledge | 8 min | 15 min | met |" in lines
    assert "| Time to mitigate | 58 min | 4 h 00 min | met |" in lines
    assert "| Time to resolve | 4 h 58 min | 4 h 00 min | missed |" in lines


@pytest.mark.parametrize("language", ["en", "pt-BR"])
def test_shipped_templates_render_a_bare_open_incident_blamelessly(language: str) -> None:
    """No entries, no alert, nothing resolved: the template still renders, with prompts."""
    text = draft_render.render(_facts(first_alert_at=None, ack_target=None), language)
    assert text.startswith("# Postmortem — INC-20261122-7 (sev2): Orders queue backlog")
    assert "AC-01" in text and ("5 Whys" in text or "5 porquês" in text)
    assert blameless.lint(text, language) == []


def test_a_broken_operator_template_is_refused_with_its_line() -> None:
    """A misspelt name fails loudly (StrictUndefined) instead of leaving a hole."""
    with pytest.raises(ValidationFailed, match="line 2"):
        draft_render.render(_facts(), "en", "# PM\n{{ incident.nope }}\n")
