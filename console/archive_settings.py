"""The ``[archives]`` table of the configuration: where the message-log archives are, and for how long
they must be kept.

::

    [archives]
    archive_dir = "/var/lib/xroad"              # X-Road's archive-path
    gpg_home = "/etc/xroad/gpghome"             # the key of encrypted archives (.zip.gpg)
    verification_conf = "/etc/xroad/globalconf" # approved CAs, OCSP responders and TSAs
    retention_years = 3                         # Tunduk: at least 3 years (Decree 200 ¶36)

Every key may be left out; the defaults are X-Road's own paths. A retention period below three
years is refused: Tunduk's requirements (and Kazakhstan's, Decree 832 ¶38) keep the log at least
that long. Kapka only shows the period; it never deletes archives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.errors import KapkaError
from backend.i18n import _

TABLE = "archives"
DEFAULT_ARCHIVE_DIR = "/var/lib/xroad"
DEFAULT_GPG_HOME = "/etc/xroad/gpghome"
DEFAULT_VERIFICATION_CONF = "/etc/xroad/globalconf"
MIN_RETENTION_YEARS = 3
MAX_RETENTION_YEARS = 100
_PATH_KEYS = ("archive_dir", "gpg_home", "verification_conf")
KEYS = (*_PATH_KEYS, "retention_years")


class ArchiveSettingsError(KapkaError):
    """An ``[archives]`` value Kapka cannot use; the message says what to write instead."""

    exit_code = 2

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Configuration"))


def check_retention_years(value: object) -> int:
    """``value`` as a retention period in whole years; below 3 years is refused (Tunduk)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArchiveSettingsError(_(
            "The retention period must be a whole number of years, such as 3 or 5, not “{value}”."
        ).format(value=value))
    if value < MIN_RETENTION_YEARS:
        raise ArchiveSettingsError(_(
            "A retention period of {value} years is refused: Tunduk's requirements keep the message log "
            "for at least {minimum} years (Decree 200 ¶36). Set retention_years to {minimum} or more."
        ).format(value=value, minimum=MIN_RETENTION_YEARS), _("Retention below the legal minimum"))
    if value > MAX_RETENTION_YEARS:
        raise ArchiveSettingsError(_(
            "A retention period of {value} years is not plausible; write at most {maximum}."
        ).format(value=value, maximum=MAX_RETENTION_YEARS))
    return value


@dataclass(frozen=True)
class ArchiveSettings:
    """Where the archives of this host are and how long they are kept.

    ``origin`` says where the paths come from: ``"config"`` (the operator's file) or ``"sandbox"``
    (``kapka --sandbox``: the sandbox's own message log, written by ``kapka sandbox traffic``).
    """

    archive_dir: Path = Path(DEFAULT_ARCHIVE_DIR)
    gpg_home: Path = Path(DEFAULT_GPG_HOME)
    verification_conf: Path = Path(DEFAULT_VERIFICATION_CONF)
    retention_years: int = MIN_RETENTION_YEARS
    origin: str = "config"

    def __post_init__(self) -> None:
        check_retention_years(self.retention_years)

    def to_data(self) -> dict[str, Any]:
        """The values as the configuration file holds them."""
        return {"archive_dir": str(self.archive_dir), "gpg_home": str(self.gpg_home),
                "verification_conf": str(self.verification_conf), "retention_years": self.retention_years}


DEFAULTS = ArchiveSettings().to_data()


def settings_from_data(file: Path, table: Any) -> ArchiveSettings:
    """The ``[archives]`` table of ``file`` (``None`` when absent) as settings; errors name the key."""
    if table is None:
        return ArchiveSettings()
    if not isinstance(table, dict):
        raise ArchiveSettingsError(_("In {file}, “{key}” must be a table, not “{value}”. Correct it in an "
                                     "editor.").format(file=file, key=TABLE, value=table))
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise ArchiveSettingsError(_(
            "In {file}, [{table}] has the unknown setting “{key}”. Known settings: {known}. Correct the "
            "spelling or remove the line.").format(file=file, table=TABLE, key=unknown[0],
                                                   known=", ".join(KEYS)))
    values: dict[str, Any] = {}
    for key in _PATH_KEYS:
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or "\x00" in value:
            raise ArchiveSettingsError(_(
                "In {file}, “{table}.{key}” must be a directory path in quotes, such as “{example}”, not "
                "“{value}”.").format(file=file, table=TABLE, key=key, example=DEFAULTS[key], value=value))
        values[key] = Path(value.strip()).expanduser()
    if "retention_years" in table:
        try:
            values["retention_years"] = check_retention_years(table["retention_years"])
        except ArchiveSettingsError as error:
            raise ArchiveSettingsError(_("In {file}, [{table}]: {problem}").format(
                file=file, table=TABLE, problem=error.message), error.title) from error
    return ArchiveSettings(**values)


def write_settings(document: Any, settings: ArchiveSettings) -> None:
    """Put ``settings`` into a tomlkit document: keys the file leaves out stay out while they hold
    their default value, and an unchanged value keeps its place and comment."""
    import tomlkit

    data = settings.to_data()
    table = document.get(TABLE)
    if table is None:
        if data == DEFAULTS:
            return
        table = tomlkit.table()
        document[TABLE] = table
    for key, value in data.items():
        if key not in table:
            if value != DEFAULTS[key]:
                table[key] = value
        else:
            current = table[key].unwrap() if hasattr(table[key], "unwrap") else table[key]
            if key in _PATH_KEYS and isinstance(current, str):
                same = Path(current).expanduser() == Path(value)
            else:
                same = type(current) is type(value) and current == value
            if not same:
                table[key] = value
