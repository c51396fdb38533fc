"""What reading a postmortem costs in the process: the blameless lint's warnings and the
Markdown rendered as HTML, for a typical text and for the largest (200,000 characters) in the
shapes that cost the most, the first time (a new version) and again (kept per text).

Run: .venv/bin/python benchmarks/postmortem_reading.py [--runs 20]

Figures: for each text, cold lint and render p50 / p99 / max (ms; the caches are cleared before
each cold run) and the cached read p50 (ms). Nothing is asserted (the target — a postmortem
opens in well under a second even in the worst case, in milliseconds the second time — is read
by a person). No database: these are the per-read costs on top of the page's queries.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

from harness import figure, percentile, print_footer, print_header
from plantao.postmortems import reading
from plantao.web import postmortem_view

PROSE = (
    "At 03:12 the checkout error rate rose to 20% after the v1.3 deploy; the canary did not "
    "catch it because the payment client's retries were unbounded. Human error was not the "
    "cause: the release process let an untested flag through.\n"
)
TEXTS: dict[str, str] = {
    "typical (12k chars of prose)": "# Postmortem\n\n" + PROSE * 60,
    "max, prose lines (200k)": (PROSE * 1200)[:200_000],
    "max, 100 lines of 2k with 119-char runs": "\n".join([("x" * 119 + " ") * 17] * 100),
    "max, one line of brackets (200k)": "[" * 200_000,
    "max, one line of a* (200k)": "a*" * 100_000,
}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _both(text: str) -> object:
    """A later read: the lint and the rendered page, both from their caches."""
    return reading.lint(text, "en"), postmortem_view.rendered(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print_header(
        "postmortem reading benchmark",
        f"{args.runs} cold and {args.runs} cached reads per text (lint + render), in-process",
    )
    width = 62
    for name, text in TEXTS.items():
        cold_lint: list[float] = []
        cold_render: list[float] = []
        cached: list[float] = []
        for _ in range(args.runs):
            reading._lint.cache_clear()
            postmortem_view.rendered.cache_clear()
            cold_lint.append(timed(partial(reading.lint, text, "en")))
            cold_render.append(timed(partial(postmortem_view.rendered, text)))
            cached.append(timed(partial(_both, text)))
        for label, values in (("lint, cold", cold_lint), ("render, cold", cold_render)):
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            line = f"p50 {p50:.1f} / p99 {p99:.1f} / max {max(values):.1f}"
            print(figure(f"{name}: {label} (ms)", line, width))
        print(figure(f"{name}: cached read p50 (ms)", f"{percentile(cached, 0.5):.3f}", width))
    print_footer()


if __name__ == "__main__":
    main()
