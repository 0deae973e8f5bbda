"""What the global configuration says: ``/xroad-instances``, ``/member-classes``,
``/member-names``, ``/security-servers`` and ``/timestamping-services``.

The controllers are X-Road's ``XRoadInstancesApiController``, ``MemberClassesApiController``,
``MemberNamesApiController``, ``SecurityServersApiController`` and
``TimestampingServicesApiController``. Their data is the seed's instance, which the sandbox's
central server publishes; before an anchor is imported there is no global configuration and they
fail with 500 ``global_conf_outdated``. X-Road returns sets; the sandbox sorts them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError
from backend.sandbox.routes import (
    bool_query_param,
    java_length,
    json_response,
    requires,
    state,
)

#: ``ConstraintViolationException`` of ``@Size(min = 1, max = 255)`` on a query parameter
SIZE_MESSAGE = "size must be between 1 and 255"


def _server(instance: str, member_class: str, member_code: str, code: str,
            address: str | None) -> dict[str, str | None]:
    """``SecurityServer`` (``SecurityServerConverter``)."""
    return {
        "id": ":".join((instance, member_class, member_code, code)),
        "instance_id": instance,
        "member_class": member_class,
        "member_code": member_code,
        "server_code": code,
        "server_address": address,
    }


@requires("VIEW_XROAD_INSTANCES")
async def xroad_instances(request: Request) -> Response:
    sandbox = state(request)
    sandbox.require_anchor()
    return json_response([{"identifier": sandbox.seed.instance, "local": True}])


@requires("VIEW_MEMBER_CLASSES")
async def member_classes(request: Request) -> Response:
    # current_instance=true: this instance's classes; false: every instance's, and the sandbox's
    # global configuration has no other instance
    bool_query_param(request, "current_instance", False)
    sandbox = state(request)
    sandbox.require_anchor()
    return json_response(sorted(sandbox.seed.member_class_codes))


@requires("VIEW_MEMBER_CLASSES")
async def member_classes_of_instance(request: Request) -> Response:
    sandbox = state(request)
    sandbox.require_anchor()
    if request.path_params["id"] != sandbox.seed.instance:
        raise ApiError(404)  # ResourceNotFoundException("instance identifier not found")
    return json_response(sorted(sandbox.seed.member_class_codes))


@requires("INIT_CONFIG")
async def member_name(request: Request) -> Response:
    params = {"memberClass": request.query_params.get("member_class"),
              "memberCode": request.query_params.get("member_code")}
    if any(value is None for value in params.values()):
        raise ApiError(400)  # MissingServletRequestParameterException
    violations = {f"findMemberName.{name}": [SIZE_MESSAGE]
                  for name, value in params.items() if not 1 <= java_length(value or "") <= 255}
    if violations:
        raise ApiError(400, "validation_failure", validation_errors=violations)
    sandbox = state(request)
    sandbox.require_anchor()
    member = sandbox.seed.member(params["memberClass"], params["memberCode"])
    if member is None:
        raise ApiError(404, "member_name_not_found")
    return json_response({"member_name": member.name})


@requires("VIEW_SECURITY_SERVERS")
async def security_servers(request: Request) -> Response:
    current = bool_query_param(request, "current_server", False)
    sandbox = state(request)
    if current:
        conf = sandbox.require_server_conf()
        own = (conf["instance_identifier"], conf["owner_member_class"],
               conf["owner_member_code"], conf["server_code"])
        if not all(own):  # X-Road's serverconf has no owner or code yet
            raise ApiError(500)
        address = next((s[4] for s in sandbox.registered_security_servers() if s[:4] == own),
                       None)
        return json_response([_server(*own, address)])
    sandbox.require_anchor()
    return json_response([_server(*server)
                          for server in sorted(sandbox.registered_security_servers())])


@requires("INIT_CONFIG")
async def security_server(request: Request) -> Response:
    encoded = request.path_params["id"]
    parts = encoded.split(":")
    if len(parts) != 4 or not all(parts):
        raise ApiError(400)  # "Invalid security server id"
    sandbox = state(request)
    sandbox.require_anchor()
    found = next((server for server in sandbox.registered_security_servers()
                  if list(server[:4]) == parts), None)
    if found is None:
        raise ApiError(404)  # ResourceNotFoundException("Security server … not found")
    return json_response(_server(*found))


@requires("VIEW_TSPS")
async def approved_timestamping_services(request: Request) -> Response:
    sandbox = state(request)
    sandbox.require_anchor()
    return json_response([{"name": name, "url": url, "cost_type": cost}
                          for name, url, cost in sorted(sandbox.approved_timestamping_services())])


routes = [
    Route("/api/v1/xroad-instances", xroad_instances, methods=["GET"]),
    Route("/api/v1/member-classes", member_classes, methods=["GET"]),
    Route("/api/v1/member-classes/{id}", member_classes_of_instance, methods=["GET"]),
    Route("/api/v1/member-names", member_name, methods=["GET"]),
    Route("/api/v1/security-servers", security_servers, methods=["GET"]),
    Route("/api/v1/security-servers/{id}", security_server, methods=["GET"]),
    Route("/api/v1/timestamping-services", approved_timestamping_services, methods=["GET"]),
]
