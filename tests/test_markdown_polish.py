"""Wording and Markdown tables as a reader sees them: singular counts in the report's data
quality line, a sentence instead of an empty targets table in the brief, and user-supplied
names with `|` or line breaks that stay inside their table cell (brief and report)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_results import referral, tracking_result
from tests.plan_helpers import referral_spec, write_spec
from tests.test_track_edges import csv_file
from tests.test_track_metrics import DATA, make_workspace
from tests.test_track_partner_segments import ev as row
from xhsgrow.report import ReportMeta, render
from xhsgrow.specs.scaffold import scaffold


def tables(markdown: str) -> list[list[list[str]]]:
    """Every table a CommonMark + GFM-tables reader finds: rows of cell texts."""
    from markdown_it import MarkdownIt

    found: list[list[list[str]]] = []
    for tok in MarkdownIt("commonmark").enable("table").parse(markdown):
        if tok.type == "table_open":
            found.append([])
        elif tok.type == "tr_open":
            found[-1].append([])
        elif tok.type == "inline" and found and found[-1] and tok.level > 3:
            text = "".join(
                c.content for c in tok.children or [] if c.type in ("text", "code_inline")
            )
            found[-1][-1].append(text)
    return found


# ---- report: "1 unknown event", not "1 unknown events" ---------------------------------------


@pytest.mark.parametrize(
    ("lang", "rows", "line"),
    [
        # one row, of an event the contract does not name (names are case-sensitive)
        ("en", ["SIGNUP"], "Data quality: 1 row read · 1 unknown event"),
        ("zh", ["SIGNUP"], "数据质量: 1 行已读取 · 1 行事件名未知"),
        # u1's signup sent twice (one extra copy) and the unknown event: plural for 3
        ("en", ["signup", "signup", "SIGNUP"], "Data quality: 3 rows read · 1 unknown event"
         " · 1 duplicate"),
        ("zh", ["signup", "signup", "SIGNUP"], "数据质量: 3 行已读取 · 1 行事件名未知 · 1 行重复"),
    ],
)  # fmt: skip
def test_html_report_data_quality_uses_the_singular_for_one(
    invoke: Any, tmp_path: Path, lang: str, rows: list[str], line: str
) -> None:
    """Campaign `ref` (tests/data/events/referral.toml), window 2025-01-10..20, as of 01-16;
    `xhsgrow track` words the same counts "1 row read", "1 unknown event", "1 duplicate"."""
    make_workspace(tmp_path, DATA / "referral.toml")
    events = [row("2025-01-11 10:00:00", event, "u1", "ref") for event in rows]
    data = csv_file(tmp_path / "e.csv", events)
    args = ("--data", str(data), "--as-of", "2025-01-16", "--format", "html", "--lang", lang)
    res = invoke("report", *args)
    assert res.exit_code == 0, res.output
    shown = re.findall(r'<p class="meta">((?:Data quality|数据质量):[^<]*)</p>', res.stdout)
    assert shown == [line]


# ---- report: a campaign name with `|` and line breaks stays in its cell -----------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_report_keeps_a_name_with_pipes_and_line_breaks_in_its_cell(lang: str) -> None:
    name = "Red | Blue\r\nGreen\rGold"
    text = render(
        tracking_result(replace(referral(), name=name)), ReportMeta(format="md", lang=lang)
    )
    portfolio = tables(text)[0]
    assert len(portfolio) == 2  # the header and the campaign, nothing split off
    assert portfolio[1][1] == "Red | Blue Green Gold cny-2027-invite"
    assert all(len(r) == len(portfolio[0]) for r in portfolio)


def test_markdown_report_cell_keeps_backslashes_as_typed() -> None:
    """A backslash in a name is text: before a pipe (which GitHub would otherwise read as
    an escaped escape, ending the cell) or anywhere else, the cell reads as typed."""
    name = "Tools C:\\|D \\ E\\"
    text = render(
        tracking_result(replace(referral(), name=name)), ReportMeta(format="md", lang="en")
    )
    portfolio = tables(text)[0]
    assert len(portfolio) == 2
    assert portfolio[1][1] == f"{name} cny-2027-invite"
    assert all(len(r) == len(portfolio[0]) for r in portfolio)


# ---- brief: no targets is a sentence, not a table of only a header ----------------------------


@pytest.mark.parametrize(
    ("lang", "heading", "sentence"),
    [("en", "## Targets", "No targets set."), ("zh", "## 指标", "未设置指标。")],
)
def test_markdown_brief_without_targets_says_so(
    workspace: Path, invoke: Any, lang: str, heading: str, sentence: str
) -> None:
    referral_spec(workspace)  # [targets] is empty: valid, every target is optional
    assert invoke("validate").exit_code == 0
    res = invoke("brief", "invite", "--lang", lang)
    assert res.exit_code == 0, res.output
    section = res.output.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    assert section.strip().splitlines()[0] == sentence
    assert tables(section) == []
    # the budget projection table is still there
    assert len(tables(res.output)) == 2  # projection and milestones


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_brief_without_targets_says_so(workspace: Path, invoke: Any, lang: str) -> None:
    referral_spec(workspace)
    html = invoke("brief", "invite", "--lang", lang, "-f", "html").output
    section = html.split('<section id="targets">', 1)[1].split("</section>", 1)[0]
    assert "<table" not in section
    assert ("No targets set." if lang == "en" else "未设置指标。") in section


# ---- brief: user-supplied names with `|` or line breaks stay in their cells -------------------


def partnership_spec(ws: Path, *, milestone: str, owner: str) -> None:
    data = scaffold("partnership", "deal", today=dt.date(2026, 12, 1))
    data["partnership"]["milestones"][0].update(name=milestone, owner=owner)
    write_spec(ws, "deal", data)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_brief_milestone_names_with_pipes_and_line_breaks_stay_in_their_cells(
    workspace: Path, invoke: Any, lang: str
) -> None:
    partnership_spec(workspace, milestone="Training | round 1\nin Leishan", owner="ops|live\r\nA")
    assert invoke("validate").exit_code == 0
    res = invoke("brief", "deal", "--lang", lang)
    assert res.exit_code == 0, res.output
    milestones = tables(res.output)[-1]
    assert len(milestones) == 3  # the header and the two milestones
    assert milestones[1][:1] + milestones[1][2:3] == ["Training | round 1 in Leishan", "ops|live A"]
    assert all(len(r) == 4 for r in milestones)


def test_markdown_brief_campaign_owner_with_a_pipe_stays_in_the_milestone_cells(
    workspace: Path, invoke: Any
) -> None:
    import tomllib

    data = tomllib.loads(referral_spec(workspace, acquired=5000).read_text("utf-8"))
    data["owner"] = "growth | 增长\nteam"
    write_spec(workspace, "invite", data)
    assert invoke("validate").exit_code == 0
    milestones = tables(invoke("brief", "invite").output)[-1]
    assert [r[2] for r in milestones[1:]] == ["growth | 增长 team"] * 2  # launch and end
    assert all(len(r) == 4 for r in milestones)
