"""`plan` and `brief` as a demanding user meets them: text from specs shown as written, figures
that never contradict the finding they are in, help that runs as shown, docs that name what
`--format json` prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import REPO
from tests.plan_helpers import K_HALF, gala_spec, referral_spec, round_
from xhsgrow.planning import plan_campaign
from xhsgrow.planning.sweep import PARAMS
from xhsgrow.specs import load_spec


def codes(path: Path) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in plan_campaign(load_spec(path)).findings]


# --- text from the spec is text, not rich markup --------------------------------------------


def test_round_names_with_brackets_print_as_written(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # "[/]" crashed the table with a MarkupError traceback; "[round 1]" vanished from it
    rounds = [round_("Opening [round 1]"), round_("Countdown [/] shake")]
    gala_spec(workspace, rounds=rounds, capacity=200_000)
    result = invoke("plan", "gala")
    assert result.exit_code == 0, result.output
    table = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert sum("Opening [round 1]" in line for line in table) == 2  # capacity and prizes
    assert sum("Countdown [/] shake" in line for line in table) == 2
    # the night's peak names both overlapping rounds, brackets and all
    assert "(Opening [round 1] + Countdown [/] shake)" in result.stdout


# --- overlapping rounds are counted from the rounds, not from a name ------------------------


def test_a_round_named_with_a_plus_is_not_an_overlap(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # one round peaking at 60,000 rps against 50,000: one shortfall, no "overlapping rounds"
    path = gala_spec(workspace, rounds=[round_("Shake + Quiz")], capacity=50_000)
    assert codes(path) == [("error", "capacity_shortfall")]
    result = invoke("plan", "gala", "--fail-on", "error")
    assert result.exit_code == 1
    assert "overlapping" not in result.stdout
    assert result.stderr == "--fail-on error: gala (1 error(s))\n"


# --- a percentage never contradicts the finding it is in ------------------------------------


def test_a_target_missed_by_a_little_does_not_read_100_percent(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # K = 0.5 from 1,000 seeds acquires 1,000 users: 99.7% of a 1,003 target (info, not met)
    referral_spec(workspace, assumptions=K_HALF, acquired=1003)
    (short,) = plan_campaign(load_spec(workspace / "campaigns" / "invite.toml")).findings
    assert (short.severity, short.code) == ("info", "target_short")
    assert "99.7% of the acquired target 1,003" in short.message
    assert "99.7%" in short.message_zh
    result = invoke("plan", "invite")
    assert "99.7% of 1,003" in result.stdout  # the outcome table agrees
    assert "100% of 1,003" not in result.stdout
    brief = invoke("brief", "invite").stdout
    assert "| Share of the acquired target | 99.7% |" in brief


def test_retention_below_target_shows_both_apart(workspace: Path) -> None:
    # D7 = 3% + 97% × 0.8^7 = 23.34%, under a 23.36% target: it read "23.3% … below 23%"
    path = gala_spec(
        workspace,
        targets={"acquired": 1_000_000, "retention_d7": 0.2336},
        assumptions={"retention_decay": 0.2, "retention_floor": 0.03},
    )
    plan = plan_campaign(load_spec(path))
    below = next(f for f in plan.findings if f.code == "retention_below_target")
    assert "leaves 23.3% active on day 7, below the retention_d7 target 23.4%" in below.message
    assert "23.3%" in below.message_zh and "23.4%" in below.message_zh


def test_headroom_just_under_20_percent_does_not_read_20_percent(workspace: Path) -> None:
    # 60,000 rps at the peak against 74,990: 14,990 of headroom, 19.99% -> a warning
    path = gala_spec(workspace, capacity=74_990)
    plan = plan_campaign(load_spec(path))
    (headroom,) = [f for f in plan.findings if f.code == "capacity_headroom"]
    assert headroom.severity == "warning"
    assert "14,990 requests/s of headroom (19.99%)" in headroom.message


# --- big numbers print as numbers ----------------------------------------------------------


def test_a_large_per_referrer_cap_prints_in_full(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace, assumptions=K_HALF, caps={"per_referrer": 1_000_000})
    result = invoke("plan", "invite")
    assert result.exit_code == 0, result.output
    assert "1,000,000 rewarded invites" in result.stdout
    assert "e+06" not in result.stdout


def test_swept_values_print_with_thousands_not_exponents(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace, assumptions=K_HALF)
    result = invoke("plan", "invite", "--sweep", "pool=1000000:2000000:4")
    assert result.exit_code == 0, result.output
    values = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line[:1] == "│"]
    assert values == ["1,000,000", "1,333,333.33", "1,666,666.67", "2,000,000"]


# --- the brief claims only what the plan checked --------------------------------------------


def test_brief_does_not_claim_the_prize_cap_of_a_budget_not_in_cny(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # a $100,000 top prize (about ¥700,000): the plan cannot check it against ¥50,000
    path = gala_spec(workspace, rounds=[round_(top_prize=100_000.0)])
    text = path.read_text("utf-8")
    assert text.count('currency = "CNY"') == 1
    path.write_text(text.replace('currency = "CNY"', 'currency = "USD"'), "utf-8")
    assert ("info", "prize_cap_unchecked") in codes(path)
    for lang, claim in (("en", "No prize over the ¥50,000"), ("zh", "无单个奖项超过 ¥50,000")):
        for fmt in ("md", "html"):
            result = invoke("brief", "gala", "--lang", lang, "--format", fmt)
            assert result.exit_code == 0, result.output
            assert claim not in result.stdout
    # a CNY budget within the cap still gets the line
    gala_spec(workspace)
    assert "No prize over the ¥50,000" in invoke("brief", "gala").stdout


# --- a gala plan without a new-user figure says so -----------------------------------------


def test_gala_without_any_new_user_figure_is_a_gap(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # no targets.acquired and no expected_new_users: the plan had printed 0 new users silently
    path = gala_spec(workspace, targets={})
    assert ("warning", "new_users_not_stated") in codes(path)
    result = invoke("plan", "gala", "--fail-on", "warning")
    assert result.exit_code == 1
    assert "no expected_new_users and no targets.acquired" in result.stdout
    # with a target to share out there is nothing to say
    path = gala_spec(workspace)
    assert "new_users_not_stated" not in {code for _, code in codes(path)}


# --- help that teaches, and runs as shown ---------------------------------------------------


def test_plan_help_examples_name_bundled_campaigns_and_list_the_parameters(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("plan", "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    bundled = {p.stem for p in (REPO / "campaigns").glob("*.toml")}
    examples = re.findall(r"xhsgrow plan ([a-z0-9][a-z0-9_-]*)", result.output)
    assert examples and set(examples) <= bundled, examples
    help_text = " ".join(result.output.replace("│", " ").split())
    for kind, params in PARAMS.items():
        for name in params:
            assert name in help_text, (kind, name)
    assert "invite_conversion=0.05:0.25:5" in help_text


# --- the JSON keys are the documented ones --------------------------------------------------


def _documented(after: str) -> str:
    doc = (REPO / "docs" / "plan.md").read_text("utf-8")
    section = doc.split("## `--format json`", 1)[1].split("\n## ", 1)[0]
    return section.split(after, 1)[1]


def test_json_keys_are_documented(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace, assumptions=K_HALF, acquired=4000)
    doc = json.loads(invoke("plan", "invite", "--format", "json").stdout)
    plan_part = _documented("prints one object:").split("With `--sweep`")[0]
    for key in doc:
        assert f"`{key}`" in plan_part, key
    for key in doc["findings"][0]:
        assert f"`{key}`" in plan_part, key
    sweep_part = _documented("With `--sweep`")
    for spec, cid in (("invite_conversion=0.05:0.1:2", "invite"), ("capacity_rps=1:2:2", "gala")):
        if cid == "gala":
            gala_spec(workspace)
        rows = json.loads(invoke("plan", cid, "--sweep", spec, "--format", "json").stdout)
        for key in [*rows, *rows["rows"][0]]:
            assert f"`{key}`" in sweep_part, key


# --- a bad --sweep names the value that was typed -------------------------------------------


def test_a_rounded_sweep_bound_out_of_range_names_what_was_typed(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # capacity_rps is a whole number: 0.4 rounds to 0, below 1; it said "(got 0)"
    gala_spec(workspace)
    result = invoke("plan", "gala", "--sweep", "capacity_rps=0.4:1:3")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --sweep 'capacity_rps=0.4:1:3': capacity_rps must be at least 1 and at most "
        "1,000,000,000 (got 0.4, which rounds to 0)\n"
    )
    assert result.stdout == ""


def test_a_sweep_to_a_value_no_spec_could_hold_is_refused_before_planning(
    workspace: Path,
    invoke,  # type: ignore[no-untyped-def]
) -> None:
    # each key's own range was checked, not the rules between keys: a pool of 150M under a
    # budget of 100M was planned (and paid out) as if validate had accepted it
    referral_spec(workspace)
    result = invoke("plan", "invite", "--sweep", "pool=50000000:150000000:3")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "Error: --sweep 'pool=50000000:150000000:3': pool = 150,000,000 makes an invalid spec "
        "(referral.caps.pool: reward pool 150,000,000 exceeds the budget 100,000,000)"
    )
    assert result.stdout == ""
    ok = invoke("plan", "invite", "--sweep", "pool=50000000:100000000:3")
    assert ok.exit_code == 0, ok.output
    # the value as the sweep table shows it, not in exponents ("pool = 1.5e+08")
    odd = invoke("plan", "invite", "--sweep", "pool=50000000:150000000.5:2")
    assert "pool = 150,000,000.50 makes an invalid spec" in odd.stderr


# --- money as the spec states it -----------------------------------------------------------


def test_a_top_prize_cents_over_the_cap_does_not_read_as_the_cap(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # ¥50,000.50 is over the ¥50,000 cap; it read "top prize ¥50,000 is over the ¥50,000 cap"
    gala_spec(workspace, rounds=[round_(top_prize=50_000.5)])
    result = invoke("plan", "gala", "--fail-on", "error")
    assert result.exit_code == 1
    assert "R1: top prize ¥50,000.50 is over the ¥50,000 cap" in result.stdout
    assert "¥50,000.50" in [c.strip() for c in result.stdout.split("│")]  # the prizes table
    assert "最高奖 ¥50,000.50 超过" in invoke("brief", "gala", "--lang", "zh").stdout


def test_brief_shows_a_tier_bonus_and_amount_caps_to_the_cent(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(
        workspace,
        rewards={"tiers": [{"invites": 3, "bonus": 8.88}]},
        caps={"per_referrer_daily_amount": 99.5, "per_referrer_amount": 500.0},
    )
    text = invoke("brief", "invite").stdout
    assert "Tier: 3 invites → bonus ¥8.88" in text  # it read "bonus ¥9"
    assert "Per-referrer caps: ¥99.50/day, ¥500 per campaign" in text  # "¥100/day"


def test_every_binds_first_value_is_documented(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # K = 0.5 < 1 with the pool to spare: "none", which docs/plan.md did not name
    referral_spec(workspace, assumptions=K_HALF)
    doc = json.loads(invoke("plan", "invite", "--format", "json").stdout)
    assert doc["referral"]["binds_first"] == "none"
    text = (REPO / "docs" / "plan.md").read_text("utf-8")
    section = text.split("### What binds first when K ≥ 1", 1)[1].split("\n## ", 1)[0]
    for value in ("cap", "pool", "window", "none"):
        assert f"`{value}`" in section, value
