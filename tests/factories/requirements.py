"""Skip a test whose external component is missing, or fail it under PLANTAO_REQUIRE_E2E=1."""

from __future__ import annotations

import os

import pytest


def require_component(name: str, available: bool) -> None:
    if available:
        return
    if os.environ.get("PLANTAO_REQUIRE_E2E") == "1":
        pytest.fail(f"{name} is required (PLANTAO_REQUIRE_E2E=1) but is not available")
    pytest.skip(f"{name} is not available")
