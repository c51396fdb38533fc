"""Alertmanager-style label matchers (``name=value``, ``!=``, ``=~``, ``!~``).

Routes and runbooks both select alerts by labels; using the syntax operators already write in
Alertmanager routes means a rule can be copied across without translation. Regexes are anchored,
as in Alertmanager.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

OPERATORS = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPLIT = re.compile(r"^\s*([^=!~\s]+)\s*(=~|!~|!=|=)(.*)$")


class MatcherError(ValueError):
    """A matcher string that cannot be parsed; the message says why."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matcher(text: str) -> Matcher:
    """Parse ``name<op>value``; the value may be double-quoted."""
    match = _SPLIT.match(text)
    if match is None:
        bad = re.match(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*([^A-Za-z0-9_\s\"']+)", text)
        if bad and bad.group(1) not in OPERATORS:
            raise MatcherError(f"unknown operator '{bad.group(1)}'")
        raise MatcherError(f"'{text}' is not a matcher; expected name=value, !=, =~ or !~")
    name, op, raw = match.group(1), match.group(2), match.group(3).strip()
    if not _NAME.match(name):
        raise MatcherError(f"'{name}' is not a valid label name")
    if raw[:1] in ("=", "~", "!", ">", "<"):
        raise MatcherError(f"unknown operator '{op + raw[0]}'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1].replace('\\"', '"')
    regex: re.Pattern[str] | None = None
    if op in ("=~", "!~"):
        try:
            regex = re.compile(raw)
        except re.error as exc:
            raise MatcherError(f"invalid regular expression '{raw}': {exc}") from None
    return Matcher(name=name, op=op, value=raw, _regex=regex)


class MatcherListError(MatcherError):
    """A list of matchers with a bad element; ``index`` says which one."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def check_matchers(texts: Iterable[str]) -> None:
    """Validate every matcher of a list; the error names the index of the first bad one."""
    for index, text in enumerate(texts):
        try:
            parse_matcher(text)
        except MatcherError as exc:
            raise MatcherListError(index, str(exc)) from None


def parse_matchers(texts: Iterable[str]) -> list[Matcher]:
    return [parse_matcher(t) for t in texts]


def all_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
