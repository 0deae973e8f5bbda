"""The command palette's Kapka commands, named "area: verb"; nothing dangerous in read-only mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from backend.i18n import _


@dataclass(frozen=True)
class KapkaCommand:
    name: str
    help: str
    callback: Callable[[], Any]
    dangerous: bool = False  # changes a server: not offered in read-only mode


def kapka_commands(app: Any) -> list[KapkaCommand]:
    """The commands that make sense now, for the palette (and for tests)."""
    commands: list[KapkaCommand] = []
    if app.server is not None:
        commands.append(KapkaCommand(_("dashboard: refresh"),
                                     _("Load the dashboard again from the server"),
                                     app.action_refresh_dashboard))
        commands.append(KapkaCommand(_("dashboard: show"), _("Go to the dashboard"),
                                     app.show_dashboard))
        commands.append(KapkaCommand(_("keys: open"),
                                     _("Tokens, keys, certificates and CSRs; what can be done "
                                       "with each"), app.show_keys))
        commands.append(KapkaCommand(_("keys: expiry overview"),
                                     _("Every certificate by days left, with renewal progress"),
                                     partial(_open_expiry, app)))
        commands.append(KapkaCommand(_("access: open"),
                                     _("Access rights of a client's services, by service and by "
                                       "subject"), partial(app.action_access, "service")))
        commands.append(KapkaCommand(_("access: matrix"),
                                     _("Services × subjects of a client: grant and revoke many at "
                                       "once"), partial(app.action_access, "matrix")))
        commands.append(KapkaCommand(_("clients: open"),
                                     _("Members and subsystems: add, register, unregister and "
                                       "delete, connection type, TLS certificates"),
                                     app.show_clients))
        commands.append(KapkaCommand(_("services: open"),
                                     _("Service descriptions, services and endpoints of a client "
                                       "(asks which)"), partial(_open_services, app)))
        commands.append(KapkaCommand(_("setup: open wizard"),
                                     _("Set up the server step by step; resumes where the server "
                                       "is (read-only mode: shows the state)"), app.show_setup))
    commands.append(KapkaCommand(_("archives: open"),
                                 _("Message-log archives on this host: records by query id, client, "
                                   "service and time; files; retention"), app.show_archives))
    commands.append(KapkaCommand(_("archives: verify"),
                                 _("Verify the chains, containers and signatures of every archive, in "
                                   "the background"), partial(app.show_archives, verify=True)))
    commands.append(KapkaCommand(_("connection: switch profile / connect screen"),
                                 _("Connect to another server or change this profile"),
                                 app.action_connect_screen))
    for name, profile in sorted(app.config.profiles.items()):
        commands.append(KapkaCommand(
            _("connection: connect with profile {name}").format(name=name),
            profile.url, partial(app.connect_profile, name)))
    commands.append(KapkaCommand(
        _("connection: create an API key with a password"),
        _("On the server itself: a new key through /api-keys (changes the server)"),
        partial(_open_create_key, app), dangerous=True))
    commands.append(KapkaCommand(_("theme: dark"), _("Kapka's dark theme"),
                                 partial(app.action_set_theme, "kapka-dark")))
    commands.append(KapkaCommand(_("theme: light"), _("Kapka's light theme"),
                                 partial(app.action_set_theme, "kapka-light")))
    commands.append(KapkaCommand(_("app: help"), _("Every key of the current screen"),
                                 app.action_help))
    commands.append(KapkaCommand(_("app: quit"), _("Leave Kapka"), partial(app.exit, 0)))
    if app.read_only:
        commands = [command for command in commands if not command.dangerous]
    return commands


def _open_expiry(app: Any) -> None:
    app.show_keys()
    app.call_after_refresh(_select_expiry, app)


def _select_expiry(app: Any) -> None:
    action = getattr(app.screen, "action_expiry", None)
    if callable(action):
        action()


def _open_services(app: Any) -> None:
    from screens.services import open_services

    open_services(app)


def _open_create_key(app: Any) -> None:
    app.action_connect_screen()
    app.call_after_refresh(_select_create_key, app)


def _select_create_key(app: Any) -> None:
    action = getattr(app.screen, "action_create_key", None)
    if callable(action):
        action()


class KapkaCommands(Provider):
    """Kapka's own commands in the palette (ctrl+p)."""

    async def discover(self) -> Hits:
        for command in kapka_commands(self.app):
            yield DiscoveryHit(command.name, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in kapka_commands(self.app):
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.callback,
                          help=command.help)
