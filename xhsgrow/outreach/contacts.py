"""Contacts from CSV (any common delimiter, UTF-8 with or without BOM) or JSON Lines.

Every column is data for the template. Files saved by Excel for Chinese users are often GBK:
those are detected and refused with the fix, rather than read as mojibake.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xhsgrow.outreach.errors import ContactsError

DELIMITERS = (",", ";", "\t", "|")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class ContactRow:
    """One contact: where it is in the file (1-based line) and its columns. ``nulls``: the
    columns that were JSON null, left out of ``data`` (so a template sees them missing)."""

    line: int
    data: dict[str, Any]
    nulls: frozenset[str] = frozenset()


def _without_nulls(value: Any) -> Any:
    """``value`` with every null member of an object left out: a null is a missing value,
    so strict rendering names it and ``| default(...)`` replaces it (rather than "None")."""
    if isinstance(value, dict):
        return {str(k): _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@dataclass(frozen=True)
class Contacts:
    path: Path
    rows: list[ContactRow]
    columns: list[str]
    sha256: str
    delimiter: str | None = None  # None for JSON Lines


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContactsError(f"{path}: the file is UTF-16; save it as UTF-8 (Excel: 'CSV UTF-8')")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            text = raw.decode("gbk")
        except UnicodeDecodeError:
            text = ""
        if text and any("\u4e00" <= ch <= "\u9fff" for ch in text):
            raise ContactsError(
                f"{path}: the file looks GBK-encoded (line {line} is not UTF-8); "
                "contacts must be UTF-8",
                hint=f"save it as 'CSV UTF-8' in Excel, or run: "
                f"iconv -f GBK -t UTF-8 {path} > {path.stem}.utf8{path.suffix}",
            ) from None
        raise ContactsError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); contacts must be UTF-8"
        ) from None


def _sniff_delimiter(header: str) -> str:
    """The delimiter of the header line: the candidate that occurs most outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, text: str) -> tuple[list[ContactRow], list[str], str]:
    first = next((ln for ln in text.splitlines() if ln.strip()), None)
    if first is None:
        raise ContactsError(f"{path}: the file is empty; expected a header line and contacts")
    delimiter = _sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[ContactRow] = []
    end = 0
    try:
        for record in reader:
            line, end = end + 1, reader.line_num  # a quoted field may span lines: name the first
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [h.strip() for h in record]
                for i, name in enumerate(header, 1):
                    if not name:
                        raise ContactsError(f"{path}:{line}: column {i} of the header has no name")
                dup = next((h for h in header if header.count(h) > 1), None)
                if dup:
                    raise ContactsError(f"{path}:{line}: column '{dup}' appears twice")
                continue
            if len(record) != len(header):
                raise ContactsError(
                    f"{path}:{line}: {len(record)} fields, but the header has {len(header)} "
                    f"(delimiter {delimiter!r})"
                )
            rows.append(
                ContactRow(line, {h: v.strip() for h, v in zip(header, record, strict=True)})
            )
    except csv.Error as exc:
        raise ContactsError(f"{path}:{reader.line_num}: {exc}") from None
    if header is None:  # e.g. a line of delimiters only
        raise ContactsError(f"{path}: no header line; expected column names, then contacts")
    return rows, header, delimiter


def _read_jsonl(path: Path, text: str) -> tuple[list[ContactRow], list[str]]:
    rows: list[ContactRow] = []
    columns: dict[str, None] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ContactsError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise ContactsError(f"{path}:{n}: expected a JSON object per line, got {obj!r:.40}")
        for key in obj:
            columns.setdefault(str(key))
        nulls = frozenset(str(k) for k, v in obj.items() if v is None)
        rows.append(ContactRow(n, _without_nulls(obj), nulls))
    return rows, list(columns)


def load_contacts(path: str | Path) -> Contacts:
    """Read a contacts file; any problem is a ContactsError naming the file and line."""
    path = Path(path)
    if path.is_dir():
        raise ContactsError(f"{path}: is a folder, not a contacts file")
    if not path.is_file():
        raise ContactsError(f"{path}: no such contacts file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContactsError(f"cannot read contacts file {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(raw).hexdigest()
    text = _decode(path, raw)
    delimiter: str | None = None
    if path.suffix.lower() in JSONL_SUFFIXES:
        rows, columns = _read_jsonl(path, text)
    else:
        rows, columns, delimiter = _read_csv(path, text)
    if not rows:
        raise ContactsError(f"{path}: no contacts in the file (only a header, or empty)")
    return Contacts(path, rows, columns, digest, delimiter)
