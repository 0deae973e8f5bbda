"""``HashDisplay``: a hash written large and framed, in short lines, for comparing by eye."""

from __future__ import annotations

from textual.widgets import Static


def hash_lines(value: str, per_line: int = 7) -> list[str]:
    """"AB:CD:…" in lines of ``per_line`` pairs (a hash without colons is split into pairs)."""
    value = value.strip().upper()
    pairs = value.split(":") if ":" in value else [value[i:i + 2] for i in range(0, len(value), 2)]
    return [":".join(pairs[i:i + per_line]) for i in range(0, len(pairs), per_line)]


class HashDisplay(Static):
    """Bold, in a double frame, with the hash's name as the frame's title."""

    DEFAULT_CSS = """
    HashDisplay {
        border: double $accent; padding: 0 2; width: auto; height: auto;
        text-style: bold; color: $text-accent;
    }
    """

    def __init__(self, value: str = "", *, title: str = "", per_line: int = 7,
                 id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.per_line = per_line
        self.value = ""
        self.border_title = title
        if value:
            self.show(value, title=title)

    def show(self, value: str, *, title: str | None = None) -> None:
        self.value = value
        if title is not None:
            self.border_title = title
        self.update("\n".join(hash_lines(value, self.per_line)))
