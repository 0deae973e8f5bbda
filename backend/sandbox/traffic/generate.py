"""Generate message-log traffic on a sandbox data directory and archive it as X-Road does.

:func:`generate` works on the data directory directly, like ``kapka sandbox ca``: it reads the
server's configuration, enters traffic certificates in the CAs' register and writes
``<data>/messagelog``; it changes nothing else, so it may run beside a running sandbox.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from backend.errors import KapkaError
from backend.i18n import _
from backend.pki.names import java_dn
from backend.sandbox.ca import SandboxCA
from backend.sandbox.hashing import verify_secret
from backend.sandbox.traffic import gpg, verificationconf
from backend.sandbox.traffic.archive import (
    DEFAULT_MAX_FILESIZE,
    DEFAULT_TRANSACTION_BATCH,
    ArchiveWriter,
    SavedFile,
)
from backend.sandbox.traffic.engine import WINDOW_MS, Engine, Settings
from backend.sandbox.traffic.messages import Party
from backend.sandbox.traffic.plan import Participants, plan
from backend.sandbox.traffic.signers import (
    Signers,
    TokenCertificate,
    open_token_keys,
    register_lookup,
    token_certificates,
)
from backend.sandbox.traffic.state import Layout, LogState
from backend.sandbox.tsa import TimestampAuthority
from backend.sandbox.wire import utcnow

#: records end this long before now (the last ones are timestamped now)
END_MARGIN_MS = 2_000
#: the first records come this long after the PKI's certificates start
START_MARGIN_MS = 60_000


class NotReady(KapkaError):
    """The server cannot log traffic yet (not initialised, no timestamping service, wrong PIN)."""

    exit_code = 3


class UsageProblem(KapkaError):
    exit_code = 2


@dataclass(frozen=True)
class Options:
    records: int
    days: float = 3.0
    grouping: str = "none"
    encrypt: bool = False
    seed: int | None = None
    max_filesize: int = DEFAULT_MAX_FILESIZE
    transaction_batch: int = DEFAULT_TRANSACTION_BATCH
    max_sig_batch: int = 200
    #: how long the signer and the timestamper collect before they sign or stamp a batch
    window_ms: int = WINDOW_MS


@dataclass
class Result:
    layout: Layout
    server_id: str
    start_ms: int
    end_ms: int
    records: int
    first_id: int
    files: list[SavedFile] = field(default_factory=list)
    signatures: int = 0
    batch_timestamps: int = 0
    single_timestamps: int = 0
    issued: list[str] = field(default_factory=list)
    token_signers: list[str] = field(default_factory=list)
    gpg_home: Path | None = None
    gpg_created: bool = False


def _title() -> str:
    return _("Message-log traffic")


def _server(authority: SandboxCA) -> tuple[str, str, str]:
    row = authority.connection.execute(
        "SELECT anchor_imported, owner_member_class, owner_member_code, server_code, "
        "token_pin_hash FROM server_conf WHERE id = 1").fetchone()
    if row is None or not row[0] or not row[1] or not row[3] or not row[4]:
        raise NotReady(_("The sandbox security server is not initialised, so it logs no messages. "
                         "Initialise it first: start 'kapka --sandbox' and follow the setup "
                         "wizard (configuration anchor, owner, server code, token PIN)."), _title())
    return str(row[1]), str(row[2]), str(row[3])


def _timestamping_authority(authority: SandboxCA) -> TimestampAuthority:
    names = [row[0] for row in authority.connection.execute(
        "SELECT name FROM timestamping_services ORDER BY added_at, name").fetchall()]
    for name in names:
        if name in authority.pki.tsas:
            return TimestampAuthority.of(authority.pki.tsas[name])
    raise NotReady(_("No timestamping service is configured, so the message log cannot timestamp "
                     "records. Add one of the approved services first (Settings → Timestamping "
                     "services in the console)."), _title())


def _participants(authority: SandboxCA, owner: Party) -> Participants:
    """The server's registered subsystems are local; until it has one, the owner's subsystems in
    the global configuration stand in (and else the owner member itself)."""
    seed = authority.seed
    rows = authority.connection.execute(
        "SELECT member_class, member_code, subsystem_code FROM clients WHERE "
        "instance_identifier = ? AND subsystem_code IS NOT NULL AND status = 'REGISTERED'",
        (seed.instance,)).fetchall()
    local = {Party(str(c), str(m), str(s)) for c, m, s in rows}
    owner_member = seed.member(owner.member_class, owner.member_code)
    if not local and owner_member is not None:
        local = {Party(owner.member_class, owner.member_code, s) for s in owner_member.subsystems}
    remote = {Party(m.member_class, m.code, s) for m in seed.members for s in m.subsystems} - local
    ordered = sorted(local, key=Party.sort_key) or [owner]
    return Participants(seed.instance, tuple(ordered), tuple(sorted(remote, key=Party.sort_key)))


def _authorities(authority: SandboxCA) -> tuple[int, int]:
    """From when until when every certificate the traffic rests on is valid (ms): the test CA, its
    OCSP responder and the timestamping authorities."""
    pki = authority.pki
    certs = [pki.ca.cert, pki.ocsp.cert, *(tsa.cert for tsa in pki.tsas.values())]
    return (max(_ms(cert.not_valid_before_utc) for cert in certs),
            min(_ms(cert.not_valid_after_utc) for cert in certs))


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(moment_ms: int) -> str:
    return dt.datetime.fromtimestamp(moment_ms / 1000, dt.UTC).isoformat(timespec="seconds")


def _period(authority: SandboxCA, days: float, state: LogState, now_ms: int) -> tuple[int, int]:
    """The records' time span: the last ``days`` up to now, after the previous run's last record.

    Asking for more than the authorities' certificates cover is refused, not cut short.
    """
    valid_from, valid_until = _authorities(authority)
    end = now_ms - END_MARGIN_MS
    if end > valid_until:
        raise NotReady(_("The sandbox's CA, OCSP responder or a timestamping authority expired at "
                         "{time}; traffic up to now needs them valid. Start a sandbox on a new "
                         "data directory to have new ones made.").format(time=_moment(valid_until)),
                       _title())
    earliest = valid_from + START_MARGIN_MS
    wanted = end - int(days * 86_400_000)
    if wanted < earliest:
        most = math.floor((end - earliest) / 86_400_000 * 10_000)  # in 1/10,000 days
        if most <= 0:
            raise NotReady(_("The sandbox's CA, OCSP responder and timestamping authorities are "
                             "valid only from {time}; traffic can begin a minute after that. Run "
                             "the command again in a minute.").format(time=_moment(valid_from)),
                           _title())
        raise UsageProblem(_("The sandbox's CA, OCSP responder and timestamping authorities are "
                             "valid from {time}, so traffic can reach back at most {most} days. "
                             "Give --days {most} or fewer.").format(
            time=_moment(valid_from), most=f"{most / 10_000:.4f}".rstrip("0").rstrip(".")),
                           _title())
    start = max(wanted, state.last_record_ms + 1)
    if end <= start:
        raise NotReady(_("The sandbox has no time left to fill: its message log already holds "
                         "traffic up to {time}. Run the command again in a few seconds.").format(
            time=_moment(max(start, end))), _title())
    return start, end


def generate(
    data_dir: Path,
    options: Options,
    pin: Callable[[], str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Generate ``options.records`` records and archive them; ``pin`` gives the token PIN when
    the token holds signing certificates to use."""
    authority = SandboxCA.open(data_dir)
    try:
        return _generate(authority, data_dir, options, pin, progress)
    finally:
        authority.close()


def _generate(authority: SandboxCA, data_dir: Path, options: Options,
              pin: Callable[[], str] | None, progress: Callable[[int, int], None] | None) -> Result:
    seed = authority.seed
    owner_class, owner_code, server_code = _server(authority)
    tsa = _timestamping_authority(authority)
    layout = Layout.of(data_dir)
    state = LogState.load(layout.state_file)
    now_ms = int(utcnow().timestamp() * 1000)
    start_ms, end_ms = _period(authority, options.days, state, now_ms)
    signers = _signers(authority, layout, pin)
    server_id = "/".join((seed.instance, owner_class, owner_code, server_code))
    layout.create()
    gpg_home = layout.gpg_home if options.encrypt else None
    gpg_created = gpg.ensure_home(layout.gpg_home, server_id) if options.encrypt else False
    rng = random.Random(options.seed)
    people = _participants(authority, Party(owner_class, owner_code))
    messages, records = plan(rng, people, options.records, start_ms, end_ms)
    members = {message.signer_member for message in messages}
    signers.prepare(members, start_ms, end_ms)
    result = Result(layout, server_id, records[0].time_ms, records[-1].time_ms, len(records),
                    state.next_record_id, gpg_home=gpg_home, gpg_created=gpg_created)
    result.issued = [java_dn(s.certificate.cert.subject) for s in signers.issued]
    verificationconf.write(layout.verification_conf, seed, authority.pki)

    for record in records:
        record.id = state.next_record_id
        state.next_record_id += 1
    state.last_record_ms = end_ms
    state.save(layout.state_file)  # the ids are taken, like a sequence's, even if the run fails

    def saved(file: SavedFile) -> None:
        state.save(layout.state_file)

    writer = ArchiveWriter(layout.archive, state.heads, max_filesize=options.max_filesize,
                           gpg_home=result.gpg_home, on_saved=saved)
    settings = Settings(seed.instance, options.grouping, options.transaction_batch,
                        options.max_sig_batch, window_ms=options.window_ms)
    engine = Engine(settings, signers, tsa, writer, rng)

    def advance(count: int) -> None:
        if progress is not None:
            progress(count, result.records)

    try:
        engine.run(messages, records, now_ms, advance)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        if result.gpg_home is not None:
            gpg.stop_agent(result.gpg_home)
    result.files = writer.saved
    result.token_signers = sorted({s.member.short(seed.instance) for s in engine.used if s.on_token})
    result.signatures = engine.signatures
    result.batch_timestamps = engine.batch_timestamps
    result.single_timestamps = engine.single_timestamps
    return result


def _signers(authority: SandboxCA, layout: Layout, pin: Callable[[], str] | None) -> Signers:
    seed = authority.seed
    ocsp = seed.ca.ocsp
    on_token = token_certificates(authority.connection, seed.instance,
                                  register_lookup(authority.connection))
    keys: list[tuple[TokenCertificate, rsa.RSAPrivateKey]] = []
    if on_token:
        keys = open_token_keys(on_token, authority.data_dir / "softtoken",
                               _checked_pin(authority, pin))
    return Signers(seed, authority.pki, authority.connection, layout.signers, keys,
                   ocsp.response_validity_seconds, ocsp.fetch_interval_seconds)


def _checked_pin(authority: SandboxCA, pin: Callable[[], str] | None) -> str:
    if pin is None:
        raise UsageProblem(_("The token holds signing certificates; their keys sign the traffic, "
                             "so the token PIN is needed."), _title())
    secret = pin()
    stored = authority.connection.execute(
        "SELECT token_pin_hash FROM server_conf WHERE id = 1").fetchone()[0]
    if not secret or not verify_secret(secret, stored or ""):
        raise NotReady(_("The PIN is incorrect; the token's signing keys stay closed."), _title())
    return secret
