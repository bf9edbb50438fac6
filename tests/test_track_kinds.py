"""The kind views: referral fraud flags, partnership regions and milestones, gala phases and
rounds. Every figure is worked out by hand from the rows in the test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.test_track_edges import csv_file
from tests.test_track_metrics import DATA, make_workspace, run


def test_fraud_flags_with_money_at_risk(tmp_path: Path) -> None:
    # Spec: at most 1 referee per device, 2 per /24, 3 per 10 minutes.
    ws = make_workspace(tmp_path, DATA / "referral.toml")
    rows = [
        # r1: two referees on one device -> device_shared
        "2025-01-10 10:00:00,signup,a1,ref,,,,r1,,D,1.1.1.1",
        "2025-01-10 11:00:00,signup,a2,ref,,,,r1,,D,2.2.2.2",
        # r2: three referees in 10.9.9.0/24 -> ip_cluster
        "2025-01-10 10:00:00,signup,b1,ref,,,,r2,,db1,10.9.9.1",
        "2025-01-10 11:00:00,signup,b2,ref,,,,r2,,db2,10.9.9.2",
        "2025-01-10 12:00:00,signup,b3,ref,,,,r2,,db3,10.9.9.3",
        # r3: four referees within 9 minutes -> burst (more than 3 in 10 minutes)
        "2025-01-11 12:00:00,signup,c1,ref,,,,r3,,dc1,20.0.1.1",
        "2025-01-11 12:03:00,signup,c2,ref,,,,r3,,dc2,20.0.2.1",
        "2025-01-11 12:06:00,signup,c3,ref,,,,r3,,dc3,20.0.3.1",
        "2025-01-11 12:09:00,signup,c4,ref,,,,r3,,dc4,20.0.4.1",
        # r4: three referees rewarded on 01-11, never active after -> inactive_referees
        "2025-01-10 09:00:00,signup,e1,ref,,,,r4,,de1,30.0.1.1",
        "2025-01-10 09:30:00,signup,e2,ref,,,,r4,,de2,30.0.2.1",
        "2025-01-10 10:00:00,signup,e3,ref,,,,r4,,de3,30.0.3.1",
        "2025-01-11 09:00:00,reward,e1,ref,,,,,10,,",
        "2025-01-11 09:00:00,reward,e2,ref,,,,,10,,",
        "2025-01-11 09:00:00,reward,e3,ref,,,,,10,,",
        "2025-01-11 09:00:00,reward,r4,ref,,,,,30,,",
        "2025-01-11 08:00:00,active,e1,,,,,,,,",  # before the reward: does not clear e1
        # r5: the same, but f1 is active the day after its reward -> not flagged
        "2025-01-10 09:00:00,signup,f1,ref,,,,r5,,df1,40.0.1.1",
        "2025-01-10 09:30:00,signup,f2,ref,,,,r5,,df2,40.0.2.1",
        "2025-01-10 10:00:00,signup,f3,ref,,,,r5,,df3,40.0.3.1",
        "2025-01-11 09:00:00,reward,f1,ref,,,,,10,,",
        "2025-01-11 09:00:00,reward,f2,ref,,,,,10,,",
        "2025-01-11 09:00:00,reward,f3,ref,,,,,10,,",
        "2025-01-12 09:00:00,active,f1,,,,,,,,",
        # r6: three referees of 50.0.0.0/24 but /24 allows 2... on /16 they would not be
        # judged: they are in three different /24s -> not flagged
        "2025-01-10 10:00:00,signup,g1,ref,,,,r6,,dg1,50.0.1.1",
        "2025-01-10 11:00:00,signup,g2,ref,,,,r6,,dg2,50.0.2.1",
        "2025-01-10 12:00:00,signup,g3,ref,,,,r6,,dg3,50.0.3.1",
    ]
    c = run(ws, csv_file(tmp_path / "e.csv", rows)).campaigns[0]
    assert c.referral is not None
    flags = {f.referrer_id: f for f in c.referral.fraud_flags}
    assert set(flags) == {"r1", "r2", "r3", "r4"}
    assert flags["r1"].reasons == ("device_shared",)
    assert flags["r1"].referees == 2
    assert flags["r2"].reasons == ("ip_cluster",)
    assert flags["r3"].reasons == ("burst",)
    assert flags["r4"].reasons == ("inactive_referees",)
    assert flags["r4"].money_at_risk == 60.0  # 3 x 10 to the referees + 30 to r4
    assert flags["r1"].money_at_risk == 0.0
    assert c.referral.money_at_risk == 60.0
    assert c.metrics["money_at_risk"] == 60.0
    assert c.metrics["flagged_referrers"] == 4
    assert c.metrics["cost"] == 90.0  # 3 x 10 + 30 + 3 x 10


PARTNERSHIP = """
id = "leishan"
name = "Leishan county specialties"
kind = "partnership"
owner = "partner-relations"

[window]
start = 2025-03-01
end = 2025-05-31

[budget]
amount = 10000

[targets]
acquired = 10
merchants_onboarded = 4

[[targets.segments]]
dimension = "region"
value = "522634"
metric = "merchants_onboarded"
target = 2

[partnership]
programme = "specialty_ecommerce"

[partnership.partner]
name = "黔东南州人民政府"
level = "prefecture"
divisions = ["522600"]

[partnership.agreement]
signed = 2025-02-20
start = 2025-03-01
end = 2025-05-31

[[partnership.milestones]]
name = "Kick-off"
due = 2025-03-05
owner = "pr"
done = true
done_on = 2025-03-05

[[partnership.milestones]]
name = "First training"
due = 2025-03-08
owner = "pr"

[[partnership.milestones]]
name = "County head livestream"
due = 2025-03-20
owner = "live-ops"

[[partnership.milestones]]
name = "Review"
due = 2025-04-30
owner = "pr"
"""


def test_partnership_regions_merchants_and_milestones(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, PARTNERSHIP)
    rows = [
        "2025-03-02 10:00:00,signup,p1,leishan,,522634,,,,,",  # Leishan: inside 522600
        "2025-03-02 10:00:00,signup,p2,leishan,,522601,,,,,",  # Kaili: inside 522600
        "2025-03-02 10:00:00,signup,p3,leishan,,440106,,,,,",  # Guangzhou: outside
        "2025-03-02 10:00:00,merchant_onboarded,m1,leishan,,522634,,,,,",
        "2025-03-03 10:00:00,merchant_onboarded,m1,leishan,,522634,,,,,",  # m1 again: once
        "2025-03-04 10:00:00,merchant_onboarded,m2,leishan,,522601,,,,,",
        "2025-03-05 10:00:00,merchant_onboarded,m3,leishan,,440106,,,,,",  # not covered
        "2025-02-20 10:00:00,merchant_onboarded,m4,leishan,,522634,,,,,",  # before the window
    ]
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2025, 3, 10))
    c = result.campaigns[0]
    assert c.metrics["acquired"] == 3
    assert c.metrics["acquired_in_region"] == 2
    assert c.metrics["merchants_onboarded"] == 2  # m1, m2
    assert result.data_quality.outside_windows == 1  # m4
    p = c.partnership
    assert p is not None
    assert [(r.code, r.name, r.acquired, r.merchants_onboarded) for r in p.regions] == [
        ("522600", "黔东南苗族侗族自治州", 2, 2)
    ]
    assert p.acquired_in_region == 2
    assert [(m.name, m.state) for m in p.milestones] == [
        ("Kick-off", "done"),
        ("First training", "overdue"),
        ("County head livestream", "due"),  # within 14 days of as-of
        ("Review", "upcoming"),
    ]
    seg = {(s.dimension, s.value): s for s in c.segments}[("region", "522634")]
    assert seg.target is not None and seg.target.actual == 1  # m1 only
    assert {r.day: r.merchants_onboarded for r in c.daily}[dt.date(2025, 3, 2)] == 1


GALA_SPEC = """
id = "gala"
name = "Gala 2027"
kind = "gala"
owner = "war-room"

[window]
start = 2027-01-30
end = 2027-03-07

[budget]
amount = 1000000

[targets]
acquired = 100

[pacing]
curve = "phases"

[gala]
year = 2027
capacity_rps = 1000000

[[gala.phases]]
name = "warm_up"
start = 2027-01-30
end = 2027-02-04
share = 0.2

[[gala.phases]]
name = "gala_night"
start = 2027-02-05
end = 2027-02-06
share = 0.55

[[gala.phases]]
name = "retention"
start = 2027-02-07
end = 2027-03-07
share = 0.25

[[gala.rounds]]
name = "Opening shake"
at = 2027-02-05T20:05:00
duration_minutes = 10
prize_pool = 1000000.0
expected_participants = 1000
"""


def test_gala_phases_rounds_peak_and_night_cohort(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, GALA_SPEC)
    rows = [
        "2027-01-31 10:00:00,signup,g1,gala,,,,,,,",  # warm-up
        "2027-02-05 20:10:00,signup,g2,gala,,,,,,,",  # night, inside the round
        "2027-02-06 01:00:00,signup,g3,gala,,,,,,,",  # night phase (after midnight)
        "2027-02-01 10:00:00,interaction,g1,gala,,,,,,,",  # warm-up
        "2027-02-05 20:06:10,interaction,g1,gala,,,,,,,",  # round; minute 20:06
        "2027-02-05 20:06:40,interaction,g1,gala,,,,,,,",  # round; minute 20:06
        "2027-02-05 20:06:30,interaction,g2,gala,,,,,,,",  # round; minute 20:06
        "2027-02-05 20:19:59,interaction,g2,gala,,,,,,,",  # round (window to 20:20)
        "2027-02-05 20:25:00,interaction,g3,gala,,,,,,,",  # night, after the round
        "2027-02-06 09:00:00,active,g2,,,,,,,,",  # g2 day 1
        "2027-02-08 09:00:00,active,g2,,,,,,,,",  # g2 day 3
        "2027-02-07 09:00:00,active,g3,,,,,,,,",  # g3 day 1
    ]
    c = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=dt.date(2027, 2, 10)).campaigns[0]
    g = c.gala
    assert g is not None
    phases = {p.name: (p.interactions, p.participants, p.new_users) for p in g.phases}
    assert phases == {
        "warm_up": (1, 1, 1),
        "gala_night": (5, 3, 2),
        "retention": (0, 0, 0),
    }
    assert [(r.name, r.interactions, r.participants, r.new_users) for r in g.rounds] == [
        ("Opening shake", 4, 2, 1)
    ]
    assert g.peak_minute == dt.datetime(2027, 2, 5, 20, 6)
    assert g.peak_minute_interactions == 3
    assert c.metrics["peak_minute_users"] == 2  # g1 and g2 in the peak minute, 20:06
    curve = dict(g.retention_curve)
    assert curve[1] == 1.0  # g2 and g3 both back on day 1
    assert curve[3] == 0.5  # only g2 on day 3 (both cohorts are old enough by 02-10)
    assert curve[7] is None  # nobody signed up 7 days before 02-10 on the night
    # Phases curve: warm-up and night complete (0.2 + 0.55), 4 of 29 retention days.
    assert c.elapsed_share == pytest.approx(0.75 + 0.25 * 4 / 29)
    assert c.metrics["interactions"] == 6


def test_gala_phases_and_rounds_stop_at_the_end_of_the_as_of_day(tmp_path: Path) -> None:
    # A late round from 23:50 (five minutes' grace before 23:55) to 00:10 crosses midnight.
    # With as-of the gala night's first day, the night phase and the late round count only
    # what happened up to midnight in Beijing; the next morning's events are after as-of,
    # though still before the end of that day in Los Angeles, where a second tracked
    # campaign keeps its days (so the run reads rows up to then).
    spec = GALA_SPEC + (
        '\n[[gala.rounds]]\nname = "Midnight bell"\nat = 2027-02-05T23:55:00\n'
        "duration_minutes = 10\nprize_pool = 0.0\nexpected_participants = 1000\n"
    )
    in_la = (
        (DATA / "referral.toml")
        .read_text("utf-8")
        .replace('timezone = "Asia/Shanghai"', 'timezone = "America/Los_Angeles"')
    )
    ws = make_workspace(tmp_path, spec, in_la)
    rows = [
        "2027-02-05 21:00:00,interaction,g1,gala,,,,,,,",  # night, on the as-of day
        "2027-02-05 23:58:00,interaction,g1,gala,,,,,,,",  # night and late round
        "2027-02-05 23:59:30,interaction,g2,gala,,,,,,,",  # night and late round
        "2027-02-06 00:02:00,interaction,g3,gala,,,,,,,",  # late round, but after as-of
        "2027-02-06 08:00:00,interaction,g3,gala,,,,,,,",  # night phase, after as-of
    ]
    data = csv_file(tmp_path / "e.csv", rows)
    c = {x.id: x for x in run(ws, data, as_of=dt.date(2027, 2, 5)).campaigns}["gala"]
    g = c.gala
    assert g is not None
    night = {p.name: (p.interactions, p.participants) for p in g.phases}["gala_night"]
    assert night == (3, 2)
    rounds = {r.name: (r.interactions, r.participants) for r in g.rounds}
    assert rounds == {"Opening shake": (0, 0), "Midnight bell": (2, 2)}
    # The next day, the same rows count in full.
    c = {x.id: x for x in run(ws, data, as_of=dt.date(2027, 2, 6)).campaigns}["gala"]
    assert c.gala is not None
    night = {p.name: (p.interactions, p.participants) for p in c.gala.phases}["gala_night"]
    assert night == (5, 3)
    rounds = {r.name: (r.interactions, r.participants) for r in c.gala.rounds}
    assert rounds["Midnight bell"] == (3, 3)
