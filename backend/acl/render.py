"""Plans and their results for people (lines of text) and for scripts (JSON-ready dicts)."""

from __future__ import annotations

from typing import Any

from backend.acl.apply import ApplyResult, ItemResult
from backend.acl.changes import Change
from backend.acl.plan import Plan
from backend.i18n import N_, _, ngettext

_STATUS = {"ok": N_("ok"), "failed": N_("FAILED"), "not_applied": N_("not sent")}


def _subject(change: Change) -> str:
    return f"{change.subject}  ({change.name})" if change.name and change.name != change.subject \
        else change.subject


def plan_summary(plan: Plan) -> str:
    grants = ngettext("{n} grant", "{n} grants", len(plan.grants)).format(n=len(plan.grants))
    revocations = ngettext("{n} revocation", "{n} revocations", len(plan.revocations)).format(
        n=len(plan.revocations))
    calls = ngettext("{n} call", "{n} calls", len(plan.calls)).format(n=len(plan.calls))
    text = _("{grants}, {revocations}, in {calls}.").format(grants=grants, revocations=revocations,
                                                             calls=calls)
    if plan.unchanged:
        text += " " + ngettext("{n} listed service or endpoint is as wanted already.",
                               "{n} listed services and endpoints are as wanted already.",
                               plan.unchanged).format(n=plan.unchanged)
    if plan.untouched:
        text += " " + ngettext("{n} service not in the file is left as it is.",
                               "{n} services not in the file are left as they are.",
                               plan.untouched).format(n=plan.untouched)
    return text


def plan_lines(plan: Plan) -> list[str]:
    """Client → service (or endpoint) → ``+ subject`` / ``- subject``, then a summary."""
    lines: list[str] = []
    client = target = None
    for change in plan.changes:
        if change.target.client != client:
            client, target = change.target.client, None
            if lines:
                lines.append("")
            lines.append(_("Client {client}").format(client=client))
        if change.target != target:
            target = change.target
            lines.append(f"  {target}")
        lines.append(f"    {change.sign} {_subject(change)}")
    if plan.is_empty:
        lines.append(_("No changes: the server's rights are as wanted."))
    lines += [*plan.notes]
    lines += ["", plan_summary(plan)] if not plan.is_empty else []
    return lines


def change_json(change: Change) -> dict[str, Any]:
    return {"action": change.action, "client": change.target.client,
            "service": change.target.service, "endpoint": change.target.endpoint or None,
            "subject": change.subject, "subject_id": change.subject_id,
            "name": change.name or None}


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "clients": plan.clients,
        "grants": len(plan.grants),
        "revocations": len(plan.revocations),
        "calls": len(plan.calls),
        "unchanged": plan.unchanged,
        "untouched": plan.untouched,
        "reads": plan.reads,
        "notes": plan.notes,
        "changes": [change_json(change) for change in plan.changes],
        "batches": [{"action": call.action, "by": call.by, "client": call.client, "key": call.key,
                     "items": call.size, "description": call.describe()} for call in plan.calls],
    }


def item_line(item: ItemResult) -> str:
    change = item.change
    line = f"{_(_STATUS[item.status]):<8}  {change.sign} {change.target}  {change.subject}"
    return f"{line}: {item.message}" if item.status == "failed" and item.message else line


def result_summary(result: ApplyResult) -> str:
    text = _("{ok} applied, {failed} failed, {skipped} not sent.").format(
        ok=result.count("ok"), failed=result.count("failed"), skipped=result.count("not_applied"))
    if result.cancelled:
        text += " " + _("Cancelled.")
    elif result.stopped:
        text += " " + _("Stopped at the first failed call.")
    return text


def result_lines(result: ApplyResult) -> list[str]:
    """Each right with its outcome, the failed calls with the server's words, and a summary."""
    lines = [item_line(item) for item in result.items]
    for call in result.calls:
        if call.status == "failed":
            lines.append(_("Failed: {call}: {message}").format(call=call.call.describe(),
                                                             message=call.message))
    return [*lines, "", result_summary(result)]


def result_json(result: ApplyResult) -> dict[str, Any]:
    return {
        "ok": result.ok, "cancelled": result.cancelled, "stopped": result.stopped,
        "applied": result.count("ok"), "failed": result.count("failed"),
        "not_applied": result.count("not_applied"),
        "calls": [{"description": r.call.describe(), "status": r.status, "message": r.message or None,
                   "items": r.call.size} for r in result.calls],
        "items": [{**change_json(item.change), "status": item.status,
                   "message": item.message or None} for item in result.items],
    }
