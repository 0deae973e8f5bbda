"""Rights files on disk: TOML or CSV, told by the name or given; read whole, checked whole."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from backend.acl.csv_format import dump_csv, parse_csv
from backend.acl.errors import Problem, RightsFileError
from backend.acl.model import RightsDocument, Where
from backend.acl.toml_format import dump_toml, parse_toml
from backend.errors import KapkaError
from backend.i18n import _

Format = Literal["toml", "csv"]
FORMATS: tuple[Format, ...] = ("toml", "csv")
#: the largest rights file read (a client with 500 services × 300 subjects is about 6 MB)
MAX_FILE_BYTES = 64 * 1024 * 1024


class RightsFileUnreadable(KapkaError):
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message, _("Cannot read the rights file"))


def format_for(name: str, given: str | None = None) -> Format:
    """The format asked for, else the one the file name says (``.csv``), else TOML."""
    if given:
        return "csv" if given.lower() == "csv" else "toml"
    return "csv" if name.lower().endswith(".csv") else "toml"


def parse_rights(text: str, source: str, fmt: Format) -> RightsDocument:
    return parse_csv(text, source) if fmt == "csv" else parse_toml(text, source)


def decode_text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RightsFileError([Problem(
            _("not UTF-8 text (byte 0x{byte:02X}); save the file as UTF-8").format(
                byte=data[exc.start]), Where(source, line, column))]) from exc


def load_rights(path: Path, fmt: str | None = None) -> RightsDocument:
    """Read and check a rights file; problems raise ``RightsFileError`` with their places."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RightsFileUnreadable(_("{path}: {error}").format(
            path=path, error=exc.strerror or exc)) from exc
    if len(data) > MAX_FILE_BYTES:
        raise RightsFileUnreadable(_("{path} is larger than {mb} MB; is it a rights file?").format(
            path=path, mb=MAX_FILE_BYTES // (1024 * 1024)))
    return parse_rights(decode_text(data, str(path)), str(path), format_for(path.name, fmt))


def dump_rights(document: RightsDocument, fmt: Format, header: Iterable[str] = ()) -> str:
    """The document as text; ``header`` lines become comments at the top of a TOML file."""
    return dump_csv(document) if fmt == "csv" else dump_toml(document, header)
