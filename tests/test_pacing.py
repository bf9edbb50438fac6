"""Expected curves, pace, forecast and status, on campaigns built by hand."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest

from xhsgrow.errors import UsageError
from xhsgrow.specs.models import Thresholds
from xhsgrow.tracking import pacing


class _Obj(types.SimpleNamespace):
    pass


def campaign(curve: str = "linear", checkpoints=(), phases=None, days: int = 10):  # type: ignore[no-untyped-def]
    start = dt.date(2025, 1, 1)
    return _Obj(
        id="c",
        kind="gala" if phases else "referral",
        window=_Obj(start=start, end=start + dt.timedelta(days=days - 1)),
        pacing=_Obj(curve=curve, checkpoints=[_Obj(date=d, share=s) for d, s in checkpoints]),
        gala=_Obj(phases=[_Obj(start=a, end=b, share=s) for a, b, s in phases]) if phases else None,
    )


def shares(c) -> list[float]:  # type: ignore[no-untyped-def]
    return [s for _, s in pacing.curve(c)]


def test_linear_counts_the_as_of_day() -> None:
    s = shares(campaign())
    assert s[0] == pytest.approx(0.1)  # the first day, once over, is 1/10
    assert s[4] == pytest.approx(0.5)
    assert s[-1] == 1.0


def test_front_and_back_loaded() -> None:
    front, back = shares(campaign("front-loaded")), shares(campaign("back-loaded"))
    assert front[4] == pytest.approx(1 - 0.5**2)  # 0.75 by half-time
    assert back[4] == pytest.approx(0.5**2)  # 0.25 by half-time
    assert front[-1] == back[-1] == 1.0


def test_checkpoints_interpolate_linearly() -> None:
    # 40 % by day 4 (01-04), 50 % by day 8; then on to 100 % at the end (day 10).
    c = campaign(
        "checkpoints", checkpoints=[(dt.date(2025, 1, 4), 0.4), (dt.date(2025, 1, 8), 0.5)]
    )
    s = shares(c)
    assert s[0] == pytest.approx(0.1)  # from 0 the day before the start: 0.4 / 4 per day
    assert s[3] == pytest.approx(0.4)
    assert s[5] == pytest.approx(0.45)  # halfway between the checkpoints
    assert s[8] == pytest.approx(0.75)  # halfway from 0.5 (day 8) to 1.0 (day 10)
    assert s[9] == 1.0


def test_phases_spread_each_share_over_its_days() -> None:
    d = dt.date
    c = campaign(
        "phases",
        phases=[
            (d(2025, 1, 1), d(2025, 1, 4), 0.2),
            (d(2025, 1, 5), d(2025, 1, 5), 0.6),
            (d(2025, 1, 7), d(2025, 1, 10), 0.2),  # 01-06 belongs to no phase: flat
        ],
    )
    s = shares(c)
    assert s[1] == pytest.approx(0.1)
    assert s[4] == pytest.approx(0.8)
    assert s[5] == pytest.approx(0.8)
    assert s[7] == pytest.approx(0.9)
    assert s[9] == pytest.approx(1.0)


def test_plan_curve_uses_the_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("xhsgrow.planning.projection")
    fake.expected_shares = lambda c: [  # type: ignore[attr-defined]
        (c.window.start + dt.timedelta(days=i), 0.05 * (i + 1)) for i in range(10)
    ]
    monkeypatch.setitem(sys.modules, "xhsgrow.planning.projection", fake)
    assert shares(campaign("plan"))[3] == pytest.approx(0.2)


def test_plan_curve_without_the_planner_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xhsgrow.planning.projection", None)
    with pytest.raises(UsageError, match="curve 'plan' needs the planning module"):
        pacing.curve(campaign("plan"))


def test_share_at_before_during_after() -> None:
    points = pacing.curve(campaign())
    assert pacing.share_at(points, dt.date(2024, 12, 31)) == 0.0
    assert pacing.share_at(points, dt.date(2025, 1, 3)) == pytest.approx(0.3)
    assert pacing.share_at(points, dt.date(2025, 2, 1)) == 1.0


TH = Thresholds(on_track=0.95, at_risk=0.8)


@pytest.mark.parametrize(
    "actual,status",
    [(50, "on_track"), (47.5, "on_track"), (47, "at_risk"), (40, "at_risk"), (39, "off_track")],
)
def test_cumulative_status_from_thresholds(actual: float, status: str) -> None:
    # Target 100, half the curve elapsed: 50 expected.
    t = pacing.cumulative("acquired", 100, actual, 0.5, TH, started=True)
    assert t.expected_to_date == 50
    assert t.pace == pytest.approx(actual / 50)
    assert t.forecast == pytest.approx(actual / 0.5)
    assert t.status == status


def test_spec_thresholds_change_the_verdict() -> None:
    strict = Thresholds(on_track=1.0, at_risk=0.9)
    assert pacing.cumulative("acquired", 100, 47.5, 0.5, strict, started=True).status == ("at_risk")


def test_rates_and_ceilings_are_compared_directly() -> None:
    assert pacing.rate("retention_d7", 0.2, 0.25, TH, started=True).status == "on_track"
    assert pacing.rate("retention_d7", 0.2, 0.17, TH, started=True).status == "at_risk"
    assert pacing.rate("retention_d7", 0.2, 0.1, TH, started=True).status == "off_track"
    assert pacing.rate("retention_d7", 0.2, None, TH, started=True).status == "no_data"
    assert pacing.ceiling("cost_per_activated", 20, 20, TH, started=True).status == "on_track"
    over = pacing.ceiling("cost_per_activated", 20, 22, TH, started=True)
    assert over.status == "at_risk"  # 20/22 = 0.91 >= 0.8
    assert over.pace == pytest.approx(20 / 22)
    assert pacing.ceiling("cost_per_activated", 20, 30, TH, started=True).status == "off_track"
    assert pacing.ceiling("cost_per_activated", 20, None, TH, started=True).status == "no_data"


def test_not_started() -> None:
    t = pacing.cumulative("acquired", 100, 0, 0.0, TH, started=False)
    assert (t.status, t.pace, t.forecast) == ("not_started", None, None)
