"""`xhsgrow fmt` over several files: one the safety net refuses does not stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_fmt import MESSY, TIDY
from xhsgrow.specs import fmt

# Every real input we tried keeps its values and comments (the fuzzing in test_fmt.py finds
# none either), so a formatter bug is simulated: one file's amount is mangled on the way out,
# and the real safety net catches it.
REFUSED = MESSY.replace("amount = 3000000", "amount = 1234567")


@pytest.fixture
def three_files(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    real = fmt._integer
    monkeypatch.setattr(fmt, "_integer", lambda raw: "123_456" if raw == "1234567" else real(raw))
    paths = [workspace / "campaigns" / f"{name}.toml" for name in ("a", "b-refused", "c")]
    for path in paths:
        path.write_text(REFUSED if "refused" in path.name else MESSY, "utf-8")
    return paths


def test_fmt_formats_every_other_file_and_exits_2(invoke, three_files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    a, refused, c = three_files
    result = invoke("fmt")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"reformatted {Path('campaigns/a.toml')}",
        f"reformatted {Path('campaigns/c.toml')}",
    ]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {Path('campaigns/b-refused.toml')}: fmt would change a value; not formatted"
    ]
    assert "2 reformatted, 0 unchanged, 1 not formatted (see the errors above)" in result.stderr
    assert result.stderr.count("Hint:") == 1
    assert a.read_text("utf-8") == c.read_text("utf-8") == TIDY
    assert refused.read_text("utf-8") == REFUSED
    assert sorted(p.name for p in a.parent.iterdir()) == ["a.toml", "b-refused.toml", "c.toml"]


def test_fmt_check_checks_every_other_file_and_exits_2(invoke, three_files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    result = invoke("fmt", "--check")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"would reformat {Path('campaigns/a.toml')}",
        f"would reformat {Path('campaigns/c.toml')}",
    ]
    assert "b-refused.toml: fmt would change a value; not formatted" in result.stderr
    assert "2 would reformat, 0 unchanged, 1 not formatted" in result.stderr
    assert [p.read_text("utf-8") for p in three_files] == [MESSY, REFUSED, MESSY]


def test_a_refused_file_and_a_syntax_error_are_both_named(invoke, three_files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    three_files[0].write_text('id = "a"\nname = \n', "utf-8")
    result = invoke("fmt")
    assert result.exit_code == 2  # the safety net's exit code wins over a spec error's 1
    assert f"{Path('campaigns/a.toml')}:2:8: TOML syntax error" in result.stderr
    assert "b-refused.toml: fmt would change a value" in result.stderr
    assert "1 reformatted, 0 unchanged, 2 not formatted" in result.stderr
    assert three_files[2].read_text("utf-8") == TIDY


def test_a_file_that_cannot_be_written_does_not_stop_the_others(
    invoke, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The disk is full when b.toml is written: it is named and left as it was, and a.toml
    and c.toml (before and after it) are still formatted; exit 2, no temporary file left."""
    import os

    from xhsgrow import fileio

    paths = [workspace / "campaigns" / f"{name}.toml" for name in ("a", "b", "c")]
    for path in paths:
        path.write_text(MESSY, "utf-8")
    real = os.replace

    def full_for_b(src: str, dst: str) -> None:
        if Path(dst).name == "b.toml":
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(fileio.os, "replace", full_for_b)
    result = invoke("fmt")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"reformatted {Path('campaigns/a.toml')}",
        f"reformatted {Path('campaigns/c.toml')}",
    ]
    assert result.stderr.splitlines() == [
        f"Error: cannot write {Path('campaigns/b.toml')}: No space left on device",
        "2 reformatted, 0 unchanged, 1 not formatted (see the errors above)",
    ]
    assert [p.read_text("utf-8") for p in paths] == [TIDY, MESSY, TIDY]
    assert sorted(p.name for p in paths[0].parent.iterdir()) == ["a.toml", "b.toml", "c.toml"]
