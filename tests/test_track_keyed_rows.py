"""The duplicate search's candidates (``Engine.keyed_rows``) and the grouped data-quality scan.

Over a typed file (Parquet) DuckDB filters the source rows on their key before typing them;
the rows it keeps must be exactly the rows of ``ev`` whose key is listed, typed as ``ev``
types them (trimmed, the instant in microseconds), with the reason tests while the read
still has rejected rows. Every figure below is worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.test_track_edges import csv_file
from tests.test_track_metrics import DATA, make_workspace
from tests.test_track_partner_segments import ev as row
from tests.test_track_quality_audit import counts, quality, zero

#: 2025-01-11 10:00 in Shanghai is 02:00Z: 1736560800 s since 1970.
T10 = 1_736_560_800_000_000


def as_parquet(csv: Path) -> Path:
    """The CSV's rows as a Parquet file of text columns (nothing typed, nothing trimmed)."""
    out = csv.with_suffix(".parquet")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) TO '{out}'")
    con.close()
    csv.unlink()
    return out


def keyed(path: Path, users: list[str], *, well_formed: bool) -> list[tuple[object, ...]]:
    """The rows ``keyed_rows`` keeps for a key on the user alone, listing ``users``."""
    from xhsgrow.engines import open_engine

    engine = open_engine("duckdb", str(path))
    try:
        if well_formed:
            engine.well_formed()
        engine.create_rows("keys", [("k", "VARCHAR")], [(u,) for u in users])
        engine.keyed_rows("cand", "keys", lambda _ts, user: user)
        rows = engine.query(
            "SELECT ts, user_id, channel, reason IS NULL FROM cand ORDER BY user_id, channel"
        )
        engine.drop("cand")
        assert engine.query("SELECT COUNT(*) FROM ev") == [(4,)]  # (ev itself unchanged)
        return rows
    finally:
        engine.close()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_keyed_rows_are_the_typed_rows_whose_key_is_listed(tmp_path: Path, fmt: str) -> None:
    """Rows of u1 (one written " u1 "), u2 and u3; the keys list u1 and u3 (and u9, in no
    row). Kept: the three rows whose *trimmed* user is u1 or u3, their channel trimmed, their
    time typed; u3's amount of -5 is rejected, so its reason is given."""
    rows = [
        row("2025-01-11 10:00:00", "signup", "u1", "ref", channel="app"),
        row("2025-01-11 10:00:00", "signup", '" u1 "', "ref", channel='" sms "'),
        row("2025-01-11 10:00:00", "signup", "u2", "ref", channel="app"),
        row("2025-01-11 10:00:00", "reward", "u3", "ref", channel="app", amount="-5"),
    ]
    path = csv_file(tmp_path / "e.csv", rows)
    if fmt == "parquet":
        path = as_parquet(path)
    assert keyed(path, ["u1", "u3", "u9"], well_formed=False) == [
        (T10, "u1", "app", True),
        (T10, "u1", "sms", True),
        (T10, "u3", "app", False),
    ]


def test_keyed_rows_of_a_well_formed_typed_file_skip_the_reason_tests(tmp_path: Path) -> None:
    """Told the read is well-formed, the kept rows carry no reason (as ``ev`` then does)."""
    rows = [
        row("2025-01-11 10:00:00", "signup", "u1", "ref", channel="app"),
        row("2025-01-11 10:00:00", "signup", '" u1 "', "ref", channel="app"),
        row("2025-01-11 10:00:00", "signup", "u2", "ref", channel="app"),
        row("2025-01-11 10:00:00", "active", "u3"),
    ]
    path = as_parquet(csv_file(tmp_path / "e.csv", rows))
    assert keyed(path, ["u1"], well_formed=True) == [
        (T10, "u1", "app", True),
        (T10, "u1", "app", True),
    ]


def test_typed_query_refuses_a_filter_on_text_it_types_in_two_steps() -> None:
    """The filter applies to a typed file's source rows only (text is typed in an inner
    SELECT first): asked of text, it is a programming error, not a silently ignored filter."""
    from xhsgrow.data.contract import COLUMNS
    from xhsgrow.data.events import typed_query

    types = dict.fromkeys(COLUMNS, "VARCHAR")
    with pytest.raises(ValueError, match="needs `plain`"):
        typed_query(types, "src", where=lambda x: f"{x['user_id']} = 'u1'")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    make_workspace(tmp_path, DATA / "referral.toml")
    return tmp_path


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_trimmed_copies_are_duplicates_in_a_parquet_file_too(ws, invoke, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """The same instant written three ways and " u1 " for u1 are 3 copies of row 1 (the
    key is taken on the typed values, not the text); 10:00:00.000001 is another instant; a
    malformed copy (time "soon") is rejected, not a duplicate. Read 6: duplicates 3,
    rejected 1 (from a Parquet file of text columns exactly as from the CSV)."""
    rows = [
        row("2025-01-11 10:00:00", "signup", "u1", "ref", channel="in_app"),
        row("2025-01-11T02:00:00Z", "signup", "u1", "ref", channel="in_app"),
        row("2025-01-11 10:00:00+08:00", "signup", '" u1 "', "ref", channel='" in_app"'),
        row("2025-01-11 10:00:00.0000001", "signup", "u1", "ref", channel="in_app"),
        row("2025-01-11 10:00:00.000001", "signup", "u1", "ref", channel="in_app"),
        row("soon", "signup", "u1", "ref", channel="in_app"),
    ]
    path = csv_file(ws / "e.csv", rows)
    if fmt == "parquet":
        path = as_parquet(path)
    q = quality(invoke, path)
    assert counts(q) == zero(rows_read=6, rows_rejected=1, duplicates=3)


def test_quality_groups_rows_on_either_side_of_every_instant(ws, invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The quality scan counts rows per time bucket between the instants its tests compare
    with; rows a microsecond apart across each of them land on the right side. Window
    01-10..01-20 and as-of 01-16 in Shanghai: instants 01-09 16:00Z (window opens), 01-16
    16:00Z (as-of ends), 01-20 16:00Z (window closes). Invites of `ref`:
    - 01-09T15:59:59.999999Z: outside; 01-09T16:00:00Z: inside;
    - 01-16T15:59:59.999999Z: inside; 01-16T16:00:00Z: after as-of;
    - 01-20T16:00:00Z: after as-of (the window's end is later than as-of's).
    Read 5 from Parquet: outside 1, after 2 (the other 2 are invites)."""
    rows = [
        row("2025-01-09T15:59:59.999999Z", "invite", "a", "ref"),
        row("2025-01-09T16:00:00Z", "invite", "b", "ref"),
        row("2025-01-16T15:59:59.999999Z", "invite", "c", "ref"),
        row("2025-01-16T16:00:00Z", "invite", "d", "ref"),
        row("2025-01-20T16:00:00Z", "invite", "e", "ref"),
    ]
    path = as_parquet(csv_file(ws / "e.csv", rows))
    doc_q = quality(invoke, path)
    assert counts(doc_q) == zero(rows_read=5, outside_windows=1, after_as_of=2)
    late = quality(invoke, path, as_of="2025-01-25")  # as-of after the window
    assert counts(late) == zero(rows_read=5, outside_windows=2)
