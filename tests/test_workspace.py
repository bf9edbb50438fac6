"""Finding the workspace, and its settings file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xhsgrow.workspace import open_workspace

from .conftest import REPO

GALA = REPO / "campaigns" / "gala-2027.toml"


def make_workspace(root: Path, *, settings: str | None = None) -> Path:
    (root / "campaigns").mkdir(parents=True)
    shutil.copy(GALA, root / "campaigns" / GALA.name)
    if settings is not None:
        (root / "xhsgrow.toml").write_text(settings, "utf-8")
    return root


def listed_ids(invoke, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    import json

    result = invoke(*args, "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def test_found_from_a_subfolder(invoke, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_workspace(tmp_path / "repo")
    deep = tmp_path / "repo" / "docs" / "notes"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert listed_ids(invoke) == ["gala-2027"]
    assert open_workspace().root == (tmp_path / "repo").resolve()


def test_nearest_workspace_wins(tmp_path: Path) -> None:
    make_workspace(tmp_path / "outer")
    inner = tmp_path / "outer" / "team"
    inner.mkdir()
    (inner / "xhsgrow.toml").write_text('currency = "CNY"\n', "utf-8")  # settings alone count
    assert open_workspace(start=inner / ".").root == inner.resolve()
    sub = inner / "sub"
    sub.mkdir()
    assert open_workspace(start=sub).root == inner.resolve()


def test_no_workspace_means_the_current_folder(tmp_path: Path) -> None:
    lone = tmp_path / "lone"
    lone.mkdir()
    ws = open_workspace(start=lone)
    # tmp_path's parents hold no campaigns/ or xhsgrow.toml (pytest's temp root)
    assert ws.root == lone.resolve()
    assert ws.settings.timezone == "Asia/Shanghai" and ws.settings.currency == "CNY"


def test_workspace_option_and_env_override_discovery(invoke, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_workspace(tmp_path / "here")
    other = make_workspace(tmp_path / "other")
    (other / "campaigns" / "gala-2027.toml").rename(other / "campaigns" / "gala-x.toml")
    text = (other / "campaigns" / "gala-x.toml").read_text("utf-8")
    (other / "campaigns" / "gala-x.toml").write_text(
        text.replace('id = "gala-2027"', 'id = "gala-x"'), "utf-8"
    )
    monkeypatch.chdir(tmp_path / "here")
    assert listed_ids(invoke) == ["gala-2027"]
    assert listed_ids(invoke, "--workspace", str(other)) == ["gala-x"]
    monkeypatch.setenv("XHSGROW_WORKSPACE", str(other))
    assert listed_ids(invoke) == ["gala-x"]
    # the option beats the environment variable
    assert listed_ids(invoke, "--workspace", str(tmp_path / "here")) == ["gala-2027"]


def test_workspace_that_is_not_a_folder(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("--workspace", str(tmp_path / "missing"), "list")
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


def test_settings_are_loaded(tmp_path: Path) -> None:
    root = make_workspace(
        tmp_path / "ws",
        settings='timezone = "Asia/Urumqi"\n[thresholds]\non_track = 0.9\n'
        '[data]\nsource = "events/*.parquet"\n[data.columns]\nevent_time = "ts"\n',
    )
    settings = open_workspace(start=root).settings
    assert settings.timezone == "Asia/Urumqi"
    assert settings.thresholds.on_track == 0.9 and settings.thresholds.at_risk == 0.8
    assert settings.data.source == "events/*.parquet"
    assert settings.data.columns == {"event_time": "ts"}


BROKEN_SETTINGS = [
    (
        "wrong-type-and-unknown-key",
        'currency = "CNY"\n[thresholds]\non_track = "high"\nat_rsk = 0.5\n',
        [
            "xhsgrow.toml:3:1: thresholds.on_track: should be a number, not 'high'",
            "xhsgrow.toml:4:1: thresholds.at_rsk: unknown key 'at_rsk'; did you mean 'at_risk'?",
        ],
    ),
    (
        "bad-enum",
        '[data]\nformat = "xls"\n',
        ["xhsgrow.toml:2:1: data.format: got 'xls'; expected 'auto', 'csv', 'parquet' or 'jsonl'"],
    ),
    (
        "unknown-column-and-timezone",
        'timezone = "Asia/Peking"\n\n[data.columns]\nevent_tim = "ts"\n',
        [
            "xhsgrow.toml:1:1: timezone: unknown timezone 'Asia/Peking' (use an IANA name)",
            "xhsgrow.toml:4:1: data.columns.event_tim: 'event_tim' is not an event column; "
            "did you mean 'event_time'?",
        ],
    ),
    (
        # checked when the settings load, at its line: not first by `outreach send`, in words
        # that read as if its --quiet-hours option were wrong
        "quiet-hours",
        'currency = "CNY"\nquiet_hours = "late"\n',
        ["xhsgrow.toml:2:1: quiet_hours: 'late': expected HH:MM-HH:MM (e.g. 21:00-08:00) or none"],
    ),
    (
        "syntax",
        'timezone = "Asia/Shanghai\n',
        [
            # the parser stops at the end of line 1: column len(`timezone = "Asia/Shanghai`) + 1
            "xhsgrow.toml:1:26: TOML syntax error: Illegal character '\\n'"
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "lines"), [c[1:] for c in BROKEN_SETTINGS], ids=[c[0] for c in BROKEN_SETTINGS]
)
def test_broken_settings_file(invoke, tmp_path: Path, text: str, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    make_workspace(tmp_path, settings=text)
    result = invoke("list")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"Error: {lines[0]}", *lines[1:]]


@pytest.mark.parametrize("value", ["22:30-07:00", "none", "09:00-09:00"])
def test_quiet_hours_setting_that_parses(tmp_path: Path, value: str) -> None:
    root = make_workspace(tmp_path / "ws", settings=f'quiet_hours = "{value}"\n')
    assert open_workspace(start=root).settings.quiet_hours == value


def test_a_folder_named_like_the_settings_file(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_workspace(tmp_path)
    (tmp_path / "xhsgrow.toml").mkdir()
    result = invoke("list")
    assert result.exit_code == 2
    assert result.stderr == "Error: xhsgrow.toml:1:1: is a directory, not a settings file\n"
