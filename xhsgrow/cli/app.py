"""The `xhsgrow` Typer application: global options, the error boundary, command registry."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from xhsgrow import __version__
from xhsgrow.errors import XhsgrowError


class _Group(TyperGroup):
    """Turns every XhsgrowError raised below into a one-line message and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except XhsgrowError as exc:
            from xhsgrow.cli.console import report_error

            report_error(exc)
            raise typer.Exit(exc.exit_code) from None

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # keep the order commands were added in, not alphabetical


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


def _register() -> None:
    from xhsgrow.cli import demo, outreach, plan, report, specs, track

    for module in (specs, demo, track, report, plan, outreach):
        module.register(app)


_register()


def main() -> None:
    app()
