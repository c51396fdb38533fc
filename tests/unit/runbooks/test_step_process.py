"""Running actions: env-only parameters, process-group timeouts, bounded and redacted output."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from plantao.errors import PermissionDenied
from plantao.runbooks.document import parse_runbook
from plantao.runbooks.step_guard import Confirmation, ParamError, check_guard
from plantao.runbooks.step_process import (
    ExecutionDisabled,
    ExecutionUnavailable,
    ExecutorConfig,
    build_env,
    execute,
    run_command,
)
from tests.factories.processes import alive

from .conftest import document

FRONT = """\
id: probe
title: Probe
owner: sre
last_reviewed: 2026-11-01
parameters:
  value: {type: string}
  slug: {type: string, pattern: '^[a-z0-9-]+$'}
  token: {type: string, secret: true}
"""
BODY = """\
## Mitigation
```sh {action=echo-value danger=read params=value}
printf %s "$VALUE"
```

```sh {action=echo-slug danger=mutate params=slug}
printf %s "$SLUG"
```

```sh {action=leak danger=read params=token}
echo "token is $TOKEN"; echo "export AWS=AKIAABCDEFGHIJKLMNOP" >&2
```
"""
RUNBOOK = parse_runbook(document(FRONT, BODY), "probe.md")


@pytest.fixture
def config(tmp_path: Path) -> ExecutorConfig:
    return ExecutorConfig(workdir=tmp_path, output_limit=1024, kill_grace=0.5)


def _run(action_id: str, values: dict[str, object], config: ExecutorConfig) -> str:
    action = RUNBOOK.action(action_id)
    assert action is not None
    decision = check_guard(action, "ana", Confirmation.of(action.command, "ana"))
    return execute(RUNBOOK, action_id, values, decision, config).stdout


def test_free_string_value_is_passed_as_env_and_never_executed(
    config: ExecutorConfig, tmp_path: Path
) -> None:
    """'$(touch f)' reaches the command as literal text; no file is created."""
    marker = tmp_path / "pwned"
    value = f"$(touch {marker}) `touch {marker}` ; touch {marker}"
    assert _run("echo-value", {"value": value}, config) == value
    assert not marker.exists()


@pytest.mark.parametrize("value", ["x; rm -rf /", "$(id)", "`id`", "x\nid"])
def test_pattern_param_injection_is_refused_before_running(
    value: str, config: ExecutorConfig
) -> None:
    """Values failing the pattern never reach a process."""
    with pytest.raises(ParamError):
        _run("echo-slug", {"slug": value}, config)


def test_child_env_is_allow_list_plus_params(config: ExecutorConfig) -> None:
    """Server variables outside the allow-list (secrets) are not inherited."""
    os.environ["PLANTAO_TEST_SERVER_SECRET"] = "s3cr3t"
    try:
        env = build_env(config.env_allowlist, {"VALUE": "v"})
        result = run_command("env", env, 5, config)
    finally:
        del os.environ["PLANTAO_TEST_SERVER_SECRET"]
    assert "s3cr3t" not in result.stdout
    assert "VALUE=v" in result.stdout
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines() if "=" in line}
    assert names <= {"PATH", "LANG", "HOME", "VALUE", "PWD", "SHLVL", "_"}


def test_runs_in_configured_workdir(config: ExecutorConfig, tmp_path: Path) -> None:
    """The command's cwd is the configured working directory."""
    assert run_command("pwd", {}, 5, config).stdout.strip() == str(tmp_path.resolve())


def test_exit_code_and_stderr_are_captured(config: ExecutorConfig) -> None:
    """Non-zero exits are reported, with stderr kept apart from stdout."""
    result = run_command("echo out; echo err >&2; exit 3", {}, 5, config)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.timed_out


def test_timeout_kills_the_whole_process_group(config: ExecutorConfig, tmp_path: Path) -> None:
    """A grandchild started by a subshell dies with its step when the timeout fires."""
    pidfile = tmp_path / "grandchild.pid"
    command = f"(sleep 60 & echo $! > {pidfile}; wait) & sleep 60"
    started = time.monotonic()
    result = run_command(command, {"PATH": os.environ["PATH"]}, 1, config)
    assert result.timed_out
    assert time.monotonic() - started < 10
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 2
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_sigterm_ignoring_command_is_killed_after_grace(config: ExecutorConfig) -> None:
    """A command that traps SIGTERM gets SIGKILL once the grace period is over."""
    result = run_command(
        "trap '' TERM; while :; do sleep 1; done", {"PATH": os.environ["PATH"]}, 1, config
    )
    assert result.timed_out
    assert result.exit_code != 0


def test_output_over_limit_is_truncated_with_marker(config: ExecutorConfig) -> None:
    """Output past the cap is cut and a marker says how many bytes were dropped."""
    result = run_command(
        "i=0; while [ $i -lt 500 ]; do echo 0123456789; i=$((i+1)); done", {}, 5, config
    )
    assert result.truncated
    assert result.stdout.endswith("…[truncated 4476 bytes]\n")
    assert result.stdout.startswith("0123456789\n")


def test_declared_secrets_and_token_patterns_are_redacted(config: ExecutorConfig) -> None:
    """The value of a secret parameter and an AWS key never appear in the result."""
    action = RUNBOOK.action("leak")
    assert action is not None
    decision = check_guard(action, "ana", None)
    result = execute(RUNBOOK, "leak", {"token": "hunter2-xyz"}, decision, config)
    assert result.stdout == "token is [REDACTED]\n"
    assert "AKIA" not in result.stderr


def test_refuses_without_an_allowing_decision(config: ExecutorConfig) -> None:
    """execute() re-checks that the guard allowed this very command."""
    action = RUNBOOK.action("echo-slug")
    assert action is not None
    refused = check_guard(action, "ana", None)
    with pytest.raises(PermissionDenied):
        execute(RUNBOOK, "echo-slug", {"slug": "a"}, refused, config)


def test_disabled_executor_refuses_clearly(tmp_path: Path) -> None:
    """With steps switched off globally, nothing runs and the error says so."""
    action = RUNBOOK.action("echo-value")
    assert action is not None
    off = ExecutorConfig(enabled=False, workdir=tmp_path)
    with pytest.raises(ExecutionDisabled, match="disabled"):
        execute(RUNBOOK, "echo-value", {}, check_guard(action, "ana", None), off)


def test_missing_workdir_is_a_clear_error(tmp_path: Path) -> None:
    """A working directory that does not exist is reported as such, not as a crash."""
    config = ExecutorConfig(workdir=tmp_path / "gone")
    with pytest.raises(ExecutionUnavailable, match="cannot start"):
        run_command("true", {}, 5, config)
