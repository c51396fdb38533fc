"""A loopback TCP proxy in front of a real server that a test can cut: a real network fault.

``FlakyProxy(("127.0.0.1", 5432))`` listens on a free loopback port and forwards every
connection to the target. ``cut()`` closes the listening socket (new connections are refused by
the kernel, ``ECONNREFUSED``) and resets every forwarded connection, as a database restart or a
network partition does; ``restore()`` listens again on the same port. Nothing in the code under
test is patched: it only ever sees a server that went away and came back.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from urllib.parse import urlsplit, urlunsplit


class FlakyProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._closed = False
        self.port = self._listen(0)

    @classmethod
    def for_url(cls, url: str) -> tuple[FlakyProxy, str]:
        """A proxy in front of a ``postgresql://`` URL's server, and the URL through it."""
        parts = urlsplit(url)
        proxy = cls((parts.hostname or "127.0.0.1", parts.port or 5432))
        netloc = parts.netloc.rsplit("@", 1)
        auth = netloc[0] + "@" if len(netloc) == 2 else ""
        proxied = urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{proxy.port}"))
        return proxy, proxied

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        bound: int = listener.getsockname()[1]
        return bound

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed: cut() or close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(src, dst), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        for conn in connections:
            _reset(conn)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        with self._lock:
            if self._listener is None and not self._closed:
                self._listen(self.port)

    def close(self) -> None:
        self._closed = True
        self.cut()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _reset(dst)
        _reset(src)


def _reset(conn: socket.socket) -> None:
    """Drop a connection (SO_LINGER 0: reset, as a crashed peer looks); ``shutdown`` first,
    because closing alone does not wake a thread blocked in ``recv`` on it."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()
