"""Parsing runbook files: the format, and errors that always name file, line and field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plantao.runbooks.document import RunbookError, parse_runbook, section_kind

from .conftest import FIXTURE_PACK, VALID_BODY, VALID_FRONT, document


def _problems(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(RunbookError) as info:
        parse_runbook(text, "rb/broken.md")
    for p in info.value.problems:
        assert p.file == "rb/broken.md"
        assert p.line >= 1
        assert p.field
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_full_example_parses_every_field() -> None:
    """The documented example yields metadata, sections, steps, actions and a content hash."""
    path = FIXTURE_PACK / "en" / "kafka-consumer-lag.md"
    rb = parse_runbook(path.read_text(encoding="utf-8"), path)
    assert (rb.id, rb.lang, rb.owner, rb.severity_hint) == (
        "kafka-consumer-lag",
        "en",
        "platform-team",
        "sev2",
    )
    assert rb.services == ("kafka", "orders-consumer")
    assert rb.last_reviewed == date(2026, 11, 1)
    assert rb.review_every == timedelta(days=30)
    assert [str(m) for m in rb.alerts[0]] == [
        'alertname=~"KafkaConsumer(Lag|Stalled)"',
        'severity!="info"',
    ]
    assert set(rb.sections) == {"symptom", "diagnosis", "mitigation", "verification", "escalate"}
    assert [s.section for s in rb.steps] == ["diagnosis", "mitigation", "verification"]
    assert [(a.id, a.danger, a.timeout, a.params) for a in rb.actions] == [
        ("describe-group", "read", 30, ("group",)),
        ("scale-consumers", "mutate", 120, ("replicas",)),
    ]
    assert rb.actions[0].command == "printf 'describing %s\\n' \"$GROUP\"\n"
    assert rb.parameters["replicas"].default == 2
    assert len(rb.version) == 64
    assert rb.short_version == rb.version[:12]


def test_portuguese_headings_map_to_the_same_sections() -> None:
    """pt-BR headings (accents or not, singular or plural) land in the same section kinds."""
    path = FIXTURE_PACK / "pt-BR" / "kafka-consumer-lag.md"
    rb = parse_runbook(path.read_text(encoding="utf-8"), path)
    assert set(rb.sections) == {"symptom", "diagnosis", "mitigation", "verification", "escalate"}


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Symptoms", "symptom"),
        ("SINTOMA", "symptom"),
        ("Diagnóstico rápido (10 min)", "diagnosis"),
        ("Diagnostico", "diagnosis"),
        ("Ações de mitigação", "mitigation"),
        ("Rollback", "rollback"),
        ("Verificações", "verification"),
        ("Follow-up", "follow_up"),
        ("Pós-ação", "follow_up"),
        ("Acompanhamento", "follow_up"),
        ("When to escalate", "escalate"),
        ("Escalonamento", "escalate"),
        ("Communication", "other"),
    ],
)
def test_heading_table(heading: str, kind: str) -> None:
    """Headings are matched case- and accent-insensitively; unknown ones are 'other'."""
    assert section_kind(heading) == kind


def test_unknown_heading_is_kept_as_other_section() -> None:
    """A heading outside the table is preserved with its text, not dropped."""
    rb = parse_runbook(document(body=VALID_BODY + "\n## Contacts\nCall Ana.\n"), "x.md")
    assert [(s.kind, s.heading, s.text.strip()) for s in rb.other_sections] == [
        ("other", "Contacts", "Call Ana.")
    ]


def test_plain_fences_are_not_actions_and_checked_boxes_are_steps() -> None:
    """Fences without braces are shown, not run; '- [x]' is a step marked done."""
    body = "## Symptom\n- [x] Seen\n\n```sh\nrm -rf /tmp/nothing\n```\n"
    rb = parse_runbook(
        document(front=VALID_FRONT.replace("  token", "  unused"), body=body), "x.md"
    )
    assert rb.actions == ()
    assert [(s.text, s.done) for s in rb.steps] == [("Seen", True)]


def test_alerts_list_of_lists_is_or_of_and_groups() -> None:
    """A list of lists gives one AND group per inner list."""
    path = FIXTURE_PACK / "en" / "db-connection-saturation.md"
    rb = parse_runbook(path.read_text(encoding="utf-8"), path)
    assert [len(g) for g in rb.alerts] == [1, 2]
    assert rb.links({"alertname": "PostgresTooManyConnections"})
    assert not rb.links({"alertname": "PgBouncerPoolExhausted", "service": "orders"})
    assert rb.links({"alertname": "PgBouncerPoolExhausted", "service": "billing"})


def test_version_changes_with_content() -> None:
    """The version is the content hash, so any edit shows as a new version."""
    a = parse_runbook(document(), "x.md")
    b = parse_runbook(document(body=VALID_BODY + "\nMore.\n"), "x.md")
    assert a.version != b.version


BROKEN_CASES = [
    # (front matter, body, expected (line, field) pairs)
    ("title: T\nowner: o\nlast_reviewed: 2026-01-01\n", "", [(1, "id")]),
    ("id: Bad_Id\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n", "", [(2, "id")]),
    ("id: a\ntitle: T\nowner: o\nlast_reviewed: yesterday\n", "", [(5, "last_reviewed")]),
    ("id: a\ntitle: T\nowner: o\nlang: fr\nlast_reviewed: 2026-01-01\n", "", [(5, "lang")]),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nreview_every: monthly\n",
        "",
        [(6, "review_every")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nseverity_hint: huge\n",
        "",
        [(6, "severity_hint")],
    ),
    (
        'id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nalerts:\n  - alertname="A"\n'
        '  - severity=>"x"\n',
        "",
        [(8, "alerts[1]")],
    ),
    (
        'id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nalerts:\n  - job=~"("\n',
        "",
        [(7, "alerts[0]")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nparameters:\n  n: {type: float}\n",
        "",
        [(7, "parameters.n.type")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nparameters:\n"
        "  n:\n    type: int\n    min: 5\n    default: 1\n",
        "",
        [(10, "parameters.n.default")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nparameters:\n"
        "  path: {type: string}\n",
        "",
        [(7, "parameters.path")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\nparameters:\n  v: {type: enum}\n",
        "",
        [(7, "parameters.v.allowed")],
    ),
    ("id: a\nid: b\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n", "", [(3, "id")]),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "# T\n\n```sh {action=wipe danger=nuclear}\necho\n```\n",
        [(9, "action 'wipe'.danger")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "# T\n\n```sh {danger=read}\necho\n```\n",
        [(9, "action")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "# T\n\n```sh {action=x danger=read params=ghost}\necho\n```\n",
        [(9, "action 'x'.params")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "\n```sh {action=x danger=read timeout=9999}\necho\n```\n",
        [(8, "action 'x'.timeout")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "```sh {action=x danger=read}\necho\n```\n```sh {action=x danger=read}\necho\n```\n",
        [(10, "action")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "```python {action=x danger=read}\nprint()\n```\n",
        [(7, "action 'x'.shell")],
    ),
    (
        "id: a\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n",
        "```sh {action=x danger=read colour=red}\necho\n```\n",
        [(7, "action.colour")],
    ),
    ("id: a\ntitle: [unclosed\nowner: o\n", "", [(4, "front matter")]),
]


@pytest.mark.parametrize(("front", "body", "expected"), BROKEN_CASES)
def test_broken_runbooks_name_file_line_and_field(
    front: str, body: str, expected: list[tuple[int, str]]
) -> None:
    """Each defect is reported at the line of the offending key, with its field path."""
    found = _problems(f"---\n{front}---\n{body}")
    assert [(line, fld) for line, fld, _ in found] == expected


def test_all_errors_reported_at_once() -> None:
    """Several defects in one file come back together, not one per attempt."""
    found = _problems("---\nid: BAD\nlang: xx\nlast_reviewed: never\n---\n")
    assert {fld for _, fld, _ in found} == {"id", "lang", "title", "owner", "last_reviewed"}


def test_missing_front_matter_is_reported_at_line_one() -> None:
    """A file without the opening '---' is refused with a located message."""
    assert _problems("# Just markdown\n") == [
        (1, "front matter", "file must start with a '---' line")
    ]


def test_error_text_is_file_line_severity_field_message() -> None:
    """str() of the exception lists 'file:line: error: field: message' lines for terminals."""
    with pytest.raises(RunbookError, match=r"^rb\.md:2: error: id: "):
        parse_runbook("---\nid: BAD\ntitle: T\nowner: o\nlast_reviewed: 2026-01-01\n---\n", "rb.md")


def test_unknown_keys_are_warnings_not_errors() -> None:
    """Unknown front-matter keys do not block loading; they surface as warnings."""
    rb = parse_runbook(document(front=VALID_FRONT + "colour: blue\n"), "x.md")
    assert [(w.line, w.field, w.severity) for w in rb.warnings] == [(9, "colour", "warning")]


def test_destructive_action_attributes() -> None:
    """approvers is a '|' list of roles; quoted values and timeouts are read."""
    body = (
        '```sh {action=drop-db danger="destructive" timeout=600 approvers=admin|dba}\n'
        "dropdb x\n```\n"
    )
    rb = parse_runbook(
        document(front=VALID_FRONT.replace("  token", "  unused"), body=body), "x.md"
    )
    assert [(a.id, a.danger, a.timeout, a.approvers) for a in rb.actions] == [
        ("drop-db", "destructive", 600, ("admin", "dba"))
    ]


def test_bash_blocks_warn_that_they_run_under_sh() -> None:
    """A bash fence is accepted but warned about, since the executor uses /bin/sh."""
    body = "```bash {action=look danger=read}\necho hi\n```\n"
    rb = parse_runbook(document(body=body), "x.md")
    assert [w.field for w in rb.warnings] == ["action 'look'.shell"]


def test_command_using_unlisted_parameter_warns() -> None:
    """$DEPLOYMENT in a block that does not list it would be unset: a warning says so."""
    body = '```sh {action=look danger=read}\necho "$DEPLOYMENT"\n```\n'
    rb = parse_runbook(document(body=body), "x.md")
    assert [w.field for w in rb.warnings] == ["action 'look'.params"]
