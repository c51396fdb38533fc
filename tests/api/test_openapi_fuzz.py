"""Schemathesis over the whole OpenAPI document, against the real app on SQLite and PostgreSQL.

Every operation of ``/openapi.json`` gets generated requests — valid and invalid — sent once with
an admin token and once without a token. A run fails on any 5xx, any status code the document
does not list for the operation, and any response body that does not match its documented
schema. Bounded: ``EXAMPLES`` per operation (a few hundred requests per backend, seconds each).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.auth import service as auth_service
from plantao.config import Settings
from plantao.db import session_scope
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.inbox import drain
from tests.factories.payloads import am_alert, am_webhook

EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _settings(db_url: str) -> Settings:
    """Test settings; rate limits off, so a few hundred requests from one client are not 429s."""
    extra: dict[str, Any] = {}
    if "rate_limit_enabled" in Settings.model_fields:
        extra["rate_limit_enabled"] = False
    return Settings(database_url=db_url, env="test", base_url="http://plantao.test", **extra)


@pytest.fixture
def fuzzed(
    db_url: str, engine: Engine, factory: sessionmaker[Session]
) -> tuple[Any, dict[str, str]]:
    """The app on a database with the standard config, its schema, and an admin token header."""
    apply_standard(factory)
    with session_scope(factory) as session:
        _, token = auth_service.create_service_token(session, name="fuzz-admin", role="admin")
    app = create_app(_settings(db_url), engine=engine)
    # One incident with an alert, so lists and details are checked with real rows, not only [].
    res = TestClient(app).post(
        f"/api/v1/intake/{AM_KEY}/alertmanager", json=am_webhook([am_alert("Fuzz")])
    )
    assert res.status_code == 202, res.text
    drain(factory)
    return app, {"Authorization": f"Bearer {token}"}


def _summary(exc: BaseException) -> str:
    """Schemathesis's report on one line: the failure, what was received, the curl to replay."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " | ".join(lines)[:1500]


def _can_be_invalid(operation: Any) -> bool:
    """Whether negative generation has anything to break: a body, a required or typed/constrained
    parameter. Free-form string path parameters cannot be made invalid (Hypothesis would spend
    seconds per operation proving it)."""
    raw = operation.definition.raw
    if "requestBody" in raw:
        return True
    for parameter in raw.get("parameters", []):
        schema = parameter.get("schema", {})
        free_string = schema.get("type") == "string" and not (
            set(schema) - {"type", "title", "description"}
        )
        if not free_string or (parameter["in"] != "path" and parameter.get("required")):
            return True
    return False


def _run(operation: Any, mode: GenerationMode, admin: dict[str, str]) -> None:
    """``EXAMPLES`` generated requests for one operation, each with the admin token and without."""
    checks = CHECKS

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=admin, checks=checks)
        case.call_and_validate(checks=checks)

    run()


def _fuzz(schema: Any, mode: GenerationMode, admin: dict[str, str]) -> list[str]:
    """Every operation in ``mode``; the failures, one line per operation."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and not _can_be_invalid(operation):
            continue
        try:
            _run(operation, mode, admin)
        except Unsatisfiable:  # nothing left to make invalid
            continue
        except (Exception, FailureGroup) as exc:  # try every operation, report all at once
            failures.append(f"{operation.label} ({mode.value}): {_summary(exc)}")
    return failures


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_operation_answers_as_documented(
    fuzzed: tuple[Any, dict[str, str]], mode: GenerationMode
) -> None:
    """Any generated request, with an admin token or none, gets a documented non-5xx answer."""
    app, admin = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = _fuzz(schema, mode, admin)
    assert not failures, "\n\n".join(failures)
