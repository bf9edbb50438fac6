"""The Jinja2 environment: workspace templates first, built-in ones second, always strict.

Users override any built-in template by dropping a file of the same name into their
workspace's ``templates/`` folder.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from xhsgrow.errors import UsageError

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

    loader = _loader_class()
    loaders: list[FileSystemLoader] = []
    if workspace_templates is not None and workspace_templates.is_dir():
        loaders.append(loader(str(workspace_templates)))
    loaders.append(loader(str(builtin_dir())))
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


@cache
def _loader_class() -> Any:
    """A FileSystemLoader whose unreadable files (not UTF-8, no permission) are one-line
    UsageErrors naming the file, as a syntax error names it, instead of a traceback from
    deep inside Jinja (made on first use: jinja2 stays off the import path of --help)."""
    from jinja2 import FileSystemLoader
    from jinja2.loaders import split_template_path

    class Utf8FileSystemLoader(FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            try:
                return super().get_source(environment, template)
            except (UnicodeDecodeError, OSError) as exc:
                path = self._found(template)
                if path is None:  # pragma: no cover - the file went away meanwhile
                    raise
                if isinstance(exc, UnicodeDecodeError):
                    raise UsageError(not_utf8(path)) from None
                raise UsageError(f"cannot read template {path}: {exc.strerror or exc}") from None

        def _found(self, template: str) -> Path | None:
            pieces = split_template_path(template)
            for base in self.searchpath:
                path = Path(base, *pieces)
                if path.is_file():
                    return path
            return None

    return Utf8FileSystemLoader


def not_utf8(path: Path) -> str:
    """The one line for a template that is not UTF-8: its file, the line of its first byte
    that is not, and the fix (report templates, outreach templates and their includes)."""
    return f"{path}:{_bad_line(path)}: template is not UTF-8 text; save it as UTF-8"


def template_frame(
    exc: BaseException | None = None, files: Collection[str] | None = None
) -> tuple[str, int] | None:
    """(file, line) of the innermost template frame in the traceback of ``exc`` (default:
    the exception being handled), of one of ``files`` if given. Jinja rewrites the frames
    of a failing template to point at the template's own file and line, and marks them with
    ``__jinja_exception__`` (a template from a string is ``<template>``)."""
    tb = exc.__traceback__ if exc is not None else sys.exc_info()[2]
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if "__jinja_exception__" in tb.tb_frame.f_globals and (
            files is None or code.co_filename in files
        ):
            found = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _bad_line(path: Path) -> int:
    """The 1-based line of the first byte of ``path`` that is not UTF-8."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return raw[: exc.start].count(b"\n") + 1
    return 1


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
