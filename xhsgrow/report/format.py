"""Numbers, dates and statuses for readers, in English or Simplified Chinese.

Shared by the report templates (as Jinja filters) and the chat summaries. Built on the
generic filters in xhsgrow.rendering.filters; only the language switch lives here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from xhsgrow.rendering import filters as base

LANGS = ("en", "zh")

STATUS_EMOJI: dict[str, str] = {
    "on_track": "🟢",
    "at_risk": "🟠",
    "off_track": "🔴",
    "not_started": "⚪",
    "ended": "🏁",
    "no_data": "❔",
}
STATUS_LABEL: dict[str, dict[str, str]] = {
    "en": {
        "on_track": "on track",
        "at_risk": "at risk",
        "off_track": "off track",
        "not_started": "not started",
        "ended": "ended",
        "no_data": "no data",
    },
    "zh": {
        "on_track": "正常",
        "at_risk": "有风险",
        "off_track": "落后",
        "not_started": "未开始",
        "ended": "已结束",
        "no_data": "无数据",
    },
}
METRIC_LABEL: dict[str, dict[str, str]] = {
    "en": {
        "acquired": "new users",
        "activated": "activated",
        "cost": "spend",
        "budget_spend": "spend",
        "cost_per_activated": "cost per activated",
        "cost_per_acquired": "cost per new user",
        "activation_rate": "activation rate",
        "retention_d1": "D1 retention",
        "retention_d7": "D7 retention",
        "retention_d30": "D30 retention",
        "k_factor": "K-factor",
        "invites": "invites",
        "referred_signups": "referred sign-ups",
        "merchants_onboarded": "merchants onboarded",
        "interactions": "interactions",
        "participants": "participants",
        "peak_concurrent_users": "peak concurrent users",
    },
    "zh": {
        "acquired": "新增用户",
        "activated": "激活用户",
        "cost": "花费",
        "budget_spend": "花费",
        "cost_per_activated": "单个激活成本",
        "cost_per_acquired": "单个新用户成本",
        "activation_rate": "激活率",
        "retention_d1": "次日留存",
        "retention_d7": "7日留存",
        "retention_d30": "30日留存",
        "k_factor": "K 因子",
        "invites": "邀请数",
        "referred_signups": "邀请注册",
        "merchants_onboarded": "入驻商家",
        "interactions": "互动次数",
        "participants": "参与人数",
        "peak_concurrent_users": "峰值同时在线人数",
    },
}
MONEY_METRICS = frozenset({"cost", "budget_spend", "cost_per_activated", "cost_per_acquired"})
RATE_METRICS = frozenset({"activation_rate", "invite_conversion"})


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "en"


def num(value: float | int | None, lang: str = "en") -> str:
    """12345 -> '12,345' (en) or '1.2万' (zh); None -> '—'."""
    if value is None:
        return "—"
    if _lang(lang) == "zh":
        return wan(value)
    if isinstance(value, float) and not value.is_integer() and abs(value) < 100:
        return f"{value:,.2f}"
    return base.thousands(value)


def wan(value: float | int) -> str:
    """Chinese large numbers with three significant digits: 99,550 -> 9.96万, 1.026e9 -> 10.3亿."""
    # Not base.wan on purpose: that one keeps a fixed number of decimals (99,550 -> 10万,
    # 123,456,789 -> 1.2亿), too coarse for pace and target figures side by side in a report,
    # and it rounds small values to whole numbers (12.5 -> 12), which num() sends here in zh.
    v = float(value)
    for unit, name in ((1e8, "亿"), (1e4, "万")):
        if abs(v) >= unit:
            x = v / unit
            digits = 2 if abs(x) < 10 else 1 if abs(x) < 100 else 0
            text = f"{x:,.{digits}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + name
    return f"{v:,.0f}" if v.is_integer() or abs(v) >= 100 else f"{v:,.2f}"


def money(value: float | int | None, currency: str = "CNY", lang: str = "en") -> str:
    """¥1,234,567 (en) or ¥123.5万 (zh); small amounts keep their cents."""
    if value is None:
        return "—"
    digits = 2 if abs(value) < 100 and not float(value).is_integer() else 0
    if _lang(lang) == "zh" and abs(value) >= 1e4:
        symbol = base.money(0, currency)[:-1]  # "¥0" -> "¥": the currency table stays in base
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{wan(abs(value))}"
    return base.money(value, currency, digits)


def pct(value: float | None, digits: int = 0) -> str:
    """0.873 -> '87%'; None -> '—'."""
    if value is None:
        return "—"
    return base.percent(value, digits)


def metric_value(metric: str, value: float | int | None, currency: str, lang: str) -> str:
    """A metric's value in its own unit: money, a rate, the K-factor, or a count."""
    if value is None:
        return "—"
    if metric in MONEY_METRICS:
        return money(value, currency, lang)
    if metric in RATE_METRICS or metric.startswith("retention_"):
        return pct(value, 1)
    if metric == "k_factor":
        return f"{value:.2f}"
    return num(value, lang)


def metric_label(metric: str, lang: str = "en") -> str:
    return METRIC_LABEL[_lang(lang)].get(metric, metric.replace("_", " "))


def status_label(status: str, lang: str = "en") -> str:
    return STATUS_LABEL[_lang(lang)].get(status, status)


def status_emoji(status: str) -> str:
    return STATUS_EMOJI.get(status, "❔")


def local_time(value: dt.datetime | None, tz: str = "Asia/Shanghai") -> str:
    """A moment in the campaign's timezone, to the minute; naive values are taken as local."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            value = value.astimezone(ZoneInfo(tz))
    return value.strftime("%Y-%m-%d %H:%M")


def day(value: dt.date | None, lang: str = "en") -> str:
    if value is None:
        return "—"
    if _lang(lang) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def short_day(value: Any, lang: str = "en") -> str:
    """Chart axis labels: '02-05' (en) or '2月5日' (zh)."""
    if isinstance(value, dt.date):
        return f"{value.month}月{value.day}日" if _lang(lang) == "zh" else value.strftime("%b %d")
    return str(value)


def axis_number(value: float, lang: str = "en") -> str:
    if _lang(lang) == "zh":
        return wan(value)
    from xhsgrow.rendering.charts import compact_number

    return compact_number(value)


def register(env: Any, lang: str) -> None:
    """Add the language-aware filters to a Jinja environment."""
    lang = _lang(lang)
    env.filters.update(
        num=lambda v: num(v, lang),
        cny=lambda v, currency="CNY": money(v, currency, lang),
        pct=pct,
        metric_value=lambda v, metric, currency="CNY": metric_value(metric, v, currency, lang),
        metric_label=lambda m: metric_label(m, lang),
        status_label=lambda s: status_label(s, lang),
        status_emoji=status_emoji,
        local_time=local_time,
        day=lambda d: day(d, lang),
        counted=lambda n, many, one=None: counted(n, many, one, lang),
    )


def counted(n: int, many: str, one: str | None = None, lang: str = "en") -> str:
    """A count and its noun: ``one`` for exactly 1 where the wording has a singular ("1 row
    read", as `xhsgrow track` says), else ``many`` ("2 rows read"; Chinese has no plural)."""
    return f"{num(n, lang)} {one if n == 1 and one else many}"
