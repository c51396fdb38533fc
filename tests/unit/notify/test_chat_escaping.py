"""Alert text in chat messages: no channel pings, no forged buttons, no javascript: links."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from plantao.notify import rendering
from plantao.notify.channels import escaping
from plantao.notify.channels.base import ActionLink, OutgoingMessage
from plantao.notify.channels.slack import slack_payload
from plantao.notify.channels.teams import adaptive_card_payload, message_card_payload
from plantao.notify.channels.webhook import webhook_payload
from tests.unit.notify.test_notify_rendering import CONTEXT

# The title from the report, plus the other ways chat formats mention people or make links.
ATTACK = "<!channel> disk full <https://evil.example|Acknowledge>"
EXTRAS = (
    " <!here> <@U024BE7LH> @channel @here @all @ana"
    " [Acknowledge](https://evil.example/md) ![px](https://evil.example/px.png)"
    " <at>Ana</at> <a href='https://evil.example/html'>Resolve</a> \\](https://evil.example/bs)"
)
OURS = "https://plantao.example/a/eyJhIjoiYWNrIn0.c2ln"

MESSAGE = OutgoingMessage(
    subject=f"[SEV1/P0] INC-7 checkout: {ATTACK}",
    text=f"Incident: INC-7 — {ATTACK}\nSummary: {EXTRAS}\nMail ana@example.com",
    incident_ref="INC-7",
    severity="sev1",
    idempotency_key="k-1",
    links=(ActionLink("ack", "Acknowledge", OURS),),
)


def _strings(payload: Any) -> list[str]:
    """Every string in a JSON payload, keys excluded."""
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, dict):
        return [s for v in payload.values() for s in _strings(v)]
    if isinstance(payload, list):
        return [s for v in payload for s in _strings(v)]
    return []


def test_slack_escaping_neutralises_every_control_sequence() -> None:
    """Slack mrkdwn: &, < and > become entities, so <!channel>, <@U…> and <url|label> are text."""
    out = escaping.slack(ATTACK + EXTRAS)
    assert out.startswith("&lt;!channel&gt; disk full &lt;https://evil.example|Acknowledge&gt;")
    assert "<" not in out and ">" not in out
    assert escaping.slack("A & B") == "A &amp; B"


def test_markdown_escaping_breaks_links_images_html_and_mentions() -> None:
    """Markdown: no link, image, autolink, HTML tag, <at> or @-mention survives; brackets stay."""
    out = escaping.markdown(ATTACK + EXTRAS)
    assert "](" not in out.replace("]\\(", "") and "<" not in out
    assert "[Acknowledge]\\(https://evil.example/md)" in out
    assert "\\\\]\\(https://evil.example/bs)" in out  # the text's own backslash cannot undo ours
    for name in ("channel", "here", "all", "ana"):
        assert f"@{name}" not in out and f"@{escaping.ZWJ}{name}" in out
    assert escaping.markdown("[SEV1/P0] INC-7") == "[SEV1/P0] INC-7"


def test_mentions_are_broken_but_email_addresses_are_not() -> None:
    """A zero-width joiner follows a word-initial @ only; ana@example.com is untouched."""
    assert escaping.neutralise_mentions("cc @here and ana@example.com") == (
        f"cc @{escaping.ZWJ}here and ana@example.com"
    )


def test_slack_payload_has_no_ping_and_no_forged_button() -> None:
    """The Slack/Mattermost body carries no <!channel>, no attacker link; our button is real."""
    payload = slack_payload(MESSAGE)
    body = json.dumps(payload, ensure_ascii=False)
    assert "<!channel>" not in body and "<!here>" not in body and "<@U" not in body
    assert "<https://evil.example" not in body and "<a " not in body
    assert "@channel" not in body and "@here" not in body
    # Slack's mrkdwn has no [label](url) syntax; Mattermost renders ``text`` as Markdown.
    assert "](https://evil" not in payload["text"]
    [actions] = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert [e["url"] for e in actions["elements"]] == [OURS]
    assert f"[Acknowledge]({OURS})" in payload["text"]  # Mattermost's link to us stays a link


@pytest.mark.parametrize("build", [adaptive_card_payload, message_card_payload])
def test_teams_cards_escape_markdown_html_and_at_mentions(build: Any) -> None:
    """Both Teams card formats show alert text inert; only our OpenUrl action is a link."""
    payload = build(MESSAGE)
    for text in _strings(payload):
        assert "<at>" not in text and "<a " not in text and "<!channel>" not in text
        assert "](https://evil" not in text
    urls = [s for s in _strings(payload) if s.startswith("https://plantao.example/a/")]
    assert urls == [OURS]


def test_generic_webhook_sends_the_text_as_data_unchanged() -> None:
    """The signed JSON webhook is for programs: the text is sent as it is, for them to escape."""
    payload = webhook_payload(MESSAGE)
    assert (payload["subject"], payload["text"]) == (MESSAGE.subject, MESSAGE.text)


@pytest.mark.parametrize("language", ["en", "pt-BR"])
def test_javascript_runbook_url_is_text_not_a_link_in_the_page_email(language: str) -> None:
    """A javascript: runbook URL appears as text in the HTML e-mail, never as an href."""
    context = dataclasses.replace(CONTEXT, runbook_url="javascript:alert(document.cookie)")
    html = rendering.render_page(context, language).html
    assert 'href="javascript' not in html.lower()
    assert "javascript:alert(document.cookie)" in html
    safe = rendering.render_page(CONTEXT, language).html
    assert 'href="https://runbooks.example/checkout"' in safe


@pytest.mark.parametrize("language", ["en", "pt-BR"])
def test_unsafe_action_link_is_not_an_href(language: str) -> None:
    """Any link the page template renders goes through safe_link, ours included."""
    context = dataclasses.replace(
        CONTEXT, links=(ActionLink("ack", "Acknowledge", "javascript:alert(1)"),)
    )
    html = rendering.render_page(context, language).html
    assert "javascript:" not in html.lower()
