"""The spec commands end to end: init, new, validate, list, show, schema, --version, --help."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main

from xhsgrow import __version__
from xhsgrow.cli import app
from xhsgrow.specs.models import KINDS

from .conftest import REPO

BUNDLED = {p.stem: p for p in sorted((REPO / "campaigns").glob("*.toml"))}


@pytest.fixture
def bundled(workspace: Path) -> Path:
    """The workspace with a copy of the bundled campaigns."""
    for path in BUNDLED.values():
        shutil.copy(path, workspace / "campaigns" / path.name)
    return workspace


# --- init ---------------------------------------------------------------------------------


def test_init_creates_a_valid_workspace(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("init", "growth")
    assert result.exit_code == 0
    root = tmp_path / "growth"
    assert (root / "xhsgrow.toml").is_file()
    assert (root / "templates").is_dir()
    specs = sorted(p.name for p in (root / "campaigns").glob("*.toml"))
    assert specs == ["example-gala.toml", "example-partnership.toml", "example-referral.toml"]
    for kind in KINDS:
        assert (root / "schemas" / f"{kind}.schema.json").is_file()
    assert invoke("--workspace", str(root), "validate").exit_code == 0


def test_init_refuses_to_overwrite(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke("init", "growth").exit_code == 0
    spec = tmp_path / "growth" / "campaigns" / "example-gala.toml"
    spec.write_text("# my edits\n" + spec.read_text("utf-8"), "utf-8")
    result = invoke("init", "growth")
    assert result.exit_code == 2
    assert "already exists; init never overwrites" in result.stderr
    assert spec.read_text("utf-8").startswith("# my edits")


def test_init_does_not_write_through_a_dangling_link(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "growth" / "campaigns").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "growth" / "campaigns" / "example-gala.toml").symlink_to(elsewhere / "t.toml")
    result = invoke("init", "growth")
    assert result.exit_code == 2
    assert "example-gala.toml already exists; init never overwrites" in result.stderr
    assert not elsewhere.exists()
    assert not (tmp_path / "growth" / "xhsgrow.toml").exists()


def test_init_in_the_current_folder(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke("init").exit_code == 0
    assert (tmp_path / "campaigns" / "example-referral.toml").is_file()


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("files", "target", "message"),
    [
        (["foo"], "foo", "foo is a file, not a folder"),
        (["foo"], "foo/growth", "foo is a file, not a folder"),
        (["growth/campaigns"], "growth", "growth/campaigns is a file, not a folder"),
        (["growth/templates"], "growth", "growth/templates is a file, not a folder"),
        (["growth/schemas"], "growth", "growth/schemas is a file, not a folder"),
    ],
)
def test_init_with_a_file_where_a_folder_goes_is_one_line_and_creates_nothing(  # type: ignore[no-untyped-def]
    invoke, tmp_path: Path, files: list[str], target: str, message: str
) -> None:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("a file\n", "utf-8")
    before = _tree(tmp_path)
    result = invoke("init", target)
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot create workspace {target}: {message}\n"
    assert result.stdout == ""
    assert _tree(tmp_path) == before


def test_init_that_fails_late_removes_what_it_created(  # type: ignore[no-untyped-def]
    invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xhsgrow import fileio

    real_replace = fileio.os.replace

    def full_disk_at_the_last_schema(src: str, dst: str) -> None:
        if str(dst).endswith(f"{KINDS[-1]}.schema.json"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", full_disk_at_the_last_schema)
    result = invoke("init", "growth")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot write growth/schemas/{KINDS[-1]}.schema.json: No space left on device\n"
    )
    assert _tree(tmp_path) == []


def test_init_that_fails_late_keeps_what_was_there(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a folder where the last schema goes: found only when that schema is written
    (tmp_path / "growth" / "schemas" / f"{KINDS[-1]}.schema.json").mkdir(parents=True)
    (tmp_path / "growth" / "notes.md").write_text("mine\n", "utf-8")
    before = _tree(tmp_path)
    result = invoke("init", "growth")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot write growth/schemas/{KINDS[-1]}.schema.json: Is a directory\n"
    )
    assert _tree(tmp_path) == before


# --- new ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_new_writes_a_spec_that_validates(invoke, workspace: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    result = invoke("new", kind, f"q3-{kind}")
    assert result.exit_code == 0, result.output
    path = workspace / "campaigns" / f"q3-{kind}.toml"
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == f"#:schema ../schemas/{kind}.schema.json"
    data = tomllib.loads(text)
    assert (data["id"], data["kind"]) == (f"q3-{kind}", kind)
    check = invoke("validate", f"campaigns/q3-{kind}.toml")
    assert check.exit_code == 0, check.stdout
    assert (workspace / "schemas" / f"{kind}.schema.json").is_file()


def test_new_refuses_to_overwrite_without_force(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke("new", "gala", "cny").exit_code == 0
    path = workspace / "campaigns" / "cny.toml"
    path.write_text("# hand edits\n", "utf-8")
    result = invoke("new", "gala", "cny")
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert path.read_text("utf-8") == "# hand edits\n"
    assert invoke("new", "gala", "cny", "--force").exit_code == 0
    assert tomllib.loads(path.read_text("utf-8"))["kind"] == "gala"


def test_new_into_a_campaigns_folder_that_is_a_file_is_one_line(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns").rmdir()
    (workspace / "campaigns").write_text("not a folder\n", "utf-8")
    result = invoke("new", "gala", "cny")
    assert result.exit_code == 2
    assert result.stderr == "Error: cannot write campaigns/cny.toml: Not a directory\n"
    assert (workspace / "campaigns").read_text("utf-8") == "not a folder\n"
    assert sorted(p.name for p in workspace.iterdir()) == ["campaigns", "templates"]


def test_new_with_a_schemas_folder_that_is_a_file_is_one_line_and_writes_no_spec(  # type: ignore[no-untyped-def]
    invoke, workspace: Path
) -> None:
    (workspace / "schemas").write_text("not a folder\n", "utf-8")
    result = invoke("new", "gala", "cny")
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot write schemas/{KINDS[0]}.schema.json: Not a directory\n"
    assert (workspace / "schemas").read_text("utf-8") == "not a folder\n"
    assert list((workspace / "campaigns").iterdir()) == []
    # fixed, the same command works: no "already exists", no --force needed
    (workspace / "schemas").unlink()
    result = invoke("new", "gala", "cny")
    assert result.exit_code == 0, result.output
    assert (workspace / "campaigns" / "cny.toml").is_file()
    assert (workspace / "schemas" / "gala.schema.json").is_file()


@pytest.mark.parametrize("force", [False, True])
def test_new_does_not_write_through_a_dangling_link(invoke, workspace: Path, force: bool) -> None:  # type: ignore[no-untyped-def]
    # `exists()` is False for a dangling link: `new` said "created campaigns/y.toml" and wrote
    # the scaffold at the link's target, making its folders wherever it pointed (outside the
    # workspace here). With --force too: replacing someone's link is not `new`'s to decide.
    elsewhere = workspace.parent / f"{workspace.name}-elsewhere"
    link = workspace / "campaigns" / "y.toml"
    link.symlink_to(elsewhere / "deep" / "target.toml")
    result = invoke("new", "gala", "y", *(["--force"] if force else []))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: campaigns/y.toml is a dangling link (to {elsewhere}/deep/target.toml, which "
        "does not exist)",
        "Hint: remove the link (rm campaigns/y.toml) or create its target first",
    ]
    assert not elsewhere.exists()
    assert link.is_symlink() and not (workspace / "schemas").exists()


@pytest.mark.parametrize("bad_id", ["Gala 2027", "_gala", "gala.2027", "盛典"])
def test_new_rejects_a_bad_id(invoke, workspace: Path, bad_id: str) -> None:  # type: ignore[no-untyped-def]
    result = invoke("new", "gala", bad_id)
    assert result.exit_code == 2
    assert f"'{bad_id}' is not a valid id" in result.stderr
    assert list((workspace / "campaigns").iterdir()) == []


def test_new_rejects_an_unknown_kind(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("new", "festival", "x")
    assert result.exit_code == 2
    assert "festival" in result.stderr
    assert list((workspace / "campaigns").iterdir()) == []


# --- validate -----------------------------------------------------------------------------


def test_validate_bundled_campaigns(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("validate")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"✓ {len(BUNDLED)} spec(s) valid" in result.stderr


def _break(ws: Path) -> int:
    """Make the gala spec's window end before its start; returns the line of `end`."""
    path = ws / "campaigns" / "gala-2027.toml"
    text = path.read_text("utf-8").replace(
        "end = 2027-03-07\ntimezone", "end = 2027-01-01\ntimezone"
    )
    path.write_text(text, "utf-8")
    return text.splitlines().index("end = 2027-01-01") + 1


def test_validate_reports_invalid_specs_with_exit_1(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    line = _break(bundled)
    result = invoke("validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"campaigns/gala-2027.toml:{line}:1: window.end: end 2027-01-01 is before start 2027-01-30"
    )
    assert f"1 of {len(BUNDLED)} spec(s) invalid" in result.stderr


def test_validate_json(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    line = _break(bundled)
    result = invoke("validate", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    files = {f["path"]: f for f in doc["files"]}
    assert set(files) == {f"campaigns/{name}.toml" for name in BUNDLED}
    gala = files["campaigns/gala-2027.toml"]
    assert gala["valid"] is False
    assert gala["errors"][0] == {
        "line": line,
        "col": 1,
        "key": "window.end",
        "message": "end 2027-01-01 is before start 2027-01-30",
    }
    assert files["campaigns/welcome-refugees-2025.toml"] == {
        "path": "campaigns/welcome-refugees-2025.toml",
        "valid": True,
        "errors": [],
    }


def test_validate_under_github_actions_emits_annotations(
    invoke, bundled: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    line = _break(bundled)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = invoke("validate")
    assert result.exit_code == 1
    annotations = [s for s in result.stdout.splitlines() if s.startswith("::error ")]
    assert annotations[0] == (
        f"::error file=campaigns/gala-2027.toml,line={line},col=1::"
        "window.end: end 2027-01-01 is before start 2027-01-30"
    )


def test_no_annotations_outside_github_actions(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    _break(bundled)
    assert "::error" not in invoke("validate").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.toml"], "nope.toml: no such file or folder"),
        (["templates"], "templates: no .toml spec files in this folder"),
    ],
)
def test_validate_usage_errors_exit_2(invoke, workspace: Path, args, message: str) -> None:  # type: ignore[no-untyped-def]
    result = invoke("validate", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_validate_without_campaigns_folder_exits_2(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("validate")
    assert result.exit_code == 2
    assert "no campaigns/ folder" in result.stderr
    assert "xhsgrow init" in result.stderr


def test_validate_reports_every_file(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    _break(bundled)
    other = bundled / "campaigns" / "silver-chongyang-2025.toml"
    other.write_text(other.read_text("utf-8").replace('status = "ended"', 'status = "done"'))
    result = invoke("validate")
    files = {line.split(":", 1)[0] for line in result.stdout.splitlines()}
    assert files == {"campaigns/gala-2027.toml", "campaigns/silver-chongyang-2025.toml"}
    assert f"2 of {len(BUNDLED)} spec(s) invalid" in result.stderr


def test_duplicate_ids_across_folders(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    for folder in ("a", "b"):
        (workspace / folder).mkdir()
        shutil.copy(BUNDLED["gala-2027"], workspace / folder / "gala-2027.toml")
    result = invoke("validate", "a", "b")
    assert result.exit_code == 1
    line = BUNDLED["gala-2027"].read_text("utf-8").splitlines().index('id = "gala-2027"') + 1
    assert result.stdout.splitlines() == [
        f"b/gala-2027.toml:{line}:1: id: duplicate id, also in a/gala-2027.toml"
    ]


# --- list and show ------------------------------------------------------------------------


def test_list_table(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("list")
    assert result.exit_code == 0
    assert f"{len(BUNDLED)} campaign(s)" in result.stdout
    for cid in BUNDLED:
        assert cid in result.stdout  # ids are never cut, even at 80 columns
    assert "¥1,000,000,000" in result.stdout  # the gala's budget


def test_list_filters(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    referral = invoke("list", "--kind", "referral").stdout
    assert "welcome-refugees-2025" in referral and "silver-chongyang-2025" in referral
    assert "gala-2027" not in referral and "qiandongnan" not in referral
    approved = invoke("list", "--status", "approved").stdout
    assert "gala-2027" in approved and "welcome-refugees-2025" not in approved


def test_list_json(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("list", "--format", "json", "--kind", "gala")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "id": "gala-2027",
            "kind": "gala",
            "status": "approved",
            "name": "Spring Festival Gala 2027: red envelopes and notes",
            "start": "2027-01-30",
            "end": "2027-03-07",
            "timezone": "Asia/Shanghai",
            "main_target": {"metric": "acquired", "value": 25_000_000},
            "budget": 1_000_000_000,
            "currency": "CNY",
        }
    ]


@pytest.mark.parametrize("command", [["list"], ["validate"], ["show", "x"], ["fmt", "--check"]])
def test_a_campaigns_file_is_one_error_for_every_command(  # type: ignore[no-untyped-def]
    invoke, workspace: Path, command: list[str]
) -> None:
    # `list` said "0 campaign(s)" (exit 0) where `validate` called it an error
    (workspace / "campaigns").rmdir()
    (workspace / "campaigns").write_text("not a folder\n", "utf-8")
    result = invoke(*command)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: campaigns is a file, not the folder of campaign specs",
        "Hint: move it away; `xhsgrow new KIND ID` then creates the folder",
    ]


def test_list_without_a_campaigns_folder_is_empty(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("list", "--format", "json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_list_with_an_invalid_spec_fails(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    line = _break(bundled)
    result = invoke("list")
    assert result.exit_code == 1
    assert f"campaigns/gala-2027.toml:{line}:1: window.end" in result.stderr


def test_show_panel(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("show", "qiandongnan-counties-2025")
    assert result.exit_code == 0
    out = result.stdout
    for text in ("qiandongnan-counties-2025", "黔东南苗族侗族自治州人民政府", "522600", "杨主任"):
        assert text in out
    assert "1,500" in out  # merchants_onboarded, with a thousands separator


def test_show_json_round_trips_the_spec(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("show", "gala-2027", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    spec = tomllib.loads(BUNDLED["gala-2027"].read_text("utf-8"))
    assert data["gala"]["capacity_rps"] == spec["gala"]["capacity_rps"] == 16_000_000
    assert [r["at"] for r in data["gala"]["rounds"]] == [
        r["at"].isoformat() for r in spec["gala"]["rounds"]
    ]
    assert data["gala"]["eve"] is None  # derived, not written


def test_show_unknown_id_lists_known_ids(invoke, bundled: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("show", "gala-2028")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())  # rich may wrap long lines on stderr
    assert "no campaign 'gala-2028'" in message
    for cid in BUNDLED:
        assert cid in message


# --- schema, version, help ----------------------------------------------------------------


def test_schema_command(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("schema", "partnership")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["kind"]["const"] == "partnership"
    assert invoke("schema", "festival").exit_code == 2


def test_version(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"xhsgrow {__version__}"


def _leaf_commands() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "list_commands"):  # a group (the root loads its commands lazily)
            ctx = typer.Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), (*path, name))
        else:
            found.append(path)

    walk(root, ())
    assert len(found) > 10
    return found


@pytest.mark.parametrize("command", _leaf_commands(), ids=" ".join)
def test_every_command_help_has_an_example(invoke, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout, f"`xhsgrow {' '.join(command)} --help` has no example"


@pytest.mark.parametrize("kind", KINDS)
def test_scaffolds_validate_whatever_the_date(kind: str, tmp_path: Path) -> None:
    """`new` dates its scaffold from today: every start of month over two years must work
    (year ends, the lunar new year moving between January and February)."""
    import datetime as dt

    import tomli_w

    from xhsgrow.specs.loader import check_file
    from xhsgrow.specs.scaffold import scaffold

    for month in range(24):
        today = dt.date(2026 + month // 12, month % 12 + 1, 1 + month % 28)
        path = tmp_path / f"s-{month}.toml"
        path.write_text(tomli_w.dumps(scaffold(kind, f"s-{month}", today)), "utf-8")
        campaign, problems = check_file(path)
        assert problems == [], (today, [str(p) for p in problems])
        assert campaign.window.start > today


def test_error_positions_are_never_turned_into_emoji(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    # rich renders ":100:" as an emoji unless told not to; a message naming line 100+ must not
    assert invoke("new", "referral", "long").exit_code == 0
    path = workspace / "campaigns" / "long.toml"
    text = path.read_text("utf-8")
    filler = "".join(f"# filler {i}\n" for i in range(100))
    text = filler + text.replace("amount = 6_000_000", 'amount = "lots"')
    path.write_text(text, "utf-8")
    line = text.splitlines().index('amount = "lots"') + 1
    assert line >= 100
    result = invoke("show", "long")
    assert result.exit_code == 1
    assert f"campaigns/long.toml:{line}:1: budget.amount:" in result.stderr
    assert "\U0001f4af" not in result.stderr
