"""Consoles and the one place where library errors become messages and exit codes."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from xhsgrow.errors import XhsgrowError


@cache
def out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, emoji=False, width=_width(sys.stdout))


@cache
def err() -> Console:
    from rich.console import Console

    return Console(
        stderr=True, highlight=False, soft_wrap=True, emoji=False, width=_width(sys.stderr)
    )


def _width(stream: object) -> int | None:
    """Tables in CI logs and pipes get 120 columns (rich would assume 80 and cut numbers);
    a terminal keeps its own width, and $COLUMNS always wins."""
    if os.environ.get("COLUMNS") or getattr(stream, "isatty", lambda: False)():
        return None
    return 120


def report_error(exc: XhsgrowError) -> None:
    """One red line on stderr, plus a hint line when the error has one."""
    console = err()
    console.print(f"[bold red]Error:[/] {_escape(str(exc))}")
    hint = getattr(exc, "hint", None)
    if hint:
        console.print(f"[dim]Hint: {_escape(hint)}[/]")


def warn_no_figures(result: Any) -> None:
    """A warning line naming the campaigns the data source had no figures for (a metrics
    endpoint that left them out: metrics null, status no_data), which --fail-on does not
    fail on: track, report and notify all say it, so that a scheduled job's log shows it."""
    missing = [c.id for c in result.campaigns if c.metrics.get("acquired") is None]
    if missing:
        err().print(
            f"[yellow]warning:[/] {_escape(result.source)} has no figures for "
            f"{_escape(', '.join(missing))}: metrics null, targets no data "
            "(--strict makes this an error)"
        )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def plain(line: str = "", *, stderr: bool = False) -> None:
    """Print without importing rich (fast paths such as `validate`)."""
    print(line, file=sys.stderr if stderr else sys.stdout)
