"""The engine as a child process of ``plantao serve`` (PostgreSQL).

Why a process and not a thread: the engine applies the intake inbox, opens incidents and sends
pages; in a thread it shares one interpreter lock with the process answering senders, and under
load each slows the other (measured in benchmarks/README.md: about half the intake throughput
and several times the tail latency). SQLite keeps the thread, because its writers must be in one
process to hand the database lock over without the busy handler's sleeps.

The child is restarted if it dies, and it stops by itself if ``serve`` disappears without
stopping it (``PLANTAO_ENGINE_PARENT_PID``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import structlog

log = structlog.get_logger("plantao.serve")
PARENT_ENV = "PLANTAO_ENGINE_PARENT_PID"
RESTART_DELAY = 1.0


def worker_command() -> list[str]:
    return [sys.executable, "-c", "from plantao.cli.app import main; main()", "worker"]


class EngineProcess:
    """Keeps one ``plantao worker`` child running until ``stop``."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._monitor = threading.Thread(target=self._watch, name="engine-monitor", daemon=True)
        self._monitor.start()

    def _spawn(self) -> None:
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        self._process = subprocess.Popen(worker_command(), env=env)

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            process = self._process
            if process is not None and process.poll() is not None:
                log.error(
                    "engine.process_exited", code=process.returncode, restart_in=RESTART_DELAY
                )
                if self._stopping.wait(RESTART_DELAY):
                    return
                self._spawn()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join(timeout)
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def watch_parent(stop: threading.Event) -> None:
    """In the child: stop when the ``serve`` that started it is gone (reparented)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not parent.isdigit():
        return

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != int(parent):
                log.warning("engine.parent_gone", parent=int(parent))
                stop.set()
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
