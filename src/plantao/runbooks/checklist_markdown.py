"""Checklist items as people read them: a runbook step's inline Markdown rendered safely, and
which ``- [ ]`` lines are headings rather than things to do.

A runbook's step keeps its Markdown (``kubectl`` in backticks, **bold** warnings, links to the
next runbook) because that is how its author wrote it; showing the raw asterisks at 3 a.m. makes
it harder to read. Runbooks come from a repository many people write to, so the text is
rendered like :mod:`plantao.runbooks.render` does: raw HTML off (``<script>`` shows as text),
markdown-it's link validation (no ``javascript:`` URLs), and images off (a checklist item is no
place for a tracking pixel). A relative link to another runbook file (``redis-down.md``) points
at that runbook's page, which is where the reader can open it; outside links open without the
opener and the referrer.

Some runbooks use a checkbox line as a sub-heading (``- [ ] ## Case B: disk full`` or
``- [ ] **Case B:**``). Nobody can "do" a heading, and a checklist with unticked headings never
looks finished, so :func:`is_heading` lets the checklist skip them.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False}).disable("image")
_ATX_HEADING = re.compile(r"^#{1,6}(?:\s|$)")
# The whole item is one bold span that ends with a colon: a label such as "**Case A:**" or
# "**If the disk is full**:". Bold without the colon is an instruction people must not skip.
_LABEL = re.compile(r"^(\*\*|__)(?P<text>[^*_]+?)(?P<in>:?)\1(?P<out>:?)$")
_RUNBOOK_FILE = re.compile(r"^(?:\./)?(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.md(?P<anchor>#[\w-]*)?$")
_OUTSIDE = re.compile(r"^https?://", re.IGNORECASE)


def is_heading(text: str) -> bool:
    """True for a checkbox line that is a heading (``## Diagnosis``) or a bold label ending
    in a colon (``**Case B:**``), not a step."""
    stripped = text.strip()
    if _ATX_HEADING.match(stripped):
        return True
    label = _LABEL.match(stripped)
    return bool(label and label.group("text").strip() and (label.group("in") or label.group("out")))


def inline_html(text: str) -> str:
    """One checklist item's inline Markdown as HTML that is safe to insert into a page."""
    tokens = _MD.parseInline(text)
    for token in tokens:
        for child in token.children or ():
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            other = _RUNBOOK_FILE.match(href)
            if other:
                child.attrSet("href", f"/runbooks/{other['id']}{other['anchor'] or ''}")
            elif _OUTSIDE.match(href):
                child.attrSet("rel", "noopener noreferrer")
    return str(_MD.renderer.render(tokens, _MD.options, {}))
