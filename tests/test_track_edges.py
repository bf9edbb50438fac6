"""Edges of tracking: as-of outside the window, empty and malformed data, formats, folders,
column mapping, data-source resolution. Figures worked out by hand from the rows shown."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.test_track_metrics import DATA, make_workspace, run
from xhsgrow.errors import UsageError

HEADER = "event_time,event,user_id,campaign,channel,region,age_band,referrer_id,amount,device_id,ip"


def csv_file(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_workspace(tmp_path, DATA / "referral.toml")


def test_as_of_before_the_start_is_not_started(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = shutil.copy(DATA / "referral.csv", tmp_path / "e.csv")
    c = run(ws, data, as_of=dt.date(2025, 1, 5)).campaigns[0]
    assert c.status == "not_started"
    assert {t.status for t in c.targets} == {"not_started"}
    assert c.daily == ()
    assert c.metrics["acquired"] == 0
    assert c.elapsed_share == 0.0


def test_as_of_after_the_end_is_ended_with_final_figures(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = shutil.copy(DATA / "referral.csv", tmp_path / "e.csv")
    c = run(ws, data, as_of=dt.date(2025, 2, 1)).campaigns[0]
    assert c.status == "ended"
    assert c.elapsed_share == 1.0
    # u7 (01-18) now counts too: u1, u2, u3, u6, u7.
    assert c.metrics["acquired"] == 5
    acquired = next(t for t in c.targets if t.metric == "acquired")
    assert acquired.expected_to_date == 11
    assert acquired.forecast == 5  # nothing left of the curve: the forecast is the actual
    assert len(c.daily) == 11  # the whole window, not up to as-of


def test_empty_data(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(ws, csv_file(tmp_path / "e.csv", []))
    c = result.campaigns[0]
    assert c.metrics["acquired"] == 0
    assert c.metrics["retention_d1"] is None
    assert c.metrics["cost_per_activated"] is None
    assert c.metrics["k_factor"] is None
    assert result.data_quality.rows_read == 0
    assert len(c.daily) == 7 and all(r.acquired == 0 for r in c.daily)


def test_a_user_signing_up_twice_is_acquired_once_on_the_first_day(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-12 10:00:00,signup,u1,ref,sms,,,,,,",
            "2025-01-11 10:00:00,signup,u1,ref,in_app,,,,,,",  # earlier: this one counts
            "2025-01-13 10:00:00,signup,u1,other,,,,,,,",  # a later signup elsewhere
        ],
    )
    c = run(ws, data).campaigns[0]
    assert c.metrics["acquired"] == 1
    assert {r.day: r.acquired for r in c.daily}[dt.date(2025, 1, 11)] == 1
    segs = {(s.dimension, s.value): s.metrics["acquired"] for s in c.segments}
    assert segs[("channel", "in_app")] == 1
    assert ("channel", "sms") not in segs


def test_first_signup_elsewhere_is_never_moved(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-11 10:00:00,signup,u1,other,,,,,,,",
            "2025-01-12 10:00:00,signup,u1,ref,,,,,,,",
        ],
    )
    assert run(ws, data).campaigns[0].metrics["acquired"] == 0


def test_offset_timestamps_are_honoured_and_naive_ones_are_local(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        [
            # 16:30 UTC on 01-09 is 00:30 on 01-10 in Shanghai: inside the window.
            "2025-01-09T16:30:00Z,signup,a,ref,,,,,,,",
            # 15:59 UTC on 01-09 is 23:59 on 01-09 in Shanghai: outside.
            "2025-01-09 15:59:00+00:00,signup,b,ref,,,,,,,",
            # Naive: Shanghai time. 23:59 on 01-16 is still the as-of day.
            "2025-01-16 23:59:59,signup,c,ref,,,,,,,",
            # 01-16 16:00 UTC is 01-17 00:00 in Shanghai: after as-of.
            "2025-01-16T16:00:00+00:00,signup,d,ref,,,,,,,",
        ],
    )
    result = run(ws, data)
    c = result.campaigns[0]
    assert c.metrics["acquired"] == 2
    by_day = {r.day: r.acquired for r in c.daily}
    assert by_day[dt.date(2025, 1, 10)] == 1
    assert by_day[dt.date(2025, 1, 16)] == 1
    assert result.data_quality.outside_windows == 1
    assert result.data_quality.after_as_of == 1


def test_malformed_rows_are_counted_and_located(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-11 10:00:00,signup,u1,ref,,,,,,,",  # line 2: fine
            "2025-01-11 10:00:00,signup,,ref,,,,,,,",  # line 3: no user_id
            "2025-01-11 10:00:00,reward,u1,ref,,,,,ten,,",  # line 4: bad amount
            "2025-01-11 10:00:00,signup,u2,ref,,52263,,,,,",  # line 5: 5-digit region
            "2025-01-11 10:00:00,signup,u3,ref",  # line 6: too few fields
            "2025-01-11 10:00:00,reward,u1,ref,,,,,-5,,",  # line 7: negative amount
            ",signup,u4,ref,,,,,,,",  # line 8: no time
        ],
    )
    result = run(ws, data)
    q = result.data_quality
    assert q.rows_read == 7
    assert q.rows_rejected == 6
    lines = [(r.line, r.reason) for r in q.rejected_samples]
    assert [line for line, _ in lines] == [3, 4, 5, 6, 7]  # the first five, in file order
    assert "user_id" in lines[0][1]
    assert "ten" in lines[1][1]
    assert "52263" in lines[2][1]
    assert "CSV" in lines[3][1]
    assert "negative" in lines[4][1]
    assert q.rejected_by_reason == {
        "user_id": 1,
        "amount": 1,
        "region": 1,
        "structure": 1,
        "amount_negative": 1,
        "event_time": 1,
    }
    assert result.campaigns[0].metrics["acquired"] == 1


def test_reasons_are_listed_largest_first_whatever_the_row_order(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`rejected_by_reason` keeps one order from run to run, so that CI's diff of two
    reports shows figures, not shuffled keys: the largest count first, equal counts by code.
    (DuckDB's groups came back as amount, user_id, region, event_time, ...: neither.)"""
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-11 10:00:00,signup,u2,ref,,52263,,,,,",  # region
            "2025-01-11 10:00:00,reward,u1,ref,,,,,ten,,",  # amount
            ",signup,u4,ref,,,,,,,",  # event_time
            "2025-01-11 10:00:00,signup,u3,ref",  # structure (too few fields)
            "2025-01-11 10:00:00,signup,,ref,,,,,,,",  # user_id
            "2025-01-11 10:00:00,reward,u1,ref,,,,,-5,,",  # amount_negative
            ",signup,u6,ref,,,,,,,",  # event_time
        ],
    )
    result = run(ws, data)
    assert list(result.data_quality.rejected_by_reason.items()) == [
        ("event_time", 2),
        ("amount", 1),
        ("amount_negative", 1),
        ("region", 1),
        ("structure", 1),
        ("user_id", 1),
    ]


def test_strict_turns_a_rejected_row_into_an_error(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(tmp_path / "e.csv", ["soon,signup,u1,ref,,,,,,,"])
    with pytest.raises(UsageError, match=r"--strict: 1 malformed row.*e\.csv:2: unparseable"):
        run(ws, data, strict=True)


def test_unknown_events_are_counted_not_used(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        ["2025-01-11 10:00:00,SIGNUP,u1,ref,,,,,,,", "2025-01-11 10:00:00,sign_up,u2,ref,,,,,,,"],
    )
    result = run(ws, data)
    assert result.data_quality.unknown_events == 2
    assert result.campaigns[0].metrics["acquired"] == 0


def test_copies_of_an_unknown_event_are_unknown_rows_not_duplicates(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # every copy is a row of an event outside the contract; only the signup's copy is an
    # extra copy of an event
    unknown = "2025-01-11 10:00:00,page_view,u1,ref,,,,,,,"
    signup = "2025-01-11 10:00:00,signup,u1,ref,,,,,,,"
    result = run(ws, csv_file(tmp_path / "e.csv", [unknown, signup, unknown, signup, unknown]))
    q = result.data_quality
    assert (q.unknown_events, q.duplicates) == (3, 1)
    assert result.campaigns[0].metrics["acquired"] == 1


def _convert(csv: Path, out: Path, fmt: str) -> Path:
    import duckdb

    con = duckdb.connect()
    src = f"read_csv('{csv}', all_varchar = true, header = true)"
    if fmt == "parquet":
        con.execute(f"COPY (SELECT * FROM {src}) TO '{out}' (FORMAT parquet)")
    else:
        con.execute(f"COPY (SELECT * FROM {src}) TO '{out}' (FORMAT json)")
    return out


@pytest.mark.parametrize("fmt,name", [("parquet", "e.parquet"), ("jsonl", "e.jsonl")])
def test_every_format_gives_the_same_figures(ws, tmp_path: Path, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    csv = shutil.copy(DATA / "referral.csv", tmp_path / "e.csv")
    expected = run(ws, csv).campaigns[0]
    other = run(ws, _convert(Path(csv), tmp_path / name, fmt))
    got = other.campaigns[0]
    assert got.metrics == expected.metrics
    assert got.daily == expected.daily
    assert other.data_quality.rows_read == 20
    assert other.data_quality.rows_rejected == 1
    assert other.data_quality.rejected_samples[0].line == 19  # the 19th row (no header line)


def test_a_well_formed_parquet_file_gives_the_figures_of_its_text(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # With no row rejected, the Parquet view drops its per-row reason tests after the first
    # read: the figures must be those of the same rows read as text.
    lines = (DATA / "referral.csv").read_text("utf-8").splitlines()
    clean = [ln for ln in lines[1:] if not ln.startswith("yesterday")]
    assert len(clean) == len(lines) - 2  # (the one malformed row is gone)
    csv = csv_file(tmp_path / "e.csv", clean, header=lines[0])
    expected = run(ws, csv)
    got = run(ws, _convert(csv, tmp_path / "e.parquet", "parquet"))
    assert expected.data_quality.rows_rejected == got.data_quality.rows_rejected == 0
    assert got.campaigns[0].metrics == expected.campaigns[0].metrics
    assert got.campaigns[0].daily == expected.campaigns[0].daily
    assert got.campaigns[0].segments == expected.campaigns[0].segments
    assert got.campaigns[0].referral == expected.campaigns[0].referral


def test_well_formed_keeps_every_typed_value_of_a_parquet_file(tmp_path: Path) -> None:
    from xhsgrow.data.events import open_events

    data = _convert(
        csv_file(
            tmp_path / "e.csv",
            [
                '2025-01-11 10:00:00+01:00,"signup\t",7,"\u3000ref",in_app,"440106\u3000",,,,,',
                "2025-01-12 23:59:59,reward, 8 ,ref,,,,7,12.50,d1,10.0.0.1",
            ],
        ),
        tmp_path / "e.parquet",
        "parquet",
    )
    src = open_events(str(data))
    try:
        every = "SELECT * EXCLUDE (reason) FROM ev ORDER BY ts"
        before = src.con.execute(every).fetchall()
        assert src.con.execute("SELECT COUNT(reason) FROM ev").fetchone() == (0,)
        src.well_formed()
        assert src.con.execute(every).fetchall() == before
        assert src.con.execute("SELECT COUNT(*), COUNT(reason) FROM ev").fetchone() == (2, 0)
        utc = dt.datetime(2025, 1, 11, 9, tzinfo=dt.UTC)  # 10:00 at +01:00
        assert [row[0] for row in before] == [
            int(utc.timestamp()) * 10**6,
            int(dt.datetime(2025, 1, 12, 15, 59, 59, tzinfo=dt.UTC).timestamp()) * 10**6,
        ]
        assert [row[2] for row in before] == ["7", "8"]  # trimmed
    finally:
        src.close()


def test_a_malformed_json_line_is_rejected_with_its_line(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "e.jsonl"
    data.write_text(
        '{"event_time": "2025-01-11 10:00:00", "event": "signup", "user_id": "u1", '
        '"campaign": "ref"}\n{"event_time": oops\n\n'
        '{"event_time": "2025-01-12 10:00:00", "event": "signup", "user_id": 7, '
        '"campaign": "ref"}\n',
        "utf-8",
    )
    result = run(ws, data)
    assert result.campaigns[0].metrics["acquired"] == 2
    assert result.data_quality.rows_rejected == 1
    assert result.data_quality.rejected_samples[0].line == 2


def test_hive_partitioned_folder_and_globs(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = (DATA / "referral.csv").read_text("utf-8").splitlines()
    header, body = rows[0], rows[1:]
    root = tmp_path / "events"
    for i, part in enumerate((body[:7], body[7:14], body[14:])):
        folder = root / f"part={i}"
        folder.mkdir(parents=True)
        csv_file(folder / "rows.csv", part, header)
    whole = run(ws, DATA / "referral.csv").campaigns[0]
    for source in (root, root / "*" / "*.csv"):
        split = run(ws, source).campaigns[0]
        assert split.metrics == whole.metrics
        assert split.daily == whole.daily


@pytest.mark.parametrize("staging", ["memory", "disk"])
def test_csv_files_of_different_headers_are_read_by_column_name(
    tmp_path: Path, staging: str
) -> None:
    """A folder of exports whose headers differ: a.csv (sorted first) has no referrer_id
    or amount column, b.csv has them, c.csv has its columns in another order. Each value is
    read under its own file's name for it: u2 was referred by u1, u1's reward of 10 counts,
    u3 signed up, and nothing is rejected. (One read took a.csv's four columns for every
    file, by position: u2 lost its referrer and the reward its amount.)"""
    (tmp_path / "xhsgrow.toml").write_text(f'[data]\nstaging = "{staging}"\n', "utf-8")
    ws = make_workspace(tmp_path, DATA / "referral.toml")
    folder = tmp_path / "exports"
    folder.mkdir()
    csv_file(
        folder / "a.csv", ["2025-01-11 10:00:00,signup,u1,ref"], "event_time,event,user_id,campaign"
    )
    csv_file(
        folder / "b.csv",
        ["2025-01-11 11:00:00,signup,u2,ref,u1,", "2025-01-12 09:00:00,reward,u1,ref,,10"],
        "event_time,event,user_id,campaign,referrer_id,amount",
    )
    csv_file(
        folder / "c.csv", ["u3,ref,2025-01-12 10:00:00,signup"], "user_id,campaign,event_time,event"
    )
    result = run(ws, folder)
    m = result.campaigns[0].metrics
    assert (m["acquired"], m["referred_signups"], m["cost"]) == (3, 1, 10.0)
    q = result.data_quality
    assert (q.rows_read, q.rows_rejected) == (4, 0)


def test_a_quoted_value_after_files_or_lines_without_quotes_is_one_value(tmp_path: Path) -> None:
    """RFC 4180 quoting is read in every file, wherever it first appears: the first file
    and the first lines of the second hold no quote, then a channel "app, web" and an amount
    "12.5" are quoted. One value each: the reward counts 12.5 and no row is rejected. (The
    sniffer took "no quoting" from the first lines and split "app, web" in two.)"""
    ws = make_workspace(tmp_path, DATA / "referral.toml")
    folder = tmp_path / "exports"
    folder.mkdir()
    csv_file(folder / "a.csv", ["2025-01-11 10:00:00,signup,u1,ref,app,,,,,,"])
    plain = [f"2025-01-11 10:{i:02}:00,active,u1,,,,,,,," for i in range(40)]
    quoted = '2025-01-12 09:00:00,reward,u1,ref,"app, web",,,,"12.5",,'
    csv_file(folder / "b.csv", [*plain, quoted])
    result = run(ws, folder)
    assert result.campaigns[0].metrics["cost"] == 12.5
    q = result.data_quality
    assert (q.rows_read, q.rows_rejected) == (42, 0)


def test_column_mapping_from_settings(tmp_path: Path) -> None:
    (tmp_path / "xhsgrow.toml").write_text(
        '[data.columns]\nevent_time = "ts"\nuser_id = "uid"\ncampaign = "camp"\n', "utf-8"
    )
    ws = make_workspace(tmp_path, DATA / "referral.toml")
    data = csv_file(
        tmp_path / "e.csv",
        ["2025-01-11 10:00:00,signup,u1,ref", "2025-01-12 10:00:00,signup,u2,ref"],
        header="ts,event,uid,camp",
    )
    assert run(ws, data).campaigns[0].metrics["acquired"] == 2


def test_a_missing_required_column_names_it(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(tmp_path / "e.csv", ["2025-01-11 10:00:00,signup"], header="event_time,event")
    with pytest.raises(UsageError, match="no column 'user_id'"):
        run(ws, data)


def test_json_lines_without_one_object_say_so(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "e.jsonl"
    data.write_text("{not json\n[1, 2]\n", "utf-8")
    with pytest.raises(UsageError, match="no line is a JSON object"):
        run(ws, data)


def test_data_source_from_env_then_settings(ws, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from xhsgrow.tracking.engine import track
    from xhsgrow.workspace import open_workspace

    with pytest.raises(UsageError, match="no event data"):
        track(ws, None, data=None, as_of=dt.date(2025, 1, 16))
    shutil.copy(DATA / "referral.csv", tmp_path / "e.csv")
    (tmp_path / "xhsgrow.toml").write_text('[data]\nsource = "e.csv"\n', "utf-8")
    ws2 = open_workspace(tmp_path)
    assert track(ws2, None, data=None, as_of=dt.date(2025, 1, 16)).source == str(tmp_path / "e.csv")
    empty = csv_file(tmp_path / "empty.csv", [])
    monkeypatch.setenv("XHSGROW_DATA", str(empty))
    result = track(ws2, None, data=None, as_of=dt.date(2025, 1, 16))
    assert result.source == str(empty)
    assert result.data_quality.rows_read == 0


def test_missing_data_path_is_a_usage_error(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="no such file"):
        run(ws, tmp_path / "nope.csv")
    with pytest.raises(UsageError, match="no file matches"):
        run(ws, tmp_path / "nope-*.csv")


def test_duplicates_of_every_kind_are_counted_once(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    row = [
        "2025-01-11 10:00:00,signup,u1,ref,,,,,,,",
        "2025-01-12 10:00:00,active,u1,,,,,,,,",
        "2025-01-12 10:00:00,reward,u1,ref,,,,,5,,",
        "2025-01-12 10:00:00,interaction,u1,ref,,,,,,,",
    ]
    # each row three times: 2 extra copies each
    result = run(ws, csv_file(tmp_path / "e.csv", row * 3))
    assert result.data_quality.duplicates == 8
    m = result.campaigns[0].metrics
    assert (m["acquired"], m["cost"], m["interactions"], m["retention_d1"]) == (1, 5.0, 1, 1.0)


def test_repeated_keys_names_each_key_of_several_rows_once(tmp_path: Path) -> None:
    """The candidates of the duplicate search (DuckDB sorts the keys in NumPy): a key in two
    or three rows is listed once, a key in one row not at all, nor a NULL key, however many
    rows have none; no rows, no keys."""
    from xhsgrow.engines import open_engine

    days = {1: [1, 2, 3], 2: [1], 3: [1, 2], 4: [1, 2]}
    rows = [f"2025-01-1{d} 10:00:00,active,{u},,,,,,,," for u, ds in days.items() for d in ds]
    engine = open_engine("duckdb", str(csv_file(tmp_path / "e.csv", rows)))
    try:
        engine.repeated_keys("rk", "CASE WHEN user_id = 4 THEN NULL ELSE user_id END")
        assert sorted(engine.query("SELECT k FROM rk")) == [(1,), (3,)]
    finally:
        engine.close()
    engine = open_engine("duckdb", str(csv_file(tmp_path / "none.csv", [])))
    try:
        engine.repeated_keys("rk", "user_id")
        assert engine.query("SELECT COUNT(*) FROM rk") == [(0,)]
    finally:
        engine.close()


def test_campaigns_in_different_timezones(tmp_path: Path) -> None:
    ny = (DATA / "referral.toml").read_text("utf-8")
    ny = ny.replace('id = "ref"', 'id = "ny"').replace("Asia/Shanghai", "America/New_York")
    ws = make_workspace(tmp_path, DATA / "referral.toml", ny)
    data = csv_file(
        tmp_path / "e.csv",
        [
            # 03:00 UTC on 01-11 is 22:00 on 01-10 in New York (EST, UTC-5): day 0 = 01-10
            "2025-01-11T03:00:00Z,signup,n1,ny,,,,,,,",
            # naive times are Shanghai time: 02:00 on 01-12 in Shanghai is 13:00 on 01-11 in
            # New York: day 1 for n1
            "2025-01-12 02:00:00,active,n1,,,,,,,,",
            # the Shanghai campaign's user: 01-11 in Shanghai, active on day 1 (01-12 local)
            "2025-01-11 10:00:00,signup,s1,ref,,,,,,,",
            "2025-01-12 02:00:00,active,s1,,,,,,,,",
        ],
    )
    by_id = {c.id: c for c in run(ws, data).campaigns}
    assert {r.day: r.acquired for r in by_id["ny"].daily}[dt.date(2025, 1, 10)] == 1
    assert by_id["ny"].metrics["retention_d1"] == 1.0
    assert {r.day: r.acquired for r in by_id["ref"].daily}[dt.date(2025, 1, 11)] == 1
    assert by_id["ref"].metrics["retention_d1"] == 1.0


def test_integer_user_ids_with_text_referrers(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    out = tmp_path / "e.parquet"
    duckdb.connect().execute(  # (its own connection: nothing left open on the default)
        f"""COPY (SELECT * FROM (VALUES
            (TIMESTAMP '2025-01-11 10:00:00', 'signup', 7, 'ref', NULL),
            (TIMESTAMP '2025-01-11 11:00:00', 'signup', 8, 'ref', '7'))
            AS t(event_time, event, user_id, campaign, referrer_id)) TO '{out}' (FORMAT parquet)"""
    )
    m = run(ws, out).campaigns[0].metrics
    assert (m["acquired"], m["referred_signups"], m["k_factor"]) == (2, 1, 0.5)


def test_signups_at_the_same_instant_go_to_the_smallest_campaign_id(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        [
            # u1: the same instant for "ref" and "zzz": "ref" sorts first, ref acquires u1
            "2025-01-14 10:00:00,signup,u1,zzz,sms,,,,,,",
            "2025-01-14 10:00:00,signup,u1,ref,in_app,,,,,,",
            # u2: the same instant for "abc" and "ref": "abc" sorts first, so u2 is not ref's
            "2025-01-14 11:00:00,signup,u2,ref,,,,,,,",
            "2025-01-14 11:00:00,signup,u2,abc,,,,,,,",
            # u3: one signup only
            "2025-01-14 12:00:00,signup,u3,ref,sms,,,,,,",
        ],
    )
    c = run(ws, data).campaigns[0]
    assert c.metrics["acquired"] == 2  # u1 and u3
    segs = {(s.dimension, s.value): s.metrics["acquired"] for s in c.segments}
    assert segs[("channel", "in_app")] == 1  # u1, with the attributes of its "ref" row
    assert segs[("channel", "sms")] == 1  # u3 only: u1's "zzz" row is not its first


def test_money_adds_up_exactly_whatever_the_order(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a reward of 0.1 on each of ten days (before the window: rewards count on any day up
    # to as-of) is 1.0 exactly; added up naively in binary floating point, day after day,
    # 0.1 ten times is 0.9999999999999999. So the burn is exactly 1.0 / budget.
    rows = [f"2025-01-{1 + i:02d} 10:00:00,reward,u{i},ref,,,,,0.1,," for i in range(10)]
    c = run(ws, csv_file(tmp_path / "e.csv", rows)).campaigns[0]
    assert c.metrics["cost"] == 1.0
    assert c.budget == 1000  # the spec's
    assert c.metrics["budget_burn"] == 1.0 / 1000


def test_event_time_text_is_read_only_in_the_documented_shapes(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md: an ISO 8601 date, optionally a time after T or a space (minutes,
    # optionally seconds and a fraction), optionally an offset after the time.
    data = csv_file(
        tmp_path / "e.csv",
        [
            # accepted; naive times are Shanghai time
            "2025-01-11,signup,a,ref,,,,,,,",  # 01-11 00:00
            "2025-01-11T10:00,signup,b,ref,,,,,,,",  # no seconds
            "2025-01-11 10:00:00.123456789,signup,c,ref,,,,,,,",  # nanoseconds
            "2025-01-11T20:00Z,signup,d,ref,,,,,,,",  # 20:00 UTC is 04:00 on 01-12
            "2025-01-12 01:00:00-0500,signup,e,ref,,,,,,,",  # 06:00 UTC: 14:00 on 01-12
            "2025-01-12 20:00:00+02,signup,f,ref,,,,,,,",  # 18:00 UTC: 02:00 on 01-13
            '"\u30002025-01-13 10:00:00\t",signup,g,ref,,,,,,,',  # whitespace around it
            # rejected (line 9 on)
            "2025/01/13 10:00:00,signup,h,ref,,,,,,,",  # slashes
            "2025-1-13 10:00:00,signup,i,ref,,,,,,,",  # month without its zero
            "2025-01,signup,j,ref,,,,,,,",  # no day
            "2025-01-13 24:00:00,signup,k,ref,,,,,,,",  # hours run 00-23
            "2025-01-13 10:00:00 +08:00,signup,l,ref,,,,,,,",  # a space before the offset
            "2025-01-13 10:00:00 UTC,signup,m,ref,,,,,,,",  # a zone name
            "2025-01-13 10:00:00+15:00,signup,n,ref,,,,,,,",  # offsets end at 14:59
            "2025-02-29 10:00:00,signup,o,ref,,,,,,,",  # the shape, but no such day
        ],
    )
    result = run(ws, data)
    c = result.campaigns[0]
    assert c.metrics["acquired"] == 7
    by_day = {r.day: r.acquired for r in c.daily}
    assert (by_day[dt.date(2025, 1, 11)], by_day[dt.date(2025, 1, 12)]) == (3, 2)
    assert by_day[dt.date(2025, 1, 13)] == 2
    q = result.data_quality
    assert q.rejected_by_reason == {"event_time": 8}
    assert [(r.line, r.reason) for r in q.rejected_samples] == [
        (9, "unparseable event_time '2025/01/13 10:00:00'"),
        (10, "unparseable event_time '2025-1-13 10:00:00'"),
        (11, "unparseable event_time '2025-01'"),
        (12, "unparseable event_time '2025-01-13 24:00:00'"),
        (13, "unparseable event_time '2025-01-13 10:00:00 +08:00'"),
    ]


def test_amounts_are_plain_decimal_numbers(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = csv_file(
        tmp_path / "e.csv",
        [
            '2025-01-11 10:00:00,reward,u1,ref,,,,,"\u00a012.5\u3000",,',  # 12.5
            "2025-01-11 10:00:00,reward,u2,ref,,,,,.5,,",  # 0.5
            "2025-01-11 10:00:00,reward,u3,ref,,,,,+2,,",  # 2
            "2025-01-11 10:00:00,reward,u4,ref,,,,,1E1,,",  # 10
            "2025-01-11 10:00:00,reward,u5,ref,,,,,1_000,,",  # line 6 on: not numbers
            "2025-01-11 10:00:00,reward,u6,ref,,,,,1.5d,,",
            "2025-01-11 10:00:00,reward,u7,ref,,,,,NaN,,",
            "2025-01-11 10:00:00,reward,u8,ref,,,,,\u00a5,,",  # a currency sign alone
            "2025-01-11 10:00:00,reward,u9,ref,,,,,0x10,,",
            "2025-01-11 10:00:00,reward,u10,ref,,,,,1e400,,",  # beyond a double
        ],
    )
    result = run(ws, data)
    assert result.campaigns[0].metrics["cost"] == 25.0
    q = result.data_quality
    assert q.rejected_by_reason == {"amount": 6}
    assert [r.reason for r in q.rejected_samples] == [
        "bad amount '1_000'",
        "bad amount '1.5d'",
        "bad amount 'NaN'",
        "bad amount '\u00a5'",
        "bad amount '0x10'",
    ]


def test_text_is_trimmed_of_every_kind_of_whitespace(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Tabs, no-break and ideographic spaces around a value are not part of it.
    data = csv_file(
        tmp_path / "e.csv",
        [
            '2025-01-11 10:00:00,"signup\t",u1,"\u3000ref",in_app,"440106\u3000",,,,,',
            '2025-01-12 10:00:00,active,"\tu1\u00a0",,,,,,,,',
            "2025-01-11 10:00:00,signup,u2,ref,,1.00e5,,,,,",  # region: digits only
            "2025-01-11 10:00:00,signup,u3,ref,,\uff14\uff14\uff10\uff11\uff10\uff16,,,,,",
        ],
    )
    result = run(ws, data)
    c = result.campaigns[0]
    assert (c.metrics["acquired"], c.metrics["retention_d1"]) == (1, 1.0)
    # 440106 (Guangzhou's Tianhe district) is counted, under its province
    assert {(s.dimension, s.value) for s in c.segments} == {
        ("channel", "in_app"),
        ("region", "440000"),
    }
    assert result.data_quality.rejected_by_reason == {"region": 2}


# --- edge cases found by an audit against docs/metrics.md and docs/data.md ---------------


def _track_json(invoke: Any, data: Path, as_of: str = "2025-01-16") -> dict[str, Any]:
    r = invoke("track", "--data", str(data), "--as-of", as_of, "-f", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _campaign(doc: dict[str, Any], cid: str = "ref") -> dict[str, Any]:
    return next(c for c in doc["campaigns"] if c["id"] == cid)


def _flags_of(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {f["referrer_id"]: f["reasons"] for f in _campaign(doc)["referral"]["fraud_flags"]}


def test_parquet_text_event_and_campaign_are_trimmed_like_every_text_value(
    tmp_path: Path, invoke
) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md, Text values: "CSV and JSON Lines hold text, and so may a Parquet column
    # ... Whitespace. Every text value is trimmed, both ends, of Unicode's whitespace". So a
    # Parquet VARCHAR event 'signup\t' is the event signup, and a campaign '\u3000ref' is ref
    # (the same rows as CSV or JSON Lines give exactly that).
    #   u1: signup (tab after the event name) to '\u3000ref' on 01-11  -> acquired
    #   u2: signup to ' ref ' on 01-11                                  -> acquired
    #   u2: 'reward ' of 5 to 'ref\u00a0' on 01-12                      -> cost 5
    #   u2: 'active ' on 01-12 (day 1)                                   -> retained D1
    # acquired 2; cost 5.0; retention_d1 = 1 / 2 (both cohorts are old enough by 01-16);
    # unknown_events 0, other_campaigns 0.
    import duckdb

    make_workspace(tmp_path, DATA / "referral.toml")
    out = tmp_path / "e.parquet"
    duckdb.connect().execute(  # (its own connection: nothing left open on the default)
        f"""COPY (SELECT * FROM (VALUES
            ('2025-01-11 10:00:00', 'signup\t', 'u1', '\u3000ref', NULL),
            ('2025-01-11 10:00:00', 'signup', 'u2', ' ref ', NULL),
            ('2025-01-12 10:00:00', 'reward ', 'u2', 'ref\u00a0', '5'),
            ('2025-01-12 10:00:00', 'active ', 'u2', NULL, NULL))
            AS t(event_time, event, user_id, campaign, amount)) TO '{out}' (FORMAT parquet)"""
    )
    doc = _track_json(invoke, out)
    m = _campaign(doc)["metrics"]
    assert (doc["data_quality"]["unknown_events"], doc["data_quality"]["other_campaigns"]) == (
        0,
        0,
    )
    assert (m["acquired"], m["cost"], m["retention_d1"]) == (2, 5.0, 0.5)


@pytest.mark.parametrize(
    "third, flagged",
    [
        ("10.9.10.3", True),  # a real address in the same /24: 3 > 2, flagged
        ("10.9.9.300", False),  # 300 > 255 (was read as 10.9.10.44)
        ("10.9.10.1.5", False),  # five parts (was read by its first four)
        ("010.9.10.3", False),  # a leading zero: not dotted-decimal
    ],
)
def test_only_an_ipv4_address_falls_in_a_cluster(
    tmp_path: Path, invoke, third: str, flagged: bool
) -> None:  # type: ignore[no-untyped-def]
    # docs/metrics.md, fraud flags: "ip_cluster: more than fraud.max_referees_per_ip_cluster
    # fall in one IPv4 cluster of fraud.ip_cluster_prefix bits ... an address that is not
    # dotted-decimal IPv4 ... is its own cluster". Limit 2 per /24 (referral.toml).
    #   r1's referees: 10.9.10.1 and 10.9.10.2 (one /24: 2, not more than 2) and a third:
    #   in that /24 it makes 3 (flagged); not an IPv4 address, it is its own cluster.
    make_workspace(tmp_path, DATA / "referral.toml")
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-10 10:00:00,signup,a1,ref,,,,r1,,da1,10.9.10.1",
            "2025-01-10 11:00:00,signup,a2,ref,,,,r1,,da2,10.9.10.2",
            f"2025-01-10 12:00:00,signup,a3,ref,,,,r1,,da3,{third}",
        ],
    )
    assert _flags_of(_track_json(invoke, data)) == ({"r1": ["ip_cluster"]} if flagged else {})


def test_a_burst_within_ten_minutes_is_measured_to_the_microsecond(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # docs/metrics.md: "burst: more than fraud.burst_max_referees signed up within any
    # fraud.burst_window_minutes minutes" (3 in 10 minutes); docs/data.md reads fractions of
    # a second (to the microsecond).
    #   r6's referees at 12:00:00.900, 12:03:00, 12:06:00 and 12:10:00.100: first to last is
    #   9 min 59.2 s, so all four fall within the 10 minutes from 12:00:00.900
    #   (to 12:10:00.900): 4 > 3 -> burst.
    make_workspace(tmp_path, DATA / "referral.toml")
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-12 12:00:00.900,signup,f1,ref,,,,r6,,df1,30.0.1.1",
            "2025-01-12 12:03:00,signup,f2,ref,,,,r6,,df2,30.0.2.1",
            "2025-01-12 12:06:00,signup,f3,ref,,,,r6,,df3,30.0.3.1",
            "2025-01-12 12:10:00.100,signup,f4,ref,,,,r6,,df4,30.0.4.1",
        ],
    )
    assert _flags_of(_track_json(invoke, data)) == {"r6": ["burst"]}


def test_rows_after_a_campaigns_as_of_day_are_after_as_of_whatever_else_is_tracked(
    tmp_path: Path, invoke
) -> None:  # type: ignore[no-untyped-def]
    # docs/metrics.md: days are calendar days in the campaign's timezone; "Nothing after the
    # end of the --as-of day counts"; data_quality: "Every row read is accounted for; nothing
    # is dropped silently ... after_as_of: well-formed rows after the end of the as-of day".
    # Campaign ref (Asia/Shanghai) and a second tracked campaign ny (America/New_York), as of
    # 2025-01-16:
    #   a: signup to ref on 01-16 10:00 Shanghai                  -> acquired by ref
    #   b: signup to ref on 01-17 01:00 Shanghai (after ref's as-of day, which ended at
    #      01-17 00:00 Shanghai)                                     -> after_as_of
    #   a: reward of 5 to ref on 01-17 01:00 Shanghai             -> after_as_of
    ny = (DATA / "referral.toml").read_text("utf-8")
    ny = ny.replace('id = "ref"', 'id = "ny"').replace("Asia/Shanghai", "America/New_York")
    make_workspace(tmp_path, DATA / "referral.toml", ny)
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-16 10:00:00,signup,a,ref,,,,,,,",
            "2025-01-17 01:00:00,signup,b,ref,,,,,,,",
            "2025-01-17 01:00:00,reward,a,ref,,,,,5,,",
        ],
    )
    doc = _track_json(invoke, data)
    m = _campaign(doc, "ref")["metrics"]
    assert (m["acquired"], m["cost"]) == (1, 0.0)  # neither row is used
    assert doc["data_quality"]["after_as_of"] == 2


def test_a_referrer_007_is_not_user_7_when_user_ids_are_integers(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md, Ids: "`user_id`, `referrer_id` are any text, trimmed; `7`, `007` and
    # `+7` are three users"; integer ids stand for their plain text ("One integer stands for
    # one text"). A Parquet file with integer user ids and text referrer ids (the shape of
    # tests/test_track_edges.py::test_integer_user_ids_with_text_referrers):
    #   7: signup, no referrer; 8: signup referred by '007'; 9: signup referred by '+8'.
    # '007' is not user 7 and '+8' is not user 8: no referred signup has an acquired
    # referrer, so k_factor = 0 / 3 = 0.0 (referred_signups 2).
    import duckdb

    make_workspace(tmp_path, DATA / "referral.toml")
    out = tmp_path / "e.parquet"
    duckdb.connect().execute(  # (its own connection: nothing left open on the default)
        f"""COPY (SELECT * FROM (VALUES
            (TIMESTAMP '2025-01-11 10:00:00', 'signup', 7, 'ref', NULL),
            (TIMESTAMP '2025-01-11 11:00:00', 'signup', 8, 'ref', '007'),
            (TIMESTAMP '2025-01-11 12:00:00', 'signup', 9, 'ref', '+8'))
            AS t(event_time, event, user_id, campaign, referrer_id)) TO '{out}' (FORMAT parquet)"""
    )
    m = _campaign(_track_json(invoke, out))["metrics"]
    assert (m["acquired"], m["referred_signups"]) == (3, 2)
    assert m["k_factor"] == 0.0


def test_a_top_referrers_rewards_are_to_the_cent(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # r1 referred a1 and was paid 0.1 and 0.2: its rewards are 0.3 (a sum of doubles would
    # show 0.30000000000000004), like cost and money at risk, which are to the cent.
    make_workspace(tmp_path, DATA / "referral.toml")
    data = csv_file(
        tmp_path / "e.csv",
        [
            "2025-01-10 10:00:00,signup,a1,ref,,,,r1,,,",
            "2025-01-11 10:00:00,reward,r1,ref,,,,,0.1,,",
            "2025-01-12 10:00:00,reward,r1,ref,,,,,0.2,,",
        ],
    )
    (top,) = _campaign(_track_json(invoke, data))["referral"]["top_referrers"]
    assert (top["referrer_id"], top["rewards"]) == ("r1", 0.3)


def test_a_json_lines_key_first_seen_after_the_first_lines_is_read(tmp_path: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # The reader names the columns from the first lines of a JSON Lines file (10,000); an
    # optional key that first shows later must not be lost: here 10,000 activity lines, then
    # a reward of 5 with its amount: cost 5, nothing rejected.
    make_workspace(tmp_path, DATA / "referral.toml")
    active = {"event_time": "2025-01-11 09:00:00", "event": "active", "user_id": "z"}
    reward = {"event_time": "2025-01-12 10:00:00", "event": "reward", "user_id": "r1",
              "campaign": "ref", "amount": "5"}  # fmt: skip
    lines = [json.dumps(active)] * 10_000 + [json.dumps(reward)]
    data = tmp_path / "e.jsonl"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    doc = _track_json(invoke, data)
    assert doc["data_quality"]["rows_rejected"] == 0
    assert _campaign(doc)["metrics"]["cost"] == 5.0


def test_json_lines_keys_spelt_in_another_case_on_some_lines_are_read(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Keys are matched in any case on every line, not once for the file: u1's object
    spells them as the contract does, u2's in capitals, u3's with a capital first letter
    (a logger changed between releases). Three users acquired, nothing rejected. (Each
    column was read under one spelling, the others' lines "missing event_time".)"""
    keys = ("event_time", "event", "user_id", "campaign")

    def obj(spell: Any, time: str, user: str) -> dict[str, str]:
        return dict(zip(map(spell, keys), (time, "signup", user, "ref"), strict=True))

    rows = [
        obj(str, "2025-01-11 10:00:00", "u1"),
        obj(str.upper, "2025-01-11 11:00:00", "u2"),
        {**obj(str.title, "2025-01-11 12:00:00", "u3"), "Referrer_Id": "u1"},
    ]
    data = tmp_path / "e.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    result = run(ws, data)
    m = result.campaigns[0].metrics
    assert (m["acquired"], m["referred_signups"]) == (3, 1)
    assert result.data_quality.rows_rejected == 0


def test_a_required_key_first_spelt_as_the_contract_after_the_first_lines_is_read(
    ws, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The first 10,000 objects (where key names are looked for) spell the keys in
    capitals; a later one spells them as the contract does. Its signup is read: acquired
    1, nothing rejected."""
    active = {"EVENT_TIME": "2025-01-11 09:00:00", "EVENT": "active", "USER_ID": "z"}
    signup = {"event_time": "2025-01-12 10:00:00", "event": "signup", "user_id": "u1",
              "campaign": "ref"}  # fmt: skip
    data = tmp_path / "e.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in [active] * 10_000 + [signup]), "utf-8")
    result = run(ws, data)
    assert result.campaigns[0].metrics["acquired"] == 1
    assert (result.data_quality.rows_read, result.data_quality.rows_rejected) == (10_001, 0)
