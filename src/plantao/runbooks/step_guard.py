"""Executable runbook steps (an ``action`` in the runbook and in API paths): parameter specs,
value validation and the guard policy that decides whether a step run may start.

A step runs a shell command on the operator's infrastructure in the middle of an incident, when
people are tired and in a hurry. Two rules make that tolerable:

* Values never become shell text. A validated value is handed to the command only as an
  environment variable (``$DEPLOYMENT``), so ``; rm -rf /`` is data, not syntax. Validation still
  rejects control characters (NUL, newlines) because they break logs, audit trails and tools
  that the command itself passes values to.
* The blast radius decides the ceremony. ``read`` runs at once; ``mutate`` needs the requester to
  confirm the exact command text (its sha256, so a command edited after it was shown is refused);
  ``destructive`` also needs a second, different person to approve it.

:func:`check_guard` is pure so the policy is unit-tested without processes, and
:mod:`plantao.runbooks.step_process` refuses to run without an allowing :class:`GuardDecision`
for the same command digest.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from plantao.errors import ValidationFailed

Danger = Literal["read", "mutate", "destructive"]
ParamType = Literal["string", "int", "enum", "bool"]

DANGERS: tuple[Danger, ...] = ("read", "mutate", "destructive")
PARAM_TYPES: tuple[ParamType, ...] = ("string", "int", "enum", "bool")
DEFAULT_TIMEOUT = 60
MAX_TIMEOUT = 3600
MAX_VALUE_LENGTH = 4096

ACTION_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_INT = re.compile(r"^[+-]?\d{1,18}$")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_SPEC_KEYS = {
    "type",
    "required",
    "default",
    "pattern",
    "min",
    "max",
    "allowed",
    "secret",
    "description",
}
# Environment names a parameter may not take: overriding them changes how the shell or the
# dynamic loader behaves, which would turn a value into code after all. ``ENV`` is allowed (a
# parameter named ``env`` is common): POSIX sh only sources it in interactive shells.
RESERVED_ENV = frozenset(
    {
        "PATH",
        "HOME",
        "LANG",
        "IFS",
        "BASH_ENV",
        "SHELL",
        "PS4",
        "CDPATH",
        "PWD",
        "OLDPWD",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PERL5OPT",
        "NODE_OPTIONS",
        "TMPDIR",
        "USER",
        "LOGNAME",
        "TERM",
        "TZ",
        "LC_ALL",
        "SHELLOPTS",
        "BASHOPTS",
    }
)


class ParamError(ValidationFailed):
    """Parameter values refused before anything runs; ``errors`` lists each param and reason."""


@dataclass(frozen=True)
class ParamSpec:
    """A declared runbook parameter (front matter ``parameters:``)."""

    name: str
    type: ParamType = "string"
    required: bool = False
    default: str | int | bool | None = None
    pattern: str | None = None
    min: int | None = None
    max: int | None = None
    allowed: tuple[str, ...] = ()
    secret: bool = False
    description: str = ""

    @property
    def env_name(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class Action:
    """A fenced block with ``{action=... danger=...}``: the command is the block body verbatim."""

    id: str
    danger: Danger
    command: str
    timeout: int = DEFAULT_TIMEOUT
    params: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    shell: str = "sh"
    line: int = 0
    section: str = "other"

    @property
    def digest(self) -> str:
        return command_digest(self.command)


def command_digest(command: str) -> str:
    """sha256 of the exact command text; what a confirmation or approval must carry."""
    return hashlib.sha256(command.encode("utf-8")).hexdigest()


def parse_param_spec(name: str, raw: object) -> tuple[ParamSpec | None, list[tuple[str, str]]]:
    """Build a spec from front matter; problems come back as (sub-field, message) pairs.

    Errors are returned rather than raised so the document parser can attach line numbers and
    report every problem of a file in one pass.
    """
    problems: list[tuple[str, str]] = []
    if not PARAM_NAME.match(name):
        problems.append(("", f"parameter name '{name}' must match {PARAM_NAME.pattern}"))
    elif name.upper() in RESERVED_ENV:
        problems.append(("", f"parameter name '{name}' would override ${name.upper()}"))
    if not isinstance(raw, dict):
        problems.append(("", "must be a mapping such as {type: string, required: true}"))
        return None, problems
    for key in raw:
        if key not in _SPEC_KEYS:
            problems.append((str(key), f"unknown key; expected one of {sorted(_SPEC_KEYS)}"))
    ptype = raw.get("type", "string")
    if ptype not in PARAM_TYPES:
        problems.append(("type", f"'{ptype}' is not one of {', '.join(PARAM_TYPES)}"))
        return None, problems
    flags = {}
    for flag in ("required", "secret"):
        value = raw.get(flag, False)
        if not isinstance(value, bool):
            problems.append((flag, "must be true or false"))
        flags[flag] = value is True
    pattern = raw.get("pattern")
    if pattern is not None:
        if ptype != "string" or not isinstance(pattern, str):
            problems.append(("pattern", "only a string parameter takes a pattern (a string)"))
            pattern = None
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(("pattern", f"invalid regular expression: {exc}"))
                pattern = None
    bounds: dict[str, int | None] = {}
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and (ptype not in ("int", "string") or type(value) is not int):
            problems.append((key, "must be an integer (a value for int, a length for string)"))
            value = None
        bounds[key] = value
    allowed_raw = raw.get("allowed")
    allowed: tuple[str, ...] = ()
    if ptype == "enum":
        if not isinstance(allowed_raw, list) or not allowed_raw:
            problems.append(("allowed", "an enum needs a non-empty list of allowed values"))
        else:
            allowed = tuple(str(v) for v in allowed_raw)
    elif allowed_raw is not None:
        problems.append(("allowed", "only an enum parameter takes allowed values"))
    description = raw.get("description", "")
    spec = ParamSpec(
        name=name,
        type=ptype,
        required=flags["required"],
        pattern=pattern,
        min=bounds["min"],
        max=bounds["max"],
        allowed=allowed,
        secret=flags["secret"],
        description=str(description),
    )
    default = raw.get("default")
    if default is not None:
        try:
            validate_value(spec, default)
        except ValueError as exc:
            problems.append(("default", f"default {default!r} is invalid: {exc}"))
        else:
            spec = replace(spec, default=default)
    return spec, problems


def validate_value(spec: ParamSpec, raw: object) -> str:
    """Check one value against its spec and return the string placed in the environment."""
    if spec.type == "bool":
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = str(raw).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        raise ValueError("expected true or false")
    if spec.type == "int":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError("expected an integer")
        if isinstance(raw, str) and not _INT.match(raw):
            raise ValueError("expected an integer")
        number = int(raw)
        if spec.min is not None and number < spec.min:
            raise ValueError(f"must be at least {spec.min}")
        if spec.max is not None and number > spec.max:
            raise ValueError(f"must be at most {spec.max}")
        return str(number)
    if not isinstance(raw, str):
        raise ValueError("expected a string")
    if _CONTROL.search(raw):
        raise ValueError("control characters (NUL, newline, ...) are not allowed")
    if len(raw) > MAX_VALUE_LENGTH:
        raise ValueError(f"longer than {MAX_VALUE_LENGTH} characters")
    if spec.type == "enum":
        if raw not in spec.allowed:
            raise ValueError(f"must be one of {', '.join(spec.allowed)}")
        return raw
    if spec.min is not None and len(raw) < spec.min:
        raise ValueError(f"must have at least {spec.min} characters")
    if spec.max is not None and len(raw) > spec.max:
        raise ValueError(f"must have at most {spec.max} characters")
    if spec.pattern is not None and re.fullmatch(spec.pattern, raw) is None:
        raise ValueError(f"does not match {spec.pattern}")
    return raw


def validate_params(
    specs: Mapping[str, ParamSpec], action: Action, values: Mapping[str, object]
) -> dict[str, str]:
    """Validate the values for one action; returns the environment additions (NAME -> value).

    Values for parameters the action does not declare are refused instead of ignored, so a
    caller cannot believe it passed something that the command never sees.
    """
    errors: list[dict[str, str]] = []
    env: dict[str, str] = {}
    for name in values:
        if name not in action.params:
            errors.append({"param": name, "message": f"not a parameter of action '{action.id}'"})
    for name in action.params:
        spec = specs.get(name)
        if spec is None:
            errors.append({"param": name, "message": "not declared in the runbook"})
            continue
        raw = values.get(name)
        if raw is None or raw == "":
            if spec.default is not None:
                raw = spec.default
            elif spec.required:
                errors.append({"param": name, "message": "is required"})
                continue
            else:
                continue
        try:
            env[spec.env_name] = validate_value(spec, raw)
        except ValueError as exc:
            errors.append({"param": name, "message": str(exc)})
    if errors:
        detail = "; ".join(f"{e['param']}: {e['message']}" for e in errors)
        raise ParamError(f"invalid parameters for action '{action.id}': {detail}", errors=errors)
    return env


@dataclass(frozen=True)
class Confirmation:
    """The requester's "yes, run exactly this": the sha256 of the command text they were shown."""

    by: str
    command_sha256: str

    @classmethod
    def of(cls, command: str, by: str) -> Confirmation:
        return cls(by=by, command_sha256=command_digest(command))


@dataclass(frozen=True)
class Approval:
    """A second person's approval of a destructive step, bound to the command digest."""

    by: str
    command_sha256: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GuardDecision:
    allowed: bool
    reason: str
    action_id: str
    action_digest: str
    needs: Literal["none", "confirmation", "approval"] = "none"


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def check_guard(
    action: Action,
    requested_by: str,
    confirmation: Confirmation | None,
    approvals: Iterable[Approval] = (),
) -> GuardDecision:
    """Decide whether ``requested_by`` may run ``action`` now; never raises, always explains."""

    def refuse(reason: str, needs: Literal["confirmation", "approval"]) -> GuardDecision:
        return GuardDecision(False, reason, action.id, action.digest, needs)

    if not requested_by.strip():
        return refuse("the requester is unknown", "confirmation")
    if action.danger == "read":
        return GuardDecision(True, "read-only step", action.id, action.digest)
    if confirmation is None:
        return refuse(f"'{action.danger}' step needs a confirmation of the command", "confirmation")
    if not _same_person(confirmation.by, requested_by):
        return refuse("the confirmation must come from the requester", "confirmation")
    if confirmation.command_sha256 != action.digest:
        return refuse("the confirmation is for a different command text", "confirmation")
    if action.danger == "mutate":
        return GuardDecision(True, "confirmed by the requester", action.id, action.digest)
    reasons: list[str] = []
    for approval in approvals:
        if _same_person(approval.by, requested_by):
            reasons.append("self-approval does not count")
        elif approval.command_sha256 != action.digest:
            reasons.append(f"approval by {approval.by} is for a different command text")
        elif action.approvers and not (approval.roles & set(action.approvers)):
            reasons.append(f"{approval.by} lacks a role in {', '.join(action.approvers)}")
        else:
            return GuardDecision(
                True,
                f"confirmed by the requester and approved by {approval.by}",
                action.id,
                action.digest,
            )
    detail = f" ({'; '.join(reasons)})" if reasons else ""
    return refuse(f"destructive step needs approval by a second person{detail}", "approval")
