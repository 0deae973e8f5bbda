"""Build the console's objects from the command line and run the app."""

from __future__ import annotations

import argparse
import gc
from typing import TYPE_CHECKING

from backend.i18n import _, set_language

if TYPE_CHECKING:
    from console.config import Config
    from console.sandbox_session import EmbeddedSandbox
    from console.secrets import SecretStore


def run_console(args: argparse.Namespace) -> int:
    # Start-up imports make a great many objects that live as long as the process; collecting
    # while they are made only walks them again and again (a tenth of a second before the first
    # paint). Collection is paused until they are all made, then they are set aside (_settle).
    gc.disable()
    try:
        return _run_console(args)
    finally:
        gc.enable()


def _settle_startup_objects() -> None:
    """Everything imported so far lives as long as the process: later collections skip it."""
    gc.freeze()
    gc.enable()


def _run_console(args: argparse.Namespace) -> int:
    from console import paths
    from console.config import Config, ConfigError

    config = Config.load(args.config)
    if config.language:  # before the app's modules are imported: their labels are translated then
        set_language(config.language)

    if args.sandbox:
        from console.sandbox_session import EmbeddedSandbox

        # the sandbox's process is started once the dashboard is painted (EmbeddedSandbox.connect)
        sandbox = EmbeddedSandbox(args.sandbox_data or paths.sandbox_data_dir(), fresh=args.fresh)
        try:
            return _run_app(args, config, sandbox=sandbox)
        finally:
            sandbox.close()

    profile = config.profile(args.profile)
    if args.profile and profile is None:
        raise ConfigError(
            _("There is no profile named {name} in {path}. Profiles: {names}.").format(
                name=args.profile, path=config.path,
                names=", ".join(sorted(config.profiles)) or _("none yet")),
            _("Unknown profile"),
        )
    return _run_app(args, config)


def _run_app(args: argparse.Namespace, config: Config, *,
             sandbox: EmbeddedSandbox | None = None) -> int:
    from console.app import KapkaApp
    from console.audit import AuditJournal
    from console.connector import Connector

    read_only = bool(args.read_only or config.read_only)
    if sandbox is not None:
        journal = AuditJournal(profile="sandbox")
        sandbox.journal = journal
    else:
        profile = config.profile(args.profile)
        journal = AuditJournal(profile=profile.name if profile else None,
                               server_url=profile.url if profile else None)
    connector = Connector(config, _secret_store, journal, read_only=read_only)
    if sandbox is not None:
        app = KapkaApp(connector=connector, config=config, profile_label="sandbox",
                       read_only=read_only,
                       pending_client=lambda: sandbox.connect(read_only=read_only),
                       archive_settings=sandbox.archive_settings(config.archives))
    else:
        app = KapkaApp(connector=connector, config=config, profile_name=args.profile,
                       read_only=read_only)
    _settle_startup_objects()
    app.run()
    return app.return_code or 0


def _secret_store() -> SecretStore:
    """Made on first use: probing the system keyring takes a moment the first paint need not wait."""
    from console.secrets import SecretStore

    return SecretStore()
