"""Start-up time of the CLI, as whole processes, against a two-command Typer hello world.

Run by hand (not a test):  python bench/startup.py [--runs 21]

Prints the median wall time of each command and its ratio to the hello world. Target (issue 3):
`xhsgrow --help` and `xhsgrow validate campaigns/` both within 1.3x the hello world.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# An installed package runs from .pyc files (pip compiles them). With PYTHONDONTWRITEBYTECODE
# set, every run would compile xhsgrow's modules from source again, over 10 ms that the hello
# world (one small script) does not pay: the commands run without it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

HELLO = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(f"hello {name}")


@app.command()
def bye(name: str = "world") -> None:
    """Say goodbye."""
    print(f"bye {name}")


app()
'''


def once(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, check=False)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def medians(cases: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per case; runs are interleaved so that load on the machine
    hits every case alike. CPU time (user + system) is steadier than wall time on a busy box."""
    for cmd in cases.values():
        once(cmd)  # warm the file cache and write .pyc files
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, cmd in cases.items():
            times[name].append(once(cmd))
    return {
        name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
        for name, ts in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (>= 15)")
    args = parser.parse_args()
    runs = max(args.runs, 15)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO, "utf-8")
        cases = {
            "hello --help": [py, str(hello), "--help"],
            "hello hello --name x": [py, str(hello), "hello", "--name", "x"],
            "xhsgrow --help": [py, "-m", "xhsgrow", "--help"],
            "xhsgrow validate campaigns/": [py, "-m", "xhsgrow", "validate", "campaigns/"],
        }
        results = medians(cases, runs)
    # Each xhsgrow command is compared with the hello world doing the same kind of work:
    # printing help, or running a command (Typer >= 0.16 coerces parameters with pydantic, so
    # running any command imports pydantic; --help does not).
    pairs = {
        "xhsgrow --help": "hello --help",
        "xhsgrow validate campaigns/": "hello hello --name x",
    }
    print(f"median of {runs} runs each, whole processes ({py})")
    print(f"  {'command':<28} {'wall':>9} {'ratio':>6} {'cpu':>9} {'ratio':>6}   compared with")
    worst = {"wall": 0.0, "cpu": 0.0}
    for name, (wall, cpu) in results.items():
        line = f"  {name:<28} {wall * 1000:6.1f} ms"
        if name in pairs:
            base_wall, base_cpu = results[pairs[name]]
            worst["wall"] = max(worst["wall"], wall / base_wall)
            worst["cpu"] = max(worst["cpu"], cpu / base_cpu)
            line += f" {wall / base_wall:5.2f}x {cpu * 1000:6.1f} ms {cpu / base_cpu:5.2f}x"
            line += f"   {pairs[name]}"
        else:
            line += f" {'':6} {cpu * 1000:6.1f} ms"
        print(line)
    for what, ratio in worst.items():
        verdict = "met" if ratio <= 1.3 else "NOT met"
        print(f"target <= 1.30x ({what}): {verdict} (worst {ratio:.2f}x)")


if __name__ == "__main__":
    main()
