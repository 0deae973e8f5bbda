"""Signature checks with ``cryptography`` for the algorithms X-Road uses (RSA PKCS#1 v1.5, RSA-PSS,
ECDSA), given the algorithm identifiers asn1crypto parses from CMS, OCSP and certificates."""

from __future__ import annotations

from functools import lru_cache

from asn1crypto import algos
from asn1crypto import x509 as ax509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512, "sha3_256": hashes.SHA3_256, "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
}


class SignatureAlgorithmError(ValueError):
    """The algorithm is not one Kapka can check."""


@lru_cache(maxsize=256)
def _public_key(spki_der: bytes) -> PublicKeyTypes:
    return serialization.load_der_public_key(spki_der)


def public_key(cert: ax509.Certificate) -> PublicKeyTypes:
    """The certificate's public key (cached: archives repeat the same few certificates)."""
    return _public_key(cert.public_key.dump())


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[name]()
    except KeyError as exc:
        raise SignatureAlgorithmError(name) from exc


def verify(key: PublicKeyTypes, signature: bytes, data: bytes, *, scheme: str, hash_name: str,
           pss_salt: int | None = None, pss_mgf_hash: str | None = None) -> bool:
    """True when ``signature`` is a valid signature of ``data``; ``scheme`` is ``rsassa_pkcs1v15``,
    ``rsassa_pss``, ``ecdsa`` or ``ed25519``. Raises :class:`SignatureAlgorithmError` for others."""
    try:
        if isinstance(key, rsa.RSAPublicKey) and scheme == "rsassa_pkcs1v15":
            key.verify(signature, data, padding.PKCS1v15(), hash_algorithm(hash_name))
        elif isinstance(key, rsa.RSAPublicKey) and scheme == "rsassa_pss":
            mgf = padding.MGF1(hash_algorithm(pss_mgf_hash or hash_name))
            salt = pss_salt if pss_salt is not None else padding.PSS.AUTO
            key.verify(signature, data, padding.PSS(mgf=mgf, salt_length=salt), hash_algorithm(hash_name))
        elif isinstance(key, ec.EllipticCurvePublicKey) and scheme == "ecdsa":
            key.verify(signature, data, ec.ECDSA(hash_algorithm(hash_name)))
        elif isinstance(key, ed25519.Ed25519PublicKey) and scheme == "ed25519":
            key.verify(signature, data)
        else:
            raise SignatureAlgorithmError(f"{scheme} with a {type(key).__name__}")
    except InvalidSignature:
        return False
    except UnsupportedAlgorithm as exc:
        raise SignatureAlgorithmError(str(exc)) from exc
    return True


def verify_asn1(key: PublicKeyTypes, algorithm: algos.SignedDigestAlgorithm, signature: bytes,
                data: bytes, digest_algorithm: str | None = None) -> bool:
    """Verify with an ASN.1 ``AlgorithmIdentifier`` (certificates, OCSP, CMS signer infos).

    ``digest_algorithm`` is the CMS signer info's digest algorithm, used when the signature
    algorithm is plain ``rsaEncryption`` and names no hash.
    """
    scheme = algorithm.signature_algo
    pss_salt = pss_mgf_hash = None
    if scheme == "rsassa_pss":
        params = algorithm["parameters"]
        hash_name = params["hash_algorithm"]["algorithm"].native
        pss_salt = params["salt_length"].native
        pss_mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
    elif scheme == "ed25519":
        hash_name = "sha512"
    else:
        try:
            hash_name = algorithm.hash_algo
        except ValueError:
            if digest_algorithm is None:
                raise SignatureAlgorithmError(algorithm["algorithm"].native) from None
            hash_name = digest_algorithm
    return verify(key, signature, data, scheme=scheme, hash_name=hash_name, pss_salt=pss_salt,
                  pss_mgf_hash=pss_mgf_hash)


def issued_by(cert: ax509.Certificate, issuer: ax509.Certificate) -> bool:
    """True when ``issuer``'s key signed ``cert``."""
    if cert.issuer != issuer.subject:
        return False
    try:
        return verify_asn1(public_key(issuer), cert["signature_algorithm"], cert["signature_value"].native,
                           cert["tbs_certificate"].dump())
    except (SignatureAlgorithmError, ValueError):
        return False
