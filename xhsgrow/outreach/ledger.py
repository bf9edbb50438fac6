"""The send ledger: one SQLite row per message, so nothing is ever sent twice.

A message's key is made from campaign, template and the recipient's normalised address; the
row holds a hash of the rendered content and a state:

    sending  written (and committed) just before the message is handed over for delivery
    sent     the server confirmed it (SMTP 250 after DATA, HTTP 2xx and a zero code)
    failed   refused for good, with the reason (bad address, rejected recipient, 4xx ...)
    unknown  the connection died after the message was handed over: it may have arrived

A run killed mid-way leaves at most one row in ``sending``; the next run (which holds the lock,
so the old one is surely dead) turns it into ``unknown``. Only ``--resend-unknown`` sends those
again. Recipients are stored masked: the ledger is not a second copy of the contact list.

SQLite runs in WAL mode with synchronous=NORMAL: a commit survives the process being killed
(the write is in the OS before COMMIT returns); only a power cut could lose the last few.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from xhsgrow.errors import UsageError
from xhsgrow.outreach.errors import LedgerBusy
from xhsgrow.outreach.mask import mask, normalise

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    key TEXT PRIMARY KEY,
    campaign TEXT NOT NULL,
    template TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,          -- masked
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'unknown')),
    reason TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    sent_at TEXT
) WITHOUT ROWID;
-- Few, narrow indexes: every state change is a commit, and each page it touches is written
-- to the WAL; states are not indexed so that settling a message rewrites one page.
CREATE INDEX IF NOT EXISTS messages_by_campaign ON messages (campaign, template);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    campaign TEXT NOT NULL,
    template TEXT NOT NULL,
    channel TEXT NOT NULL,
    template_hash TEXT NOT NULL,
    contacts_hash TEXT NOT NULL,
    contacts_path TEXT NOT NULL,
    total INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
-- The keys of the latest run per campaign and template (opt-outs and duplicates left out):
-- what `status` counts as pending is those not in messages yet. A count could not say it:
-- the ledger's sent messages need not be among the last run's contacts (an opt-out since,
-- a changed contacts file).
CREATE TABLE IF NOT EXISTS run_keys (
    run_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
"""


def _unusable(path: Path, reason: str) -> UsageError:
    return UsageError(
        f"cannot use {path} as the send ledger: {reason}",
        hint="the ledger is `ledger` in xhsgrow.toml (default .xhsgrow/ledger.sqlite); "
        "point it at a new file rather than delete a ledger: it stops messages going out twice",
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def message_key(campaign: str, template: str, recipient: str) -> str:
    raw = f"{campaign}\x00{template}\x00{normalise(recipient)}"
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    key: str
    status: str
    content_hash: str
    reason: str
    attempts: int
    recipient: str


@dataclass(frozen=True)
class Run:
    id: int
    template_hash: str
    contacts_hash: str
    contacts_path: str
    total: int
    started_at: str


class Ledger:
    """The SQLite ledger. ``lock()`` before sending; reads need no lock."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the ledger at ``path``. A path that cannot hold one (a folder, a
        file that is not SQLite, a file where a folder should be) is a one-line UsageError
        naming it."""
        self.path = path
        self._lock_fd: int | None = None
        if path.is_dir():
            raise _unusable(path, "is a folder, not a ledger file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        except FileExistsError:  # mkdir's word for a file where a folder should be
            raise _unusable(path, os.strerror(errno.ENOTDIR)) from None
        except (sqlite3.Error, OSError) as exc:
            raise _unusable(path, getattr(exc, "strerror", None) or str(exc)) from None
        try:
            db.execute("PRAGMA page_size=1024")  # small rows, small WAL frames (new files only)
            db.execute("PRAGMA journal_mode=WAL")  # "file is not a database" shows here
            db.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints fsync; the default (every 1,000 pages) costs more than the sends' own
            # commits. 10 MB of WAL between checkpoints; closing the ledger checkpoints the rest.
            db.execute("PRAGMA wal_autocheckpoint=10000")
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            db.close()
            raise _unusable(path, str(exc)) from None
        self.db = db

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the lock: one sending run per ledger ----------------------------------------------

    def lock(self) -> None:
        """Take the ledger's lock or raise LedgerBusy; released on close (or process death:
        the OS drops an flock with its holder, so a killed run never leaves a stale lock)."""
        import fcntl

        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LedgerBusy(
                f"another `outreach send` is running on {self.path} (pid {holder})",
                hint="wait for it to finish; two runs at once could send twice",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- reads -------------------------------------------------------------------------------

    def entries(self, campaign: str, template: str) -> dict[str, Entry]:
        rows = self.db.execute(
            "SELECT key, status, content_hash, reason, attempts, recipient FROM messages "
            "WHERE campaign = ? AND template = ?",
            (campaign, template),
        )
        return {r[0]: Entry(*r) for r in rows}

    def counts(self, campaign: str) -> dict[str, dict[str, int]]:
        """template -> status -> count, for one campaign."""
        out: dict[str, dict[str, int]] = {}
        for template, status, n in self.db.execute(
            "SELECT template, status, count(*) FROM messages WHERE campaign = ? "
            "GROUP BY template, status",
            (campaign,),
        ):
            out.setdefault(template, {})[status] = n
        return out

    def problems(self, campaign: str, template: str | None = None) -> list[Entry]:
        sql = (
            "SELECT key, status, content_hash, reason, attempts, recipient FROM messages "
            "WHERE campaign = ? AND status IN ('failed', 'unknown', 'sending')"
        )
        args: tuple[Any, ...] = (campaign,)
        if template:
            sql += " AND template = ?"
            args += (template,)
        return [Entry(*r) for r in self.db.execute(sql + " ORDER BY updated_at", args)]

    def sent_since(self, channel: str, since: dt.datetime) -> int:
        """Messages sent on a channel since a moment (for daily caps)."""
        (n,) = self.db.execute(
            "SELECT count(*) FROM messages WHERE channel = ? AND status = 'sent' AND sent_at >= ?",
            (channel, since.astimezone(dt.UTC).isoformat(timespec="microseconds")),
        ).fetchone()
        return int(n)

    def last_run(self, campaign: str, template: str) -> Run | None:
        row = self.db.execute(
            "SELECT id, template_hash, contacts_hash, contacts_path, total, started_at FROM runs "
            "WHERE campaign = ? AND template = ? ORDER BY id DESC LIMIT 1",
            (campaign, template),
        ).fetchone()
        return Run(*row) if row else None

    def runs(self, campaign: str) -> dict[str, Run]:
        """The latest run per template of a campaign."""
        out: dict[str, Run] = {}
        for template, *rest in self.db.execute(
            "SELECT template, id, template_hash, contacts_hash, contacts_path, total, started_at "
            "FROM runs WHERE campaign = ? ORDER BY id",
            (campaign,),
        ):
            out[template] = Run(*rest)
        return out

    # -- writes (each one a committed transaction) ----------------------------------------

    def start_run(
        self,
        campaign: str,
        template: str,
        channel: str,
        *,
        template_hash: str,
        contacts_hash: str,
        contacts_path: str,
        total: int,
        keys: list[str] | None = None,
    ) -> int:
        """Record a run and (one transaction) the keys of its contacts, replacing the keys
        of the campaign and template's earlier runs."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cur = self.db.execute(
                "INSERT INTO runs (campaign, template, channel, template_hash, contacts_hash, "
                "contacts_path, total, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    campaign,
                    template,
                    channel,
                    template_hash,
                    contacts_hash,
                    contacts_path,
                    total,
                    _now(),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            self.db.execute(
                "DELETE FROM run_keys WHERE run_id IN (SELECT id FROM runs WHERE campaign = ? "
                "AND template = ? AND id <> ?)",
                (campaign, template, run_id),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO run_keys (run_id, key) VALUES (?, ?)",
                ((run_id, k) for k in keys or ()),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return run_id

    def pending(self, run_id: int) -> int | None:
        """The run's contacts with no message recorded yet (None: a run from before keys
        were kept)."""
        (known,) = self.db.execute(
            "SELECT count(*) FROM run_keys WHERE run_id = ?", (run_id,)
        ).fetchone()
        if not known:
            return None
        (n,) = self.db.execute(
            "SELECT count(*) FROM run_keys r WHERE r.run_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.key = r.key)",
            (run_id,),
        ).fetchone()
        return int(n)

    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (_now(), run_id))

    def settle_interrupted(self, campaign: str, template: str) -> int:
        """Rows left in 'sending' by a run that died: their fate is unknown."""
        cur = self.db.execute(
            "UPDATE messages SET status = 'unknown', reason = ?, updated_at = ? "
            "WHERE campaign = ? AND template = ? AND status = 'sending'",
            ("an earlier run stopped while sending it", _now(), campaign, template),
        )
        return cur.rowcount

    def sending(
        self, key: str, campaign: str, template: str, channel: str, recipient: str, chash: str
    ) -> None:
        """Record the intent to send, before handing the message over."""
        self.db.execute(
            "INSERT INTO messages (key, campaign, template, channel, recipient, content_hash, "
            "status, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET status = 'sending', content_hash = excluded."
            "content_hash, channel = excluded.channel, attempts = attempts + 1, "
            "updated_at = excluded.updated_at, reason = ''",
            (key, campaign, template, channel, mask(recipient), chash, _now()),
        )

    def settle(self, key: str, status: str, reason: str = "") -> None:
        """Record the outcome of a message handed over with ``sending``."""
        now = _now()
        self.db.execute(
            "UPDATE messages SET status = ?, reason = ?, updated_at = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE key = ?",
            (status, reason, now, status, now, key),
        )

    def forget(self, key: str) -> None:
        """Undo ``sending`` for a message that surely never left (e.g. server unreachable)."""
        self.db.execute(
            "DELETE FROM messages WHERE key = ? AND status = 'sending' AND attempts = 1", (key,)
        )
        self.db.execute(
            "UPDATE messages SET status = 'failed', reason = 'not sent: channel unavailable', "
            "updated_at = ? WHERE key = ? AND status = 'sending'",
            (_now(), key),
        )

    def fail(
        self,
        key: str,
        campaign: str,
        template: str,
        channel: str,
        recipient: str,
        chash: str,
        reason: str,
    ) -> None:
        """Record a message that failed before it could be handed over (bad address)."""
        self.db.execute(
            "INSERT INTO messages (key, campaign, template, channel, recipient, content_hash, "
            "status, reason, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'failed', ?, 0, ?) "
            "ON CONFLICT (key) DO UPDATE SET status = 'failed', reason = excluded.reason, "
            "updated_at = excluded.updated_at",
            (key, campaign, template, channel, mask(recipient), chash, reason, _now()),
        )
