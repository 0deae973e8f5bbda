"""The questions of the services screen. Each sends its change itself and stays open on an error,
which it shows in words with X-Road's code (nothing was applied), so the operator can fix the input.

``SendingDialog.send`` is the change; X-Road's warnings are confirmed on the way
(``confirming_warnings``). The dialog dismisses with the result, or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, RadioSet, Select

from backend.api.service_models import OPENAPI3, REST, WSDL, Endpoint, Service
from backend.errors import KapkaError
from backend.i18n import _
from screens.clients_calls import Declined
from screens.keys_dialogs import KeysDialog
from screens.services_rules import HTTP_METHODS, explain
from screens.setup.step_init import identifier_problem
from screens.widgets.choices import Choice, Tick

Sender = Callable[[Any], Awaitable[Any]]


def url_problem(url: str) -> str | None:
    if not url:
        return _("Type the URL.")
    if not url.lower().startswith(("http://", "https://")) or len(url.split("//", 1)[1]) < 1:
        return _("The URL starts with http:// or https:// and names a host.")
    if any(ch.isspace() for ch in url):
        return _("A URL has no spaces.")
    return None


class SendingDialog(KeysDialog):
    """A dialog whose OK sends the change (``sender(values)``) and closes only when it worked."""

    def __init__(self, text: str, sender: Sender, *, url: str = "") -> None:
        super().__init__(text)
        self.sender = sender
        self.url = url
        self.sending = False
        self.attempts = 0

    def checked(self) -> Any:
        """The fields' values, or None after saying what is wrong with ``problem``."""
        raise NotImplementedError

    def explain_error(self, error: KapkaError) -> KapkaError:
        """The server's refusal with what to do (X-Road's code stays in the message)."""
        return explain(error, self.url)

    def answer(self) -> None:
        """OK sends the checked values; the dialog closes once the change is made (``send``)."""
        if not self.sending and (values := self.checked()) is not None:
            self.send(values)

    @work(exclusive=True, group="services-dialog-send", exit_on_error=False)
    async def send(self, answer: Any) -> None:
        self.sending = True
        self.query_one("#dialog-ok", Button).disabled = True
        self.problem(_("Sending…"))
        try:
            result = await self.sender(answer)
        except Declined:
            self.problem(_("The warnings were not confirmed; nothing was changed."))
        except KapkaError as error:
            shown = self.explain_error(error)
            self.problem(f"{shown.title}: {shown.message}")
        else:
            self.dismiss(result)
            return
        finally:
            self.sending = False
            self.attempts += 1
            if self.is_attached:
                self.query_one("#dialog-ok", Button).disabled = False


class AddDescriptionDialog(SendingDialog):
    """A WSDL, an OpenAPI 3 description or a REST base URL, and the REST service code."""

    OK_LABEL = _("Add")

    DEFAULT_CSS = """
    AddDescriptionDialog.-wsdl .rest-only { display: none; }
    """

    def __init__(self, client_id: str, sender: Sender) -> None:
        super().__init__(_("X-Road downloads and checks the description from the URL now (the "
                           "security server must reach it). New descriptions are added "
                           "disabled: enable them (e) once their access rights are set."), sender)
        self.TITLE_TEXT = _("Add a service description to {client}").format(client=client_id)

    def compose_fields(self) -> ComposeResult:
        with RadioSet(id="description-type", compact=True):
            yield Choice(_("WSDL (SOAP services)"), True, name=WSDL, compact=True)
            yield Choice(_("OpenAPI 3 description (REST, endpoints from the file)"), False,
                         name=OPENAPI3, compact=True)
            yield Choice(_("REST base URL (endpoints added by hand)"), False, name=REST,
                         compact=True)
        yield Label(_("URL"))
        yield Input(id="description-url", placeholder=_("https://is.example.kg/service.wsdl"))
        yield Label(_("Service code (how clients address the REST service)"), classes="rest-only")
        yield Input(id="description-code", placeholder=_("e.g. population"), classes="rest-only")

    def on_mount(self) -> None:
        self.add_class("-wsdl")
        self.query_one("#description-url", Input).focus()

    @property
    def kind(self) -> str:
        pressed = self.query_one("#description-type", RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else WSDL

    @on(RadioSet.Changed, "#description-type")
    def _kind(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.set_class(self.kind == WSDL, "-wsdl")

    def submitted(self, field: Input) -> None:
        if field.id == "description-url" and self.kind != WSDL:
            self.query_one("#description-code", Input).focus()
        else:
            self.submit()

    def checked(self) -> tuple[str, str, str | None] | None:
        url = self.query_one("#description-url", Input).value.strip()
        if (problem := url_problem(url)) is not None:
            self.problem(problem)
            return None
        code = None
        if self.kind != WSDL:
            code = self.query_one("#description-code", Input).value.strip()
            if (problem := identifier_problem(code, _("service code"))):
                self.problem(problem)
                return None
        self.url = url
        return self.kind, url, code


class DisableDialog(KeysDialog):
    """The notice callers get while the description's services are disabled."""

    OK_LABEL = _("Disable")

    def __init__(self, url: str, services: int, notice: str = "") -> None:
        super().__init__(_("The {n} services of {url} stop answering; callers get an error with "
                           "this notice until they are enabled again.").format(n=services, url=url))
        self.TITLE_TEXT = _("Disable a service description")
        self.notice = notice

    def compose_fields(self) -> ComposeResult:
        yield Label(_("Notice to callers (may be empty)"))
        yield Input(self.notice, id="disable-notice", max_length=255,
                    placeholder=_("e.g. Maintenance until 18:00"))

    def on_mount(self) -> None:
        self.query_one("#disable-notice", Input).focus()

    def answer(self) -> str | None:
        notice = self.query_one("#disable-notice", Input).value.strip()
        if any(not ch.isprintable() for ch in notice):
            self.problem(_("The notice may not contain control characters."))
            return None
        return notice


class ServiceParamsDialog(SendingDialog):
    """URL, timeout and TLS authentication of a service, each optionally for all its siblings."""

    OK_LABEL = _("Save")

    DEFAULT_CSS = """
    ServiceParamsDialog .param-row { height: auto; }
    ServiceParamsDialog .param-row > Input { width: 1fr; }
    ServiceParamsDialog .param-row > Tick { width: auto; margin-left: 1; }
    """

    def __init__(self, service: Service, siblings: int, sender: Sender) -> None:
        super().__init__(_("Applies to {code}; \"all\" applies the value to every service of its "
                           "description ({n}).").format(code=service.code, n=siblings), sender,
                         url=service.url)
        self.TITLE_TEXT = _("Service parameters")
        self.service = service

    def compose_fields(self) -> ComposeResult:
        yield Label(_("Service URL (the information system's address)"))
        with Horizontal(classes="param-row"):
            yield Input(self.service.url, id="param-url")
            yield Tick(_("all"), False, id="param-url-all", compact=True)
        yield Label(_("Timeout in seconds (0–1000; 0: none)"))
        with Horizontal(classes="param-row"):
            yield Input(str(self.service.timeout), id="param-timeout", type="integer")
            yield Tick(_("all"), False, id="param-timeout-all", compact=True)
        with Horizontal(classes="param-row"):
            yield Tick(_("Verify the information system's TLS certificate (https:// only)"),
                       bool(self.service.ssl_auth), id="param-ssl", compact=True)
            yield Tick(_("all"), False, id="param-ssl-all", compact=True)

    def on_mount(self) -> None:
        self.query_one("#param-url", Input).focus()

    def checked(self) -> dict[str, Any] | None:
        url = self.query_one("#param-url", Input).value.strip()
        if (problem := url_problem(url)) is not None:
            self.problem(problem)
            return None
        text = self.query_one("#param-timeout", Input).value.strip()
        if not text.isdigit() or not 0 <= int(text) <= 1000:
            self.problem(_("The timeout is a whole number of seconds from 0 to 1000."))
            return None
        ssl = self.query_one("#param-ssl", Tick).value
        if ssl and not url.lower().startswith("https://"):
            self.problem(_("TLS verification needs an https:// URL."))
            return None
        self.url = url
        return {"url": url, "timeout": int(text), "ssl_auth": ssl,
                "url_all": self.query_one("#param-url-all", Tick).value,
                "timeout_all": self.query_one("#param-timeout-all", Tick).value,
                "ssl_auth_all": self.query_one("#param-ssl-all", Tick).value}


class EndpointDialog(SendingDialog):
    """An endpoint's method and path (``*`` for any method; ``*`` and ``**`` in paths)."""

    OK_LABEL = _("Save")

    def __init__(self, service: Service, sender: Sender, endpoint: Endpoint | None = None) -> None:
        super().__init__(_("A request to {code} matches the endpoint when its method and path do; "
                           "access rights can be given per endpoint.").format(code=service.code),
                         sender)
        self.TITLE_TEXT = _("Edit endpoint") if endpoint else _("Add endpoint")
        self.endpoint = endpoint

    def compose_fields(self) -> ComposeResult:
        yield Label(_("Method"))
        method = self.endpoint.method if self.endpoint else "GET"
        yield Select([(m, m) for m in HTTP_METHODS], value=method, id="endpoint-method",
                     allow_blank=False, compact=True)
        yield Label(_("Path (starts with /; * matches one segment, ** the rest)"))
        yield Input(self.endpoint.path if self.endpoint else "/", id="endpoint-path")

    def on_mount(self) -> None:
        self.query_one("#endpoint-path", Input).focus()

    def checked(self) -> tuple[str, str] | None:
        method = str(self.query_one("#endpoint-method", Select).value)
        path = self.query_one("#endpoint-path", Input).value.strip()
        if not path.startswith("/") or any(ch.isspace() for ch in path):
            self.problem(_("The path starts with / and has no spaces."))
            return None
        if self.endpoint is not None and (method, path) == (self.endpoint.method,
                                                             self.endpoint.path):
            self.problem(_("Nothing changed."))
            return None
        return method, path
