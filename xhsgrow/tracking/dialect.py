"""The engine-specific spellings of the tracking SQL, and the translation to each engine.

Every statement of tracking (xhsgrow.tracking.sql) is written once, in DuckDB's SQL, with the
few spellings that differ between engines asked of a ``Dialect``: the calendar day of an
instant in a timezone, "the earliest row of a group", row hashes, compensated money sums...
``Dialect.translate`` then turns the statement text into the engine's SQL: the identity for
DuckDB; for Spark, sqlglot (read DuckDB, write Spark) plus the rewrites below, which fix the
places where a plain transpile would be silently wrong.

Spark spellings are written so that sqlglot's DuckDB reader parses them (a function it does
not know is kept by name, e.g. ``pmod``), and the result is pinned by tests
(tests/test_engine_dialects.py: no unknown function outside an allow-list of Spark
built-ins; tests/test_engine_parity.py: the same figures on both engines).

Engine differences that change results, and how they are neutralised:

* naive timestamps: Spark's ``TIMESTAMP`` is an instant rendered in the session timezone; a
  DuckDB ``TIMESTAMP`` is a wall-clock time. Naive times become ``TIMESTAMP_NTZ`` and every
  conversion names its zone, so no result depends on ``spark.sql.session.timeZone``.
* NULL ordering: DuckDB sorts NULLs last, Spark first; sqlglot writes ``NULLS LAST`` on every
  ORDER BY, and ``first_of`` puts an explicit "is NULL" flag before each struct field (the
  minimum of a struct compares fields in order, a NULL field counting as largest in DuckDB).
* integer division: ``//`` and ``%`` truncate towards zero in DuckDB; Spark's ``DIV`` and
  ``%`` do the same. Day, minute and second numbers floor (``floor_div``), as a calendar day
  does, so that an instant before 1970 falls in the right day on both.
* hashes: DuckDB's HASH is 64-bit; Spark's ``hash`` is 32-bit and skips NULL arguments, so
  ``hash64`` is ``xxhash64`` with a NULL flag per column.
* money: DuckDB's FSUM is compensated; Spark sums exactly over a DECIMAL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000
EPOCH_DAY = "DATE '1970-01-01'"


def lit(value: object) -> str:
    """A SQL literal for a string, number, None, bool or date."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


@cache
def fixed_offset_us(tz: str) -> int | None:
    """The UTC offset of ``tz`` in microseconds when it never changes from 2000 to 2100
    (Asia/Shanghai: +8 h), else None (a zone with daylight saving time)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    offsets = {
        dt.datetime(year, month, 15, tzinfo=zone).utcoffset()
        for year in range(2000, 2101)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    delta = offsets.pop()
    return None if delta is None else int(delta.total_seconds()) * 1_000_000


class Dialect:
    """The spellings of one engine. The base class spells DuckDB; subclasses override what
    differs. Arguments are SQL expressions (text); results are SQL expressions."""

    #: The engine's name, as in ``[data] engine``.
    name = "duckdb"
    #: sqlglot's name of the dialect the statements are translated to.
    sqlglot_name = "duckdb"
    #: Canonical (DuckDB) type names -> the engine's.
    types: ClassVar[dict[str, str]] = {}

    def __repr__(self) -> str:
        return f"<Dialect {self.name}>"

    # --- translation ---------------------------------------------------------------------

    def translate(self, sql: str, *, timezone: str | None = None) -> str:
        """The engine's SQL for ``sql``, a statement in DuckDB's SQL (the identity here).

        ``timezone`` is the session timezone ``sql`` assumes when it casts a naive timestamp
        to an instant (DuckDB's ``TimeZone`` setting); needed only by such casts."""
        return sql

    def type_name(self, canonical: str) -> str:
        """The engine's name of a DuckDB type name (VARCHAR, INTEGER, BIGINT, DATE...)."""
        return self.types.get(canonical.upper(), canonical)

    # --- time --------------------------------------------------------------------------

    def local_day(self, ts: str, tz: str) -> str:
        """The calendar day, in timezone ``tz`` (a name), of ``ts`` (microseconds since 1970
        UTC). A fixed-offset zone needs only an addition, which is an order of magnitude
        cheaper per row than a timezone-database conversion."""
        off = fixed_offset_us(tz)
        if off is not None:
            return f"CAST(MAKE_TIMESTAMP({ts} + {off}) AS DATE)"
        return f"CAST(timezone({lit(tz)}, timezone('UTC', MAKE_TIMESTAMP({ts}))) AS DATE)"

    def local_day_by_column(self, ts: str, tz_col: str, off_col: str) -> str:
        """``local_day`` with the zone (and its fixed offset, NULL if none) from columns."""
        return (
            f"CASE WHEN {off_col} IS NOT NULL THEN CAST(MAKE_TIMESTAMP({ts} + {off_col}) AS DATE) "
            f"ELSE CAST(timezone({tz_col}, timezone('UTC', MAKE_TIMESTAMP({ts}))) AS DATE) END"
        )

    def floor_div(self, x: str, d: int) -> str:
        """``x`` divided by the positive integer ``d``, rounded down (``//`` alone rounds
        towards zero: -1 // 60 is 0, the wrong minute for an instant before 1970). Below
        zero, (x + 1) // d - 1 floors: a comparison costs less per row than a remainder."""
        return f"(CASE WHEN ({x}) < 0 THEN (({x}) + 1) // {d} - 1 ELSE ({x}) // {d} END)"

    def day_number(self, ts: str, tz: str) -> str:
        """``local_day`` as an integer: days since 1970-01-01 (cheap to subtract)."""
        off = fixed_offset_us(tz)
        if off is not None:
            return self.floor_div(f"{ts} + {off}", MICROS_PER_DAY)
        return self.days_between(EPOCH_DAY, self.local_day(ts, tz))

    def day_number_by_column(self, ts: str, tz_col: str, off_col: str) -> str:
        """``day_number`` with the zone (and its fixed offset, NULL if none) from columns."""
        other = self.days_between(EPOCH_DAY, self.local_day_by_column(ts, tz_col, off_col))
        fixed = self.floor_div(f"{ts} + {off_col}", MICROS_PER_DAY)
        return f"CASE WHEN {off_col} IS NOT NULL THEN {fixed} ELSE {other} END"

    def day_of_number(self, n: str) -> str:
        """The date of a day number (days since 1970-01-01)."""
        return f"({EPOCH_DAY} + CAST({n} AS INTEGER))"

    def days_between(self, a: str, b: str) -> str:
        """Whole days from date ``a`` to date ``b``."""
        return f"DATE_DIFF('day', {a}, {b})"

    def minute_of(self, ts: str) -> str:
        """Whole minutes since 1970 UTC (an integer), the unit of gala peaks and rounds."""
        return self.floor_div(ts, MICROS_PER_MINUTE)

    # --- aggregates ----------------------------------------------------------------------

    def first_of(self, fields: Sequence[tuple[str, str]]) -> str:
        """The lexicographically smallest (field1, field2, ...) of a group, as a struct whose
        fields are read by name; a NULL field counts as larger than any value. With the time
        first, this is the group's earliest row, ties broken by the other fields."""
        return "MIN(STRUCT_PACK(" + ", ".join(f"{name} := {expr}" for name, expr in fields) + "))"

    def money_sum(self, x: str) -> str:
        """The sum of money amounts, independent of the order in which parallel workers add
        the rows up (DuckDB: compensated Kahan-Babuska summation)."""
        return f"FSUM({x})"

    def bit_or(self, x: str) -> str:
        """Aggregate: the bitwise OR of a group's integers."""
        return f"BIT_OR({x})"

    def bit_and(self, x: str, mask: int) -> str:
        """``x & mask``."""
        return f"({x} & {mask})"

    # --- hashes --------------------------------------------------------------------------

    def hash64(self, *columns: str) -> str:
        """A 64-bit hash of the columns, NULLs included by position."""
        return f"HASH({', '.join(columns)})"

    def hash32(self, *columns: str) -> str:
        """A 32-bit hash of the columns (compared for equality only)."""
        return f"CAST({self.hash64(*columns)} >> 32 AS UINTEGER)"

    def key_in(self, key: str, keys: str) -> str:
        """Whether ``key`` is one of the values ``k`` of the table ``keys`` (the filter of
        ``Engine.keyed_rows``, on ``ev`` or on a source's rows before they are typed)."""
        return f"{key} IN (SELECT k FROM {keys})"

    def repeated_keys(self, key: str, source: str) -> str:
        """SELECT the distinct values ``k`` of ``key`` that occur more than once in
        ``source``: a GROUP BY, which a cluster partitions well. (DuckDB does not run it:
        its adapter sorts the keys in NumPy, xhsgrow.engines.duck_engine.)"""
        return (
            f"SELECT k FROM (SELECT {key} AS k FROM {source}) AS keys "
            "GROUP BY k HAVING COUNT(*) > 1"
        )


class SparkDialect(Dialect):
    """Apache Spark SQL (3.4+; tested on 4.x), through sqlglot and the rewrites below."""

    name = "spark"
    sqlglot_name = "spark"
    types: ClassVar[dict[str, str]] = {
        "VARCHAR": "STRING",
        "INTEGER": "INT",
        "UINTEGER": "BIGINT",
        "HUGEINT": "DECIMAL(38,0)",
    }

    def translate(self, sql: str, *, timezone: str | None = None) -> str:
        import sqlglot

        tree = sqlglot.parse_one(sql, read="duckdb")
        return _bottom_up(tree, timezone).sql(dialect="spark")

    def _floor_day(self, x: str) -> str:
        # (x - pmod(x, d)) // d floors for negative x too (DIV alone truncates).
        d = MICROS_PER_DAY
        return f"date_from_unix_date(CAST((({x}) - pmod({x}, {d})) // {d} AS INTEGER))"

    def local_day(self, ts: str, tz: str) -> str:
        off = fixed_offset_us(tz)
        if off is not None:
            return self._floor_day(f"{ts} + {off}")
        return f"CAST(convert_timezone('UTC', {lit(tz)}, MAKE_TIMESTAMP({ts})) AS DATE)"

    def local_day_by_column(self, ts: str, tz_col: str, off_col: str) -> str:
        return (
            f"CASE WHEN {off_col} IS NOT NULL THEN {self._floor_day(f'{ts} + {off_col}')} "
            f"ELSE CAST(convert_timezone('UTC', {tz_col}, MAKE_TIMESTAMP({ts})) AS DATE) END"
        )

    def day_of_number(self, n: str) -> str:
        return f"date_from_unix_date(CAST({n} AS INTEGER))"

    def first_of(self, fields: Sequence[tuple[str, str]]) -> str:
        # Spark orders a NULL struct field first, DuckDB last: an explicit flag before each
        # field makes both put NULL last.
        parts = []
        for name, expr in fields:
            parts.append(f"{name}__null := ({expr}) IS NULL")
            parts.append(f"{name} := {expr}")
        return "MIN(STRUCT_PACK(" + ", ".join(parts) + "))"

    def money_sum(self, x: str) -> str:
        # Exact over a DECIMAL, so the order of the parallel partial sums does not matter.
        return f"CAST(SUM(CAST({x} AS DECIMAL(38, 18))) AS DOUBLE)"

    def hash64(self, *columns: str) -> str:
        # xxhash64 skips NULL arguments: a flag per column keeps (NULL, 'a') apart from
        # ('a', NULL).
        args = [part for c in columns for part in (f"{c} IS NULL", c)]
        return f"xxhash64({', '.join(args)})"

    def hash32(self, *columns: str) -> str:
        return f"hash({', '.join(columns)})"


# --- the Spark rewrites of sqlglot's tree ---------------------------------------------------


def _ntz_epoch() -> Any:
    from sqlglot import exp

    return exp.cast(
        exp.Literal.string("1970-01-01 00:00:00"),
        exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"),
    )


def _micros_to_ntz(micros: Any) -> Any:
    """A TIMESTAMP_NTZ from microseconds since 1970 (DuckDB's MAKE_TIMESTAMP(us))."""
    from sqlglot import exp

    return exp.Anonymous(
        this="TIMESTAMPADD", expressions=[exp.var("MICROSECOND"), micros, _ntz_epoch()]
    )


def _ntz_to_micros(ntz: Any) -> Any:
    """Microseconds since 1970 of a wall-clock time read as UTC (session independent)."""
    from sqlglot import exp

    return exp.Anonymous(
        this="TIMESTAMPDIFF", expressions=[exp.var("MICROSECOND"), _ntz_epoch(), ntz]
    )


def _local_to_micros(naive: Any, tz: str) -> Any:
    """Microseconds since 1970 of the wall time ``naive`` in zone ``tz``, as DuckDB reads it:
    a time skipped by a daylight-saving jump moves forward (as in Spark), and a time that
    occurs twice is the later instant (Spark's convert_timezone takes the earlier one).

    u1 is Spark's (earlier) reading; u2 reads the wall time with the offset in force three
    hours after u1, and is taken when it is later and really shows that wall time."""
    from sqlglot import exp

    def p(node: Any) -> Any:
        return exp.paren(node, copy=False)

    def utc_to_wall(u: Any) -> Any:
        return _ntz_to_micros(
            exp.ConvertTimezone(
                source_tz=exp.Literal.string("UTC"),
                target_tz=exp.Literal.string(tz),
                timestamp=_micros_to_ntz(u),
            )
        )

    wall = _ntz_to_micros(naive.copy())
    u1 = _ntz_to_micros(
        exp.ConvertTimezone(
            source_tz=exp.Literal.string(tz),
            target_tz=exp.Literal.string("UTC"),
            timestamp=naive.copy(),
        )
    )
    later = p(exp.Add(this=u1.copy(), expression=exp.Literal.number(3 * 3_600_000_000)))
    offset = p(exp.Sub(this=utc_to_wall(later.copy()), expression=later.copy()))
    u2 = p(exp.Sub(this=wall.copy(), expression=offset))
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.and_(
                    exp.GT(this=u2.copy(), expression=u1.copy()),
                    exp.EQ(this=utc_to_wall(u2.copy()), expression=wall.copy()),
                ),
                true=u2,
            )
        ],
        default=u1,
    )


_NAIVE = ("TIMESTAMP", "DATETIME", "TIMESTAMPNTZ", "DATE")
_INSTANT = ("TIMESTAMPTZ", "TIMESTAMPLTZ")


def _kind(node: Any) -> str | None:
    """'naive' / 'instant' for an expression whose timestamp type is evident, else None."""
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _kind(node.this)
    if isinstance(node, exp.Cast):  # TryCast is a Cast
        name = node.to.this.name
        if name in _NAIVE:
            return "naive"
        if name in _INSTANT:
            return "instant"
    if isinstance(node, exp.Anonymous) and node.name.upper() == "TIMESTAMPADD":
        return "naive"
    return None


def _bottom_up(node: Any, timezone: str | None) -> Any:
    """Rewrite the children first, so that a rule sees its arguments already in Spark's
    terms (e.g. an epoch of a converted timestamp)."""
    node = _convert_timezone(node)
    for child in list(node.iter_expressions()):
        new = _bottom_up(child, timezone)
        if new is not child:
            child.replace(new)
    return _spark_rewrite(node, timezone)


def _convert_timezone(node: Any) -> Any:
    """timezone(a, timezone(b, naive)) -> convert_timezone(b, a, naive): the wall time in
    zone b, as a wall time in zone a (DuckDB's timezone() flips between naive and instant)."""
    from sqlglot import exp

    def is_tz(n: Any) -> bool:
        return (
            isinstance(n, exp.Anonymous)
            and n.name.upper() == "TIMEZONE"
            and len(n.expressions) == 2
        )

    if is_tz(node) and is_tz(node.expressions[1]):
        inner = node.expressions[1]
        return exp.ConvertTimezone(
            source_tz=inner.expressions[0],
            target_tz=node.expressions[0],
            timestamp=inner.expressions[1],
        )
    return node


def _spark_rewrite(node: Any, timezone: str | None) -> Any:
    from sqlglot import exp

    # MAKE_TIMESTAMP(us): a naive timestamp (sqlglot would write TIMESTAMP_MICROS, an
    # instant whose date depends on the session timezone).
    if isinstance(node, exp.UnixToTime) and node.args.get("scale") == exp.UnixToTime.MICROS:
        return _micros_to_ntz(node.this)
    # strlen(text): its length in bytes (UTF-8).
    if isinstance(node, exp.Anonymous) and node.name.upper() == "STRLEN":
        return exp.Anonymous(this="OCTET_LENGTH", expressions=node.expressions)
    if isinstance(node, exp.Anonymous) and node.name.upper() == "TIMEZONE":
        raise ValueError(f"cannot translate {node.sql('duckdb')} to Spark")
    # CAST(naive AS TIMESTAMPTZ): the wall time read in the session timezone of DuckDB.
    if isinstance(node, exp.Cast) and node.to.this.name in _INSTANT and _kind(node.this) == "naive":
        if timezone is None:
            raise ValueError(
                f"{node.sql('duckdb')}: a naive timestamp cast to an instant needs the "
                "timezone= it is read in"
            )
        return exp.Anonymous(
            this="TIMESTAMP_MICROS", expressions=[_local_to_micros(node.this, timezone)]
        )
    # epoch_us(x): microseconds since 1970 of an instant, or of a naive time read as UTC.
    if (isinstance(node, exp.Anonymous) and node.name.upper() == "EPOCH_US") or isinstance(
        node, exp.UnixMicros
    ):
        arg = node.this if isinstance(node, exp.UnixMicros) else node.expressions[0]
        if isinstance(arg, exp.Anonymous) and arg.name.upper() == "TIMESTAMP_MICROS":
            return arg.expressions[0]
        if _kind(arg) == "naive":
            return _ntz_to_micros(arg)
        return exp.Anonymous(this="UNIX_MICROS", expressions=[arg])
    return node


DUCKDB = Dialect()
SPARK = SparkDialect()
DIALECTS: dict[str, Dialect] = {d.name: d for d in (DUCKDB, SPARK)}


def dialect_for(name: str) -> Dialect:
    """The dialect of an engine name ("duckdb", "spark")."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown engine '{name}' ({', '.join(DIALECTS)})") from None
