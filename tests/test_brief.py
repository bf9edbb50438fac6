"""`xhsgrow brief`: the approval brief in md and html, en and zh, overridable by templates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.plan_helpers import gala_spec, referral_spec, round_

SECTIONS = {
    "en": ["Objective", "Audience", "Mechanics", "Rewards and caps", "Targets", "Risks", "Owners"],
    "zh": ["目标", "受众", "玩法", "奖励与上限", "指标", "风险", "负责人与里程碑"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_brief_renders_in_both_languages_and_formats(
    workspace: Path, invoke, lang: str, fmt: str
) -> None:  # type: ignore[no-untyped-def]
    referral_spec(
        workspace,
        acquired=5000,
        rewards={"tiers": [{"invites": 3, "bonus": 20.0}]},
        caps={"per_referrer": 30},
    )
    result = invoke("brief", "invite", "--format", fmt, "--lang", lang)
    assert result.exit_code == 0, result.output
    text = result.output
    for heading in SECTIONS[lang]:
        assert heading in text
    assert "¥50,000,000" in text  # the pool, under rewards and caps
    assert "¥20" in text  # the tier bonus
    if fmt == "html":
        assert text.lstrip().startswith("<!DOCTYPE html>")
        assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in text
        assert "<svg" in text and "</svg>" in text  # the pacing chart, inline
        assert "<script" not in text and "http://" not in text.replace(
            "http://www.w3.org/2000/svg", ""
        )
    else:
        assert text.startswith("# ") and "<svg" not in text
    if lang == "zh":
        assert "活动简报" in text
        assert "单个邀请人上限" in text


def test_gala_brief_shows_capacity_and_legal_risks(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    rounds = [round_(top_prize=60_000.0, shares_to_wechat=True, mechanic="card_collect")]
    gala_spec(workspace, rounds=rounds, capacity=50_000)
    en = invoke("brief", "gala").output
    assert "Shortfall 10,000 rps (20% of capacity)" in en
    assert "Art. 10" in en and "集卡" in en
    zh = invoke("brief", "gala", "--lang", "zh").output
    assert "缺口 10,000 次/秒" in zh and "第十条" in zh and "微信外链规则" in zh


def test_partnership_html_brief_has_the_timeline_chart(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("new", "partnership", "deal").exit_code == 0
    html = invoke("brief", "deal", "--format", "html").output
    assert html.count("<svg") == 2  # pacing curve and timeline
    assert "First merchant training" in html and "雷山县" in html


def test_workspace_template_overrides_builtin(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    folder = workspace / "templates" / "brief" / "en"
    folder.mkdir(parents=True)
    (folder / "brief.md").write_text("OURS {{ c.id }} {{ projection | length }}\n", "utf-8")
    result = invoke("brief", "invite")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"OURS invite \d+\n", result.output)
    # the other language still uses the built-in template
    assert "活动简报" in invoke("brief", "invite", "--lang", "zh").output


def test_overriding_only_the_layout(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    (workspace / "templates" / "brief").mkdir(parents=True)
    (workspace / "templates" / "brief" / "_body.md").write_text(
        "{{ t.title }} / {{ c.name }}\n", "utf-8"
    )
    assert invoke("brief", "invite").output == "Campaign brief / Invite friends, both get ¥10\n"
    assert (
        invoke("brief", "invite", "--lang", "zh").output
        == "活动简报 / Invite friends, both get ¥10\n"
    )


def test_broken_override_is_a_clear_error(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    folder = workspace / "templates" / "brief" / "en"
    folder.mkdir(parents=True)
    (folder / "brief.md").write_text("{{ no_such_thing }}\n", "utf-8")
    result = invoke("brief", "invite", "--out", "brief.md")
    assert result.exit_code == 2
    assert "brief/en/brief.md" in result.output and "no_such_thing" in result.output
    assert not (workspace / "brief.md").exists()


@pytest.mark.parametrize("override", ["brief/en/brief.md", "brief/_body.md"])
def test_a_workspace_template_that_is_not_utf8_is_one_line(
    workspace: Path, invoke, override: str
) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    path = workspace / "templates" / override
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("# ok\n# 简报 {{ c.id }}\n".encode("gbk"))
    result = invoke("brief", "invite", "--out", "brief.md")
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == f"Error: {path}:2: template is not UTF-8 text; save it as UTF-8\n"
    assert not (workspace / "brief.md").exists()


def test_out_writes_a_file_and_bad_out_is_refused(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    result = invoke("brief", "invite", "--format", "html", "--out", "brief.html")
    assert result.exit_code == 0, result.output
    assert (workspace / "brief.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    result = invoke("brief", "invite", "--out", "briefs/2027/brief.md")
    assert result.exit_code == 0, result.output  # folders are made, as report --out does
    assert (workspace / "briefs/2027/brief.md").read_text("utf-8").startswith("#")
    (workspace / "notes").write_text("a file, not a folder", "utf-8")
    result = invoke("brief", "invite", "--out", "notes/brief.md")
    assert result.exit_code == 2
    assert result.stderr == "Error: cannot write notes/brief.md: Not a directory\n"
    result = invoke("brief", "invite", "--out", "briefs")
    assert result.exit_code == 2 and "is a folder" in result.output
    result = invoke("brief", "invite", "--lang", "fr")
    assert result.exit_code == 2


def test_without_format_the_out_suffix_picks_it(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # `brief --out brief.html` used to write Markdown into the .html file
    referral_spec(workspace)
    for out, start in [("b.html", "<!DOCTYPE html>"), ("b.md", "# "), ("b.txt", "# ")]:
        result = invoke("brief", "invite", "--out", out)
        assert result.exit_code == 0, result.output
        assert (workspace / out).read_text("utf-8").startswith(start), out
    result = invoke("brief", "invite", "-f", "html", "--out", "b.doc")  # unknown: --format wins
    assert result.exit_code == 0, result.output
    assert (workspace / "b.doc").read_text("utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("fmt", "out", "looks"), [("md", "b.html", "html"), ("html", "b.md", "md")]
)
def test_format_contradicting_the_out_suffix_is_refused(  # type: ignore[no-untyped-def]
    workspace: Path, invoke, fmt: str, out: str, looks: str
) -> None:
    referral_spec(workspace)
    result = invoke("brief", "invite", "--format", fmt, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"Error: --out {out} looks like {looks} but --format is {fmt}"
    )
    assert not (workspace / out).exists()


def test_a_failed_write_keeps_the_old_brief(
    workspace: Path, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from xhsgrow import fileio

    referral_spec(workspace)
    (workspace / "brief.md").write_text("approved last week\n", "utf-8")

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", full_disk)
    result = invoke("brief", "invite", "--out", "brief.md")
    assert result.exit_code == 2
    assert result.stderr == "Error: cannot write brief.md: No space left on device\n"
    assert (workspace / "brief.md").read_text("utf-8") == "approved last week\n"
    assert not list(workspace.glob(".brief.md*"))


@pytest.mark.parametrize("spec", sorted((REPO / "campaigns").glob("*.toml")), ids=lambda p: p.stem)
def test_bundled_campaigns_brief(workspace: Path, invoke, spec: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(spec, workspace / "campaigns" / spec.name)
    for fmt in ("md", "html"):
        for lang in ("en", "zh"):
            result = invoke("brief", spec.stem, "--format", fmt, "--lang", lang)
            assert result.exit_code == 0, result.output
