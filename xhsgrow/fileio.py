"""Writing whole text files so that a reader sees the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import NoReturn

from xhsgrow.errors import UsageError


def write_text_atomic(
    path: Path,
    text: str,
    *,
    keep_mode: bool = False,
    make_parents: bool = False,
    display: str | None = None,
) -> None:
    """Replace ``path`` with ``text`` (UTF-8, newlines as given) in one rename.

    The text goes to a temporary file beside ``path`` (``.NAME.XXXX.tmp``), which is then
    renamed over it. A ``path`` that is a symlink stays one: the file it points to is
    replaced, its temporary file beside it (a rename over the link would cut it off from the
    file it shares). With ``keep_mode`` an existing file keeps its permission bits; a new file
    gets the usual ``0o666`` less the umask. ``make_parents`` creates missing folders first.
    The text is synced to disk before the rename, and the folder after it: a crash or a power
    cut leaves the old file or the new one, never an empty one (a rename can reach the disk
    before the data it names, on ext4 and XFS alike).

    Any failure removes the temporary file; an OSError becomes a one-line
    ``UsageError("cannot write PATH: reason")``, with ``display`` (default ``str(path)``) as
    PATH. The target is untouched unless the rename happened.

    A ``path`` that exists and is neither a file nor a folder (a named pipe, ``/dev/null``,
    ``/dev/stdout``: ``is_stream``) is written into instead: a rename would replace the pipe
    or the device with a plain file (as root, ``/dev/null`` itself).
    """
    data = text.encode("utf-8")
    display = display or str(path)
    if is_stream(path):
        try:
            with path.open("wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise UsageError(f"cannot write {display}: {_reason(exc)}") from None
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    tmp: str | None = None
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        mode = _mode(path) if keep_mode else None
        prefix = f".{temp_stem(path.name)}."
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes 0600: right for a secret, wrong for a spec or a report others read
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
        sync_folder(path.parent)
    except OSError as exc:
        _discard(tmp)
        raise UsageError(f"cannot write {display}: {_reason(exc)}") from None
    except BaseException:  # Ctrl-C included: no stray temporary file either way
        _discard(tmp)
        raise


def is_stream(path: Path) -> bool:
    """Whether ``path`` exists (through links: ``/dev/stdout`` is one) and is neither a
    regular file nor a folder: a named pipe, a device, a terminal."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def sync_file(path: Path | str) -> None:
    """Flush a file another writer (DuckDB's COPY, a copy loop) has closed to disk, before it
    is renamed into place (see write_text_atomic)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (fsync of the folder itself); a no-op
    where folders cannot be opened (Windows) or synced (some network file systems)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def temp_stem(name: str, limit: int = 64) -> str:
    """``name`` cut to at most ``limit`` bytes of UTF-8 (whole characters), for a temporary
    file beside it: a legal 255-byte name must not make the temporary one too long."""
    return name.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def check_writable(path: Path, *, make_parents: bool = False, display: str | None = None) -> None:
    """Refuse up front a ``path`` that :func:`write_text_atomic` would refuse for its shape,
    with the same ``UsageError``: a folder at ``path``, a file where a folder on the way
    should be, a missing folder (unless ``make_parents``), a folder that cannot be written.

    Creates nothing. For a write that comes only after work that cannot be undone (messages
    sent, other files written); the write itself can still fail, on a full disk say."""

    def refuse(code: int) -> NoReturn:
        raise UsageError(f"cannot write {display or path}: {os.strerror(code)}")

    if path.is_dir():  # (a link to a folder too: links are written through)
        refuse(errno.EISDIR)
    if is_stream(path):  # written into, not replaced (write_text_atomic)
        if not os.access(path, os.W_OK):
            refuse(errno.EACCES)
        return
    nearest = nearest_existing(path.parent)
    if not nearest.is_dir():
        refuse(errno.ENOTDIR)
    if nearest != path.parent and not make_parents:
        refuse(errno.ENOENT)
    if not os.access(nearest, os.W_OK | os.X_OK):
        refuse(errno.EACCES)


def nearest_existing(path: Path) -> Path:
    """``path`` itself, or its nearest ancestor that exists (a dangling link counts)."""
    # exists() is False below a file (ENOTDIR), so this stops at the file itself
    while not (path.exists() or path.is_symlink()) and path != path.parent:
        path = path.parent
    return path


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None


def _discard(tmp: str | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _reason(exc: OSError) -> str:
    # mkdir(exist_ok=True) says "File exists" when a file stands where a folder should be
    # (mkstemp retries on its own name clashes, so only mkdir raises it here)
    if isinstance(exc, FileExistsError):
        return os.strerror(errno.ENOTDIR)
    return exc.strerror or str(exc)


def _umask() -> int:
    """The process's umask without changing it, where Linux shows it (4.7 and later);
    elsewhere set and put back at once, briefly a restrictive 022 rather than 0."""
    status = "/proc/self/status"
    with contextlib.suppress(OSError, ValueError), open(status, encoding="latin-1") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
