"""Filters for readers: thousands separators, 万/亿, money with ¥, percentages."""

from __future__ import annotations

from typing import Any


def thousands(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def wan(value: float | int | None, digits: int = 1) -> str:
    """Chinese large-number style: 12,345 -> 1.2万, 320,000,000 -> 3.2亿."""
    if value is None:
        return "—"
    v = float(value)
    if abs(v) >= 1e8:
        return f"{v / 1e8:,.{digits}f}".rstrip("0").rstrip(".") + "亿"
    if abs(v) >= 1e4:
        return f"{v / 1e4:,.{digits}f}".rstrip("0").rstrip(".") + "万"
    return f"{v:,.0f}"


def money(value: float | int | None, currency: str = "CNY", digits: int = 0) -> str:
    if value is None:
        return "—"
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}.get(currency, currency + " ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{digits}f}"


def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def register_filters(env: Any) -> None:
    env.filters.update(thousands=thousands, wan=wan, money=money, percent=percent)
