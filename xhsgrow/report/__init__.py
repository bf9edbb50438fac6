"""Campaign reports: Markdown, HTML with charts, JSON and CSV from a TrackingResult.

Public API::

    from xhsgrow.report import ReportMeta, render, exit_code, failing, check_report_url
"""

from xhsgrow.report.render import (
    FAIL_ON,
    FORMATS,
    ReportMeta,
    TemplateError,
    append_step_summary,
    check_report_url,
    exit_code,
    failing,
    render,
)

__all__ = [
    "FAIL_ON",
    "FORMATS",
    "ReportMeta",
    "TemplateError",
    "append_step_summary",
    "check_report_url",
    "exit_code",
    "failing",
    "render",
]
