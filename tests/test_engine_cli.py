"""`--engine` on track, report and notify, `[data] engine` and `[data.spark]` in xhsgrow.toml.

Without PySpark a user gets one line saying how to install it; that is checked in a
subprocess where ``import pyspark`` fails, as it does where the extra is not installed. The
tests marked ``spark`` run the real thing (PySpark on Java 17, local[2]) and compare it with
DuckDB through the CLI, as a user would.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_http_source import BODY, Server
from tests.test_track_metrics import DATA, make_workspace

AS_OF = "2025-01-16"
INSTALL_HINT = "Error: --engine spark needs PySpark: pip install 'xhsgrow[spark]' (and Java 17+)"
#: Spark for tests: two cores, few shuffle partitions, no web UI (set as a user would).
SPARK_SETTINGS = """\
[data.spark]
master = "local[2]"
app_name = "xhsgrow-tests"

[data.spark.conf]
"spark.sql.shuffle.partitions" = "4"
"spark.ui.enabled" = "false"
"""
#: Runs the CLI as `xhsgrow` would, with pyspark unimportable (None in sys.modules makes
#: `import pyspark` raise ImportError and find_spec say it is not installed).
WITHOUT_PYSPARK = (
    "import sys\n"
    "sys.modules['pyspark'] = None\n"
    "from xhsgrow.cli import main\n"
    "sys.argv = ['xhsgrow', *sys.argv[1:]]\n"
    "main()\n"
)


@pytest.fixture
def events(tmp_path: Path) -> Path:
    """A workspace (cwd) with the referral campaign and its edge-case events as events.csv."""
    make_workspace(tmp_path, DATA / "referral.toml")
    return Path(shutil.copy(DATA / "referral.csv", tmp_path / "events.csv"))


def words(text: str) -> str:
    """Rich's help and error panels without their borders and line wrapping."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def settings(root: Path, text: str) -> None:
    (root / "xhsgrow.toml").write_text(text, "utf-8")


def without_pyspark(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PYSPARK, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
    )


NOTIFY_ENV = {
    "XHSGROW_WEBHOOK_TEAM_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
    "XHSGROW_WEBHOOK_TEAM_KIND": "slack",
}
#: Each tracking command, as a user would run it, up to --engine.
COMMANDS = {
    "track": ["track", "--as-of", AS_OF, "--format", "json"],
    "report": ["report", "--as-of", AS_OF, "--format", "md"],
    "notify": ["notify", "team", "--as-of", AS_OF, "--dry-run"],
}


# ---- the option ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["track", "report", "notify"])
def test_help_teaches_the_engine_option(invoke: Any, command: str) -> None:
    r = invoke(command, "--help", env={"COLUMNS": "300"})
    assert r.exit_code == 0
    text = words(r.output)
    assert "--engine" in text and "duckdb|spark" in text
    assert "Default: [data] engine in xhsgrow.toml, else duckdb." in text
    assert "pip install 'xhsgrow[spark]' and Java 17+" in text


@pytest.mark.parametrize("command", ["track", "report", "notify"])
def test_an_unknown_engine_is_a_usage_error(invoke: Any, events: Path, command: str) -> None:
    args = [*COMMANDS[command], "--data", str(events), "--engine", "trino"]
    r = invoke(*args, env=NOTIFY_ENV)
    assert r.exit_code == 2
    text = words(r.output)
    assert "Invalid value for '--engine'" in text
    assert "'trino' is not one of 'duckdb', 'spark'" in text
    assert r.stdout == ""


@pytest.mark.parametrize(
    ("data", "what"),
    [
        ("table:dw.app_events", "catalog tables"),
        ("s3a://dw-exports/app_events/*.parquet", "object-store URIs"),
        ("hdfs://nn:8020/events", "object-store URIs"),
    ],
)
def test_sources_only_spark_reads_say_so_on_duckdb(
    invoke: Any, events: Path, data: str, what: str
) -> None:
    r = invoke("track", "--data", data, "--engine", "duckdb", "--as-of", AS_OF)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"Error: --data {data}: {what} are read by the Spark engine only",
        'Hint: pass --engine spark, or set [data] engine = "spark" in xhsgrow.toml',
    ]


# ---- without PySpark: one line with the install command ------------------------------------


def test_spark_without_pyspark_says_how_to_install_it(tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "referral.toml")
    shutil.copy(DATA / "referral.csv", tmp_path / "x.csv")
    r = without_pyspark("track", "--engine", "spark", "--data", "x.csv", "--as-of", AS_OF)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [INSTALL_HINT]
    assert r.stdout == ""


@pytest.mark.parametrize("command", ["report", "notify"])
def test_report_and_notify_pass_the_engine_on(events: Path, command: str) -> None:
    r = without_pyspark(
        *COMMANDS[command], "--data", str(events), "--engine", "spark", env=NOTIFY_ENV
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [INSTALL_HINT]
    assert r.stdout == ""


@pytest.mark.parametrize("command", ["track", "report", "notify"])
def test_the_engine_setting_is_the_default(events: Path, command: str) -> None:
    settings(events.parent, '[data]\nengine = "spark"\nsource = "events.csv"\n')
    r = without_pyspark(*COMMANDS[command], env=NOTIFY_ENV)
    assert r.returncode == 2  # spark was chosen, from xhsgrow.toml alone
    assert r.stderr.splitlines() == [INSTALL_HINT]
    assert r.stdout == ""


def test_the_option_overrides_the_setting(events: Path) -> None:
    settings(events.parent, '[data]\nengine = "spark"\nsource = "events.csv"\n')
    r = without_pyspark(*COMMANDS["track"], "--engine", "duckdb")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["campaigns"][0]["metrics"]["acquired"] == 4
    assert doc["data_quality"]["duplicates"] == 2


def test_a_daily_aggregates_url_needs_no_engine(events: Path) -> None:
    # The endpoint serves aggregates: nothing for Spark to do, so no PySpark needed either.
    settings(events.parent, '[data]\nengine = "spark"\n')
    with Server() as server:
        server.plan = [(200, BODY)]
        r = without_pyspark(*COMMANDS["track"], "--data", server.url, "--engine", "spark")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["campaigns"][0]["metrics"]["acquired"] == 16


# ---- [data.spark] in xhsgrow.toml ----------------------------------------------------------


def test_master_and_remote_together_are_an_error(invoke: Any, tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "referral.toml")
    settings(
        tmp_path,
        '[data]\nengine = "spark"\n\n[data.spark]\nmaster = "yarn"\n'
        'remote = "sc://spark-connect.example.com:15002"\n',
    )
    r = invoke("list")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "Error: xhsgrow.toml:6:1: data.spark.remote: set either master (a classic Spark "
        "session) or remote (a Spark Connect URL), not both"
    ]


@pytest.mark.parametrize(
    "spark",
    [
        'master = "yarn"',
        'remote = "sc://spark-connect.example.com:15002"',
        'master = "spark://spark-master:7077"\napp_name = "growth"',
    ],
)
def test_master_or_remote_alone_is_fine(invoke: Any, tmp_path: Path, spark: str) -> None:
    make_workspace(tmp_path, DATA / "referral.toml")
    settings(tmp_path, f'[data]\nengine = "spark"\n\n[data.spark]\n{spark}\n')
    r = invoke("list")
    assert r.exit_code == 0, r.output
    assert "ref" in r.stdout


@pytest.mark.parametrize(
    "text,line",
    [
        (
            '[data]\nengine = "trino"\n',
            "xhsgrow.toml:2:1: data.engine: got 'trino'; expected 'duckdb' or 'spark'",
        ),
        (
            '[data.spark.conf]\n"spark.executor.instances" = 8\n',
            "xhsgrow.toml:2:1: data.spark.conf.spark.executor.instances: should be a string, not 8",
        ),
        (
            '[data.spark]\nmaster = "yarn"\nmaster_url = "yarn"\n',
            "xhsgrow.toml:3:1: data.spark.master_url: unknown key 'master_url'",
        ),
    ],
)
def test_bad_engine_settings_name_the_line(
    invoke: Any, tmp_path: Path, text: str, line: str
) -> None:
    make_workspace(tmp_path, DATA / "referral.toml")
    settings(tmp_path, text)
    r = invoke("track", "--data", "events.csv")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0].startswith(f"Error: {line}")
    assert r.stdout == ""


# ---- the real thing: Spark against DuckDB through the CLI ----------------------------------


def close(a: Any, b: Any, where: str = "$") -> None:
    """Equal documents: integers, text and structure exactly, floats to 1e-12."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float) and isinstance(b, int | float), where
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture
def spark_events(events: Path) -> Path:
    settings(events.parent, SPARK_SETTINGS)
    return events


@pytest.mark.spark
def test_track_on_spark_matches_duckdb(invoke: Any, spark_events: Path) -> None:
    docs = {}
    for engine in ("duckdb", "spark"):
        r = invoke(*COMMANDS["track"], "--data", str(spark_events), "--engine", engine)
        assert r.exit_code == 0, r.output
        docs[engine] = json.loads(r.stdout)
        del docs[engine]["generated_at"]
    close(docs["spark"], docs["duckdb"])
    c = docs["spark"]["campaigns"][0]
    assert c["metrics"]["acquired"] == 4  # the edge cases are in, not an empty result
    assert docs["spark"]["data_quality"]["rows_rejected"] == 1


@pytest.mark.spark
def test_report_on_spark(invoke: Any, spark_events: Path) -> None:
    # (notify passes --engine on the same way, tested without PySpark above: one Spark run
    # less for CI)
    out = {}
    for engine in ("duckdb", "spark"):
        r = invoke(*COMMANDS["report"], "--data", str(spark_events), "--engine", engine)
        assert r.exit_code == 0, r.output
        out[engine] = r.stdout
    assert out["spark"] == out["duckdb"]
    assert "Invite a friend" in out["spark"] and "| 🔴 |" in out["spark"]


@pytest.fixture
def spark_session(spark_events: Path) -> Iterator[Any]:
    """A session started by the test, as a notebook or a job would have one: xhsgrow uses
    it, and leaves it running."""
    from xhsgrow.data.spark_events import spark_session as start
    from xhsgrow.workspace import open_workspace

    spark = start(open_workspace(spark_events.parent).settings)
    try:
        yield spark
    finally:
        spark.stop()


@pytest.mark.spark
def test_the_readme_setup_a_catalog_table_from_the_settings(
    invoke: Any, spark_events: Path, spark_session: Any
) -> None:
    # [data] engine = "spark" and source = "table:NAME", as the README shows for a cluster; the
    # table holds the same rows as the CSV, so the figures are DuckDB's on the CSV.
    rows = spark_session.read.option("header", "true").csv(str(spark_events))
    rows.createOrReplaceTempView("app_events")
    r = invoke(*COMMANDS["track"], "--data", str(spark_events), "--engine", "duckdb")
    assert r.exit_code == 0, r.output
    duck = json.loads(r.stdout)
    toml = '[data]\nengine = "spark"\nsource = "table:app_events"\n\n' + SPARK_SETTINGS
    settings(spark_events.parent, toml)
    r = invoke(*COMMANDS["track"])
    assert r.exit_code == 0, r.output
    table = json.loads(r.stdout)
    assert table.pop("source") == "table:app_events"
    # A table has no lines: its rejected row is named by the table, and only that differs.
    reason = "unparseable event_time 'yesterday'"
    assert table["data_quality"]["rejected_samples"] == [
        {"line": None, "file": "table:app_events", "reason": reason}
    ]
    for doc in (table, duck):
        for quality in (doc["data_quality"], *(c["data_quality"] for c in doc["campaigns"])):
            del quality["rejected_samples"]
        del doc["generated_at"]
    del duck["source"]
    close(table, duck)
    assert spark_session.catalog.tableExists("app_events")  # the user's session still runs
