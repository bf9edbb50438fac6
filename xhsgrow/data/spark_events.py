"""Reading events on Apache Spark: the same ``ev`` view as xhsgrow.data.events, on Spark.

``open_spark_events`` reads a file, glob or (hive-partitioned) folder, an object-store URI
(``s3a://``, ``gs://``, ``abfss://``, ``hdfs://`` ...) or a catalog table (``table:NAME``),
maps the user's column names to the contract's (``[data.columns]``) and registers one Spark
temp view, ``ev``, with exactly the columns and types of DuckDB's ``ev``. The typing and the
``reason`` of a malformed row are not written again here: they are events.py's SQL
(``typed_query``), translated to Spark SQL by ``xhsgrow.tracking.dialect.SPARK``. Only the
readers differ, and they hand that SQL the same raw columns DuckDB's readers do:

* CSV: every column as text (a bad value is a rejected row, not a type error); a row that
  cannot be split into the header's columns is a structural reject, kept out of ``ev``.
* JSON Lines: lines as text, so a line that is not a JSON object is a rejected row ('json').
* Parquet and tables: typed columns as Spark reads them.

Text formats are parsed once, when the source is opened, and kept (``persist``) for the
metric queries. A CSV file is parsed by one task (quoted fields may span lines, as DuckDB
allows); Parquet files split across the cluster, so prefer Parquet for big data. Naive
timestamps are read in the workspace timezone whatever the Spark session's; the session
itself runs in UTC.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xhsgrow.data.contract import COLUMNS, REQUIRED, find_column, key_spellings
from xhsgrow.data.events import (
    OFFSET_KEY,
    SAMPLE_REJECTS,
    WHITESPACE,
    _format_of,
    _message,
    csv_groups,
    csv_header,
    header_separator,
    quoted_texts,
    refuse_repeated_columns,
    resolve,
    typed_query,
    untidy_text_query,
)
from xhsgrow.errors import UsageError

INSTALL_HINT = "--engine spark needs PySpark: pip install 'xhsgrow[spark]' (and Java 17+)"
#: A data source naming a catalog table rather than files.
TABLE_PREFIX = "table:"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_views = itertools.count(1)
#: Spark's logging for a session xhsgrow starts: errors only (spark-log4j2.properties), so a
#: normal local run prints nothing but xhsgrow's own output on stderr.
LOG4J2 = Path(__file__).with_name("spark-log4j2.properties")
LOG4J2_KEY = "log4j2.configurationFile"
#: What the driver JVM prints on its own, before any logging configuration applies: Spark's
#: launcher always adds the incubating vector module, and Java announces it.
_JVM_NOISE = (b"WARNING: Using incubator modules:",)


@dataclass
class SparkEvents:
    """A Spark session with the ``ev`` temp view over the source."""

    spark: Any  # pyspark.sql.SparkSession
    shown: str  # what the user passed, for messages
    files: list[str]
    fmt: str  # "parquet" | "csv" | "jsonl" | "table"
    #: rows the CSV reader could not split into the header's columns (kept out of ``ev``)
    structural_reject_count: int = 0
    _created: bool = False  # this object started the session, so close() stops it
    _views: list[str] = field(default_factory=list)
    _persisted: list[Any] = field(default_factory=list)
    _col_types: dict[str, str] = field(default_factory=dict)
    _timezone: str = "Asia/Shanghai"  # the workspace's: naive times are read in it
    _csv_layout: tuple[list[str], str] = ([], ",")  # header and delimiter
    _csv_headers: dict[str, list[str]] = field(default_factory=dict)  # by file, if several
    _raw_for: Any = None  # (numbered) -> the raw DataFrame (see _Reader.raw)
    #: ``ev`` without its per-row reason tests (Parquet, a table), for ``well_formed``
    _ev_without_reason: str | None = None

    def close(self) -> None:
        """Drop the views this source made; stop the session only if it started it."""
        try:
            for df in self._persisted:
                df.unpersist()
            for name in self._views:
                self.spark.catalog.dropTempView(name)
        finally:
            self._persisted.clear()
            self._views.clear()
            if self._created:
                _settle(self.spark)
                self.spark.stop()

    def well_formed(self) -> None:
        """Told that a full read found no malformed row: ``ev`` over a typed source (Parquet,
        a table) is redefined without the tests that give ``reason``, as events.py's
        ``EventSource.well_formed`` does. Text was parsed once and persisted: kept as is."""
        if self._ev_without_reason:
            self.spark.sql(self._ev_without_reason).createOrReplaceTempView("ev")

    def rejected_samples(self, limit: int = SAMPLE_REJECTS) -> list[tuple[str, int | None, str]]:
        """The first rejected rows as (file, line or row, reason), in file order: a second
        read that only happens when something was rejected. CSV lines count the header; a
        table has no lines (None)."""
        from xhsgrow.tracking.dialect import SPARK

        numbered = self.fmt in ("csv", "jsonl")
        raw = self._raw_for(numbered=True)
        view = self._temp_view(raw, "rejects")
        at_cols = {"parquet": ("_row",), "table": ()}.get(self.fmt, ("_blk", "_mid"))
        at = ", ".join(at_cols) or "NULL"
        malformed, line = ("_malformed", "_line") if self.fmt == "csv" else ("FALSE", "NULL")
        blank = "NOT _blank" if self.fmt == "jsonl" else "TRUE"
        # The reason is typed_query's, as for ev and DuckDB's samples; the source texts ride
        # along for the message.
        texts = (
            f"(SELECT *, {malformed} AS malformed, {line} AS line, "
            f"{quoted_texts(self._col_types)} FROM {view} AS raw WHERE {blank}) AS raw"
        )
        carry = ("_file", *at_cols, "malformed", "line", "_t", "_a", "_r")
        query = SPARK.translate(
            f"""
            SELECT _file, {at}, reason AS code, malformed, line, _t, _a, _r
            FROM ({typed_query(self._col_types, texts, carry=carry)}) AS coded
            WHERE reason IS NOT NULL OR malformed
            """,
            timezone=self._timezone,
        )
        try:
            found = self.spark.sql(query)
            if self.fmt != "table":
                found = found.orderBy("_file", *[c.strip() for c in at.split(",")])
            rows = found.limit(limit).collect()
            lines: list[int | None] = [None] * len(rows)
            if rows and self.fmt == "parquet":
                lines = [int(row["_row"]) for row in rows]
            elif rows and numbered:
                header = 1 if self.fmt == "csv" else 0
                lines = [n + header for n in _numbers(raw, rows)]
                if self.fmt == "csv":
                    lines = self._csv_lines(rows, lines)
        finally:
            self._drop_view(view)
        return [
            (
                self._shown_file(row["_file"]),
                line,
                self._malformed(row["line"], row["_file"])
                if row["malformed"]
                else _message(row["code"], row["_t"], row["_a"], row["_r"]),
            )
            for row, line in zip(rows, lines, strict=True)
        ]

    def _csv_lines(self, rows: list[Any], records: list[int | None]) -> list[int | None]:
        """Record numbers (the header being 1; Spark keeps malformed rows as records) as the
        lines the rows start on, where blank lines or quoted line breaks come first
        (xhsgrow.data.csv_lines, as DuckDB's samples); files not on this machine keep theirs."""
        from xhsgrow.data.csv_lines import locate

        out = list(records)
        for file in {row["_file"] for row in rows}:
            local = _local_path(file) if file else None
            if local is None:
                continue
            mine = [i for i, row in enumerate(rows) if row["_file"] == file]
            wanted = [n - 1 for i in mine if (n := records[i]) is not None]
            where, _ = locate(local, wanted, [], self._csv_layout[1])
            for i in mine:
                n = records[i]
                if n is not None:
                    out[i] = where.get(n - 1, n)
        return out

    def _malformed(self, line: str | None, file: str | None = None) -> str:
        """Why the CSV reader could not split a row, in DuckDB's words where they apply."""
        header, sep = self._csv_layout
        header = self._csv_headers.get((_local_path(file) if file else None) or "", header)
        try:
            fields = next(csv.reader([line or ""], delimiter=sep, strict=True))
        except (csv.Error, StopIteration):
            return "malformed CSV row"
        if len(fields) < len(header):
            return "malformed CSV row: missing columns"
        if len(fields) > len(header):
            return "malformed CSV row: too many columns"
        return "malformed CSV row"

    def _shown_file(self, spark_path: str | None) -> str:
        """A file as the user named it (Spark reports ``file:`` URIs)."""
        if self.fmt == "table" or spark_path is None:
            return self.shown
        local = _local_path(spark_path)
        for file in self.files:
            if file == spark_path or (local and str(Path(file).resolve()) == local):
                return file
        return local or spark_path

    def _temp_view(self, df: Any, what: str) -> str:
        name = f"xhsgrow_{what}_{next(_views)}"
        df.createOrReplaceTempView(name)
        self._views.append(name)
        return name

    def _drop_view(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._views.remove(name)


def _numbers(raw: Any, rows: list[Any]) -> list[int]:
    """1-based row numbers, within their file, of rows known by (file, block, row id).

    Spark numbers no rows, but ``monotonically_increasing_id`` counts up one by one within
    a split of a file: a row's number is the rows of the file's earlier blocks plus its
    place in its own block."""
    from pyspark.sql import functions as F

    wanted = {row["_file"] for row in rows}
    blocks: dict[str, dict[int, tuple[int, int]]] = {}
    for r in (
        raw.where(F.col("_file").isin(list(wanted)))
        .groupBy("_file", "_blk")
        .agg(F.count("*").alias("n"), F.min("_mid").alias("first"))
        .collect()
    ):
        blocks.setdefault(r["_file"], {})[int(r["_blk"])] = (int(r["n"]), int(r["first"]))
    out = []
    for row in rows:
        mine = blocks[row["_file"]]
        blk, mid = int(row["_blk"]), int(row["_mid"])
        before = sum(n for start, (n, _) in mine.items() if start < blk)
        out.append(before + mid - mine[blk][1] + 1)
    return out


def _settle(spark: Any, wait: float = 5.0) -> None:
    """Cancel the jobs still running and wait (up to ``wait`` seconds) until no job, stage
    or task runs: tasks can outlive the query that started them (a job the result no longer
    needed), and stopping the session under them printed executor errors and Java stack
    traces after a run that had succeeded (about one local run in two over CSV files of two
    headers). Spark Connect sessions (no local context) are left as they are."""
    import time

    try:
        sc = spark.sparkContext  # (Spark Connect has none: it raises)
        if sc._jsc is None:
            return
        sc.cancelAllJobs()
        tracker = sc._jsc.sc().statusTracker()  # (the JVM's: it counts running tasks too)

        def busy() -> bool:
            if tracker.getActiveJobIds() or tracker.getActiveStageIds():
                return True
            return any(e.numRunningTasks() for e in tracker.getExecutorInfos())

        end = time.monotonic() + wait
        while busy() and time.monotonic() < end:
            time.sleep(0.02)
    except Exception:  # (Spark Connect, or a context already stopped: nothing to settle)
        return


def _local_path(spark_path: str) -> str | None:
    """The local path of a ``file:`` URI as Spark writes it, else None."""
    from urllib.parse import unquote, urlparse

    parts = urlparse(spark_path)
    return unquote(parts.path) if parts.scheme == "file" else None


# --- the session ---------------------------------------------------------------------------


def spark_session(settings: Any = None) -> Any:
    """The SparkSession ``[data.spark]`` describes (an existing one is reused)."""
    return _start(settings)[0]


def _start(settings: Any) -> tuple[Any, bool]:
    """(session, whether this call created it)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    conf = getattr(getattr(settings, "data", None), "spark", None)
    master = getattr(conf, "master", None)
    remote = getattr(conf, "remote", None)
    if master and remote:
        raise UsageError(
            "xhsgrow.toml [data.spark]: set master or remote (Spark Connect), not both"
        )
    # PySpark's own convention: SPARK_REMOTE in the environment is a Spark Connect URL.
    env_remote = os.environ.get("SPARK_REMOTE")
    if master and env_remote:
        raise UsageError(
            f"xhsgrow.toml [data.spark] master = '{master}', but SPARK_REMOTE "
            f"({_shown_url(env_remote)}) asks for Spark Connect: unset one"
        )
    remote = remote or env_remote
    # PySpark's legacy MASTER variable names a master too, and PySpark refuses it next to
    # Spark Connect (with a traceback, before any session exists).
    env_master = os.environ.get("MASTER")
    if remote and env_master:
        asked = "[data.spark] remote" if getattr(conf, "remote", None) else "SPARK_REMOTE"
        raise UsageError(
            f"--engine spark: {asked} ({_shown_url(remote)}) asks for Spark Connect, but the "
            f"MASTER environment variable names a master ('{env_master}'): unset MASTER"
        )
    extra: dict[str, str] = dict(getattr(conf, "conf", None) or {})
    app_name = getattr(conf, "app_name", None) or "xhsgrow"
    builder = SparkSession.builder.appName(app_name)
    if remote:
        builder = builder.remote(remote)
    else:
        master = master or "local[*]"
        builder = builder.master(master)
        extra.setdefault("spark.ui.enabled", "false")
        extra.setdefault("spark.ui.showConsoleProgress", "false")
        java = extra.get("spark.driver.extraJavaOptions", "")
        if LOG4J2_KEY not in java:  # a user's own logging configuration wins
            ours = f"-D{LOG4J2_KEY}={LOG4J2.as_uri()}"
            extra["spark.driver.extraJavaOptions"] = f"{ours} {java}".strip()
        cores = _local_cores(master)
        if cores is not None:
            # Spark's default of 200 shuffle partitions is sized for a cluster: on one
            # machine each is a task of its own for aggregates of a few MB (a third of the
            # CPU of a run on 300k events). A few per core, unless the user says otherwise.
            extra.setdefault("spark.sql.shuffle.partitions", str(2 * cores))
    # Nothing xhsgrow computes depends on the session timezone; UTC keeps it that way for
    # whatever a user's own conf might add.
    extra["spark.sql.session.timeZone"] = "UTC"
    for key, value in extra.items():
        builder = builder.config(key, value)
    before = _existing(SparkSession)
    try:
        with warnings.catch_warnings():
            # PySpark checks the pandas version while the context starts; xhsgrow does not
            # use pandas on Spark, so its FutureWarning about pandas 3 is not the user's.
            warnings.filterwarnings("ignore", "PySpark does not yet", FutureWarning)
            # A Spark Connect call out of retries warns before it raises: the error below
            # says it.
            warnings.filterwarnings("ignore", r"\[RETRIES_EXCEEDED\]")
            if remote:
                return _connect(SparkSession, remote, builder, before)
            if before is None:
                _start_driver(master or "local[*]", app_name, extra)
            spark = builder.getOrCreate()
    except ImportError as exc:  # Spark Connect's own dependencies
        raise UsageError(
            f"--engine spark: {exc}",
            hint="pip install 'xhsgrow[spark]' (it includes the Spark Connect client)",
        ) from None
    except UsageError:
        raise
    except Exception as exc:
        where = f"Spark Connect at {_shown_url(remote)}" if remote else "Spark"
        raise UsageError(
            f"--engine spark: could not start {where}: {_first_line(exc)}",
            hint=None if remote else "Spark needs Java 17+ (set JAVA_HOME or put java on PATH)",
        ) from None
    return spark, spark is not before


def _connect(session_class: Any, remote: str, builder: Any, before: Any) -> tuple[Any, bool]:
    """A Spark Connect session, known to reach its server.

    The client connects on its first call and retries an unreachable server for ten minutes
    (then again when the process exits). So the session is first made without options (no
    call yet), asked for the server's version with a few seconds of retries, and only then
    given the settings."""
    from pyspark.sql.connect.client.retries import DefaultPolicy

    spark = session_class.builder.remote(remote).getOrCreate()
    client = spark.client
    policies = client.get_retry_policies()
    client.set_retry_policies([DefaultPolicy(max_retries=4, max_backoff=2000)])
    try:
        spark.version  # noqa: B018 - a call to the server
    except Exception as exc:
        if spark is not before:  # closed now, or the exit would retry for ten minutes
            client.set_retry_policies([DefaultPolicy(max_retries=0)])
            spark.stop()
        raise UsageError(
            f"--engine spark: could not reach Spark Connect at {_shown_url(remote)}: "
            f"{_grpc_reason(exc)}"
        ) from None
    client.set_retry_policies(policies)
    return builder.getOrCreate(), spark is not before


def _shown_url(remote: str) -> str:
    """A Spark Connect URL for messages, without its token."""
    return re.sub(r"(;token=)[^;]*", r"\1***", remote, flags=re.IGNORECASE)


def _grpc_reason(exc: BaseException) -> str:
    """Why a gRPC call failed: its details (the text's first line is only its class)."""
    found = re.search(r'details = "([^"\n]*)"', str(exc))
    return found.group(1) if found else _first_line(exc)


def _local_cores(master: str) -> int | None:
    """The cores of a ``local``, ``local[N]``, ``local[*]`` or ``local[N,F]`` master, else
    None (a cluster sizes its own shuffles)."""
    found = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?", master.strip())
    if found is None:
        return None
    if found.group(1) in (None, "*"):
        return 1 if found.group(1) is None else os.cpu_count() or 1
    return max(int(found.group(1)), 1)


def _start_driver(master: str, app_name: str, extra: dict[str, str]) -> None:
    """Start the driver JVM (when none runs in this process yet) with its stderr read through
    a filter: what the JVM prints before its logging is configured, whatever that
    configuration, is not the user's business (``_JVM_NOISE``); everything else, errors
    included, goes on to stderr. The SparkContext made here is the one ``getOrCreate`` of
    the session builder then picks up."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return  # a JVM already runs (or is someone else's): nothing to launch
    conf = SparkConf().setMaster(master).setAppName(app_name).setAll(list(extra.items()))
    read, write = os.pipe()
    threading.Thread(
        target=_forward, args=(read,), name="xhsgrow-spark-stderr", daemon=True
    ).start()
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stderr": write})
    finally:
        os.close(write)  # the JVM holds its own copy; the reader ends when the JVM does
    SparkContext(conf=conf, gateway=gateway)


def _forward(read: int) -> None:
    """Copy the driver JVM's stderr to ours, line by line, without ``_JVM_NOISE``."""
    with os.fdopen(read, "rb") as lines:
        for line in lines:
            if line.startswith(_JVM_NOISE):
                continue
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(2, view) :]
            except OSError:  # stderr closed: nowhere to say it
                continue


def _existing(session_class: Any) -> Any:
    active = session_class.getActiveSession()
    return active if active is not None else getattr(session_class, "_instantiatedSession", None)


# --- reading -------------------------------------------------------------------------------


def open_spark_events(data: str, settings: Any = None) -> SparkEvents:
    """Read ``data`` on Spark and register the ``ev`` view over it (see the module docstring)."""
    data_settings = getattr(settings, "data", None)
    fmt_setting = getattr(data_settings, "format", "auto") or "auto"
    mapping: dict[str, str] = dict(getattr(data_settings, "columns", {}) or {})
    # Resolve before Spark starts: a mistyped path is reported without starting a JVM.
    base: str | None = None
    if data.startswith(TABLE_PREFIX):
        table = data.removeprefix(TABLE_PREFIX).strip()
        if not table:
            raise UsageError(f"--data {data}: name a table after '{TABLE_PREFIX}'")
        files, fmt, paths = [table], "table", [table]
    elif _URI.match(data) and not data.startswith("file:"):
        files, fmt, paths = [data], _uri_format(data, fmt_setting), [data]
    else:
        files, fmt, _ = resolve(_local_path(data) or data, fmt_setting)
        if fmt == "csv":
            refuse_repeated_columns(files, mapping, data, None)
        local = [str(Path(f).resolve()) for f in files]
        paths = ["file://" + f for f in local]
        base = _hive_base(local)
    if fmt not in ("table", "parquet", "csv", "jsonl"):
        raise UsageError(f"unknown data format '{fmt}' (csv, parquet, jsonl)")
    spark, created = _start(settings)
    src = SparkEvents(spark=spark, shown=data, files=files, fmt=fmt, _created=created)
    try:
        _define_ev(src, _Reader(spark, fmt, paths, base, data), mapping, settings)
    except BaseException:
        src.close()
        raise
    return src


def _define_ev(src: SparkEvents, read: _Reader, mapping: dict[str, str], settings: Any) -> None:
    from pyspark.errors import PySparkException

    from xhsgrow.tracking.dialect import SPARK, fixed_offset_us

    spark, fmt, data = src.spark, src.fmt, src.shown
    try:
        types = read.columns()
        picked: dict[str, str | None] = {}
        col_types: dict[str, str] = {}
        for col in COLUMNS:
            wanted = mapping.get(col, col)
            actual = find_column(wanted, types)
            if actual is None and fmt == "jsonl" and col not in REQUIRED:
                actual = wanted  # (as on DuckDB: a key first seen after the first lines)
                types = {**types, wanted: "VARCHAR"}
            if actual is None and col in REQUIRED:
                mapped = f" (mapped to '{wanted}')" if col in mapping else ""
                raise UsageError(
                    f"--data {data}: no column '{wanted}' for {col}{mapped}; "
                    f"columns are: {', '.join(types) or '(none)'}",
                    hint="map your column names under [data.columns] in xhsgrow.toml",
                )
            picked[col] = actual
            if fmt == "jsonl" and actual is not None:
                read.spellings[col] = key_spellings(wanted, actual, types)
            col_types[col] = "NULL" if actual is None else types[actual]
        tz = getattr(settings, "timezone", "Asia/Shanghai")
        off = fixed_offset_us(tz)
        col_types[OFFSET_KEY] = "" if off is None else str(off)
        src._col_types = col_types
        src._timezone = tz
        src._csv_layout = (read.header, read.sep)
        src._csv_headers = read.headers
        src._raw_for = lambda numbered=False: read.raw(picked, numbered=numbered)

        raw = read.raw(picked)
        if fmt == "jsonl":
            raw = raw.where("NOT _blank")
        view = src._temp_view(raw, "raw")
        carry = ("_malformed",) if fmt == "csv" else ()
        plain = fmt in ("parquet", "table")
        tidy: tuple[str, ...] = ()
        if plain:
            # (as on DuckDB: a text column with untrimmed or blank values is typed, not plain)
            cols, untidy = untidy_text_query(col_types, f"{view} AS raw")
            if cols:
                found = spark.sql(SPARK.translate(untidy, timezone=tz)).collect()[0]
                tidy = tuple(c for c, bad in zip(cols, found, strict=True) if not bad)

        def typed(reason: bool) -> str:
            query = typed_query(
                col_types,
                f"{view} AS raw",
                plain=plain,
                pushdown=tidy,
                carry=carry,
                reason=reason,
            )
            return SPARK.translate(query, timezone=tz)

        ev = spark.sql(typed(reason=True))
        if plain:
            src._ev_without_reason = typed(reason=False)
        if fmt in ("csv", "jsonl"):
            # Parsed once, here, like DuckDB's staged Parquet: the metric queries read ev
            # several times and should not parse text again.
            ev = ev.persist()
            src._persisted.append(ev)
            if fmt == "csv":
                from pyspark.sql import functions as F

                bad = ev.agg(F.count(F.when(F.col("_malformed"), 1))).collect()[0][0]
                src.structural_reject_count = int(bad)
                ev = ev.where("NOT _malformed").drop("_malformed")
            else:
                ev.count()
        ev.createOrReplaceTempView("ev")
        src._views.append("ev")
    except (PySparkException, *_java_errors()) as exc:
        why = _first_line(exc)
        hint = None
        if "CANNOT_MERGE_SCHEMAS" in why:
            why = "the files disagree on a column's type"
            hint = (
                "Spark reads a glob of Parquet files only when each column has one type in "
                "all of them (ids as integers in one file and as text in another); DuckDB "
                "reads them by name: --engine duckdb"
            )
        raise UsageError(f"--data {data}: cannot read {fmt}: {why}", hint=hint) from None


class _Reader:
    """Spark DataFrames over the source, with the raw columns events.py's SQL expects: the
    contract's names (NULL when absent) and ``_bad`` (JSON Lines: not an object); then
    ``_malformed`` (CSV: not splittable into the header's columns), ``_blank`` (JSON Lines:
    an empty line) and, to locate rejected rows, ``_file`` with ``_row`` (Parquet: 1-based
    row) or ``_blk`` and ``_mid`` (text: the file block and a row id counting up in it)."""

    def __init__(
        self, spark: Any, fmt: str, paths: list[str], base: str | None, shown: str
    ) -> None:
        self.spark, self.fmt, self.paths, self.base, self.shown = spark, fmt, paths, base, shown
        self.header: list[str] = []
        self.sep = ","
        # CSV files of several headers: (paths, header) per group, and each path's header
        self.groups: list[tuple[list[str], list[str]]] = []
        self.headers: dict[str, list[str]] = {}
        # JSON Lines: every spelling of each column's key (key_spellings), by column
        self.spellings: dict[str, list[str]] = {}

    def _reader(self) -> Any:
        reader = self.spark.read
        if self.base:
            reader = reader.option("basePath", "file://" + self.base)
        return reader

    def _source(self) -> Any:
        """The source as Spark reads it: typed columns, CSV columns as text, or lines."""
        from pyspark.errors import AnalysisException

        if self.fmt == "table":
            try:
                table = self.spark.table(self.paths[0])
                table.schema  # noqa: B018 - Spark Connect looks the table up only when asked
                return table
            except AnalysisException:
                raise UsageError(
                    f"--data {self.shown}: no table '{self.paths[0]}' in the Spark catalog"
                ) from None
        if self.fmt == "parquet":
            # Files that disagree on columns are read by name (DuckDB: union_by_name).
            return self._reader().option("mergeSchema", "true").parquet(*self.paths)
        if self.fmt == "csv":
            return self._csv()
        return self._reader().text(self.paths)

    def columns(self) -> dict[str, str]:
        """Column name -> DuckDB type name, as DuckDB would describe the source."""
        if self.fmt == "csv":
            self._sniff()
        if self.fmt != "jsonl":
            fields = self._source().schema.fields
            return {f.name: _duck_type(f.dataType) for f in fields if f.name != "_corrupt"}
        # The keys of the first 10,000 objects, as DuckDB's reader looks at them.
        lines = f"xhsgrow_lines_{next(_views)}"
        self._source().createOrReplaceTempView(lines)
        try:
            keys = self.spark.sql(
                "SELECT DISTINCT k FROM (SELECT explode(json_object_keys(value)) AS k FROM "
                f"(SELECT value FROM {lines} WHERE json_object_keys(value) IS NOT NULL "
                "LIMIT 10000) AS head) AS ks"
            ).collect()
        finally:
            self.spark.catalog.dropTempView(lines)
        if not keys:
            raise UsageError(
                f"--data {self.shown}: no line is a JSON object",
                hint='JSON Lines holds one object per line: {"event_time": ..., "event": ...}',
            )
        return {str(k): "VARCHAR" for (k,) in keys}

    def _sniff(self) -> None:
        """The header and delimiter, from the first line (DuckDB sniffs them too); with
        files of several headers (``csv_groups``, files on this machine), each group's."""
        first = self._reader().text(self.paths[0]).limit(1).collect()
        if not first:
            raise UsageError(f"--data {self.shown}: cannot read csv: no header line")
        line = str(first[0][0]).removeprefix("\ufeff")
        self.sep = header_separator(line)
        self.header = _unique(next(csv.reader([line], delimiter=self.sep)))
        by_local = {_local_path(p) or p: p for p in self.paths}
        groups = csv_groups(list(by_local)) if len(self.paths) > 1 else [list(by_local)]
        if len(groups) < 2:
            return
        self.groups = []
        names: dict[str, str] = {}
        for group in groups:
            header = _unique(csv_header(group[0], self.sep) or self.header)
            self.groups.append(([by_local[f] for f in group], header))
            for name in header:
                names.setdefault(name.lower(), name)
            for f in group:
                self.headers[f] = header  # (by local path: Spark spells file URIs its way)
        self.header = list(names.values())

    def _csv(self) -> Any:
        """Every column as text, by the header's names (hive partition columns follow);
        files of several headers are read a header at a time and put together by name, as
        DuckDB's reader does (one read takes the first file's columns, by position)."""
        groups = self.groups or [(self.paths, self.header)]
        frames = [self._csv_read(paths, header) for paths, header in groups]
        out = frames[0]
        for frame in frames[1:]:
            out = out.unionByName(frame, allowMissingColumns=True)
        return out

    def _csv_read(self, paths: list[str], header: list[str]) -> Any:
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType(
            [StructField(name, StringType()) for name in header]
            + [StructField("_corrupt", StringType())]
        )
        return (
            self._reader()
            .schema(schema)
            .option("header", "true")
            .option("sep", self.sep)
            .option("quote", '"')
            .option("escape", '"')  # RFC 4180: "" inside quotes, as DuckDB reads it
            .option("multiLine", "true")  # quoted newlines, as DuckDB reads them
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "_corrupt")
            .csv(paths)
        )

    def raw(self, picked: dict[str, str | None], numbered: bool = False) -> Any:
        """The raw columns (see the class docstring); ``numbered`` adds the locating ones."""
        from pyspark.sql import functions as F

        df = self._source()
        locating: dict[str, Any] = {}
        if numbered:
            path = F.lit(None) if self.fmt == "table" else F.col("_metadata.file_path")
            locating["_file"] = path.cast("string")
            if self.fmt == "parquet":
                locating["_row"] = F.col("_metadata.row_index") + 1
            elif self.fmt != "table":
                locating["_blk"] = F.col("_metadata.file_block_start")
                locating["_mid"] = F.monotonically_increasing_id()
        where = [expr.alias(name) for name, expr in locating.items()]
        if self.fmt == "jsonl":
            # every spelling of each key read (key_spellings), the first an object holds
            spelt = {c: self.spellings.get(c, [n]) for c, n in picked.items() if n is not None}
            keys = list(dict.fromkeys(k for names in spelt.values() for k in names))
            lines = df.select(
                "value",
                (F.trim("value", F.lit(WHITESPACE)) == "").alias("_blank"),
                F.json_object_keys("value").isNull().alias("_bad"),
                *where,
            )
            lines = lines.select(
                "*", F.json_tuple("value", *keys).alias(*[f"_k{i}" for i in range(len(keys))])
            )
            value = {
                c: F.coalesce(*[F.col(f"_k{keys.index(k)}") for k in names])
                if len(names) > 1
                else F.col(f"_k{keys.index(names[0])}")
                for c, names in spelt.items()
            }
            cols = [value[col].alias(col) if name else _null(col) for col, name in picked.items()]
            return lines.select(*cols, "_bad", "_blank", *locating)
        cols = [_ref(name).alias(col) if name else _null(col) for col, name in picked.items()]
        more = [F.lit(False).alias("_bad")]
        if self.fmt == "csv":
            more.append(F.col("_corrupt").isNotNull().alias("_malformed"))
            if numbered:
                more.append(F.col("_corrupt").alias("_line"))
        return df.select(*cols, *more, *where)


def _unique(header: list[str]) -> list[str]:
    """The header's names, a repeated one (in any case, as Spark compares them) renamed
    ``name_1``, ``name_2``... as DuckDB's reader does: Spark refuses a schema that names a
    column twice, and a repeated column the contract does not read is no reason to refuse a
    file (a repeated contract column is refused before: refuse_repeated_columns)."""
    taken = {name.lower() for name in header}
    seen: set[str] = set()
    out = []
    for name in header:
        if name.lower() in seen:
            n = 1
            while f"{name}_{n}".lower() in taken:
                n += 1
            name = f"{name}_{n}"
            taken.add(name.lower())
        seen.add(name.lower())
        out.append(name)
    return out


def _ref(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _null(col: str) -> Any:
    from pyspark.sql import functions as F

    return F.lit(None).cast("string").alias(col)


def _uri_format(uri: str, fmt_setting: str) -> str:
    if fmt_setting != "auto":
        return fmt_setting
    fmt = _format_of(Path(uri.rstrip("/").rsplit("/", 1)[-1]))
    if fmt is None:
        raise UsageError(
            f"--data {uri}: cannot tell the format from the name",
            hint="set [data] format in xhsgrow.toml (parquet, csv or jsonl)",
        )
    return fmt


def _hive_base(files: list[str]) -> str | None:
    """The folder above the ``key=value`` folders the files sit in, if any (the base path
    Spark needs to read them as partition columns, as DuckDB does)."""
    if not files:
        return None
    base = Path(os.path.commonpath([str(Path(f).parent) for f in files]))
    while "=" in base.name:
        base = base.parent
    if any("=" in part for f in files for part in Path(f).relative_to(base).parts[:-1]):
        return str(base)
    return None


def _duck_type(kind: Any) -> str:
    """The DuckDB name of a Spark type, as events.py's typing expects it."""
    from pyspark.sql import types as T

    if isinstance(kind, T.DecimalType):
        return f"DECIMAL({kind.precision},{kind.scale})"
    names = {
        T.StringType: "VARCHAR",
        T.VarcharType: "VARCHAR",
        T.CharType: "VARCHAR",
        T.LongType: "BIGINT",
        T.IntegerType: "INTEGER",
        T.ShortType: "SMALLINT",
        T.ByteType: "TINYINT",
        T.DoubleType: "DOUBLE",
        T.FloatType: "FLOAT",
        T.BooleanType: "BOOLEAN",
        T.BinaryType: "BLOB",
        T.TimestampType: "TIMESTAMP WITH TIME ZONE",
        T.TimestampNTZType: "TIMESTAMP",
        T.DateType: "DATE",
    }
    for cls, name in names.items():
        if isinstance(kind, cls):
            return name
    return kind.simpleString().upper()


def _java_errors() -> tuple[type[BaseException], ...]:
    """The JVM's errors as py4j raises them (absent with a Spark Connect-only client)."""
    try:
        from py4j.protocol import Py4JJavaError
    except ImportError:  # pragma: no cover - pyspark-client without py4j
        return ()
    return (Py4JJavaError,)


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # py4j: the JVM's message, not the call's
    text = str(java.getMessage() if java is not None else exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]
