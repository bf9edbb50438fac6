"""Load a spec file into a frozen model, or into every one of its errors at once."""

from __future__ import annotations

import os
import re
import tomllib
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xhsgrow.errors import Problem, SpecError
from xhsgrow.specs.locate import Path as KeyPath
from xhsgrow.specs.locate import dotted, key_positions, locate

MAX_BYTES = 1_000_000
_PLURAL = {"spec": "specs", "settings": "settings files"}
# as text, not compiled at import: only a file with a syntax error needs them
_TOML_POS = r"\s*\(at line (\d+), column (\d+)\)\s*$"
_TOML_EOF = r"\s*\(at end of document\)\s*$"


class Source:
    """A spec file's text, its parsed data, and (when an error needs them) its key positions."""

    # A plain class, not a dataclass: generating dataclass methods costs about a millisecond at
    # import, and this module is on the start-up path of `xhsgrow validate`.
    def __init__(self, path: str, text: str, data: dict[str, Any], *, bom: bool = False) -> None:
        self.path = path
        self.text = text  # without the UTF-8 byte order mark, if the file had one
        self.data = data
        self.bom = bom  # fmt drops it: a file with one is not formatted yet
        self._positions: dict[KeyPath, tuple[int, int]] | None = None

    @property
    def positions(self) -> dict[KeyPath, tuple[int, int]]:
        """Scanned on first use: a valid file never needs them."""
        if self._positions is None:
            self._positions = key_positions(self.text)
        return self._positions

    def problem(self, key: KeyPath, message: str) -> Problem:
        line, col = locate(self.positions, key)
        # one line per problem, even when a value or a quoted key in it spans lines
        return Problem(self.path, line, col, one_line(dotted(key)), one_line(message))


def one_line(text: str) -> str:
    """``text`` with control characters written as TOML escapes (``\\n``, ``\\u001b``): a
    problem stays on one line, and a terminal escape in a spec is shown, not obeyed."""
    if text.isprintable():  # the usual case: nothing to do
        return text
    out = []
    for ch in text:
        if ch < " " or "\x7f" <= ch <= "\x9f" or ch in "\u2028\u2029":  # both end a line
            out.append(_ESCAPES.get(ch) or f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def read_toml(
    path: Path, *, display: str | None = None, what: typing.Literal["spec", "settings"] = "spec"
) -> Source:
    """Read and parse a TOML file; every way it can fail is one clear Problem. ``what`` names
    the file in them: "spec" or "settings"."""
    shown = display or str(path)

    def fail(message: str, line: int = 1, col: int = 1) -> SpecError:
        return SpecError([Problem(shown, line, col, "", message)])

    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except PermissionError:
        raise fail("permission denied") from None
    except OSError as exc:  # a name too long for the file system, say
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if not exists:
        raise fail("no such file")
    if is_dir:
        raise fail(f"is a directory, not a {what} file")
    if not is_file:
        # a FIFO or device would block or never end; specs are plain files
        raise fail("not a regular file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise fail(f"file is {size:,} bytes; {_PLURAL[what]} are limited to {MAX_BYTES:,}")
        raw = path.read_bytes()
    except PermissionError:
        raise fail("permission denied") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise fail("file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("UTF-16 text; save the file as UTF-8")
    if b"\x00" in raw:
        raise fail("binary file (contains NUL bytes), not TOML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw[: exc.start].count(b"\n") + 1
        # columns count characters, like the TOML parser's; the text before the bad byte is valid
        col = len(raw[line_start : exc.start].decode("utf-8")) + 1
        raise fail(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} (save the file as UTF-8)",
            line,
            col,
        ) from None
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    return Source(shown, text, parse_toml(text, shown), bom=bom)


def parse_toml(text: str, shown: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error is a SpecError at its line and column in ``shown``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line, col = 1, 1
        if m := re.search(_TOML_POS, message):
            line, col = int(m.group(1)), int(m.group(2))
            message = message[: m.start()]
        elif re.search(_TOML_EOF, message):
            line = text.count("\n") + 1
            message = re.sub(_TOML_EOF, "", message)
        problem = Problem(shown, line, col, "", one_line(f"TOML syntax error: {message}"))
        raise SpecError([problem]) from None


def _models_in(annotation: Any) -> list[type]:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _fields_at(model: type, loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at ``loc`` (for 'did you mean' suggestions)."""
    current: list[type] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt: list[type] = []
        for cls in current:
            info = cls.model_fields.get(part)  # type: ignore[attr-defined]
            if info is not None:
                nxt.extend(_models_in(info.annotation))
        current = nxt
    return sorted({name for cls in current for name in cls.model_fields})  # type: ignore[attr-defined]


def _show(value: Any) -> str:
    """A value as it is written in TOML (shortened), for 'got …' in messages."""
    import datetime as dt

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return "'" + text.replace("\n", "\\n") + "'"
    return str(value)


# pydantic error types -> what the key should hold, in TOML words.
_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer (no decimal part)",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date such as 2027-02-05 (without quotes)",
    "date_from_datetime_inexact": "a date such as 2027-02-05, without a time",
    "datetime_type": "a date-time such as 2027-02-05T20:00:00 (without quotes)",
}


def _message(model: type, err: dict[str, Any]) -> str:
    """One pydantic error as a short message in the words of TOML."""
    from xhsgrow.specs.rules import suggest

    kind, loc, value = err["type"], err["loc"], err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "extra_forbidden":
        name = str(loc[-1])
        return f"unknown key '{name}'{suggest(name, _fields_at(model, loc[:-1]))}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        hint = suggest(str(value), options) if isinstance(value, str) else ""
        return f"got {_show(value)}; expected {expected}{hint}"
    if kind == "string_pattern_mismatch":
        if any(p in ("divisions", "regions") for p in loc if isinstance(p, str)):
            return f"{_show(value)} is not a 6-digit GB/T 2260 division code"
        return _PATTERN_MESSAGES.get(str(loc[-1]) if loc else "", f"{_show(value)} is not valid")
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"needs at least {n} item{'s' if n != 1 else ''}"
    if kind in _EXPECTED:
        return f"should be {_EXPECTED[kind]}, not {_show(value)}"
    msg: str = err["msg"]
    msg = msg.replace("Input should be", "should be").replace("Value error, ", "")
    msg = msg[:1].lower() + msg[1:]
    if value is not None:
        msg += f" (got {_show(value)})"
    return msg


_PATTERN_MESSAGES = {
    "id": "ids are lower-case letters, digits, '-' and '_', starting with a letter or digit",
    "currency": "a currency is a 3-letter ISO 4217 code such as 'CNY'",
}


def _misspelt(loc: tuple[Any, ...], err: Any, errors: list[Any]) -> bool:
    """A missing key whose misspelling is in the same table: one mistake, reported once, as
    "unknown key 'referer'; did you mean 'referrer'?" rather than also as a missing key."""
    if err["type"] != "missing":
        return False
    import difflib

    unknown = [
        str(e["loc"][-1])
        for e in errors
        if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == loc[:-1]
    ]
    return any(difflib.get_close_matches(name, [str(loc[-1])], n=1, cutoff=0.6) for name in unknown)


@contextmanager
def _no_pydantic_plugins() -> Iterator[None]:
    """Build and run the spec validators without pydantic plugins.

    Looking plugins up scans every installed package's entry points (about 10 ms at start-up,
    a third of `xhsgrow validate`'s budget); spec models are internal and need none. Typer does
    the same for its own parameter adapters.
    """
    name = "PYDANTIC_DISABLE_PLUGINS"
    before = os.environ.get(name)
    os.environ[name] = "__all__"
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


_INT64 = (-(2**63), 2**63 - 1)


def _huge_integers(value: Any, key: KeyPath = ()) -> Iterator[KeyPath]:
    """Keys holding an integer beyond TOML's 64-bit range (Python's parser accepts any size)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _huge_integers(item, (*key, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _huge_integers(item, (*key, i))
    elif isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        yield key  # (True and False are ints, but within range)


def check_source(src: Source) -> tuple[Any, list[Problem]]:
    """Validate a parsed spec. Returns (campaign or None, problems)."""
    from pydantic import ValidationError

    from xhsgrow.specs import rules
    from xhsgrow.specs.models import KINDS, MODELS
    from xhsgrow.specs.secrets import find_secrets

    problems: list[Problem] = []
    reported: set[KeyPath] = set()
    for key, reason in find_secrets(src.data):
        reported.add(key)
        problems.append(src.problem(key, reason))
    for key in _huge_integers(src.data):
        # reported once, here: pydantic would accept most of them and the plan would crash
        reported.add(key)
        problems.append(
            src.problem(key, "integer out of range: TOML integers are 64-bit (at most 2^63 - 1)")
        )

    # The id check needs only the raw value, so it is reported alongside every other problem.
    stem = Path(src.path).stem
    cid = src.data.get("id")
    if isinstance(cid, str) and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", cid) and cid != stem:
        problems.append(
            src.problem(("id",), f"id '{cid}' does not match the file name '{stem}.toml'")
        )

    kind = src.data.get("kind")
    if kind is None:
        problems.append(
            src.problem(("kind",), "missing required key 'kind' (" + " | ".join(KINDS) + ")")
        )
        return None, problems
    if not isinstance(kind, str):
        # "unknown kind an array; did you mean 'referral'?" would hide that the type is wrong
        expected = " | ".join(f"'{k}'" for k in KINDS)
        problems.append(
            src.problem(("kind",), f"should be a string ({expected}), not {_show(kind)}")
        )
        return None, problems
    if kind not in KINDS:
        hint = rules.suggest(kind, KINDS)
        problems.append(
            src.problem(
                ("kind",), f"unknown kind {_show(kind)}; expected one of {', '.join(KINDS)}{hint}"
            )
        )
        return None, problems

    model = MODELS[kind]
    try:
        with _no_pydantic_plugins():
            campaign = model.model_validate(src.data, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors:
            loc = tuple(err["loc"])
            if loc in reported or _misspelt(loc, err, errors):
                continue
            problems.append(src.problem(loc, _message(model, err)))
        return None, problems

    for key, message in rules.check(campaign):
        problems.append(src.problem(key, message))
    return (None if problems else campaign), problems


def check_file(path: Path, *, display: str | None = None) -> tuple[Any, list[Problem]]:
    """Read and validate one file; never raises for a bad file."""
    try:
        src = read_toml(path, display=display)
    except SpecError as exc:
        return None, exc.problems
    campaign, problems = check_source(src)
    return campaign, sorted(problems)


def load_spec(path: Path | str) -> Any:
    """The campaign in ``path``, or SpecError listing every problem in the file."""
    campaign, problems = check_file(Path(path))
    if problems:
        raise SpecError(problems)
    return campaign
