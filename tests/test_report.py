"""`xhsgrow report`: Markdown, HTML, JSON and CSV from tracking results, exit codes, CI."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_results import AS_OF, gala, partnership, referral, tracking_result
from xhsgrow.errors import UsageError
from xhsgrow.report import ReportMeta, TemplateError, render
from xhsgrow.report import run as report_run


def md(result: Any = None, lang: str = "en", **kw: Any) -> str:
    return render(result or tracking_result(), ReportMeta(format="md", lang=lang, **kw))


def html(result: Any = None, lang: str = "en") -> str:
    return render(result or tracking_result(), ReportMeta(format="html", lang=lang))


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> dict[str, Any]:
    """Make the CLI's tracking step return the hand-built result; records its arguments."""
    seen: dict[str, Any] = {"result": tracking_result()}

    def fake(
        ws: Any,
        ids: list[str],
        *,
        data: Any,
        as_of: Any,
        strict: bool = False,
        engine: str | None = None,
    ) -> Any:
        seen.update(ids=list(ids), data=data, as_of=as_of, strict=strict, engine=engine)
        result = seen["result"]
        if ids:
            result = replace(result, campaigns=tuple(c for c in result.campaigns if c.id in ids))
        return result

    monkeypatch.setattr(report_run, "track_campaigns", fake)
    return seen


# ---- content ---------------------------------------------------------------------------------


def test_portfolio_is_worst_first_whatever_the_input_order() -> None:
    text = md(tracking_result(partnership(), referral(), gala()))
    order = [text.index(i) for i in ("`gala-2027`", "`cny-2027-invite`", "`qiandongnan-2027`")]
    assert order == sorted(order)
    assert "🔴 1 off track · 🟠 1 at risk · 🟢 1 on track" in text


def test_markdown_numbers_are_for_readers() -> None:
    text = md()
    acquired = sum(4000 + 50 * i for i in range(22))  # the referral's 22 days so far
    assert f"new users {acquired:,} / 200,000" in text  # 99,550 / 200,000
    assert f"{acquired / (200_000 * 22 / 40):.0%}" in text  # pace 90%
    spent = sum(36_000 + 400 * i for i in range(22))  # ¥884,400 of ¥1,800,000
    assert f"(¥{spent:,} / ¥1,800,000)" in text
    assert "| cost per activated | ¥14.81 |" in text  # 884,400 / 59,730 = 14.806...
    assert "≤ ¥18" in text and "≥ 0.35" in text
    # fraud flags carry the money at risk: 576 + 372
    assert "money at risk ¥948" in text


def test_chinese_report_uses_wan_and_yi() -> None:
    text = md(lang="zh")
    assert "活动进度报告" in text
    assert "新增用户 9.96万 / 20万" in text  # 99,550 = 9.955万, three significant digits
    assert "¥1.2亿" in text  # the gala budget, 120,000,000
    assert "新增用户 203万 / 500万" in text  # 2,030,000 of 5,000,000
    assert "| 互动次数 | 10.3亿 |" in text  # 1,026,000,000 interactions
    assert "| ≥ 25.0% |" in text or "≥ 25.0%" in text
    assert "2027年2月10日" in text
    assert "落后" in text and "有风险" in text and "正常" in text


def test_times_are_shown_in_the_campaigns_timezone() -> None:
    text = md()  # the peak minute is 15:59 UTC, i.e. 23:59 in Beijing
    assert "Peak minute: 2027-02-05 23:59" in text
    in_utc = replace(gala(), timezone="UTC")
    assert "Peak minute: 2027-02-05 15:59" in md(tracking_result(in_utc))


def test_markdown_table_cells_escape_pipes() -> None:
    text = md(tracking_result(replace(referral(), name="Invite | win")))
    assert "**Invite \\| win**" in text


def test_each_kind_has_its_own_view_in_html() -> None:
    page = html()
    # referral: funnel, K-factor, referrers, fraud flags with money at risk
    assert "Referral funnel" in page and "u_8f3a" in page and "shared device" in page
    # partnership: regional scorecard and milestones
    assert "Regional scorecard" in page and "雷山县" in page and "overdue" in page
    # gala: phases, rounds in Beijing time, peak minute, retention
    assert "Rounds on the night" in page and "2027-02-05 23:58" in page
    assert "Peak minute" in page


def test_html_is_self_contained_with_charts() -> None:
    page = html()
    assert page.count("<svg") >= 3 * 3  # burn-up, retention and segments for each campaign
    assert "<script" not in page
    assert 'src="http' not in page and "<link" not in page and "@import" not in page
    assert page.count('stroke-dasharray="7 5"') >= 3  # a dashed forecast per burn-up
    assert '<meta name="viewport"' in page and "@media print" in page


def test_html_escapes_campaign_text() -> None:
    evil = replace(referral(), name='<img src=x onerror="alert(1)">')
    page = html(tracking_result(evil))
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page


def test_json_is_tracking_json_plus_report_block() -> None:
    result = tracking_result()
    doc = json.loads(render(result, ReportMeta(format="json", lang="en", fail_on="at-risk")))
    report = doc.pop("report")
    assert doc == json.loads(json.dumps(result.to_json()))
    assert report["order"] == ["gala-2027", "cny-2027-invite", "qiandongnan-2027"]
    assert sorted(report["failing"]) == ["cny-2027-invite", "gala-2027"]
    assert report["worst_status"] == "off_track"
    assert report["status_counts"] == {"off_track": 1, "at_risk": 1, "on_track": 1}


def test_csv_has_one_row_per_campaign_and_target() -> None:
    result = tracking_result()
    rows = list(csv.DictReader(io.StringIO(render(result, ReportMeta(format="csv", lang="en")))))
    assert len(rows) == sum(len(c.targets) for c in result.campaigns)  # 3 + 4 + 2
    first = rows[0]
    assert (first["campaign_id"], first["metric"], first["target_status"]) == (
        "gala-2027",
        "acquired",
        "off_track",
    )
    assert float(first["target"]) == 5_000_000
    assert float(first["actual"]) == 1_400_000 + 21 * 30_000
    blank = next(r for r in rows if r["metric"] == "retention_d7")
    assert blank["actual"] == "" and blank["pace"] == ""


def test_campaign_without_targets_still_gets_a_csv_row() -> None:
    bare = replace(partnership(), targets=())
    rows = list(csv.DictReader(io.StringIO(render(tracking_result(bare), ReportMeta("csv", "en")))))
    assert len(rows) == 1 and rows[0]["campaign_id"] == "qiandongnan-2027" and not rows[0]["metric"]


def test_workspace_template_overrides_builtin(workspace: Path) -> None:
    custom = workspace / "templates" / "report" / "en"
    custom.mkdir(parents=True)
    (custom / "report.md").write_text(
        "{% for v in campaigns %}{{ v.c.id }}={{ v.status|status_label }};{% endfor %}\n"
    )
    text = render(tracking_result(), ReportMeta("md", "en"), templates_dir=workspace / "templates")
    assert text == "gala-2027=off track;cny-2027-invite=at risk;qiandongnan-2027=on track;"


def test_broken_template_names_itself(workspace: Path) -> None:
    custom = workspace / "templates" / "report" / "en"
    custom.mkdir(parents=True)
    (custom / "report.md").write_text("line one\n{% for x in %}\n")
    with pytest.raises(TemplateError, match=r"report/en/report.md:2:"):
        render(tracking_result(), ReportMeta("md", "en"), templates_dir=workspace / "templates")


# ---- CLI -------------------------------------------------------------------------------------


def test_report_cli_prints_markdown_and_passes_options(invoke: Any, tracked: dict) -> None:
    res = invoke(
        "report", "--data", "events/", "--as-of", "2027-02-10", "--strict", "--engine", "spark"
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("## Campaign report — 2027-02-10")
    assert tracked["data"] == "events/" and tracked["as_of"] == AS_OF and tracked["strict"]
    assert tracked["engine"] == "spark"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 0),
        (("--fail-on", "off-track"), 1),
        (("--fail-on", "at-risk"), 1),
        (("qiandongnan-2027", "--fail-on", "at-risk"), 0),
        (("cny-2027-invite", "--fail-on", "off-track"), 0),
        (("cny-2027-invite", "--fail-on", "at-risk"), 1),
    ],
)
def test_exit_codes_follow_fail_on(invoke: Any, tracked: dict, args: tuple, code: int) -> None:
    res = invoke("report", *args)
    assert res.exit_code == code
    if code:
        assert "at or past" in res.stderr


def test_usage_errors_exit_2(invoke: Any, tracked: dict) -> None:
    res = invoke("report", "--as-of", "10/02/2027")
    assert res.exit_code == 2 and "not a date" in res.stderr
    assert invoke("report", "--format", "pdf").exit_code == 2
    assert invoke("report", "--fail-on", "late").exit_code == 2


def test_out_writes_the_file(invoke: Any, tracked: dict, workspace: Path) -> None:
    res = invoke("report", "--format", "html", "--out", "site/report.html", "--lang", "zh")
    assert res.exit_code == 0
    page = (workspace / "site" / "report.html").read_text()
    assert page.startswith("<!doctype html>") and 'lang="zh-CN"' in page
    assert res.stdout == ""


def test_without_format_the_out_suffix_picks_it(
    invoke: Any, tracked: dict, workspace: Path
) -> None:
    # `report --out report.html` used to write Markdown into the .html file
    for args, out, start in [
        ((), "report.html", "<!doctype html>"),
        ((), "report.HTM", "<!doctype html>"),
        ((), "r.json", "{"),
        ((), "r.csv", "campaign_id,campaign_name,"),
        ((), "r.markdown", "## Campaign report"),
        ((), "r.txt", "## Campaign report"),  # an unknown suffix keeps the default, md
        (("-f", "json"), "r.txt", "{"),  # ... or the --format given
        (("-f", "html"), "r.html", "<!doctype html>"),
    ]:
        res = invoke("report", *args, "--out", out)
        assert res.exit_code == 0, res.output
        assert (workspace / out).read_text(encoding="utf-8").startswith(start), (args, out)


@pytest.mark.parametrize(
    ("fmt", "out", "looks"),
    [("csv", "r.json", "json"), ("md", "report.html", "html"), ("json", "r.MD", "md")],
)
def test_format_contradicting_the_out_suffix_is_refused(
    invoke: Any, tracked: dict, workspace: Path, fmt: str, out: str, looks: str
) -> None:
    res = invoke("report", "-f", fmt, "--out", out)
    assert res.exit_code == 2
    assert (
        res.stderr.splitlines()[0] == f"Error: --out {out} looks like {looks} but --format is {fmt}"
    )
    assert not (workspace / out).exists()
    assert "ids" not in tracked  # refused before the data is read


def test_only_markdown_goes_to_the_step_summary_when_the_suffix_picks_html(
    invoke: Any, tracked: dict, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = workspace / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert invoke("report", "--out", "report.html").exit_code == 0
    assert not summary.exists()


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "//ci/r.html", "https://", "https://ci/a b"]
)
@pytest.mark.parametrize("command", ["report", "notify"])
def test_report_url_must_be_an_http_url(
    invoke: Any,
    tracked: dict,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    url: str,
) -> None:
    # it landed as-is in the HTML footer's href (and in chat cards' links)
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_URL", "https://hooks.slack.com/services/T/B/X")
    args = ("-f", "html", "--out", "r.html") if command == "report" else ("team", "--dry-run")
    res = invoke(command, *args, "--report-url", url)
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == f"Error: --report-url {url!r} is not an http(s) URL"
    assert not (workspace / "r.html").exists()
    assert "ids" not in tracked  # refused before the data is read
    with pytest.raises(UsageError, match="not an http"):
        html_meta = ReportMeta(format="html", lang="en", report_url=url)
        render(tracking_result(), html_meta)


def test_an_http_report_url_is_linked(invoke: Any, tracked: dict, workspace: Path) -> None:
    url = "https://ci.example.com/runs/42?report=1&lang=zh"
    res = invoke("report", "--out", "r.html", "--report-url", url)
    assert res.exit_code == 0, res.output
    page = (workspace / "r.html").read_text(encoding="utf-8")
    assert '<a href="https://ci.example.com/runs/42?report=1&amp;lang=zh">' in page


def test_nothing_half_written_on_template_error(
    invoke: Any, tracked: dict, workspace: Path
) -> None:
    bad = workspace / "templates" / "report" / "en"
    bad.mkdir(parents=True)
    (bad / "report.md").write_text("{{ campaigns[0].no_such_field }}")
    res = invoke("report", "--out", "out.md")
    assert res.exit_code == 2
    assert "report/en/report.md" in res.stderr
    assert not (workspace / "out.md").exists()
    assert not list(workspace.glob(".out.md*"))


def test_a_workspace_template_that_is_not_utf8_is_one_line(
    invoke: Any, tracked: dict, workspace: Path
) -> None:
    bad = workspace / "templates" / "report" / "en"
    bad.mkdir(parents=True)
    (bad / "report.md").write_bytes("# 报告\n{{ x }}\n".encode("gbk"))
    res = invoke("report", "--out", "out.md")
    assert res.exit_code == 2
    assert res.exception is None or isinstance(res.exception, SystemExit)  # no UnicodeDecodeError
    assert res.stderr == (
        f"Error: {bad / 'report.md'}:1: template is not UTF-8 text; save it as UTF-8\n"
    )
    assert not (workspace / "out.md").exists()


def test_out_in_a_folder_that_cannot_be_made_is_one_line(
    invoke: Any, tracked: dict, workspace: Path
) -> None:
    (workspace / "site").write_text("a file, not a folder")
    res = invoke("report", "--out", "site/report.md")
    assert res.exit_code == 2
    assert res.stderr == "Error: cannot write site/report.md: Not a directory\n"
    assert "Traceback" not in res.output
    assert "ids" not in tracked  # refused before the (long) read of the data


def test_github_step_summary_gets_the_markdown(
    invoke: Any, tracked: dict, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = workspace / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert invoke("report", "--format", "md").exit_code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n## Campaign report")
    assert invoke("report", "--format", "html").exit_code == 0
    assert summary.read_text() == text  # only Markdown goes to the job summary


def test_unknown_campaign_id_is_a_usage_error(invoke: Any, workspace: Path) -> None:
    # no spec of that name: the spec loader's error, exit 2
    res = invoke("report", "no-such-campaign", "--data", "x.csv")
    assert res.exit_code == 2
    assert "no-such-campaign" in res.stderr


def test_not_started_and_empty_reports_render(tmp_path: Path) -> None:
    future = replace(
        referral(),
        id="summer-2027",
        name="Summer 2027",
        status="not_started",
        targets=(),
        daily=(),
        expected_curve=(),
        metrics={},
        segments=(),
        referral=None,
    )
    for fmt in ("md", "html"):
        for lang in ("en", "zh"):
            text = render(tracking_result(future), ReportMeta(fmt, lang))
            assert "Summer 2027" in text
    page = html(tracking_result(future))
    assert "<svg" not in page  # nothing to draw yet: no empty chart frames
    assert "No targets set in the spec." in page
    empty = replace(tracking_result(), campaigns=())
    assert "No campaigns in this report." in md(empty)
    assert "No campaigns in this report." in html(empty)


def test_segment_bars_compare_with_what_was_expected_by_now() -> None:
    page = html(tracking_result(partnership()))
    assert "expected by now" in page
    assert f"38,200  {38_200 / 140_000:.0%} of target" in page  # 凯里市: 27% of the year's target
