"""Build the console's objects from the command line and run the app."""

from __future__ import annotations

import argparse

from backend.i18n import _, set_language


def run_console(args: argparse.Namespace) -> int:
    from console import paths
    from console.app import KapkaApp
    from console.audit import AuditJournal
    from console.config import Config, ConfigError
    from console.connector import Connector
    from console.secrets import SecretStore

    config = Config.load(args.config)
    if config.language:
        set_language(config.language)
    read_only = bool(args.read_only or config.read_only)
    secrets = SecretStore()

    if args.sandbox:
        from console.sandbox_session import EmbeddedSandbox

        journal = AuditJournal(profile="sandbox")
        connector = Connector(config, secrets, journal, read_only=read_only)
        data_dir = args.sandbox_data or paths.sandbox_data_dir()
        with EmbeddedSandbox(data_dir, fresh=args.fresh, journal=journal) as sandbox:
            app = KapkaApp(connector=connector, config=config,
                           client=sandbox.client(read_only=read_only),
                           profile_label="sandbox", read_only=read_only)
            app.run()
            return app.return_code or 0

    profile = config.profile(args.profile)
    if args.profile and profile is None:
        raise ConfigError(
            _("There is no profile named {name} in {path}. Profiles: {names}.").format(
                name=args.profile, path=config.path,
                names=", ".join(sorted(config.profiles)) or _("none yet")),
            _("Unknown profile"),
        )
    journal = AuditJournal(profile=profile.name if profile else None,
                           server_url=profile.url if profile else None)
    connector = Connector(config, secrets, journal, read_only=read_only)
    app = KapkaApp(connector=connector, config=config, profile_name=args.profile,
                   read_only=read_only)
    app.run()
    return app.return_code or 0
