"""Run the same work in several threads released together, for tests of concurrent writers.

Threads wait at a barrier so they race for real instead of running one after another as they
start; what each returns or raises is collected, so the test asserts on both (an exception in a
thread is otherwise printed and lost, and the test would pass).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Together(Generic[T]):
    """What the threads returned (in thread order, failures left out) and what they raised."""

    results: list[T] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def run_together(work: Callable[[int], T], n: int, *, timeout: float = 60.0) -> Together[T]:
    """Call ``work(i)`` for i in 0..n-1, each in its own thread, all released at once."""
    barrier = threading.Barrier(n)
    returned: dict[int, T] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            value = work(i)
        except BaseException as exc:  # handed to the test, which asserts there are none
            with lock:
                errors.append(exc)
        else:
            with lock:
                returned[i] = value

    threads = [threading.Thread(target=run, args=(i,), name=f"together-{i}") for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        if thread.is_alive():
            with lock:
                errors.append(TimeoutError(f"{thread.name} still running after {timeout} s"))
    return Together([returned[i] for i in sorted(returned)], errors)
