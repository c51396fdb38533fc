"""Medians, p90 and "share that met the target", computed the same way everywhere.

Why in Python and not SQL: SQLite has no ``percentile_cont``; the KPI queries return the
durations (a year is tens of thousands of numbers, cheap to sort) and this module reduces them,
so both databases give identical figures. Percentiles interpolate linearly between ranks
(PostgreSQL's ``percentile_cont``, NumPy's default), which is what people check by hand.
"""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile (0.5 = median) of ``values``; None when there are none."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within [0, 1]")
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def met_share(values: Sequence[float], target: float | None) -> float | None:
    """Share of ``values`` at or under ``target`` (0..1); None without a target or values."""
    if target is None or not values:
        return None
    return sum(1 for v in values if v <= target) / len(values)


def share(part: int, whole: int) -> float | None:
    """``part / whole``, None when there is nothing to divide (not 0: "no data" is not 0 %)."""
    return None if whole == 0 else part / whole
