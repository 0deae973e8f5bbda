"""Human words for X-Road's status codes, error codes and warning codes.

Unknown codes are shown as they are, with their metadata: an operator can search X-Road's
documentation for a code, never for a paraphrase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.i18n import N_, _

if TYPE_CHECKING:
    from backend.api.models import CodeWithDetails

STATUS_TITLES: dict[int, str] = {
    400: N_("Request refused"),
    401: N_("Not authenticated"),
    403: N_("Permission denied"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    413: N_("Request too large"),
    429: N_("Too many requests"),
    500: N_("Server error"),
    502: N_("Server unavailable"),
    503: N_("Server unavailable"),
    504: N_("Server timed out"),
}

STATUS_HINTS: dict[int, str] = {
    401: N_(
        "The API key is missing, wrong or revoked. Create a new key (connect screen, or "
        "POST /api/v1/api-keys on the server) and store it in the profile."
    ),
    403: N_(
        "The API key does not have the role this needs. Ask a system administrator for a key "
        "with the right roles."
    ),
    404: N_("The server does not have this object or path. Refresh the view and try again."),
    413: N_("The request is larger than the security server accepts (50 KB, uploads 10 MB)."),
    429: N_(
        "The security server limits each address to 20 requests per second and 600 per "
        "minute. Wait a minute and try again."
    ),
    500: N_("The security server failed. Its log is /var/log/xroad/proxy_ui_api.log."),
    502: N_("The admin API is not running. Check: systemctl status xroad-proxy-ui-api"),
    503: N_("The admin API is not running. Check: systemctl status xroad-proxy-ui-api"),
}

ERROR_MESSAGES: dict[str, str] = {
    "validation_failure": N_("Some fields are not valid."),
    "missing_parameter": N_("A required parameter is missing."),
    "invalid_parameters": N_("Some parameters are not valid."),
    "action_not_possible": N_("This action is not possible in the object's current state."),
    "internal_error": N_("The security server reported an internal error."),
    "database_error": N_("The security server could not use its database."),
    "global_conf_outdated": N_(
        "The global configuration is outdated. Check the configuration client and the "
        "connection to the central server."
    ),
    "invalid_role": N_("Unknown or empty role; choose at least one X-Road role."),
    "api_key_not_found": N_("There is no API key with this id."),
    "token_not_found": N_("There is no token with this id."),
    "key_not_found": N_("There is no key with this id."),
    "certificate_not_found": N_("There is no certificate with this hash."),
    "pin_incorrect": N_("The PIN is not correct."),
    "missing_token_password": N_("Enter the token PIN."),
    "token_weak_pin": N_("The PIN is too weak for the server's PIN policy."),
    "weak_pin": N_("The PIN is too weak for the server's PIN policy."),
    "anchor_not_found": N_("No configuration anchor has been imported."),
    "malformed_anchor": N_("The file is not a valid configuration anchor."),
    "management_request_sending_failed": N_(
        "The management request could not be sent to the central server."
    ),
    # clients
    "client_already_exists": N_("This client is already on this security server."),
    "additional_member_already_exists": N_(
        "The security server already has a second member; X-Road allows only the owner and one more."
    ),
    "client_not_found": N_("There is no such client on this security server."),
    "invalid_member_class": N_("The member class is not in the global configuration."),
    "invalid_connection_type": N_("The connection type must be HTTP, HTTPS or HTTPS_NO_AUTH."),
    "cannot_register_owner": N_("The owner is registered with the security server itself."),
    "cannot_unregister_owner": N_("The owner cannot be unregistered; make another member the owner first."),
    "cannot_delete_owner": N_("The owner cannot be deleted from its security server."),
    "member_already_owner": N_("This member already owns the security server."),
    "invalid_client_name": N_("The subsystem name is not valid."),
    "client_rename_already_submitted": N_("A name change for this subsystem is already waiting."),
    "orphans_not_found": N_("The client left no keys, certificates or CSRs behind."),
    "invalid_cert": N_("The file is not a certificate."),
    "certificate_already_exists": N_("This certificate is already there."),
    # service descriptions, services, endpoints
    "invalid_wsdl": N_("The WSDL is not valid."),
    "wsdl_download_failed": N_(
        "The security server could not download the description from its URL. Check the URL and "
        "that the server can reach it."
    ),
    "wsdl_exists": N_("This client already has a service description with this URL."),
    "url_already_exists": N_("This client already has a service description with this URL."),
    "invalid_wsdl_service_identifier": N_(
        "A service code or version in the description has characters X-Road does not allow "
        "(for example ':')."
    ),
    "invalid_service_url": N_("A service address in the description is not an http or https URL."),
    "malformed_url": N_("The URL is not valid."),
    "invalid_https_url": N_("TLS authentication needs an https URL."),
    "unsupported_openapi_version": N_(
        "This OpenAPI version is not supported; X-Road reads OpenAPI 3.0.x and 3.1.0."
    ),
    "openapi_parsing_error": N_("The OpenAPI description could not be read."),
    "service_already_exists": N_("A service with this code already exists for this client."),
    "service_code_already_exists": N_("A service with this code already exists for this client."),
    "wrong_servicedescription_type": N_("This change does not fit the service description's type."),
    "service_description_not_found": N_("There is no such service description."),
    "service_not_found": N_("There is no such service."),
    "endpoint_not_found": N_("There is no such endpoint."),
    "endpoint_already_exists": N_("This endpoint already exists."),
    "illegal_generated_endpoint_update": N_(
        "Endpoints read from the OpenAPI description cannot be changed; change the description."
    ),
    "illegal_generated_endpoint_remove": N_(
        "Endpoints read from the OpenAPI description cannot be deleted; change the description."
    ),
    # access rights and local groups
    "duplicate_accessright": N_("The subject already has this access right; nothing was changed."),
    "accessright_not_found": N_("The subject does not have this access right; nothing was changed."),
    "service_client_not_found": N_(
        "The subject is not known to the global configuration or to this client's local groups."
    ),
    "invalid_service_client_id": N_(
        "Access rights are given to subsystems, global groups or local groups, not to members."
    ),
    "base_endpoint_not_found": N_("The service has no base endpoint on this server."),
    "local_group_not_found": N_("There is no such local group."),
    "local_group_code_already_exists": N_("This client already has a local group with this code."),
    "local_group_member_already_exists": N_("This member is already in the local group."),
    "local_group_member_not_found": N_("This member is not in the local group."),
}

WARNING_MESSAGES: dict[str, str] = {
    "init_unregistered_member": N_("The owner member is not registered in the global configuration."),
    "init_server_id_exists": N_("A security server with this id already exists."),
    "init_servercode_exists": N_("The server code is already in use."),
    "init_server_owner_exists": N_("The server owner is already set."),
    "init_software_token_initialized": N_("The software token is already initialised."),
    "unregistered_member": N_("The member is not registered in the global configuration."),
    "wsdl_validation_warnings": N_("The WSDL validator reported warnings."),
    "openapi_validation_warnings": N_("The OpenAPI validator reported warnings."),
    "adding_services": N_("These services will be added:"),
    "deleting_services": N_("These services will be removed, with their access rights:"),
    "adding_endpoints": N_("These endpoints will be added:"),
    "deleting_endpoints": N_("These endpoints will be removed, with their access rights:"),
    "auth_key_with_registered_cert_warning": N_(
        "The key has a registered authentication certificate; it will be unregistered first."
    ),
    "warning_file_already_exists": N_("A backup file with this name already exists."),
    "internal_server_ssl_handshake_error": N_("The TLS handshake with the service failed."),
    "internal_server_ssl_error": N_("The service's TLS certificate could not be verified."),
}


def _human_metadata(metadata: list[str]) -> list[str]:
    """Metadata without X-Road's ``tr.*`` translation keys (those are for its web UI)."""
    return [m for m in metadata if m and not m.startswith("tr.")]


def describe_code(details: CodeWithDetails, table: dict[str, str]) -> str:
    """One code in words, with its metadata and field errors."""
    known = table.get(details.code)
    if known is not None:
        text = f"{_(known)} ({details.code})"
    elif details.code.startswith("core."):
        text = details.code.removeprefix("core.")
    else:
        text = details.code
    extra = _human_metadata(details.metadata)
    if extra:
        text += "\n  " + "\n  ".join(extra)
    for field_name, problems in details.validation_errors.items():
        text += "\n  " + _("{field}: {problems}").format(
            field=field_name, problems=", ".join(problems)
        )
    return text


def describe_warnings(warnings: list[CodeWithDetails]) -> str:
    return "\n".join("• " + describe_code(w, WARNING_MESSAGES) for w in warnings)


def describe_error(
    status: int,
    error: CodeWithDetails | None,
    warnings: list[CodeWithDetails],
    reason: str = "",
) -> tuple[str, str]:
    """A (title, message) pair for an error answer."""
    if error is not None and error.code == "warnings_detected":
        return _("Confirm warnings"), _(
            "The security server reports warnings; nothing was changed.\n{warnings}"
        ).format(warnings=describe_warnings(warnings))
    base = 500 if status >= 500 and status not in STATUS_TITLES else status
    title = _(STATUS_TITLES.get(base, N_("Request failed")))
    parts: list[str] = []
    if error is not None:
        parts.append(describe_code(error, ERROR_MESSAGES))
    hint = STATUS_HINTS.get(base)
    if hint and (error is None or error.code not in ERROR_MESSAGES):
        parts.append(_(hint))
    if not parts:
        parts.append(_("HTTP {status} {reason}").format(status=status, reason=reason).strip())
    if warnings:
        parts.append(describe_warnings(warnings))
    return title, "\n".join(parts)
