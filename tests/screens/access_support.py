"""Helpers for the access-rights tests: synthetic matrices, and a client with services,
subjects and rights on the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screens.access.matrix_model import MatrixModel, ServiceRow, SubjectColumn

INSTANCE = "SANDBOX-KG"
CLIENT = f"{INSTANCE}:GOV:70000001:registry"
PERMITS = f"{INSTANCE}:GOV:70000002:permits"
TRACKING = f"{INSTANCE}:COM:50010001:tracking"
CADASTRE = f"{INSTANCE}:GOV:70000003:cadastre"
PAYMENTS = f"{INSTANCE}:COM:50010002:payments"
REGISTRIES = f"{INSTANCE}:state-registries"
OWNERS = f"{INSTANCE}:security-server-owners"
WSDL_URL = "http://127.0.0.1:9/registry.wsdl"
#: the client's services: (code, version, title)
SERVICES = [("getPerson", "v1", "Person by personal number"),
            ("getAddress", "v1", "Registered address"),
            ("getFamily", "v2", "Family members"),
            ("listChanges", None, "Changes of the day")]


@dataclass(frozen=True)
class Registry:
    """The sandbox client the tests work on, and its local group's id."""

    client: str
    clerks: str  # the local group "clerks", by its number


def wsdl(services: list[tuple[str, str | None, str]]) -> bytes:
    """A WSDL 1.1 document with one SOAP operation per service."""
    soap = "http://schemas.xmlsoap.org/wsdl/soap/"
    ports = "".join(
        f'<wsdl:operation name="{code}"><wsdl:documentation><xrd:title>{title}</xrd:title>'
        f'</wsdl:documentation><wsdl:input message="tns:req"/><wsdl:output message="tns:res"/>'
        f'</wsdl:operation>' for code, _version, title in services)
    bindings = "".join(
        f'<wsdl:operation name="{code}"><soap:operation soapAction="" style="document"/>'
        + (f"<xrd:version>{version}</xrd:version>" if version else "")
        + '<wsdl:input><soap:body use="literal"/></wsdl:input>'
          '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        for code, version, _title in services)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="{soap}"
    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:tns="http://registry.sandbox.test/producer"
    name="registry" targetNamespace="http://registry.sandbox.test/producer">
  <wsdl:message name="req"/><wsdl:message name="res"/>
  <wsdl:portType name="ports">{ports}</wsdl:portType>
  <wsdl:binding name="binding" type="tns:ports">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>{bindings}
  </wsdl:binding>
  <wsdl:service name="service"><wsdl:port binding="tns:binding" name="port">
    <soap:address location="http://is.registry.sandbox.test/soap"/></wsdl:port></wsdl:service>
</wsdl:definitions>
""".encode()


async def registry_client(state: Any, *, rights: bool = True) -> Registry:
    """The owner's subsystem ``registry`` with four services (a WSDL), a local group ``clerks``
    with one member, and (``rights``) some access rights, set up through the sandbox's state and
    its API."""
    from screen_support import api_key, asgi, client_for

    from backend.sandbox.servicedesc.fetch import Fetched

    client = state.add_client("GOV", "70000001", "registry")
    state.add_service_description(client, "WSDL", WSDL_URL,
                                  fetched=Fetched(WSDL_URL, content=wsdl(SERVICES)))
    api = client_for(asgi(state), api_key(state))
    try:
        group = await api.access.add_local_group(client, "clerks", "Clerks of the registry")
        assert group.id is not None
        await api.access.add_group_members(group.id, [TRACKING])
        if rights:
            await api.access.grant_subject(client, PERMITS, ["getPerson", "getAddress"])
            await api.access.grant_subject(client, group.id, ["getFamily"])
    finally:
        await api.aclose()
    return Registry(client, group.id)


def server_rights(state: Any, client: str) -> set[tuple[str, str]]:
    """(service code, subject) of every service-level right of ``client``, read from the API's
    own state (local groups by number)."""
    rows = state.db.execute(
        "SELECT e.service_code, a.subject_id FROM access_rights a JOIN endpoints e "
        "ON e.id = a.endpoint_id WHERE a.client_id = ? AND e.method = '*' AND e.path = '**'",
        (client,))
    return {(row[0], str(row[1])) for row in rows}


def synthetic_services(count: int) -> list[ServiceRow]:
    return [ServiceRow(f"service-{index:03d}.v1", f"Register extract {index}",
                       f"KG:GOV:70000001:bench:service-{index:03d}.v1") for index in range(count)]


def synthetic_subjects(count: int) -> list[SubjectColumn]:
    subjects = []
    for index in range(count):
        if index % 10 == 9:
            subjects.append(SubjectColumn(str(1000 + index), "LOCALGROUP", f"Group {index}",
                                          code=f"group-{index}"))
        elif index % 10 == 8:
            subjects.append(SubjectColumn(f"KG:global-{index}", "GLOBALGROUP", f"Global {index}"))
        else:
            subjects.append(SubjectColumn(f"KG:GOV:7{index:07d}:sub{index}", "SUBSYSTEM",
                                          f"Org {index}"))
    return subjects


def synthetic_model(services: int, subjects: int) -> MatrixModel:
    """``services`` × ``subjects`` with about one right in eleven cells."""
    rows, cols = synthetic_services(services), synthetic_subjects(subjects)
    rights = [(row.code, col.id) for i, row in enumerate(rows) for j, col in enumerate(cols)
              if (i * 7 + j * 3) % 11 == 0]
    return MatrixModel(rows, cols, rights)


def matrix_text(matrix: Any, lines: int | None = None) -> list[str]:
    """The matrix's lines as text, as drawn now."""
    height = lines if lines is not None else matrix.scrollable_content_region.height
    return [matrix.render_line(y).text for y in range(height)]


# -- the app ----------------------------------------------------------------------------------

async def open_access(pilot: Any, client: str, *, view: str = "service", loads: int = 1) -> Any:
    """Push the access-rights screen of ``client`` and wait until it has loaded."""
    from screen_support import wait_for

    from screens.access import AccessRightsScreen

    await wait_for(pilot, lambda: pilot.app.server is not None, what="connected")
    pilot.app.push_screen(AccessRightsScreen(client, view=view))
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AccessRightsScreen)
                   and pilot.app.screen.loads >= loads, what="access rights loaded")
    await pilot.pause()
    return pilot.app.screen


async def reloaded(pilot: Any, screen: Any, loads: int) -> Any:
    """Wait until ``screen`` has loaded ``loads`` times and nothing is running."""
    from screen_support import wait_for

    await wait_for(pilot, lambda: screen.loads >= loads and not screen.busy
                   and pilot.app.screen is screen, what=f"load {loads}")
    await pilot.pause()
    return screen


async def press_button(pilot: Any, screen: Any, selector: str) -> None:
    from textual.widgets import Button

    button = screen.query_one(selector, Button)
    assert not button.disabled, selector
    button.press()
    await pilot.pause()
