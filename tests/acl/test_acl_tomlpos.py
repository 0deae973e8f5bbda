"""The TOML position scanner: keys and values by path, through every kind of TOML syntax."""

from __future__ import annotations

import tomllib

from backend.acl.tomlpos import TomlPositions

TEXT = '''# comment with [brackets] and "quotes"
version = 1
title = """
a multi-line "string" with ] and = inside
"""
literal = 'C:\\path'

[[clients]]
id = "A:B:C:D"
inline = { a = 1, "b.c" = [1, 2], d = { e = "x" } }

[clients.services."get.v1"]
subjects = [
    "X", # one
    'Y',
    """Z""",
]

[[clients]]
id = "second"
  [clients.services.plain]   # comment
  subjects = ["Q"]

[ clients . services . "esc\\u0041ped" ]
dotted.key = 2024-01-02T03:04:05Z
'''


def test_the_fixture_is_valid_toml() -> None:
    data = tomllib.loads(TEXT)
    assert data["clients"][1]["services"]["escAped"]["dotted"]["key"].year == 2024


def test_keys_values_and_elements_by_path() -> None:
    found = TomlPositions(TEXT)
    assert found.find(("version",)) == (2, 1)
    assert found.find(("literal",), value=True) == (6, 11)
    assert found.find(("clients", 0)) == (8, 3)
    assert found.find(("clients", 0, "id"), value=True) == (9, 6)
    assert found.find(("clients", 0, "inline", "b.c", 1), value=True) == (10, 31)
    assert found.find(("clients", 0, "inline", "d", "e"), value=True) == (10, 45)
    assert found.find(("clients", 0, "services", "get.v1")) == (12, 19)
    assert found.find(("clients", 0, "services", "get.v1", "subjects", 0), value=True) == (14, 5)
    assert found.find(("clients", 0, "services", "get.v1", "subjects", 1), value=True) == (15, 5)
    assert found.find(("clients", 0, "services", "get.v1", "subjects", 2), value=True) == (16, 5)
    assert found.find(("clients", 1, "id")) == (20, 1)
    assert found.find(("clients", 1, "services", "plain", "subjects", 0), value=True) == (22, 15)
    assert found.find(("clients", 1, "services", "escAped", "dotted", "key")) == (25, 8)


def test_unknown_paths_fall_back_to_the_nearest_known_place() -> None:
    found = TomlPositions(TEXT)
    assert found.find(("clients", 0, "services", "get.v1", "subjects", 9), value=True) == (13, 12)
    assert found.find(("nothing", "here")) is None


def test_broken_text_never_raises() -> None:
    found = TomlPositions('a = 1\nb = "unterminated\n[x')
    assert found.find(("a",)) == (1, 1)
