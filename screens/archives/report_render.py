"""Verification reports in words: one finding per line (status, layer, code, message, entry, digests),
a record's report, and a directory's report as tree nodes (files, then what failed in them)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from backend.archive.verify.report import DirectoryReport, FileReport, Finding, RecordReport, Status
from backend.i18n import _, ngettext
from screens.archives.format import count_text

MARKS = {Status.PASS: "✓", Status.UNVERIFIED: "?", Status.FAIL: "✗"}
STYLES = {Status.PASS: "green", Status.UNVERIFIED: "yellow", Status.FAIL: "bold red"}
#: records listed under one file in the tree; the rest are counted
RECORDS_SHOWN = 100


def status_text(status: Status) -> Text:
    return Text(f"{MARKS[status]} {status.value}", style=STYLES[status])


def finding_text(finding: Finding, *, entry: bool = True) -> Text:
    text = Text.assemble(status_text(finding.status), " ", (f"{finding.layer.value}", "bold"), " ",
                         (finding.code, "italic"), ": ", finding.message)
    if entry and finding.entry:
        text.append(_(" (entry {entry})").format(entry=finding.entry), style="dim")
    if finding.expected is not None or finding.found is not None:
        text.append("\n    " + _("expected {expected}, found {found}").format(
            expected=finding.expected or "—", found=finding.found or "—"), style="dim")
    return text


def record_renderable(report: RecordReport, note: str | None = None) -> RenderableType:
    """A record's report: overall status, who signed and when, then every finding."""
    lines: list[RenderableType] = [Text.assemble(status_text(report.status), " ", (report.name, "bold"))]
    facts = [(_("signer"), report.signer), (_("timestamp"), report.timestamp), (_("TSA"), report.tsa),
             (_("OCSP produced at"), report.ocsp_produced_at)]
    for label, value in facts:
        if value:
            lines.append(Text.assemble(("  " + label + ": ", "dim"), value))
    for finding in report.findings:
        lines.append(finding_text(finding))
    if note:
        lines.append(Text(note, style="yellow"))
    return Group(*lines)


def _file_label(file: FileReport) -> Text:
    total = file.records_total
    counts = ngettext("{n} record", "{n} records", total).format(n=count_text(total))
    if file.records_failed:
        counts += ", " + _("{n} failed").format(n=count_text(file.records_failed))
    if file.records_unverified:
        counts += ", " + _("{n} not verified").format(n=count_text(file.records_unverified))
    return Text.assemble(status_text(file.status), " ", (file.name, "bold"), f"  {counts}")


def summary_text(report: DirectoryReport) -> Text:
    totals = report.totals()
    text = Text.assemble(status_text(report.status), " ", _(
        "{files} files ({failed} failed), {records} records: {passed} passed, {unverified} not verified, "
        "{bad} failed").format(files=count_text(totals["files"]), failed=count_text(totals["files_failed"]),
                               records=count_text(totals["records"]),
                               passed=count_text(totals["records_passed"]),
                               unverified=count_text(totals["records_unverified"]),
                               bad=count_text(totals["records_failed"])))
    if report.cancelled:
        text.append("  " + _("(cancelled: the files after the last one shown were not verified, and links "
                             "between files were not checked)"), style="yellow")
    return text


def fill_tree(tree: Tree[object], report: DirectoryReport) -> None:
    """Files as nodes, failing ones expanded, with their findings and the records that did not pass."""
    root = tree.root
    root.remove_children()
    for finding in report.findings:
        root.add_leaf(finding_text(finding), data=finding)
    for file in sorted(report.files, key=lambda f: ({Status.FAIL: 0, Status.UNVERIFIED: 1}.get(f.status, 2),
                                                   f.name)):
        node = root.add(_file_label(file), data=file, expand=file.status is Status.FAIL)
        _fill_file(node, file)
    root.expand()


def _fill_file(node: TreeNode[object], file: FileReport) -> None:
    shown = [f for f in file.findings if f.status is not Status.PASS]
    for finding in shown:
        node.add_leaf(finding_text(finding), data=finding)
    if not shown:
        passed = [f for f in file.findings if f.status is Status.PASS]
        for finding in passed[:3]:
            node.add_leaf(finding_text(finding), data=finding)
    for record in file.records[:RECORDS_SHOWN]:
        child = node.add(Text.assemble(status_text(record.status), " ", record.name), data=record,
                         expand=record.status is Status.FAIL and len(file.records) <= 20)
        for finding in record.findings:
            if finding.status is not Status.PASS:
                child.add_leaf(finding_text(finding, entry=finding.entry != record.name), data=finding)
    hidden = len(file.records) - RECORDS_SHOWN
    if hidden > 0:
        node.add_leaf(Text(ngettext("… and {n} more record (kapka archives verify --json lists all)",
                                    "… and {n} more records (kapka archives verify --json lists all)",
                                    hidden).format(n=count_text(hidden)), style="dim"))
