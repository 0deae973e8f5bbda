"""Where each key and array element of a TOML text is, for error messages with line and column.

``tomllib`` decodes a file but forgets positions. This scanner walks the (already valid) text once
more and records the place of every key and value by its path: ``("clients", 0, "services",
"getPerson.v1", "subjects", 2)``. It runs only when a file has a problem to point at, and never
fails: on anything unexpected it returns what it found so far.
"""

from __future__ import annotations

import bisect
import contextlib
import json
from collections.abc import Sequence

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}\n#")


def _unescape(raw: str) -> str:
    """A basic string's content with its escapes decoded (as ``tomllib`` does)."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = raw[i + 1:i + 2]
        if code in ("u", "U", "x"):
            width = {"u": 4, "U": 8, "x": 2}[code]
            out.append(chr(int(raw[i + 2:i + 2 + width], 16)))
            i += 2 + width
        elif code == "e":
            out.append("\x1b")
            i += 2
        else:
            out.append(json.loads(f'"\\{code}"'))
            i += 2
    return "".join(out)


class TomlPositions:
    """Positions of keys (``keys``) and values (``values``) by path, as 0-based text offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.keys: dict[Path, int] = {}
        self.values: dict[Path, int] = {}
        self._starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        self._i = 0
        self._aot: dict[Path, int] = {}
        with contextlib.suppress(IndexError, ValueError, KeyError):  # keep what was found
            self._document()

    def line_column(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def find(self, path: Sequence[str | int], *, value: bool = False) -> tuple[int, int] | None:
        """(line, column) of the key at ``path`` (its value with ``value``), else of the nearest
        enclosing path that was found."""
        path = tuple(path)
        while path:
            offset = (self.values.get(path) if value else None)
            if offset is None:
                offset = self.keys.get(path, self.values.get(path))
            if offset is not None:
                return self.line_column(offset)
            path = path[:-1]
        return None

    # -- scanning ----------------------------------------------------------------------------------

    def _skip(self, newlines: bool = True) -> None:
        text = self.text
        while self._i < len(text):
            char = text[self._i]
            if char in " \t\r" or (newlines and char == "\n"):
                self._i += 1
            elif char == "#":
                end = text.find("\n", self._i)
                self._i = len(text) if end < 0 else end
            else:
                return

    def _document(self) -> None:
        table: Path = ()
        while True:
            self._skip()
            if self._i >= len(self.text):
                return
            if self.text[self._i] == "[":
                table = self._header()
            else:
                self._key_value(table)

    def _header(self) -> Path:
        array = self.text.startswith("[[", self._i)
        self._i += 2 if array else 1
        keys = self._dotted_key()
        self._i += 2 if array else 1
        resolved: list[str | int] = []
        for position, (key, offset) in enumerate(keys):
            resolved.append(key)
            last = position == len(keys) - 1
            if last and array:
                count = self._aot.get(tuple(resolved), 0)
                self._aot[tuple(resolved)] = count + 1
                resolved.append(count)
            elif tuple(resolved) in self._aot:
                resolved.append(self._aot[tuple(resolved)] - 1)
            self.keys.setdefault(tuple(resolved), offset)
        return tuple(resolved)

    def _key_value(self, table: Path) -> None:
        keys = self._dotted_key()
        path = table + tuple(key for key, _offset in keys)
        self.keys.setdefault(path, keys[-1][1])
        self._skip(newlines=False)
        if self.text[self._i] != "=":
            raise ValueError("expected =")
        self._i += 1
        self._skip(newlines=False)
        self._value(path)

    def _dotted_key(self) -> list[tuple[str, int]]:
        keys: list[tuple[str, int]] = []
        while True:
            self._skip(newlines=False)
            start = self._i
            char = self.text[start]
            if char in "\"'":
                keys.append((self._string(), start))
            else:
                end = start
                while end < len(self.text) and self.text[end] in _BARE:
                    end += 1
                if end == start:
                    raise ValueError("expected a key")
                keys.append((self.text[start:end], start))
                self._i = end
            self._skip(newlines=False)
            if self._i < len(self.text) and self.text[self._i] == ".":
                self._i += 1
                continue
            return keys

    def _string(self) -> str:
        text, start = self.text, self._i
        quote = text[start]
        if text.startswith(quote * 3, start):
            end = start + 3
            while True:
                if quote == '"' and text[end] == "\\":
                    end += 2
                elif text.startswith(quote * 3, end):
                    break
                else:
                    end += 1
            while text.startswith(quote, end + 3):  # up to two quotes may end the content
                end += 1
            raw = text[start + 3:end]
            self._i = end + 3
            raw = raw[1:] if raw.startswith("\n") else raw
            return _unescape(raw) if quote == '"' else raw
        end = start + 1
        while text[end] != quote:
            if text[end] == "\n":
                raise ValueError("unterminated string")
            end += 2 if quote == '"' and text[end] == "\\" else 1
        self._i = end + 1
        raw = text[start + 1:end]
        return _unescape(raw) if quote == '"' else raw

    def _value(self, path: Path) -> None:
        self.values.setdefault(path, self._i)
        char = self.text[self._i]
        if char in "\"'":
            self._string()
        elif char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        else:
            while self._i < len(self.text) and self.text[self._i] not in _SCALAR_END:
                self._i += 1

    def _array(self, path: Path) -> None:
        self._i += 1
        index = 0
        while True:
            self._skip()
            if self.text[self._i] == "]":
                self._i += 1
                return
            self._value((*path, index))
            index += 1
            self._skip()
            if self.text[self._i] == ",":
                self._i += 1

    def _inline_table(self, path: Path) -> None:
        self._i += 1
        while True:
            self._skip()
            if self.text[self._i] == "}":
                self._i += 1
                return
            self._key_value(path)
            self._skip()
            if self.text[self._i] == ",":
                self._i += 1
