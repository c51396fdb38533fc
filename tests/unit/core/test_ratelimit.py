"""The limits on abusive clients, with a frozen clock: windows, addresses, route classes, and
the middleware's decisions over a stub application that answers by path."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from plantao.api.limiter import ClientAddress, Limit, Windows, parse_networks
from plantao.api.ratelimit import (
    API,
    EXEMPT,
    INTAKE,
    LINK,
    LOGIN,
    OTHER,
    PAGERDUTY,
    RateLimits,
    classify,
)
from plantao.config import Settings

GOOD_KEY = "good-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- Limit and Windows -------------------------------------------------------------------------


def test_limits_parse_count_and_period() -> None:
    """ "600/1m", "30/10m", "5/s" and "2/1h" read as count and seconds."""
    assert Limit.parse("600/1m") == Limit(600, 60.0)
    assert Limit.parse("30/10m") == Limit(30, 600.0)
    assert Limit.parse("5/s") == Limit(5, 1.0)
    assert Limit.parse("2/1h") == Limit(2, 3600.0)


@pytest.mark.parametrize("text", ["600", "600/min", "/1m", "10/0m", "ten/1m"])
def test_malformed_limits_are_refused(text: str) -> None:
    """A limit that is not COUNT/PERIOD with a positive period is an error, not a silent guess."""
    with pytest.raises(ValueError, match=r"limit|period"):
        Limit.parse(text)


def test_settings_refuse_a_malformed_limit() -> None:
    """The setting is checked when the process starts, not at the first request."""
    with pytest.raises(ValueError, match="rate_limit_per_ip"):
        Settings(rate_limit_per_ip="lots")


def test_window_refuses_past_its_count_until_it_ends() -> None:
    """Three per minute: the fourth waits exactly for the rest of the window, then is counted."""
    clock = Clock()
    windows = Windows(Limit(3, 60.0), clock=clock)
    assert [windows.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 20
    assert windows.hit("a") == pytest.approx(40.0)
    assert windows.hit("b") == 0.0  # keys are independent
    clock.now += 40
    assert windows.hit("a") == 0.0


def test_refused_hits_do_not_extend_the_window() -> None:
    """A client hammering while refused is free again when the window ends, not later."""
    clock = Clock()
    windows = Windows(Limit(1, 10.0), clock=clock)
    windows.hit("a")
    for _ in range(100):
        clock.now += 0.05
        assert windows.hit("a") > 0
    clock.now = 1010.0
    assert windows.hit("a") == 0.0


def test_failures_spend_a_budget_that_reports_its_remaining_time() -> None:
    """add() counts whatever the budget; spent() says how long the lockout lasts."""
    clock = Clock()
    budget = Windows(Limit(2, 900.0), clock=clock)
    budget.add("ip")
    assert budget.spent("ip") == 0.0
    budget.add("ip")
    budget.add("ip")
    clock.now += 100
    assert budget.spent("ip") == pytest.approx(800.0)
    clock.now += 800
    assert budget.spent("ip") == 0.0


def test_windows_hold_a_bounded_number_of_keys() -> None:
    """A flood of distinct addresses evicts expired and then the oldest windows."""
    clock = Clock()
    windows = Windows(Limit(1, 60.0), clock=clock, max_keys=100)
    for n in range(1000):
        windows.hit(f"10.0.{n // 256}.{n % 256}")
    assert len(windows) <= 100
    assert windows.seen("10.0.3.231")  # the newest survives


# --- Addresses and route classes ---------------------------------------------------------------


def _scope(peer: str, forwarded: str | None = None) -> Scope:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 5000), "headers": headers}


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    """Without a trusted proxy in front, X-Forwarded-For is the client's own claim."""
    address = ClientAddress(parse_networks("10.0.0.0/8"))
    assert address(_scope("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert ClientAddress(())(_scope("10.0.0.2", "198.51.100.1")) == "10.0.0.2"


def test_forwarded_for_is_read_from_the_right_through_trusted_proxies() -> None:
    """The client is the rightmost hop that is not a trusted proxy; hops left of it are forged."""
    address = ClientAddress(parse_networks("10.0.0.0/8, 192.168.1.1"))
    forged_then_real = "1.1.1.1, 198.51.100.7, 192.168.1.1"
    assert address(_scope("10.0.0.2", forged_then_real)) == "198.51.100.7"
    assert address(_scope("10.0.0.2", "10.0.0.3, 10.0.0.4")) == "10.0.0.3"  # all trusted: leftmost
    assert address(_scope("10.0.0.2")) == "10.0.0.2"


def test_ipv6_clients_are_counted_per_slash_64() -> None:
    """Two addresses of one /64 share a budget; a v4-mapped address counts as its IPv4."""
    address = ClientAddress(())
    a = address(_scope("2001:db8:1:2::1"))
    b = address(_scope("2001:db8:1:2:ffff::9"))
    assert a == b == "2001:db8:1:2::/64"
    assert address(_scope("::ffff:203.0.113.5")) == "203.0.113.5"
    assert ipaddress.ip_network(a).prefixlen == 64


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/api/v1/intake/k1/alertmanager", (INTAKE, "k1")),
        ("POST", "/api/v1/intake/k1/generic", (INTAKE, "k1")),
        ("POST", "/api/v1/heartbeats/hb1", (INTAKE, "hb1")),
        ("GET", "/api/v1/intake/inbox", (API, None)),
        ("POST", "/api/v1/intake/inbox/retry", (API, None)),
        ("POST", "/api/v1/intake/inbox/7/retry", (API, None)),
        ("POST", "/v2/enqueue", (PAGERDUTY, None)),
        ("POST", "/v2/change/enqueue", (PAGERDUTY, None)),
        ("GET", "/a/tok.sig", (LINK, "tok.sig")),
        ("GET", "/ical/s3cret.ics", (LINK, "s3cret.ics")),
        ("POST", "/login", (LOGIN, None)),
        ("GET", "/login", (OTHER, None)),
        ("GET", "/incidents/INC-1", (OTHER, None)),
        ("GET", "/healthz", (EXEMPT, None)),
        ("GET", "/metrics", (EXEMPT, None)),
    ],
)
def test_routes_are_classified_with_their_secret(
    method: str, path: str, expected: tuple[str, str | None]
) -> None:
    """Each route lands in its class, with the key, link or feed secret its path carries."""
    assert classify(method, path) == expected


# --- The middleware over a stub application ----------------------------------------------------


async def stub(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers like Plantão would: the good key, token and link succeed, anything else fails."""
    path: str = scope["path"]
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = dict(scope["headers"])
    if path.startswith(("/api/v1/intake/", "/a/")):
        status = 202 if GOOD_KEY in path else 404
    elif path == "/v2/enqueue":
        status = 202 if orjson.loads(body)["routing_key"] == GOOD_KEY else 404
    elif path == "/login":
        status = 303 if GOOD_KEY.encode() in body else 401
    elif path.startswith("/api/"):
        status = 200 if headers.get(b"authorization") == f"Bearer {GOOD_KEY}".encode() else 401
    else:
        status = 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _limits(clock: Clock, **overrides: Any) -> RateLimits:
    settings = Settings(env="test", trusted_proxies="", **overrides)
    return RateLimits(stub, settings=settings, clock=clock)


def call(
    app: RateLimits,
    path: str,
    *,
    ip: str = "203.0.113.1",
    method: str = "POST",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "client": (ip, 4000),
        "headers": headers or [],
    }
    sent: list[Message] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_unknown_keys_spend_the_budget_then_429_but_a_proven_key_goes_on() -> None:
    """After 3 unknown keys the address gets 429 for guesses; the valid key still gets 202."""
    clock = Clock()
    app = _limits(clock, rate_limit_intake_failures_per_ip="3/10m")
    assert call(app, f"/api/v1/intake/{GOOD_KEY}/alertmanager")[0] == 202
    assert [call(app, f"/api/v1/intake/guess{n}/alertmanager")[0] for n in range(3)] == [404] * 3
    assert call(app, "/api/v1/intake/guess9/alertmanager")[0] == 404  # the minute's probe
    status, headers, body = call(app, "/api/v1/intake/guess10/alertmanager")
    assert status == 429 and int(headers[b"retry-after"]) == 600
    assert headers[b"content-type"] == b"application/problem+json"
    assert orjson.loads(body)["title"] == "Too many requests"
    assert call(app, f"/api/v1/intake/{GOOD_KEY}/alertmanager")[0] == 202
    assert call(app, "/api/v1/intake/guess9/alertmanager", ip="203.0.113.2")[0] == 404
    clock.now += 600
    assert call(app, "/api/v1/intake/guess11/alertmanager")[0] == 404


def test_a_key_first_seen_during_a_lockout_gets_through_on_its_probe() -> None:
    """One probe a minute: a valid key not yet proven passes on it and is proven from then on."""
    clock = Clock()
    app = _limits(clock, rate_limit_intake_failures_per_ip="2/10m")
    for n in range(3):  # the third guess is the minute's probe
        call(app, f"/api/v1/intake/guess{n}/generic")
    assert call(app, f"/api/v1/intake/{GOOD_KEY}/generic")[0] == 429
    clock.now += 60
    assert call(app, f"/api/v1/intake/{GOOD_KEY}/generic")[0] == 202
    assert [call(app, f"/api/v1/intake/{GOOD_KEY}/generic")[0] for _ in range(5)] == [202] * 5
    assert call(app, "/api/v1/intake/guess7/generic")[0] == 429


def test_pagerduty_sender_behind_a_locked_out_address_is_recognised_by_its_body() -> None:
    """On /v2/enqueue the key is in the body, read only once the address is locked out: the
    sender's probe passes with its body intact, and its key is proven from then on."""
    clock = Clock()
    app = _limits(clock, rate_limit_intake_failures_per_ip="2/10m")
    good = orjson.dumps({"routing_key": GOOD_KEY, "event_action": "trigger"})
    bad = orjson.dumps({"routing_key": "nope", "event_action": "trigger"})
    assert call(app, "/v2/enqueue", body=good)[0] == 202
    assert [call(app, "/v2/enqueue", body=bad)[0] for _ in range(3)] == [404, 404, 404]
    status, headers, body = call(app, "/v2/enqueue", body=bad)
    assert status == 429 and headers[b"content-type"] == b"application/json"
    assert orjson.loads(body)["status"] == "throttle exceeded"
    assert call(app, "/v2/enqueue", body=good)[0] == 429  # the minute's probe went to a guess
    clock.now += 60
    assert call(app, "/v2/enqueue", body=good)[0] == 202
    assert call(app, "/v2/enqueue", body=bad)[0] == 429
    assert call(app, "/v2/enqueue", body=good)[0] == 202


def test_login_lockout_lasts_the_rest_of_the_window_even_for_the_right_token() -> None:
    """Ten failures in 15 minutes lock the address out of POST /login until the window ends."""
    clock = Clock()
    app = _limits(clock)
    for _ in range(10):
        assert call(app, "/login", body=b"token=wrong")[0] == 401
        clock.now += 30
    status, headers, _ = call(app, "/login", body=f"token={GOOD_KEY}".encode())
    assert status == 429 and int(headers[b"retry-after"]) == 900 - 300
    assert call(app, "/login", body=f"token={GOOD_KEY}".encode(), ip="198.51.100.4")[0] == 303
    clock.now += 600
    assert call(app, "/login", body=f"token={GOOD_KEY}".encode())[0] == 303


def test_wrong_bearer_tokens_spend_a_budget_but_missing_ones_do_not() -> None:
    """A presented unknown token is a guess; a request without one is only unauthenticated."""
    clock = Clock()
    app = _limits(clock, rate_limit_api_failures_per_ip="2/10m")
    assert [call(app, "/api/v1/incidents", method="GET")[0] for _ in range(5)] == [401] * 5
    wrong = [(b"authorization", b"Bearer plt_guess")]
    good = [(b"authorization", f"Bearer {GOOD_KEY}".encode())]
    assert call(app, "/api/v1/incidents", method="GET", headers=good)[0] == 200
    statuses = [call(app, "/api/v1/incidents", method="GET", headers=wrong)[0] for _ in range(4)]
    assert statuses == [401, 401, 401, 429]  # the third is the minute's probe
    assert call(app, "/api/v1/incidents", method="GET", headers=good)[0] == 200


def test_bad_action_links_and_feed_secrets_spend_the_link_budget() -> None:
    """Tampered or unknown /a/ and /ical/ secrets count; past the budget they get 429."""
    clock = Clock()
    app = _limits(clock, rate_limit_link_failures_per_ip="2/10m")
    assert call(app, "/a/tampered", method="GET")[0] == 404
    assert call(app, "/ical/unknown.ics", method="GET")[0] == 200  # the stub serves any feed
    assert call(app, "/a/tampered2", method="GET")[0] == 404
    assert call(app, "/a/tampered3", method="GET")[0] == 404  # the minute's probe
    assert call(app, "/a/tampered4", method="GET")[0] == 429


def test_per_ip_and_per_token_rates() -> None:
    """Pages are limited per address; the API per token too, whatever the address."""
    clock = Clock()
    app = _limits(clock, rate_limit_per_ip="3/1m", rate_limit_per_token="4/1m")
    assert [call(app, "/incidents", method="GET")[0] for _ in range(4)] == [200, 200, 200, 429]
    assert call(app, "/healthz", method="GET")[0] == 200  # probes are never limited
    good = [(b"authorization", f"Bearer {GOOD_KEY}".encode())]
    statuses = [
        call(app, "/api/v1/incidents", method="GET", headers=good, ip=f"198.51.100.{n}")[0]
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_intake_rate_is_per_key_not_per_address() -> None:
    """Each key has its own intake budget, so one runaway sender does not block another."""
    clock = Clock()
    app = _limits(clock, rate_limit_intake_per_key="2/1m")
    path = f"/api/v1/intake/{GOOD_KEY}/alertmanager"
    assert [call(app, path)[0] for _ in range(3)] == [202, 202, 429]
    assert call(app, f"/api/v1/intake/{GOOD_KEY}-2/alertmanager")[0] == 202


def test_disabled_limits_let_everything_through() -> None:
    """PLANTAO_RATE_LIMIT_ENABLED=false turns every limit off."""
    app = _limits(Clock(), rate_limit_enabled=False, rate_limit_per_ip="1/1m")
    assert [call(app, "/incidents", method="GET")[0] for _ in range(3)] == [200] * 3
