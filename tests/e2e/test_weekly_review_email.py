"""The engine of a real ``plantao serve`` e-mails each team its weekly operational review
through a real SMTP server (aiosmtpd): once per member with an address, in their language.

The server starts without an ``operational_review`` setting (its engine schedules the job for
next Monday 09:00); then ``plantao apply`` sets the send time half a minute ahead (today's
weekday in UTC), which moves the pending job, and the test waits for the mail.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from plantao.postmortems import iso_weeks
from tests.e2e.conftest import (
    BACKENDS,
    PlantaoServer,
    _Started,
    free_port,
    run_cli,
    start_plantao,
    stop_plantao,
)
from tests.e2e.test_browser import browser, log_in, page  # noqa: F401 - fixtures
from tests.e2e.ui_harness import check_page
from tests.factories.notify import SmtpSink, wait_until

pytestmark = pytest.mark.e2e


def _config(send_at: datetime | None) -> str:
    review = ""
    if send_at is not None:
        weekday = iso_weeks.WEEKDAYS[send_at.weekday()]
        review = f'operational_review: {{weekday: {weekday}, time: "{send_at:%H:%M:%S}"}}'
    return f"""
version: 1
teams:
  - {{slug: sre, name: SRE, members: [ana, bia, caio]}}
users:
  - {{handle: ana, name: Ana, email: ana@example.com}}
  - handle: bia
    name: Bia
    language: pt-BR
    contact_methods: [{{name: work, type: email, address: bia.work@example.com}}]
  - {{handle: caio, name: Caio}}
services:
  - {{slug: platform, name: Platform, team: sre}}
{review}
"""


def _subject(mail: Any) -> str:
    return str(make_header(decode_header(str(mail["Subject"]))))


def _text(mail: Any) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text/plain part")


# PostgreSQL, where several engines may run: the job's once-per-week rule is tested on both
# databases in tests/integration/test_weekly_review.py.
@pytest.fixture(params=[BACKENDS[1]])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[PlantaoServer, SmtpSink, datetime]]:
    smtp = SmtpSink(free_port()).start()
    env = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp.port),
        "PLANTAO_SMTP_FROM": "plantao@plantao.test",
    }
    started: _Started | None = None
    try:
        started = start_plantao(str(request.param), tmp_path / "plantao", _config(None), env)
        server = started.server
        # Half a minute ahead: due after this apply ends, even on a loaded machine.
        send_at = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
        again = server.workdir / "review.yaml"
        again.write_text(_config(send_at), encoding="utf-8")
        run_cli(server.env, server.workdir, "apply", "-f", str(again))
        assert datetime.now(UTC) < send_at, "apply took too long for the chosen send time"
        yield server, smtp, send_at
    finally:
        if started is not None:
            stop_plantao(started)
        smtp.stop()


def test_engine_emails_the_weekly_review_once_per_member(
    served: tuple[PlantaoServer, SmtpSink, datetime],
    page: Any,  # noqa: F811 - the fixture
) -> None:
    """At the configured time the engine sends the review of the week that just ended to Ana
    (her profile address, English) and Bia (her e-mail contact method, Portuguese), not to Caio
    (no address), and sends nothing more afterwards; the review page reads well at 390 px."""
    server, smtp, send_at = served
    week = str(iso_weeks.reported_week(send_at, "UTC"))
    wait_until("two review e-mails", lambda: len(smtp.messages) >= 2, timeout=300.0)
    time.sleep(3)  # anything sent twice would have arrived by now
    mails = {parseaddr(str(m["To"]))[1]: m for m in smtp.messages}
    assert sorted(mails) == ["ana@example.com", "bia.work@example.com"]
    ana, bia = mails["ana@example.com"], mails["bia.work@example.com"]
    assert _subject(ana) == f"Weekly operational review {week} — SRE"
    assert _text(ana).startswith(f"# Weekly operational review — {week}")
    assert "| Incidents opened | 0 | 0 | → |" in _text(ana)
    assert _subject(bia) == f"Revisão operacional semanal {week} — SRE"
    assert "## Ações corretivas" in _text(bia)
    assert ana.get_content_type() == "multipart/alternative"  # with the HTML rendering
    log_in(page, server)
    check_page(
        page,
        f"{server.base_url}/reviews/weekly?team=sre&week={week}",
        expect_text=["Weekly operational review", "Incidents by severity", "SRE"],
    )
