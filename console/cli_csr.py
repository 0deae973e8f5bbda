"""``kapka csr export``: a key's certificate signing request, to send to the CA."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from backend.atomicfile import write_whole
from backend.i18n import _
from console.cli_format import find_key, usage_word
from console.cli_session import (
    CliSession,
    UsageError,
    connection_options,
    exit_codes_help,
    run,
    wrapped,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka csr", description=wrapped(_("Certificate signing requests of the server's keys.")),
        epilog=exit_codes_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    export = commands.add_parser(
        "export", parents=[connection_options()], epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=_("download a key's CSR to send to the certification authority"),
        description=wrapped(_("Download the CSR of a key (by id, or by its label when that is unique). "
                      "Without CSR_ID the key must have exactly one CSR. Without -o the CSR goes "
                      "to standard output (DER only when that is not a terminal).")))
    export.add_argument("key", metavar="KEY_ID", help=_("the key's id (or its unique label)"))
    export.add_argument("csr", metavar="CSR_ID", nargs="?", help=_("which of the key's CSRs"))
    export.add_argument("--format", choices=("pem", "der"), default="pem", type=str.lower,
                        help=_("PEM (text, the default) or DER (binary; Tunduk's CA asks for "
                               "DER)"))
    export.add_argument("-o", "--output", metavar="FILE|DIR",
                        help=_("write to this file, or into this directory under the name the "
                               "server gives"))
    export.add_argument("--force", action="store_true", help=_("replace an existing file"))
    return parser


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "csr"


def _target(output: str | None, suggested: str) -> Path | None:
    if output is None or output == "-":
        return None
    path = Path(output).expanduser()
    return path / suggested if path.is_dir() else path


def write_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` through a temporary file (never half a file, not even on
    Ctrl-C: the temporary file is removed); mode 0644."""
    if path.exists() and not force:
        raise UsageError(
            _("{file} exists already. Choose another name, or add --force to replace it.").format(
                file=path), _("File exists"))
    try:
        write_whole(path, data)
    except OSError as error:
        raise UsageError(_("Kapka could not write {file}: {reason}.").format(
            file=path, reason=error.strerror or error), _("Cannot write")) from error


async def export_csr(session: CliSession, args: argparse.Namespace) -> int:
    from backend.pki.certfile import read_csr

    assert session.client is not None
    located = find_key(await session.client.keys.tokens(), args.key)
    key = located.key
    requests = key.certificate_signing_requests
    if args.csr is not None:
        chosen = next((csr for csr in requests if csr.id == args.csr), None)
        if chosen is None:
            raise UsageError(
                _("Key {key} has no CSR {csr}. Its CSRs: {ids}.").format(
                    key=key.label, csr=args.csr, ids=", ".join(c.id for c in requests) or
                    _("none")), _("No such CSR"))
    elif len(requests) == 1:
        chosen = requests[0]
    elif not requests:
        raise UsageError(
            _("Key {key} has no CSR. Generate one for it first (in the console's keys "
              "screen).").format(key=key.label), _("No CSR"))
    else:
        raise UsageError(
            _("Key {key} has {n} CSRs; name one: {ids}.").format(
                key=key.label, n=len(requests), ids=", ".join(c.id for c in requests)),
            _("Which CSR?"))
    fmt = args.format.upper()
    download = await session.client.keys.download_csr(key.id, chosen.id, fmt)
    csr = read_csr(download.content, source=_("the CSR the server sent"))
    if csr.encoding != ("PEM" if fmt == "PEM" else "DER"):
        raise UsageError(_("The server sent the CSR as {got}, not {wanted}.").format(
            got=csr.encoding, wanted=fmt), _("Unexpected CSR"))
    suggested = _safe_name(download.filename or
                           f"{(key.usage or 'key').lower()}_csr_{key.label}.{args.format}")
    target = _target(args.output, suggested)
    if target is None:
        if fmt == "DER" and sys.stdout.isatty() and session.out is sys.stdout:
            raise UsageError(_("A DER CSR is binary: give -o FILE or -o DIR, or pipe the output "
                               "into a file."), _("Binary output"))
        if fmt == "PEM":
            session.out.write(download.content.decode("ascii"))
            session.out.flush()
        else:
            session.out.flush()
            buffer = getattr(session.out, "buffer", None) or sys.stdout.buffer
            buffer.write(download.content)
            buffer.flush()
    else:
        write_file(target, download.content, force=args.force)
    session.note(_("CSR {csr} of key {key} ({usage}){member}\n  subject: {subject}\n  {where}"
                   ).format(csr=chosen.id, key=key.label, usage=usage_word(key.usage),
                            member=_(", for {m}").format(m=chosen.owner_id)
                            if chosen.owner_id else "",
                            subject=csr.subject,
                            where=_("written to {file} ({fmt}, {n} bytes)").format(
                                file=target, fmt=fmt, n=len(download.content))
                            if target else _("written to standard output ({fmt})").format(
                                fmt=fmt)))
    if target is not None:
        session.note(_("Send it to the certification authority, then import the certificate it "
                       "issues: kapka cert import CERTIFICATE_FILE"))
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return run(args, lambda session: export_csr(session, args))
