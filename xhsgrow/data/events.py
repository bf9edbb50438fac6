"""Reading event files (CSV, Parquet, JSON Lines) into DuckDB, in the data contract's shape.

``open_events`` resolves a file, a glob or a (hive-partitioned) folder, maps the user's column
names to the contract's (``[data.columns]`` in xhsgrow.toml) and defines one DuckDB view,
``ev``, with typed columns and a ``reason`` column that is NULL for a well-formed row and says
what is wrong otherwise. Every metric query reads that view; no event ever reaches Python.

Text formats (CSV, JSON Lines) are parsed once and staged (in memory, or as a temporary
Parquet file when too big for memory), so the metric queries never re-parse text; Parquet is
read where it lies, and ``well_formed`` drops the per-row reason tests once a full read has
found no malformed row. Timestamps without an offset are read in the workspace's
timezone (the session ``TimeZone``); an offset, when present, is honoured.
"""

from __future__ import annotations

import functools
import glob as globmod
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xhsgrow.data.contract import COLUMNS, REQUIRED, column_key, find_column, key_spellings
from xhsgrow.errors import UsageError

SUFFIXES: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_COMPRESSED = (".gz", ".zst")
#: Where the workspace timezone's fixed offset rides along with the column types.
OFFSET_KEY = "__offset_us__"
#: How many rejected rows are described (with file and line) in data_quality.
SAMPLE_REJECTS = 5


def suffix_names() -> str:
    """The event-file suffixes, by format: ".parquet/.pq, .csv/.tsv, ..." (for messages)."""
    by_format: dict[str, list[str]] = {}
    for suffix, fmt in SUFFIXES.items():
        by_format.setdefault(fmt, []).append(suffix)
    *first, last = ("/".join(names) for names in by_format.values())
    compressed = " or ".join(_COMPRESSED)
    return f"{', '.join(first)} or {last} (a text file may add {compressed})"


@dataclass
class EventSource:
    """An open DuckDB connection with the ``ev`` view over the resolved files."""

    con: Any  # duckdb.DuckDBPyConnection
    shown: str  # what the user passed, for messages
    files: list[str]
    fmt: str
    #: rows the reader itself could not split into columns (CSV only): (file, line, message)
    structural_rejects: list[tuple[str, int | None, str]] = field(default_factory=list)
    structural_reject_count: int = 0
    _tmpdir: str | None = None
    _raw_for: Any = None  # files -> the same SELECT over just those files
    _col_types: dict[str, str] = field(default_factory=dict)
    _threads: int = 1
    #: the in-memory table text was staged in (``stage_in_memory``), if it was
    _staged_table: str | None = None
    #: A typed file's ``ev`` SELECT (``typed_query`` over its source rows), given whether to
    #: test rows for a reason and a filter on the typed columns (``keyed_view``)
    _typed_select: Callable[..., str] | None = None
    #: whether ``well_formed`` has dropped the reason tests
    _reasonless: bool = False

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)

    def well_formed(self) -> None:
        """Told that a full read found no malformed row: ``ev`` over a typed file (Parquet)
        is redefined without the tests that give ``reason``, which every later read of the
        view would otherwise run on every row again (about 0.2 s of a 2.2 s run over the
        10M demo events). Text staged once keeps its reason column: nothing to save."""
        if self._typed_select:
            self._reasonless = True
            select = self._typed_select(reason=False)
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW ev AS {select}")

    def keyed_view(self, name: str, keys: str, key: Callable[[str, str], str]) -> None:
        """The view ``name``: the rows of ``ev`` whose ``key(ts, user_id)`` is a value ``k``
        of the table ``keys``. Over a typed file the source rows are filtered before they are
        typed, so that only the rows kept are trimmed and tested (not all of them, as a
        filter on ``ev`` would: 1.47 s against 1.73 s for the duplicates over the 50M demo
        events, whose 1.4M candidates are 3% of the rows)."""
        from xhsgrow.tracking.dialect import DUCKDB

        if self._typed_select:
            select = self._typed_select(
                reason=not self._reasonless,
                where=lambda x: DUCKDB.key_in(key(x["event_time"], x["user_id"]), keys),
            )
        else:
            select = f"SELECT * FROM ev WHERE {DUCKDB.key_in(key('ts', 'user_id'), keys)}"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")

    def rejected_samples(self, limit: int = SAMPLE_REJECTS) -> list[tuple[str, int | None, str]]:
        """The first rejected rows as (file, 1-based line or row, reason). Text staged in
        memory kept its rows in file order, and the text a rejected row's message quotes:
        they are read from there. Otherwise a second, narrow read, file by file, that only
        happens when something was rejected and stops at the ``limit``-th rejected row."""
        samples = list(self.structural_rejects[:limit])
        # (as many again as asked: rows the reader rejected may lie further on)
        found = self._staged_samples(limit) if self._staged_table else self._read_samples(limit)
        if self.fmt == "csv":
            samples = self._csv_lines(samples, found)
        else:
            samples += found
        samples.sort(key=lambda s: (self.files.index(s[0]) if s[0] in self.files else 0, s[1] or 0))
        return samples[:limit]

    def _csv_lines(
        self,
        structural: list[tuple[str, int | None, str]],
        found: list[tuple[str, int, str]],
    ) -> list[tuple[str, int | None, str]]:
        """The samples of CSV files numbered by the line each row starts on. ``found``
        numbers the rows the reader kept (1 = the first after the header); the reader's own
        rejects (``structure``) have its line, which does not count line breaks inside
        quoted values. Where no quote or blank line comes first, row n is on line n + 1, one
        further for each reader reject before it; otherwise csv_lines reads the file."""
        from xhsgrow.data.csv_lines import locate

        out: list[tuple[str, int | None, str]] = []
        for file in dict.fromkeys([*(s[0] for s in structural), *(f[0] for f in found)]):
            rejects = [ln for f, ln, _ in self.structural_rejects if f == file and ln]
            mine = [f for f in found if f[0] == file]
            rows, lines = locate(file, [n for _, n, _ in mine], rejects, _delimiter(self.con, file))
            out += [(f, lines.get(ln, ln) if ln else ln, w) for f, ln, w in structural if f == file]
            out += [(f, rows.get(n, n + 1), why) for f, n, why in mine]
        return out

    def _texts(self, raw: str) -> str:
        """A table expression: ``raw`` (a SELECT of the mapped source columns) with the
        texts rejected-row messages quote (``quoted_texts``)."""
        return f"(SELECT *, {quoted_texts(self._col_types)} FROM ({raw}) AS raw) AS raw"

    def _staged_samples(self, limit: int) -> list[tuple[str, int, str]]:
        """The first rejected rows of the table text was staged in (``_stage_in_memory``).
        Its rows are in file order from rowid 0: a CSV row's place in its file is its rowid
        plus one, less its file's first rowid when there are several files (``_f``); JSON
        Lines keep their line numbers in ``_row``. A row whose file was not recognised
        (``_f`` unset) sends the search back to the second read."""
        table, several = self._staged_table, len(self.files) > 1
        f = "s._f" if several else "1"
        firsts, at = "", "s.rowid + 1"
        if self.fmt == "jsonl":
            at = "s._row"
        elif several:
            firsts = (
                f"LEFT JOIN (SELECT _f, MIN(rowid) AS r0 FROM {table} GROUP BY _f) AS f USING (_f)"
            )
            at = "s.rowid - f.r0 + 1"
        rows = self.con.execute(
            f"""
            SELECT {f} AS _f, {at} AS _at, s.reason, s._q
            FROM {table} AS s {firsts}
            WHERE s.reason IS NOT NULL
            ORDER BY 1 NULLS FIRST, s.rowid
            LIMIT {limit}
            """
        ).fetchall()
        if any(not n or n > len(self.files) for n, *_ in rows):
            return self._read_samples(limit)
        # (_q is the one text the reason's message quotes: QUOTED)
        return [(self.files[n - 1], int(at), _message(code, q, q, q)) for n, at, code, q in rows]

    def _read_samples(self, limit: int) -> list[tuple[str, int, str]]:
        # Row order within a file is only kept single-threaded with insertion order on; the
        # row number is then a streaming window, and LIMIT stops the read early.
        self.con.execute("SET threads = 1")
        self.con.execute("SET preserve_insertion_order = true")
        found: list[tuple[str, int, str]] = []
        carry = ("_row", "_t", "_a", "_r")
        try:
            for file in self.files:
                if len(found) >= limit:
                    break
                texts = self._texts(self._raw_for([file]))
                # Only the cheap reason code per row; the message is written for the few
                # rows found.
                rows = self.con.execute(
                    f"""
                    SELECT coalesce(_row, _n) AS _at, reason, _t, _a, _r FROM (
                        SELECT _row, ROW_NUMBER() OVER () AS _n, reason, _t, _a, _r
                        FROM ({typed_query(self._col_types, texts, carry=carry)}) AS typed
                    ) AS numbered
                    WHERE reason IS NOT NULL
                    LIMIT {limit - len(found)}
                    """
                ).fetchall()
                found += [(file, int(at), _message(code, t, a, r)) for at, code, t, a, r in rows]
        finally:
            self.con.execute(f"SET threads = {self._threads}")
            self.con.execute("SET preserve_insertion_order = false")
        return found


def resolve(data: str, fmt_setting: str = "auto") -> tuple[list[str], str, bool]:
    """The files ``data`` names, their format and whether the folder is hive-partitioned."""
    path = Path(data).expanduser()
    hive = False
    if any(ch in data for ch in "*?["):
        files = sorted(p for p in globmod.glob(str(path), recursive=True) if os.path.isfile(p))
        if not files:
            raise UsageError(f"--data {data}: no file matches this pattern")
    elif path.is_dir():
        files = sorted(
            str(p)
            for p in path.rglob("*")
            if p.is_file() and not p.name.startswith((".", "_")) and _format_of(p) is not None
        )
        if not files:
            raise UsageError(
                f"--data {data}: no event files in this folder",
                hint=f"event files are named {suffix_names()}",
            )
        hive = any("=" in part for f in files for part in Path(f).relative_to(path).parts[:-1])
    elif path.is_file():
        files = [str(path)]
    else:
        raise UsageError(f"--data {data}: no such file or folder")
    if fmt_setting != "auto":
        return files, fmt_setting, hive
    formats = {_format_of(Path(f)) for f in files}
    if None in formats:
        odd = next(f for f in files if _format_of(Path(f)) is None)
        raise UsageError(
            f"--data {data}: cannot tell the format of {odd}",
            hint=f"name files {suffix_names()}, or set [data] format in xhsgrow.toml",
        )
    if len(formats) > 1:
        raise UsageError(
            f"--data {data}: mixes formats ({', '.join(sorted(str(f) for f in formats))}); "
            "point it at one format"
        )
    return files, str(formats.pop()), hive


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for comp in _COMPRESSED:
        name = name.removesuffix(comp)
    return SUFFIXES.get(Path(name).suffix)


#: Id columns that text ids are staged as integers for, when every id is a plain integer.
ID_COLUMNS = ("user_id", "referrer_id")


def _plain_integer(x: str) -> str:
    """Text ``x`` (trimmed) as a BIGINT when it is an integer written plainly, so that the
    number written back is the same text ('42', '-7'; not '042', '+42', '4.2e1', '0x2A',
    '-0' or a number beyond 64 bits); else NULL."""
    n = f"TRY_CAST({x} AS BIGINT)"
    return f"CASE WHEN CAST({n} AS VARCHAR) = {x} THEN {n} END"


def _keep_ids_as_integers(con: Any, table: str, ids: list[str]) -> None:
    """Staged text ids become integers when every one of them is a plain integer (the
    ``_{id}_n`` columns, ``_plain_integer``): one integer stands for one text and back, so
    every figure is the same, while joins and groups on integers take 0.3 s less of the
    aggregation over the 10M demo CSV (2.9 s), for 0.2 s more staging (the test and the
    cast). One id of another shape anywhere (a letter, a leading zero) keeps them all text,
    and so does data without a single id (an empty file reads as text, as on every engine)."""
    other = " OR ".join(f"({c} IS NOT NULL AND _{c}_n IS NULL)" for c in ids)
    (text,) = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {other}) "
        f"OR NOT EXISTS (SELECT 1 FROM {table} WHERE {ids[0]} IS NOT NULL)"
    ).fetchone()
    for c in ids:
        if text:
            con.execute(f"ALTER TABLE {table} DROP COLUMN _{c}_n")
        else:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {c}")
            con.execute(f"ALTER TABLE {table} RENAME COLUMN _{c}_n TO {c}")


def connect(settings: Any = None) -> Any:
    """A DuckDB connection configured from the workspace's [data] settings."""
    import duckdb

    data = getattr(settings, "data", None)
    try:
        con = duckdb.connect(":memory:")
        tz = getattr(settings, "timezone", "Asia/Shanghai")
        con.execute(f"SET TimeZone = {_lit(tz)}")
        threads = getattr(data, "threads", None) or max(1, os.cpu_count() or 1)
        con.execute(f"SET threads = {int(threads)}")
        if getattr(data, "memory_limit", None):
            con.execute(f"SET memory_limit = {_lit(data.memory_limit)}")
        if getattr(data, "temp_directory", None):
            con.execute(f"SET temp_directory = {_lit(data.temp_directory)}")
        # Aggregates do not need input order; dropping it lets both cores stream freely.
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error as exc:
        raise UsageError(f"xhsgrow.toml [data]: {exc}") from None
    return con


def open_events(data: str, settings: Any = None) -> EventSource:
    """Resolve ``data`` and define the ``ev`` view over it (see the module docstring)."""
    import duckdb

    data_settings = getattr(settings, "data", None)
    files, fmt, hive = resolve(data, getattr(data_settings, "format", "auto") or "auto")
    if fmt == "csv":
        files = _without_empty_files(files, data)
    mapping: dict[str, str] = dict(getattr(data_settings, "columns", {}) or {})
    con = connect(settings)
    src = EventSource(con=con, shown=data, files=files, fmt=fmt)
    src._threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    try:
        # CSV headers are read once per run, here (csv_groups), for every read below
        groups = csv_groups(files) if fmt == "csv" else None
        reader = _reader_sql(fmt, files, hive, groups=groups)
        source = _with_filename(fmt, files, hive, groups)
        try:
            if fmt == "jsonl":
                keys = con.execute(
                    "SELECT DISTINCT k FROM (SELECT unnest(json_keys(_line)) AS k FROM "
                    f"(SELECT _line FROM {source} WHERE _okj LIMIT 10000) AS head) AS ks"
                ).fetchall()
                types = {str(k): "VARCHAR" for (k,) in keys}
            else:
                described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
                types = {str(name): str(kind) for name, kind, *_ in described}
        except duckdb.Error as exc:
            raise UsageError(f"--data {data}: cannot read {fmt}: {_first_line(exc)}") from None
        if fmt == "jsonl" and not types:
            raise UsageError(
                f"--data {data}: no line is a JSON object",
                hint='JSON Lines holds one object per line: {"event_time": ..., "event": ...}',
            )
        if fmt == "csv":
            refuse_repeated_columns(files, mapping, data, _delimiter(con, files[0]))
        select: list[str] = []
        col_types: dict[str, str] = {}
        for col in COLUMNS:
            wanted = mapping.get(col, col)
            actual = find_column(wanted, types)
            if actual is None and fmt == "jsonl" and col not in REQUIRED:
                # The keys were seen in the first lines only: an optional key that first
                # appears later (with the same spelling) must still be read, not dropped.
                actual = wanted
            if actual is None:
                if col in REQUIRED:
                    mapped = f" (mapped to '{wanted}')" if col in mapping else ""
                    raise UsageError(
                        f"--data {data}: no column '{wanted}' for {col}{mapped}; "
                        f"columns are: {', '.join(types) or '(none)'}",
                        hint="map your column names under [data.columns] in xhsgrow.toml",
                    )
                select.append(f"NULL AS {col}")
                col_types[col] = "NULL"
            elif fmt == "jsonl":
                values = [
                    "json_extract_string(_line, " + _lit('$."' + k.replace('"', '\\"') + '"') + ")"
                    for k in key_spellings(wanted, actual, types)
                ]
                one = values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
                select.append(f"{one} AS {col}")
                col_types[col] = "VARCHAR"
            else:
                select.append(f"{_ident(actual)} AS {col}")
                col_types[col] = types[actual]
        if fmt == "jsonl":
            extra = "_file, _lineno AS _row, NOT _okj AS _bad"
        elif fmt == "parquet":
            extra = "_file, file_row_number + 1 AS _row, FALSE AS _bad"
        else:
            extra = "_file, NULL AS _row, FALSE AS _bad"
        select_sql = f"SELECT {', '.join(select)}, {extra} FROM "
        raw = select_sql + source
        src._raw_for = lambda some: (
            select_sql + _with_filename(fmt, some, hive, _within(groups, some))
        )
        from xhsgrow.tracking.sql import fixed_offset_us

        off = fixed_offset_us(getattr(settings, "timezone", "Asia/Shanghai"))
        col_types[OFFSET_KEY] = "" if off is None else str(off)
        src._col_types = col_types
        if fmt == "parquet":
            over = f"({raw}) AS raw"
            cols, untidy = untidy_text_query(col_types, over)
            found: tuple[Any, ...] = ()
            if cols:
                try:
                    found = con.execute(untidy).fetchone() or ()
                except duckdb.Error as exc:
                    why = _first_line(exc)
                    raise UsageError(f"--data {data}: cannot read {fmt}: {why}") from None
            tidy = tuple(c for c, bad in zip(cols, found, strict=False) if not bad)
            src._typed_select = functools.partial(
                typed_query, col_types, over, plain=True, pushdown=tidy
            )
            con.execute(f"CREATE TEMP VIEW ev AS {src._typed_select()}")
        elif stage_in_memory(files, getattr(data_settings, "staging", "auto"), con):
            _stage_in_memory(src, raw, data)
        else:
            src._tmpdir = _staging_folder(getattr(data_settings, "temp_directory", None))
            staged = os.path.join(src._tmpdir, "events.parquet")
            typed = typed_query(col_types, f"({raw}) AS raw")
            try:
                con.execute(
                    f"COPY ({typed}) TO {_lit(staged)} (FORMAT parquet, ROW_GROUP_SIZE 262144)"
                )
            except duckdb.Error as exc:
                raise UsageError(f"--data {data}: cannot read {fmt}: {_first_line(exc)}") from None
            con.execute(f"CREATE TEMP VIEW ev AS SELECT * FROM read_parquet({_lit(staged)})")
        if fmt == "csv":
            _collect_csv_rejects(src)
    except BaseException:
        src.close()
        raise
    return src


def csv_header(path: str, sep: str | None = None) -> list[str] | None:
    """The names in CSV file ``path``'s header, read with delimiter ``sep``, else the one
    the header line has most of (as the Spark reader sniffs it); None when the file cannot
    be looked into here (a .zst file, an unreadable one)."""
    import csv
    import io

    from xhsgrow.data.csv_lines import open_bytes

    try:
        raw = open_bytes(path)
        if raw is None:
            return None
        with raw, io.TextIOWrapper(raw, "utf-8-sig", errors="replace", newline="") as fh:
            if sep is None:
                first = fh.readline()
                return next(csv.reader([first], delimiter=header_separator(first)), [])
            return next(csv.reader(fh, delimiter=sep), [])
    except (OSError, EOFError, csv.Error):
        return None


def csv_groups(files: list[str]) -> list[list[str]]:
    """``files`` grouped by header (names compared as ``column_key`` does), in the order of
    each group's first file. One read of several CSV files takes the columns of the first
    for all of them, by position: a file that leaves out an optional column, or orders them
    otherwise, would have its values read under the wrong names. Files whose header cannot
    be read here (.zst) are a group of their own."""
    groups: dict[tuple[str, ...] | None, list[str]] = {}
    for path in files:
        header = csv_header(path) if len(files) > 1 else None
        key = None if header is None else tuple(column_key(n) for n in header)
        groups.setdefault(key, []).append(path)
    return list(groups.values())


def refuse_repeated_columns(
    files: list[str], mapping: dict[str, str], data: str, sep: str | None
) -> None:
    """Refuse a CSV header that names a contract column twice (``user_id,...,user_id``, in
    any case): DuckDB would read the first and rename the second ``user_id_1`` (Spark would
    refuse the file in its own words), and which column holds the users would be a guess.
    Headers are read by ``csv_header`` (with delimiter ``sep``); a .zst file is not looked
    into."""
    wanted = {column_key(mapping.get(c, c)) for c in COLUMNS}
    for path in files:
        header = csv_header(path, sep) or []
        seen: set[str] = set()
        for name in header:
            key = column_key(name)
            if key in wanted and key in seen:
                raise UsageError(
                    f"--data {data}: {path}: the header names column '{name.strip()}' twice",
                    hint="rename or drop one of them: which one holds the values is a guess",
                )
            seen.add(key)


def header_separator(line: str) -> str:
    """The delimiter of a CSV header line: the one of , tab ; | it holds most of."""
    return max(",\t;|", key=line.count)


def _delimiter(con: Any, file: str) -> str:
    """The delimiter of CSV ``file``: the one the reader used (its scan record,
    ``reject_scans``, once the file has been read), else the one DuckDB's sniffer finds in
    its first lines, else a tab for a .tsv file and a comma for the others."""
    import duckdb

    for query in (
        "SELECT delimiter FROM reject_scans WHERE file_path = ? LIMIT 1",
        "SELECT Delimiter FROM sniff_csv(?, sample_size = 2048)",
    ):
        try:
            found = con.execute(query, [file]).fetchall()
        except duckdb.Error:
            continue
        if found and found[0][0]:
            return str(found[0][0])
    name = file.lower().removesuffix(".gz").removesuffix(".zst")
    return "\t" if name.endswith(".tsv") else ","


#: The ``ev`` columns, in order: the typed contract columns and ``reason``.
EV_COLUMNS: tuple[str, ...] = (
    "ts",
    *(c for c in COLUMNS if c != "event_time"),
    "reason",
)
#: A run over text staged in memory peaks at about this many times the text's size on disk
#: (the 10M-row demo CSV: 600 MB of text, a 1.75 GB process, against 0.8 GB staged on
#: disk); compressed text, about five times that again.
STAGED_PER_BYTE = 4
STAGED_PER_COMPRESSED_BYTE = 20
_UNITS = {"B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "PIB": 2**50}


def _staging_folder(temp_directory: str | None) -> str:
    """A new private folder for the staged Parquet, in ``temp_directory`` (else the system's
    temporary folder); a setting that names no usable folder is one line naming it."""
    try:
        return tempfile.mkdtemp(prefix="xhsgrow-", dir=temp_directory)
    except OSError as exc:
        raise UsageError(
            f"xhsgrow.toml [data] temp_directory {temp_directory!r}: {exc.strerror or exc}",
            hint="name an existing folder on a local disk with room for the staged events",
        ) from None


def stage_in_memory(files: list[str], staging: str, con: Any) -> bool:
    """Whether text (CSV, JSON Lines) is typed into a table in memory rather than into a
    Parquet file: ``[data] staging`` says so, or, with "auto", when the staged rows would take
    at most half of DuckDB's memory limit. In memory is faster (no Parquet to write, and
    rejected rows are found again without a second read) but costs memory in proportion to
    the data; on disk, memory stays flat whatever the size."""
    if staging in ("memory", "disk"):
        return staging == "memory"
    need = 0
    for f in files:
        try:
            size = os.path.getsize(f)
        except OSError:
            return False
        packed = f.lower().endswith(_COMPRESSED)
        need += size * (STAGED_PER_COMPRESSED_BYTE if packed else STAGED_PER_BYTE)
    (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    number, _, unit = str(limit).partition(" ")
    try:
        budget = float(number) * _UNITS[unit.upper() or "B"]
    except (KeyError, ValueError):
        return False
    return need <= budget / 2


def _stage_in_memory(src: EventSource, raw: str, shown: str) -> None:
    """Type the text of ``raw`` into the temporary table ``staged`` (rows in file order,
    with for each its file's number ``_f``, its line for JSON Lines ``_row``, and, on a
    rejected row, the text that row's message quotes, ``_q``), and define ``ev`` over it."""
    import duckdb

    typed = typed_query(src._col_types, src._texts(raw), carry=("_file", "_row", "_t", "_a", "_r"))
    # Kept per row only where needed, as every column costs 4 to 16 bytes a row, NULL or not:
    # the file's number when there are several, the line of JSON Lines, and for a rejected
    # row the one text its message quotes (_message).
    extra = []
    if len(src.files) > 1:
        files = "[" + ", ".join(_lit(f) for f in src.files) + "]"
        extra.append(f"CAST(list_position({files}, _file) AS INTEGER) AS _f")
    if src.fmt == "jsonl":
        extra.append("_row")
    whens = " ".join(f"WHEN {_lit(code)} THEN {text}" for code, text in QUOTED.items())
    extra.append(f"CASE reason {whens} END AS _q")
    # Text ids may become integers (_keep_ids_as_integers); an id a hive partition key typed
    # as an integer already is one, and the other id is then left as it is.
    text_ids = not any(src._col_types[c] in _INTEGERS for c in ID_COLUMNS)
    ids = list(ID_COLUMNS) if text_ids else []
    extra += [f"{_plain_integer(c)} AS _{c}_n" for c in ids]
    cols = ", ".join(EV_COLUMNS)
    con = src.con
    # Insertion order keeps the rows in file order, so that a row's rowid gives its line.
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            f"CREATE TEMP TABLE staged AS SELECT {cols}, {', '.join(extra)} FROM ({typed}) AS typed"
        )
    except duckdb.Error as exc:
        raise UsageError(f"--data {shown}: cannot read {src.fmt}: {_first_line(exc)}") from None
    finally:
        con.execute("SET preserve_insertion_order = false")
    if ids:
        _keep_ids_as_integers(con, "staged", ids)
    con.execute(f"CREATE TEMP VIEW ev AS SELECT {cols} FROM staged")
    src._staged_table = "staged"


def _reader_sql(
    fmt: str,
    files: list[str],
    hive: bool,
    options: str = "",
    *,
    groups: list[list[str]] | None = None,
) -> str:
    """The table function reading ``files`` (``options`` added to its own), or for CSV
    files of several headers (``groups``, else ``csv_groups``) a UNION ALL BY NAME of one
    read per header."""
    flist = "[" + ", ".join(_lit(f) for f in files) + "]"
    hive_opt = ", hive_partitioning = true" if hive else ""
    if fmt == "parquet":
        return f"read_parquet({flist}, union_by_name = true{hive_opt}{options})"
    if fmt == "csv":
        groups = csv_groups(files) if groups is None else groups
        if len(groups) > 1:
            reads = " UNION ALL BY NAME ".join(
                f"SELECT * FROM {_reader_sql(fmt, g, hive, options, groups=[g])}" for g in groups
            )
            return f"({reads}) AS csv_files"
        # Every column as text: a bad value is a rejected row we can name, not a type error.
        # Values may be quoted as RFC 4180 says anywhere: the sniffer would otherwise take
        # the quote from the first lines of the first file, and read a later "1,000" as two
        # fields. (union_by_name cannot be used: it refuses store_rejects.)
        return (
            f"read_csv({flist}, header = true, all_varchar = true, ignore_errors = true, "
            f"store_rejects = true, quote = '\"', escape = '\"'{hive_opt}{options})"
        )
    if fmt == "jsonl":
        # Lines as text, so that a malformed line is counted and located, never skipped.
        return f"read_text({flist}{options})"
    raise UsageError(f"unknown data format '{fmt}' (csv, parquet, jsonl)")


def _within(groups: list[list[str]] | None, files: list[str]) -> list[list[str]] | None:
    """``groups`` (CSV files by header) narrowed to ``files``, without empty groups."""
    if groups is None:
        return None
    return [kept for g in groups if (kept := [f for f in g if f in files])]


def _with_filename(
    fmt: str, files: list[str], hive: bool, groups: list[list[str]] | None = None
) -> str:
    """The rows of ``files`` with the name of the file each comes from (``_file``);
    ``groups``: CSV files by header, when already known (``csv_groups``)."""
    if fmt == "jsonl":
        # One row per line, numbered from 1; blank lines (a trailing newline) are not rows.
        return (
            "(SELECT _file, CASE WHEN _okj THEN _line END AS _line, _lineno, _okj FROM "
            "(SELECT *, coalesce(CASE WHEN json_valid(_line) THEN json_type(_line) = 'OBJECT' "
            "END, FALSE) AS _okj FROM (SELECT filename AS _file, "
            "unnest(string_split(content, chr(10))) AS _line, "
            "generate_subscripts(string_split(content, chr(10)), 1) AS _lineno "
            f"FROM {_reader_sql(fmt, files, hive)}) AS numbered "
            f"WHERE {_trim('_line')} IS NOT NULL) AS checked) AS lines"
        )
    # read_parquet / read_csv accept filename = true, which adds a `filename` column.
    extra = ", file_row_number = true" if fmt == "parquet" else ""
    inner = _reader_sql(fmt, files, hive, f", filename = true{extra}", groups=groups)
    return f"(SELECT *, filename AS _file FROM {inner}) AS src"


#: Columns every metric query filters on. Read from Parquet they stay plain column
#: references, so that DuckDB pushes `event IN (...)` / `campaign IN (...)` into the scan
#: (skipping whole row groups); an empty string then stands for a missing value.
PUSHDOWN = ("event", "campaign")
#: ``reason`` of a source already known to be well-formed (``typed_query(reason=False)``).
_NO_REASON = "CAST(NULL AS VARCHAR)"


def untidy_text_query(col_types: dict[str, str], source: str) -> tuple[tuple[str, ...], str]:
    """The PUSHDOWN text columns of a typed file, and a query over ``source`` (its mapped
    source columns) giving, for each, 1 when a value of it is not already as trimming
    leaves it: blank, or with whitespace at either end. Such a column cannot stay a plain
    column reference (``typed_query``'s ``pushdown``): its values must be trimmed like every
    text value, and a blank one read as missing. (About 0.03 s over the 10M demo events:
    DuckDB tests each distinct value of a dictionary-encoded column once.)"""
    cols = tuple(c for c in PUSHDOWN if col_types[c] == "VARCHAR")
    tests = ", ".join(
        f"MAX(CASE WHEN {c} = '' OR {_ends_in_space(c)} THEN 1 ELSE 0 END) AS {c}" for c in cols
    )
    return cols, f"SELECT {tests} FROM {source}"


def typed_query(
    col_types: dict[str, str],
    source: str,
    *,
    plain: bool = False,
    pushdown: tuple[str, ...] = PUSHDOWN,
    carry: tuple[str, ...] = (),
    reason: bool = True,
    where: Callable[[dict[str, str]], str] | None = None,
) -> str:
    """SELECT the typed contract columns plus ``reason`` (NULL when the row is well-formed)
    from ``source`` (a table expression of the mapped source columns and ``_bad``), with the
    ``carry`` columns passed through.

    Text (CSV, JSON Lines) is typed in two steps: each typed column is computed once, in an
    inner SELECT, and ``reason`` is then read off the typed values (plus whether the amount's
    text was blank), so that no shape test or parse runs twice per row: 30% less work on a
    CSV than computing ``reason`` from the source text. With ``plain`` (Parquet and tables),
    the ``pushdown`` columns (by default PUSHDOWN: ``event`` and ``campaign``; only those
    ``untidy_text_query`` finds tidy) stay plain column references and ``reason`` is
    ``_reason_plain``'s; without ``reason``, ``reason`` is NULL on every row (for a source
    already known to be well-formed). ``where`` (``plain`` only) keeps the source rows
    whose typed values pass its condition, written over the typed expressions it is given by
    contract column name; the other rows are never typed. Every rejected-row sample, on
    either engine, uses this query too."""
    off = _off(col_types)
    cast = None
    if not plain and _is_text_time(col_types["event_time"]):
        # The cast of event_time is computed once, in a SELECT of its own, for both the test
        # and the value of _typed_expr's fast path (0.15 s less over the 10M demo CSV).
        cast = _CAST
        raw_time = _raw_text("event_time", col_types["event_time"])
        source = f"(SELECT *, TRY_CAST({raw_time} AS TIMESTAMP) AS {cast} FROM {source}) AS casted"
    # (text is trimmed with the bytewise test, cheaper row by row; a typed file's columns with
    # the exact one, which DuckDB runs once per distinct value of a dictionary)
    exprs = {c: _typed_expr(c, col_types[c], off, cast, bytewise=not plain) for c in COLUMNS}
    id_kinds = [col_types[c] for c in ID_COLUMNS]
    if any(k in _INTEGERS for k in id_kinds) and any(
        k not in (*_INTEGERS, "NULL") for k in id_kinds
    ):
        # Integer user ids with text referrer ids (or the reverse): both become text, so that
        # a join compares texts and '007' is not user 7 (an engine would cast the text to an
        # integer to compare them); 7 and '7' are one user (docs/data.md, Ids).
        for c in ID_COLUMNS:
            if col_types[c] in _INTEGERS:
                exprs[c] = f"CAST({exprs[c]} AS VARCHAR)"
    names = {col: "ts" if col == "event_time" else col for col in COLUMNS}
    order = ["event_time", *(c for c in COLUMNS if c != "event_time")]
    extra = "".join(f", {c}" for c in carry)
    if plain:
        for col in pushdown:
            if col_types[col] == "VARCHAR":
                exprs[col] = col
        cols = ", ".join(f"{exprs[c]} AS {names[c]}" for c in order)
        why = _reason_plain(col_types) if reason else _NO_REASON
        kept = f" WHERE {where(exprs)}" if where else ""
        return f"SELECT {cols}, {why} AS reason{extra} FROM {source}{kept}"
    if where:
        raise ValueError("typed_query: `where` needs `plain`")
    amount_kind = col_types["amount"]
    text_amount = amount_kind not in ("NULL", *_NUMBERS) and not amount_kind.startswith("DECIMAL")
    inner = ", ".join(f"{exprs[c]} AS {names[c]}" for c in order)
    if text_amount:
        inner += f", {_raw_text('amount', amount_kind)} AS _amount_text"
    outer = ", ".join(names[c] for c in order)
    why = _reason_typed(col_types) if reason else _NO_REASON
    return (
        f"SELECT {outer}, {why} AS reason{extra} "
        f"FROM (SELECT {inner}, _bad{extra} FROM {source}) AS typed"
    )


def _reason_typed(col_types: dict[str, str]) -> str:
    """Why a row is malformed, read off the typed columns of ``typed_query``'s inner SELECT
    (the same answers as ``_reason_plain`` gives from a typed file's source columns). An
    amount's text is well-shaped or blank exactly when its typed value is not NULL or the
    text is blank (a shaped text always casts)."""
    return _reason_case(
        col_types,
        ts="ts",
        amount="amount",
        no_event="event IS NULL",
        no_user="user_id IS NULL",
        reward="event = 'reward'",
        good_region=f"coalesce({_matches('region', REGION_TEXT, padded=False)}, TRUE)",
        shaped_amount=f"(amount IS NOT NULL OR {_blank('_amount_text')})",
    )


#: Whitespace, trimmed from both ends of every text value: Unicode's White_Space characters
#: (space, tab, line breaks, no-break space U+00A0, ideographic space U+3000, the other
#: spaces of U+2000-U+200A...). Spelled out, because each engine's own trim() has its own
#: idea of whitespace (DuckDB's: the space separators, Spark's: U+0020 alone).
WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
#: The shape of an event_time text: an ISO 8601 date; optionally a time (after a T or a
#: space: hours and minutes, optionally seconds with up to 9 digits of fraction) and, after
#: a time, an offset (Z, +HH, +HHMM or +HH:MM, up to 14:59 either way).
EVENT_TIME_TEXT = (
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-](?:0[0-9]|1[0-4])(?::?[0-5][0-9])?)?)?"
)
#: The shape of an amount text: a plain decimal number, optionally signed and with an
#: exponent (12, 12.50, -3, .5, 1e3).
AMOUNT_TEXT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: The shape of a region: a GB/T 2260 division code, six digits from 100000 to 899999.
REGION_TEXT = r"[1-8][0-9]{5}"

#: The largest finite double.
_DOUBLE_MAX = "1.7976931348623157e308"
#: Integer column types that keep their type as ids.
_INTEGERS = ("BIGINT", "INTEGER", "UBIGINT", "HUGEINT", "SMALLINT")
#: Numeric column types: an amount of one of these is cast, never matched as text.
_NUMBERS = (*_INTEGERS, "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT", "DOUBLE", "FLOAT", "REAL")


def _raw_text(col: str, kind: str) -> str:
    """The source column ``col`` as text, untrimmed."""
    return col if kind == "VARCHAR" else f"CAST({col} AS VARCHAR)"


def _ends_in_space(x: str) -> str:
    """Whether text ``x`` begins or ends with WHITESPACE (or is empty)."""
    ws = _lit(WHITESPACE)
    return f"(strpos({ws}, substr({x}, 1, 1)) > 0 OR strpos({ws}, substr({x}, -1)) > 0)"


def _may_end_in_space(x: str) -> str:
    """Whether text ``x`` may begin or end with WHITESPACE: true for every text that does
    (and for the empty text), and for a few that do not, whose trim then changes nothing.

    Cheaper than ``_ends_in_space`` on every row of a text file: byte comparisons instead of
    searching WHITESPACE twice. Each WHITESPACE character is ASCII below '!' or starts with a
    byte from 0xC2 up, so a text is clear when its first character is ASCII from '!' up, and
    it is all ASCII (as many bytes as characters) with a last character from '!' up
    (0.16 s less of the 2.9 s it takes to stage the 10M-row demo CSV)."""
    first = f"({x} < '!' OR {x} >= '\u0080')"
    return f"({first} OR strlen({x}) <> length({x}) OR substr({x}, strlen({x}), 1) < '!')"


def _trim(x: str, *, bytewise: bool = False) -> str:
    """Text ``x`` without WHITESPACE at either end; NULL when nothing is left.

    DuckDB's trim with a list of characters costs ten times its plain trim on every row, so
    it only runs on values that may need it; the rest pass through. Which values those are is
    tested by ``_may_end_in_space`` with ``bytewise`` (text read row by row: 0.16 s less for
    the 10M demo CSV), else by ``_ends_in_space`` (a Parquet column, whose dictionary DuckDB
    tests once per distinct value: there the bytewise test costs 0.025 s more)."""
    ws = _lit(WHITESPACE)
    maybe = _may_end_in_space(x) if bytewise else _ends_in_space(x)
    return f"NULLIF(CASE WHEN {maybe} THEN trim({x}, {ws}) ELSE {x} END, '')"


def _blank(x: str) -> str:
    """Whether text ``x`` is NULL, empty or all WHITESPACE (``_trim(x) IS NULL``).

    Written without CASE so that DuckDB computes it once per distinct value of a
    dictionary-encoded Parquet column, as it does for its own trim()."""
    ws = _lit(WHITESPACE)
    return f"({x} IS NULL OR (strpos({ws}, substr({x}, 1, 1)) > 0 AND trim({x}, {ws}) = ''))"


def _trimmed_is(x: str, value: str) -> str:
    """Whether ``_trim(x) = value`` (a non-empty literal without outer whitespace)."""
    v = _lit(value)
    return f"({x} = {v} OR ({_ends_in_space(x)} AND trim({x}, {_lit(WHITESPACE)}) = {v}))"


def _matches(x: str, shape: str, *, padded: bool = True, or_blank: bool = False) -> str:
    r"""Whether text ``x`` has the ``shape`` (a regular expression): with ``padded``, once
    trimmed of WHITESPACE, and with ``or_blank`` also when nothing is left. NULL when ``x``
    is NULL.

    The pattern reads alike in DuckDB (RE2) and Spark (java.util.regex): ASCII classes,
    non-capturing groups, anchored with \A and \z (Java's $ also matches before a final line
    break). WHITESPACE is allowed around the shape rather than trimmed, so that the test
    costs no trim."""
    space = "[" + WHITESPACE + "]*" if padded else ""
    body = "(?:" + shape + ")" + ("?" if or_blank else "")
    return f"regexp_matches({x}, {_lit(chr(92) + 'A' + space + body + space + chr(92) + 'z')})"


def _shaped(raw: str, shape: str, parse: Callable[[str], str]) -> str:
    """``parse(text)`` when the text ``raw``, trimmed of WHITESPACE, has the ``shape``; else
    NULL. Most texts have the shape as they are: only the others pay for a trim."""
    return (
        f"CASE WHEN {_matches(raw, shape, padded=False)} THEN {parse(raw)} "
        f"WHEN {_matches(raw, shape)} THEN {parse(f'trim({raw}, {_lit(WHITESPACE)})')} END"
    )


#: The column of ``typed_query`` holding event_time's text cast to a TIMESTAMP.
_CAST = "_event_time_cast"


def _is_text_time(kind: str) -> bool:
    """Whether an event_time of this column type is text, typed by ``_typed_expr``'s rules."""
    return kind != "NULL" and not (kind.startswith("TIMESTAMP") or kind == "DATE")


def _typed_expr(
    col: str, kind: str, off: int | None = None, cast: str | None = None, *, bytewise: bool = False
) -> str:
    """The typed expression of a contract column. ``event_time`` becomes ``ts``: microseconds
    since 1970 UTC (an integer, cheap to compare and bucket); naive times are shifted by the
    workspace timezone's fixed offset ``off`` (or converted by the timezone database when
    the zone has daylight saving time), offsets in the text are honoured.

    Text is typed by explicit rules that every engine applies alike, never by an engine's
    cast alone (casts differ on malformed text): trimmed of WHITESPACE, an event_time must
    have the EVENT_TIME_TEXT shape and an amount the AMOUNT_TEXT shape before it is cast.
    Typed columns (a Parquet TIMESTAMP or DOUBLE) are not matched against any pattern.
    ``cast`` names a column already holding ``TRY_CAST(event_time AS TIMESTAMP)`` (for a text
    event_time; other columns ignore it);
    ``bytewise`` picks ``_trim``'s test for text read row by row."""
    if kind == "NULL":
        return {"event_time": "CAST(NULL AS BIGINT)", "amount": "CAST(NULL AS DOUBLE)"}.get(
            col, "CAST(NULL AS VARCHAR)"
        )
    if col == "event_time":
        naive = (
            f"(epoch_us(CAST({{x}} AS TIMESTAMP)) - {off})"
            if off is not None
            else "epoch_us(CAST(CAST({x} AS TIMESTAMP) AS TIMESTAMPTZ))"
        )
        if kind in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
            return "epoch_us(event_time)"
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            return naive.format(x="event_time")

        def parse(text: str) -> str:
            # In a text of the shape, a +, a Z or a - after a colon is an offset.
            has_offset = f"({text} LIKE '%+%' OR {text} LIKE '%Z' OR {text} LIKE '%:%-%')"
            # Spark reads an offset only after seconds: HH:MM+08:00 is cast as
            # HH:MM:00+08:00.
            with_seconds = (
                f"CASE WHEN substr({text}, 17, 1) IN ('Z', '+', '-') "
                f"THEN substr({text}, 1, 16) || ':00' || substr({text}, 17) ELSE {text} END"
            )
            return (
                f"CASE WHEN {has_offset} THEN epoch_us(TRY_CAST({with_seconds} AS TIMESTAMPTZ)) "
                f"ELSE {naive.format(x=f'TRY_CAST({text} AS TIMESTAMP)')} END"
            )

        raw = _raw_text("event_time", kind)
        # Most texts are already written as the engine writes a timestamp back
        # ('2025-01-10 08:00:00'): a text that survives that round trip unchanged has the
        # shape, and skips the pattern (the costliest test of a CSV row: 40% less work on
        # event_time at 10M rows). Nineteen characters keep out years beyond 9999.
        cast = cast or f"TRY_CAST({raw} AS TIMESTAMP)"
        written_back = f"(length({raw}) = 19 AND CAST({cast} AS VARCHAR) = {raw})"
        return (
            f"CASE WHEN {written_back} THEN {naive.format(x=cast)} "
            f"ELSE {_shaped(raw, EVENT_TIME_TEXT, parse)} END"
        )
    if col == "amount":
        if kind in _NUMBERS or kind.startswith("DECIMAL"):
            return "CAST(amount AS DOUBLE)"
        return _shaped(
            _raw_text("amount", kind), AMOUNT_TEXT, lambda text: f"TRY_CAST({text} AS DOUBLE)"
        )
    if col in ("user_id", "referrer_id"):
        # Ids keep an integer type when the file has one (fast joins); text otherwise.
        if kind in _INTEGERS:
            return f"CAST({col} AS BIGINT)"
        return _trim(_raw_text(col, kind), bytewise=bytewise)
    if kind == "VARCHAR":
        return _trim(col, bytewise=bytewise)
    return f"CAST({col} AS VARCHAR)"


def _reason_plain(col_types: dict[str, str]) -> str:
    """SQL for why a row is malformed (a reason code), over the mapped source columns of a
    typed file (Parquet, a table), whose ``event`` stays a plain column: whether a text is
    blank, or has a shape, is tested on the untrimmed text without a CASE, which DuckDB
    computes once per distinct value of a dictionary-encoded column. The answers are those
    of ``_reason_typed``, which reads them off the typed columns."""
    ts = _typed_expr("event_time", col_types["event_time"], _off(col_types))
    amount = _typed_expr("amount", col_types["amount"])
    kinds = {col: col_types[col] for col in ("event", "user_id", "amount", "region")}
    event = _raw_text("event", kinds["event"])
    no_event, reward = _blank(event), _trimmed_is(event, "reward")
    no_user = (
        _blank(_raw_text("user_id", kinds["user_id"]))
        if kinds["user_id"] not in (*_INTEGERS, "NULL")
        else f"{_typed_expr('user_id', kinds['user_id'])} IS NULL"
    )
    good_region = _matches(_raw_text("region", kinds["region"]), REGION_TEXT, or_blank=True)
    shaped = _matches(_raw_text("amount", kinds["amount"]), AMOUNT_TEXT, or_blank=True)
    return _reason_case(
        col_types,
        ts=ts,
        amount=amount,
        no_event=no_event,
        no_user=no_user,
        reward=reward,
        good_region=good_region,
        shaped_amount=shaped,
    )


def _reason_case(
    col_types: dict[str, str],
    *,
    ts: str,
    amount: str,
    no_event: str,
    no_user: str,
    reward: str,
    good_region: str,
    shaped_amount: str,
) -> str:
    """The reason CASE from one spelling's tests: ``ts`` and ``amount`` typed, whether the
    event or the user is missing, whether the event is a reward, whether the region is well
    formed (or blank), whether a text amount has the AMOUNT_TEXT shape (or is blank)."""
    kind = col_types["amount"]
    # Not a number: text of another shape, or a NaN or infinity (a float column's, or text
    # beyond the range of a double). NaN compares larger than any number on both engines.
    finite = f"abs({amount}) <= {_DOUBLE_MAX}"
    if kind == "NULL":
        bad_amount = "FALSE"
    elif kind in _NUMBERS or kind.startswith("DECIMAL"):
        bad_amount = f"NOT ({finite})"
    else:
        bad_amount = f"(NOT {shaped_amount} OR NOT ({finite}))"
    bad_region = "FALSE" if col_types["region"] == "NULL" else f"NOT {good_region}"
    return f"""CASE
        WHEN _bad THEN 'json'
        WHEN {ts} IS NULL THEN 'event_time'
        WHEN {no_event} THEN 'event'
        WHEN {no_user} THEN 'user_id'
        WHEN {bad_amount} THEN 'amount'
        WHEN {amount} < 0 THEN 'amount_negative'
        WHEN {reward} AND {amount} IS NULL THEN 'amount_missing'
        WHEN {bad_region} THEN 'region'
        ELSE NULL END"""


def _off(col_types: dict[str, str]) -> int | None:
    off = col_types.get(OFFSET_KEY, "")
    return int(off) if off else None


#: The text a rejected row's message quotes (``_message``), by reason code: the source text
#: of event_time (``_t``), amount (``_a``) or region (``_r``), as ``quoted_texts`` selects it.
QUOTED: dict[str, str] = {
    "event_time": "_t",
    "amount": "_a",
    "amount_negative": "_a",
    "region": "_r",
}


def quoted_texts(col_types: dict[str, str]) -> str:
    """The SELECT list of the source texts rejected-row messages quote: ``_t``, ``_a``, ``_r``."""
    return ", ".join(
        f"{_text(col, col_types)} AS {name}"
        for col, name in (("event_time", "_t"), ("amount", "_a"), ("region", "_r"))
    )


def _text(col: str, col_types: dict[str, str]) -> str:
    """A source column as rejected-row messages show it. A number comes back as a number,
    and Python writes it: the engines write a double as text differently (DuckDB 'nan',
    '1e+20'; Spark 'NaN', '1.0E20')."""
    kind = col_types[col]
    if kind == "NULL":
        return "NULL"
    return col if kind in _NUMBERS or kind.startswith("DECIMAL") else f"CAST({col} AS VARCHAR)"


def _message(code: str, time: object, amount: object, region: object) -> str:
    """A one-line human reason for a rejected row."""
    if code == "event_time":
        return f"unparseable event_time '{time}'" if time else "missing event_time"
    if code == "amount":
        return f"bad amount '{amount}'"
    if code == "amount_negative":
        return f"negative amount {amount}"
    if code == "region":
        return f"region '{region}' is not a 6-digit division code"
    return {
        "json": "not a JSON object",
        "event": "missing event",
        "user_id": "missing user_id",
    }.get(code, REASONS.get(code, code))


#: Human names of the reason codes of the ``reason`` column.
REASONS: dict[str, str] = {
    "json": "line is not a JSON object",
    "event_time": "unparseable or missing event_time",
    "event": "missing event",
    "user_id": "missing user_id",
    "amount": "bad amount (not a number)",
    "amount_negative": "negative amount",
    "amount_missing": "reward without an amount",
    "region": "region is not a 6-digit division code",
    "structure": "row could not be split into the file's columns",
}


def _collect_csv_rejects(src: EventSource) -> None:
    """Rows the CSV reader itself rejected (wrong number of fields, broken quoting)."""
    try:
        rows = src.con.execute(
            """
            SELECT s.file_path, e.line, e.error_type
            FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id)
            ORDER BY s.file_path, e.line
            """
        ).fetchall()
    except Exception:  # pragma: no cover - older DuckDB without reject tables
        return
    seen: set[tuple[str, int]] = set()
    for file, line, kind in rows:
        key = (str(file), int(line))
        if key in seen:  # one row can have several errors
            continue
        seen.add(key)
        src.structural_reject_count += 1
        if len(src.structural_rejects) < SAMPLE_REJECTS:
            text = str(kind).lower().replace("_", " ")
            src.structural_rejects.append((str(file), int(line), f"malformed CSV row: {text}"))


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _without_empty_files(files: list[str], data: str) -> list[str]:
    """The CSV files that hold something: a zero-byte file (an empty partition of an export)
    has no rows, and a reader would make up a column ('column0') for it; when every file is
    empty, there is not even a header to read, which is an error naming the first."""
    full = [f for f in files if _size(f) != 0]
    if not full:
        raise UsageError(
            f"--data {data}: {files[0]} is empty: a CSV file needs a header row",
            hint="the header names the columns: event_time,event,user_id,campaign,...",
        )
    return full


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


#: The kind of error DuckDB puts before its message ("Invalid Input Error: File ... too
#: small"): the engine's vocabulary, not the user's.
_ENGINE_PREFIX = re.compile(r"^[A-Z][A-Za-z ]* Error: ")


def _first_line(exc: BaseException) -> str:
    return _ENGINE_PREFIX.sub("", str(exc).strip().splitlines()[0])[:300]
