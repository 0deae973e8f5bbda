"""A secret string that never shows itself: not in repr, logs, tracebacks or on screen."""

from __future__ import annotations


class Secret:
    """A secret string whose repr and str are redacted; ``reveal()`` is the only way in."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # never pickle a secret into a cache or a crash dump
        raise TypeError("a Secret cannot be pickled")
