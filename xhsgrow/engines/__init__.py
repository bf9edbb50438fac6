"""The engines tracking runs its SQL on, behind one small interface (docs/engines.md).

An engine adapter holds an open connection to an engine whose session has the ``ev`` view
(the typed events, see xhsgrow.data.events), and does five things with SQL written in
DuckDB's dialect (xhsgrow.tracking.sql) after translating it (``dialect.translate``):
materialise a query as a named temporary table, load a few rows from Python, drop a table,
run a query whose (small) result comes back as plain Python values, and describe the first
rejected rows. The aggregation (xhsgrow.tracking.aggregate) only ever talks to this
interface, so a new engine (Trino, ClickHouse, BigQuery...) is a dialect plus an adapter.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from xhsgrow.errors import UsageError
from xhsgrow.tracking.dialect import Dialect

ENGINES: tuple[str, ...] = ("duckdb", "spark")
SPARK_INSTALL = "--engine spark needs PySpark: pip install 'xhsgrow[spark]' (and Java 17+)"
TABLE_PREFIX = "table:"

#: A column of a table loaded from Python: (name, DuckDB type name).
Column = tuple[str, str]
#: A rejected row described for data_quality: (file, 1-based line or row or None, reason).
RejectedSample = tuple[str, int | None, str]


class Engine(Protocol):
    """What the aggregation needs of an engine. Statements are DuckDB SQL; the adapter
    translates them with ``dialect.translate``. Every method raises
    ``xhsgrow.errors.UsageError`` (one line, naming ``shown``) when the engine fails."""

    #: The engine's name ("duckdb", "spark").
    name: str
    #: The engine's spellings of the engine-specific parts of the statements.
    dialect: Dialect
    #: The data source as the user named it, for messages.
    shown: str
    #: Rows the reader itself could not split into columns: counted as rejected, and not
    #: in ``ev``.
    structural_reject_count: int

    def create_table(self, name: str, select: str) -> None:
        """Run ``select`` once and keep its rows as the temporary table ``name``, read by
        later statements (replacing a table of that name)."""

    def create_rows(
        self, name: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
    ) -> None:
        """A temporary table ``name`` with ``columns`` and the (few) ``rows`` given:
        str, int, float, datetime.date or None values."""

    def drop(self, name: str) -> None:
        """Drop the temporary table ``name`` (its memory serves the later statements)."""

    def repeated_keys(self, name: str, key: str) -> None:
        """The temporary table ``name`` of one column ``k``: each value of ``key`` (an
        expression over ``ev``'s columns) that occurs in more than one row of ``ev``, once."""

    def keyed_rows(self, name: str, keys: str, key: Callable[[str, str], str]) -> None:
        """``name`` (a temporary view or table, dropped with ``drop``): the rows of ``ev``
        whose ``key(ts, user_id)`` (the SQL of a key over the two expressions given) is a
        value ``k`` of the table ``keys``. An adapter may apply the filter to the source rows
        before typing them."""

    def query(self, select: str) -> list[tuple[Any, ...]]:
        """The rows of ``select`` as tuples of plain values: int, float, str, bool,
        datetime.date or None (never Decimal). Only aggregates are ever queried."""

    def rejected_samples(self, limit: int = 5) -> list[RejectedSample]:
        """The first ``limit`` rejected rows of the source, in file order."""

    def well_formed(self) -> None:
        """Told, after a full read, that no row of ``ev`` is rejected: the engine may stop
        testing rows for a reason (every ``reason`` is NULL from then on)."""

    def close(self) -> None:
        """Release the engine's resources (temporary tables, files, sessions it started)."""


class SourceEngine:
    """What every adapter takes from its open event source (``EventSource`` or
    ``SparkEvents``): the name shown in messages, the structural rejects and the rejected
    samples. Adapters add the SQL methods."""

    def __init__(self, source: Any) -> None:
        self.source = source

    @property
    def shown(self) -> str:
        return str(self.source.shown)

    @property
    def structural_reject_count(self) -> int:
        return int(self.source.structural_reject_count)

    def rejected_samples(self, limit: int = 5) -> list[RejectedSample]:
        return list(self.source.rejected_samples(limit))

    def well_formed(self) -> None:
        self.source.well_formed()


#: A URI with a scheme (s3a://, gs://, hdfs://...): not a local path. (http(s) URLs serve
#: daily aggregates and never reach an engine: xhsgrow.data.http_source.)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_engine(name: str, data: str, settings: Any = None) -> Engine:
    """Open the events ``data`` (a path, glob, folder, URI or ``table:NAME``) on the engine
    ``name`` configured by the workspace ``settings``."""
    if name == "duckdb":
        what = None
        if data.startswith(TABLE_PREFIX):
            what = "catalog tables"
        elif _URI.match(data):
            what = "object-store URIs"
        if what:
            raise UsageError(
                f"--data {data}: {what} are read by the Spark engine only",
                hint='pass --engine spark, or set [data] engine = "spark" in xhsgrow.toml',
            )
        from xhsgrow.data.events import open_events
        from xhsgrow.engines.duck_engine import DuckEngine

        return DuckEngine(open_events(data, settings))
    if name == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise UsageError(SPARK_INSTALL)
        from xhsgrow.data.spark_events import open_spark_events
        from xhsgrow.engines.spark_engine import SparkEngine

        return SparkEngine(open_spark_events(data, settings))
    raise UsageError(f"unknown engine '{name}': expected {' or '.join(ENGINES)}")


def query_failed(shown: str, exc: BaseException) -> UsageError:
    """The one-line error of a statement the engine could not run."""
    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return UsageError(f"--data {shown}: query failed: {first}")
