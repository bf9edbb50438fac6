"""Audit of the `data_quality` block of `xhsgrow track --format json`, run as a user would.

Every expected figure is worked out by hand from docs/data.md ("Rows xhsgrow does not
trust", "Text values") and docs/metrics.md ("Data quality"), over the tiny files written in
each test. The campaign is tests/data/events/referral.toml: `ref`, window 2025-01-10 to
2025-01-20 (both included), Asia/Shanghai; as-of is 2025-01-16 unless a test says otherwise.

Lines: "`line` (1-based line of CSV and JSON Lines files; row number in Parquet)". A CSV
file's header is its line 1, so its first data row is line 2; a JSON Lines file has no header
(its first object is line 1) and a blank line still takes a line number; a Parquet row number
is 1-based.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_track_edges import HEADER, csv_file
from tests.test_track_metrics import DATA, make_workspace

# one CSV row of the contract's eleven columns: row(time, event, user, campaign, channel=...)
from tests.test_track_partner_segments import ev as row

# The fields of metrics.md's "Data quality" table.
FIELDS = {
    "rows_read",
    "rows_rejected",
    "rejected_samples",
    "rejected_by_reason",
    "unknown_events",
    "after_as_of",
    "duplicates",
    "outside_windows",
    "other_campaigns",
    "unattributed",
}
COUNTS = sorted(FIELDS - {"rejected_samples", "rejected_by_reason"})


def ny_spec() -> str:
    """The referral spec as campaign `ny`, in America/New_York (same window)."""
    text = (DATA / "referral.toml").read_text("utf-8")
    return text.replace('id = "ref"', 'id = "ny"').replace("Asia/Shanghai", "America/New_York")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    make_workspace(tmp_path, DATA / "referral.toml")
    return tmp_path


@pytest.fixture
def ws2(tmp_path: Path) -> Path:
    make_workspace(tmp_path, DATA / "referral.toml", ny_spec())
    return tmp_path


def track_doc(invoke, data: Path, *ids: str, as_of: str = "2025-01-16") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = invoke("track", *ids, "--data", str(data), "--as-of", as_of, "-f", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def quality(invoke, data: Path, *ids: str, as_of: str = "2025-01-16") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The top-level block; "each campaign's `data_quality` is that of the whole read"."""
    doc = track_doc(invoke, data, *ids, as_of=as_of)
    q = doc["data_quality"]
    for c in doc["campaigns"]:
        assert c["data_quality"] == q, c["id"]
    return q


def counts(q: dict[str, Any]) -> dict[str, int]:
    return {k: q[k] for k in COUNTS}


def zero(**nonzero: int) -> dict[str, int]:
    return {k: nonzero.get(k, 0) for k in COUNTS}


def by_reason(q: dict[str, Any]) -> dict[str, int]:
    """`rejected_by_reason` without zero counts (the docs do not say whether those appear)."""
    return {k: v for k, v in q["rejected_by_reason"].items() if v}


def lines(q: dict[str, Any]) -> list[int]:
    return [s["line"] for s in q["rejected_samples"]]


# --- the block itself ------------------------------------------------------------------------


def test_a_clean_read_has_every_field_and_every_campaign_the_whole_read(ws2, invoke) -> None:  # type: ignore[no-untyped-def]
    # 4 data rows, none dirty: a ref signup, its activate and active (no campaign), and a ny
    # signup at 10:00 Shanghai = 02:00Z = 21:00 EST on 01-11, inside ny's window.
    data = csv_file(
        ws2 / "e.csv",
        [
            "2025-01-11 10:00:00,signup,u1,ref,in_app,522634,18-24,,,d1,10.0.0.1",
            row("2025-01-11 11:00:00", "activate", "u1"),
            row("2025-01-12 10:00:00", "active", "u1"),
            row("2025-01-12 10:00:00", "signup", "n1", "ny"),
        ],
    )
    doc = track_doc(invoke, data)
    assert sorted(c["id"] for c in doc["campaigns"]) == ["ny", "ref"]
    q = doc["data_quality"]
    assert set(q) == FIELDS
    assert counts(q) == zero(rows_read=4)
    assert q["rejected_samples"] == []
    assert by_reason(q) == {}
    for c in doc["campaigns"]:
        assert c["data_quality"] == q


def test_a_csv_of_only_its_header_reads_no_rows(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    # "header lines ... are not rows": 0 read, so 0 of everything.
    q = quality(invoke, csv_file(ws / "e.csv", []))
    assert counts(q) == zero()
    assert q["rejected_samples"] == []
    assert by_reason(q) == {}


# --- rejected rows: reasons and lines --------------------------------------------------------


def test_each_reason_code_with_its_csv_line(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Header = line 1. One fault per row, each mapped to the code of the docs' table:
    line 2 fine; 3 impossible date -> event_time; 4 empty event -> event; 5 user_id only an
    ideographic space (trimmed to nothing) -> user_id; 6 amount 0x10 -> amount; 7 amount
    -0.5 -> amount_negative; 8 reward without amount -> amount_missing; 9 region 099999
    (below 100000) -> region; 10 four fields and 11 twelve fields -> structure.
    Read 10, rejected 9; samples: the first five, lines 3-7. Only the line-2 signup is used:
    acquired 1, cost 0."""
    data = csv_file(
        ws / "e.csv",
        [
            row("2025-01-11 10:00:00", "signup", "u1", "ref"),
            row("2025-02-29 10:00:00", "signup", "u2", "ref"),
            row("2025-01-11 10:00:00", "", "u3", "ref"),
            row("2025-01-11 10:00:00", "signup", "\u3000", "ref"),
            row("2025-01-11 10:00:00", "reward", "u1", "ref", amount="0x10"),
            row("2025-01-11 10:00:00", "reward", "u1", "ref", amount="-0.5"),
            row("2025-01-11 10:00:00", "reward", "u1", "ref"),
            row("2025-01-11 10:00:00", "signup", "u4", "ref", region="099999"),
            "2025-01-11 10:00:00,signup,u5,ref",
            row("2025-01-11 10:00:00", "signup", "u6", "ref") + ",extra",
        ],
    )
    doc = track_doc(invoke, data)
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=10, rows_rejected=9)
    assert by_reason(q) == {
        "event_time": 1,
        "event": 1,
        "user_id": 1,
        "amount": 1,
        "amount_negative": 1,
        "amount_missing": 1,
        "region": 1,
        "structure": 2,
    }
    assert lines(q) == [3, 4, 5, 6, 7]
    for sample in q["rejected_samples"]:
        assert set(sample) == {"file", "line", "reason"}
        assert Path(sample["file"]).name == "e.csv"
    m = doc["campaigns"][0]["metrics"]
    assert (m["acquired"], m["cost"]) == (1, 0.0)


def test_samples_are_the_first_five_rejected_rows_in_file_order(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    # Lines 2, 4 and 7 are fine; 3, 5, 6, 8, 9, 10, 11 have unparseable (and distinct) times:
    # 7 rejected, all event_time, samples = the first five = lines 3, 5, 6, 8, 9.
    data = csv_file(
        ws / "e.csv",
        [
            row("2025-01-11 10:00:00", "signup", "a", "ref"),
            row("x1", "signup", "b1", "ref"),
            row("2025-01-11 11:00:00", "signup", "c", "ref"),
            row("x2", "signup", "b2", "ref"),
            row("x3", "signup", "b3", "ref"),
            row("2025-01-11 12:00:00", "signup", "d", "ref"),
            row("x4", "signup", "b4", "ref"),
            row("x5", "signup", "b5", "ref"),
            row("x6", "signup", "b6", "ref"),
            row("x7", "signup", "b7", "ref"),
        ],
    )
    q = quality(invoke, data)
    assert counts(q) == zero(rows_read=10, rows_rejected=7)
    assert by_reason(q) == {"event_time": 7}
    assert lines(q) == [3, 5, 6, 8, 9]


def test_event_time_shapes_the_docs_reject_and_accept(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Text values / event_time. Rejected (14): the docs' own list (2025/01/28, 2025-1-28,
    2025, 2025-01, 20250128, 24:00:00, lower-case z, a space before the offset, a zone name
    twice, an offset after a date alone, the impossible 2025-02-29), an offset beyond 14:59
    (+15:00) and an empty time (missing). Accepted (10), every one on 01-11 or 01-12 in
    Shanghai: a date alone (midnight), T + HH:MM, space + HH:MM, microseconds, nine digits
    (dropped beyond microseconds), Z (12:30Z = 20:30), +0800, -05 (17:30Z = 01:30 on 01-12),
    +14:59 (10:00 - 14:59 = 19:01Z on 01-10 = 03:01 on 01-11) and a time wrapped in an
    ideographic space and a tab (trimmed). Ten distinct users, first signups inside the
    window: acquired 10."""
    rejected = [
        "2025/01/28",
        "2025-1-28",
        "2025",
        "2025-01",
        "20250128",
        "2025-01-28 24:00:00",
        "2025-01-28T10:00:00z",
        "2025-01-28 10:00:00 +08:00",
        "2025-01-28 10:00:00 UTC",
        "2025-01-28 10:00:00 Asia/Shanghai",
        "2025-01-28Z",
        "2025-02-29",
        "2025-01-11T10:00:00+15:00",
        "",
    ]
    accepted = [
        "2025-01-11",
        "2025-01-11T20:30",
        "2025-01-11 20:30",
        "2025-01-11 20:30:00.123456",
        "2025-01-11 10:00:00.123456789",
        "2025-01-11T12:30:00Z",
        "2025-01-11T12:30+0800",
        "2025-01-11T12:30:00-05",
        "2025-01-11T10:00:00+14:59",
        '"\u30002025-01-11 10:00:00\t"',
    ]
    rows = [row(t, "signup", f"bad{i}", "ref") for i, t in enumerate(rejected)]
    rows += [row(t, "signup", f"ok{i}", "ref") for i, t in enumerate(accepted)]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=24, rows_rejected=14)
    assert by_reason(q) == {"event_time": 14}
    assert lines(q) == [2, 3, 4, 5, 6]
    assert doc["campaigns"][0]["metrics"]["acquired"] == 10


def test_amounts_bad_negative_missing_and_plain(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Text values / amount, on rewards of `ref` on 01-12 (each its own user, no copies).
    amount (11): "1,000", 1_000, "1 000", a currency sign, 1.5d, 0x10, a full-width 5, NaN,
    inf, 1e400 - and "ten" on a signup ("an amount that is not a number" is any row's).
    amount_negative (3): -5, -1e-3, and -1 on a signup. amount_missing (2): a reward with an
    empty amount and one of only spaces (trimmed to nothing). Accepted rewards (8): 12,
    12.50, .5, 5., 1e3, 2.5E-1, +7, " 3 " -> cost 12 + 12.5 + 0.5 + 5 + 1000 + 0.25 + 7 + 3
    = 1040.25 (whole cents: the docs do not say whether the JSON's cost is rounded). Read 24,
    rejected 16."""
    bad = ['"1,000"', "1_000", "1 000", "\u00a55", "1.5d", "0x10", "\uff15", "NaN", "inf", "1e400"]
    good = ["12", "12.50", ".5", "5.", "1e3", "2.5E-1", "+7", " 3 "]
    t = "2025-01-12 10:00:00"
    rows = [row(t, "reward", f"b{i}", "ref", amount=a) for i, a in enumerate(bad)]
    rows.append(row(t, "signup", "s1", "ref", amount="ten"))
    rows += [row(t, "reward", f"n{i}", "ref", amount=a) for i, a in enumerate(["-5", "-1e-3"])]
    rows.append(row(t, "signup", "s2", "ref", amount="-1"))
    rows += [row(t, "reward", "m1", "ref"), row(t, "reward", "m2", "ref", amount="   ")]
    rows += [row(t, "reward", f"g{i}", "ref", amount=a) for i, a in enumerate(good)]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=24, rows_rejected=16)
    assert by_reason(q) == {"amount": 11, "amount_negative": 3, "amount_missing": 2}
    assert doc["campaigns"][0]["metrics"]["cost"] == pytest.approx(1040.25)


def test_region_codes(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Text values / region: six ASCII digits, 100000 to 899999, after trimming. Rejected
    (9): 5 digits, 7 digits, 099999, 900000, a full-width last digit, 522634.0, letters, a
    space inside, +52263. Accepted (6): 522634, 100000, 899999, a tab-and-space-wrapped
    522634, an ideographic-space-led 440106, and no region at all. Six distinct users'
    first signups in the window: acquired 6."""
    bad = ["52263", "5226340", "099999", "900000", "52263\uff14", "522634.0", "abcdef"]
    bad += ['"52 2634"', "+52263"]
    good = ["522634", "100000", "899999", '"\t522634 "', "\u3000440106", ""]
    t = "2025-01-12 10:00:00"
    rows = [row(t, "signup", f"b{i}", "ref", region=r) for i, r in enumerate(bad)]
    rows += [row(t, "signup", f"g{i}", "ref", region=r) for i, r in enumerate(good)]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=15, rows_rejected=9)
    assert by_reason(q) == {"region": 9}
    assert doc["campaigns"][0]["metrics"]["acquired"] == 6


def test_missing_user_id_and_event_after_trimming(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Whitespace: a value with nothing left after trimming is missing; a zero-width space and
    a byte order mark are not whitespace. user_id (3): empty, a no-break space, an ideographic
    space and a tab. event (2): empty, a space and an ideographic space. Accepted (3): users
    U+200B and U+FEFF (two users), and event "\\tsignup " (= signup). Acquired 3."""
    t = "2025-01-12 10:00:00"
    rows = [
        row(t, "signup", "", "ref"),  # line 2
        row(t, "signup", "\u00a0", "ref"),  # line 3
        row(t, "signup", '"\u3000\t"', "ref"),  # line 4
        row(t, "", "e1", "ref"),  # line 5
        row(t, " \u3000", "e2", "ref"),  # line 6
        row(t, "signup", "\u200b", "ref"),  # accepted
        row(t, "signup", "\ufeff", "ref"),  # accepted
        row(t, '"\tsignup "', "u9", "ref"),  # accepted: a signup
    ]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=8, rows_rejected=5)
    assert by_reason(q) == {"user_id": 3, "event": 2}
    assert lines(q) == [2, 3, 4, 5, 6]
    assert doc["campaigns"][0]["metrics"]["acquired"] == 3


def test_unknown_event_names_are_case_sensitive_and_only_well_formed(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """unknown_events: "well-formed rows whose event is outside the contract (names are
    case-sensitive: SIGNUP is unknown)". SIGNUP, Signup, sign_up, page_view: 4 unknown. A
    page_view with an unparseable time and one without a user are rejected, not unknown.
    The one signup is acquired; no unknown row is used."""
    t = "2025-01-12 10:00:00"
    rows = [
        row(t, "SIGNUP", "u1", "ref"),
        row(t, "Signup", "u2", "ref"),
        row(t, "sign_up", "u3", "ref"),
        row(t, "page_view", "u4", "ref"),
        row("yesterday", "page_view", "u5", "ref"),  # line 6
        row(t, "page_view", "", "ref"),  # line 7
        row(t, "signup", "u6", "ref"),
    ]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=7, rows_rejected=2, unknown_events=4)
    assert by_reason(q) == {"event_time": 1, "user_id": 1}
    assert lines(q) == [6, 7]
    assert doc["campaigns"][0]["metrics"]["acquired"] == 1


# --- duplicates -------------------------------------------------------------------------------


def test_three_copies_are_two_duplicates_and_count_once(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """A signup x3 (2 extra), an invite x2 (1), the same invite with another channel x1 (not
    a copy: 0), an active x2 (1), a reward of 10 x3 (2): duplicates 6 of 11 rows read.
    "Collapsed before anything is counted": acquired 1, invites 2, cost 10."""
    signup = row("2025-01-11 10:00:00", "signup", "u1", "ref", channel="in_app")
    invite = row("2025-01-11 11:00:00", "invite", "u1", "ref", channel="sms")
    other = row("2025-01-11 11:00:00", "invite", "u1", "ref", channel="qr_poster")
    active = row("2025-01-12 10:00:00", "active", "u1")
    reward = row("2025-01-12 10:00:00", "reward", "u1", "ref", amount="10")
    rows = [signup, invite, other, active, reward, signup, invite, active, reward, signup, reward]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=11, duplicates=6)
    m = doc["campaigns"][0]["metrics"]
    assert (m["acquired"], m["invites"], m["cost"]) == (1, 2, 10.0)


def test_copies_are_compared_on_the_instant_and_trimmed_values(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """ "Rows are compared on their instant, their user and ... every other column", values
    trimmed. 10:00 in Shanghai = 02:00Z = 10:00+08:00 = 10:00:00.0000001 (digits beyond
    microseconds dropped); " u1 " is u1. Those are 3 copies of row 1. 10:00:00.000001 is
    another instant: not a copy. Read 5, duplicates 3."""
    rows = [
        row("2025-01-11 10:00:00", "signup", "u1", "ref", channel="in_app"),
        row("2025-01-11T02:00:00Z", "signup", "u1", "ref", channel="in_app"),
        row("2025-01-11 10:00:00+08:00", "signup", '" u1 "', "ref", channel="in_app"),
        row("2025-01-11 10:00:00.0000001", "signup", "u1", "ref", channel="in_app"),
        row("2025-01-11 10:00:00.000001", "signup", "u1", "ref", channel="in_app"),
    ]
    q = quality(invoke, csv_file(ws / "e.csv", rows))
    assert counts(q) == zero(rows_read=5, duplicates=3)


def test_copies_of_a_reward_are_compared_on_its_amount_as_a_number(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """`amount` is a number: 10, 10.0 and 1e1 are one amount, so the three rows are one
    reward: duplicates 2, cost 10 (not 30)."""
    t = "2025-01-12 10:00:00"
    rows = [row(t, "reward", "u1", "ref", amount=a) for a in ("10", "10.0", "1e1")]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    assert counts(doc["data_quality"]) == zero(rows_read=3, duplicates=2)
    assert doc["campaigns"][0]["metrics"]["cost"] == 10.0


def test_copies_of_a_malformed_row_are_each_rejected(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """rows_rejected counts malformed rows: three copies are three, at lines 2, 3 and 4. They
    are not duplicates: duplicates are counted "among rows up to as-of", and a row whose
    time does not parse is at no time."""
    bad = row("soon", "signup", "u1", "ref")
    q = quality(invoke, csv_file(ws / "e.csv", [bad, bad, bad]))
    assert counts(q) == zero(rows_read=3, rows_rejected=3)
    assert by_reason(q) == {"event_time": 3}
    assert lines(q) == [2, 3, 4]


# --- after as-of, outside windows, other campaigns ------------------------------------------


def test_rows_after_as_of_are_each_counted_and_are_not_duplicates(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """As-of 01-16, Shanghai: its end is 2025-01-17 00:00 (16:00Z on 01-16).
    - a ref signup on 01-17 10:00, three copies: 3 after as-of (each a well-formed row after
      the end), 0 duplicates ("among rows up to as-of");
    - a ref signup at 2025-01-16T16:00:00Z = 00:00 on 01-17: after (1);
    - a ref signup at 2025-01-16T15:59:59Z = 23:59:59 on 01-16: not after;
    - an active on 01-12, two copies: 1 duplicate;
    - a reward on 01-17 with amount -5, and a signup on 01-17 without a user: rejected, and
      so not counted after as-of ("well-formed rows after the end of the as-of day").
    Read 9: after_as_of 4, duplicates 1, rejected 2 (lines 9, 10)."""
    late = row("2025-01-17 10:00:00", "signup", "u9", "ref")
    active = row("2025-01-12 10:00:00", "active", "u1")
    rows = [
        late,
        late,
        late,
        row("2025-01-16T16:00:00Z", "signup", "u2", "ref"),
        row("2025-01-16T15:59:59Z", "signup", "u3", "ref"),
        active,
        active,
        row("2025-01-17 10:00:00", "reward", "u3", "ref", amount="-5"),
        row("2025-01-17 10:00:00", "signup", "", "ref"),
    ]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=9, rows_rejected=2, after_as_of=4, duplicates=1)
    assert by_reason(q) == {"amount_negative": 1, "user_id": 1}
    assert lines(q) == [9, 10]
    assert doc["campaigns"][0]["metrics"]["acquired"] == 1  # u3 only


def test_after_as_of_is_each_campaigns_day_and_the_latest_end_for_other_rows(ws2, invoke) -> None:  # type: ignore[no-untyped-def]
    """Both campaigns tracked, as-of 01-16. ref (Shanghai) ends at 16:00Z on 01-16; ny (EST,
    UTC-5) at 05:00Z on 01-17, the latest end, which rows of no campaign are held to.
    1. ref signup 15:59:59Z on 01-16: 23:59:59 local, not after
    2. ref signup 16:00:00Z on 01-16: 00:00 on 01-17 local, after
    3. ny signup 20:00Z on 01-16: 15:00 EST on 01-16, not after
    4. active (no campaign) 20:00Z on 01-16: before 05:00Z on 01-17, not after
    5. active 05:00:00Z on 01-17: at the latest end, after
    6. active 04:59:59Z on 01-17: not after
    7. ref signup, naive 2025-01-17 00:00:00 (Shanghai): after
    after_as_of = 3 (rows 2, 5, 7) of 7 read."""
    rows = [
        row("2025-01-16T15:59:59Z", "signup", "r1", "ref"),
        row("2025-01-16T16:00:00Z", "signup", "r2", "ref"),
        row("2025-01-16T20:00:00Z", "signup", "n1", "ny"),
        row("2025-01-16T20:00:00Z", "active", "r1"),
        row("2025-01-17T05:00:00Z", "active", "r1"),
        row("2025-01-17T04:59:59Z", "active", "n1"),
        row("2025-01-17 00:00:00", "signup", "r3", "ref"),
    ]
    q = quality(invoke, csv_file(ws2 / "e.csv", rows))
    assert counts(q) == zero(rows_read=7, after_as_of=3)


def test_outside_windows_counts_attributed_rows_but_rewards(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """As-of 01-25 (after the window 01-10..01-20, so nothing is after as-of). Outside:
    "rows attributed to a tracked campaign, other than rewards, outside its window".
    1. signup 01-09 23:59:59 Shanghai: outside
    2. signup 2025-01-09T16:00:00Z = 00:00 on 01-10: inside
    3. invite 2025-01-09T15:59:59Z = 23:59:59 on 01-09: outside
    4. interaction 01-21 00:00:00: outside
    5. merchant_onboarded 01-20 23:59:59: inside (the end day is included)
    6. merchant_onboarded 01-21 08:00: outside
    7. reward 01-22 and 8. reward 01-05: rewards, never outside
    9. activate 01-05 naming ref: "a campaign on the row is ignored", so not attributed
    10. active 01-05, no campaign; 11. signup 01-05, no campaign (organic): not attributed
    outside_windows 4 of 11; other_campaigns 0. Both rewards are in cost ("on any day"): 10."""
    rows = [
        row("2025-01-09 23:59:59", "signup", "a", "ref"),
        row("2025-01-09T16:00:00Z", "signup", "b", "ref"),
        row("2025-01-09T15:59:59Z", "invite", "c", "ref"),
        row("2025-01-21 00:00:00", "interaction", "d", "ref"),
        row("2025-01-20 23:59:59", "merchant_onboarded", "m1", "ref", region="522634"),
        row("2025-01-21 08:00:00", "merchant_onboarded", "m2", "ref", region="522634"),
        row("2025-01-22 10:00:00", "reward", "a", "ref", amount="5"),
        row("2025-01-05 10:00:00", "reward", "b", "ref", amount="5"),
        row("2025-01-05 10:00:00", "activate", "a", "ref"),
        row("2025-01-05 10:00:00", "active", "a"),
        row("2025-01-05 10:00:00", "signup", "o"),
    ]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows), as_of="2025-01-25")
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=11, outside_windows=4)
    assert doc["campaigns"][0]["metrics"]["cost"] == 10.0


def test_other_campaigns_are_those_not_tracked_in_this_run(ws2, invoke) -> None:  # type: ignore[no-untyped-def]
    """other_campaigns: "rows attributed to a campaign that is not being tracked". Every row
    is on 01-11/01-12, inside both windows and before either as-of end. Not attributed, so
    never counted: an activate naming zzz (its campaign is ignored), an organic signup, an
    active. Tracking ref only: the ny signup and reward, the zzz invite and reward (4); both
    campaigns: the zzz invite and reward (2); ny only: the ref signup and the zzz rows (3)."""
    rows = [
        row("2025-01-11 10:00:00", "signup", "a", "ref"),
        row("2025-01-12 10:00:00", "signup", "b", "ny"),
        row("2025-01-12 10:00:00", "reward", "b", "ny", amount="5"),
        row("2025-01-12 10:00:00", "invite", "c", "zzz"),
        row("2025-01-12 10:00:00", "reward", "c", "zzz", amount="3"),
        row("2025-01-12 11:00:00", "activate", "a", "zzz"),
        row("2025-01-12 10:00:00", "signup", "d"),
        row("2025-01-13 10:00:00", "active", "a"),
    ]
    data = csv_file(ws2 / "e.csv", rows)
    got = {ids: counts(quality(invoke, data, *ids)) for ids in [("ref",), (), ("ny",)]}
    assert got == {
        ("ref",): zero(rows_read=8, other_campaigns=4),
        (): zero(rows_read=8, other_campaigns=2),
        ("ny",): zero(rows_read=8, other_campaigns=3),
    }
    r = invoke("track", "ref", "--data", str(data), "--as-of", "2025-01-16")
    assert r.exit_code == 0, r.output
    assert " ".join(r.stdout.split()).endswith("0 after as-of, 4 of other campaigns"), r.stdout


def test_counted_events_naming_no_campaign_are_unattributed(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """unattributed: "invites, rewards, merchant onboardings and interactions that name no
    campaign": no figure reads them. Every row is on 01-12, inside the window, as-of 01-16.
    1. invite, campaign empty; 2. its exact copy (a duplicate, not unattributed again);
    3. reward of 5, empty; 4. interaction, empty; 5. merchant_onboarded, empty (in a
    covered region, yet no campaign's merchant); 6. invite whose campaign is blanks (trimmed
    to empty); 7. a signup naming no campaign (an organic first signup: read, as it decides
    that u7's later signup to ref does not acquire them); 8. u7's signup to ref on 01-13;
    9. an active, no campaign (activity needs none); 10. a reward of 2 to ref.
    unattributed 1 + 1 + 1 + 1 + 1 = 5 (rows 1, 3, 4, 5, 6), duplicates 1; nothing else.
    ref: cost 2 (the unattributed reward is nobody's cost), invites 0, acquired 0."""
    rows = [
        row("2025-01-12 10:00:00", "invite", "u1"),
        row("2025-01-12 10:00:00", "invite", "u1"),
        row("2025-01-12 10:00:00", "reward", "u1", amount="5"),
        row("2025-01-12 10:00:00", "interaction", "u1"),
        row("2025-01-12 10:00:00", "merchant_onboarded", "m1", region="522634"),
        row("2025-01-12 11:00:00", "invite", "u2", "  "),
        row("2025-01-12 10:00:00", "signup", "u7"),
        row("2025-01-13 10:00:00", "signup", "u7", "ref"),
        row("2025-01-13 10:00:00", "active", "u1"),
        row("2025-01-12 10:00:00", "reward", "u1", "ref", amount="2"),
    ]
    for data in (csv_file(ws / "e.csv", rows), _as_parquet(ws, csv_file(ws / "p.csv", rows))):
        doc = track_doc(invoke, data)
        assert counts(doc["data_quality"]) == zero(rows_read=10, unattributed=5, duplicates=1)
        m = doc["campaigns"][0]["metrics"]
        assert (m["cost"], m["invites"], m["acquired"], m["merchants_onboarded"]) == (2.0, 0, 0, 0)
        # the table's last line names them (and not other campaigns, of which there are none)
        r = invoke("track", "--data", str(data), "--as-of", "2025-01-16")
        assert r.exit_code == 0, r.output
        tail = " ".join(r.stdout.split()[-22:])
        assert tail.endswith("1 duplicate, 0 outside windows, 0 after as-of, 5 unattributed"), tail


def _as_parquet(ws: Path, csv: Path) -> Path:
    """The CSV's rows as a Parquet file of text columns (the CSV is removed)."""
    import duckdb

    out = ws / f"{csv.stem}.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) TO '{out}'")
    con.close()
    csv.unlink()
    return out


def test_copies_outside_the_window_are_one_outside_row_and_duplicates(ws2, invoke) -> None:  # type: ignore[no-untyped-def]
    """ "Collapsed before anything is counted": a signup of ref on 01-09 (before its window)
    sent 3 times is 1 row outside the windows and 2 duplicates, not 3 and 2; an invite of the
    untracked campaign zzz sent twice is 1 other-campaign row and 1 duplicate; a reward of ref
    on 01-05 sent twice is never outside (rewards are not) but 1 duplicate; a signup inside
    the window, once. 8 rows read, each in one count: outside 1, other 1, duplicates
    2 + 1 + 1 = 4, and the 2 rows left (the reward, the signup inside) are used. Tracking ref
    only (ny, the other spec, is not an attributed campaign of any row)."""
    early = row("2025-01-09 10:00:00", "signup", "a", "ref")
    other = row("2025-01-12 10:00:00", "invite", "c", "zzz")
    reward = row("2025-01-05 10:00:00", "reward", "b", "ref", amount="5")
    inside = row("2025-01-11 10:00:00", "signup", "b", "ref")
    rows = [early, other, reward, early, inside, other, early, reward]
    q = quality(invoke, csv_file(ws2 / "e.csv", rows), "ref")
    assert counts(q) == zero(rows_read=8, outside_windows=1, other_campaigns=1, duplicates=4)


def test_copies_outside_their_window_collapse_in_every_format(ws, invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same rows as a Parquet file (typed columns, no staging) give the same counts: an
    interaction on 01-21 (after the window, as-of 01-25) x3 is 1 outside and 2 duplicates."""
    import duckdb

    late = row("2025-01-21 10:00:00", "interaction", "d", "ref")
    src = csv_file(ws / "e.csv", [late, late, late])
    out = tmp_path / "e.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{src}', all_varchar = true)) TO '{out}'")
    con.close()
    src.unlink()
    q = quality(invoke, out, as_of="2025-01-25")
    assert counts(q) == zero(rows_read=3, outside_windows=1, duplicates=2)


# --- structure, JSON Lines, formats, folders --------------------------------------------------


def test_csv_rows_that_do_not_split_into_the_header_columns(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """structure: "a CSV line that does not split into the header's columns". Line 2 fine;
    3 has 4 fields, 4 has 12, 5 has 10; line 6 has a quoted comma and so 11 fields: fine.
    Read 5, rejected 3 at lines 3-5; acquired 2 (a and e)."""
    rows = [
        row("2025-01-11 10:00:00", "signup", "a", "ref"),
        "2025-01-11 10:00:00,signup,b,ref",
        row("2025-01-11 10:00:00", "signup", "c", "ref") + ",x",
        ",".join(row("2025-01-11 10:00:00", "signup", "d", "ref").split(",")[:10]),
        row("2025-01-11 10:00:00", "signup", "e", "ref", channel='"in_app,x"'),
    ]
    doc = track_doc(invoke, csv_file(ws / "e.csv", rows))
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=5, rows_rejected=3)
    assert by_reason(q) == {"structure": 3}
    assert lines(q) == [3, 4, 5]
    assert doc["campaigns"][0]["metrics"]["acquired"] == 2


def test_a_csv_line_number_is_the_line_in_the_file(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """`line` is the "1-based line of CSV and JSON Lines files" (a Parquet file gets a "row
    number" instead). In both files below the bad row is the file's 4th line: after a
    blank line 3 in the first; after a row whose quoted channel spans lines 2-3 in the
    second. (Whether a blank CSV line is a row, the docs do not say: rows_read not
    asserted.)"""
    good = row("2025-01-11 10:00:00", "signup", "u1", "ref")
    bad = row("soon", "signup", "u2", "ref")
    blank = ws / "blank.csv"
    blank.write_text("\n".join([HEADER, good, "", bad]) + "\n", "utf-8")
    quoted = csv_file(
        ws / "quoted.csv",
        [row("2025-01-11 10:00:00", "signup", "u1", "ref", channel='"in\napp"'), bad],
    )
    got = {data.name: lines(quality(invoke, data)) for data in (blank, quoted)}
    assert got == {"blank.csv": [4], "quoted.csv": [4]}


@pytest.mark.parametrize("name", ["mixed.csv", "mixed.csv.gz", "mixed.tsv"])
def test_csv_lines_past_quoted_breaks_blank_lines_and_reader_rejects(ws, invoke, name) -> None:  # type: ignore[no-untyped-def]
    """CRLF line ends; line 1 the header; lines 2-4 one signup whose quoted channel holds two
    line breaks; 5 blank; 6 a row of 4 fields (the reader's own reject: structure); 7 a bad
    time; 8 fine; 9 a bad time. The samples name lines 6, 7 and 9, as an editor shows them,
    whether the file is plain, gzip-compressed or tab-separated."""
    import gzip

    sep = "\t" if name.endswith(".tsv") else ","

    def line(*fields: str) -> str:
        return sep.join([*fields, *[""] * (11 - len(fields))])

    rows = [
        HEADER.replace(",", sep),
        line("2025-01-11 10:00:00", "signup", "u3", "ref", '"a\nb\nc"'),
        "",
        sep.join(["2025-01-11 10:00:00", "signup", "u9", "ref"]),
        line("soon", "signup", "u2", "ref"),
        line("2025-01-11 10:00:00", "signup", "u1", "ref"),
        line("later", "signup", "u4", "ref"),
    ]
    data = ("\r\n".join(rows) + "\r\n").encode()
    path = ws / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    q = quality(invoke, path)
    assert lines(q) == [6, 7, 9]
    assert [s["reason"].split()[0] for s in q["rejected_samples"]] == [
        "malformed",
        "unparseable",
        "unparseable",
    ]
    assert (q["rows_read"], q["rows_rejected"]) == (5, 3)


def test_json_lines_blank_lines_and_lines_that_are_not_objects(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Blank JSON lines are not rows, but keep their line number. Line 1 a signup; 2 blank;
    3 an array, 4 a string, 5 broken JSON, 6 null: json; 7 an object with an unparseable
    time: event_time; 8 an active row; 9 an object whose reward amount is the number -3:
    amount_negative. Read 8 (9 lines less 1 blank), rejected 6, samples lines 3-7."""
    obj = (
        '{"event_time": "2025-01-11 10:00:00", "event": "signup", "user_id": "u1",'
        ' "campaign": "ref"}'
    )
    text = "\n".join(
        [
            obj,
            "",
            "[1, 2]",
            '"just text"',
            '{"event_time": oops',
            "null",
            '{"event_time": "soon", "event": "signup", "user_id": "u2", "campaign": "ref"}',
            '{"event_time": "2025-01-12 10:00:00", "event": "active", "user_id": "u1"}',
            '{"event_time": "2025-01-12 10:00:00", "event": "reward", "user_id": "u1",'
            ' "campaign": "ref", "amount": -3}',
        ]
    )
    data = ws / "e.jsonl"
    data.write_text(text + "\n", "utf-8")
    doc = track_doc(invoke, data)
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=8, rows_rejected=6)
    assert by_reason(q) == {"json": 4, "event_time": 1, "amount_negative": 1}
    assert lines(q) == [3, 4, 5, 6, 7]
    assert doc["campaigns"][0]["metrics"]["acquired"] == 1


# Twelve rows with one of each kind of dirt that every format can carry (r = data row number):
#  r1 a fine signup; r2 its exact copy (duplicate); r3 SIGNUP (unknown); r4 2025-01-32
#  (event_time); r5 reward -3 (amount_negative); r6 reward without amount (amount_missing);
#  r7 invite on 01-09 (outside window); r8 signup on 01-17 (after as-of); r9 signup to
#  `other` (other campaign); r10 region 12345 (region); r11 a reward of 10; r12 an active.
PARITY_ROWS = [
    "2025-01-11 10:00:00,signup,u1,ref,in_app,522634,18-24,,,d1,10.0.0.1",
    "2025-01-11 10:00:00,signup,u1,ref,in_app,522634,18-24,,,d1,10.0.0.1",
    row("2025-01-11 10:00:00", "SIGNUP", "u2", "ref"),
    row("2025-01-32 10:00:00", "signup", "u3", "ref"),
    row("2025-01-12 10:00:00", "reward", "u1", "ref", amount="-3"),
    row("2025-01-12 10:00:00", "reward", "u1", "ref"),
    row("2025-01-09 10:00:00", "invite", "u1", "ref"),
    row("2025-01-17 10:00:00", "signup", "u4", "ref"),
    row("2025-01-12 10:00:00", "signup", "u5", "other"),
    row("2025-01-12 10:00:00", "signup", "u6", "ref", region="12345"),
    row("2025-01-12 10:00:00", "reward", "u1", "ref", amount="10"),
    row("2025-01-13 10:00:00", "active", "u1"),
]


# Rejected r4, r5, r6, r10 -> 4; unknown 1; duplicates 1; outside 1; after 1; other 1.
PARITY_QUALITY = zero(
    rows_read=12,
    rows_rejected=4,
    unknown_events=1,
    duplicates=1,
    outside_windows=1,
    after_as_of=1,
    other_campaigns=1,
)


@pytest.mark.parametrize(
    "fmt,first_line",
    [
        ("csv", 2),  # the header is line 1: r4 is line 5
        ("parquet", 1),  # row numbers: r4 is row 4
        ("jsonl", 1),  # one object a line, no header: r4 is line 4
    ],
)
def test_the_same_rows_give_the_same_quality_in_every_format(  # type: ignore[no-untyped-def]
    ws, invoke, fmt: str, first_line: int
) -> None:
    """Rejected r4, r5, r6, r10 -> 4; unknown 1; duplicates 1; outside 1; after 1; other 1."""
    import duckdb

    csv = csv_file(ws / "e.csv", PARITY_ROWS)
    data = csv
    if fmt != "csv":
        data = ws / f"e.{fmt}"
        kind = "parquet" if fmt == "parquet" else "json"
        src = f"read_csv('{csv}', all_varchar = true, header = true)"
        con = duckdb.connect()
        con.execute(f"COPY (SELECT * FROM {src}) TO '{data}' (FORMAT {kind})")
        con.close()
        csv.unlink()
    q = quality(invoke, data)
    assert counts(q) == PARITY_QUALITY
    assert by_reason(q) == {"event_time": 1, "amount_negative": 1, "amount_missing": 1, "region": 1}
    offset = first_line - 1
    assert lines(q) == [4 + offset, 5 + offset, 6 + offset, 10 + offset]
    assert {Path(s["file"]).name for s in q["rejected_samples"]} == {data.name}


def test_staging_in_memory_or_on_disk_gives_the_same_quality(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """ "The figures, the rejected rows and their lines are the same either way": the parity
    rows plus a 4-field row 13 (structure, line 14) under each `[data] staging`."""
    data = csv_file(ws / "e.csv", [*PARITY_ROWS, "2025-01-11 10:00:00,signup,u9,ref"])
    expected = {**PARITY_QUALITY, "rows_read": 13, "rows_rejected": 5}
    for staging in ("memory", "disk"):
        (ws / "xhsgrow.toml").write_text(f'[data]\nstaging = "{staging}"\n', "utf-8")
        q = quality(invoke, data)
        assert counts(q) == expected, staging
        assert by_reason(q) == {
            "event_time": 1,
            "amount_negative": 1,
            "amount_missing": 1,
            "region": 1,
            "structure": 1,
        }
        assert lines(q) == [5, 6, 7, 11, 14], staging


@pytest.mark.spark
def test_spark_gives_the_same_quality_as_duckdb(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Text is read "the same on both engines, so a row is accepted or rejected alike
    whichever engine reads it": the parity rows on Spark (a file, so lines are given)."""
    data = csv_file(ws / "e.csv", PARITY_ROWS)
    r = invoke(
        "track", "--data", str(data), "--as-of", "2025-01-16", "-f", "json", "--engine", "spark"
    )
    assert r.exit_code == 0, r.output
    q = json.loads(r.stdout)["data_quality"]
    assert counts(q) == PARITY_QUALITY
    assert by_reason(q) == {"event_time": 1, "amount_negative": 1, "amount_missing": 1, "region": 1}
    assert lines(q) == [5, 6, 7, 11]


def test_a_typed_parquet_file_rejects_nan_infinity_negative_and_null(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """A typed column is taken as it is, but "a NaN or an infinity in a numeric column (a
    Parquet DOUBLE)" is a bad amount. Rows: 1 signup; 2 reward NaN and 3 reward inf: amount;
    4 reward -1.0: amount_negative; 5 reward NULL: amount_missing; 6 a NULL TIMESTAMP:
    event_time (missing); 7 reward 2.5. Read 7, rejected 5 at rows 2-6; cost 2.5."""
    import duckdb

    data = ws / "e.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * FROM (VALUES
            (TIMESTAMP '2025-01-11 10:00:00', 'signup', 'u1', 'ref', NULL::DOUBLE),
            (TIMESTAMP '2025-01-12 10:00:00', 'reward', 'u1', 'ref', 'NaN'::DOUBLE),
            (TIMESTAMP '2025-01-12 10:00:00', 'reward', 'u2', 'ref', 'inf'::DOUBLE),
            (TIMESTAMP '2025-01-12 10:00:00', 'reward', 'u3', 'ref', -1.0::DOUBLE),
            (TIMESTAMP '2025-01-12 10:00:00', 'reward', 'u4', 'ref', NULL::DOUBLE),
            (NULL::TIMESTAMP, 'signup', 'u5', 'ref', NULL::DOUBLE),
            (TIMESTAMP '2025-01-12 10:00:00', 'reward', 'u6', 'ref', 2.5::DOUBLE))
            AS t(event_time, event, user_id, campaign, amount)) TO '{data}' (FORMAT parquet)"""
    )
    con.close()
    doc = track_doc(invoke, data)
    q = doc["data_quality"]
    assert counts(q) == zero(rows_read=7, rows_rejected=5)
    assert by_reason(q) == {
        "amount": 2,
        "amount_negative": 1,
        "amount_missing": 1,
        "event_time": 1,
    }
    assert lines(q) == [2, 3, 4, 5, 6]
    assert doc["campaigns"][0]["metrics"]["cost"] == 2.5


def test_a_folder_counts_every_file_and_locates_rows_in_their_own_file(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """rows_read is "every data row of every file": a.csv 3 rows (line 3 bad time), b.csv 2
    rows (line 2 missing user): read 5, rejected 2, one sample per file at its own line."""
    folder = ws / "events"
    folder.mkdir()
    csv_file(
        folder / "a.csv",
        [
            row("2025-01-11 10:00:00", "signup", "a", "ref"),
            row("never", "signup", "b", "ref"),
            row("2025-01-12 10:00:00", "active", "a"),
        ],
    )
    csv_file(
        folder / "b.csv",
        [row("2025-01-11 10:00:00", "signup", "", "ref"), row("2025-01-11 11:00", "active", "a")],
    )
    q = quality(invoke, folder)
    assert counts(q) == zero(rows_read=5, rows_rejected=2)
    assert by_reason(q) == {"event_time": 1, "user_id": 1}
    located = {(Path(s["file"]).name, s["line"]) for s in q["rejected_samples"]}
    assert located == {("a.csv", 3), ("b.csv", 2)}


# --- --strict ----------------------------------------------------------------------------------


def test_strict_turns_a_rejected_row_into_exit_2_naming_file_and_line(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """`--strict` makes any rejected row an error (exit 2). The CSV's bad row (amount -5) is
    line 3 (header = 1); the JSON Lines' array is line 3 (the blank line 2 keeps its
    number)."""
    csv = csv_file(
        ws / "e.csv",
        [
            row("2025-01-11 10:00:00", "signup", "u1", "ref"),
            row("2025-01-11 10:00:00", "reward", "u1", "ref", amount="-5"),
        ],
    )
    jsonl = ws / "e.jsonl"
    jsonl.write_text(
        '{"event_time": "2025-01-11 10:00:00", "event": "signup", "user_id": "u1",'
        ' "campaign": "ref"}\n\n[1]\n',
        "utf-8",
    )
    for data, where in [(csv, "e.csv:3"), (jsonl, "e.jsonl:3")]:
        r = invoke("track", "--data", str(data), "--as-of", "2025-01-16", "-f", "json", "--strict")
        assert r.exit_code == 2, data
        assert "Traceback" not in r.output
        # the docs say only "an error (exit 2)"; the error line (the first) names where
        assert where in r.stderr.splitlines()[0], r.stderr


def test_strict_passes_dirt_that_is_not_a_rejected_row(ws, invoke) -> None:  # type: ignore[no-untyped-def]
    """Only rejected rows fail --strict: an unknown event, a copy, a row outside the window,
    one after as-of and one of an untracked campaign leave it at exit 0, and counted."""
    signup = row("2025-01-11 10:00:00", "signup", "u1", "ref")
    rows = [
        signup,
        signup,
        row("2025-01-11 10:00:00", "page_view", "u1", "ref"),
        row("2025-01-09 10:00:00", "signup", "u2", "ref"),
        row("2025-01-17 10:00:00", "signup", "u3", "ref"),
        row("2025-01-11 10:00:00", "signup", "u4", "zzz"),
    ]
    data = csv_file(ws / "e.csv", rows)
    r = invoke("track", "--data", str(data), "--as-of", "2025-01-16", "-f", "json", "--strict")
    assert r.exit_code == 0, r.output
    q = json.loads(r.stdout)["data_quality"]
    assert counts(q) == zero(
        rows_read=6,
        duplicates=1,
        unknown_events=1,
        outside_windows=1,
        after_as_of=1,
        other_campaigns=1,
    )
