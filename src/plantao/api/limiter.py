"""Counting for the limits on abusive clients: windows per key, and who the client is.

Pure (no web framework, no clock but the one passed in), so it is unit-tested with a frozen
clock; the middleware that uses it is ``plantao.api.ratelimit``.

The counting is our own small fixed-window table rather than the ``limits`` library (what
slowapi uses), measured before choosing: its in-memory storage costs 5-12 microseconds per hit
and per limit here against about one for a dict look-up, it starts a timer thread every 10 ms
that walks every key under the GIL (with many client addresses that is event-loop time), it
reads ``time.time()`` itself so tests could not use a frozen clock, and it never bounds how many
keys it holds (an attacker with many addresses could grow it without end).
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

_UNITS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0}
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")


@dataclass(frozen=True)
class Limit:
    """``count`` events per ``seconds``, written ``"600/1m"``, ``"30/10m"`` or ``"5/30s"``."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Limit:
        match = _LIMIT.match(text)
        if match is None:
            raise ValueError(f"a limit is COUNT/PERIOD such as 600/1m or 30/10m, not {text!r}")
        count, amount, unit = match.groups()
        seconds = (int(amount) if amount else 1) * _UNITS[unit]
        if seconds <= 0:
            raise ValueError(f"the period of {text!r} must be longer than zero")
        return cls(int(count), seconds)

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds:g} s"


class Windows:
    """Fixed windows anchored at each key's first event: ``key -> [ends_at, count]``.

    O(1) per event and two numbers per key. A window starts at a key's first event and lasts the
    limit's period, so a refusal knows exactly when it ends (the ``Retry-After``); a client can
    at most double its budget across a window boundary, which is fine for abuse control. At
    ``max_keys`` the expired windows are dropped, then the oldest tenth: a flood of addresses
    forgets its own oldest members rather than growing memory.
    """

    def __init__(
        self,
        limit: Limit,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.max_keys = max_keys
        self._slots: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def hit(self, key: str) -> float:
        """Count one event unless the budget is spent: 0.0 if counted, else seconds to wait."""
        now = self.clock()
        slot = self._slots.get(key)
        if slot is None or slot[0] <= now:
            self._start(key, now)
            return 0.0
        if slot[1] >= self.limit.count:
            return slot[0] - now
        slot[1] += 1
        return 0.0

    def add(self, key: str) -> None:
        """Count one event whatever the budget (a failure already happened)."""
        now = self.clock()
        slot = self._slots.get(key)
        if slot is None or slot[0] <= now:
            self._start(key, now)
        else:
            slot[1] += 1

    def spent(self, key: str) -> float:
        """Seconds left in the key's window once its budget is spent; 0.0 otherwise."""
        slot = self._slots.get(key)
        if slot is None or slot[1] < self.limit.count:
            return 0.0
        return max(slot[0] - self.clock(), 0.0)

    def seen(self, key: str) -> bool:
        """Whether the key had an event in its current window."""
        slot = self._slots.get(key)
        return slot is not None and slot[0] > self.clock()

    def _start(self, key: str, now: float) -> None:
        self._slots.pop(key, None)  # re-inserted last, so insertion order stays oldest first
        if len(self._slots) >= self.max_keys:
            self._evict(now)
        self._slots[key] = [now + self.limit.seconds, 1.0]

    def _evict(self, now: float) -> None:
        live = {k: v for k, v in self._slots.items() if v[0] > now}
        if len(live) >= self.max_keys:
            drop = max(self.max_keys // 10, 1)
            live = dict(list(live.items())[drop:])
        self._slots = live


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """A comma-separated list of addresses or CIDR networks (``"10.0.0.0/8, ::1"``)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


class ClientAddress:
    """The address a request is counted against.

    The socket peer, unless the peer is a trusted proxy: then ``X-Forwarded-For`` is read from
    the right and the first hop that is not a trusted proxy is the client (hops further left were
    written by the client and may be forged). IPv6 clients are counted per /64, the block one
    host usually holds, so rotating through its own addresses does not reset the budgets.
    """

    def __init__(self, trusted: tuple[Network, ...]) -> None:
        self.trusted = trusted
        self._trusted_cache: dict[str, bool] = {}

    def __call__(self, scope: Mapping[str, Any]) -> str:
        client = scope.get("client")
        peer: str = client[0] if client else ""
        if not self.trusted or not self._is_trusted(peer):
            return _bucket(peer)
        headers: Sequence[tuple[bytes, bytes]] = scope["headers"]
        values = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
        hops = [hop.strip() for hop in ",".join(values).split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return _bucket(hop)
        return _bucket(hops[0] if hops else peer)

    def _is_trusted(self, host: str) -> bool:
        known = self._trusted_cache.get(host)
        if known is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                known = False
            else:
                known = any(address in network for network in self.trusted)
            if len(self._trusted_cache) > 10_000:
                self._trusted_cache.clear()
            self._trusted_cache[host] = known
        return known


def _bucket(host: str) -> str:
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))
