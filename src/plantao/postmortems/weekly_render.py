"""The weekly operational review as Markdown, in English or Brazilian Portuguese: the export
of the web page, the body of the e-mail sent to the team.

Templates are package files (``templates/<language>/weekly_review.md.j2``: a ``Subject:``
line, a blank line, then the Markdown) rendered in a Jinja2 sandbox with StrictUndefined, like
``comms/render.py``: a misspelt variable fails in the tests, never as a blank line in an inbox.
People's text (incident and action titles) goes through the ``cell`` filter, so a ``|`` or a
line break in a title cannot break a table. Pure: the caller passes the facts, the base URL
links are made from, and the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from plantao.postmortems.business_days import zone
from plantao.postmortems.weekly_facts import WeeklyFacts

LANGUAGES = ("en", "pt-BR")
TEMPLATES = Path(__file__).parent / "templates"
NAME = "weekly_review.md.j2"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def language_for(preference: str | None) -> str:
    """``pt``, ``pt-BR``, ``pt_br`` → ``pt-BR``; anything else → ``en``."""
    if preference and preference.lower().replace("_", "-").startswith("pt"):
        return "pt-BR"
    return "en"


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell or a list item: one line, no raw ``|``, no
    brackets that would start a link."""
    text = " ".join(str(value).split())
    for char in ("\\", "|", "[", "]", "<", ">", "*", "_", "`"):
        text = text.replace(char, "\\" + char)
    return text


def span(seconds: int | None) -> str:
    """A median or a target: ``45 s``, ``12 min``, ``3 h 05 min``, ``2 d 4 h``; ``—`` for none."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d" if hours == 0 else f"{days} d {hours} h"


def _environment(time_zone: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # Markdown; people's text goes through ``cell``
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    tz = zone(time_zone)

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "—"
        local = moment.astimezone(tz)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"

    def day(value: date | None) -> str:
        return "—" if value is None else value.isoformat()

    env.filters.update(cell=cell, span=span, when=when, day=day)
    return env


@lru_cache(maxsize=4)
def _source(language: str) -> tuple[str, str]:
    text = (TEMPLATES / language / NAME).read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"{language}/{NAME} must start with a 'Subject: ...' line")
    return first.removeprefix("Subject:").strip(), rest.removeprefix("\n")


@lru_cache(maxsize=16)
def _compiled(language: str, time_zone: str) -> tuple[Template, Template]:
    subject, body = _source(language)
    env = _environment(time_zone)
    return env.from_string(subject), env.from_string(body)


def render(facts: WeeklyFacts, language: str, base_url: str = "") -> Rendered:
    """The review of ``facts`` in ``language``; links are ``<base_url>/incidents/<ref>``."""
    lang = language_for(language)
    subject, body = _compiled(lang, facts.time_zone)
    context = {"f": facts, "base": base_url.rstrip("/"), "language": lang}
    text = body.render(context).strip() + "\n"
    return Rendered(" ".join(subject.render(context).split())[:250], text)
