"""The checks a status page's settings go through in the file, the API and the web forms."""

from __future__ import annotations

import pytest

from plantao.statuspage import page_rules, pages


def test_reserved_slugs_match_the_public_routes() -> None:
    """Every route name under /status/ that looks like a slug is refused as a page slug."""
    shaped = {s for s in pages.RESERVED if page_rules.SLUG.match(s)}
    assert shaped <= page_rules.RESERVED


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (page_rules.web_url, "javascript:alert(1)"),
        (page_rules.web_url, "data:text/html,x"),
        (page_rules.web_url, "https://exa mple.com"),
        (page_rules.color, "red"),
        (page_rules.color, "#12345"),
        (page_rules.host, "a..example.com"),
        (page_rules.host, "status.example.com:8080"),
        (page_rules.page_slug, "history"),
        (page_rules.component_slug, "Not A Slug"),
    ],
)
def test_unsafe_values_are_refused(check: object, value: str) -> None:
    """Non-web URLs, non-hex colours, bad hosts and reserved or malformed slugs raise."""
    assert callable(check)
    with pytest.raises(ValueError, match=r"\S"):  # refused with a message, whatever its words
        check(value)


def test_values_are_normalised() -> None:
    """Colours and hosts are stored lower-cased; URLs are kept as written, trimmed."""
    assert page_rules.color("#AABBCC") == "#aabbcc"
    assert page_rules.host("Status.Example.COM") == "status.example.com"
    assert page_rules.web_url(" https://example.com/a ") == "https://example.com/a"
