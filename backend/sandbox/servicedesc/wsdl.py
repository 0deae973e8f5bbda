"""The SOAP services of a WSDL 1.1 document, read as X-Road's ``WsdlParser`` reads them.

Every operation of a binding that is SOAP 1.1 or 1.2 over HTTP, reached through a port of a
``wsdl:service``, is a service: its code is the operation's name, its version the text of the
binding operation's ``xrd:version`` element (any namespace, local name ``version``), its title the
``title`` child of the port type operation's ``wsdl:documentation`` and its URL the port's
``soap:address``. Ports whose binding is not SOAP over HTTP are skipped; imports are not followed.

X-Road also runs an external WSDL validator whose findings are ``wsdl_validation_warnings``; the
sandbox checks the two rules of it that matter most for X-Road's message protocol (document style,
literal bodies) and reports them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
_DEFINITIONS = f"{{{WSDL_NS}}}definitions"
_BINDINGS = (f"{{{SOAP_NS}}}binding", f"{{{SOAP12_NS}}}binding")
_ADDRESSES = (f"{{{SOAP_NS}}}address", f"{{{SOAP12_NS}}}address")
_BODIES = (f"{{{SOAP_NS}}}body", f"{{{SOAP12_NS}}}body")
_OPERATIONS = (f"{{{SOAP_NS}}}operation", f"{{{SOAP12_NS}}}operation")


class WsdlError(Exception):
    """The document is not a WSDL X-Road can read (``invalid_wsdl``, the message its metadata)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ServiceInfo:
    """One service of a WSDL: X-Road's ``WsdlParser.ServiceInfo``."""

    name: str
    title: str | None
    url: str | None
    version: str | None

    @property
    def full_code(self) -> str:
        """``code.version`` (``ServiceFormatter.getServiceFullName``)."""
        return f"{self.name}.{self.version}" if self.version is not None else self.name


@dataclass
class WsdlResult:
    services: list[ServiceInfo]
    warnings: list[str] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    # no DTDs, no entities, no network: a description is data, never instructions to fetch more
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True)


def _text(element: etree._Element | None) -> str | None:
    """X-Road's ``getValue``: the trimmed text before the first child, if there is any."""
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _resolve(element: etree._Element, qname: str | None) -> tuple[str | None, str]:
    """The namespace and local part of a prefixed name used in an attribute of ``element``."""
    if not qname:
        return None, ""
    prefix, sep, local = qname.rpartition(":")
    return (element.nsmap.get(prefix or None), local) if sep else (element.nsmap.get(None), qname)


def _children(element: etree._Element, tag: str) -> list[etree._Element]:
    return [child for child in element if child.tag == tag]


def _first(element: etree._Element, tags: tuple[str, ...]) -> etree._Element | None:
    for child in element:
        if child.tag in tags:
            return child
    return None


def _definitions(content: bytes, url: str) -> etree._Element:
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise WsdlError(f"Problem parsing '{url}': {error.msg}") from None
    if root.tag != _DEFINITIONS:
        raise WsdlError(f"Expected element '{_DEFINITIONS}'.")
    return root


class _Document:
    """The named parts of one WSDL document (its own target namespace; imports are not read)."""

    def __init__(self, root: etree._Element) -> None:
        self.namespace = root.get("targetNamespace")
        self.port_types = {p.get("name"): p for p in _children(root, f"{{{WSDL_NS}}}portType")}
        self.bindings = {b.get("name"): b for b in _children(root, f"{{{WSDL_NS}}}binding")}

    def binding(self, port: etree._Element) -> etree._Element | None:
        namespace, name = _resolve(port, port.get("binding"))
        return self.bindings.get(name) if namespace == self.namespace else None

    def port_type_operations(self, binding: etree._Element) -> dict[str, list[etree._Element]]:
        namespace, name = _resolve(binding, binding.get("type"))
        port_type = self.port_types.get(name) if namespace == self.namespace else None
        operations: dict[str, list[etree._Element]] = {}
        if port_type is not None:
            for operation in _children(port_type, f"{{{WSDL_NS}}}operation"):
                operations.setdefault(operation.get("name", ""), []).append(operation)
        return operations


def _soap_over_http(binding: etree._Element) -> bool:
    found = _first(binding, _BINDINGS)
    return found is not None and found.get("transport") == HTTP_TRANSPORT


def _version(operation: etree._Element) -> str | None:
    for child in operation:
        if isinstance(child.tag, str) and etree.QName(child).namespace != WSDL_NS \
                and _local(child) == "version":
            return _text(child)
    return None


def _title(port_type_operation: etree._Element | None) -> str | None:
    if port_type_operation is None:
        return None
    documentation = _first(port_type_operation, (f"{{{WSDL_NS}}}documentation",))
    if documentation is None:
        return None
    for child in documentation:
        if isinstance(child.tag, str) and _local(child) == "title":
            return _text(child)
    return None


def _port_type_operation(binding: etree._Element, candidates: list[etree._Element],
                         name: str) -> etree._Element | None:
    if len(candidates) > 1:
        raise WsdlError(f"WSDL violates specification: Duplicate operation with name={name}, "
                        f"found in portType '{binding.get('type')}'.")
    return candidates[0] if candidates else None


def _services(root: etree._Element) -> list[ServiceInfo]:
    document = _Document(root)
    found: dict[str, ServiceInfo] = {}
    for service in _children(root, f"{{{WSDL_NS}}}service"):
        for port in _children(service, f"{{{WSDL_NS}}}port"):
            binding = document.binding(port)
            if binding is None or not _soap_over_http(binding):
                continue
            address = _first(port, _ADDRESSES)
            url = address.get("location") if address is not None else None
            port_type_ops = document.port_type_operations(binding)
            for operation in _children(binding, f"{{{WSDL_NS}}}operation"):
                name = operation.get("name", "")
                version = _version(operation)
                abstract = _port_type_operation(binding, port_type_ops.get(name, []), name)
                info = ServiceInfo(name, _title(abstract), url, version or None)
                found[f"{name}{version}"] = info
    return list(found.values())


def _validation_warnings(root: etree._Element) -> list[str]:
    """Rules of X-Road's message protocol that a WSDL may break without being unreadable."""
    warnings = []
    for binding in _children(root, f"{{{WSDL_NS}}}binding"):
        name = binding.get("name")
        soap = _first(binding, _BINDINGS)
        default_style = soap.get("style", "document") if soap is not None else "document"
        for operation in _children(binding, f"{{{WSDL_NS}}}operation"):
            op_name = operation.get("name")
            soap_op = _first(operation, _OPERATIONS)
            style = soap_op.get("style", default_style) if soap_op is not None else default_style
            if style == "rpc":
                warnings.append(f"Operation '{op_name}' of binding '{name}' uses the rpc style; "
                                "X-Road's message protocol requires the document style")
            for direction in (*_children(operation, f"{{{WSDL_NS}}}input"),
                              *_children(operation, f"{{{WSDL_NS}}}output")):
                body = _first(direction, _BODIES)
                if body is not None and body.get("use") == "encoded":
                    warnings.append(
                        f"The {_local(direction)} of operation '{op_name}' of binding '{name}' "
                        "uses the encoded SOAP body; X-Road requires literal bodies (WS-I R2706)")
    return warnings


def parse_wsdl(content: bytes, url: str) -> WsdlResult:
    """The services of the WSDL ``content`` downloaded from ``url``; :class:`WsdlError` if it
    cannot be read as a WSDL 1.1 document."""
    root = _definitions(content, url)
    return WsdlResult(_services(root), _validation_warnings(root))
