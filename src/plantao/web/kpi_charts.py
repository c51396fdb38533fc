"""Server-side SVG charts for the KPI page: weekly lines (with least-squares trend lines and
dashed target lines), horizontal bars and histograms.

Why our own ~300 lines and not a chart library: the page is served under a strict
Content-Security-Policy (no inline ``<style>``, no ``style=""``, no inline script). pygal, the
usual pure-Python SVG library, embeds a ``<style>`` block and a script in every chart, and a
JavaScript library would need a build or a CDN; both break the CSP or "works offline, no
CDN". These charts use presentation attributes only (``fill``, ``stroke``...), need no
JavaScript, and are plain text the server can cache.

Accessibility: each ``<svg>`` is ``role="img"`` labelled by its own ``<title>`` and ``<desc>``,
and every chart carries its data as a table (``Chart.columns``/``Chart.rows``) that the page
prints right after it — the table, not the picture, is what a screen reader reads. The
background is drawn white so the chart reads the same in the light and the dark scheme.

Pure: no database, no web framework; every text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count
from xml.sax.saxutils import escape, quoteattr

#: Distinct on white, each at least 3:1 against it (WCAG non-text contrast).
PALETTE = ("#0b5cad", "#d9480f", "#2b8a3e", "#7048e8", "#0c8599", "#a61e4d", "#5c940d")
#: The colour of a target line that belongs to no single series.
TARGET_COLOUR = "#c2255c"
TEXT_COLOUR = "#1b1d21"
GRID_COLOUR = "#d5d9e0"
BACKGROUND = "#ffffff"
#: Small enough that 14 px text stays readable when a phone shrinks the chart to ~350 px.
WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 24, 14, 34
FONT = 'font-family="system-ui, sans-serif" font-size="14"'
#: At most this many x labels are written; the others stay in the data table.
MAX_X_LABELS = 6

_ids = count(1)
Format = Callable[[float], str]


@dataclass(frozen=True)
class Line:
    """One series of a line chart: ``values[i]`` belongs to the chart's ``labels[i]``."""

    name: str
    values: tuple[float | None, ...]
    colour: str = ""


@dataclass(frozen=True)
class Target:
    """A dashed horizontal line at ``value`` (a goal such as "MTTA 5 min for Sev1")."""

    label: str
    value: float
    colour: str = TARGET_COLOUR


@dataclass(frozen=True)
class Chart:
    """An SVG picture and the table with the same data (shown after it on the page)."""

    kind: str
    title: str
    svg: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: (name, colour, "line" or "target"): the page draws a dashed swatch for targets.
    legend: tuple[tuple[str, str, str], ...] = ()


def plain(value: float) -> str:
    """A number as a table shows it: integers without decimals, others with up to two."""
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def duration_text(seconds: float) -> str:
    """Seconds as people read a response time: 45 s, 12 min, 3.5 h, 2.1 d."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(seconds) >= size:
            return f"{plain(round(seconds / size, 1))} {unit}"
    return f"{plain(round(seconds))} s"


def percent_text(fraction: float) -> str:
    """A share (0..1) as a percentage."""
    return f"{plain(round(fraction * 100, 1))} %"


def colours(n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def nice_ceiling(top: float) -> float:
    """The smallest round number at or over ``top`` whose quarters are round too (the axis
    has five gridlines): 1, 1.2, 1.6, 2, 3, 4, 6, 8 x 10^k."""
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(top))
    for step in (1.0, 1.2, 1.6, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0):
        if step * power >= top * (1 - 1e-9):
            return step * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def count_ceiling(top: float) -> float:
    """For whole numbers: small axes end at a multiple of 4, so every gridline is a whole
    number (0, 1, 2, 3, 4 rather than 0, 0.3, 0.6...)."""
    if top <= 20:
        return 4.0 * max(1, math.ceil(top / 4))
    return nice_ceiling(top)


def nice_duration(top: float) -> float:
    """``nice_ceiling`` in the unit the axis will be written in (30 min, not 41.7 min)."""
    for size in (86400.0, 3600.0, 60.0):
        if top >= 2 * size:
            return nice_ceiling(top / size) * size
    return nice_ceiling(top)


def trend(values: Sequence[float | None]) -> tuple[float, float] | None:
    """Least-squares line ``(slope, intercept)`` over the present points by index; None with
    fewer than two points (a trend needs two)."""
    points = [(float(i), v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


def _open(kind: str, title: str, desc: str) -> tuple[str, list[str]]:
    uid = f"kpi-chart-{next(_ids)}"
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart kpi-{kind}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="{BACKGROUND}"/>',
    ]
    return uid, head


def _y_axis(top: float, fmt: Format) -> tuple[Callable[[float], float], list[str]]:
    """Gridlines and labels for 0..top; the function maps a value to its y."""
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 2)

    out = ['<g class="axis">']
    for i in range(5):
        value = top * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" y2="{y(value)}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end" {FONT} '
            f'fill="{TEXT_COLOUR}">{escape(fmt(value))}</text>'
        )
    out.append("</g>")
    return y, out


def line_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    lines: Sequence[Line],
    targets: Sequence[Target] = (),
    fmt: Format = plain,
    label_column: str = "",
    axis_labels: Sequence[str] = (),
) -> Chart:
    """Weekly values per series, each with its trend line (dotted, same colour), and the
    target lines (dashed). Missing values (None) break a line instead of drawing it to 0.
    ``axis_labels``: shorter texts under the axis (``11-02``); the table keeps ``labels``."""
    palette = colours(len(lines))
    lines = [
        ln if ln.colour else Line(ln.name, ln.values, palette[i]) for i, ln in enumerate(lines)
    ]
    present = [v for ln in lines for v in ln.values if v is not None]
    highest = max([*present, *(t.value for t in targets), 0.0]) * 1.05
    if fmt is duration_text:
        top = nice_duration(highest)
    elif all(float(v).is_integer() for v in present):
        top = count_ceiling(highest)
    else:
        top = nice_ceiling(highest)
    shown = list(axis_labels) if len(axis_labels) == len(labels) else list(labels)
    _uid, out = _open("line", title, desc)
    y, axis = _y_axis(top, fmt)
    out += axis
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: float) -> float:
        return round(LEFT + (step * i if len(labels) > 1 else plot_w / 2), 2)

    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    out.append('<g class="x-labels">')
    for i, label in enumerate(shown):
        if i % every == 0:
            out.append(
                f'<text x="{x(i)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" {FONT} '
                f'fill="{TEXT_COLOUR}">{escape(label)}</text>'
            )
    out.append("</g>")
    for target in targets:
        ty = y(target.value)
        out.append(
            f'<g class="target" data-value="{target.value:g}">'
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty}" y2="{ty}" '
            f'stroke="{target.colour}" stroke-width="2" stroke-dasharray="8 5">'
            f"<title>{escape(target.label)}: {escape(fmt(target.value))}</title></line></g>"
        )
    for ln in lines:
        out.append(f'<g class="series" data-series={quoteattr(ln.name)}>')
        segment: list[str] = []
        for i, value in enumerate([*ln.values, None]):
            if value is None:
                if len(segment) > 1:
                    out.append(
                        f'<polyline points="{" ".join(segment)}" fill="none" '
                        f'stroke="{ln.colour}" stroke-width="3" stroke-linejoin="round"/>'
                    )
                segment = []
                continue
            segment.append(f"{x(i)},{y(value)}")
        for i, value in enumerate(ln.values):
            if value is not None:
                out.append(
                    f'<circle class="point" cx="{x(i)}" cy="{y(value)}" r="4" '
                    f'fill="{ln.colour}"><title>{escape(ln.name)} {escape(labels[i])}: '
                    f"{escape(fmt(value))}</title></circle>"
                )
        fit = trend(ln.values)
        if fit is not None:
            first = next(i for i, v in enumerate(ln.values) if v is not None)
            last = max(i for i, v in enumerate(ln.values) if v is not None)
            ends = [(i, min(max(fit[0] * i + fit[1], 0.0), top)) for i in (first, last)]
            out.append(
                f'<line class="trend" x1="{x(ends[0][0])}" y1="{y(ends[0][1])}" '
                f'x2="{x(ends[1][0])}" y2="{y(ends[1][1])}" stroke="{ln.colour}" '
                f'stroke-width="1.5" stroke-dasharray="2 4" stroke-linecap="round"/>'
            )
        out.append("</g>")
    out.append("</svg>")
    rows = tuple(
        (label, *("—" if ln.values[i] is None else fmt(ln.values[i] or 0.0) for ln in lines))
        for i, label in enumerate(labels)
    )
    legend = tuple((ln.name, ln.colour, "line") for ln in lines) + tuple(
        (t.label, t.colour, "target") for t in targets
    )
    return Chart(
        kind="line",
        title=title,
        svg="".join(out),
        columns=(label_column, *(ln.name for ln in lines)),
        rows=rows,
        legend=legend,
    )


def bar_chart(
    *,
    title: str,
    desc: str,
    bars: Sequence[tuple[str, float]],
    fmt: Format = plain,
    label_column: str = "",
    value_column: str = "",
) -> Chart:
    """Horizontal bars, one per label (long labels read better on a phone than under columns);
    the value is written at the end of each bar."""
    height = TOP + BOTTOM // 2 + 28 * max(len(bars), 1)
    top = nice_ceiling(max([v for _, v in bars] + [0.0]))
    uid = f"kpi-chart-{next(_ids)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart kpi-bar" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{uid}-t {uid}-d" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="{BACKGROUND}"/>',
    ]
    label_w, room = 170, WIDTH - 170 - 60
    palette = colours(len(bars))
    for i, (label, value) in enumerate(bars):
        y = TOP + 28 * i
        w = round(room * value / top, 2) if value > 0 else 0
        short = label if len(label) <= 16 else label[:15] + "…"
        out.append(
            f'<g class="bar" data-label={quoteattr(label)}>'
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" {FONT} '
            f'fill="{TEXT_COLOUR}">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="20" fill="{palette[i]}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + 15}" {FONT} fill="{TEXT_COLOUR}">'
            f"{escape(fmt(value))}</text></g>"
        )
    out.append("</svg>")
    return Chart(
        kind="bar",
        title=title,
        svg="".join(out),
        columns=(label_column, value_column),
        rows=tuple((label, fmt(value)) for label, value in bars),
    )


def _two_lines(x: float, y: float, label: str) -> str:
    """A bin label on two lines ("15-60" over "min"): six bins share 390 px on a phone."""
    head, _, unit = label.rpartition(" ")
    if not head:
        head, unit = label, ""
    second = f'<tspan x="{x}" dy="14">{escape(unit)}</tspan>' if unit else ""
    return (
        f'<text x="{x}" y="{y}" text-anchor="middle" {FONT} fill="{TEXT_COLOUR}">'
        f"{escape(head)}{second}</text>"
    )


def histogram(
    *,
    title: str,
    desc: str,
    bins: Sequence[tuple[str, int]],
    label_column: str = "",
    value_column: str = "",
) -> Chart:
    """Adjacent columns, one per bin (``"< 5 min"``, ``"5-15 min"``...), in one colour: the
    shape of a distribution, not a comparison of categories."""
    _uid, out = _open("histogram", title, desc)
    top = count_ceiling(max([float(c) for _, c in bins] + [0.0]))
    y, axis = _y_axis(top, plain)
    out += axis
    plot_w = WIDTH - LEFT - RIGHT
    width = plot_w / max(len(bins), 1)
    for i, (label, n) in enumerate(bins):
        x = round(LEFT + width * i, 2)
        out.append(
            f'<g class="bin" data-label={quoteattr(label)}>'
            f'<rect x="{x + 1}" y="{y(n)}" width="{round(width - 2, 2)}" '
            f'height="{round(y(0) - y(n), 2)}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {n}</title></rect>"
            f"{_two_lines(round(x + width / 2, 2), HEIGHT - BOTTOM + 14, label)}</g>"
        )
    out.append("</svg>")
    return Chart(
        kind="histogram",
        title=title,
        svg="".join(out),
        columns=(label_column, value_column),
        rows=tuple((label, str(n)) for label, n in bins),
    )
