"""The process-wide runbook library and lookups by id, shared by the API, the web UI, the CLI
and the engine's jobs.

One :class:`RunbookLibrary` per configured directory lives for the whole process, so every
request reuses its parsed runbooks and search index instead of reading the directory again.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from plantao.config import Settings
from plantao.errors import NotFound
from plantao.runbooks.document import Runbook
from plantao.runbooks.library import RunbookLibrary, default_pack_dir

_libraries: dict[Path, tuple[RunbookLibrary, float]] = {}
_libraries_lock = threading.Lock()


def library(settings: Settings) -> RunbookLibrary:
    """The process-wide library for the configured directory, re-scanned at most every
    ``runbooks_reload_seconds`` so that a busy server stats the files a few times a minute."""
    root = (settings.runbooks_dir or default_pack_dir()).resolve()
    now = time.monotonic()
    with _libraries_lock:
        entry = _libraries.get(root)
        if entry is None:
            lib = RunbookLibrary(root)
            _libraries[root] = (lib, now)
            refresh = True
        else:
            lib, checked = entry
            refresh = now - checked >= settings.runbooks_reload_seconds
            if refresh:
                _libraries[root] = (lib, now)
    if refresh:
        lib.reload_if_changed()
    return lib


def get_runbook(lib: RunbookLibrary, runbook_id: str, lang: str | None = None) -> Runbook:
    found = lib.get(runbook_id.removesuffix(".md"), lang or "en")
    if found is None:
        raise NotFound(f"runbook '{runbook_id}' is not in the library")
    return found


def languages(lib: RunbookLibrary, runbook_id: str) -> list[str]:
    return [rb.lang for rb in lib.all() if rb.id == runbook_id]
