"""``handoffs:`` in plantao.yaml: stored idempotently with a diff, used by drafting, and bad
values refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from plantao.configfile.schema import load_text
from plantao.db import session_scope
from plantao.oncall import handoff_settings
from tests.factories.config import apply_config


def _settings(factory: sessionmaker[Session]) -> handoff_settings.HandoffSettings:
    with session_scope(factory) as s:
        return handoff_settings.load(s)


def test_apply_stores_then_keeps_then_updates(factory: sessionmaker[Session]) -> None:
    """First apply creates, the same file changes nothing, a new value updates."""
    assert _settings(factory) == handoff_settings.HandoffSettings()
    doc = "version: 1\nhandoffs: {lead: 2h, send_after: 30m}\n"
    assert [str(c) for c in apply_config(factory, doc)] == ["+ handoff settings handoffs"]
    assert _settings(factory).lead == timedelta(hours=2)
    assert _settings(factory).send_after == timedelta(minutes=30)
    assert apply_config(factory, doc) == []
    changed = apply_config(factory, "version: 1\nhandoffs: {enabled: false}\n")
    assert [str(c) for c in changed] == ["~ handoff settings handoffs"]
    assert _settings(factory).enabled is False
    assert _settings(factory).lead == timedelta(minutes=60)


@pytest.mark.parametrize("bad", ["{lead: 25h}", "{send_after: 90s}", "{lead: -5m}", "{later: 1m}"])
def test_bad_values_are_refused(bad: str) -> None:
    """Longer than a day, not whole minutes, negative or unknown: a validation error."""
    with pytest.raises((ValidationError, ValueError)):
        load_text(f"version: 1\nhandoffs: {bad}\n")
