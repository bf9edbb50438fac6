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
def divisions() -> dict[str, str]:
    """Every known code with its name, e.g. ``{"522634": "雷山县", ...}``."""
    # A plain path (the package ships unzipped, also from a wheel), not importlib.resources,
    # which would add its import to `xhsgrow validate`'s start-up.
    text = _TABLE.read_text("utf-8")
    return dict(re.findall(r"^(\d{6})\t(.*)$", text, flags=re.MULTILINE))


def is_division(code: str) -> bool:
    return code in divisions()


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
    return divisions().get(code, code)
