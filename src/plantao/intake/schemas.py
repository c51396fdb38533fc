"""Types of the edge that every source parser shares: rejected elements, sender times, links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plantao.urls import safe_link

EPOCH_FLOOR = datetime(1971, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Rejected:
    """An element of a batch that was not accepted, reported back to the sender."""

    index: int
    error: str


def _representable(value: datetime) -> datetime:
    """Refuse a time that exists only in its own offset: ``9999-12-31T23:59:59-14:00`` is past
    the last UTC instant Python can hold, and converting it raised OverflowError (a 500)."""
    try:
        (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of range once converted to UTC") from None
    return value


#: Every time a sender writes: parsed by pydantic, then proven convertible to UTC.
SenderTime = Annotated[datetime, AfterValidator(_representable)]


class Link(BaseModel):
    model_config = ConfigDict(extra="ignore")
    href: str = Field(min_length=1, max_length=2048)
    text: str | None = Field(default=None, max_length=1024)


class Image(BaseModel):
    model_config = ConfigDict(extra="ignore")
    src: str = Field(min_length=1, max_length=2048)
    href: str | None = Field(default=None, max_length=2048)
    alt: str | None = Field(default=None, max_length=1024)


#: Where intake keeps URLs that may not be links (``javascript:``, ``data:``…): shown as text.
URLS_AS_TEXT = "urls_as_text"


def put_url(details: dict[str, Any], key: str, url: str | None) -> None:
    """Store ``url`` under ``key`` only if it may be a link; otherwise keep it as text.

    The alert is kept either way: a sender's bad URL must not cost the page.
    """
    if not url:
        return
    safe = safe_link(url)
    if safe is not None:
        details[key] = safe
    else:
        details.setdefault(URLS_AS_TEXT, []).append(url)


def put_links(details: dict[str, Any], links: Sequence[Link]) -> None:
    """``details["links"]`` holds only links whose ``href`` is safe; the others become text."""
    kept = []
    for link in links:
        href = safe_link(link.href)
        if href is None:
            details.setdefault(URLS_AS_TEXT, []).append(link.href)
            continue
        kept.append(link.model_copy(update={"href": href}).model_dump(exclude_none=True))
    if kept:
        details["links"] = kept


def put_images(details: dict[str, Any], images: Sequence[Image]) -> None:
    """An image needs a safe ``src``; an unsafe ``href`` is dropped from it (kept as text)."""
    kept = []
    for image in images:
        src = safe_link(image.src)
        if src is None:
            details.setdefault(URLS_AS_TEXT, []).append(image.src)
            continue
        href = safe_link(image.href) if image.href else None
        if image.href and href is None:
            details.setdefault(URLS_AS_TEXT, []).append(image.href)
        kept.append(
            image.model_copy(update={"src": src, "href": href}).model_dump(exclude_none=True)
        )
    if kept:
        details["images"] = kept


def real_time(value: datetime | None) -> datetime | None:
    """Alertmanager's ``0001-01-01T00:00:00Z`` (and naive values) mean "not set" or UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return None if value < EPOCH_FLOOR else value


def describe_validation_error(exc: Exception, prefix: str = "") -> str:
    """Turn a pydantic error into ``field.path: message`` lines a sender can act on."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        where = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
