"""``kapka acl export|plan|apply|copy``: access rights as files, reviewed before they are applied."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from backend.i18n import _
from console.cli_session import (
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    CliSession,
    UsageError,
    connection_options,
    exit_code_for,
    exit_codes_help,
    print_json,
    run,
    wrapped,
    write_options,
)

if TYPE_CHECKING:
    from backend.acl.model import RightsDocument
    from backend.acl.plan import Plan

_FORMATTER = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka acl", formatter_class=_FORMATTER, epilog=exit_codes_help(),
        description=wrapped(_("Access rights as code: export the rights of the server's clients to "
                              "a TOML or CSV file, edit it, see the plan, apply it.")))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    fmt = {"choices": ("toml", "csv"), "help": _("the file's format (default: from the file name, "
                                                 "else TOML)")}

    export = commands.add_parser(
        "export", parents=[connection_options()], formatter_class=_FORMATTER,
        epilog=exit_codes_help(), help=_("write the rights on the server to a file"),
        description=wrapped(_("Write every service of the server's subsystems (or of the clients "
                              "named) with the subjects that may call it, and the REST endpoints "
                              "with rights of their own.")))
    export.add_argument("--client", action="append", metavar="ID", default=[],
                        help=_("only this client (INSTANCE:CLASS:CODE:SUBSYSTEM); repeatable"))
    export.add_argument("--format", **fmt)  # type: ignore[arg-type]
    export.add_argument("-o", "--output", metavar="FILE",
                        help=_("write to FILE (default: standard output)"))
    export.add_argument("--force", action="store_true", help=_("replace an existing file"))

    plan = commands.add_parser(
        "plan", parents=[connection_options()], formatter_class=_FORMATTER,
        epilog=exit_codes_help(), help=_("show what applying a file would change (changes nothing)"),
        description=wrapped(_("Compare FILE with the server: the grants and revocations that would "
                              "make each listed service's rights exactly the listed subjects. "
                              "Services not in the file keep their rights. Nothing is sent.")))
    plan.add_argument("file", metavar="FILE", help=_("the rights file ('-' reads standard input)"))
    plan.add_argument("--format", **fmt)  # type: ignore[arg-type]
    plan.add_argument("--json", action="store_true", help=_("print the plan as JSON"))

    apply = commands.add_parser(
        "apply", parents=[connection_options(), write_options()], formatter_class=_FORMATTER,
        epilog=exit_codes_help(), help=_("make the server's rights what a file says"),
        description=wrapped(_("Plan as “kapka acl plan” does, ask, then send the changes in the "
                              "fewest batch calls. Ctrl-C stops after the call being sent.")))
    apply.add_argument("file", metavar="FILE", help=_("the rights file ('-' reads standard input)"))
    apply.add_argument("--format", **fmt)  # type: ignore[arg-type]
    _apply_options(apply)

    copy = commands.add_parser(
        "copy", parents=[connection_options(), write_options()], formatter_class=_FORMATTER,
        epilog=exit_codes_help(), help=_("give one subject the rights of another"),
        description=wrapped(_("Grant --to every right --from has on the services (and REST "
                              "endpoints) of --client. Subjects: INSTANCE:CLASS:CODE:SUBSYSTEM, "
                              "INSTANCE:GLOBALGROUP, or a local group's code.")))
    copy.add_argument("--client", required=True, metavar="ID", help=_("the client with the services"))
    copy.add_argument("--from", dest="source", required=True, metavar="SUBJECT")
    copy.add_argument("--to", dest="dest", required=True, metavar="SUBJECT")
    copy.add_argument("--dry-run", action="store_true", help=_("show the plan only"))
    _apply_options(copy)
    return parser


def _apply_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--continue-on-error", action="store_true",
                        help=_("go on with the other calls after a failed one (default: stop)"))
    parser.add_argument("--json", action="store_true",
                        help=_("print the plan and the result as JSON"))


# -- progress and reading ----------------------------------------------------------------------

def _progress(session: CliSession, what: str) -> Callable[[int, int, object], None] | None:
    """A progress line on standard error when it is a terminal."""
    if not session.err.isatty():
        return None

    def show(done: int, total: int, _item: object) -> None:
        end = "\n" if done == total else ""
        print(f"\r{what} {done}/{total}", end=end, file=session.err, flush=True)

    return show


def read_document(args: argparse.Namespace) -> RightsDocument:
    from backend.acl.formats import decode_text, format_for, load_rights, parse_rights

    if args.file == "-":
        source = _("standard input")
        text = decode_text(sys.stdin.buffer.read(), source)
        return parse_rights(text, source, format_for("", args.format))
    return load_rights(Path(args.file).expanduser(), args.format)


# -- commands ------------------------------------------------------------------------------------

async def export(session: CliSession, args: argparse.Namespace) -> int:
    from backend.acl.export import read_rights
    from backend.acl.formats import dump_rights, format_for
    from console.cli_csr import write_file

    fmt = format_for(args.output or "", args.format)
    target = Path(args.output).expanduser() if args.output and args.output != "-" else None
    if target is not None and target.exists() and not args.force:
        raise UsageError(_("{file} exists already. Choose another name, or add --force to replace "
                           "it.").format(file=target), _("File exists"))
    client = await session.connect()
    document = await read_rights(client, args.client or None,
                                 progress=_progress(session, _("Reading rights:")))
    profile = session.profile.name if session.profile else ""
    header = [
        _("Access rights on {server} (profile {profile}), exported {time} by kapka acl export.").format(
            server=client.base_url, profile=profile,
            time=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        _("A listed service gets exactly the listed subjects ([] = nobody); services left out "
          "keep theirs."),
        _("Subjects: INSTANCE:CLASS:CODE:SUBSYSTEM, INSTANCE:GLOBALGROUP, or a local group's code."),
        _("Check a change with: kapka acl plan FILE; apply it with: kapka acl apply FILE"),
    ]
    text = dump_rights(document, fmt, header)
    if target is None:
        session.out.write(text)
    else:
        write_file(target, text.encode("utf-8"), force=args.force)
        session.note(_("{n} rights of {clients} client(s) written to {file}.").format(
            n=document.right_count, clients=len(document.clients()), file=target))
    return 0


def _show_plan(session: CliSession, plan: Plan, as_json: bool) -> None:
    from backend.acl.render import plan_json, plan_lines

    if as_json:
        print_json(plan_json(plan), session.out)
    else:
        session.say("\n".join(plan_lines(plan)))


async def plan_command(session: CliSession, args: argparse.Namespace) -> int:
    from backend.acl.plan import make_plan

    document = read_document(args)
    client = await session.connect()
    plan = await make_plan(client, document, progress=_progress(session, _("Reading rights:")))
    _show_plan(session, plan, args.json)
    return 0


@contextlib.contextmanager
def _stop_on_ctrl_c(session: CliSession) -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C asks to stop after the call being sent; a second one interrupts."""
    stopping = [False]
    loop = asyncio.get_running_loop()

    def first() -> None:
        stopping[0] = True
        session.note(_("Stopping after the call being sent (Ctrl-C again to interrupt)…"))
        loop.remove_signal_handler(signal.SIGINT)

    try:
        loop.add_signal_handler(signal.SIGINT, first)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals
        yield lambda: stopping[0]
        return
    try:
        yield lambda: stopping[0]
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def confirm_and_apply(session: CliSession, plan: Plan, args: argparse.Namespace) -> int:
    """Show the plan, ask, send it; the per-right results and an exit code."""
    from backend.acl.apply import apply_plan
    from backend.acl.render import plan_json, result_json, result_lines
    from backend.api.errors import WriteCancelled

    if not args.json:
        _show_plan(session, plan, False)
    if plan.is_empty:
        if args.json:
            print_json({"plan": plan_json(plan), "result": None}, session.out)
        return 0
    assert session.client is not None
    question = _("Apply {n} changes in {calls} calls to {server}?").format(
        n=len(plan.changes), calls=len(plan.calls), server=session.client.base_url)
    if not session.ask(question):
        raise WriteCancelled(_("Nothing was sent."), _("Not applied"))
    session.yes = True  # the operator said yes to the whole plan, revocations included
    with _stop_on_ctrl_c(session) as stopping:
        result = await apply_plan(session.client, plan, cancel=stopping,
                                  on_error="continue" if args.continue_on_error else "stop",
                                  progress=_progress(session, _("Calls sent:")))
    if args.json:
        print_json({"plan": plan_json(plan), "result": result_json(result)}, session.out)
    else:
        session.say("\n".join(result_lines(result)))
    if result.ok:
        return 0
    if result.first_error is not None and not isinstance(result.first_error, WriteCancelled):
        return exit_code_for(result.first_error)
    return EXIT_INTERRUPTED if result.cancelled and not result.first_error else EXIT_REFUSED


async def apply_command(session: CliSession, args: argparse.Namespace) -> int:
    from backend.acl.plan import make_plan

    document = read_document(args)
    client = await session.connect()
    plan = await make_plan(client, document, progress=_progress(session, _("Reading rights:")))
    return await confirm_and_apply(session, plan, args)


async def copy_command(session: CliSession, args: argparse.Namespace) -> int:
    from backend.acl.copy import copy_rights

    client = await session.connect()
    plan = await copy_rights(client, args.client, args.source, args.dest,
                             progress=_progress(session, _("Reading rights:")))
    if args.dry_run:
        _show_plan(session, plan, args.json)
        return 0
    return await confirm_and_apply(session, plan, args)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    work = {"export": export, "plan": plan_command, "apply": apply_command,
            "copy": copy_command}[args.command]
    return run(args, lambda session: work(session, args), connect=False)
