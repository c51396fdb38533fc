"""Parameter validation and the guard policy for executable steps."""

from __future__ import annotations

import pytest

from plantao.runbooks.step_guard import (
    Action,
    Approval,
    Confirmation,
    ParamError,
    ParamSpec,
    check_guard,
    command_digest,
    parse_param_spec,
    validate_params,
    validate_value,
)

NAME = ParamSpec("deployment", "string", required=True, pattern=r"^[a-z0-9-]+$")
FREE = ParamSpec("note", "string")
INJECTIONS = [
    "api; rm -rf /",
    "$(id)",
    "`id`",
    "api\nrm -rf /",
    "api\x00",
    "api && reboot",
    "api | sh",
    "../../etc",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_pattern_limited_param_rejects_shell_syntax(value: str) -> None:
    """Shell metacharacters, substitutions and newlines fail a slug pattern."""
    with pytest.raises(ValueError, match=r"does not match|control characters"):
        validate_value(NAME, value)


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b", "a\x1bb"])
def test_free_string_still_rejects_control_characters(value: str) -> None:
    """Even without a pattern, NUL and newlines are refused (they forge logs and arguments)."""
    with pytest.raises(ValueError, match="control characters"):
        validate_value(FREE, value)


def test_free_string_accepts_shell_text_as_data() -> None:
    """Without a pattern, '$(id)' is a legal value; the executor keeps it data (see executor)."""
    assert validate_value(FREE, "$(touch /tmp/x)") == "$(touch /tmp/x)"


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (ParamSpec("n", "int", min=1, max=50), "7", "7"),
        (ParamSpec("n", "int", min=1, max=50), 50, "50"),
        (ParamSpec("b", "bool"), "yes", "true"),
        (ParamSpec("b", "bool"), False, "false"),
        (ParamSpec("e", "enum", allowed=("staging", "production")), "staging", "staging"),
    ],
)
def test_valid_values_become_env_strings(spec: ParamSpec, raw: object, expected: str) -> None:
    """Typed values are normalised to the string the command sees."""
    assert validate_value(spec, raw) == expected


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (ParamSpec("n", "int", min=1, max=50), "0"),
        (ParamSpec("n", "int", min=1, max=50), "51"),
        (ParamSpec("n", "int"), "1; id"),
        (ParamSpec("n", "int"), True),
        (ParamSpec("b", "bool"), "maybe"),
        (ParamSpec("e", "enum", allowed=("staging",)), "production"),
        (ParamSpec("s", "string", max=3), "abcd"),
    ],
)
def test_invalid_values_are_refused(spec: ParamSpec, raw: object) -> None:
    """Bounds, types and allowed values are enforced."""
    with pytest.raises(ValueError, match=r"must|expected"):
        validate_value(spec, raw)


ACTION = Action(
    id="restart",
    danger="mutate",
    command="kubectl rollout restart\n",
    params=("deployment", "replicas"),
)
SPECS = {"deployment": NAME, "replicas": ParamSpec("replicas", "int", default=2)}


def test_validate_params_applies_defaults_and_uppercases_names() -> None:
    """Env names are the parameter names uppercased; defaults fill missing values."""
    assert validate_params(SPECS, ACTION, {"deployment": "api"}) == {
        "DEPLOYMENT": "api",
        "REPLICAS": "2",
    }


def test_validate_params_reports_every_problem() -> None:
    """Missing required values and unexpected names are all listed in one error."""
    with pytest.raises(ParamError) as info:
        validate_params(SPECS, ACTION, {"replicas": "x", "extra": "1"})
    assert {e["param"] for e in info.value.errors} == {"deployment", "replicas", "extra"}


def test_param_spec_parsing_rejects_bad_regex() -> None:
    """An uncompilable pattern is a spec problem, reported on the pattern field."""
    _, problems = parse_param_spec("x", {"type": "string", "pattern": "("})
    assert [field for field, _ in problems] == ["pattern"]


READ = Action(id="look", danger="read", command="echo look\n")
MUTATE = Action(id="scale", danger="mutate", command='kubectl scale --replicas="$N"\n')
DESTRUCTIVE = Action(id="drop", danger="destructive", command='dropdb "$DB"\n')
ADMIN_ONLY = Action(id="wipe", danger="destructive", command="wipe\n", approvers=("admin", "dba"))


def test_read_runs_without_ceremony() -> None:
    """A read-only step is allowed at once."""
    assert check_guard(READ, "ana", None).allowed


def test_mutate_needs_confirmation() -> None:
    """Without a confirmation a mutating step is refused and asks for one."""
    decision = check_guard(MUTATE, "ana", None)
    assert (decision.allowed, decision.needs) == (False, "confirmation")


def test_mutate_refuses_confirmation_of_a_different_command() -> None:
    """A confirmation of other command text (e.g. an edited runbook) does not count."""
    stale = Confirmation.of("kubectl scale --replicas=1\n", "ana")
    decision = check_guard(MUTATE, "ana", stale)
    assert not decision.allowed
    assert "different command" in decision.reason


def test_mutate_allowed_with_exact_confirmation() -> None:
    """Confirming the exact command text lets the requester run it."""
    decision = check_guard(MUTATE, "ana", Confirmation.of(MUTATE.command, "ana"))
    assert decision.allowed
    assert decision.action_digest == command_digest(MUTATE.command)


def test_mutate_refuses_confirmation_by_someone_else() -> None:
    """Another person's confirmation cannot stand in for the requester's."""
    assert not check_guard(MUTATE, "ana", Confirmation.of(MUTATE.command, "bob")).allowed


def test_destructive_refuses_without_second_person() -> None:
    """A confirmed destructive step still waits for an approval."""
    decision = check_guard(DESTRUCTIVE, "ana", Confirmation.of(DESTRUCTIVE.command, "ana"))
    assert (decision.allowed, decision.needs) == (False, "approval")


def test_destructive_refuses_self_approval() -> None:
    """The requester approving their own step does not count, whatever the spelling."""
    confirm = Confirmation.of(DESTRUCTIVE.command, "ana")
    approval = Approval(" ANA ", command_digest(DESTRUCTIVE.command))
    decision = check_guard(DESTRUCTIVE, "ana", confirm, [approval])
    assert not decision.allowed
    assert "self-approval" in decision.reason


def test_destructive_refuses_approval_of_other_command() -> None:
    """An approval bound to other command text is ignored."""
    confirm = Confirmation.of(DESTRUCTIVE.command, "ana")
    decision = check_guard(DESTRUCTIVE, "ana", confirm, [Approval("bob", command_digest("x"))])
    assert not decision.allowed


def test_destructive_allowed_with_second_person() -> None:
    """Confirmation by the requester plus approval by someone else clears the step."""
    confirm = Confirmation.of(DESTRUCTIVE.command, "ana")
    approval = Approval("bob", command_digest(DESTRUCTIVE.command))
    assert check_guard(DESTRUCTIVE, "ana", confirm, [approval]).allowed


def test_destructive_with_approvers_needs_the_role() -> None:
    """When approvers are named, only an approver holding one of those roles counts."""
    confirm = Confirmation.of(ADMIN_ONLY.command, "ana")
    digest = command_digest(ADMIN_ONLY.command)
    assert not check_guard(ADMIN_ONLY, "ana", confirm, [Approval("bob", digest)]).allowed
    assert check_guard(
        ADMIN_ONLY, "ana", confirm, [Approval("bob", digest, frozenset({"dba"}))]
    ).allowed


def test_unknown_requester_is_refused() -> None:
    """An anonymous request is refused even for read-only steps."""
    assert not check_guard(READ, "  ", None).allowed
