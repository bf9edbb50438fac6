"""Load a spec file into a frozen model, or into every one of its errors at once."""

from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xhsgrow.errors import Problem, SpecError
from xhsgrow.specs.locate import Path as KeyPath
from xhsgrow.specs.locate import dotted, key_positions, locate

MAX_BYTES = 1_000_000
_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_EOF = re.compile(r"\s*\(at end of document\)\s*$")


@dataclass
class Source:
    """A spec file's text and where its keys stand."""

    path: str
    text: str
    data: dict[str, Any]
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def problem(self, key: KeyPath, message: str) -> Problem:
        line, col = locate(self.positions, key)
        return Problem(self.path, line, col, dotted(key), message)


def read_toml(path: Path, *, display: str | None = None) -> Source:
    """Read and parse a TOML file; every way it can fail is one clear Problem."""
    shown = display or str(path)

    def fail(message: str, line: int = 1, col: int = 1) -> SpecError:
        return SpecError([Problem(shown, line, col, "", message)])

    if not path.exists():
        raise fail("no such file")
    if path.is_dir():
        raise fail("is a directory, not a spec file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise fail(f"file is {size:,} bytes; specs are limited to {MAX_BYTES:,}")
        raw = path.read_bytes()
    except PermissionError:
        raise fail("permission denied") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise fail("file is empty")
    if b"\x00" in raw:
        raise fail("binary file (contains NUL bytes), not TOML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail("not UTF-8 text (save the file as UTF-8)", line, col) from None
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line, col = 1, 1
        if m := _TOML_POS.search(message):
            line, col = int(m.group(1)), int(m.group(2))
            message = message[: m.start()]
        elif _TOML_EOF.search(message):
            line = text.count("\n") + 1
            message = _TOML_EOF.sub("", message)
        raise fail(f"TOML syntax error: {message}", line, col) from None
    return Source(shown, text, data, key_positions(text))


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


def _message(model: type, err: dict[str, Any]) -> str:
    from xhsgrow.specs.rules import suggest

    kind, loc, value = err["type"], err["loc"], err.get("input")
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "extra_forbidden":
        name = str(loc[-1])
        return f"unknown key '{name}'{suggest(name, _fields_at(model, loc[:-1]))}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        hint = suggest(str(value), options) if isinstance(value, str) else ""
        return f"got {value!r}; expected {expected}{hint}"
    if kind == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(str(loc[-1]) if loc else "", f"{value!r} is not valid")
    msg: str = err["msg"]
    msg = msg.replace("Input should be", "should be").replace("Value error, ", "")
    if value is not None and not isinstance(value, dict | list):
        msg += f" (got {value!r})"
    return msg


_PATTERN_MESSAGES = {
    "id": "ids are lower-case letters, digits, '-' and '_', starting with a letter or digit",
    "currency": "a currency is a 3-letter ISO 4217 code such as 'CNY'",
}


def _pattern_message(loc: tuple[Any, ...], value: Any) -> str | None:
    if any(p in ("divisions", "regions") for p in loc if isinstance(p, str)):
        return f"{value!r} is not a 6-digit GB/T 2260 division code"
    return None


def check_source(src: Source) -> tuple[Any, list[Problem]]:
    """Validate a parsed spec. Returns (campaign or None, problems)."""
    from pydantic import ValidationError

    from xhsgrow.specs import rules
    from xhsgrow.specs.models import KINDS, MODELS
    from xhsgrow.specs.secrets import find_secrets

    problems: list[Problem] = []
    secret_paths: set[KeyPath] = set()
    for key, reason in find_secrets(src.data):
        secret_paths.add(key)
        problems.append(src.problem(key, reason))

    kind = src.data.get("kind")
    if kind is None:
        problems.append(
            src.problem(("kind",), "missing required key 'kind' (" + " | ".join(KINDS) + ")")
        )
        return None, problems
    if kind not in KINDS:
        hint = rules.suggest(str(kind), KINDS)
        problems.append(
            src.problem(
                ("kind",), f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}{hint}"
            )
        )
        return None, problems

    model = MODELS[kind]
    try:
        campaign = model.model_validate(src.data, strict=True)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            if loc in secret_paths:
                continue
            message = _message(model, err)
            if err["type"] == "string_pattern_mismatch":
                message = _pattern_message(loc, err.get("input")) or message
            problems.append(src.problem(loc, message))
        return None, problems

    stem = Path(src.path).stem
    if campaign.id != stem:
        problems.append(
            src.problem(("id",), f"id '{campaign.id}' does not match the file name '{stem}.toml'")
        )
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
