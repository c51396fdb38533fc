"""Rendering every artifact of a page into snapshots, kept in the database and in files.

The public routes serve these bytes and nothing else, so a page read by every customer during
an outage costs a dictionary look-up, and answers while the database is down (the files). The
engine (``engine/status_snapshot_step.py``) calls :func:`render_page` when a page's version
moved and at least once a minute (so the uptime bars and "last 14 days" stay current).

Artifacts of a page: ``html:<lang>`` (the page), ``incident:<id>:<lang>`` (its open and recent
incidents), ``history:<n>:<lang>`` (the first history pages), ``theme.css``, ``feed.atom``,
``feed.rss`` and the Statuspage JSON documents (``summary.json``…). Older incidents and later
history pages are rendered on demand by the web process.

Files: ``<dir>/pages.json`` lists the pages (id, slug, host, audience, language); each page's
artifacts are under ``<dir>/<page id>/`` with an ``index.json`` of names, content types and
ETags. Each file is written to a temporary name and renamed, so a reader never sees half.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao.config import Settings
from plantao.statuspage import feeds, page_gather, page_html, page_texts, statuspage_json
from plantao.statuspage.models import StatusPage, StatusSnapshot
from plantao.statuspage.page_view import PageView

HTML = "text/html; charset=utf-8"
CSS = "text/css; charset=utf-8"
JSON = "application/json"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
#: History pages kept as snapshots; later ones are rendered on demand.
HISTORY_PAGES = 3

JSON_DOCUMENTS = {
    "summary.json": statuspage_json.summary,
    "status.json": statuspage_json.status,
    "components.json": statuspage_json.components,
    "incidents.json": statuspage_json.incidents,
    "incidents/unresolved.json": statuspage_json.unresolved,
    "scheduled-maintenances.json": statuspage_json.scheduled_maintenances,
}


@dataclass(frozen=True)
class Artifact:
    name: str
    content_type: str
    body: bytes
    etag: str


@dataclass(frozen=True)
class PageEntry:
    """What the router needs to know about a page without the database."""

    id: int
    slug: str
    host: str | None
    audience: str
    language: str


def artifact(name: str, content_type: str, body: bytes) -> Artifact:
    return Artifact(name, content_type, body, hashlib.sha256(body).hexdigest()[:32])


def entry_of(page: StatusPage) -> PageEntry:
    language = page.language if page.language in page_texts.LANGUAGES else "en"
    return PageEntry(page.id, page.slug, page.host, page.audience, language)


def render_view(session: Session, page: StatusPage, view: PageView) -> list[Artifact]:
    """Every artifact of ``page`` from its ``view`` (history pages cost two queries each)."""
    out: list[Artifact] = []
    for language in page_texts.LANGUAGES:
        out.append(artifact(f"html:{language}", HTML, page_html.page(view, language).encode()))
        for item in view.open_incidents + view.resolved_incidents:
            body = page_html.incident(view, item, language).encode()
            out.append(artifact(f"incident:{item.id}:{language}", HTML, body))
    number, total = 1, 1
    while number <= min(total, HISTORY_PAGES):
        items, total = page_gather.history(session, page, number)
        for language in page_texts.LANGUAGES:
            body = page_html.history(view, items, number, total, language).encode()
            out.append(artifact(f"history:{number}:{language}", HTML, body))
        number += 1
    out.append(artifact("theme.css", CSS, page_html.theme_css(view.page).encode()))
    out.append(artifact("feed.atom", ATOM, feeds.atom(view)))
    out.append(artifact("feed.rss", RSS, feeds.rss(view)))
    for name, render in JSON_DOCUMENTS.items():
        out.append(artifact(name, JSON, orjson.dumps(render(view))))
    return out


def render_page(session: Session, page: StatusPage, now: datetime) -> list[Artifact]:
    return render_view(session, page, page_gather.view(session, page, now))


def save(session: Session, page_id: int, artifacts: list[Artifact], now: datetime) -> int:
    """Replace the page's snapshot rows with ``artifacts`` (rows whose ETag did not change are
    left alone); returns how many rows were written."""
    existing = {
        row.name: row
        for row in session.scalars(select(StatusSnapshot).where(StatusSnapshot.page_id == page_id))
    }
    names = {a.name for a in artifacts}
    stale = [row.id for name, row in existing.items() if name not in names]
    if stale:
        session.execute(delete(StatusSnapshot).where(StatusSnapshot.id.in_(stale)))
    written = 0
    for item in artifacts:
        row = existing.get(item.name)
        if row is not None and row.etag == item.etag:
            continue
        if row is None:
            row = StatusSnapshot(page_id=page_id, name=item.name)
            session.add(row)
        row.content_type = item.content_type
        row.body = item.body.decode()
        row.etag = item.etag
        row.generated_at = now
        written += 1
    session.flush()
    return written


def load(session: Session, page_ids: Iterable[int]) -> dict[int, list[Artifact]]:
    """The stored artifacts of ``page_ids``, in one query."""
    found: dict[int, list[Artifact]] = {}
    ids = sorted(set(page_ids))
    if not ids:
        return found
    rows = session.execute(
        select(
            StatusSnapshot.page_id,
            StatusSnapshot.name,
            StatusSnapshot.content_type,
            StatusSnapshot.body,
            StatusSnapshot.etag,
        ).where(StatusSnapshot.page_id.in_(ids))
    )
    for page_id, name, content_type, body, etag in rows:
        found.setdefault(page_id, []).append(Artifact(name, content_type, body.encode(), etag))
    return found


# ---------------------------------------------------------------------------------------------
# Files


def directory_of(settings: Settings) -> Path:
    """``PLANTAO_STATUS_SNAPSHOT_DIR``; by default beside a SQLite database file, else
    ``./status-snapshots`` (under the temporary directory in tests)."""
    if settings.status_snapshot_dir is not None:
        return settings.status_snapshot_dir
    if settings.env == "test":  # tests never write into the working directory
        digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "plantao-status-snapshots" / digest
    url = settings.database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        raw = url.removeprefix("sqlite:///").split("?", 1)[0]
        if raw:
            return Path(raw).resolve().parent / "status-snapshots"
    return Path("status-snapshots").resolve()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # public content: a web process under another user reads it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_name(name: str) -> str:
    return quote(name, safe="")


def write_pages(directory: Path, pages: Iterable[PageEntry]) -> None:
    listed = [entry.__dict__ for entry in pages]
    _write(directory / "pages.json", json.dumps(listed, sort_keys=True).encode())


def write_files(directory: Path, page_id: int, artifacts: list[Artifact]) -> None:
    """The page's artifacts as files (unchanged ones are not rewritten), then its index."""
    folder = directory / str(page_id)
    index_path = folder / "index.json"
    try:
        old = json.loads(index_path.read_bytes())
    except (OSError, ValueError):
        old = {}
    index = {}
    for item in artifacts:
        file_name = _file_name(item.name)
        index[item.name] = {"file": file_name, "type": item.content_type, "etag": item.etag}
        if old.get(item.name, {}).get("etag") != item.etag or not (folder / file_name).exists():
            _write(folder / file_name, item.body)
    _write(index_path, json.dumps(index, sort_keys=True).encode())
    for name, meta in old.items():
        if name not in index and isinstance(meta, dict):
            (folder / str(meta.get("file", ""))).unlink(missing_ok=True)


def read_files(directory: Path) -> tuple[list[PageEntry], dict[int, list[Artifact]]]:
    """Every page and artifact the files hold (empty when there are none)."""
    try:
        listed = json.loads((directory / "pages.json").read_bytes())
    except (OSError, ValueError):
        return [], {}
    entries = [PageEntry(**item) for item in listed if isinstance(item, dict)]
    found: dict[int, list[Artifact]] = {}
    for entry in entries:
        folder = directory / str(entry.id)
        try:
            index = json.loads((folder / "index.json").read_bytes())
        except (OSError, ValueError):
            continue
        for name, meta in index.items():
            try:
                body = (folder / meta["file"]).read_bytes()
            except (OSError, KeyError, TypeError):
                continue
            found.setdefault(entry.id, []).append(Artifact(name, meta["type"], body, meta["etag"]))
    return entries, found
