"""Message templates (plantao.comms.render): every shipped template in both languages renders
for every severity, with and without the optional facts, with nothing undefined or left over."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from plantao.comms import render, samples, wording
from plantao.comms.facts import DataLoss, IncidentFacts
from plantao.comms.render import Source
from plantao.errors import NotFound, ValidationFailed

CASES = [
    pytest.param(name, language, facts, id=f"{name}-{language}-{label}")
    for name in render.TEMPLATE_NAMES
    for language in render.LANGUAGES
    for label, facts in samples.samples()
]


@pytest.mark.parametrize(("name", "language", "facts"), CASES)
def test_every_shipped_template_renders_completely(
    name: str, language: str, facts: IncidentFacts
) -> None:
    """Each shipped template renders (StrictUndefined) with a subject, no placeholder, no None."""
    out = render.render(name, language, facts, time_zone="America/Sao_Paulo")
    assert out.subject.strip() and out.text.strip()
    for marker in ("{{", "{%", "}}", "%}", "None", "Undefined"):
        assert marker not in out.subject + out.text
    assert facts.ref in out.subject + out.text
    assert "\n\n\n" not in out.text


def test_pt_br_and_english_differ_for_every_template() -> None:
    """Every template is written in both languages (not one copied into the other)."""
    facts = samples.full("sev1", "P0", 15, resolved=False)
    for name in render.TEMPLATE_NAMES:
        en = render.render(name, "en", facts)
        pt = render.render(name, "pt-BR", facts)
        assert en.text != pt.text, name


def test_unknown_language_falls_back_to_english() -> None:
    """A language Plantão does not ship renders the English template."""
    facts = samples.bare("sev2", "P1", 30)
    assert render.render("status_update", "fr", facts) == render.render(
        "status_update", "en", facts
    )
    assert render.language_for("pt_br") == "pt-BR"


def test_times_are_shown_in_the_given_zone() -> None:
    """Times render in the asked zone with its label; UTC by default."""
    facts = samples.bare("sev1", "P0", 15)  # triggered 13:05 UTC
    assert "2026-03-14 13:05 UTC" in render.render("status_update", "en", facts).text
    local = render.render("status_update", "pt-BR", facts, time_zone="America/Sao_Paulo").text
    assert "14/03/2026 10:05 UTC-03:00" in local


def test_unknown_time_zone_is_refused() -> None:
    """An unknown time zone is a validation error, not a silent UTC."""
    with pytest.raises(ValidationFailed, match="time zone"):
        render.render("status_update", "en", samples.bare("sev1", "P0", 15), time_zone="Mars/Base")


def test_unknown_template_is_not_found() -> None:
    """Asking for a template that is not shipped answers NotFound with the known names."""
    with pytest.raises(NotFound, match="status_update"):
        render.render("nope", "en", samples.bare("sev1", "P0", 15))


def test_customer_email_names_the_rca_date_from_the_severity_window() -> None:
    """The customer e-mail promises the RCA by the date of rca_due_at (seed 002)."""
    facts = samples.full("sev1", "P0", 15, resolved=True)  # due 2026-03-16 13:05 UTC
    assert (
        "RCA) will be published by 2026-03-16" in render.render("customer_email", "en", facts).text
    )
    assert "publicada até 16/03/2026" in render.render("customer_email", "pt-BR", facts).text
    without = replace(facts, rca_due_at=None)
    assert "RCA" not in render.render("customer_email", "en", without).text


def test_data_loss_notice_states_backup_and_lost_interval() -> None:
    """The data-loss notice says which backup was restored and which interval was lost."""
    facts = replace(
        samples.bare("sev1", "P0", 15),
        data_loss=DataLoss(
            datetime(2026, 3, 14, 3, 0, tzinfo=UTC),
            datetime(2026, 3, 14, 3, 0, tzinfo=UTC),
            datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
        ),
    )
    text = render.render("data_loss_notice", "en", facts).text
    assert "backup taken at 2026-03-14 03:00 UTC" in text
    assert "between 2026-03-14 03:00 UTC and 2026-03-14 09:30 UTC" in text


def test_escalation_has_duration_so_far_and_the_ask() -> None:
    """The escalation carries priority, duration so far, what was tried and the fallback."""
    text = render.render("escalation", "en", samples.full("sev1", "P0", 15, resolved=False)).text
    assert "Priority: P0" in text and "Duration so far: 45 min" in text
    assert "Restarted the checkout pods" in text
    assert "within 15 min" in text and "maintenance mode" in text


def test_an_undefined_variable_fails_with_its_line() -> None:
    """StrictUndefined: a misspelt variable fails naming the part and line, never a blank."""
    source = Source("ok {{ incident.ref }}", "line one\n{{ incident.titel }}\n")
    with pytest.raises(ValidationFailed, match=r"body, line 2: .*titel"):
        render.render_source(source, "en", samples.bare("sev1", "P0", 15))


def test_an_optional_fact_used_without_if_fails() -> None:
    """A template assuming an update exists fails on an incident that has none."""
    source = Source("s", "{{ update.impact }}")
    with pytest.raises(ValidationFailed):
        render.render_source(source, "en", samples.bare("sev1", "P0", 15))


def test_the_sandbox_refuses_python_internals() -> None:
    """An override cannot reach Python internals through the facts."""
    source = Source("s", "{{ incident.__class__.__mro__ }}")
    with pytest.raises(ValidationFailed):
        render.render_source(source, "en", samples.bare("sev1", "P0", 15))


def test_a_placeholder_left_in_the_output_is_refused() -> None:
    """A template that prints a literal '{{' is refused; the incident's own braces are not."""
    facts = samples.bare("sev1", "P0", 15)
    with pytest.raises(ValidationFailed, match="placeholders"):
        render.render_source(Source("s", "{{ '{{' }} name }}"), "en", facts)
    quoted = replace(facts, title="Template {{ x }} broke")
    out = render.render("status_update", "en", quoted)
    assert "Template {{ x }} broke" in out.text


def test_text_is_not_html_escaped() -> None:
    """Plain text: an ampersand stays an ampersand (channels escape at send time)."""
    facts = replace(samples.bare("sev1", "P0", 15), title="R&D <api> down")
    assert "R&D <api> down" in render.render("status_update", "en", facts).text


def test_shipped_files_start_with_a_subject_line() -> None:
    """Each shipped file splits into a subject and a body."""
    for name in render.TEMPLATE_NAMES:
        for language in render.LANGUAGES:
            source = render.shipped(name, language)
            assert source.subject and source.body.strip()


def test_operator_directory_overrides_the_shipped_file(tmp_path: object) -> None:
    """A file in <template_dir>/comms/<lang>/<name>.txt replaces the shipped template."""
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "comms" / "en").mkdir(parents=True)
    (root / "comms" / "en" / "p0_initial.txt").write_text(
        "Subject: own {{ incident.ref }}\n\nmine\n"
    )
    out = render.render("p0_initial", "en", samples.bare("sev1", "P0", 15), template_dir=root)
    assert out.subject == "own INC-20260314-4" and out.text == "mine\n"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (38, "38 min"), (65, "1 h 05 min"), (120, "2 h"), (1500, "1 d 1 h")],
)
def test_duration_words(minutes: int, text: str) -> None:
    """Durations read as people write them."""
    assert wording.duration(minutes) == text


@pytest.mark.parametrize(
    "body",
    ["{{ 1 / 0 }}", "{{ incident.roles[99] }}", "{{ 'x' * 10**9 }}", "{{ 2 ** 100000 }}", "{% for"],
)
def test_a_failing_or_runaway_template_is_a_validation_error(body: str) -> None:
    """Arithmetic, index, size and syntax failures are refused as template errors, not crashes."""
    with pytest.raises(ValidationFailed, match="body"):
        render.render_source(Source("s", body), "en", samples.bare("sev1", "P0", 15))
