"""Edges of the referral metrics and view (docs/metrics.md: Metrics, Referral view): invites,
referred signups, K-factor, top referrers and fraud flags. Every figure is worked out by hand
from the rows shown, on the spec tests/data/events/referral.toml (window 2025-01-10 ..
2025-01-20 in Asia/Shanghai, activation days 0-2; fraud: 1 referee per device, 2 per /24, 3
per 10 minutes) unless a test says otherwise. As-of is 2025-01-16 unless given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.test_track_edges import csv_file
from tests.test_track_metrics import DATA, make_workspace, run
from xhsgrow.tracking.result import CampaignResult, DataQuality

SPEC = DATA / "referral.toml"


def signup(
    at: str, user: str, referrer: str = "", device: str = "", ip: str = "", campaign: str = "ref"
) -> str:
    """A signup row of the contract's CSV (tests.test_track_edges.HEADER)."""
    return f"{at},signup,{user},{campaign},,,,{referrer},,{device},{ip}"


def reward(at: str, user: str, amount: str, campaign: str = "ref") -> str:
    return f"{at},reward,{user},{campaign},,,,,{amount},,"


def invite(at: str, user: str, campaign: str = "ref", channel: str = "") -> str:
    return f"{at},invite,{user},{campaign},{channel},,,,,,"


def activity(at: str, user: str, event: str = "active") -> str:
    return f"{at},{event},{user},,,,,,,,"


def track_rows(
    tmp_path: Path, rows: list[str], spec: str | Path = SPEC, **kw: object
) -> tuple[CampaignResult, DataQuality]:
    """The tracked campaign 'ref' over ``rows``, and the run's data quality."""
    ws = make_workspace(tmp_path, spec)
    result = run(ws, csv_file(tmp_path / "e.csv", rows), **kw)
    c = {x.id: x for x in result.campaigns}["ref"]
    return c, result.data_quality


# --- invites, inviters, invite conversion ---------------------------------------------------


def test_invites_count_distinct_events_in_the_window_up_to_as_of(tmp_path: Path) -> None:
    """Re-sent invite rows count once; invites before the window, after as-of or of another
    campaign do not count; inviters are distinct; conversion is referred signups / invites."""
    rows = [
        invite("2025-01-10 09:00:00", "i1"),  # 1
        invite("2025-01-10 09:00:00", "i1"),  # exact copy: a duplicate, not an invite
        invite("2025-01-10 09:01:00", "i1"),  # 2 (same inviter, another invite)
        invite("2025-01-12 10:00:00", "i2", channel="sms"),  # 3
        invite("2025-01-12 10:00:00", "i2", channel="in_app"),  # 4 (differs in channel)
        invite("2025-01-09 23:59:59", "i3"),  # before the window: outside_windows
        invite("2025-01-16 23:59:59", "i4"),  # 5: the last second of the as-of day
        invite("2025-01-17 00:00:00", "i5"),  # after as-of
        invite("2025-01-12 10:00:00", "i6", campaign="other"),  # another campaign
        invite("2025-01-09T16:00:00Z", "i7"),  # 6: 01-10 00:00 in Shanghai
        signup("2025-01-11 10:00:00", "s1", referrer="i1"),
        signup("2025-01-11 11:00:00", "s2", referrer="i2"),
        signup("2025-01-11 12:00:00", "s3"),  # not referred
    ]
    c, quality = track_rows(tmp_path, rows)
    ref = c.referral
    assert ref is not None
    assert (c.metrics["invites"], c.metrics["inviters"]) == (6, 4)  # i1, i2, i4, i7
    assert (ref.invites, ref.inviters, ref.referred_signups) == (6, 4, 2)
    assert c.metrics["invite_conversion"] == pytest.approx(2 / 6)
    assert ref.invite_conversion == pytest.approx(2 / 6)
    by_day = {r.day: r.invites for r in c.daily}
    assert by_day[dt.date(2025, 1, 10)] == 3  # i1 twice, i7
    assert by_day[dt.date(2025, 1, 12)] == 2
    assert by_day[dt.date(2025, 1, 16)] == 1
    assert sum(by_day.values()) == 6
    assert quality.duplicates == 1
    assert (quality.outside_windows, quality.after_as_of, quality.other_campaigns) == (1, 1, 1)


def test_invites_after_the_window_do_not_count_even_before_as_of(tmp_path: Path) -> None:
    """With as-of after the window, an invite on the day after the window's end is not one
    of the campaign's invites (nor its sender an inviter); conversion is then null."""
    rows = [
        invite("2025-01-20 23:59:59", "i1"),  # last second of the window
        invite("2025-01-21 00:00:00", "i2"),  # the day after the window
    ]
    c, quality = track_rows(tmp_path, rows, as_of=dt.date(2025, 1, 25))
    assert (c.metrics["invites"], c.metrics["inviters"]) == (1, 1)
    assert c.metrics["invite_conversion"] == pytest.approx(0 / 1)
    assert quality.outside_windows == 1
    c, _ = track_rows(tmp_path, [invite("2025-01-21 00:00:00", "i2")], as_of=dt.date(2025, 1, 25))
    assert (c.metrics["invites"], c.metrics["inviters"]) == (0, 0)
    assert c.metrics["invite_conversion"] is None  # 0 invites


# --- referred signups -----------------------------------------------------------------------


def test_referred_signups_read_the_referrer_of_the_first_signup_only(tmp_path: Path) -> None:
    """A referrer named on a later signup does not make a user referred; one named on the
    first signup does, whatever the later signups say."""
    rows = [
        # u1: first signup without a referrer, a later one with: acquired, not referred
        signup("2025-01-11 10:00:00", "u1"),
        signup("2025-01-12 10:00:00", "u1", referrer="r"),
        # u2: referred on its only signup
        signup("2025-01-11 10:00:00", "u2", referrer="r"),
        # u3: first signup to another campaign (with r): neither acquired nor referred here
        signup("2025-01-11 10:00:00", "u3", referrer="r", campaign="other"),
        signup("2025-01-12 10:00:00", "u3", referrer="r"),
        # u4: referred first, a later signup without a referrer: still referred
        signup("2025-01-12 10:00:00", "u4", referrer="r"),
        signup("2025-01-13 10:00:00", "u4"),
        # u5: first signup before the window: not acquired
        signup("2025-01-09 10:00:00", "u5", referrer="r"),
        # u6: after as-of
        signup("2025-01-17 10:00:00", "u6", referrer="r"),
        # u7: organic first signup (no campaign), then one naming r
        "2025-01-11 10:00:00,signup,u7,,,,,,,,",
        signup("2025-01-12 10:00:00", "u7", referrer="r"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.metrics["acquired"] == 3  # u1, u2, u4
    assert c.metrics["referred_signups"] == 2  # u2, u4
    by_day = {r.day: r.referred_signups for r in c.daily}
    assert by_day[dt.date(2025, 1, 11)] == 1  # u2 (u1 is not referred)
    assert by_day[dt.date(2025, 1, 12)] == 1  # u4
    assert c.referral is not None
    assert [(t.referrer_id, t.referred_signups) for t in c.referral.top_referrers] == [("r", 2)]


# --- K-factor -------------------------------------------------------------------------------


def test_k_factor_counts_referrers_acquired_by_the_campaign(tmp_path: Path) -> None:
    """Only referred signups whose referrer is an acquired user of this campaign count, be
    the referrer acquired before or after its referee."""
    rows = [
        signup("2025-01-10 10:00:00", "a1"),  # acquired, not referred
        signup("2025-01-11 10:00:00", "b1", referrer="a1"),  # a1 acquired here: counts
        signup("2025-01-10 10:00:00", "o1", campaign="other"),
        signup("2025-01-11 11:00:00", "b2", referrer="o1"),  # o1 acquired elsewhere
        signup("2025-01-11 12:00:00", "b3", referrer="n1"),  # n1 never signed up
        activity("2025-01-11 12:00:00", "n1"),
        signup("2025-01-11 13:00:00", "b4", referrer="l1"),  # l1 signs up later: counts
        signup("2025-01-12 10:00:00", "l1"),
        signup("2025-01-11 14:00:00", "b5", referrer="x5"),  # x5 signs up after as-of
        signup("2025-01-17 10:00:00", "x5"),
        signup("2025-01-11 15:00:00", "b6", referrer="p1"),  # p1 before the window
        signup("2025-01-09 10:00:00", "p1"),
    ]
    c, _ = track_rows(tmp_path, rows)
    # acquired: a1, b1..b6, l1 = 8; referred: b1..b6 = 6; by acquired referrers: b1, b4
    assert (c.metrics["acquired"], c.metrics["referred_signups"]) == (8, 6)
    assert c.metrics["k_factor"] == pytest.approx(2 / 8)
    assert c.referral is not None and c.referral.k_factor == pytest.approx(2 / 8)


def test_self_referral_counts_as_referred_by_an_acquired_user(tmp_path: Path) -> None:
    """A user naming itself as referrer: by the letter of the docs it is a referred signup
    whose referrer (itself) is an acquired user of the campaign."""
    rows = [
        signup("2025-01-11 10:00:00", "s", referrer="s"),
        signup("2025-01-11 11:00:00", "t", referrer="s"),
        signup("2025-01-11 12:00:00", "u"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert (c.metrics["acquired"], c.metrics["referred_signups"]) == (3, 2)
    assert c.metrics["k_factor"] == pytest.approx(2 / 3)
    assert c.referral is not None
    assert [(t.referrer_id, t.referred_signups) for t in c.referral.top_referrers] == [("s", 2)]


# --- top referrers --------------------------------------------------------------------------


def test_top_referrers_ten_by_referred_signups_ties_by_id_with_rewards(tmp_path: Path) -> None:
    """The 10 referrers with most referred signups (ties by id, as text: 'u10' before 'u9'),
    with their activated referees and the rewards paid to them by the campaign up to as-of,
    on any day, to the cent; the 11th is left out."""
    rows = [
        # u10: a1..a3; a1 activates on day 0, a2 on day 2, a3 on day 3 (too late): 2 activated
        signup("2025-01-11 10:00:00", "a1", referrer="u10"),
        signup("2025-01-11 11:00:00", "a2", referrer="u10"),
        signup("2025-01-11 12:00:00", "a3", referrer="u10"),
        activity("2025-01-11 18:00:00", "a1", "activate"),
        activity("2025-01-13 18:00:00", "a2", "activate"),
        activity("2025-01-14 18:00:00", "a3", "activate"),
        # u9: b1..b3; b1 activates: 1 activated; no reward at all
        signup("2025-01-11 10:00:00", "b1", referrer="u9"),
        signup("2025-01-11 11:00:00", "b2", referrer="u9"),
        signup("2025-01-11 12:00:00", "b3", referrer="u9"),
        activity("2025-01-12 18:00:00", "b1", "activate"),
        # u10's rewards: 0.1 before the window + 0.2 after it (before as-of; re-sent once)
        reward("2025-01-05 10:00:00", "u10", "0.1"),
        reward("2025-01-22 10:00:00", "u10", "0.2"),
        reward("2025-01-22 10:00:00", "u10", "0.2"),  # an exact copy: paid once
        reward("2025-01-12 10:00:00", "u10", "100", campaign="other"),  # not this campaign's
        reward("2025-01-26 00:00:00", "u10", "50"),  # after as-of
        # r01..r09: one referee each; r01 paid 1.111 + 2.222 = 3.333 -> 3.33
        *(signup(f"2025-01-12 1{i}:00:00", f"c{i}", referrer=f"r0{i}") for i in range(1, 10)),
        reward("2025-01-13 10:00:00", "r01", "1.111"),
        reward("2025-01-14 10:00:00", "r01", "2.222"),
    ]
    c, _ = track_rows(tmp_path, rows, as_of=dt.date(2025, 1, 25))
    assert c.referral is not None
    got = [
        (t.referrer_id, t.referred_signups, t.activated, t.rewards)
        for t in c.referral.top_referrers
    ]
    assert got == [
        ("u10", 3, 2, 0.3),
        ("u9", 3, 1, 0.0),
        ("r01", 1, 0, 3.33),
        *((f"r0{i}", 1, 0, 0.0) for i in range(2, 9)),
    ]  # r09 is the 11th: left out
    assert c.metrics["cost"] == 3.63  # 0.1 + 0.2 + 1.111 + 2.222 = 3.633, to the cent


def test_top_referrer_ties_by_integer_ids_order_as_their_text(tmp_path: Path) -> None:
    """Integer ids stand for their text (docs/data.md, Ids: "no figure changes"): referrers
    10 and 9 tied on referred signups come in the same order whether the ids are held as
    integers (every id a plain integer) or as text (one id is not)."""
    rows = [
        signup("2025-01-11 10:00:00", "100", referrer="9"),
        signup("2025-01-11 11:00:00", "101", referrer="9"),
        signup("2025-01-11 10:00:00", "102", referrer="10"),
        signup("2025-01-11 11:00:00", "103", referrer="10"),
        signup("2025-01-11 12:00:00", "104", referrer="11"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.referral is not None
    as_integers = [(t.referrer_id, t.referred_signups) for t in c.referral.top_referrers]
    c, _ = track_rows(tmp_path, [*rows, signup("2025-01-11 13:00:00", "x")])
    assert c.referral is not None
    as_text = [(t.referrer_id, t.referred_signups) for t in c.referral.top_referrers]
    assert as_integers == as_text == [("10", 2), ("9", 2), ("11", 1)]


# --- fraud flags ----------------------------------------------------------------------------

#: referral.toml with room for 2 referees per device and 3 per /24.
LOOSER = (
    SPEC.read_text("utf-8")
    .replace("max_referees_per_device = 1", "max_referees_per_device = 2")
    .replace("max_referees_per_ip_cluster = 2", "max_referees_per_ip_cluster = 3")
)


def test_device_and_ip_limits_flag_only_above_the_limit(tmp_path: Path) -> None:
    """A referrer is flagged when more than the limit share a device or a /24, not at it."""
    rows = [
        # rA: 2 referees on one device (= the limit of 2): not flagged
        signup("2025-01-10 10:00:00", "a1", "rA", "DA", "1.0.1.1"),
        signup("2025-01-10 11:00:00", "a2", "rA", "DA", "1.0.2.1"),
        # rB: 3 on one device: device_shared
        signup("2025-01-10 10:00:00", "b1", "rB", "DB", "2.0.1.1"),
        signup("2025-01-10 11:00:00", "b2", "rB", "DB", "2.0.2.1"),
        signup("2025-01-10 12:00:00", "b3", "rB", "DB", "2.0.3.1"),
        # rC: 3 in 10.1.1.0/24 (= the limit of 3): not flagged
        signup("2025-01-10 10:00:00", "c1", "rC", "dc1", "10.1.1.1"),
        signup("2025-01-10 11:00:00", "c2", "rC", "dc2", "10.1.1.2"),
        signup("2025-01-10 12:00:00", "c3", "rC", "dc3", "10.1.1.255"),
        # rD: 4 in 10.2.2.0/24: ip_cluster
        signup("2025-01-10 10:00:00", "d1", "rD", "dd1", "10.2.2.1"),
        signup("2025-01-10 11:00:00", "d2", "rD", "dd2", "10.2.2.2"),
        signup("2025-01-10 12:00:00", "d3", "rD", "dd3", "10.2.2.3"),
        signup("2025-01-10 13:00:00", "d4", "rD", "dd4", "10.2.2.4"),
        # rE: 3 in 10.3.3.0/24 and one next door in 10.3.4.0/24: not flagged
        signup("2025-01-10 10:00:00", "e1", "rE", "de1", "10.3.3.1"),
        signup("2025-01-10 11:00:00", "e2", "rE", "de2", "10.3.3.2"),
        signup("2025-01-10 12:00:00", "e3", "rE", "de3", "10.3.3.3"),
        signup("2025-01-10 13:00:00", "e4", "rE", "de4", "10.3.4.1"),
        # rF: 3 in 10.4.4.0/24 and 010.4.4.4 (a leading zero: no /24): not flagged
        signup("2025-01-10 10:00:00", "f1", "rF", "df1", "10.4.4.1"),
        signup("2025-01-10 11:00:00", "f2", "rF", "df2", "10.4.4.2"),
        signup("2025-01-10 12:00:00", "f3", "rF", "df3", "10.4.4.3"),
        signup("2025-01-10 13:00:00", "f4", "rF", "df4", "010.4.4.4"),
        # rG: 3 referees without a device or an address: nothing to share
        signup("2025-01-10 10:00:00", "g1", "rG"),
        signup("2025-01-10 11:00:00", "g2", "rG"),
        signup("2025-01-10 12:00:00", "g3", "rG"),
    ]
    c, _ = track_rows(tmp_path, rows, spec=LOOSER)
    assert c.referral is not None
    flags = {f.referrer_id: (f.reasons, f.referees) for f in c.referral.fraud_flags}
    assert flags == {"rB": (("device_shared",), 3), "rD": (("ip_cluster",), 4)}
    assert c.metrics["flagged_referrers"] == 2


def test_an_address_that_is_not_ipv4_is_its_own_cluster(tmp_path: Path) -> None:
    """'657673.0' is not a dotted-decimal IPv4 address, so it is a cluster of its own and
    cannot join 10.9.9.0/24 (2 referees there: the limit, not above it)."""
    rows = [
        signup("2025-01-10 10:00:00", "g1", "rG", "dg1", "10.9.9.1"),
        signup("2025-01-10 11:00:00", "g2", "rG", "dg2", "10.9.9.2"),
        signup("2025-01-10 12:00:00", "g3", "rG", "dg3", "657673.0"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.referral is not None
    assert [(f.referrer_id, f.reasons) for f in c.referral.fraud_flags] == []


def test_burst_is_measured_to_the_microsecond(tmp_path: Path) -> None:
    """More than 3 referees within 10 minutes is a burst; 4 signups whose first and last are
    exactly 10 minutes apart are not within one window, a microsecond less is."""
    rows = [
        # rA: 12:00, 12:03, 12:06, 12:10 exactly: at most 3 in any 10 minutes
        signup("2025-01-11 12:00:00", "a1", "rA"),
        signup("2025-01-11 12:03:00", "a2", "rA"),
        signup("2025-01-11 12:06:00", "a3", "rA"),
        signup("2025-01-11 12:10:00", "a4", "rA"),
        # rB: the last a microsecond earlier: 4 within 10 minutes
        signup("2025-01-11 12:00:00", "b1", "rB"),
        signup("2025-01-11 12:03:00", "b2", "rB"),
        signup("2025-01-11 12:06:00", "b3", "rB"),
        signup("2025-01-11 12:09:59.999999", "b4", "rB"),
        # rC: the same instants, the first written in UTC (04:00Z is 12:00 in Shanghai)
        signup("2025-01-11T04:00:00Z", "c1", "rC"),
        signup("2025-01-11 12:03:00", "c2", "rC"),
        signup("2025-01-11 12:06:00", "c3", "rC"),
        signup("2025-01-11 12:09:59.999999", "c4", "rC"),
        # rD: 3 in 10 minutes, then a 4th at 12:10:00.000001 after the second: at most 3
        signup("2025-01-11 12:00:00.000001", "d1", "rD"),
        signup("2025-01-11 12:00:00.000002", "d2", "rD"),
        signup("2025-01-11 12:09:00", "d3", "rD"),
        signup("2025-01-11 12:10:00.000002", "d4", "rD"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.referral is not None
    flags = {f.referrer_id: f.reasons for f in c.referral.fraud_flags}
    assert flags == {"rB": ("burst",), "rC": ("burst",)}


def _three_rewarded(ref: str, p: str, day: str = "2025-01-15") -> list[str]:
    """Referees {p}1..{p}3 of ``ref`` signed up on 01-10, each rewarded 10 on ``day``."""
    rows = [signup(f"2025-01-10 1{i}:00:00", f"{p}{i}", ref) for i in (1, 2, 3)]
    return rows + [reward(f"{day} 09:00:00", f"{p}{i}", "10") for i in (1, 2, 3)]


def test_inactive_referees_need_three_rewarded_a_day_before_as_of(tmp_path: Path) -> None:
    """Flagged when at least 3 referees were rewarded a day or more before as-of and none of
    them was active on a day after their first reward (activity on the reward day itself,
    or after as-of, does not clear them)."""
    rows = [
        # rA: rewarded 01-15 (a day before as-of); a1 active later the same day: flagged
        *_three_rewarded("rA", "a"),
        activity("2025-01-15 20:00:00", "a1"),
        activity("2025-01-15 23:59:59", "a2", "activate"),
        # rB: b2 active on 01-16, the day after its reward: not flagged
        *_three_rewarded("rB", "b"),
        activity("2025-01-16 00:00:00", "b2"),
        # rC: c3 rewarded on as-of day: only 2 rewarded a day before: not flagged
        *_three_rewarded("rC", "c")[:-1],
        reward("2025-01-16 09:00:00", "c3", "10"),
        # rD: three inactive, and a 4th rewarded 01-14 and active 01-15: not flagged
        *_three_rewarded("rD", "d"),
        signup("2025-01-10 14:00:00", "d4", "rD"),
        reward("2025-01-14 09:00:00", "d4", "10"),
        activity("2025-01-15 09:00:00", "d4"),
        # rE: e1's first reward on 01-13, active 01-14, rewarded again 01-15: not flagged
        *_three_rewarded("rE", "e"),
        reward("2025-01-13 09:00:00", "e1", "10"),
        activity("2025-01-14 09:00:00", "e1"),
        # rF: f1 active only after as-of (01-17): unseen, so flagged
        *_three_rewarded("rF", "f"),
        activity("2025-01-17 09:00:00", "f1"),
        # rG: rewarded 01-15 in UTC that is 01-16 in Shanghai (the as-of day): not flagged
        *(signup(f"2025-01-10 1{i}:00:00", f"g{i}", "rG") for i in (1, 2, 3)),
        *(reward("2025-01-15T16:00:00Z", f"g{i}", "10") for i in (1, 2, 3)),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.referral is not None
    flags = {
        f.referrer_id: (f.reasons, f.referees, f.money_at_risk) for f in c.referral.fraud_flags
    }
    assert flags == {
        "rA": (("inactive_referees",), 3, 30.0),
        "rF": (("inactive_referees",), 3, 30.0),
    }
    assert c.referral.money_at_risk == 60.0


def test_money_at_risk_sums_rewards_to_the_referrer_and_its_referees(tmp_path: Path) -> None:
    """Every reward of the campaign up to as-of, on any day, to a flagged referrer and to its
    referees, each paid once, summed exactly and given to the cent; the view's total is the
    sum over the flagged referrers."""
    rows = [
        # rM: m1 and m2 on one device (limit 1): device_shared
        signup("2025-01-10 10:00:00", "m1", "rM", "DM"),
        signup("2025-01-10 11:00:00", "m2", "rM", "DM"),
        reward("2025-01-12 10:00:00", "m1", "0.1"),
        reward("2025-01-13 10:00:00", "m1", "0.2"),
        reward("2025-01-12 10:00:00", "m2", "33.333"),
        reward("2025-01-05 10:00:00", "rM", "66.667"),  # before the window: still paid
        reward("2025-01-05 10:00:00", "rM", "66.667"),  # an exact copy: not paid twice
        reward("2025-01-17 10:00:00", "rM", "1000"),  # after as-of
        reward("2025-01-12 10:00:00", "x1", "7"),  # x1 is no referee of rM
        signup("2025-01-10 12:00:00", "x1", "rX", "dx1"),
        # rN: n1 and n2 on one device; only n1 paid: 1.01
        signup("2025-01-10 10:00:00", "n1", "rN", "DN"),
        signup("2025-01-10 11:00:00", "n2", "rN", "DN"),
        reward("2025-01-12 10:00:00", "n1", "1.01"),
    ]
    c, quality = track_rows(tmp_path, rows)
    assert c.referral is not None
    money = {f.referrer_id: f.money_at_risk for f in c.referral.fraud_flags}
    assert money == {"rM": 100.3, "rN": 1.01}  # 0.1 + 0.2 + 33.333 + 66.667; 1.01
    assert c.referral.money_at_risk == 101.31
    assert c.metrics["money_at_risk"] == 101.31
    assert c.metrics["flagged_referrers"] == 2
    assert c.metrics["cost"] == 108.31  # + x1's 7
    assert quality.duplicates == 1


def test_a_self_referrer_s_rewards_are_at_risk_once(tmp_path: Path) -> None:
    """A user naming itself as referrer is both the flagged referrer and one of its referees:
    its reward is one reward, at risk once."""
    rows = [
        signup("2025-01-10 10:00:00", "s", "s", "DS"),
        signup("2025-01-10 11:00:00", "t", "s", "DS"),  # s and t share a device
        reward("2025-01-12 10:00:00", "s", "10"),
        reward("2025-01-12 10:00:00", "t", "5"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.referral is not None
    flags = {
        f.referrer_id: (f.reasons, f.referees, f.money_at_risk) for f in c.referral.fraud_flags
    }
    assert flags == {"s": (("device_shared",), 2, 15.0)}  # 10 to s + 5 to t
    assert c.referral.money_at_risk == 15.0
    assert c.metrics["cost"] == 15.0


def test_blank_devices_and_addresses_are_shared_by_nobody(tmp_path: Path) -> None:
    """A device or address of nothing but whitespace is missing: referees with one do not
    share a device or a cluster."""
    rows = [
        signup("2025-01-10 10:00:00", "a1", "rA", " ", " "),
        signup("2025-01-10 11:00:00", "a2", "rA", " ", " "),
        signup("2025-01-10 12:00:00", "a3", "rA", "\u3000", "\u3000"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert c.referral is not None and c.referral.fraud_flags == ()


def test_a_16_bit_prefix_makes_wider_clusters(tmp_path: Path) -> None:
    """With ip_cluster_prefix = 16, 10.9.1.1 and 10.9.200.7 are one cluster; 10.10.0.1 is
    not in it."""
    spec = SPEC.read_text("utf-8").replace("ip_cluster_prefix = 24", "ip_cluster_prefix = 16")
    rows = [
        signup("2025-01-10 10:00:00", "a1", "rA", "d1", "10.9.1.1"),
        signup("2025-01-10 11:00:00", "a2", "rA", "d2", "10.9.200.7"),
        signup("2025-01-10 12:00:00", "a3", "rA", "d3", "10.9.255.255"),  # 3 > 2: flagged
        signup("2025-01-10 10:00:00", "b1", "rB", "e1", "10.9.1.1"),
        signup("2025-01-10 11:00:00", "b2", "rB", "e2", "10.9.2.1"),
        signup("2025-01-10 12:00:00", "b3", "rB", "e3", "10.10.0.1"),  # 2 in 10.9/16
    ]
    c, _ = track_rows(tmp_path, rows, spec=spec)
    assert c.referral is not None
    assert [(f.referrer_id, f.reasons) for f in c.referral.fraud_flags] == [("rA", ("ip_cluster",))]


def test_each_referral_campaign_keeps_its_own_burst_window(tmp_path: Path) -> None:
    """Two referral campaigns tracked together: 4 referees over 30 minutes are a burst for
    the one with a 60-minute window, not for the one with 10 minutes."""
    spec2 = (
        SPEC.read_text("utf-8")
        .replace('id = "ref"', 'id = "ref2"')
        .replace("burst_window_minutes = 10", "burst_window_minutes = 60")
    )
    ws = make_workspace(tmp_path, SPEC, spec2)
    rows = [
        *(signup(f"2025-01-11 12:{m}:00", f"a{m}", "rA") for m in ("00", "10", "20", "30")),
        *(
            signup(f"2025-01-11 12:{m}:00", f"b{m}", "rB", campaign="ref2")
            for m in ("00", "10", "20", "30")
        ),
    ]
    by_id = {c.id: c for c in run(ws, csv_file(tmp_path / "e.csv", rows)).campaigns}
    flags = {
        cid: [(f.referrer_id, f.reasons) for f in c.referral.fraud_flags]
        for cid, c in by_id.items()
        if c.referral is not None
    }
    assert flags == {"ref": [], "ref2": [("rB", ("burst",))]}


# --- ids ------------------------------------------------------------------------------------


def test_referrer_ids_are_trimmed_and_blank_is_none(tmp_path: Path) -> None:
    """A referrer id is trimmed like every text value ('  r1 ' is user r1); one of nothing
    but whitespace (a space, an ideographic space U+3000) names nobody."""
    rows = [
        signup("2025-01-10 10:00:00", "r1"),
        signup("2025-01-11 10:00:00", "a1", referrer="  r1 "),
        signup("2025-01-11 11:00:00", "a2", referrer="r1\u3000"),
        signup("2025-01-11 12:00:00", "a3", referrer=" "),
        signup("2025-01-11 13:00:00", "a4", referrer="\u3000"),
    ]
    c, _ = track_rows(tmp_path, rows)
    assert (c.metrics["acquired"], c.metrics["referred_signups"]) == (5, 2)
    assert c.metrics["k_factor"] == pytest.approx(2 / 5)  # a1, a2 by the acquired r1
    assert c.referral is not None
    assert [(t.referrer_id, t.referred_signups) for t in c.referral.top_referrers] == [("r1", 2)]


def _mixed_id_files(folder: Path, fmt: str) -> None:
    """a.*: integer user and referrer ids; b.*: text user ids, no referrer given."""
    folder.mkdir()
    a = [
        signup("2025-01-11 10:00:00", "8", referrer="7"),
        signup("2025-01-11 11:00:00", "9", referrer="7"),
        signup("2025-01-11 12:00:00", "10", referrer="12"),
        activity("2025-01-11 18:00:00", "8", "activate"),
    ]
    b = [
        signup("2025-01-10 10:00:00", "7"),
        signup("2025-01-10 11:00:00", "012"),
        reward("2025-01-12 10:00:00", "7", "10"),
        reward("2025-01-12 10:00:00", "012", "3"),
    ]
    if fmt == "csv":
        csv_file(folder / "a.csv", a)
        csv_file(folder / "b.csv", b)
        return
    import duckdb

    con = duckdb.connect()
    for name, rows, ids in (("a", a, "BIGINT"), ("b", b, "VARCHAR")):
        text = csv_file(folder / f"{name}.txt", rows)
        cols = "event_time, event, user_id, campaign, amount"
        if name == "a":
            cols += ", referrer_id"  # b's files have no referrer column at all
        con.execute(
            f"COPY (SELECT {cols} FROM read_csv('{text}', header = true, types = "
            f"{{'user_id': '{ids}', 'referrer_id': '{ids}', 'amount': 'DOUBLE', "
            f"'event_time': 'TIMESTAMP'}})) TO '{folder / (name + '.parquet')}' (FORMAT parquet)"
        )
        text.unlink()
    con.close()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_integer_referrers_match_text_user_ids_of_another_file(tmp_path: Path, fmt: str) -> None:
    """Integer referrer ids in one file and text user ids in another compare as text: the
    referrer 7 is user '7', the referrer 12 is not user '012' (docs/data.md, Ids)."""
    _mixed_id_files(tmp_path / "events", fmt)
    ws = make_workspace(tmp_path, SPEC)
    c = run(ws, f"{tmp_path / 'events'}/*.{fmt}").campaigns[0]
    # acquired: 8, 9, 10, '7', '012'; referred: 8, 9 (by '7', acquired), 10 (by 12: nobody)
    assert (c.metrics["acquired"], c.metrics["referred_signups"]) == (5, 3)
    assert c.metrics["k_factor"] == pytest.approx(2 / 5)
    assert c.referral is not None
    got = [
        (t.referrer_id, t.referred_signups, t.activated, t.rewards)
        for t in c.referral.top_referrers
    ]
    assert got == [("7", 2, 1, 10.0), ("12", 1, 0, 0.0)]  # '012' was paid 3, 12 nothing


def test_an_invite_re_sent_in_another_file_counts_once(tmp_path: Path) -> None:
    """Exact copies are one event wherever they are: an invite in two files of a glob is one
    invite (and one duplicate)."""
    (tmp_path / "events").mkdir()
    csv_file(tmp_path / "events" / "a.csv", [invite("2025-01-11 10:00:00", "i1")])
    csv_file(
        tmp_path / "events" / "b.csv",
        [invite("2025-01-11 10:00:00", "i1"), invite("2025-01-11 10:00:01", "i1")],
    )
    ws = make_workspace(tmp_path, SPEC)
    result = run(ws, f"{tmp_path / 'events'}/*.csv")
    c = result.campaigns[0]
    assert (c.metrics["invites"], c.metrics["inviters"]) == (2, 1)
    assert result.data_quality.duplicates == 1
