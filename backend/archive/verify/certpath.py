"""Layer (c): the signer certificate's path to an approved CA and its OCSP responses, at the time
of the record's timestamp (``CertChainVerifier`` and ``OcspVerifier`` of X-Road).

* The path is built and validated by pyhanko-certvalidator, with the approved CAs of the signer's
  instance as trust roots and the moment set to the timestamp's time: X-Road judges archived
  records as of then, so an expired test certificate still verifies a record made while it was
  valid (``cannot_create_cert_path``, ``invalid_cert_path``).
* Each certificate of the path below the root needs an OCSP response embedded in the signature:
  for that certificate, signed by a responder X-Road accepts for its CA (listed in the
  configuration, the CA itself, or a certificate the CA issued for OCSP signing), with status good
  and ``thisUpdate`` no older than ``ocspFreshnessSeconds`` before the timestamp
  (``cert_validation``, ``incorrect_validation_info``).

Paths and OCSP responses repeat across thousands of records; both are checked once and cached,
and only the time-dependent parts are re-checked per record.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import ocsp
from asn1crypto import x509 as ax509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError

from backend.archive.verify.crypto import SignatureAlgorithmError, issued_by, public_key, verify_asn1
from backend.archive.verify.globalconf import VerificationConf
from backend.archive.verify.report import Finding, Layer, failed, passed
from backend.i18n import _

_CACHE_LIMIT = 4096


class CertificateCheckError(Exception):
    def __init__(self, layer: Layer, code: str, message: str) -> None:
        super().__init__(message)
        self.layer = layer
        self.code = code
        self.message = message

    def finding(self) -> Finding:
        return failed(self.layer, self.code, self.message)


@dataclass(frozen=True, slots=True)
class OcspStatus:
    this_update: datetime
    next_update: datetime | None
    produced_at: datetime
    status: str
    revoked_at: datetime | None
    responder: str


def _name(cert: ax509.Certificate) -> str:
    return cert.subject.human_friendly


def _valid_at(cert: ax509.Certificate, at: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= at <= validity["not_after"].native


def _run(coro):
    """Run pyhanko's coroutine whether or not this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class CertificateChecker:
    """Checks signer certificates against one verification configuration, with caches."""

    def __init__(self, conf: VerificationConf) -> None:
        self.conf = conf
        self._paths: dict[tuple, list[ax509.Certificate]] = {}
        self._ocsp: dict[tuple, OcspStatus | CertificateCheckError] = {}
        self._responders = [c for ca in conf.cas for c in (*ca.ocsp_certs, ca.cert, *ca.intermediates)]

    def check(self, cert: ax509.Certificate, extra: list[ax509.Certificate], responses: list[bytes],
              instance: str, at: datetime) -> tuple[list[Finding], OcspStatus | None]:
        """Findings for the certificate and OCSP layers, and the signer's OCSP status."""
        usage = cert.key_usage_value.native if cert.key_usage_value is not None else set()
        if "non_repudiation" not in usage:
            return [failed(Layer.CERTIFICATE, "malformed_signature",
                           _("Certificate {name} is not a signing certificate (no non-repudiation key "
                             "usage).").format(name=_name(cert)))], None
        try:
            chain = self._path(cert, extra, instance, at)
        except CertificateCheckError as exc:
            return [exc.finding()], None
        findings = [passed(Layer.CERTIFICATE, "cert_path_ok",
                           _("The signer certificate {name} chains to the approved CA {ca}, valid at {time}.")
                           .format(name=_name(cert), ca=_name(chain[0]), time=at.isoformat()))]
        signer_status = None
        try:
            for issuer, subject in itertools.pairwise(chain):
                status = self._ocsp_for(subject, issuer, responses, instance, at)
                if subject is chain[-1]:
                    signer_status = status
        except CertificateCheckError as exc:
            findings.append(exc.finding())
            return findings, signer_status
        findings.append(passed(Layer.OCSP, "ocsp_ok",
                               _("OCSP status good, produced {time} by {responder}.")
                               .format(time=signer_status.produced_at.isoformat() if signer_status else "-",
                                       responder=signer_status.responder if signer_status else "-")))
        return findings, signer_status

    def _path(self, cert: ax509.Certificate, extra: list[ax509.Certificate], instance: str,
              at: datetime) -> list[ax509.Certificate]:
        key = (cert.contents, tuple(c.contents for c in extra), instance)  # .contents: no re-encoding
        chain = self._paths.get(key)
        if chain is not None and all(_valid_at(c, at) for c in chain[1:]):
            return chain
        cas = self.conf.cas_of(instance)
        if not cas:
            raise CertificateCheckError(Layer.CERTIFICATE, "cannot_create_cert_path",
                                        _("The verification configuration has no approved CAs for the "
                                          "instance {instance}.").format(instance=instance))
        context = ValidationContext(
            trust_roots=[ca.cert for ca in cas],
            other_certs=[c for ca in cas for c in ca.intermediates] + list(extra),
            moment=at, allow_fetching=False, revocation_mode="soft-fail", weak_hash_algos={"md2", "md5"})
        validator = CertificateValidator(cert, intermediate_certs=extra, validation_context=context)
        try:
            path = _run(validator.async_validate_path())
        except PathBuildingError as exc:
            raise CertificateCheckError(Layer.CERTIFICATE, "cannot_create_cert_path",
                                        _("No path from the signer certificate {name} to an approved CA of "
                                          "{instance}: {error}").format(name=_name(cert), instance=instance,
                                                                        error=exc)) from exc
        except (PathValidationError, ValidationError) as exc:
            raise CertificateCheckError(Layer.CERTIFICATE, "invalid_cert_path",
                                        _("The signer certificate {name} is not valid at {time}: {error}")
                                        .format(name=_name(cert), time=at.isoformat(), error=exc)) from exc
        chain = list(path.iter_certs(include_root=True))
        if len(self._paths) >= _CACHE_LIMIT:
            self._paths.clear()
        self._paths[key] = chain
        return chain

    def _ocsp_for(self, subject: ax509.Certificate, issuer: ax509.Certificate, responses: list[bytes],
                  instance: str, at: datetime) -> OcspStatus:
        for der in responses:
            key = (der, subject.contents, issuer.contents)
            if key not in self._ocsp:
                if len(self._ocsp) >= _CACHE_LIMIT:  # years of archives hold tens of thousands
                    self._ocsp.clear()
                try:
                    self._ocsp[key] = self._ocsp_static(der, subject, issuer)
                except CertificateCheckError as exc:
                    self._ocsp[key] = exc
            result = self._ocsp[key]
            if isinstance(result, CertificateCheckError):
                if result.code == "not_for_this_certificate":
                    continue
                raise result
            self._ocsp_at(result, subject, instance, at)
            return result
        raise CertificateCheckError(Layer.OCSP, "cert_validation",
                                    _("Unable to find OCSP response for certificate {name}.")
                                    .format(name=_name(subject)))

    def _ocsp_static(self, der: bytes, subject: ax509.Certificate, issuer: ax509.Certificate) -> OcspStatus:
        def bad(message: str) -> CertificateCheckError:
            return CertificateCheckError(Layer.OCSP, "incorrect_validation_info", message)

        try:
            response = ocsp.OCSPResponse.load(der)
            if response["response_status"].native != "successful":
                raise bad(_("The OCSP response's status is {status}.")
                          .format(status=response["response_status"].native))
            basic = response.basic_ocsp_response
            single = basic["tbs_response_data"]["responses"][0]
            cert_id = single["cert_id"]
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            name_hash = hashlib.new(algorithm, issuer.subject.dump()).digest()
            key_hash = hashlib.new(algorithm, issuer.public_key["public_key"].contents[1:]).digest()
            if (cert_id["serial_number"].native != subject.serial_number
                    or cert_id["issuer_name_hash"].native != name_hash
                    or cert_id["issuer_key_hash"].native != key_hash):
                raise CertificateCheckError(Layer.OCSP, "not_for_this_certificate", "")
            responder = self._responder(basic)
            if responder is None:
                raise bad(_("Could not find OCSP certificate for responder ID."))
            if not verify_asn1(public_key(responder), basic["signature_algorithm"], basic["signature"].native,
                               basic["tbs_response_data"].dump()):
                raise bad(_("Signature on OCSP response is not valid."))
            if not self._authorized(responder, issuer):
                raise bad(_("OCSP responder {name} is not authorized for the CA {ca}.")
                          .format(name=_name(responder), ca=_name(issuer)))
            status = single["cert_status"]
            revoked = status.chosen["revocation_time"].native if status.name == "revoked" else None
            return OcspStatus(single["this_update"].native, single["next_update"].native,
                              basic["tbs_response_data"]["produced_at"].native, status.name, revoked,
                              _name(responder))
        except (ValueError, TypeError, KeyError, IndexError, SignatureAlgorithmError) as exc:
            raise bad(_("The OCSP response cannot be parsed: {error}").format(error=exc)) from exc

    def _responder(self, basic: ocsp.BasicOCSPResponse) -> ax509.Certificate | None:
        responder_id = basic["tbs_response_data"]["responder_id"]
        candidates = [*self._responders, *(basic["certs"] or [])]
        for cert in candidates:
            if responder_id.name == "by_name" and cert.subject == responder_id.chosen:
                return cert
            if responder_id.name == "by_key" and cert.public_key.sha1 == responder_id.chosen.native:
                return cert
        return None

    def _authorized(self, responder: ax509.Certificate, issuer: ax509.Certificate) -> bool:
        for ca in self.conf.cas:
            if issuer.dump() in {c.dump() for c in (ca.cert, *ca.intermediates)} and any(
                    responder.dump() == c.dump() for c in ca.ocsp_certs):
                return True
        if responder.dump() == issuer.dump():
            return True
        usages = responder.extended_key_usage_value.native if responder.extended_key_usage_value else []
        return "ocsp_signing" in usages and issued_by(responder, issuer)

    def _ocsp_at(self, status: OcspStatus, subject: ax509.Certificate, instance: str, at: datetime) -> None:
        freshness = timedelta(seconds=self.conf.freshness(instance))
        if status.this_update < at - freshness:
            raise CertificateCheckError(Layer.OCSP, "incorrect_validation_info",
                                        _("OCSP response is too old (thisUpdate: {time}; the timestamp is "
                                          "{at})").format(time=status.this_update.isoformat(),
                                                          at=at.isoformat()))
        if status.next_update is not None and status.next_update < at:
            raise CertificateCheckError(Layer.OCSP, "incorrect_validation_info",
                                        _("OCSP nextUpdate is too old, atDate: {at} nextUpdate: {time}")
                                        .format(at=at.isoformat(), time=status.next_update.isoformat()))
        if status.status != "good":
            detail = status.status.upper()
            if status.revoked_at:
                detail += f" ({status.revoked_at.isoformat()})"
            raise CertificateCheckError(Layer.OCSP, "cert_validation",
                                        _("OCSP response indicates certificate status is {status} for "
                                          "{name}.").format(status=detail, name=_name(subject)))
