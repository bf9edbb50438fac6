"""Which format an output file gets: --format, else the file name's suffix; they must agree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from xhsgrow.errors import UsageError

#: Suffixes that name a text format (report and brief use the ones they can write).
SUFFIXES: Mapping[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".csv": "csv",
}


def output_format(
    out: Path | None,
    given: str | None,
    *,
    formats: tuple[str, ...],
    default: str,
    suffixes: Mapping[str, str] = SUFFIXES,
) -> str:
    """The format to write ``out`` in.

    Without ``given`` (no --format) a known suffix of ``out`` (in ``suffixes``) decides
    (``report.html`` is HTML); with it, a known suffix of another format is refused
    (``--out r.json`` with ``--format csv``), as CSV in a .json file helps nobody. A suffix
    outside ``formats`` (or none, or no ``out``) keeps ``given``, else ``default``."""
    by_suffix = suffixes.get(out.suffix.lower()) if out is not None else None
    if by_suffix not in formats:
        by_suffix = None
    if given is None:
        return by_suffix or default
    if by_suffix is not None and by_suffix != given:
        raise UsageError(
            f"--out {out} looks like {by_suffix} but --format is {given}",
            hint=f"leave out --format to write {by_suffix}, or name the file *.{given}",
        )
    return given
