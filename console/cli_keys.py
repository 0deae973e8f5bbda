"""``kapka keys list``: the tokens, their keys, certificates and CSRs."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from backend.i18n import _
from console.cli_format import token_lines, tokens_json
from console.cli_session import (
    CliSession,
    connection_options,
    exit_codes_help,
    print_json,
    run,
    wrapped,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka keys",
        description=wrapped(_("The security server's tokens, keys, certificates and CSRs.")),
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = commands.add_parser(
        "list", parents=[connection_options()], epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("tokens → keys → certificates (status, OCSP, days to expiry) and CSRs"),
        description=wrapped(_("List the tokens with their keys; for each key its certificates (status, "
                      "active, OCSP status, days to expiry, hash) and CSRs.")))
    listing.add_argument("--json", action="store_true",
                         help=_("print X-Road's Token objects as JSON (each certificate with "
                                "days_left)"))
    return parser


async def list_keys(session: CliSession, as_json: bool) -> int:
    assert session.client is not None
    tokens = await session.client.keys.tokens()
    now = datetime.now(UTC)
    if as_json:
        print_json({"profile": session.profile.name if session.profile else None,
                    "server": session.client.base_url, "tokens": tokens_json(tokens, now)},
                   session.out)
    else:
        session.say("\n".join(token_lines(tokens, now)))
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return run(args, lambda session: list_keys(session, args.json))
