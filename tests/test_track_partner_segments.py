"""The partnership view (regions, merchants, milestones) and the segments of `xhsgrow track`,
on small hand-made event files. Every figure is worked out by hand from docs/metrics.md
("Partnership view", "Segments", "Targets, pacing, forecast and status") in the comments."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.test_track_edges import csv_file
from tests.test_track_metrics import make_workspace, run


def ev(
    time: str,
    event: str,
    user: str,
    campaign: str = "",
    channel: str = "",
    region: str = "",
    age: str = "",
    amount: str = "",
) -> str:
    """One CSV row of the contract (no referrer, device or ip)."""
    return ",".join([time, event, user, campaign, channel, region, age, "", amount, "", ""])


def partnership(
    cid: str,
    level: str,
    divisions: list[str],
    *,
    start: str = "2025-03-01",
    end: str = "2025-05-31",
    targets: str = "acquired = 10\n",
    extra: str = "",
) -> str:
    """A partnership spec with the given partner divisions, targets and extra TOML."""
    codes = ", ".join(f'"{c}"' for c in divisions)
    return f"""
id = "{cid}"
name = "Partnership {cid}"
kind = "partnership"
owner = "partner-relations"

[window]
start = {start}
end = {end}

[budget]
amount = 10000

[targets]
{targets}
[partnership]
programme = "specialty_ecommerce"

[partnership.partner]
name = "人民政府"
level = "{level}"
divisions = [{codes}]

[partnership.agreement]
signed = 2025-02-20
start = {start}
end = {end}
{extra}"""


def regions_of(c: Any) -> list[tuple[str, int, int]]:
    """(code, acquired, merchants) of each row of the partnership view."""
    assert c.partnership is not None
    return [(r.code, r.acquired, r.merchants_onboarded) for r in c.partnership.regions]


def segs(c: Any) -> dict[tuple[str, str], Any]:
    return {(s.dimension, s.value): s for s in c.segments}


def figures(s: Any) -> tuple[Any, ...]:
    """(acquired, activated, cost, merchants) of a segment row."""
    m = s.metrics
    return (m["acquired"], m["activated"], m["cost"], m["merchants_onboarded"])


# --- regions ---------------------------------------------------------------------------


def test_overlapping_municipal_divisions_count_each_user_once(tmp_path: Path) -> None:
    """A county-level partner in Beijing may list the 市辖区 grouping 110100 and districts
    under it: a user in a district is one user in region, counted in each row covering it."""
    spec = partnership("bj", "county", ["110100", "110101", "110102"])
    ws = make_workspace(tmp_path, spec)
    rows = [
        ev("2025-03-02 10:00:00", "signup", "b1", "bj", region="110101"),  # 110100, 110101
        ev("2025-03-02 10:00:00", "signup", "b2", "bj", region="110102"),  # 110100, 110102
        ev("2025-03-02 10:00:00", "signup", "b3", "bj", region="110105"),  # 110100 only
        ev("2025-03-02 10:00:00", "signup", "b4", "bj", region="110000"),  # province: none
        ev("2025-03-02 10:00:00", "signup", "b5", "bj", region="310101"),  # Shanghai: none
        ev("2025-03-03 10:00:00", "merchant_onboarded", "m1", "bj", region="110101"),
        ev("2025-03-03 10:00:00", "merchant_onboarded", "m2", "bj", region="110105"),
    ]
    c = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2025, 3, 10)).campaigns[0]
    assert c.metrics["acquired"] == 5
    assert c.metrics["acquired_in_region"] == 3  # b1, b2, b3: not 5 (b1, b2 twice)
    assert c.metrics["merchants_onboarded"] == 2  # m1 once, though two rows cover it
    assert c.partnership is not None
    assert c.partnership.acquired_in_region == 3
    assert c.partnership.merchants_onboarded == 2
    assert regions_of(c) == [("110100", 3, 2), ("110101", 1, 1), ("110102", 1, 0)]
    # segments roll every code up to the province 110000: b1..b4 (not b5), m1 and m2
    s = segs(c)
    assert figures(s[("region", "110000")]) == (4, 0, 0.0, 2)
    assert figures(s[("region", "310000")]) == (1, 0, 0.0, 0)


def test_province_prefecture_and_county_divisions_overlapping(tmp_path: Path) -> None:
    """Tracked from a model (a spec mixing levels does not validate): a county under the
    prefecture under the province is one user in region, in each of the three rows."""
    from xhsgrow.specs.models import MODELS
    from xhsgrow.tracking.engine import track

    spec = partnership("gz", "province", ["520000", "522600", "522634"])
    model = MODELS["partnership"].model_validate(tomllib.loads(spec))
    ws: Any = make_workspace(tmp_path)
    rows = [
        ev("2025-03-02 10:00:00", "signup", "c1", "gz", region="522634"),  # all three
        ev("2025-03-02 10:00:00", "signup", "c2", "gz", region="522601"),  # 520000, 522600
        ev("2025-03-02 10:00:00", "signup", "c3", "gz", region="520102"),  # 520000 only
        ev("2025-03-02 10:00:00", "signup", "c4", "gz", region="440106"),  # none
        ev("2025-03-03 10:00:00", "merchant_onboarded", "k1", "gz", region="522634"),
        ev("2025-03-03 10:00:00", "merchant_onboarded", "k2", "gz", region="520102"),
        ev("2025-03-03 10:00:00", "merchant_onboarded", "k3", "gz", region="440106"),
    ]
    data = str(csv_file(tmp_path / "e.csv", rows))
    c = track(ws, [model], data=data, as_of=dt.date(2025, 3, 10)).campaigns[0]
    assert c.metrics["acquired"] == 4
    assert c.metrics["acquired_in_region"] == 3  # c1, c2, c3
    assert c.metrics["merchants_onboarded"] == 2  # k1, k2: k3 is not covered
    assert regions_of(c) == [("520000", 3, 2), ("522600", 2, 1), ("522634", 1, 1)]


def test_first_signup_region_decides_whether_a_user_is_in_region(tmp_path: Path) -> None:
    """No region, a region outside the partner's, or one in its province but not its
    prefecture: acquired, not in region. The first signup's region counts, not a later one."""
    ws = make_workspace(tmp_path, partnership("qdn", "prefecture", ["522600"]))
    rows = [
        ev("2025-03-02 10:00:00", "signup", "u1", "qdn"),  # no region
        ev("2025-03-04 10:00:00", "signup", "u1", "qdn", region="522634"),  # later: ignored
        ev("2025-03-02 10:00:00", "signup", "u2", "qdn", region="440106"),  # not covered
        ev("2025-03-02 10:00:00", "signup", "u3", "qdn", region="520102"),  # Guiyang: same
        # province, another prefecture: not covered
        ev("2025-03-02 10:00:00", "signup", "u4", "qdn", region="522634"),  # covered
        ev("2025-03-02 10:00:00", "signup", "u5", "qdn", region="522600"),  # the code itself
        ev("2025-03-02 10:00:00", "signup", "u6", "qdn", region=" 522601\u3000"),  # trimmed
    ]
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2025, 3, 10))
    c = result.campaigns[0]
    assert result.data_quality.rows_rejected == 0
    assert c.metrics["acquired"] == 6
    assert c.metrics["acquired_in_region"] == 3  # u4, u5, u6
    assert regions_of(c) == [("522600", 3, 0)]
    s = segs(c)
    assert s[("region", "520000")].metrics["acquired"] == 4  # u3, u4, u5, u6
    assert s[("region", "440000")].metrics["acquired"] == 1  # u2
    assert sum(x.metrics["acquired"] for x in c.segments if x.dimension == "region") == 5


def test_a_province_partner_covers_every_county_under_it(tmp_path: Path) -> None:
    """A user in a county is in region through the province code alone."""
    ws = make_workspace(tmp_path, partnership("gzp", "province", ["520000"]))
    rows = [
        ev("2025-03-02 10:00:00", "signup", "u1", "gzp", region="522634"),  # via 520000
        ev("2025-03-02 10:00:00", "signup", "u2", "gzp", region="520102"),  # via 520000
        ev("2025-03-02 10:00:00", "signup", "u3", "gzp", region="530102"),  # Yunnan: no
        ev("2025-03-03 10:00:00", "merchant_onboarded", "m1", "gzp", region="522634"),
    ]
    c = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2025, 3, 10)).campaigns[0]
    assert c.metrics["acquired_in_region"] == 2
    assert c.metrics["merchants_onboarded"] == 1
    assert regions_of(c) == [("520000", 2, 1)]


# --- merchants -------------------------------------------------------------------------


def test_merchants_once_each_inside_the_window_and_covered(tmp_path: Path) -> None:
    """Re-onboardings, re-sent rows, rows outside the window or after as-of, another
    campaign's, and rows with no or a malformed region: each merchant counted once, where
    and when the docs say."""
    ws = make_workspace(tmp_path, partnership("qdn", "prefecture", ["522600"]))
    dup = ev("2025-03-03 10:00:00", "merchant_onboarded", "m2", "qdn", region="522601")
    rows = [
        ev("2025-03-02 10:00:00", "merchant_onboarded", "m1", "qdn", region="522634"),
        ev("2025-03-05 10:00:00", "merchant_onboarded", "m1", "qdn", region="522634"),  # again
        dup,
        dup,  # an exact copy: one event, one duplicate
        ev("2025-02-25 10:00:00", "merchant_onboarded", "m3", "qdn", region="522634"),  # before
        ev("2025-03-11 10:00:00", "merchant_onboarded", "m4", "qdn", region="522634"),  # after
        ev("2025-03-04 10:00:00", "merchant_onboarded", "m5", "other", region="522634"),
        ev("2025-03-04 10:00:00", "merchant_onboarded", "m6", "qdn"),  # no region
        ev("2025-03-04 10:00:00", "merchant_onboarded", "m7", "qdn", region="52263"),  # bad
        ev("2025-03-06 10:00:00", "merchant_onboarded", "m8", "qdn", region="440106"),  # out
        # m9: first onboarded before the window, then inside it: counted on 03-07
        ev("2025-02-26 10:00:00", "merchant_onboarded", "m9", "qdn", region="522601"),
        ev("2025-03-07 10:00:00", "merchant_onboarded", "m9", "qdn", region="522601"),
    ]
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2025, 3, 10))
    c = result.campaigns[0]
    q = result.data_quality
    assert c.metrics["merchants_onboarded"] == 3  # m1, m2, m9
    assert c.partnership is not None and c.partnership.merchants_onboarded == 3
    assert regions_of(c) == [("522600", 0, 3)]
    daily = {r.day: r.merchants_onboarded for r in c.daily}
    assert daily[dt.date(2025, 3, 2)] == 1  # m1, on its first day only
    assert daily[dt.date(2025, 3, 3)] == 1  # m2, once
    assert daily[dt.date(2025, 3, 5)] == 0  # m1 again
    assert daily[dt.date(2025, 3, 7)] == 1  # m9
    assert sum(daily.values()) == 3
    assert q.duplicates == 1
    assert q.outside_windows == 2  # m3, m9's first row
    assert q.after_as_of == 1  # m4
    assert q.other_campaigns == 1  # m5
    assert q.rows_rejected == 1 and q.rejected_by_reason == {"region": 1}  # m7
    assert segs(c)[("region", "520000")].metrics["merchants_onboarded"] == 3
    # m8 (Guangdong) is no merchant of this partnership: in no segment either, so that the
    # region rows add up to the metric
    assert ("region", "440000") not in segs(c)


# --- milestones ------------------------------------------------------------------------

MILESTONES = """
[[partnership.milestones]]
name = "Yesterday"
due = 2025-03-09

[[partnership.milestones]]
name = "Today"
due = 2025-03-10

[[partnership.milestones]]
name = "In 14 days"
due = 2025-03-24

[[partnership.milestones]]
name = "In 15 days"
due = 2025-03-25

[[partnership.milestones]]
name = "Done late"
due = 2025-03-02
done = true
done_on = 2025-03-09

[[partnership.milestones]]
name = "Done early"
due = 2025-05-30
owner = "pr"
done = true
"""


def test_milestone_states_at_the_edges(tmp_path: Path) -> None:
    """Due on as-of is due, not overdue; 14 days after as-of is still due, 15 upcoming;
    done is done whatever the date."""
    ws = make_workspace(tmp_path, partnership("ms", "prefecture", ["522600"], extra=MILESTONES))
    c = run(ws, csv_file(tmp_path / "e.csv", []), as_of=dt.date(2025, 3, 10)).campaigns[0]
    assert c.partnership is not None
    assert [(m.name, m.due, m.owner, m.state) for m in c.partnership.milestones] == [
        ("Yesterday", dt.date(2025, 3, 9), "", "overdue"),
        ("Today", dt.date(2025, 3, 10), "", "due"),
        ("In 14 days", dt.date(2025, 3, 24), "", "due"),
        ("In 15 days", dt.date(2025, 3, 25), "", "upcoming"),
        ("Done late", dt.date(2025, 3, 2), "", "done"),
        ("Done early", dt.date(2025, 5, 30), "pr", "done"),
    ]


# --- segments --------------------------------------------------------------------------

SEGMENT_TARGETS = """acquired = 10

[[targets.segments]]
dimension = "region"
value = "522634"
metric = "acquired"
target = 8

[[targets.segments]]
dimension = "region"
value = "522634"
metric = "merchants_onboarded"
target = 4

[[targets.segments]]
dimension = "channel"
value = "livestream"
metric = "acquired"
target = 4

[[targets.segments]]
dimension = "channel"
value = "livestream"
metric = "activated"
target = 4

[[targets.segments]]
dimension = "age_band"
value = "55-64"
metric = "cost"
target = 40

[[targets.segments]]
dimension = "region"
value = "520000"
metric = "acquired"
target = 12

[[targets.segments]]
dimension = "channel"
value = "livestream"
metric = "merchants_onboarded"
target = 4
"""

#: window 03-01 .. 03-20 (20 days), as-of 03-05: linear share 5 / 20 = 0.25
SEG_AS_OF = dt.date(2025, 3, 5)

SEG_ROWS = [
    # s1: livestream, Leishan, 55-64, activated on day 1. A later signup to the same
    # campaign, with other attributes, moves nothing.
    ev("2025-03-01 10:00:00", "signup", "s1", "seg", "livestream", "522634", "55-64"),
    ev("2025-03-02 10:00:00", "activate", "s1"),
    ev("2025-03-03 10:00:00", "signup", "s1", "seg", "offline", "520102", "18-24"),
    # s2: a whitespace channel (no channel), Kaili, 65+, activated on day 0
    ev("2025-03-02 10:00:00", "signup", "s2", "seg", "  ", "522601", "65+"),
    ev("2025-03-02 11:00:00", "activate", "s2"),
    # s3: empty channel, Leishan, an age band outside the contract's list; not activated
    ev("2025-03-02 12:00:00", "signup", "s3", "seg", "", "522634", "elderly"),
    # s4: livestream (with ideographic spaces, trimmed), Guiyang, 55-64; activates on
    # day 7 (too late, and after as-of)
    ev("2025-03-03 10:00:00", "signup", "s4", "seg", "\u3000livestream\u3000", "520102", "55-64"),
    ev("2025-03-10 10:00:00", "activate", "s4"),
    # s5: offline, Guangzhou (outside the partner's province), 55-64, activated on day 0
    ev("2025-03-04 10:00:00", "signup", "s5", "seg", "offline", "440106", "55-64"),
    ev("2025-03-04 12:00:00", "activate", "s5"),
    # rewards: segmented by the reward row's own attributes, not the user's
    ev("2025-03-04 10:00:00", "reward", "s1", "seg", "sms", "522634", "55-64", "10"),
    ev("2025-03-05 10:00:00", "reward", "s2", "seg", amount="5.5"),
    ev("2025-02-27 10:00:00", "reward", "s5", "seg", "offline", "440106", "55-64", "20"),
    ev("2025-03-06 10:00:00", "reward", "s4", "seg", "sms", "520102", "55-64", "100"),  # late
    # merchants: segmented by the onboarding row
    ev("2025-03-02 10:00:00", "merchant_onboarded", "mA", "seg", "livestream", "522634", "45-54"),
    ev("2025-03-03 10:00:00", "merchant_onboarded", "mB", "seg", "offline", "522634"),
    ev("2025-03-04 10:00:00", "merchant_onboarded", "mC", "seg", "livestream", "520102", "45-54"),
]


def seg_workspace(tmp_path: Path) -> tuple[object, Path]:
    spec = partnership(
        "seg",
        "province",
        ["520000"],
        start="2025-03-01",
        end="2025-03-20",
        targets=SEGMENT_TARGETS,
    )
    ws = make_workspace(tmp_path, spec)
    return ws, csv_file(tmp_path / "events.csv", SEG_ROWS)


def test_segment_figures_by_region_channel_and_age_band(tmp_path: Path) -> None:
    """Acquired and activated by the first signup's attributes; cost by the reward row's,
    up to as-of (any day); merchants by the onboarding row's."""
    ws, data = seg_workspace(tmp_path)
    result = run(ws, data, as_of=SEG_AS_OF)
    c = result.campaigns[0]
    assert result.data_quality.rows_rejected == 0
    assert c.metrics["acquired"] == 5
    assert c.metrics["activated"] == 3  # s1, s2, s5
    assert c.metrics["cost"] == 35.5  # 10 + 5.5 + 20; the 100 on 03-06 is after as-of
    assert c.metrics["merchants_onboarded"] == 3
    s = segs(c)
    # regions, rolled up to the province (522634, 522601 and 520102 are in 520000)
    assert figures(s[("region", "520000")]) == (4, 2, 10.0, 3)  # s1-s4; s1, s2; 10; mA-mC
    assert figures(s[("region", "440000")]) == (1, 1, 20.0, 0)  # s5
    # the county target's own row: the codes 522634 covers
    assert figures(s[("region", "522634")]) == (2, 1, 10.0, 2)  # s1, s3; s1; 10; mA, mB
    # age bands
    assert figures(s[("age_band", "55-64")]) == (3, 2, 30.0, 0)  # s1, s4, s5; s1, s5
    assert figures(s[("age_band", "65+")]) == (1, 1, 0.0, 0)  # s2
    assert figures(s[("age_band", "elderly")]) == (1, 0, 0.0, 0)  # s3, kept as written
    assert ("age_band", "18-24") not in s  # s1's later signup
    # channels: no row for an empty or whitespace channel
    assert not [k for k in s if k[0] == "channel" and not k[1].strip()]
    assert ("channel", "\u3000livestream\u3000") not in s
    assert figures(s[("channel", "offline")])[:3] == (1, 1, 20.0)  # s5; reward 20
    assert figures(s[("channel", "livestream")])[:3] == (2, 1, 0.0)  # s1, s4; s1
    assert figures(s[("channel", "sms")])[:3] == (0, 0, 10.0)  # the reward row's channel


def test_a_resent_reward_row_costs_once_in_its_segments(tmp_path: Path) -> None:
    """An exact copy of a reward row is one payment, in the cost and in each segment."""
    ws = make_workspace(tmp_path, partnership("qdn", "prefecture", ["522600"]))
    paid = ev("2025-03-04 10:00:00", "reward", "x1", "qdn", "sms", "522634", "18-24", "10")
    rows = [paid, paid, ev("2025-03-04 10:00:00", "reward", "x2", "qdn", "sms", amount="2.5")]
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2025, 3, 10))
    c = result.campaigns[0]
    assert result.data_quality.duplicates == 1
    assert c.metrics["cost"] == 12.5  # 10 once + 2.5
    s = segs(c)
    assert s[("channel", "sms")].metrics["cost"] == 12.5
    assert s[("region", "520000")].metrics["cost"] == 10.0
    assert s[("age_band", "18-24")].metrics["cost"] == 10.0


def test_merchants_per_channel_and_age_band_come_from_the_onboarding_row(
    tmp_path: Path,
) -> None:
    """docs/metrics.md, Segments: every merchants figure broken down by region, channel and
    age band, from the attributes of the onboarding row."""
    ws, data = seg_workspace(tmp_path)
    c = run(ws, data, as_of=SEG_AS_OF).campaigns[0]
    s = segs(c)
    assert s[("channel", "livestream")].metrics["merchants_onboarded"] == 2  # mA, mC
    assert s[("channel", "offline")].metrics["merchants_onboarded"] == 1  # mB
    assert ("age_band", "45-54") in s  # mA, mC: the only rows with that band
    assert s[("age_band", "45-54")].metrics["merchants_onboarded"] == 2
    # and so the channel's merchants target: 4 x 0.25 = 1 expected, 2 actual
    t = next(t for t in s[("channel", "livestream")].targets if t.metric == "merchants_onboarded")
    assert (t.actual, t.expected_to_date, t.pace, t.status) == (2.0, 1.0, 2.0, "on_track")
    # every target and segment target then paces at 1 or more (see the test above)
    assert c.status == "on_track"


def test_segment_targets_on_their_rows_in_spec_order(tmp_path: Path) -> None:
    """Several targets on one row, all in `targets` in spec order, `target` the first;
    each paced on the linear curve: expected = target x 5/20."""
    ws, data = seg_workspace(tmp_path)
    c = run(ws, data, as_of=SEG_AS_OF).campaigns[0]
    assert c.elapsed_share == 0.25
    s = segs(c)

    def plan(key: tuple[str, str]) -> list[tuple[Any, ...]]:
        return [
            (t.metric, t.kind, t.target, t.expected_to_date, t.forecast) for t in s[key].targets
        ]

    county = s[("region", "522634")]
    assert county.label == "雷山县"
    assert plan(("region", "522634")) == [
        ("acquired", "cumulative", 8.0, 2.0, 8.0),  # actual 2 (s1, s3): forecast 2 / 0.25
        ("merchants_onboarded", "cumulative", 4.0, 1.0, 8.0),  # actual 2 (mA, mB)
    ]
    assert county.target == county.targets[0]
    assert [t.actual for t in county.targets] == [2.0, 2.0]
    assert plan(("region", "520000")) == [("acquired", "cumulative", 12.0, 3.0, 16.0)]
    assert s[("region", "520000")].label == "贵州省"
    live = s[("channel", "livestream")]
    assert [t.metric for t in live.targets] == ["acquired", "activated", "merchants_onboarded"]
    assert live.target == live.targets[0]
    assert [(t.actual, t.expected_to_date) for t in live.targets[:2]] == [(2.0, 1.0), (1.0, 1.0)]
    cost = s[("age_band", "55-64")].targets
    assert [(t.metric, t.actual, t.expected_to_date, t.pace, t.status) for t in cost] == [
        ("cost", 30.0, 10.0, 3.0, "on_track")
    ]
    assert s[("age_band", "65+")].targets == () and s[("age_band", "65+")].target is None
    # the partnership view's row carries the region targets set for its code
    assert c.partnership is not None
    (row,) = c.partnership.regions
    assert (row.code, row.acquired, row.merchants_onboarded) == ("520000", 4, 3)
    assert (row.target_acquired, row.target_merchants) == (12, None)


BACK_LOADED = """
id = "bl"
name = "Back-loaded"
kind = "partnership"
owner = "pr"

[window]
start = 2025-03-01
end = 2025-03-20

[budget]
amount = 10000

[targets]
acquired = 4

[[targets.segments]]
dimension = "channel"
value = "livestream"
target = 16

[[targets.segments]]
dimension = "channel"
value = "offline"
target = 5

[[targets.segments]]
dimension = "region"
value = "522634"
target = 4

[pacing]
curve = "back-loaded"

[partnership]
programme = "specialty_ecommerce"

[partnership.partner]
name = "黔东南州人民政府"
level = "prefecture"
divisions = ["522600"]

[partnership.agreement]
signed = 2025-02-20
start = 2025-03-01
end = 2025-03-20
"""

BL_ROWS = [
    ev("2025-03-02 10:00:00", "signup", "a1", "bl", "livestream", "522634"),
    ev("2025-03-03 10:00:00", "signup", "a2", "bl", "livestream", "522634"),
    ev("2025-03-04 10:00:00", "signup", "a3", "bl", "livestream", "522601"),
    ev("2025-03-05 10:00:00", "signup", "a4", "bl", "offline", "522601"),
]


def test_segment_targets_follow_the_campaigns_curve_and_its_status(tmp_path: Path) -> None:
    """Back-loaded, as-of 03-10: x = 10/20, s = 0.25. The campaign's own target is on
    track; its segment targets make it off track."""
    ws = make_workspace(tmp_path, BACK_LOADED)
    data = csv_file(tmp_path / "e.csv", BL_ROWS)
    c = run(ws, data, as_of=dt.date(2025, 3, 10)).campaigns[0]
    assert c.elapsed_share == pytest.approx(0.25)
    (acq,) = c.targets
    assert (acq.actual, acq.expected_to_date, acq.status) == (4.0, 1.0, "on_track")
    s = segs(c)

    def verdict(key: tuple[str, str]) -> tuple[Any, ...]:
        (t,) = s[key].targets
        return (t.metric, t.actual, t.expected_to_date, t.pace, t.forecast, t.status)

    # livestream: 16 x 0.25 = 4 expected, 3 actual: pace 0.75 < 0.8, forecast 3 / 0.25
    assert verdict(("channel", "livestream")) == ("acquired", 3.0, 4.0, 0.75, 12.0, "off_track")
    # offline: 5 x 0.25 = 1.25 expected, 1 actual: pace 0.8 exactly, at risk
    t = s[("channel", "offline")].targets[0]
    assert (t.expected_to_date, t.pace, t.status) == (1.25, pytest.approx(0.8), "at_risk")
    # Leishan: 4 x 0.25 = 1 expected, 2 actual (a1, a2)
    assert verdict(("region", "522634")) == ("acquired", 2.0, 1.0, 2.0, 8.0, "on_track")
    assert figures(s[("region", "522634")]) == (2, 0, 0.0, 0)
    assert c.status == "off_track"  # the worst of targets and segment targets


def test_segment_targets_before_and_after_the_window(tmp_path: Path) -> None:
    """Not started before the window; after it, expected is the whole target and the
    campaign is ended while the segment targets keep their verdicts."""
    ws = make_workspace(tmp_path, BACK_LOADED)
    data = csv_file(tmp_path / "e.csv", BL_ROWS)
    before = run(ws, data, as_of=dt.date(2025, 2, 28)).campaigns[0]
    assert before.status == "not_started"
    assert {t.status for s in before.segments for t in s.targets} == {"not_started"}
    after = run(ws, data, as_of=dt.date(2025, 3, 25)).campaigns[0]
    assert after.status == "ended"
    s = segs(after)
    t = s[("channel", "livestream")].targets[0]
    assert (t.actual, t.expected_to_date, t.forecast, t.status) == (3.0, 16.0, 3.0, "off_track")


# --- the command line ------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("by", ["region", "channel", "age_band"])
def test_csv_has_one_line_per_target(invoke: Any, tmp_path: Path, by: str) -> None:
    """Every target, the campaign's and each segment's, on a line of its own, whatever
    --by; segment rows without a target only for the --by dimension."""
    _, data = seg_workspace(tmp_path)
    r = invoke("track", "--data", str(data), "--as-of", "2025-03-05", "--by", by, "-f", "csv")
    assert r.exit_code == 0, r.output
    rows = _csv_rows(r.stdout)
    targets = [(x["dimension"], x["value"], x["metric"]) for x in rows if x["kind"] != "segment"]
    assert targets[0] == ("", "", "acquired")  # the campaign's own target first
    assert sorted(targets) == sorted(
        [
            ("", "", "acquired"),
            ("region", "520000", "acquired"),
            ("region", "522634", "acquired"),
            ("region", "522634", "merchants_onboarded"),
            ("channel", "livestream", "acquired"),
            ("channel", "livestream", "activated"),
            ("channel", "livestream", "merchants_onboarded"),
            ("age_band", "55-64", "cost"),
        ]
    )
    live = [m for d, v, m in targets if (d, v) == ("channel", "livestream")]
    assert live == ["acquired", "activated", "merchants_onboarded"]  # spec order
    county = [x for x in rows if (x["dimension"], x["value"]) == ("region", "522634")]
    assert [(x["actual"], x["expected_to_date"], x["pace"], x["status"]) for x in county] == [
        ("2", "2", "1", "on_track"),
        ("2", "1", "2", "on_track"),
    ]
    cost = next(x for x in rows if x["metric"] == "cost" and x["kind"] == "cumulative")
    assert (cost["target"], cost["actual"], cost["expected_to_date"], cost["forecast"]) == (
        "40",
        "30",
        "10",
        "120",
    )
    plain = {(x["dimension"], x["value"]) for x in rows if x["kind"] == "segment"}
    assert {d for d, _ in plain} == {by}
    assert all(x["campaign"] == "seg" for x in rows)


def test_csv_by_age_band_lists_each_untargeted_row_by_metric(invoke: Any, tmp_path: Path) -> None:
    """--by age_band: a row without a target is four lines, one per figure."""
    _, data = seg_workspace(tmp_path)
    args = ("--data", str(data), "--as-of", "2025-03-05", "--by", "age_band", "-f", "csv")
    r = invoke("track", *args)
    assert r.exit_code == 0, r.output
    rows = _csv_rows(r.stdout)
    old = {x["metric"]: x["actual"] for x in rows if x["value"] == "65+"}
    assert old == {"acquired": "1", "activated": "1", "cost": "0", "merchants_onboarded": "0"}
    odd = {x["metric"]: x["actual"] for x in rows if x["value"] == "elderly"}
    assert odd == {"acquired": "1", "activated": "0", "cost": "0", "merchants_onboarded": "0"}


def test_json_segments_and_partnership_view(invoke: Any, tmp_path: Path) -> None:
    """The JSON carries each segment row with `target` the first of its `targets`, and the
    partnership view's regions with their targets."""
    _, data = seg_workspace(tmp_path)
    args = ("--data", str(data), "--as-of", "2025-03-05", "--by", "region", "-f", "json")
    r = invoke("track", *args)
    assert r.exit_code == 0, r.output
    (c,) = json.loads(r.stdout)["campaigns"]
    rows = {(s["dimension"], s["value"]): s for s in c["segments"]}
    county = rows[("region", "522634")]
    assert county["label"] == "雷山县"
    assert county["metrics"] == {
        "acquired": 2,
        "activated": 1,
        "cost": 10.0,
        "merchants_onboarded": 2,
    }
    assert [t["metric"] for t in county["targets"]] == ["acquired", "merchants_onboarded"]
    assert county["target"] == county["targets"][0]
    assert rows[("age_band", "65+")]["target"] is None
    assert rows[("age_band", "65+")]["targets"] == []
    assert c["partnership"]["regions"] == [
        {
            "code": "520000",
            "name": "贵州省",
            "acquired": 4,
            "merchants_onboarded": 3,
            "target_acquired": 12,
            "target_merchants": None,
        }
    ]
    assert c["partnership"]["acquired_in_region"] == 4
    assert c["metrics"]["acquired_in_region"] == 4
    assert c["partnership"]["merchants_onboarded"] == 3
