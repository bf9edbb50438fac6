"""Filters for readers: thousands separators, 万/亿, money with ¥, percentages, and text
made safe for a Markdown table cell.

The number filters take a number, or a number written as text (contact columns from a CSV
file are text); ``None`` or a blank cell shows as "—".
"""

from __future__ import annotations

import math
import re
from typing import Any

Number = float | int | str | None


def _number(value: Any) -> Any:
    """``value`` itself, a numeric string as a float, or None for a blank one."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        raise ValueError(f"not a number: {value!r}") from None


def thousands(value: Number, digits: int = 0) -> str:
    value = _number(value)
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def wan(value: Number, digits: int = 1) -> str:
    """Chinese large-number style: 12,345 -> 1.2万, 320,000,000 -> 3.2亿."""
    value = _number(value)
    if value is None:
        return "—"
    v = float(value)
    if abs(v) >= 1e8:
        return f"{v / 1e8:,.{digits}f}".rstrip("0").rstrip(".") + "亿"
    if abs(v) >= 1e4:
        return f"{v / 1e4:,.{digits}f}".rstrip("0").rstrip(".") + "万"
    return f"{v:,.0f}"


def money(value: Number, currency: str = "CNY", digits: int = 0) -> str:
    value = _number(value)
    if value is None:
        return "—"
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}.get(currency, currency + " ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{digits}f}"


def percent(value: Number, digits: int = 1) -> str:
    value = _number(value)
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def share_percent(share: float, digits: int = 2) -> str:
    """A share of a whole that never reads a misleading 0.00% (a campaign scaled to 0.0012%
    still has users): ``digits`` decimals from 1% up, at least two significant digits below."""
    pct = share * 100
    if pct >= 1 or pct <= 0:
        return f"{pct:.{digits}f}%"
    return f"{pct:.{max(digits, 1 - math.floor(math.log10(pct)))}f}%"


#: A Markdown line ending (CommonMark: LF, CR or CR LF); inside a table cell it ends the row.
_LINE_BREAK = re.compile(r"\r\n?|\n")


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: ``|`` escaped (a bare one starts a new cell)
    and every line break a space (one ends the row). Names come from specs, so may hold both.
    A backslash is escaped first: written as it is, one before a ``|`` (``C:\\|``) would
    escape the escape, and GitHub would start a new cell there; ``\\\\`` always reads as one."""
    text = _LINE_BREAK.sub(" ", str(value))
    return text.replace("\\", "\\\\").replace("|", "\\|")


def register_filters(env: Any) -> None:
    env.filters.update(thousands=thousands, wan=wan, money=money, percent=percent, md=md_cell)
