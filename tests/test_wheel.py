"""Built-in templates and data files work from an installed wheel, not only from a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to copy the tracked files")
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    # build from the tracked files only, as a release would
    subprocess.run(["git", "clone", "-q", str(REPO), str(src)], check=True)
    dist = work / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(dist)],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.skip(f"could not build a wheel here: {build.stderr.strip()[-300:]}")
    (wheel,) = dist.glob("xhsgrow-*.whl")
    site = work / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("XHSGROW_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "xhsgrow", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_commands_use_the_templates_and_data_inside_the_wheel(
    unpacked_wheel: Path, tmp_path: Path
) -> None:
    where = _run(unpacked_wheel, tmp_path, "--version")
    assert where.returncode == 0, where.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import xhsgrow; print(xhsgrow.__file__)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(unpacked_wheel)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(unpacked_wheel))  # not the checkout

    assert _run(unpacked_wheel, tmp_path, "init", "ws").returncode == 0
    ws = tmp_path / "ws"
    # partnership specs are checked against the division-code table shipped in the wheel
    valid = _run(unpacked_wheel, ws, "validate")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    brief = _run(unpacked_wheel, ws, "brief", "example-gala", "--format", "html", "--out", "b.html")
    assert brief.returncode == 0, brief.stderr
    assert "<svg" in (ws / "b.html").read_text("utf-8")
    listed = _run(unpacked_wheel, ws, "templates")
    assert "report/en/report.html" in listed.stdout and "built-in" in listed.stdout
