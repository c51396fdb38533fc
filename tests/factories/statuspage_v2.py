"""The Statuspage API v2 JSON Schemas in ``tests/fixtures/statuspage_v2/`` (written from
Atlassian's public documentation), loaded once, for the unit and API tests that compare our
answers with Statuspage's shape."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statuspage_v2"
#: Each served document and the schema it must match.
SCHEMAS = {
    "summary.json": "summary",
    "status.json": "status",
    "components.json": "components",
    "incidents.json": "incidents",
    "incidents/unresolved.json": "incidents_unresolved",
    "scheduled-maintenances.json": "scheduled_maintenances",
}


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.schema.json").read_text())
    return loaded


@cache
def _validator(name: str) -> Any:
    definitions = _load("definitions")
    registry = jsonschema_rs.Registry([(definitions["$id"], definitions)])
    return jsonschema_rs.validator_for(_load(name), registry=registry, validate_formats=True)


def errors(document: str, instance: object) -> list[str]:
    """Where ``instance`` departs from the schema of ``document`` (a path under /api/v2/)."""
    return [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in _validator(SCHEMAS[document]).iter_errors(instance)
    ]
