"""uvicorn's httptools protocol plus a header read timeout, against slowloris.

uvicorn (checked in 0.54) closes idle keep-alive connections (``timeout_keep_alive``) but arms
nothing while a request line and its headers arrive: ``connection_made`` starts no timer, and
``h11_max_incomplete_event_size`` caps the header bytes of the h11 parser only, not the time. A
client that opens connections and sends a header byte now and then holds each one, and its file
descriptor, forever. This protocol closes a connection whose headers are not complete within
``PLANTAO_HEADER_READ_TIMEOUT_SECONDS`` of its opening, or of the first byte of a next request
on a kept-alive connection. At shutdown it also closes live streams (``/live/``), which would
otherwise hold a graceful shutdown open forever. ``plantao serve`` uses it; a reverse proxy with
``client_header_timeout`` (docs/security-limits.md) stays the first line of defence.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from plantao.config import get_settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """A live stream (``/live/``) never completes by itself, and uvicorn's graceful
        shutdown waits for every response: close it, the browser reconnects to the next
        server. Any other response in flight finishes as before."""
        cycle = self.cycle
        streaming = cycle is not None and not cycle.response_complete
        if streaming and cycle.scope.get("path", "").startswith("/live/"):
            self.transport.close()
            return
        super().shutdown()

    def _arm(self) -> None:
        seconds = get_settings().header_read_timeout_seconds
        self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
