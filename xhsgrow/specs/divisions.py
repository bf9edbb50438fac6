"""GB/T 2260 administrative division codes (6 digits: province, prefecture, county).

The table ships as ``data/divisions.tsv``, generated from a maintained data package by
``scripts/gen_divisions.py`` (source and licence are noted at the top of the file).
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def divisions() -> dict[str, str]:
    """Every known code with its name, e.g. ``{"522634": "雷山县", ...}``."""
    text = resources.files("xhsgrow.specs").joinpath("data/divisions.tsv").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t", 1)
            table[code] = name
    return table


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
