"""`[data.columns]` in xhsgrow.toml: mappings the event readers would misread are refused
where the settings load, at their line; a valid mapping (renames, a swap) is read as written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO

EVENTS = REPO / "tests" / "data" / "events"
AS_OF = ["--as-of", "2025-01-16"]
HEADER = "event_time,event,user_id,campaign,channel,region,age_band,referrer_id,amount,device_id,ip"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The `ref` campaign and its hand-written events (contract header) in the cwd."""
    (tmp_path / "campaigns").mkdir()
    shutil.copy(EVENTS / "referral.toml", tmp_path / "campaigns" / "ref.toml")
    shutil.copy(EVENTS / "referral.csv", tmp_path / "events.csv")
    return tmp_path


def settings(root: Path, columns: str) -> None:
    (root / "xhsgrow.toml").write_text(f'currency = "CNY"\n\n[data.columns]\n{columns}', "utf-8")


def with_header(root: Path, header: str) -> Path:
    """events.csv with its header replaced by ``header``, as ``renamed/events.csv``."""
    rows = (root / "events.csv").read_text("utf-8").splitlines()
    assert rows[0] == HEADER
    (root / "renamed").mkdir()
    path = root / "renamed" / "events.csv"
    path.write_text("\n".join([header, *rows[1:]]) + "\n", "utf-8")
    return path


# (id, the [data.columns] lines from line 4 of xhsgrow.toml, the error lines)
REFUSED = [
    (
        "two-columns-one-name",
        'channel = "src"\nregion = "src"\n',
        ["xhsgrow.toml:5:1: data.columns.region: 'src' is already the file column of channel"],
    ),
    (
        # headers are matched in any case, and DuckDB trims CSV header names
        "two-columns-one-name-in-another-case",
        'channel = "src"\nage_band = "x"\nregion = " SRC "\n',
        ["xhsgrow.toml:6:1: data.columns.region: ' SRC ' is already the file column of channel"],
    ),
    (
        "another-columns-own-name",
        'region = "Channel"\n',
        [
            "xhsgrow.toml:4:1: data.columns.region: 'Channel' is already the file column of "
            "channel, which is not mapped and reads its own name"
        ],
    ),
    (
        "empty",
        'event_time = "ts"\nchannel = ""\n',
        [
            "xhsgrow.toml:5:1: data.columns.channel: the file column name is empty; "
            "write the name channel has in your files"
        ],
    ),
    (
        "blank",
        'channel = " \\t "\n',
        [
            "xhsgrow.toml:4:1: data.columns.channel: the file column name is blank; "
            "write the name channel has in your files"
        ],
    ),
    (
        "each-on-its-own-line",
        'user_id = ""\nreferrer_id = "uid"\nchannel = "uid"\nregion = "event"\nchanel = "uid"\n',
        [
            "xhsgrow.toml:4:1: data.columns.user_id: the file column name is empty; "
            "write the name user_id has in your files",
            "xhsgrow.toml:6:1: data.columns.channel: 'uid' is already the file column of "
            "referrer_id",
            "xhsgrow.toml:7:1: data.columns.region: 'event' is already the file column of event, "
            "which is not mapped and reads its own name",
            # a key that is no contract column is reported as that alone (it is never read)
            "xhsgrow.toml:8:1: data.columns.chanel: 'chanel' is not an event column; "
            "did you mean 'channel'?",
        ],
    ),
]

# commands that load the settings before anything else
COMMANDS = [("list",), ("validate",), ("track", "--data", "events.csv", *AS_OF)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("columns", "lines"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_a_mapping_the_readers_would_misread_is_refused_at_its_line(  # type: ignore[no-untyped-def]
    invoke, ws: Path, command: tuple[str, ...], columns: str, lines: list[str]
) -> None:
    settings(ws, columns)
    r = invoke(*command)
    assert "Traceback" not in r.output, r.output
    assert r.exit_code == 2, (r.exit_code, r.output)
    assert r.stdout == ""
    assert r.stderr.splitlines() == [f"Error: {lines[0]}", *lines[1:]]


def test_an_inline_table_is_refused_at_its_line(invoke, ws: Path) -> None:  # type: ignore[no-untyped-def]
    (ws / "xhsgrow.toml").write_text(
        '[data]\nformat = "csv"\ncolumns = { channel = "src", region = "src" }\n', "utf-8"
    )
    r = invoke("validate")
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("Error: xhsgrow.toml:3:")
    assert r.stderr.endswith(": data.columns.region: 'src' is already the file column of channel\n")


def _track(invoke: Any, data: Path) -> dict[str, Any]:
    r = invoke("track", "--data", str(data), *AS_OF, "-f", "json")
    assert r.exit_code == 0, r.output
    campaign: dict[str, Any] = json.loads(r.stdout)["campaigns"][0]
    return campaign


def _figures(campaign: dict[str, Any]) -> dict[str, Any]:
    return {k: campaign[k] for k in ("metrics", "targets", "segments", "referral", "daily")}


@pytest.mark.parametrize(
    ("columns", "header"),
    [
        pytest.param(
            'event_time = "ts"\nevent = "kind"\nuser_id = "uid"\ncampaign = "camp"\n'
            'channel = "src"\nregion = "adcode"\nreferrer_id = "inviter"\n',
            # the files' names in another case: headers are matched in any case
            "TS,kind,uid,Camp,SRC,adcode,age_band,inviter,amount,device_id,ip",
            id="renamed",
        ),
        pytest.param(
            # each mapped to the other's name: two file columns, each read once
            'channel = "region"\nregion = "channel"\n',
            "event_time,event,user_id,campaign,region,channel,age_band,referrer_id,amount,"
            "device_id,ip",
            id="swapped",
        ),
        pytest.param(
            # spaces around a mapped name: DuckDB trims CSV header names, so the name is
            # matched trimmed (as the check above compares them), not read as a missing column
            'channel = " src "\nregion = "adcode "\n',
            "event_time,event,user_id,campaign,src,adcode,age_band,referrer_id,amount,device_id,ip",
            id="spaces-around-a-name",
        ),
    ],
)
def test_a_valid_mapping_reads_the_renamed_columns(  # type: ignore[no-untyped-def]
    invoke, ws: Path, columns: str, header: str
) -> None:
    expected = _figures(_track(invoke, ws / "events.csv"))
    # (the figures tell channel from region: a column read under the wrong name would not match)
    segments = {(s["dimension"], s["value"]) for s in expected["segments"]}
    assert {("channel", "in_app"), ("channel", "wechat_share"), ("region", "440000")} <= segments
    renamed = with_header(ws, header)
    settings(ws, columns)
    r = invoke("validate")
    assert (r.exit_code, r.output) == (0, "✓ 1 spec(s) valid\n")  # (the summary is on stderr)
    assert _figures(_track(invoke, renamed)) == expected
