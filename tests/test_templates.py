"""`xhsgrow templates`: every template, built-in or the workspace's, and which copy wins."""

from __future__ import annotations

import json

OUTREACH = [
    f"outreach/{name}.{lang}.{ext}"
    for name, ext in [
        ("partner-milestone", "md"),
        ("merchant-invite", "md"),
        ("referral-invite", "txt"),
        ("gala-reminder", "md"),
    ]
    for lang in ("en", "zh")
]


def test_lists_every_builtin_outreach_template_in_both_languages(workspace, invoke):
    result = invoke("templates", "--format", "json")
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    for name in OUTREACH:
        assert rows[name]["used"] == "built-in"
        assert rows[name]["overrides_builtin"] is False


def test_workspace_copy_wins_and_is_flagged(workspace, invoke):
    override = workspace / "templates" / "outreach" / "gala-reminder.zh.md"
    override.parent.mkdir()
    override.write_text("Subject: 提醒\n\n今晚见\n", encoding="utf-8")
    (workspace / "templates" / "thanks.md").write_text("Subject: Thanks\n\nHi\n", encoding="utf-8")
    rows = {r["name"]: r for r in json.loads(invoke("templates", "--format", "json").stdout)}
    assert rows["outreach/gala-reminder.zh.md"]["used"] == "workspace"
    assert rows["outreach/gala-reminder.zh.md"]["overrides_builtin"] is True
    assert rows["outreach/gala-reminder.zh.md"]["path"] == str(override)
    assert rows["thanks.md"]["used"] == "workspace"
    assert rows["thanks.md"]["overrides_builtin"] is False
    assert rows["outreach/gala-reminder.en.md"]["used"] == "built-in"

    table = invoke("templates").stdout
    line = next(ln for ln in table.splitlines() if ln.startswith("outreach/gala-reminder.zh.md"))
    assert "workspace" in line and "overrides built-in" in line


def test_templates_command_is_documented(invoke):
    result = invoke("templates", "--help")
    assert "which copy wins" in result.output
    assert "Example:" in result.output
