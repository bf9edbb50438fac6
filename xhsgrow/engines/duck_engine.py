"""The embedded engine: DuckDB, over xhsgrow.data.events' ``ev`` view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from xhsgrow.engines import Column, SourceEngine, query_failed
from xhsgrow.tracking.dialect import DUCKDB, Dialect, lit

#: Rows per INSERT statement when loading rows from Python (one statement with literal
#: VALUES is ~100 times as fast as executemany for the few hundred rows of a gala).
_CHUNK = 500


class DuckEngine(SourceEngine):
    """An ``Engine`` over an open ``EventSource`` (xhsgrow.data.events)."""

    name = "duckdb"
    dialect: Dialect = DUCKDB

    def __init__(self, source: Any) -> None:
        super().__init__(source)
        self.con = source.con
        self._views: set[str] = set()

    def _run(self, sql: str) -> Any:
        import duckdb

        try:
            return self.con.execute(sql)
        except duckdb.Error as exc:
            raise query_failed(self.shown, exc) from None

    def create_table(self, name: str, select: str) -> None:
        # (the statements start on a new line: the text DuckDB sees stays as it was)
        sep = "" if select[:1].isspace() else " "
        self._run(f"CREATE TEMP TABLE {name} AS{sep}{select}")

    def create_rows(
        self, name: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
    ) -> None:
        cols = ", ".join(f"{c} {self.dialect.type_name(t)}" for c, t in columns)
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
        for i in range(0, len(rows), _CHUNK):
            values = ", ".join(
                "(" + ", ".join(lit(v) for v in row) + ")" for row in rows[i : i + _CHUNK]
            )
            self._run(f"INSERT INTO {name} VALUES {values}")

    def drop(self, name: str) -> None:
        if name in self._views:
            self._views.discard(name)
            self._run(f"DROP VIEW {name}")
        else:
            self._run(f"DROP TABLE {name}")

    def keyed_rows(self, name: str, keys: str, key: Callable[[str, str], str]) -> None:
        import duckdb

        try:
            self.source.keyed_view(name, keys, key)
        except duckdb.Error as exc:
            raise query_failed(self.shown, exc) from None
        self._views.add(name)

    def repeated_keys(self, name: str, key: str) -> None:
        """The keys are fetched as one NumPy array and sorted there, and the repeated ones
        (equal to their neighbour) go back as a table: NumPy's vectorised sort of 4-byte
        keys takes a tenth of the time of DuckDB's window sort over them, which runs on one
        thread (over the 10M demo events: 0.13-0.19 s from query to table, against 0.29 s). No
        event becomes a Python object: a key is 4 bytes of one array, 40 MB for 10M rows."""
        import duckdb
        import numpy as np

        try:
            keys = self._run(f"SELECT {key} AS k FROM ev").fetchnumpy()["k"]
        except duckdb.Error as exc:
            raise query_failed(self.shown, exc) from None
        if getattr(keys, "mask", None) is not None:  # (np.ma: 5 ms to import, unless used)
            keys = keys.compressed()  # a NULL key is never equal to another
        keys.sort()
        repeated = keys[1:][keys[1:] == keys[:-1]]
        # (sorted: a key in three rows appears twice, side by side)
        once = repeated[np.r_[True, repeated[1:] != repeated[:-1]]] if repeated.size else repeated
        found = f"_{name}_found"
        self.con.register(found, {"k": once})
        try:
            self._run(f"CREATE TEMP TABLE {name} AS SELECT k FROM {found}")
        finally:
            self.con.unregister(found)

    def query(self, select: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._run(select).fetchall()]

    def close(self) -> None:
        self.source.close()
