"""Reading the audit log: filters, keyset pages, and exports auditors can load elsewhere.

The API, the web page and the export share this module so a filter means the same thing
everywhere. Pages are keyset-paged on the entry id (newest first): the log only grows, so an
offset would shift under a reader while new entries arrive, and a cursor never does. An export
walks the same filter oldest first in batches, so memory stays flat whatever the log's size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.errors import ValidationFailed
from plantao.people.models import AuditEntry

MAX_PAGE = 500
EXPORT_BATCH = 500
CHUNK_CHARS = 64 * 1024
CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "actor_user_id",
    "via",
    "source",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); the free
# text columns get a leading apostrophe, the convention spreadsheets display as plain text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FREE_TEXT = ("actor", "source", "object_id")


@dataclass(frozen=True)
class AuditFilter:
    """Every field narrows the result; None means "any". ``action`` is a prefix (``token``
    matches ``token.create`` and ``token.revoke``); ``since`` is inclusive, ``until`` not."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None


def aware(moment: datetime | None) -> datetime | None:
    """A time a client sent without a zone is taken as UTC (the API documents it)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def parse_time(text: str | None, zone: tzinfo, field: str) -> datetime | None:
    """A time typed in a form: ISO 8601; without an offset it is in the viewer's ``zone``."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{field}: not a date and time (use 2026-11-22T14:30)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 12:
        raise ValidationFailed("cursor: not a cursor this endpoint returned")
    return int(cursor)


def check(filt: AuditFilter) -> None:
    """Refuse a filter that can match nothing by construction (a typo, not an empty log)."""
    since, until = aware(filt.since), aware(filt.until)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed("since: must be before until")


def _where(stmt: Select[tuple[AuditEntry]], filt: AuditFilter) -> Select[tuple[AuditEntry]]:
    check(filt)
    if filt.actor:
        stmt = stmt.where(AuditEntry.actor == filt.actor)
    if filt.action:
        stmt = stmt.where(AuditEntry.action.startswith(filt.action, autoescape=True))
    if filt.object_type:
        stmt = stmt.where(AuditEntry.object_type == filt.object_type)
    if filt.object_id:
        stmt = stmt.where(AuditEntry.object_id == filt.object_id)
    if filt.since is not None:
        stmt = stmt.where(AuditEntry.at >= aware(filt.since))
    if filt.until is not None:
        stmt = stmt.where(AuditEntry.at < aware(filt.until))
    return stmt


def page(
    session: Session, filt: AuditFilter, *, cursor: str | None = None, limit: int = 100
) -> AuditPage:
    """One page, newest first; ``next_cursor`` is None on the last page."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit: must be between 1 and {MAX_PAGE}")
    after_id = parse_cursor(cursor)
    stmt = _where(select(AuditEntry), filt).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if after_id is not None:
        stmt = stmt.where(AuditEntry.id < after_id)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    items = rows[:limit]
    return AuditPage(items=items, next_cursor=str(items[-1].id) if more and items else None)


def walk(session: Session, filt: AuditFilter, *, batch: int = EXPORT_BATCH) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read ``batch`` rows at a time (for exports)."""
    base = _where(select(AuditEntry), filt).order_by(AuditEntry.id).limit(batch)
    last = 0
    while True:
        rows = list(session.scalars(base.where(AuditEntry.id > last)))
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id
        session.expunge_all()  # keep the identity map from growing with the export


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor": entry.actor,
        "actor_user_id": entry.actor_user_id,
        "via": entry.via,
        "source": entry.source,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
    }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in ("before", "after"):
        return _json(value)
    text = str(value)
    if name in _FREE_TEXT and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_lines(entries: Iterator[AuditEntry]) -> Iterator[str]:
    """A header, then one CSV record per entry; ``before``/``after`` as JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for entry in entries:
        row = as_dict(entry)
        writer.writerow([_cell(name, row[name]) for name in CSV_COLUMNS])
        yield flush()


def jsonl_lines(entries: Iterator[AuditEntry]) -> Iterator[str]:
    """One JSON object per line (JSON Lines)."""
    for entry in entries:
        yield _json(as_dict(entry)) + "\n"


EXPORT_FORMATS: dict[str, tuple[str, Callable[[Iterator[AuditEntry]], Iterator[str]]]] = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "jsonl": ("application/x-ndjson; charset=utf-8", jsonl_lines),
}


def export(
    factory: sessionmaker[Session], filt: AuditFilter, fmt: str
) -> tuple[str, Iterator[str]]:
    """The media type and the lines of an export; the lines read from a session of their own,
    opened when the first line is asked for, because they are sent after the request's
    handler (and its session) has returned."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(f"format: use {' or '.join(EXPORT_FORMATS)}")
    check(filt)
    media_type, writer = EXPORT_FORMATS[fmt]

    def lines() -> Iterator[str]:
        with factory() as session:
            yield from chunked(writer(walk(session, filt)))
            session.rollback()

    return media_type, lines()


def chunked(lines: Iterator[str], size: int = CHUNK_CHARS) -> Iterator[str]:
    """Lines joined into chunks of about ``size`` characters: a streamed response sends each
    chunk through a thread hop, which per line would cap an export at a few thousand rows/s."""
    parts: list[str] = []
    held = 0
    for line in lines:
        parts.append(line)
        held += len(line)
        if held >= size:
            yield "".join(parts)
            parts, held = [], 0
    if parts:
        yield "".join(parts)
