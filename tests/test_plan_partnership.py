"""`xhsgrow plan` for partnerships: timeline, regional targets against the total, gaps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xhsgrow.planning import plan_campaign
from xhsgrow.planning.gantt import gantt_svg, text_rows
from xhsgrow.specs import load_spec
from xhsgrow.specs.scaffold import scaffold

START, END = dt.date(2027, 1, 1), dt.date(2027, 6, 28)


def partnership_spec(ws: Path, **section: Any) -> Path:
    import tomli_w

    data = scaffold("partnership", "deal", today=dt.date(2026, 12, 1))
    assert data["window"]["start"] == START and data["window"]["end"] == END
    p = data["partnership"]
    targets = section.pop("targets", None)
    p.update(section)
    if targets is not None:
        data["targets"] = targets
    path = ws / "campaigns" / "deal.toml"
    path.write_text(tomli_w.dumps(data), "utf-8")
    return path


def test_gaps_are_found(workspace: Path) -> None:
    # Qiandongnan prefecture (5226xx): Leishan (522634) and Rongjiang (522632) are covered;
    # only Leishan has a target (300 + nothing = 300 of a 500 total).
    path = partnership_spec(
        workspace,
        partner={"name": "黔东南州人民政府", "level": "county", "divisions": ["522634", "522632"]},
        targets={
            "merchants_onboarded": 500,
            "segments": [
                {
                    "dimension": "region",
                    "value": "522634",
                    "metric": "merchants_onboarded",
                    "target": 300,
                }
            ],
        },
        commitments=[
            {"party": "platform", "what": "traffic support", "due": END},
            {"party": "government", "what": "venues", "due": END + dt.timedelta(days=3)},
        ],
        milestones=[
            {
                "name": "kick-off",
                "due": START + dt.timedelta(days=10),
                "owner": "partner-relations",
            },
            {"name": "livestream", "due": START + dt.timedelta(days=40), "owner": ""},
        ],
    )
    # the agreement ends with the window, so a commitment 3 days later is late
    plan = plan_campaign(load_spec(path))
    by_code: dict[str, list[str]] = {}
    for f in plan.findings:
        by_code.setdefault(f.code, []).append(f.where)
    assert by_code["region_no_target"] == ["partnership.partner.divisions[1]"]
    assert by_code["milestone_no_owner"] == ["partnership.milestones[1].owner"]
    assert by_code["commitment_after_agreement"] == ["partnership.commitments[1].due"]
    assert by_code["regions_below_total"] == ["targets.segments"]
    short = next(f for f in plan.findings if f.code == "regions_below_total")
    assert "300" in short.message and "200 short" in short.message
    p = plan.partnership
    assert p is not None
    assert p.uncovered == [("522632", "榕江县")]
    (s,) = p.region_sums
    assert (s.metric, s.regional, s.total) == ("merchants_onboarded", 300, 500)


def test_a_prefecture_target_covers_its_counties_and_sums_match(workspace: Path) -> None:
    path = partnership_spec(
        workspace,
        partner={"name": "黔东南州人民政府", "level": "prefecture", "divisions": ["522600"]},
        targets={
            "acquired": 1000,
            "segments": [
                {"dimension": "region", "value": "522634", "metric": "acquired", "target": 600},
                {"dimension": "region", "value": "522632", "metric": "acquired", "target": 400},
            ],
        },
    )
    plan = plan_campaign(load_spec(path))
    codes = {f.code for f in plan.findings}
    assert not codes & {"region_no_target", "regions_below_total", "regions_above_total"}


def test_timeline_text_and_svg(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    path = partnership_spec(workspace)
    plan = plan_campaign(load_spec(path))
    p = plan.partnership
    assert p is not None
    kinds = [i.kind for i in p.timeline]
    assert kinds == [
        "agreement",
        "commitment",
        "commitment",
        "commitment",
        "milestone",
        "milestone",
    ]
    rows, axis = text_rows(p.timeline, width=40)
    assert all(len(r.bar) == 40 for r in rows) and len(axis) == 40
    assert rows[0].bar == "█" * 40  # the agreement spans the whole timeline
    milestone = rows[4].bar
    assert milestone.count("◆") == 1 and milestone.strip() == "◆"
    # first milestone is due 21 days into a 178-day span: column round(21/178 × 39) = 5
    assert milestone.index("◆") == 5
    svg = gantt_svg(p.timeline, title="t")
    assert svg.startswith("<svg") and svg.count("<rect") == 1 + 4 and svg.count("<path") == 2
    result = invoke("plan", "deal")
    assert result.exit_code == 0, result.output
    assert (
        "Timeline" in result.output and "◆" in result.output and "Regional targets" in result.output
    )
