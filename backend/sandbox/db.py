"""The sandbox database: one SQLite file holding the whole state of the simulated server.

The schema covers the whole product (server configuration, users, API keys, tokens, keys,
certificates, CSRs, clients, services, access rights, local groups, backups, the simulated CA's
register); later features fill the tables that nothing writes yet.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- the security server's own configuration; exactly one row (id = 1)
CREATE TABLE IF NOT EXISTS server_conf (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    anchor_imported INTEGER NOT NULL DEFAULT 0,
    anchor_imported_at TEXT,
    instance_identifier TEXT,
    owner_member_class TEXT,
    owner_member_code TEXT,
    server_code TEXT,
    server_address TEXT,
    token_pin_hash TEXT,
    enforce_token_pin_policy INTEGER NOT NULL DEFAULT 0,
    global_conf_error TEXT,
    global_conf_error_at TEXT,
    node_type TEXT NOT NULL DEFAULT 'STANDALONE',
    maintenance_mode INTEGER NOT NULL DEFAULT 0,
    maintenance_message TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS timestamping_services (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    cost_type TEXT NOT NULL,
    added_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,               -- JSON array of role names
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_sha256 TEXT NOT NULL UNIQUE,  -- the key itself is never stored
    roles TEXT NOT NULL,              -- JSON array of role names
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    friendly_name TEXT NOT NULL,
    type TEXT NOT NULL,               -- SOFTWARE or HARDWARE
    initialized INTEGER NOT NULL DEFAULT 0,
    logged_in INTEGER NOT NULL DEFAULT 0,
    available INTEGER NOT NULL DEFAULT 0,
    read_only INTEGER NOT NULL DEFAULT 0,
    saved_to_configuration INTEGER NOT NULL DEFAULT 1,
    serial_number TEXT,
    token_infos TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens(id),
    label TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    usage TEXT,                       -- NULL, AUTHENTICATION or SIGNING
    algorithm TEXT NOT NULL,          -- RSA or EC
    public_key BLOB NOT NULL,         -- SubjectPublicKeyInfo, DER
    available INTEGER NOT NULL DEFAULT 1,
    saved_to_configuration INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS certificates (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
    hash TEXT NOT NULL UNIQUE,        -- SHA-256 of the DER, upper-case hex
    der BLOB NOT NULL,
    status TEXT NOT NULL,             -- SAVED, REGISTRATION_IN_PROGRESS, REGISTERED, ...
    active INTEGER NOT NULL,
    saved_to_configuration INTEGER NOT NULL DEFAULT 1,
    member_id TEXT,                   -- owner member of a sign certificate
    ocsp_response BLOB,               -- the last OCSP response fetched for it, DER
    ocsp_fetched_at TEXT,
    renewed_cert_hash TEXT,
    renewal_error TEXT,
    next_renewal_time TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS csrs (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
    usage TEXT NOT NULL,
    member_id TEXT,
    certificate_profile TEXT NOT NULL,
    der BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- the register of the simulated certification authority (answers its OCSP responder)
CREATE TABLE IF NOT EXISTS ca_issued (
    serial TEXT PRIMARY KEY,          -- decimal
    subject TEXT NOT NULL,
    der BLOB NOT NULL,
    issued_at TEXT NOT NULL,
    revoked_at TEXT,
    revocation_reason TEXT
);

CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,              -- INSTANCE:CLASS:CODE[:SUBSYSTEM]
    instance_identifier TEXT NOT NULL,
    member_class TEXT NOT NULL,
    member_code TEXT NOT NULL,
    subsystem_code TEXT,
    subsystem_name TEXT,
    status TEXT NOT NULL,
    connection_type TEXT NOT NULL DEFAULT 'HTTPS',
    owner INTEGER NOT NULL DEFAULT 0,
    rename_status TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS client_tls_certificates (
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    der BLOB NOT NULL,
    PRIMARY KEY (client_id, hash)
);

CREATE TABLE IF NOT EXISTS service_descriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    type TEXT NOT NULL,               -- WSDL, REST, OPENAPI3
    disabled INTEGER NOT NULL DEFAULT 0,
    disabled_notice TEXT,
    refreshed_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_description_id INTEGER NOT NULL REFERENCES service_descriptions(id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    service_version TEXT,
    title TEXT,
    url TEXT NOT NULL,
    timeout INTEGER NOT NULL DEFAULT 60,
    ssl_auth INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    generated INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS local_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (client_id, code)
);

CREATE TABLE IF NOT EXISTS local_group_members (
    group_id INTEGER NOT NULL REFERENCES local_groups(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);

CREATE TABLE IF NOT EXISTS access_rights (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    subject_id TEXT NOT NULL,         -- subsystem, global group or local group id
    endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    rights_given_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS backups (
    filename TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    size INTEGER NOT NULL
);

-- management requests sent to the simulated central server
CREATE TABLE IF NOT EXISTS management_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    completes_at TEXT
);

-- the authentication certificate and the server address a management request is about
CREATE TABLE IF NOT EXISTS management_request_certificates (
    request_id INTEGER PRIMARY KEY REFERENCES management_requests(id) ON DELETE CASCADE,
    cert_hash TEXT NOT NULL,
    address TEXT
);

-- failed logins to a token since its last good one (a PKCS #11 token's PIN retry counter)
CREATE TABLE IF NOT EXISTS token_pin_counters (
    token_id TEXT PRIMARY KEY REFERENCES tokens(id),
    failed INTEGER NOT NULL DEFAULT 0
);

-- why the signer did not activate a certificate: its OCSP check before activation failed
CREATE TABLE IF NOT EXISTS certificate_ocsp_errors (
    certificate_id TEXT PRIMARY KEY REFERENCES certificates(id) ON DELETE CASCADE,
    message TEXT NOT NULL
);

-- settings of the simulation itself (PIN retry limit, central server delay), set by tests or demos
CREATE TABLE IF NOT EXISTS sandbox_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- the client a management request is about (registration, deletion, disabling, enabling, owner
-- change, rename); detail: the subsystem name a registration or rename carries, the former owner
-- of an owner change
CREATE TABLE IF NOT EXISTS management_request_clients (
    request_id INTEGER PRIMARY KEY REFERENCES management_requests(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    detail TEXT
);

-- access rights and local groups are read per client, per endpoint and per subject
CREATE UNIQUE INDEX IF NOT EXISTS access_rights_endpoint_subject
    ON access_rights (endpoint_id, subject_id);
CREATE INDEX IF NOT EXISTS access_rights_client_subject ON access_rights (client_id, subject_id);
CREATE INDEX IF NOT EXISTS access_rights_subject ON access_rights (subject_id);
CREATE INDEX IF NOT EXISTS endpoints_client_code ON endpoints (client_id, service_code, method, path);
CREATE INDEX IF NOT EXISTS local_group_members_member ON local_group_members (member_id);
CREATE INDEX IF NOT EXISTS service_descriptions_client ON service_descriptions (client_id);
CREATE INDEX IF NOT EXISTS services_description ON services (service_description_id);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (and if needed create) the database; rows come back as :class:`sqlite3.Row`."""
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.executescript(SCHEMA)
    connection.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
    return connection
