"""Learning from responders: what a replayed feedback history does to suggestion quality, and
what reading the votes back costs the linking job.

Quality: the seeded history of ``tests/unit/runbooks/feedback_replay.py`` (the real-alert set
split by alert family; history alerts fire a few times over 60 days; responders confirm the
fitting runbook shown with p=0.7, link one by hand when none is shown with p=0.4, mark wrong
suggestions not relevant with p=0.5 and confirm a wrong one by mistake with p=0.05), scored on
the held-out cases before and after. Printed for the test's seed in full, then as the mean
change over ``--seeds`` seeds, for a quiet team (each alert fires 1-4 times) and a busy one
(3-10 times); for the shipped pack and for the same pack without its ``families:`` and
``alerts:`` matchers (like an operator's own runbooks: the ranking has only words, misses more,
and feedback has something to recover).

Cost: ``--votes`` votes (default 100,000) over ``--families`` alert families (default 2,000)
and 40 runbooks in a fresh database, then p50/p99 of ``feedback.weights_for`` (one family,
what one alert needs) and of ``feedback.weights_for_many`` for 50 families (a link job's batch),
in process. SQLite by default; ``--postgres URL`` creates a database of its own through URL
and drops it after.

Run: .venv/bin/python benchmarks/runbook_feedback.py [--seeds 20] [--votes 100000]
     [--families 2000] [--postgres URL]
Nothing is asserted (the replay test asserts the floor).
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from harness import PostgresDatabase, figure, percentile, print_footer, print_header
from plantao import clock, migrations
from plantao.db import make_engine, make_sessionmaker
from plantao.runbooks import feedback
from plantao.runbooks.feedback_models import RunbookFeedback
from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.suggest import SuggestIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The repository root is not on sys.path when a benchmark runs as a script.
from tests.unit.runbooks.feedback_replay import SEED, Replay, plain_index, replay
from tests.unit.runbooks.real_alerts import Case, Scores, load_cases

WIDTH = 44
NOW = datetime(2026, 12, 1, tzinfo=UTC)
REGIMES = {"quiet team (1-4 firings)": (1, 4), "busy team (3-10 firings)": (3, 10)}


def _deltas(found: Replay) -> dict[str, float]:
    assert found.before is not None
    assert found.after is not None
    before, after = found.before.overall, found.after.overall

    def change(metric: Callable[[Scores], float]) -> float:
        return metric(after) - metric(before)

    return {
        "recall@1": change(lambda s: s.recall_at_1),
        "recall@3": change(lambda s: s.recall_at_3),
        "MRR": change(lambda s: s.mrr),
        "no-runbook": change(lambda s: s.no_runbook_rate),
        "wrong(nofit)": change(lambda s: s.nofit_wrong_rate),
        "wrong(all)": change(lambda s: s.wrong_rate),
    }


def quality(indexes: dict[str, SuggestIndex], cases: list[Case], seeds: int) -> None:
    """For each library: the test's replay in full, then the mean and worst change over many
    seeds for a quiet and a busy team."""
    for library, index in indexes.items():
        found = replay(index, cases)
        assert found.before is not None
        assert found.after is not None
        print(f"{library}, seed {SEED}: history {len(found.history)} cases, ", end="")
        print(f"votes {dict(found.kinds)}")
        print("held out, before feedback:\n" + found.before.text(details=False))
        print("held out, after feedback:\n" + found.after.text(details=False))
    for (library, index), (name, firings) in itertools.product(indexes.items(), REGIMES.items()):
        runs = [_deltas(replay(index, cases, seed, firings)) for seed in range(seeds)]
        print(f"{library}, {name}: change after feedback, {seeds} seeds (mean / worst):")
        for metric in runs[0]:
            values = [r[metric] for r in runs]
            worst = max(values) if metric.startswith("wrong") else min(values)
            print(figure(f"  {metric}", f"{statistics.mean(values):+.3f} / {worst:+.3f}", WIDTH))


def _seed_votes(session: Session, votes: int, families: int, rng: random.Random) -> None:
    """``votes`` votes over ``families`` families (a few runbooks each), spread over a year."""
    runbooks = [f"runbook-{n:02d}" for n in range(40)]
    rows = []
    for n in range(votes):
        number = rng.randrange(families)
        family = f"family{number:05d}"
        verdict = 1 if rng.random() < 0.8 else -1
        rows.append(
            {
                "family": family,
                "runbook_id": rng.choice(runbooks[: 3 + number % 5]),
                "verdict": verdict,
                "kind": "confirm" if verdict > 0 else "reject",
                "incident_id": None,
                "actor": "bench",
                "reason": None,
                "created_at": NOW - timedelta(seconds=rng.uniform(0, 365 * 86400)),
            }
        )
        if len(rows) == 5000 or n == votes - 1:
            session.execute(insert(RunbookFeedback), rows)
            rows = []
    session.commit()


def cost(url: str, label: str, votes: int, families: int, calls: int = 500) -> None:
    """p50/p99 of reading the votes back, one family and a link job's batch of 50."""
    migrations.upgrade(url)
    engine = make_engine(url, pool_size=1)
    factory = make_sessionmaker(engine)
    rng = random.Random(SEED)
    try:
        with factory() as session:
            t0 = time.perf_counter()
            _seed_votes(session, votes, families, rng)
            seeded = time.perf_counter() - t0
        clock.freeze(NOW)
        one: list[float] = []
        batch: list[float] = []
        with factory() as session:
            for _ in range(calls):
                family = f"family{rng.randrange(families):05d}"
                t0 = time.perf_counter()
                feedback.weights_for(session, family)
                one.append((time.perf_counter() - t0) * 1000)
            for _ in range(calls // 5):
                wanted = [f"family{rng.randrange(families):05d}" for _ in range(50)]
                t0 = time.perf_counter()
                feedback.weights_for_many(session, wanted)
                batch.append((time.perf_counter() - t0) * 1000)
        clock.unfreeze()
        print(f"{label}: {votes} votes over {families} families (seeded in {seeded:.1f} s)")
        print(figure("  weights_for, one family p50", f"{statistics.median(one):8.2f} ms", WIDTH))
        p99 = percentile(one, 0.99, method="rank")
        print(figure("  weights_for, one family p99", f"{p99:8.2f} ms", WIDTH))
        p50 = statistics.median(batch)
        print(figure("  weights_for_many, 50 families p50", f"{p50:8.2f} ms", WIDTH))
        p99 = percentile(batch, 0.99, method="rank")
        print(figure("  weights_for_many, 50 families p99", f"{p99:8.2f} ms", WIDTH))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--postgres", metavar="URL", default="")
    args = parser.parse_args()
    print_header(
        "runbook feedback benchmark",
        f"shipped pack, real-alert set, {args.seeds} seeds; {args.votes} votes",
    )
    library = RunbookLibrary.load(default_pack_dir())
    indexes = {
        "shipped pack": library.index(),
        "pack without families or matchers": plain_index(library.all()),
    }
    quality(indexes, load_cases(), args.seeds)
    if args.postgres:
        with PostgresDatabase(args.postgres) as database:
            cost(database.url, "PostgreSQL", args.votes, args.families)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            cost(f"sqlite:///{tmp}/feedback.db", "SQLite", args.votes, args.families)
    print_footer()


if __name__ == "__main__":
    main()
