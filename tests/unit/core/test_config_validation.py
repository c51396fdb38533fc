"""plantao.yaml validation: errors name their path in the file; nothing partial is accepted."""

from __future__ import annotations

import pytest

from plantao.configfile.durations import parse_duration
from plantao.configfile.schema import ConfigError, load_text

VALID = """
version: 1
services: [{slug: api, name: API}]
integrations: [{slug: am, name: AM, kind: alertmanager, service: api}]
routes:
  - {name: r0, matchers: ['a="1"'], service: api}
  - {name: r1, matchers: ['b="2"'], service: api}
  - {name: r2, matchers: ['severity="critical"', 'x=~"y"'], service: api, group_window: 2h}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_text(text)
    return info.value.problems


def test_valid_file_loads() -> None:
    """A valid file loads with its routes in order."""
    config = load_text(VALID)
    assert config.routes is not None
    assert [r.name for r in config.routes] == ["r0", "r1", "r2"]


def test_bad_matcher_names_its_path() -> None:
    """A bad operator is reported as routes[2].matchers[0]: unknown operator '=>'."""
    text = VALID.replace("""'severity="critical"'""", "'severity=>critical'")
    assert "routes[2].matchers[0]: unknown operator '=>'" in _problems(text)


def test_unknown_reference_and_field() -> None:
    """Unknown services and unknown fields are each reported with their path."""
    text = VALID.replace("service: api}\n  - {name: r1", "service: nope}\n  - {name: r1")
    assert "routes[0].service: unknown service 'nope'" in _problems(text)
    text = VALID.replace("kind: alertmanager,", "kind: alertmanager, colour: red,")
    assert "integrations[0].colour: unknown field" in _problems(text)


def test_bad_kind_duration_and_severity() -> None:
    """Bad enum values, durations and severities are all reported together."""
    text = VALID.replace("kind: alertmanager", "kind: nagios").replace("2h", "two hours")
    text += "severity_matrix: {default: sev9}\n"
    problems = _problems(text)
    assert any(p.startswith("integrations[0].kind:") for p in problems)
    assert any(p.startswith("routes[2].group_window:") and "not a duration" in p for p in problems)
    assert any(p.startswith("severity_matrix.default:") for p in problems)


def test_invalid_yaml_names_the_line() -> None:
    """Broken YAML is reported with its line and column."""
    problems = _problems("services: [\n  {slug: a\n")
    assert problems[0].startswith("line ")
    assert "invalid YAML" in problems[0]


def test_duplicates_are_refused() -> None:
    """Two services with the same slug are refused."""
    problems = _problems("services: [{slug: a, name: A}, {slug: a, name: B}]\n")
    assert "services[1].slug: duplicate 'a'" in problems


def test_env_interpolation(monkeypatch: pytest.MonkeyPatch) -> None:
    """${VAR} expands from the environment; an unset variable is an error."""
    text = VALID.replace("service: api}]", "service: api, key: '${AM_KEY}'}]")
    monkeypatch.setenv("AM_KEY", "k" * 20)
    config = load_text(text)
    assert config.integrations is not None and config.integrations[0].key == "k" * 20
    monkeypatch.delenv("AM_KEY")
    assert "environment variable ${AM_KEY} is not set" in _problems(text)


def test_durations() -> None:
    """Durations accept s/m/h/d/w units."""
    assert parse_duration("90s").total_seconds() == 90
    assert parse_duration("2w").days == 14
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("5 parsecs")


def test_matcher_errors_point_into_every_section() -> None:
    """Bad matchers in routes and maintenance windows are reported at their exact index."""
    problems = _problems(
        "maintenance_windows:\n"
        "  - {name: x, start: 2026-12-01T02:00:00Z, end: 2026-12-01T04:00:00Z,"
        " matchers: ['job=>batch']}\n"
        "routes:\n  - {name: r, matchers: ['a=1', 'b=>2'], service: s}\n"
    )
    assert "routes[0].matchers[1]: unknown operator '=>'" in problems
    assert "maintenance_windows[0].matchers[0]: unknown operator '=>'" in problems
