"""What a public status route answers, from snapshots held in this process.

A :class:`SnapshotStore` keeps every page's rendered artifacts (``statuspage.snapshots``) in
memory. From its first request on, a thread checks the database for newer renders every
:data:`REFRESH_SECONDS` with one cheap query (pages, and the newest write time and number of
their snapshot rows) and loads only the pages that changed. When the database does not answer,
it keeps what it has; a process that starts while the database is down reads the snapshot files
instead. A request never waits on the database unless this process has nothing to serve yet.

:func:`resolve` maps a request (path, host name, query, ``Accept-Language``) to a page and the
name of the artifact that answers it: ``/status`` (the ``public`` page), ``/status/<slug>``,
any page's ``/`` and ``/status`` on its own host name, and below each ``/theme.css``,
``/feed.atom``, ``/feed.rss``, ``/history?page=N``, ``/incidents/<id>`` and the Statuspage
JSON at ``/api/v2/<document>`` (``/status/<slug>/api/v2/…`` for a page without a host name).
Anything else under ``/status/`` (the subscription forms) is not a snapshot and is left to the
application's routes. Framework-free, so the fast ASGI path and the routes share it.
"""

from __future__ import annotations

import gzip
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.statuspage import page_texts, pages, snapshots
from plantao.statuspage.models import StatusPage, StatusSnapshot
from plantao.statuspage.snapshots import Artifact, PageEntry

log = structlog.get_logger("plantao.statuspage.serving")
REFRESH_SECONDS = 2.0
CACHE_CONTROL = "public, max-age=15, stale-while-revalidate=60, stale-if-error=86400"
#: Bodies from this size on are also kept gzip-compressed.
GZIP_FROM = 1024
SIMPLE = frozenset({"theme.css", "feed.atom", "feed.rss"})


@dataclass(frozen=True)
class Target:
    page: PageEntry
    #: The artifact's name (``html:en``, ``incident:12:pt-BR``, ``summary.json``…).
    name: str
    #: The route template counted in metrics and access logs.
    route: str


@dataclass
class Index:
    pages: dict[int, PageEntry] = field(default_factory=dict)
    by_slug: dict[str, PageEntry] = field(default_factory=dict)
    by_host: dict[str, PageEntry] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: list[PageEntry]) -> Index:
        return cls(
            {e.id: e for e in entries},
            {e.slug: e for e in entries},
            {e.host.lower(): e for e in entries if e.host},
        )


def resolve(
    index: Index,
    path: str,
    host: str,
    query: Mapping[str, str],
    accept_language: str | None,
) -> Target | None:
    """The page and artifact answering a GET of ``path`` on ``host``; None when the path is not
    a snapshot route or names no known page (the application's routes answer it then)."""
    own = index.by_host.get(host.split(":", 1)[0].lower()) if host else None
    if path.startswith("/api/v2/"):
        page = own or index.by_slug.get(pages.DEFAULT_SLUG)
        name = path.removeprefix("/api/v2/")
        if page is None or name not in snapshots.JSON_DOCUMENTS:
            return None
        return Target(page, name, "/api/v2/" + name)
    if own is not None and path in ("/", ""):
        return _target(own, [], query, accept_language, "/")
    if path != "/status" and not path.startswith("/status/"):
        return None
    rest = [s for s in path.removeprefix("/status").split("/") if s]
    chosen = own or index.by_slug.get(pages.DEFAULT_SLUG)
    if rest and rest[0] not in pages.RESERVED and rest[0] in index.by_slug:
        chosen = index.by_slug[rest[0]]
        rest = rest[1:]
    if chosen is None:
        return None
    return _target(chosen, rest, query, accept_language, "/status")


def _target(
    page: PageEntry,
    rest: list[str],
    query: Mapping[str, str],
    accept_language: str | None,
    base: str,
) -> Target | None:
    language = page_texts.pick(query.get("lang"), accept_language, page.language)
    if not rest:
        return Target(page, f"html:{language}", base)
    if len(rest) == 1 and rest[0] in SIMPLE:
        return Target(page, rest[0], f"/status/{rest[0]}")
    if rest == ["history"]:
        number = query.get("page", "1")
        if not number.isdigit() or not 0 < int(number) < 100_000:
            return None
        return Target(page, f"history:{int(number)}:{language}", "/status/history")
    if len(rest) == 2 and rest[0] == "incidents" and rest[1].isdigit() and len(rest[1]) < 12:
        return Target(page, f"incident:{int(rest[1])}:{language}", "/status/incidents/{id}")
    if len(rest) >= 3 and rest[:2] == ["api", "v2"]:
        name = "/".join(rest[2:])
        if name in snapshots.JSON_DOCUMENTS:
            return Target(page, name, "/api/v2/" + name)
    return None


class SnapshotStore:
    """Every page's artifacts in memory; see the module docstring."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        directory: Path,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        write_files: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.factory = factory
        self.directory = directory
        self.refresh_seconds = refresh_seconds
        self.write_files = write_files
        self.clock = clock
        self.index = Index()
        self._artifacts: dict[tuple[int, str], Artifact] = {}
        #: gzip-compressed bodies of the larger artifacts, with the ETag they were made from.
        self._gzipped: dict[tuple[int, str], tuple[str, bytes]] = {}
        self._versions: dict[int, tuple[int, object]] = {}
        self._lock = threading.Lock()
        self._checked = -1e18
        self.loaded = False
        self._looping = False
        #: Whether the last check reached the database.
        self.database_up = True

    def get(self, page_id: int, name: str) -> Artifact | None:
        return self._artifacts.get((page_id, name))

    def gzipped(self, page_id: int, artifact: Artifact) -> bytes | None:
        """The artifact's body compressed once (the HTML with its 90-day bars shrinks ten
        times), or None when it is small or changed since."""
        found = self._gzipped.get((page_id, artifact.name))
        return found[1] if found is not None and found[0] == artifact.etag else None

    def _set(self, artifacts: dict[tuple[int, str], Artifact]) -> None:
        old = self._gzipped
        fresh: dict[tuple[int, str], tuple[str, bytes]] = {}
        for key, item in artifacts.items():
            if len(item.body) < GZIP_FROM:
                continue
            kept = old.get(key)
            if kept is not None and kept[0] == item.etag:
                fresh[key] = kept
            else:
                fresh[key] = (item.etag, gzip.compress(item.body, compresslevel=6, mtime=0))
        self._gzipped = fresh
        self._artifacts = artifacts

    def put(self, page_id: int, artifacts: list[Artifact]) -> None:
        """Artifacts rendered on demand by this process (until the engine's replace them)."""
        merged = dict(self._artifacts)
        merged.update({(page_id, a.name): a for a in artifacts})
        self._set(merged)

    def due(self) -> bool:
        return self.clock() - self._checked >= self.refresh_seconds

    def refresh_in_background(self) -> None:
        """Keep the store fresh from now on: a thread refreshes it every
        ``refresh_seconds`` for as long as the store lives (started on the first request, so a
        process that never serves a status page never queries for one). Returns at once."""
        if self._looping:
            return
        self._looping = True
        threading.Thread(
            target=_keep_fresh,
            args=(weakref.ref(self), self.refresh_seconds),
            name="status-snapshots",
            daemon=True,
        ).start()

    def refresh(self) -> None:
        """Load what changed since the last check; on a database error keep what is held, or
        read the files when nothing is."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._checked = self.clock()
            try:
                self._from_database()
                self.database_up = True
            except Exception as exc:
                if self.database_up:
                    log.warning("status_snapshots.database_unreachable", error=type(exc).__name__)
                self.database_up = False
                if not self.loaded:
                    self._from_files()
        finally:
            self._lock.release()

    def _from_database(self) -> None:
        marks = (
            select(
                StatusSnapshot.page_id,
                func.max(StatusSnapshot.generated_at).label("newest"),
                func.count().label("rows"),
            )
            .group_by(StatusSnapshot.page_id)
            .subquery()
        )
        with self.factory() as session:
            # A page's snapshots changed when their newest write time or their number did (a
            # render that changed no bytes writes no row, so nothing is loaded again).
            rows = session.execute(
                select(StatusPage, marks.c.newest, marks.c.rows).outerjoin(
                    marks, marks.c.page_id == StatusPage.id
                )
            ).all()
            entries = [snapshots.entry_of(page) for page, _, _ in rows]
            versions = {page.id: (count or 0, newest) for page, newest, count in rows}
            changed = [pid for pid, v in versions.items() if self._versions.get(pid) != v]
            loaded = snapshots.load(session, changed) if changed else {}
            session.rollback()
        merged = {k: v for k, v in self._artifacts.items() if k[0] in versions}
        for page_id in changed:
            if page_id in loaded:  # never rendered: keep what was rendered on demand
                merged = {k: v for k, v in merged.items() if k[0] != page_id}
                merged.update({(page_id, a.name): a for a in loaded[page_id]})
        self._set(merged)
        self.index = Index.of(entries)
        self._versions = versions
        self.loaded = True
        if self.write_files and changed:
            self._save_files(entries, loaded)

    def _save_files(self, entries: list[PageEntry], loaded: dict[int, list[Artifact]]) -> None:
        try:
            for page_id, artifacts in loaded.items():
                snapshots.write_files(self.directory, page_id, artifacts)
            snapshots.write_pages(self.directory, entries)
        except OSError as exc:
            log.warning("status_snapshots.files_failed", error=str(exc))

    def _from_files(self) -> None:
        entries, found = snapshots.read_files(self.directory)
        if not entries:
            return
        self.index = Index.of(entries)
        self._set({(page_id, a.name): a for page_id, items in found.items() for a in items})
        self.loaded = True
        log.info("status_snapshots.from_files", pages=len(entries), directory=str(self.directory))


def _keep_fresh(store_ref: weakref.ref[SnapshotStore], every: float) -> None:
    """Refresh the store every ``every`` seconds; ends once nothing holds the store (an app
    that was shut down): the thread keeps only a weak reference to it."""
    while True:
        time.sleep(every)
        store = store_ref()
        if store is None:
            return
        store.refresh()
        del store
