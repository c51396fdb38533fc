"""Checklists made from runbooks: checkbox lines that are headings are left out, item text keeps
its Markdown, and pages render that Markdown safely (the ``checklist_markdown`` filter)."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.incidents import service as incident_service
from plantao.runbooks import checklists
from plantao.runbooks.checklist_markdown import inline_html, is_heading
from plantao.runbooks.document import parse_runbook
from tests.factories.config import apply_standard
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import send_am

RUNBOOK = """
    ---
    id: disk-cases
    title: Disk cases
    owner: sre
    last_reviewed: 2026-11-01
    ---
    # Disk cases

    ## Mitigation
    - [ ] ## Case A: the process died
    - [ ] Restart it with `systemctl restart app` and **watch** the log.
    - [ ] **Case B:**
    - [ ] Read [db-connection-saturation](db-connection-saturation.md) <script>alert(1)</script>
    - [ ] **Never delete `pg_wal` by hand**
    """


def _incident(factory: sessionmaker[Session]) -> int:
    sent = send_am(factory, am_webhook([am_alert("DiskCases")], group_key="DiskCases"))
    (ref,) = sent.incidents
    with factory() as session:
        return incident_service.get(session, ref).id


def test_checklist_from_runbook_skips_headings_and_keeps_markdown(
    factory: sessionmaker[Session], frozen: datetime, tmp_path: Path
) -> None:
    """Heading and label lines become no item; the steps keep their Markdown source."""
    apply_standard(factory)
    incident_id = _incident(factory)
    runbook = parse_runbook(textwrap.dedent(RUNBOOK).lstrip(), tmp_path / "disk-cases.md")
    assert len(runbook.steps) == 5  # the parser still reads every checkbox line

    def attach(session: Session) -> int:
        incident = incident_service.get(session, incident_id, for_update=True)
        return checklists.attach_runbook_checklist(session, incident, runbook, actor="ana").id

    run_transaction(factory, attach)
    with factory() as session:
        made = next(c for c in checklists.checklists(session, incident_id) if c.kind == "runbook")
    assert [i.text for i in made.items] == [
        "Restart it with `systemctl restart app` and **watch** the log.",
        "Read [db-connection-saturation](db-connection-saturation.md) <script>alert(1)</script>",
        "**Never delete `pg_wal` by hand**",
    ]
    assert [i.key for i in made.items] == ["step-1", "step-2", "step-3"]
    html = [inline_html(i.text) for i in made.items]
    assert html[0] == (
        "Restart it with <code>systemctl restart app</code> and <strong>watch</strong> the log."
    )
    assert '<a href="/runbooks/db-connection-saturation">db-connection-saturation</a>' in html[1]
    assert "<script>" not in html[1] and "&lt;script&gt;alert(1)&lt;/script&gt;" in html[1]
    assert html[2] == "<strong>Never delete <code>pg_wal</code> by hand</strong>"


def test_heading_lines_are_recognised() -> None:
    """ATX headings and bold labels ending in a colon are headings; bold instructions are not."""
    assert is_heading("## Diagnosis") and is_heading("# ") and is_heading("**Case B:**")
    assert is_heading("__If the disk is full__:")
    assert not is_heading("#hashtag is text") and not is_heading("**Stop all writes now**")
    assert not is_heading("Do **this:** now") and not is_heading("Check the graph.")


def test_inline_markdown_refuses_unsafe_links_and_images() -> None:
    """javascript: links stay text, images are not embedded, outside links lose the opener."""
    assert "<a" not in inline_html("[x](javascript:alert(1))")
    assert "<img" not in inline_html("![pixel](https://tracker.example/p.png)")
    assert inline_html("[docs](https://example.com/a?b=1&c=2)") == (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">docs</a>'
    )


def test_pages_get_the_checklist_markdown_filter() -> None:
    """Importing the web UI registers the filter that renders an item's Markdown as markup."""
    from plantao.web import rendering, views  # noqa: F401 - the import registers the filter

    template = rendering.templates.env.from_string("<li>{{ text|checklist_markdown }}</li>")
    out = template.render(text="**Roll back** <script>x</script>")
    assert out == "<li><strong>Roll back</strong> &lt;script&gt;x&lt;/script&gt;</li>"
