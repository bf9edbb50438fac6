"""xhsgrow.data.csv_lines: the line a CSV record starts on, for rejected-row samples.

Checked against the lines worked out by hand, with blocks of every small size, so that a
blank line or a carriage return split across two blocks of the fast pass is still seen.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from xhsgrow.data import csv_lines

# (name, text, {data row: line}): data row 1 is the first record after the header
CASES = [
    ("plain", "h\na\nb\nc\n", {1: 2, 2: 3, 3: 4}),
    ("crlf", "h\r\na\r\nb\r\nc\r\n", {1: 2, 2: 3, 3: 4}),
    ("blank-middle", "h\na\n\nb\nc\n", {1: 2, 2: 4, 3: 5}),
    ("blank-crlf", "h\r\na\r\n\r\nb\r\n", {1: 2, 2: 4}),
    ("blank-first", "\nh\na\nb\n", {1: 3, 2: 4}),
    ("two-blanks", "h\n\n\na\nb\n", {1: 4, 2: 5}),
    ("quoted-break", 'h\n"x\ny",1\nb\nc\n', {1: 2, 2: 4, 3: 5}),
    ("quoted-crlf", 'h\r\n"x\r\ny\r\nz",1\r\nb\r\n', {1: 2, 2: 5}),
]


@pytest.mark.parametrize("block", [1, 2, 3, 5, 1 << 22])
@pytest.mark.parametrize(("name", "text", "want"), CASES, ids=[c[0] for c in CASES])
def test_rows_start_on_the_lines_an_editor_shows(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    block: int,
    name: str,
    text: str,
    want: dict[int, int],
) -> None:
    monkeypatch.setattr(csv_lines, "BLOCK", block)
    path = tmp_path / f"{name}.csv"
    path.write_bytes(text.encode())
    rows, _ = csv_lines.locate(str(path), list(want), [])
    assert rows == want


def test_reader_rejects_are_placed_by_the_readers_own_count(tmp_path: Path) -> None:
    """DuckDB numbers its own rejects skipping line breaks inside quotes: its line 3 below is
    the short row, which starts on line 5; the kept rows around it are on lines 2 and 6."""
    text = 'h,c\n"x\ny\nz",1\nshort\nb,2\n'
    path = tmp_path / "e.csv"
    path.write_text(text)
    rows, rejected = csv_lines.locate(str(path), [1, 2], [3])
    assert (rows, rejected) == ({1: 2, 2: 6}, {3: 5})


def test_without_quotes_or_blank_lines_reader_rejects_shift_the_rows(tmp_path: Path) -> None:
    """The fast pass: row n is on line n + 1, one further for each reader reject at or before
    it (a reject on line 3 moves rows 2 and 3 to lines 4 and 5)."""
    path = tmp_path / "e.csv"
    path.write_text("h\na\nshort\nb\nc\n")
    assert csv_lines.locate(str(path), [1, 2, 3], [3]) == ({1: 2, 2: 4, 3: 5}, {3: 3})


def test_a_gzip_file_is_read_through(tmp_path: Path) -> None:
    path = tmp_path / "e.csv.gz"
    path.write_bytes(gzip.compress(b"h\na\n\nb\n"))
    assert csv_lines.locate(str(path), [2], [])[0] == {2: 4}


def test_a_row_the_file_does_not_reach_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text('h\n"a\nb"\n')
    assert csv_lines.locate(str(path), [1, 9], [])[0] == {1: 2}
