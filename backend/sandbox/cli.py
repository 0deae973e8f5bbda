"""``kapka sandbox``: run the sandbox security server in the foreground, or a subcommand.

``kapka sandbox [--port N] [--data DIR] …`` serves; ``kapka sandbox anchor -o FILE`` writes the
sandbox instance's configuration anchor. Further subcommands register in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from backend.atomicfile import write_whole
from backend.errors import KapkaError
from backend.i18n import N_, _
from backend.sandbox.paths import (
    PASSWORD_ENV,
    default_data_dir,
    is_sandbox_data_dir,
    reset_data_dir,
)
from backend.sandbox.server import SandboxServer
from backend.sandbox.tls import fingerprint

DEFAULT_PORT = 4000

#: ``kapka sandbox NAME …``: NAME → (module, function taking the remaining arguments and returning
#: the exit status, help line). Subcommands are loaded only when used; ``ca`` joins here the same
#: way (``"ca": ("backend.sandbox.<module>", "main", N_("…"))``).
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "anchor": ("backend.sandbox.cli", "anchor_main",
               N_("write the sandbox instance's configuration anchor to a file")),
    "ca": ("backend.sandbox.ca", "main",
           N_("sign CSRs and revoke certificates as the sandbox's certification authority")),
    "traffic": ("backend.sandbox.traffic.command", "main",
                N_("log generated SOAP and REST traffic and archive it as X-Road does")),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka sandbox",
        description=_("Run a sandbox X-Road security server (admin API over HTTPS on "
                      "127.0.0.1) until interrupted."),
        epilog=_("commands:\n{commands}\n\nRun 'kapka sandbox COMMAND --help' for a command's "
                 "options.").format(commands="\n".join(
                     f"  {name:<10} {_(help_text)}"
                     for name, (_module, _function, help_text) in SUBCOMMANDS.items())),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=_("port to listen on (default {port}; 0 picks a free one)").format(
                            port=DEFAULT_PORT))
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help=_("data directory (default {path})").format(path=default_data_dir()))
    parser.add_argument("--admin-password", default=None, metavar="PW",
                        help=_("password of the admin user (else ${env}, else one is generated on "
                               "the first start)").format(env=PASSWORD_ENV))
    parser.add_argument("--reset", action="store_true",
                        help=_("delete the sandbox data directory first and start afresh"))
    return parser


def _password_line(server: SandboxServer, given: bool) -> str:
    state = server.state
    info = server.info
    if state is not None and state.generated_admin_password is not None and info is not None:
        return _("Admin password:  {password}  (generated now; also stored in {file})").format(
            password=state.generated_admin_password, file=info.admin_password_file)
    if given:
        return _("Admin password:  as given with --admin-password or ${env}").format(
            env=PASSWORD_ENV)
    if info is not None and info.admin_password_file is not None:
        return _("Admin password:  stored in {file}").format(file=info.admin_password_file)
    return _("Admin password:  as set on an earlier start")


def anchor_main(argv: list[str]) -> int:
    """``kapka sandbox anchor -o FILE [--data DIR]``: the instance's configuration anchor."""
    from backend.sandbox.anchor import (
        CENTRAL_DIR_NAME,
        anchor_hash,
        delimited,
        ensure_central_server,
        parse_anchor,
    )
    from backend.sandbox.seed import load_seed

    parser = argparse.ArgumentParser(
        prog="kapka sandbox anchor",
        description=_("Write the configuration anchor of the sandbox's instance, as its central "
                      "server publishes it, for uploading during the initialisation."),
    )
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                        help=_("file to write the anchor to"))
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help=_("data directory (default {path})").format(path=default_data_dir()))
    args = parser.parse_args(argv)
    data_dir: Path = args.data or default_data_dir()
    if not is_sandbox_data_dir(data_dir):
        print(_("{path} is not a sandbox data directory; start the sandbox once with "
                "'kapka sandbox' first.").format(path=data_dir), file=sys.stderr)
        return 1
    try:
        central = ensure_central_server(data_dir / CENTRAL_DIR_NAME, load_seed().instance)
        write_whole(args.output, central.anchor)
    except (KapkaError, OSError) as error:
        print(_("Cannot write the anchor: {reason}").format(
            reason=getattr(error, "message", None) or error), file=sys.stderr)
        return 1
    anchor = parse_anchor(central.anchor)
    print("\n".join([
        _("Wrote the configuration anchor of instance {instance} to {path}.").format(
            instance=anchor.instance_identifier, path=args.output),
        _("Hash (SHA-224): {hash}").format(hash=delimited(anchor_hash(central.anchor))),
    ]))
    return 0


def main(argv: list[str]) -> int:
    """Entry point of ``kapka sandbox``; returns the exit status."""
    if argv and argv[0] in SUBCOMMANDS:
        module_name, function_name, _help = SUBCOMMANDS[argv[0]]
        command: Callable[[list[str]], int] = getattr(
            importlib.import_module(module_name), function_name)
        return command(argv[1:])
    args = _parser().parse_args(argv)
    data_dir: Path = args.data or default_data_dir()
    password = args.admin_password or os.environ.get(PASSWORD_ENV) or None
    try:
        if args.reset and reset_data_dir(data_dir):
            print(_("Deleted the sandbox data directory {path}.").format(path=data_dir))
        server = SandboxServer(data_dir, port=args.port, admin_password=password)
        info = server.start(log_to_stderr=True)
    except KapkaError as error:
        print(f"{error.title}: {error.message}", file=sys.stderr)
        return 1
    lines = [
        _("Kapka sandbox security server (X-Road 7.8 admin API)"),
        _("API:             {url}").format(url=info.base_url),
        _("Certificate:     {path}").format(path=info.certificate_path),
        _("SHA-256:         {fingerprint}").format(fingerprint=fingerprint(info.certificate_path)),
        _("Data directory:  {path}").format(path=info.data_dir),
        _("Admin user:      {user}").format(user=info.admin_username),
        _password_line(server, password is not None),
        _("Serving until interrupted (Ctrl-C)."),
    ]
    print("\n".join(lines), flush=True)
    server.run()
    return 0
