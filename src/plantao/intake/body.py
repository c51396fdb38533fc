"""Reading a request body with a cap, so a sender cannot make the server hold more than it allows.

The declared ``Content-Length`` is checked first (nothing is read from a body that says it is too
large); a body without one, or one that lies, is stopped at the first chunk past the cap. It
takes the chunks and the header rather than the request, so no web framework is imported below
the routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator


class BodyTooLarge(Exception):
    """The body exceeded the configured cap; nothing was read past it."""


async def read_body(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it is known to exceed ``limit`` bytes."""
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        parts.append(chunk)
    return b"".join(parts)
