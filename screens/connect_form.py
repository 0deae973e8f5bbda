"""Reading and checking the connect screen's fields, before anything goes over the network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input

from backend.errors import KapkaError
from backend.i18n import _


class FormProblem(Exception):
    """One field is not right; ``message`` says what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ConnectForm:
    profile: Any  # console.config.Profile, unsaved
    certificate: Any = None  # a probed ServerCertificate to pin, for trust on first use
    api_key: str | None = None  # pasted
    username: str = ""
    password: str = ""
    roles: tuple[str, ...] = ()


def read_form(screen: Any) -> ConnectForm:
    """The connect screen's fields as a profile and credentials; raises ``FormProblem``."""
    connector = screen.app.connector

    def value(selector: str) -> str:
        return screen.query_one(selector, Input).value.strip()

    name = value("#profile-name")
    if not name:
        raise FormProblem("profile-name", _("Give the profile a name, e.g. default."))
    url = value("#url")
    try:
        connector.check_url(url)
    except KapkaError as error:
        raise FormProblem("url", error.message) from None

    trust = screen.trust_mode
    certificate_path: str | None = None
    probed = None
    if trust == "file":
        certificate_path = value("#certificate-path")
        if not certificate_path:
            raise FormProblem("certificate-path", _(
                "Name the server's certificate file (on the server: "
                "/etc/xroad/ssl/proxy-ui-api.crt), or choose trust on first use."))
        if not Path(certificate_path).expanduser().is_file():
            raise FormProblem("certificate-path", _(
                "There is no file {path}. Check the path, or choose trust on first use.").format(
                path=certificate_path))
        try:
            connector.check_certificate_file(certificate_path)
        except KapkaError as error:
            raise FormProblem("certificate-path", error.message) from None

    read_only = screen.query_one("#read-only", Checkbox).value
    username = value("#username")
    try:
        profile = connector.new_profile(name, url, trust=trust, certificate=certificate_path,
                                        read_only=read_only,
                                        username=username or None)
    except KapkaError as error:
        raise FormProblem("profile-name", error.message) from None

    if trust == "pinned":
        panel_confirmed = screen.query_one("#fingerprint-confirmed", Checkbox).value
        if screen.probed is not None and screen.probed_url == url:
            if not panel_confirmed:
                raise FormProblem("probe", _(
                    "Compare the fingerprint shown with the one the server reports, then tick "
                    "the box to trust it."))
            probed = screen.probed
        elif not profile.fingerprint:
            raise FormProblem("probe", _(
                "Read the server's certificate first and compare its fingerprint (or choose a "
                "certificate file)."))

    form = ConnectForm(profile=profile, certificate=probed)
    if screen.key_mode == "paste":
        key = value("#api-key")
        if not key:
            raise FormProblem("api-key", _(
                "Paste the API key (it is not shown), or choose to create one with your Linux "
                "user and password."))
        form.api_key = key
        return form
    if getattr(screen.app, "read_only", False):
        raise FormProblem("api-key", _(
            "Kapka runs in read-only mode, and creating an API key changes the server. Paste an "
            "existing key, or start Kapka without --read-only."))
    form.username = username
    form.password = screen.query_one("#password", Input).value
    form.roles = tuple(screen.query_one("#roles").selected)
    reusable = screen.created_key is not None and screen.created_for == (url, username)
    if not form.username:
        raise FormProblem("api-key", _("Type the Linux user name that creates the key."))
    if not form.password and not reusable:
        raise FormProblem("api-key", _("Type that user's password (it is used once, not stored)."))
    if not form.roles:
        raise FormProblem("api-key", _("Choose at least one role for the new key."))
    return form
