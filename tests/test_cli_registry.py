"""The lazy command registry in cli/app.py must match what each CLI module registers."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import typer
import typer.main

from xhsgrow.cli.app import COMMANDS


def test_registry_lists_exactly_the_commands_each_module_defines() -> None:
    for module in sorted({mod for mod, _ in COMMANDS.values()}):
        sub = typer.Typer()
        importlib.import_module(f"xhsgrow.cli.{module}").register(sub)
        defined = set(typer.main.get_group(sub).commands)
        listed = {name for name, (mod, _) in COMMANDS.items() if mod == module}
        assert defined == listed, f"cli/{module}.py defines {defined}, registry says {listed}"
        for name in defined:
            summary = typer.main.get_group(sub).commands[name].get_short_help_str(limit=200)
            assert COMMANDS[name][1] == summary, f"update the summary of `{name}` in cli/app.py"


def test_root_help_lists_every_command_without_importing_them() -> None:
    code = (
        "import sys\n"
        "from xhsgrow.cli import app\n"
        "try:\n"
        "    app(['--help'], standalone_mode=False)\n"
        "except BaseException:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('xhsgrow.cli.')))\n"
    )
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    for name, (_, summary) in COMMANDS.items():
        assert name in out and summary[:40] in out
    loaded = out.strip().splitlines()[-1]
    for module in {mod for mod, _ in COMMANDS.values()}:
        assert f"xhsgrow.cli.{module}'" not in loaded


def test_validate_does_not_import_other_command_modules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "campaigns").mkdir()
    code = (
        "import sys\n"
        "from xhsgrow.cli import app\n"
        "try:\n"
        "    app(['validate'], standalone_mode=False)\n"
        "except BaseException:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('xhsgrow.cli.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    loaded = out.strip().splitlines()[-1]
    for heavy in ("xhsgrow.cli.report", "xhsgrow.cli.outreach", "xhsgrow.cli.track"):
        assert heavy not in loaded
    assert "xhsgrow.cli.specs" in loaded


def test_unknown_command_is_a_usage_error(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("frobnicate")
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_reflow_joins_prose_lines_and_keeps_examples_and_bullets() -> None:
    from xhsgrow.cli.app import reflow

    doc = """Track campaigns.

    Reads the events once and computes
    every metric.

    - first bullet
    - second bullet

    Example:

        xhsgrow track --data events/
            --as-of 2025-02-10
    """
    assert reflow(doc) == (
        "Track campaigns.\n\n"
        "Reads the events once and computes every metric.\n\n"
        "- first bullet\n- second bullet\n\n"
        "Example:\n\n"
        "    xhsgrow track --data events/\n        --as-of 2025-02-10"
    )


def test_help_wraps_prose_at_the_terminal_and_shows_no_type_for_flags(invoke) -> None:  # type: ignore[no-untyped-def]
    """At 80 columns every line of a paragraph but its last is well filled (a docstring's
    own breaks, kept, left lines of one or two words), and a flag shows no `<bool>` as if it
    took a value."""
    for command in (["track"], ["outreach", "send"], ["validate"]):
        result = invoke(*command, "--help", env={"COLUMNS": "80"})
        assert result.exit_code == 0
        assert "<bool>" not in result.output
        prose = result.output.split("Usage:")[1].split("Example:")[0].split("\n", 1)[1]
        paragraphs: list[list[str]] = [[]]
        for line in prose.split("\n"):
            if line.strip():
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
        assert len(paragraphs) >= 2
        for lines in paragraphs:
            assert all(len(ln) >= 50 for ln in lines[:-1]), (command, lines)


def test_usage_lines_name_arguments_in_capitals_and_bracket_them_once(invoke) -> None:  # type: ignore[no-untyped-def]
    """`xhsgrow track [OPTIONS] [ID]...`, not `[[ID]...]...`; `{KIND}`, not `{kind}`: an
    argument's metavar is its bare name, the usage line adds the brackets and dots."""
    import re

    commands = [name for name in COMMANDS if name != "outreach"]
    commands += [f"outreach {sub}" for sub in ("render", "send", "status")]
    for command in commands:
        r = invoke(*command.split(), "--help", terminal_width=200)
        assert r.exit_code == 0, r.output
        usage = next(line for line in r.output.splitlines() if "Usage:" in line).strip()
        args = usage.split("[OPTIONS]", 1)[1].split()
        assert all(re.fullmatch(r"(\{[A-Z]+\}|\[[A-Z]+\](\.\.\.)?)", a) for a in args), usage
