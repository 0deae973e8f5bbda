"""Approved CAs, their CSR subject fields, and CSRs: generated, downloaded, deleted."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import unthrottled_client
from tests.sandboxes import OWNER_ID

TEST_CA = "Kapka Sandbox Test CA"
ACME_CA = "Kapka Sandbox ACME CA"
OWNER_NAME = "Ala-Too State Registry Service"
CA_PATH = "/api/v1/certificate-authorities"


@pytest.fixture
async def api(populated_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    async with unthrottled_client(populated_state) as client:
        yield client


def _error(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error", {}).get("code")


async def _new_key(api: httpx.AsyncClient, label: str = "csr key") -> str:
    return (await api.post("/api/v1/tokens/0/keys", json={"label": label})).json()["id"]


def _csr(usage: str, values: dict[str, str], csr_format: str = "DER", **extra: object) -> dict:
    return {"key_usage_type": usage, "ca_name": TEST_CA, "csr_format": csr_format,
            "subject_field_values": values, **extra}


# -- certificate authorities ---------------------------------------------------------------------

async def test_certificate_authorities(
    populated_state: SandboxState, api: httpx.AsyncClient
) -> None:
    cas = (await api.get(CA_PATH)).json()
    assert [ca["name"] for ca in cas] == [ACME_CA, TEST_CA]
    acme, test = cas
    assert test == {
        "name": TEST_CA,
        "subject_distinguished_name": "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG",
        "issuer_distinguished_name": "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG",
        "ocsp_response": "NOT_AVAILABLE",
        "not_after": test["not_after"],
        "top_ca": True,
        "path": "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG",
        "authentication_only": False,
        "certificate_profile_info":
            "ee.ria.xroad.common.certificateprofile.impl.BasicCertificateProfileInfoProvider",
        "default_csr_format": "DER",
        "acme_capable": False,
        "ocsp_responders": [{"url": "https://127.0.0.1:4000/sandbox/ocsp", "cost_type": "FREE"}],
    }
    assert test["not_after"] == (
        populated_state.pki.ca.cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    assert (acme["acme_capable"], acme["authentication_only"], acme["default_csr_format"]) == (
        True, True, "PEM")
    assert acme["acme_server_ip_addresses"] == ["127.0.0.1"]
    signing = (await api.get(CA_PATH, params={"key_usage_type": "SIGNING",
                                              "include_intermediate_cas": "true"})).json()
    assert [ca["name"] for ca in signing] == [TEST_CA]  # the ACME CA is for authentication only
    assert (await api.get(CA_PATH, params={"key_usage_type": "BOGUS"})).json() == {"status": 400}


async def test_no_certificate_authorities_without_global_configuration(
    sandbox_state: SandboxState,
) -> None:
    async with unthrottled_client(sandbox_state) as client:
        assert (await client.get(CA_PATH)).json() == []


async def test_authentication_subject_fields(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{CA_PATH}/{TEST_CA}/csr-subject-fields",
                             params={"key_usage_type": "AUTHENTICATION"})
    assert response.json() == [
        {"id": "CN", "label_key": "SERVER_DNS_NAME", "default_value": "", "read_only": False,
         "required": True, "localized": True},
        {"id": "serialNumber", "label_key": "MEMBER_CODE_SN", "default_value": "70000001",
         "read_only": True, "required": True, "localized": True},
        {"id": "C", "label_key": "COUNTRY_CODE", "default_value": "", "read_only": False,
         "required": True, "localized": True},
        {"id": "O", "label_key": "ORGANIZATION_NAME", "default_value": OWNER_NAME,
         "read_only": True, "required": True, "localized": True},
    ]


async def test_signing_subject_fields(
    api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    path = f"{CA_PATH}/{TEST_CA}/csr-subject-fields"
    fields = (await api.get(path, params={"key_usage_type": "SIGNING", "member_id": OWNER_ID})).json()
    assert [(f["id"], f["default_value"], f["read_only"]) for f in fields] == [
        ("CN", OWNER_NAME, True), ("O", OWNER_NAME, True), ("businessCategory", "GOV", True),
        ("C", "", False), ("serialNumber", "70000001", True)]
    assert _error(await api.get(path, params={"key_usage_type": "SIGNING"})) == (
        400, "memberId_required_for_sign_csr")
    other = {"key_usage_type": "SIGNING", "member_id": "SANDBOX-KG:COM:50010001"}
    assert _error(await api.get(path, params=other)) == (400, "client_not_found")
    new_member = (await api.get(path, params={**other, "is_new_member": "true"})).json()
    assert new_member[0]["default_value"] == "Tien-Shan Logistics LLC"
    wrong_key = {"key_usage_type": "AUTHENTICATION", "key_id": populated_ids["sign_key"]}
    assert _error(await api.get(path, params=wrong_key)) == (400, "wrong_key_usage")
    assert _error(await api.get(path, params={"key_usage_type": "AUTHENTICATION",
                                               "key_id": "NOPE"})) == (400, "key_not_found")
    assert _error(await api.get(f"{CA_PATH}/No CA/csr-subject-fields",
                                params={"key_usage_type": "AUTHENTICATION"})) == (
        404, "certificate_authority_not_found")
    acme_sign = await api.get(f"{CA_PATH}/{ACME_CA}/csr-subject-fields",
                              params={"key_usage_type": "SIGNING", "member_id": OWNER_ID})
    assert _error(acme_sign) == (400, "wrong_key_usage")


# -- CSRs ----------------------------------------------------------------------------------------

async def test_authentication_csr_follows_the_profile(
    populated_state: SandboxState, api: httpx.AsyncClient
) -> None:
    key_id = await _new_key(api)
    values = {"CN": "ss1.tunduk.example.kg", "C": "KG", "O": "ignored: read-only"}
    response = await api.post(f"/api/v1/keys/{key_id}/csrs",
                              json=_csr("AUTHENTICATION", values, "DER"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    today = dt.datetime.now().strftime("%Y%m%d")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="auth_csr_{today}_securityserver_SANDBOX-KG_GOV_70000001_SS1.der"')
    request = x509.load_der_x509_csr(response.content)
    assert request.is_signature_valid
    assert [(a.oid, a.value) for a in request.subject] == [
        (NameOID.COMMON_NAME, "ss1.tunduk.example.kg"), (NameOID.SERIAL_NUMBER, "70000001"),
        (NameOID.COUNTRY_NAME, "KG"), (NameOID.ORGANIZATION_NAME, OWNER_NAME)]
    public = populated_state.key(key_id)["public_key"]
    assert request.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public
    usage = request.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.content_commitment
    key = (await api.get(f"/api/v1/keys/{key_id}")).json()
    assert key["usage"] == "AUTHENTICATION"
    csr = key["certificate_signing_requests"][0]
    assert "owner_id" not in csr and csr["possible_actions"] == ["DELETE"]
    # the same request again is the same CSR (the signer hands out the existing one)
    again = await api.post(f"/api/v1/keys/{key_id}/csrs", json=_csr("AUTHENTICATION", values))
    assert again.content == response.content
    assert len((await api.get(f"/api/v1/keys/{key_id}")).json()["certificate_signing_requests"]) == 1


async def test_signing_csr_download_and_delete(api: httpx.AsyncClient) -> None:
    key_id = await _new_key(api)
    response = await api.post(f"/api/v1/keys/{key_id}/csrs",
                              json=_csr("SIGNING", {"C": "KG"}, "PEM", member_id=OWNER_ID))
    assert response.content.startswith(b"-----BEGIN CERTIFICATE REQUEST-----\n")
    assert response.headers["content-disposition"].endswith(
        '_member_SANDBOX-KG_GOV_70000001.pem"')
    request = x509.load_pem_x509_csr(response.content)
    assert request.subject.rfc4514_string() == (
        "2.5.4.5=70000001,C=KG,2.5.4.15=GOV,O=Ala-Too State Registry Service,"
        "CN=Ala-Too State Registry Service")
    assert request.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    key = (await api.get(f"/api/v1/keys/{key_id}")).json()
    csr_id = key["certificate_signing_requests"][0]["id"]
    assert key["certificate_signing_requests"][0]["owner_id"] == OWNER_ID
    path = f"/api/v1/keys/{key_id}/csrs/{csr_id}"
    pem = await api.get(path)
    der = await api.get(path, params={"csr_format": "DER"})
    assert pem.content == response.content
    assert x509.load_der_x509_csr(der.content) == request
    assert der.headers["content-disposition"].endswith('.der"')
    assert (await api.get(path, params={"csr_format": "XML"})).json() == {"status": 400}
    assert (await api.get(path + "/possible-actions")).json() == ["DELETE"]
    await api.put("/api/v1/tokens/0/logout")
    assert _error(await api.get(path)) == (409, "action_not_possible")  # regenerating needs it
    assert (await api.delete(path)).status_code == 204
    assert _error(await api.delete(path)) == (404, "csr_not_found")
    assert _error(await api.get(path + "/possible-actions")) == (404, "csr_not_found")


async def test_csr_refusals(api: httpx.AsyncClient, populated_ids: dict[str, str]) -> None:
    key_id = await _new_key(api)
    path = f"/api/v1/keys/{key_id}/csrs"
    missing = await api.post(path, json=_csr("AUTHENTICATION", {"CN": "ss1.example.kg"}))
    assert _error(missing) == (400, "invalid_dn_parameter")
    extra = _csr("AUTHENTICATION", {"CN": "a", "C": "KG", "OU": "x"})
    assert _error(await api.post(path, json=extra)) == (400, "invalid_dn_parameter")
    alt = _csr("AUTHENTICATION", {"CN": "a", "C": "KG", "subjectAltName": "a.example.kg"})
    assert _error(await api.post(path, json=alt)) == (400, "invalid_dn_parameter")
    unknown_ca = {**_csr("AUTHENTICATION", {"CN": "a", "C": "KG"}), "ca_name": "No CA"}
    assert _error(await api.post(path, json=unknown_ca)) == (400, "certificate_authority_not_found")
    sign_key = populated_ids["sign_key"]
    auth_for_sign_key = _csr("AUTHENTICATION", {"CN": "a", "C": "KG"})
    assert _error(await api.post(f"/api/v1/keys/{sign_key}/csrs", json=auth_for_sign_key)) == (
        400, "wrong_key_usage")
    has_certificate = _csr("SIGNING", {"C": "KG"}, member_id=OWNER_ID)
    assert _error(await api.post(f"/api/v1/keys/{sign_key}/csrs", json=has_certificate)) == (
        409, "action_not_possible")  # a key with a certificate gets no new CSR
    bad = await api.post(path, json={"key_usage_type": "AUTHENTICATION"})
    assert bad.json()["error"]["validation_errors"] == {
        "csrGenerate.caName": ["NotNull"], "csrGenerate.csrFormat": ["NotNull"],
        "csrGenerate.subjectFieldValues": ["NotNull"]}
    assert _error(await api.post("/api/v1/keys/NOPE/csrs",
                                 json=_csr("AUTHENTICATION", {"CN": "a", "C": "KG"}))) == (
        404, "key_not_found")


async def test_csr_permissions(populated_state: SandboxState) -> None:
    async with unthrottled_client(populated_state, ["XROAD_REGISTRATION_OFFICER"]) as officer:
        key_id = (await officer.post("/api/v1/tokens/0/keys", json={})).json()["id"]
        auth = _csr("AUTHENTICATION", {"CN": "a", "C": "KG"})
        assert (await officer.post(f"/api/v1/keys/{key_id}/csrs", json=auth)).json() == {
            "status": 403}  # authentication CSRs are the security officer's
        sign = _csr("SIGNING", {"C": "KG"}, member_id=OWNER_ID)
        assert (await officer.post(f"/api/v1/keys/{key_id}/csrs", json=sign)).status_code == 200
        acme = _csr("SIGNING", {"C": "KG"}, member_id=OWNER_ID, acme_order=True)
        assert (await officer.post(f"/api/v1/keys/{key_id}/csrs", json=acme)).status_code == 204
