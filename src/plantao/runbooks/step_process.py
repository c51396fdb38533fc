"""A step run's process: one guarded executable step as a child process, bounded in time and
output, its output redacted.

Why it looks like this:

* ``["/bin/sh", "-c", command]`` with the command text exactly as reviewed in the runbook;
  parameter values arrive only as environment variables, so no value is ever parsed as shell.
* The child's environment is built from scratch: an allow-list of the server's variables plus
  the parameters. The server's own secrets (database URL, signing keys) never reach a step.
* ``start_new_session=True`` puts the command and everything it spawns in one process group; a
  timeout sends SIGTERM to the whole group, then SIGKILL after a grace period, so a stuck
  ``kubectl`` started by a subshell cannot outlive its step. Leftover background children are
  killed the same way when the shell exits.
* Output is read by one ``select`` loop with a hard cap per stream; the rest is drained and
  counted, so a chatty command neither fills memory nor blocks on a full pipe. Text is redacted
  before truncation (a secret straddling the cut would otherwise survive half-redacted).
* :func:`execute` refuses to run without an allowing :class:`GuardDecision` for the same command
  digest, and can be switched off globally (``enabled=False``) by an operator.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from plantao.config import Settings
from plantao.errors import Conflict, PermissionDenied
from plantao.runbooks.document import Runbook
from plantao.runbooks.redaction import redact
from plantao.runbooks.step_guard import GuardDecision, validate_params

DEFAULT_ENV_ALLOWLIST = ("PATH", "LANG", "HOME")
DEFAULT_OUTPUT_LIMIT = 64 * 1024
_REDACTION_SLACK = 16 * 1024  # extra bytes kept past the cap so secrets at the cut are whole
_DRAIN_AFTER_EXIT = 1.0


class ExecutionDisabled(PermissionDenied):
    """Executable steps are switched off on this server."""


class ExecutionUnavailable(Conflict):
    """The server cannot start a step (working directory or shell missing): an operator fix."""


class ActionNotFound(Conflict):
    """The runbook version at hand has no such action (edited or removed since it was shown)."""


@dataclass(frozen=True)
class ExecutorConfig:
    enabled: bool = True
    workdir: Path = field(default_factory=Path.cwd)
    env_allowlist: tuple[str, ...] = DEFAULT_ENV_ALLOWLIST
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    kill_grace: float = 2.0


def process_config(settings: Settings) -> ExecutorConfig:
    """The server's settings for step processes (switch, working directory, inherited names)."""
    allow = tuple(n.strip() for n in settings.runbooks_env_allow.split(",") if n.strip())
    return ExecutorConfig(
        enabled=settings.runbooks_execution,
        workdir=settings.runbooks_workdir or Path.cwd(),
        env_allowlist=allow,
    )


@dataclass(frozen=True)
class ExecutionResult:
    exit_code: int
    duration_ms: int
    stdout: str
    stderr: str
    timed_out: bool
    truncated: bool


class _Capture:
    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.keep - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self, limit: int, secrets: list[str]) -> tuple[str, bool]:
        text = redact(self.data.decode("utf-8", errors="replace"), secrets)
        if self.total <= limit:
            return text, False
        cut = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
        return f"{cut}\n…[truncated {self.total - len(cut.encode('utf-8'))} bytes]\n", True


def _killpg(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _exited(pid: int) -> bool:
    """Has the shell exited? Leaves it a zombie (WNOWAIT) so its pid, our group id, stays ours
    until the final kill of the group; reaping first could let the pid be reused."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def run_command(
    command: str,
    env: Mapping[str, str],
    timeout: float,
    config: ExecutorConfig,
    secrets: list[str] | None = None,
) -> ExecutionResult:
    """Run ``command`` under /bin/sh with exactly ``env``; the low-level half of :func:`execute`."""
    if not config.enabled:
        raise ExecutionDisabled("executable runbook steps are disabled on this server")
    secrets = secrets or []
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            env=dict(env),
            cwd=config.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        raise ExecutionUnavailable(
            f"cannot start /bin/sh in {config.workdir}: {exc.strerror or exc}"
        ) from exc
    pgid = proc.pid  # session leader: its pid is the group id
    keep = config.output_limit + _REDACTION_SLACK
    captures = {"stdout": _Capture(keep), "stderr": _Capture(keep)}
    selector = selectors.DefaultSelector()
    streams: list[tuple[str, IO[bytes] | None]] = [("stdout", proc.stdout), ("stderr", proc.stderr)]
    for name, stream in streams:
        assert stream is not None
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_READ, name)
    deadline = start + timeout
    timed_out = False
    kill_at: float | None = None
    stop_at: float | None = None
    try:
        while selector.get_map():
            now = time.monotonic()
            exited = _exited(proc.pid)
            if not timed_out and now >= deadline and not exited:
                timed_out = True
                _killpg(pgid, signal.SIGTERM)
                kill_at = now + config.kill_grace
            if kill_at is not None and now >= kill_at:
                _killpg(pgid, signal.SIGKILL)
                kill_at = None
                stop_at = now + _DRAIN_AFTER_EXIT
            if stop_at is None and exited and kill_at is None:
                # The shell is gone; anything left in its group is an orphan holding our pipes.
                _killpg(pgid, signal.SIGKILL)
                stop_at = now + _DRAIN_AFTER_EXIT
            if stop_at is not None and now >= stop_at:
                break
            wake = [t for t in (deadline if not timed_out else None, kill_at, stop_at) if t]
            wait = max(0.0, min([*wake, now + 0.1]) - now)
            for key, _ in selector.select(timeout=wait):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    captures[key.data].feed(chunk)
                else:
                    selector.unregister(key.fileobj)
    finally:
        selector.close()
        _killpg(pgid, signal.SIGKILL)
        exit_code = proc.wait()
        for _, stream in streams:
            if stream is not None:
                stream.close()
    stdout, cut_out = captures["stdout"].text(config.output_limit, secrets)
    stderr, cut_err = captures["stderr"].text(config.output_limit, secrets)
    return ExecutionResult(
        exit_code=exit_code,
        duration_ms=int((time.monotonic() - start) * 1000),
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        truncated=cut_out or cut_err,
    )


def build_env(allowlist: tuple[str, ...], params: Mapping[str, str]) -> dict[str, str]:
    """The child's whole environment: allow-listed parent variables, then the parameters."""
    env = {name: os.environ[name] for name in allowlist if name in os.environ}
    env.update(params)
    return env


def execute(
    runbook: Runbook,
    action_id: str,
    values: Mapping[str, object],
    decision: GuardDecision,
    config: ExecutorConfig,
) -> ExecutionResult:
    """Validate values, check the guard decision, run the step and return redacted output."""
    if not config.enabled:
        raise ExecutionDisabled("executable runbook steps are disabled on this server")
    action = runbook.action(action_id)
    if action is None:
        raise ActionNotFound(f"runbook '{runbook.id}' has no action '{action_id}'")
    if (
        not decision.allowed
        or decision.action_id != action.id
        or decision.action_digest != action.digest
    ):
        raise PermissionDenied(f"action '{action.id}' is not cleared to run: {decision.reason}")
    env_params = validate_params(runbook.parameters, action, values)
    secrets = [
        env_params[s.env_name]
        for s in runbook.parameters.values()
        if s.secret and s.env_name in env_params
    ]
    env = build_env(config.env_allowlist, env_params)
    return run_command(action.command, env, action.timeout, config, secrets)
