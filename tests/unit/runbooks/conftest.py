"""Shared helpers for the runbook tests: a tiny pack on disk and a document builder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_PACK = FIXTURES / "pack"

VALID_FRONT = """\
id: restart-api
title: Restart the API
owner: sre
last_reviewed: 2026-11-01
parameters:
  deployment: {type: string, pattern: '^[a-z0-9-]+$', required: true}
  token: {type: string, secret: true}
"""

VALID_BODY = """\
# Restart the API

## Symptom
The API returns 503.

## Mitigation
- [ ] Restart it.

```sh {action=restart danger=mutate params=deployment,token}
printf 'restarting %s\\n' "$DEPLOYMENT"
```
"""


def document(front: str = VALID_FRONT, body: str = VALID_BODY) -> str:
    """A runbook file text from a front-matter block and a body (both dedented)."""
    return f"---\n{textwrap.dedent(front)}---\n{textwrap.dedent(body)}"


@pytest.fixture
def fixture_pack() -> Path:
    return FIXTURE_PACK
