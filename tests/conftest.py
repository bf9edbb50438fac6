"""Hermetic tests: no XHSGROW_* from the developer's shell, a fresh workspace per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xhsgrow.cli import app

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("XHSGROW_") or name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner):  # type: ignore[no-untyped-def]
    """Run the CLI in-process: invoke("validate", "campaigns/") -> Result."""

    def _invoke(*args: str, **kwargs):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False, **kwargs)

    return _invoke


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace (campaigns/ and templates/) in tmp_path, which is also the cwd."""
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "templates").mkdir()
    return tmp_path
