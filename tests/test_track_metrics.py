"""Every metric on a small hand-written event file, each figure worked out by hand.

The file (tests/data/events/referral.csv) and its spec (referral.toml: window 2025-01-10 ..
2025-01-20 in Asia/Shanghai, activation window 3 days, budget 1000) are read together with
the comments below, which say what each row is for.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "events"
AS_OF = dt.date(2025, 1, 16)


def make_workspace(root: Path, *specs: str | Path) -> object:
    """A workspace in ``root`` holding the given spec files (paths or TOML text)."""
    from xhsgrow.workspace import open_workspace

    (root / "campaigns").mkdir(exist_ok=True)
    for spec in specs:
        text = spec.read_text("utf-8") if isinstance(spec, Path) else spec
        cid = next(
            line.split("=", 1)[1].strip().strip('"')
            for line in text.splitlines()
            if line.startswith("id")
        )
        (root / "campaigns" / f"{cid}.toml").write_text(text, "utf-8")
    return open_workspace(root)


def run(ws: object, data: Path | str, as_of: dt.date = AS_OF, **kw: object):  # type: ignore[no-untyped-def]
    from xhsgrow.tracking.engine import track

    return track(ws, None, data=str(data), as_of=as_of, **kw)  # type: ignore[arg-type]


@pytest.fixture
def result(tmp_path: Path):  # type: ignore[no-untyped-def]
    ws = make_workspace(tmp_path, DATA / "referral.toml")
    shutil.copy(DATA / "referral.csv", tmp_path / "events.csv")
    return run(ws, tmp_path / "events.csv")


def test_acquired_counts_first_signups_inside_the_window(result) -> None:  # type: ignore[no-untyped-def]
    # u1 (01-10), u2 (01-10), u3 (01-12 23:30 UTC = 01-13 07:30 Shanghai), u6 (01-15).
    # Not: u4 (first signed up to gala-x), u5 (01-09, before the window), u7 (after as-of),
    # u8 (unparseable time). The duplicated u1 signup is one signup.
    c = result.campaigns[0]
    assert c.metrics["acquired"] == 4
    by_day = {row.day: row.acquired for row in c.daily}
    assert by_day[dt.date(2025, 1, 10)] == 2
    assert by_day[dt.date(2025, 1, 13)] == 1  # the offset timestamp crossed midnight
    assert by_day[dt.date(2025, 1, 12)] == 0
    assert by_day[dt.date(2025, 1, 15)] == 1


def test_activated_within_n_days_of_signup(result) -> None:  # type: ignore[no-untyped-def]
    # N = 3 (days 0..2): u1 activates on day 1, u3 on day 0; u2 on day 3 is too late.
    c = result.campaigns[0]
    assert c.metrics["activated"] == 2
    assert c.metrics["activation_rate"] == pytest.approx(2 / 4)
    by_day = {row.day: row.activated for row in c.daily}
    assert by_day[dt.date(2025, 1, 10)] == 1  # by signup day: u1, not u2
    assert by_day[dt.date(2025, 1, 13)] == 1


def test_retention(result) -> None:  # type: ignore[no-untyped-def]
    # D1: all four cohorts are old enough (u6: 01-15 + 1 <= 01-16); only u1 is active on
    # exactly day 1 (u2's activate is day 3, u3's day 0). D7 needs signup <= 01-09: nobody.
    c = result.campaigns[0]
    assert c.metrics["retention_d1"] == pytest.approx(1 / 4)
    assert c.metrics["retention_d7"] is None
    assert c.metrics["retention_d30"] is None


def test_referral_figures(result) -> None:  # type: ignore[no-untyped-def]
    c = result.campaigns[0]
    m = c.metrics
    assert m["invites"] == 2  # 09:05 and 09:06; the 09:06 duplicate counts once
    assert m["inviters"] == 1
    assert m["referred_signups"] == 2  # u2 (by u1) and u6 (by x9)
    assert m["invite_conversion"] == pytest.approx(2 / 2)
    # Only u2's referrer (u1) is an acquired user of the campaign: K = 1 / 4.
    assert m["k_factor"] == pytest.approx(1 / 4)
    assert c.referral is not None
    assert c.referral.inviters == 1
    top = c.referral.top_referrers
    assert [(r.referrer_id, r.referred_signups, r.activated) for r in top] == [
        ("u1", 1, 0),
        ("x9", 1, 0),
    ]
    assert top[0].rewards == 10.0  # u1 was paid 10


def test_cost(result) -> None:  # type: ignore[no-untyped-def]
    m = result.campaigns[0].metrics
    assert m["cost"] == 20.0
    assert m["cost_per_activated"] == pytest.approx(20 / 2)
    assert m["budget_burn"] == pytest.approx(20 / 1000)
    by_day = {row.day: row.cost for row in result.campaigns[0].daily}
    assert by_day[dt.date(2025, 1, 12)] == 20.0


def test_data_quality_accounts_for_every_row(result) -> None:  # type: ignore[no-untyped-def]
    q = result.data_quality
    assert q.rows_read == 20
    assert q.rows_rejected == 1  # "yesterday"
    assert [(Path(r.file or "").name, r.line) for r in q.rejected_samples] == [("events.csv", 20)]
    assert "yesterday" in q.rejected_samples[0].reason
    assert q.unknown_events == 1  # page_view
    assert q.duplicates == 2  # the u1 signup and the 09:06 invite
    assert q.outside_windows == 1  # u5's signup on 01-09
    assert q.other_campaigns == 1  # u4's signup to gala-x
    assert q.after_as_of == 1  # u7 on 01-18
    assert result.campaigns[0].data_quality == q


def test_pacing_and_status(result) -> None:  # type: ignore[no-untyped-def]
    # Linear over 11 days; as of 01-16, 7 days have elapsed: share 7/11.
    c = result.campaigns[0]
    assert c.elapsed_share == pytest.approx(7 / 11)
    t = {x.metric: x for x in c.targets}
    assert t["acquired"].expected_to_date == pytest.approx(11 * 7 / 11)
    assert t["acquired"].pace == pytest.approx(4 / 7)
    assert t["acquired"].forecast == pytest.approx(4 / (7 / 11))
    assert t["acquired"].status == "off_track"  # 0.57 < 0.8
    assert t["activated"].pace == pytest.approx(2 / (3 * 7 / 11))
    assert t["activated"].status == "on_track"  # 1.05 >= 0.95
    assert t["retention_d1"].kind == "rate"
    assert t["retention_d1"].pace == pytest.approx(0.25 / 0.3)
    assert t["retention_d1"].status == "at_risk"  # 0.83: between 0.8 and 0.95
    assert t["cost_per_activated"].kind == "ceiling"
    assert t["cost_per_activated"].status == "on_track"  # 10 <= 12
    assert t["k_factor"].status == "on_track"  # 0.25 >= 0.2
    assert c.status == "off_track"  # the worst of them


def test_segments(result) -> None:  # type: ignore[no-untyped-def]
    segs = {(s.dimension, s.value): s for s in result.campaigns[0].segments}
    assert segs[("channel", "in_app")].metrics["acquired"] == 1
    assert segs[("channel", "wechat_share")].metrics["acquired"] == 1
    # Regions roll up to the province: 522634 (Leishan) -> 520000, 440106 -> 440000.
    assert segs[("region", "520000")].metrics["acquired"] == 1
    assert segs[("region", "520000")].label == "贵州省"
    assert segs[("region", "440000")].metrics["acquired"] == 1
    assert segs[("age_band", "18-24")].metrics["activated"] == 1
    target = segs[("channel", "in_app")].target
    assert target is not None
    assert target.expected_to_date == pytest.approx(2 * 7 / 11)
    assert target.pace == pytest.approx(1 / (2 * 7 / 11))
    assert target.status == "off_track"  # 0.79 < 0.8


def test_daily_rows_and_expected_curve(result) -> None:  # type: ignore[no-untyped-def]
    c = result.campaigns[0]
    assert [r.day for r in c.daily] == [
        dt.date(2025, 1, 10) + dt.timedelta(days=i) for i in range(7)
    ]
    assert sum(r.acquired for r in c.daily) == 4
    assert sum(r.invites for r in c.daily) == 2
    assert sum(r.referred_signups for r in c.daily) == 2
    assert len(c.expected_curve) == 11
    assert c.expected_curve[-1] == (dt.date(2025, 1, 20), 1.0)
    assert c.expected_curve[0][1] == pytest.approx(1 / 11)


def test_json_document(result) -> None:  # type: ignore[no-untyped-def]
    doc = result.to_json()
    assert doc["schema_version"] == 1
    c = doc["campaigns"][0]
    for key in ("id", "kind", "status", "metrics", "targets", "segments", "data_quality"):
        assert key in c
    assert set(c["targets"][0]) >= {
        "metric",
        "target",
        "actual",
        "expected_to_date",
        "pace",
        "forecast",
        "status",
    }
    assert c["metrics"]["retention_d7"] is None
