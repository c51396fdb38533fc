"""Whether a process still runs, for tests that check a child or grandchild was really stopped."""

from __future__ import annotations

import os
from pathlib import Path


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an exited child its parent has not reaped
    still answers signal 0, so a test that waited only for ``kill`` would never see it go)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state follows the command name, which is in parentheses and may hold spaces.
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
