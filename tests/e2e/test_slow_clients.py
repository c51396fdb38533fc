"""Slow clients against a real ``plantao serve``: a trickled body gets 408, headers that never
finish get the connection closed, and neither stops the server answering others.

Raw sockets on loopback, each bounded by a socket timeout, so a regression fails in seconds
instead of hanging the run.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao

BOUND = 10.0  # no socket wait in these tests lasts longer than this


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """``plantao serve`` on SQLite with one-second body and header read timeouts."""
    started = start_plantao(
        "sqlite",
        tmp_path_factory.mktemp("slow"),
        extra_env={
            "PLANTAO_BODY_READ_TIMEOUT_SECONDS": "1",
            "PLANTAO_HEADER_READ_TIMEOUT_SECONDS": "1",
        },
    )
    try:
        yield started.server
    finally:
        stop_plantao(started)


def _connect(server: PlantaoServer) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=BOUND)
    sock.settimeout(BOUND)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or BOUND passes)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_trickled_body_gets_408_and_the_connection_closed(server: PlantaoServer) -> None:
    """A client that announces 1,000 bytes and sends one every 0.2 s is answered 408 and cut
    off, long before it would have finished (200 s)."""
    sock = _connect(server)
    started = time.monotonic()
    with sock:
        sock.sendall(
            f"POST /api/v1/intake/{server.am_key}/alertmanager HTTP/1.1\r\n"
            "Host: plantao\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{".encode()
        )
        answer = b""
        sock.settimeout(0.2)
        while time.monotonic() - started < BOUND:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                try:
                    sock.sendall(b" ")
                except OSError:
                    break
                continue
            if not chunk:
                break
            answer += chunk
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"application/problem+json" in answer and b"did not arrive within 1" in answer
    assert elapsed < 5.0


def test_headers_that_never_finish_get_the_connection_closed(server: PlantaoServer) -> None:
    """A slowloris client sending a header byte now and then is disconnected after the header
    read timeout, not held forever."""
    sock = _connect(server)
    started = time.monotonic()
    closed = False
    with sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: plantao\r\n")
        sock.settimeout(0.3)
        while time.monotonic() - started < BOUND:
            try:
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                try:
                    sock.sendall(b"X")
                except OSError:
                    closed = True
                    break
            except ConnectionResetError:
                closed = True
                break
    assert closed
    assert time.monotonic() - started < 5.0


def test_a_connection_that_sends_nothing_is_closed(server: PlantaoServer) -> None:
    """An opened connection that never sends a byte is closed after the header timeout."""
    sock = _connect(server)
    started = time.monotonic()
    with sock:
        assert _read_all(sock) == b""
    assert time.monotonic() - started < 5.0


def test_prompt_clients_are_served_meanwhile(server: PlantaoServer) -> None:
    """While slow clients are held off, a normal request on a kept-alive connection succeeds,
    and a second one on the same connection too."""
    slow = [_connect(server) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        with httpx.Client(base_url=server.base_url, timeout=BOUND) as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code == 200
    finally:
        for sock in slow:
            sock.close()
