"""Where each key of a TOML document stands, so that errors can name a line and column.

``tomllib`` gives values but no positions; this scanner walks the text of a document that
has already parsed and records the (line, column) of every key, table header and array
element, keyed by its path: ``("gala", "rounds", 2, "at")``.
"""

from __future__ import annotations

Path = tuple[str | int, ...]
Position = tuple[int, int]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.col = 1
        self.positions: dict[Path, Position] = {}
        self.array_tables: dict[Path, int] = {}

    # -- low level ---------------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i >= len(self.text):
                return
            if self.text[self.i] == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
            self.i += 1

    def skip_ws(self, newlines: bool = False) -> None:
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.advance()
            elif c == "#":
                while self.i < len(self.text) and self.text[self.i] != "\n":
                    self.advance()
            else:
                return

    def pos(self) -> Position:
        return (self.line, self.col)

    def record(self, path: Path, pos: Position) -> None:
        self.positions.setdefault(path, pos)

    # -- tokens ------------------------------------------------------------------------
    def read_string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            self.advance(3)
            start = self.i
            while self.i < len(self.text) and self.peek(3) != quote * 3:
                if quote == '"' and self.peek() == "\\":
                    self.advance()
                self.advance()
            value = self.text[start : self.i]
            self.advance(3)
            while self.peek() == quote:  # up to two quotes may close the string
                self.advance()
            return value
        self.advance()
        start = self.i
        while self.i < len(self.text) and self.peek() != quote:
            if quote == '"' and self.peek() == "\\":
                self.advance()
            self.advance()
        raw = self.text[start : self.i]
        self.advance()
        # a quoted key names what tomllib's data holds: "a\u00e9" is the key "aé"
        return _unescape(raw) if quote == '"' and "\\" in raw else raw

    def read_key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_ws()
            if self.peek() in ('"', "'"):
                parts.append(self.read_string())
            else:
                start = self.i
                while self.i < len(self.text) and self.text[self.i] in _BARE:
                    self.advance()
                parts.append(self.text[start : self.i])
            self.skip_ws()
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    def resolve(self, parts: list[str]) -> Path:
        """A header's path, with array-of-tables prefixes pointing at their last element."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.array_tables:
                path = (*path, self.array_tables[path])
        return path

    # -- grammar -----------------------------------------------------------------------
    def document(self) -> dict[Path, Position]:
        table: Path = ()
        while True:
            self.skip_ws(newlines=True)
            if self.i >= len(self.text):
                return self.positions
            pos = self.pos()
            if self.peek(2) == "[[":
                self.advance(2)
                parts = self.read_key()
                self.advance(2)
                parent = self.resolve(parts[:-1])
                key = (*parent, parts[-1])
                index = self.array_tables.get(key, -1) + 1
                self.array_tables[key] = index
                self.record(key, pos)
                table = (*key, index)
                self.record(table, pos)
            elif self.peek() == "[":
                self.advance()
                parts = self.read_key()
                self.advance()
                for end in range(1, len(parts)):  # [a.b.c] also defines a and a.b if new
                    self.record(self.resolve(parts[:end]), pos)
                table = self.resolve(parts)
                self.record(table, pos)
            else:
                self.keyval(table)
            self.skip_ws()

    def keyval(self, table: Path) -> None:
        pos = self.pos()
        parts = self.read_key()
        path = table
        for part in parts:
            path = (*path, part)
            self.record(path, pos)
        self.skip_ws()
        self.advance()  # '='
        self.skip_ws()
        self.value(path)

    def value(self, path: Path) -> None:
        c = self.peek()
        if c in ('"', "'"):
            self.read_string()
        elif c == "[":
            self.advance()
            index = 0
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "]":
                    self.advance()
                    return
                self.record((*path, index), self.pos())
                self.value((*path, index))
                index += 1
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.advance()
        elif c == "{":
            self.advance()
            while True:
                self.skip_ws()
                if self.peek() == "}":
                    self.advance()
                    return
                self.keyval(path)
                self.skip_ws()
                if self.peek() == ",":
                    self.advance()
        else:
            while self.i < len(self.text) and self.peek() not in ",]}\n#":
                self.advance()


_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}


def _unescape(raw: str) -> str:
    """The text of a basic string from its escapes (the document has parsed: they are valid)."""
    import re

    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", one, raw)


def key_positions(text: str) -> dict[Path, Position]:
    """Map every key path of a (valid) TOML document to its 1-based (line, column)."""
    return _Scanner(text).document()


def locate(positions: dict[Path, Position], path: Path) -> Position:
    """The position of ``path``, or of its nearest ancestor that is written in the file."""
    for end in range(len(path), 0, -1):
        if path[:end] in positions:
            return positions[path[:end]]
    return (1, 1)


def dotted(path: Path) -> str:
    """``("gala", "rounds", 2, "at")`` -> ``gala.rounds[2].at``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
