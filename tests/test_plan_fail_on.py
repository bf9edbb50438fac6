"""`xhsgrow plan --fail-on error|warning`: exit 1 after the output when findings reach it.

Each spec's findings are known from its numbers (tests/plan_helpers.py): the default gala round
peaks at 60,000 rps and its prize pool is ¥1,000,000.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.plan_helpers import K_HALF, gala_spec, referral_spec, write_spec
from xhsgrow.errors import UsageError
from xhsgrow.planning import fail_severities, plan_campaign
from xhsgrow.specs import load_spec
from xhsgrow.specs.scaffold import scaffold


def error_and_warning(ws: Path) -> Path:
    """capacity_shortfall (error): 60,000 rps against 50,000; prizes_near_budget (warning):
    ¥1,000,000 of prizes is 95% of a ¥1,050,000 budget."""
    return gala_spec(ws, capacity=50_000, budget=1_050_000)


def warning_only(ws: Path) -> Path:
    """prizes_near_budget (warning) and capacity_headroom (info: 25% headroom)."""
    return gala_spec(ws, budget=1_050_000)


def info_only(ws: Path) -> Path:
    """capacity_headroom (info): 20,000 rps of headroom, 25% of 80,000."""
    return gala_spec(ws)


def codes(path: Path) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in plan_campaign(load_spec(path)).findings]


def test_the_specs_have_the_findings_the_tests_rely_on(workspace: Path) -> None:
    assert codes(error_and_warning(workspace)) == [
        ("error", "capacity_shortfall"),
        ("warning", "prizes_near_budget"),
    ]
    assert codes(warning_only(workspace)) == [
        ("warning", "prizes_near_budget"),
        ("info", "capacity_headroom"),
    ]
    assert codes(info_only(workspace)) == [("info", "capacity_headroom")]


@pytest.mark.parametrize(
    ("spec", "args", "code"),
    [
        (error_and_warning, [], 0),
        (error_and_warning, ["--fail-on", "error"], 1),
        (error_and_warning, ["--fail-on", "warning"], 1),
        (warning_only, [], 0),
        (warning_only, ["--fail-on", "error"], 0),
        (warning_only, ["--fail-on", "warning"], 1),
        (info_only, ["--fail-on", "error"], 0),
        (info_only, ["--fail-on", "warning"], 0),
    ],
    ids=[
        "error-no-flag",
        "error-fail-on-error",
        "error-fail-on-warning",
        "warning-no-flag",
        "warning-fail-on-error",
        "warning-fail-on-warning",
        "info-fail-on-error",
        "info-fail-on-warning",
    ],
)
def test_exit_code(workspace: Path, invoke, spec, args: list[str], code: int) -> None:  # type: ignore[no-untyped-def]
    spec(workspace)
    result = invoke("plan", "gala", *args)
    assert result.exit_code == code, result.output
    # the whole table comes first, whatever the exit
    assert "Findings" in result.stdout
    assert "--fail-on" not in result.stdout
    if code == 0:
        assert result.stderr == ""


def test_the_stderr_line_counts_what_fails(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    error_and_warning(workspace)
    result = invoke("plan", "gala", "--fail-on", "error")
    assert result.stderr == "--fail-on error: gala (1 error(s))\n"
    result = invoke("plan", "gala", "--fail-on", "warning")
    assert result.stderr == "--fail-on warning: gala (1 error(s), 1 warning(s))\n"
    warning_only(workspace)
    result = invoke("plan", "gala", "--fail-on", "warning")
    assert result.stderr == "--fail-on warning: gala (0 error(s), 1 warning(s))\n"


def test_json_stays_json_when_it_fails(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    error_and_warning(workspace)
    result = invoke("plan", "gala", "--format", "json", "--fail-on", "warning")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)  # stdout holds the JSON and nothing else
    assert [f["code"] for f in doc["findings"]] == ["capacity_shortfall", "prizes_near_budget"]
    assert "1 error(s), 1 warning(s)" in result.stderr


def test_referral_and_partnership_warnings_fail_on_warning_only(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # referral: K = 0.5 from 1,000 seeds acquires 1,000 users, 50% of a 2,000 target
    referral_spec(workspace, assumptions=K_HALF, acquired=2000)
    # partnership: the scaffold's first milestone without an owner
    deal = scaffold("partnership", "deal", today=dt.date(2026, 12, 1))
    deal["partnership"]["milestones"][0]["owner"] = ""
    write_spec(workspace, "deal", deal)
    for cid, code in (("invite", "target_short"), ("deal", "milestone_no_owner")):
        assert codes(workspace / "campaigns" / f"{cid}.toml") == [("warning", code)]
        assert invoke("plan", cid, "--fail-on", "error").exit_code == 0
        result = invoke("plan", cid, "--fail-on", "warning")
        assert result.exit_code == 1
        assert result.stderr == f"--fail-on warning: {cid} (0 error(s), 1 warning(s))\n"


def test_sweep_judges_the_spec_as_written(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # the spec's 50,000 rps falls short; the swept capacities would all hold
    error_and_warning(workspace)
    args = ("plan", "gala", "--sweep", "capacity_rps=80000:100000:3", "--format", "json")
    result = invoke(*args, "--fail-on", "error")
    assert result.exit_code == 1
    assert [r["errors"] for r in json.loads(result.stdout)["rows"]] == [0, 0, 0]
    assert result.stderr == "--fail-on error: gala (1 error(s))\n"
    info_only(workspace)
    # the spec holds (80,000 rps); a swept 50,000 would not: the run still passes
    result = invoke("plan", "gala", "--sweep", "capacity_rps=50000:80000:2", "--fail-on", "error")
    assert result.exit_code == 0, result.output
    assert "sweep of capacity_rps" in result.stdout


def test_an_unknown_level_is_a_usage_error(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    info_only(workspace)
    result = invoke("plan", "gala", "--fail-on", "bogus")
    assert result.exit_code == 2
    assert "Invalid value for '--fail-on'" in result.stderr
    # the error panel wraps its text: look for the words, not the line
    words = result.stderr.replace("│", " ").split()
    assert " ".join(words).count("'bogus' is not one of 'error', 'warning'.") == 1
    assert result.stdout == ""
    # info is a note, not a level
    assert invoke("plan", "gala", "--fail-on", "info").exit_code == 2


def test_fail_severities() -> None:
    assert fail_severities("error") == ("error",)
    assert fail_severities("warning") == ("error", "warning")
    with pytest.raises(UsageError, match="expected error or warning"):
        fail_severities("info")


def test_help_names_the_option_and_its_example(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("plan", "--help")
    assert result.exit_code == 0
    assert "--fail-on" in result.output and "error|warning" in result.output
    assert "xhsgrow plan gala-2027 --fail-on error" in result.output
