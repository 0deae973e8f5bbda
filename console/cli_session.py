"""One command-line run against a security server: a profile turned into a connected client.

The commands (``kapka keys``, ``kapka cert``…) build a ``CliSession`` from their arguments and run
their work inside it. It reuses the console's ``Connector`` (profiles, TLS trust, the API key from
the secret store, the audit journal, read-only mode) without the terminal user interface, asks on
the terminal when something needs a person (the secrets passphrase, X-Road's warnings, a dangerous
change) and turns every error into a message on stderr and a documented exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from backend.errors import KapkaError
from backend.i18n import _, set_language

if TYPE_CHECKING:
    from backend.api.client import SecurityServerClient
    from backend.api.errors import WarningsDetected
    from backend.api.writes import WriteRequest
    from console.config import Config, Profile
    from console.secrets import SecretStore

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_NOT_CONNECTED = 4
EXIT_INTERRUPTED = 130


def exit_codes_help() -> str:
    return _("exit codes:\n"
             "  0    success\n"
             "  1    failure: the server failed, or something unexpected\n"
             "  2    usage or configuration error: arguments, profile, API key, secrets\n"
             "       passphrase, a file that cannot be read or written\n"
             "  3    refused: a check failed, the server refused the request, or a\n"
             "       confirmation was declined or needed --yes\n"
             "  4    not connected: server unreachable, its certificate not trusted, or\n"
             "       the API key refused\n"
             "  130  interrupted\n"
             "  141  standard output closed before the end (as by '| head')")


def wrapped(text: str) -> str:
    """A help paragraph wrapped to fit 80 columns (the help keeps line breaks as written)."""
    import textwrap

    return textwrap.fill(text, 79)


def exit_code_for(error: BaseException) -> int:
    """The documented exit code for an error that ended a command."""
    from backend.api.errors import (
        ApiError,
        AuthenticationFailed,
        ConnectionFailed,
        MalformedResponse,
        ReadOnlyRefused,
        ServerError,
        TlsTrustError,
        WriteCancelled,
    )
    from console.filekeyring import SecretsFileError
    from console.secrets import SecretsUnavailable

    if isinstance(error, ConnectionFailed | TlsTrustError | AuthenticationFailed):
        return EXIT_NOT_CONNECTED
    if isinstance(error, ServerError | MalformedResponse):
        return EXIT_FAILURE
    if isinstance(error, ApiError | ReadOnlyRefused | WriteCancelled):
        return EXIT_REFUSED
    if isinstance(error, SecretsFileError | SecretsUnavailable):
        return EXIT_USAGE
    if isinstance(error, KapkaError):
        return error.exit_code
    return EXIT_FAILURE


def is_interactive() -> bool:
    """Whether a person is there to answer: standard input is a terminal."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


class UsageError(KapkaError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Usage"))


class Refused(KapkaError):
    """The server's state does not allow what the command asks; nothing was sent."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Not possible"))


def connection_options() -> argparse.ArgumentParser:
    """Options every server command takes (a parent parser)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--profile", metavar="NAME",
                        help=_("profile to connect with (default: the default profile)"))
    parent.add_argument("--config", type=Path, metavar="FILE",
                        help=_("configuration file (default: $KAPKA_CONFIG, else the user's "
                               "config dir)"))
    return parent


def write_options() -> argparse.ArgumentParser:
    """Options of commands that change the server."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--yes", "-y", action="store_true",
                        help=_("accept X-Road's warnings and confirmations without asking "
                               "(for scripts)"))
    parent.add_argument("--read-only", action="store_true",
                        help=_("refuse every change to the server (checks still run)"))
    return parent


class CliSession:
    """A connected client for one command, and the terminal it talks to."""

    def __init__(self, args: argparse.Namespace, *, out: IO[str] | None = None,
                 err: IO[str] | None = None) -> None:
        self.config_path: Path | None = getattr(args, "config", None)
        self.profile_name: str | None = getattr(args, "profile", None)
        self.read_only = bool(getattr(args, "read_only", False))
        self.yes = bool(getattr(args, "yes", False))
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.client: SecurityServerClient | None = None
        self.profile: Profile | None = None
        self.needed_confirmation = False

    # -- talking to the operator -------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def note(self, text: str) -> None:
        print(text, file=self.err)

    def ask(self, question: str) -> bool:
        """A y/N question on the terminal; ``--yes`` answers yes; no terminal answers no."""
        if self.yes:
            return True
        if not is_interactive():
            self.needed_confirmation = True
            return False
        print(f"{question} [y/N] ", end="", file=self.err, flush=True)
        answer = sys.stdin.readline().strip().casefold()
        return answer in ("y", "yes", _("y"), _("yes"))

    async def _confirm(self, request: WriteRequest) -> bool:
        return self.ask(_("{summary}. Go ahead?").format(summary=request.summary))

    # -- connecting --------------------------------------------------------------------------

    def _load_profile(self) -> tuple[Config, Profile]:
        from console.config import Config, ConfigError

        config = Config.load(self.config_path)
        if config.language:
            set_language(config.language)
        profile = config.profile(self.profile_name)
        if profile is None:
            names = ", ".join(sorted(config.profiles)) or _("none yet")
            if self.profile_name:
                message = _("There is no profile named {name} in {path}. Profiles: {names}.")
            else:
                message = _("{path} names no default profile (profiles: {names}). Give one with "
                            "--profile NAME, or run kapka to connect to a server and save a "
                            "profile.")
            raise ConfigError(message.format(name=self.profile_name, path=config.path,
                                             names=names), _("No profile"))
        return config, profile

    def _unlock(self, secrets: SecretStore, profile: Profile) -> None:
        from console.filekeyring import SecretsLocked
        from console.secrets import PASSPHRASE_ENV

        if not is_interactive():
            raise UsageError(
                _("The API key of profile {name} is in Kapka's encrypted secrets file {file}, "
                  "which needs its passphrase. Set {variable}, or run the command on a terminal "
                  "to type it.").format(name=profile.name, file=secrets.file_path,
                                        variable=PASSPHRASE_ENV),
                _("Secrets locked"))
        for attempt in range(3):
            passphrase = getpass.getpass(
                _("Passphrase of {file}: ").format(file=secrets.file_path), stream=self.err)
            try:
                secrets.unlock(passphrase)
                return
            except SecretsLocked:
                if attempt == 2:
                    raise
                self.note(_("That passphrase does not open the file; try again."))

    def _api_key(self, secrets: SecretStore, profile: Profile) -> Any:
        from console.config import ConfigError

        if not profile.api_key_ref:
            raise ConfigError(
                _("Profile {name} names no API key. Run kapka and open the connect screen to "
                  "paste or create one.").format(name=profile.name), _("No API key"))
        if secrets.needs_unlock and secrets.file_exists:
            self._unlock(secrets, profile)
        key = secrets.get_api_key(profile.api_key_ref)
        if key is None:
            raise ConfigError(
                _("There is no API key “{ref}” in {where}. Run kapka and open the connect screen "
                  "to paste or create one.").format(ref=profile.api_key_ref,
                                                    where=secrets.backend_description),
                _("API key missing"))
        return key

    async def connect(self) -> SecurityServerClient:
        from console.audit import AuditJournal
        from console.connector import Connector
        from console.secrets import SecretStore

        config, profile = self._load_profile()
        journal = AuditJournal(profile=profile.name, server_url=profile.url)
        connector = Connector(config, SecretStore, journal, read_only=self.read_only)
        connector.confirmer = self._confirm
        key = self._api_key(connector.secrets, profile)
        self.client, _identity = await connector.connect(profile, api_key=key)
        self.profile = profile
        return self.client

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    # -- X-Road's warnings -------------------------------------------------------------------

    async def with_warnings(self, call: Callable[[], Awaitable[T]],
                            model: type[T] | None = None) -> T | None:
        """Run a write; on X-Road's warnings show them, ask, and resend ignoring them.

        The resent request's answer is decoded into ``model`` when one is given.
        """
        from backend.api.errors import WarningsDetected, WriteCancelled

        try:
            return await call()
        except WarningsDetected as warning:
            request = warning.request
            if request is None or request.ignore_warnings_in is None:
                raise
            self.show_warnings(warning)
            if not self.ask(_("Go ahead despite the warnings?")):
                raise WriteCancelled(
                    _("“{summary}” was not sent again; nothing was changed.").format(
                        summary=request.summary), _("Warnings not accepted")) from warning
            assert self.client is not None
            response = await self.client.transport.write(request.ignoring_warnings())
            if model is None:
                return None
            from backend.api.transport import decode

            return decode(response, model)

    def show_warnings(self, warning: WarningsDetected) -> None:
        self.note(f"{warning.title}: {warning.message}")


def run(args: argparse.Namespace, work: Callable[[CliSession], Awaitable[int]], *,
        connect: bool = True, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run ``work`` in a session (connected first, unless ``connect`` is False); errors are
    printed on stderr and become exit codes. Ctrl-C closes the session and goes on to
    :func:`console.cli.main`, which says so and exits 130."""
    session = CliSession(args, out=out, err=err)

    async def main() -> int:
        try:
            if connect:
                await session.connect()
            return await work(session)
        finally:
            await session.close()

    previous = None
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        return asyncio.run(main())
    except KapkaError as error:
        report(error, session)
        return exit_code_for(error)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C during a session: KeyboardInterrupt at once.

    asyncio.run's own handler only cancels the task, which a blocking read (the PIN, passphrase
    or confirmation prompt, ``--pin-fd``) notices only at a second Ctrl-C. Raised here, the
    interrupt still lets the session close: asyncio.run cancels what was left running.
    """
    raise KeyboardInterrupt


def report(error: KapkaError, session: CliSession) -> None:
    from backend.api.errors import WriteCancelled

    session.note(f"kapka: {error.title}: {error.message}")
    if isinstance(error, WriteCancelled) and session.needed_confirmation:
        session.note(_("kapka: no terminal to ask on: run the command on a terminal to answer, "
                       "or add --yes."))


def print_json(data: Any, out: IO[str]) -> None:
    import msgspec

    out.write(msgspec.json.format(msgspec.json.encode(data), indent=2).decode("utf-8") + "\n")
