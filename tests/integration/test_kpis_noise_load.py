"""Alert noise, on-call load and status-update punctuality on a scripted history, both databases.

Scope: Monday 2026-10-19 to Monday 2026-11-09 (three ISO weeks: 10-19, 10-26, 11-02), which
spans Lisbon's fall-back night (25 Oct, 01:30 happens twice) and New York's (1 Nov). Times UTC;
minutes after triggering in brackets. ``int`` = resolved by the integration ``integration:am``.

    N1 checkout sev2 10-20 10:00  5 HighErrorRate (2 flaps)  resolved [30] by int, no ack
    N2 checkout sev3 10-21 12:00  3 DiskFull                 ack [5], resolved [60] by ana
    N4 site     sev2 10-25 00:25  2 HighErrorRate, 2 Latency (1 flap); no ack; resolved [10]
                                  by int, reopened [15], resolved [70] by int
    N3 orders   sev3 10-27 03:00  1 DiskFull                 resolved [20] by bia, no ack
    N5 site     sev1 11-03 14:00  6 Latency                  ack [2], mitigated [30],
                                  reopened [40], resolved [50] by int, reopened [60],
                                  resolved [120] by ana
    N6 checkout sev4 11-04 08:00  no alerts (declared by hand), open
    N9 orders   sev3 11-05 10:00  1 QueueLag                 no ack; resolved [10] by int,
                                  reopened [20], resolved [30] by ana (a person, last)
    N7 checkout sev3 10-18 23:00  before the scope;  N8 checkout sev3 11-09 00:00 = end: out

People: ana (America/Sao_Paulo, UTC-3), bia (Europe/Lisbon), cal (America/New_York). Team
``web`` (owns site) has a calendar with 2026-11-03 as a holiday; ``sre`` has none (Mon-Fri).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.command.models import StatusUpdate
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.kpis import noise, oncall_load, rollups, update_punctuality
from plantao.kpis.scope import KpiScope
from plantao.oncall.models import Page
from plantao.people.models import User
from tests.factories.kpi_history import add_alert, add_incident, apply_history_config

START = datetime(2026, 10, 19, tzinfo=UTC)
END = datetime(2026, 11, 9, tzinfo=UTC)
WEEKS = [date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2)]
INT = "integration:am"
CALENDARS = """business_calendars:
  - name: web
    team: web
    time_zone: Europe/Lisbon
    workdays: 12345
    holidays: [{date: 2026-11-03, name: Feriado}]
"""


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def alerts(s: Session, incident: Incident, name: str, n: int, flaps: int = 0) -> None:
    """``n`` alerts named ``name``; the first carries ``flaps`` flaps."""
    for i in range(n):
        alert = add_alert(s, incident, incident.triggered_at + timedelta(seconds=i), name=name)
        alert.flap_count = flaps if i == 0 else 0
    s.flush()


def entry(s: Session, incident: Incident, minutes: int, kind: str, actor: str, **data: Any) -> None:
    """One timeline entry ``minutes`` after the incident was triggered."""
    item = incident_service.TimelineItem(kind, actor, kind, data)
    incident_service.append(
        s, incident.id, [item], at=incident.triggered_at + timedelta(minutes=minutes)
    )


def reopened(s: Session, incident: Incident, minutes: int, was: str) -> None:
    entry(s, incident, minutes, "incident.triggered", INT, **{"from": was, "to": "triggered"})


def page(s: Session, incident: Incident, user: str, paged_at: datetime, firing: int = 1) -> None:
    user_id = s.scalars(select(User.id).where(User.handle == user)).one()
    s.add(
        Page(
            incident_id=incident.id,
            firing=firing,
            label="L1",
            user_id=user_id,
            urgency="high",
            paged_at=paged_at,
        )
    )


def update(s: Session, incident: Incident, posted: datetime, due: datetime | None) -> None:
    s.add(
        StatusUpdate(
            incident_id=incident.id,
            kind="update",
            status="investigating",
            impact="checkout slow",
            symptoms=None,
            mitigation=None,
            next_steps=[],
            resolution=None,
            posted_by="ana",
            posted_at=posted,
            next_update_due_at=due,
            fanned_out_at=None,
        )
    )


def script(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        s.add(User(handle="cal", name="Cal", email="cal@example.com", time_zone="America/New_York"))
        n1 = add_incident(s, "checkout", "sev2", at(10, 20, 10), resolved=30)
        alerts(s, n1, "HighErrorRate", 5, flaps=2)
        entry(s, n1, 0, "incident.triggered", INT, severity="sev2")  # the opening: no "from"
        entry(s, n1, 30, "incident.resolved", INT, to="resolved")
        n2 = add_incident(s, "checkout", "sev3", at(10, 21, 12), ack=5, resolved=60)
        alerts(s, n2, "DiskFull", 3)
        entry(s, n2, 5, "incident.acknowledged", "ana")
        entry(s, n2, 60, "incident.resolved", "ana")
        n4 = add_incident(s, "site", "sev2", at(10, 25, 0, 25), resolved=70)
        alerts(s, n4, "HighErrorRate", 2)
        alerts(s, n4, "Latency", 2, flaps=1)
        entry(s, n4, 10, "incident.resolved", INT)
        reopened(s, n4, 15, "resolved")
        entry(s, n4, 70, "incident.resolved", INT)
        n3 = add_incident(s, "orders", "sev3", at(10, 27, 3), resolved=20)
        alerts(s, n3, "DiskFull", 1)
        entry(s, n3, 20, "incident.resolved", "bia")
        n5 = add_incident(s, "site", "sev1", at(11, 3, 14), ack=2, mitigated=30, resolved=120)
        alerts(s, n5, "Latency", 6)
        entry(s, n5, 2, "incident.acknowledged", "ana")
        entry(s, n5, 30, "incident.mitigated", "ana")
        reopened(s, n5, 40, "mitigated")
        entry(s, n5, 50, "incident.resolved", INT)
        reopened(s, n5, 60, "resolved")
        entry(s, n5, 120, "incident.resolved", "ana")
        n6 = add_incident(s, "checkout", "sev4", at(11, 4, 8))
        entry(s, n6, 0, "incident.triggered", "ana", severity="sev4")
        n9 = add_incident(s, "orders", "sev3", at(11, 5, 10), resolved=30)
        alerts(s, n9, "QueueLag", 1)
        entry(s, n9, 10, "incident.resolved", INT)
        reopened(s, n9, 20, "resolved")
        entry(s, n9, 30, "incident.resolved", "ana")
        n7 = add_incident(s, "checkout", "sev3", at(10, 18, 23), resolved=10)
        alerts(s, n7, "HighErrorRate", 10, flaps=4)
        entry(s, n7, 5, "incident.resolved", INT)
        reopened(s, n7, 6, "resolved")
        entry(s, n7, 10, "incident.resolved", INT)
        n8 = add_incident(s, "checkout", "sev3", at(11, 9, 0), resolved=10)
        alerts(s, n8, "Latency", 4)
        entry(s, n8, 10, "incident.resolved", INT)
        s.flush()

        # Pages, classified in the paged person's time zone (SP = São Paulo).
        page(s, n7, "ana", at(10, 18, 23, 30))  # before the scope: out
        page(s, n7, "ana", at(10, 19, 2), firing=2)  # Sun 23:00 SP: night (old incident, in)
        page(s, n1, "ana", at(10, 20, 10))  # Tue 07:00 SP: outside, not night
        page(s, n2, "ana", at(10, 21, 12))  # Wed 09:00 SP: working
        page(s, n3, "ana", at(10, 27, 3))  # Tue 00:00 SP: night
        page(s, n6, "ana", at(11, 4, 8))  # Wed 05:00 SP: night
        page(s, n9, "ana", at(11, 5, 10))  # Thu 07:00 SP: outside, not night
        page(s, n8, "ana", at(11, 9, 0))  # = end: out
        page(s, n4, "bia", at(10, 25, 0, 30))  # 01:30 WEST (first): night
        page(s, n4, "bia", at(10, 25, 1, 30), firing=2)  # 01:30 WET (second): night
        page(s, n5, "bia", at(11, 3, 14))  # Tue 14:00 Lisbon, web holiday: outside
        page(s, n9, "bia", at(11, 5, 10))  # Thu 10:00 Lisbon, sre Mon-Fri: working
        page(s, n1, "cal", at(10, 20, 13, 30))  # Tue 09:30 EDT: working
        page(s, n5, "cal", at(11, 3, 14))  # Tue 09:00 EST, web holiday: outside
        page(s, n9, "cal", at(11, 5, 10))  # Thu 05:00 EST: night
        page(s, n9, "cal", at(11, 5, 13, 30), firing=2)  # Thu 08:30 EST: outside, not night

        # Status updates (next update promised at ``due``).
        update(s, n5, at(11, 3, 14, 4), at(11, 3, 14, 19))
        update(s, n5, at(11, 3, 14, 19, 30), at(11, 3, 14, 34))  # on time (within grace)
        update(s, n5, at(11, 3, 14, 40), at(11, 3, 14, 55))  # late 360 s
        update(s, n5, at(11, 3, 14, 56), at(11, 3, 15, 10))  # on time: exactly due + 60 s
        update(s, n5, at(11, 3, 15, 25), at(11, 3, 15, 40))  # late 900 s
        update(s, n5, at(11, 3, 16, 5), None)  # late 1500 s (resolved 16:00, after due)
        update(s, n4, at(10, 25, 0, 35), at(10, 25, 1, 5))
        update(s, n4, at(10, 25, 1, 5), at(10, 25, 1, 35))  # on time (exact)
        # ... and N4 resolved at 01:35 before that promise ran out: released, not counted
        update(s, n6, at(11, 4, 8, 30), at(11, 4, 9))  # never followed, still open: missed
        update(s, n2, at(10, 21, 12, 10), at(10, 21, 14, 10))  # resolved 13:00 first: released
        update(s, n2, at(10, 21, 14, 30), None)  # after the due, but nothing was owed any more
        update(s, n7, at(10, 18, 23, 1), at(10, 18, 23, 2))  # out of the scope
        update(s, n7, at(10, 18, 23, 9), None)
        s.flush()
        rollups.refresh(s)


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_history_config(factory, CALENDARS)
    script(factory)
    return factory


def scope(**filters: str) -> KpiScope:
    return KpiScope(start=START, end=END, **filters)


def noise_of(db: sessionmaker[Session], **filters: str) -> noise.NoiseReport:
    with session_scope(db) as s:
        return noise.compute(s, scope(**filters))


def load_of(db: sessionmaker[Session], **filters: str) -> oncall_load.OncallLoadReport:
    with session_scope(db) as s:
        return oncall_load.compute(s, scope(**filters))


def punctuality_of(db: sessionmaker[Session]) -> update_punctuality.PunctualityReport:
    with session_scope(db) as s:
        return update_punctuality.compute(s, scope())


def series(points: Any, name: str) -> list[tuple[date, float | None, int]]:
    return [(p.week, p.value, p.count) for p in points if p.series == name]


def test_alerts_per_incident_leave_out_incidents_without_alerts(db: sessionmaker[Session]) -> None:
    """Alerts 5, 3, 4, 1, 6, 1 (N6 has none): p50 3.5, p90 5.5, mean 20/6."""
    report = noise_of(db)
    assert (report.incidents, report.alert_incidents, report.alerts) == (7, 6, 20)
    # sorted 1, 1, 3, 4, 5, 6: p50 rank 2.5 -> 3.5; p90 rank 4.5 -> 5.5
    assert (report.alerts_p50, report.alerts_p90) == (3.5, 5.5)
    assert report.alerts_mean == pytest.approx(20 / 6)


def test_auto_resolved_needs_no_ack_and_an_integration_as_the_last_resolver(
    db: sessionmaker[Session],
) -> None:
    """N1 and N4 count; N3 (a person), N9 (a person last) and N5 (acknowledged) do not."""
    report = noise_of(db)
    assert report.resolved == 6
    assert report.auto_resolved_unacked == 2
    assert report.auto_resolved_share == pytest.approx(2 / 6)


def test_flaps_and_reopenings(db: sessionmaker[Session]) -> None:
    """Flaps: N1 2 + N4 1; reopened: N4 once, N5 twice, N9 once; opening entries never count."""
    report = noise_of(db)
    assert (report.flapping_incidents, report.flaps) == (2, 3)
    assert (report.reopened_incidents, report.reopenings) == (3, 4)
    assert report.reopened_share == pytest.approx(3 / 7)


def test_top_noisy_names_sum_the_scope_only(db: sessionmaker[Session]) -> None:
    """Latency 2+6, HighErrorRate 5+2, DiskFull 3+1, QueueLag 1; N7 and N8 left out."""
    names = [(n.name, n.alerts, n.incidents) for n in noise_of(db).top_names]
    assert names == [
        ("Latency", 8, 2),
        ("HighErrorRate", 7, 2),
        ("DiskFull", 4, 2),
        ("QueueLag", 1, 1),
    ]


def test_noise_weekly_trend(db: sessionmaker[Session]) -> None:
    """Weeks by triggering: {N1, N2, N4}, {N3}, {N5, N6, N9}."""
    trends = noise_of(db).trends
    assert series(trends, "alerts_per_incident") == [
        (WEEKS[0], 4.0, 3),
        (WEEKS[1], 1.0, 1),
        (WEEKS[2], 3.5, 2),
    ]
    assert series(trends, "auto_resolved_unacked") == [
        (WEEKS[0], 2.0, 3),
        (WEEKS[1], 0.0, 1),
        (WEEKS[2], 0.0, 3),
    ]
    assert series(trends, "reopened_incidents") == [
        (WEEKS[0], 1.0, 3),
        (WEEKS[1], 0.0, 1),
        (WEEKS[2], 2.0, 3),
    ]


def test_noise_filters_by_team_and_service(db: sessionmaker[Session]) -> None:
    """team=web is N4 and N5 (site); service=checkout is N1, N2 and N6."""
    web = noise_of(db, team="web")
    assert (web.incidents, web.alerts_p50, web.auto_resolved_unacked) == (2, 5.0, 1)
    assert (web.reopened_incidents, web.reopenings) == (2, 3)
    assert [(n.name, n.alerts) for n in web.top_names] == [("Latency", 8), ("HighErrorRate", 2)]
    checkout = noise_of(db, service="checkout")
    assert (checkout.incidents, checkout.alert_incidents, checkout.alerts_p50) == (3, 2, 4.0)


def test_noise_section_exports_its_tables(db: sessionmaker[Session]) -> None:
    """The section has the summary, top names and weekly tables, all JSON-ready."""
    section = noise_of(db).section()
    assert [t.name for t in section.tables] == [
        "noise_summary",
        "noise_top_alert_names",
        "noise_weekly",
    ]
    summary = section.tables[0].records()[0]
    assert (summary["incidents"], summary["auto_resolved_unacked"], summary["reopenings"]) == (
        7,
        2,
        4,
    )
    assert len(section.tables[2].rows) == 3 * 3


def test_pages_per_person_in_their_own_time_zone(db: sessionmaker[Session]) -> None:
    """ana 6 (5 outside, 3 night), bia 4 (3, 2: both 01:30s of the Lisbon fall-back night),
    cal 4 (3, 1: the web holiday applies to site's pages whoever gets them)."""
    report = load_of(db)
    rows = {p.handle: (p.pages, p.outside_working_hours, p.night) for p in report.people}
    assert rows == {"ana": (6, 5, 3), "bia": (4, 3, 2), "cal": (4, 3, 1)}
    assert [p.handle for p in report.people] == ["ana", "bia", "cal"]
    per_week = {p.handle: p.night_per_week for p in report.people}
    assert per_week == pytest.approx({"ana": 1.0, "bia": 2 / 3, "cal": 1 / 3})


def test_load_summary_and_weekly_trend(db: sessionmaker[Session]) -> None:
    """14 pages, 11 outside working hours, 6 at night over 3 weeks: 2 night pages a week."""
    report = load_of(db)
    summary = report.summary()
    assert (summary["pages"], summary["people_paged"]) == (14, 3)
    assert (summary["outside_working_hours"], summary["night"]) == (11, 6)
    assert summary["night_pages_per_week"] == pytest.approx(2.0)
    assert summary["outside_working_hours_share"] == pytest.approx(11 / 14)
    assert series(report.trends, "pages") == [
        (WEEKS[0], 6.0, 6),
        (WEEKS[1], 1.0, 1),
        (WEEKS[2], 7.0, 7),
    ]
    assert series(report.trends, "outside_working_hours") == [
        (WEEKS[0], 4.0, 6),
        (WEEKS[1], 1.0, 1),
        (WEEKS[2], 6.0, 7),
    ]
    assert series(report.trends, "night") == [
        (WEEKS[0], 3.0, 6),
        (WEEKS[1], 1.0, 1),
        (WEEKS[2], 2.0, 7),
    ]


def test_load_filters_go_through_the_pages_incident(db: sessionmaker[Session]) -> None:
    """team=web: the four pages of N4 and N5; severity=sev1: N5's two pages, both on a holiday."""
    web = {
        p.handle: (p.pages, p.outside_working_hours, p.night)
        for p in load_of(db, team="web").people
    }
    assert web == {"bia": (3, 3, 2), "cal": (1, 1, 0)}
    sev1 = load_of(db, severity="sev1")
    assert (sev1.pages, sev1.outside_working_hours, sev1.night) == (2, 2, 0)
    assert [t.name for t in sev1.section().tables] == [
        "oncall_load_summary",
        "oncall_load_by_person",
        "oncall_load_weekly",
    ]


def test_update_punctuality_overall(db: sessionmaker[Session]) -> None:
    """7 promises judged: 3 on time, 3 late (360, 900, 1500 s), 1 missed; 2 released are not."""
    overall = punctuality_of(db).overall
    assert (overall.updates, overall.promises) == (11, 7)
    assert (overall.on_time, overall.late, overall.missed) == (3, 3, 1)
    assert overall.on_time_share == pytest.approx(3 / 7)
    # lateness 360, 900, 1500: p50 900; p90 rank 1.8 -> 900 + 0.8 * 600 = 1380
    assert overall.lateness_p50 == 900
    assert overall.lateness_p90 == pytest.approx(1380)


def test_update_punctuality_by_severity_and_week(db: sessionmaker[Session]) -> None:
    """sev1 N5 2/5 on time; sev2 N4 1/1; sev3 N2 nothing owed; sev4 N6 missed its one."""
    report = punctuality_of(db)
    rows = {r["severity"]: r for r in report.as_api()["by_severity"]}
    assert list(rows) == ["all", "sev1", "sev2", "sev3", "sev4"]
    assert (rows["sev1"]["updates"], rows["sev1"]["on_time"], rows["sev1"]["late"]) == (6, 2, 3)
    assert rows["sev1"]["on_time_share"] == pytest.approx(2 / 5)
    assert (rows["sev2"]["on_time_share"], rows["sev2"]["lateness_p50_seconds"]) == (1.0, None)
    assert (rows["sev3"]["updates"], rows["sev3"]["promises"], rows["sev3"]["on_time_share"]) == (
        2,
        0,
        None,
    )
    assert (rows["sev4"]["missed"], rows["sev4"]["on_time_share"]) == (1, 0.0)
    assert series(report.trends, "on_time_share") == [
        (WEEKS[0], 1.0, 1),
        (WEEKS[1], None, 0),
        (WEEKS[2], pytest.approx(2 / 6), 6),
    ]
    assert series(report.trends, "lateness_p50_seconds") == [
        (WEEKS[0], None, 0),
        (WEEKS[1], None, 0),
        (WEEKS[2], 900, 3),
    ]
