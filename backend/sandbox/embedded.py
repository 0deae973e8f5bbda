"""The sandbox as a child process of ``kapka --sandbox``.

``python -m backend.sandbox.embedded --data DIR [--fresh]`` starts the server on a free loopback
port, writes one JSON line describing it (``SandboxInfo``) to stdout, and serves until its stdin is
closed — so it never outlives the console that started it, even if the console is killed. Running
in its own process, the sandbox starts on the second core while the console starts on the first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.paths import PASSWORD_ENV, reset_data_dir
from backend.sandbox.server import SandboxInfo, SandboxServer


def info_to_json(info: SandboxInfo) -> str:
    return json.dumps({
        "base_url": info.base_url,
        "host": info.host,
        "port": info.port,
        "certificate_path": str(info.certificate_path),
        "data_dir": str(info.data_dir),
        "admin_username": info.admin_username,
        "admin_password_file": str(info.admin_password_file) if info.admin_password_file else None,
    })


def info_from_json(line: str) -> SandboxInfo:
    """The child's ready line: its ``SandboxInfo``, or the error that stopped it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise KapkaError(_("The sandbox answered {line!r} instead of its address.").format(
            line=line[:200]), _("Sandbox not started")) from None
    if "error" in data:
        raise KapkaError(data["error"].get("message", ""), data["error"].get("title"))
    password_file = data.get("admin_password_file")
    return SandboxInfo(
        base_url=data["base_url"],
        host=data["host"],
        port=int(data["port"]),
        certificate_path=Path(data["certificate_path"]),
        data_dir=Path(data["data_dir"]),
        admin_username=data["admin_username"],
        admin_password_file=Path(password_file) if password_file else None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.sandbox.embedded")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.fresh:
            reset_data_dir(args.data)
        server = SandboxServer(args.data, admin_password=os.environ.get(PASSWORD_ENV) or None)
        info = server.start()
    except KapkaError as error:
        print(json.dumps({"error": {"title": error.title, "message": error.message}}), flush=True)
        return 1
    print(info_to_json(info), flush=True)
    parent_gone = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the console closed the pipe or has gone
        parent_gone.set()

    threading.Thread(target=watch_stdin, daemon=True, name="kapka-sandbox-parent").start()
    try:
        parent_gone.wait()
    except KeyboardInterrupt:  # Ctrl-C in the console's terminal reaches the whole group
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
