"""The pure rule of the change-caused KPI: which release a change shipped."""

from __future__ import annotations

from plantao.kpis.change_caused import release_of


def test_release_is_the_version_detail_else_the_summary() -> None:
    """A version (top level or in custom_details) names the release; else the summary."""
    assert release_of("deploy api", {"version": "1.4.2"}) == "1.4.2"
    assert release_of("deploy api", {"version": 17}) == "17"
    assert release_of("deploy api", {"custom_details": {"version": "2.1"}}) == "2.1"
    assert release_of("deploy api", {"custom_details": "free text"}) == "deploy api"
    assert release_of("deploy api", {"version": "  "}) == "deploy api"
    assert release_of("  ", {}) == "(no summary)"
    assert len(release_of("x" * 500, None)) == 200
