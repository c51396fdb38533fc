"""``unresolved`` on escalation policies in plantao.yaml: ``true`` is seed 003's levels, a list
is taken as written, and a bad ``after`` or a step the policy lacks is a clear error with its
path."""

from __future__ import annotations

import pytest

from plantao.configfile.schema import ConfigError, load_text

POLICY = """
escalation_policies:
  - slug: payments
    name: Payments
    steps:
      - {delay: 0m, targets: [{user: ana}]}
      - {delay: 5m, targets: [{user: bruno}]}
      - {delay: 30m, targets: [{user: carla}]}
"""


def _levels(extra: str, text: str = POLICY) -> list[dict[str, int]] | None:
    config = load_text(text + extra)
    assert config.escalation_policies is not None
    body = config.escalation_policies[0].snapshot().to_dict()
    levels: list[dict[str, int]] | None = body.get("unresolved")
    return levels


def _problems(extra: str, text: str = POLICY) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_text(text + extra)
    return caught.value.problems


def test_true_means_seed_003_levels() -> None:
    """``unresolved: true``: step 2 after 30 min, step 3 after 1 h."""
    assert _levels("    unresolved: true\n") == [
        {"after_seconds": 1800, "step": 2},
        {"after_seconds": 3600, "step": 3},
    ]


def test_omitted_false_or_empty_means_none() -> None:
    """Without ``unresolved`` (or with false or []) the policy escalates nothing after an ack."""
    assert _levels("") is None
    assert _levels("    unresolved: false\n") is None
    assert _levels("    unresolved: []\n") is None


def test_a_list_is_taken_as_written() -> None:
    """Custom levels: step 3 straight after 45 min."""
    assert _levels("    unresolved: [{after: 45m, step: 3}]\n") == [
        {"after_seconds": 2700, "step": 3}
    ]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "    unresolved: [{after: soon, step: 2}]\n",
            "escalation_policies[0].unresolved[0].after: 'soon' is not a duration",
        ),
        (
            "    unresolved: [{after: 0m, step: 2}]\n",
            "escalation_policies[0].unresolved[0].after: must be longer than zero",
        ),
        (
            "    unresolved: [{after: 30m, step: 2}, {after: 1h, step: 4}]\n",
            "escalation_policies[0].unresolved[1].step: the policy has steps 1 to 3; use 2 to 3",
        ),
        (
            "    unresolved: [{after: 30m, step: 1}]\n",
            "escalation_policies[0].unresolved[0].step: the policy has steps 1 to 3",
        ),
        (
            "    unresolved: [{after: 1h, step: 2}, {after: 30m, step: 3}]\n",
            "escalation_policies[0].unresolved[1].after: must be later than the level before it",
        ),
        (
            "    unresolved: [{after: 30m, level: 2}]\n",
            "escalation_policies[0].unresolved[0].level: unknown field",
        ),
        ("    unresolved: sometimes\n", "escalation_policies[0].unresolved: Input should be"),
    ],
)
def test_bad_levels_are_reported_by_path(extra: str, problem: str) -> None:
    """Each mistake names the policy, the level and the field."""
    assert any(p.startswith(problem) for p in _problems(extra)), _problems(extra)


def test_true_on_a_one_step_policy_is_an_error() -> None:
    """A policy with one step has no level to escalate to."""
    one = POLICY.split("      - {delay: 5m", maxsplit=1)[0]
    assert _problems("    unresolved: true\n", one) == [
        "escalation_policies[0].unresolved: true needs a policy with a step 2 to escalate to "
        "(this one has one step)"
    ]
