"""Small, self-contained SVG charts for reports: line (burn-up, retention) and bar charts.

Every function returns an ``<svg>`` string that needs no script, font download or network:
it scales to its container (``viewBox`` + ``width="100%"``), prints in black and white
(series also differ by dash pattern, not only by colour) and carries a ``<title>`` and
``<desc>`` for screen readers.

Why hand-written SVG rather than a charting library: the three chart shapes a campaign report
needs are simple; pygal (the one pure-Python SVG library that works offline) wants a
JavaScript tooltip file from the network by default, ships its own CSS theme, and adds a
dependency for ~200 lines of arithmetic; matplotlib is tens of megabytes and slow to import.
Writing the SVG keeps the report's look consistent (one stylesheet), deterministic (tests can
assert on points) and small.

Public API::

    Series(name, points, colour=..., dashed=False)
    line_chart(series, title=..., x_labels=..., y_format=..., hlines=..., vline=...) -> str
    bar_chart(bars, title=..., value_format=...) -> str
    burnup_chart(...), retention_chart(...)  # the two line charts reports draw
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from xhsgrow.rendering.filters import percent

#: Colour-blind-safe palette (Okabe-Ito), dark enough to read on white paper.
PALETTE: dict[str, str] = {
    "actual": "#0072B2",
    "expected": "#6b6b6b",
    "forecast": "#0072B2",
    "target": "#D55E00",
    "good": "#009E73",
    "warn": "#C08A00",
    "bad": "#D55E00",
    "muted": "#9a9a9a",
}
FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'PingFang SC', 'Hiragino Sans GB', "
    "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
)

X = float | int | dt.date


@dataclass(frozen=True)
class Series:
    """One line: ``points`` are (x, y) with x a date or a number; y None leaves a gap."""

    name: str
    points: Sequence[tuple[X, float | None]]
    colour: str = PALETTE["actual"]
    dashed: bool = False
    width: float = 2.5
    markers: bool = False


@dataclass(frozen=True)
class HLine:
    """A horizontal reference line, e.g. the target."""

    y: float
    label: str
    colour: str = PALETTE["target"]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    target: float | None = None  # drawn as a tick across the bar
    colour: str = PALETTE["actual"]
    note: str = ""  # text after the value, e.g. "82% of target"


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x0: float
    x1: float
    y0: float
    y1: float

    def sx(self, x: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (x - self.x0) / span * (self.width - self.left - self.right)

    def sy(self, y: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return (
            self.height
            - self.bottom
            - (y - self.y0) / span * (self.height - self.top - self.bottom)
        )


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v < hi + step * 0.5:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def compact_number(value: float) -> str:
    """Axis labels: 1200 -> 1.2k, 3,400,000 -> 3.4M (locale-free, short)."""
    v = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    if v and v < 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.0f}"


def _num(x: X) -> float:
    if isinstance(x, dt.date):
        return float(x.toordinal())
    return float(x)


def _f(v: float) -> str:
    return f"{v:.1f}"


def _open(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" class="chart" '
        f'font-family="{escape(FONT)}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    desc: str = "",
    width: int = 760,
    height: int = 300,
    x_label: Callable[[X], str] | None = None,
    x_ticks: Sequence[X] | None = None,
    x_range: tuple[X, X] | None = None,
    y_format: Callable[[float], str] = compact_number,
    y_max: float | None = None,
    hlines: Sequence[HLine] = (),
    vline: tuple[X, str] | None = None,
) -> str:
    """A line chart with a legend; dates on x are spaced by calendar day."""
    pts = [(_num(x), y) for s in series for x, y in s.points]
    xs = [x for x, _ in pts]
    ys = [y for _, y in pts if y is not None] + [h.y for h in hlines]
    if x_range is not None:
        x0, x1 = _num(x_range[0]), _num(x_range[1])
    elif xs:
        x0, x1 = min(xs), max(xs)
    else:
        x0, x1 = 0.0, 1.0
    top_value = max([*ys, 0.0]) if y_max is None else y_max
    yt = nice_ticks(0.0, top_value if top_value > 0 else 1.0)
    legend_rows = 1 if len(series) + len(hlines) <= 4 else 2
    frame = _Frame(width, height, 56, 30, 14 + 18 * legend_rows, 34, x0, x1, yt[0], yt[-1])
    out = _open(width, height, title, desc or title)

    # grid and y axis
    for t in yt:
        y = frame.sy(t)
        out.append(
            f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{_f(y)}" y2="{_f(y)}" '
            f'stroke="#e3e3e3" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{frame.left - 6}" y="{_f(y + 4)}" text-anchor="end" fill="#555">'
            f"{escape(y_format(t))}</text>"
        )
    base = frame.sy(yt[0])
    out.append(
        f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{_f(base)}" y2="{_f(base)}" '
        f'stroke="#888" stroke-width="1"/>'
    )
    # x ticks
    if x_ticks is None:
        x_ticks = _auto_x_ticks(x0, x1, series)
    for t in x_ticks:
        x = frame.sx(_num(t))
        label = x_label(t) if x_label else _default_x_label(t)
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(base)}" y2="{_f(base + 4)}" stroke="#888"/>'
        )
        out.append(
            f'<text x="{_f(x)}" y="{_f(base + 18)}" text-anchor="middle" fill="#555">'
            f"{escape(label)}</text>"
        )
    # reference lines
    for h in hlines:
        y = frame.sy(h.y)
        out.append(
            f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{_f(y)}" y2="{_f(y)}" '
            f'stroke="{h.colour}" stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
    if vline is not None:
        x = frame.sx(_num(vline[0]))
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{frame.top}" y2="{_f(base)}" '
            f'stroke="#444" stroke-width="1" stroke-dasharray="1 3"/>'
        )
        anchor = "end" if x > width * 0.8 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            f'<text x="{_f(x + dx)}" y="{frame.top + 12}" text-anchor="{anchor}" fill="#444" '
            f'font-size="11">{escape(vline[1])}</text>'
        )
    # series
    for s in series:
        for run in _runs(s.points):
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{_f(frame.sx(_num(x)))},{_f(frame.sy(y))}"
                for i, (x, y) in enumerate(run)
            )
            dash = ' stroke-dasharray="7 5"' if s.dashed else ""
            out.append(
                f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="{s.width}" '
                f'stroke-linejoin="round" stroke-linecap="round"{dash}>'
                f"<title>{escape(s.name)}</title></path>"
            )
            if s.markers or len(run) == 1:
                for x, y in run:
                    out.append(
                        f'<circle cx="{_f(frame.sx(_num(x)))}" cy="{_f(frame.sy(y))}" r="3.5" '
                        f'fill="{s.colour}"/>'
                    )
    out.extend(_legend(series, hlines, frame))
    out.append("</svg>")
    return "\n".join(out)


def _runs(points: Sequence[tuple[X, float | None]]) -> list[list[tuple[X, float]]]:
    runs: list[list[tuple[X, float]]] = [[]]
    for x, y in points:
        if y is None or (isinstance(y, float) and not math.isfinite(y)):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, float(y)))
    return [r for r in runs if r]


def _legend(series: Sequence[Series], hlines: Sequence[HLine], frame: _Frame) -> list[str]:
    items: list[tuple[str, str, str]] = []
    for s in series:
        items.append((s.name, s.colour, "7 5" if s.dashed else ""))
    for h in hlines:
        items.append((h.label, h.colour, "2 3"))
    out = []
    x, y = float(frame.left), 16.0
    for name, colour, dash in items:
        w = 30 + 7.2 * _text_width(name)
        if x + w > frame.width - frame.right and x > frame.left:
            x, y = float(frame.left), y + 18
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{_f(x)}" x2="{_f(x + 22)}" y1="{_f(y - 4)}" y2="{_f(y - 4)}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
        )
        out.append(f'<text x="{_f(x + 27)}" y="{_f(y)}" fill="#333">{escape(name)}</text>')
        x += w
    return out


def _text_width(text: str) -> float:
    """Rough width in average Latin characters; CJK glyphs count double."""
    return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in text)


def _auto_x_ticks(x0: float, x1: float, series: Sequence[Series]) -> list[X]:
    dates = any(isinstance(x, dt.date) for s in series for x, _ in s.points)
    span = x1 - x0
    n = 6
    if dates:
        step = max(1, math.ceil(span / n)) if span > 0 else 1
        first = dt.date.fromordinal(int(x0))
        ticks: list[X] = [first + dt.timedelta(days=i) for i in range(0, int(span) + 1, int(step))]
        return ticks
    return list(nice_ticks(x0, x1, n)) if span > 0 else [x0]


def _default_x_label(x: X) -> str:
    if isinstance(x, dt.date):
        return f"{x.month:02d}-{x.day:02d}"
    return compact_number(float(x))


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str = "",
    width: int = 760,
    value_format: Callable[[float], str] = compact_number,
    target_label: str = "target",
) -> str:
    """Horizontal bars, one per segment, longest label on the left; a tick marks a target."""
    row = 26
    label_w = min(200, 24 + int(7 * max([_text_width(b.label) for b in bars] or [4])))
    top = 30 + (20 if any(b.target is not None for b in bars) else 0)
    height = top + row * max(len(bars), 1) + 8
    hi = max([b.value for b in bars] + [b.target or 0 for b in bars] + [0.0])
    hi = hi or 1.0
    right = 150
    plot_w = width - label_w - right
    out = _open(width, height, title, desc or title)
    out.append(f'<text x="8" y="18" font-weight="600" fill="#333">{escape(title)}</text>')
    if top > 30:
        out.append(
            f'<line x1="{label_w}" x2="{label_w}" y1="29" y2="39" stroke="#222" '
            f'stroke-width="2.5"/><text x="{label_w + 6}" y="38" fill="#333">'
            f"{escape(target_label)}</text>"
        )
    for i, b in enumerate(bars):
        y = top + i * row
        w = max(0.0, b.value) / hi * plot_w
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="#333">'
            f"{escape(b.label)}</text>"
        )
        out.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{_f(w)}" height="{row - 8}" rx="2" '
            f'fill="{b.colour}"><title>{escape(b.label)}: {escape(value_format(b.value))}'
            f"</title></rect>"
        )
        if b.target is not None:
            tx = label_w + b.target / hi * plot_w
            out.append(
                f'<line x1="{_f(tx)}" x2="{_f(tx)}" y1="{y + 1}" y2="{y + row - 1}" '
                f'stroke="#222" stroke-width="2.5"/>'
            )
        text = value_format(b.value) + (f"  {b.note}" if b.note else "")
        out.append(
            f'<text x="{_f(label_w + plot_w + 8)}" y="{y + 17}" fill="#333">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class BurnupLabels:
    actual: str = "actual"
    expected: str = "expected"
    forecast: str = "forecast"
    target: str = "target"
    today: str = "as of"


def burnup_chart(
    *,
    title: str,
    cumulative: Sequence[tuple[dt.date, float]],
    expected: Sequence[tuple[dt.date, float]],
    target: float | None,
    forecast: float | None,
    window: tuple[dt.date, dt.date],
    as_of: dt.date | None = None,
    labels: BurnupLabels = BurnupLabels(),
    y_format: Callable[[float], str] = compact_number,
    x_label: Callable[[X], str] | None = None,
) -> str:
    """Actual cumulative vs the expected curve and the target, forecast dashed to window end.

    ``expected`` holds absolute expected values (share × target), not shares.
    """
    series = []
    if expected:
        series.append(
            Series(labels.expected, list(expected), colour=PALETTE["expected"], width=1.8)
        )
    if cumulative:
        series.append(Series(labels.actual, list(cumulative), colour=PALETTE["actual"]))
    if forecast is not None and cumulative and cumulative[-1][0] < window[1]:
        last_day, last_value = cumulative[-1]
        series.append(
            Series(
                labels.forecast,
                [(last_day, last_value), (window[1], forecast)],
                colour=PALETTE["forecast"],
                dashed=True,
                width=2,
            )
        )
    hlines = [HLine(target, labels.target)] if target else []
    vline = None
    if as_of is not None and window[0] <= as_of < window[1]:
        vline = (as_of, f"{labels.today} {_default_x_label(as_of)}")
    desc = title
    if cumulative:
        desc += f": {labels.actual} {y_format(cumulative[-1][1])}"
    if target:
        desc += f", {labels.target} {y_format(target)}"
    if forecast is not None:
        desc += f", {labels.forecast} {y_format(forecast)}"
    return line_chart(
        series,
        title=title,
        desc=desc,
        x_range=window,
        y_format=y_format,
        hlines=hlines,
        vline=vline,
        x_label=x_label,
    )


def retention_chart(
    *,
    title: str,
    points: Sequence[tuple[int, float | None]],
    name: str = "retention",
    x_label: Callable[[X], str] | None = None,
) -> str:
    """Share of new users still active n days later (0..1), plotted as a percentage."""
    top = max([y for _, y in points if y is not None] + [0.0])
    y_max = min(1.0, max(0.05, top * 1.15))
    return line_chart(
        [Series(name, list(points), colour=PALETTE["good"], markers=True)],
        title=title,
        x_ticks=[x for x, _ in points],
        x_label=x_label or (lambda x: f"D{x}"),
        y_format=lambda v: percent(v, 0),
        y_max=y_max,
        height=240,
    )
