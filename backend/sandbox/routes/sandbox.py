"""Services of the simulated instance outside ``/api``: the test CA's OCSP responder.

``POST /sandbox/ocsp`` takes a DER request (``application/ocsp-request``); ``GET
/sandbox/ocsp/<base64 request>`` is the RFC 5019 form. Both answer ``application/ocsp-response``.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.routes import read_body, state

OCSP_RESPONSE = "application/ocsp-response"


async def ocsp_post(request: Request) -> Response:
    body = await read_body(request)
    return Response(state(request).ocsp_respond(body), media_type=OCSP_RESPONSE)


async def ocsp_get(request: Request) -> Response:
    encoded = unquote(request.path_params["request"])
    try:
        body = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        body = b""
    return Response(state(request).ocsp_respond(body), media_type=OCSP_RESPONSE)


def routes(ocsp_path: str) -> list[Route]:
    return [
        Route(ocsp_path, ocsp_post, methods=["POST"]),
        Route(ocsp_path + "/{request:path}", ocsp_get, methods=["GET"]),
    ]
