"""``kapka token login``: enter a token's PIN (after a signer restart the software token is logged
out and the server stops signing until someone logs in)."""

from __future__ import annotations

import argparse
import getpass
import os

from backend.i18n import _
from backend.secret import Secret
from console.cli_session import (
    CliSession,
    UsageError,
    connection_options,
    exit_codes_help,
    is_interactive,
    run,
    wrapped,
    write_options,
)

MAX_PIN_BYTES = 1024


class _NoPinOnCommandLine(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        parser.error(_("a PIN is never taken from the command line, where other users of this "
                       "computer can read it (ps, shell history): type it at the prompt, or "
                       "pass it on a file descriptor with --pin-fd N"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka token", description=wrapped(_("The security server's tokens.")),
        epilog=exit_codes_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    login = commands.add_parser(
        "login", parents=[connection_options(), write_options()], epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("log in to a token with its PIN"),
        description=wrapped(_("Log in to a token. The PIN is read from a prompt that does not echo, or "
                      "with --pin-fd from an open file descriptor (for scripts: "
                      "kapka token login --pin-fd 3 3<pin-file); never from the command line.")))
    login.add_argument("--token", default="0", metavar="ID",
                       help=_("the token's id (default 0, the software token)"))
    login.add_argument("--pin-fd", type=int, metavar="N",
                       help=_("read the PIN from file descriptor N (up to the first newline)"))
    login.add_argument("--pin", nargs="?", action=_NoPinOnCommandLine, help=argparse.SUPPRESS)
    return parser


def read_pin_fd(fd: int) -> Secret:
    """The PIN from ``fd``: up to the first newline or the end; the descriptor stays open."""
    chunks = bytearray()
    try:
        while len(chunks) <= MAX_PIN_BYTES:
            chunk = os.read(fd, 256)
            if not chunk:
                break
            chunks.extend(chunk)
            if b"\n" in chunk:
                break
    except OSError as error:
        raise UsageError(_("Kapka cannot read the PIN from file descriptor {fd}: {reason}. Open "
                           "it for the command, e.g. 3<pin-file.").format(
            fd=fd, reason=error.strerror or error), _("No PIN")) from error
    line = bytes(chunks).split(b"\n", 1)[0].removesuffix(b"\r")
    if len(line) > MAX_PIN_BYTES:
        raise UsageError(_("File descriptor {fd} holds more than a PIN.").format(fd=fd),
                         _("No PIN"))
    try:
        return Secret(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(_("The PIN on file descriptor {fd} is not UTF-8 text.").format(fd=fd),
                         _("No PIN")) from None


def ask_pin(session: CliSession, token_name: str) -> Secret:
    if not is_interactive():
        raise UsageError(
            _("There is no terminal to ask for the PIN on. Pass it on a file descriptor: "
              "kapka token login --pin-fd 3 3<pin-file"), _("No PIN"))
    return Secret(getpass.getpass(_("PIN of token {name}: ").format(name=token_name),
                                  stream=session.err))


async def login(session: CliSession, args: argparse.Namespace) -> int:
    client = session.client
    assert client is not None
    token = await client.keys.token(args.token)
    if token.logged_in:
        if args.pin_fd is not None:  # consume it anyway, so that it does not linger in a pipe
            read_pin_fd(args.pin_fd)
        session.say(_("Token {name} ({id}) is logged in already.").format(
            name=token.name, id=token.id))
        return 0
    pin = read_pin_fd(args.pin_fd) if args.pin_fd is not None else ask_pin(session, token.name)
    if not pin:
        raise UsageError(_("The PIN is empty; nothing was sent."), _("No PIN"))
    token = await client.keys.login(pin, args.token)
    session.say(_("Logged in to token {name} ({id}): status {status}.").format(
        name=token.name, id=token.id, status=token.status))
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return run(args, lambda session: login(session, args))
