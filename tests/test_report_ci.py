"""examples/ci/campaign-report.yml: the commands it runs exist and behave as the docs say."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.conftest import REPO
from tests.fixtures_results import tracking_result
from tests.test_notify import ChatServer
from xhsgrow.cli import app
from xhsgrow.report import run as report_run

WORKFLOW = REPO / "examples" / "ci" / "campaign-report.yml"


def run_steps(text: str) -> dict[str, str]:
    """name -> shell command of each `run:` step (plain or folded `>-` block)."""
    steps: dict[str, str] = {}
    lines = text.splitlines()
    name = ""
    for i, line in enumerate(lines):
        m = re.match(r"\s*- name: (.+)", line)
        if m:
            name = m.group(1).strip()
        m = re.match(r"(\s*)run: (.*)", line)
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(2)
        if value.startswith(">"):
            block = []
            for nxt in lines[i + 1 :]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                block.append(nxt.strip())
            value = " ".join(b for b in block if b)
        steps[name] = value
    return steps


def test_workflow_is_scheduled_and_has_every_stage() -> None:
    text = WORKFLOW.read_text()
    assert re.search(r"schedule:\s*\n\s*- cron: \"0 1 \* \* \*\"", text)
    steps = run_steps(text)
    assert steps["Validate specs"] == "xhsgrow validate"
    assert "--format md" in steps["Job summary (Markdown)"]
    html = steps["HTML report, chat post, and the off-track check"]
    assert "--format html --out site/report.html" in html and "--fail-on off-track" in html
    assert "--post team" in html
    assert "actions/upload-artifact@v4" in text and "if: always()" in text
    assert "secrets.XHSGROW_WEBHOOK_TEAM_URL" in text  # webhooks come from secrets, not files


def test_every_command_and_option_in_the_workflow_exists() -> None:
    group = typer.main.get_command(app)
    for name, cmd in run_steps(WORKFLOW.read_text()).items():
        if not cmd.startswith("xhsgrow "):
            continue
        words = shlex.split(re.sub(r"\$\{\w+:\+(.*?)\}", r"\1", cmd))
        sub = group.get_command(typer.Context(group), words[1])  # type: ignore[attr-defined]
        assert sub is not None, f"{name}: no command {words[1]}"
        known = {o for p in sub.params for o in p.opts}
        for w in words[2:]:
            if w.startswith("--"):
                assert w in known, f"{name}: {words[1]} has no option {w}"


def shell_argv(cmd: str, env: dict[str, str]) -> list[str]:
    """The argv bash builds from the step's command line, with these variables set."""
    script = "set -- " + cmd + '\nprintf "%s\\0" "$@"'
    out = subprocess.run(
        ["bash", "-c", script], env={"PATH": os.environ["PATH"], **env}, capture_output=True,
        check=True,
    ).stdout.decode()  # fmt: skip
    return out.split("\0")[:-1]


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.mark.skipif(not Path("/bin/bash").exists(), reason="needs bash to expand the step")
def test_the_report_step_writes_html_posts_and_fails_when_off_track(
    invoke: Any, workspace: Path, monkeypatch: pytest.MonkeyPatch, chat: ChatServer
) -> None:
    monkeypatch.setattr(report_run, "track_campaigns", lambda *a, **k: tracking_result())
    step = run_steps(WORKFLOW.read_text())["HTML report, chat post, and the off-track check"]
    env = {
        "XHSGROW_WEBHOOK_TEAM_URL": chat.url("slack"),
        "AS_OF": "2027-02-10",
        "RUN_URL": "https://github.com/acme/campaigns/actions/runs/1",
    }
    argv = shell_argv(step, env)
    assert argv[argv.index("--as-of") + 1] == "2027-02-10"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_KIND", "slack")
    res = invoke(*argv[1:])
    assert res.exit_code == 1  # the gala is off track: the job fails...
    assert (workspace / "site" / "report.html").is_file()  # ...after the report is written
    (message,) = chat.delivered["slack"]  # ...and posted, with the link to the run
    assert "actions/runs/1|完整报告>" in str(message)  # --lang zh for both
    # without a webhook configured the step simply does not post
    no_hook = shell_argv(step, {"AS_OF": ""})
    assert "--post" not in no_hook and "--as-of" not in no_hook
