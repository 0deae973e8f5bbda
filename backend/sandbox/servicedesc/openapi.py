"""The operations of an OpenAPI 3 description, read as X-Road's ``OpenApiParser`` reads them.

The document may be YAML or JSON. Only OpenAPI 3.0.x and 3.1.0 are accepted; any other
``openapi`` version (3.1.1, 2.0 …) is ``unsupported_openapi_version``. Each operation becomes an
endpoint ``METHOD path`` with every path template (``{id}``) written as ``*``. The service URL is
the first server's URL resolved against the description's URL (``/`` when there is none, as
swagger-parser adds), left as it is when it holds a server variable.

X-Road reports swagger-parser's messages as ``openapi_validation_warnings``; the sandbox produces
the same messages for the structural problems swagger-parser reports most often: missing ``info``,
``info.title``, ``info.version`` and (3.0) ``paths`` and operation ``responses``, path templates
without a path parameter, and repeated ``operationId``s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import yaml

SUPPORTED_MINOR = "3.0"
SUPPORTED_3_1 = "3.1.0"
#: the order of swagger's ``PathItem.readOperationsMap``
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_TEMPLATE = re.compile(r"\{[^/]*\}")
_PARAMETER = re.compile(r"\{([^/{}]+)\}")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class OpenApiParsingError(Exception):
    """``openapi_parsing_error``, the message its metadata."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedOpenApiVersion(Exception):
    """``unsupported_openapi_version``."""

    def __init__(self, version: str) -> None:
        super().__init__(f"OpenAPI version {version} not supported")
        self.version = version


@dataclass(frozen=True)
class Operation:
    method: str
    path: str


@dataclass
class OpenApiResult:
    base_url: str
    operations: list[Operation]
    warnings: list[str] = field(default_factory=list)


def _load(content: bytes, url: str) -> Any:
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        if text.lstrip().startswith("{"):
            try:
                return json.loads(text)
            except ValueError:
                pass
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        raise OpenApiParsingError(f"Unable to parse OpenAPI description from {url}") from None


def _version(document: Any, url: str) -> str:
    if not isinstance(document, dict) or "openapi" not in document:
        raise OpenApiParsingError(f"Unable to parse OpenAPI description from {url}")
    version = document["openapi"]
    if isinstance(version, bool) or version is None or isinstance(version, dict | list):
        raise OpenApiParsingError(f"Unable to parse OpenAPI description from {url}")
    return str(version)


def version_supported(version: str) -> bool:
    return version.startswith(SUPPORTED_MINOR) or version == SUPPORTED_3_1


def _base_url(document: dict[str, Any], url: str) -> str:
    servers = document.get("servers")
    server_url = "/"
    if isinstance(servers, list) and servers and isinstance(servers[0], dict) \
            and isinstance(servers[0].get("url"), str):
        server_url = servers[0]["url"]
    return server_url if "{" in server_url else urljoin(url, server_url)


def _operations(paths: Any) -> list[Operation]:
    found: dict[tuple[str, str], Operation] = {}
    if not isinstance(paths, dict):
        return []
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                operation = Operation(method.upper(), _TEMPLATE.sub("*", str(path)))
                found.setdefault((operation.method, operation.path), operation)
    return list(found.values())


def _resolve(document: dict[str, Any], parameter: Any) -> Any:
    reference = parameter.get("$ref") if isinstance(parameter, dict) else None
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return parameter
    target: Any = document
    for part in reference[2:].split("/"):
        target = target.get(part.replace("~1", "/").replace("~0", "~")) \
            if isinstance(target, dict) else None
    return target


def _path_parameters(document: dict[str, Any], parameters: Any) -> set[str] | None:
    """Names of the path parameters in a parameter list; ``None`` when one cannot be resolved."""
    names: set[str] = set()
    for parameter in parameters if isinstance(parameters, list) else []:
        resolved = _resolve(document, parameter)
        if not isinstance(resolved, dict):
            return None
        if resolved.get("in") == "path" and isinstance(resolved.get("name"), str):
            names.add(resolved["name"])
    return names


def _path_warnings(document: dict[str, Any], path: str, item: dict[str, Any], v30: bool,
                   operation_ids: set[str]) -> list[str]:
    warnings = []
    at_path = _path_parameters(document, item.get("parameters"))
    missing: list[str] = []
    for method in METHODS:
        operation = item.get(method)
        if not isinstance(operation, dict):
            continue
        where = f"paths.'{path}'({method})"
        if v30 and "responses" not in operation:
            warnings.append(f"attribute {where}.responses is missing")
        operation_id = operation.get("operationId")
        if isinstance(operation_id, str):
            if operation_id in operation_ids:
                warnings.append(f"attribute {where}.operationId is repeated")
            operation_ids.add(operation_id)
        at_operation = _path_parameters(document, operation.get("parameters"))
        if at_path is None or at_operation is None:
            continue
        for name in _PARAMETER.findall(path):
            if name not in at_path and name not in at_operation and name not in missing:
                missing.append(name)
    warnings.extend(f"paths.'{path}'. Declared path parameter {name} needs to be defined as a "
                    "path parameter in path or operation level" for name in missing)
    return warnings


def _warnings(document: dict[str, Any], version: str) -> list[str]:
    v30 = version.startswith(SUPPORTED_MINOR)
    warnings = []
    info = document.get("info")
    if not isinstance(info, dict):
        warnings.append("attribute info is missing")
    else:
        warnings.extend(f"attribute info.{key} is missing" for key in ("title", "version")
                        if info.get(key) is None)
    paths = document.get("paths")
    if paths is None and v30:
        warnings.append("attribute paths is missing")
    operation_ids: set[str] = set()
    for path, item in (paths or {}).items() if isinstance(paths, dict) else ():
        if isinstance(item, dict):
            warnings.extend(_path_warnings(document, str(path), item, v30, operation_ids))
    return warnings


def parse_openapi(content: bytes, url: str) -> OpenApiResult:
    """The service URL, operations and validation warnings of the description ``content``
    downloaded from ``url``."""
    document = _load(content, url)
    version = _version(document, url)
    if not version_supported(version):
        raise UnsupportedOpenApiVersion(version)
    return OpenApiResult(_base_url(document, url), _operations(document.get("paths")),
                         _warnings(document, version))
