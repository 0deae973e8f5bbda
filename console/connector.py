"""Turns a profile into a connected ``SecurityServerClient``; first-use trust and API-key creation.

Nothing here knows about the terminal: the screens call it through ``app.connector`` from workers.
A new or changed profile is saved only once a connection with it has worked (``establish``): the
pinned certificate, the API key in the secret store and the profile in the configuration file.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from backend.api.errors import NotFound, PermissionDenied, TlsTrustError
from backend.api.fingerprints import DEFAULT_SERVER_CERTIFICATE, fingerprint_sha256
from backend.api.models import ROLES
from backend.errors import KapkaError
from backend.i18n import _
from backend.secret import Secret
from console import paths
from console.config import Config, Profile, validate_url

if TYPE_CHECKING:  # the HTTP and TLS stack is imported when first used, after the first paint
    import httpx

    from backend.api.client import SecurityServerClient, ServerIdentity
    from backend.api.transport import ApiTransport
    from backend.api.trust import ServerCertificate, TlsTrust
    from backend.api.writes import Confirmer, WriteObserver, WriteRequest
    from console.secrets import SecretStore

API_PATH = "/api/v1"


def api_base_url(url: str) -> str:
    """The admin API's base URL: https only; a bare ``https://host:4000`` gets ``/api/v1``."""
    validate_url(url)
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        return url.rstrip("/") + API_PATH
    return url.rstrip("/")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def as_secret(value: Secret | str) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


def key_ref(profile_name: str) -> str:
    """The name under which a profile's API key is kept in the secret store."""
    return f"profile/{profile_name}"


class Connector:
    """Profiles → connections: trust, API keys from the secret store, audit, read-only."""

    def __init__(
        self,
        config: Config,
        secrets: SecretStore | Callable[[], SecretStore],
        journal: WriteObserver | None = None,
        *,
        read_only: bool = False,
        http_transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.config = config
        self._secrets = secrets
        self.journal = journal
        self.read_only = read_only
        self.http_transport_factory = http_transport_factory
        self.confirmer: Confirmer | None = None

    @property
    def secrets(self) -> SecretStore:
        """The secret store; made on first use when given as a factory (it probes the keyring)."""
        if callable(self._secrets):
            self._secrets = self._secrets()
        return self._secrets

    async def load_secrets(self) -> SecretStore:
        """``secrets``, made off the event loop if not made yet: the screen keeps painting."""
        if callable(self._secrets):
            store = await asyncio.to_thread(self._secrets)
            if callable(self._secrets):  # not made on the event loop meanwhile
                self._secrets = store
        return self.secrets

    # -- what the screens ask ----------------------------------------------------------------

    def is_read_only(self, profile: Profile | None = None) -> bool:
        return self.read_only or self.config.read_only or bool(profile and profile.read_only)

    def default_certificate(self) -> Path | None:
        """The security server's own API certificate, when Kapka runs on the server itself."""
        return DEFAULT_SERVER_CERTIFICATE if DEFAULT_SERVER_CERTIFICATE.is_file() else None

    @property
    def secrets_description(self) -> str:
        return self.secrets.backend_description

    async def unlock_secrets(self, passphrase: str) -> None:
        """Open the encrypted secrets file (a key derivation: done off the event loop)."""
        await asyncio.to_thread(self.secrets.unlock, passphrase)

    def check_url(self, url: str) -> str:
        """The admin API base URL for ``url``; a ``ConfigError`` says what is wrong with it."""
        return api_base_url(url)

    def new_profile(self, name: str, url: str, *, trust: str = "pinned",
                    certificate: str | None = None, read_only: bool = False,
                    username: str | None = None) -> Profile:
        """A profile from the connect screen's fields (validated; nothing saved yet).

        An existing profile of that name keeps its API key reference and, for an unchanged
        URL, its pinned certificate.
        """
        existing = self.config.profiles.get(name)
        keep_pin = (existing is not None and trust == "pinned" and existing.trust == "pinned"
                    and existing.url == url)
        return Profile(
            name=name, url=url, trust=trust,  # type: ignore[arg-type]
            certificate=certificate if trust == "file" else (
                existing.certificate if keep_pin and existing else None),
            fingerprint=existing.fingerprint if keep_pin and existing else None,
            api_key_ref=existing.api_key_ref if existing else None,
            read_only=read_only, username=username,
        )

    def check_certificate_file(self, path: str) -> TlsTrust:
        """A certificate file the operator named, checked to be readable and a certificate."""
        from backend.api.trust import TlsTrust

        trust = TlsTrust(Path(path).expanduser())
        trust.load()
        return trust

    # -- trust -------------------------------------------------------------------------------

    async def probe(self, url: str) -> ServerCertificate:
        """The certificate the server presents, for the operator to compare (nothing is sent)."""
        from backend.api.trust import probe_server_certificate

        return await probe_server_certificate(api_base_url(url))

    def pin(self, profile_name: str, certificate: ServerCertificate) -> tuple[str, str]:
        """Save the certificate as the profile's pinned one (mode 0600); returns (path, fingerprint)."""
        path = paths.trust_file(profile_name)
        paths.atomic_write_private(path, certificate.pem.encode("ascii"))
        self._record_local("certificate.pinned",
                           _("Pinned the certificate of profile {name}").format(name=profile_name),
                           profile=profile_name, fingerprint=certificate.fingerprint,
                           subject=certificate.subject, file=str(path))
        return str(path), certificate.fingerprint

    def pending_trust(self, profile_name: str, certificate: ServerCertificate) -> TlsTrust:
        """Trust ``certificate`` for trying a connection, without pinning it yet."""
        from backend.api.trust import TlsTrust

        path = self._pending_path(profile_name)
        paths.atomic_write_private(path, certificate.pem.encode("ascii"))
        return TlsTrust(path, certificate.fingerprint)

    def discard_pending(self, profile_name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._pending_path(profile_name))

    @staticmethod
    def _pending_path(profile_name: str) -> Path:
        return paths.trust_dir() / f".{profile_name}.pem.pending"

    def trust_for(self, profile: Profile) -> TlsTrust:
        from cryptography.hazmat.primitives.serialization import Encoding

        from backend.api.trust import TlsTrust

        if profile.trust == "file":
            return TlsTrust(Path(profile.certificate or "").expanduser())
        if not profile.fingerprint:
            raise TlsTrustError(
                _("Profile {name} has no pinned server certificate yet. Open the connect screen "
                  "and trust the server's certificate.").format(name=profile.name),
                _("Server not trusted yet"),
            )
        path = Path(profile.certificate).expanduser() if profile.certificate else \
            paths.trust_file(profile.name)
        trust = TlsTrust(path, profile.fingerprint)
        found = [fingerprint_sha256(cert.public_bytes(Encoding.DER)) for cert in trust.load()]
        if profile.fingerprint not in found:
            raise TlsTrustError(
                _("The pinned certificate file {path} does not have the fingerprint {fingerprint} "
                  "that profile {name} pinned. Someone changed the file: trust the server again "
                  "from the connect screen.").format(path=path, fingerprint=profile.fingerprint,
                                                     name=profile.name),
                _("Pinned certificate changed"),
            )
        return trust

    # -- API keys ----------------------------------------------------------------------------

    async def create_api_key(self, url: str, trust: TlsTrust | None, username: str,
                             password: Secret | str, roles: Iterable[str]) -> Secret:
        """Create an API key through ``/api-keys`` with a Linux user's password (localhost only).

        The password is used for this one request and kept nowhere.
        """
        base = api_base_url(url)
        if not is_loopback(base):
            raise KapkaError(
                _("A password can create an API key only on the security server itself: X-Road "
                  "accepts it from localhost only, and Kapka sends a Linux password nowhere else. "
                  "Run Kapka on the server, or create the key there and paste it."),
                _("Only on localhost"),
            )
        wanted = list(roles)
        if not wanted:
            raise KapkaError(_("Choose at least one role for the new API key."), _("No role chosen"))
        from backend.api import apikeys

        transport = self._transport(base, None, trust, read_only=self.is_read_only())
        async with transport:
            _listing, key = await apikeys.create_api_key(transport, username,
                                                         as_secret(password), wanted)
        return key

    async def api_key_for(self, profile: Profile) -> Secret:
        if not profile.api_key_ref:
            raise KapkaError(
                _("Profile {name} names no API key. Open the connect screen to paste or create "
                  "one.").format(name=profile.name),
                _("No API key"),
            )
        key = await asyncio.to_thread(self.secrets.get_api_key, profile.api_key_ref)
        if key is None:
            raise KapkaError(
                _("There is no API key \"{ref}\" in {where}. Open the connect screen to paste or "
                  "create one.").format(ref=profile.api_key_ref,
                                        where=self.secrets.backend_description),
                _("API key missing"),
            )
        return key

    # -- connections -------------------------------------------------------------------------

    def transport_for(self, profile: Profile, api_key: Secret | None) -> ApiTransport:
        return self._transport(api_base_url(profile.url), api_key, self.trust_for(profile),
                               read_only=self.is_read_only(profile), profile=profile)

    def _transport(self, base_url: str, api_key: Secret | None, trust: TlsTrust | None, *,
                   read_only: bool, profile: Profile | None = None) -> ApiTransport:
        from backend.api.transport import ApiTransport

        return ApiTransport(
            base_url,
            api_key=api_key,
            trust=trust,
            http_transport=self.http_transport_factory() if self.http_transport_factory else None,
            observer=self._journal_for(profile, base_url),
            confirmer=self._confirm,
            read_only=read_only,
        )

    async def _confirm(self, request: WriteRequest) -> bool:
        if self.confirmer is None:
            return True
        return await self.confirmer(request)

    def _journal_for(self, profile: Profile | None, url: str) -> WriteObserver | None:
        for_connection = getattr(self.journal, "for_connection", None)
        if profile is not None and callable(for_connection):
            return for_connection(profile.name, url)
        return self.journal

    async def connect(self, profile: Profile, *,
                      api_key: Secret | str | None = None) -> tuple[SecurityServerClient,
                                                                    ServerIdentity]:
        """Build the client and prove it works with ``client.identity()``."""
        from backend.api.client import SecurityServerClient

        key = as_secret(api_key) if api_key is not None else await self.api_key_for(profile)
        client = SecurityServerClient(self.transport_for(profile, key))
        try:
            identity = await client.identity()
        except BaseException:
            await client.aclose()
            raise
        return client, identity

    async def establish(self, profile: Profile, api_key: Secret | str, *,
                        certificate: ServerCertificate | None = None,
                        ) -> tuple[SecurityServerClient, ServerIdentity, Profile]:
        """Connect with a new or changed profile and save it only if that works.

        With ``certificate`` (trust on first use) the certificate is pinned after the connection
        worked. Returns the client, what the server said about itself and the saved profile.
        """
        key = as_secret(api_key)
        trial = dataclasses.replace(profile, api_key_ref=profile.api_key_ref or
                                    key_ref(profile.name))
        if certificate is not None:
            pending = self.pending_trust(profile.name, certificate)
            trial = dataclasses.replace(trial, trust="pinned", certificate=str(pending.certificate),
                                        fingerprint=certificate.fingerprint)
        try:
            client, identity = await self.connect(trial, api_key=key)
            try:
                saved = trial
                if certificate is not None:
                    path, fingerprint = await asyncio.to_thread(self.pin, profile.name, certificate)
                    saved = dataclasses.replace(trial, certificate=path, fingerprint=fingerprint)
                await asyncio.to_thread(self.save_profile, saved, key)
            except BaseException:
                await client.aclose()
                raise
        finally:
            if certificate is not None:
                self.discard_pending(profile.name)
        return client, identity, saved

    def save_profile(self, profile: Profile, api_key: Secret | None) -> None:
        """Key → secret store (never the configuration), profile → configuration file, audit.

        If the configuration cannot be saved, the secret store is put back as it was.
        """
        if api_key is not None and not profile.api_key_ref:
            profile = dataclasses.replace(profile, api_key_ref=key_ref(profile.name))
        previous_key = None
        if api_key is not None and profile.api_key_ref:
            previous_key = self.secrets.get_api_key(profile.api_key_ref)
            self.secrets.set_api_key(profile.api_key_ref, api_key)
        previous_profile = self.config.profiles.get(profile.name)
        previous_default = self.config.default_profile
        try:
            self.config.upsert_profile(profile)
            if self.config.default_profile is None:
                self.config.set_default(profile.name)
            self.config.save()
        except BaseException:
            if previous_profile is None:
                self.config.profiles.pop(profile.name, None)
            else:
                self.config.profiles[profile.name] = previous_profile
            self.config.default_profile = previous_default
            if api_key is not None and profile.api_key_ref:
                if previous_key is None:
                    self.secrets.delete_api_key(profile.api_key_ref)
                else:
                    self.secrets.set_api_key(profile.api_key_ref, previous_key)
            raise
        self._record_local(
            "profile.saved",
            _("Saved profile {name} for {url}").format(name=profile.name, url=profile.url),
            profile=profile.name, url=profile.url, trust=profile.trust,
            fingerprint=profile.fingerprint, api_key_ref=profile.api_key_ref,
            stored_in=self.secrets.backend_description if api_key is not None else None,
            read_only=profile.read_only,
        )

    async def server_id(self, client: SecurityServerClient) -> str | None:
        """The security server's own id (INSTANCE:CLASS:CODE:SERVERCODE), if the server says."""
        try:
            servers = await client.security_servers(current_server=True)
        except (NotFound, PermissionDenied):
            return None
        return servers[0].id if servers else None

    def _record_local(self, action: str, summary: str, **details: object) -> None:
        record_local = getattr(self.journal, "record_local", None)
        if callable(record_local):
            record_local(action, summary, **details)


__all__ = ["ROLES", "Connector", "api_base_url", "is_loopback", "key_ref"]
