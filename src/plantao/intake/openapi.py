"""The OpenAPI description of the intake routes: request bodies and every answer they give.

Why by hand: the routes read the raw body themselves (size cap before parsing, one orjson parse,
per-element validation so one bad alert does not reject its batch), so FastAPI cannot infer a
body or the error answers. Without them a schema-driven fuzzer (schemathesis) sends empty
bodies and cannot check the answers. The schemas are generated from the models the parsers use,
so the document follows the code; tests check that what the routes answer matches it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plantao.errors import PROBLEM_SCHEMA
from plantao.intake import limits
from plantao.intake.sources import alertmanager, generic, pagerduty

PROBLEM_MEDIA = "application/problem+json"
JSON_MEDIA = "application/json"


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolve pydantic's ``#/$defs/…`` references in place: the document has no such defs."""
    defs: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return _inline(model.model_json_schema(mode="validation"))


class _AlertmanagerWebhook(alertmanager.AlertmanagerEnvelope):
    """Alertmanager webhook payload version 4 (Grafana's contact point sends the same shape)."""

    alerts: list[alertmanager.AlertmanagerAlert] = Field(max_length=alertmanager.MAX_ALERTS)


class _GenericBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")
    alerts: list[generic.GenericAlert] = Field(max_length=generic.MAX_ALERTS)


_LIMITS = (
    f"Every string is at most {limits.MAX_STRING_CHARS} characters, every object key at most "
    f"{limits.MAX_KEY_CHARS}, no value contains NUL (\\u0000), and nesting is at most "
    f"{limits.MAX_DEPTH} levels; a value breaking these is refused naming its field."
)

ACCEPTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "accepted", "intake_id", "rejected"],
    "properties": {
        "status": {"type": "string", "enum": ["accepted"]},
        "accepted": {"type": "integer", "minimum": 1},
        "intake_id": {"type": "integer"},
        "rejected": {
            "type": "array",
            "description": "Elements of the batch that were not accepted, with the field named.",
            "items": {
                "type": "object",
                "required": ["index", "error"],
                "properties": {"index": {"type": "integer"}, "error": {"type": "string"}},
            },
        },
    },
}

PD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "PagerDuty Events API v2 error body.",
    "required": ["status", "message", "errors"],
    "properties": {
        "status": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}


def _pd_event_schema() -> dict[str, Any]:
    """The Event model plus the rule its validator enforces: a trigger needs a payload, an
    acknowledge or resolve a non-empty dedup_key."""
    schema = _schema(pagerduty.Event)
    schema["allOf"] = [
        {
            "if": {"properties": {"event_action": {"const": "trigger"}}},
            "then": {"required": ["payload"], "properties": {"payload": {"type": "object"}}},
            "else": {
                "required": ["dedup_key"],
                "properties": {"dedup_key": {"type": "string", "minLength": 1}},
            },
        }
    ]
    return schema


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": f"{description} {_LIMITS}",
            "content": {JSON_MEDIA: {"schema": schema}},
        }
    }


def _answers(media: str, schema: dict[str, Any], codes: dict[int, str]) -> dict[int | str, Any]:
    return {
        code: {"description": text, "content": {media: {"schema": schema}}}
        for code, text in codes.items()
    }


_BATCH_ERRORS = {
    400: "Malformed JSON; nothing stored.",
    404: "No integration has this key; nothing stored.",
    413: "The body is over the intake size limit; nothing stored.",
    422: "Validation failed (the field is named), or every alert of the batch was rejected; "
    "nothing stored.",
    503: "The alerts could not be stored (database away); nothing stored, retry.",
}

_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
# Answered by the server-wide limits on abusive clients (api.ratelimit) before the route runs.
_THROTTLED = "Too many requests from this address or for this key; retry after Retry-After."
_TIMED_OUT = "The body was not received in time; the connection is closed."


def _limits(media: str, schema: dict[str, Any]) -> dict[int | str, Any]:
    return {
        429: {
            "description": _THROTTLED,
            "headers": _RETRY_AFTER,
            "content": {media: {"schema": schema}},
        },
        408: {
            "description": _TIMED_OUT,
            "content": {PROBLEM_MEDIA: {"schema": PROBLEM_SCHEMA}},
        },
    }


#: ``responses=`` for the Alertmanager, Grafana and generic routes.
BATCH_RESPONSES: dict[int | str, Any] = {
    202: {
        "description": "Committed to the intake inbox; malformed elements are in `rejected`.",
        "content": {JSON_MEDIA: {"schema": ACCEPTED_SCHEMA}},
    },
    **_answers(PROBLEM_MEDIA, PROBLEM_SCHEMA, _BATCH_ERRORS),
    **_limits(PROBLEM_MEDIA, PROBLEM_SCHEMA),
}

_PD_ERRORS = {
    400: "Malformed JSON or an invalid event (PagerDuty's error body); nothing stored.",
    404: "Unknown routing key; nothing stored.",
    413: "The body is over the intake size limit; nothing stored.",
    503: "The event could not be stored (database away); nothing stored, retry.",
}


def _pd_answers() -> dict[int | str, Any]:
    answers = _answers(JSON_MEDIA, PD_ERROR_SCHEMA, _PD_ERRORS)
    # The server-wide body guard (api.body_guard) answers a declared Content-Length over the
    # limit, or one that is not a number, before the route runs, in problem+json.
    for code in (400, 413):
        answers[code]["content"][PROBLEM_MEDIA] = {"schema": PROBLEM_SCHEMA}
    return answers | _limits(JSON_MEDIA, PD_ERROR_SCHEMA)


PD_RESPONSES: dict[int | str, Any] = {
    202: {
        "description": "Committed; `dedup_key` identifies the alert for acknowledge/resolve.",
        "content": {
            JSON_MEDIA: {
                "schema": {
                    "type": "object",
                    "required": ["status", "message", "dedup_key"],
                    "properties": {
                        "status": {"type": "string", "enum": ["success"]},
                        "message": {"type": "string"},
                        "dedup_key": {"type": "string"},
                    },
                }
            }
        },
    },
    **_pd_answers(),
}

PD_CHANGE_RESPONSES: dict[int | str, Any] = {
    202: {
        "description": "The change event is stored.",
        "content": {
            JSON_MEDIA: {
                "schema": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {
                        "status": {"type": "string", "enum": ["success"]},
                        "message": {"type": "string"},
                    },
                }
            }
        },
    },
    **_pd_answers(),
}

ALERTMANAGER_BODY = _body(
    _schema(_AlertmanagerWebhook),
    "Alertmanager webhook (version 4) or Grafana unified alerting contact point payload.",
)

_generic_alert = _schema(generic.GenericAlert)
GENERIC_BODY = _body(
    {
        "anyOf": [
            _generic_alert,
            {"type": "array", "items": _generic_alert, "maxItems": generic.MAX_ALERTS},
            _schema(_GenericBatch),
        ]
    },
    'One alert object, a list of them, or `{"alerts": [...]}`.',
)

PD_BODY = _body(_pd_event_schema(), "A PagerDuty Events API v2 event.")
PD_CHANGE_BODY = _body(_schema(pagerduty.ChangeEvent), "A PagerDuty change event.")
