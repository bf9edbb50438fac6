"""The SVG charts: valid, self-contained, and drawn where the numbers say."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from xhsgrow.rendering.charts import (
    Bar,
    Series,
    bar_chart,
    burnup_chart,
    compact_number,
    line_chart,
    nice_ticks,
    retention_chart,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
D0 = dt.date(2027, 1, 1)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on malformed XML


def paths(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//svg:path", NS)


def coords(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", d)]


@pytest.mark.parametrize(
    ("lo", "hi", "top"),
    [(0, 97, 100), (0, 5_000_000, 5_000_000), (0, 0.41, 0.5), (0, 1234, 1250)],
)
def test_nice_ticks_cover_the_range_with_round_steps(lo: float, hi: float, top: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi
    assert ticks[-1] == pytest.approx(top)
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1  # evenly spaced


def test_compact_numbers_for_axes() -> None:
    assert compact_number(1200) == "1.2k"
    assert compact_number(3_400_000) == "3.4M"
    assert compact_number(1_500_000_000) == "1.5B"
    assert compact_number(0) == "0"


def test_line_chart_places_points_proportionally() -> None:
    # y from 0 to 100 over 10 days: the midpoint must sit halfway between the ends.
    pts = [(D0 + dt.timedelta(days=i), i * 10.0) for i in range(11)]
    svg = line_chart([Series("actual", pts)], title="t")
    root = parse(svg)
    (line,) = paths(root)
    xy = coords(line.get("d", ""))
    assert len(xy) == 11
    (x0, y0), (x5, y5), (x10, y10) = xy[0], xy[5], xy[10]
    assert x5 == pytest.approx((x0 + x10) / 2, abs=0.2)
    assert y5 == pytest.approx((y0 + y10) / 2, abs=0.2)
    assert y10 < y0  # SVG y grows downwards: bigger values are higher up


def test_gaps_split_a_line_instead_of_dropping_to_zero() -> None:
    svg = line_chart([Series("r", [(1, 0.4), (2, 0.3), (3, None), (4, 0.2)])], title="t")
    assert len(paths(parse(svg))) == 2


def test_burnup_has_actual_expected_forecast_dashed_and_target() -> None:
    window = (D0, D0 + dt.timedelta(days=29))
    actual = [(D0 + dt.timedelta(days=i), 100.0 * (i + 1)) for i in range(10)]
    expected = [(D0 + dt.timedelta(days=i), 3000 * (i + 1) / 30) for i in range(30)]
    svg = burnup_chart(
        title="New users — test",
        cumulative=actual,
        expected=expected,
        target=3000,
        forecast=2900,
        window=window,
        as_of=actual[-1][0],
    )
    root = parse(svg)
    names = [p.findtext("svg:title", namespaces=NS) for p in paths(root)]
    assert names == ["expected", "actual", "forecast"]
    forecast = paths(root)[2]
    assert forecast.get("stroke-dasharray")  # dashed
    assert not paths(root)[1].get("stroke-dasharray")
    # the forecast starts where the actual line ends and runs to the window's right edge
    actual_end = coords(paths(root)[1].get("d", ""))[-1]
    f_start, f_end = coords(forecast.get("d", ""))
    assert f_start == actual_end
    expected_end = coords(paths(root)[0].get("d", ""))[-1]
    assert f_end[0] == pytest.approx(expected_end[0])
    # target line: a dotted horizontal line at the same height as the end of the expected curve
    target_lines = [
        ln for ln in root.findall(".//svg:line", NS) if ln.get("stroke-dasharray") == "2 3"
    ]
    assert any(float(ln.get("y1", 0)) == pytest.approx(expected_end[1], abs=0.2)
               for ln in target_lines)  # fmt: skip
    assert "as of" in svg
    assert "New users — test: actual 1k, target 3k, forecast 2.9k" in svg  # <desc>


def test_charts_are_self_contained_and_escape_text() -> None:
    svg = bar_chart(
        [Bar("<script>alert(1)</script>", 10, target=20), Bar("雷山县", 5)], title="A & B"
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "A &amp; B" in svg
    root = parse(svg)
    assert root.get("viewBox") and root.get("width") == "100%"
    assert not re.search(r"(href|src)=", svg)  # nothing fetched
    rects = [r for r in root.findall(".//svg:rect", NS) if r.get("rx")]
    assert float(rects[0].get("width", 0)) == pytest.approx(
        2 * float(rects[1].get("width", 0)), abs=0.2
    )


def test_retention_chart_plots_percentages() -> None:
    svg = retention_chart(title="Retention", points=[(1, 0.41), (7, 0.2), (30, None)])
    assert "D1" in svg and "D7" in svg and "D30" in svg
    assert "%" in svg
    assert len(paths(parse(svg))) == 1
