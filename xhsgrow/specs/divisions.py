"""GB/T 2260 administrative division codes (6 digits: province, prefecture, county).

The table ships as ``data/divisions.tsv``, generated from a maintained data package by
``scripts/gen_divisions.py`` (source and licence are noted at the top of the file).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_TABLE = Path(__file__).parent / "data" / "divisions.tsv"


@cache
def _text() -> str:
    # A plain path (the package ships unzipped, also from a wheel), not importlib.resources,
    # which would add its import to `xhsgrow validate`'s start-up.
    return "\n" + _TABLE.read_text("utf-8")


@cache
def divisions() -> dict[str, str]:
    """Every known code with its name, e.g. ``{"522634": "雷山县", ...}``."""
    return dict(re.findall(r"^(\d{6})\t(.*)$", _text(), flags=re.MULTILINE))


def _find(code: str) -> int:
    """Where the name of ``code`` starts in the table's text, or -1.

    `validate` looks up a handful of codes: searching the text for them is cheaper than
    building the dict of all 3,400 divisions (about a millisecond of start-up)."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return -1
    at = _text().find(f"\n{code}\t")
    return at + 8 if at >= 0 else -1


def is_division(code: str) -> bool:
    return _find(code) >= 0


def level(code: str) -> str:
    """province, prefecture or county, from the shape of the code."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def covers(area: str, code: str) -> bool:
    """Whether division ``area`` contains division ``code`` (a code contains itself)."""
    if level(area) == "province":
        return code[:2] == area[:2]
    if level(area) == "prefecture":
        return code[:4] == area[:4]
    return code == area


def province_of(code: str) -> str:
    return code[:2] + "0000"


def name(code: str) -> str:
    start = _find(code)
    if start < 0:
        return code
    end = _text().find("\n", start)
    return _text()[start : end if end >= 0 else None]
