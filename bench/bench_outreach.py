"""Outreach benchmarks (run by hand): rendering to files, and what the send ledger costs.

    /tmp/venv/bin/python bench/bench_outreach.py [--messages 100000] [--sends 10000] [--runs 3]

(--messages 0 or --sends 0 skips that part.)

1. Render N personalised emails (built-in merchant-invite.zh: subject, plain text and HTML)
   with `outreach render --out` (the library call behind it): to a folder of N .eml files,
   to one .mbox and to one .jsonl. Goal: under 10 s.
2. Send M emails to a local aiosmtpd server (in its own process) twice: plain SMTP with no
   ledger (the server's own time per message, client round trips included) and the real
   `outreach send` path with the SQLite ledger. Goal: the ledger adds under 20 %.

Prints medians of --runs runs and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import resource
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _contacts(path: Path, n: int) -> Path:
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "shop", "email", "phone"])
        for i in range(n):
            w.writerow(
                [
                    f"{surnames[i % 20]}{'伟芳娜敏静丽强磊军洋'[i % 10]}{i}",
                    f"雷山特产店{i}号",
                    f"m{i}@leishan.example.cn",
                    f"138{i:08d}",
                ]
            )
    return path


def _serve(port: int, ready: mp.synchronize.Event, stop: mp.synchronize.Event) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_render(root: Path, n: int, runs: int) -> dict[str, list[float]]:
    """Seconds per run for each output: a folder of .eml files, one .mbox, one .jsonl."""
    from xhsgrow.outreach.api import render_files
    from xhsgrow.workspace import open_workspace

    ws = open_workspace(root)
    contacts = _contacts(root / "render.csv", n)
    times: dict[str, list[float]] = {"folder of .eml files": [], ".mbox": [], ".jsonl": []}
    for run in range(runs):
        for label in times:
            # fresh targets: deleting 100,000 files is not the point
            out = root / (f"out-{run}" if label.startswith("folder") else f"out-{run}{label}")
            t = time.perf_counter()
            written, _ = render_files(
                ws, "example-partnership", out, contacts=contacts, template="merchant-invite.zh"
            )
            times[label].append(time.perf_counter() - t)
            assert written == n
        assert len(list((root / f"out-{run}").glob("*.eml"))) == n
    return times


def bench_send(root: Path, m: int, runs: int) -> tuple[list[float], list[float], list[float]]:
    import os

    from xhsgrow.outreach.api import render_messages
    from xhsgrow.outreach.channels import SmtpChannel, SmtpConfig
    from xhsgrow.outreach.ledger import message_key
    from xhsgrow.outreach.send import SendOptions, send_messages
    from xhsgrow.workspace import open_workspace

    port = _port()
    ready, stop = mp.Event(), mp.Event()
    server = mp.Process(target=_serve, args=(port, ready, stop), daemon=True)
    server.start()
    ready.wait(10)
    os.environ.update(
        XHSGROW_SMTP_HOST="127.0.0.1",
        XHSGROW_SMTP_PORT=str(port),
        XHSGROW_SMTP_SECURITY="none",
        XHSGROW_SMTP_FROM="bd@xhs.example.com",
    )
    ws = open_workspace(root)
    contacts = _contacts(root / "send.csv", m)
    rendered = render_messages(
        ws, "example-partnership", contacts=contacts, template="merchant-invite.zh"
    )
    config = SmtpConfig.load(ws)
    plain, ledgered, inside = [], [], []
    try:
        for run in range(runs):
            channel = SmtpChannel(config)
            t = time.perf_counter()
            for msg in rendered.messages:
                key = message_key("bench", "t", msg.recipient)
                outcome = channel.deliver(msg, key, lambda: None)
                assert outcome.status == "sent", outcome
            plain.append(time.perf_counter() - t)
            channel.close()

            spent = _instrument_ledger()
            ledger = root / f"ledger-{run}.sqlite"
            options = SendOptions(channel="smtp", dry_run=False, limit=None, quiet_hours=None)
            t = time.perf_counter()
            report = send_messages(
                rendered.messages,
                contacts=rendered.contacts,
                template=rendered.template,
                campaign_id="bench",
                ledger_path=ledger,
                options=options,
                channel=SmtpChannel(config),
            )
            ledgered.append(time.perf_counter() - t)
            inside.append(spent[0])
            assert report.sent == m, (report.sent, report.failed, report.aborted)
    finally:
        stop.set()
        server.join(10)
    return plain, ledgered, inside


def _instrument_ledger() -> list[float]:
    """Time spent inside the ledger's per-message calls (robust to a noisy machine)."""
    from xhsgrow.outreach.ledger import Ledger

    spent = [0.0]
    for name in ("sending", "settle", "fail"):
        original = getattr(Ledger, f"_orig_{name}", None) or getattr(Ledger, name)
        setattr(Ledger, f"_orig_{name}", original)

        def timed(self, *a, _f=original, **k):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return _f(self, *a, **k)
            finally:
                spent[0] += time.perf_counter() - t

        setattr(Ledger, name, timed)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--sends", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from xhsgrow.specs import init_workspace

    with tempfile.TemporaryDirectory(prefix="xhsgrow-bench-") as tmp:
        root = Path(tmp)
        init_workspace(root)
        renders = bench_render(root, args.messages, args.runs) if args.messages else {}
        for label, r in renders.items():
            med = statistics.median(r)
            print(
                f"render {args.messages:,} emails (text + HTML) to {label}: median {med:.2f} s "
                f"({med / args.messages * 1e6:.0f} µs/message), runs "
                f"{[round(x, 2) for x in r]} -> {'OK' if med < 10 else 'TOO SLOW'} (goal < 10 s)"
            )
        if args.sends:
            p, led, inside = bench_send(root, args.sends, args.runs)
            mp_, ml, mi = statistics.median(p), statistics.median(led), statistics.median(inside)
            per = mp_ / args.sends
            print(
                f"send {args.sends:,} via local SMTP: plain {mp_:.2f} s "
                f"({per * 1e3:.3f} ms/message), "
                f"with ledger {ml:.2f} s ({ml / args.sends * 1e3:.3f} ms/message); runs plain "
                f"{[round(x, 2) for x in p]}, with ledger {[round(x, 2) for x in led]}"
            )
            e2e = (ml - mp_) / mp_
            own = mi / args.sends
            print(
                f"ledger: {own * 1e6:.0f} µs/message inside its calls = {own / per:.1%} of the "
                f"plain SMTP time per message -> {'OK' if own / per < 0.2 else 'TOO SLOW'} "
                f"(goal < 20 %); end to end (noisy) {e2e:+.1%}"
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {rss / 1024:.0f} MB  (python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
