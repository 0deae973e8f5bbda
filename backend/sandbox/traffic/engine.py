"""The message log at work: batch signing, batch timestamping and archiving, in time order.

Time advances in windows of a minute. In each window the messages signed in it are signed per
signing certificate, up to ``max_sig_batch`` at once: a lone message without attachments gets a
plain signature over ``/message.xml``; anything else a batch signature over
``/sig-hashchainresult.xml`` with a ``sig-hashchain.xml`` per message (X-Road's ``BatchSigner``).
The records logged in the window are then timestamped together at its end (X-Road's timestamper):
several records by one token over ``ts-hashchainresult.xml``, a lone record by a token over its
signature value, embedded in its ``signatures.xml``. Every ``archive-interval`` (six hours, on the
hour, as X-Road's default cron) and at the end, the records timestamped by then are archived in
X-Road's order, member by member, in transaction batches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from backend.sandbox.traffic.archive import ArchiveWriter
from backend.sandbox.traffic.container import BatchTimestamp, container, container_name
from backend.sandbox.traffic.hashchain import HashChainBuilder
from backend.sandbox.traffic.messages import Party, render_request, render_response
from backend.sandbox.traffic.plan import Message, Record
from backend.sandbox.traffic.signers import Signer, Signers
from backend.sandbox.traffic.xades import Signature, sign
from backend.sandbox.tsa import TimestampAuthority

WINDOW_MS = 60_000
ARCHIVE_INTERVAL_MS = 6 * 3_600_000
GROUPINGS = ("none", "member", "subsystem")


@dataclass(frozen=True)
class Settings:
    instance: str
    grouping: str = "none"
    transaction_batch: int = 10_000
    max_sig_batch: int = 200
    timestamp_records_limit: int = 10_000
    window_ms: int = WINDOW_MS
    archive_interval_ms: int = ARCHIVE_INTERVAL_MS


class SigBatch:
    __slots__ = ("builder", "hash", "result", "signature")

    def __init__(self, signature: Signature, builder: HashChainBuilder | None,
                 result: bytes | None) -> None:
        self.signature = signature
        self.hash = hashlib.sha512(signature.xml).digest()
        self.builder = builder
        self.result = result


class TsBatch:
    __slots__ = ("builder", "result", "token")

    def __init__(self, token: bytes, builder: HashChainBuilder, result: bytes) -> None:
        self.token = token
        self.builder = builder
        self.result = result


def _when(moment_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment_ms / 1000, dt.UTC)


def _render(message: Message) -> tuple[bytes, bytes | None]:
    return (render_response if message.response else render_request)(message.exchange)


class Engine:
    """Signs, timestamps and archives one run of planned traffic."""

    def __init__(self, settings: Settings, signers: Signers, tsa: TimestampAuthority,
                 writer: ArchiveWriter, rng: random.Random) -> None:
        self.settings = settings
        self.signers = signers
        self.tsa = tsa
        self.writer = writer
        self.rng = rng
        self.signatures = 0
        self.batch_timestamps = 0
        self.single_timestamps = 0
        self.archived = 0
        #: the certificates that signed
        self.used: set[Signer] = set()

    def group_of(self, party: Party) -> str | None:
        grouping = self.settings.grouping
        if grouping == "member":
            return party.member.short(self.settings.instance)
        if grouping == "subsystem":
            return party.short(self.settings.instance)
        return None

    def run(self, messages: list[Message], records: list[Record], now_ms: int,
            progress: Callable[[int], None] | None = None) -> None:
        """Sign, timestamp and archive; no timestamp is later than ``now_ms``."""
        window = self.settings.window_ms
        to_sign = deque(messages)
        to_stamp = deque(records)
        messages.clear()
        records.clear()
        pending: deque[Record] = deque()
        windows = sorted({m.sign_ms // window for m in to_sign} | {r.time_ms // window for r in to_stamp})
        interval = self.settings.archive_interval_ms
        boundary = (windows[0] * window // interval + 1) * interval if windows else now_ms
        for number in windows:
            while boundary <= number * window:
                self._archive(pending, boundary, progress)
                boundary += interval
            batch: list[Message] = []
            while to_sign and to_sign[0].sign_ms // window == number:
                batch.append(to_sign.popleft())
            self._sign(batch)
            stamped: list[Record] = []
            while to_stamp and to_stamp[0].time_ms // window == number:
                stamped.append(to_stamp.popleft())
            self._timestamp(stamped, min((number + 1) * window + self.rng.randint(150, 2500), now_ms))
            pending.extend(stamped)
        self._archive(pending, None, progress)

    # -- signing ------------------------------------------------------------------------------------

    def _sign(self, messages: list[Message]) -> None:
        by_signer: dict[int, tuple[Signer, list[Message]]] = {}
        for message in messages:
            signer = self.signers.signer_for(message.signer_member, message.sign_ms)
            by_signer.setdefault(id(signer), (signer, []))[1].append(message)
        limit = self.settings.max_sig_batch
        for signer, batch in by_signer.values():
            for start in range(0, len(batch), limit):
                self._sign_batch(signer, batch[start:start + limit])

    def _sign_batch(self, signer: Signer, batch: list[Message]) -> None:
        when = batch[0].sign_ms
        ocsp = self.signers.ocsp_for(signer, when)
        rendered = [_render(message) for message in batch]
        builder = result = None
        if len(batch) == 1 and rendered[0][1] is None:
            signature = sign(signer.certificate, ocsp, _when(when), rendered[0][0], batch=False)
        else:
            builder = HashChainBuilder()
            for message, body in rendered:
                parts = [hashlib.sha512(message).digest()]
                if body is not None:
                    parts.append(hashlib.sha512(body).digest())
                builder.add(parts)
            builder.finish()
            result = builder.result_xml("/sig-hashchain.xml")
            signature = sign(signer.certificate, ocsp, _when(when), result, batch=True)
        self.used.add(signer)
        shared = SigBatch(signature, builder, result)
        for index, message in enumerate(batch):
            message.batch = shared
            message.index = index
        self.signatures += 1

    # -- timestamping -------------------------------------------------------------------------------

    def _timestamp(self, records: list[Record], moment_ms: int) -> None:
        limit = self.settings.timestamp_records_limit
        for start in range(0, len(records), limit):
            chunk = records[start:start + limit]
            for record in chunk:
                record.ts_ms = moment_ms
            if len(chunk) == 1:
                record = chunk[0]
                shared = self._batch_of(record)
                token = self.tsa.token(hashlib.sha512(shared.signature.value).digest(),
                                       gen_time=_when(moment_ms))
                record.signature = shared.signature.with_timestamp(token)
                self.single_timestamps += 1
                continue
            builder = HashChainBuilder()
            for record in chunk:
                builder.add([self._batch_of(record).hash])
            builder.finish()
            result = builder.result_xml("/ts-hashchain.xml")
            token = self.tsa.token(hashlib.sha512(result).digest(), gen_time=_when(moment_ms))
            stamp = TsBatch(token, builder, result)
            for index, record in enumerate(chunk):
                record.ts = stamp
                record.ts_index = index
            self.batch_timestamps += 1

    @staticmethod
    def _batch_of(record: Record) -> SigBatch:
        assert record.message is not None and isinstance(record.message.batch, SigBatch)
        return record.message.batch

    # -- archiving ----------------------------------------------------------------------------------

    def _archive(self, pending: deque[Record], boundary: int | None,
                 progress: Callable[[int], None] | None) -> None:
        due: list[Record] = []
        while pending and (boundary is None or pending[0].ts_ms <= boundary):
            due.append(pending.popleft())
        due.sort(key=lambda record: (record.local.sort_key(), record.id))
        size = self.settings.transaction_batch
        for start in range(0, len(due), size):
            for record in due[start:start + size]:
                self._write(record)
                self.archived += 1
            self.writer.end_batch()
            if progress is not None:
                progress(self.archived)

    def _write(self, record: Record) -> None:
        message = record.message
        assert message is not None
        shared = self._batch_of(record)
        body_message, body = _render(message)
        sig_chain = None
        if shared.builder is not None and shared.result is not None:
            sig_chain = (shared.result, shared.builder.chain_xml(message.index, "/message.xml"))
        timestamp = None
        if isinstance(record.ts, TsBatch):
            timestamp = BatchTimestamp(record.ts.token, record.ts.result,
                                       record.ts.builder.chain_xml(record.ts_index,
                                                                   "/META-INF/signatures.xml"))
        data = container(record.time_ms, body_message, record.signature or shared.signature.xml,
                         sig_chain=sig_chain, timestamp=timestamp,
                         attachments=[body] if body is not None else [])
        name = container_name(message.exchange.query_id, message.response, record.id)
        self.writer.write(self.group_of(record.local), name, record.time_ms, data)
        record.message = None
        record.ts = None
        record.signature = None
