"""Helpers for the archives-screen tests: archive directories, the app without a server, waiting."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from screen_support import FAST_KDF, PASSPHRASE, make_app, make_connector, wait_for
from textual.pilot import Pilot

from backend.archive.names import archive_file_name
from console.app import KapkaApp
from console.archive_settings import ArchiveSettings
from console.config import Config
from console.secrets import SecretStore
from screens.archives import ArchivesScreen
from tests.archive.builder import (
    START,
    Record,
    container,
    linkinginfo,
    rest_request,
    rest_response,
    soap_message,
)
from tests.archive_verify import forge

SIZE = (120, 36)
SOAP_QUERY = "soap-query-0001"
REST_QUERY = "rest-query-0002"
CLIENT = "CS/GOV/1001/portal"
SERVICE = "CS/GOV/5005/registry/getPerson"
REST_SERVICE = "CS/COM/6006/shop"
REST_BODY = b'{"orders": [1, 2, 3]}'


def console_app(config: Config, settings: ArchiveSettings, **kwargs: Any) -> KapkaApp:
    """The console with no server and no profile (it opens on the connect screen)."""
    secrets = SecretStore(prefer="file", kdf=FAST_KDF)
    secrets.unlock(PASSPHRASE)
    return make_app(make_connector(config, secrets, kwargs.pop("journal", None)), config,
                    archive_settings=settings, **kwargs)


def settings(archive_dir: Path, **values: Any) -> ArchiveSettings:
    """Settings for ``archive_dir``, with no GnuPG home and no verification configuration by default."""
    missing = archive_dir.parent / "not-there"
    base = ArchiveSettings(archive_dir=archive_dir, gpg_home=missing, verification_conf=missing)
    return replace(base, **values)


async def open_archives(pilot: Pilot[Any], *, verify: bool = False) -> ArchivesScreen:
    """Open the archives screen as the ``m`` key does and wait for its index."""
    app = pilot.app
    app.show_archives(verify=verify)  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, ArchivesScreen) or any(
        isinstance(s, ArchivesScreen) for s in app.screen_stack), what="archives screen")
    screen = next(s for s in app.screen_stack if isinstance(s, ArchivesScreen))
    await wait_for(pilot, lambda: screen.indexed >= 1 or bool(screen.query("#archives-error.-visible")),
                   timeout=30, what="archive index")
    await pilot.pause()
    return screen


# -- archive directories ------------------------------------------------------------------------

def mixed_records() -> list[Record]:
    """A SOAP request and response, a REST request (with a body) and its response, and filler."""
    moment = START
    records = [
        Record(SOAP_QUERY, False, 1, moment, soap_message(SOAP_QUERY, CLIENT, SERVICE)),
        Record(SOAP_QUERY, True, 2, moment.replace(second=1), soap_message(
            SOAP_QUERY, CLIENT, SERVICE, body="<ns1:getPersonResponse><name>Aibek</name>"
                                              "</ns1:getPersonResponse>")),
        Record(REST_QUERY, False, 3, moment.replace(second=2),
               rest_request(REST_QUERY, "CS/COM/2002/billing", REST_SERVICE, method="POST", path="/orders")),
        Record(REST_QUERY, True, 4, moment.replace(second=3),
               rest_response(REST_QUERY, "CS/COM/2002/billing", REST_SERVICE)),
    ]
    for number in range(5, 41):
        query = f"filler-{number:04d}"
        records.append(Record(query, number % 2 == 0, number, moment.replace(minute=1, second=number),
                              soap_message(query, "CS/ORG/3003/app", "CS/ORG/7007/stats/getData")))
    return records


def write_mixed(directory: Path) -> list[Path]:
    """Two chained archive files with the records of ``mixed_records``; the REST request has a body."""
    directory.mkdir(parents=True, exist_ok=True)
    records = mixed_records()
    bodies = {records[2].name: [REST_BODY]}
    paths, previous = [], ("-", "-")
    for part in (records[:20], records[20:]):
        containers = [(r.name, container(r.message, r.time, attachments=bodies.get(r.name, ())), r.time)
                      for r in part]
        info, last = linkinginfo([(name, data) for name, data, _time in containers], *previous)
        path = directory / archive_file_name(part[0].time, part[-1].time, last)
        with zipfile.ZipFile(path, "w") as archive:  # stored, as X-Road writes
            for name, data, moment in containers:
                archive.writestr(zipfile.ZipInfo(name, moment.timetuple()[:6]), data)
            archive.writestr(zipfile.ZipInfo("linkinginfo", part[-1].time.timetuple()[:6]), info)
        paths.append(path)
        previous = (last, path.name)
    return paths


def write_signed(directory: Path, pki: forge.Pki, *, count: int = 12, per_file: int = 4) -> list[Path]:
    """Archives X-Road would write, signed and timestamped by ``pki``: three chained files by default."""
    records = forge.make_records(count)
    items = list(zip(forge.entry_names(records), forge.containers(pki, records, batch=4), strict=True))
    return forge.write_archives(directory, items, per_file=per_file)


def flip_byte(archive: Path, entry_index: int = 0) -> str:
    """Change one byte inside a stored container of ``archive`` (the zip stays readable); its name."""
    with zipfile.ZipFile(archive) as source:
        info = [i for i in source.infolist() if i.filename.endswith(".asice")][entry_index]
    data = bytearray(archive.read_bytes())
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    data[offset] ^= 0x01
    archive.write_bytes(bytes(data))
    return info.filename


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target
