"""The issue's yardstick, measured here: a straightforward hand-written DuckDB query for a
subset of the metrics, against `xhsgrow track`, both as whole processes.

The issue sets xhsgrow's targets "for scale" against such a query ("about 2.5 s at 10M").
This script writes one and times it on this machine, so that the ratio between the two is
known without guessing how fast the issue's machine was. The query computes, per bundled
campaign: acquired (first signup in the window), activated (activate on days 0 to N-1),
day-1/7/30 retained users, invites and cost, in one statement; the naive timestamps are read
as local time (the demo data's, all campaigns in Asia/Shanghai). Two variants:

- ``as is``: every row counted, exact duplicates included (so invites and cost are a little
  off: the definitions collapse duplicates);
- ``distinct``: ``SELECT DISTINCT *`` first, which the definitions require.

Its figures are printed next to xhsgrow's JSON ones for the same campaigns (acquired,
activated, invites, cost), as a check that both compute the same thing.

    python bench/reference_query.py                         # 10M Parquet, 5 runs each
    python bench/reference_query.py --data bench/data/demo-1M-seed2025.parquet --runs 3

The data comes from bench/bench_track.py (run it once first, or pass --data).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "bench" / "data" / "demo-10M-seed2025.parquet"

QUERY = """
WITH ev AS (SELECT * FROM {source}),
camps(id, w_start, w_end, act_days) AS (VALUES {camps}),
first AS (
    SELECT user_id, arg_min(campaign, event_time) AS campaign, min(event_time) AS t
    FROM ev WHERE event = 'signup' GROUP BY user_id
),
acq AS (
    SELECT f.user_id, f.campaign, CAST(f.t AS DATE) AS d, c.act_days
    FROM first AS f JOIN camps AS c
        ON f.campaign = c.id AND CAST(f.t AS DATE) BETWEEN c.w_start AND c.w_end
),
act AS (
    SELECT a.campaign, a.user_id,
        bool_or(e.event = 'activate'
            AND date_diff('day', a.d, CAST(e.event_time AS DATE)) BETWEEN 0 AND a.act_days - 1)
            AS activated,
        bool_or(date_diff('day', a.d, CAST(e.event_time AS DATE)) = 1) AS d1,
        bool_or(date_diff('day', a.d, CAST(e.event_time AS DATE)) = 7) AS d7,
        bool_or(date_diff('day', a.d, CAST(e.event_time AS DATE)) = 30) AS d30
    FROM acq AS a LEFT JOIN ev AS e
        ON e.user_id = a.user_id AND e.event IN ('activate', 'active')
    GROUP BY ALL
),
per AS (
    SELECT campaign, count(*) AS acquired, count(*) FILTER (activated) AS activated,
        count(*) FILTER (d1) AS d1, count(*) FILTER (d7) AS d7, count(*) FILTER (d30) AS d30
    FROM act GROUP BY ALL
),
money AS (
    SELECT campaign, count(*) FILTER (event = 'invite') AS invites,
        sum(amount) FILTER (event = 'reward') AS cost
    FROM ev WHERE event IN ('invite', 'reward') GROUP BY ALL
)
SELECT campaign, acquired, activated, invites, cost
FROM per LEFT JOIN money USING (campaign) ORDER BY campaign
"""

#: The child process: import DuckDB, run the query, print its rows as JSON.
CHILD = """
import json, sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.sql(sys.argv[1]).fetchall()
print(json.dumps([list(r) for r in rows]))
"""


def query(data: Path, distinct: bool, camps: list) -> str:  # type: ignore[type-arg]
    values = ", ".join(
        f"('{c.id}', DATE '{c.window.start}', DATE '{c.window.end}', {c.window.activation_days})"
        for c in camps
    )
    path = str(data).replace("'", "''")
    source = f"(SELECT DISTINCT * FROM '{path}')" if distinct else f"'{path}'"
    return QUERY.format(source=source, camps=values)


def timed(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode not in (0, 1) or (cmd[1] == "-c" and proc.returncode):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return seconds, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a Parquet file of events")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    args = ap.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: no such file (run bench/bench_track.py first)")
    exe = shutil.which("xhsgrow") or str(Path(sys.executable).parent / "xhsgrow")
    from bench_track import as_of, campaigns  # (beside this script: the same campaigns, as-of)

    camps = campaigns()
    day = as_of()
    commands = {
        "hand-written, as is": [sys.executable, "-c", CHILD, query(args.data, False, camps)],
        "hand-written, distinct": [sys.executable, "-c", CHILD, query(args.data, True, camps)],
        "xhsgrow track": [
            *(exe, "-w", str(ROOT), "track", "--data", str(args.data)),
            *("--as-of", day, "-f", "json"),
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for name, cmd in commands.items():
        outputs[name] = timed(cmd)[1]  # (a warm-up run, and its figures)
    for _ in range(args.runs):  # alternated, so that the machine's drift hits all alike
        for name, cmd in commands.items():
            times[name].append(timed(cmd)[0])

    print(f"# {args.data.name}: median of {args.runs} whole-process runs each (after a warm-up)")
    ours = statistics.median(times["xhsgrow track"])
    for name, runs in times.items():
        med = statistics.median(runs)
        print(f"{name:<24} {med:6.2f} s  (min {min(runs):.2f})  xhsgrow / this: {ours / med:.2f}")

    print("\n# the same figures? (acquired, activated, invites, cost)")
    tracked = {
        c["id"]: (
            c["metrics"]["acquired"],
            c["metrics"]["activated"],
            c["metrics"]["invites"],
            c["metrics"]["cost"],
        )
        for c in json.loads(outputs["xhsgrow track"])["campaigns"]
    }
    for name in ("hand-written, as is", "hand-written, distinct"):
        for cid, acq, activated, invites, cost in json.loads(outputs[name]):
            mine = (acq, activated, invites or 0, round(cost or 0, 2))
            same = "same" if mine == tracked.get(cid) else f"xhsgrow: {tracked.get(cid)}"
            print(f"{name:<24} {cid:<28} {mine}  {same}")


if __name__ == "__main__":
    main()
