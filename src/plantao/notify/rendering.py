"""Notification texts from Jinja2 templates: sandboxed, strict, in English and Brazilian Portuguese.

Templates live in ``templates/<language>/<name>`` (``page.subject.txt``, ``page.txt``,
``page.html``, ``digest.*``). Operators override any of them by putting a file with the same
relative path in ``PLANTAO_NOTIFY_TEMPLATE_DIR``; files they do not override come from the
shipped set. The environment is a :class:`~jinja2.sandbox.SandboxedEnvironment` (an operator's
template cannot reach Python internals) with :class:`~jinja2.StrictUndefined` (a misspelt
variable fails loudly at render time instead of sending an empty line to someone at 3 a.m.).
HTML templates are autoescaped; text templates are not (they are not HTML).

Autoescaping stops markup, not a ``javascript:`` URL in an ``href``: a runbook URL comes from an
alert's annotations, which anyone with an integration key writes. So templates get the
``safe_link`` filter (:func:`plantao.urls.safe_link`, the same rule the web UI applies): the URL
when it may be a link, else ``None``, and the shipped templates show such a URL as text only.
Chat channels escape the rendered text for their own formats (``notify.channels.escaping``).

Pure: no database, no settings object; the caller passes everything in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from plantao.notify.channels.base import ActionLink
from plantao.notify.throttle import Digest
from plantao.urls import safe_link

__all__ = [
    "LANGUAGES",
    "LINK_LABELS",
    "DigestContext",
    "PageContext",
    "Rendered",
    "language_for",
    "render_digest",
    "render_page",
]

BUILTIN = Path(__file__).parent / "templates"
LANGUAGES = ("en", "pt-BR")

LINK_LABELS: dict[str, dict[str, str]] = {
    "en": {"ack": "Acknowledge", "resolve": "Resolve", "escalate": "Escalate now"},
    "pt-BR": {"ack": "Reconhecer", "resolve": "Resolver", "escalate": "Escalar agora"},
}


def language_for(preference: str | None) -> str:
    """``pt``, ``pt-BR``, ``pt_br`` → ``pt-BR``; anything else → ``en``."""
    if preference and preference.lower().replace("_", "-").startswith("pt"):
        return "pt-BR"
    return "en"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class PageContext:
    user_name: str
    incident_ref: str
    title: str
    severity: str
    priority: str | None
    service: str
    status: str
    summary: str | None
    runbook_url: str | None
    incident_url: str
    reason: str
    step: str
    urgency: str
    links: tuple[ActionLink, ...]
    links_expire_at: str


@dataclass(frozen=True)
class DigestContext:
    user_name: str
    contact_name: str
    limit: int
    window_minutes: int
    base_url: str


@lru_cache(maxsize=8)
def _environment(override_dir: str | None) -> SandboxedEnvironment:
    loaders = [FileSystemLoader(str(BUILTIN))]
    if override_dir:
        loaders.insert(0, FileSystemLoader(override_dir))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        keep_trailing_newline=False,
        trim_blocks=False,
    )
    env.filters["safe_link"] = safe_link
    return env


def _render(
    name: str, language: str, context: dict[str, Any], override_dir: Path | str | None
) -> Rendered:
    env = _environment(str(override_dir) if override_dir else None)
    lang = language_for(language)

    def one(suffix: str) -> str:
        return env.get_template(f"{lang}/{name}.{suffix}").render(context)

    subject = " ".join(one("subject.txt").split())  # a header is one line
    return Rendered(subject=subject[:998], text=one("txt").strip() + "\n", html=one("html"))


def render_page(
    context: PageContext, language: str, override_dir: Path | str | None = None
) -> Rendered:
    """The page message for one person (subject, plain text, HTML)."""
    data = asdict(context)
    data["links"] = list(context.links)
    return _render("page", language, data, override_dir)


def render_digest(
    digest: Digest,
    context: DigestContext,
    language: str,
    override_dir: Path | str | None = None,
) -> Rendered:
    """One message standing for the messages a throttle held back."""
    data = asdict(context) | {
        "total": digest.total,
        "incidents": list(digest.incidents),
        "first_held_at": digest.first_held_at.strftime("%Y-%m-%d %H:%M UTC"),
        "last_held_at": digest.last_held_at.strftime("%Y-%m-%d %H:%M UTC"),
    }
    return _render("digest", language, data, override_dir)
