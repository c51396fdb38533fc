"""The Statuspage-shaped JSON API (pure): every document matches the JSON Schema written from
Atlassian's public API v2 documentation, and a hand-built page gives exact values."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from plantao.statuspage import statuspage_json as sj
from plantao.statuspage.page_view import PageView, indicator_of
from tests.factories.page_views import T0, incident, maintenance, quiet, sample
from tests.factories.statuspage_v2 import FIXTURES, SCHEMAS, errors


@pytest.mark.parametrize("document", sorted(SCHEMAS))
@pytest.mark.parametrize("make", [sample, quiet], ids=["busy", "quiet"])
def test_every_document_matches_the_statuspage_schema(
    document: str, make: Callable[[], PageView]
) -> None:
    """Each served document, for a busy and a quiet page, validates against its schema."""
    view = make()
    assert errors(document, sj.DOCUMENTS[document](view)) == []


def test_the_schemas_reject_what_statuspage_would_not_send() -> None:
    """The schemas are strict: unknown fields, unknown statuses and offset-less times fail."""
    doc = sj.summary(sample())
    doc["components"][1]["status"] = "down"
    doc["incidents"][0]["severity"] = "sev1"
    doc["page"]["updated_at"] = "2026-12-01T12:00:00"
    found = errors("summary.json", doc)
    assert any(e.startswith("components/1/status") for e in found)
    assert any("severity" in e for e in found)
    assert any(e.startswith("page/updated_at") for e in found)


def test_page_object() -> None:
    """The page is named by its slug, linked absolutely, in UTC, updated at its last change."""
    assert sj.status(sample())["page"] == {
        "id": "public",
        "name": "Acme Status",
        "url": "https://status.example.com/status",
        "time_zone": "Etc/UTC",
        "updated_at": "2026-12-01T12:20:00.000+00:00",  # the newest update, not the render
    }


def test_rendering_again_later_changes_no_byte() -> None:
    """The engine re-renders every minute: unchanged content gives identical documents."""
    view = sample()
    later = replace(view, generated_at=view.generated_at + timedelta(hours=3))
    assert all(render(later) == render(view) for render in sj.DOCUMENTS.values())
    empty = replace(quiet(), groups=(), resolved_incidents=())
    assert sj.status(empty)["page"]["updated_at"] == "2026-12-01T12:30:00.000+00:00"


def test_a_maintenance_starting_counts_as_a_change() -> None:
    """A maintenance that started moves the page's updated_at to its start."""
    view = replace(quiet(), maintenances=(maintenance(4, "in_progress", 2),))
    assert sj.status(view)["page"]["updated_at"] == "2026-12-01T14:00:00.000+00:00"


@pytest.mark.parametrize(
    ("worst", "impacts", "indicator", "description"),
    [
        ("operational", [], "none", "All Systems Operational"),
        ("degraded_performance", [], "minor", "Minor Service Outage"),
        ("partial_outage", [], "major", "Partial System Outage"),
        ("major_outage", [], "critical", "Major Service Outage"),
        ("under_maintenance", [], "maintenance", "Service Under Maintenance"),
        ("operational", ["critical"], "critical", "Major Service Outage"),
    ],
)
def test_indicator_and_description_follow_the_worst_status(
    worst: str, impacts: list[str], indicator: str, description: str
) -> None:
    """Statuspage's indicator words: from open incidents' impact, else the worst component."""
    view = replace(quiet(), status=worst, indicator=indicator_of(worst, impacts))
    assert sj.status(view)["status"] == {"indicator": indicator, "description": description}


def test_groups_are_components_that_list_their_members() -> None:
    """A group is a component with group true and member ids; members point back to it."""
    listed = sj.components(sample())["components"]
    assert [(c["id"], c["name"], c["position"], c["group_id"], c["group"]) for c in listed] == [
        ("g-core", "Core", 1, None, True),
        ("c1", "API", 2, "g-core", False),
        ("c2", "Web", 3, "g-core", False),
        ("c3", "Database", 4, None, False),
    ]
    core = listed[0]
    assert core["components"] == ["c1", "c2"]
    assert core["status"] == "partial_outage"
    assert "components" not in listed[1]
    assert listed[1]["description"] == "The API" and listed[2]["description"] is None
    assert listed[1]["start_date"] == "2026-11-01" and core["start_date"] is None
    assert listed[3]["status"] == "under_maintenance"


def test_group_ids_are_stable_slugs_of_their_names() -> None:
    """A group's id is made of its name's letters and digits only."""
    assert sj.group_id("Core APIs & Web (EU)") == "g-core-apis-web-eu"
    assert sj.group_id("!!!") == "g-group"


def test_incident_with_updates_and_affected_components() -> None:
    """An incident carries its updates newest first, each with the component change it made."""
    [doc] = sj.unresolved(sample())["incidents"]
    assert {k: doc[k] for k in ("id", "name", "status", "impact", "resolved_at")} == {
        "id": "i7",
        "name": "Slow checkout",
        "status": "identified",
        "impact": "major",
        "resolved_at": None,
    }
    assert doc["created_at"] == doc["started_at"] == "2026-12-01T12:10:00.000+00:00"
    assert doc["shortlink"] == "https://status.example.com/status/incidents/7"
    assert [u["id"] for u in doc["incident_updates"]] == ["u12", "u11"]
    assert [u["affected_components"] for u in doc["incident_updates"]] == [
        [{"code": "c1", "name": "API", "old_status": "degraded_performance",
          "new_status": "partial_outage"}],
        [{"code": "c1", "name": "API", "old_status": "operational",
          "new_status": "degraded_performance"}],
    ]  # fmt: skip
    assert all(u["incident_id"] == "i7" for u in doc["incident_updates"])
    assert [c["id"] for c in doc["components"]] == ["c1"]


def test_resolved_incident_times_and_an_update_that_changed_nothing() -> None:
    """monitoring_at and resolved_at come from the updates; no change gives null components."""
    docs = {d["id"]: d for d in sj.incidents(sample())["incidents"]}
    login = docs["i5"]
    assert login["status"] == "resolved"
    assert login["monitoring_at"] == "2026-12-01T10:30:00.000+00:00"
    assert login["resolved_at"] == "2026-12-01T11:00:00.000+00:00"
    resolved, monitoring, first = login["incident_updates"]
    assert monitoring["affected_components"] is None
    assert resolved["affected_components"] == [
        {"code": "c2", "name": "Web", "old_status": "major_outage", "new_status": "operational"}
    ]
    assert first["affected_components"][0]["old_status"] == "operational"


def test_a_resolution_that_names_no_component_restores_the_ones_it_left_degraded() -> None:
    """Publishing a resolution restores components: the update lists them back to operational."""
    resolved = incident(
        30,
        "Queue lag",
        [
            (31, "investigating", "Lagging.", 1, (("api", "degraded_performance"),)),
            (32, "identified", "Found it.", 2, (("web", "partial_outage"),)),
            (33, "monitoring", "Recovering.", 3, (("api", "operational"),)),
            (34, "resolved", "Done.", 4, ()),
        ],
        (("api", "operational"), ("web", "partial_outage"), ("db", "major_outage")),
        "major",
    )
    doc = sj.incident(sample(), resolved)
    assert doc["incident_updates"][0]["affected_components"] == [
        {"code": "c2", "name": "Web", "old_status": "partial_outage", "new_status": "operational"},
        {"code": "c3", "name": "Database", "old_status": "major_outage",
         "new_status": "operational"},
    ]  # fmt: skip
    quiet_end = incident(35, "Blip", [(36, "resolved", "Gone.", 1, ())], (), "none")
    assert sj.incident(sample(), quiet_end)["incident_updates"][0]["affected_components"] is None


def test_incidents_lists_open_and_resolved_newest_first_at_most_fifty() -> None:
    """incidents.json: open and resolved, newest first, 50 at most; unresolved: open only."""
    view = sample()
    assert [d["id"] for d in sj.incidents(view)["incidents"]] == ["i7", "i5"]
    assert [d["id"] for d in sj.unresolved(view)["incidents"]] == ["i7"]
    assert [d["id"] for d in sj.summary(view)["incidents"]] == ["i7"]
    many = tuple(
        incident(100 + n, f"Blip {n}", [(1000 + n, "resolved", "Gone.", -n, ())], (), "none")
        for n in range(60)
    )
    listed = sj.incidents(replace(view, resolved_incidents=many))["incidents"]
    assert len(listed) == 50
    assert listed[0]["id"] == "i7" and listed[1]["id"] == "i100"
    assert sj.unresolved(quiet())["incidents"] == []


def test_scheduled_maintenance_statuses_and_phases() -> None:
    """Maintenance: scheduled_for/until, its phases as updates, components under maintenance."""
    docs = {d["id"]: d for d in sj.scheduled_maintenances(sample())["scheduled_maintenances"]}
    assert list(docs) == ["m2", "m1", "m3"]  # newest scheduled_for first
    assert {k: (d["status"], d["impact"]) for k, d in docs.items()} == {
        "m1": ("in_progress", "maintenance"),
        "m2": ("scheduled", "maintenance"),
        "m3": ("completed", "maintenance"),
    }
    ongoing = docs["m1"]
    assert ongoing["scheduled_for"] == "2026-12-01T12:00:00.000+00:00"
    assert ongoing["scheduled_until"] == "2026-12-01T13:00:00.000+00:00"
    assert [c["id"] for c in ongoing["components"]] == ["c3"]
    assert [u["status"] for u in ongoing["incident_updates"]] == ["in_progress", "scheduled"]
    assert ongoing["incident_updates"][0]["affected_components"] == [
        {"code": "c3", "name": "Database", "old_status": "operational",
         "new_status": "under_maintenance"}
    ]  # fmt: skip
    done = docs["m3"]
    assert [u["status"] for u in done["incident_updates"]] == [
        "completed",
        "in_progress",
        "scheduled",
    ]
    assert done["resolved_at"] == done["scheduled_until"]
    assert done["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"
    assert docs["m2"]["incident_updates"][0]["affected_components"] is None


def test_summary_shows_upcoming_and_active_maintenance_soonest_first() -> None:
    """summary.json leaves completed maintenance out; upcoming/active split the rest."""
    view = sample()
    assert [m["id"] for m in sj.summary(view)["scheduled_maintenances"]] == ["m1", "m2"]
    assert [m["id"] for m in sj.upcoming(view)["scheduled_maintenances"]] == ["m2"]
    assert [m["id"] for m in sj.active(view)["scheduled_maintenances"]] == ["m1"]
    assert sj.summary(quiet())["scheduled_maintenances"] == []


def test_naive_times_are_utc_and_every_time_has_an_offset() -> None:
    """Times read back naive (SQLite) are written as UTC with an explicit offset."""
    naive = maintenance(9, "scheduled", 5)
    naive = replace(naive, scheduled_for=naive.scheduled_for.replace(tzinfo=None))
    doc = sj.maintenance(sample(), naive)
    assert doc["scheduled_for"] == (T0 + timedelta(hours=5)).isoformat(timespec="milliseconds")
    assert doc["scheduled_for"].endswith("+00:00")


def test_an_update_naming_a_component_no_longer_on_the_page_keeps_its_slug() -> None:
    """A component removed since the update was published is named by its slug, not dropped."""
    view = sample()
    gone = incident(40, "Old", [(41, "investigating", "x", 1, (("legacy", "major_outage"),))],
                    (("legacy", "major_outage"),), "critical")  # fmt: skip
    doc = sj.incident(view, gone)
    assert doc["incident_updates"][0]["affected_components"] == [
        {"code": "legacy", "name": "legacy", "old_status": "operational",
         "new_status": "major_outage"}
    ]  # fmt: skip
    assert doc["components"] == []


def test_documents_cover_every_interface_path() -> None:
    """The served names (the issue's interface) each have a renderer."""
    names = set(SCHEMAS)
    assert names <= set(sj.DOCUMENTS)
    view: PageView = sample()
    assert all(sj.DOCUMENTS[n](view)["page"]["id"] == "public" for n in names)


def test_the_schemas_accept_a_response_in_statuspages_documented_shape() -> None:
    """A summary laid out as Atlassian's documentation shows (ids, offsets, a group) passes,
    so the schemas describe Statuspage, not merely what we happen to emit."""
    example = json.loads((FIXTURES / "example_summary.json").read_text())
    assert errors("summary.json", example) == []
    assert errors("status.json", {"page": example["page"], "status": example["status"]}) == []
