"""Service descriptions (WSDL, OpenAPI 3, REST), their services and REST endpoints."""

from __future__ import annotations

from backend.api.client_ids import path_id
from backend.api.service_models import Endpoint, Service, ServiceDescription
from backend.api.transport import ApiTransport, decode
from backend.api.writes import WriteRequest
from backend.i18n import _


class ServiceCalls:
    """``client.services``: what a client publishes, and the parameters of each service."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport

    # -- service descriptions ----------------------------------------------------------------

    async def descriptions(self, client_id: str) -> list[ServiceDescription]:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/service-descriptions", list[ServiceDescription])

    async def description(self, description_id: str) -> ServiceDescription:
        return await self.transport.get_model(
            f"/service-descriptions/{path_id(description_id)}", ServiceDescription)

    async def add_description(self, client_id: str, url: str, kind: str, *,
                              rest_service_code: str | None = None) -> ServiceDescription:
        """Add a WSDL, OPENAPI3 or REST description; X-Road fetches and checks it first."""
        body: dict[str, object] = {"url": url, "type": kind, "ignore_warnings": False}
        if rest_service_code:
            body["rest_service_code"] = rest_service_code
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/clients/{path_id(client_id)}/service-descriptions",
            summary=_("Add {kind} service description {url} to {client}").format(
                kind=kind, url=url, client=client_id),
            json=body, ignore_warnings_in="body",
            audit_details={"client": client_id, "url": url, "type": kind},
        ))
        return decode(response, ServiceDescription)

    async def update_description(self, description: ServiceDescription, *, url: str,
                                 new_rest_service_code: str | None = None) -> ServiceDescription:
        """Change the URL (and, for REST and OpenAPI, the service code) of a description."""
        body: dict[str, object] = {"url": url, "type": description.type, "ignore_warnings": False}
        if description.type != "WSDL" and description.services:
            body["rest_service_code"] = description.services[0].service_code
            if new_rest_service_code:
                body["new_rest_service_code"] = new_rest_service_code
        response = await self.transport.write(WriteRequest(
            method="PATCH", path=f"/service-descriptions/{path_id(description.id)}",
            summary=_("Change service description {id} to {url}").format(id=description.id, url=url),
            json=body, ignore_warnings_in="body",
            audit_details={"description": description.id, "url": url},
        ))
        return decode(response, ServiceDescription)

    async def refresh(self, description_id: str) -> ServiceDescription:
        """Fetch the description again; X-Road warns before services are added or removed."""
        response = await self.transport.write(WriteRequest(
            method="PUT", path=f"/service-descriptions/{path_id(description_id)}/refresh",
            summary=_("Refresh service description {id}").format(id=description_id),
            json={"ignore_warnings": False}, ignore_warnings_in="body",
            audit_details={"description": description_id},
        ))
        return decode(response, ServiceDescription)

    async def disable(self, description_id: str, notice: str) -> None:
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/service-descriptions/{path_id(description_id)}/disable",
            summary=_("Disable service description {id}").format(id=description_id),
            json={"disabled_notice": notice}, dangerous=True,
            audit_details={"description": description_id, "notice": notice},
        ))

    async def enable(self, description_id: str) -> None:
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/service-descriptions/{path_id(description_id)}/enable",
            summary=_("Enable service description {id}").format(id=description_id),
            audit_details={"description": description_id},
        ))

    async def delete_description(self, description_id: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/service-descriptions/{path_id(description_id)}",
            summary=_("Delete service description {id} with its services and access rights").format(
                id=description_id),
            dangerous=True, audit_details={"description": description_id},
        ))

    # -- services ----------------------------------------------------------------------------

    async def services_of(self, description_id: str) -> list[Service]:
        return await self.transport.get_model(
            f"/service-descriptions/{path_id(description_id)}/services", list[Service])

    async def service(self, service_id: str) -> Service:
        return await self.transport.get_model(f"/services/{path_id(service_id)}", Service)

    async def update_service(self, service_id: str, *, url: str, timeout: int, ssl_auth: bool,
                             url_all: bool = False, timeout_all: bool = False,
                             ssl_auth_all: bool = False) -> Service:
        """Change a service's parameters; the ``*_all`` flags apply one to its whole description."""
        body = {"url": url, "timeout": timeout, "ssl_auth": ssl_auth, "url_all": url_all,
                "timeout_all": timeout_all, "ssl_auth_all": ssl_auth_all, "ignore_warnings": False}
        response = await self.transport.write(WriteRequest(
            method="PATCH", path=f"/services/{path_id(service_id)}",
            summary=_("Change service {id}: URL {url}, timeout {timeout} s").format(
                id=service_id, url=url, timeout=timeout),
            json=body, ignore_warnings_in="body",
            audit_details={"service": service_id, **{k: v for k, v in body.items()
                                                    if k != "ignore_warnings"}},
        ))
        return decode(response, Service)

    # -- endpoints ---------------------------------------------------------------------------

    async def add_endpoint(self, service_id: str, method: str, path: str) -> Endpoint:
        service_code = service_id.rsplit(":", 1)[-1]
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/services/{path_id(service_id)}/endpoints",
            summary=_("Add endpoint {method} {path} to {service}").format(
                method=method, path=path, service=service_id),
            json={"method": method, "path": path, "service_code": service_code},
            audit_details={"service": service_id, "method": method, "path": path},
        ))
        return decode(response, Endpoint)

    async def endpoint(self, endpoint_id: str) -> Endpoint:
        return await self.transport.get_model(f"/endpoints/{path_id(endpoint_id)}", Endpoint)

    async def update_endpoint(self, endpoint_id: str, method: str, path: str) -> Endpoint:
        response = await self.transport.write(WriteRequest(
            method="PATCH", path=f"/endpoints/{path_id(endpoint_id)}",
            summary=_("Change endpoint {id} to {method} {path}").format(
                id=endpoint_id, method=method, path=path),
            json={"method": method, "path": path},
            audit_details={"endpoint": endpoint_id, "method": method, "path": path},
        ))
        return decode(response, Endpoint)

    async def delete_endpoint(self, endpoint_id: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/endpoints/{path_id(endpoint_id)}",
            summary=_("Delete endpoint {id} and its access rights").format(id=endpoint_id),
            dangerous=True, audit_details={"endpoint": endpoint_id},
        ))
