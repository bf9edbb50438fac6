"""Tracking beyond memory with DuckDB, and Spark local next to DuckDB (issue 7).

Runs `xhsgrow track --format json` over every bundled campaign as whole processes, as of a day
after every window (the same campaigns and as-of as bench_track.py, whose helpers it imports),
each in a throwaway workspace: a copy of campaigns/ plus an xhsgrow.toml written for the case.

1. DuckDB on 100M events with ``[data] memory_limit = "1GB"`` and ``temp_directory`` in a temp
   folder: its time, its peak memory and how much it spilled.
2. The same 100M without a limit (the reference; --no-reference skips it). The two JSON
   documents must be equal except ``generated_at``: "same figures: yes/no".
3. Spark local (``--engine spark``, ``local[N]`` with ``[data.spark] conf``) on 10M events, and
   DuckDB on the same 10M in the same workspace, and whether their figures are equal.

Memory is measured two ways. "proc MB" is the exact peak RSS of the `xhsgrow` process (wait4's
ru_maxrss: the largest single process among it and the children it waited for; for Spark only
the Python driver). "tree MB" is the largest sum of RSS over the process and all its
descendants, sampled from /proc every 0.1 s: for Spark it includes the JVM and its Python
workers, which ru_maxrss would not add up; a sample can miss a short peak. "spill MB" is the
largest size on disk of the temp directory, sampled the same way. DuckDB's memory_limit bounds
its buffer manager, not the Python interpreter, imported modules or allocator slack, so the
process RSS can sit somewhat above the limit; the script prints by how much.

Event files are Parquet under bench/data/ (git-ignored, kept between runs); the 100M file
(about 1.5 GB, generated in about a minute) is made when missing. Each file is read once before
it is timed so that every run starts with a warm page cache. Times are as noisy as the machine
is busy: the load average is printed at the start and the end.

    python bench/bench_engines.py                    # everything, 1 run each (a few minutes)
    python bench/bench_engines.py --runs 3           # median of 3
    python bench/bench_engines.py --skip-100m        # only Spark local vs DuckDB on 10M
    python bench/bench_engines.py --skip-spark --no-reference
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_track import DATA, ROOT, SEED, as_of, campaigns, label

BIG = 100_000_000
SMALL = 10_000_000
MEMORY_LIMIT = "1GB"
LIMIT_BYTES = 1000**3  # DuckDB reads "1GB" as 10^9 bytes ("1GiB" would be 2^30)
IGNORED = frozenset({"generated_at"})  # the only key allowed to differ between runs
REL_TOL = 1e-12  # "close" for Spark against DuckDB; equality is reported separately
SAMPLE_EVERY = 0.1  # seconds between /proc samples
MB = 1024 * 1024


@dataclass
class Result:
    seconds: float
    peak_mb: float  # ru_maxrss of the xhsgrow process (exact)
    tree_mb: float  # sampled sum of RSS over the process tree
    spill_mb: float | None  # sampled size of the temp directory, when there is one
    doc: dict[str, Any]


@dataclass
class Case:
    name: str
    engine: str
    events: int
    limit: str
    results: list[Result] = field(default_factory=list)
    error: str | None = None
    same: str = ""  # figures against the case it is compared with

    @property
    def doc(self) -> dict[str, Any] | None:
        return self.results[0].doc if self.results else None


# ---- data -------------------------------------------------------------------------------------


def ensure_parquet(events: int) -> Path:
    """bench_track's file for ``events`` Parquet rows, generated (with progress) when missing."""
    path = DATA / f"demo-{label(events)}-seed{SEED}.parquet"
    if path.exists():
        return path
    from xhsgrow.data.demo import write_demo_events

    DATA.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    shown = [-1]

    def progress(share: float) -> None:
        step = int(share * 20)
        if step != shown[0]:
            shown[0] = step
            print(
                f"  {share:4.0%}  {time.perf_counter() - started:5.0f} s",
                file=sys.stderr,
                flush=True,
            )

    print(f"generating {path.name} ...", file=sys.stderr, flush=True)
    write_demo_events(campaigns(), path, events=events, seed=SEED, fmt="parquet", progress=progress)
    print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


def warm(path: Path) -> None:
    """Read the file once, so that the timed runs find it in the page cache."""
    with path.open("rb") as f:
        while f.read(16 * MB):
            pass


# ---- workspaces -------------------------------------------------------------------------------


def workspace(parent: Path, name: str, toml: str) -> Path:
    """A workspace folder with the bundled campaigns and ``toml`` as its xhsgrow.toml (none
    when empty: an empty xhsgrow.toml is an error)."""
    root = parent / name
    shutil.copytree(ROOT / "campaigns", root / "campaigns")
    if toml:
        (root / "xhsgrow.toml").write_text(toml, encoding="utf-8")
    return root


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def spark_toml(cores: int) -> str:
    conf = {
        # a few tasks per core: the aggregates are small, more partitions only add overhead
        "spark.sql.shuffle.partitions": str(2 * cores),
        "spark.driver.memory": "4g",
        "spark.ui.enabled": "false",
    }
    lines = ["[data.spark]", f"master = {toml_string(f'local[{cores}]')}", "", "[data.spark.conf]"]
    lines += [f"{toml_string(k)} = {toml_string(v)}" for k, v in conf.items()]
    return "\n".join(lines) + "\n"


# ---- measuring a process ----------------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Bytes of RSS of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces; ppid is the 2nd field after it
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo, page = 0, [root], os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * page
        except OSError:
            continue
    return total


def _disk_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total


def run_track(
    ws: Path, data: Path, day: str, extra: list[str], spill: Path | None, timeout: float
) -> Result:
    """One `xhsgrow track -f json` process: its time, memory, spill and JSON document."""
    exe = shutil.which("xhsgrow") or str(Path(sys.executable).parent / "xhsgrow")
    cmd = [exe, "-w", str(ws), "track", *extra, "--data", str(data), "--as-of", day, "-f", "json"]
    peak_tree, peak_spill = 0, 0
    done = threading.Event()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def sample() -> None:
            nonlocal peak_tree, peak_spill
            while not done.wait(SAMPLE_EVERY):
                peak_tree = max(peak_tree, _tree_rss(proc.pid))
                if spill is not None:
                    peak_spill = max(peak_spill, _disk_bytes(spill))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            done.set()
            sampler.join()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    # no --fail-on here, so anything but 0 is a failure (an uncaught exception exits 1)
    if proc.returncode != 0:
        last = [line for line in stderr.strip().splitlines() if line.strip()][-2:]
        raise RuntimeError(f"exit {proc.returncode}: " + (" | ".join(last) or "no output"))
    return Result(
        seconds=seconds,
        peak_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        tree_mb=peak_tree / MB,
        spill_mb=peak_spill / MB if spill is not None else None,
        doc=json.loads(stdout),
    )


# ---- comparing documents ----------------------------------------------------------------------


def differences(a: Any, b: Any, rel_tol: float = 0.0, path: str = "") -> list[str]:
    """Paths where the two JSON documents differ (floats within ``rel_tol`` count as equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if not path and key in IGNORED:
                continue
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                found.append(f"{where} (only in {'first' if key in a else 'second'})")
            else:
                found += differences(a[key], b[key], rel_tol, where)
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path} (length {len(a)} vs {len(b)})"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, rel_tol, f"{path}[{i}]")
        ]
    both_numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if both_numbers and rel_tol and (isinstance(a, float) or isinstance(b, float)):
        return (
            []
            if math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-300)
            else [f"{path}: {a!r} vs {b!r}"]
        )
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]


def verdict(a: Case, b: Case) -> str:
    """'yes' when equal except generated_at; else 'no', saying whether floats are within
    REL_TOL (the parity tests' tolerance) and printing the first differences."""
    if a.doc is None or b.doc is None:
        return "?"
    exact = differences(a.doc, b.doc)
    if not exact:
        return "yes"
    beyond = differences(a.doc, b.doc, REL_TOL)
    print(f"\n{a.name} vs {b.name}: {len(exact)} value(s) differ, e.g.:", file=sys.stderr)
    for line in (beyond or exact)[:8]:
        print(f"  {line}", file=sys.stderr)
    if beyond:
        return f"no ({len(beyond)} values beyond {REL_TOL:g})"
    return f"no; {len(exact)} floats differ, all within {REL_TOL:g}"


# ---- the cases --------------------------------------------------------------------------------


def spark_available() -> bool:
    exe = shutil.which("xhsgrow") or str(Path(sys.executable).parent / "xhsgrow")
    proc = subprocess.run([exe, "track", "--help"], capture_output=True, text=True)
    return "--engine" in proc.stdout


def measure(
    case: Case, runs: int, ws: Path, data: Path, day: str, extra: list[str], spill: Path | None
) -> None:
    print(f"{case.name}: {runs} run(s) ...", file=sys.stderr, flush=True)
    for _ in range(runs):
        try:
            result = run_track(ws, data, day, extra, spill, timeout=3600)
        except (RuntimeError, json.JSONDecodeError) as exc:
            case.error = str(exc)[:300]
            print(f"  FAILED: {case.error}", file=sys.stderr, flush=True)
            return
        case.results.append(result)
        spilled = f", spill {result.spill_mb:.0f} MB" if result.spill_mb is not None else ""
        print(
            f"  {result.seconds:.1f} s, proc {result.peak_mb:.0f} MB, "
            f"tree {result.tree_mb:.0f} MB{spilled}",
            file=sys.stderr,
            flush=True,
        )


def print_table(cases: list[Case]) -> None:
    head = (
        f"{'case':<22} {'engine':<7} {'events':>6} {'limit':>6} {'median s':>9} {'min s':>7} "
        f"{'proc MB':>8} {'tree MB':>8} {'spill MB':>9}  same figures"
    )
    print()
    print(head)
    print("-" * len(head))
    for c in cases:
        if c.error or not c.results:
            print(f"{c.name:<22} {c.engine:<7} {label(c.events):>6} {c.limit:>6}  {c.error or '-'}")
            continue
        times = [r.seconds for r in c.results]
        spills = [r.spill_mb for r in c.results if r.spill_mb is not None]
        spill = f"{max(spills):9.0f}" if spills else f"{'-':>9}"
        print(
            f"{c.name:<22} {c.engine:<7} {label(c.events):>6} {c.limit:>6} "
            f"{statistics.median(times):9.1f} {min(times):7.1f} "
            f"{max(r.peak_mb for r in c.results):8.0f} {max(r.tree_mb for r in c.results):8.0f} "
            f"{spill}  {c.same}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=1, help="timed runs per case, median (default 1)")
    ap.add_argument("--skip-100m", action="store_true", help="no DuckDB runs on 100M events")
    ap.add_argument("--skip-spark", action="store_true", help="no Spark / DuckDB runs on 10M")
    ap.add_argument("--no-reference", action="store_true", help="no unlimited 100M run")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    cores = os.cpu_count() or 1
    day = as_of()
    print(f"# xhsgrow track over {len(campaigns())} bundled campaigns, as of {day}")
    print(f"# {cores} CPUs, load average {os.getloadavg()[0]:.2f} (1 min) at start")
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="xhsgrow-bench-engines-") as tmp:
        parent = Path(tmp)
        if not args.skip_100m:
            data = ensure_parquet(BIG)
            warm(data)
            spill = parent / "spill"
            spill.mkdir()
            limited_ws = workspace(
                parent,
                "limited",
                f"[data]\nmemory_limit = {toml_string(MEMORY_LIMIT)}\n"
                f"temp_directory = {toml_string(str(spill))}\n",
            )
            limited = Case("100M under 1GB", "duckdb", BIG, MEMORY_LIMIT)
            measure(limited, args.runs, limited_ws, data, day, [], spill)
            cases.append(limited)
            if not args.no_reference:
                reference = Case("100M reference", "duckdb", BIG, "none")
                measure(
                    reference, args.runs, workspace(parent, "unlimited", ""), data, day, [], None
                )
                limited.same = verdict(limited, reference)
                reference.same = "(reference)"
                cases.append(reference)
        if not args.skip_spark:
            data = ensure_parquet(SMALL)
            warm(data)
            ws = workspace(parent, "spark", spark_toml(cores))
            duck = Case("10M duckdb", "duckdb", SMALL, "none")
            measure(duck, args.runs, ws, data, day, [], None)
            duck.same = "(reference)"
            spark = Case(f"10M spark local[{cores}]", "spark", SMALL, "-")
            if spark_available():
                measure(spark, args.runs, ws, data, day, ["--engine", "spark"], None)
                spark.same = verdict(spark, duck)
            else:
                spark.error = "skipped: `xhsgrow track --help` shows no --engine yet"
            cases += [duck, spark]
    print_table(cases)
    limited_runs = [c for c in cases if c.limit == MEMORY_LIMIT and c.results]
    for c in limited_runs:
        peak = max(r.peak_mb for r in c.results) * MB
        over = peak - LIMIT_BYTES
        where = f"above it by {over / MB:.0f} MB" if over > 0 else "within it"
        print(
            f"\n{c.name}: same figures: {c.same.split(' ')[0] if c.same else '? (no reference)'}; "
            f"peak RSS {peak / MB:.0f} MB against memory_limit {MEMORY_LIMIT} "
            f"({LIMIT_BYTES / MB:.0f} MB): {where} (the limit bounds DuckDB's buffer manager, "
            "not the Python process around it)"
        )
    print(f"# load average {os.getloadavg()[0]:.2f} (1 min) at the end")


if __name__ == "__main__":
    main()
