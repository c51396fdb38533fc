"""The shipped Grafana dashboard (docs/grafana/plantao-kpis.json) parses, and every metric its
queries name is one a real ``/metrics`` scrape of Plantão exposes — names read from the scrape
of an app with incidents in it, never from a hand-written list."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from plantao.db import session_scope
from plantao.kpis import rollups
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "plantao-kpis.json"
AM = f"/api/v1/intake/{AM_KEY}/alertmanager"

#: PromQL words that look like metric names but are not (operators, modifiers, keywords).
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
     "bool", "offset", "atan2", "inf", "nan"}
)  # fmt: skip
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not a function call,
    a keyword, a label (inside ``{}`` or ``by (...)``), a string, a range or a number."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\b\d[\w.]*", " ", text)
    names = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group().lower() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL text of the dashboard: panel targets (rows included) and query variables."""
    found: list[str] = []
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            found += [t["expr"] for t in inner.get("targets", []) if "expr" in t]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            found.append(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", text))
    return found


def unknown_names(dashboard: dict[str, Any], exposed: set[str]) -> set[str]:
    return {name for expr in queries(dashboard) for name in metric_names(expr)} - exposed


def scrape_names(api: Api) -> tuple[set[str], set[tuple[str, tuple[tuple[str, str], ...]]]]:
    """Family and sample names of a real scrape, and the (name, labels) of each sample."""
    res = api.client.get("/metrics")
    assert res.status_code == 200
    names: set[str] = set()
    samples = set()
    for family in text_string_to_metric_families(res.text):
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
            samples.add((sample.name, tuple(sorted(sample.labels.items()))))
    return names, samples


def history(api: Api) -> None:
    """A Sev1 acknowledged and resolved through the API, and a Sev3 still open."""
    ref = api.open_incident(AM, am_webhook([am_alert("DataLeak")], group_key="DataLeak"))
    api.open_incident(AM, am_webhook([am_alert("DiskFull")], group_key="DiskFull"))
    for verb in ("acknowledge", "resolve"):
        res = api.client.post(f"/api/v1/incidents/{ref}/{verb}", headers=api.headers("responder"))
        assert res.status_code == 200, res.text
    with session_scope(api.factory) as session:
        rollups.refresh(session)


def test_the_dashboard_is_an_importable_grafana_dashboard() -> None:
    """The JSON parses, schemaVersion >= 39, a prometheus datasource variable, every panel's
    queries use it."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["schemaVersion"] >= 39
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    assert panels and all(p["targets"] for p in panels)
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"


def test_every_metric_the_dashboard_queries_is_exposed_by_a_real_scrape(api: Api) -> None:
    """Each name in each panel's PromQL is a family or sample name of Plantão's /metrics."""
    history(api)
    exposed, samples = scrape_names(api)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    used = {name for expr in queries(dashboard) for name in metric_names(expr)}
    assert len(used) >= 20  # the parser found the dashboard's metrics, not nothing
    assert unknown_names(dashboard, exposed) == set()
    # the figures come from the data, not only from the declared families
    sev1 = (("severity", "sev1"), ("window", "7d"))
    assert ("plantao_kpi_mtta_p50_seconds", sev1) in samples
    assert ("plantao_kpi_incidents", (("severity", "sev3"), ("window", "30d"))) in samples


def test_an_unknown_metric_in_a_query_is_reported() -> None:
    """A query naming a metric Plantão does not expose is caught (the check can fail)."""
    dashboard = {
        "panels": [
            {"type": "row", "panels": [{"targets": [{"expr": 'rate(nope_total{a="b"}[5m])'}]}]},
            {"targets": [{"expr": 'sum by (severity) (plantao_kpi_incidents{window="7d"})'}]},
        ],
        "templating": {"list": [{"type": "query", "query": "label_values(also_unknown, job)"}]},
    }
    assert unknown_names(dashboard, {"plantao_kpi_incidents"}) == {"nope_total", "also_unknown"}


def test_promql_names_skip_functions_labels_and_keywords() -> None:
    """Functions, labels, ranges, strings, numbers and keywords are not taken for metrics."""
    expr = (
        'topk(10, max without (instance) (plantao_kpi_pages{window="$window", x=~"a|b"}))'
        " / on (window) group_left sum(rate(plantao_http_requests_total[$__rate_interval]))"
        " > bool 0.5 unless plantao_kpi_pages_night offset 1h"
    )
    assert metric_names(expr) == {
        "plantao_kpi_pages",
        "plantao_http_requests_total",
        "plantao_kpi_pages_night",
    }
