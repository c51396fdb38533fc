"""Which function runs each job kind. Domains provide the functions; the engine only calls them."""

from __future__ import annotations

from plantao.engine.runner import Handler


def registry() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    return handlers
