"""The Jinja2 environment: workspace templates first, built-in ones second, always strict.

Users override any built-in template by dropping a file of the same name into their
workspace's ``templates/`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILTIN_FOLDER = "templates"


def builtin_dir() -> Path:
    """The folder of built-in templates, inside the installed package (works from a wheel)."""
    return Path(__file__).resolve().parent.parent / BUILTIN_FOLDER


def make_env(
    workspace_templates: Path | None = None,
    *,
    sandboxed: bool = True,
    finalize: Any = None,
) -> Any:
    """A Jinja2 environment with StrictUndefined, autoescape for .html/.xml templates, and the
    workspace's templates/ ahead of the built-in ones. Sandboxed unless told otherwise.

    ``finalize`` (optional) sees every ``{{ expression }}`` value before output; outreach uses
    it to keep contact data out of the Markdown parser."""
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    loaders = []
    if workspace_templates is not None and workspace_templates.is_dir():
        loaders.append(FileSystemLoader(str(workspace_templates)))
    loaders.append(FileSystemLoader(str(builtin_dir())))
    cls = ImmutableSandboxedEnvironment if sandboxed else Environment
    env = cls(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "svg")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    from xhsgrow.rendering.filters import register_filters

    register_filters(env)
    return env


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    origin: str  # "workspace" or "built-in"
    path: Path
    shadows_builtin: bool


def list_templates(workspace_templates: Path | None) -> list[TemplateInfo]:
    """Every template by name, which copy wins, and whether a workspace one shadows a built-in."""
    found: dict[str, TemplateInfo] = {}
    builtin = builtin_dir()
    builtin_names = {p.relative_to(builtin).as_posix() for p in builtin.rglob("*") if p.is_file()}
    if workspace_templates is not None and workspace_templates.is_dir():
        for p in sorted(workspace_templates.rglob("*")):
            if p.is_file() and not p.name.startswith(".") and p.name != "README.md":
                name = p.relative_to(workspace_templates).as_posix()
                found[name] = TemplateInfo(name, "workspace", p, name in builtin_names)
    for name in sorted(builtin_names):
        if name not in found and not name.endswith("README.md"):
            found[name] = TemplateInfo(name, "built-in", builtin / name, False)
    return sorted(found.values(), key=lambda t: t.name)
