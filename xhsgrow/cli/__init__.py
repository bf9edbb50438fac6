"""The command-line interface: a thin layer over the library (one module per command group)."""

from xhsgrow.cli.app import app, main

__all__ = ["app", "main"]
