"""`xhsgrow fmt`: canonical order and layout, never a lost comment or a changed value."""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from xhsgrow.errors import SpecError
from xhsgrow.specs import fmt
from xhsgrow.specs.fmt import FormatError, format_file, format_text
from xhsgrow.specs.scaffold import scaffold, schema_comment
from xhsgrow.specs.store import render_new

KINDS = ("referral", "partnership", "gala")
BUNDLED = sorted((REPO / "campaigns").glob("*.toml"))

MESSY = """\
#:schema ../schemas/referral.schema.json
# Welcome campaign for the January influx.

kind = "referral"  # one of three
# who answers for it
owner = "growth-team"
id = "welcome"
name = "Welcome"
tags = ["referral",
  "new-users"]

[budget] # all in
currency = "CNY"
amount = 3000000

# when it runs
[window]
end = 2027-01-31
start = 2027-01-06

[referral]
mystery = true
hold_days = 7
rewards = { referee = 10.0, referrer = 10.0, tiers = [{ invites = 3, bonus = 20.0 }] }
"""

# Worked out by hand from the rules in the fmt module docstring.
TIDY = """\
#:schema ../schemas/referral.schema.json
# Welcome campaign for the January influx.

id = "welcome"
name = "Welcome"
kind = "referral"  # one of three
# who answers for it
owner = "growth-team"
tags = ["referral", "new-users"]

# when it runs
[window]
start = 2027-01-06
end = 2027-01-31

[budget] # all in
amount = 3_000_000
currency = "CNY"

[referral]
hold_days = 7
mystery = true

[referral.rewards]
referrer = 10.0
referee = 10.0

[[referral.rewards.tiers]]
invites = 3
bonus = 20.0
"""


# --- exact output ------------------------------------------------------------------------


def test_reorders_keys_and_keeps_comments_with_their_keys() -> None:
    assert format_text(MESSY) == TIDY
    assert format_text(TIDY) == TIDY


def test_unknown_kind_orders_only_the_common_keys() -> None:
    text = (
        'kind = "raffle"\nname = "x"\nid = "y"\n\n'
        "[targets]\nzeta = 1\nk_factor = 0.3\nacquired = 5\n"
    )
    # k_factor is referral-only and zeta unknown: both keep their order after the shared keys.
    expected = (
        'id = "y"\nname = "x"\nkind = "raffle"\n\n'
        "[targets]\nacquired = 5\nzeta = 1\nk_factor = 0.3\n"
    )
    assert format_text(text) == expected


def test_numbers_and_arrays() -> None:
    text = (
        "a = 9999\nb = 10000\nc = 1_0000\nd = -1234567\ne = 0xFFFFFF\nf = 2500000.0\n"
        "g = [1, 20000]\n"
        "h = [" + ", ".join(f'"item-{i:02d}"' for i in range(12)) + "]\n"
    )
    out = format_text(text)
    lines = out.splitlines()
    assert lines[:7] == [
        "a = 9999",
        "b = 10_000",
        "c = 10_000",
        "d = -1_234_567",
        "e = 0xFFFFFF",
        "f = 2500000.0",
        "g = [1, 20_000]",
    ]
    # 12 quoted items of 9 characters do not fit in 100 columns: one per line, trailing comma
    assert lines[7] == "h = ["
    assert lines[8] == '    "item-00",'
    assert lines[-2:] == ['    "item-11",', "]"]
    assert tomllib.loads(out) == tomllib.loads(text)


def test_array_of_tables_with_a_comment_inside_stays_inline() -> None:
    text = (
        "[targets]\nsegments = [\n"
        "  { dimension = 'channel', value = 'sms', target = 5 }, # why\n"
        "]\n"
    )
    out = format_text(text)
    assert "# why" in out and "[[targets.segments]]" not in out
    assert tomllib.loads(out) == tomllib.loads(text)


def test_trailing_table_comments_and_dotted_keys() -> None:
    text = (
        "[window]\nend = 2027-01-31\nstart = 2027-01-06\n# old: end = 2027-01-20\n\n"
        "[budget]\nlimits.daily = 50000\namount = 10\n"
    )
    assert format_text(text) == (
        "[window]\nstart = 2027-01-06\nend = 2027-01-31\n# old: end = 2027-01-20\n\n"
        "[budget]\namount = 10\n\n[budget.limits]\ndaily = 50_000\n"
    )


# --- values unchanged on real specs ------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_specs_keep_values_and_comments(path: Path) -> None:
    text = path.read_text("utf-8")
    out = format_text(text)
    assert tomllib.loads(out) == tomllib.loads(text)
    assert format_text(out) == out


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed(v) for k, v in reversed(value.items())}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


@pytest.mark.parametrize("kind", KINDS)
def test_scaffolds_in_any_order_format_to_what_new_writes(kind: str) -> None:
    today = dt.date.today()
    spec = scaffold(kind, "c1", today)
    shuffled = schema_comment(kind) + tomli_w.dumps(_reversed(spec))
    out = format_text(shuffled)
    assert tomllib.loads(out) == tomllib.loads(shuffled) == tomllib.loads(tomli_w.dumps(spec))
    assert out == render_new(kind, "c1")
    assert format_text(out) == out
    assert out.startswith(schema_comment(kind) + 'id = "c1"\n')


# --- the command -------------------------------------------------------------------------


def test_new_output_passes_fmt_check(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    for kind in KINDS:
        assert invoke("new", kind, f"{kind}-1").exit_code == 0
    result = invoke("fmt", "--check")
    assert result.exit_code == 0, result.output
    assert "3 file(s) already formatted" in result.stderr


def test_check_lists_misordered_file_then_fmt_fixes_it(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    messy = workspace / "campaigns" / "welcome.toml"
    messy.write_text(MESSY, "utf-8")
    invoke("new", "gala", "g1")
    tidy = (workspace / "campaigns" / "g1.toml").read_text("utf-8")

    result = invoke("fmt", "--check", "campaigns")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"would reformat {Path('campaigns/welcome.toml')}"]
    assert messy.read_text("utf-8") == MESSY

    result = invoke("fmt", "campaigns")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"reformatted {Path('campaigns/welcome.toml')}"]
    assert messy.read_text("utf-8") == TIDY
    assert (workspace / "campaigns" / "g1.toml").read_text("utf-8") == tidy
    assert not list((workspace / "campaigns").glob(".*.tmp"))

    assert invoke("fmt", "--check", "campaigns/welcome.toml").exit_code == 0


def test_syntax_error_gives_position_and_leaves_file_alone(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    bad = workspace / "campaigns" / "bad.toml"
    text = 'id = "bad"\nname = "Bad"\n[window]\nstart = 2027-01-06\nend = \n'
    bad.write_text(text, "utf-8")
    for args in (("fmt",), ("fmt", "--check")):
        result = invoke(*args)
        assert result.exit_code == 1
        assert "campaigns/bad.toml:5:7: TOML syntax error" in result.stderr
        assert "Traceback" not in result.output
        assert bad.read_text("utf-8") == text


def test_safety_net_refuses_to_write(
    invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = workspace / "campaigns" / "welcome.toml"
    path.write_text(MESSY, "utf-8")
    # a formatter bug that would turn 3000000 into 300_000
    monkeypatch.setattr(fmt, "_integer", lambda raw: "300_000" if raw == "3000000" else raw)
    with pytest.raises(FormatError, match="would change a value"):
        format_file(path, write=True)
    result = invoke("fmt")
    assert result.exit_code == 2
    assert "welcome.toml: fmt would change a value" in result.stderr
    assert path.read_text("utf-8") == MESSY
    assert not list((workspace / "campaigns").glob(".*.tmp"))


def test_fmt_drops_a_byte_order_mark_and_keeps_crlf(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    """Windows editors save a BOM and CRLF: the BOM goes (a tidy file with one still counts
    as unformatted), the line endings stay."""
    tidy = workspace / "campaigns" / "tidy.toml"
    tidy.write_bytes(b"\xef\xbb\xbf" + TIDY.encode())
    messy = workspace / "campaigns" / "messy.toml"
    messy.write_bytes(b"\xef\xbb\xbf" + MESSY.replace("\n", "\r\n").encode())

    result = invoke("fmt", "--check")
    assert result.exit_code == 1
    assert sorted(result.stdout.splitlines()) == [
        f"would reformat {Path('campaigns/messy.toml')}",
        f"would reformat {Path('campaigns/tidy.toml')}",
    ]
    assert invoke("fmt").exit_code == 0
    assert tidy.read_bytes() == TIDY.encode()
    assert messy.read_bytes() == TIDY.replace("\n", "\r\n").encode()
    result = invoke("fmt", "--check")
    assert result.exit_code == 0, result.output
    assert "2 file(s) already formatted" in result.stderr


def test_fmt_keeps_the_files_permission_bits(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    path = workspace / "campaigns" / "welcome.toml"
    path.write_text(MESSY, "utf-8")
    path.chmod(0o600)  # kept private by its owner; a new file would get 0644 under umask 022
    result = invoke("fmt")
    assert result.exit_code == 0, result.output
    assert path.read_text("utf-8") == TIDY
    assert path.stat().st_mode & 0o777 == 0o600


def test_fmt_writes_through_a_symlinked_spec_and_keeps_the_link(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    shared = workspace / "shared" / "welcome.toml"  # a spec kept elsewhere, linked in
    shared.parent.mkdir()
    shared.write_text(MESSY, "utf-8")
    shared.chmod(0o640)
    link = workspace / "campaigns" / "welcome.toml"
    link.symlink_to(Path("..") / "shared" / "welcome.toml")
    result = invoke("fmt")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"reformatted {Path('campaigns/welcome.toml')}\n"
    assert link.is_symlink() and os.readlink(link) == str(Path("..", "shared", "welcome.toml"))
    assert shared.read_text("utf-8") == TIDY
    assert shared.stat().st_mode & 0o777 == 0o640
    assert os.listdir(workspace / "campaigns") == ["welcome.toml"]  # no temp file left
    assert os.listdir(shared.parent) == ["welcome.toml"]
    assert invoke("fmt", "--check").exit_code == 0


def test_a_failed_write_is_one_line_and_leaves_the_file_alone(
    invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from xhsgrow import fileio

    path = workspace / "campaigns" / "welcome.toml"
    path.write_text(MESSY, "utf-8")

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", full_disk)
    result = invoke("fmt")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot write {Path('campaigns/welcome.toml')}: No space left on device\n"
        "0 reformatted, 0 unchanged, 1 not formatted (see the errors above)\n"
    )
    assert path.read_text("utf-8") == MESSY
    assert not list((workspace / "campaigns").glob(".*.tmp"))


def test_safety_net_catches_a_lost_comment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "_tidy", lambda lines, **_: [])
    with pytest.raises(FormatError, match=r"x\.toml: fmt would lose or change a comment"):
        format_text(MESSY, name="x.toml")


def test_format_text_reports_syntax_errors() -> None:
    with pytest.raises(SpecError, match=r"^spec.toml:2:5: TOML syntax error"):
        format_text("a = 1\nb = \n", name="spec.toml")


# --- property: generated documents with comments ----------------------------------------

ROOT_KEYS = ["id", "name", "kind", "owner", "status", "tags", "notes", "zz", "odd key"]
TABLES = ["window", "budget", "targets", "referral", "gala", "extra"]
SUBTABLES = ["rewards", "caps", "sub"]
AOTS = ["tiers", "segments"]
KEYS = ["start", "end", "amount", "currency", "hold_days", "k", "strange key", "year"]

_chars = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters=":")
scalars = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.text(_chars | st.sampled_from("#\"'\\\n\t"), max_size=12),
)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _key(name: str) -> str:
    return json.dumps(name) if " " in name else name


class Doc:
    """Renders a generated document, drawing layout choices and unique comments."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw, self.lines, self.comments = draw, [], []

    def comment(self) -> str:
        tail = self.draw(st.text(st.characters(categories=("L", "Zs")), max_size=8))
        text = f"# c{len(self.comments)}:{tail}".rstrip()
        self.comments.append(text)
        return text

    def above(self) -> None:
        for _ in range(self.draw(st.integers(0, 2))):
            if self.draw(st.booleans()):
                self.lines.append("")
            self.lines.append(self.comment())

    def eol(self) -> str:
        return f"  {self.comment()}" if self.draw(st.booleans()) else ""

    def scalar(self) -> str:
        value = self.draw(scalars)
        if isinstance(value, int) and not isinstance(value, bool) and self.draw(st.booleans()):
            return f"{value:_}"
        if isinstance(value, str) and "'" not in value and self.draw(st.booleans()):
            return f"'''\n{value}'''"  # multi-line literal string
        return _scalar(value)

    def value(self, depth: int = 0) -> str:
        choice = self.draw(st.integers(0, 5 if depth == 0 else 3))
        if choice <= 2:
            return self.scalar()
        if choice == 4:
            return self.inline()
        if choice == 5:  # an array of inline tables
            return "[" + ", ".join(self.inline() for _ in range(self.draw(st.integers(1, 3)))) + "]"
        items = [self.scalar() for _ in range(self.draw(st.integers(0, 4)))]
        if depth == 0 and self.draw(st.booleans()):
            items.append(self.value(1))  # a nested array or a scalar
        if self.draw(st.booleans()):
            rows = [f"  {item},{self.eol()}" for item in items]
            return "[\n" + "\n".join(rows) + "\n]"
        return "[" + ", ".join(items) + "]"

    def inline(self) -> str:
        keys = self.draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=3))
        return "{ " + ", ".join(f"{_key(k)} = {self.value(1)}" for k in keys) + " }"

    def entries(self, keys: list[str]) -> None:
        for k in keys:
            self.above()
            dotted = "dot." if self.draw(st.integers(0, 4)) == 0 else ""
            if k == "kind" and self.draw(st.booleans()):
                value = json.dumps(self.draw(st.sampled_from(KINDS)))  # orders by the model
            else:
                value = self.value()
            self.lines.append(f"{dotted}{_key(k)} = {value}{self.eol()}")
        if self.draw(st.booleans()):
            self.above()

    def header(self, name: str, aot: bool = False) -> None:
        self.above()
        self.lines.append((f"[[{name}]]" if aot else f"[{name}]") + self.eol())


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    doc = Doc(draw)
    if draw(st.booleans()):
        doc.lines.append("#:schema ../schemas/referral.schema.json")
    doc.entries(draw(st.lists(st.sampled_from(ROOT_KEYS), unique=True, max_size=5)))
    paths = draw(
        st.lists(
            st.tuples(st.sampled_from(TABLES), st.sampled_from([None, *SUBTABLES, *AOTS])),
            unique=True,
            max_size=5,
        )
    )
    for table, sub in draw(st.permutations(paths)):
        aot = sub in AOTS
        for _ in range(draw(st.integers(1, 2)) if aot else 1):
            doc.header(table if sub is None else f"{table}.{sub}", aot)
            doc.entries(draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=4)))
    return "\n".join(doc.lines) + "\n", doc.comments


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_property_values_and_comments_kept_and_idempotent(generated: tuple[str, list[str]]) -> None:
    text, inserted = generated
    data = tomllib.loads(text)
    out = format_text(text)
    assert tomllib.loads(out) == data
    for comment in inserted:
        assert out.count(comment) == text.count(comment) == 1
    assert format_text(out) == out


def test_a_broken_file_does_not_stop_the_others(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    bad = workspace / "campaigns" / "a-bad.toml"
    bad.write_text('id = "a-bad"\nname = \n', "utf-8")
    messy = workspace / "campaigns" / "welcome.toml"
    messy.write_text(MESSY, "utf-8")
    result = invoke("fmt")
    assert result.exit_code == 1
    assert "campaigns/a-bad.toml:2:8: TOML syntax error" in result.stderr
    assert "reformatted campaigns/welcome.toml" in result.stdout
    assert "1 not formatted" in result.stderr
    assert invoke("fmt", "--check", "campaigns/welcome.toml").exit_code == 0
