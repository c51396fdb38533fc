"""Runbook engine figures: load 1,000 runbooks, reload after 10 edits, suggestion latency, and
suggestion quality of the shipped pack on the real-alert evaluation set.

Run: .venv/bin/python benchmarks/runbooks.py [--count 1000] [--queries 500] [--quality] [--details]
     .venv/bin/python benchmarks/runbooks.py --sweep
The latency corpus is synthetic but shaped like real runbooks (front matter with matchers,
symptoms, tags, parameters, six sections, checklists and actions) and seeded, so figures are
comparable between runs. The quality figures (recall@1/@3, MRR, the "no runbook" rate and the
wrong-suggestion rate, overall and per language) come from ranking the shipped pack for every
case in ``tests/fixtures/alert_rules/`` (see ``tests/unit/runbooks/real_alerts.py``);
``--quality`` prints only them, ``--details`` adds every miss and wrong suggestion, ``--sweep``
prints them at score thresholds from 0.08 to 0.40 (to choose the abstention bar).
Prints a fixed-width table; no assertion (tests assert behaviour, not time).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harness import figure, percentile
from plantao.runbooks.library import RunbookLibrary, default_pack_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The repository root is not on sys.path when a benchmark runs as a script.
from tests.unit.runbooks.real_alerts import (
    Case,
    evaluate,
    index_ranker,
    load_cases,
)

COMPONENTS = [
    "kafka",
    "postgres",
    "redis",
    "nginx",
    "ingress",
    "api-gateway",
    "orders",
    "payments",
    "billing",
    "search",
    "elasticsearch",
    "rabbitmq",
    "s3",
    "minio",
    "dns",
    "etcd",
    "coredns",
    "kubelet",
    "scheduler",
    "mobile-sync",
    "checkout",
    "auth",
    "session",
    "cdn",
    "mailer",
]
FAILURES = [
    ("lag", "consumer lag growing", "ConsumerLag"),
    ("latency", "p99 latency high", "LatencyHigh"),
    ("errors", "5xx error rate spike", "ErrorRate"),
    ("disk", "disk almost full", "DiskFull"),
    ("memory", "memory leak oom kills", "MemoryHigh"),
    ("cpu", "cpu throttling", "CPUThrottled"),
    ("connections", "connection pool exhausted", "TooManyConnections"),
    ("certificate", "tls certificate expiring", "CertExpiring"),
    ("replication", "replication lag behind primary", "ReplicationLag"),
    ("restarts", "pods crash looping", "CrashLooping"),
    ("queue", "queue depth growing", "Queue"),
    ("locks", "lock contention deadlocks", "Deadlocks"),
]
_PROSE = (
    "check dashboard rollback deploy traffic canary config flag limit scale replicas "
    "partition index query cache timeout retry backoff owner escalate verify graph"
)
WORDS = _PROSE.split()


def runbook_text(i: int, rng: random.Random) -> str:
    comp = COMPONENTS[i % len(COMPONENTS)]
    slug, symptom, alert = FAILURES[(i // len(COMPONENTS)) % len(FAILURES)]
    camel = "".join(p.capitalize() for p in comp.split("-"))
    prose = " ".join(rng.choice(WORDS) for _ in range(120))
    return f"""---
id: {comp}-{slug}-{i}
title: {comp} {symptom} (variant {i})
lang: {"en" if i % 3 else "pt-BR"}
owner: team-{i % 17}
services: [{comp}]
alerts:
  - alertname="{camel}{alert}{i}"
  - severity!="info"
symptoms: [{symptom}, {comp} degraded]
last_reviewed: 2026-11-01
tags: [{comp}, {slug}]
parameters:
  target: {{type: string, pattern: '^[a-z0-9-]+$', required: true}}
---
# {comp} {symptom}

## Symptom
{symptom} on {comp}. {prose[:300]}

## Diagnosis
- [ ] {prose[300:420]}

```sh {{action=inspect danger=read params=target}}
echo "$TARGET"
```

## Mitigation
- [ ] {prose[420:560]}

## Verification
- [ ] {prose[560:640]}

## Follow-up
{prose[640:]}

## Escalate
Escalate to team-{i % 17} after 30 minutes.
"""


def queries(count: int, rng: random.Random) -> list[tuple[dict[str, str], dict[str, str]]]:
    out = []
    for _ in range(count):
        comp = rng.choice(COMPONENTS)
        _, symptom, alert = rng.choice(FAILURES)
        camel = "".join(p.capitalize() for p in comp.split("-"))
        labels = {"alertname": f"{camel}{alert}", "service": comp, "severity": "critical"}
        annotations = {
            "summary": f"{symptom} on {comp}",
            "description": " ".join(rng.choice(WORDS) for _ in range(15)),
        }
        out.append((labels, annotations))
    return out


def quality(details: bool) -> None:
    """Rank the shipped pack for every real-alert case and print the figures per language."""
    t0 = time.perf_counter()
    library = RunbookLibrary.load(default_pack_dir())
    t1 = time.perf_counter()
    index = library.index()
    t2 = time.perf_counter()
    cases = load_cases()
    latencies: list[float] = []
    rank = index_ranker(index)

    def timed(case: Case) -> Sequence[str]:
        start = time.perf_counter()
        found = rank(case)
        latencies.append((time.perf_counter() - start) * 1000)
        return found

    report = evaluate(timed, cases)
    rules = len({(c.source, c.rule) for c in cases})
    print(
        f"runbooks quality: shipped pack ({len(library.ids())} ids, {len(library.all())} files) "
        f"on {len(cases)} real alerts ({rules} rules)"
    )
    print(figure("pack load (parse)", f"{(t1 - t0) * 1000:9.1f} ms", 35))
    print(figure("index rebuild, shipped pack", f"{(t2 - t1) * 1000:9.1f} ms", 35))
    print(
        figure(
            "suggest p99, real alerts", f"{percentile(latencies, 0.99, method='rank'):9.2f} ms", 35
        )
    )
    print(report.text(details=details))


def sweep() -> None:
    """Print the quality figures of the shipped pack at a range of score thresholds."""
    index = RunbookLibrary.load(default_pack_dir()).index()
    cases = load_cases()
    print("threshold sweep: shipped pack on the real alerts (all languages)")
    for step in range(8, 41, 2):
        threshold = step / 100
        scores = evaluate(index_ranker(index, threshold=threshold), cases).overall
        print(f"threshold={threshold:.2f} {scores.line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--quality", action="store_true", help="print only the quality figures")
    parser.add_argument("--details", action="store_true", help="list misses and wrong suggestions")
    parser.add_argument("--sweep", action="store_true", help="quality at thresholds 0.08-0.40")
    args = parser.parse_args()
    if args.sweep:
        sweep()
        return
    if args.quality:
        quality(args.details)
        return
    rng = random.Random(42)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for i in range(args.count):
            path = root / ("pt-BR" if i % 3 == 0 else "en") / f"rb-{i:04d}.md"
            path.parent.mkdir(exist_ok=True)
            path.write_text(runbook_text(i, rng), encoding="utf-8")
            paths.append(path)

        t0 = time.perf_counter()
        library = RunbookLibrary.load(root)
        t1 = time.perf_counter()
        library.index()
        t2 = time.perf_counter()
        assert len(library.all()) == args.count, library.problems[:3]
        rows.append(("full load (parse)", f"{(t1 - t0) * 1000:9.1f} ms"))
        rows.append(("index build (BM25F postings)", f"{(t2 - t1) * 1000:9.1f} ms"))

        t0 = time.perf_counter()
        report = library.reload_if_changed()
        rows.append(("reload, nothing changed", f"{(time.perf_counter() - t0) * 1000:9.1f} ms"))
        assert not report.any

        for path in rng.sample(paths, 10):
            path.write_text(path.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        t0 = time.perf_counter()
        report = library.reload_if_changed()
        t1 = time.perf_counter()
        library.index()
        t2 = time.perf_counter()
        assert len(report.changed) == 10
        rows.append(("reload after touching 10 files", f"{(t1 - t0) * 1000:9.1f} ms"))
        rows.append(("  + index rebuild", f"{(t2 - t1) * 1000:9.1f} ms"))

        index = library.index()
        latencies = []
        for labels, annotations in queries(args.queries, rng):
            t0 = time.perf_counter()
            index.suggest(labels, annotations, k=3)
            latencies.append((time.perf_counter() - t0) * 1000)
        p99 = percentile(latencies, 0.99, method="rank")
        rows.append(
            (f"suggest p50 ({args.queries} queries)", f"{statistics.median(latencies):9.2f} ms")
        )
        rows.append((f"suggest p99 ({args.queries} queries)", f"{p99:9.2f} ms"))
        rows.append(("suggest max", f"{max(latencies):9.2f} ms"))

    print(f"runbooks benchmark: {args.count} runbooks")
    for name, value in rows:
        print(figure(name, value, 35))
    print()
    quality(args.details)


if __name__ == "__main__":
    main()
