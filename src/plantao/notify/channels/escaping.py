"""Escaping text for chat formats, so an alert cannot ping a channel or forge a button.

Anyone holding an integration key writes alert titles, summaries, labels and annotations, and
those reach chat rooms. Unescaped, a title such as
``<!channel> disk full <https://evil.example|Acknowledge>`` pings the whole Slack channel and
shows a link labelled "Acknowledge" that goes elsewhere. The rendered message text (subject and
body, from the plain-text templates) is *plain text*: nothing in it is meant as markup, so the
whole of it is escaped. Plantão's own links (signed action links, buttons) are added by the
channel after escaping and stay real links.

Per format:

- **Slack mrkdwn** (:func:`slack`): ``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` → ``&gt;``, as Slack
  documents. Every Slack control sequence (``<!channel>``, ``<!here>``, ``<@U123>``,
  ``<#C123>``, ``<url|label>``) starts with ``<``, so none survives. ``@channel`` written
  without brackets is also broken (below), because mrkdwn objects with ``verbatim: false``
  "automatically parse certain mentions".
- **Markdown** (:func:`markdown`; Mattermost, Teams Adaptive Cards and MessageCards): the same
  three entities (HTML, autolinks ``<https://…>``, Teams ``<at>…</at>`` mentions), every
  backslash doubled (so the text cannot undo an escape), and a backslash between ``]`` and the
  ``(``, ``[`` or ``:`` that would follow it. A Markdown link, image, reference link or link
  definition needs one of those three pairs with nothing in between, so none can form, while
  ordinary brackets (``[SEV1/P0]`` in our own subject line) stay as they are. Emphasis
  characters are left alone: a bold word in a title harms nobody, and escaping ``_`` would
  scatter backslashes through service names and URLs.

Mentions (``@channel``, ``@here``, ``@all``, ``@everyone``, ``@someone``) are broken with a
ZERO WIDTH JOINER after the ``@`` of a word-initial ``@``, in every format. Chosen over
wrapping in backticks because it is invisible, keeps the rest of the line formatted as before,
needs no care for backticks already in the text, and every mention parser (Slack's,
Mattermost's server-side ``@channel`` detection, Teams') requires a name character right after
``@``. An e-mail address (``ana@example.com``) is not word-initial and stays intact.
"""

from __future__ import annotations

import re

__all__ = ["ZWJ", "markdown", "neutralise_mentions", "slack"]

ZWJ = "\u200d"

_MENTION = re.compile(r"(?<![\w@])@(?=[\w.-])")
_LINK_JUNCTION = re.compile(r"\](?=[(\[:])")


def neutralise_mentions(text: str) -> str:
    """``@channel`` → ``@\u200dchannel``: looks the same, pings nobody."""
    return _MENTION.sub("@" + ZWJ, text)


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(text: str) -> str:
    """Untrusted text made inert for a Slack ``mrkdwn`` field (and a Slack ``text`` field)."""
    return neutralise_mentions(_entities(text))


def markdown(text: str) -> str:
    """Untrusted text made inert for Markdown renderers that also honour HTML entities."""
    unescapable = text.replace("\\", "\\\\")
    return neutralise_mentions(_entities(_LINK_JUNCTION.sub("]\\\\", unescapable)))
