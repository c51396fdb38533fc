"""What every part of ``plantao apply`` shares: the line it reports per change and the key a new
integration gets. The top-level :mod:`plantao.configfile.service` and the on-call part
(:mod:`plantao.configfile.oncall_apply`) both import it, so neither imports the other's caller."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    kind: str
    action: str  # create | update | delete | keep
    name: str
    detail: str = ""

    def __str__(self) -> str:
        sign = {"create": "+", "update": "~", "delete": "-", "keep": "="}[self.action]
        tail = f" ({self.detail})" if self.detail else ""
        return f"{sign} {self.kind} {self.name}{tail}"


def new_integration_key() -> str:
    return secrets.token_hex(16)
