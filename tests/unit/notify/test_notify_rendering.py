"""Notification templates: sandboxed, strict, bilingual, overridable per file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from plantao.notify import rendering, throttle
from plantao.notify.channels.base import ActionLink

CONTEXT = rendering.PageContext(
    user_name="Ana",
    incident_ref="INC-20261122-7",
    title="Checkout <errors>",
    severity="sev1",
    priority="P0",
    service="Checkout",
    status="triggered",
    summary="5xx above 5%",
    runbook_url="https://runbooks.example/checkout",
    incident_url="https://plantao.example/incidents/INC-20261122-7",
    reason="step 1",
    step="1",
    urgency="high",
    links=(ActionLink("ack", "Acknowledge", "https://plantao.example/a/t1"),),
    links_expire_at="2026-11-23 12:00 UTC",
)


def test_page_renders_subject_text_and_escaped_html_in_both_languages() -> None:
    """English and pt-BR texts name the incident; HTML escapes the title, text does not."""
    en = rendering.render_page(CONTEXT, "en")
    pt = rendering.render_page(CONTEXT, "pt_BR")
    assert en.subject == "[SEV1/P0] INC-20261122-7 Checkout: Checkout <errors>"
    assert "Severity: sev1 (priority P0)" in en.text and "Runbook:" in en.text
    assert "Severidade: sev1 (prioridade P0)" in pt.text
    assert "Checkout &lt;errors&gt;" in en.html and "<errors>" not in en.html
    assert 'href="https://plantao.example/a/t1"' in en.html


def test_language_defaults_to_english() -> None:
    """pt, pt-BR and pt_br select Portuguese; anything else English."""
    assert [rendering.language_for(x) for x in ("pt", "pt-br", "PT_BR", "de", None)] == [
        "pt-BR",
        "pt-BR",
        "pt-BR",
        "en",
        "en",
    ]


def test_operator_override_is_sandboxed_and_strict(tmp_path: Path) -> None:
    """An override replaces one file; unknown variables and Python internals fail loudly."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "page.subject.txt").write_text("PAGE {{ incident_ref }}")
    assert rendering.render_page(CONTEXT, "en", tmp_path).subject == "PAGE INC-20261122-7"
    (tmp_path / "en" / "page.subject.txt").write_text("{{ no_such_variable }}")
    rendering._environment.cache_clear()
    with pytest.raises(UndefinedError):
        rendering.render_page(CONTEXT, "en", tmp_path)
    (tmp_path / "en" / "page.subject.txt").write_text(
        "{{ links.__class__.__mro__[1].__subclasses__() }}"
    )
    rendering._environment.cache_clear()
    with pytest.raises(SecurityError):
        rendering.render_page(CONTEXT, "en", tmp_path)
    rendering._environment.cache_clear()


def test_digest_counts_per_incident() -> None:
    """The digest names the total and each incident's count."""
    at = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    digest = throttle.bundle(
        [
            throttle.HeldMessage("INC-1", "a", at),
            throttle.HeldMessage("INC-2", "b", at),
            throttle.HeldMessage("INC-1", "c", at),
        ]
    )
    out = rendering.render_digest(
        digest, rendering.DigestContext("Ana", "mail", 5, 15, "https://p.example"), "en"
    )
    assert "3 held notifications for 2 incident(s)" in out.subject
    assert "INC-1 x2: c" in out.text and "INC-2 x1: b" in out.text
