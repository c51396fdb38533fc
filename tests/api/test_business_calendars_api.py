"""GET /api/v1/business-calendars (any viewer; the default first; weekday names, holidays by
date) and the postmortem and corrective-action gauges on /metrics."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from plantao import clock
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.postmortems.models import CorrectiveAction, Postmortem
from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY, apply_config

CALENDARS = """business_calendars:
  - name: brasil
    team: sre
    time_zone: America/Sao_Paulo
    workdays: mon,tue,wed,thu,fri
    holidays:
      - {date: 2027-01-01, name: Confraternização Universal}
      - {date: 2026-12-25, name: Natal}
  - {time_zone: Europe/Lisbon, workdays: 123456}
"""


def test_viewer_lists_calendars_default_first(api: Api) -> None:
    """The default (no team) comes first; working days as names; holidays sorted by date."""
    apply_config(api.factory, CALENDARS)
    res = api.client.get("/api/v1/business-calendars", headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    assert res.json() == [
        {
            "name": "default",
            "team": None,
            "default": True,
            "time_zone": "Europe/Lisbon",
            "workdays": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "holidays": [],
        },
        {
            "name": "brasil",
            "team": "sre",
            "default": False,
            "time_zone": "America/Sao_Paulo",
            "workdays": ["mon", "tue", "wed", "thu", "fri"],
            "holidays": [
                {"date": "2026-12-25", "name": "Natal"},
                {"date": "2027-01-01", "name": "Confraternização Universal"},
            ],
        },
    ]


def test_calendars_need_a_token(api: Api) -> None:
    """Without a token the list is a 401 problem."""
    res = api.client.get("/api/v1/business-calendars")
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")


def _metric(text: str, name: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(name + " "))
    return float(line.split()[-1])


def test_metrics_count_postmortems_and_actions_due_and_late(api: Api, frozen: datetime) -> None:
    """One postmortem late, one due later, one published (not counted); actions: one late
    must-fix, one open not must-fix, one done (not counted)."""
    now = clock.now()
    refs = [
        api.open_incident(
            f"/api/v1/intake/{GENERIC_KEY}/generic",
            {"title": f"Down {n}", "dedup_key": f"d{n}", "severity": "error"},
        )
        for n in range(3)
    ]
    with session_scope(api.factory) as s:
        incidents = [incident_service.get(s, ref) for ref in refs]
        dues = (now - timedelta(hours=1), now + timedelta(days=2), now - timedelta(days=3))
        states = ("draft", "in_review", "published")
        pms = []
        for incident, due, status in zip(incidents, dues, states, strict=True):
            pm = Postmortem(
                incident_id=incident.id,
                status=status,
                required=True,
                due_at=due,
                language="en",
                markdown="",
                version=1,
                created_by="test",
                created_at=now,
                updated_at=now,
                reminder_token=0,
            )
            s.add(pm)
            pms.append(pm)
        s.flush()
        today = now.date()
        for due_date, must_fix, status in (
            (today - timedelta(days=1), True, "open"),
            (today + timedelta(days=5), False, "in_progress"),
            (date(2026, 1, 1), True, "done"),
        ):
            s.add(
                CorrectiveAction(
                    postmortem_id=pms[0].id,
                    incident_id=incidents[0].id,
                    service_id=incidents[0].service_id,
                    title="Fix it",
                    due_date=due_date,
                    severity="sev2",
                    kind="quick_fix",
                    must_fix=must_fix,
                    status=status,
                    created_by="test",
                    created_at=now,
                    updated_at=now,
                    reminder_token=0,
                )
            )
    text = api.client.get("/metrics").text
    assert _metric(text, "plantao_postmortems_overdue") == 1
    assert _metric(text, "plantao_postmortems_due") == 1
    assert _metric(text, "plantao_actions_overdue") == 1
    assert _metric(text, 'plantao_actions_open{must_fix="true"}') == 1
    assert _metric(text, 'plantao_actions_open{must_fix="false"}') == 1
    clock.advance(timedelta(days=3))
    later = api.client.get("/metrics").text
    assert _metric(later, "plantao_postmortems_overdue") == 2
    assert _metric(later, "plantao_postmortems_due") == 0
