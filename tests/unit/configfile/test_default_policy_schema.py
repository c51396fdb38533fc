"""Default escalation policies in plantao.yaml: a team's and the installation's load as
declared, and a default naming an unknown policy is reported by its path."""

from __future__ import annotations

import pytest

from plantao.configfile.schema import ConfigError, load_text

POLICY = """
escalation_policies:
  - slug: platform
    name: Platform
    steps:
      - {delay: 0m, targets: [{user: ana}]}
"""


def test_team_and_global_defaults_load() -> None:
    """``teams[].escalation_policy`` and ``defaults.escalation_policy`` name declared policies."""
    config = load_text(
        "teams: [{slug: sre, name: SRE, escalation_policy: platform}]\n"
        "defaults: {escalation_policy: platform}\n" + POLICY
    )
    assert config.teams is not None and config.teams[0].escalation_policy == "platform"
    assert config.defaults is not None and config.defaults.escalation_policy == "platform"


def test_unknown_default_policies_are_reported_by_path() -> None:
    """A team or global default naming an undeclared policy is rejected with its path."""
    with pytest.raises(ConfigError) as caught:
        load_text(
            "teams: [{slug: sre, name: SRE, escalation_policy: nope}]\n"
            "defaults: {escalation_policy: gone}\n" + POLICY
        )
    problems = "\n".join(caught.value.problems)
    assert "teams[0].escalation_policy: unknown escalation policy 'nope'" in problems
    assert "defaults.escalation_policy: unknown escalation policy 'gone'" in problems


def test_defaults_reject_unknown_keys() -> None:
    """``defaults`` is strict: a misspelt key is an error, not a silently ignored default."""
    with pytest.raises(ConfigError):
        load_text("defaults: {escalation_polcy: platform}\n" + POLICY)
