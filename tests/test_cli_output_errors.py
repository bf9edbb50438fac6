"""Standard output that cannot take what a command prints: one line on stderr, not a
traceback (a full disk, `> /dev/full`); a pipe closed early (`| head`) ends the command
without a word."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FULL = Path("/dev/full")

needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def _run_to(stdout: object, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XHSGROW_")}
    return subprocess.run(
        [sys.executable, "-m", "xhsgrow", "-w", str(ROOT), *args],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=120,
    )


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("--help",),
        ("plan", "gala-2027", "--format", "json"),
    ],
    ids=["table", "help", "json"],
)
def test_output_to_a_full_device_is_one_error_line(args: tuple[str, ...]) -> None:
    with FULL.open("w") as full:
        proc = _run_to(full, *args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == ["Error: cannot write to standard output: No space left on device"]


def test_a_pipe_closed_early_ends_without_a_word() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XHSGROW_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xhsgrow", "-w", str(ROOT), "plan", "gala-2027"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # (as `| head -1` does)
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert b"gala-2027" in first
    assert err == ""
    assert proc.returncode == 1
