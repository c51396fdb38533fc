"""Who runs a ``plantao`` command, as the audit log names them.

The shell has no login of ours, so the operating-system user is the best witness there is:
``cli:<user>`` with ``via=cli`` tells an auditor the change came from a shell on the server,
not from the API or the web UI.
"""

from __future__ import annotations

import getpass

from plantao.people.actor import AuditActor


def audit_actor() -> AuditActor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return AuditActor(handle=f"cli:{who}", via="cli")
