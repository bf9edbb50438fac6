"""Gantt-style timeline of a partnership, as text rows (terminal) and as inline SVG (HTML).

SVG styling follows xhsgrow.rendering.charts (palette, font, scalable viewBox, <title> and
<desc> for screen readers), so a brief looks like a report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from xhsgrow.planning.result import TimelineItem


@dataclass(frozen=True)
class TextRow:
    label: str
    bar: str  # exactly ``width`` characters
    item: TimelineItem


def span(items: list[TimelineItem]) -> tuple[dt.date, dt.date]:
    return min(i.start for i in items), max(i.end for i in items)


def text_rows(items: list[TimelineItem], width: int = 48) -> tuple[list[TextRow], str]:
    """One row per item: '█' over its days, '◆' for a milestone ('✔' once done), and an axis
    line with the first day, the last day and month starts marked."""
    lo, hi = span(items)
    days = max(1, (hi - lo).days)

    def col(day: dt.date) -> int:
        return min(width - 1, round((day - lo).days / days * (width - 1)))

    rows = []
    for it in items:
        cells = [" "] * width
        if it.kind == "milestone":
            cells[col(it.start)] = "✔" if it.done else "◆"
        else:
            for c in range(col(it.start), col(it.end) + 1):
                cells[c] = "█"
        rows.append(TextRow(it.label, "".join(cells), it))
    axis = ["─"] * width
    month = dt.date(lo.year, lo.month, 1)
    while month <= hi:
        if month > lo:
            axis[col(month)] = "┼"
        month = _next_month(month)
    axis[0], axis[-1] = "├", "┤"
    return rows, "".join(axis)


def gantt_svg(items: list[TimelineItem], *, title: str, late_label: str = "late") -> str:
    """The timeline as a self-contained inline SVG (no script, no external font)."""
    from xhsgrow.rendering.charts import FONT, PALETTE

    lo, hi = span(items)
    days = max(1, (hi - lo).days)
    row, label_w, right, top = 24, 230, 20, 34
    width = 720
    height = top + row * len(items) + 12
    plot = width - label_w - right
    colours = {
        "agreement": PALETTE["muted"],
        "platform": PALETTE["actual"],
        "government": PALETTE["good"],
    }

    def x(day: dt.date) -> float:
        return label_w + (day - lo).days / days * plot

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" class="chart gantt" '
        f'font-family="{escape(FONT)}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(title)}: {lo} to {hi}, {len(items)} items</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    # month grid; labels thinned so that they never overlap (about 56 px each)
    px_per_month = plot * 30.4 / days
    every = max(1, -(-56 // max(1, int(px_per_month))))
    month, index, shown_year = dt.date(lo.year, lo.month, 1), 0, 0
    while month <= hi:
        if month >= lo:
            mx = x(month)
            out.append(
                f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top - 6}" y2="{height - 8}" '
                f'stroke="#e3e3e3"/>'
            )
            if index % every == 0 and mx < width - 40:
                text = f"{month:%Y-%m}" if month.year != shown_year else f"{month:%m}"
                out.append(
                    f'<text x="{mx + 3:.1f}" y="{top - 10}" fill="#555" font-size="11">'
                    f"{text}</text>"
                )
                shown_year = month.year
            index += 1
        month = _next_month(month)
    for i, it in enumerate(items):
        y = top + i * row
        colour = PALETTE["bad"] if it.late else colours.get(it.party, PALETTE["expected"])
        label = it.label + (f" ({late_label})" if it.late else "")
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="#333">'
            f"{escape(_clip(label, 34))}<title>{escape(label)}</title></text>"
        )
        tip = f"{it.label}: {it.start}" + (f" → {it.end}" if it.end != it.start else "")
        if it.kind == "milestone":
            cx, cy = x(it.start), y + 12
            fill = PALETTE["good"] if it.done else colour
            out.append(
                f'<path d="M{cx:.1f},{cy - 7} L{cx + 7:.1f},{cy} L{cx:.1f},{cy + 7} '
                f'L{cx - 7:.1f},{cy} Z" fill="{fill}" stroke="#222" stroke-width="0.8">'
                f"<title>{escape(tip)}</title></path>"
            )
        else:
            x0, x1 = x(it.start), x(it.end)
            out.append(
                f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(2.0, x1 - x0):.1f}" '
                f'height="{row - 10}" rx="3" fill="{colour}" '
                f'fill-opacity="{0.35 if it.kind == "agreement" else 0.9}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    out.append("</svg>")
    return "\n".join(out)


def _next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
