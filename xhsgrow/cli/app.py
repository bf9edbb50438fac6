"""The `xhsgrow` Typer application: global options, the error boundary, command registry."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from xhsgrow import __version__
from xhsgrow.errors import XhsgrowError

#: Every top-level command and the module that defines it, in the order --help lists them.
#: A module is imported only when one of its commands runs (or for the full --help), so that
#: `xhsgrow validate` does not pay for the imports of `report` or `outreach`.
COMMANDS: dict[str, str] = {
    "init": "specs",
    "new": "specs",
    "validate": "specs",
    "fmt": "specs",
    "list": "specs",
    "show": "specs",
    "schema": "specs",
    "demo-data": "demo",
    "demo-workspace": "demo",
    "track": "track",
    "report": "report",
    "notify": "report",
    "plan": "plan",
    "brief": "plan",
    "outreach": "outreach",
    "templates": "outreach",
}


@cache
def _module_group(module: str) -> Any:
    """The click group holding the commands one CLI module registers."""
    sub = typer.Typer()
    importlib.import_module(f"xhsgrow.cli.{module}").register(sub)
    return typer.main.get_group(sub)


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

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(c for c in self.commands if c not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        return _module_group(module).get_command(ctx, cmd_name)


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
