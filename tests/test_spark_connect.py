"""`[data.spark] remote`: tracking through a real Spark Connect server, on loopback.

The module starts one server as ``sbin/start-connect-server.sh`` would (``spark-submit`` of
``SparkConnectServer`` from the installed PySpark, ``local[2]``) on a free 127.0.0.1 port, and
stops it at the end. xhsgrow runs as a user runs it, in its own process, so it is a pure Spark
Connect client (no JVM on its side), and its figures are DuckDB's. A server that is not there
is one line at once, not ten minutes of retries.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_engine_cli import AS_OF, close, settings
from tests.test_track_metrics import DATA, make_workspace

pytestmark = pytest.mark.spark

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
TRACK = ["track", "--as-of", AS_OF, "--format", "json"]
#: Longest a Spark run may take here; far below the ten minutes an unreachable server costs
#: with PySpark's default retries.
RUN_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the developer's Spark settings (SPARK_REMOTE would turn any
    session into a Spark Connect one), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPARK_", "PYSPARK_", "XHSGROW_")) and k != "MASTER"
    }
    return {**env, "COLUMNS": "200", **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a Spark Connect server on 127.0.0.1, started for this module and killed after."""
    import pyspark

    home = Path(pyspark.__file__).parent  # SPARK_HOME of a pip-installed PySpark
    root = tmp_path_factory.mktemp("spark-connect")
    port = free_port()
    command = [
        str(home / "bin" / "spark-submit"),
        "--class",
        SERVER_CLASS,
        "--master",
        "local[2]",
        "--name",
        "xhsgrow-tests-connect",
        *("--conf", "spark.connect.grpc.binding.address=127.0.0.1"),
        *("--conf", f"spark.connect.grpc.binding.port={port}"),
        *("--conf", "spark.driver.host=127.0.0.1"),
        *("--conf", "spark.driver.bindAddress=127.0.0.1"),
        *("--conf", "spark.ui.enabled=false"),
        *("--conf", "spark.sql.shuffle.partitions=4"),
        *("--conf", f"spark.sql.warehouse.dir={root / 'warehouse'}"),
    ]
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_env(SPARK_HOME=str(home)),
            start_new_session=True,  # its own process group: spark-submit and the JVM
        )
        try:
            deadline = time.monotonic() + 180
            while not listening(port):
                tail = "\n".join(log.read_text("utf-8", "replace").splitlines()[-20:])
                assert proc.poll() is None, f"the Spark Connect server exited:\n{tail}"
                assert time.monotonic() < deadline, f"no Spark Connect server on {port}:\n{tail}"
                time.sleep(0.25)
            yield f"sc://127.0.0.1:{port}"
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def xhsgrow(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "xhsgrow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env(**(env or {})),
        timeout=timeout,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with the referral campaign and its edge-case events, as CSV and Parquet."""
    import duckdb

    make_workspace(tmp_path, DATA / "referral.toml")
    csv = shutil.copy(DATA / "referral.csv", tmp_path / "events.csv")
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) "
            f"TO '{tmp_path / 'events.parquet'}' (FORMAT parquet)"
        )
    finally:
        con.close()
    return tmp_path


def on_duckdb(ws: Path, data: str) -> dict[str, Any]:
    r = xhsgrow(ws, *TRACK, "--data", data, "--engine", "duckdb")
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    del doc["generated_at"]
    return doc


@pytest.mark.parametrize("data,how", [("events.csv", "settings"), ("events.parquet", "env")])
def test_track_through_spark_connect_matches_duckdb(
    server: str, ws: Path, data: str, how: str
) -> None:
    # The URL from [data.spark] remote, or from SPARK_REMOTE as PySpark itself reads it.
    env = {}
    if how == "settings":
        settings(ws, f'[data]\nengine = "spark"\n\n[data.spark]\nremote = "{server}"\n')
    else:
        settings(ws, '[data]\nengine = "spark"\n')
        env["SPARK_REMOTE"] = server
    r = xhsgrow(ws, *TRACK, "--data", data, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # a pure client: no JVM log, no PySpark warnings
    spark = json.loads(r.stdout)
    del spark["generated_at"]
    close(spark, on_duckdb(ws, data))
    assert spark["campaigns"][0]["metrics"]["acquired"] == 4  # the edge cases are in
    assert spark["data_quality"]["rejected_samples"][0]["reason"] == (
        "unparseable event_time 'yesterday'"
    )


def test_a_catalog_table_on_the_server(server: str, ws: Path) -> None:
    # On a cluster the events are a table in the server's catalog, written by another job.
    job = (
        "import sys\n"
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()\n"
        "rows = spark.read.option('header', 'true').csv(sys.argv[2])\n"
        "rows.write.mode('overwrite').saveAsTable('app_events')\n"
        "spark.stop()\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", job, server, str(ws / "events.csv")],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_TIMEOUT,
    )
    assert made.returncode == 0, made.stderr
    settings(
        ws,
        f'[data]\nengine = "spark"\nsource = "table:app_events"\n\n'
        f'[data.spark]\nremote = "{server}"\n',
    )
    r = xhsgrow(ws, *TRACK)
    assert r.returncode == 0, r.stderr
    table = json.loads(r.stdout)
    del table["generated_at"]
    assert table.pop("source") == "table:app_events"
    duck = on_duckdb(ws, "events.csv")
    del duck["source"]
    # A table has no lines: its rejected row is named by the table, and only that differs.
    assert table["data_quality"]["rejected_samples"] == [
        {"line": None, "file": "table:app_events", "reason": "unparseable event_time 'yesterday'"}
    ]
    for doc in (table, duck):
        for quality in (doc["data_quality"], *(c["data_quality"] for c in doc["campaigns"])):
            del quality["rejected_samples"]
    close(table, duck)


def test_a_table_the_server_does_not_have_is_named(server: str, ws: Path) -> None:
    settings(ws, f'[data]\nengine = "spark"\n\n[data.spark]\nremote = "{server}"\n')
    r = xhsgrow(ws, *TRACK, "--data", "table:nowhere.events")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "Error: --data table:nowhere.events: no table 'nowhere.events' in the Spark catalog"
    ]
    assert r.stdout == ""


@pytest.mark.parametrize("params", ["", "/;token=s3cr3t-t0ken"])
def test_no_server_at_the_url_is_one_line_at_once(ws: Path, params: str) -> None:
    # A port bound but not listening: connections are refused, and nothing can take it.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        url = f"sc://127.0.0.1:{taken.getsockname()[1]}"
        settings(ws, f'[data]\nengine = "spark"\n\n[data.spark]\nremote = "{url}{params}"\n')
        started = time.monotonic()
        r = xhsgrow(ws, *TRACK, "--data", "events.csv", timeout=120)
        took = time.monotonic() - started
    assert r.returncode == 2
    shown = url + ("/;token=***" if params else "")
    [line] = r.stderr.splitlines()  # one line: no traceback, no warnings
    assert line.startswith(f"Error: --engine spark: could not reach Spark Connect at {shown}: ")
    if not params:
        assert line.endswith("Connection refused")
    assert "s3cr3t" not in r.stderr
    assert r.stdout == ""
    assert took < 60  # a few seconds of retries, then out (PySpark's own: ten minutes)


def test_a_master_and_spark_remote_together_are_one_line(ws: Path) -> None:
    settings(ws, '[data]\nengine = "spark"\n\n[data.spark]\nmaster = "local[2]"\n')
    r = xhsgrow(ws, *TRACK, "--data", "events.csv", env={"SPARK_REMOTE": "sc://127.0.0.1:1"})
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "Error: xhsgrow.toml [data.spark] master = 'local[2]', but SPARK_REMOTE "
        "(sc://127.0.0.1:1) asks for Spark Connect: unset one"
    ]
    assert r.stdout == ""


def test_the_legacy_master_variable_and_spark_connect_together_are_one_line(ws: Path) -> None:
    # PySpark reads MASTER from the environment and refuses it next to a Spark Connect URL;
    # xhsgrow says so in one line instead of PySpark's traceback.
    settings(ws, '[data]\nengine = "spark"\n')
    r = xhsgrow(
        ws,
        *TRACK,
        "--data",
        "events.csv",
        env={"SPARK_REMOTE": "sc://127.0.0.1:1/;token=s3cr3t", "MASTER": "local[1]"},
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "Error: --engine spark: SPARK_REMOTE (sc://127.0.0.1:1/;token=***) asks for Spark "
        "Connect, but the MASTER environment variable names a master ('local[1]'): unset MASTER"
    ]
    assert r.stdout == ""
