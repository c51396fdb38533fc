"""Rendering an incident message from its facts: shipped or overridden Jinja2, sandboxed, strict.

A template is a subject line and a body (``templates/<language>/<name>.txt``: the first line
``Subject: ...``, a blank line, then the body). It sees ``incident`` (an
:class:`~plantao.comms.facts.IncidentFacts`), ``update`` (the latest status update or None),
``language`` and ``time_zone``, and the filters of :mod:`plantao.comms.wording` (times in the
chosen zone, durations, status and role names in the message's language). The environment is
a :class:`~jinja2.sandbox.SandboxedEnvironment` (an operator's template cannot reach Python
internals) with :class:`~jinja2.StrictUndefined` (a misspelt variable fails at render time,
in the tests and when an override is saved, never as a blank line in a customer's inbox).
Nothing is escaped here: the text is plain; chat channels escape it for their own markup when
they send it (``notify.channels.escaping``), e-mail sends it as text.

Optional facts are handled in the templates with ``{% if %}``; a rendered message that still
holds ``{{`` or ``{%`` that the incident's own data did not bring is refused.

Pure: no database, no settings; the caller passes everything in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from plantao.comms import wording
from plantao.comms.facts import IncidentFacts
from plantao.errors import NotFound, ValidationFailed

__all__ = [
    "LANGUAGES",
    "TEMPLATE_NAMES",
    "Rendered",
    "Source",
    "language_for",
    "render",
    "render_source",
    "shipped",
]

SHIPPED = Path(__file__).parent / "templates"
LANGUAGES = ("en", "pt-BR")
#: Every shipped message, in the order people pick them.
TEMPLATE_NAMES = (
    "status_update",
    "customer_email",
    "internal_briefing",
    "executive_summary",
    "escalation",
    "p0_initial",
    "p0_update",
    "p0_resolution",
    "data_loss_notice",
)
SUBJECT_MAX = 250
_MARKERS = ("{{", "{%")
_SUBJECT = re.compile(r"^Subject:[ \t]*(.*)$")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


@dataclass(frozen=True)
class Source:
    """A template's two parts as an operator edits them."""

    subject: str
    body: str


def language_for(preference: str | None) -> str:
    """``pt``, ``pt-BR``, ``pt_br`` → ``pt-BR``; anything else (unknown too) → ``en``."""
    if preference and preference.lower().replace("_", "-").startswith("pt"):
        return "pt-BR"
    return "en"


def check_name(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise NotFound(f"no message template '{name}'; use {', '.join(TEMPLATE_NAMES)}")
    return name


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"time_zone: unknown time zone '{name}'") from None


def split_file(text: str) -> Source:
    """A template file's ``Subject:`` line and body (the blank line between them dropped)."""
    first, _, rest = text.partition("\n")
    found = _SUBJECT.match(first)
    if found is None:
        raise ValueError("a message template file starts with a 'Subject: ...' line")
    return Source(found.group(1).strip(), rest.removeprefix("\n"))


def _shipped_path(root: Path, name: str, language: str) -> Path:
    return root / language / f"{name}.txt"


@lru_cache(maxsize=64)
def _shipped(name: str, language: str) -> Source:
    return split_file(_shipped_path(SHIPPED, name, language).read_text(encoding="utf-8"))


def shipped(name: str, language: str, template_dir: Path | None = None) -> Source:
    """The template as shipped, or as the operator's directory has it
    (``<template_dir>/comms/<language>/<name>.txt``, e.g. ``PLANTAO_NOTIFY_TEMPLATE_DIR``)."""
    lang = language_for(language)
    check_name(name)
    if template_dir is not None:
        own = _shipped_path(template_dir / "comms", name, lang)
        if own.is_file():
            return split_file(own.read_text(encoding="utf-8"))
    return _shipped(name, lang)


#: The longest string or list a template may build with ``*`` or ``**`` (a message is short;
#: ``'x' * 10**9`` in an override must not take the server's memory).
PRODUCT_MAX = 100_000


class _Sandbox(SandboxedEnvironment):
    """The sandbox with ``*`` and ``**`` bounded (Jinja2 leaves them unchecked)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise ValueError("exponent too large in a message template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > PRODUCT_MAX:
                    raise ValueError("a message template built too long a string")
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,  # plain text: escaping belongs to the channel that sends it
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    wording.install(env)
    return env


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return _environment().from_string(source)


def _template_line(exc: BaseException) -> int | None:
    """The template line that failed: a syntax error knows it; a render error's traceback
    holds the template's frame (Jinja2 rewrites it to point at the template's source)."""
    line: int | None = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _located(exc: BaseException, part: str) -> str:
    line = _template_line(exc)
    where = f"{part}, line {line}" if line else part
    message = exc.message if isinstance(exc, TemplateError) else str(exc)
    return f"{where}: {message or type(exc).__name__}"


def _defused(value: Any) -> Any:
    """``value`` with every ``{{``/``{%`` in its text split apart (``{ {``), nested facts too."""
    if isinstance(value, str):
        return value.replace("{{", "{ {").replace("{%", "{ %")
    if isinstance(value, tuple):
        return tuple(_defused(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _defused(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    return value


def _has_marker(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_source(
    source: Source, language: str, facts: IncidentFacts, *, time_zone: str = "UTC"
) -> Rendered:
    """Render ``source``; :class:`~plantao.errors.ValidationFailed` names the part and line
    that fails (unknown variable, syntax error) or a placeholder left in the output."""
    lang = language_for(language)
    tz = zone(time_zone)
    out = _render_parts(source, lang, facts, tz)
    if _has_marker(out.subject + out.text):
        # The incident's own text may quote a placeholder (a title about a broken template):
        # only braces the template itself leaves in are refused.
        check = _render_parts(source, lang, _defused(facts), tz)
        if _has_marker(check.subject + check.text):
            raise ValidationFailed("the rendered message still holds '{{' or '{%' placeholders")
    return out


def _render_parts(source: Source, lang: str, facts: IncidentFacts, tz: ZoneInfo) -> Rendered:
    context: dict[str, Any] = {
        "incident": facts,
        "update": facts.latest,
        "language": lang,
        "time_zone": tz,
    }
    parts: dict[str, str] = {}
    for part, text in (("subject", source.subject), ("body", source.body)):
        try:
            parts[part] = _compiled(text).render(context)
        except (
            TemplateError,
            ArithmeticError,
            AttributeError,
            LookupError,
            RecursionError,
            TypeError,
            ValueError,
        ) as exc:
            # An operator's template can fail in any of these ways ({{ 1/0 }}, {{ x[9] }}):
            # each is that template's error, answered with its line, never a server error.
            raise ValidationFailed(_located(exc, part)) from None
    subject = " ".join(parts["subject"].split())[:SUBJECT_MAX]
    return Rendered(subject, _tidy(parts["body"]))


def render(
    name: str,
    language: str,
    facts: IncidentFacts,
    *,
    time_zone: str = "UTC",
    overrides: dict[tuple[str, str], Source] | None = None,
    template_dir: Path | None = None,
) -> Rendered:
    """The message ``name`` in ``language`` (``en`` for one not shipped), from ``facts``, times
    in ``time_zone``. ``overrides`` (``(name, language) → Source``) replace shipped templates."""
    lang = language_for(language)
    check_name(name)
    source = (overrides or {}).get((name, lang)) or shipped(name, lang, template_dir)
    return render_source(source, lang, facts, time_zone=time_zone)
