"""Audit of `xhsgrow demo-data` and `xhsgrow demo-workspace`, run as a user would: Ctrl-C,
the printed next step, where the file lands, what the summary and --help say.

Cases already covered by tests/test_demo_data.py, tests/test_demo_workspace.py and
tests/test_cli_errors_audit.py are not repeated here.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def next_step(stdout: str) -> list[str]:
    line = next(x for x in stdout.splitlines() if x.startswith("Next: xhsgrow "))
    return shlex.split(line.removeprefix("Next: xhsgrow "))


def flat_help(invoke: Any, *args: str) -> str:
    r = invoke(*args, "--help", env={"COLUMNS": "240"})
    assert r.exit_code == 0, r.output
    return " ".join(r.output.replace("│", " ").split())


# --- Ctrl-C --------------------------------------------------------------------------------

_CTRL_C = """
import os, signal, sys, threading, time
from pathlib import Path

root = Path.cwd()

def press_ctrl_c_once_writing_starts() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.name.endswith(".tmp") for p in root.rglob("*")):
            os.kill(os.getpid(), signal.SIGINT)
            return
        time.sleep(0.002)

threading.Thread(target=press_ctrl_c_once_writing_starts, daemon=True).start()
from xhsgrow.cli.app import main
sys.argv = ["xhsgrow", *sys.argv[1:]]
main()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to oneself is POSIX")
def test_ctrl_c_while_writing_exits_130_quietly_and_leaves_nothing(
    invoke: Any, tmp_path: Path
) -> None:
    """Without a progress bar (-q, a pipe, under 2M events) the COPY runs in the main thread
    and DuckDB turns Ctrl-C into RuntimeError("Query interrupted"): that was a traceback and
    exit 1, and the folders made for --out stayed behind."""
    assert invoke("init", ".").exit_code == 0
    before = files_in(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XHSGROW_")}
    args = ["demo-data", "-q", "-n", "200000", "-o", "new/deeper/events.csv"]
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CTRL_C), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 130, (run.returncode, run.stdout, run.stderr)
    assert files_in(tmp_path) == before  # no temporary file, no new/ or new/deeper/


# --- the failure paths leave no folder behind ----------------------------------------------


def test_a_failed_write_removes_the_folders_it_made(
    invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docs/data.md: "missing folders are created" -- and, for a run that fails, removed again
    assert invoke("init", ".").exit_code == 0
    before = files_in(tmp_path)

    def full(path: Path) -> None:  # the disk fills up as the file is flushed
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("xhsgrow.data.demo.sync_file", full)
    r = invoke("demo-data", "-q", "-n", "1000", "-o", "exports/2027/ev.parquet")
    assert r.exit_code == 2
    assert r.stderr == f"Error: cannot write exports/2027/ev.parquet: {os.strerror(errno.ENOSPC)}\n"
    assert files_in(tmp_path) == before


def test_a_failed_write_keeps_folders_that_were_there(
    invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("init", ".").exit_code == 0
    (tmp_path / "exports").mkdir()

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("xhsgrow.data.demo.sync_file", full)
    r = invoke("demo-data", "-q", "-n", "1000", "-o", "exports/2027/ev.parquet")
    assert r.exit_code == 2
    assert (tmp_path / "exports").is_dir()  # the user's own folder stays
    assert not (tmp_path / "exports" / "2027").exists()  # the one this run made does not


# --- where the file lands ------------------------------------------------------------------


def test_out_through_a_symlink_writes_the_file_it_points_to(invoke: Any, tmp_path: Path) -> None:
    """An `events.parquet -> store/2027.parquet` link: the link used to be replaced by a plain
    file, leaving the file it pointed to stale (fileio's writers write through links)."""
    assert invoke("init", ".").exit_code == 0
    (tmp_path / "store").mkdir()
    real = tmp_path / "store" / "2027.parquet"
    real.write_bytes(b"yesterday's file")
    link = tmp_path / "events.parquet"
    link.symlink_to(Path("store") / "2027.parquet")
    r = invoke("demo-data", "-q", "-n", "2000", "-o", "events.parquet")
    assert r.exit_code == 0, r.output
    assert "wrote 2,000 events to events.parquet" in r.stdout
    assert link.is_symlink()
    rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(real)])
    assert rows.fetchone() == (2000,)
    assert files_in(tmp_path / "store") == ["2027.parquet"]  # no temporary file beside it


def test_a_file_outside_the_current_folder_is_shown_by_its_absolute_path(
    invoke: Any, tmp_path: Path
) -> None:
    """Written outside the current folder, the file was shown as `../elsewhere/...`."""
    (tmp_path / "here").mkdir()
    os.chdir(tmp_path / "here")
    assert invoke("init", ".").exit_code == 0
    out = tmp_path / "elsewhere" / "events.parquet"
    r = invoke("demo-data", "-q", "-n", "2000", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert f"wrote 2,000 events to {out}" in r.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_out_naming_a_pipe_is_refused_and_the_pipe_stays(invoke: Any, tmp_path: Path) -> None:
    # the rename used to replace the pipe with a plain 2,000-row file, exit 0
    assert invoke("init", ".").exit_code == 0
    os.mkfifo(tmp_path / "feed.csv")
    r = invoke("demo-data", "-q", "-n", "2000", "-o", "feed.csv")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: cannot write feed.csv: not a regular file")
    assert stat.S_ISFIFO((tmp_path / "feed.csv").lstat().st_mode)


# --- the printed next step -----------------------------------------------------------------


def test_next_step_runs_as_printed_for_a_workspace_named_by_w(invoke: Any, tmp_path: Path) -> None:
    """`xhsgrow -w ws demo-data` printed `Next: xhsgrow track --data ws/...` without -w: run
    from here, track found no workspace ("no campaigns to track"), exit 2."""
    assert invoke("init", "ws").exit_code == 0
    r = invoke("-w", "ws", "demo-data", "-q", "-n", "2000", "-o", "ws/ev.parquet")
    assert r.exit_code == 0, r.output
    step = next_step(r.stdout)
    assert step[:2] == ["-w", "ws"]
    again = invoke(*step)
    assert again.exit_code == 0, again.output
    assert "2,000 rows read from ws/ev.parquet" in again.stdout


def test_next_step_tracks_the_campaigns_generated(invoke: Any, tmp_path: Path) -> None:
    """Events for one campaign, then `track` of every campaign: the others read "off track"
    for want of data that was never asked for."""
    assert invoke("init", ".").exit_code == 0
    r = invoke("demo-data", "-q", "-n", "2000", "-o", "gala.csv", "example-gala")
    assert r.exit_code == 0, r.output
    step = next_step(r.stdout)
    assert "example-gala" in step
    again = invoke(*step)
    assert again.exit_code == 0, again.output
    assert "(example-gala, gala)" in again.stdout
    assert "example-partnership" not in again.stdout
    assert "example-referral" not in again.stdout


def test_next_step_quotes_a_path_with_a_space(invoke: Any, tmp_path: Path) -> None:
    assert invoke("init", ".").exit_code == 0
    r = invoke("demo-data", "-q", "-n", "2000", "-o", "my events/ev.csv")
    assert r.exit_code == 0, r.output
    step = next_step(r.stdout)
    assert step[step.index("--data") + 1] == "my events/ev.csv"
    assert invoke(*step).exit_code == 0


# --- what the summary says -----------------------------------------------------------------


def test_a_small_share_is_not_shown_as_zero(invoke: Any, tmp_path: Path) -> None:
    """3,000 events give the gala a few hundred users: "0.0% of the users its targets call
    for" and "targets scaled to 0.00%" read as if it had none."""
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    r = invoke("-w", str(source), "demo-data", "-q", "-n", "3000")
    assert r.exit_code == 0, r.output
    gala = next(x for x in r.stdout.splitlines() if x.strip().startswith("gala-2027:"))
    assert "(0.0%" not in gala
    assert "% of the users its targets call for" in gala
    w = invoke("-w", str(source), "demo-workspace", "demo", "-q", "-n", "3000")
    assert w.exit_code == 0, w.output
    assert "0.00%" not in w.stdout
    assert "gala-2027: targets scaled to 0.0" in w.stdout  # 0.0xx%: small, but not nothing


# --- demo-workspace into the current folder ------------------------------------------------


def test_demo_workspace_into_the_current_folder_is_refused_up_front(
    invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mkdir demo && cd demo && xhsgrow -w .. demo-workspace .` generated every event, then
    failed to rename over the folder it ran in: "cannot create .: Invalid argument"."""
    shutil.copytree(REPO / "campaigns", tmp_path / "campaigns")
    here = tmp_path / "demo"
    here.mkdir()
    monkeypatch.chdir(here)
    r = invoke("-w", "..", "demo-workspace", ".", "-n", "3000")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == (
        "Error: DIR . is the current folder; demo-workspace makes a new folder"
    )
    assert "wrote" not in r.stdout
    assert list(here.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaigns", "demo"]


# --- --help --------------------------------------------------------------------------------


def test_demo_data_help_states_the_ranges_and_the_overwrite(invoke: Any) -> None:
    text = flat_help(invoke, "demo-data")
    assert "exactly (1,000 to 2,000,000,000)" in text
    assert "Same seed, same file (0 to 2147483647)" in text
    assert "an existing file is replaced once the new one is complete" in text


def test_demo_workspace_help_names_its_values(invoke: Any) -> None:
    # the usage line read `demo-workspace [OPTIONS] {out}` and --as-of took a `<str>`
    text = flat_help(invoke, "demo-workspace")
    assert "demo-workspace [OPTIONS] {DIR}" in text  # house style: {ID}, {kind}
    assert "--as-of DATE" in text
    assert "(1,000 to 2,000,000,000)" in text
    assert "(0 to 2147483647)" in text
    assert "missing or empty" in text
