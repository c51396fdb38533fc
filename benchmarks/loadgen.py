"""The load side of the benchmarks: what they send and the client that sends it.

- :class:`Connection` is a minimal HTTP/1.1 keep-alive client on asyncio streams with
  pre-serialised bodies: cheap on CPU, because the client shares the machine with the server.
- :func:`exchange` sends one request and counts its latency or its error into a :class:`Tally`
  (which a benchmark's result extends).
- Alertmanager webhooks (payload version 4), as ``intake.py`` and ``storm.py`` send them.

Processes, databases, receivers and figures are in ``harness.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

REQUEST_TIMEOUT = 60.0  # a request slower than this counts as an error


class HttpError(Exception):
    """The server answered something this client cannot read."""


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "User-Agent: plantao-bench\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        header_blob = await reader.readuntil(b"\r\n\r\n")
        lines = header_blob.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            payload = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            payload = b"".join(chunks)
        else:
            raise HttpError("response without Content-Length or chunked encoding")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass(kw_only=True)
class Tally:
    """What a load client's requests got: latencies in seconds, errors, the first three of them."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, sample: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(sample)


async def exchange(
    conn: Connection,
    path: str,
    body: bytes,
    tally: Tally,
    *,
    since: float,
    clock: Callable[[], float],
    ok: Callable[[int], bool],
) -> bytes | None:
    """POST ``body``; the answer's body when ``ok(status)``. Latency (``clock()`` at the answer
    − ``since``) goes to ``tally`` for every answer; transport errors (which close the
    connection) and refused statuses count as errors and return None."""
    try:
        status, payload = await asyncio.wait_for(conn.post(path, body), REQUEST_TIMEOUT)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError) as exc:
        tally.error(repr(exc))
        await conn.close()
        return None
    tally.latencies.append(clock() - since)
    if not ok(status):
        tally.error(f"{status} {payload[:200]!r}")
        return None
    return payload


# ---------------------------------------------------------------------------------------------
# Alertmanager webhooks (payload version 4)

# Alertmanager refuses alerts that start in the future: start them a few minutes ago.
STARTS_AT = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
GENERATOR_URL = "http://prometheus:9090/graph?g0.expr=up"


def fingerprint(labels: dict[str, str]) -> str:
    blob = "\xff".join(f"{k}\xff{v}" for k, v in sorted(labels.items()))
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def webhook_alert(labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    """One firing alert as Alertmanager puts it in a webhook."""
    return {
        "status": "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": STARTS_AT,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": GENERATOR_URL,
        "fingerprint": fingerprint(labels),
    }


def webhook_body(
    group_key: str,
    group_labels: dict[str, str],
    common_labels: dict[str, str],
    alerts: list[dict[str, Any]],
) -> bytes:
    """A firing group's webhook, serialised once (the client sends bytes)."""
    return orjson.dumps(
        {
            "version": "4",
            "groupKey": group_key,
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "plantao",
            "groupLabels": group_labels,
            "commonLabels": common_labels,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": alerts,
        }
    )
