"""Connection profiles and console settings in a TOML file that the operator may also edit by hand.

The file is read and written with tomlkit, so comments, blank lines and key order survive every
save. It never holds an API key or a password: a profile names its key (``api_key_ref``) and the key
itself lives in the secret store (``console.secrets``). Layout: top-level ``default_profile``,
``theme``, ``language``, ``read_only``; ``[keymap]`` (binding id = keys); ``[profiles.<name>]``;
``[archives]`` (message-log archives, ``console.archive_settings``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit

from backend.api.fingerprints import normalise_fingerprint
from backend.errors import KapkaError
from backend.i18n import _
from console import paths
from console.archive_settings import ArchiveSettings, ArchiveSettingsError, settings_from_data, write_settings
from console.secretnames import find_secret_key

if TYPE_CHECKING:  # tomlkit is imported when a file is read or written, not at start-up
    from tomlkit.items import Table
    from tomlkit.toml_document import TOMLDocument

Trust = Literal["file", "pinned"]
TRUST_VALUES: tuple[str, ...] = get_args(Trust)
DEFAULT_THEME = "kapka-dark"

_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_KEY_REF = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")
_PROFILE_KEYS = ("url", "trust", "certificate", "fingerprint", "api_key_ref", "username", "read_only")


class ConfigError(KapkaError):
    """The configuration file or a profile is not usable; the message says what to change."""

    exit_code = 2

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Configuration"))


def normalize_fingerprint(value: str) -> str:
    """``value`` as upper-case hex pairs joined by ':'; accepts any case, with or without ':'."""
    try:
        return normalise_fingerprint(value)
    except ValueError:
        raise ConfigError(
            _(
                "“{value}” is not a SHA-256 fingerprint. Expected 32 pairs of hexadecimal digits "
                "separated by “:”, as Kapka shows when it pins a certificate."
            ).format(value=value)
        ) from None


def validate_url(url: str) -> str:
    """Check that ``url`` is an HTTPS address of an admin API; returns it unchanged."""
    shown = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", url.strip())  # no password
    try:
        parts = urlsplit(url)
        usable = bool(parts.hostname) and parts.port != 0 and url == url.strip()
    except ValueError:  # a port that is not a number from 1 to 65535
        parts, usable = urlsplit(""), False
    if parts.scheme.lower() == "http":
        problem = _(
            "The address {url} uses plain HTTP. Kapka connects to the admin API of a security "
            "server only over HTTPS, which every X-Road server offers (usually on port 4000): "
            "write it as https://…"
        )
    elif parts.username is not None or parts.password is not None:
        problem = _(
            "The address {url} contains a user name or password. Remove that part: Kapka keeps "
            "API keys in the keyring, never in an address."
        )
    elif parts.scheme.lower() != "https" or not usable or parts.query or parts.fragment:
        problem = _(
            "“{url}” is not an address Kapka can use. Write it as https://host:port, for example "
            "https://ss1.example.kg:4000, without spaces, “?” or “#”."
        )
    else:
        return url
    raise ConfigError(problem.format(url=shown))


@dataclass
class Profile:
    """How to reach one security server.

    ``certificate`` is the trusted certificate file: for ``trust="file"`` the operator's own file
    (on a security server ``/etc/xroad/ssl/proxy-ui-api.crt``), for ``trust="pinned"`` the PEM
    Kapka saved under ``paths.trust_dir()`` on first use. ``fingerprint`` is the pinned SHA-256
    fingerprint. ``api_key_ref`` names the API key in the secret store; it is not the key.
    """

    name: str
    url: str
    trust: Trust = "pinned"
    certificate: str | None = None
    fingerprint: str | None = None
    api_key_ref: str | None = None
    read_only: bool = False
    username: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _PROFILE_NAME.fullmatch(self.name):
            raise ConfigError(
                _(
                    "“{name}” cannot be a profile name. Use up to 64 letters, digits, “-” and “_”, "
                    "starting with a letter or digit."
                ).format(name=self.name)
            )
        validate_url(self.url)
        if self.trust not in TRUST_VALUES:
            raise ConfigError(
                _(
                    "Trust must be “file” (a certificate file you name) or “pinned” (the "
                    "certificate Kapka pinned on first use), not “{value}”."
                ).format(value=self.trust)
            )
        if self.trust == "file" and not self.certificate:
            raise ConfigError(
                _(
                    "Profile “{name}” trusts a certificate file but names none. Set certificate "
                    "to the server's certificate file, e.g. /etc/xroad/ssl/proxy-ui-api.crt."
                ).format(name=self.name)
            )
        if self.fingerprint is not None:
            self.fingerprint = normalize_fingerprint(self.fingerprint)
        if self.api_key_ref is not None and not _KEY_REF.fullmatch(self.api_key_ref):
            raise ConfigError(
                _(
                    "“{ref}” cannot name an API key: use up to 128 characters without spaces."
                ).format(ref=self.api_key_ref)
            )


@dataclass
class Config:
    """The console's settings and profiles, bound to the file they came from."""

    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    theme: str = DEFAULT_THEME
    language: str | None = None
    read_only: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    archives: ArchiveSettings = field(default_factory=ArchiveSettings)
    _document: TOMLDocument | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Config:
        """Read the configuration; a missing file is an empty configuration, not an error."""
        path = path or paths.config_path()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path=path)
        except OSError as error:
            raise ConfigError(_unreadable_message(path, error)) from error
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ConfigError(
                _(
                    "{file} is not UTF-8 text (byte {offset} cannot be read). Save it as UTF-8, or "
                    "move it aside to start with an empty configuration."
                ).format(file=path, offset=error.start)
            ) from error
        import tomlkit

        try:
            document = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as error:
            reason = str(error).rsplit(" at line ", 1)[0]
            raise ConfigError(
                _(
                    "{file}, line {line}, column {column}: {reason}. Correct the file in an editor, "
                    "or move it aside to start with an empty configuration."
                ).format(file=path, line=error.line, column=error.col + 1, reason=reason)
            ) from error
        config = _from_data(document.unwrap(), path)
        config._document = document
        return config

    def profile(self, name: str | None = None) -> Profile | None:
        """The named profile, or the default one when ``name`` is None."""
        wanted = name if name is not None else self.default_profile
        return self.profiles.get(wanted) if wanted is not None else None

    def upsert_profile(self, profile: Profile) -> None:
        """Add or replace a profile; the first profile becomes the default."""
        self.profiles[profile.name] = profile
        if self.default_profile is None and len(self.profiles) == 1:
            self.default_profile = profile.name

    def remove_profile(self, name: str) -> None:
        if name not in self.profiles:
            raise ConfigError(_("There is no profile named “{name}”.").format(name=name))
        del self.profiles[name]
        if self.default_profile == name:
            self.default_profile = None

    def set_default(self, name: str | None) -> None:
        if name is not None and name not in self.profiles:
            raise ConfigError(
                _("There is no profile named “{name}” to make the default.").format(name=name)
            )
        self.default_profile = name

    def read_only_for(self, profile: Profile) -> bool:
        """Writes are refused when the console or the profile is read-only."""
        return self.read_only or profile.read_only

    def dumps(self) -> str:
        """The file's text as ``save()`` would write it."""
        import tomlkit

        return tomlkit.dumps(self._updated_document())

    def save(self) -> None:
        """Write the file atomically (mode 0600, directory 0700), keeping the operator's comments."""
        import tomlkit

        document = self._updated_document()
        text = tomlkit.dumps(document)
        try:
            paths.atomic_write_private(self.path, text.encode("utf-8"))
        except OSError as error:
            raise ConfigError(
                _(
                    "Kapka could not save its configuration to {file}: {reason}. Your change is "
                    "not saved; check that the directory is writable and the disk is not full."
                ).format(file=self.path, reason=error.strerror or error)
            ) from error
        self._document = document

    def _updated_document(self) -> TOMLDocument:
        """The loaded document with this object's values applied; keys a file leaves out stay out
        while they hold their default value, so a round trip changes nothing."""
        import tomlkit

        for name, profile in self.profiles.items():
            if name != profile.name:
                raise ValueError(f"profile {profile.name!r} stored under {name!r}")
            dataclasses.replace(profile)  # checks fields changed since the profile was made
        self.set_default(self.default_profile)  # refuses a default that no longer exists
        fresh = self._document is None
        document = _new_document() if fresh else tomlkit.parse(tomlkit.dumps(self._document))
        defaults: dict[str, Any] = {} if fresh else {"theme": DEFAULT_THEME, "read_only": False}
        for key in ("default_profile", "theme", "language", "read_only"):
            _set(document, key, getattr(self, key), defaults.get(key))
        if fresh or self.keymap or "keymap" in document:
            keymap = _table(document, "keymap")
            for binding in [key for key in keymap if key not in self.keymap]:
                del keymap[binding]
            for binding, keys in self.keymap.items():
                _set(keymap, binding, keys)
        if self.profiles or "profiles" in document:
            profiles = _table(document, "profiles", super_table=True)
            for name in [key for key in profiles if key not in self.profiles]:
                del profiles[name]
            for name, profile in self.profiles.items():
                new = name not in profiles
                table = _table(profiles, name)
                for key in _PROFILE_KEYS:
                    default = {"read_only": False} if new else {"trust": "pinned", "read_only": False}
                    _set(table, key, getattr(profile, key), default.get(key))
        write_settings(document, self.archives)
        _refuse_secrets(document.unwrap(), self.path)
        return document


def _new_document() -> TOMLDocument:
    import tomlkit

    document = tomlkit.document()
    header = _(
        "Kapka configuration: connection profiles for X-Road security servers and console "
        "settings.\nKapka rewrites this file when you change profiles in the console; your "
        "comments are kept.\nIt never holds API keys or passwords: api_key_ref only names a key "
        "kept in the system\nkeyring or in Kapka's encrypted secrets file."
    )
    for line in header.splitlines():
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    return document


def _table(container: Any, key: str, super_table: bool = False) -> Table:
    import tomlkit

    existing = container.get(key)
    if existing is None:
        existing = tomlkit.table(is_super_table=super_table or None)
        if key == "keymap":
            existing.add(tomlkit.comment(_('binding id = keys, e.g. "dashboard.refresh" = "f5"')))
        container[key] = existing
    return existing


def _set(container: Any, key: str, value: Any, default: Any = None) -> None:
    """Set, change or remove one key; an unchanged value keeps its place and its comment."""
    if key not in container:
        if value is not None and value != default:
            container[key] = value
    elif value is None:
        del container[key]
    elif not (type(_plain(container[key])) is type(value) and _plain(container[key]) == value):
        container[key] = value


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _unreadable_message(path: Path, error: OSError) -> str:
    if isinstance(error, IsADirectoryError):
        return _(
            "{file} is a directory, not a configuration file. Rename it, or set KAPKA_CONFIG to "
            "the file Kapka should use."
        ).format(file=path)
    if isinstance(error, PermissionError):
        return _(
            "Kapka may not read its configuration file {file}. Make it readable for your user "
            "(chown it to yourself, chmod 600), or set KAPKA_CONFIG to another file."
        ).format(file=path)
    return _(
        "Kapka could not read its configuration file {file}: {reason}. Check the file, or set "
        "KAPKA_CONFIG to another file."
    ).format(file=path, reason=error.strerror or error)


def _wrong_type(path: Path, key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(
        _("In {file}, “{key}” must be {expected}, not “{value}”. Correct it in an editor.").format(
            file=path, key=key, expected=expected, value=value
        )
    )


def _refuse_secrets(data: dict[str, Any], path: Path) -> None:
    """A configuration file is no place for a secret: refuse keys named like one."""
    profiles = data.get("profiles")
    tables = [("", {k: v for k, v in data.items() if k not in ("keymap", "profiles")})]
    if isinstance(profiles, dict):  # profile names are names, whatever they look like
        tables += [(f"profiles.{n}.", t) for n, t in profiles.items() if isinstance(t, dict)]
    for found in (find_secret_key(table, prefix) for prefix, table in tables):
        if found:
            raise ConfigError(
                _(
                    "{file} holds “{key}”, which looks like a secret. A configuration file must "
                    "not hold API keys or passwords: delete that line, treat the secret as exposed "
                    "and replace it; Kapka keeps API keys in its secret store."
                ).format(file=path, key=found)
            )


def _typed(path: Path, data: dict[str, Any], key: str, dotted: str, kind: type) -> Any:
    """``data[key]`` (None when absent) if it has type ``kind``; else an error naming the key."""
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        expected = _("true or false") if kind is bool else _("text in quotes")
        raise _wrong_type(path, dotted, expected, value)
    return value


def _from_data(data: dict[str, Any], path: Path) -> Config:
    _refuse_secrets(data, path)
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise _wrong_type(path, "keymap", _("a table"), keymap)
    for binding in keymap:
        _typed(path, keymap, binding, f"keymap.{binding}", str)
    profiles_data = data.get("profiles", {})
    if not isinstance(profiles_data, dict):
        raise _wrong_type(path, "profiles", _("a table"), profiles_data)
    profiles: dict[str, Profile] = {}
    for name, table in profiles_data.items():
        profiles[name] = _profile_from_data(path, name, table)
    config = Config(
        path=path,
        profiles=profiles,
        default_profile=_typed(path, data, "default_profile", "default_profile", str),
        theme=_typed(path, data, "theme", "theme", str) or DEFAULT_THEME,
        language=_typed(path, data, "language", "language", str),
        read_only=bool(_typed(path, data, "read_only", "read_only", bool)),
        keymap=dict(keymap),
        archives=_archives_from_data(path, data.get("archives")),
    )
    if config.default_profile is not None and config.default_profile not in profiles:
        raise ConfigError(
            _(
                "In {file}, “default_profile” names “{name}”, but there is no [profiles.{name}]. "
                "Correct the name or remove the line."
            ).format(file=path, name=config.default_profile)
        )
    return config


def _archives_from_data(path: Path, table: Any) -> ArchiveSettings:
    try:
        return settings_from_data(path, table)
    except ArchiveSettingsError as error:
        raise ConfigError(error.message, error.title) from error


def _profile_from_data(path: Path, name: str, table: Any) -> Profile:
    prefix = f"profiles.{name}"
    if not isinstance(table, dict):
        raise _wrong_type(path, prefix, _("a table"), table)
    unknown = [key for key in table if key not in _PROFILE_KEYS]
    if unknown:
        raise ConfigError(
            _(
                "In {file}, [{table}] has the unknown setting “{key}”. Known settings: {known}. "
                "Correct the spelling or remove the line."
            ).format(file=path, table=prefix, key=unknown[0], known=", ".join(_PROFILE_KEYS))
        )
    url = _typed(path, table, "url", f"{prefix}.url", str)
    if url is None:
        raise ConfigError(
            _("In {file}, [{table}] has no “url”. Add the server's address, e.g. {example}.").format(
                file=path, table=prefix, example='url = "https://ss1.example.kg:4000"'
            )
        )
    values: dict[str, Any] = {"name": name, "url": url}
    for key in _PROFILE_KEYS[1:]:
        value = _typed(path, table, key, f"{prefix}.{key}", bool if key == "read_only" else str)
        if value is not None:
            values[key] = value
    try:
        return Profile(**values)
    except ConfigError as error:
        raise ConfigError(
            _("In {file}, [{table}]: {problem}").format(
                file=path, table=prefix, problem=error.message
            )
        ) from error

