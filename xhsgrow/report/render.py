"""Render a TrackingResult as Markdown, HTML, JSON or CSV.

Markdown and HTML come from Jinja2 templates named ``report/<lang>/report.<ext>`` (the
workspace's ``templates/`` folder overrides any of them by name); JSON is the tracking JSON
plus a ``report`` block; CSV has one row per campaign × target.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from xhsgrow.errors import EXIT_FAILED, EXIT_OK, UsageError, XhsgrowError
from xhsgrow.report import format as fmt
from xhsgrow.report.view import (
    PortfolioView,
    burnup_svg,
    portfolio,
    retention_svg,
    segment_svgs,
)
from xhsgrow.tracking.result import TrackingResult

Format = Literal["md", "html", "json", "csv"]
FORMATS: tuple[str, ...] = ("md", "html", "json", "csv")
#: --fail-on spelling -> the statuses that fail the run.
FAIL_ON: dict[str, frozenset[str]] = {
    "at-risk": frozenset({"at_risk", "off_track"}),
    "off-track": frozenset({"off_track"}),
}
CSV_COLUMNS = (
    "campaign_id",
    "campaign_name",
    "kind",
    "campaign_status",
    "spec_status",
    "as_of",
    "window_start",
    "window_end",
    "metric",
    "target_kind",
    "target",
    "actual",
    "expected_to_date",
    "pace",
    "forecast",
    "target_status",
    "budget",
    "spent",
    "currency",
)


class TemplateError(XhsgrowError):
    """A report template is missing or broken (names the template and line)."""


@dataclass(frozen=True)
class ReportMeta:
    """What the report says about itself (JSON `report` block, page footers)."""

    format: str
    lang: str
    fail_on: str | None = None
    report_url: str | None = None
    title: str | None = None


def check_report_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL with a host (or None); else a UsageError. The URL
    lands in an HTML href, a Markdown link and chat cards: ``javascript:`` and the like, or
    spaces, quotes and angle brackets that end the link early, must not get there."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [ in the host
        ok = False
    if not ok or not url.isprintable() or any(ch.isspace() or ch in '<>"' for ch in url):
        raise UsageError(
            f"--report-url {url!r} is not an http(s) URL",
            hint="e.g. https://ci.example.com/runs/42/report.html",
        )
    return url


def template_name(format: str, lang: str) -> str:
    return f"report/{lang}/report.{format}"


def failing(result: TrackingResult, fail_on: str | None) -> list[str]:
    """Ids of campaigns at or past ``fail_on`` (at-risk | off-track); [] when off."""
    if not fail_on:
        return []
    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be at-risk or off-track, not {fail_on!r}")
    bad = FAIL_ON[fail_on]
    return [c.id for c in result.campaigns if c.status in bad]


def exit_code(result: TrackingResult, fail_on: str | None) -> int:
    """0 all good, 1 when a campaign is at or past --fail-on."""
    return EXIT_FAILED if failing(result, fail_on) else EXIT_OK


def render(
    result: TrackingResult,
    meta: ReportMeta,
    *,
    templates_dir: Path | None = None,
) -> str:
    """The report as text in ``meta.format``."""
    if meta.format not in FORMATS:
        raise UsageError(f"unknown report format {meta.format!r}; use one of {', '.join(FORMATS)}")
    if meta.lang not in fmt.LANGS:
        raise UsageError(f"unknown language {meta.lang!r}; use en or zh")
    check_report_url(meta.report_url)
    view = portfolio(result)
    if meta.format == "json":
        return json.dumps(json_document(result, view, meta), indent=2, ensure_ascii=False) + "\n"
    if meta.format == "csv":
        return csv_text(view)
    return render_template(view, meta, templates_dir)


def report_block(view: PortfolioView, meta: ReportMeta) -> dict[str, Any]:
    from xhsgrow import __version__

    return {
        "generator": f"xhsgrow {__version__}",
        "rendered_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "format": meta.format,
        "lang": meta.lang,
        "fail_on": meta.fail_on,
        "failing": failing(view.result, meta.fail_on),
        "worst_status": view.worst,
        "status_counts": view.counts,
        "order": [v.c.id for v in view.campaigns],
        "report_url": meta.report_url,
    }


def json_document(result: TrackingResult, view: PortfolioView, meta: ReportMeta) -> dict[str, Any]:
    doc = result.to_json()
    doc["report"] = report_block(view, meta)
    return doc


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else repr(round(value, 6))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_text(view: PortfolioView) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for v in view.campaigns:
        c = v.c
        common = [c.id, c.name, c.kind, c.status, c.spec_status, c.as_of]
        window = [c.window_start, c.window_end]
        money = [c.budget, v.spent, c.currency]
        if not c.targets:
            w.writerow([_cell(x) for x in [*common, *window, *[None] * 8, *money]])
        for t in c.targets:
            row = [
                *common,
                *window,
                t.metric,
                t.kind,
                t.target,
                t.actual,
                t.expected_to_date,
                t.pace,
                t.forecast,
                t.status,
                *money,
            ]
            w.writerow([_cell(x) for x in row])
    return buf.getvalue()


def _env(templates_dir: Path | None, lang: str) -> Any:
    from markupsafe import Markup

    from xhsgrow.rendering.env import make_env

    env = make_env(templates_dir)
    fmt.register(env, lang)
    env.globals.update(
        burnup_chart=lambda v, labels=None: Markup(burnup_svg(v, labels, lang)),
        retention_chart=lambda v, labels=None: Markup(retention_svg(v, labels, lang)),
        segment_charts=lambda v, labels=None: [Markup(s) for s in segment_svgs(v, labels, lang)],
    )
    return env


def render_template(view: PortfolioView, meta: ReportMeta, templates_dir: Path | None) -> str:
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError

    from xhsgrow import __version__
    from xhsgrow.rendering.env import template_frame

    env = _env(templates_dir, meta.lang)
    name = template_name(meta.format, meta.lang)
    try:
        template = env.get_template(name)
        return str(
            template.render(
                portfolio=view,
                result=view.result,
                campaigns=view.campaigns,
                meta=meta,
                report=report_block(view, meta),
                version=__version__,
                tz=_portfolio_tz(view),
            )
        )
    except TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name} not found") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except XhsgrowError:
        raise
    except Exception as exc:  # any failure inside a template is the template's
        # An undefined name, arithmetic on a None figure, a division by a zero target, an
        # attribute the sandbox refuses: a workspace template's mistake, so one line naming
        # the file and line (as a syntax error does), not a traceback.
        message = exc.message if isinstance(exc, UndefinedError) else str(exc)
        message = " ".join((message or type(exc).__name__).split())
        frame = template_frame(exc)
        where = f"{frame[0]}:{frame[1]}" if frame else f"template {name}"
        raise TemplateError(f"{where}: {message}") from None


def _portfolio_tz(view: PortfolioView) -> str:
    """The timezone report-wide times are shown in: the campaigns' own when they agree."""
    zones = {v.c.timezone for v in view.campaigns}
    return zones.pop() if len(zones) == 1 else "UTC"


def append_step_summary(text: str) -> Path | None:
    """Under GitHub Actions, add Markdown to the job summary ($GITHUB_STEP_SUMMARY)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return None
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(
            f"cannot append to $GITHUB_STEP_SUMMARY ({path}): {exc.strerror}"
        ) from None
    return path
