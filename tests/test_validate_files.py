"""Files that are not specs at all, and specs holding secrets: one clear line, never a traceback,
never the secret."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import REPO

SPECS = REPO / "tests" / "data" / "specs"


def validate(invoke, *args: str):  # type: ignore[no-untyped-def]
    result = invoke("validate", *args)
    return result.exit_code, result.stdout.splitlines()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\t\n", "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (contains NUL bytes), not TOML"),
        ('id = "x"\n'.encode("utf-16"), "UTF-16 text; save the file as UTF-8"),
    ],
    ids=["empty", "blank", "binary", "utf-16"],
)
def test_unusable_file_content(invoke, workspace: Path, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "bad.toml").write_bytes(content)
    assert validate(invoke, "campaigns/bad.toml") == (1, [f"campaigns/bad.toml:1:1: {message}"])


def test_not_utf8_points_at_the_bad_byte(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    # line 3 holds two 3-byte characters before the bad byte: column 2 + 6 + 1 counts characters,
    # like the TOML parser does: `n`, `=`, ` `, `"`, 雷, 山 -> the bad byte is character 12
    raw = 'id = "bad"\nkind = "gala"\nname = "雷山\xff"\n'.encode("utf-8", "surrogateescape")
    raw = raw.replace("\xff".encode(), b"\xff")
    (workspace / "campaigns" / "bad.toml").write_bytes(raw)
    line3 = 'name = "雷山'
    assert validate(invoke, "campaigns/bad.toml") == (
        1,
        [
            f"campaigns/bad.toml:3:{len(line3) + 1}: "
            "not UTF-8 text: byte 0xff (save the file as UTF-8)"
        ],
    )


def test_file_over_one_megabyte(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    big = workspace / "campaigns" / "big.toml"
    big.write_bytes(b"# padding\n" * 100_001)  # 1,000,010 bytes
    assert validate(invoke, "campaigns/big.toml") == (
        1,
        ["campaigns/big.toml:1:1: file is 1,000,010 bytes; specs are limited to 1,000,000"],
    )


def test_directory_named_like_a_spec(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "folder.toml").mkdir()
    code, out = validate(invoke, "campaigns/")
    assert (code, out) == (1, ["campaigns/folder.toml:1:1: is a directory, not a spec file"])


def test_dangling_symlink(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "gone.toml").symlink_to(workspace / "nowhere.toml")
    code, out = validate(invoke, "campaigns/")
    assert (code, out) == (1, ["campaigns/gone.toml:1:1: no such file"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    os.mkfifo(workspace / "campaigns" / "pipe.toml")  # reading it would block for ever
    code, out = validate(invoke, "campaigns/")
    assert (code, out) == (1, ["campaigns/pipe.toml:1:1: not a regular file"])


# Unreadable files. The tests run as root, for whom `chmod 000` changes nothing, so:
# - a real unreadable file: /proc/self/mem is a regular file that every read fails on (EIO),
#   even for root; a spec symlinked to it is unreadable for real;
# - "permission denied" itself is injected by making Path.read_bytes raise PermissionError;
# - and when not root, chmod 000 is tested for real too.


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_real_read_error(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "mem.toml").symlink_to("/proc/self/mem")
    code, out = validate(invoke, "campaigns/mem.toml")
    assert (code, out) == (1, ["campaigns/mem.toml:1:1: cannot read: Input/output error"])


def test_permission_denied_injected(invoke, workspace: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = workspace / "campaigns" / "locked.toml"
    spec.write_text((SPECS / "gala.toml").read_text("utf-8").replace('"gala"', '"locked"', 1))
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, out = validate(invoke, "campaigns/locked.toml")
    assert (code, out) == (1, ["campaigns/locked.toml:1:1: permission denied"])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read mode 000")
def test_permission_denied_for_real(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    spec = workspace / "campaigns" / "locked.toml"
    spec.write_text("id = 'locked'\n")
    spec.chmod(0)
    try:
        code, out = validate(invoke, "campaigns/locked.toml")
    finally:
        spec.chmod(0o644)
    assert (code, out) == (1, ["campaigns/locked.toml:1:1: permission denied"])


def test_toml_syntax_error_uses_the_parsers_position(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "syntax.toml").write_text(
        'id = "syntax"\nkind = "gala"\n\n[window]\nstart = 2027-01-30\nend = 2027-03-07 07\n'
    )
    # the parser stops at the stray `07`: line 6, column len('end = 2027-03-07 ') + 1 = 18
    code, out = validate(invoke, "campaigns/syntax.toml")
    assert code == 1
    assert out == [
        "campaigns/syntax.toml:6:18: TOML syntax error: Expected newline or end of document "
        "after a statement"
    ]


UNTERMINATED = 'name = "Gala'


def test_unterminated_string(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    (workspace / "campaigns" / "syntax.toml").write_text('id = "syntax"\nname = "Gala\n')
    code, out = validate(invoke, "campaigns/syntax.toml")
    assert (code, out) == (
        1,
        [
            f"campaigns/syntax.toml:2:{len(UNTERMINATED) + 1}: TOML syntax error: "
            "Illegal character '\\n'"
        ],
    )


def test_bom_and_crlf_keep_positions(invoke, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    text = (
        (SPECS / "referral.toml").read_text("utf-8").replace("end = 2025-02-28", "end = 2025-01-01")
    )
    line = text.splitlines().index("end = 2025-01-01") + 1
    data = "\ufeff" + text.replace("\n", "\r\n")
    (workspace / "campaigns" / "referral.toml").write_bytes(data.encode("utf-8"))
    code, out = validate(invoke, "campaigns/referral.toml")
    assert (code, out) == (
        1,
        [
            f"campaigns/referral.toml:{line}:1: "
            "window.end: end 2025-01-01 is before start 2025-01-13"
        ],
    )


# --- numbers TOML allows that no campaign holds ---------------------------------------------

NUMBER_CASES = [
    ("inf", "budget.amount", "should be a finite number (got inf)"),
    ("+inf", "budget.amount", "should be a finite number (got inf)"),
    ("nan", "budget.amount", "should be a finite number (got nan)"),
    ("1e16", "budget.amount", "should be less than or equal to 1000000000000000 (got 1e+16)"),
    (
        str(2**63),
        "budget.amount",
        "integer out of range: TOML integers are 64-bit (at most 2^63 - 1)",
    ),
]


@pytest.mark.parametrize(
    ("value", "key", "message"), NUMBER_CASES, ids=[c[0] for c in NUMBER_CASES]
)
def test_numbers_a_campaign_cannot_hold_are_refused_at_their_line(  # type: ignore[no-untyped-def]
    invoke, workspace: Path, value: str, key: str, message: str
) -> None:
    # `amount = inf` is valid TOML: it used to pass, then `list` showed ¥inf, `show -f json`
    # printed Infinity (not JSON) and `plan` crashed on it
    text = (SPECS / "referral.toml").read_text("utf-8")
    text = text.replace("amount = 1_000_000", f"amount = {value}", 1)
    (workspace / "campaigns" / "referral.toml").write_text(text, "utf-8")
    code, out = validate(invoke, "campaigns/referral.toml")
    assert (code, out) == (1, [f"campaigns/referral.toml:15:1: {key}: {message}"])


# --- secrets ----------------------------------------------------------------------------

SECRET_CASES = [
    (
        "feishu-webhook",
        (
            'owner = "growth"',
            'owner = "growth"\nwebhook = "https://open.feishu.cn/open-apis/bot/v2/hook/{S}"',
        ),
        "webhook",
        "webhook",
        "looks like a chat webhook URL, which carries its token",
    ),
    (
        "url-with-token-in-notes",
        (
            'owner = "growth"',
            'owner = "growth"\nnotes = "dashboard: https://bi.example.cn/d?token={S}"',
        ),
        "notes",
        "notes",
        "looks like a URL with a token or password in it",
    ),
    (
        "password-key",
        ("pool = 800_000.0", 'pool = 800_000.0\npassword = "{S}"'),
        "password",
        "referral.caps.password",
        "'password' holds a secret",
    ),
    (
        "api-key-value",
        (
            '[[targets.segments]]\ndimension = "age_band"',
            '[[targets.segments]]\ndimension = "age_band"\nnote = "sk-{S}"',
        ),
        "note",
        "targets.segments[1].note",
        "looks like an API key",
    ),
]


@pytest.mark.parametrize(
    ("edit", "needle", "key", "reason"),
    [c[1:] for c in SECRET_CASES],
    ids=[c[0] for c in SECRET_CASES],
)
@pytest.mark.parametrize("mode", ["text", "json", "github"])
def test_secret_is_refused_and_never_printed(  # type: ignore[no-untyped-def]
    invoke, workspace: Path, monkeypatch, mode: str, edit, needle: str, key: str, reason: str
) -> None:
    secret = "Zq8xT3vKp9LmW2sR7yB4nC6d"
    text = (SPECS / "referral.toml").read_text("utf-8")
    old, new = edit
    text = text.replace(old, new.format(S=secret), 1)
    (workspace / "campaigns" / "referral.toml").write_text(text, "utf-8")
    args = ["validate", "campaigns/referral.toml"]
    if mode == "json":
        args += ["--format", "json"]
    if mode == "github":
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = invoke(*args)
    assert result.exit_code == 1
    assert secret not in result.stdout + result.stderr
    lines = text.splitlines()
    line = next(i for i, s in enumerate(lines, 1) if s.startswith(f"{needle} ="))
    message = f"{reason}; put it in an environment variable, not in a spec"
    if mode == "json":
        doc = json.loads(result.stdout)
        assert doc["files"][0]["errors"] == [
            {"line": line, "col": 1, "key": key, "message": message}
        ]
    else:
        assert f"campaigns/referral.toml:{line}:1: {key}: {message}" in result.stdout.splitlines()
