"""The KPI API over a scripted history: the response body fixed by issue 14 with hand-computed
figures, filters, JSON sections and CSV tables that agree with it, and clear errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from plantao.catalog.models import Service
from plantao.db import session_scope
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.kpis import sections
from tests.api.conftest import Api

PERIOD = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-22T00:00:00Z"}


def incident(
    api: Api, n: int, service: str, severity: str, at: datetime, ack: int, resolved: int
) -> None:
    """One resolved incident, acknowledged ``ack`` and resolved ``resolved`` minutes after."""
    with session_scope(api.factory) as session:
        sid = session.scalars(select(Service.id).where(Service.slug == service)).one()
        session.add(
            Incident(
                human_id=f"INC-API-{n}",
                title=f"api scripted {n}",
                status=Status.RESOLVED,
                severity=severity,
                service_id=sid,
                group_key=f"api-{n}",
                detected_at=at,
                triggered_at=at,
                acknowledged_at=at + timedelta(minutes=ack),
                resolved_at=at + timedelta(minutes=resolved),
                last_alert_at=at,
                created_by="test",
            )
        )


@pytest.fixture
def history(api: Api, frozen: datetime) -> Api:
    """Sev1: ack 3 and 7 min, resolved 40 and 80 min; Sev2: ack 10 min, resolved 5 h; one
    Sev1 before the period (ack 100 min) that no figure may include."""
    incident(api, 1, "checkout", "sev1", datetime(2026, 11, 10, 10, tzinfo=UTC), 3, 40)
    incident(api, 2, "orders", "sev1", datetime(2026, 11, 17, 10, tzinfo=UTC), 7, 80)
    incident(api, 3, "checkout", "sev2", datetime(2026, 11, 12, 9, tzinfo=UTC), 10, 300)
    incident(api, 4, "checkout", "sev1", datetime(2026, 10, 20, 9, tzinfo=UTC), 100, 200)
    return api


def get(api: Api, path: str, **params: str) -> Any:
    res = api.client.get(path, params=params or None, headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    return res


def by_sev(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["severity"]: row for row in body["by_severity"]}


def test_response_body_has_the_issue_keys_and_hand_computed_figures(history: Api) -> None:
    """Sev1 MTTA p50 (180+420)/2=300 s, p90 180+0.9*240=396 s; MTTR p50 3600, p90 4560;
    targets 5 min / 60 min; half met each. Sev2 one incident: 600 s, 18000 s, met 1 and 0."""
    rows = by_sev(get(history, "/api/v1/kpis/response", **PERIOD).json())
    assert list(rows) == ["sev1", "sev2", "sev3", "sev4"]
    sev1 = rows["sev1"]
    assert sev1["incidents"] == 2
    assert sev1["mtta_p50_seconds"] == pytest.approx(300)
    assert sev1["mtta_p90_seconds"] == pytest.approx(396)
    assert sev1["mttr_p50_seconds"] == pytest.approx(3600)
    assert sev1["mttr_p90_seconds"] == pytest.approx(4560)
    assert (sev1["mtta_target_seconds"], sev1["mttr_target_seconds"]) == (300, 3600)
    assert (sev1["mtta_met_share"], sev1["mttr_met_share"]) == (0.5, 0.5)
    sev2 = rows["sev2"]
    assert sev2["incidents"] == 1
    assert (sev2["mtta_p50_seconds"], sev2["mttr_p90_seconds"]) == (600, 18000)
    assert (sev2["mtta_met_share"], sev2["mttr_met_share"]) == (1.0, 0.0)
    assert rows["sev4"]["incidents"] == 0 and rows["sev4"]["mtta_p50_seconds"] is None


def test_filters_narrow_the_incidents(history: Api) -> None:
    """service=orders keeps one Sev1; severity=sev2 keeps only Sev2; team=sre keeps all."""
    orders = by_sev(get(history, "/api/v1/kpis/response", service="orders", **PERIOD).json())
    assert (orders["sev1"]["incidents"], orders["sev2"]["incidents"]) == (1, 0)
    assert orders["sev1"]["mtta_p50_seconds"] == pytest.approx(420)
    sev2 = by_sev(get(history, "/api/v1/kpis/response", severity="SEV2", **PERIOD).json())
    assert (sev2["sev1"]["incidents"], sev2["sev2"]["incidents"]) == (0, 1)
    team = by_sev(get(history, "/api/v1/kpis/response", team="sre", **PERIOD).json())
    assert (team["sev1"]["incidents"], team["sev2"]["incidents"]) == (2, 1)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "last tuesday"}, "from"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-11-01"}, "from"),
        ({"severity": "sev9"}, "severity"),
        ({"service": "chekout"}, "service"),
        ({"team": "nobody"}, "team"),
    ],
)
def test_bad_scope_is_a_422_problem_naming_the_field(
    history: Api, params: dict[str, str], field: str
) -> None:
    """Not a date, a reversed or too long period, an unknown severity, service or team (a typo
    must not read as "no incidents"): 422 problem+json naming the field."""
    for path in ("/api/v1/kpis/response", "/api/v1/kpis/response?format=csv"):
        res = history.client.get(path, params=params, headers=history.headers("viewer"))
        assert res.status_code == 422, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert field in str(res.json())


def test_section_json_carries_the_same_figures_as_the_response_body(history: Api) -> None:
    """The generic section shape's response table holds the issue body's rows, and trends."""
    body = get(history, "/api/v1/kpis/response", **PERIOD).json()
    section = get(history, "/api/v1/kpis/response", format="json", **PERIOD).json()
    assert section["section"] == "response"
    assert section["scope"] == {"from": PERIOD["from"], "to": PERIOD["to"]}
    table = section["tables"]["response_by_severity"]
    assert [r["severity"] for r in table] == ["sev1", "sev2", "sev3", "sev4"]
    for row in table:
        expected = by_sev(body)[row["severity"]]
        assert {k: row[k] for k in expected} == expected
    assert section["trends"] and {"week", "series", "value", "count"} <= set(section["trends"][0])


def test_csv_is_an_attachment_with_the_table_rows(history: Api) -> None:
    """format=csv: header = the table's columns, Sev1's row has 2 incidents and 300 s MTTA."""
    res = get(history, "/api/v1/kpis/response", format="csv", **PERIOD)
    assert res.headers["content-type"].startswith("text/csv")
    disposition = res.headers["content-disposition"]
    assert disposition == 'attachment; filename="response_by_severity_2026-11-01_2026-11-22.csv"'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert [r["severity"] for r in rows] == ["sev1", "sev2", "sev3", "sev4"]
    assert rows[0]["incidents"] == "2" and float(rows[0]["mtta_p50_seconds"]) == 300
    assert rows[3]["mtta_p50_seconds"] == ""  # no incidents: empty, not 0


def test_accept_text_csv_and_table_pick_the_weekly_table(history: Api) -> None:
    """Accept: text/csv on the generic route answers CSV; table= picks the weekly trend."""
    res = history.client.get(
        "/api/v1/kpis/response",
        params={**PERIOD, "table": "response_weekly", "format": "csv"},
        headers={**history.headers("viewer")},
    )
    assert res.status_code == 200
    lines = res.text.splitlines()
    assert lines[0] == "week,series,value,count"
    assert "2026-11-09,sev1 mtta_p50,180.0,1" in lines
    generic = history.client.get(
        "/api/v1/kpis/response",
        params=PERIOD,
        headers={**history.headers("viewer"), "Accept": "text/csv"},
    )
    assert generic.headers["content-type"].startswith("text/csv")


def test_every_registered_section_answers_json_and_each_table_as_csv(history: Api) -> None:
    """The index lists the registry's sections; each section's tables download as CSV with
    the columns the index announced."""
    index = get(history, "/api/v1/kpis").json()["sections"]
    assert [s["name"] for s in index] == list(sections.names())
    for entry in index:
        body = get(history, entry["json"] + "&" + urlencode(PERIOD)).json()
        assert list(body["tables"]) == [t["name"] for t in entry["tables"]]
        for table in entry["tables"]:
            res = history.client.get(
                table["csv"] + "&" + urlencode(PERIOD), headers=history.headers("viewer")
            )
            assert res.status_code == 200, res.text
            assert res.text.splitlines()[0].split(",") == table["columns"]


def test_unknown_section_or_table_is_a_404(history: Api) -> None:
    """A section or table that does not exist is a 404 problem naming the known ones."""
    res = history.client.get("/api/v1/kpis/velocity", headers=history.headers("viewer"))
    assert res.status_code == 404 and "response" in res.json()["detail"]
    res = history.client.get(
        "/api/v1/kpis/response",
        params={"format": "csv", "table": "nope"},
        headers=history.headers("viewer"),
    )
    assert res.status_code == 404 and "response_by_severity" in res.json()["detail"]


def test_kpis_need_a_token_and_are_documented(history: Api) -> None:
    """No token: 401; the three routes are in the OpenAPI document."""
    assert history.client.get("/api/v1/kpis/response").status_code == 401
    assert history.client.get("/api/v1/kpis").status_code == 401
    paths = history.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/kpis", "/api/v1/kpis/response", "/api/v1/kpis/{section}"} <= set(paths)
