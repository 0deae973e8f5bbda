"""``kapka cert show|check|import|register|activate``: a certificate from the CA onto the server."""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from backend.i18n import _
from console.cli_format import api_json, clip, expiry_text, find_certificate, usage_word
from console.cli_session import (
    CliSession,
    Refused,
    UsageError,
    connection_options,
    exit_codes_help,
    print_json,
    run,
    wrapped,
    write_options,
)

if TYPE_CHECKING:
    from backend.api.models import TokenCertificate
    from backend.pki.certfile import CertificateFile
    from backend.pki.importcheck import CheckedCertificate
    from console.cli_format import Located

_EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "serverAuth", "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning", "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping", "1.3.6.1.5.5.7.3.9": "OCSPSigning",
}
_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="kapka cert", description=wrapped(_("Certificates for the keys of the security server.")),
        epilog=exit_codes_help(), formatter_class=formatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    file_help = _("the certificate file (PEM or DER; '-' reads standard input)")

    show = commands.add_parser(
        "show", epilog=exit_codes_help(), formatter_class=formatter,
        help=_("describe a certificate file (no server needed)"),
        description=wrapped(_("Read a certificate file and show what X-Road will see: hash, subject, "
                      "issuer, validity, key usages. Nothing is sent anywhere.")))
    show.add_argument("file", metavar="FILE", help=file_help)
    show.add_argument("--json", action="store_true", help=_("print the description as JSON"))

    check = commands.add_parser(
        "check", parents=[connection_options()], epilog=exit_codes_help(),
        formatter_class=formatter, help=_("run the import checks without importing"),
        description=wrapped(_("Check a certificate file against the server as “import” does, and import "
                      "nothing: it must match a key waiting for it, suit that key's usage, be "
                      "valid now and come from an approved certification authority.")))
    check.add_argument("file", metavar="FILE", help=file_help)
    check.add_argument("--json", action="store_true",
                       help=_("print the result as JSON, a refusal too (with its reason)"))

    imp = commands.add_parser(
        "import", parents=[connection_options(), write_options()], epilog=exit_codes_help(),
        formatter_class=formatter, help=_("check a certificate file, then import it"),
        description=wrapped(_("Check the certificate as “kapka cert check” does, then import it onto "
                      "the token holding its key. With a failed check nothing is sent.")))
    imp.add_argument("file", metavar="FILE", help=file_help)
    imp.add_argument("--no-check", action="store_true",
                     help=_("skip Kapka's checks and send the file as it is (X-Road still "
                            "checks)"))
    imp.add_argument("--json", action="store_true",
                     help=_("print the check's result and the imported certificate as JSON"))

    register = commands.add_parser(
        "register", parents=[connection_options(), write_options()], epilog=exit_codes_help(),
        formatter_class=formatter,
        help=_("send an authentication certificate's registration request"),
        description=wrapped(_("Ask the central server to register the authentication certificate. "
                      "HASH is the certificate's hash (or its first 8+ digits, or the "
                      "certificate file).")))
    register.add_argument("hash", metavar="HASH")
    register.add_argument("--address", required=True, metavar="ADDR",
                          help=_("the server's public DNS name or external IP address"))

    activate = commands.add_parser(
        "activate", parents=[connection_options(), write_options()], epilog=exit_codes_help(),
        formatter_class=formatter, help=_("activate a certificate"),
        description=wrapped(_("Activate the certificate (an authentication certificate once it is "
                      "REGISTERED). HASH as for register.")))
    activate.add_argument("hash", metavar="HASH")
    return parser


# -- reading and describing a file -------------------------------------------------------------

def read_input(name: str) -> tuple[bytes, str]:
    from backend.pki.decode import MAX_FILE_BYTES, read_limited, too_large

    if name == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise too_large(_("standard input"), len(data))
        return data, _("standard input")
    return read_limited(Path(name).expanduser()), name


def describe_lines(cert: CertificateFile, source: str, now: datetime) -> list[str]:
    usages = ", ".join(u.lower() for u in cert.key_usages) if cert.key_usages is not None else \
        _("none (no key-usage extension)")
    extended = ", ".join(_EKU_NAMES.get(oid, oid) for oid in cert.extended_key_usages)
    if cert.key_usages is None:
        role = _("none: without a key-usage extension X-Road refuses it")
    elif cert.signing and cert.authentication:
        role = _("both signing and authentication: X-Road refuses it")
    elif cert.signing or cert.authentication:
        role = _("a signing certificate") if cert.signing else _("an authentication certificate")
    else:
        role = _("neither signing nor authentication: X-Road refuses it")
    rows = [
        (_("File"), f"{source} ({cert.encoding})"),
        (_("Hash"), cert.hash),
        (_("Subject"), cert.subject),
        (_("Issuer"), cert.issuer),
        (_("Serial"), cert.serial),
        (_("Valid"), f"{cert.not_before:%Y-%m-%d} – {cert.not_after:%Y-%m-%d}"),
        (_("Expires"), expiry_text(cert.not_after, now)),
        (_("Key usages"), usages),
        (_("Extended"), extended or _("none")),
        (_("For X-Road"), role if not cert.is_ca else _("a CA certificate")),
    ]
    width = max(len(label) for label, _value in rows) + 2
    lines = [clip(f"{label + ':':<{width}}{value}") for label, value in rows]
    for note in cert.notes:
        lines += textwrap.wrap(_("Note: {note}").format(note=note), 79, subsequent_indent="  ",
                               break_on_hyphens=False)
    return lines


def checked_lines(checked: CheckedCertificate) -> list[str]:
    lines = [
        _("Key:       {label} ({id}) on token {token}").format(
            label=checked.key_label, id=checked.key_id, token=checked.token_name),
        _("Usage:     {usage}").format(usage=usage_word(checked.usage)),
        _("CA:        {ca}").format(ca=checked.ca_name),
    ]
    if checked.csr_id:
        lines.append(_("CSR:       {csr}").format(csr=checked.csr_id))
    if checked.member_id:
        lines.append(_("Member:    {member}").format(member=checked.member_id))
    return [clip(line) for line in lines]


async def show(session: CliSession, args: argparse.Namespace) -> int:
    from backend.pki.certfile import read_certificate

    data, source = read_input(args.file)
    cert = read_certificate(data, source=source)
    if args.json:
        print_json(cert.to_dict(), session.out)
    else:
        session.say("\n".join(describe_lines(cert, source, datetime.now(UTC))))
    return 0


# -- on the server -----------------------------------------------------------------------------

async def check(session: CliSession, args: argparse.Namespace) -> int:
    from backend.pki.importcheck import check_certificate_for_import

    assert session.client is not None
    from backend.pki.errors import CertificateRejected

    data, source = read_input(args.file)
    try:
        checked = await check_certificate_for_import(session.client, data, source=source)
    except CertificateRejected as rejected:
        if not args.json:
            raise
        print_json({"ok": False, "reason": rejected.reason, "title": rejected.title,
                    "message": rejected.message}, session.out)
        return rejected.exit_code
    if args.json:
        print_json({"ok": True, **checked.to_dict()}, session.out)
    else:
        session.say(_("{file} passes the checks: it can be imported.").format(file=source))
        session.say("\n".join(checked_lines(checked)))
        session.say(clip(_("Hash:      {hash}").format(hash=checked.certificate.hash)))
    return 0


def _next_steps(cert: TokenCertificate, usage: str | None) -> list[str]:
    digest = cert.certificate_details.hash
    if usage == "AUTHENTICATION" or cert.status == "SAVED":
        return [_("Next: register it with the central server (use the server's public DNS name "
                  "or IP address):"),
                _("  kapka cert register {hash} --address ADDRESS").format(hash=digest),
                _("and when its status is REGISTERED, activate it:"),
                f"  kapka cert activate {digest}"]
    if not cert.active:
        return [_("Signing certificates are registered on import. Activate it:"),
                f"  kapka cert activate {digest}"]
    return [_("Signing certificates are registered on import; this one is active.")]


async def import_certificate(session: CliSession, args: argparse.Namespace) -> int:
    from backend.api.models import TokenCertificate
    from backend.pki.importcheck import check_certificate_for_import

    client = session.client
    assert client is not None
    data, source = read_input(args.file)
    usage: str | None = None
    checked = None
    if args.no_check:
        session.note(_("Not checking {file} (--no-check): X-Road decides.").format(file=source))
        content = data
    else:
        checked = await check_certificate_for_import(client, data, source=source)
        usage = checked.usage
        if not args.json:
            session.say(_("{file} passes the checks.").format(file=source))
            session.say("\n".join(checked_lines(checked)))
        content = checked.certificate.der
    name = Path(source).name
    imported = await session.with_warnings(
        lambda: client.certificates.import_file(content, description=name), TokenCertificate)
    if imported is None:  # pragma: no cover - with_warnings decodes into the model
        return 0
    details = imported.certificate_details
    if args.json:
        print_json({"checked": checked.to_dict() if checked else None,
                    "imported": api_json(imported)}, session.out)
        return 0
    session.say(_("Imported. Status {status}, {active}.").format(
        status=imported.status, active=_("active") if imported.active else _("not active")))
    session.say(f"{_('Hash:')}      {details.hash}")
    session.say("\n".join(_next_steps(imported, usage)))
    return 0


def check_address(value: str) -> str:
    address = value.strip()
    problem = None
    try:
        if ipaddress.ip_address(address).is_loopback:
            problem = _("is this computer's loopback address")
    except ValueError:
        if not _HOST.fullmatch(address):
            problem = _("is not a DNS name or an IP address")
        elif address.rstrip(".").lower() == "localhost":
            problem = _("is this computer's loopback address")
    if problem:
        raise UsageError(
            _("“{value}” {problem}. Give the server's public DNS name or external IP address, "
              "without https:// or a port: other security servers connect to it there.").format(
                value=value, problem=problem), _("Not a public address"))
    return address


async def _resolve(session: CliSession, ref: str) -> Located:
    assert session.client is not None
    tokens = await session.client.keys.tokens()
    path = Path(ref).expanduser()
    if path.is_file():
        from backend.pki.certfile import read_certificate_file

        ref = read_certificate_file(path).hash
    return find_certificate(tokens, ref)


async def register(session: CliSession, args: argparse.Namespace) -> int:
    address = check_address(args.address)
    located = await _resolve(session, args.hash)
    cert, key = located.certificate, located.key
    assert cert is not None and session.client is not None
    digest = cert.certificate_details.hash
    if key.usage != "AUTHENTICATION":
        raise Refused(
            _("Certificate {hash} is a signing certificate; only authentication certificates "
              "are registered this way (signing certificates are registered when "
              "imported).").format(hash=digest), _("Not an authentication certificate"))
    if cert.status in ("REGISTRATION_IN_PROGRESS", "REGISTERED"):
        session.say(_("Certificate {hash} is {status} already; nothing was sent.").format(
            hash=digest, status=cert.status))
        return 0
    if cert.possible_actions and "REGISTER" not in cert.possible_actions:
        raise Refused(
            _("Certificate {hash} cannot be registered in status {status}.").format(
                hash=digest, status=cert.status), _("Not possible now"))
    await session.with_warnings(lambda: session.client.certificates.register(digest, address))
    now = await session.client.certificates.get(digest)
    session.say(_("Registration request sent for {address}; status {status}.").format(
        address=address, status=now.status))
    session.say(_("The central server registers the certificate when it approves the request; "
                  "its status then becomes REGISTERED. Then activate it:"))
    session.say(f"  kapka cert activate {digest}")
    return 0


async def activate(session: CliSession, args: argparse.Namespace) -> int:
    located = await _resolve(session, args.hash)
    cert = located.certificate
    assert cert is not None and session.client is not None
    digest = cert.certificate_details.hash
    if cert.active:
        session.say(_("Certificate {hash} is active already; nothing was sent.").format(
            hash=digest))
        return 0
    if cert.possible_actions and "ACTIVATE" not in cert.possible_actions:
        raise Refused(
            _("Certificate {hash} cannot be activated in status {status}.").format(
                hash=digest, status=cert.status), _("Not possible now"))
    await session.with_warnings(lambda: session.client.certificates.activate(digest))
    now = await session.client.certificates.get(digest)
    session.say(_("Certificate {hash} activated: status {status}, {active}.").format(
        hash=digest, status=now.status, active=_("active") if now.active else _("not active")))
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "show":
        return run(args, lambda session: show(session, args), connect=False)
    work = {"check": check, "import": import_certificate, "register": register,
            "activate": activate}[args.command]
    return run(args, lambda session: work(session, args))
