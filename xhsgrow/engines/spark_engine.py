"""Apache Spark as the engine: the same statements, translated, on a Spark session.

The events are xhsgrow.data.spark_events' ``ev`` temp view. A table made by
``create_table`` is a DataFrame computed once (``localCheckpoint``: its rows are kept on the
executors and its lineage cut) and registered as a temp view: Spark's own ``CREATE VIEW``
is lazy, so every later reader would recompute it, and dropping a view would break the
views built on it. Only the small results of ``query`` ever reach the driver.

The statements read ``ev`` about ten times. Parquet and tables are not kept by the reader
(text is, once parsed), so the engine caches ``ev`` itself (memory, then local disk): the
first statement, which reads every row anyway, computes the typing and ``reason`` once and
the others read the typed rows (about a fifth less time on 10M events on one machine;
the same figures).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from xhsgrow.engines import Column, SourceEngine, query_failed
from xhsgrow.tracking.dialect import SPARK, Dialect


def _plain(value: Any) -> Any:
    """Spark returns DECIMAL as Decimal: an int when whole, a float otherwise."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("pyspark", "py4j", "grpc"))


class SparkEngine(SourceEngine):
    """An ``Engine`` over an open ``SparkEvents`` (xhsgrow.data.spark_events)."""

    name = "spark"
    dialect: Dialect = SPARK

    def __init__(self, source: Any) -> None:
        super().__init__(source)
        self.spark = source.spark
        self._tables: dict[str, Any] = {}
        self._cached = False
        if getattr(source, "fmt", None) in ("parquet", "table"):
            self._cache_events()

    @contextmanager
    def _failing_as_usage(self) -> Iterator[None]:
        """Spark, Py4J and gRPC errors become the one-line ``query failed`` UsageError;
        anything else (a bug of ours) stays a traceback."""
        try:
            yield
        except Exception as exc:
            if _is_spark_error(exc):
                raise query_failed(self.shown, exc) from None
            raise

    def _cache_events(self) -> None:
        """Cache ``ev`` lazily: the first statement that reads it fills the cache."""
        from pyspark import StorageLevel

        with self._failing_as_usage():
            self.spark.catalog.cacheTable("ev", StorageLevel.MEMORY_AND_DISK)
        self._cached = True

    def _df(self, select: str) -> Any:
        with self._failing_as_usage():
            return self.spark.sql(self.dialect.translate(select))

    def _register(self, name: str, df: Any) -> None:
        df.createOrReplaceTempView(name)
        self._tables[name] = df

    def create_table(self, name: str, select: str) -> None:
        df = self._df(select)
        with self._failing_as_usage():
            self._register(name, df.localCheckpoint(eager=True))

    def create_rows(
        self, name: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
    ) -> None:
        schema = ", ".join(f"{c} {self.dialect.type_name(t)}" for c, t in columns)
        with self._failing_as_usage():
            df = self.spark.createDataFrame([tuple(r) for r in rows], schema)
        self._register(name, df)

    def drop(self, name: str) -> None:
        self._tables.pop(name, None)
        self.spark.catalog.dropTempView(name)

    def repeated_keys(self, name: str, key: str) -> None:
        # A GROUP BY, which the cluster partitions (a global sort would be one partition).
        self.create_table(name, self.dialect.repeated_keys(key, "ev"))

    def keyed_rows(self, name: str, keys: str, key: Callable[[str, str], str]) -> None:
        self.create_table(
            name, f"SELECT * FROM ev WHERE {self.dialect.key_in(key('ts', 'user_id'), keys)}"
        )

    def query(self, select: str) -> list[tuple[Any, ...]]:
        df = self._df(select)
        with self._failing_as_usage():
            rows = df.collect()
        return [tuple(_plain(v) for v in row) for row in rows]

    def close(self) -> None:
        try:
            for name in list(self._tables):
                self.drop(name)
            if self._cached:
                self._cached = False
                self.spark.catalog.uncacheTable("ev")
        finally:
            self.source.close()
