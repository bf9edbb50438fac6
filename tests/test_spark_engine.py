"""The Spark engine on one machine: quiet, and sized for it.

A local `--engine spark` run starts a JVM whose logging and launcher print WARN lines and
notices on stderr; xhsgrow configures Spark's logging (errors only) and filters the one line
the JVM prints before any logging applies, so that stderr holds xhsgrow's own output alone.
Real errors stay visible. The runs are whole processes, as a user starts them: the JVM
writes to the process's stderr, which no in-process runner captures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.test_engine_cli import AS_OF, close
from tests.test_track_metrics import DATA, make_workspace
from xhsgrow.data import spark_events
from xhsgrow.data.spark_events import _forward, _local_cores

#: The installed command, next to the interpreter running the tests.
XHSGROW = str(Path(sys.executable).parent / "xhsgrow")


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [XHSGROW, *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=600,
    )


@pytest.fixture
def parquet_workspace(tmp_path: Path) -> Path:
    """The referral campaign and its edge-case events as Parquet (the format the engine
    caches itself), with no [data.spark] settings: Spark's defaults for one machine."""
    import duckdb

    make_workspace(tmp_path, DATA / "referral.toml")
    csv = str(DATA / "referral.csv").replace("'", "''")
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) "
        f"TO '{tmp_path / 'events.parquet'}' (FORMAT parquet)"
    )
    return tmp_path


@pytest.mark.spark
def test_a_local_spark_run_prints_only_xhsgrows_own_output(parquet_workspace: Path) -> None:
    _quiet_like_duckdb(parquet_workspace, "events.parquet", rejected=1)


@pytest.mark.spark
def test_a_spark_run_over_csv_files_of_two_headers_ends_quietly(tmp_path: Path) -> None:
    """Two CSV files of different headers (read a header at a time, put together by name)
    leave more jobs behind; stopping the session under a job still running printed
    executor errors and Java stack traces after a run that had succeeded (about one run
    in two): the session now cancels what still runs, and waits, before it stops."""
    make_workspace(tmp_path, DATA / "referral.toml")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "a.csv").write_text(
        "event_time,event,user_id,campaign,channel\n2025-01-11 10:00:00,signup,u1,ref,app\n",
        "utf-8",
    )
    (tmp_path / "ev" / "b.csv").write_text(
        "event_time,event,user_id,campaign\n2025-01-12 10:00:00,signup,u2,ref\n", "utf-8"
    )
    _quiet_like_duckdb(tmp_path, "ev", rejected=0)


def _quiet_like_duckdb(root: Path, data: str, *, rejected: int) -> None:
    """`track` over ``data`` in ``root``: Spark's run prints on stderr what DuckDB's does
    (nothing), and the same figures."""
    args = ["track", "--as-of", AS_OF, "--format", "json", "--data", data]
    duck = run(root, *args)
    spark = run(root, *args, "--engine", "spark")
    assert duck.returncode == 0, duck.stderr
    assert spark.returncode == 0, spark.stderr
    # no JVM notice, no log4j WARN/INFO line, no Python warning: what DuckDB's run prints
    assert spark.stderr == duck.stderr
    docs = [json.loads(r.stdout) for r in (spark, duck)]
    for doc in docs:
        del doc["generated_at"]
    close(*docs)  # the cached events give the same figures
    assert docs[0]["data_quality"]["rows_rejected"] == rejected


def forwarded(text: bytes, capfd: Any) -> str:
    read, write = os.pipe()
    reader = threading.Thread(target=_forward, args=(read,))
    reader.start()
    os.write(write, text)
    os.close(write)
    reader.join(timeout=10)
    return str(capfd.readouterr().err)


def test_the_jvms_own_notice_is_dropped_and_errors_go_through(capfd: Any) -> None:
    err = forwarded(
        b"WARNING: Using incubator modules: jdk.incubator.vector\n"
        b"26/11/24 05:05:49 ERROR SparkContext: Error initializing SparkContext.\n"
        b"java.io.FileNotFoundException: /no/such/file\n",
        capfd,
    )
    assert err.splitlines() == [
        "26/11/24 05:05:49 ERROR SparkContext: Error initializing SparkContext.",
        "java.io.FileNotFoundException: /no/such/file",
    ]


def test_spark_logs_errors_only_with_the_shipped_configuration() -> None:
    text = spark_events.LOG4J2.read_text("utf-8")
    settings = dict(
        line.split(" = ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert settings["rootLogger.level"] == "error"
    assert settings["logger.spark.level"] == "error"
    assert settings["appender.console.target"] == "SYSTEM_ERR"


@pytest.mark.parametrize(
    ("master", "cores"),
    [
        ("local", 1),
        ("local[2]", 2),
        ("local[3, 2]", 3),
        ("local[*]", os.cpu_count() or 1),
        ("spark://spark-master:7077", None),
        ("yarn", None),
        ("local-cluster[2,1,1024]", None),
    ],
)
def test_cores_of_a_local_master(master: str, cores: int | None) -> None:
    assert _local_cores(master) == cores


@pytest.mark.spark
@pytest.mark.parametrize(
    ("conf", "partitions"), [("", "4"), ('"spark.sql.shuffle.partitions" = "3"', "3")]
)
def test_local_shuffle_partitions_default_to_twice_the_cores(
    tmp_path: Path, conf: str, partitions: str
) -> None:
    from xhsgrow.workspace import open_workspace

    make_workspace(tmp_path, DATA / "referral.toml")
    (tmp_path / "xhsgrow.toml").write_text(
        f'[data.spark]\nmaster = "local[2]"\n\n[data.spark.conf]\n{conf}\n', "utf-8"
    )
    spark = spark_events.spark_session(open_workspace(tmp_path).settings)
    try:
        assert spark.conf.get("spark.sql.shuffle.partitions") == partitions
    finally:
        spark.stop()
