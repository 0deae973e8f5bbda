"""X-Road's hash chains (``sig-hashchain*.xml``, ``ts-hashchain*.xml``), as ``HashChainVerifier``.

A hash chain (namespace ``http://cyber.ee/hashchain``) is a list of ``HashStep`` elements; each
step's value is the DER encoding of ``SEQUENCE OF SingleDigest`` where::

    SingleDigest ::= SEQUENCE { digest OCTET STRING, digestMethodURI UTF8String,
                                transforms SEQUENCE {} }

A ``HashValue`` contributes its digest, a ``DataRef`` the digest of the referenced data (checked
against the digest it states), a ``StepRef`` the digest of the DER of the referenced step. The
``HashChainResult`` names the last step (``URI="/ts-hashchain.xml#STEP0"``) and states the digest of
its DER. Error codes are X-Road's: ``invalid_hash_chain`` (result differs),
``invalid_hash_chain_ref`` (a DataRef's data differs), ``hashchain_unused_inputs``,
``malformed_hash_chain``, ``invalid_reference`` (data that cannot be found).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from asn1crypto import core
from asn1crypto.parser import emit
from lxml import etree

from backend.archive.verify.xmlutil import XmlError, b64, digest, hash_name, local, parse_xml
from backend.i18n import _

NS = "http://cyber.ee/hashchain"
DS = "http://www.w3.org/2000/09/xmldsig#"


class Transforms(core.SequenceOf):
    _child_spec = core.Any


class SingleDigest(core.Sequence):
    _fields = [("digest", core.OctetString), ("digest_method", core.UTF8String),
               ("transforms", Transforms)]


class DigestList(core.SequenceOf):
    """The ASN.1 type of a hash step's value (the schema; :func:`digest_list` encodes it)."""

    _child_spec = SingleDigest


_EMPTY_SEQUENCE = emit(0, 1, 16, b"")
_METHOD_TAILS: dict[str, bytes] = {}


def _method_tail(method: str) -> bytes:
    """The DER of ``digestMethodURI`` and the empty ``transforms`` (the same for every digest)."""
    tail = _METHOD_TAILS.get(method)
    if tail is None:
        tail = _METHOD_TAILS.setdefault(method, emit(0, 0, 12, method.encode("utf-8")) + _EMPTY_SEQUENCE)
    return tail


def digest_list(items: list[tuple[str, bytes]]) -> bytes:
    """DER of ``SEQUENCE OF SingleDigest`` for (method URI, digest) pairs (X-Road's ``DigestList``).

    Encoded with asn1crypto's DER emitter directly: building ``DigestList`` objects costs ten times
    as much, and a batch timestamp has a dozen steps per record. The tests hold both to the same bytes.
    """
    return emit(0, 1, 16, b"".join(emit(0, 1, 16, emit(0, 0, 4, value) + _method_tail(method))
                                   for method, value in items))


class HashChainError(Exception):
    def __init__(self, code: str, message: str, uri: str | None = None,
                 expected: bytes | None = None, found: bytes | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.uri = uri
        self.expected = expected
        self.found = found


@dataclass(slots=True)
class HashChainOutcome:
    """What a verified chain covered: inputs used, and data whose digest was taken on trust."""

    used_inputs: set[str] = field(default_factory=set)
    verified: list[str] = field(default_factory=list)                  # data hashed and matched
    unresolved: list[tuple[str, bytes]] = field(default_factory=list)  # (uri, digest from the chain)


#: a digest given instead of data: (method URI, digest bytes)
Digest = tuple[str, bytes]


def _malformed(message: str, uri: str | None = None) -> HashChainError:
    return HashChainError("malformed_hash_chain", message, uri)


def _method(element: etree._Element, default: str | None) -> str:
    node = element.find(f"{{{DS}}}DigestMethod")
    if node is None:
        node = element.find(f"{{{NS}}}DigestMethod")
    uri = node.get("Algorithm") if node is not None else default
    if hash_name(uri) is None:
        raise _malformed(_("Unknown digest method {uri} in a hash chain.").format(uri=uri))
    assert uri is not None
    return uri


def _digest_value(element: etree._Element) -> bytes:
    node = element.find(f"{{{DS}}}DigestValue")
    if node is None:
        raise _malformed(_("A hash chain element has no DigestValue."))
    try:
        return b64(node.text)
    except XmlError as exc:
        raise _malformed(_("A hash chain DigestValue is not base64: {error}").format(error=exc)) from exc


def _parse(data: bytes, expected_root: str, where: str) -> etree._Element:
    try:
        root = parse_xml(data)
    except XmlError as exc:
        raise _malformed(_("{where} is not well-formed XML: {error}").format(where=where, error=exc),
                         where) from exc
    if root.tag != f"{{{NS}}}{expected_root}":
        raise _malformed(_("{where} is not a {element}.").format(where=where, element=expected_root), where)
    return root


class _Verifier:
    def __init__(self, resolve: Callable[[str], bytes | None], inputs: Mapping[str, Digest | None],
                 should_resolve: Callable[[str], bool]) -> None:
        self.resolve = resolve
        self.inputs = inputs
        self.should_resolve = should_resolve
        self.chains: dict[str, etree._Element] = {}
        self.outcome = HashChainOutcome()
        self.depth = 0

    def chain(self, uri: str) -> etree._Element:
        if uri not in self.chains:
            data = self.resolve(uri)
            if data is None:
                raise HashChainError("invalid_reference",
                                     _("The hash chain {uri} cannot be found.").format(uri=uri), uri)
            self.chains[uri] = _parse(data, "HashChain", uri)
        return self.chains[uri]

    def step_der(self, uri: str, current: etree._Element | None) -> tuple[bytes, etree._Element]:
        base, sep, fragment = uri.partition("#")
        if not sep or not fragment:
            raise _malformed(_("Invalid hash step URI: {uri}").format(uri=uri), uri)
        chain = self.chain(base) if base else current
        if chain is None:
            raise _malformed(_("Invalid hash step URI: {uri}").format(uri=uri), uri)
        self.depth += 1
        if self.depth > 256:
            raise _malformed(_("The hash chain refers to itself in a loop."), uri)
        default_node = chain.find(f"{{{NS}}}DefaultDigestMethod")
        default = default_node.get("Algorithm") if default_node is not None else None
        for step in chain.iterfind(f"{{{NS}}}HashStep"):
            if step.get("id") == fragment:
                items = [self.value(child, chain, default) for child in step
                         if isinstance(child.tag, str)]
                self.depth -= 1
                return digest_list(items), chain
        raise _malformed(_("Invalid hash step URI: {uri}").format(uri=uri), uri)

    def value(self, element: etree._Element, chain: etree._Element, default: str | None) -> Digest:
        kind = local(element)
        method = _method(element, default)
        if kind == "HashValue":
            return method, _digest_value(element)
        if kind == "StepRef":
            der, _chain = self.step_der(element.get("URI", ""), chain)
            return method, digest(method, der)
        if kind == "DataRef":
            return self.data_ref(element, method)
        raise _malformed(_("Unknown hash step element {name}.").format(name=kind))

    def data_ref(self, element: etree._Element, method: str) -> Digest:
        uri = element.get("URI", "")
        stated = _digest_value(element)
        if uri in self.inputs:
            self.outcome.used_inputs.add(uri)
            given = self.inputs[uri]
            if given is not None and given[0] == method:
                return given
        if not self.should_resolve(uri):
            self.outcome.unresolved.append((uri, stated))
            return method, stated
        if element.find(f"{{{NS}}}Transforms") is not None:
            raise _malformed(_("The hash chain reference to {uri} uses transforms, which X-Road's "
                               "message log does not write.").format(uri=uri), uri)
        data = self.resolve(uri)
        if data is None:
            raise HashChainError("invalid_reference",
                                 _("Cannot resolve URI: {uri}").format(uri=uri), uri)
        computed = digest(method, data)
        if computed != stated:
            raise HashChainError("invalid_hash_chain_ref",
                                 _("The digest of {uri} does not match the hash chain.").format(uri=uri),
                                 uri, stated, computed)
        self.outcome.verified.append(uri)
        return method, computed


def verify_hash_chain(result_xml: bytes, resolve: Callable[[str], bytes | None],
                      inputs: Mapping[str, Digest | None] | None = None,
                      should_resolve: Callable[[str], bool] | None = None,
                      where: str = "hash chain result") -> HashChainOutcome:
    """Verify a hash chain from its result document; raises :class:`HashChainError`.

    ``resolve(uri)`` returns the bytes of ``/ts-hashchain.xml``, ``/message.xml``… or None.
    ``inputs`` maps URIs the chain must reference to a digest to use instead of the data (or None
    to hash the data). ``should_resolve(uri)`` False takes the chain's digest for that URI on
    trust (X-Road's "unverified" attachments).
    """
    inputs = inputs or {}
    root = _parse(result_xml, "HashChainResult", where)
    method = _method(root, None)
    stated = _digest_value(root)
    verifier = _Verifier(resolve, inputs, should_resolve or (lambda _uri: True))
    der, _chain = verifier.step_der(root.get("URI", ""), None)
    computed = digest(method, der)
    if computed != stated:
        raise HashChainError("invalid_hash_chain",
                             _("The hash chain result does not match the hash chain calculation."),
                             root.get("URI"), stated, computed)
    unused = sorted(set(inputs) - verifier.outcome.used_inputs)
    if unused:
        raise HashChainError("hashchain_unused_inputs",
                             _("Some inputs were not referenced by the hash chain: {inputs}")
                             .format(inputs=", ".join(unused)), unused[0])
    return verifier.outcome
