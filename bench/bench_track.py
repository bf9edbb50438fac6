"""Benchmark `xhsgrow track` over the bundled campaigns as whole processes.

Generates seeded demo events (xhsgrow.data.demo.write_demo_events) under bench/data/ (kept
between runs, git-ignored): Parquet at 1M, 10M and 50M events and CSV at 10M. Then times
`xhsgrow track --format json` over every bundled campaign, as of a day after every window so
that every event counts, and prints the median wall time of several runs and the peak RSS of
the process (from /usr/bin/time -v, else getrusage of the children).

    python bench/bench_track.py                      # everything (a few minutes)
    python bench/bench_track.py --sizes 1M,10M --runs 5 --no-csv

Targets on the reference 2-core machine: 10M Parquet <= 1.5 s and <= 600 MB; 50M <= 12 s and
<= 2 GB; 10M CSV <= 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
SEED = 2025
TARGETS = {  # (format, events) -> (seconds, MB)
    ("parquet", 10_000_000): (1.5, 600),
    ("parquet", 50_000_000): (12.0, 2048),
    ("csv", 10_000_000): (5.0, None),
}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * mult)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n:,}"


def campaigns() -> list:  # type: ignore[type-arg]
    from xhsgrow.specs import load_campaigns
    from xhsgrow.workspace import open_workspace

    return load_campaigns(open_workspace(ROOT))


def ensure_data(events: int, fmt: str) -> Path:
    from xhsgrow.data.demo import write_demo_events

    suffix = {"parquet": "parquet", "csv": "csv"}[fmt]
    path = DATA / f"demo-{label(events)}-seed{SEED}.{suffix}"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    print(f"generating {path.name} ...", file=sys.stderr, flush=True)
    write_demo_events(campaigns(), path, events=events, seed=SEED, fmt=fmt)
    print(f"  {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    return path


def as_of() -> str:
    last = max(c.window.end for c in campaigns())
    return (last + dt.timedelta(days=40)).isoformat()


def run_once(data: Path, day: str) -> tuple[float, float | None]:
    exe = shutil.which("xhsgrow") or str(Path(sys.executable).parent / "xhsgrow")
    cmd = [exe, "-w", str(ROOT), "track", "--data", str(data), "--as-of", day, "-f", "json"]
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        cmd = [str(gnu_time), "-v", *cmd]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"xhsgrow track failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    rss_mb = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if m:
        rss_mb = int(m.group(1)) / 1024
    else:  # the largest child so far: an upper bound for this run
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, rss_mb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1M,10M,50M", help="Parquet sizes (default 1M,10M,50M)")
    ap.add_argument("--csv", default="10M", help="CSV sizes ('' for none; default 10M)")
    ap.add_argument("--no-csv", action="store_true")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per dataset (default 3)")
    args = ap.parse_args()
    cases = [("parquet", parse_size(s)) for s in args.sizes.split(",") if s]
    if not args.no_csv:
        cases += [("csv", parse_size(s)) for s in args.csv.split(",") if s]
    day = as_of()
    print(f"# xhsgrow track over {len(campaigns())} bundled campaigns, as of {day}")
    print(f"# {os.cpu_count()} CPUs, {args.runs} runs each (after one warm-up run)")
    rows = []
    for fmt, n in cases:
        data = ensure_data(n, fmt)
        run_once(data, day)  # warm the page cache
        times, peaks = [], []
        for _ in range(args.runs):
            s, mb = run_once(data, day)
            times.append(s)
            if mb is not None:
                peaks.append(mb)
        target = TARGETS.get((fmt, n))
        med, peak = statistics.median(times), max(peaks) if peaks else None
        verdict = ""
        if target:
            ok = med <= target[0] and (target[1] is None or peak is None or peak <= target[1])
            limit = f"<= {target[0]} s" + (f", <= {target[1]} MB" if target[1] else "")
            verdict = ("ok " if ok else "MISSED ") + f"({limit})"
        rows.append((label(n), fmt, med, min(times), peak, verdict))
    print()
    print(f"{'events':>7}  {'format':<8} {'median s':>9} {'min s':>7} {'peak MB':>8}  target")
    for name, fmt, med, low, peak, verdict in rows:
        peak_text = f"{peak:8.0f}" if peak is not None else f"{'?':>8}"
        print(f"{name:>7}  {fmt:<8} {med:9.2f} {low:7.2f} {peak_text}  {verdict}")


if __name__ == "__main__":
    main()
