"""A real Prometheus Alertmanager delivering real webhooks to a real ``plantao serve``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer, free_port, stop, tail
from tests.factories.requirements import require_component

pytestmark = pytest.mark.e2e

T = TypeVar("T")
WAIT = 30.0
ALERTMANAGER = "prometheus-alertmanager"

# Alertmanager's group_by is [alertname]: one notification group per alertname.
# The checkout group is grouped by a Plantão route (group_by alertname); the platform group has no
# route, so Plantão groups it by Alertmanager's groupKey.
CHECKOUT = "E2ECheckoutErrors"
PLATFORM = "E2EDiskFilling"
GROUPS: dict[str, dict[str, Any]] = {
    CHECKOUT: {
        "labels": {"service": "checkout", "severity": "critical"},
        "instances": ["web-1", "web-2", "web-3"],
        "severity": "sev1",
        "service": "checkout",
    },
    PLATFORM: {
        "labels": {"severity": "warning"},
        "instances": ["db-1", "db-2", "db-3", "db-4"],
        "severity": "sev3",
        "service": "platform",
    },
}


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
    """Poll ``probe`` until it returns something other than None, for at most ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (httpx.HTTPError, AssertionError, KeyError) as exc:
            last_error, value = exc, None
        if value is not None:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last_error!r})")


@dataclass
class Alertmanager:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        answer = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10.0)
        assert answer.status_code == 200, answer.text


def alertmanager_config(webhook_url: str) -> str:
    return f"""
global:
  resolve_timeout: 5m
route:
  receiver: plantao
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 2s
receivers:
  - name: plantao
    webhook_configs:
      - url: "{webhook_url}"
        send_resolved: true
        max_alerts: 0
"""


def start_alertmanager(webhook_url: str, workdir: Path) -> Alertmanager:
    """A real Alertmanager on a free loopback port whose only receiver is ``webhook_url``."""
    binary = shutil.which(ALERTMANAGER)
    require_component(ALERTMANAGER, binary is not None)
    assert binary is not None
    (workdir / "data").mkdir(parents=True)
    config = workdir / "alertmanager.yml"
    config.write_text(alertmanager_config(webhook_url), encoding="utf-8")
    port = free_port()
    log_path = workdir / "alertmanager.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=info",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool | None:
        if process.poll() is not None:
            raise RuntimeError(f"alertmanager exited {process.returncode}:\n{tail(log_path)}")
        return True if httpx.get(f"{url}/-/ready", timeout=2.0).status_code == 200 else None

    try:
        wait_for("Alertmanager /-/ready", ready)
    except BaseException:
        stop(process)
        raise
    return Alertmanager(url, process, log_path)


@pytest.fixture
def alertmanager(plantao_server: PlantaoServer, tmp_path: Path) -> Iterator[Alertmanager]:
    """Alertmanager delivering to the Plantão under test."""
    started = start_alertmanager(plantao_server.alertmanager_url, tmp_path / "alertmanager")
    try:
        yield started
    finally:
        stop(started.process)


def am_alerts(starts_at: datetime, ends_at: datetime | None = None) -> list[dict[str, Any]]:
    """The alerts of both groups as Alertmanager's API takes them (resolved if ends_at given)."""
    alerts: list[dict[str, Any]] = []
    for alertname, group in GROUPS.items():
        for instance in group["instances"]:
            alert: dict[str, Any] = {
                "labels": {"alertname": alertname, "instance": instance, **group["labels"]},
                "annotations": {"summary": f"{alertname} on {instance}"},
                "startsAt": starts_at.isoformat().replace("+00:00", "Z"),
                "generatorURL": "http://prometheus.invalid/graph?g0.expr=up",
            }
            if ends_at is not None:
                alert["endsAt"] = ends_at.isoformat().replace("+00:00", "Z")
            alerts.append(alert)
    return alerts


def incidents(client: httpx.Client) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/incidents", params={"limit": 200})
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def detail(client: httpx.Client, human_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/incidents/{human_id}")
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def by_title(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Incidents keyed by the alertname their title starts with."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        for alertname in GROUPS:
            if item["title"].startswith(alertname):
                assert alertname not in out, f"two incidents for group {alertname}: {items}"
                out[alertname] = item
    return out


def test_alertmanager_groups_dedups_and_auto_resolves(
    plantao_server: PlantaoServer, alertmanager: Alertmanager
) -> None:
    """Real Alertmanager notifications open one incident per group and resolve it when it does."""
    expected_alerts = sum(len(g["instances"]) for g in GROUPS.values())
    starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    alertmanager.post_alerts(am_alerts(starts_at))

    with plantao_server.client() as client:

        def both_groups_complete() -> dict[str, dict[str, Any]] | None:
            found = by_title(incidents(client))
            if set(found) != set(GROUPS):
                return None
            complete = all(
                found[name]["alert_count"] == len(GROUPS[name]["instances"]) for name in GROUPS
            )
            return found if complete else None

        found = wait_for("one incident per Alertmanager group", both_groups_complete)
        assert len(incidents(client)) == len(GROUPS), "only the two groups' incidents exist"
        for name, group in GROUPS.items():
            incident = detail(client, found[name]["human_id"])
            assert incident["status"] == "triggered"
            assert incident["severity"] == group["severity"]
            assert incident["service"] == group["service"]
            assert len(incident["alerts"]) == len(group["instances"])
            assert {a["labels"]["instance"] for a in incident["alerts"]} == set(group["instances"])
            assert {a["severity"] for a in incident["alerts"]} == {group["severity"]}
            assert all(a["source"] == "alertmanager" for a in incident["alerts"])

        # Alertmanager re-sends the whole group every repeat_interval: dedup, not duplicates.
        def resent() -> list[dict[str, Any]] | None:
            alerts = [
                a for name in GROUPS for a in detail(client, found[name]["human_id"])["alerts"]
            ]
            return alerts if all(a["repeat_count"] > 0 for a in alerts) else None

        refreshed = wait_for("Alertmanager's repeated notifications", resent)
        assert len(refreshed) == expected_alerts
        assert len(incidents(client)) == len(GROUPS), "re-sends opened no new incident"

        # The same alerts with endsAt in the past: Alertmanager sends the resolved notification.
        alertmanager.post_alerts(
            am_alerts(starts_at, ends_at=datetime.now(UTC) - timedelta(seconds=5))
        )

        def all_resolved() -> dict[str, dict[str, Any]] | None:
            details = {name: detail(client, found[name]["human_id"]) for name in GROUPS}
            done = all(d["status"] == "resolved" for d in details.values())
            return details if done else None

        resolved = wait_for("Alertmanager's resolved notifications", all_resolved)
        for name, incident in resolved.items():
            assert len(incident["alerts"]) == len(GROUPS[name]["instances"]), "no duplicate rows"
            assert all(a["status"] == "resolved" for a in incident["alerts"])
            assert incident["resolved_at"] is not None
            auto = [e for e in incident["timeline"] if e["kind"] == "incident.resolved"]
            assert len(auto) == 1, incident["timeline"]
            assert auto[0]["actor"] == "integration:am"
            assert auto[0]["data"]["reason"] == "all alerts resolved"
            assert auto[0]["data"]["from"] == "triggered"
            kinds = [e["kind"] for e in incident["timeline"]]
            assert kinds.count("alert.attached") == len(GROUPS[name]["instances"])
            assert kinds.count("alert.resolved") == len(GROUPS[name]["instances"])
        assert len(incidents(client)) == len(GROUPS), "resolution opened no new incident"
