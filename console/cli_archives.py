"""``kapka archives list|find|verify``: X-Road message-log archives on disk.

``list`` and ``find`` bring Kapka's index of the directory up to date first (only new and changed
files are read; the index lives in the user's cache directory) and then answer from it.
``verify`` is its own module, loaded only when asked for.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from backend.i18n import N_, _, ngettext
from console.cli_session import UsageError, print_json, wrapped

if TYPE_CHECKING:
    from backend.archive.fileinfo import FileInfo
    from backend.archive.index import ArchiveIndex, IndexProgress, UpdateSummary
    from backend.archive.search import RecordDetail, RecordFilter

VERIFY_MODULE = "console.cli_archives_verify"
DEFAULT_LIMIT = 100
EXIT_OK, EXIT_NOTHING_FOUND, EXIT_USAGE = 0, 1, 2
DIRECTIONS = {"request": N_("request"), "response": N_("response")}


def exit_codes() -> str:
    return _("exit codes:\n"
             "  0    success (find: at least one record matched)\n"
             "  1    find: no record matched; or something unexpected failed\n"
             "  2    usage: arguments, or a directory that cannot be read\n"
             "  130  interrupted")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR",
                        help=_("the archive directory (on the security server /var/lib/xroad)"))
    parser.add_argument("--gpg-home", type=Path, metavar="DIR",
                        help=_("GnuPG home with the key of encrypted archives (default: $KAPKA_GPG_HOME, "
                               "else /etc/xroad/gpghome if present, else gpg's own)"))
    parser.add_argument("--json", action="store_true", help=_("print the answer as JSON"))


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="kapka archives", formatter_class=formatter, epilog=exit_codes(),
        description=wrapped(_("X-Road message-log archives (mlog-*.zip, mlog-*.zip.gpg): list them, find "
                              "records, verify them. Kapka never changes or deletes archive files; its "
                              "index is kept in your cache directory.")))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = commands.add_parser(
        "list", formatter_class=formatter, epilog=exit_codes(),
        help=_("the archive files: period, records, size, group, problems"),
        description=wrapped(_("List the archive files of DIR (subfolders too) with their period, number "
                              "of records, size and group, and what is wrong with any of them.")))
    _common(listing)
    find = commands.add_parser(
        "find", formatter_class=formatter, epilog=exit_codes(),
        help=_("records by query id, client, service, member and time"),
        description=wrapped(_("Find records in the archives of DIR. Identifiers are X-Road short forms "
                              "and match whole segments: --client CS/GOV/1001 also finds its subsystems. "
                              "Times are UTC (X-Road's archive clock); a date alone for --until means "
                              "the end of that day.")))
    _common(find)
    find.add_argument("--query-id", metavar="ID", help=_("the query id (X-Road-Id); end it with * for a "
                                                         "prefix"))
    find.add_argument("--client", metavar="ID", help=_("client, e.g. CS/GOV/1001 or CS/GOV/1001/portal"))
    find.add_argument("--service", metavar="ID", help=_("service or its owner, e.g. CS/GOV/5005/registry"))
    find.add_argument("--member", metavar="ID", help=_("local member or subsystem of grouped archives"))
    find.add_argument("--since", metavar="TIME", help=_("from this time on (2024-03-01 or "
                                                        "2024-03-01T08:00)"))
    find.add_argument("--until", metavar="TIME", help=_("before this time"))
    kinds = find.add_mutually_exclusive_group()
    kinds.add_argument("--soap", action="store_const", const="soap", dest="kind", help=_("SOAP records only"))
    kinds.add_argument("--rest", action="store_const", const="rest", dest="kind", help=_("REST records only"))
    find.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                      help=_("show at most N records (default: {n})").format(n=DEFAULT_LIMIT))
    find.add_argument("--offset", type=int, default=0, metavar="N", help=_("skip the first N records"))
    commands.add_parser("verify", add_help=False, help=_("verify chains, containers and signatures (see "
                                                         "'kapka archives verify --help')"))
    return parser


# -- shared -------------------------------------------------------------------------------------


def _time_text(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _json_time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def parse_time(text: str, *, end_of_day: bool = False) -> datetime:
    """``2024-03-01``, ``2024-03-01T08:00[:00]``, with a space too, ``Z`` or an offset; UTC otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise UsageError(_("“{text}” is not a time. Write 2024-03-01 or 2024-03-01T08:00 (UTC).")
                         .format(text=text)) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(text.strip()) == 10:
        moment += timedelta(days=1)
    return moment


def open_index(args: argparse.Namespace, err: IO[str]) -> tuple[ArchiveIndex, UpdateSummary]:
    """The directory's index, brought up to date (with a progress line on a terminal)."""
    from backend.archive.gpg import default_gpg_home
    from backend.archive.index import ArchiveIndex
    from backend.errors import KapkaError

    directory: Path = args.directory
    if not directory.is_dir():
        raise UsageError(_("{path} is not a directory. Give the directory that holds the message-log "
                           "archives (on the security server /var/lib/xroad).").format(path=directory),
                         _("No archive directory"))
    try:
        index = ArchiveIndex(directory, gpg_home=args.gpg_home or default_gpg_home())
    except KapkaError as error:
        raise UsageError(error.message, error.title) from error
    show = err.isatty() if hasattr(err, "isatty") else False

    def progress(state: IndexProgress) -> None:
        if state.current is not None:
            err.write("\r\033[K" + _("Indexing {done}/{total} files, {records} records: {name}").format(
                done=state.files_done + 1, total=state.files_total, records=state.records,
                name=state.current)[:79])
        else:
            err.write("\r\033[K")
        err.flush()

    try:
        summary = index.update(progress if show else None)
    except BaseException:
        index.close()
        raise
    return index, summary


def _problems(info: FileInfo) -> list[dict[str, Any]]:
    return [{"code": problem.code, "entry": problem.entry, "message": problem.message}
            for problem in info.problems]


# -- list ---------------------------------------------------------------------------------------


def file_json(info: FileInfo, present: set[str]) -> dict[str, Any]:
    previous = info.link_previous_name
    return {
        "path": info.path, "name": info.name, "form": info.form, "group": info.group, "member": info.member,
        "encrypted": info.encrypted, "start": _json_time(info.start), "end": _json_time(info.end),
        "records": info.records, "record_bytes": info.bytes, "size": info.size,
        "linkinginfo": None if info.link_algorithm is None and info.link_previous_digest is None else {
            "previous_digest": info.link_previous_digest, "previous_name": previous,
            "previous_present": None if previous in (None, "-") else previous in present,
            "algorithm": info.link_algorithm, "last_digest": info.link_last_digest,
            "entries": info.link_entries},
        "problems": _problems(info),
        "error": {"title": info.error_title, "message": info.error} if info.error else None,
    }


def file_lines(info: FileInfo, present: set[str]) -> list[str]:
    lines = [info.path]
    records = ngettext("{n} record", "{n} records", info.records).format(n=f"{info.records:,}")
    details = [f"{_time_text(info.start)} → {_time_text(info.end)}", records, size_text(info.size)]
    if info.encrypted:
        details.append(_("encrypted"))
    if info.member or info.group:
        details.append(_("group {name}").format(name=info.member or info.group))
    lines.append("    " + "   ".join(details))
    previous = info.link_previous_name
    if info.error:
        lines.append(f"    ! {info.error_title}: {info.error}")
    elif info.link_algorithm is None:
        lines.append("    ! " + _("no linkinginfo entry: the chain cannot be checked"))
    elif previous not in (None, "-") and previous not in present:
        lines.append("    ! " + _("follows {name}, which is not in this directory (moved, transferred or "
                                  "deleted)").format(name=previous))
    for problem in info.problems:
        where = f"{problem.entry}: " if problem.entry else ""
        lines.append(f"    ! {where}{problem.message}")
    return lines


def list_archives(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    index, summary = open_index(args, err)
    try:
        files = index.files()
    finally:
        index.close()
    present = {info.name for info in files}
    readable = [info for info in files if not info.error]
    starts = [info.start for info in readable if info.start]
    ends = [info.end for info in readable if info.end]
    totals = {"files": len(files), "records": sum(info.records for info in files),
              "size": sum(info.size for info in files), "oldest": _json_time(min(starts, default=None)),
              "newest": _json_time(max(ends, default=None)), "unreadable": len(files) - len(readable)}
    if args.json:
        print_json({"directory": str(index.archive_dir), "index": str(index.path),
                    "update": {"added": summary.added, "changed": summary.changed, "removed": summary.removed,
                               "records_indexed": summary.records, "seconds": round(summary.seconds, 3)},
                    "files": [file_json(info, present) for info in files], "totals": totals}, out)
        return EXIT_OK
    if not files:
        out.write(_("No message-log archives (mlog-*.zip, mlog-*.zip.gpg) in {path}.").format(
            path=index.archive_dir) + "\n")
        return EXIT_OK
    for info in files:
        out.write("\n".join(file_lines(info, present)) + "\n")
    oldest, newest = _time_text(min(starts, default=None)), _time_text(max(ends, default=None))
    out.write("\n" + _("{files} files, {records} records, {size}; records from {oldest} to {newest} UTC.")
              .format(files=len(files), records=f"{totals['records']:,}", size=size_text(totals["size"]),
                      oldest=oldest, newest=newest) + "\n")
    if totals["unreadable"]:
        out.write(ngettext("{n} file could not be read (see the lines marked !).",
                           "{n} files could not be read (see the lines marked !).",
                           totals["unreadable"]).format(n=totals["unreadable"]) + "\n")
    return EXIT_OK


# -- find ---------------------------------------------------------------------------------------


def record_filter(args: argparse.Namespace) -> RecordFilter:
    from backend.archive.search import RecordFilter

    flt = RecordFilter(query_id=args.query_id, client=args.client, service=args.service, member=args.member,
                       since=parse_time(args.since) if args.since else None,
                       until=parse_time(args.until, end_of_day=True) if args.until else None, kind=args.kind)
    if flt.is_empty:
        raise UsageError(_("Say what to find: --query-id, --client, --service, --member, --since/--until, "
                           "--soap or --rest."))
    if args.limit < 0 or args.offset < 0:
        raise UsageError(_("--limit and --offset take a number of records, 0 or more."))
    return flt


def record_json(detail: RecordDetail) -> dict[str, Any]:
    line = detail.line
    return {"id": line.id, "time": _json_time(line.time), "direction": line.direction, "kind": line.kind,
            "query_id": line.query_id, "client": line.client, "service": line.service, "size": line.size,
            "summary": line.summary, "archive": line.file_path, "entry": detail.entry,
            "record_id": detail.record_id, "request_id": detail.request_id, "user_id": detail.user_id,
            "member": detail.member, "issue": detail.issue_message}


def record_lines(detail: RecordDetail) -> list[str]:
    line = detail.line
    direction = _(DIRECTIONS[line.direction])
    lines = [f"{_time_text(line.time)}  {direction:<8} {line.kind.upper():<5} {line.query_id}"]
    lines.append("    " + _("client:  {client}").format(client=line.client or "?"))
    lines.append("    " + _("service: {service}").format(service=line.service or "?"))
    if line.summary:
        lines.append(f"    {line.summary}")
    lines.append("    " + _("in {archive}: {entry}").format(archive=line.file_path, entry=detail.entry))
    if detail.issue:
        lines.append(f"    ! {detail.issue_message}")
    return lines


def find_records(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from backend.archive.search import ArchiveSearch

    flt = record_filter(args)
    index, _summary = open_index(args, err)
    try:
        with ArchiveSearch.of(index) as search:
            total = search.count(flt)
            lines = search.page(flt, args.offset, args.limit)
            details = [detail for line in lines if (detail := search.record(line.id)) is not None]
    finally:
        index.close()
    if args.json:
        print_json({"directory": str(index.archive_dir), "index": str(index.path), "count": total,
                    "offset": args.offset, "limit": args.limit,
                    "records": [record_json(detail) for detail in details]}, out)
        return EXIT_OK if total else EXIT_NOTHING_FOUND
    if not total:
        err.write(_("No record matches.") + "\n")
        return EXIT_NOTHING_FOUND
    for detail in details:
        out.write("\n".join(record_lines(detail)) + "\n")
    shown = ngettext("{n} record matches", "{n} records match", total).format(n=f"{total:,}")
    if len(details) < total:
        shown += _("; shown {first}–{last} (more with --offset and --limit)").format(
            first=args.offset + 1 if details else 0, last=args.offset + len(details))
    out.write(shown + ".\n")
    return EXIT_OK


# -- entry point --------------------------------------------------------------------------------


def verify(argv: list[str]) -> int:
    """``kapka archives verify``: its own module, imported only now."""
    try:
        module = importlib.import_module(VERIFY_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != VERIFY_MODULE:
            raise
        raise UsageError(_("Archive verification is not part of this Kapka installation."),
                         _("Verification unavailable")) from exc
    return module.main(argv)


def main(argv: list[str], *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    if argv and argv[0] == "verify":
        return verify(argv[1:])
    args = build_parser().parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    if args.command == "list":
        return list_archives(args, out, err)
    return find_records(args, out, err)
