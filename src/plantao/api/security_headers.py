"""Headers that make the browser refuse what the server did not intend.

A strict Content-Security-Policy is the second line behind escaping and URL checks: even if a
value from an alert reached the page as markup, no inline script, no foreign script, no plugin
and no framing would run. Pages keep to that by shipping their CSS and scripts as files under
``/static`` (no inline ``<script>``, no ``style=`` attributes, no ``on…=`` handlers).

A route that needs a different policy (the OpenAPI explorer at ``/docs``) sets its own
``Content-Security-Policy`` header; this middleware keeps it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    # Signed action links carry their token in the path: never send it to another site.
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.extra = [(b"strict-transport-security", b"max-age=31536000")] if https else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in (*_COMMON, *self.extra) if h[0] not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
