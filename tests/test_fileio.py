"""write_text_atomic: the whole new file or the old one, never a half or a stray temp file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from xhsgrow import fileio
from xhsgrow.errors import UsageError
from xhsgrow.fileio import check_writable, write_text_atomic


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_writes_utf8_text_as_given(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_text_atomic(path, "名字,reason\r\n杨梅,refused\r\n")
    assert path.read_bytes() == "名字,reason\r\n杨梅,refused\r\n".encode()
    assert os.listdir(tmp_path) == ["out.csv"]


def test_the_longest_legal_name_is_written(tmp_path: Path) -> None:
    """255 bytes, the most a name may have: its temporary sibling must not need more."""
    path = tmp_path / ("报" * 50 + "🧧" * 25 + "..md")  # 150 + 100 bytes of UTF-8, + 4
    assert len(path.name.encode()) == 254
    write_text_atomic(path, "# 周报\n")
    assert path.read_text("utf-8") == "# 周报\n"
    assert os.listdir(tmp_path) == [path.name]


def test_a_failed_rename_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spec.toml"
    path.write_text("old\n", "utf-8")

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", full_disk)
    with pytest.raises(UsageError) as caught:
        write_text_atomic(path, "new\n")
    assert str(caught.value) == f"cannot write {path}: No space left on device"
    assert path.read_text("utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["spec.toml"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc/self/fd (Linux)")
def test_the_new_text_is_on_disk_before_the_rename_and_the_rename_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut right after the rename must not leave an empty spec: the temporary file is
    synced (with its whole text) before it is renamed, and the folder after the rename."""
    path = tmp_path / "spec.toml"
    path.write_text("old\n", "utf-8")
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        content = Path(target).read_text("utf-8") if os.path.isfile(target) else "<folder>"
        events.append(("fsync", f"{os.path.basename(target)}={content!r}"))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(("replace", os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    monkeypatch.setattr(fileio.os, "replace", replace)
    write_text_atomic(path, "new\n")
    (kind0, synced), (kind1, renamed), (kind2, folder) = events
    assert kind0 == "fsync" and synced.startswith(".spec.toml.") and synced.endswith("='new\\n'")
    assert (kind1, renamed) == ("replace", "spec.toml")
    assert (kind2, folder) == ("fsync", f"{tmp_path.name}='<folder>'")
    assert path.read_text("utf-8") == "new\n"


def test_ctrl_c_mid_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.md"
    path.write_text("old\n", "utf-8")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "chmod", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, "new\n")
    assert path.read_text("utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["report.md"]


@pytest.mark.parametrize("make_parents", [False, True])
def test_a_file_where_the_folder_should_be_is_one_line(tmp_path: Path, make_parents: bool) -> None:
    (tmp_path / "site").write_text("a file, not a folder", "utf-8")
    with pytest.raises(UsageError, match=r"^cannot write site/x\.md: Not a directory$"):
        write_text_atomic(
            tmp_path / "site" / "x.md", "x", make_parents=make_parents, display="site/x.md"
        )
    assert os.listdir(tmp_path) == ["site"]


def test_make_parents_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "out.md"
    write_text_atomic(path, "x", make_parents=True)
    assert path.read_text("utf-8") == "x"


@pytest.mark.usefixtures("umask_027")
@pytest.mark.parametrize("proc", [True, False], ids=["proc", "no-proc"])
def test_new_files_follow_the_umask_not_mkstemps_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proc: bool
) -> None:
    if not proc:  # a system without /proc/self/status (macOS): the umask is set and put back

        def no_proc(*args: object, **kwargs: object) -> None:
            raise FileNotFoundError(2, "No such file or directory")

        monkeypatch.setattr(fileio, "open", no_proc, raising=False)
    path = tmp_path / "report.html"
    write_text_atomic(path, "x")
    assert path.stat().st_mode & 0o777 == 0o640
    path.chmod(0o600)
    write_text_atomic(path, "y")  # without keep_mode: as if written anew
    assert path.stat().st_mode & 0o777 == 0o640
    assert os.umask(0o027) == 0o027  # and the umask is as it was


@pytest.mark.usefixtures("umask_027")
def test_keep_mode_keeps_an_existing_files_bits(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_text("old", "utf-8")
    path.chmod(0o604)
    write_text_atomic(path, "new", keep_mode=True)
    assert (path.read_text("utf-8"), path.stat().st_mode & 0o777) == ("new", 0o604)
    fresh = tmp_path / "fresh.toml"
    write_text_atomic(fresh, "new", keep_mode=True)
    assert fresh.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("target", "make_parents", "reason"),
    [
        ("out", False, "Is a directory"),
        ("out", True, "Is a directory"),
        ("site/x.md", False, "Not a directory"),
        ("site/x.md", True, "Not a directory"),
        ("site/deeper/x.md", True, "Not a directory"),
        ("missing/x.md", False, "No such file or directory"),
    ],
)
def test_check_writable_refuses_with_the_line_the_write_would_give(
    tmp_path: Path, target: str, make_parents: bool, reason: str
) -> None:
    (tmp_path / "site").write_text("a file, not a folder", "utf-8")
    (tmp_path / "out").mkdir()
    with pytest.raises(UsageError) as checked:
        check_writable(tmp_path / target, make_parents=make_parents, display=target)
    assert sorted(os.listdir(tmp_path)) == ["out", "site"]  # nothing created
    with pytest.raises(UsageError) as written:
        write_text_atomic(tmp_path / target, "x", make_parents=make_parents, display=target)
    assert str(checked.value) == str(written.value) == f"cannot write {target}: {reason}"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_check_writable_refuses_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    with pytest.raises(UsageError, match=r"^cannot write locked/x\.csv: Permission denied$"):
        check_writable(folder / "x.csv", display="locked/x.csv")


def test_check_writable_accepts_a_path_the_write_will_create(tmp_path: Path) -> None:
    check_writable(tmp_path / "a" / "b" / "x.md", make_parents=True)
    check_writable(tmp_path / "x.md")
    assert os.listdir(tmp_path) == []  # checked, not created


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    """`report --out`, `brief --out`, `new --force` and `fmt` alike: a linked file is shared
    with somebody; replacing the link would leave them the old text."""
    (tmp_path / "shared").mkdir()
    target = tmp_path / "shared" / "report.md"
    target.write_text("old\n", "utf-8")
    link = tmp_path / "report.md"
    link.symlink_to(Path("shared") / "report.md")
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(Path("shared") / "report.md")
    assert target.read_text("utf-8") == "new\n"
    assert sorted(os.listdir(tmp_path / "shared")) == ["report.md"]
    assert sorted(os.listdir(tmp_path)) == ["report.md", "shared"]


def test_a_link_to_a_folder_is_refused_up_front(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "report.md").symlink_to("out")
    with pytest.raises(UsageError, match=r"^cannot write .*report\.md: Is a directory$"):
        check_writable(tmp_path / "report.md")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_written_into_and_stays_a_pipe(tmp_path: Path) -> None:
    """`brief --out`, `report --out` into a pipe (or /dev/stdout, /dev/null): a rename over it
    would leave a plain file nobody reads, and as root replace /dev/null itself."""
    import stat
    import threading

    fifo = tmp_path / "brief.md"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    check_writable(fifo)  # (the check passes it too)
    write_text_atomic(fifo, "# 黔东南 brief\n", make_parents=True)
    reader.join(timeout=10)
    assert got == ["# 黔东南 brief\n".encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["brief.md"]  # no temporary file beside it
