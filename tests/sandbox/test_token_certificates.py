"""``/token-certificates`` and ACME: import, activation, registration, deletion, OCSP, revocation."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp

from backend.sandbox import centralserver
from backend.sandbox.ca import SandboxCA
from backend.sandbox.certinfo import cert_hash
from backend.sandbox.pki import AUTHENTICATION, BOTH, NEITHER, SIGNING
from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import unthrottled_client
from tests.sandboxes import OWNER_ID

TEST_CA = "Kapka Sandbox Test CA"
ACME_CA = "Kapka Sandbox ACME CA"
CERTS = "/api/v1/token-certificates"
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


@pytest.fixture
async def api(populated_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    async with unthrottled_client(populated_state) as client:
        yield client


@pytest.fixture
def ca(populated_state: SandboxState) -> Iterator[SandboxCA]:
    """The sandbox CA as the CLI opens it: its own connection to the running sandbox's data."""
    authority = SandboxCA.open(populated_state.data_dir)
    yield authority
    authority.close()


def _error(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error", {}).get("code")


async def _csr(api: httpx.AsyncClient, usage: str = "AUTHENTICATION", ca_name: str = TEST_CA,
               label: str = "new key") -> tuple[str, str, bytes]:
    """A new key with a CSR: ``(key id, CSR id, CSR DER)``."""
    values = {"CN": "ss1.example.kg", "C": "KG"} if usage == "AUTHENTICATION" else {"C": "KG"}
    request = {"key_usage_type": usage, "ca_name": ca_name, "csr_format": "DER",
               "subject_field_values": values}
    if usage == SIGNING:
        request["member_id"] = OWNER_ID
    body = (await api.post("/api/v1/tokens/0/keys-with-csrs",
                           json={"key_label": label, "csr_generate_request": request})).json()
    key_id, csr_id = body["key"]["id"], body["csr_id"]
    der = (await api.get(f"/api/v1/keys/{key_id}/csrs/{csr_id}",
                         params={"csr_format": "DER"})).content
    return key_id, csr_id, der


async def _import(api: httpx.AsyncClient, cert: x509.Certificate,
                  encoding: serialization.Encoding = PEM) -> httpx.Response:
    return await api.post(CERTS, content=cert.public_bytes(encoding),
                          headers={"content-type": "application/octet-stream"})


async def _cert(api: httpx.AsyncClient, digest: str) -> dict:
    return (await api.get(f"{CERTS}/{digest}")).json()


# -- import --------------------------------------------------------------------------------------

async def test_import_authentication_certificate(
    populated_state: SandboxState, api: httpx.AsyncClient, ca: SandboxCA
) -> None:
    key_id, _csr_id, request = await _csr(api)
    cert = ca.sign(request, days=30)
    response = await _import(api, cert, PEM)
    assert response.status_code == 201
    digest = cert_hash(cert.public_bytes(DER))
    assert response.headers["location"] == f"https://127.0.0.1:4000/api/token-certificates/{digest}"
    body = response.json()
    assert (body["status"], body["active"], body["saved_to_configuration"]) == (
        "SAVED", False, True)
    assert body["possible_actions"] == ["DELETE", "ACTIVATE", "REGISTER"]
    assert body["certificate_details"]["subject_common_name"] == "ss1.example.kg"
    assert body["certificate_details"]["key_usages"] == ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"]
    assert body["ocsp_status"] == "DISABLED" and "owner_id" not in body
    key = (await api.get(f"/api/v1/keys/{key_id}")).json()
    assert key["certificate_signing_requests"] == []  # the answered request is gone
    assert key["possible_actions"] == ["DELETE", "EDIT_FRIENDLY_NAME"]
    assert await _cert(api, digest.lower()) == body
    assert (await api.get(f"{CERTS}/{digest}/possible-actions")).json() == body["possible_actions"]
    again = await _import(api, cert, DER)
    assert _error(again) == (409, "certificate_already_exists")
    assert _error(await api.post(f"{CERTS}/{digest}/import")) == (409, "action_not_possible")


async def test_import_signing_certificate_der(
    populated_state: SandboxState, api: httpx.AsyncClient, ca: SandboxCA
) -> None:
    _key_id, _csr_id, request = await _csr(api, SIGNING)
    cert = ca.sign(request)
    response = await _import(api, cert, DER)
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["active"], body["owner_id"], body["ocsp_status"]) == (
        "REGISTERED", True, OWNER_ID, "OCSP_RESPONSE_GOOD")
    assert body["possible_actions"] == ["DELETE", "DISABLE"]
    assert body["certificate_details"]["key_usages"] == ["NON_REPUDIATION"]


async def test_import_refusals(
    populated_state: SandboxState, api: httpx.AsyncClient, ca: SandboxCA
) -> None:
    assert _error(await api.post(CERTS, content=b"not a certificate")) == (400, "invalid_cert")
    stranger = rsa.generate_private_key(65537, 2048)
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "x")]))
               .sign(stranger, hashes.SHA256()))
    other_key = ca.sign(request.public_bytes(DER), usage="AUTHENTICATION")
    assert _error(await _import(api, other_key)) == (400, "key_not_found")
    _key_id, _csr_id, auth_request = await _csr(api)
    _key_id, _csr_id, sign_request = await _csr(api, SIGNING)
    assert _error(await _import(api, ca.sign(sign_request, usage=AUTHENTICATION))) == (
        400, "cert_wrong_usage")  # an authentication certificate for a signing key
    assert _error(await _import(api, ca.sign(auth_request, usage=BOTH))) == (
        400, "cert_wrong_usage")
    assert _error(await _import(api, ca.sign(sign_request, usage=NEITHER))) == (
        400, "cert_wrong_usage")
    # a signing certificate needs its member in the subject before the signer looks at the key
    assert _error(await _import(api, ca.sign(auth_request, usage=SIGNING))) == (
        400, "invalid_cert")
    expired = ca.sign(auth_request, days=1,
                      not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    response = await _import(api, expired)
    assert _error(response) == (500, "core.signer.cert_import_failed")
    not_yet = ca.sign(auth_request, not_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert _error(await _import(api, not_yet)) == (500, "core.signer.cert_import_failed")
    populated_state.set_global_conf_error("conf_download_failed")
    assert _error(await _import(api, ca.sign(auth_request))) == (409, "global_conf_outdated")


async def test_import_permissions(populated_state: SandboxState, ca: SandboxCA) -> None:
    async with unthrottled_client(populated_state) as api:
        _key_id, _csr_id, request = await _csr(api)
    cert = ca.sign(request)
    async with unthrottled_client(populated_state, ["XROAD_REGISTRATION_OFFICER"]) as officer:
        assert (await _import(officer, cert)).json() == {"status": 403}  # IMPORT_AUTH_CERT


# -- activation, registration, deletion ----------------------------------------------------------

async def test_activate_and_disable(api: httpx.AsyncClient, ca: SandboxCA) -> None:
    _key_id, _csr_id, request = await _csr(api)
    digest = (await _import(api, ca.sign(request))).json()["certificate_details"]["hash"]
    assert (await api.put(f"{CERTS}/{digest}/activate")).status_code == 204
    assert (await _cert(api, digest))["active"] is True
    assert _error(await api.put(f"{CERTS}/{digest}/activate")) == (409, "action_not_possible")
    assert (await api.put(f"{CERTS}/{digest}/disable")).status_code == 204
    assert (await _cert(api, digest))["possible_actions"] == ["DELETE", "ACTIVATE", "REGISTER"]
    assert _error(await api.put(f"{CERTS}/{'AB' * 32}/activate")) == (404, "certificate_not_found")
    invalid = await api.put(f"{CERTS}/not-a-hash/activate")
    assert invalid.json()["error"]["validation_errors"] == {
        "activateCertificate.hash": ['must match "^[a-fA-F0-9]+"']}


async def test_revoked_certificate_is_not_activated(
    populated_state: SandboxState, api: httpx.AsyncClient, ca: SandboxCA
) -> None:
    _key_id, _csr_id, request = await _csr(api, SIGNING)
    cert = ca.sign(request)
    ca.revoke(cert.public_bytes(PEM))
    body = (await _import(api, cert)).json()
    assert body["active"] is False  # the signer's OCSP check before activation failed
    assert body["ocsp_verify_before_activation_error"] == (
        "OCSP response indicates certificate status is REVOKED")
    response = await api.put(f"{CERTS}/{body['certificate_details']['hash']}/activate")
    assert _error(response) == (500, "core.signer.cert_validation")


async def test_revocation_shows_in_the_ocsp_status(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str],
    ca: SandboxCA,
) -> None:
    sign_hash = populated_ids["sign_hash"]
    assert (await _cert(api, sign_hash))["ocsp_status"] == "OCSP_RESPONSE_GOOD"
    ca.revoke(populated_state.certificate(sign_hash)["der"])
    populated_state.refresh_ocsp(force=True)  # the signer's next fetch
    assert (await _cert(api, sign_hash))["ocsp_status"] == "OCSP_RESPONSE_REVOKED"


async def test_registration_is_approved_after_the_delay(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    auth_hash = populated_ids["auth_hash"]
    path = f"{CERTS}/{auth_hash}"
    assert centralserver.request_delay(populated_state) == 20  # seed.toml's default
    assert (await api.put(path + "/register", json={"address": "ss1.example.kg"})).status_code == 204
    pending = await _cert(api, auth_hash)
    assert pending["status"] == "REGISTRATION_IN_PROGRESS"
    assert pending["possible_actions"] == ["DISABLE", "UNREGISTER"]
    assert _error(await api.delete(path)) == (409, "action_not_possible")
    centralserver.approve_pending(populated_state)  # as if the 20 s had passed
    registered = await _cert(api, auth_hash)
    assert (registered["status"], registered["ocsp_status"]) == (
        "REGISTERED", "OCSP_RESPONSE_GOOD")
    assert centralserver.server_address(populated_state) == "ss1.example.kg"
    assert (await api.put(path + "/unregister")).status_code == 204
    assert (await _cert(api, auth_hash))["status"] == "DELETION_IN_PROGRESS"
    centralserver.approve_pending(populated_state)
    assert (await _cert(api, auth_hash))["status"] == "DELETION_IN_PROGRESS"
    assert (await api.delete(path)).status_code == 204
    assert _error(await api.get(path)) == (404, "certificate_not_found")


async def test_registration_with_no_delay_and_without_an_answer(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str],
    ca: SandboxCA,
) -> None:
    centralserver.set_request_delay(populated_state, 0)
    auth_hash = populated_ids["auth_hash"]
    await api.put(f"{CERTS}/{auth_hash}/register", json={"address": "10.0.0.1"})
    assert (await _cert(api, auth_hash))["status"] == "REGISTERED"
    centralserver.set_request_delay(populated_state, None)  # a silent rejection
    _key_id, _csr_id, request = await _csr(api)
    digest = (await _import(api, ca.sign(request))).json()["certificate_details"]["hash"]
    await api.put(f"{CERTS}/{digest}/register", json={"address": "10.0.0.1"})
    assert (await _cert(api, digest))["status"] == "REGISTRATION_IN_PROGRESS"
    assert (await _cert(api, digest))["status"] == "REGISTRATION_IN_PROGRESS"
    assert (await api.put(f"{CERTS}/{digest}/mark-for-deletion")).status_code == 204
    assert (await _cert(api, digest))["status"] == "DELETION_IN_PROGRESS"


async def test_registration_refusals(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    sign = f"{CERTS}/{populated_ids['sign_hash']}"
    auth = f"{CERTS}/{populated_ids['auth_hash']}"
    assert _error(await api.put(sign + "/register", json={"address": "a"})) == (
        400, "sign_cert_not_supported")
    missing = await api.put(auth + "/register", json={})
    assert missing.json()["error"]["validation_errors"] == {
        "securityServerAddress.address": ["NotNull"]}
    assert _error(await api.put(auth + "/unregister")) == (409, "action_not_possible")
    populated_state.set_global_conf_error("conf_download_failed")
    assert _error(await api.put(auth + "/register", json={"address": "a"})) == (
        409, "global_conf_outdated")
    assert (await _cert(api, populated_ids["auth_hash"]))["status"] == "SAVED"


async def test_delete_certificate(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    path = f"{CERTS}/{populated_ids['sign_hash']}"
    async with unthrottled_client(populated_state, ["XROAD_SECURITYSERVER_OBSERVER"]) as observer:
        assert (await observer.delete(path)).status_code == 403
        assert (await observer.get(path)).status_code == 200
    assert (await api.delete(path)).status_code == 204
    key = (await api.get(f"/api/v1/keys/{populated_ids['sign_key']}")).json()
    assert key["certificates"] == [] and key["usage"] == "SIGNING"


# -- ACME ----------------------------------------------------------------------------------------

async def test_acme_order(populated_state: SandboxState, api: httpx.AsyncClient) -> None:
    key_id, csr_id, _request = await _csr(api, ca_name=ACME_CA)
    eab = await api.get(f"/api/v1/certificate-authorities/{ACME_CA}/has-acme-eab-credentials",
                        params={"key_usage_type": "AUTHENTICATION"})
    assert eab.json() == {"acme_eab_required": False,
                          "has_acme_external_account_credentials": False}
    order = {"csr_id": csr_id, "key_usage_type": "AUTHENTICATION"}
    response = await api.post(f"/api/v1/certificate-authorities/{ACME_CA}/acme-order", json=order)
    assert response.status_code == 204
    key = (await api.get(f"/api/v1/keys/{key_id}")).json()
    cert = key["certificates"][0]
    details = cert["certificate_details"]
    assert details["issuer_common_name"] == ACME_CA
    assert details["subject_alternative_names"] == "DNS:ss1.example.kg"
    assert (cert["status"], cert["active"]) == ("SAVED", False)
    renewal = dt.datetime.fromisoformat(cert["next_automatic_renewal_time"].replace("Z", "+00:00"))
    not_after = dt.datetime.fromisoformat(details["not_after"].replace("Z", "+00:00"))
    assert not_after - renewal == dt.timedelta(days=14)
    assert (await api.put(f"{CERTS}/{details['hash']}/activate")).status_code == 204
    # the ACME CA signs its own OCSP responses, at the test CA's responder URL
    issued = x509.load_der_x509_certificate(populated_state.certificate(details["hash"])["der"])
    acme_ca = populated_state.pki.issuer_named(ACME_CA).ca.cert
    request = ocsp.OCSPRequestBuilder().add_certificate(issued, acme_ca, hashes.SHA1()).build()
    answer = await api.post("/sandbox/ocsp", content=request.public_bytes(DER),
                            headers={"content-type": "application/ocsp-request"})
    response = ocsp.load_der_ocsp_response(answer.content)
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD and not response.certificates
    acme_ca.public_key().verify(response.signature, response.tbs_response_bytes,
                                ec.ECDSA(response.signature_hash_algorithm))
    again = await api.post(f"/api/v1/certificate-authorities/{ACME_CA}/acme-order", json=order)
    assert _error(again) == (404, "csr_not_found")


async def test_acme_order_with_the_csr(api: httpx.AsyncClient) -> None:
    key_id = (await api.post("/api/v1/tokens/0/keys", json={"label": "acme"})).json()["id"]
    request = {"key_usage_type": "AUTHENTICATION", "ca_name": ACME_CA, "csr_format": "PEM",
               "subject_field_values": {"CN": "ss1.example.kg", "C": "KG"}, "acme_order": True}
    response = await api.post(f"/api/v1/keys/{key_id}/csrs", json=request)
    assert (response.status_code, response.content) == (204, b"")
    key = (await api.get(f"/api/v1/keys/{key_id}")).json()
    assert len(key["certificates"]) == 1 and key["certificate_signing_requests"] == []


async def test_acme_order_refusals(api: httpx.AsyncClient) -> None:
    path = "/api/v1/certificate-authorities/{ca}/acme-order"
    _key_id, csr_id, _request = await _csr(api)
    order = {"csr_id": csr_id, "key_usage_type": "AUTHENTICATION"}
    assert _error(await api.post(path.format(ca="No CA"), json=order)) == (
        400, "certificate_authority_not_found")
    assert (await api.post(path.format(ca=TEST_CA), json=order)).status_code == 204  # no ACME
    missing = {"csr_id": "NOPE", "key_usage_type": "AUTHENTICATION"}
    assert _error(await api.post(path.format(ca=ACME_CA), json=missing)) == (404, "csr_not_found")
    eab = await api.get("/api/v1/certificate-authorities/No CA/has-acme-eab-credentials",
                        params={"key_usage_type": "AUTHENTICATION"})
    assert _error(eab) == (404, "certificate_authority_not_found")
    await api.put("/api/v1/tokens/0/logout")
    assert _error(await api.post(path.format(ca=ACME_CA), json=order)) == (
        409, "action_not_possible")


# -- possible actions in each state --------------------------------------------------------------

async def test_possible_actions_follow_the_state(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    auth_hash, sign_hash = populated_ids["auth_hash"], populated_ids["sign_hash"]

    async def actions(digest: str) -> list[str]:
        return (await api.get(f"{CERTS}/{digest}/possible-actions")).json()

    assert await actions(auth_hash) == ["DELETE", "DISABLE", "REGISTER"]  # saved, active
    assert await actions(sign_hash) == ["DELETE", "DISABLE"]
    centralserver.set_request_delay(populated_state, None)
    await api.put(f"{CERTS}/{auth_hash}/register", json={"address": "10.0.0.1"})
    assert await actions(auth_hash) == ["DISABLE", "UNREGISTER"]
    centralserver.approve_pending(populated_state)
    assert (await _cert(api, auth_hash))["status"] == "REGISTERED"
    assert await actions(auth_hash) == ["DISABLE", "UNREGISTER"]
    # the central server drops the certificate without a request from this server
    centralserver.set_request_delay(populated_state, 0)
    centralserver.submit(populated_state, centralserver.AUTH_CERT_DELETION, auth_hash)
    assert (await _cert(api, auth_hash))["status"] == "GLOBAL_ERROR"
    assert await actions(auth_hash) == ["DELETE", "DISABLE"]
    await api.put(f"{CERTS}/{auth_hash}/disable")
    assert await actions(auth_hash) == ["DELETE", "ACTIVATE"]
    populated_state.set_certificate_status(auth_hash, "DELETION_IN_PROGRESS")
    assert await actions(auth_hash) == ["DELETE", "ACTIVATE"]
    await api.put("/api/v1/tokens/0/logout")
    assert await actions(sign_hash) == ["DELETE", "DISABLE"]  # saved: deletable logged out
    key = (await api.get(f"/api/v1/keys/{populated_ids['sign_key']}")).json()
    assert key["possible_actions"] == ["EDIT_FRIENDLY_NAME"]
    token = (await api.get("/api/v1/tokens/0")).json()
    assert token["possible_actions"] == ["LOGIN", "EDIT_FRIENDLY_NAME"]
