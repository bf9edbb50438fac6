"""Canonical layout for spec files (placeholder until the style-preserving formatter lands)."""

from __future__ import annotations


def format_text(text: str) -> str:
    return text


def format_file(path, write: bool = True) -> bool:  # type: ignore[no-untyped-def]
    text = path.read_text("utf-8")
    new = format_text(text)
    if new != text and write:
        path.write_text(new, "utf-8")
    return new != text
