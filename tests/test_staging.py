"""Where text events are typed for a run ([data] staging, docs/data.md): in memory or in a
Parquet file on disk. Either way every figure and every rejected row's file and line are
the same; the lines are worked out from the rows written."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_track_edges import HEADER, csv_file
from tests.test_track_metrics import DATA, make_workspace, run
from xhsgrow.data.events import WHITESPACE, open_events, stage_in_memory
from xhsgrow.errors import SpecError
from xhsgrow.settings import Settings, load_settings_file

GOOD = "2025-01-11 10:00:00,active,u{i},,,,,,,,"


def workspace(root: Path, staging: str) -> object:
    root.mkdir()
    (root / "xhsgrow.toml").write_text(f'[data]\nstaging = "{staging}"\n', "utf-8")
    return make_workspace(root, DATA / "referral.toml")


def figures(result: Any) -> dict[str, Any]:
    """Everything a run reports but the time it was made."""
    doc = dataclasses.asdict(result)
    doc.pop("generated_at")
    return doc


def big_csv(path: Path, rows: int, bad: dict[int, str]) -> Path:
    """A CSV of ``rows`` data rows where line n (the header is line 1) is ``bad[n]``."""
    lines = [HEADER]
    for line in range(2, rows + 2):
        lines.append(bad.get(line, GOOD.format(i=line)))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("staging", ["memory", "disk"])
def test_rejected_lines_of_large_csv_files_are_exact(tmp_path: Path, staging: str) -> None:
    # Two files of 300,000 rows each: DuckDB reads each in several chunks on both cores,
    # so the lines can only come out right if the file order was kept.
    big_csv(
        tmp_path / "a-1.csv",
        300_000,
        {
            100_000: "2025-01-11 10:00:00,active,x",  # too few fields: the reader's reject
            200_000: "yesterday,active,u1,,,,,,,,",
            250_000: "2025-01-11 10:00:00,reward,u1,ref,,,,,ten,,",
            299_999: "2025-01-11 10:00:00,active,,,,,,,,,",
        },
    )
    big_csv(
        tmp_path / "a-2.csv",
        300_000,
        {5: "2025-01-11 10:00:00,signup,u5,ref,,52263,,,,,", 100_000: "never,active,u2,,,,,,,,"},
    )
    ws = workspace(tmp_path / "ws", staging)
    q = run(ws, tmp_path / "a-*.csv").data_quality
    assert q.rows_read == 600_000  # every row read, the reader's reject too
    assert q.rows_rejected == 6
    assert q.rejected_by_reason["structure"] == 1
    assert [(Path(r.file or "").name, r.line) for r in q.rejected_samples] == [
        ("a-1.csv", 100_000),
        ("a-1.csv", 200_000),
        ("a-1.csv", 250_000),
        ("a-1.csv", 299_999),
        ("a-2.csv", 5),
    ]
    assert "yesterday" in q.rejected_samples[1].reason
    assert "ten" in q.rejected_samples[2].reason
    assert "user_id" in q.rejected_samples[3].reason
    assert "52263" in q.rejected_samples[4].reason


def test_memory_and_disk_give_the_same_run(tmp_path: Path) -> None:
    rows = (DATA / "referral.csv").read_text("utf-8").splitlines()[1:]
    rows += [
        "2025-01-11 10:00:00,reward,u1,ref,,,,,-5,,",  # negative amount
        "2025-02-30 10:00:00,signup,u9,ref,,,,,,,",  # no such day
    ]
    csv_file(tmp_path / "e.csv", rows)
    lines = [json.dumps(dict(zip(HEADER.split(","), row.split(","), strict=True))) for row in rows]
    (tmp_path / "e.jsonl").write_text("\n".join([*lines[:3], "not json", *lines[3:]]) + "\n")
    # CSV: the header is line 1, so data row k is line k + 1; JSON Lines: "not json" is line
    # 4 and pushes the later rows one line down, to the same lines as in the CSV.
    expected = {"e.csv": [20, 22, 23], "e.jsonl": [4, 20, 22, 23]}
    for data, lines_of_rejects in expected.items():
        memory = run(workspace(tmp_path / f"m-{data}", "memory"), tmp_path / data)
        disk = run(workspace(tmp_path / f"d-{data}", "disk"), tmp_path / data)
        assert figures(memory) == figures(disk)
        q = memory.data_quality
        assert [r.line for r in q.rejected_samples] == lines_of_rejects
        assert "yesterday" in q.rejected_samples[-3].reason
        assert "negative" in q.rejected_samples[-2].reason


def test_auto_staging_keeps_memory_for_data_that_fits(tmp_path: Path) -> None:
    data = big_csv(tmp_path / "e.csv", 20_000, {})  # ~0.6 MB of text
    con = duckdb.connect()
    try:
        con.execute("SET memory_limit = '1GB'")
        assert stage_in_memory([str(data)], "auto", con)
        con.execute("SET memory_limit = '4MB'")  # staged, it would take about half of that
        assert not stage_in_memory([str(data)], "auto", con)
        assert stage_in_memory([str(data)], "memory", con)
        con.execute("SET memory_limit = '1GB'")
        assert not stage_in_memory([str(data)], "disk", con)
    finally:
        con.close()
    src = open_events(str(data), Settings.model_validate({"data": {"staging": "disk"}}))
    try:
        assert src.con.execute("SELECT COUNT(*) FROM ev").fetchone() == (20_000,)
        assert src._tmpdir and Path(src._tmpdir, "events.parquet").exists()
    finally:
        src.close()
    assert not Path(src._tmpdir).exists()  # nothing left behind


def test_an_unknown_staging_names_the_key(tmp_path: Path) -> None:
    toml = tmp_path / "xhsgrow.toml"
    toml.write_text('[data]\nstaging = "ram"\n', "utf-8")
    with pytest.raises(SpecError) as err:
        load_settings_file(toml)
    text = str(err.value)
    assert "staging" in text and ":2" in text


def test_rows_of_an_unrecognised_file_are_found_by_a_second_read(tmp_path: Path) -> None:
    one = csv_file(tmp_path / "e-1.csv", [GOOD.format(i=1)])
    two = csv_file(
        tmp_path / "e-2.csv", [GOOD.format(i=1), "yesterday,active,u2,,,,,,,,", GOOD.format(i=3)]
    )
    src = open_events(
        str(tmp_path / "e-*.csv"), Settings.model_validate({"data": {"staging": "memory"}})
    )
    try:
        assert src._staged_table and src.files == [str(one), str(two)]
        expected = [(str(two), 3, "unparseable event_time 'yesterday'")]
        assert src.rejected_samples() == expected
        src.con.execute(f"UPDATE {src._staged_table} SET _f = NULL")
        assert src.rejected_samples() == expected
    finally:
        src.close()


# --- ids: plain integer text is staged as integers (docs/data.md, "Text values") ---

TIED = [
    "2025-01-10 09:00:00,signup,{p}9,ref,in_app,522634,18-24,,,d9,10.0.0.9",
    "2025-01-10 09:05:00,signup,{p}10,ref,in_app,,,,,d10,10.0.0.10",
    # the same user signs up twice at the same instant, to the same campaign, referred by
    # 9 and by 10: the pick is the smaller referrer as text, "10" (numerically, 9)
    "2025-01-11 10:00:00,signup,{p}20,ref,wechat_share,,,{p}9,,d20,10.0.1.1",
    "2025-01-11 10:00:00,signup,{p}20,ref,wechat_share,,,{p}10,,d20,10.0.1.1",
    "2025-01-11 12:00:00,activate,{p}20,,,,,,,,",
    "2025-01-11 13:00:00,invite,{p}10,ref,,,,,,,",
]


def test_integer_ids_give_the_figures_of_text_ids_in_every_format(tmp_path: Path) -> None:
    text = csv_file(tmp_path / "text.csv", [r.format(p="u") for r in TIED])
    numbers = csv_file(tmp_path / "numbers.csv", [r.format(p="") for r in TIED])
    parquet = tmp_path / "numbers.parquet"
    con = duckdb.connect()  # (not the default connection: nothing left open on it)
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(user_id AS BIGINT) AS user_id, CAST(referrer_id AS "
        f"BIGINT) AS referrer_id) FROM read_csv('{numbers}', all_varchar = true)) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    assert con.execute(f"SELECT typeof(user_id) FROM '{parquet}' LIMIT 1").fetchone() == ("BIGINT",)
    runs = {
        name: run(workspace(tmp_path / name, staging), data).campaigns[0]
        for name, staging, data in [
            ("text", "memory", text),
            ("numbers", "memory", numbers),
            ("numbers-disk", "disk", numbers),
            ("parquet", "memory", parquet),
        ]
    }
    for c in runs.values():
        assert c.metrics == runs["text"].metrics
        assert c.daily == runs["text"].daily
        assert c.segments == runs["text"].segments
        assert c.metrics["acquired"] == 3
        assert c.metrics["referred_signups"] == 1
    tops = {name: [r.referrer_id for r in c.referral.top_referrers] for name, c in runs.items()}
    assert tops == {
        "text": ["u10"],
        "numbers": ["10"],
        "numbers-disk": ["10"],
        "parquet": ["10"],
    }


def test_ids_of_any_other_shape_keep_every_user_apart(tmp_path: Path) -> None:
    # As integers, 7, 007 and +7 would be one user: one id that is not a plain integer
    # keeps every id text.
    rows = [
        "2025-01-10 09:00:00,signup,7,ref,,,,,,,",
        "2025-01-10 10:00:00,signup,007,ref,,,,,,,",
        "2025-01-10 11:00:00,signup,+7,ref,,,,7,,,",
        "2025-01-10 12:00:00,activate,007,,,,,,,,",
    ]
    c = run(workspace(tmp_path / "ws", "memory"), csv_file(tmp_path / "e.csv", rows)).campaigns[0]
    assert c.metrics["acquired"] == 3
    assert c.metrics["activated"] == 1
    assert c.metrics["referred_signups"] == 1
    assert c.metrics["k_factor"] == pytest.approx(1 / 3)  # referred by 7, an acquired user
    src = open_events(str(tmp_path / "e.csv"))
    try:
        assert src.con.execute("SELECT DISTINCT typeof(user_id) FROM ev").fetchall() == [
            ("VARCHAR",)
        ]
        assert sorted(src.con.execute("SELECT user_id FROM ev").fetchall()) == [
            ("+7",),
            ("007",),
            ("007",),
            ("7",),
        ]
    finally:
        src.close()


def test_plain_integer_text_ids_are_staged_as_integers(tmp_path: Path) -> None:
    data = csv_file(tmp_path / "e.csv", [r.format(p="") for r in TIED] + ["x,active,-3,,,,,,,,"])
    src = open_events(str(data))
    try:
        types = src.con.execute(
            "SELECT DISTINCT typeof(user_id), typeof(referrer_id) FROM ev"
        ).fetchall()
        assert types == [("BIGINT", "BIGINT")]
        assert src.con.execute("SELECT MIN(user_id), MAX(referrer_id) FROM ev").fetchone() == (
            -3,
            10,
        )
    finally:
        src.close()


@pytest.mark.parametrize(
    ("setting", "reason"),
    [("no/such/folder", "No such file or directory"), ("afile", "Not a directory")],
)
def test_a_temp_directory_that_is_no_folder_names_the_setting(
    tmp_path: Path, invoke: Any, setting: str, reason: str
) -> None:
    ws = workspace(tmp_path / "ws", "disk")
    settings = ws.root / "xhsgrow.toml"  # type: ignore[attr-defined]
    settings.write_text(settings.read_text("utf-8") + f'temp_directory = "{setting}"\n', "utf-8")
    (tmp_path / "afile").write_text("a file, not a folder", "utf-8")
    events = big_csv(tmp_path / "events.csv", 10, {})
    result = invoke("-w", str(ws.root), "track", "--data", str(events), "--as-of", "2025-01-20")  # type: ignore[attr-defined]
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"Error: xhsgrow.toml [data] temp_directory '{setting}': {reason}"
    )
    assert "Traceback" not in result.output


# --- trimming text values (docs/data.md, Text values) --------------------------------------

_EDGES = "\t\n\u00a0\u3000\u2003\u0085 a9!~\u007f\u0080\u00e9\u5317\u200b-"


@given(values=st.lists(st.text(alphabet=_EDGES, max_size=5), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_text_value_is_read_trimmed_of_unicode_whitespace(values: list[str]) -> None:
    """A CSV value reads as the value without whitespace at either end (Unicode's: tabs,
    line breaks, no-break and ideographic spaces...), and as missing when nothing is left;
    whitespace inside it, and characters that only look alike, stay."""
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, quoting=csv.QUOTE_ALL)
            out.writerow(HEADER.split(","))
            for i, v in enumerate(values):
                out.writerow(["2025-01-11 10:00:00", "active", f"u{i}", "", v, *[""] * 6])
        src = open_events(str(path))
        try:
            got = src.con.execute("SELECT user_id, channel FROM ev").fetchall()
        finally:
            src.close()
    want = {f"u{i}": (v.strip(WHITESPACE) or None) for i, v in enumerate(values)}
    assert {str(u): c for u, c in got} == want
