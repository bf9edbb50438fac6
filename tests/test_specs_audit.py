"""Spec commands at their edges: long ids, markup in names, the last gala year, blank strings
in the schema, GitHub annotations beside JSON, control characters in keys, editor lock
files, init beside existing schemas."""

from __future__ import annotations

import copy
import json
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomli_w

from xhsgrow.specs import check_file, json_schema
from xhsgrow.specs.locate import key_positions

from .conftest import REPO

GALA = REPO / "campaigns" / "gala-2027.toml"
REFERRAL = REPO / "campaigns" / "welcome-refugees-2025.toml"


def _copy(workspace: Path, source: Path, cid: str, edit: Any = None) -> Path:
    """``source`` saved as campaigns/CID.toml with its id changed (and ``edit`` applied)."""
    text = source.read_text("utf-8").replace(f'id = "{source.stem}"', f'id = "{cid}"', 1)
    if edit is not None:
        text = edit(text)
    path = workspace / "campaigns" / f"{cid}.toml"
    path.write_text(text, "utf-8")
    return path


def _line(path: Path, start: str) -> int:
    return next(
        i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1) if ln.startswith(start)
    )


# --- ids too long for a file name ----------------------------------------------------------

LONG = "a" * 300


def test_new_with_an_id_too_long_for_a_file_name_is_one_line(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("new", "gala", LONG)
    assert result.exit_code == 2
    assert result.stderr == f"Error: '{'a' * 37}...' is not a valid id: at most 250 characters\n"
    assert list((workspace / "campaigns").iterdir()) == []
    cid = "g" * 250  # but the longest id a name holds works: 250 + ".toml" = 255 bytes
    assert invoke("new", "gala", cid).exit_code == 0
    assert invoke("validate").exit_code == 0
    assert invoke("show", cid, "--format", "json").exit_code == 0


@pytest.mark.parametrize("command", ["show", "plan"])
def test_a_long_unknown_id_is_no_campaign_not_a_traceback(
    invoke, workspace: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    _copy(workspace, GALA, "gala-2027")
    result = invoke(command, LONG)
    assert result.exit_code == 2
    assert f"no campaign '{LONG}'" in result.stderr
    assert "known: gala-2027" in " ".join(result.stderr.split())


@pytest.mark.parametrize("command", ["validate", "fmt"])
def test_a_path_too_long_for_the_file_system_is_one_line(
    invoke, workspace: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    name = f"campaigns/{LONG}.toml"
    result = invoke(command, name)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {name}: File name too long\n"


def test_check_file_on_a_path_too_long_is_a_problem_not_an_exception(workspace: Path) -> None:
    campaign, problems = check_file(workspace / "campaigns" / f"{LONG}.toml", display="x.toml")
    assert campaign is None
    assert [str(p) for p in problems] == ["x.toml:1:1: cannot read: File name too long"]


def test_new_names_the_rule_a_leading_dash_breaks(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    # "use lower-case letters, digits, '-' and '_'" alone reads as if '-x' were fine
    result = invoke("new", "gala", "--", "-x")
    assert result.exit_code == 2
    assert "starting with a letter or digit" in result.stderr


# --- show: the name is text, not markup ----------------------------------------------------


@pytest.mark.parametrize("name", ["Save 50% [/] now", "[bold]春节[/bold] 邀请"])
def test_show_prints_a_name_with_brackets_as_written(invoke, workspace: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    _copy(
        workspace,
        GALA,
        "gala-2027",
        lambda t: t.replace('name = "Spring Festival Gala 2027', f'name = "{name}', 1),
    )
    result = invoke("show", "gala-2027")
    assert result.exit_code == 0, result.output
    assert name in result.stdout


# --- gala.year: the lunar calendar ends with 2099 -----------------------------------------


def test_gala_year_2100_is_an_error_at_its_line(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(workspace, GALA, "gala-2027", lambda t: t.replace("year = 2027", "year = 2100"))
    result = invoke("validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"campaigns/gala-2027.toml:{_line(path, 'year = ')}:1: gala.year: "
        "should be less than or equal to 2099 (got 2100)"
    ]
    assert json_schema("gala")["$defs"]["GalaSection"]["properties"]["year"]["maximum"] == 2099
    committed = json.loads((REPO / "schemas" / "gala.schema.json").read_text("utf-8"))
    assert committed["$defs"]["GalaSection"]["properties"]["year"]["maximum"] == 2099


# --- the schema refuses blank strings, as validate does ------------------------------------


def _as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("name",), "name"),
        (("owner",), "owner"),
        (("tags", 0), "tags[0]"),
        (("referral", "channels", 0), "referral.channels[0]"),
    ],
)
@pytest.mark.parametrize("blank", ["   ", "\u3000"])  # an ideographic space, from a Chinese IME
def test_schema_and_validate_both_refuse_a_blank_string(  # type: ignore[no-untyped-def]
    invoke, workspace: Path, path: tuple[Any, ...], where: str, blank: str
) -> None:
    data = tomllib.loads(REFERRAL.read_text("utf-8"))
    broken = copy.deepcopy(data)
    node = broken
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = blank
    schema = json.loads((REPO / "schemas" / "referral.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(_as_json(data))) == []
    assert list(validator.iter_errors(_as_json(broken))) != []

    spec = workspace / "campaigns" / "welcome-refugees-2025.toml"
    spec.write_text(tomli_w.dumps(broken), "utf-8")
    result = invoke("validate")
    assert result.exit_code == 1
    assert f": {where}: must not be empty" in result.stdout


# --- GitHub Actions annotations beside --format json --------------------------------------


def test_json_output_stays_json_under_github_actions(  # type: ignore[no-untyped-def]
    invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(workspace, GALA, "gala-2027", lambda t: t.replace("year = 2027", "year = 1900"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = invoke("validate", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)  # `xhsgrow validate --format json | jq` in a workflow
    (error,) = doc["files"][0]["errors"]
    line = _line(path, "year = ")
    assert (error["line"], error["key"]) == (line, "gala.year")
    # the annotation still reaches the runner, and agrees with the JSON
    assert (
        f"::error file=campaigns/gala-2027.toml,line={line},col=1::gala.year: {error['message']}"
        in result.stderr.splitlines()
    )


def test_annotation_escapes_a_comma_and_a_colon_in_the_file_name(  # type: ignore[no-untyped-def]
    invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = workspace / "2027,Q1:gala"
    folder.mkdir()
    shutil.copy(GALA, folder / "gala-2027.toml")
    path = folder / "gala-2027.toml"
    path.write_text(path.read_text("utf-8").replace("year = 2027", "year = 1900"), "utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = invoke("validate", "2027,Q1:gala")
    annotations = [ln for ln in result.stdout.splitlines() if ln.startswith("::error ")]
    # unescaped, the runner would read the file as "2027" and a property "Q1:gala/..."
    assert annotations == [
        f"::error file=2027%2CQ1%3Agala/gala-2027.toml,line={_line(path, 'year = ')},col=1::"
        "gala.year: should be greater than or equal to 1983 (got 1900)"
    ]


# --- one line per problem, even for a key with an escaped newline -------------------------


def test_a_quoted_key_with_a_newline_is_one_line_at_its_own_line(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(
        workspace,
        GALA,
        "gala-2027",
        lambda t: t.replace("capacity_rps = ", '"capacity\\nrps" = 1\ncapacity_rps = ', 1),
    )
    result = invoke("validate")
    assert result.exit_code == 1
    line = _line(path, '"capacity')
    assert result.stdout.splitlines() == [
        f"campaigns/gala-2027.toml:{line}:1: gala.capacity\\nrps: "
        "unknown key 'capacity\\nrps'; did you mean 'capacity_rps'?"
    ]


def test_a_terminal_escape_in_a_value_is_shown_not_sent(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    _copy(
        workspace,
        GALA,
        "gala-2027",
        lambda t: t.replace("year = 2027", 'year = "\\u001b[2J2027"'),
    )
    result = invoke("validate")
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    assert "gala.year: should be an integer, not '\\u001b[2J2027'" in result.stdout


def test_positions_of_keys_written_with_escapes() -> None:
    text = 'a = 1\n"b\\u00e9" = 2\n"c\\"d" = 3\n[t]\n"x\\ty" = 4\n'
    data = tomllib.loads(text)
    positions = key_positions(text)
    assert set(data) <= {p[0] for p in positions}
    assert positions[("bé",)] == (2, 1)
    assert positions[('c"d',)] == (3, 1)
    assert positions[("t", "x\ty")] == (5, 1)


# --- kind of the wrong type --------------------------------------------------------------


def test_kind_that_is_not_a_string_says_so(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(
        workspace, GALA, "gala-2027", lambda t: t.replace('kind = "gala"', 'kind = ["gala"]')
    )
    result = invoke("validate")
    assert result.stdout.splitlines() == [
        f"campaigns/gala-2027.toml:{_line(path, 'kind = ')}:1: kind: should be a string "
        "('referral' | 'partnership' | 'gala'), not an array"
    ]


# --- editor lock files ---------------------------------------------------------------------


def test_an_editor_lock_file_does_not_break_validate_list_or_fmt(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    _copy(workspace, GALA, "gala-2027")
    # Emacs, while gala-2027.toml is being edited: a dangling link named .#gala-2027.toml
    os.symlink("user@host.4242:1700000000", workspace / "campaigns" / ".#gala-2027.toml")
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "✓ 1 spec(s) valid" in result.stderr
    assert invoke("list").exit_code == 0
    assert invoke("fmt", "--check").exit_code == 0


def test_list_with_several_problems_points_at_validate(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    _copy(
        workspace,
        GALA,
        "gala-2027",
        lambda t: t.replace("year = 2027", "year = 1900").replace('status = "', 'status = "x'),
    )
    result = invoke("list")
    assert result.exit_code == 1
    assert "(and 1 more)" in result.stderr
    assert "Hint: run `xhsgrow validate` to see every problem" in result.stderr


# --- init never overwrites a file ---------------------------------------------------------


def test_init_keeps_a_schema_file_that_is_already_there(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mine = tmp_path / "growth" / "schemas" / "gala.schema.json"
    mine.parent.mkdir(parents=True)
    mine.write_text('{"title": "our own, with company rules"}\n', "utf-8")
    result = invoke("init", "growth")
    assert result.exit_code == 0, result.output
    assert mine.read_text("utf-8") == '{"title": "our own, with company rules"}\n'
    assert (tmp_path / "growth" / "schemas" / "referral.schema.json").is_file()


def test_fmt_summary_does_not_call_an_empty_file_a_syntax_error(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "empty.toml").write_bytes(b"")
    result = invoke("fmt")
    assert result.exit_code == 1
    assert "campaigns/empty.toml:1:1: file is empty" in result.stderr
    assert "syntax error" not in result.stderr
    assert "1 not formatted" in result.stderr
