"""Which line of a CSV file a record starts on, for the rejected-row samples.

The reader numbers records (the header is record 1). A record is on the line of the same
number unless a blank line, or a line break inside a quoted value, comes before it: then the
line a user's editor shows is further down. Only the few sampled records are looked up, and
only the part of the file before the last of them is read:

- a fast pass counts line breaks in blocks of bytes; while a block holds no quote and no
  blank line, record n is line n, and nothing more is needed;
- otherwise an exact pass reads the records with Python's csv module (quotes and blank lines
  as the reader takes them), up to the last sampled record.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from typing import IO

BLOCK = 1 << 22  # bytes read at a time by the fast pass


def locate(
    path: str, data_rows: Iterable[int], reader_lines: Iterable[int], delimiter: str = ","
) -> tuple[dict[int, int], dict[int, int]]:
    """The lines rows start on: for each ``data_rows`` number (the n-th record after the
    header that the reader kept, 1-based) and for each ``reader_lines`` number (the line the
    reader gave a record it rejected itself: its count skips line breaks inside quotes), the
    1-based line of the file. Rows the file does not reach, or a file that cannot be read as
    plain or gzip text (zstd), are left out of the maps."""
    rows, rejected = sorted(set(data_rows)), sorted(set(reader_lines))
    if not rows and not rejected:
        return {}, {}
    try:
        if _plain_up_to(path, max([*rows, 0]) + len(rejected) + 1, max([*rejected, 0])):
            return _counted(rows, rejected), {n: n for n in rejected}
        return _exact(path, rows, rejected, delimiter)
    except (OSError, UnicodeError, csv.Error, EOFError):
        return {}, {}


def _counted(rows: list[int], rejected: list[int]) -> dict[int, int]:
    """Where every record is one line: data row n is on line n + 1 (the header), and one
    further on for each rejected record at or before that line."""
    out = {}
    for n in rows:
        line = n + 1
        for r in rejected:
            if r <= line:
                line += 1
        out[n] = line
    return out


def open_bytes(path: str) -> IO[bytes] | None:
    """A CSV file's bytes: a .gz file decompressed; None for a .zst file (no zstd reader in
    Python's standard library before 3.14)."""
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.open(path, "rb")
    if lower.endswith(".zst"):
        return None
    return open(path, "rb")  # (closed by the caller's with)


def _plain_up_to(path: str, *lines: int) -> bool:
    """Whether the lines up to the largest of ``lines`` hold no quote and no blank line (so
    that record n is line n there). Each block is searched as it is read, not copied: a
    quote is one memchr, a carriage return (looked for only in files that have one) and a
    blank line a short search (about 0.1 s for the 90 MB before the first reject of the
    10M demo CSV)."""
    last = max(lines)
    fh = open_bytes(path)
    if fh is None:
        return True  # (not readable here: the numbers stand)
    with fh:
        seen = 0
        ended = True  # the byte before the block ends a line (a file's first line is blank
        # when it starts with one)
        while seen < last:
            block = fh.read(BLOCK)
            if not block:
                return True
            if b'"' in block or b"\n\n" in block:
                return False
            if ended and block[:1] in (b"\n", b"\r"):
                return False
            if b"\r" in block and (b"\n\r\n" in block or block.endswith(b"\n\r")):
                return False
            seen += block.count(b"\n")
            ended = block.endswith(b"\n")
    return True


def _exact(
    path: str, rows: list[int], rejected: list[int], delimiter: str
) -> tuple[dict[int, int], dict[int, int]]:
    """Read the records as the reader does, each with the line it starts on and the line the
    reader counts for it (blank lines counted, line breaks inside quotes not)."""
    fh = open_bytes(path)
    if fh is None:
        return {}, {}
    data: dict[int, int] = {}
    reader_map: dict[int, int] = {}
    wanted, refused = set(rows), set(rejected)
    with fh, io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        kept = -1  # (the header is read first, and is no data row)
        inside = 0  # line breaks inside quoted values so far
        start = 1
        for row in reader:
            end = reader.line_num
            if row:  # (a blank line is no record)
                counted = start - inside
                if counted in refused:
                    reader_map[counted] = start
                else:
                    kept += 1
                    if kept in wanted:
                        data[kept] = start
                if len(data) == len(wanted) and len(reader_map) == len(refused):
                    break
                inside += end - start
            start = end + 1
    return data, reader_map
