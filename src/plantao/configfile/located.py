"""Validation errors that point deeper than the field being validated.

Pydantic reports a list field's error at the list; a file author needs ``matchers[2]``. A
``LocatedError`` carries the extra path, which the schema's error formatter appends.
"""

from __future__ import annotations

from plantao.matchers import MatcherListError, check_matchers


class LocatedError(ValueError):
    """A validator error located below the field it validates (e.g. ``[2]``)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"@{where}@ {message}")


def matchers_at_index(values: list[str]) -> list[str]:
    """Field validator for matcher lists: errors point at ``matchers[i]`` in the file."""
    try:
        check_matchers(values)
    except MatcherListError as exc:
        raise LocatedError(f"[{exc.index}]", exc.message) from None
    return values
