"""Properties: row order, file splits and events after as-of never change a figure."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_track_edges import HEADER
from tests.test_track_metrics import DATA, make_workspace, run

AS_OF = dt.date(2025, 1, 16)
USERS = [f"u{i}" for i in range(6)]

row = st.builds(
    lambda event, user, campaign, day, minute, channel, referrer, amount, device: ",".join(
        [
            (dt.datetime(2025, 1, 8, 0, 0) + dt.timedelta(days=day, minutes=minute)).isoformat(
                sep=" "
            ),
            event,
            user,
            "" if event in ("active", "activate") else campaign,
            channel,
            "",
            "",
            referrer if event == "signup" else "",
            f"{amount}" if event == "reward" else "",
            device,
            "",
        ]
    ),
    event=st.sampled_from(
        ["signup", "signup", "activate", "active", "invite", "reward", "interaction", "visit"]
    ),
    user=st.sampled_from(USERS),
    campaign=st.sampled_from(["ref", "ref", "other"]),
    day=st.integers(0, 8),  # 01-08 .. 01-16 (as-of)
    minute=st.integers(0, 24 * 60 - 1),
    channel=st.sampled_from(["in_app", "sms", ""]),
    referrer=st.sampled_from(["", "", *USERS]),
    amount=st.integers(1, 20),
    device=st.sampled_from(["d1", "d2", ""]),
)
rows = st.lists(row, min_size=0, max_size=25)
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def figures(folder: Path, files: list[list[str]]) -> dict[str, Any]:
    ws = make_workspace(folder, DATA / "referral.toml")
    data = folder / "events"
    data.mkdir(exist_ok=True)
    for old in data.glob("*.csv"):
        old.unlink()
    for i, part in enumerate(files):
        (data / f"part-{i}.csv").write_text("\n".join([HEADER, *part]) + "\n", "utf-8")
    doc = run(ws, data, as_of=AS_OF).to_json()
    camp = doc["campaigns"][0]
    quality = {k: v for k, v in doc["data_quality"].items() if k != "rejected_samples"}
    return {
        "metrics": camp["metrics"],
        "targets": camp["targets"],
        "segments": camp["segments"],
        "daily": camp["daily"],
        "referral": camp["referral"],
        "quality": quality,
    }


@SETTINGS
@given(rows=rows, seed=st.integers(0, 10_000))
def test_shuffling_rows_changes_nothing(rows: list[str], seed: int) -> None:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        assert figures(Path(a), [rows]) == figures(Path(b), [shuffled])


@SETTINGS
@given(rows=rows, cuts=st.lists(st.integers(0, 25), min_size=1, max_size=3))
def test_splitting_rows_across_files_changes_nothing(rows: list[str], cuts: list[int]) -> None:
    bounds = sorted({min(c, len(rows)) for c in cuts})
    parts, last = [], 0
    for b in [*bounds, len(rows)]:
        parts.append(rows[last:b])
        last = b
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        assert figures(Path(a), [rows]) == figures(Path(b), parts)


@SETTINGS
@given(rows=rows, later=st.lists(row, min_size=1, max_size=10), shift=st.integers(1, 30))
def test_events_after_as_of_change_nothing(rows: list[str], later: list[str], shift: int) -> None:
    moved = []
    for r in later:  # the same kinds of rows, moved to after the as-of day
        when, rest = r.split(",", 1)
        t = dt.datetime.fromisoformat(when)
        t = dt.datetime.combine(AS_OF + dt.timedelta(days=shift), t.time())
        moved.append(f"{t.isoformat(sep=' ')},{rest}")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        before = figures(Path(a), [rows])
        after = figures(Path(b), [rows + moved])
    known = [m for m in moved if m.split(",")[1] != "visit"]
    assert after["quality"].pop("after_as_of") == before["quality"].pop("after_as_of") + len(known)
    assert after["quality"].pop("rows_read") == before["quality"].pop("rows_read") + len(moved)
    assert after["quality"].pop("unknown_events") == before["quality"].pop("unknown_events") + len(
        moved
    ) - len(known)
    assert after == before
