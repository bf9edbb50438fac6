"""The statements of tracking, as each engine gets them (no engine needed, only sqlglot).

Every statement the aggregation generates for realistic plans (every kind of campaign; fixed
offset, daylight-saving and mixed zones) parses; DuckDB gets it unchanged; Spark gets a
translation that parses as Spark SQL and calls no function sqlglot does not know, except
Spark built-ins on an explicit list (sqlglot passes an unknown function through silently:
a DuckDB-only name would only fail on the cluster). Also: choosing an engine, and the
DuckDB semantics the Spark spellings imitate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import REPO
from xhsgrow.errors import UsageError
from xhsgrow.tracking.dialect import DUCKDB, SPARK, Dialect, dialect_for

#: Spark built-ins the Spark spellings and rewrites use that sqlglot keeps by name.
SPARK_BUILTINS = {
    "HASH",
    "OCTET_LENGTH",
    "PMOD",
    "TIMESTAMPADD",
    "TIMESTAMPDIFF",
    "TIMESTAMP_MICROS",
    "UNIX_MICROS",
    "XXHASH64",
}


class Recorder:
    """An engine that runs nothing and records every statement it is given."""

    name = "recorder"
    shown = "recorded"
    structural_reject_count = 0

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.statements: list[str] = []
        self.tables: list[str] = []

    def create_table(self, name: str, select: str) -> None:
        self.tables.append(name)
        self.statements.append(select)

    def create_rows(self, name: str, columns: Any, rows: Any) -> None:
        self.tables.append(name)

    def drop(self, name: str) -> None:
        self.tables.remove(name)

    def repeated_keys(self, name: str, key: str) -> None:
        # (what Spark runs; DuckDB's adapter sorts the keys in NumPy instead)
        self.create_table(name, self.dialect.repeated_keys(key, "ev"))

    def keyed_rows(self, name: str, keys: str, key: Any) -> None:
        # (what Spark runs; DuckDB's adapter filters a Parquet file's rows before typing)
        self.create_table(
            name, f"SELECT * FROM ev WHERE {self.dialect.key_in(key('ts', 'user_id'), keys)}"
        )

    def query(self, select: str) -> list[tuple[Any, ...]]:
        self.statements.append(select)
        if "rows_read" in select:
            return [(0, 0, 0, 0, 0, 0, 0)]
        if "THEN extra ELSE 0" in select:  # (duplicate_overlaps: three sums)
            return [(0, 0, 0)]
        return [(0,)] if "extra" in select else []

    def rejected_samples(self, limit: int = 5) -> list[Any]:
        return []

    def well_formed(self) -> None:
        pass

    def close(self) -> None:
        pass


def _campaigns(zones: dict[str, str]) -> list[Any]:
    from xhsgrow.specs import load_campaigns
    from xhsgrow.workspace import open_workspace

    out = []
    for c in load_campaigns(open_workspace(REPO)):
        zone = zones.get(c.id, zones.get("*", c.window.timezone))
        out.append(c.model_copy(update={"window": c.window.model_copy(update={"timezone": zone})}))
    return out


PLANS = {
    "fixed": {"*": "Asia/Shanghai"},
    "dst": {"*": "Europe/Berlin"},
    "mixed": {"gala-2027": "Europe/Berlin", "silver-chongyang-2025": "America/New_York"},
}


def statements(dialect: Dialect, plan: str) -> list[str]:
    from xhsgrow.tracking.aggregate import compute

    camps = _campaigns(PLANS[plan])
    assert {c.kind for c in camps} == {"referral", "partnership", "gala"}
    engine = Recorder(dialect)
    compute(engine, camps, {c.id: dt.date(2027, 2, 12) for c in camps})
    return engine.statements


def _functions(tree: exp.Expression) -> set[str]:
    return {f.name.upper() for f in tree.find_all(exp.Anonymous)}


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_duckdb_gets_every_statement_unchanged(plan: str) -> None:
    found = statements(DUCKDB, plan)
    assert len(found) >= 25  # tables, figures, referral and gala queries
    for sql in found:
        sqlglot.parse_one(sql, read="duckdb")
        assert DUCKDB.translate(sql) == sql


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_spark_gets_spark_sql_with_known_functions_only(plan: str) -> None:
    used: set[str] = set()
    for sql in statements(SPARK, plan):
        spark_sql = SPARK.translate(sql)
        tree = sqlglot.parse_one(spark_sql, read="spark")
        unknown = _functions(tree) - SPARK_BUILTINS
        assert not unknown, f"{sorted(unknown)} in:\n{spark_sql}"
        used |= _functions(tree)
        # DuckDB-only spellings never reach Spark
        for duckdb_only in ("FSUM", "STRUCT_PACK", "MAKE_TIMESTAMP", "UINTEGER", "EPOCH_US"):
            assert duckdb_only not in spark_sql.upper(), spark_sql
    assert {"XXHASH64", "HASH", "PMOD"} <= used


def test_daylight_saving_zones_use_the_timezone_database_on_both() -> None:
    duck = "\n".join(statements(DUCKDB, "dst"))
    spark = "\n".join(SPARK.translate(s) for s in statements(SPARK, "dst"))
    assert "timezone('Europe/Berlin'" in duck
    assert "CONVERT_TIMEZONE('UTC', 'Europe/Berlin'" in spark
    # and never the session-dependent instant types of Spark
    assert "FROM_UTC_TIMESTAMP" not in spark.upper()


def test_the_event_typing_sql_translates_to_spark() -> None:
    # xhsgrow.data.events types the raw columns in DuckDB SQL; the Spark reader translates
    # the same text (naive times in a fixed-offset zone, a DST zone, text with offsets).
    from xhsgrow.data.contract import COLUMNS
    from xhsgrow.data.events import OFFSET_KEY, typed_query

    for kinds in ("VARCHAR", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
        for offset in ("28800000000", ""):
            for amount, plain in (("DOUBLE", True), ("VARCHAR", False), ("DOUBLE", False)):
                col_types = {c: "VARCHAR" for c in COLUMNS}
                col_types |= {"event_time": kinds, OFFSET_KEY: offset, "amount": amount}
                sql = typed_query(col_types, "raw", plain=plain, carry=("_malformed",))
                spark_sql = SPARK.translate(sql, timezone="Europe/Berlin")
                tree = sqlglot.parse_one(spark_sql, read="spark")
                assert not _functions(tree) - SPARK_BUILTINS, spark_sql
                assert "EPOCH_US" not in spark_sql.upper()


def test_a_naive_time_cast_to_an_instant_needs_the_zone() -> None:
    with pytest.raises(ValueError, match="timezone="):
        SPARK.translate("SELECT CAST(CAST(x AS TIMESTAMP) AS TIMESTAMPTZ) FROM t")
    with pytest.raises(ValueError, match="cannot translate"):
        SPARK.translate("SELECT timezone('UTC', x) FROM t")


def test_dialects_by_name() -> None:
    assert dialect_for("duckdb") is DUCKDB
    assert dialect_for("spark") is SPARK
    assert SPARK.type_name("VARCHAR") == "STRING" and DUCKDB.type_name("VARCHAR") == "VARCHAR"
    with pytest.raises(ValueError, match="unknown engine 'trino'"):
        dialect_for("trino")


# --- DuckDB's semantics that the Spark spellings reproduce ----------------------------------


def test_duckdb_struct_minimum_counts_a_null_field_as_largest() -> None:
    import duckdb

    rows = "(1, 10, 'b'), (1, 10, NULL), (2, 5, NULL)"
    first = DUCKDB.first_of([("ts", "ts"), ("x", "x")])
    got = duckdb.sql(
        f"SELECT g, f.ts, f.x FROM (SELECT g, {first} AS f FROM (VALUES {rows}) AS t(g, ts, x) "
        "GROUP BY g) AS s ORDER BY g"
    ).fetchall()
    assert got == [(1, 10, "b"), (2, 5, None)]


def test_day_minute_and_second_numbers_floor_before_1970() -> None:
    # DuckDB's // truncates towards zero (-1 // 60 is 0); an instant before 1970 must still
    # fall in the day, minute and second it is in: the numbers agree with the calendar day.
    import duckdb

    instants = [-1, -59_999_999, -60_000_000, -86_400_000_000, -86_400_000_001, 0, 1]
    values = ", ".join(f"({t})" for t in instants)
    for tz in ("UTC", "Asia/Shanghai", "Europe/Berlin"):
        got = duckdb.sql(
            f"SELECT ts, {DUCKDB.day_number('ts', tz)}, {DUCKDB.local_day('ts', tz)}, "
            f"{DUCKDB.minute_of('ts')}, {DUCKDB.floor_div('ts', 1_000_000)} "
            f"FROM (VALUES {values}) AS t(ts) ORDER BY ts"
        ).fetchall()
        for ts, day_n, day, minute, second in got:
            assert dt.date(1970, 1, 1) + dt.timedelta(days=day_n) == day, (tz, ts)
            assert minute == ts // 60_000_000, ts  # Python's // floors
            assert second == ts // 1_000_000, ts


# --- choosing the engine -------------------------------------------------------------------


def test_spark_without_pyspark_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from xhsgrow.engines import open_engine

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    with pytest.raises(UsageError) as err:
        open_engine("spark", "events.parquet")
    assert str(err.value) == (
        "--engine spark needs PySpark: pip install 'xhsgrow[spark]' (and Java 17+)"
    )


def test_unknown_engine_and_tables_on_duckdb_are_usage_errors(tmp_path: Path) -> None:
    from xhsgrow.engines import open_engine

    with pytest.raises(UsageError, match="unknown engine 'trino': expected duckdb or spark"):
        open_engine("trino", str(tmp_path / "e.parquet"))
    with pytest.raises(UsageError, match=r"table:dw\.events: catalog tables are read by the Spark"):
        open_engine("duckdb", "table:dw.events")


def test_track_takes_the_engine_from_the_settings_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from tests.test_track_metrics import DATA, make_workspace
    from xhsgrow.tracking.engine import track

    (tmp_path / "xhsgrow.toml").write_text('[data]\nengine = "spark"\n', "utf-8")
    ws = make_workspace(tmp_path, DATA / "referral.toml")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    data = str(DATA / "referral.csv")
    with pytest.raises(UsageError, match="needs PySpark"):
        track(ws, None, data=data, as_of=dt.date(2025, 1, 16))
    result = track(ws, None, data=data, as_of=dt.date(2025, 1, 16), engine="duckdb")
    assert result.campaigns[0].metrics["acquired"] == 4
