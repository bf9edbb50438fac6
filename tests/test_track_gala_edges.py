"""Edges of the gala view (docs/metrics.md, "Gala view"): round windows, duplicates, other
campaigns, new users, the peak minute, phases, as-of and the night cohort's retention.

Every figure is worked out by hand from the rows in the test. The spec (``gala_spec``):
window 2027-01-30 .. 2027-03-07; phases warm_up 01-30 .. 02-03 (0.2), no phase on 02-04,
gala_night 02-05 .. 02-06 (0.55), retention 02-07 .. 03-07 (0.25); by default one round,
"Opening shake" at 20:05 for 10 minutes, whose window is 20:00-20:20.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.test_track_edges import csv_file
from tests.test_track_metrics import DATA, make_workspace, run

NIGHT = dt.date(2027, 2, 5)
AFTER = dt.date(2027, 2, 10)

PHASES = """
[[gala.phases]]
name = "warm_up"
start = 2027-01-30
end = 2027-02-03
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
"""


def round_toml(name: str, at: str, minutes: int = 10) -> str:
    return (
        f'\n[[gala.rounds]]\nname = "{name}"\nat = {at}\nduration_minutes = {minutes}\n'
        "prize_pool = 0.0\nexpected_participants = 1000\n"
    )


OPENING = round_toml("Opening shake", "2027-02-05T20:05:00")


def gala_spec(rounds: str = OPENING, tz: str = "Asia/Shanghai") -> str:
    return f"""
id = "gala"
name = "Gala 2027"
kind = "gala"
owner = "war-room"

[window]
start = 2027-01-30
end = 2027-03-07
timezone = "{tz}"

[budget]
amount = 1000000

[targets]
acquired = 100

[pacing]
curve = "phases"

[gala]
year = 2027
capacity_rps = 1000000
{PHASES}{rounds}"""


def ev(when: str, event: str, user: str, campaign: str = "gala", channel: str = "") -> str:
    """One CSV row of the contract (the other columns empty)."""
    return f"{when},{event},{user},{campaign},{channel},,,,,,"


def track_gala(tmp_path: Path, rows: list[str], as_of: dt.date = AFTER, **spec: Any) -> Any:
    """(the gala campaign's result, the whole result) for ``rows``."""
    ws = make_workspace(tmp_path, gala_spec(**spec))
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=as_of)
    (c,) = result.campaigns
    assert c.gala is not None
    return c, result


def rounds_of(c: Any) -> dict[str, tuple[int, int, int]]:
    return {r.name: (r.interactions, r.participants, r.new_users) for r in c.gala.rounds}


def phases_of(c: Any) -> dict[str, tuple[int, int, int]]:
    return {p.name: (p.interactions, p.participants, p.new_users) for p in c.gala.phases}


def test_overlapping_rounds_both_count_and_a_round_crosses_midnight(tmp_path: Path) -> None:
    """Each round counts its own window: a row in two overlapping windows is in both, and a
    round that crosses midnight takes the rows of both days."""
    rounds = (
        OPENING  # 20:00-20:20
        + round_toml("Second shake", "2027-02-05T20:18:00")  # 20:13-20:33
        + round_toml("Midnight bell", "2027-02-05T23:55:00")  # 23:50-00:10
    )
    rows = [
        ev("2027-02-05 20:05:00", "interaction", "g1"),  # Opening only
        ev("2027-02-05 20:15:00", "interaction", "g1"),  # Opening and Second
        ev("2027-02-05 20:19:30", "interaction", "g2"),  # Opening and Second
        ev("2027-02-05 20:16:00", "signup", "g3"),  # new in Opening and Second
        ev("2027-02-05 20:25:00", "interaction", "g3"),  # Second only
        ev("2027-02-05 23:49:59", "interaction", "g4"),  # no round (night phase)
        ev("2027-02-05 23:50:00", "interaction", "g4"),  # Midnight bell
        ev("2027-02-06 00:05:00", "signup", "g5"),  # new in Midnight bell
        ev("2027-02-06 00:09:59", "interaction", "g5"),  # Midnight bell
        ev("2027-02-06 00:10:00", "interaction", "g5"),  # no round: the bell closed
    ]
    c, _ = track_gala(tmp_path, rows, rounds=rounds)
    assert rounds_of(c) == {
        "Opening shake": (3, 2, 1),  # g1 x2, g2; new g3
        "Second shake": (3, 3, 1),  # g1, g2, g3; new g3
        "Midnight bell": (2, 2, 1),  # g4 23:50, g5 00:09:59; new g5
    }
    # The night phase holds all 8 interactions of 02-05 and 02-06, by g1..g5, once each.
    assert phases_of(c)["gala_night"] == (8, 5, 2)
    assert c.metrics["interactions"] == 8


def test_round_window_boundaries_by_whole_minutes(tmp_path: Path) -> None:
    """A 20:05 round of 10 minutes takes 20:00:00 up to 20:19:59.999, not 20:20:00, for
    interactions and new users alike."""
    rows = [
        ev("2027-02-05 19:59:59.999", "interaction", "u1"),  # out: before 20:00
        ev("2027-02-05 20:00:00", "interaction", "u2"),  # in: at - 5 min exactly
        ev("2027-02-05 20:00:59", "interaction", "u3"),  # in: inside the first minute
        ev("2027-02-05 20:19:59.999", "interaction", "u4"),  # in: inside the last minute
        ev("2027-02-05 20:20:00", "interaction", "u5"),  # out: at + 10 + 5 min
        ev("2027-02-05 19:59:59", "signup", "s1"),  # out
        ev("2027-02-05 20:00:00", "signup", "s2"),  # in
        ev("2027-02-05 20:19:59.999", "signup", "s3"),  # in
        ev("2027-02-05 20:20:00", "signup", "s4"),  # out
    ]
    c, _ = track_gala(tmp_path, rows)
    assert rounds_of(c) == {"Opening shake": (3, 3, 2)}  # u2, u3, u4; new s2, s3
    assert phases_of(c)["gala_night"] == (5, 5, 4)


def test_exact_duplicates_in_a_round_count_once(tmp_path: Path) -> None:
    """A re-sent interaction counts once in the round, the phase and the peak minute; a row
    that differs in one column is another interaction."""
    rows = [
        ev("2027-02-05 20:06:10", "interaction", "g1"),
        ev("2027-02-05 20:06:10", "interaction", "g1"),  # copy
        ev("2027-02-05 20:06:10", "interaction", "g1"),  # copy
        ev("2027-02-05 20:06:10", "interaction", "g1", channel="tv_gala"),  # another row
        ev("2027-02-05 20:06:20", "interaction", "g2"),
        ev("2027-02-05 20:06:20", "interaction", "g2"),  # copy
        ev("2027-02-05 20:10:00", "signup", "g3"),
        ev("2027-02-05 20:10:00", "signup", "g3"),  # copy: still one new user
    ]
    c, result = track_gala(tmp_path, rows)
    assert rounds_of(c) == {"Opening shake": (3, 2, 1)}  # g1 twice (2 rows), g2 once
    assert phases_of(c)["gala_night"] == (3, 2, 1)
    assert c.metrics["interactions"] == 3
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)
    assert c.gala.peak_minute_interactions == 3
    assert c.metrics["peak_minute_interactions"] == 3
    assert c.metrics["peak_minute_users"] == 2
    assert result.data_quality.duplicates == 4  # 2 + 1 extra interactions, 1 extra signup


def test_other_and_empty_campaigns_in_a_round_do_not_count(tmp_path: Path) -> None:
    """Interactions and signups of another campaign, or of none, inside the round's window
    are not the gala's."""
    rows = [
        ev("2027-02-05 20:06:00", "interaction", "g1"),  # the gala's
        ev("2027-02-05 20:07:00", "interaction", "g2", campaign="other"),
        ev("2027-02-05 20:07:10", "interaction", "g2", campaign="other"),
        ev("2027-02-05 20:07:20", "interaction", "g3", campaign=""),
        ev("2027-02-05 20:07:30", "interaction", "g3", campaign=""),
        ev("2027-02-05 20:10:00", "signup", "g4", campaign="other"),
        ev("2027-02-05 20:10:00", "signup", "g5", campaign=""),  # organic
    ]
    c, result = track_gala(tmp_path, rows)
    assert rounds_of(c) == {"Opening shake": (1, 1, 0)}
    assert phases_of(c)["gala_night"] == (1, 1, 0)
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)  # not 20:07 (2 + 2 rows)
    assert c.gala.peak_minute_interactions == 1
    assert c.metrics["peak_minute_users"] == 1
    assert c.metrics["interactions"] == 1
    assert result.data_quality.other_campaigns == 3  # g2's two interactions, g4's signup


def test_round_new_users_are_first_signups_acquired_by_the_gala(tmp_path: Path) -> None:
    """A round's new users are the gala's acquired users whose first signup falls in the
    round: not a user who signed up earlier, elsewhere, or organically."""
    rows = [
        ev("2027-02-05 20:10:00", "signup", "n1"),  # new
        ev("2027-02-01 10:00:00", "signup", "n2"),  # warm-up: acquired then
        ev("2027-02-05 20:10:00", "signup", "n2"),  # ... not new in the round
        ev("2027-02-05 20:10:00", "signup", "n3", campaign="other"),  # first: other's
        ev("2027-02-05 20:12:00", "signup", "n3"),  # ... so never the gala's
        ev("2027-02-03 10:00:00", "signup", "n4", campaign=""),  # organic first
        ev("2027-02-05 20:11:00", "signup", "n4"),  # ... never the gala's
        ev("2027-02-05 20:11:00", "signup", "n5", campaign="other"),  # tie: "gala" wins
        ev("2027-02-05 20:11:00", "signup", "n5"),  # ... new
        ev("2027-02-05 20:11:00", "signup", "n6", campaign="fair"),  # tie: "fair" wins
        ev("2027-02-05 20:11:00", "signup", "n6"),  # ... not the gala's
    ]
    c, _ = track_gala(tmp_path, rows)
    assert rounds_of(c) == {"Opening shake": (0, 0, 2)}  # n1, n5
    assert {k: v[2] for k, v in phases_of(c).items()} == {
        "warm_up": 1,  # n2
        "gala_night": 2,  # n1, n5
        "retention": 0,
    }
    assert c.metrics["acquired"] == 3


def test_peak_minute_ties_go_to_the_earliest_with_its_own_users(tmp_path: Path) -> None:
    """Two minutes with as many interactions: the earlier is the peak, and its distinct
    users are counted, not the later minute's."""
    rows = [
        ev("2027-02-05 21:00:05", "interaction", "a"),  # 21:00: 3 interactions, 3 users
        ev("2027-02-05 21:00:15", "interaction", "b"),
        ev("2027-02-05 21:00:25", "interaction", "c"),
        ev("2027-02-05 20:30:00", "interaction", "a"),  # 20:30: 3 interactions, 2 users
        ev("2027-02-05 20:30:30", "interaction", "a"),
        ev("2027-02-05 20:30:59.999", "interaction", "b"),
        ev("2027-02-05 20:31:00", "interaction", "c"),  # the next minute
        ev("2027-02-01 10:00:00", "interaction", "d"),  # warm-up: 2
        ev("2027-02-01 10:00:01", "interaction", "e"),
    ]
    c, _ = track_gala(tmp_path, rows)
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 30)
    assert c.gala.peak_minute_interactions == 3
    assert c.metrics["peak_minute_users"] == 2  # a and b


def test_peak_minute_and_rounds_with_a_utc_workspace(tmp_path: Path) -> None:
    """Naive times read in a UTC workspace land in the Shanghai round, days and peak minute
    of the campaign, and the peak minute is shown in Shanghai time."""
    (tmp_path / "xhsgrow.toml").write_text('timezone = "UTC"\n', "utf-8")
    rows = [
        ev("2027-02-04 15:59:59", "interaction", "w"),  # 02-04 23:59:59: no phase (gap)
        ev("2027-02-04 16:00:00", "interaction", "n"),  # 02-05 00:00 Shanghai: night
        ev("2027-02-05 12:06:10", "interaction", "g1"),  # 20:06:10: round, peak minute
        ev("2027-02-05 12:06:50", "interaction", "g2"),  # 20:06:50: round, peak minute
        ev("2027-02-05 12:20:00", "interaction", "g3"),  # 20:20: after the round
        ev("2027-02-05 16:30:00", "interaction", "g4"),  # 02-06 00:30: night
        ev("2027-02-05 12:10:00", "signup", "g5"),  # 20:10: new in the round
        ev("2027-01-29 16:30:00", "signup", "g6"),  # 01-30 00:30: warm-up
    ]
    c, _ = track_gala(tmp_path, rows)
    assert rounds_of(c) == {"Opening shake": (2, 2, 1)}
    assert phases_of(c) == {
        "warm_up": (0, 0, 1),  # g6
        "gala_night": (5, 5, 1),  # n, g1, g2, g3, g4; new g5
        "retention": (0, 0, 0),
    }
    assert c.metrics["interactions"] == 6  # w's too: 02-04 is inside the window
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)
    assert c.gala.peak_minute_interactions == 2
    assert c.metrics["peak_minute_users"] == 2


def test_peak_minute_in_the_campaign_timezone_with_offsets(tmp_path: Path) -> None:
    """A gala in Tokyo: its round (20:05 Tokyo = 11:05 UTC), its days and its peak minute
    are in Tokyo time, whatever the offset on each row."""
    rows = [
        ev("2027-02-05T11:06:10+00:00", "interaction", "g1"),  # 20:06:10 Tokyo
        ev("2027-02-05 19:06:30", "interaction", "g2"),  # naive Shanghai: 20:06:30 Tokyo
        ev("2027-02-05T20:06:40+09:00", "interaction", "g3"),  # 20:06:40 Tokyo
        ev("2027-02-05T11:06:50Z", "interaction", "g3"),  # 20:06:50 Tokyo
        ev("2027-02-05 20:06:00", "interaction", "g4"),  # naive Shanghai: 21:06 Tokyo
        ev("2027-02-04T15:30:00Z", "interaction", "g5"),  # 02-05 00:30 Tokyo: night
        ev("2027-02-03T14:59:59Z", "interaction", "g6"),  # 02-03 23:59:59 Tokyo: warm-up
        ev("2027-02-05T11:19:59+00:00", "signup", "g7"),  # 20:19:59 Tokyo: new, round
        ev("2027-02-05T11:20:00Z", "signup", "g8"),  # 20:20 Tokyo: after the round
    ]
    c, _ = track_gala(tmp_path, rows, tz="Asia/Tokyo")
    assert rounds_of(c) == {"Opening shake": (4, 3, 1)}  # g1, g2, g3 x2; new g7
    assert phases_of(c) == {
        "warm_up": (1, 1, 0),
        "gala_night": (6, 5, 2),  # g1..g5; new g7, g8
        "retention": (0, 0, 0),
    }
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)
    assert c.gala.peak_minute_interactions == 4
    assert c.metrics["peak_minute_users"] == 3


def test_a_day_outside_every_phase_counts_in_no_phase(tmp_path: Path) -> None:
    """Interactions on 02-04, between warm-up and night, count for the campaign but for no
    phase, and that day adds nothing to the phases curve; each phase shows its share."""
    rows = [
        ev("2027-02-03 23:59:59", "interaction", "g1"),  # warm-up's last second
        ev("2027-02-04 00:00:00", "interaction", "g1"),  # the gap day
        ev("2027-02-04 10:00:00", "interaction", "g2"),  # the gap day
        ev("2027-02-04 10:00:00", "signup", "g2"),  # acquired, in no phase
        ev("2027-02-05 00:00:00", "interaction", "g3"),  # night's first second
    ]
    c, _ = track_gala(tmp_path, rows)
    assert phases_of(c) == {
        "warm_up": (1, 1, 0),
        "gala_night": (1, 1, 0),
        "retention": (0, 0, 0),
    }
    assert [(p.name, p.expected_share) for p in c.gala.phases] == [
        ("warm_up", 0.2),
        ("gala_night", 0.55),
        ("retention", 0.25),
    ]
    assert c.metrics["interactions"] == 4
    assert c.metrics["acquired"] == 1
    # 02-10: warm-up and night complete, 4 of the 29 retention days (02-07 .. 02-10).
    assert c.elapsed_share == pytest.approx(0.2 + 0.55 + 0.25 * 4 / 29)
    # On the gap day itself the curve stays at the warm-up's 0.2.
    c, _ = track_gala(tmp_path, rows, as_of=dt.date(2027, 2, 4))
    assert c.elapsed_share == pytest.approx(0.2)
    assert c.metrics["interactions"] == 3


def test_as_of_in_the_middle_of_the_gala(tmp_path: Path) -> None:
    """With as-of the eve, a round after midnight shows zeros, and nothing of the next day
    counts: not in the phases, not in the peak minute, not in new users."""
    rounds = OPENING + round_toml("After midnight", "2027-02-06T00:30:00")  # 00:25-00:45
    rows = [
        ev("2027-02-05 20:06:00", "interaction", "g1"),
        ev("2027-02-05 20:10:00", "signup", "g1"),
        ev("2027-02-05 23:59:59.999", "interaction", "g2"),  # still the as-of day
        ev("2027-02-06 00:30:00", "interaction", "a1"),  # after as-of: 3 in one minute
        ev("2027-02-06 00:30:10", "interaction", "a2"),
        ev("2027-02-06 00:30:20", "interaction", "a3"),
        ev("2027-02-06 00:31:00", "signup", "a4"),  # after as-of
    ]
    c, result = track_gala(tmp_path, rows, as_of=NIGHT, rounds=rounds)
    assert rounds_of(c) == {"Opening shake": (1, 1, 1), "After midnight": (0, 0, 0)}
    assert phases_of(c)["gala_night"] == (2, 2, 1)
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)  # earliest of two 1s
    assert c.gala.peak_minute_interactions == 1
    assert c.metrics["interactions"] == 2
    assert c.metrics["acquired"] == 1
    assert result.data_quality.after_as_of == 4
    # A day later the same rows count in full.
    c, _ = track_gala(tmp_path, rows, as_of=dt.date(2027, 2, 6), rounds=rounds)
    assert rounds_of(c)["After midnight"] == (3, 3, 1)
    assert c.gala.peak_minute == dt.datetime(2027, 2, 6, 0, 30)
    assert c.gala.peak_minute_interactions == 3


def test_night_cohort_retention_curve_with_a_cohort_too_young(tmp_path: Path) -> None:
    """The curve follows the users acquired on the night (02-05 and 02-06) only; a day n
    counts only the cohorts whose day n is on or before as-of (02-19)."""
    rows = [
        ev("2027-02-05 21:00:00", "signup", "a"),  # night cohort, day 0 = 02-05
        ev("2027-02-06 09:00:00", "signup", "b"),  # night cohort, day 0 = 02-06
        ev("2027-02-01 10:00:00", "signup", "w"),  # warm-up: not in the curve
        ev("2027-02-08 10:00:00", "signup", "r"),  # retention phase: not in the curve
        ev("2027-02-05 21:00:00", "signup", "x", campaign="other"),  # other's user
        ev("2027-02-05 21:30:00", "signup", "x"),
        ev("2027-02-05T16:30:00Z", "active", "a", campaign=""),  # 02-06 00:30: a day 1
        ev("2027-02-05 23:00:00", "active", "b", campaign=""),  # before b's signup
        ev("2027-02-08 09:00:00", "active", "a", campaign=""),  # a day 3
        ev("2027-02-09 09:00:00", "activate", "b", campaign=""),  # b day 3
        ev("2027-02-13 09:00:00", "active", "b", campaign=""),  # b day 7
        ev("2027-02-19 23:59:59", "active", "a", campaign=""),  # a day 14 (as-of day)
        ev("2027-02-20 09:00:00", "active", "b", campaign=""),  # b day 14: after as-of
        ev("2027-02-02 10:00:00", "active", "w", campaign=""),  # w day 1
        ev("2027-02-09 10:00:00", "active", "r", campaign=""),  # r day 1
        ev("2027-02-06 10:00:00", "active", "x", campaign=""),  # x: not acquired
    ]
    c, _ = track_gala(tmp_path, rows, as_of=dt.date(2027, 2, 19))
    assert dict(c.gala.retention_curve) == {
        1: 0.5,  # a yes (02-06), b no (02-07)
        3: 1.0,  # a (02-08), b (02-09, activate)
        7: 0.5,  # a no (02-12), b yes (02-13)
        14: 1.0,  # a only is old enough (02-19); b's day 14 is 02-20
        30: None,  # a's day 30 is 03-07
    }
    # The campaign's D1 takes every acquired user: w, a, r yes; b no.
    assert c.metrics["retention_d1"] == pytest.approx(3 / 4)


def test_rejected_rows_in_a_round_window_are_not_counted(tmp_path: Path) -> None:
    """Malformed rows inside the round's window count nowhere in the gala view and are all
    accounted for in data quality."""
    rows = [
        ev("2027-02-05 20:06:10", "interaction", "g1"),  # line 2: fine
        ev("2027-02-05 20:06:1x", "interaction", "g2"),  # line 3: event_time
        ev("2027/02/05 20:07:00", "interaction", "g3"),  # line 4: event_time
        ev("2027-02-05 24:00:00", "interaction", "g3"),  # line 5: event_time
        ev("2027-02-05 20:07:00", "interaction", ""),  # line 6: user_id
        ev("", "interaction", "g4"),  # line 7: event_time (missing)
        ev("2027-02-05 20:08:00", "", "g5"),  # line 8: event
        ev("2027-02-05 20:10:0", "signup", "g6"),  # line 9: event_time
    ]
    c, result = track_gala(tmp_path, rows)
    assert rounds_of(c) == {"Opening shake": (1, 1, 0)}
    assert phases_of(c)["gala_night"] == (1, 1, 0)
    assert c.gala.peak_minute_interactions == 1
    assert c.metrics["peak_minute_users"] == 1
    q = result.data_quality
    assert q.rows_read == 8
    assert q.rows_rejected == 7
    assert q.rejected_by_reason == {"event_time": 5, "user_id": 1, "event": 1}
    assert [s.line for s in q.rejected_samples] == [3, 4, 5, 6, 7]  # the first five


def test_round_grace_minutes_outside_the_campaign_window_do_not_count(tmp_path: Path) -> None:
    """A round at the very start or end of the window: its five minutes' grace reach outside
    the window, where the gala's rows count for nothing (docs: events attributed to a
    campaign count only inside its window), in the round as everywhere else."""
    rounds = (
        round_toml("Dawn", "2027-01-30T00:02:00")  # 01-29 23:57 .. 01-30 00:17
        + round_toml("Last call", "2027-03-07T23:50:00")  # 03-07 23:45 .. 03-08 00:05
    )
    rows = [
        ev("2027-01-29 23:58:00", "interaction", "b1"),  # before the window
        ev("2027-01-29 23:58:30", "interaction", "b1"),  # before the window
        ev("2027-01-29 23:59:00", "signup", "b0"),  # before the window: not acquired
        ev("2027-01-30 00:05:00", "interaction", "b2"),  # Dawn
        ev("2027-03-07 23:55:00", "interaction", "e1"),  # Last call
        ev("2027-03-08 00:03:00", "interaction", "e2"),  # after the window
        ev("2027-03-08 00:03:10", "interaction", "e3"),  # after the window
        ev("2027-03-08 00:03:20", "interaction", "e3"),  # after the window
    ]
    c, result = track_gala(tmp_path, rows, as_of=dt.date(2027, 3, 10), rounds=rounds)
    assert c.metrics["interactions"] == 2  # b2, e1
    assert result.data_quality.outside_windows == 6  # b1 x2, b0, e2, e3 x2
    assert rounds_of(c) == {"Dawn": (1, 1, 0), "Last call": (1, 1, 0)}


def test_round_at_with_seconds_judges_signups_and_interactions_alike(tmp_path: Path) -> None:
    """A round at 20:05:30 has one window, "by whole minutes": whichever minutes those are,
    an interaction and a first signup at the same instant are both in it or both out."""
    rows = [
        ev("2027-02-05 20:00:40", "interaction", "p1"),  # in the minute of 20:00:30
        ev("2027-02-05 20:00:40", "signup", "p1"),
        ev("2027-02-05 20:00:50", "interaction", "p2"),
        ev("2027-02-05 20:00:50", "signup", "p2"),
        ev("2027-02-05 20:20:40", "interaction", "p3"),  # in the minute of 20:20:30
        ev("2027-02-05 20:20:40", "signup", "p3"),
    ]
    c, _ = track_gala(tmp_path, rows, rounds=round_toml("Odd", "2027-02-05T20:05:30"))
    ((interactions, participants, new_users),) = rounds_of(c).values()
    assert (interactions, participants) == (new_users, new_users)
    # The whole minutes that start inside 20:00:30..20:20:30 are 20:01..20:20: p3 alone.
    assert rounds_of(c) == {"Odd": (1, 1, 1)}


def test_two_gala_campaigns_in_two_timezones_keep_their_own_figures(tmp_path: Path) -> None:
    """Two galas tracked at once, in Shanghai and Tokyo: each round, phase and peak minute
    holds its own campaign's rows, in its own timezone; rows before the window are no peak."""
    tokyo = gala_spec(tz="Asia/Tokyo").replace('id = "gala"', 'id = "galb"')
    ws = make_workspace(tmp_path, gala_spec(), tokyo)
    rows = [
        ev("2027-02-05 20:06:00", "interaction", "a1"),  # gala: round (Shanghai 20:06)
        ev("2027-02-05 19:06:00", "interaction", "b1", campaign="galb"),  # 20:06 Tokyo
        ev("2027-02-05 19:06:20", "interaction", "b2", campaign="galb"),  # 20:06 Tokyo
        ev("2027-02-05 19:10:00", "signup", "b3", campaign="galb"),  # 20:10 Tokyo: new
        ev("2027-02-04 23:30:00", "interaction", "b4", campaign="galb"),  # 02-05 00:30 Tokyo
        ev("2027-01-28 10:00:00", "interaction", "a2"),  # before the window: 3 in a minute
        ev("2027-01-28 10:00:10", "interaction", "a2"),
        ev("2027-01-28 10:00:20", "interaction", "a3"),
    ]
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=AFTER)
    c = {x.id: x for x in result.campaigns}
    assert rounds_of(c["gala"]) == {"Opening shake": (1, 1, 0)}
    assert rounds_of(c["galb"]) == {"Opening shake": (2, 2, 1)}
    assert phases_of(c["gala"])["gala_night"] == (1, 1, 0)
    assert phases_of(c["galb"])["gala_night"] == (3, 3, 1)  # b1, b2, b4; new b3
    assert c["gala"].gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)
    assert c["gala"].gala.peak_minute_interactions == 1
    assert c["galb"].gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)  # Tokyo time
    assert c["galb"].gala.peak_minute_interactions == 2
    assert c["galb"].metrics["peak_minute_users"] == 2


def test_as_of_day_ends_in_the_galas_timezone_beside_a_later_one(tmp_path: Path) -> None:
    """A second campaign in Los Angeles keeps reading rows up to its own as-of day's end;
    the gala's rows after its own (Shanghai) as-of day still count nowhere, peak included."""
    in_la = (
        (DATA / "referral.toml")
        .read_text("utf-8")
        .replace('timezone = "Asia/Shanghai"', 'timezone = "America/Los_Angeles"')
    )
    rounds = OPENING + round_toml("After midnight", "2027-02-06T00:30:00")
    ws = make_workspace(tmp_path, gala_spec(rounds=rounds), in_la)
    rows = [
        ev("2027-02-05 20:06:00", "interaction", "a1"),
        ev("2027-02-06 00:30:00", "interaction", "x1"),  # after the gala's as-of: 3 in
        ev("2027-02-06 00:30:00", "interaction", "x1"),  # ... one minute (one a copy)
        ev("2027-02-06 00:30:10", "interaction", "x2"),
        ev("2027-02-06 00:31:00", "signup", "x3"),
        ev("2027-02-06 08:00:00", "interaction", "x2"),  # before the end of 02-05 in LA
    ]
    result = run(ws, csv_file(tmp_path / "e.csv", rows), as_of=NIGHT)
    c = {x.id: x for x in result.campaigns}["gala"]
    assert rounds_of(c) == {"Opening shake": (1, 1, 0), "After midnight": (0, 0, 0)}
    assert phases_of(c)["gala_night"] == (1, 1, 0)
    assert c.gala.peak_minute == dt.datetime(2027, 2, 5, 20, 6)
    assert c.gala.peak_minute_interactions == 1
    assert c.metrics["peak_minute_users"] == 1
    assert c.metrics["interactions"] == 1
    assert c.metrics["acquired"] == 0
    assert result.data_quality.after_as_of == 5  # the gala's 5 rows of 02-06
    assert result.data_quality.duplicates == 0  # the copy is after as-of
