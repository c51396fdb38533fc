"""The KPI page through the ASGI app: charts and tables from the sections, server-side
sorting, downloads identical to the API's, errors that keep what was typed."""

from __future__ import annotations

import re
from datetime import datetime

from tests.api.conftest import Api
from tests.api.test_kpis_api import PERIOD, history

__all__ = ["history"]  # the fixture, imported so this module can use it
DATES = {"from": "2026-11-01", "to": "2026-11-21"}  # "to" is included: up to 11-22 00:00


def test_page_shows_charts_with_target_lines_and_the_response_table(history: Api) -> None:
    """Two weekly line charts (MTTA, MTTR) with targets, bars by severity, one row per
    severity with the hand-computed Sev1 median of 5 min."""
    history.login("viewer")
    res = history.client.get("/kpis", params=DATES)
    assert res.status_code == 200, res.text
    html = res.text
    assert html.count('class="kpi-chart kpi-line"') >= 2
    assert 'class="target"' in html and 'class="kpi-chart kpi-bar"' in html
    assert "Time to acknowledge (p50) per week" in html
    table = html.split('id="t-response_by_severity"', 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r"<tr>", table)) == 5  # header + four severities
    assert '<td data-label="MTTA p50">5 min</td>' in table
    assert "style=" not in html and "<style" not in html


def test_header_links_sort_the_table_on_the_server(history: Api) -> None:
    """sort=response_by_severity.incidents&dir=desc puts Sev1 (2) first and marks the column."""
    history.login("viewer")
    res = history.client.get(
        "/kpis", params={**DATES, "sort": "response_by_severity.incidents", "dir": "desc"}
    )
    table = res.text.split('id="t-response_by_severity"', 1)[1].split("</table>", 1)[0]
    severities = re.findall(r'data-label="Severity">(sev\d)<', table)
    assert severities[0] == "sev1" and severities[1] == "sev2"
    assert 'aria-sort="descending"' in table
    asc = history.client.get(
        "/kpis", params={**DATES, "sort": "response_by_severity.mtta_p50_seconds"}
    ).text.split('id="t-response_by_severity"', 1)[1]
    ordered = re.findall(r'data-label="Severity">(sev\d)<', asc.split("</table>", 1)[0])
    assert ordered[:2] == ["sev1", "sev2"]  # 300 s before 600 s; sev3/sev4 (none) last


def test_page_csv_download_is_the_api_csv(history: Api) -> None:
    """The page's CSV link answers the same bytes as the API for the same scope."""
    history.login("viewer")
    html = history.client.get("/kpis", params=DATES).text
    link = re.search(r'href="(/kpis/export/response\.csv\?[^"]+)"', html)
    assert link is not None
    page_csv = history.client.get(link.group(1).replace("&amp;", "&"))
    assert page_csv.status_code == 200
    api_csv = history.client.get(
        "/api/v1/kpis/response",
        params={**PERIOD, "format": "csv"},
        headers=history.headers("viewer"),
    )
    assert page_csv.text == api_csv.text
    assert page_csv.headers["content-disposition"] == api_csv.headers["content-disposition"]
    json_link = re.search(r'href="(/kpis/export/response\.json\?[^"]+)"', html)
    assert json_link is not None
    body = history.client.get(json_link.group(1).replace("&amp;", "&")).json()
    assert body["tables"]["response_by_severity"][0]["incidents"] == 2


def test_bad_date_or_unknown_service_re_renders_with_the_error(history: Api) -> None:
    """422 page that keeps the typed service and names what is wrong; no charts."""
    history.login("viewer")
    res = history.client.get("/kpis", params={"from": "2026-13-40"})
    assert res.status_code == 422
    assert "from is not an ISO 8601 date" in res.text and "kpi-chart" not in res.text
    res = history.client.get("/kpis", params={**DATES, "service": "nowhere"})
    assert res.status_code == 422 and "unknown service" in res.text


def test_pages_in_portuguese_and_signed_out_goes_to_login(history: Api, frozen: datetime) -> None:
    """?lang=pt-BR titles the page in Portuguese; without a session: redirect to /login."""
    res = history.client.get("/kpis", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")
    history.login("viewer")
    html = history.client.get("/kpis", params={**DATES, "lang": "pt-BR"}).text
    assert "Como estamos indo" in html and "Tempo até reconhecer (p50) por semana" in html
