"""Layers (b) and (c) for one record: structure, hash chains, timestamp, signature, certificate, OCSP.

The order is X-Road's ``AsicContainerVerifier``: structure, then the timestamp (its time is the
moment at which certificates and OCSP are judged), then the signature. Unlike X-Road, a failure
does not end the report: every layer that can still be checked is checked, so that the report says
everything that is broken, and a layer that cannot be checked because an earlier one failed is
reported as not verified.
"""

from __future__ import annotations

from datetime import UTC

from backend.archive.asic import (
    ENTRY_SIG_HASH_CHAIN_RESULT,
    ENTRY_TS_HASH_CHAIN_RESULT,
    AsicContainer,
    AsicError,
    parse_container,
)
from backend.archive.verify.certpath import CertificateChecker
from backend.archive.verify.globalconf import VerificationConf
from backend.archive.verify.hashchain import HashChainError, verify_hash_chain
from backend.archive.verify.report import Layer, RecordReport, failed, passed, unverified
from backend.archive.verify.signer import ClientId, SignerError, cert_member, message_signer
from backend.archive.verify.timestamp import TimestampError, TimestampInfo, verify_timestamp
from backend.archive.verify.xades import (
    SignatureError,
    XadesSignature,
    check_signing_certificate,
    parse_signature,
    verify_signature_value,
)
from backend.i18n import _

_CACHE_LIMIT = 4096
SIGNATURE_URI = "/META-INF/signatures.xml"


class ContainerVerifier:
    """Verifies containers against one verification configuration (None: integrity only)."""

    def __init__(self, conf: VerificationConf | None = None) -> None:
        self.conf = conf
        self.certificates = CertificateChecker(conf) if conf is not None else None
        self._tsa_certs = [tsa.cert for tsa in conf.tsas] if conf is not None else None
        self._timestamps: dict[tuple[bytes, bytes], TimestampInfo | TimestampError] = {}
        self._names: dict[tuple, ClientId | SignerError | None] = {}

    def verify(self, data: bytes, name: str, *, standalone: bool = True) -> RecordReport:
        """The report of one container; ``standalone`` adds a note when no configuration is given."""
        report = RecordReport(name)
        try:
            container = parse_container(data)
        except AsicError as exc:
            maker = unverified if exc.code == "asic_too_large" else failed
            report.findings.append(maker(Layer.CONTAINER, exc.code, exc.message, exc.entry))
            return report
        report.findings.append(passed(Layer.CONTAINER, "container_ok",
                                      _("ASiC-E structure complete ({layout} layout).")
                                      .format(layout=container.layout)))
        try:
            sig = parse_signature(container.signature)
        except SignatureError as exc:
            report.findings.append(failed(Layer.SIGNATURE, exc.code, exc.message, container.signature_name))
            return report
        if not (sig.references_uri("/message.xml") or sig.references_uri("/" + ENTRY_SIG_HASH_CHAIN_RESULT)):
            report.findings.append(failed(Layer.SIGNATURE, "malformed_signature",
                                          _("Signature does not reference '/message.xml' or "
                                            "'/sig-hashchainresult.xml'.")))
        signer = self._signer(container, report)
        stamp = self._timestamp(container, sig, report)
        self._signature(container, sig, report)
        if self.conf is None:
            if standalone:
                report.findings.append(unverified(
                    Layer.CERTIFICATE, "no_verification_configuration",
                    _("The signer certificate, its OCSP response and the TSA were not checked: no "
                      "verification configuration was given.")))
            return report
        self._certificate(sig, signer, stamp, report)
        return report

    def _signer(self, container: AsicContainer, report: RecordReport) -> ClientId | None:
        try:
            signer = message_signer(container.message)
        except SignerError as exc:
            report.findings.append(failed(Layer.SIGNATURE, exc.code, exc.message, container.message_name))
            return None
        report.signer = str(signer)
        return signer

    def _timestamp(self, container: AsicContainer, sig: XadesSignature,
                   report: RecordReport) -> TimestampInfo | None:
        if container.batch_timestamp:
            result = container.entries[ENTRY_TS_HASH_CHAIN_RESULT]
            try:
                verify_hash_chain(result, container.get, {SIGNATURE_URI: None}, container.has,
                                  where=ENTRY_TS_HASH_CHAIN_RESULT)
            except HashChainError as exc:
                report.findings.append(failed(Layer.HASHCHAIN, exc.code,
                                              _("ts-hashchain: {error}").format(error=exc.message), exc.uri,
                                              exc.expected.hex() if exc.expected else None,
                                              exc.found.hex() if exc.found else None))
                return None
            report.findings.append(passed(Layer.HASHCHAIN, "ts_hashchain_ok",
                                          _("ts-hashchain links signatures.xml to the batch timestamp.")))
            token, data, where = container.timestamp, result, "META-INF/timestamp.tst"
        else:
            token, data, where = sig.timestamp, sig.signature_value, "META-INF/signatures.xml"
        if token is None:
            report.findings.append(failed(Layer.TIMESTAMP, "asic_timestamp_not_found",
                                          _("The record has no timestamp."), where))
            return None
        key = (token, data)
        cached = self._timestamps.get(key)
        if cached is None:
            try:
                cached = verify_timestamp(token, data, self._tsa_certs)
            except TimestampError as exc:
                cached = exc
            if len(self._timestamps) >= _CACHE_LIMIT:
                self._timestamps.clear()
            self._timestamps[key] = cached
        if isinstance(cached, TimestampError):
            report.findings.append(failed(Layer.TIMESTAMP, cached.code, cached.message, where,
                                          cached.expected, cached.found))
            return None
        report.timestamp = cached.gen_time.astimezone(UTC).isoformat()
        report.tsa = cached.tsa
        kind = _("batch timestamp") if container.batch_timestamp else _("timestamp")
        report.findings.append(passed(Layer.TIMESTAMP, "timestamp_ok",
                                      _("{kind} by {tsa} at {time}.").format(
                                          kind=kind, tsa=cached.tsa, time=report.timestamp), where))
        return cached

    def _signature(self, container: AsicContainer, sig: XadesSignature, report: RecordReport) -> None:
        if sig.references_uri("/" + ENTRY_SIG_HASH_CHAIN_RESULT):
            result = container.entries.get(ENTRY_SIG_HASH_CHAIN_RESULT)
            if result is None:
                report.findings.append(failed(Layer.HASHCHAIN, "asic_hash_chain_result_not_found",
                                              _("The signature covers sig-hashchainresult.xml, which the "
                                                "container does not hold.")))
                return
            try:
                outcome = verify_hash_chain(result, container.get, {"/message.xml": None}, container.has,
                                            where=ENTRY_SIG_HASH_CHAIN_RESULT)
            except HashChainError as exc:
                report.findings.append(failed(Layer.HASHCHAIN, exc.code,
                                              _("sig-hashchain: {error}").format(error=exc.message), exc.uri,
                                              exc.expected.hex() if exc.expected else None,
                                              exc.found.hex() if exc.found else None))
                return
            report.findings.append(passed(Layer.HASHCHAIN, "sig_hashchain_ok",
                                          _("sig-hashchain links message.xml to the batch signature.")))
            for uri, value in outcome.unresolved:
                report.findings.append(unverified(
                    Layer.HASHCHAIN, "attachment_not_in_container",
                    _("The digest for \"{uri}\" is: {digest} (unverified: the attachment is not in the "
                      "container).").format(uri=uri, digest=value.hex()), uri))
        try:
            outcome_sig = verify_signature_value(sig, container.get)
            check_signing_certificate(sig)
        except SignatureError as exc:
            layer = Layer.CERTIFICATE if exc.code == "incorrect_certificate" else Layer.SIGNATURE
            report.findings.append(failed(layer, exc.code, exc.message, exc.entry, exc.expected, exc.found))
            return
        for uri in outcome_sig.unresolved:
            report.findings.append(unverified(
                Layer.SIGNATURE, "attachment_not_in_container",
                _("The signature covers {uri}, which is not in the container: its digest is not "
                  "verified.").format(uri=uri), uri))
        report.findings.append(passed(Layer.SIGNATURE, "signature_ok",
                                      _("Signature value verified with the certificate of {name}.")
                                      .format(name=sig.cert.subject.human_friendly)))

    def _certificate(self, sig: XadesSignature, signer: ClientId | None, stamp: TimestampInfo | None,
                     report: RecordReport) -> None:
        assert self.conf is not None and self.certificates is not None
        instance = signer.instance if signer else None
        ca = self.conf.ca_for_issuer(instance, sig.cert) if instance else None
        if ca is None:
            ca = next((c for c in self.conf.cas if self.conf.ca_for_issuer(c.instance, sig.cert)), None)
        if instance is None and ca is not None:
            instance = ca.instance
        if signer is not None and ca is not None:
            self._signer_name(sig, signer, ca.profile, report)
        if stamp is None:
            report.findings.append(unverified(Layer.CERTIFICATE, "no_time",
                                              _("The signer certificate and OCSP were not checked: without a "
                                                "valid timestamp the record's time is not known.")))
            return
        findings, ocsp = self.certificates.check(sig.cert, sig.extra_certs, sig.ocsp_responses,
                                                 instance or self.conf.instance or "", stamp.gen_time)
        report.findings.extend(findings)
        if ocsp is not None:
            report.ocsp_produced_at = ocsp.produced_at.astimezone(UTC).isoformat()

    def _signer_name(self, sig: XadesSignature, signer: ClientId, profile: str | None,
                     report: RecordReport) -> None:
        key = (sig.cert.contents, profile, signer.instance)
        if key not in self._names:
            if len(self._names) >= _CACHE_LIMIT:
                self._names.clear()
            try:
                self._names[key] = cert_member(sig.cert, profile, signer.instance)
            except SignerError as exc:
                self._names[key] = exc
        named = self._names[key]
        if isinstance(named, SignerError):
            report.findings.append(failed(Layer.CERTIFICATE, named.code, named.message))
            return
        if named is None:
            report.findings.append(unverified(
                Layer.CERTIFICATE, "unknown_certificate_profile",
                _("The CA's certificate profile {profile} is not known to Kapka: the member named in the "
                  "certificate was not compared with {signer}.")
                .format(profile=profile or "-", signer=signer)))
        elif not signer.member_equals(named):
            report.findings.append(failed(Layer.CERTIFICATE, "incorrect_certificate",
                                          _("Name in certificate ({cert}) does not match name in message "
                                            "({message}).").format(cert=named, message=signer),
                                          expected=str(signer), found=str(named)))
        else:
            report.findings.append(passed(Layer.CERTIFICATE, "signer_name_ok",
                                          _("The certificate names the signer {signer}.")
                                          .format(signer=named)))


def verify_container(data: bytes, conf: VerificationConf | None = None, *, name: str = "") -> RecordReport:
    """Verify one ``.asice`` container (layers b and c) and report every finding."""
    return ContainerVerifier(conf).verify(data, name)
