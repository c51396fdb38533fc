"""The setup and close checklists' rules, without a database: which facts answer which item,
what a tick may carry, and when a postmortem is not required."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from plantao.command import checklist_items as defs

AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NOTHING = defs.Facts(
    roles_held=frozenset(),
    person_note=False,
    mitigation=False,
    next_update=False,
    resolution_update=False,
    postmortem_required=True,
    severity="sev2",
)


def _answers(states: list[defs.ItemState]) -> dict[str, str | None]:
    return {s.item.id: s.source for s in states}


def test_every_item_has_both_languages_and_unique_ids() -> None:
    """Each item has an English and a Portuguese label; ids are unique per checklist."""
    for name in defs.CHECKLISTS:
        ids = [i.id for i in defs.items_of(name)]
        assert len(ids) == len(set(ids))
    assert all(i.label("en") and i.label("pt-BR") and i.en != i.pt_br for i in defs.ITEMS)


def test_facts_answer_items_and_ticks_answer_the_rest() -> None:
    """Nothing done at first; roles need all three hats; a tick answers a tickable item but
    never a computed-only one."""
    ticks = {
        "status_page": defs.Tick("public", "ana", AT),
        "roles": defs.Tick(None, "ana", AT),  # not tickable: ignored
    }
    states = defs.evaluate(defs.SETUP, NOTHING, ticks)
    assert _answers(states) == {
        "roles": None,
        "timeline": None,
        "status_page": "tick",
        "mitigation_plan": None,
        "next_update": None,
    }
    two_hats = defs.Facts(
        **{**NOTHING.__dict__, "roles_held": frozenset({"incident_commander", "scribe"})}
    )
    assert _answers(defs.evaluate(defs.SETUP, two_hats, {}))["roles"] is None
    all_hats = replace(NOTHING, roles_held=frozenset(defs.SETUP_ROLES), person_note=True)
    answered = _answers(defs.evaluate(defs.SETUP, all_hats, {}))
    assert (answered["roles"], answered["timeline"]) == ("computed", "computed")


def test_postmortem_not_required_counts_as_done() -> None:
    """Without an RCA window the postmortem item is done and not required; with one it waits
    for its dated tick."""
    relaxed = defs.Facts(**{**NOTHING.__dict__, "postmortem_required": False})
    [pm] = [
        s for s in defs.evaluate(defs.CLOSE, relaxed, {}) if s.item.id == "postmortem_scheduled"
    ]
    assert (pm.done, pm.required) == (True, False)
    assert [i.id for i in defs.unchecked(defs.evaluate(defs.CLOSE, NOTHING, {}))] == [
        "impact_normal",
        "before_after",
        "stakeholders_notified",
        "postmortem_scheduled",
    ]


@pytest.mark.parametrize(
    ("item", "value", "stored"),
    [
        ("status_page", "public", "public"),
        ("status_page", " not_needed ", "not_needed"),
        ("postmortem_scheduled", "2026-12-09", "2026-12-09"),
        ("impact_normal", "", None),
        ("impact_normal", "https://grafana.example/d/1", "https://grafana.example/d/1"),
    ],
)
def test_values_a_tick_may_carry(item: str, value: str, stored: str | None) -> None:
    """Each item stores the value its kind allows, cleaned."""
    found = defs.find(defs.SETUP, item) or defs.find(defs.CLOSE, item)
    assert found is not None
    assert defs.clean_value(found, value) == stored


@pytest.mark.parametrize(
    ("item", "value", "reason"),
    [
        ("status_page", "private", "needs a value: public or not_needed"),
        ("status_page", None, "needs a value: public or not_needed"),
        ("postmortem_scheduled", "next week", "needs a date"),
        ("postmortem_scheduled", "2026-02-30", "is not a date"),
        ("impact_normal", "x" * 201, "longer than 200"),
    ],
)
def test_values_refused(item: str, value: str | None, reason: str) -> None:
    """A status page decision other than public/not_needed, a non-date, or a value over 200
    characters is refused with the reason."""
    found = defs.find(defs.SETUP, item) or defs.find(defs.CLOSE, item)
    assert found is not None
    with pytest.raises(ValueError, match=reason):
        defs.clean_value(found, value)
