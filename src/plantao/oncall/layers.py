"""Stored schedule layers (JSON) ↔ the pure :class:`~plantao.oncall.rotation.Schedule`.

Pure module. The stored shape is what ``plantao.yaml`` declares after validation::

    {"name": "weekly",
     "rotation": {"type": "weekly", "every": 1, "handoff": "09:00", "start": "2026-11-02",
                  "participants": ["ana", "bruno"]},
     "restrictions": [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}]}

``type`` is ``hourly`` (``every`` hours, absolute time), ``daily``/``weekly`` (``every`` days
or weeks, local-time anchored) or ``custom`` (``length_seconds`` of absolute time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from plantao.oncall.rotation import (
    Layer,
    Override,
    OverrideKind,
    Rotation,
    Schedule,
    ShiftLength,
    TimeWindow,
)

__all__ = ["ROTATION_TYPES", "WEEKDAY_NAMES", "build_schedule", "layer_from_dict", "parse_hhmm"]

ROTATION_TYPES = ("hourly", "daily", "weekly", "custom")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(value: str) -> time:
    """``"09:00"`` → ``time(9, 0)``; raises ValueError otherwise."""
    hours, sep, minutes = value.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"'{value}' is not a time of day; use HH:MM")
    return time(int(hours), int(minutes))


def _length(rotation: Mapping[str, Any]) -> ShiftLength:
    kind = rotation["type"]
    every = int(rotation.get("every", 1))
    if kind == "hourly":
        return ShiftLength.hourly(every)
    if kind == "daily":
        return ShiftLength.daily(every)
    if kind == "weekly":
        return ShiftLength.weekly(every)
    if kind == "custom":
        return ShiftLength.custom(timedelta(seconds=int(rotation["length_seconds"])))
    raise ValueError(f"unknown rotation type '{kind}'; use {', '.join(ROTATION_TYPES)}")


def layer_from_dict(data: Mapping[str, Any], tz: str) -> Layer:
    rotation = data["rotation"]
    return Layer(
        name=str(data["name"]),
        rotation=Rotation(
            participants=tuple(rotation["participants"]),
            length=_length(rotation),
            start=date.fromisoformat(rotation["start"]),
            handoff=parse_hhmm(rotation.get("handoff", "09:00")),
            tz=tz,
        ),
        restrictions=tuple(
            TimeWindow(
                weekdays=frozenset(int(d) for d in window["weekdays"]),
                start=parse_hhmm(window["start"]),
                end=parse_hhmm(window["end"]),
            )
            for window in data.get("restrictions", [])
        ),
    )


def build_schedule(
    key: str,
    name: str,
    tz: str,
    layers: Sequence[Mapping[str, Any]],
    overrides: Iterable[tuple[str, datetime, datetime, str | None, str | None, str | None]] = (),
) -> Schedule:
    """A pure schedule; ``overrides`` are (kind, start, end, user, replaces, layer) tuples."""
    return Schedule(
        name=name,
        id=key,
        layers=tuple(layer_from_dict(layer, tz) for layer in layers),
        overrides=tuple(
            Override(OverrideKind(kind), start, end, user, replaces, layer)
            for kind, start, end, user, replaces, layer in overrides
        ),
    )
