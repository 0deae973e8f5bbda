"""The setup wizard's flow: its steps, and which one is next, read back from the server.

Nothing here keeps state of its own. ``read_setup_state`` asks the security server how far its
setup got (initialisation status, timestamping services, the software token with its keys, CSRs
and certificates) and ``current_step`` derives the first step that is not done yet. Quitting at
any step and coming back therefore resumes where the server is, never where a local file says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.api.errors import NotFound, PermissionDenied
from backend.api.models import (
    InitializationStatus,
    Key,
    TimestampingService,
    Token,
    TokenCertificate,
    TokenCertificateSigningRequest,
)
from backend.errors import KapkaError
from backend.i18n import N_, _

AUTHENTICATION, SIGNING = "AUTHENTICATION", "SIGNING"
OCSP_GOOD = "OCSP_RESPONSE_GOOD"


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str  # marked with N_: translate with _() when shown


STEPS: tuple[Step, ...] = (
    Step(1, "anchor", N_("Configuration anchor")),
    Step(2, "owner", N_("Owner and server code")),
    Step(3, "pin", N_("Software token PIN")),
    Step(4, "timestamping", N_("Timestamping service")),
    Step(5, "login", N_("Token login")),
    Step(6, "keys", N_("Keys and CSRs")),
    Step(7, "export", N_("Send the CSRs to the CA")),
    Step(8, "import", N_("Import the certificates")),
    Step(9, "register", N_("Register the auth certificate")),
    Step(10, "approval", N_("Wait for approval")),
    Step(11, "activate", N_("Activate the certificates")),
)
LAST_STEP = len(STEPS)
DONE = LAST_STEP + 1


def step_title(number: int) -> str:
    if number >= DONE:
        return _("Done")
    return _(STEPS[number - 1].title)


def step_line(number: int) -> str:
    """"Step 3 of 11 · Software token PIN · next: Timestamping service"."""
    if number >= DONE:
        return _("Setup complete: all {n} steps are done.").format(n=LAST_STEP)
    line = _("Step {n} of {total} · {title}").format(n=number, total=LAST_STEP,
                                                      title=step_title(number))
    if number < LAST_STEP:
        line += " · " + _("next: {title}").format(title=step_title(number + 1))
    return line


# -- what the server says --------------------------------------------------------------------------

CERT_RANK = {"REGISTERED": 4, "REGISTRATION_IN_PROGRESS": 3, "SAVED": 2, "GLOBAL_ERROR": 1}
UNUSABLE = frozenset({"DELETION_IN_PROGRESS"})


@dataclass(frozen=True)
class KeyProgress:
    """One key of the setup (authentication, or the owner's signing key) and how far it got."""

    key: Key
    csr: TokenCertificateSigningRequest | None = None
    certificate: TokenCertificate | None = None

    @property
    def cert_hash(self) -> str | None:
        return self.certificate.certificate_details.hash if self.certificate else None

    @property
    def usage(self) -> str:
        return self.key.usage or ""

    def rank(self) -> float:
        if self.certificate is not None:
            return CERT_RANK.get(self.certificate.status, 0) + (0.5 if self.certificate.active
                                                                 else 0.0)
        return 1.5 if self.csr is not None else 0.0


def _progress(key: Key, owner_id: str | None) -> KeyProgress | None:
    """The key's most advanced certificate, else its CSR (for ``owner_id`` if a signing key)."""
    def mine(owner: str | None) -> bool:
        return key.usage != SIGNING or owner_id is None or owner is None or owner == owner_id

    certs = [c for c in key.certificates if c.status not in UNUSABLE and mine(c.owner_id)]
    csrs = [c for c in key.certificate_signing_requests if mine(c.owner_id)]
    best: KeyProgress | None = None
    for cert in certs:
        candidate = KeyProgress(key, csrs[0] if csrs else None, cert)
        if best is None or candidate.rank() > best.rank():
            best = candidate
    if best is None and csrs:
        best = KeyProgress(key, csrs[-1], None)
    return best


def pick_key(token: Token | None, usage: str, owner_id: str | None = None) -> KeyProgress | None:
    """The key of ``usage`` that got furthest (a certificate beats a CSR), if any."""
    if token is None:
        return None
    found = [p for key in token.keys if key.usage == usage
             if (p := _progress(key, owner_id)) is not None]
    return max(found, key=KeyProgress.rank) if found else None


@dataclass(frozen=True)
class SetupState:
    """The server's setup state, as read at ``read_at``."""

    status: InitializationStatus
    timestamping: tuple[TimestampingService, ...] = ()
    token: Token | None = None
    server_id: str | None = None  # INSTANCE:CLASS:CODE:SERVERCODE
    instance: str | None = None
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def owner_id(self) -> str | None:
        """INSTANCE:CLASS:CODE of the server owner (for the signing CSR)."""
        if self.server_id and self.server_id.count(":") >= 3:
            return self.server_id.rsplit(":", 1)[0]
        return None

    @property
    def server_code(self) -> str | None:
        return self.server_id.rsplit(":", 1)[1] if self.owner_id and self.server_id else None

    @property
    def owner_done(self) -> bool:
        return self.status.is_server_owner_initialized and self.status.is_server_code_initialized

    @property
    def token_initialised(self) -> bool:
        return self.status.software_token_init_status != "NOT_INITIALIZED"

    @property
    def logged_in(self) -> bool:
        return bool(self.token and self.token.logged_in)

    @property
    def auth(self) -> KeyProgress | None:
        return pick_key(self.token, AUTHENTICATION)

    @property
    def sign(self) -> KeyProgress | None:
        return pick_key(self.token, SIGNING, self.owner_id)

    def waiting_for_certificates(self) -> list[KeyProgress]:
        """The setup's keys that have a CSR but no certificate yet (authentication first)."""
        return [p for p in (self.auth, self.sign)
                if p is not None and p.certificate is None and p.csr is not None]


def current_step(state: SetupState) -> int:
    """The first step the server has not done yet (``DONE`` when everything is)."""
    status = state.status
    if not status.is_anchor_imported:
        return 1
    if not state.owner_done:
        return 2
    if not state.token_initialised:
        return 3
    if not state.timestamping:
        return 4
    if not state.logged_in:
        return 5
    auth, sign = state.auth, state.sign
    if auth is None or sign is None:
        return 6
    if auth.certificate is None and sign.certificate is None:
        return 7
    if auth.certificate is None or sign.certificate is None:
        return 8
    status_of_auth = auth.certificate.status
    if status_of_auth == "SAVED":
        return 9
    if status_of_auth in ("REGISTRATION_IN_PROGRESS", "GLOBAL_ERROR"):
        return 10
    if not auth.certificate.active or not sign.certificate.active:
        return 11
    return DONE


async def read_setup_state(client: Any) -> SetupState:
    """Ask the server how far its setup got (only reads)."""
    status = await client.setup.status()
    timestamping: tuple[TimestampingService, ...] = ()
    token: Token | None = None
    server_id: str | None = None
    instance: str | None = None
    if status.is_anchor_imported:
        instance = await _local_instance(client)
    if status.is_server_owner_initialized and status.is_server_code_initialized:
        # X-Road's server configuration exists from the initialisation on (500 before it)
        timestamping = tuple(await client.setup.timestamping_services())
        server_id = await _server_id(client)
    if status.software_token_init_status != "NOT_INITIALIZED":
        try:
            token = await client.keys.token()
        except KapkaError as error:
            if status.software_token_init_status != "UNKNOWN":
                raise
            raise KapkaError(_("The server does not know the state of its software token "
                               "(UNKNOWN): is xroad-signer running? Check with: systemctl "
                               "status xroad-signer. ({error})").format(error=error.message),
                             _("Software token unknown")) from error
    return SetupState(status=status, timestamping=timestamping, token=token,
                      server_id=server_id, instance=instance)


async def _server_id(client: Any) -> str | None:
    try:
        servers = await client.security_servers(current_server=True)
    except (NotFound, PermissionDenied):
        return None
    return servers[0].id if servers else None


async def _local_instance(client: Any) -> str | None:
    try:
        instances = await client.setup.instances()
    except (NotFound, PermissionDenied):
        return None
    local = [instance.identifier for instance in instances if instance.local]
    return local[0] if local else None
