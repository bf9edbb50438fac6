"""The `xhsgrow` Typer application: global options, the error boundary, command registry."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
from functools import cache
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from xhsgrow import __version__
from xhsgrow.errors import UsageError, XhsgrowError

#: Every top-level command: the module that defines it and its one-line summary, in the order
#: --help lists them. A module is imported only when one of its commands runs, so that
#: `xhsgrow validate` does not pay for `report` or `outreach`, and `xhsgrow --help` imports
#: none of them (tests/test_cli_registry.py keeps the summaries equal to the docstrings).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "specs",
        "Create a workspace: xhsgrow.toml, templates/ and an example campaign of each kind.",
    ),
    "new": (
        "specs",
        "Scaffold campaigns/ID.toml with realistic defaults that validate as written.",
    ),
    "validate": (
        "specs",
        "Check specs and report every error as `file:line:col: key: message`.",
    ),
    "fmt": (
        "specs",
        "Rewrite specs in canonical key order and layout, keeping every comment and value.",
    ),
    "list": (
        "specs",
        "List the workspace's campaigns: id, kind, status, window, main target, budget.",
    ),
    "show": (
        "specs",
        "Show one campaign's whole spec as a readable panel (or JSON).",
    ),
    "schema": (
        "specs",
        "Print the JSON Schema of a kind, for editors (taplo / Even Better TOML).",
    ),
    "demo-data": (
        "demo",
        "Generate seeded, realistic demo events for the workspace's campaigns.",
    ),
    "demo-workspace": (
        "demo",
        "Build a self-contained demo workspace: demo events and the campaigns scaled to them.",
    ),
    "track": (
        "track",
        "Track campaigns against their targets: actual, expected to date, pace, forecast, status.",
    ),
    "report": (
        "report",
        "Render a campaign report: portfolio summary (worst first) and a section per campaign.",
    ),
    "notify": (
        "report",
        "Post a compact campaign summary to a team chat: Feishu/Lark, WeCom, DingTalk or Slack.",
    ),
    "plan": (
        "plan",
        "Plan a campaign before launch: growth model, budget, capacity, legal checks.",
    ),
    "brief": (
        "plan",
        "Render the one-to-two page approval brief of a campaign from templates.",
    ),
    "outreach": (
        "outreach",
        "Personalised messages from templates: render, send (dry run by default), status.",
    ),
    "templates": (
        "outreach",
        "List every template, built-in or the workspace's, and which copy wins.",
    ),
}


@cache
def _registered(module: str) -> typer.Typer:
    """A Typer app holding what one CLI module registers (registered once per process)."""
    sub = typer.Typer()
    importlib.import_module(f"xhsgrow.cli.{module}").register(sub)
    return sub


@cache
def _command(module: str, name: str) -> Any:
    """The click command ``name`` from the CLI module that registers it.

    Only that command is converted to click: typer inspects every parameter of every command
    it converts, and `xhsgrow validate` need not pay for the module's six other commands.
    """
    sub = _registered(module)
    wanted = [info for info in sub.registered_commands if _name(info) == name]
    if wanted:  # a plain command; a sub-app (`outreach`) comes from the whole module
        sub = typer.Typer()
        sub.registered_commands = wanted
    return _reflowed(typer.main.get_group(sub).commands.get(name))


def _reflowed(command: Any) -> Any:
    """``command`` (and its subcommands) with ``reflow``'s help text."""
    if command is not None:
        if command.help:
            command.help = reflow(command.help)
        for sub in getattr(command, "commands", {}).values():
            _reflowed(sub)
    return command


def _no_type_for_flags() -> None:
    """Typer 0.2x shows a flag's type as ``<bool>`` in the help (``--strict <bool>``), which
    reads as if it took a value: a flag (on/off, no value) shows none. A no-op on a Typer
    without that display."""
    from typer import core

    option = getattr(core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "_xhsgrow", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> Any:
        if getattr(self, "is_flag", False) and not getattr(self, "count", False):
            return None
        return shown(self, ctx)

    display_type_rich._xhsgrow = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_no_type_for_flags()


def reflow(text: str) -> str:
    """A docstring's prose paragraphs as one line each, for the help to wrap at the
    terminal's width: Typer keeps a docstring's own line breaks (a paragraph written for 90
    columns breaks every other line in an 80-column terminal). Indented paragraphs (examples)
    and bulleted lines keep their lines."""
    import inspect

    paragraphs = []
    for para in inspect.cleandoc(text).split("\n\n"):
        lines = para.split("\n")
        if para.startswith(("\b", " ")) or any(ln.startswith(("- ", "* ")) for ln in lines):
            paragraphs.append(para)
        else:
            paragraphs.append(" ".join(ln.strip() for ln in lines))
    return "\n\n".join(paragraphs)


def _usage_error() -> type[Exception]:
    """The usage-error class of the click that typer runs on (its own copy in typer >= 0.20)."""
    try:
        from typer._click.exceptions import UsageError as ClickUsageError
    except ImportError:  # pragma: no cover - a typer on plain click
        from click.exceptions import UsageError as ClickUsageError  # type: ignore[no-redef]
    return ClickUsageError


def _named(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The command a usage error without a context belongs to (an option missing its value is
    found before the command's context exists): the first command name in the arguments."""
    words = kwargs.get("args") or (args[0] if args else None) or sys.argv[1:]
    command = next((w for w in words if w in COMMANDS), None)
    prog = kwargs.get("prog_name") or "xhsgrow"
    return f"{prog} {command}" if command else prog


def _name(info: Any) -> str:
    """The name typer gives a registered command (its own, or the function's, dashed)."""
    return info.name or typer.main.get_command_name(getattr(info.callback, "__name__", ""))


class _Group(TyperGroup):
    """Loads commands lazily, and turns every XhsgrowError raised below into a one-line
    message and its documented exit code (the one boundary between library and CLI)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except XhsgrowError as exc:
            from xhsgrow.cli.console import report_error

            report_error(exc)
            raise typer.Exit(exc.exit_code) from None

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """A bad option value, a missing argument or an unknown command is one error line and
        a hint, exit 2, like every other usage error (not typer's framed usage panel)."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _usage_error() as exc:
            from xhsgrow.cli.console import report_error

            if not exc.format_message().strip():  # no arguments: the help was the answer
                sys.exit(exc.exit_code)
            where = exc.ctx.command_path if exc.ctx is not None else _named(args, kwargs)
            # (one line: click lists a choice option's values one per line)
            message = " ".join(exc.format_message().replace("Value error, ", "").split())
            report_error(UsageError(message, hint=f"{where} -h shows what it takes"))
            sys.exit(2)
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        except OSError as exc:
            # (a closed pipe, `| head`, is click's: exit 1 without a word, as Python tools do)
            from xhsgrow.cli.console import report_error

            report_error(UsageError(_os_error_message(exc)))
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(c for c in self.commands if c not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, summary = entry
        if self._listing_only and f"xhsgrow.cli.{module}" not in sys.modules:
            return TyperCommand(cmd_name, help=summary, short_help=summary)
        return _command(module, cmd_name)

    _listing_only = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # The root help lists commands by their summaries: no need to import their modules.
        self._listing_only = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing_only = False


#: The errors of a write that cannot go through (a full disk, /dev/full, a dead terminal).
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _os_error_message(exc: OSError) -> str:
    """One line for an OSError no command turned into an XhsgrowError. Files are written
    through xhsgrow.fileio, which names them; a write error with no file is standard output
    failing to take what a command prints (`> /dev/full`). Standard output is then pointed
    at /dev/null, so that the exit does not fail again flushing what is left (as Python's
    documentation does after a broken pipe)."""
    why = exc.strerror or str(exc)
    if exc.filename:
        return f"{exc.filename}: {why}"
    if exc.errno not in _WRITE_ERRORS:
        return why
    with contextlib.suppress(OSError, ValueError):  # (no file behind it: a test runner's)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return f"cannot write to standard output: {why}"


app = typer.Typer(
    cls=_Group,
    name="xhsgrow",
    help="Growth campaigns as code: specs, tracking, reports and outreach for Xiaohongshu.",
    epilog="Exit codes: 0 ok, 1 a check failed (invalid spec, campaign off track), 2 usage error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"xhsgrow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="XHSGROW_WORKSPACE",
            help="Workspace folder (default: nearest folder upwards with xhsgrow.toml or "
            "campaigns/).",
            show_envvar=True,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = {"workspace": workspace}


def workspace_from(ctx: typer.Context) -> Any:
    """The workspace chosen by --workspace / XHSGROW_WORKSPACE / the current folder."""
    from xhsgrow.workspace import open_workspace

    root = ctx.find_root()
    explicit = (root.obj or {}).get("workspace") if root.obj else None
    return open_workspace(explicit)


def main() -> None:
    app()
