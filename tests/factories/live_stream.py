"""A Server-Sent Events client for tests of ``GET /live/incidents``: a thread reads the stream
line by line, so a test can wait for the next event, or for the end, with a timeout."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

WAIT = 10.0  # seconds an expected line may take before the test fails


@dataclass
class SseStream:
    """One stream: its status, its lines in order, and None once it ended."""

    status: int = 0
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    opened: threading.Event = field(default_factory=threading.Event)
    client: httpx.Client | None = None

    @classmethod
    def open(cls, base_url: str, cookies: httpx.Cookies | None, path: str) -> SseStream:
        """GET ``path`` with ``cookies`` and return once the answer's headers arrived."""
        stream = cls(client=httpx.Client(base_url=base_url, cookies=cookies, timeout=30.0))
        threading.Thread(target=stream._read, args=(path,), daemon=True).start()
        assert stream.opened.wait(WAIT), "the stream did not answer"
        return stream

    def _read(self, path: str) -> None:
        assert self.client is not None
        try:
            with self.client.stream("GET", path) as response:
                self.status = response.status_code
                self.opened.set()
                for line in response.iter_lines():
                    self.lines.put(line)
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.lines.put(None)

    def next_line(self, timeout: float = WAIT) -> str | None:
        """The next line (None: the stream ended); queue.Empty after ``timeout``."""
        return self.lines.get(timeout=timeout)

    def next_event(self, timeout: float = WAIT) -> dict[str, Any]:
        """The JSON of the next ``event: incident`` (comments and other fields skipped)."""
        deadline = time.monotonic() + timeout
        name = ""
        while True:
            line = self.next_line(max(0.01, deadline - time.monotonic()))
            assert line is not None, "the stream ended before the event"
            if line.startswith("event:"):
                name = line.partition(":")[2].strip()
            elif line.startswith("data:") and name == "incident":
                payload: dict[str, Any] = json.loads(line.partition(":")[2])
                return payload

    def event_for(self, ref: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next event about incident ``ref`` (events about others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.01, deadline - time.monotonic()))
            if event["ref"] == ref:
                return event

    def ends(self, timeout: float = WAIT) -> bool:
        """Whether the server ends the stream within ``timeout`` (lines before are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.next_line(max(0.01, deadline - time.monotonic())) is None:
                    return True
            except queue.Empty:
                return False
        return False

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
