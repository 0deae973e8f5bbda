"""Steps 7 and 8: the CSRs out to the certification authority, its certificates back in."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Label, RadioSet, Static, TextArea

from backend.i18n import _
from screens.setup.files import read_small_file, safe_name, same_content, write_new_file
from screens.setup.flow import AUTHENTICATION, KeyProgress, SetupState
from screens.setup.step_base import StepPanel
from screens.widgets.choices import Choice, bracketed
from screens.widgets.file_picker import FilePicker

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024  # X-Road's upload limit


def usage_name(progress: KeyProgress) -> str:
    return _("authentication") if progress.usage == AUTHENTICATION else _("signing")


def fallback_name(progress: KeyProgress, csr_format: str) -> str:
    kind = "auth" if progress.usage == AUTHENTICATION else "sign"
    return f"{kind}_csr_{date.today():%Y%m%d}.{csr_format.lower()}"


class ExportStep(StepPanel):
    """Save the CSR files where the operator says (never over a file without asking)."""

    STEP = 7

    DEFAULT_CSS = """
    ExportStep RadioSet { height: auto; }
    ExportStep #export-pem { height: auto; border: round $primary 40%; padding: 0 1; }
    ExportStep #export-saved { height: auto; }
    """

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.waiting = state.waiting_for_certificates()
        self.pem = ""

    def compose(self) -> ComposeResult:
        yield Static(_("Send these certificate signing requests to your certification "
                       "authority as your X-Road operator instructs (for Tunduk: both, in DER)."),
                     classes="intro")
        yield Static(self._listing(), classes="hint")
        yield Label(_("Format"), classes="field-label")
        yield RadioSet(*(Choice(name, name=name) for name in ("PEM", "DER")), id="export-format",
                       classes="-inline")
        yield Label(_("Directory"), classes="field-label")
        yield FilePicker(directories=True, id="export-dir")
        with Horizontal(classes="actions"):
            yield Button(bracketed(_("Save the CSR files here")), id="export-save",
                         variant="primary", compact=True)
            yield Button(bracketed(_("Next: import the certificates")), id="export-next",
                         compact=True)
        yield Static("", id="export-saved", markup=False)
        yield Label(_("The CSR as PEM (also for pasting into the CA's web form):"),
                    classes="field-label")
        yield RadioSet(*(Choice(usage_name(p), name=str(i), value=i == 0)
                         for i, p in enumerate(self.waiting)), id="export-which",
                       classes="-inline")
        yield Static("", id="export-pem", markup=False)
        with Horizontal(classes="actions"):
            yield Button(bracketed(_("Copy the PEM to the clipboard")), id="export-copy",
                         compact=True)
        yield self.problem_box()
        yield self.note_box()

    def _listing(self) -> Content:
        lines = [Content.assemble(
            "• ", (usage_name(p), "bold"), " ",
            _("CSR of key “{label}”").format(label=p.key.label or p.key.name),
            (_(" for {member}").format(member=p.csr.owner_id) if p.csr and p.csr.owner_id
             else "", "$text-muted"))
            for p in self.waiting]
        return Content("\n").join(lines) if lines else Content(_("No CSR waits."))

    def on_mount(self) -> None:
        # the directory is what the operator types here: typed, enter saves the files there
        self.query_one("#export-dir", FilePicker).path_input.focus()
        self.load()

    @work(exclusive=True, group="setup-export-load", exit_on_error=False)
    async def load(self) -> None:
        """The format the CA expects by default, and the PEM of the first CSR."""
        wanted = "PEM"
        try:
            authorities = await self.client.keys.certificate_authorities()
            # the CA that signs both kinds decides (an ACME or auth-only CA is the exception)
            formats = {(ca.default_csr_format or "").upper() for ca in authorities
                       if not ca.authentication_only} or {
                (ca.default_csr_format or "").upper() for ca in authorities}
            if len(formats) == 1 and formats <= {"PEM", "DER"}:
                wanted = formats.pop()
        except Exception as error:  # the format can still be chosen by hand
            self.log.warning(f"no default CSR format: {error!r}")
        await self.fill_radio("export-format", [
            Choice(name, value=name == wanted, name=name) for name in ("PEM", "DER")])
        await self.show_pem(0)

    async def show_pem(self, index: int) -> None:
        if not self.waiting:
            return
        progress = self.waiting[index]
        assert progress.csr is not None
        try:
            download = await self.client.keys.download_csr(progress.key.id, progress.csr.id,
                                                           "PEM")
        except Exception as error:  # said in words in the step
            self.show_error(error)
            return
        self.pem = download.content.decode("ascii", "replace").strip()
        self.query_one("#export-pem", Static).update(self.pem)

    @on(RadioSet.Changed, "#export-which")
    def _which(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.run_worker(self.show_pem(event.index), group="setup-export-pem", exclusive=True,
                        exit_on_error=False)

    @on(Button.Pressed, "#export-copy")
    def _copy(self, event: Button.Pressed) -> None:
        event.stop()
        if self.pem:
            self.app.copy_to_clipboard(self.pem)
            self.note(_("The PEM was sent to the terminal's clipboard (OSC 52). Some terminals "
                        "(and tmux or screen) must be set to allow it; if nothing arrives, save "
                        "the file instead."))

    @on(Button.Pressed, "#export-next")
    def _next(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.GoTo(8))

    @on(FilePicker.Picked, "#export-dir")
    @on(Button.Pressed, "#export-save")
    def _save_pressed(self, event: FilePicker.Picked | Button.Pressed) -> None:
        event.stop()
        directory = self.query_one("#export-dir", FilePicker).typed_path
        pressed = self.query_one("#export-format", RadioSet).pressed_button
        if directory is None or pressed is None or not pressed.name:
            self.show_problem(_("Nothing to save to"), _("Choose a format and a directory."))
            return
        self.save(directory, pressed.name)

    @work(exclusive=True, group="setup-export", exit_on_error=False)
    async def save(self, directory: Path, csr_format: str) -> None:
        from screens.widgets.confirm import ConfirmDialog

        self.clear_problem()
        saved: list[str] = []
        try:
            for progress in self.waiting:
                assert progress.csr is not None
                download = await self.client.keys.download_csr(progress.key.id, progress.csr.id,
                                                               csr_format)
                name = safe_name(download.filename or fallback_name(progress, csr_format))
                target = directory / name
                try:
                    path = await asyncio.to_thread(write_new_file, directory, name,
                                                   download.content)
                except FileExistsError:
                    if await asyncio.to_thread(same_content, target, download.content):
                        saved.append(_("{path} is there already, the same").format(
                            path=target))
                        continue
                    replace = await self.app.push_screen_wait(ConfirmDialog(
                        _("Replace the file?"),
                        Content(_("{path} exists already. Replace it with the {usage} "
                                  "CSR?").format(path=target, usage=usage_name(progress))),
                        confirm_label=_("Replace")))
                    if not replace:
                        saved.append(_("kept {path} as it was").format(path=target))
                        continue
                    path = await asyncio.to_thread(write_new_file, directory, name,
                                                   download.content, replace=True)
                saved.append(_("saved {path}").format(path=path))
        except Exception as error:  # said in words in the step
            self.show_error(error)
        self.query_one("#export-saved", Static).update("\n".join("✓ " + line for line in saved))
        if saved:
            self.query_one("#export-next", Button).focus()


class ImportStep(StepPanel):
    """A certificate file (or pasted PEM), checked against the server before it is imported."""

    STEP = 8

    DEFAULT_CSS = """
    ImportStep #import-paste { height: 6; }
    """

    def compose(self) -> ComposeResult:
        yield Static(_("Import the certificates the CA issued. Kapka checks each one before it "
                       "sends it: that it is a certificate, for a key waiting on this server, "
                       "with the right usage, valid now, from an approved CA."), classes="intro")
        yield Static(self._listing(), id="import-listing", classes="hint")
        yield FilePicker(suffixes=(".pem", ".crt", ".cer", ".der"), id="import-file")
        yield Label(_("…or paste a PEM certificate here:"), classes="field-label")
        yield TextArea(id="import-paste", soft_wrap=True, show_line_numbers=False)
        with Horizontal(classes="actions"):
            yield self.action_button(_("Check and import the pasted certificate"),
                                     "import-pasted")
            yield Button(bracketed(_("Back: the CSRs")), id="import-back", compact=True)
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def _listing(self) -> Content:
        """The certificate imported already (the other one still waits), and those waiting."""
        imported = [p for p in (self.state.auth, self.state.sign)
                    if p is not None and p.certificate is not None]
        lines = [Content.assemble(("✓ ", "bold $text-success"), _(
            "imported: the {usage} certificate for key “{label}”").format(
            usage=usage_name(p), label=p.key.label or p.key.name)) for p in imported]
        lines += [Content.assemble("• ", _("waiting: the {usage} certificate for key “{label}”")
                                   .format(usage=usage_name(p), label=p.key.label or p.key.name))
                  for p in self.state.waiting_for_certificates()]
        return Content("\n").join(lines)

    def on_mount(self) -> None:
        self.query_one("#picker-path").focus()

    def on_paste(self, event: events.Paste) -> None:
        """A PEM pasted anywhere in the step lands in the box for it, ready to be checked
        (pasted into the path field it would be cut to "-----BEGIN CERTIFICATE-----")."""
        box = self.query_one("#import-paste", TextArea)
        if box.has_focus or "-----BEGIN" not in event.text:
            return  # the box took it itself
        event.stop()
        box.load_text(event.text.strip())
        self.query_one("#import-file", FilePicker).note("")
        button = self.query_one("#import-pasted", Button)
        (box if button.disabled else button).focus()

    @on(FilePicker.Picked, "#import-file")
    def _picked(self, event: FilePicker.Picked) -> None:
        event.stop()
        self.check_and_import(event.path, None)

    @on(Button.Pressed, "#import-pasted")
    def _pasted(self, event: Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#import-paste", TextArea).text.strip()
        if not text:
            self.show_problem(_("Nothing pasted"), _("Paste the certificate's PEM text first."))
            return
        self.check_and_import(None, text.encode("utf-8"))

    @on(Button.Pressed, "#import-back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.GoTo(7))

    @work(exclusive=True, group="setup-import", exit_on_error=False)
    async def check_and_import(self, path: Path | None, pasted: bytes | None) -> None:
        from backend.pki.importcheck import check_certificate_for_import

        self.clear_problem()
        source: str = str(path) if path is not None else _("the pasted text")
        self.note(_("Checking {source}…").format(source=source))
        if self.read_only:
            self.note(Content.styled(_("Read-only mode: Kapka checks the certificate but does "
                                       "not import it."), "$text-warning"))
        try:
            data = pasted if pasted is not None else await asyncio.to_thread(
                read_small_file, path, MAX_CERTIFICATE_BYTES, what=_("certificate file"))
            checked = await check_certificate_for_import(self.client, data, source=source)
        except Exception as error:  # said in words in the step: nothing was sent
            self.note(_("Nothing was sent to the server."))
            self.show_error(error)
            return
        summary = self._summary(checked)
        if self.read_only:
            self.note(Content.assemble(summary, "\n", (_("Read-only mode: not imported."),
                                                       "$text-warning")))
            return
        self.note(summary)
        try:
            await self.client.certificates.import_file(
                checked.certificate.der, description=Path(source).name if path else source)
        except Exception as error:  # said in words in the step
            self.show_error(error)
            return
        notes = " ".join(getattr(checked.certificate, "notes", ()) or ())
        self.app.notify(_("Imported the {usage} certificate for key “{label}”.").format(
            usage=checked.usage.lower(), label=checked.key_label or checked.key_id)
            + (f" {notes}" if notes else ""), title=_("Certificate imported"), markup=False)
        self.post_message(self.Completed())

    @staticmethod
    def _summary(checked: Any) -> Content:
        cert = checked.certificate
        parts: list[str | tuple[str, str]] = [
            ("✓ ", "bold $text-success"),
            _("{usage} certificate for key “{label}”, issued by {ca}, valid until {end}").format(
                usage=checked.usage.lower(), label=checked.key_label or checked.key_id,
                ca=checked.ca_name, end=cert.not_after.strftime("%Y-%m-%d")),
            "\n", (_("Subject") + "  ", "$text-muted"), cert.subject]
        for note in getattr(cert, "notes", ()) or ():
            parts += ["\n", (note, "italic $text-muted")]
        return Content.assemble(*parts)
