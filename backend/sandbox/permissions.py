"""Roles and the permissions they grant, as X-Road 7.8's ``permissions.yml`` defines them.

A caller's authorities are ``ROLE_<role>`` for each role plus the upper-case name of every permission
those roles grant; ``GET /user`` reports them, and each endpoint requires one permission.
"""

from __future__ import annotations

SO = "XROAD_SECURITY_OFFICER"
RO = "XROAD_REGISTRATION_OFFICER"
SA = "XROAD_SERVICE_ADMINISTRATOR"
SY = "XROAD_SYSTEM_ADMINISTRATOR"
OB = "XROAD_SECURITYSERVER_OBSERVER"
MS = "XROAD_MANAGEMENT_SERVICE"

#: the roles of a security server's users, in X-Road's order
SECURITY_SERVER_ROLES: tuple[str, ...] = (SO, RO, SA, SY, OB)
#: every role name X-Road's ``Role`` enum knows (API keys may carry any of them)
ALL_ROLES: tuple[str, ...] = (*SECURITY_SERVER_ROLES, MS)

_ALL_SS = (SO, RO, SA, SY, OB)

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "init_config": (SY,),
    "view_clients": (SO, RO, SA, OB),
    "add_client": (RO,),
    "send_client_reg_req": (RO,),
    "send_owner_change_req": (RO,),
    "view_client_details": (RO, SA, OB),
    "send_client_del_req": (RO,),
    "delete_client": (RO,),
    "disable_client": (RO,),
    "enable_client": (RO,),
    "rename_subsystem": (RO,),
    "view_client_local_groups": (SA, OB),
    "add_local_group": (SA,),
    "edit_local_group_desc": (SA,),
    "edit_local_group_members": (SA,),
    "delete_local_group": (SA,),
    "view_client_services": (SA, OB),
    "add_wsdl": (SA,),
    "add_openapi3": (SA,),
    "add_openapi3_endpoint": (SA,),
    "enable_disable_wsdl": (SA,),
    "edit_wsdl": (SA,),
    "edit_openapi3": (SA,),
    "edit_rest": (SA,),
    "edit_openapi3_endpoint": (SA,),
    "refresh_wsdl": (SA,),
    "refresh_openapi3": (SA,),
    "refresh_rest": (SA,),
    "delete_wsdl": (SA,),
    "delete_endpoint": (SA,),
    "edit_service_params": (SA,),
    "view_endpoint": (SA, OB),
    "view_service_acl": (SA, OB),
    "edit_service_acl": (SA,),
    "view_endpoint_acl": (SA, OB),
    "edit_endpoint_acl": (SA,),
    "view_client_acl_subjects": (SA, OB),
    "view_acl_subject_open_services": (SA, OB),
    "edit_acl_subject_open_services": (SA,),
    "view_client_internal_certs": (SA, RO, OB),
    "view_client_internal_cert_details": (SA, RO, OB),
    "add_client_internal_cert": (SA, RO),
    "delete_client_internal_cert": (SA, RO),
    "view_client_internal_connection_type": (SA, RO, OB),
    "edit_client_internal_connection_type": (SA, RO),
    "view_keys": (SO, RO, SY, OB),
    "activate_deactivate_token": (SO, SY),
    "update_token_pin": (SY,),
    "view_auth_cert": (SO, RO, SY, OB),
    "view_sign_cert": (SO, RO, SY, OB, SA),
    "view_unknown_cert": (SO, RO, SY, OB, SA),
    "generate_key": (SO, RO),
    "delete_key": (SO, RO),
    "generate_auth_cert_req": (SO,),
    "generate_sign_cert_req": (SO, RO),
    "import_auth_cert": (SO,),
    "import_sign_cert": (SO, RO),
    "import_unknown_cert": (SO,),
    "activate_disable_auth_cert": (SO,),
    "activate_disable_sign_cert": (SO, RO),
    "send_auth_cert_reg_req": (SO,),
    "send_auth_cert_del_req": (SO,),
    "delete_auth_cert": (SO,),
    "delete_sign_cert": (SO, RO),
    "delete_unknown_cert": (SO, RO),
    "delete_auth_key": (SO,),
    "delete_sign_key": (SO, RO),
    "edit_key_friendly_name": (SO, RO, SY),
    "edit_token_friendly_name": (SO, RO, SY),
    "delete_token": (SY,),
    "create_api_key": (SY,),
    "view_api_keys": (SY, OB),
    "update_api_key": (SY,),
    "revoke_api_key": (SY,),
    "view_sys_params": (SO, SY, OB),
    "view_anchor": (SO, SY, OB),
    "download_anchor": (SO, SY),
    "upload_anchor": (SO, SY),
    "view_tsps": (SO, SY, OB),
    "add_tsp": (SO,),
    "delete_tsp": (SO,),
    "view_internal_tls_cert": _ALL_SS,
    "export_internal_tls_cert": (SO, SY, SA, RO),
    "import_internal_tls_cert": (SO, SY),
    "generate_internal_tls_key_cert": (SO, SY),
    "generate_internal_tls_csr": (SO, SY),
    "view_approved_certificate_authorities": (RO, SO, OB, SY),
    "view_member_classes": _ALL_SS,
    "view_xroad_instances": _ALL_SS,
    "view_security_servers": _ALL_SS,
    "backup_configuration": (SY,),
    "diagnostics": (SY, OB),
    "download_diagnostics_report": (SY,),
    "toggle_maintenance_mode": (SY,),
    "send_test_mail": (SY,),
    "restore_configuration": (SY,),
    "view_version": _ALL_SS,
    "view_node_type": _ALL_SS,
    "change_ss_address": (SY,),
}


def authorities_for(roles: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """``(role authorities, permission authorities)`` granted to a caller with these roles."""
    wanted = set(roles)
    role_names = [f"ROLE_{role}" for role in ALL_ROLES if role in wanted]
    permissions = [
        name.upper() for name, granted in PERMISSIONS.items() if wanted.intersection(granted)
    ]
    return role_names, permissions


def ordered_roles(roles: list[str] | set[str] | tuple[str, ...]) -> list[str]:
    """Role names in X-Road's enum order, without duplicates."""
    wanted = set(roles)
    return [role for role in ALL_ROLES if role in wanted]
