"""Audit of error handling and UX of `xhsgrow track` and `xhsgrow demo-data`, run as a user would.

The standard (README "Exit codes", docs/data.md, the existing CLI tests): bad input gets one
line on stderr starting with "Error:" that names the file, line or field, exit code 2 for a
usage or input error, nothing on stdout, never a Python traceback, and nothing half-written
(an output file complete, or untouched / not created). `report_error` (xhsgrow/cli/console.py)
may add one "Hint:" line after the error line by design; the checks below allow that one
hint and nothing else.

Cases already covered by tests/test_track_cli.py, tests/test_track_edges.py and
tests/test_demo_data.py are not repeated here.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.test_track_metrics import DATA, make_workspace

AS_OF = ["--as-of", "2025-01-16"]


def error_line(r: Any, code: int = 2) -> str:
    """The one error line of a failed run, after checking the standard around it."""
    assert "Traceback" not in r.output, r.output
    assert r.exit_code == code, (r.exit_code, r.output)
    assert r.stdout == "", r.stdout
    lines = r.stderr.strip().splitlines()
    assert lines, "nothing on stderr"
    assert lines[0].startswith("Error: "), r.stderr
    rest = lines[1:]
    assert len(rest) <= 1 and all(x.startswith("Hint: ") for x in rest), r.stderr
    return lines[0]


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def events(tmp_path: Path) -> Path:
    """The `ref` campaign (tests/data/events/referral.toml) and its hand-written events."""
    make_workspace(tmp_path, DATA / "referral.toml")
    return Path(shutil.copy(DATA / "referral.csv", tmp_path / "events.csv"))


@pytest.fixture
def demo_ws(invoke: Any, tmp_path: Path) -> Path:
    """A workspace from `xhsgrow init` (three example campaigns) in the cwd."""
    assert invoke("init", ".").exit_code == 0
    return tmp_path


# --- track: --as-of ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-30",  # the shape, but no such day
        "2025/01/01",  # slashes
        "",  # empty
        " 2025-01-16",  # a leading space
        "2025-1-16",  # no zero
        "2025-01-16T00:00",  # a time
    ],
)
def test_track_as_of_that_is_not_a_day_is_one_line(invoke, events: Path, value: str) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", value)
    line = error_line(r)
    assert line == f"Error: --as-of {value!r} is not a date (YYYY-MM-DD)"


def test_track_as_of_before_the_first_allowed_day(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md: "YYYY-MM-DD, from 1900-01-01 to 2999-12-31, as on every command"
    line = error_line(invoke("track", "--data", str(events), "--as-of", "1899-12-31"))
    assert "--as-of 1899-12-31" in line and "1900-01-01 to 2999-12-31" in line


# --- track: campaign ids -------------------------------------------------------------------


def test_track_unknown_campaign_lists_the_known_ids(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    line = error_line(invoke("track", "ref", "nope", "--data", str(events), *AS_OF))
    assert line.startswith("Error: no campaign 'nope' in ")
    assert line.endswith("(known: ref)")


@pytest.mark.parametrize("cid", ["../other", "../xhsgrow", "./ref"])
def test_track_an_id_that_is_a_path_is_no_campaign(invoke, events: Path, cid: str) -> None:  # type: ignore[no-untyped-def]
    # An id is "lower-case letters, digits, '-' and '_'" (validate); an ID argument that
    # walks out of campaigns/ is no campaign of the workspace: not a KeyError traceback, not
    # xhsgrow.toml read as a spec (exit 1, "a check failed").
    other = (DATA / "referral.toml").read_text("utf-8").replace('id = "ref"', 'id = "other"')
    (events.parent / "other.toml").write_text(other, "utf-8")
    (events.parent / "xhsgrow.toml").write_text('timezone = "Asia/Shanghai"\n', "utf-8")
    line = error_line(invoke("track", cid, "--data", str(events), *AS_OF))
    assert line.startswith(f"Error: no campaign '{cid}'")


# --- track: --data -------------------------------------------------------------------------


def test_track_data_folder_without_event_files(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    folder = events.parent / "exports"
    (folder / "nested").mkdir(parents=True)
    (folder / "README.txt").write_text("exports land here\n", "utf-8")
    r = invoke("track", "--data", str(folder), *AS_OF)
    assert error_line(r).startswith(f"Error: --data {folder}: no event files")
    # the hint names every suffix read (docs/data.md), not three of them
    for suffix in (".parquet", ".pq", ".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".gz"):
        assert suffix in r.stderr


def test_track_data_glob_matching_nothing(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    pattern = str(events.parent / "exports-*" / "*.parquet")
    line = error_line(invoke("track", "--data", pattern, *AS_OF))
    assert line == f"Error: --data {pattern}: no file matches this pattern"


@pytest.mark.parametrize("name", ["events.xlsx", "events.txt", "events"])
def test_track_data_unknown_suffix_names_the_file(invoke, events: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    data = Path(shutil.copy(events, events.parent / name))
    r = invoke("track", "--data", str(data), *AS_OF)
    line = error_line(r)
    assert line.startswith(f"Error: --data {data}: cannot tell the format")
    assert "[data] format" in r.stderr  # the way out
    assert ".pq" in r.stderr and ".ndjson" in r.stderr and ".zst" in r.stderr  # the other


@pytest.mark.parametrize("name", ["events.tsv", "events.csv.gz", "events.pq", "events.ndjson"])
def test_track_data_every_documented_suffix_is_read(invoke, events: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md, Accepted inputs: ".parquet / .pq, .csv / .tsv, .jsonl / .ndjson / .json;
    # .gz and .zst compressed text files too"
    import gzip

    import duckdb

    data = events.parent / name
    src = f"read_csv('{events}', all_varchar = true, header = true)"
    if name.endswith(".tsv"):
        data.write_text(events.read_text("utf-8").replace(",", "\t"), "utf-8")
    elif name.endswith(".gz"):
        data.write_bytes(gzip.compress(events.read_bytes()))
    elif name.endswith(".pq"):
        duckdb.connect().execute(f"COPY (SELECT * FROM {src}) TO '{data}' (FORMAT parquet)")
    else:
        duckdb.connect().execute(f"COPY (SELECT * FROM {src}) TO '{data}' (FORMAT json)")
    r = invoke("track", "--data", str(data), *AS_OF, "-f", "json")
    assert r.exit_code == 0, r.output
    assert '"rows_read": 20' in r.stdout


def test_track_data_zero_byte_csv_says_it_is_empty(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md: "CSV files need a header row." A zero-byte file has none: the message
    # should say so, not list a column DuckDB made up ('column0').
    data = events.parent / "empty.csv"
    data.write_bytes(b"")
    line = error_line(invoke("track", "--data", str(data), *AS_OF))
    assert line.startswith(f"Error: --data {data}: ")
    assert "column0" not in line
    assert "empty" in line or "header" in line


@pytest.mark.parametrize(
    "name, says", [("empty.parquet", "too small"), ("empty.jsonl", "no line is a JSON object")]
)
def test_track_data_zero_byte_parquet_or_jsonl(invoke, events: Path, name: str, says: str) -> None:  # type: ignore[no-untyped-def]
    data = events.parent / name
    data.write_bytes(b"")
    line = error_line(invoke("track", "--data", str(data), *AS_OF))
    assert line.startswith(f"Error: --data {data}: ")
    assert says in line


def test_track_csv_missing_user_id_names_it_and_the_columns_it_has(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    data = events.parent / "partial.csv"
    data.write_text("event_time,event,campaign\n2025-01-11 10:00:00,signup,ref\n", "utf-8")
    r = invoke("track", "--data", str(data), *AS_OF)
    line = error_line(r)
    assert line == (
        f"Error: --data {data}: no column 'user_id' for user_id; "
        "columns are: event_time, event, campaign"
    )
    assert "[data.columns]" in r.stderr  # the hint says how to map


def test_track_a_mapped_column_missing_from_the_file_names_both_names(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md: "A required column ... missing from the files, under its own or its
    # mapped name, is an error naming it and listing the columns the files do have"
    (events.parent / "xhsgrow.toml").write_text('[data.columns]\nuser_id = "uid"\n', "utf-8")
    line = error_line(invoke("track", "--data", str(events), *AS_OF))
    assert "no column 'uid' for user_id (mapped to 'uid')" in line
    assert "columns are: event_time, event, user_id, campaign" in line


def test_track_a_mapping_key_that_is_not_a_contract_column_is_a_settings_error(
    invoke, events: Path
) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md: "A key that is not a contract column is an error in xhsgrow.toml, with
    # its line."
    (events.parent / "xhsgrow.toml").write_text(
        '[data.columns]\nevent = "event"\nuserid = "uid"\n', "utf-8"
    )
    line = error_line(invoke("track", "--data", str(events), *AS_OF))
    assert line.startswith("Error: xhsgrow.toml:3:1: data.columns.userid: ")
    assert "did you mean 'user_id'" in line


# --- track: choice options -----------------------------------------------------------------


@pytest.mark.parametrize(
    "option, value, choices",
    [
        ("--format", "xml", ["table", "json", "csv"]),
        ("--by", "city", ["region", "channel", "age_band"]),
        ("--fail-on", "never", ["at-risk", "off-track"]),
        ("--engine", "pandas", ["duckdb", "spark"]),
    ],
)
def test_track_bad_choice_names_the_option_and_its_choices(  # type: ignore[no-untyped-def]
    invoke, events: Path, option: str, value: str, choices: list[str]
) -> None:
    r = invoke("track", "--data", str(events), *AS_OF, option, value)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "Traceback" not in r.output
    flat = " ".join(r.stderr.split())  # (the message may be wrapped)
    assert option in flat and repr(value) in flat
    assert all(repr(c) in flat for c in choices)


@pytest.mark.parametrize(
    "args",
    [
        ["track", "--data", "events.csv", "--format", "xml"],
        ["track", "--data", "events.csv", "--by", "city"],
        ["demo-data", "--events", "ten"],
    ],
)
def test_a_bad_option_value_is_one_error_line_like_every_other_usage_error(  # type: ignore[no-untyped-def]
    invoke, events: Path, args: list[str]
) -> None:
    # --as-of, --events 10 and --data errors are one "Error:" line; a value the option's
    # type refuses should read the same, not as a boxed usage panel of several lines.
    error_line(invoke(*args))


# --- track: $XHSGROW_DATA ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, says",
    [
        ("exports", "no event files"),  # an empty folder
        ("exports-*.csv", "no file matches this pattern"),
        ("events.xlsx", "cannot tell the format"),
    ],
)
def test_an_error_in_the_source_from_the_environment_names_the_variable(  # type: ignore[no-untyped-def]
    invoke, events: Path, monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    # docs/data.md: "An error about the source names the one that won"
    (events.parent / "exports").mkdir()
    shutil.copy(events, events.parent / "events.xlsx")
    monkeypatch.setenv("XHSGROW_DATA", value)
    line = error_line(invoke("track", *AS_OF))
    assert line.startswith(f"Error: $XHSGROW_DATA {value}: {says}")
    assert "--data" not in line


def test_an_empty_xhsgrow_data_is_no_source_and_the_message_teaches_both(  # type: ignore[no-untyped-def]
    invoke, events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XHSGROW_DATA", "")
    r = invoke("track", *AS_OF)
    line = error_line(r)
    assert line.startswith("Error: no event data")
    assert "--data" in r.stderr and "XHSGROW_DATA" in r.stderr


def test_track_help_teaches_formats_env_var_and_examples(invoke) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--help")
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    for word in ("Example:", "$XHSGROW_DATA", "CSV", "Parquet", "JSON Lines", "xhsgrow.toml"):
        assert word in flat, word


# --- demo-data: arguments ------------------------------------------------------------------


@pytest.mark.parametrize("n", ["0", "-5", "999", "2000000001"])
def test_demo_events_out_of_range_is_one_line_and_writes_nothing(  # type: ignore[no-untyped-def]
    invoke, demo_ws: Path, n: str
) -> None:
    # docs/data.md: "rows written, exactly (1,000 to 2,000,000,000)"
    before = files_in(demo_ws)
    line = error_line(invoke("demo-data", "-q", "--events", n))
    assert line.startswith("Error: --events must be between 1,000 and 2,000,000,000; got ")
    assert files_in(demo_ws) == before


@pytest.mark.parametrize("n", ["ten", "1e4", "1.5"])
def test_demo_events_that_is_not_a_number_exits_2_and_writes_nothing(  # type: ignore[no-untyped-def]
    invoke, demo_ws: Path, n: str
) -> None:
    before = files_in(demo_ws)
    r = invoke("demo-data", "-q", "--events", n)
    assert r.exit_code == 2
    assert r.stdout == "" and "Traceback" not in r.output
    assert "--events" in r.stderr
    assert files_in(demo_ws) == before


def test_demo_negative_seed_is_one_line(invoke, demo_ws: Path) -> None:  # type: ignore[no-untyped-def]
    line = error_line(invoke("demo-data", "-q", "-n", "1000", "--seed", "-1"))
    assert line == "Error: --seed must be between 0 and 2147483647; got -1"
    assert not (demo_ws / "demo-data").exists()


@pytest.mark.parametrize(
    "value, says",
    [
        ("2025-02-30", "--as-of '2025-02-30' is not a date (YYYY-MM-DD)"),
        ("1990-01-01", "before the start of every campaign's window"),
    ],
)
def test_demo_as_of_errors_are_one_line(invoke, demo_ws: Path, value: str, says: str) -> None:  # type: ignore[no-untyped-def]
    line = error_line(invoke("demo-data", "-q", "-n", "1000", "--as-of", value))
    assert says in line
    assert not (demo_ws / "demo-data").exists()


@pytest.mark.parametrize("cid", ["../other"])
def test_demo_an_id_that_is_a_path_is_no_campaign(invoke, demo_ws: Path, cid: str) -> None:  # type: ignore[no-untyped-def]
    # Like track: a spec outside campaigns/ is not one of the workspace's campaigns.
    spec = (demo_ws / "campaigns" / "example-referral.toml").read_text("utf-8")
    spec = spec.replace('id = "example-referral"', 'id = "other"')
    (demo_ws / "other.toml").write_text(spec, "utf-8")
    line = error_line(invoke("demo-data", "-q", "-n", "1000", "-o", "x.parquet", cid))
    assert line.startswith(f"Error: no campaign '{cid}'")
    assert not (demo_ws / "x.parquet").exists()


# --- demo-data: --out ----------------------------------------------------------------------


def test_demo_out_into_missing_folders_creates_them(invoke, demo_ws: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/data.md: "--out PATH: missing folders are created"
    r = invoke("demo-data", "-q", "-n", "1000", "-o", "a/b/c/ev.csv")
    assert r.exit_code == 0, r.output
    assert files_in(demo_ws / "a") == ["b", "b/c", "b/c/ev.csv"]  # no temporary file left
    assert (demo_ws / "a/b/c/ev.csv").read_text("utf-8").startswith("event_time,event,user_id")


def test_demo_out_naming_an_existing_folder(invoke, demo_ws: Path) -> None:  # type: ignore[no-untyped-def]
    (demo_ws / "exports").mkdir()
    line = error_line(invoke("demo-data", "-q", "-n", "1000", "-o", "exports/"))
    assert line.startswith("Error: exports is a folder; give a file name")
    assert files_in(demo_ws / "exports") == []


@pytest.mark.parametrize(
    "name, hint",
    [
        ("ev.xlsx", "--format"),
        # (compressed: write ev.csv, then compress it; not "ev.csv.parquet")
        ("ev.csv.gz", "name it ev.csv: demo-data writes it uncompressed"),
        ("ev.tsv", "--format"),
    ],
)
def test_demo_out_with_a_suffix_it_cannot_write(
    invoke, demo_ws: Path, name: str, hint: str
) -> None:  # type: ignore[no-untyped-def]
    before = files_in(demo_ws)
    r = invoke("demo-data", "-q", "-n", "1000", "-o", name)
    line = error_line(r)
    assert line.startswith(f"Error: cannot tell the format of {name}")
    assert hint in r.stderr
    assert files_in(demo_ws) == before


@pytest.mark.parametrize(
    "args, hint",
    [(["-o", "events"], "events.parquet"), (["-o", "events.txt", "-f", "csv"], "events.csv")],
    ids=["no-suffix", "txt-as-csv"],
)
def test_demo_out_track_cannot_read_is_refused_before_writing(  # type: ignore[no-untyped-def]
    invoke, demo_ws: Path, args: list[str], hint: str
) -> None:
    # The "Next: xhsgrow track --data OUT" step demo-data prints must work, and track tells a
    # file's format by its suffix: a name without an event suffix is refused, nothing written.
    before = files_in(demo_ws)
    r = invoke("demo-data", "-q", "-n", "1000", *args)
    line = error_line(r)
    assert f"--out {args[1]}: not an event file name" in line
    assert ".pq" in line and ".ndjson" in line  # every suffix it writes, as docs/data.md
    assert f"Hint: name it {hint}" in r.stderr
    assert files_in(demo_ws) == before


def test_demo_next_step_runs_as_printed(invoke, demo_ws: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("demo-data", "-q", "-n", "1000", "-o", "ev.csv")
    assert r.exit_code == 0, r.output
    nxt = next(x for x in r.stdout.splitlines() if x.startswith("Next: xhsgrow "))
    again = invoke(*nxt.removeprefix("Next: xhsgrow ").split())
    assert again.exit_code == 0, again.output


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_demo_out_in_a_read_only_folder(invoke, demo_ws: Path) -> None:  # type: ignore[no-untyped-def]
    folder = demo_ws / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = error_line(invoke("demo-data", "-q", "-n", "1000", "-o", "locked/ev.parquet"))
        assert "locked" in line and "permission denied" in line.lower()
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def _old_file(demo_ws: Path) -> tuple[Path, bytes]:
    out = demo_ws / "out" / "ev.parquet"
    out.parent.mkdir()
    out.write_bytes(b"yesterday's complete file")
    return out, out.read_bytes()


def test_demo_a_failed_write_is_one_line_and_leaves_the_old_file_untouched(  # type: ignore[no-untyped-def]
    invoke, demo_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the disk fills up as the written file is flushed (fsync reports ENOSPC)
    out, old = _old_file(demo_ws)

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("xhsgrow.data.demo.sync_file", full)
    line = error_line(invoke("demo-data", "-q", "-n", "1000", "-o", str(out)))
    assert line == f"Error: cannot write {out}: {os.strerror(errno.ENOSPC)}"
    assert out.read_bytes() == old
    assert files_in(out.parent) == ["ev.parquet"]  # no temporary file left behind


def test_demo_an_interrupted_write_leaves_the_old_file_untouched(  # type: ignore[no-untyped-def]
    invoke, demo_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C as the complete temporary file is about to be renamed
    out, old = _old_file(demo_ws)

    def interrupted(path: Path) -> None:
        assert path.exists() and path.stat().st_size > 0  # the temporary file was written
        raise KeyboardInterrupt

    monkeypatch.setattr("xhsgrow.data.demo.sync_file", interrupted)
    r = invoke("demo-data", "-q", "-n", "1000", "-o", str(out))
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    assert out.read_bytes() == old
    assert files_in(out.parent) == ["ev.parquet"]


# --- demo-data: --seed ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_demo_same_seed_same_bytes_other_seed_other_bytes(invoke, demo_ws: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    # --help: "Same seed, same file."; docs/data.md: "the same file, byte for byte"
    def write(name: str, seed: str) -> bytes:
        r = invoke("demo-data", "-q", "-n", "2000", "--seed", seed, "-o", name)
        assert r.exit_code == 0, r.output
        assert f"seed {seed})" in r.stdout
        return (demo_ws / name).read_bytes()

    a = write(f"a.{fmt}", "7")
    b = write(f"b.{fmt}", "7")
    c = write(f"c.{fmt}", "8")
    assert a == b
    assert a != c
    assert a.count(b"\n") == c.count(b"\n")  # both exactly --events rows (+ CSV's header)


def test_demo_help_teaches(invoke) -> None:  # type: ignore[no-untyped-def]
    r = invoke("demo-data", "--help")
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    for word in ("Example:", "parquet | csv | jsonl", "--seed", "Same seed, same file"):
        assert word in flat, word


@pytest.mark.parametrize(
    "args, command", [(["track", "--as-of"], "track"), (["demo-data", "-o"], "demo-data")]
)
def test_an_option_without_its_value_names_the_command_to_ask(  # type: ignore[no-untyped-def]
    invoke, args: list[str], command: str
) -> None:
    # Found before the command's context exists: the hint must still name the command whose
    # options the user is missing, not the root help.
    r = invoke(*args)
    line = error_line(r)
    assert line == f"Error: Option '{args[1]}' requires an argument."
    assert r.stderr.strip().splitlines()[1].endswith(f" {command} -h shows what it takes")


def test_a_missing_choice_option_is_one_line_with_its_choices(invoke, demo_ws: Path) -> None:  # type: ignore[no-untyped-def]
    # click lists the choices one per line, indented: that was four lines of "Error"
    (demo_ws / "c.csv").write_text("name,email\n王,wang@example.cn\n", "utf-8")
    r = invoke("outreach", "send", "example-partnership", "-c", "c.csv", "-t", "x")
    assert error_line(r) == "Error: Missing option '--via'. Choose from: smtp, webhook, sms-http"
