"""Hermetic tests: no XHSGROW_* from the developer's shell, a fresh workspace per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from xhsgrow.cli import app

REPO = Path(__file__).resolve().parent.parent


def _spark_missing() -> str | None:
    """Why the Spark tests cannot run here (None when they can)."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[test,spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java 17+ on PATH (.ci/run installs openjdk-17-jre-headless)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Spark tests need a JVM. A developer's machine without one skips them with the reason;
    CI (CI=true, where .ci/run installs Java) must never skip them silently."""
    why = _spark_missing()
    if why is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(f"the Spark tests cannot run on CI: {why}")
    skip = pytest.mark.skip(reason=why)
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


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


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session for a module of Spark tests (two cores, four shuffle partitions,
    no UI, session timezone UTC). Stopped at the end of the module unless it was already
    running before."""
    from pyspark.sql import SparkSession

    before = SparkSession.getActiveSession()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("xhsgrow-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.log.level", "ERROR")
        .getOrCreate()
    )
    yield session
    session.conf.set("spark.sql.session.timeZone", "UTC")
    if before is None:
        session.stop()
