"""The compact, platform-neutral summary a chat message is made from."""

from __future__ import annotations

from dataclasses import dataclass

from xhsgrow.report import format as fmt
from xhsgrow.report.view import portfolio
from xhsgrow.tracking.result import TrackingResult

_WORDS = {
    "en": {
        "title": "Campaign report",
        "as_of": "as of",
        "pace": "pace",
        "forecast": "forecast",
        "budget": "budget",
        "more": "{n} more campaign(s) not shown",
        "full": "Full report",
        "none": "No campaigns.",
    },
    "zh": {
        "title": "活动进度报告",
        "as_of": "截至",
        "pace": "进度",
        "forecast": "预测",
        "budget": "预算",
        "more": "另有 {n} 个活动未显示",
        "full": "完整报告",
        "none": "没有活动。",
    },
}
MAX_NAME = 80


@dataclass(frozen=True)
class Line:
    status: str
    emoji: str
    name: str
    id: str
    status_text: str
    detail: str  # "new users 99,550 / 200,000 · pace 90% · forecast 90% · budget 49%"


@dataclass(frozen=True)
class Summary:
    title: str
    counts: str  # "🔴 1 off track · 🟠 1 at risk · 🟢 1 on track"
    lines: tuple[Line, ...]
    worst: str
    report_url: str | None
    lang: str

    def word(self, key: str, **kw: object) -> str:
        return _WORDS[self.lang][key].format(**kw)


def summarize(
    result: TrackingResult, *, lang: str = "en", report_url: str | None = None
) -> Summary:
    from xhsgrow.report.render import check_report_url

    check_report_url(report_url)  # it becomes a link in every platform's message
    lang = lang if lang in _WORDS else "en"
    words = _WORDS[lang]
    view = portfolio(result)
    lines = []
    for v in view.campaigns:
        c, h = v.c, v.headline
        parts = []
        if h is not None:
            parts.append(
                f"{fmt.metric_label(h.metric, lang)} "
                f"{fmt.metric_value(h.metric, h.actual, c.currency, lang)} / "
                f"{fmt.metric_value(h.metric, h.target, c.currency, lang)}"
            )
            if v.pace is not None:
                parts.append(f"{words['pace']} {fmt.pct(v.pace)}")
        if v.forecast_share is not None:
            parts.append(f"{words['forecast']} {fmt.pct(v.forecast_share)}")
        if v.budget_burn is not None:
            parts.append(f"{words['budget']} {fmt.pct(v.budget_burn)}")
        name = c.name if len(c.name) <= MAX_NAME else c.name[: MAX_NAME - 1] + "…"
        lines.append(
            Line(
                c.status,
                fmt.status_emoji(c.status),
                name,
                c.id,
                fmt.status_label(c.status, lang),
                " · ".join(parts),
            )
        )
    counts = " · ".join(
        f"{fmt.status_emoji(s)} {n} {fmt.status_label(s, lang)}" for s, n in view.counts.items()
    )
    title = f"{words['title']} · {words['as_of']} {fmt.day(result.as_of, lang)}"
    return Summary(title, counts or words["none"], tuple(lines), view.worst, report_url, lang)
