"""DuckDB and Spark give the same figures: every metric, integers exact, rates to 1e-12.

Three sets of data: the demo workspace (200k events, every kind of campaign), the same in
zones with daylight saving time, and every event file of the tracking tests — those tests
are run again here with each tracking done by both engines, from reading the file to the
last figure: the facts and data quality must agree, and the tests' hand-worked assertions
are then checked against Spark's figures. The pins at the end fix the engine differences
a user would notice (naive timestamps, NULL ordering, the earliest row of a group, hashes of
NULLs, money sums) on both engines, rather than assume them. One Spark session (local[2])
serves the module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import json
import math
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import test_track_metrics
from tests.conftest import REPO

pytestmark = pytest.mark.spark

AS_OF = dt.date(2027, 2, 12)


# --- comparing figures -------------------------------------------------------------------


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two results differ: integers and text exactly, floats to 1e-12 (relative)."""
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        return [
            d
            for f in dataclasses.fields(a)
            for d in differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        ]
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}[{k!r}] only in one" for k in set(a) ^ set(b)]
        return out + [d for k in a if k in b for d in differences(a[k], b[k], f"{path}[{k!r}]")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0):
            return [f"{path}: {a!r} vs {b!r}"]
        return []
    if a != b or type(a) is not type(b):
        return [f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"]
    return []


def assert_same(duck: Any, spark: Any) -> None:
    diffs = differences(duck, spark)
    assert not diffs, "DuckDB vs Spark:\n  " + "\n  ".join(diffs[:40])


def document(result: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(result.to_json()))
    doc.pop("generated_at")
    return doc  # type: ignore[no-any-return]


# --- (a) the demo workspace, (c) the same in daylight-saving zones -------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from xhsgrow.cli import app

    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "campaigns", root / "src" / "campaigns")
    out = root / "ws"
    args = ["-w", str(root / "src"), "demo-workspace", str(out), "--events", "200000"]
    result = CliRunner().invoke(app, [*args, "--seed", "7", "--as-of", AS_OF.isoformat(), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _in_zones(ws: Path, out: Path, zones: dict[str, str], workspace_zone: str) -> Path:
    """A copy of the workspace ``ws`` with campaigns moved to other timezones."""
    shutil.copytree(ws, out)
    for spec in (out / "campaigns").glob("*.toml"):
        zone = zones.get(spec.stem, zones["*"])
        text = spec.read_text("utf-8").replace('timezone = "Asia/Shanghai"', f'timezone = "{zone}"')
        spec.write_text(text, "utf-8")
    settings = out / "xhsgrow.toml"
    text = settings.read_text("utf-8").replace('"Asia/Shanghai"', f'"{workspace_zone}"')
    settings.write_text(text, "utf-8")
    return out


def _track_both(ws_root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from xhsgrow.tracking.engine import track
    from xhsgrow.workspace import open_workspace

    ws = open_workspace(ws_root)
    duck = track(ws, None, data=None, as_of=AS_OF, engine="duckdb")
    spark = track(ws, None, data=None, as_of=AS_OF, engine="spark")
    return document(duck), document(spark)


def test_demo_workspace_same_on_both_engines(spark: Any, demo: Path) -> None:
    duck, other = _track_both(demo)
    assert_same(duck, other)
    # the data exercise what they should: every kind, segments, flags, a gala peak
    kinds = {c["kind"] for c in duck["campaigns"]}
    assert kinds == {"referral", "partnership", "gala"}
    assert all(c["metrics"]["acquired"] > 0 for c in duck["campaigns"])
    assert duck["data_quality"]["duplicates"] > 0


def test_demo_workspace_in_daylight_saving_zones(spark: Any, demo: Path, tmp_path: Path) -> None:
    zones = {"gala-2027": "Europe/Berlin", "silver-chongyang-2025": "America/New_York"}
    ws = _in_zones(demo, tmp_path / "dst", {**zones, "*": "Asia/Shanghai"}, "Europe/Berlin")
    duck, other = _track_both(ws)
    assert_same(duck, other)
    assert {c["timezone"] for c in duck["campaigns"]} >= {"Europe/Berlin", "America/New_York"}


# --- (b) the event files of the tracking tests, on both engines ----------------------------


class BothEngines:
    """Stands in for ``aggregate.compute``: computes with the DuckDB engine the tracking
    opened, then opens the same data with the same settings on Spark and computes again
    (reading included: rejected rows, their files and lines), checks that the two agree
    and returns Spark's figures."""

    def __init__(self, compute: Callable[..., Any], opened: dict[int, Any]) -> None:
        self.compute = compute
        #: id(DuckDB engine) -> (data, settings) it was opened with
        self.opened = opened

    def __call__(self, engine: Any, campaigns: Any, as_of: Any, **kw: Any) -> Any:
        from xhsgrow.engines import open_engine

        duck = self.compute(engine, campaigns, as_of, **kw)
        data, settings = self.opened[id(engine)]
        other = open_engine("spark", data, settings)
        try:
            got = self.compute(other, campaigns, as_of, **kw)
        finally:
            other.close()
        assert_same(duck, got)
        return got


#: Tracking tests whose data Spark cannot read, each with where that is tested instead.
SPARK_CANNOT = {
    "test_track_referral_edges::"
    "test_integer_referrers_match_text_user_ids_of_another_file[parquet]": (
        "Spark cannot merge BIGINT and text ids of two Parquet files: "
        "test_spark_events.py::test_parquet_files_disagreeing_on_a_column_type_are_one_line"
    ),
}


#: The modules of tracking tests that run again on both engines.
TRACKING_MODULES = tuple(
    f"tests.test_track_{name}"
    for name in ("edges", "gala_edges", "kinds", "metrics", "partner_segments", "referral_edges")
)


def _tracking_tests() -> list[Any]:
    """(module, test function, parameters) of every tracking test, parametrized expanded."""
    cases = []
    for module in map(importlib.import_module, TRACKING_MODULES):
        for name, func in sorted(vars(module).items()):
            if not name.startswith("test_") or not callable(func):
                continue
            marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"]
            if not marks:
                cases.append(pytest.param(module, func, {}, id=f"{module.__name__[6:]}::{name}"))
                continue
            names = [n.strip() for n in marks[0].args[0].split(",")]
            for case in marks[0].args[1]:
                values = getattr(case, "values", case)  # a pytest.param, or the values
                values = (values,) if len(names) == 1 else tuple(values)
                params = dict(zip(names, values, strict=True))
                tag = "-".join(map(str, values))
                case_id = f"{module.__name__[6:]}::{name}[{tag}]"
                why = SPARK_CANNOT.get(case_id)
                marked = [pytest.mark.skip(reason=why)] if why else []
                cases.append(pytest.param(module, func, params, id=case_id, marks=marked))
    return cases


@pytest.mark.parametrize("module,func,params", _tracking_tests())
def test_tracking_tests_on_both_engines(
    spark: Any,
    module: Any,
    func: Callable[..., Any],
    params: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    import xhsgrow.engines as engines
    import xhsgrow.tracking.aggregate as aggregate

    opened: dict[int, Any] = {}
    real_open = engines.open_engine

    def open_engine(name: str, data: str, settings: Any = None) -> Any:
        engine = real_open(name, data, settings)
        opened[id(engine)] = (data, settings)
        return engine

    monkeypatch.setattr(engines, "open_engine", open_engine)
    monkeypatch.setattr(aggregate, "compute", BothEngines(aggregate.compute, opened))
    given: dict[str, Any] = dict(params)
    for name in inspect.signature(func).parameters:
        if name in given:
            continue
        if name in ("ws", "result"):  # the fixtures of the tracking test modules
            ws = test_track_metrics.make_workspace(
                tmp_path, test_track_metrics.DATA / "referral.toml"
            )
            if name == "result":
                shutil.copy(test_track_metrics.DATA / "referral.csv", tmp_path / "events.csv")
                given[name] = test_track_metrics.run(ws, tmp_path / "events.csv")
            else:
                given[name] = ws
        else:
            given[name] = request.getfixturevalue(name)
    func(**given)


# --- pins: the engine differences a user would notice --------------------------------------


def _both(
    spark: Any, duck_sql: str, spark_sql: str | None = None, **kw: Any
) -> tuple[list[Any], list[Any]]:
    """Rows of a statement on DuckDB, and of its translation on Spark."""
    import duckdb

    from xhsgrow.tracking.dialect import SPARK

    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Berlin'")
    a = [tuple(r) for r in con.execute(duck_sql).fetchall()]
    b = [tuple(r) for r in spark.sql(SPARK.translate(spark_sql or duck_sql, **kw)).collect()]
    return a, b


@pytest.fixture
def away(spark: Any) -> Iterator[Any]:
    """The Spark session in a timezone of its own (not UTC, not the data's)."""
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    yield spark
    spark.conf.set("spark.sql.session.timeZone", "UTC")


INSTANTS = [
    0,
    -1,  # a microsecond before 1970: the day before
    -86_400_000_001,
    1_738_358_400_000_000,  # 2025-01-31 21:00 UTC: 02-01 in Shanghai
    1_743_296_399_999_999,  # Berlin's spring-forward, just before
    1_743_296_400_000_000,  # and at it
    1_761_436_800_000_000,  # Berlin's fall-back (UTC 00:00 .. 01:00 is the repeated hour)
    1_761_440_400_000_000,
]


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"])
def test_pin_local_day_and_day_number_whatever_the_session_zone(away: Any, tz: str) -> None:
    from xhsgrow.tracking.dialect import DUCKDB, SPARK

    values = ", ".join(f"({t})" for t in INSTANTS)
    for spelling in ("local_day", "day_number"):
        duck = f"SELECT {getattr(DUCKDB, spelling)('ts', tz)} FROM (VALUES {values}) AS t(ts)"
        other = f"SELECT {getattr(SPARK, spelling)('ts', tz)} FROM (VALUES {values}) AS t(ts)"
        a, b = _both(away, duck, other)
        assert a == b, spelling


def test_pin_naive_timestamps_read_in_the_workspace_zone_not_the_session(away: Any) -> None:
    # DuckDB reads a naive time in its TimeZone (the workspace's, here Berlin); Spark's
    # TIMESTAMP would follow the session's (Los Angeles): the translation must not.
    texts = [
        "2025-02-01 08:00:00",
        "2025-02-01T08:00:00.123456",
        "2025-03-30 02:30:00",  # skipped by the spring-forward: moves to 03:30
        "2025-10-26 02:30:00",  # occurs twice: the later one (DuckDB's reading)
        "2025-02-01 08:00:00+08:00",  # an offset is honoured
        "2025-02-01T00:00:00Z",
        "not a time",
    ]
    values = ", ".join(f"('{t}')" for t in texts)
    sql = (
        "SELECT x, CASE WHEN right(x, 1) = 'Z' OR substr(x, 20) LIKE '%+%' "
        "THEN epoch_us(TRY_CAST(x AS TIMESTAMPTZ)) "
        "ELSE epoch_us(CAST(TRY_CAST(x AS TIMESTAMP) AS TIMESTAMPTZ)) END, "
        "epoch_us(TRY_CAST(x AS TIMESTAMP)) "
        f"FROM (VALUES {values}) AS t(x)"
    )
    a, b = _both(away, sql, timezone="Europe/Berlin")
    assert a == b
    assert a[2][1] == 1_743_298_200_000_000  # 01:30 UTC
    assert a[3][1] == 1_761_442_200_000_000  # 01:30 UTC, after the fall-back


def test_pin_nulls_sort_last_and_the_earliest_row_takes_values_over_nulls(spark: Any) -> None:
    from xhsgrow.tracking.dialect import DUCKDB, SPARK

    rows = "(1, 10, 'b'), (1, 10, NULL), (1, 12, 'a'), (2, 5, NULL), (3, 7, 'c')"
    order = f"SELECT x FROM (VALUES {rows}) AS t(g, ts, x) ORDER BY x, g"
    a, b = _both(spark, order)
    assert a == b and a[-1] == (None,)
    query = (
        "SELECT g, f.ts, f.x FROM (SELECT g, {} AS f FROM (VALUES "
        + rows
        + ") AS t(g, ts, x) GROUP BY g) AS s ORDER BY g"
    )
    fields = [("ts", "ts"), ("x", "x")]
    a, b = _both(spark, query.format(DUCKDB.first_of(fields)), query.format(SPARK.first_of(fields)))
    assert a == b == [(1, 10, "b"), (2, 5, None), (3, 7, "c")]


def test_pin_hashes_tell_nulls_apart_by_position(spark: Any) -> None:
    from xhsgrow.tracking.dialect import DUCKDB, SPARK

    rows = "FROM (VALUES ('a', NULL), (NULL, 'a')) AS t(x, y)"
    a, b = _both(
        spark,
        f"SELECT COUNT(DISTINCT {DUCKDB.hash64('x', 'y')}) {rows}",
        f"SELECT COUNT(DISTINCT {SPARK.hash64('x', 'y')}) {rows}",
    )
    assert a == b == [(2,)]


def test_pin_money_sums_do_not_depend_on_the_order(spark: Any) -> None:
    from xhsgrow.tracking.dialect import DUCKDB, SPARK

    values = ", ".join(["(0.1)"] * 10)
    a, b = _both(
        spark,
        f"SELECT {DUCKDB.money_sum('x')} FROM (VALUES {values}) AS t(x)",
        f"SELECT {SPARK.money_sum('x')} FROM (VALUES {values}) AS t(x)",
    )
    assert a == b == [(1.0,)]


def test_engine_errors_are_one_line_usage_errors(spark: Any, tmp_path: Path) -> None:
    from xhsgrow.engines.spark_engine import SparkEngine
    from xhsgrow.errors import UsageError

    class Events:
        def __init__(self) -> None:
            self.spark, self.shown, self.structural_reject_count = spark, "x.parquet", 0

        def close(self) -> None:
            pass

    engine = SparkEngine(Events())
    with pytest.raises(UsageError, match=r"^--data x\.parquet: query failed: .*no_such_table"):
        engine.query("SELECT * FROM no_such_table")
    engine.create_rows("t", [("a", "VARCHAR"), ("d", "DATE")], [("x", dt.date(2025, 1, 2))])
    assert engine.query("SELECT a, d, 1.5, CAST(2 AS DECIMAL(10, 0)) FROM t") == [
        ("x", dt.date(2025, 1, 2), 1.5, 2)
    ]
    engine.close()
