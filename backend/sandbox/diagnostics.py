"""Status reports of the simulated server: diagnostics, alerts and initialisation status.

They follow what X-Road's services report: the configuration client is ``UNINITIALIZED`` (WAITING)
until an anchor exists, the signer knows no certification services before the global configuration
does, OCSP responders stay WAITING until the signer has fetched a response from them, and a
configured timestamping service is WAITING until the message log has used it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from cryptography import x509

from backend.sandbox.certinfo import java_dn
from backend.sandbox.softtoken import SOFTWARE_TOKEN_ID
from backend.sandbox.wire import fmt_time, parse_time, utcnow

if TYPE_CHECKING:
    from backend.sandbox.state import SandboxState


def _ticks(start: dt.datetime, interval: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The last run of a job started at ``start`` and repeated every ``interval`` s, and the next."""
    step = dt.timedelta(seconds=interval)
    elapsed = max(now - start, dt.timedelta(0))
    previous = start + step * int(elapsed / step)
    return previous, previous + step


def global_conf(state: SandboxState) -> dict[str, Any]:
    """``GlobalConfDiagnostics``."""
    conf = state.server_conf()
    now = utcnow()
    interval = state.seed.global_conf_refresh_seconds
    if not conf["anchor_imported"]:
        previous, following = _ticks(parse_time(conf["created_at"]), interval, now)
        return {"status_class": "WAITING", "prev_update_at": fmt_time(previous),
                "next_update_at": fmt_time(following)}
    previous, following = _ticks(parse_time(conf["anchor_imported_at"]), interval, now)
    report: dict[str, Any] = {"status_class": "OK", "prev_update_at": fmt_time(previous),
                              "next_update_at": fmt_time(following)}
    if conf["global_conf_error"]:
        report["status_class"] = "FAIL"
        report["error"] = {"code": conf["global_conf_error"]}
    return report


def timestamping_services(state: SandboxState) -> list[dict[str, Any]]:
    """``TimestampingServiceDiagnostics`` of the configured timestamping services."""
    now = fmt_time(utcnow())
    reports = []
    for row in state.timestamping_services():
        tsa = state.seed.tsa(row["name"])
        reports.append({
            "url": state.url(tsa.path) if tsa else row["url"],
            "cost_type": row["cost_type"],
            "status_class": "WAITING",
            "prev_update_at": now,
        })
    return reports


def ocsp_responders(state: SandboxState) -> list[dict[str, Any]]:
    """``CaOcspDiagnostics`` for every approved CA of the global configuration."""
    conf = state.server_conf()
    if not conf["anchor_imported"]:
        return []
    state.refresh_ocsp()
    with state.lock:
        rows = state.db.execute(
            "SELECT der, ocsp_fetched_at FROM certificates WHERE ocsp_fetched_at IS NOT NULL"
        ).fetchall()
    fetched = [(x509.load_der_x509_certificate(row["der"]), parse_time(row["ocsp_fetched_at"]))
               for row in rows]
    report = []
    for seed_ca in state.seed.cas:
        issuer = state.pki.issuer_named(seed_ca.name)
        if issuer is None:
            continue
        last = max((at for cert, at in fetched if issuer.issued(cert)), default=None)
        report.append({"distinguished_name": java_dn(issuer.ca.cert.subject),
                       "ocsp_responders": [_responder_report(state, seed_ca.ocsp, last,
                                                             conf["anchor_imported_at"])]})
    return report


def _responder_report(state: SandboxState, responder: Any, last: dt.datetime | None,
                      anchor_imported_at: str) -> dict[str, Any]:
    """One responder: OK since its last answer for a certificate, else waiting for its first."""
    report: dict[str, Any] = {"url": state.url(responder.path), "cost_type": responder.cost_type}
    interval = dt.timedelta(seconds=responder.fetch_interval_seconds)
    if last is not None:
        report.update(status_class="OK", prev_update_at=fmt_time(last),
                      next_update_at=fmt_time(last + interval))
    else:
        _previous, following = _ticks(parse_time(anchor_imported_at),
                                      responder.fetch_interval_seconds, utcnow())
        report.update(status_class="WAITING", next_update_at=fmt_time(following))
    return report


def alerts(state: SandboxState) -> dict[str, Any]:
    """``AlertData`` of ``GET /notifications/alerts``."""
    token = state.token(SOFTWARE_TOKEN_ID)
    with state.lock:
        failed = state.db.execute(
            "SELECT c.id, k.usage FROM certificates c JOIN keys k ON k.id = c.key_id "
            "WHERE c.renewal_error IS NOT NULL ORDER BY c.created_at"
        ).fetchall()
    return {
        "global_conf_valid": state.global_conf_valid(),
        "global_conf_valid_check_success": True,
        "soft_token_pin_entered": bool(token and token["logged_in"]),
        "soft_token_pin_entered_check_success": True,
        "certificate_renewal_job_success": not failed,
        "auth_certificate_ids_with_errors": [r["id"] for r in failed if r["usage"] != "SIGNING"],
        "sign_certificate_ids_with_errors": [r["id"] for r in failed if r["usage"] == "SIGNING"],
    }


def initialization_status(state: SandboxState) -> dict[str, Any]:
    """``InitializationStatus``."""
    conf = state.server_conf()
    token = state.token(SOFTWARE_TOKEN_ID)
    return {
        "is_anchor_imported": bool(conf["anchor_imported"]),
        "is_server_code_initialized": bool(conf["server_code"]),
        "is_server_owner_initialized": bool(conf["owner_member_code"]),
        "software_token_init_status": (
            "INITIALIZED" if token and token["initialized"] else "NOT_INITIALIZED"
        ),
        "enforce_token_pin_policy": bool(conf["enforce_token_pin_policy"]),
    }
