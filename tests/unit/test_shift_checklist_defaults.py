"""The seed's default shift checklist and the rules a declared one must follow."""

from __future__ import annotations

from plantao.oncall.shift_checklist_defaults import (
    PHASES,
    TEST_PAGE_KEY,
    check_items,
    default_items,
    label,
)


def test_default_covers_the_three_phases_in_both_languages() -> None:
    """9 start, 6 during and 5 end items (seed 003 §11.1-11.3), the test page first, all valid."""
    items = default_items()
    counts = {phase: sum(1 for i in items if i["phase"] == phase) for phase in PHASES}
    assert counts == {"start": 9, "during": 6, "end": 5}
    assert items[0]["key"] == TEST_PAGE_KEY
    assert check_items(items) == []
    assert all(i["en"] != i["pt-BR"] for i in items)


def test_default_is_a_fresh_copy() -> None:
    """Changing what one caller got does not change the next caller's default."""
    first = default_items()
    first[0]["en"] = "changed"
    assert default_items()[0]["en"] != "changed"


def test_problems_name_item_and_field() -> None:
    """Bad keys, duplicates, unknown phases and missing texts are each reported by position."""
    items = [
        {"key": "Bad Key", "phase": "start", "en": "a", "pt-BR": "a"},
        {"key": "ok", "phase": "lunch", "en": "a", "pt-BR": "a"},
        {"key": "ok", "phase": "end", "en": "", "pt-BR": "a"},
    ]
    assert check_items(items) == [
        "items[0].key: lowercase letters, digits and '-', 1-64",
        "items[1].phase: one of start, during, end",
        "items[2].key: duplicate 'ok'",
        "items[2].en: a text of 1-300 characters",
    ]
    assert check_items([]) == ["items: at least one item"]


def test_label_picks_the_language() -> None:
    """Portuguese for pt-BR, English otherwise."""
    item = {"key": "k", "phase": "start", "en": "Hello", "pt-BR": "Olá"}
    assert (label(item, "pt-BR"), label(item, "en"), label(item, "fr")) == ("Olá", "Hello", "Hello")
