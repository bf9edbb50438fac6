"""Engine differences that change answers, pinned rather than assumed.

Each test shows (a) what DuckDB and Spark do with the same plain SQL — where they differ, as
documented in xhsgrow.tracking.dialect — and (b) that xhsgrow's SQL (DuckDB's text, and
``SPARK.translate`` of it with the dialect helpers) gives the same answer on both engines.
Plain translation checks run without Spark; running the SQL is marked ``spark``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xhsgrow.data.events import _typed_expr
from xhsgrow.tracking.dialect import DUCKDB, SPARK, fixed_offset_us

pytest.importorskip("sqlglot")

spark_only = pytest.mark.spark

#: A naive '2025-01-28 23:30:00' in an Asia/Shanghai workspace is 15:30 UTC.
NAIVE = "2025-01-28 23:30:00"
NAIVE_US = 1_738_078_200_000_000
#: 2025-01-29 00:30 in Shanghai: still 2025-01-28 in UTC (and in Los Angeles).
AFTER_MIDNIGHT_US = 1_738_081_800_000_000
SESSION_ZONES = ("UTC", "Asia/Shanghai", "America/Los_Angeles")
#: Three rows; x is NULL in one, y in another.
XY = "(VALUES ('a', 10), (NULL, 5), ('b', NULL)) AS t(x, y)"


@pytest.fixture
def duck() -> Iterator[Any]:
    """A DuckDB connection in the workspace's timezone, as xhsgrow's connect() makes it."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    yield con
    con.close()


def on_spark(spark: Any, sql: str, zone: str = "UTC") -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (Spark SQL) with the session in ``zone``."""
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        return [tuple(row) for row in spark.sql(sql).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def both(
    duck: Any, spark: Any, sql: Any, zones: tuple[str, ...] = SESSION_ZONES, **translate: Any
) -> list[Any]:
    """xhsgrow's way: the statement built with each engine's dialect helpers (``sql`` is a
    function of the dialect, or one text for both), run on DuckDB as is and on Spark
    translated, with the session in each of ``zones``. The answers, which should all be
    equal (one per engine and zone)."""
    build = sql if callable(sql) else (lambda _d: sql)
    spark_sql = SPARK.translate(build(SPARK), **translate)
    answers = [duck.execute(build(DUCKDB)).fetchall()]
    answers += [on_spark(spark, spark_sql, zone) for zone in zones]
    return answers


# --- naive timestamps and the session timezone ----------------------------------------------


@spark_only
def test_a_naive_time_means_a_wall_clock_on_duckdb_and_an_instant_on_spark(
    duck: Any, spark: Any
) -> None:
    # (a) DuckDB's TIMESTAMP is a wall-clock time whatever the TimeZone setting...
    for zone in ("UTC", "Asia/Shanghai"):
        duck.execute(f"SET TimeZone = '{zone}'")
        assert duck.execute(f"SELECT epoch_us(TIMESTAMP '{NAIVE}')").fetchone() == (
            NAIVE_US + 8 * 3_600_000_000,
        )
    duck.execute("SET TimeZone = 'Asia/Shanghai'")
    # ... Spark's TIMESTAMP is an instant, read in the session timezone.
    raw = f"SELECT unix_micros(CAST('{NAIVE}' AS TIMESTAMP))"
    assert on_spark(spark, raw, "UTC") == [(NAIVE_US + 8 * 3_600_000_000,)]
    assert on_spark(spark, raw, "Asia/Shanghai") == [(NAIVE_US,)]
    # sqlglot alone keeps DuckDB's meaning: TIMESTAMP becomes TIMESTAMP_NTZ.
    assert "TIMESTAMP_NTZ" in SPARK.translate(f"SELECT CAST('{NAIVE}' AS TIMESTAMP)")


@spark_only
@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("VARCHAR", f"'{NAIVE}'"),  # CSV and JSON Lines: text
        ("TIMESTAMP", f"TIMESTAMP '{NAIVE}'"),  # Parquet: a naive timestamp column
        ("VARCHAR", "'2025-01-28T15:30:00Z'"),  # text with an offset: the offset wins
    ],
    ids=["text", "timestamp", "text-with-offset"],
)
def test_events_read_a_naive_time_in_the_workspace_zone_on_both_engines(
    duck: Any, spark: Any, kind: str, value: str
) -> None:
    # (b) the ev view's typing of event_time, for a fixed-offset workspace zone and for the
    # timezone-database path DST zones take (off=None; here with Shanghai for a fixed answer).
    for off in (fixed_offset_us("Asia/Shanghai"), None):
        sql = (
            f"SELECT {_typed_expr('event_time', kind, off)} AS ts "
            f"FROM (SELECT {value} AS event_time) AS raw"
        )
        answers = both(duck, spark, sql, timezone="Asia/Shanghai")
        assert answers == [[(NAIVE_US,)]] * (1 + len(SESSION_ZONES))


@spark_only
def test_the_calendar_day_of_an_instant_ignores_the_session_timezone(duck: Any, spark: Any) -> None:
    # (a) Spark's DATE of an instant is the session timezone's day.
    raw = f"SELECT CAST(timestamp_micros({AFTER_MIDNIGHT_US}) AS DATE)"
    assert on_spark(spark, raw, "UTC") == [(dt.date(2025, 1, 28),)]
    assert on_spark(spark, raw, "Asia/Shanghai") == [(dt.date(2025, 1, 29),)]
    # (b) local_day names its zone: the Shanghai day on both engines, any session zone;
    # Berlin (daylight saving time) takes the timezone-database path.
    for zone, day in (
        ("Asia/Shanghai", dt.date(2025, 1, 29)),
        ("Europe/Berlin", dt.date(2025, 1, 28)),
    ):
        answers = both(
            duck, spark, lambda d, z=zone: f"SELECT {d.local_day(str(AFTER_MIDNIGHT_US), z)}"
        )
        assert answers == [[(day,)]] * (1 + len(SESSION_ZONES))


# --- NULL ordering --------------------------------------------------------------------------

XS = "(VALUES ('b'), (NULL), ('a')) AS t(x)"


def test_translation_spells_out_duckdbs_null_ordering() -> None:
    assert SPARK.translate(f"SELECT x FROM {XS} ORDER BY x").endswith("ORDER BY x NULLS LAST")
    window = SPARK.translate(f"SELECT ROW_NUMBER() OVER (ORDER BY x) FROM {XS}")
    assert "OVER (ORDER BY x NULLS LAST)" in window


@spark_only
def test_nulls_sort_last_on_both_engines_once_translated(duck: Any, spark: Any) -> None:
    plain = f"SELECT x FROM {XS} ORDER BY x"
    # (a) ascending, DuckDB puts NULLs last and Spark first; descending, both last.
    assert duck.execute(plain).fetchall() == [("a",), ("b",), (None,)]
    assert on_spark(spark, plain) == [(None,), ("a",), ("b",)]
    desc = f"SELECT x FROM {XS} ORDER BY x DESC"
    assert duck.execute(desc).fetchall() == on_spark(spark, desc) == [("b",), ("a",), (None,)]
    # (b) xhsgrow ranks with ROW_NUMBER over (count DESC, key): a NULL key ranks last on
    # both (sql.py's top referrers and gala peaks).
    ranked = (
        "SELECT k, ROW_NUMBER() OVER (ORDER BY n DESC, k) AS place "
        "FROM (VALUES ('r2', 3), (NULL, 3), ('r1', 3), ('r9', 5)) AS t(k, n) ORDER BY place"
    )
    expected = [("r9", 1), ("r1", 2), ("r2", 3), (None, 4)]
    assert both(duck, spark, ranked, zones=("UTC",)) == [expected] * 2
    assert both(duck, spark, plain, zones=("UTC",)) == [[("a",), ("b",), (None,)]] * 2


# --- arg_min / min_by and the smallest struct -----------------------------------------------


def test_xhsgrow_sql_never_calls_arg_min_or_min_by() -> None:
    # sqlglot turns arg_min into MIN_BY, which answers differently with NULLs (below);
    # "the earliest row of a group" is first_of instead. Keep it that way.
    assert re.search(r"\bMIN_BY\(", SPARK.translate(f"SELECT arg_min(x, y) FROM {XY}"))
    package = Path(__file__).resolve().parent.parent / "xhsgrow"
    for path in sorted([*package.glob("tracking/*.py"), *package.glob("engines/*.py")]):
        text = path.read_text("utf-8").lower()
        for name in ("arg_min(", "arg_max(", "min_by(", "max_by(", "argmin(", "argmax("):
            assert name not in text, f"{path.name} calls {name[:-1]}"


@spark_only
def test_arg_min_skips_null_values_on_duckdb_but_min_by_returns_them(duck: Any, spark: Any) -> None:
    # (a) the smallest y is 5, whose x is NULL: DuckDB's arg_min skips that row, Spark's
    # min_by (what sqlglot writes for it) returns the NULL. Both skip a NULL y.
    assert duck.execute(f"SELECT arg_min(x, y), arg_min(y, x) FROM {XY}").fetchall() == [("a", 10)]
    assert on_spark(spark, SPARK.translate(f"SELECT arg_min(x, y), arg_min(y, x) FROM {XY}")) == [
        (None, 10)
    ]
    assert duck.execute(f"SELECT arg_min_null(x, y) FROM {XY}").fetchall() == [(None,)]


@spark_only
def test_the_smallest_struct_with_a_null_field_is_the_same_row_on_both(
    duck: Any, spark: Any
) -> None:
    rows = "(VALUES (1, 1, 'a'), (1, 1, NULL), (2, NULL, 'b'), (2, 3, 'c')) AS t(g, a, x)"
    plain = (
        "SELECT g, m.a, m.x FROM (SELECT g, MIN(STRUCT_PACK(a := a, x := x)) AS m "
        f"FROM {rows} GROUP BY g) AS f ORDER BY g"
    )
    # (a) a tie on a with x NULL in one row: DuckDB counts a NULL field as largest, Spark
    # as smallest; a NULL a loses on DuckDB and wins on Spark.
    assert duck.execute(plain).fetchall() == [(1, 1, "a"), (2, 3, "c")]
    assert on_spark(spark, SPARK.translate(plain)) == [(1, 1, None), (2, None, "b")]
    # (b) first_of: the same row on both engines.
    answers = both(
        duck,
        spark,
        lambda d: (
            f"SELECT g, m.a, m.x FROM (SELECT g, {d.first_of([('a', 'a'), ('x', 'x')])} "
            f"AS m FROM {rows} GROUP BY g) AS f ORDER BY g"
        ),
        zones=("UTC",),
    )
    assert answers == [[(1, 1, "a"), (2, 3, "c")]] * 2


# --- integer division of negative numbers (instants before 1970) ----------------------------


def test_integer_division_translates_to_div() -> None:
    assert SPARK.translate("SELECT -7 // 2") == "SELECT -7 DIV 2"


@spark_only
def test_integer_division_truncates_on_both_and_the_calendar_day_floors(
    duck: Any, spark: Any
) -> None:
    # (a) both truncate towards zero (Python's // floors: -4).
    assert duck.execute("SELECT -7 // 2").fetchall() == on_spark(spark, "SELECT -7 DIV 2")
    assert duck.execute("SELECT -7 // 2").fetchall() == [(-3,)]
    # (b) one microsecond before 1970 (UTC) is on 1969-12-31 on both engines, whatever the
    # session zone; minutes, seconds and day numbers floor alike on both (floor_div).
    answers = both(duck, spark, lambda d: f"SELECT {d.local_day('-1', 'UTC')}")
    assert answers == [[(dt.date(1969, 12, 31),)]] * (1 + len(SESSION_ZONES))
    answers = both(
        duck,
        spark,
        lambda d: (
            f"SELECT {d.minute_of('-1')}, {d.floor_div('-1', 1_000_000)}, "
            f"{d.day_number('-1', 'UTC')}"
        ),
    )
    assert answers == [[(-1, -1, -1)]] * (1 + len(SESSION_ZONES))


# --- hash width -----------------------------------------------------------------------------


@spark_only
def test_hashes_differ_in_width_and_null_handling_and_hash64_evens_them(
    duck: Any, spark: Any
) -> None:
    # (a) DuckDB's HASH is 64-bit and tells (NULL, 'a') from ('a', NULL); Spark's hash is
    # 32-bit, and hash and xxhash64 both skip NULL arguments.
    assert duck.execute("SELECT typeof(HASH(1, 'a'))").fetchall() == [("UBIGINT",)]
    assert duck.execute("SELECT HASH(NULL, 'a') = HASH('a', NULL)").fetchall() == [(False,)]
    assert on_spark(
        spark,
        "SELECT typeof(hash(1, 'a')), typeof(xxhash64(1, 'a')), "
        "hash(NULL, 'a') = hash('a', NULL), xxhash64(NULL, 'a') = xxhash64('a', NULL)",
    ) == [("int", "bigint", True, True)]
    # (b) hash64: 64 bits on both, and NULLs by position on both.
    table = "(SELECT CAST(NULL AS VARCHAR) AS x, 'a' AS y) AS t"
    answers = both(
        duck,
        spark,
        lambda d: (
            f"SELECT {d.hash64('x', 'y')} = {d.hash64('y', 'x')}, "
            f"{d.hash64('x', 'y')} = {d.hash64('x', 'y')} FROM {table}"
        ),
        zones=("UTC",),
    )
    assert answers == [[(False, True)]] * 2
    one_a = SPARK.hash64("1", "'a'")
    width = f"SELECT typeof({one_a})"
    assert on_spark(spark, SPARK.translate(width)) == [("bigint",)]
