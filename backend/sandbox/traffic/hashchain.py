"""X-Road's hash chains: a Merkle tree over many digests, and one chain per input up to its top.

A port of X-Road's ``HashChainBuilder`` (``common-message``), so that batch signatures
(``sig-hashchain.xml``) and batch timestamps (``ts-hashchain.xml``) come out as X-Road writes them:
the same array-based tree with its fix-up for incomplete trees, the same steps, the same XML (JAXB's
formatted output). A step's value is the digest of the DER ``SEQUENCE OF SingleDigest`` of its items,
``SingleDigest ::= SEQUENCE { digest OCTET STRING, digestMethodURI UTF8String, transforms SEQUENCE
{} }`` (X-Road's ``DigestList``). An input made of several parts (a message and its attachments) is
first combined into one step of its own, which becomes the last step of that input's chain.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

XMLENC_SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
DIGEST_URIS = {
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": XMLENC_SHA512,
}
_XML_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NAMESPACES = 'xmlns="http://www.w3.org/2000/09/xmldsig#" xmlns:ns2="http://cyber.ee/hashchain"'


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(value)) + value


def digest_list(uri: str, items: Sequence[bytes]) -> bytes:
    """The DER ``SEQUENCE OF SingleDigest`` of ``items`` (X-Road's ``DigestList.concatDigests``)."""
    method = _tlv(0x0C, uri.encode())
    return _tlv(0x30, b"".join(_tlv(0x30, _tlv(0x04, item) + method + b"\x30\x00")
                                for item in items))


def step_digest(algorithm: str, items: Sequence[bytes]) -> bytes:
    """The value of a hash step over ``items`` (``DigestList.digestHashStep``)."""
    return hashlib.new(algorithm, digest_list(DIGEST_URIS[algorithm], items)).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class HashChainBuilder:
    """Build the tree with :meth:`add` and :meth:`finish`, then ask for the result and the chains."""

    def __init__(self, algorithm: str = "sha512") -> None:
        self.algorithm = algorithm
        self.uri = DIGEST_URIS[algorithm]
        self.inputs: list[bytes] = []
        self.multiparts: dict[int, tuple[bytes, ...]] = {}
        self.nodes: list[bytes | None] | None = None
        self.max_index = 0

    # -- building ---------------------------------------------------------------------------------

    def add(self, parts: Sequence[bytes]) -> None:
        """Add one input: a single digest, or the digests of a message and its attachments."""
        if self.nodes is not None:
            raise ValueError("cannot add inputs to a finished tree")
        if len(parts) == 1:
            self.inputs.append(parts[0])
        else:
            self.inputs.append(step_digest(self.algorithm, parts))
            self.multiparts[len(self.inputs) - 1] = tuple(parts)

    def finish(self) -> None:
        count = len(self.inputs)
        self.nodes = [None] * ((1 << (count - 1).bit_length()) - 1) if count else []
        if count < 2:
            return
        self.max_index = len(self.nodes) + count
        self._hash_inputs()
        self._hash_nodes()
        self._fix_tree(0)

    def _step(self, left: bytes, right: bytes) -> bytes:
        return step_digest(self.algorithm, (left, right))

    def _hash_inputs(self) -> None:
        nodes = self._tree()
        for i in range(0, len(self.inputs) - 1, 2):
            nodes[(len(nodes) + i - 1) // 2] = self._step(self.inputs[i], self.inputs[i + 1])

    def _hash_nodes(self) -> None:
        nodes = self._tree()
        level_start = len(nodes) // 2
        while level_start > 0:
            i = level_start
            while i < level_start * 2 and nodes[i] is not None and nodes[i + 1] is not None:
                left, right = nodes[i], nodes[i + 1]
                assert left is not None and right is not None
                nodes[(i - 1) // 2] = self._step(left, right)
                i += 2
            level_start //= 2

    def _fix_tree(self, index: int) -> bytes | None:
        if index >= self.max_index:
            return None
        value = self._get(index)
        if value is not None:
            return value
        left = self._get(2 * index + 1)
        if left is None:
            return self._fix_tree(2 * index + 1)
        right = self._fix_tree(2 * index + 2)
        if right is None:
            return left
        value = self._step(left, right)
        self._tree()[index] = value
        return value

    def _tree(self) -> list[bytes | None]:
        if self.nodes is None:
            raise ValueError("the tree is not finished")
        return self.nodes

    def _get(self, index: int) -> bytes | None:
        nodes = self._tree()
        if index < len(nodes):
            return nodes[index]
        if index < self.max_index:
            return self.inputs[index - len(nodes)]
        return None

    def _get_deep(self, index: int) -> bytes | None:
        value = self._get(index)
        while value is None and index < self.max_index:
            index = 2 * index + 1
            value = self._get(index)
        return value

    # -- results ----------------------------------------------------------------------------------

    @property
    def needs_chain(self) -> bool:
        """Whether there is a tree at all: two inputs or more, or one made of several parts."""
        return len(self.inputs) > 1 or bool(self.multiparts)

    def top(self) -> bytes:
        nodes = self._tree()
        if len(self.inputs) == 1:
            return self.inputs[0]
        top = nodes[0]
        assert top is not None
        return top

    def result_xml(self, chain_uri: str) -> bytes:
        """``HashChainResult`` naming ``chain_uri`` (e.g. ``/sig-hashchain.xml``) and the top."""
        if not self.needs_chain:
            raise ValueError("a single input without attachments has no hash chain")
        return (f'{_XML_HEADER}<ns2:HashChainResult URI="{chain_uri}#STEP0" {_NAMESPACES}>\n'
                f'    <DigestMethod Algorithm="{self.uri}"/>\n'
                f"    <DigestValue>{_b64(self.top())}</DigestValue>\n"
                "</ns2:HashChainResult>\n").encode()

    def chain_xml(self, index: int, data_uri: str) -> bytes:
        """The ``HashChain`` from input ``index`` (named ``data_uri``) up to the top."""
        if not self.needs_chain:
            raise ValueError("a single input without attachments has no hash chain")
        steps: list[list[str]] = []
        if len(self.inputs) > 1:
            steps = self._tree_steps(index, data_uri)
        if index in self.multiparts:
            parts = self.multiparts[index]
            items = [_data_ref(data_uri, parts[0])]
            items += [_data_ref(f"/attachment{number}", part)
                      for number, part in enumerate(parts[1:], start=1)]
            steps.append(items)
        body = "".join(f'    <ns2:HashStep id="STEP{number}">\n{"".join(items)}    </ns2:HashStep>\n'
                       for number, items in enumerate(steps))
        return (f"{_XML_HEADER}<ns2:HashChain {_NAMESPACES}>\n"
                f'    <ns2:DefaultDigestMethod Algorithm="{self.uri}"/>\n'
                f"{body}</ns2:HashChain>\n").encode()

    def _tree_steps(self, index: int, data_uri: str) -> list[list[str]]:
        nodes = self._tree()
        steps: list[list[str]] = []
        current = 0
        level = (len(self.inputs) - 1).bit_length() - 1
        while current < len(nodes):
            direction = (index >> level) & 1 if level >= 0 else 0
            mine = 2 * current + 1 + direction
            other = 2 * current + 2 - direction
            while self._get(mine) is None:
                mine = 2 * mine + 1
                level -= 1
            other_value = self._get_deep(other)
            assert other_value is not None
            items = ["", ""]
            items[1 - direction] = _hash_value(other_value)
            if mine >= len(nodes) and index not in self.multiparts:
                value = self._get(mine)
                assert value is not None
                items[direction] = _data_ref(data_uri, value)
            else:
                items[direction] = f'        <ns2:StepRef URI="#STEP{len(steps) + 1}"/>\n'
            steps.append(items)
            current = mine
            level -= 1
        return steps


def _data_ref(uri: str, digest: bytes) -> str:
    return (f'        <ns2:DataRef URI="{uri}">\n'
            f"            <DigestValue>{_b64(digest)}</DigestValue>\n"
            "        </ns2:DataRef>\n")


def _hash_value(digest: bytes) -> str:
    return ("        <ns2:HashValue>\n"
            f"            <DigestValue>{_b64(digest)}</DigestValue>\n"
            "        </ns2:HashValue>\n")
