"""`xhsgrow track`: table, JSON, CSV, --by, --fail-on and errors, run as a user would."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.test_track_metrics import DATA, make_workspace


@pytest.fixture
def events(tmp_path: Path) -> Path:
    make_workspace(tmp_path, DATA / "referral.toml")
    return Path(shutil.copy(DATA / "referral.csv", tmp_path / "events.csv"))


def test_table(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", "2025-01-16")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "Invite a friend" in out
    assert "off track" in out  # the campaign's status
    assert "acquired" in out and "at risk" in out
    assert "20 rows read" in out and "1 rejected" in out
    assert "events.csv:20" in out  # the rejected row, located


def test_the_quality_line_says_one_row_not_one_rows(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    events.write_text(
        "event_time,event,user_id,campaign\n2025-01-11 10:00:00,page_view,u1,ref\n", "utf-8"
    )
    r = invoke("track", "--data", str(events), "--as-of", "2025-01-16")
    assert r.exit_code == 0, r.output
    line = " ".join(r.output.split()[-40:])  # (the last line, wrapped by the terminal)
    assert "1 row read from" in line and "1 unknown event," in line
    assert "0 duplicates" in line


def test_by_channel(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", "2025-01-16", "--by", "channel")
    assert r.exit_code == 0, r.output
    assert "by channel" in r.output
    assert "wechat_share" in r.output


def test_json_is_the_versioned_document(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "ref", "--data", str(events), "--as-of", "2025-01-16", "-f", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["schema_version"] == 1
    assert doc["as_of"] == "2025-01-16"
    c = doc["campaigns"][0]
    assert (c["id"], c["kind"], c["status"]) == ("ref", "referral", "off_track")
    assert c["metrics"]["acquired"] == 4
    assert doc["data_quality"]["duplicates"] == 2


def test_csv(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", "2025-01-16", "-f", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    acquired = next(x for x in rows if x["metric"] == "acquired" and not x["dimension"])
    assert acquired["actual"] == "4"
    assert acquired["status"] == "off_track"
    in_app = next(x for x in rows if x["dimension"] == "channel")  # the segment target
    assert (in_app["value"], in_app["actual"]) == ("in_app", "1")


@pytest.mark.parametrize("level,code", [("off-track", 1), ("at-risk", 1)])
def test_fail_on(invoke, events: Path, level: str, code: int) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", "2025-01-16", "--fail-on", level)
    assert r.exit_code == code
    assert "ref (off track)" in r.output


def test_fail_on_passes_when_the_campaign_has_ended(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", "2025-03-01", "--fail-on", "at-risk")
    assert r.exit_code == 0, r.output


def test_strict_exits_2_naming_the_row(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--data", str(events), "--as-of", "2025-01-16", "--strict")
    assert r.exit_code == 2
    assert "events.csv:20" in r.output
    assert "Traceback" not in r.output


def test_a_campaign_named_twice_is_tracked_once(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    once = invoke("track", "ref", "--data", str(events), "--as-of", "2025-01-16", "-f", "csv")
    twice = invoke(
        "track", "ref", "ref", "--data", str(events), "--as-of", "2025-01-16", "-f", "csv"
    )
    assert twice.exit_code == once.exit_code == 0
    assert twice.stdout == once.stdout  # a spreadsheet summing the rows counts it once
    doc = json.loads(
        invoke(
            "track", "ref", "ref", "--data", str(events), "--as-of", "2025-01-16", "-f", "json"
        ).stdout
    )
    assert [c["id"] for c in doc["campaigns"]] == ["ref"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--as-of", "16/01/2025"], "is not a date (YYYY-MM-DD)"),
        (["--as-of", "20250116"], "is not a date (YYYY-MM-DD)"),  # ISO, but not the spelling
        (["--as-of", "9999-12-31"], "out of range (1900-01-01 to 2999-12-31)"),  # no day after
        (["--data", "nowhere.csv"], "no such file or folder"),
        (["nope"], "no campaign 'nope'"),
        (["--fail-on", "sometimes"], "Invalid value"),
    ],
)
def test_usage_errors_exit_2(invoke, events: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    base = [] if "--data" in args else ["--data", str(events)]
    r = invoke("track", *base, *args)
    assert r.exit_code == 2
    assert message in r.output


def test_no_data_source(invoke, events: Path) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track")
    assert r.exit_code == 2
    assert "no event data" in r.output and "XHSGROW_DATA" in r.output


def test_an_error_names_where_the_source_was_set(  # type: ignore[no-untyped-def]
    invoke, events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user who set the source in the environment or the settings never typed --data."""
    monkeypatch.setenv("XHSGROW_DATA", "gone.csv")
    r = invoke("track", "--as-of", "2025-01-16")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == "Error: $XHSGROW_DATA gone.csv: no such file or folder"
    r = invoke("track", "--data", "gone.csv", "--as-of", "2025-01-16")  # the option wins
    assert r.stderr.splitlines()[0] == "Error: --data gone.csv: no such file or folder"
    monkeypatch.delenv("XHSGROW_DATA")
    settings = events.parent / "xhsgrow.toml"
    settings.write_text('[data]\nsource = "gone.csv"\n', "utf-8")
    r = invoke("track", "--as-of", "2025-01-16")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == (
        f"Error: xhsgrow.toml [data] source {events.parent / 'gone.csv'}: no such file or folder"
    )


@pytest.mark.parametrize(
    "header",
    ["event_time,event,user_id,campaign,user_id", "event_time;event;User_ID;campaign;user_id"],
)
def test_a_csv_header_naming_a_column_twice_is_refused(invoke, events: Path, header: str) -> None:  # type: ignore[no-untyped-def]
    """DuckDB would read the first and rename the second: which holds the users is a guess."""
    sep = ";" if ";" in header else ","
    row = sep.join(["2025-01-11 10:00:00", "signup", "1", "ref", "2"])
    data = events.parent / "dup.csv"
    data.write_text(f"{header}\n{row}\n", "utf-8")
    r = invoke("track", "--data", str(data), "--as-of", "2025-01-16")
    assert r.exit_code == 2
    name = header.split(sep)[-1]
    assert r.stderr.splitlines()[0] == (
        f"Error: --data {data}: {data}: the header names column '{name}' twice"
    )


def test_help_has_an_example(invoke) -> None:  # type: ignore[no-untyped-def]
    r = invoke("track", "--help")
    assert r.exit_code == 0
    assert "Example:" in r.output and "--fail-on" in r.output
