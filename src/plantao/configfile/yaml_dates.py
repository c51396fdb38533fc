"""Where a date that does not exist sits in a ``plantao.yaml`` (``2026-02-30``).

PyYAML turns anything shaped like a date into one while it reads the file, and a date that
does not exist raises a bare ValueError with no line; this finds the scalar again so the error
names its line and column like every other problem in the file.
"""

from __future__ import annotations

from datetime import date

import yaml

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _first_bad(node: yaml.Node) -> yaml.Node | None:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _TIMESTAMP:
            try:
                date.fromisoformat(str(node.value)[:10])
            except ValueError:
                return node
        return None
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    for child in children:
        found = _first_bad(child)
        if found is not None:
            return found
    return None


def problem(text: str, exc: ValueError) -> str:
    """The ``line L, column C: ...`` line for a value PyYAML could not read as a date."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    node = None if root is None else _first_bad(root)
    if node is None:
        return f"invalid YAML: {exc}"
    mark = node.start_mark
    return (
        f"line {mark.line + 1}, column {mark.column + 1}: '{node.value}' is not a date "
        f"({exc}); write it like 2026-12-25"
    )
