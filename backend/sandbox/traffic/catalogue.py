"""The services the sandbox's subsystems offer in generated traffic, and the values they carry.

Every subsystem of ``seed.toml`` gets a few SOAP and REST services in the style of a Kyrgyz
e-government exchange (registries, permits, the cadastre, payments, logistics); a subsystem the
catalogue does not know offers a generic status service. Field values are made from a
``random.Random`` so that a message can be rendered again, byte for byte, from its seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

Field = tuple[str, str]  # (element or JSON name, generator name)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service of a subsystem: SOAP (``code`` and ``version``) or REST (``method`` and ``path``,
    whose ``{name}`` placeholders take generated values)."""

    code: str
    rest: bool
    version: str | None = None
    method: str = "POST"
    path: str = ""
    request: tuple[Field, ...] = ()
    response: tuple[Field, ...] = ()
    binary_response: bool = False


def _soap(code: str, request: tuple[Field, ...], response: tuple[Field, ...],
          version: str = "v1") -> ServiceSpec:
    return ServiceSpec(code, False, version=version, request=request, response=response)


def _rest(code: str, method: str, path: str, request: tuple[Field, ...],
          response: tuple[Field, ...], binary: bool = False) -> ServiceSpec:
    return ServiceSpec(code, True, method=method, path=path, request=request, response=response,
                       binary_response=binary)


_PERSON = (("pin", "pin"), ("fullName", "name"), ("birthDate", "date"), ("address", "address"))

CATALOGUE: dict[str, tuple[ServiceSpec, ...]] = {
    "registry": (
        _soap("getPersonData", (("pin", "pin"),), _PERSON),
        _soap("getAddressHistory", (("pin", "pin"), ("from", "date")),
              (("address", "address"), ("registeredOn", "date"))),
        _rest("persons", "GET", "v1/persons/{pin}", (), _PERSON),
    ),
    "notifications": (
        _soap("sendNotification", (("pin", "pin"), ("text", "text")),
              (("notificationId", "uuid"), ("status", "delivery"))),
        _rest("messages", "POST", "v2/messages", (("recipient", "pin"), ("text", "text")),
              (("id", "uuid"), ("status", "delivery"))),
    ),
    "permits": (
        _soap("getPermitStatus", (("permitNumber", "permit"),),
              (("permitNumber", "permit"), ("status", "permit_status"), ("validUntil", "date")),
              version="v2"),
        _rest("permits", "GET", "v1/permits/{permit}", (),
              (("number", "permit"), ("holder", "name"), ("status", "permit_status"))),
    ),
    "cadastre": (
        _soap("getParcelInfo", (("parcelCode", "parcel"),),
              (("parcelCode", "parcel"), ("areaM2", "area"), ("owner", "name"))),
        _rest("parcels", "GET", "v1/parcels/{parcel}/owners", (),
              (("parcel", "parcel"), ("owner", "name"), ("since", "date"))),
    ),
    "maps": (
        _rest("tiles", "GET", "v1/tiles/{zoom}/{x}/{y}.png", (), (), binary=True),
        _rest("geocode", "GET", "v1/geocode?q={address}", (),
              (("lat", "latitude"), ("lon", "longitude"))),
    ),
    "tracking": (
        _rest("shipments", "GET", "v1/shipments/{shipment}", (),
              (("id", "shipment"), ("status", "shipment_status"), ("updated", "date"))),
        _rest("shipments", "POST", "v1/shipments", (("sender", "name"), ("to", "address")),
              (("id", "shipment"), ("status", "shipment_status"))),
    ),
    "payments": (
        _soap("payInvoice", (("invoice", "invoice"), ("amount", "amount"), ("payer", "pin")),
              (("paymentId", "uuid"), ("status", "payment_status"))),
        _soap("getPaymentStatus", (("paymentId", "uuid"),), (("status", "payment_status"),)),
    ),
    "reports": (
        _rest("reports", "GET", "v1/reports?from={date}&to={date}", (),
              (("count", "count"), ("generated", "date"))),
        _rest("reports", "POST", "v1/reports", (("period", "date"), ("title", "text")),
              (("id", "uuid"), ("status", "delivery"))),
    ),
}
GENERIC = (_soap("getStatus", (), (("status", "delivery"),)),
           _rest("status", "GET", "v1/status", (), (("status", "delivery"),)))

_GIVEN = ("Айгүл", "Бакыт", "Нурлан", "Гүлнара", "Эрмек", "Айбек", "Жылдыз", "Азамат", "Чолпон",
          "Тимур", "Aigerim", "Daniyar", "Meerim", "Ruslan")
_FAMILY = ("Токтогулов", "Асанова", "Жумабеков", "Осмонова", "Сыдыков", "Абдрахманова", "Иманов",
           "Beishenaliev", "Kadyrova", "Mamytov")
_STREETS = ("Чүй пр.", "Киев көч.", "Манас пр.", "Токтогул көч.", "Ибраимов көч.", "Ленин көч.")
_CITIES = ("Бишкек", "Ош", "Каракол", "Нарын", "Талас", "Жалал-Абад", "Токмок")
_TEXTS = ("Сиздин арызыңыз кабыл алынды.", "Документтер даяр.", "Төлөм ийгиликтүү өттү.",
          "Ваша заявка принята к рассмотрению.", "Reminder: permit expires soon.")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1950, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "pin": lambda rng: f"{rng.choice('12')}{rng.randint(10**12, 10**13 - 1)}",
    "name": lambda rng: f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
    "date": _date,
    "address": lambda rng: f"{rng.choice(_CITIES)}, {rng.choice(_STREETS)} {rng.randint(1, 250)}",
    "text": lambda rng: rng.choice(_TEXTS),
    "uuid": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "delivery": lambda rng: rng.choice(("ACCEPTED", "DELIVERED", "QUEUED")),
    "permit": lambda rng: f"P-{rng.randint(2019, 2026)}-{rng.randint(1, 99999):05d}",
    "permit_status": lambda rng: rng.choice(("VALID", "EXPIRED", "SUSPENDED", "PENDING")),
    "parcel": lambda rng: (f"{rng.randint(1, 9)}-{rng.randint(1, 12):02d}-{rng.randint(1, 20):02d}"
                           f"-{rng.randint(1, 9999):04d}-{rng.randint(1, 999):03d}"),
    "area": lambda rng: str(rng.randint(150, 50000)),
    "zoom": lambda rng: str(rng.randint(8, 16)),
    "x": lambda rng: str(rng.randint(0, 65535)),
    "y": lambda rng: str(rng.randint(0, 65535)),
    "latitude": lambda rng: f"{rng.uniform(39.2, 43.2):.5f}",
    "longitude": lambda rng: f"{rng.uniform(69.3, 80.2):.5f}",
    "shipment": lambda rng: f"TSL{rng.randint(10**8, 10**9 - 1)}",
    "shipment_status": lambda rng: rng.choice(("CREATED", "IN_TRANSIT", "CUSTOMS", "DELIVERED")),
    "invoice": lambda rng: f"INV-{rng.randint(100000, 999999)}",
    "amount": lambda rng: f"{rng.randint(100, 250000)}.{rng.randint(0, 99):02d}",
    "payment_status": lambda rng: rng.choice(("COMPLETED", "PENDING", "REJECTED")),
    "count": lambda rng: str(rng.randint(0, 5000)),
}


def services_of(subsystem: str) -> tuple[ServiceSpec, ...]:
    return CATALOGUE.get(subsystem, GENERIC)
