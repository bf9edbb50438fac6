"""Audit of `xhsgrow report` and `xhsgrow notify` against docs/reports.md, run as a user would.

Each test states the documented behaviour it holds the CLI to; figures are worked out by hand
from the rows the test writes (docs/metrics.md, "Data quality"), and errors are the one line
docs/reports.md and the README's exit codes promise.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_results import gala, tracking_result
from tests.test_notify import TOKEN, ChatServer
from tests.test_track_edges import csv_file
from tests.test_track_metrics import DATA, make_workspace
from tests.test_track_partner_segments import ev as row
from xhsgrow.report import ReportMeta, render
from xhsgrow.report import format as fmt
from xhsgrow.report import run as report_run
from xhsgrow.tracking.result import TargetResult

REPO = Path(__file__).resolve().parent.parent


def error_lines(res: Any) -> list[str]:
    return [x for x in res.stderr.splitlines() if x.startswith("Error:")]


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> dict[str, int]:
    """The CLI's tracking step returns the hand-built result; counts how often it ran."""
    calls = {"n": 0}

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return tracking_result()

    monkeypatch.setattr(report_run, "track_campaigns", fake)
    return calls


# ---- "A broken template is reported as `report/en/report.md:LINE: message` with exit code 2,
# ---- and nothing is written" ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        # a workspace template dividing by a target that is zero
        ("{{ 1 / (campaigns|length - 3) }}", "division by zero"),
        # arithmetic on a figure that is None (a retention not measurable yet)
        (
            "{% set d7 = none %}{{ d7 * 100 }}",
            "unsupported operand type(s) for *: 'NoneType' and 'int'",
        ),
        # the sandbox refusing an attribute
        (
            "{{ meta.__class__ }}",
            "access to attribute '__class__' of 'ReportMeta' object is unsafe.",
        ),
        # a name the template never set: the line is known, so it is given
        ("{{ nope }}", "'nope' is undefined"),
    ],
)
def test_a_template_failing_while_it_renders_is_one_line_with_file_and_line(
    invoke: Any, tracked: dict[str, int], workspace: Path, expression: str, message: str
) -> None:
    custom = workspace / "templates" / "report" / "en"
    custom.mkdir(parents=True)
    (custom / "report.md").write_text("## fine on line 1\n" + expression + "\n", "utf-8")
    res = invoke("report", "--out", "r.md")
    assert "Traceback" not in res.output
    assert res.exit_code == 2, res.output
    assert error_lines(res) == [f"Error: {custom / 'report.md'}:2: {message}"]
    assert not (workspace / "r.md").exists()
    assert not list(workspace.glob(".r.md*"))  # no temporary file left either


# ---- webhook URLs: a malformed one is the user's mistake (exit 2, one line, before the data
# ---- is read), and never shown ----------------------------------------------------------------

MALFORMED = [
    "http://127.0.0.1:abc/hook/" + TOKEN,  # a port that is not a number
    "http://127.0.0.1:99999/hook/" + TOKEN,  # a port out of range
    "http://[::1/hook/" + TOKEN,  # an unclosed IPv6 bracket
    "https:///hook/" + TOKEN,  # no host
    "https://open.feishu.cn /hook/" + TOKEN,  # a space pasted in
    "https://open.feishu.cn/hook/" + TOKEN + "\x01",  # a control character
]


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_webhook_url_is_one_line_before_the_data_is_read(
    invoke: Any, tracked: dict[str, int], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_URL", url)
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_KIND", "feishu")
    for args in (("notify", "team", "--dry-run"), ("report", "--post", "team")):
        res = invoke(*args)
        assert "Traceback" not in res.output
        assert res.exit_code == 2, (args, res.output)
        (line,) = error_lines(res)
        assert line.startswith("Error: webhook 'team': the URL is not a valid http(s) URL"), line
        assert TOKEN not in res.output
    assert tracked["n"] == 0  # refused before the data is read


def test_a_well_formed_webhook_url_still_posts(
    invoke: Any, tracked: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check refuses malformed URLs only: a plain http:// local hook is posted to."""
    with ChatServer() as chat:
        monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_URL", chat.url("slack"))
        monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_KIND", "slack")
        res = invoke("notify", "team")
        assert res.exit_code == 0, res.output
        assert len(chat.delivered["slack"]) == 1


# ---- --out that is not a regular file ----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_out_to_a_named_pipe_writes_into_it_and_leaves_it_a_pipe(
    invoke: Any, tracked: dict[str, int], workspace: Path
) -> None:
    """`--out` takes "the whole file or nothing (a temporary file renamed into place)" for a
    file; a pipe (or /dev/null, /dev/stdout) has no old content to protect, and renaming over
    it replaces the pipe (or, run as root, the device) with a plain file that nobody reads."""
    fifo = workspace / "report.md"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:  # blocks until the report opens it for writing
            got.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    res = invoke("report", "--out", str(fifo))
    if reader.is_alive():  # the pipe was replaced, not written: let the reader go
        with open(fifo if stat.S_ISFIFO(os.stat(fifo).st_mode) else os.devnull, "wb"):
            pass
    reader.join(timeout=5)
    assert res.exit_code == 0, res.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the pipe was replaced by a file"
    expected = render(tracking_result(), ReportMeta(format="md", lang="en"))
    assert got and got[0].decode("utf-8") == expected


# ---- data quality: the HTML shows the counts of rows read but not counted; `unattributed` is
# ---- one of them -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "Data quality: 6 rows read · 1 unknown event · 3 naming no campaign"),
        ("zh", "数据质量: 6 行已读取 · 1 行事件名未知 · 3 行未标明活动"),
    ],
)
def test_html_data_quality_shows_unknown_events_and_unattributed_rows(
    invoke: Any, tmp_path: Path, lang: str, line: str
) -> None:
    """Campaign `ref` (tests/data/events/referral.toml), window 2025-01-10..20, as of 01-16.
    1. u1's signup to ref (counted); 2. an invite, 3. an interaction and 4. a reward of 5
    naming no campaign: 3 unattributed ("every figure of these events is a campaign's, so
    none reads them"); 5. `SIGNUP` (names are case-sensitive): 1 unknown event; 6. u1's
    `active` without a campaign (needs none: counted). 6 rows read, nothing rejected,
    duplicated or outside the window. The HTML's line already shows rejected, duplicates
    and outside-window rows when there are any; unknown and unattributed rows are rows
    read and not counted in the same way (track's own summary names unknown events too)."""
    make_workspace(tmp_path, DATA / "referral.toml")
    data = csv_file(
        tmp_path / "e.csv",
        [
            row("2025-01-11 10:00:00", "signup", "u1", "ref"),
            row("2025-01-12 10:00:00", "invite", "u1"),
            row("2025-01-12 10:05:00", "interaction", "u2"),
            row("2025-01-12 10:10:00", "reward", "u1", amount="5"),
            row("2025-01-12 10:15:00", "SIGNUP", "u3", "ref"),
            row("2025-01-12 11:00:00", "active", "u1"),
        ],
    )
    base = ("--data", str(data), "--as-of", "2025-01-16")
    res = invoke("track", *base, "-f", "json")
    q = __import__("json").loads(res.stdout)["data_quality"]
    assert (q["rows_read"], q["unknown_events"], q["unattributed"]) == (6, 1, 3)
    assert q["rows_rejected"] == q["duplicates"] == q["outside_windows"] == 0
    res = invoke("report", *base, "--format", "html", "--lang", lang)
    assert res.exit_code == 0, res.output
    shown = re.findall(r'<p class="meta">((?:Data quality|数据质量):[^<]*)</p>', res.stdout)
    assert shown == [line]


# ---- Chinese reports are in Chinese: every target a spec can set has a Chinese label --------


def target_metrics() -> list[str]:
    from xhsgrow.specs import models

    names: set[str] = set()
    for cls in (models.ReferralTargets, models.PartnershipTargets, models.GalaTargets):
        names |= set(cls.model_fields) - {"segments"}
    return sorted(names)


@pytest.mark.parametrize("metric", target_metrics())
def test_every_spec_target_has_a_chinese_label(metric: str) -> None:
    label = fmt.metric_label(metric, "zh")
    assert re.search(r"[\u4e00-\u9fff]", label), f"{metric} is shown as {label!r} in Chinese"


def test_a_gala_peak_concurrent_target_is_in_chinese_in_the_zh_report() -> None:
    """The gala's `peak_concurrent_users` target (a rate-like target: the peak minute's users
    against it); the zh Markdown and chat summary must not fall back to English."""
    peak = TargetResult(
        "peak_concurrent_users", "rate", 40_000_000, 31_000_000, None, 0.775, None, "off_track"
    )
    g = replace(gala(), targets=(*gala().targets, peak))
    zh = render(tracking_result(g), ReportMeta(format="md", lang="zh"))
    en = render(tracking_result(g), ReportMeta(format="md", lang="en"))
    assert "| peak concurrent users | 31,000,000 |" in en
    assert "peak concurrent users" not in zh
    assert f"| {fmt.metric_label('peak_concurrent_users', 'zh')} | 3,100万 |" in zh


# ---- the synopses in docs/reports.md list every option ---------------------------------------


@pytest.mark.parametrize("command", ["report", "notify"])
def test_every_option_is_in_the_documented_synopsis(command: str) -> None:
    import typer

    from xhsgrow.cli import app

    text = (REPO / "docs" / "reports.md").read_text("utf-8")
    block = re.search(rf"```console\n(xhsgrow {command} .*?)```", text, re.S)
    assert block, f"no synopsis of {command}"
    synopsis = " ".join(ln for ln in block.group(1).splitlines() if f"xhsgrow {command}" in ln
                        or ln.startswith(" "))  # fmt: skip
    group = typer.main.get_command(app)
    cmd = group.get_command(typer.Context(group), command)  # type: ignore[attr-defined]
    options = {p.opts[0] for p in cmd.params if p.opts[0].startswith("--")}
    missing = sorted(o for o in options if not re.search(rf"{re.escape(o)}\b", synopsis))
    assert missing == [], f"{command}: {missing} not in the synopsis"


# ---- a ceiling as the headline: no pace, no forecast share -------------------------------------


def test_a_ceiling_headline_has_no_pace_or_forecast_share_in_the_portfolio() -> None:
    """A campaign whose only target is a cost ceiling (¥10 per activated against ≤ ¥12, as
    tracking reports it: pace = 12 / 10 = 1.2, forecast 10). The report's own targets table,
    and track's, show no pace for a ceiling; the portfolio showed 120% and a "forecast" of
    10 / 12 = 83% — "projected share of the headline target", read as behind when the
    campaign is on track. Both are "—" there, and absent from the chat line."""
    from tests.fixtures_results import referral
    from xhsgrow.notify import summarize

    cap = TargetResult("cost_per_activated", "ceiling", 12.0, 10.0, 12.0, 1.2, 10.0, "on_track")
    c = replace(referral(), targets=(cap,), status="on_track")
    text = render(tracking_result(c), ReportMeta(format="md", lang="en"))
    (line,) = [ln for ln in text.splitlines() if ln.startswith("| 🟢 | **")]
    cells = [x.strip() for x in line.strip("|").split("|")]
    assert cells[2] == "cost per activated ¥10 / ¥12"
    assert (cells[3], cells[4]) == ("—", "—")  # pace, forecast
    assert "| cost per activated | ¥10 | — | ≤ ¥12 | — | ¥10 | 🟢 on track |" in text
    detail = summarize(tracking_result(c)).lines[0].detail
    assert "pace" not in detail and "forecast" not in detail
    page = render(tracking_result(c), ReportMeta(format="html", lang="en"))
    row = re.search(
        r'<tr class="s-on_track">\s*<td><a href="#c-cny-2027-invite">.*?</tr>', page, re.S
    )
    assert row and "120%" not in row.group(0) and "83%" not in row.group(0)
