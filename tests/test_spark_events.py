"""Reading events on Spark: the ``ev`` view equals DuckDB's, row for row, for every source
kind (CSV, TSV, Parquet typed three ways, JSON Lines with bad lines, hive folders and globs,
column mapping, catalog tables), with the same rejected rows, reasons and lines; and the
errors a user can make are one-line UsageErrors naming --data (or [data.spark])."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from xhsgrow.data.events import open_events
from xhsgrow.errors import UsageError
from xhsgrow.settings import Settings

spark_only = pytest.mark.spark

HEADER = "event_time,event,user_id,campaign,channel,region,age_band,referrer_id,amount,device_id,ip"
#: One row per reason code, the formats of event_time, and the CSV reader's own troubles.
CSV_ROWS = [
    "2025-01-10 09:00:00,signup,u1,ref,in_app,522634,18-24,,,d1,10.0.0.1",
    "2025-01-10T09:00:00Z,signup,u2,ref,,,,u1,,,",
    "2025-01-10 09:00:00+08:00,invite,u2,ref,,,,,,,",
    "2025-01-28 23:30:00.123456,active,u3,,,,,,,,",
    "1969-12-31 23:59:59,signup,old,ref,,,,,,,",
    " 2025-01-11 10:00:00 , reward , u1 ,ref,,,,,12.50,,",
    "2025-01-11 10:00:00,reward,u2,ref,,,,,,,",  # reward without an amount
    "2025-01-11 10:00:00,reward,u3,ref,,,,,-3,,",  # negative amount
    "2025-01-11 10:00:00,reward,u4,ref,,,,,abc,,",  # bad amount
    "not a time,signup,u5,ref,,,,,,,",  # unparseable event_time
    ",signup,u6,ref,,,,,,,",  # missing event_time
    "2025-01-11 10:00:00,,u7,ref,,,,,,,",  # missing event
    "2025-01-11 10:00:00,signup,,ref,,,,,,,",  # missing user_id
    "2025-01-11 10:00:00,signup,u8,ref,,99999,,,,,",  # region too short
    "2025-01-11 10:00:00,signup,u9,ref,,12345a,,,,,",  # region not a number
    '"2025-01-12 08:00:00","signup","u10","ref","a, quoted ""channel""",440106,,,,,',
    '2025-01-12 08:00:00,signup,u11,ref,"two\nlines",,,,,,',
    "2025-01-12 08:00:00,signup,u12",  # missing columns: the reader rejects it
    "2025-01-12 08:00:00,signup,u13,ref,,,,,,,,extra",  # too many columns
    "2025-01-12 08:00:00,page_view,u14,ref,,,,,,,",
    "2025-01-10 09:00:00,signup,u1,ref,in_app,522634,18-24,,,d1,10.0.0.1",  # exact duplicate
    "2025-01-12 08:00:00,signup,u15,ref,,,,,NaN,,",  # bad amount: not a plain number
]
JSONL_LINES = [
    '{"event_time": "2025-01-11 10:00:00", "event": "signup", "user_id": "u1", "campaign": "ref"}',
    '{"event_time": oops',
    "",
    "[1, 2]",
    '{"event_time": "2025-01-12 10:00:00", "event": "reward", "user_id": 7, "amount": 1.50}',
    '{"event_time": "2025-01-12T10:00:00+08:00", "event": "reward", "user_id": 8, "amount": "x"}',
    '"just a string"',
    '{"event_time": "2025-01-13 10:00:00", "event": "signup", "user_id": {"a": 1}, '
    '"region": 440106}',
    "   ",
    "{}",
    '{"event_time": null, "event": "signup", "user_id": "u9", "campaign": "ref"}',
    '{"event_time": "2025-01-14 10:00:00", "event": "signup", "user_id": 10, "amount": 1e3, '
    '"ip": "10.0.0.9", "extra": [1, 2]}',
]


def settings(tz: str = "Asia/Shanghai", **data: Any) -> Settings:
    return Settings.model_validate({"timezone": tz, "data": data})


def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, "" if v is None else v) for v in row)


def _rows(rows: Any) -> list[tuple[Any, ...]]:
    """Rows sorted, with NaN (which equals nothing) spelled out so that rows compare."""
    return sorted(
        (tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in r) for r in rows),
        key=_key,
    )


def duck_view(data: Path | str, conf: Settings) -> tuple[list[tuple[Any, ...]], Any]:
    src = open_events(str(data), conf)
    try:
        rows = src.con.execute("SELECT * FROM ev").fetchall()
        described = [(name, kind) for name, kind, *_ in src.con.execute("DESCRIBE ev").fetchall()]
        facts = {
            "structural": src.structural_reject_count,
            "samples": src.rejected_samples(limit=50),
            "types": described,
        }
    finally:
        src.close()
    return _rows(rows), facts


def spark_view(data: Path | str, conf: Settings) -> tuple[list[tuple[Any, ...]], Any]:
    from xhsgrow.data.spark_events import open_spark_events

    src = open_spark_events(str(data), conf)
    try:
        df = src.spark.table("ev")
        rows = [tuple(r) for r in df.collect()]
        names = {"bigint": "BIGINT", "string": "VARCHAR", "double": "DOUBLE"}
        facts = {
            "structural": src.structural_reject_count,
            "samples": src.rejected_samples(limit=50),
            "types": [(f.name, names[f.dataType.simpleString()]) for f in df.schema.fields],
        }
    finally:
        src.close()
    return _rows(rows), facts


def reasons(rows: list[tuple[Any, ...]]) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for row in rows:
        out[row[-1]] = out.get(row[-1], 0) + 1
    return out


def assert_same(data: Path | str, conf: Settings | None = None, *, lines: bool = True) -> Any:
    """Both engines' ev, rejects and samples agree; returns the (Spark) rows."""
    conf = conf or settings()
    duck, dfacts = duck_view(data, conf)
    mine, sfacts = spark_view(data, conf)
    assert sfacts["types"] == dfacts["types"]
    assert mine == duck
    assert sfacts["structural"] == dfacts["structural"]
    if lines:
        assert sfacts["samples"] == dfacts["samples"]
    else:  # a table has no lines: the same reasons, in no particular order
        assert sorted(s[2] for s in sfacts["samples"]) == sorted(s[2] for s in dfacts["samples"])
        assert {s[1] for s in sfacts["samples"]} <= {None}
    return mine, sfacts


def write_csv(path: Path, rows: list[str], header: str = HEADER, sep: str = ",") -> Path:
    text = "\n".join([header, *rows]) + "\n"
    path.write_text(text.replace(",", sep) if sep != "," else text, "utf-8")
    return path


def duck_parquet(path: Path, select: str) -> Path:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


# --- CSV -----------------------------------------------------------------------------------


@spark_only
def test_csv_rows_reasons_and_lines_match_duckdb(spark: Any, tmp_path: Path) -> None:
    rows, facts = assert_same(write_csv(tmp_path / "e.csv", CSV_ROWS))
    assert facts["structural"] == 2
    assert len(rows) == len(CSV_ROWS) - 2
    assert reasons(rows) == {
        None: 10,
        "amount_missing": 1,
        "amount_negative": 1,
        "amount": 2,
        "event_time": 2,
        "event": 1,
        "user_id": 1,
        "region": 2,
    }
    samples = facts["samples"]
    # (line 21 of the file: the quoted "two\nlines" before it takes lines 18 and 19)
    assert (str(tmp_path / "e.csv"), 21, "malformed CSV row: too many columns") in samples
    assert (str(tmp_path / "e.csv"), 11, "unparseable event_time 'not a time'") in samples


@spark_only
@pytest.mark.parametrize("sep", ["\t", ";"], ids=["tab", "semicolon"])
def test_other_delimiters_are_sniffed_like_duckdb(spark: Any, tmp_path: Path, sep: str) -> None:
    body = [
        "2025-01-10 09:00:00,signup,u1,ref,,440106,,,,,",
        "2025-01-10 09:00:00,reward,u1,ref,,,,,7.5,,",
        "later,signup,u2,ref,,,,,,,",
    ]
    name = "e.tsv" if sep == "\t" else "e.csv"
    rows, _ = assert_same(write_csv(tmp_path / name, body, sep=sep))
    assert reasons(rows) == {None: 2, "event_time": 1}


@spark_only
def test_naive_times_in_a_daylight_saving_zone(spark: Any, tmp_path: Path) -> None:
    # Berlin: 2025-03-30 02:30 does not exist, 2025-10-26 02:30 happens twice.
    body = [
        f"{t},signup,u{i},ref,,,,,,,"
        for i, t in enumerate(
            [
                "2025-01-15 12:00:00",
                "2025-07-15 12:00:00",
                "2025-03-30 02:30:00",
                "2025-10-26 02:30:00",
                "2025-10-26 01:59:59",
                "2025-10-26 03:00:00",
            ]
        )
    ]
    rows, _ = assert_same(write_csv(tmp_path / "e.csv", body), settings("Europe/Berlin"))
    assert len(rows) == 6


@spark_only
def test_an_empty_csv_reads_as_no_rows(spark: Any, tmp_path: Path) -> None:
    rows, _ = assert_same(write_csv(tmp_path / "e.csv", []))
    assert rows == []


# --- Parquet ------------------------------------------------------------------------------

PARQUET_ROWS = """
    (TIMESTAMP '2025-01-28 23:30:00', 'signup', 1, 'ref', 440106, 7, 12.50),
    (TIMESTAMP '1969-12-31 23:59:59.5', 'signup', 2, 'ref', NULL, NULL, NULL),
    (NULL, 'signup', 3, 'ref', NULL, NULL, NULL),
    (TIMESTAMP '2025-01-29 00:00:00', 'reward', NULL, 'ref', NULL, 1, 3.25),
    (TIMESTAMP '2025-01-29 00:00:00', 'reward', 4, '', 12, 1, -1.00),
    (TIMESTAMP '2025-01-29 00:00:00', '', 5, 'ref', NULL, NULL, NULL),
    (TIMESTAMP '2025-01-29 00:00:00', 'reward', 6, 'ref', NULL, 1, NULL)
"""
PARQUET_KINDS = {
    # naive TIMESTAMP, integer ids, DECIMAL amount, INTEGER region
    "naive": "SELECT ts AS event_time, e AS event, CAST(u AS BIGINT) AS user_id, c AS campaign, "
    "CAST(r AS INTEGER) AS region, CAST(ref AS INTEGER) AS referrer_id, "
    "CAST(a AS DECIMAL(10, 2)) AS amount",
    # TIMESTAMPTZ (an instant), text ids, DOUBLE amount
    "instant": "SELECT CAST(ts AS TIMESTAMPTZ) AS event_time, e AS event, "
    "CAST(u AS VARCHAR) AS user_id, c AS campaign, CAST(r AS VARCHAR) AS region, "
    "CAST(ref AS VARCHAR) AS referrer_id, CAST(a AS DOUBLE) AS amount",
    # DATE, and an id column of small integers
    "date": "SELECT CAST(ts AS DATE) AS event_time, e AS event, CAST(u AS INTEGER) AS user_id, "
    "c AS campaign, CAST(ref AS BIGINT) AS referrer_id, a AS amount",
}


@spark_only
@pytest.mark.parametrize("kind", sorted(PARQUET_KINDS))
def test_typed_parquet_matches_duckdb(spark: Any, tmp_path: Path, kind: str) -> None:
    select = f"{PARQUET_KINDS[kind]} FROM (VALUES {PARQUET_ROWS}) AS t(ts, e, u, c, r, ref, a)"
    data = duck_parquet(tmp_path / "e.parquet", select)
    rows, facts = assert_same(data)
    assert len(rows) == 7
    assert {s[1] for s in facts["samples"]} == {3, 4, 5, 6, 7}  # rows, counted from 1
    if kind == "naive":
        # A naive time is read in the workspace's zone (+8): 23:30 there is 15:30 UTC.
        assert (1738078200000000, "signup", 1) in {r[:3] for r in rows}
        assert (-28800500000, "signup", 2) in {r[:3] for r in rows}


@spark_only
@pytest.mark.parametrize("kind", sorted(PARQUET_KINDS))
def test_well_formed_keeps_every_row_of_a_parquet_file_alike(
    spark: Any, tmp_path: Path, kind: str
) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    # The well-formed rows of PARQUET_ROWS (the 1st and 2nd): nothing to reject, so after the
    # first read ev drops its reason tests, on both engines, and must keep every value.
    rows = "\n".join(PARQUET_ROWS.strip().splitlines()[:2]).rstrip(",")
    select = f"{PARQUET_KINDS[kind]} FROM (VALUES {rows}) AS t(ts, e, u, c, r, ref, a)"
    data = duck_parquet(tmp_path / "e.parquet", select)
    duck = open_events(str(data), settings())
    src = open_spark_events(str(data), settings())
    try:
        before = _rows(src.spark.table("ev").collect())
        assert len(before) == 2 and {r[-1] for r in before} == {None}
        duck.well_formed()
        src.well_formed()
        after = _rows(tuple(r) for r in src.spark.table("ev").collect())
        assert after == _rows(duck.con.execute("SELECT * FROM ev").fetchall())
        assert after == _rows(tuple(r) for r in before)
    finally:
        src.close()
        duck.close()


@spark_only
def test_a_float_amount_that_is_not_a_number_is_rejected_alike(spark: Any, tmp_path: Path) -> None:
    data = duck_parquet(
        tmp_path / "e.parquet",
        "SELECT TIMESTAMP '2025-01-13 10:00:00' AS event_time, 'reward' AS event, u AS user_id, "
        "CAST(a AS DOUBLE) AS amount FROM (VALUES (1, 'nan'), (2, 'inf'), (3, '-inf'), "
        "(4, '1.5'), (5, NULL)) AS t(u, a)",
    )
    rows, facts = assert_same(data)
    assert {r[2]: r[-1] for r in rows} == {
        1: "amount",
        2: "amount",
        3: "amount",
        4: None,
        5: "amount_missing",
    }
    assert [s[2] for s in facts["samples"][:3]] == [
        "bad amount 'nan'",
        "bad amount 'inf'",
        "bad amount '-inf'",
    ]


@spark_only
def test_the_session_timezone_changes_nothing(spark: Any, tmp_path: Path) -> None:
    select = f"{PARQUET_KINDS['naive']} FROM (VALUES {PARQUET_ROWS}) AS t(ts, e, u, c, r, ref, a)"
    data = duck_parquet(tmp_path / "e.parquet", select)
    duck, _ = duck_view(data, settings())
    from xhsgrow.data.spark_events import open_spark_events

    src = open_spark_events(str(data), settings())
    try:
        for zone in ("America/Los_Angeles", "Pacific/Kiritimati"):
            spark.conf.set("spark.sql.session.timeZone", zone)
            assert _rows(spark.table("ev").collect()) == duck
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        src.close()


# --- JSON Lines ---------------------------------------------------------------------------


@spark_only
def test_json_lines_with_bad_lines_match_duckdb(spark: Any, tmp_path: Path) -> None:
    data = tmp_path / "e.jsonl"
    data.write_text("\n".join(JSONL_LINES) + "\n", "utf-8")
    rows, facts = assert_same(data)
    assert reasons(rows) == {None: 4, "json": 3, "amount": 1, "event_time": 2}
    assert [s[1] for s in facts["samples"]] == [2, 4, 6, 7, 10, 11]
    assert facts["samples"][0][2] == "not a JSON object"


@spark_only
def test_json_lines_blank_with_tabs_or_ideographic_spaces_are_skipped_alike(
    spark: Any, tmp_path: Path
) -> None:
    # A line of only whitespace (a tab, U+3000) is a blank line on both engines, not a
    # rejected "not a JSON object" row: Spark's own trim() removes U+0020 alone.
    data = tmp_path / "e.jsonl"
    data.write_text(JSONL_LINES[0] + "\n\t\u3000\n" + JSONL_LINES[0] + "\n", "utf-8")
    rows, _facts = assert_same(data)
    assert len(rows) == 2


@spark_only
def test_json_lines_spread_over_blocks_keep_their_line_numbers(spark: Any, tmp_path: Path) -> None:
    # Small blocks make Spark split the file: line numbers still count from the file's top.
    good = '{"event_time": "2025-01-11 10:00:00", "event": "signup", "user_id": "u%d"}'
    lines = [good % i if i % 997 else "not json" for i in range(1, 5000)]
    data = tmp_path / "e.jsonl"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16k")
    try:
        assert spark.read.text(str(data)).rdd.getNumPartitions() > 10
        _, facts = assert_same(data)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert [s[1] for s in facts["samples"]] == [997, 1994, 2991, 3988, 4985]


@spark_only
def test_json_lines_without_any_object_say_so(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    data = tmp_path / "e.jsonl"
    data.write_text("[1]\nnope\n", "utf-8")
    with pytest.raises(UsageError, match=r"^--data .*e\.jsonl: no line is a JSON object$"):
        open_spark_events(str(data), settings())


# --- folders, globs, mapping, tables ------------------------------------------------------


@spark_only
def test_a_hive_folder_and_a_glob_match_duckdb(spark: Any, tmp_path: Path) -> None:
    # Parquet partitioned by campaign: the files themselves have no campaign column.
    root = tmp_path / "events"
    for camp, users in (("ref", "1, 2, 3"), ("gala", "4, 5")):
        folder = root / f"campaign={camp}" / "day=2025-01-11"
        folder.mkdir(parents=True)
        duck_parquet(
            folder / "part-0.parquet",
            "SELECT TIMESTAMP '2025-01-11 10:00:00' AS event_time, 'signup' AS event, "
            f"u AS user_id FROM unnest([{users}]) AS t(u)",
        )
    rows, _ = assert_same(root)
    assert sorted(r[3] for r in rows) == ["gala", "gala", "ref", "ref", "ref"]
    one, _ = assert_same(root / "campaign=ref" / "*" / "*.parquet")
    assert {r[3] for r in one} == {"ref"}
    # CSV split into part=N folders, as test_track_edges does.
    csv_root = tmp_path / "csv"
    for i, part in enumerate((CSV_ROWS[:7], CSV_ROWS[7:14], CSV_ROWS[14:])):
        (csv_root / f"part={i}").mkdir(parents=True)
        write_csv(csv_root / f"part={i}" / "rows.csv", part)
    whole, _ = assert_same(csv_root)
    assert len(whole) == len(CSV_ROWS) - 2


@spark_only
def test_column_mapping_is_case_insensitive_like_duckdb(spark: Any, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "e.csv",
        ["2025-01-11 10:00:00,signup,u1,ref", "2025-01-12 10:00:00,signup,,ref"],
        header="TS,Event,uid,camp",
    )
    # (" camp ": a name is matched trimmed too, as DuckDB trims the CSV header's names)
    conf = settings(columns={"event_time": "ts", "user_id": "uid", "campaign": " camp "})
    rows, facts = assert_same("e.csv", conf)  # relative to the cwd, as a user types it
    assert [(r[2], r[3], r[-1]) for r in rows] == [("u1", "ref", None), (None, "ref", "user_id")]
    assert facts["samples"] == [("e.csv", 3, "missing user_id")]


@spark_only
def test_a_catalog_table_matches_the_files_it_holds(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    select = f"{PARQUET_KINDS['naive']} FROM (VALUES {PARQUET_ROWS}) AS t(ts, e, u, c, r, ref, a)"
    data = duck_parquet(tmp_path / "e.parquet", select)
    duck, dfacts = duck_view(data, settings())
    spark.sql(f"CREATE DATABASE IF NOT EXISTS xhs_test LOCATION '{tmp_path / 'warehouse'}'")
    try:
        spark.read.parquet(str(data)).write.saveAsTable("xhs_test.events")
        spark.read.parquet(str(data)).createOrReplaceTempView("events_now")
        for name in ("xhs_test.events", "events_now"):
            mine, sfacts = spark_view(f"table:{name}", settings())
            assert mine == duck
            got = sorted(s[2] for s in sfacts["samples"])
            assert got == sorted(s[2] for s in dfacts["samples"])
            assert {(s[0], s[1]) for s in sfacts["samples"]} == {(f"table:{name}", None)}
        src = open_spark_events("table:xhs_test.events", settings())
        assert src.fmt == "table"
        src.close()
    finally:
        spark.catalog.dropTempView("events_now")
        spark.sql("DROP DATABASE IF EXISTS xhs_test CASCADE")
    with pytest.raises(UsageError, match=r"^--data table:nowhere\.events: no table"):
        open_spark_events("table:nowhere.events", settings())


@spark_only
def test_close_drops_the_views_and_leaves_a_shared_session_running(
    spark: Any, tmp_path: Path
) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    src = open_spark_events(str(write_csv(tmp_path / "e.csv", CSV_ROWS[:3])), settings())
    assert spark.table("ev").count() == 3
    assert src.spark is spark
    src.close()
    assert not [t for t in spark.catalog.listTables() if t.isTemporary]
    assert spark.range(3).count() == 3  # still running


# --- errors -------------------------------------------------------------------------------


@spark_only
def test_parquet_files_disagreeing_on_a_column_type_are_one_line(
    spark: Any, tmp_path: Path
) -> None:
    """Ids as integers in one Parquet file of a glob and as text in another: DuckDB reads
    them by name (tests/test_track_referral_edges.py); Spark cannot merge the two types, and
    says so in one line, with what to do."""
    from tests.test_track_referral_edges import _mixed_id_files
    from xhsgrow.data.spark_events import open_spark_events

    _mixed_id_files(tmp_path / "events", "parquet")
    with pytest.raises(UsageError) as err:
        open_spark_events(f"{tmp_path / 'events'}/*.parquet", settings())
    assert err.value.message.endswith("cannot read parquet: the files disagree on a column's type")
    assert "--engine duckdb" in (err.value.hint or "")


def test_a_missing_file_is_named(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    with pytest.raises(UsageError, match=r"^--data .*nope\.csv: no such file or folder$"):
        open_spark_events(str(tmp_path / "nope.csv"), settings())


@spark_only
def test_a_missing_required_column_is_named(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    data = write_csv(tmp_path / "e.csv", ["2025-01-11 10:00:00,signup"], header="event_time,event")
    with pytest.raises(UsageError) as err:
        open_spark_events(str(data), settings())
    assert str(err.value) == (
        f"--data {data}: no column 'user_id' for user_id; columns are: event_time, event"
    )
    with pytest.raises(UsageError) as duck:
        open_events(str(data), settings())
    assert str(err.value) == str(duck.value)


@pytest.mark.parametrize("header", [f"{HEADER},user_id", HEADER.replace(",", ";") + ";USER_ID"])
def test_a_header_naming_a_column_twice_is_refused_as_on_duckdb(
    tmp_path: Path, header: str
) -> None:
    """In DuckDB's words, and before Spark starts (Spark's own: [COLUMN_ALREADY_EXISTS])."""
    from xhsgrow.data.spark_events import open_spark_events

    sep = ";" if ";" in header else ","
    data = write_csv(tmp_path / "e.csv", [], header=header)
    data.write_text(
        data.read_text("utf-8")
        + sep.join(["2025-01-11 10:00:00", "signup", "1", "ref", *[""] * 8])
        + "\n",
        "utf-8",
    )
    with pytest.raises(UsageError) as err:
        open_spark_events(str(data), settings())
    with pytest.raises(UsageError) as duck:
        open_events(str(data), settings())
    name = header.split(sep)[-1]
    assert str(err.value) == f"--data {data}: {data}: the header names column '{name}' twice"
    assert str(err.value) == str(duck.value)


@spark_only
def test_a_repeated_column_the_contract_does_not_read_is_read_as_on_duckdb(
    spark: Any, tmp_path: Path
) -> None:
    """DuckDB reads a file whose header repeats a column of its own (note, Note): so must
    Spark, which refused it ([COLUMN_ALREADY_EXISTS])."""
    rows = [row + ",a,b" for row in CSV_ROWS[:3]]
    mine, _ = assert_same(write_csv(tmp_path / "e.csv", rows, header=f"{HEADER},note,Note"))
    assert len(mine) == 3


@spark_only
def test_a_bad_mapping_names_the_mapped_column(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    data = duck_parquet(
        tmp_path / "e.parquet",
        "SELECT TIMESTAMP '2025-01-11 10:00:00' AS ts, 'signup' AS event, 1 AS user_id",
    )
    conf = settings(columns={"event_time": "time"})
    with pytest.raises(UsageError, match=r"no column 'time' for event_time \(mapped to 'time'\)"):
        open_spark_events(str(data), conf)


@spark_only
def test_a_file_that_is_not_parquet_cannot_be_read(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    data = tmp_path / "e.parquet"
    data.write_text("event_time,event\n", "utf-8")
    with pytest.raises(UsageError, match=r"^--data .*e\.parquet: cannot read parquet: "):
        open_spark_events(str(data), settings())


@spark_only
def test_an_object_store_uri_goes_to_spark_as_it_is(spark: Any) -> None:
    from xhsgrow.data.spark_events import open_spark_events

    # No S3 connector on the test classpath: Spark's own one-line complaint, naming --data.
    with pytest.raises(UsageError) as err:
        open_spark_events("s3a://no-bucket/events/*.parquet", settings())
    message = str(err.value)
    assert message.startswith("--data s3a://no-bucket/events/*.parquet: cannot read parquet: ")
    assert "s3a" in message.split(": ", 2)[2] and "\n" not in message


@spark_only
def test_malformed_text_is_rejected_alike(spark: Any, tmp_path: Path) -> None:
    rows = [
        "2025,signup,u1,,",  # Spark: 2025-01-01 00:00; DuckDB: unparseable
        "2025-01,signup,u2,,",  # likewise
        "2025/01/28 10:00:00,signup,u3,,",  # DuckDB reads slashes; Spark does not
        "2025-01-28 24:00:00,signup,u4,,",  # DuckDB: the next midnight; Spark: unparseable
        "2025-01-28 10:00:00 +08:00,signup,u5,,",  # a space before the offset: Spark only
        "2025-01-28 10:00:00,signup,u6,440106\u3000,",  # DuckDB's trim takes U+3000 too
        "2025-01-28 10:00:00,reward,u7,,1_000",  # DuckDB: 1000; Spark: not a number
        "2025-01-28 10:00:00,reward,u8,,1.5d",  # Spark: 1.5; DuckDB: not a number
    ]
    found, _ = assert_same(
        write_csv(tmp_path / "e.csv", rows, header="event_time,event,user_id,region,amount")
    )
    # docs/data.md: only ISO 8601 shapes, plain numbers, and whitespace of every kind trimmed
    assert {r[2]: r[-1] for r in found} == {
        **{f"u{i}": "event_time" for i in range(1, 6)},
        "u6": None,
        "u7": "amount",
        "u8": "amount",
    }
    assert next(r[5] for r in found if r[2] == "u6") == "440106"


#: Text in every accepted shape, with whitespace of every kind around it, and near misses.
TEXT_SHAPES = [
    "2025-01-11,signup,a,,",
    "2025-01-11T10:00,signup,b,,",
    "2025-01-11 10:00:00.5,signup,c,,",
    "2025-01-11 10:00:00.123456789,signup,d,,",  # nanoseconds: truncated to microseconds
    "2025-01-11T20:00Z,signup,e,,",  # minutes and an offset: Spark needs seconds added
    "2025-01-11T20:00:00.25Z,signup,f,,",
    "2025-01-12 01:00:00-0500,signup,g,,",
    "2025-01-12 20:00+02,signup,h,,",
    "2025-01-12 20:00:00-14:59,signup,i,,",
    "2025-01-12 20:00:00+14:00,signup,j,,",
    "1969-12-31 23:59:59.999999,signup,k,,",
    "0001-01-01 00:00:00,signup,l,,",
    "2024-02-29 12:00:00,signup,m,,",
    '"\t 2025-01-13 10:00:00\u3000\u00a0",signup,n,,',
    '"\u20282025-01-13 10:00:00\u2029",signup,o,,',
    '"2025-01-13 10:00:00\n",signup,p,,',
    '2025-01-13 10:00:00,"\u3000signup\t","\u00a0q\u2003"," 440106\u3000",',
    '2025-01-13 10:00:00,reward,r,,"\t-0.0\u3000"',
    "2025-01-13 10:00:00,reward,s,,.5",
    "2025-01-13 10:00:00,reward,t,,5.",
    "2025-01-13 10:00:00,reward,u,,+1E+03",
    "2025-01-13 10:00:00,reward,v,,1e308",
    "2025-01-13 10:00:00,reward,w,,00012.500",
    # rejected
    "2025-02-29 12:00:00,signup,x1,,",  # no such day
    "2025-04-31,signup,x2,,",
    "2025-01-13 10:00:60,signup,x3,,",
    "2025-01-13 10:00:00+15:00,signup,x4,,",
    "2025-01-13 10:00:00+08:60,signup,x5,,",
    "2025-01-13 10:00:00z,signup,x6,,",
    "2025-01-13Z,signup,x7,,",
    "2025-01-13 10:00:00.,signup,x8,,",
    "2025-01-13 10,signup,x9,,",
    "2025-01-13 10:00:00 Asia/Shanghai,signup,x10,,",
    "20250113,signup,x11,,",
    "T10:00:00,signup,x12,,",
    "\uff12\uff10\uff12\uff15-01-13,signup,x13,,",  # full-width digits
    "2025-01-13 10:00:00,signup,x14,1.00e5,",  # DuckDB's cast read it as 100000
    "2025-01-13 10:00:00,signup,x15,44010,",
    "2025-01-13 10:00:00,signup,x16,940106,",
    "2025-01-13 10:00:00,reward,x17,,inf",
    "2025-01-13 10:00:00,reward,x18,,1e",
    "2025-01-13 10:00:00,reward,x19,,1 000",
    "2025-01-13 10:00:00,reward,x20,,\u0661",  # an Arabic-Indic digit
    "2025-01-13 10:00:00,reward,x21,,1e400",  # beyond a double
    "2025-01-13 10:00:00,reward,x22,,-1E+309",
]


@spark_only
@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin"])
def test_text_shapes_are_typed_alike(spark: Any, tmp_path: Path, tz: str) -> None:
    data = write_csv(
        tmp_path / "e.csv", TEXT_SHAPES, header="event_time,event,user_id,region,amount"
    )
    found, _ = assert_same(data, settings(tz))
    by_user = {r[2]: r for r in found}
    assert sorted(u for u, r in by_user.items() if r[-1] is None) == sorted(
        "abcdefghijklmnopqrstuvw"
    )
    assert {u: r[-1] for u, r in by_user.items() if u.startswith("x")} == {
        **{f"x{i}": "event_time" for i in range(1, 14)},
        **{f"x{i}": "region" for i in (14, 15, 16)},
        **{f"x{i}": "amount" for i in (17, 18, 19, 20, 21, 22)},
    }
    utc = {  # instants with an offset, in microseconds since 1970
        "e": 1_736_625_600_000_000,  # 2025-01-11 20:00 UTC
        "f": 1_736_625_600_250_000,
        "g": 1_736_661_600_000_000,  # 2025-01-12 06:00 UTC
        "h": 1_736_704_800_000_000,  # 2025-01-12 18:00 UTC
        "i": 1_736_765_940_000_000,  # 2025-01-13 10:59 UTC
        "j": 1_736_661_600_000_000,  # 2025-01-12 06:00 UTC
    }
    assert {u: by_user[u][0] for u in utc} == utc
    assert by_user["d"][0] - by_user["c"][0] == 123_456 - 500_000
    assert by_user["q"][1:4] == ("signup", "q", None) and by_user["q"][5] == "440106"
    amounts = {u: by_user[u][8] for u in "rstuvw"}
    assert amounts == {"r": -0.0, "s": 0.5, "t": 5.0, "u": 1000.0, "v": 1e308, "w": 12.5}


def test_an_object_store_uri_needs_a_format_it_can_tell() -> None:
    from xhsgrow.data.spark_events import open_spark_events

    with pytest.raises(UsageError, match=r"^--data s3a://bucket/events/: cannot tell the format"):
        open_spark_events("s3a://bucket/events/", settings())


def test_master_and_remote_together_are_refused() -> None:
    pytest.importorskip("pyspark")
    from xhsgrow.data.spark_events import spark_session

    conf = Settings.model_validate(
        {"data": {"spark": {"master": "local[2]", "remote": "sc://localhost:15002"}}}
    )
    with pytest.raises(UsageError, match=r"\[data\.spark\]: set master or remote"):
        spark_session(conf)


def test_without_pyspark_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from xhsgrow.data.spark_events import spark_session

    for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    with pytest.raises(UsageError) as err:
        spark_session(settings())
    assert str(err.value) == (
        "--engine spark needs PySpark: pip install 'xhsgrow[spark]' (and Java 17+)"
    )


@spark_only
def test_without_java_spark_says_it_could_not_start(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
    env["JAVA_HOME"] = str(tmp_path / "no-java")
    code = (
        "from xhsgrow.data.spark_events import spark_session\n"
        "from xhsgrow.errors import UsageError\n"
        "try:\n    spark_session()\n"
        "except UsageError as e:\n    print('ERROR', e, '|', e.hint)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("ERROR --engine spark: could not start Spark: ")
    assert line.endswith("| Spark needs Java 17+ (set JAVA_HOME or put java on PATH)")
