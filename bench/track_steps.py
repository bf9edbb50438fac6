"""Where the time of `xhsgrow track` goes: each SQL step's wall time, in one process.

Opens the data on an engine, runs the tracking aggregation (xhsgrow.tracking.aggregate)
over the bundled campaigns, and prints the time of every table built and of every query
that takes 20 ms or more, in the order they run, then the total. The whole-process figures
(start-up, peak memory) are bench/bench_track.py's.

    python bench/track_steps.py bench/data/demo-10M-seed2025.parquet
    python bench/track_steps.py bench/data/demo-10M-seed2025.csv --runs 3
    python bench/track_steps.py events.parquet --engine spark --as-of 2025-03-01
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN_FROM = 0.020  # seconds: quicker queries are summed under "small queries"


def run(data: str, engine_name: str, as_of: dt.date | None) -> list[tuple[str, float]]:
    """One tracking run; (step, seconds) in the order the steps ran."""
    from xhsgrow.engines import open_engine
    from xhsgrow.specs import load_campaigns
    from xhsgrow.tracking import aggregate
    from xhsgrow.workspace import open_workspace

    ws = open_workspace(ROOT)
    campaigns = load_campaigns(ws)
    day = as_of or max(c.window.end for c in campaigns) + dt.timedelta(days=40)
    steps: list[tuple[str, float]] = []
    t = time.perf_counter()
    engine = open_engine(engine_name, data, ws.settings)
    steps.append(("open (and stage text)", time.perf_counter() - t))
    create, query = engine.create_table, engine.query

    def timed_create(name: str, select: str) -> None:
        t = time.perf_counter()
        create(name, select)
        steps.append((f"table {name}", time.perf_counter() - t))

    def timed_query(statement: str) -> list:  # type: ignore[type-arg]
        t = time.perf_counter()
        rows = query(statement)
        took = time.perf_counter() - t
        first = " ".join(statement.split())[:48]
        steps.append((f"query {first}" if took >= SHOWN_FROM else "small queries", took))
        return rows

    samples = engine.rejected_samples

    def timed_samples() -> list:  # type: ignore[type-arg]
        t = time.perf_counter()
        found = samples()
        steps.append(("rejected-row samples", time.perf_counter() - t))
        return found

    engine.create_table, engine.query = timed_create, timed_query  # type: ignore[method-assign]
    engine.rejected_samples = timed_samples  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        aggregate.compute(engine, campaigns, {c.id: day for c in campaigns})
        steps.append(("(all of compute)", time.perf_counter() - t))
    finally:
        engine.close()
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data", help="a file, glob or folder of events")
    ap.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    ap.add_argument("--runs", type=int, default=1, help="runs; medians are printed (default 1)")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    times: dict[str, list[float]] = defaultdict(list)
    order: list[str] = []
    from xhsgrow.errors import XhsgrowError

    for _ in range(args.runs):
        merged: dict[str, float] = defaultdict(float)
        try:
            steps = run(args.data, args.engine, args.as_of)
        except XhsgrowError as exc:
            raise SystemExit(f"track_steps.py: {exc}") from None
        for step, took in steps:
            if step not in merged and step not in order:
                order.append(step)
            merged[step] += took
        for step, took in merged.items():
            times[step].append(took)
    print(f"# {args.data} on {args.engine}, median of {args.runs} run(s)")
    for step in order:
        print(f"{statistics.median(times[step]):8.3f} s  {step}")


if __name__ == "__main__":
    main()
