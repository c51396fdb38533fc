"""Located problems: what the parsers, the library and the linter report about runbook files.

A problem always carries file, line and field, because the person fixing a runbook is often doing
it mid-incident from a terminal; "invalid runbook" alone would cost them minutes. The
:class:`Collector` gathers every problem of a file in one pass instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import yaml

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """A located complaint about a runbook file; ``line`` is 1-based within the file."""

    file: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.field}: {self.message}"


class RunbookError(ValueError):
    """A runbook that cannot be used; ``problems`` lists every error found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Collector:
    """Gathers problems for one file and maps front-matter paths to file lines."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.lines: dict[str, int] = {}

    def line_of(self, path: str) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
        return 1

    def error(self, path: str, message: str, line: int | None = None) -> None:
        self.errors.append(Problem(self.file, line or self.line_of(path), path, message))

    def warn(self, path: str, message: str, line: int | None = None) -> None:
        self.warnings.append(
            Problem(self.file, line or self.line_of(path), path, message, "warning")
        )

    def index(self, node: yaml.Node, path: str, first_line: int) -> None:
        """Record the line of every key and list item; flag duplicate keys YAML would hide."""
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                line = key_node.start_mark.line + first_line
                if key in seen:
                    self.error(child, "duplicate key", line)
                seen.add(key)
                self.lines.setdefault(child, line)
                self.index(value_node, child, first_line)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}[{i}]"
                self.lines[child] = item.start_mark.line + first_line
                self.index(item, child, first_line)
