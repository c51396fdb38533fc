"""Domain errors raised by services and translated to responses only at the entry points.

    DomainError
    ├── NotFound            the addressed object does not exist (404)
    ├── Conflict            the request collides with the current state (409)
    │   └── InvalidTransition   a lifecycle move that the state machine forbids (409)
    ├── ValidationFailed    input that passed parsing but breaks a rule (422)
    ├── Unauthenticated     no or unknown credentials (401)
    └── PermissionDenied    known caller, not allowed (403)

Keeping the tree free of web types lets the CLI and the engine raise and catch the same errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class InvalidTransition(Conflict):
    title = "Invalid transition"


class ValidationFailed(DomainError):
    status = 422
    title = "Validation failed"


class Unauthenticated(DomainError):
    status = 401
    title = "Unauthenticated"


class PermissionDenied(DomainError):
    status = 403
    title = "Forbidden"


#: The JSON Schema of an RFC 7807 problem as every entry point answers it (``errors``: one entry
#: per rejected field, e.g. ``{field, message}``); the OpenAPI document shows it on every error.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 7807 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object"},
            "description": "one entry per rejected field, e.g. {field, message}",
        },
    },
}
