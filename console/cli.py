"""``kapka``: the command line entry point.

``kapka`` opens the console on the configured profile (or the connect screen on first start);
``kapka --sandbox`` opens it against an embedded sandbox security server started for it;
``kapka sandbox …`` runs the sandbox on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from backend.errors import KapkaError
from backend.i18n import N_, _, set_language
from console import __version__

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: Standard output was closed before everything was written (``kapka … | head -1``): 128 + SIGPIPE,
#: the status the shell reports for a program a closed pipe ends (``yes | head -1``), so scripts
#: with ``set -o pipefail`` see kapka as any other Unix tool. Python ignores SIGPIPE (a dropped
#: server connection must not kill the process), so the closed pipe arrives as BrokenPipeError.
EXIT_CLOSED_PIPE = 141

# Subcommands, loaded only when used so that `kapka --version` stays instant.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": ("backend.sandbox.cli", N_("run an embedded X-Road sandbox security server")),
    "keys": ("console.cli_keys", N_("list tokens, keys, certificates and CSRs")),
    "csr": ("console.cli_csr", N_("export a key's certificate signing request")),
    "cert": ("console.cli_cert", N_("show, check, import, register and activate certificates")),
    "token": ("console.cli_token", N_("log in to a token with its PIN")),
    "acl": ("console.cli_acl", N_("export, plan, apply and copy access rights as files")),
    "archives": ("console.cli_archives", N_("list, search and verify message-log archives")),
}


def build_parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<10} {_(help_text)}" for name, (_m, help_text)
                         in SUBCOMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="kapka",
        description=_("Terminal operator console for X-Road security servers."),
        epilog=_("commands:\n{commands}\n\nRun 'kapka COMMAND --help' for a command's options.\n"
                 "Exit codes: 0 success, 1 failure, 2 usage or configuration error,\n"
                 "3 check failed or refused by the server, 4 not connected, "
                 "130 interrupted,\n141 output closed early (as by '| head').").format(
                     commands=commands),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kapka {__version__}")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=_("configuration file (default: $KAPKA_CONFIG, else the user's "
                               "config dir)"))
    parser.add_argument("--profile", metavar="NAME", help=_("profile to connect with"))
    parser.add_argument("--read-only", action="store_true",
                        help=_("refuse every change to the server"))
    parser.add_argument("--sandbox", action="store_true",
                        help=_("start an embedded sandbox security server and connect to it"))
    parser.add_argument("--sandbox-data", type=Path, metavar="DIR",
                        help=_("the sandbox's data directory (default: in the user's data dir)"))
    parser.add_argument("--fresh", action="store_true",
                        help=_("with --sandbox: delete the sandbox's state and start from scratch"))
    return parser


def run_subcommand(name: str, argv: Sequence[str]) -> int:
    module_name, _help = SUBCOMMANDS[name]
    main_fn: Callable[[list[str]], int] = importlib.import_module(module_name).main
    return main_fn(list(argv))


def dispatch(args_list: list[str]) -> int:
    """Run the subcommand named first in ``args_list``, else the console."""
    if args_list and args_list[0] in SUBCOMMANDS:
        return run_subcommand(args_list[0], args_list[1:])
    args = build_parser().parse_args(args_list)
    if args.fresh and not args.sandbox:
        build_parser().error(_("--fresh goes with --sandbox"))
    from console.launch import run_console

    return run_console(args)


def note(text: str) -> None:
    """A line on stderr; dropped quietly if stderr is a closed pipe too."""
    try:
        print(text, file=sys.stderr, flush=True)
    except BrokenPipeError:
        discard_closed_output()


def discard_closed_output() -> None:
    """Send what stdout and stderr still hold to /dev/null where their pipe is closed.

    Python's own advice for SIGPIPE: without this, the flush at exit meets the closed pipe
    again and prints "Exception ignored … BrokenPipeError" with exit status 120.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, stream.fileno())
                finally:
                    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kapka``; returns the exit status.

    Every command ends here, so this is the one place that turns a closed output pipe into
    :data:`EXIT_CLOSED_PIPE` and Ctrl-C into one line and :data:`EXIT_INTERRUPTED`, without a
    traceback. Commands that write files write a temporary file and rename it, so an
    interrupted command leaves no half-written file.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    set_language()
    try:
        try:
            return dispatch(args_list)
        finally:
            sys.stdout.flush()  # buffered output meets a closed pipe here, not at exit
    except KapkaError as exc:
        note(f"kapka: {exc.title}: {exc.message}")
        return exc.exit_code
    except BrokenPipeError:
        discard_closed_output()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        fresh_line = "\n" if sys.stderr is not None and sys.stderr.isatty() else ""
        note(fresh_line + _("kapka: interrupted."))
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
