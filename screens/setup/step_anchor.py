"""Step 1: the configuration anchor — pick the file, compare its hash, upload it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Static

from backend.errors import KapkaError
from backend.i18n import N_, _
from screens.setup.anchorfile import AnchorFile, read_anchor_file
from screens.setup.flow import SetupState
from screens.setup.step_base import StepPanel
from screens.widgets.choices import Tick, bracketed
from screens.widgets.file_picker import FilePicker
from screens.widgets.hash_display import HashDisplay

ANCHOR_ERRORS = {
    "malformed_anchor": N_(
        "The server refuses the file: it is not a valid configuration anchor by X-Road's schema. "
        "Ask your X-Road operator for the anchor file again; do not edit it."),
    "conf_verification.unreachable": N_(
        "The server cannot reach the configuration source the anchor names ({urls}). Check that "
        "the security server may open outgoing HTTP and HTTPS connections to the central server "
        "(ports 80 and 443)."),
    "conf_verification.signature_invalid": N_(
        "The configuration the server downloaded from {urls} is not signed with the anchor's "
        "certificates: the anchor is outdated, or from another source. Ask your X-Road operator "
        "for the current anchor."),
    "conf_verification.outdated": N_(
        "The configuration source ({urls}) serves an outdated configuration. Try again later, "
        "or ask your X-Road operator."),
    "conf_verification.other": N_(
        "The configuration downloaded from {urls} does not fit this anchor (it names instance "
        "{instance}); is the anchor from another X-Road instance? Ask your X-Road operator for "
        "this instance's anchor."),
    "internal_anchor_upload_invalid_instance_id": N_(
        "The anchor is for instance {instance}, but this security server belongs to another "
        "instance."),
    "anchor_already_exists": N_(
        "This server already has a configuration anchor; read the state again (ctrl+r)."),
}


def anchor_error(error: BaseException, anchor: AnchorFile) -> BaseException:
    """X-Road's anchor errors in words, naming the anchor's instance and sources."""
    code = getattr(error, "code", None)
    template = ANCHOR_ERRORS.get(code or "")
    if template is None:
        return error
    words = _(template).format(urls=", ".join(anchor.download_urls), instance=anchor.instance)
    return KapkaError(f"{words} ({code})", _("Anchor not accepted"))


class AnchorStep(StepPanel):
    """Pick the anchor file, preview it on the server (nothing stored), confirm, upload."""

    STEP = 1

    DEFAULT_CSS = """
    AnchorStep #anchor-preview { display: none; height: auto; }
    AnchorStep.-previewed #anchor-preview { display: block; }
    AnchorStep.-previewed #anchor-picker, AnchorStep.-previewed #anchor-intro { display: none; }
    AnchorStep #anchor-facts { height: auto; }
    AnchorStep #anchor-compare { height: auto; margin: 0 0 1 0; }
    """

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.anchor: AnchorFile | None = None
        self.server_hash: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("The configuration anchor is the XML file your X-Road operator sends "
                       "you (for Tunduk, its administrators). Choose it:"),
                     id="anchor-intro", classes="intro")
        yield FilePicker(suffixes=(".xml",), id="anchor-picker")
        with Vertical(id="anchor-preview"):
            yield Static("", id="anchor-facts")
            yield HashDisplay(title=_("Hash (SHA-224)"), id="anchor-hash")
            yield Static(_("Compare this hash with the one your X-Road operator (Tunduk) "
                           "published for this anchor. Upload it only if every character "
                           "matches."), id="anchor-compare")
            yield Tick(_("I compared it: the hash matches the published one"),
                       id="anchor-compared", compact=True)
            with Horizontal(classes="actions"):
                yield self.action_button(_("Upload the anchor"), "anchor-upload")
                yield Button(bracketed(_("Choose another file")), id="anchor-other",
                             compact=True)
            yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def on_mount(self) -> None:
        self.query_one("#anchor-upload", Button).disabled = True
        self.query_one("#picker-path").focus()

    # -- choosing and previewing -----------------------------------------------------------

    @on(FilePicker.Picked, "#anchor-picker")
    def _picked(self, event: FilePicker.Picked) -> None:
        event.stop()
        self.preview(event.path)

    @work(exclusive=True, group="setup-anchor", exit_on_error=False)
    async def preview(self, path: Path) -> None:
        """Read and check the file here, then let the server compute its hash (stores nothing)."""
        self.clear_problem()
        self.note(_("Reading {path}…").format(path=path))
        try:
            anchor = await asyncio.to_thread(read_anchor_file, path)
        except Exception as error:  # said in words in the step
            self.note("")
            self.show_error(error)
            return
        try:
            preview = await self.client.setup.preview_anchor(anchor.content,
                                                             validate_instance=False)
        except Exception as error:  # said in words in the step
            self.note("")
            self.show_error(anchor_error(error, anchor))
            return
        self.note("")
        self.anchor, self.server_hash = anchor, preview.hash
        self._show_preview(anchor, preview.hash,
                           preview.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))

    def _show_preview(self, anchor: AnchorFile, server_hash: str, created: str) -> None:
        label = "$text-muted"
        facts = [
            Content.assemble((_("File") + "      ", label), str(anchor.path)),
            Content.assemble((_("Instance") + "  ", label), (anchor.instance, "bold")),
        ]
        for url in anchor.download_urls:
            facts.append(Content.assemble((_("Source") + "    ", label), url))
        facts.append(Content.assemble((_("Created") + "   ", label), created))
        self.query_one("#anchor-facts", Static).update(Content("\n").join(facts))
        self.query_one("#anchor-hash", HashDisplay).show(server_hash)
        self.query_one("#anchor-compared", Checkbox).value = False
        self.query_one("#anchor-upload", Button).disabled = True
        self.add_class("-previewed")
        self.query_one("#anchor-compared", Checkbox).focus()

    @on(Checkbox.Changed, "#anchor-compared")
    def _compared(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.query_one("#anchor-upload", Button).disabled = self.read_only or not event.value

    @on(Button.Pressed, "#anchor-other")
    def _other(self, event: Button.Pressed) -> None:
        event.stop()
        self.back()

    def back(self) -> bool:
        if not self.has_class("-previewed"):
            return False
        self.remove_class("-previewed")
        self.anchor = self.server_hash = None
        self.clear_problem()
        self.query_one("#picker-path").focus()
        return True

    # -- uploading -------------------------------------------------------------------------

    @on(Button.Pressed, "#anchor-upload")
    def _upload_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.anchor is not None and self.query_one("#anchor-compared", Checkbox).value:
            self.upload(self.anchor)

    @work(exclusive=True, group="setup-anchor", exit_on_error=False)
    async def upload(self, anchor: AnchorFile) -> None:
        self.clear_problem()
        self.busy(True, "anchor-upload", "anchor-other")
        self.note(_("Uploading the anchor; the server checks it against the configuration "
                    "source…"))
        try:
            await self.client.setup.upload_anchor(anchor.content, initial=True)
        except Exception as error:  # said in words in the step
            self.note("")
            self.show_error(anchor_error(error, anchor))
            self.busy(False, "anchor-other")
            self.query_one("#anchor-upload", Button).disabled = (
                self.read_only or not self.query_one("#anchor-compared", Checkbox).value)
            return
        self.note(_("Anchor uploaded."))
        self.post_message(self.Completed())
