"""Server time of the responder's pages on PostgreSQL: the incident list with 5,000 open
incidents and an incident page with 2,000 timeline entries and 200 alerts (issue 10's target:
p99 < 150 ms for each).

Everything is made through the product: a real ``plantao serve`` on a PostgreSQL database of its
own pages a loopback receiver for every incident (so the list's "who's on it" column has real
pages and deliveries); 5,000 incidents are opened by Alertmanager webhooks (one group each), the
big incident gets 200 alerts in one webhook group and its remaining timeline entries as notes
through the API. A person logs in with a password like a browser does and the pages are fetched
sequentially over one keep-alive connection; each request's time is measured at the client on
loopback (an upper bound of the server time: it includes the loopback round trip, well under a
millisecond). Usage::

    .venv/bin/python benchmarks/web_pages.py [--incidents 5000] [--requests 200]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from harness import (
    default_postgres_url,
    figure,
    percentile,
    plantao_with_receiver,
    print_footer,
    print_header,
    run_cli,
)
from loadgen import webhook_alert, webhook_body

KEY = "bench-web-pages-key-0123456789"
WIDTH = 44


def config(hook: str) -> str:
    return f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - handle: ana
    name: Ana
    email: ana@example.com
    contact_methods:
      - {{name: hook, type: webhook, address: "{hook}/page", secret: bench-secret-0123456789}}
    notification_rules:
      - {{contact: hook, after: 0m}}
    throttle: {{limit: 1000, window: 1m}}
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: primary}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: checkout, key: {KEY}}}
escalation_policies:
  - {{slug: primary, name: Primary, steps: [{{delay: 0m, targets: [{{user: ana}}]}}]}}
severity_matrix:
  default: sev2
"""


def ignore(_arrived: float, _path: str, _headers: dict[str, str], _body: bytes) -> None:
    return None


def open_incidents(base: str, count: int) -> None:
    """``count`` incidents, one Alertmanager group each, 50 webhooks in flight."""
    url = f"{base}/api/v1/intake/{KEY}/alertmanager"

    def send(start: int) -> None:
        with httpx.Client(timeout=60.0) as client:
            for n in range(start, min(start + 100, count)):
                labels = {"alertname": f"BenchAlert{n}", "instance": f"node-{n}:9100"}
                body = webhook_body(
                    f'{{}}:{{alertname="BenchAlert{n}"}}',
                    {"alertname": f"BenchAlert{n}"},
                    labels,
                    [webhook_alert(labels, {"summary": f"bench incident {n}"})],
                )
                res = client.post(url, content=body, headers={"content-type": "application/json"})
                res.raise_for_status()

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(0, count, 100)))


def big_incident(base: str, token: str, alerts: int, entries: int) -> str:
    """One incident with ``alerts`` alerts and about ``entries`` timeline entries."""
    labels = {"alertname": "BigIncident", "job": "checkout"}
    body = webhook_body(
        '{}:{alertname="BigIncident"}',
        {"alertname": "BigIncident"},
        labels,
        [
            webhook_alert(
                {**labels, "instance": f"pod-{n}"},
                {
                    "summary": f"checkout pod-{n} 5xx above 20%",
                    "description": "Error ratio over 5 minutes. " * 8,
                    "runbook_url": "https://runbooks.example.com/checkout-errors",
                },
            )
            for n in range(alerts)
        ],
    )
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=60.0, headers=auth) as client:
        client.post(
            f"/api/v1/intake/{KEY}/alertmanager",
            content=body,
            headers={"content-type": "application/json"},
        ).raise_for_status()
        ref = wait_for(client, "5xx above 20%")
        have = len(client.get(f"/api/v1/incidents/{ref}").json()["timeline"])

    def note(chunk: range) -> None:
        with httpx.Client(base_url=base, timeout=60.0, headers=auth) as client:
            for n in chunk:
                client.post(
                    f"/api/v1/incidents/{ref}/notes",
                    json={"text": f"note {n}: checked the pods, errors still above 20%\nline 2"},
                ).raise_for_status()

    missing = max(0, entries - have)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(note, [range(i, min(i + 100, missing)) for i in range(0, missing, 100)]))
    return ref


def wait_for(client: httpx.Client, title_part: str, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = client.get("/api/v1/incidents", params={"limit": 200}).json()["items"]
        for item in items:
            if title_part in item["title"]:
                return str(item["human_id"])
        time.sleep(0.5)
    raise RuntimeError(f"no incident titled {title_part}")


def wait_open(base: str, token: str, count: int, timeout: float = 600.0) -> None:
    """Until the engine has applied every accepted alert (the open count reaches ``count``)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=60.0) as client:
        while time.monotonic() < deadline:
            text = client.get("/metrics").text
            match = re.findall(r"^plantao_open_incidents\{[^}]*\} ([0-9.e+]+)$", text, re.M)
            if sum(float(m) for m in match) >= count:
                return
            time.sleep(1.0)
    raise RuntimeError(f"fewer than {count} open incidents after {timeout:.0f} s")


def time_pages(
    base: str, cookies: httpx.Cookies, paths: list[str], requests: int
) -> dict[str, Any]:
    """Per path: ``requests`` sequential GETs after 5 warm-ups; times in milliseconds."""
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base, cookies=cookies, timeout=60.0) as client:
        for path in paths:
            for _ in range(5):
                client.get(path).raise_for_status()
            times = []
            size = 0
            for _ in range(requests):
                started = time.perf_counter()
                res = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                res.raise_for_status()
                size = len(res.content)
            results[path] = (times, size)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=default_postgres_url())
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print_header(
        "web pages",
        f"PostgreSQL; {args.incidents} open incidents + one with {args.alerts} alerts and "
        f"~{args.entries} timeline entries; {args.requests} sequential GETs per page",
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        plantao_with_receiver(
            args.postgres_url,
            config,
            ignore,
            workdir=Path(tmp),
            serve_args=(),
            workers=0,
        ) as (plantao, _receiver),
    ):
        env = {"PLANTAO_DATABASE_URL": plantao.database_url}
        import os

        environment = {**os.environ, **env}
        password = run_cli(environment, Path(tmp), "demo", "admin").strip().splitlines()[-1]
        token = (
            run_cli(
                environment,
                Path(tmp),
                "tokens",
                "create",
                "--user",
                "admin",
                "--scopes",
                "admin",
                "--name",
                "bench",
            )
            .strip()
            .splitlines()[-1]
        )
        started = time.monotonic()
        open_incidents(plantao.base_url, args.incidents)
        ref = big_incident(plantao.base_url, token, args.alerts, args.entries)
        wait_open(plantao.base_url, token, args.incidents + 1)
        print(f"# seeded in {time.monotonic() - started:.0f} s", flush=True)
        with httpx.Client(base_url=plantao.base_url, timeout=60.0) as client:
            res = client.post(
                "/login",
                data={"handle": "admin", "password": password, "next": "/"},
                follow_redirects=False,
            )
            if res.status_code != 303:
                raise RuntimeError(f"login answered {res.status_code}")
            cookies = client.cookies
        paths = ["/", "/?status=open&severity=sev2", f"/incidents/{ref}"]
        results = time_pages(plantao.base_url, cookies, paths, args.requests)
        for path, (times, size) in results.items():
            label = "incident page" if path.startswith("/incidents/") else f"list {path}"
            print(
                figure(
                    label,
                    f"median {statistics.median(times):.1f} ms, p90 "
                    f"{percentile(times, 0.9):.1f} ms, p99 {percentile(times, 0.99):.1f} ms, "
                    f"max {max(times):.1f} ms, {size / 1024:.0f} KiB",
                    WIDTH,
                ),
                flush=True,
            )
        print(orjson.dumps({p: sorted(t)[len(t) // 2] for p, (t, _) in results.items()}).decode())
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
