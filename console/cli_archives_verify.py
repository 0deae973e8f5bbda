"""``kapka archives verify DIR``: prove the message-log archives intact, or say exactly what is broken.

A progress bar on a terminal (stderr), a readable report on stdout (or the whole report as JSON
with ``--json``), and the exit code: 0 when every check passed (checks that cannot be made, such as
attachments X-Road does not archive, are listed but do not fail), 3 when a check failed, 1 when an
archive could not be verified at all (for example no key to decrypt it), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import threading
from pathlib import Path
from typing import IO

from backend.archive.verify import (
    DirectoryReport,
    FileReport,
    Finding,
    Status,
    load_verification_conf,
    verify_directory,
)
from backend.errors import KapkaError
from backend.i18n import _, ngettext
from console.cli_session import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    print_json,
    wrapped,
)

RECORDS_SHOWN = 20
_NOT_VERIFIED = {"archive_not_decrypted"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kapka archives verify``."""
    parser.add_argument("directory", type=Path, metavar="DIR",
                        help=_("the archive directory (for example /var/lib/xroad), or one archive file"))
    parser.add_argument("--conf", type=Path, metavar="GLOBALCONF_DIR",
                        help=_("verification configuration: the global configuration directory (on the "
                               "security server /etc/xroad/globalconf) or an unpacked verificationconf.zip; "
                               "without it signer certificates, OCSP responses and TSAs are not checked"))
    parser.add_argument("--gpg-home", type=Path, metavar="DIR",
                        help=_("GnuPG home holding the key of encrypted archives (on the security server "
                               "/etc/xroad/gpghome)"))
    parser.add_argument("--chain-only", action="store_true",
                        help=_("check only the linkinginfo chains (fast): no containers, signatures or "
                               "timestamps"))
    parser.add_argument("--json", action="store_true", help=_("print the whole report as JSON"))


def exit_codes_help() -> str:
    return _("exit codes:\n"
             "  0    every check passed (checks that cannot be made, such as attachments\n"
             "       X-Road does not archive, are listed but do not fail)\n"
             "  1    an archive could not be verified at all (for example no key to decrypt\n"
             "       it), or the run was cancelled\n"
             "  2    usage or configuration error: arguments, the verification configuration\n"
             "  3    a check failed: something is missing, altered or not validly signed\n"
             "  130  interrupted")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka archives verify",
        description=wrapped(_("Verify message-log archives layer by layer: the linkinginfo chain inside "
                              "each file and across the files of each group; each container's structure, "
                              "hash chains and timestamp; its signature, the signer certificate and the "
                              "OCSP response at the timestamp's time.")),
        epilog=exit_codes_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return parser


def exit_code(report: DirectoryReport) -> int:
    if report.status is Status.FAIL:
        return EXIT_REFUSED
    if report.cancelled or any(f.code in _NOT_VERIFIED for file in report.files for f in file.findings):
        return EXIT_FAILURE
    return EXIT_OK


def _width() -> int:
    return max(80, min(shutil.get_terminal_size((100, 24)).columns, 160))


def _finding_lines(finding: Finding, indent: str) -> list[str]:
    text = f"{finding.status.value:<10} {finding.layer.value}: {finding.message} [{finding.code}]"
    lines = textwrap.wrap(text, _width() - len(indent), subsequent_indent=" " * 11,
                          break_long_words=False, break_on_hyphens=False)
    lines = [indent + line for line in lines]
    if finding.entry:
        lines.append(f"{indent}{'':<10} {_('entry')}: {finding.entry}")
    if finding.expected is not None or finding.found is not None:
        lines.append(f"{indent}{'':<10} {_('expected')}: {finding.expected or '-'}")
        lines.append(f"{indent}{'':<10} {_('found')}:    {finding.found or '-'}")
    return lines


def file_lines(file: FileReport) -> list[str]:
    counts = _("{total} records: {passed} passed, {unverified} not fully verifiable, {failed} failed").format(
        total=file.records_total, passed=file.records_passed, unverified=file.records_unverified,
        failed=file.records_failed)
    lines = [f"{file.status.value:<10} {file.path}", f"{'':<11}{counts}"]
    for finding in file.findings:
        if finding.status is not Status.PASS:
            lines += _finding_lines(finding, " " * 11)
    for record in file.records[:RECORDS_SHOWN]:
        lines.append(f"{'':<11}{record.status.value:<10} {record.name}")
        for finding in record.findings:
            if finding.status is not Status.PASS:
                lines += _finding_lines(finding, " " * 22)
    hidden = len(file.records) - RECORDS_SHOWN
    if hidden > 0:
        lines.append(" " * 11 + ngettext("… and {n} more record (see --json)",
                                         "… and {n} more records (see --json)", hidden).format(n=hidden))
    return lines


def report_lines(report: DirectoryReport) -> list[str]:
    lines: list[str] = []
    for finding in report.findings:
        lines += _finding_lines(finding, "")
    for file in report.files:
        lines += file_lines(file)
    totals = report.totals()
    lines.append("")
    lines.append(_("{status}: {files} files, {records} records ({failed} failed, {unverified} not fully "
                   "verifiable); layers: {layers}.").format(
        status=report.status.value, files=totals["files"], records=totals["records"],
        failed=totals["records_failed"], unverified=totals["records_unverified"],
        layers=", ".join(report.layers)))
    if report.cancelled:
        lines.append(_("The verification was cancelled: the report is incomplete."))
    return lines


def _run_with_progress(args: argparse.Namespace, conf, cancel: threading.Event) -> DirectoryReport:
    def verify(progress=None) -> DirectoryReport:
        return verify_directory(args.directory, conf=conf, gpg_home=args.gpg_home,
                                full=not args.chain_only, progress=progress, cancelled=cancel.is_set)

    if not sys.stderr.isatty():
        return verify()
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(_("Verifying"), total=None)
        return verify(lambda done, total: bar.update(task, completed=done, total=total))


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Run ``kapka archives verify`` with parsed arguments; returns the exit code."""
    out = out or sys.stdout
    if not args.directory.exists():
        print(_("kapka: {path} does not exist. Give the archive directory (for example /var/lib/xroad).")
              .format(path=args.directory), file=sys.stderr)
        return EXIT_USAGE
    cancel = threading.Event()
    try:
        conf = load_verification_conf(args.conf) if args.conf is not None else None
        report = _run_with_progress(args, conf, cancel)
    except KapkaError as exc:
        print(f"kapka: {exc.title}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        cancel.set()  # the workers stop; console.cli.main says "interrupted" and exits 130
        raise
    if args.json:
        print_json(report.to_dict(), out)
    else:
        out.write("\n".join(report_lines(report)) + "\n")
    return exit_code(report)


def main(argv: list[str]) -> int:
    return run(build_parser().parse_args(argv))
