"""``kapka sandbox traffic``: the sandbox security server logs generated traffic and archives it.

Exit codes as every ``kapka`` command: 0 done, 1 failure, 2 usage error (or no PIN to read, or
more ``--days`` than the sandbox's authorities cover),
3 refused (the server is not initialised, has no timestamping service, or the PIN is wrong),
130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.paths import default_data_dir, is_sandbox_data_dir
from backend.sandbox.traffic.archive import DEFAULT_MAX_FILESIZE, DEFAULT_TRANSACTION_BATCH
from backend.sandbox.traffic.engine import GROUPINGS
from backend.sandbox.traffic.generate import Options, Result, UsageProblem, generate

MAX_PIN_BYTES = 1024
#: archive files stay below the 4 GiB a zip without Zip64 holds
MAX_FILESIZE = 2**31


def _positive(kind: type[int] | type[float], limit: float | None = None) -> Callable[[str], int | float]:
    """An argparse type: a number above 0 (and at most ``limit``)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_("not a number: {text!r}").format(text=text)) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(_("not a number: {text!r}").format(text=text))
        if value <= 0:
            raise argparse.ArgumentTypeError(_("must be more than 0: {text!r}").format(text=text))
        if limit is not None and value > limit:
            raise argparse.ArgumentTypeError(_("must be at most {limit}: {text!r}").format(
                limit=limit, text=text))
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka sandbox traffic",
        description=_("Make the sandbox security server log generated SOAP and REST traffic and "
                      "archive it as X-Road does: signed ASiC-E containers in mlog-*.zip archive "
                      "files chained by linkinginfo, in <data>/messagelog/archive."),
        epilog=_("exit codes: 0 done, 1 failure, 2 usage error, 3 refused (not initialised, no "
                 "timestamping service, wrong PIN), 130 interrupted"))
    parser.add_argument("--records", type=_positive(int), required=True, metavar="N",
                        help=_("how many message-log records to generate"))
    parser.add_argument("--grouping", choices=GROUPINGS, default="none",
                        help=_("archive-grouping: one chain of files (none, X-Road's default), or "
                               "one per member or per subsystem"))
    parser.add_argument("--encrypt", action="store_true",
                        help=_("encrypt the archives with GnuPG (.zip.gpg), with a key kept in "
                               "<data>/messagelog/gpghome"))
    parser.add_argument("--days", type=_positive(float), default=3.0, metavar="D",
                        help=_("spread the records over the last D days (default 3), after "
                               "the previous run's last record; at most back to when the "
                               "sandbox's CA became valid, 400 days before its first start"))
    parser.add_argument("--max-filesize", type=_positive(int, MAX_FILESIZE),
                        default=DEFAULT_MAX_FILESIZE, metavar="BYTES",
                        help=_("archive-max-filesize (default {n}, at most {limit})").format(
                            n=DEFAULT_MAX_FILESIZE, limit=MAX_FILESIZE))
    parser.add_argument("--transaction-batch", type=_positive(int),
                        default=DEFAULT_TRANSACTION_BATCH, metavar="N",
                        help=_("archive-transaction-batch: records per archiving transaction, "
                               "each ending a file (default {n})").format(n=DEFAULT_TRANSACTION_BATCH))
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help=_("seed of the random content, for repeatable traffic"))
    parser.add_argument("--pin-fd", type=int, metavar="N",
                        help=_("read the token PIN from file descriptor N (else it is asked for "
                               "when the token holds signing certificates)"))
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help=_("data directory (default {path})").format(path=default_data_dir()))
    return parser


def _pin_reader(fd: int | None) -> Callable[[], str]:
    """What reads the token PIN, if it is needed: from ``fd``, else from a prompt."""

    def read() -> str:
        if fd is not None:
            chunks = bytearray()
            try:
                while len(chunks) <= MAX_PIN_BYTES and b"\n" not in chunks:
                    chunk = os.read(fd, 256)
                    if not chunk:
                        break
                    chunks.extend(chunk)
            except OSError as error:
                raise UsageProblem(_("Cannot read the PIN from file descriptor {fd}: {reason}. "
                                     "Open it for the command, e.g. 3<pin-file.").format(
                    fd=fd, reason=error.strerror or error), _("No PIN")) from error
            return bytes(chunks).split(b"\n", 1)[0].removesuffix(b"\r").decode("utf-8", "replace")
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageProblem(_("The token holds signing certificates, whose keys sign the "
                                 "traffic, and there is no terminal to ask for the PIN on. Pass it "
                                 "on a file descriptor: kapka sandbox traffic … --pin-fd 3 "
                                 "3<pin-file"), _("No PIN"))
        return getpass.getpass(_("PIN of token softToken-0: "), stream=sys.stderr)
    return read


def _time(moment_ms: int) -> str:
    return dt.datetime.fromtimestamp(moment_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def report(result: Result) -> list[str]:
    """What the command prints when it is done."""
    layout = result.layout
    lines = [
        _("Logged {records} records (ids {first}–{last}) of {server} from {start} to {end}.").format(
            records=result.records, first=result.first_id,
            last=result.first_id + result.records - 1, server=result.server_id,
            start=_time(result.start_ms), end=_time(result.end_ms)),
        _("Signatures: {signatures}; timestamps: {batch} batch, {single} single.").format(
            signatures=result.signatures, batch=result.batch_timestamps,
            single=result.single_timestamps),
        _("Archive directory:           {path}").format(path=layout.archive),
        _("New archive files:           {count}").format(count=len(result.files)),
    ]
    lines += [f"  {file.path.name}" for file in result.files[:5]]
    if len(result.files) > 5:
        lines.append("  " + _("… and {count} more").format(count=len(result.files) - 5))
    lines.append(_("Verification configuration:  {path}").format(path=layout.verification_conf))
    if result.token_signers:
        lines.append(_("Signed with the token's keys: {members}").format(
            members=", ".join(result.token_signers)))
    for subject in result.issued:
        lines.append(_("Traffic certificate issued by the sandbox CA: {subject}").format(
            subject=subject))
    command = f"kapka archives verify {layout.archive} --conf {layout.verification_conf}"
    if result.gpg_home is not None:
        lines.append(_("GnuPG home (archive key):    {path}").format(path=result.gpg_home))
        command += f" --gpg-home {result.gpg_home}"
    lines.append(_("Verify with: {command}").format(command=command))
    return lines


def main(argv: list[str]) -> int:
    """Entry point of ``kapka sandbox traffic``; returns the exit status."""
    args = _parser().parse_args(argv)
    data_dir: Path = args.data or default_data_dir()
    if not is_sandbox_data_dir(data_dir):
        print(_("{path} is not a sandbox data directory; start the sandbox once with "
                "'kapka sandbox' (or 'kapka --sandbox') first.").format(path=data_dir),
              file=sys.stderr)
        return 2
    options = Options(args.records, args.days, args.grouping, args.encrypt, args.seed,
                      args.max_filesize, args.transaction_batch)
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if interactive:
            print("\r" + _("Archived {done} of {total} records").format(done=done, total=total),
                  end="", file=sys.stderr, flush=True)

    try:
        result = generate(data_dir, options, _pin_reader(args.pin_fd), progress)
    except KeyboardInterrupt:
        print("\n" + _("Interrupted; the archive files written so far are complete."),
              file=sys.stderr)
        return 130
    except KapkaError as error:
        print(f"{error.title}: {error.message}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(_("Message-log traffic: {error}").format(error=error), file=sys.stderr)
        return 1
    if interactive:
        print(file=sys.stderr)
    print("\n".join(report(result)))
    return 0
