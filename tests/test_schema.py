"""JSON Schemas for editors: committed, up to date, and agreeing with the loader."""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from xhsgrow.specs import json_schema
from xhsgrow.specs.models import KINDS

from .conftest import REPO

BUNDLED = sorted((REPO / "campaigns").glob("*.toml"))


def as_json(value: Any) -> Any:
    """TOML values as an editor hands them to a JSON Schema validator: dates become strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def spec(path: Path) -> dict[str, Any]:
    return as_json(tomllib.loads(path.read_text("utf-8")))


@pytest.mark.parametrize("kind", KINDS)
def test_committed_schema_is_up_to_date(kind: str, invoke) -> None:  # type: ignore[no-untyped-def]
    committed = (REPO / "schemas" / f"{kind}.schema.json").read_text("utf-8")
    assert json.loads(committed) == json_schema(kind), (
        f"schemas/{kind}.schema.json is stale: run `xhsgrow schema {kind} > "
        f"schemas/{kind}.schema.json`"
    )
    result = invoke("schema", kind)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(committed)


def test_every_kind_has_a_bundled_campaign() -> None:
    kinds = {tomllib.loads(p.read_text("utf-8"))["kind"] for p in BUNDLED}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_schema_accepts_bundled_spec(path: Path) -> None:
    data = spec(path)
    first_line = path.read_text("utf-8").splitlines()[0]
    assert first_line == f"#:schema ../schemas/{data['kind']}.schema.json"
    errors = [e.message for e in validator(data["kind"]).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("kind", KINDS)
def test_schema_accepts_every_scaffold(kind: str, invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke("new", kind, f"my-{kind}").exit_code == 0
    data = spec(workspace / "campaigns" / f"my-{kind}.toml")
    assert list(validator(kind).iter_errors(data)) == []


def _referral() -> dict[str, Any]:
    return spec(REPO / "campaigns" / "welcome-refugees-2025.toml")


def _gala() -> dict[str, Any]:
    return spec(REPO / "campaigns" / "gala-2027.toml")


def _errors(kind: str, data: dict[str, Any]) -> list[str]:
    return [e.message for e in validator(kind).iter_errors(data)]


def test_schema_rejects_unknown_key() -> None:
    data = _referral()
    data["referral"]["rewards"]["referer"] = 5.0
    assert any("'referer' was unexpected" in m for m in _errors("referral", data))


def test_schema_rejects_wrong_type() -> None:
    data = _referral()
    data["targets"]["acquired"] = "4 million"
    assert any("is not of type 'integer'" in m for m in _errors("referral", data))


def test_schema_rejects_bad_enum() -> None:
    data = _referral()
    data["status"] = "running"
    assert any("'running' is not one of" in m for m in _errors("referral", data))


def test_schema_rejects_missing_required_key() -> None:
    data = _gala()
    del data["gala"]["capacity_rps"]
    assert any("'capacity_rps' is a required property" in m for m in _errors("gala", data))


def test_schema_rejects_a_kind_mismatch() -> None:
    assert _errors("gala", _referral())  # a referral spec is not a gala spec


def test_schema_dates_accept_toml_shapes_and_reject_others() -> None:
    data = _gala()
    offset = copy.deepcopy(data)
    offset["gala"]["rounds"][0]["at"] = "2027-02-05T20:05:00+08:00"  # `validate` refuses offsets
    assert _errors("gala", offset)
    local = copy.deepcopy(data)
    local["gala"]["rounds"][0]["at"] = "2027-02-05T20:05:00"  # local date-time
    assert _errors("gala", local) == []
    bad = copy.deepcopy(data)
    bad["gala"]["rounds"][0]["at"] = "tonight at eight"
    assert _errors("gala", bad)
    bad_date = copy.deepcopy(data)
    bad_date["window"]["start"] = "2027-13-45"
    assert any("is not a 'date'" in m for m in _errors("gala", bad_date))


def test_schema_is_written_for_editors() -> None:
    schema = json_schema("gala")
    text = json.dumps(schema)
    # TOML has no null: optional keys are simply left out, so editors must not offer null.
    assert '"null"' not in text
    round_ = schema["$defs"]["Round"]["properties"]
    assert round_["mechanic"]["enum"][:2] == ["shake", "tap"]
    assert round_["prize_pool"]["description"]
    # every property of every definition explains itself on hover
    undocumented = [
        f"{name}.{key}"
        for name, definition in schema["$defs"].items()
        for key, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


def test_generated_field_reference_is_up_to_date() -> None:
    import runpy

    gen = runpy.run_path(str(REPO / "scripts" / "gen_spec_docs.py"))
    current = (REPO / "docs" / "specs.md").read_text("utf-8")
    assert gen["render"](current) == current, (
        "docs/specs.md is stale: run python scripts/gen_spec_docs.py"
    )
    # every key of every kind is documented
    for kind in KINDS:
        schema = json_schema(kind)
        for definition in schema["$defs"].values():
            for key in definition.get("properties", {}):
                assert f"| `{key}` |" in current, f"{kind}: {key} missing from docs/specs.md"
