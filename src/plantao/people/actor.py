"""Who acted, as the audit log records it. Pure, so permission code can build one without a DB."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditActor:
    """``via`` is session, token, cli, config or engine; ``source`` the client address."""

    handle: str
    user_id: int | None = None
    via: str = "cli"
    source: str | None = None


SYSTEM = AuditActor(handle="plantao", via="engine")
