"""Key positions in TOML text: what every error's line:col comes from."""

from __future__ import annotations

import tomllib

from xhsgrow.specs.locate import dotted, key_positions, locate

TRICKY = '''\
a = """
[not.a.table]
b = 1 \\""" still
"""
c.d = 'x # y'  # comment [x]
"quoted.key" = { e = [1, [2, 3]], f = { g = true } }
[[t]]
h = 1
[[t.u]]
i = 2
[[t]]
j = \'\'\'
k = 3
\'\'\'
l = [
  # comment ]
  { m = 1 },
  "]",
  { n = 2 },
]
[ x . "y z" ]
w = 1
'''


def test_the_tricky_document_is_valid_toml() -> None:
    data = tomllib.loads(TRICKY)
    assert data["t"][1]["l"][2] == {"n": 2}


def test_strings_and_comments_do_not_fool_the_scanner() -> None:
    pos = key_positions(TRICKY)
    assert pos[("a",)] == (1, 1)
    # `[not.a.table]` and `b = 1` sit inside a multi-line string: no keys there
    assert ("not",) not in pos and ("b",) not in pos
    assert pos[("c", "d")] == (5, 1)
    assert ("k",) not in pos and ("t", 1, "k") not in pos  # inside a literal multi-line string


def test_inline_tables_and_nested_arrays() -> None:
    pos = key_positions(TRICKY)
    line6 = '"quoted.key" = { e = [1, [2, 3]], f = { g = true } }'
    assert pos[("quoted.key",)] == (6, 1)
    assert pos[("quoted.key", "e")] == (6, line6.index("e =") + 1)
    assert pos[("quoted.key", "e", 1)] == (6, line6.index("[2") + 1)
    assert pos[("quoted.key", "e", 1, 1)] == (6, line6.index("3]") + 1)
    assert pos[("quoted.key", "f", "g")] == (6, line6.index("g =") + 1)


def test_arrays_of_tables_count_their_elements() -> None:
    pos = key_positions(TRICKY)
    assert pos[("t", 0)] == (7, 1)
    assert pos[("t", 0, "u", 0, "i")] == (10, 1)  # [[t.u]] belongs to the first [[t]]
    assert pos[("t", 1)] == (11, 1)
    assert pos[("t", 1, "j")] == (12, 1)
    # a multi-line array with a comment holding `]` and a string "]"
    assert pos[("t", 1, "l", 0, "m")] == (17, 5)
    assert pos[("t", 1, "l", 1)] == (18, 3)
    assert pos[("t", 1, "l", 2, "n")] == (19, 5)


def test_headers_with_spaces_and_quoted_parts() -> None:
    pos = key_positions(TRICKY)
    assert pos[("x", "y z")] == (21, 1)
    assert pos[("x",)] == (21, 1)  # implicitly defined by the header
    assert pos[("x", "y z", "w")] == (22, 1)


def test_columns_count_characters_not_bytes() -> None:
    pos = key_positions('name = "雷山县" ; x = 1\n'.replace(" ; ", "\n"))
    assert pos[("x",)] == (2, 1)
    inline = 'p = { 名 = "雷山", code = "522634" }\n'
    assert key_positions(inline)[("p", "code")] == (1, inline.index("code") + 1)


def test_crlf_line_endings() -> None:
    pos = key_positions("a = 1\r\n[b]\r\nc = 2\r\n")
    assert pos[("b", "c")] == (3, 1)


def test_locate_falls_back_to_the_nearest_written_ancestor() -> None:
    pos = key_positions("[window]\nstart = 2025-01-01\n")
    assert locate(pos, ("window", "end")) == (1, 1)  # missing key: its table's header
    assert locate(pos, ("window", "start")) == (2, 1)
    assert locate(pos, ("budget", "amount")) == (1, 1)  # nothing written: top of the file
    text = "# comment\n\n[a]\nb = [\n  1,\n  2,\n]\n"
    assert locate(key_positions(text), ("a", "b", 1)) == (6, 3)


def test_dotted_paths() -> None:
    assert dotted(("gala", "rounds", 2, "at")) == "gala.rounds[2].at"
    assert dotted(("tags", 0)) == "tags[0]"
    assert dotted(()) == ""
