"""``kapka`` as a Unix tool: output into a closed pipe ends quietly with 141, Ctrl-C with one line
and 130, and an interrupted command leaves no half-written file.

The pipe tests start ``python -m console`` with standard output a pipe whose reader is already
gone (what ``kapka … | head -1`` meets once ``head`` has its line), so the closed pipe is met every
time, however fast the machine.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend import atomicfile
from backend.sandbox.state import SandboxState
from console.cli import EXIT_CLOSED_PIPE, EXIT_INTERRUPTED, main
from tests.acl.acl_support import TRACKING, rights, setup_registry
from tests.cli.conftest import CliSandbox
from tests.conftest import REFERENCE_DIR, REPO_ROOT
from tests.sandboxes import PIN, Templates

ARCHIVES = REFERENCE_DIR / "fixtures" / "messagelog" / "archives"
KAPKA = [sys.executable, "-m", "console"]
TIMEOUT = 120


def kapka_into_closed_pipe(*argv: str, stderr_too: bool = False,
                           pass_fds: tuple[int, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``kapka ARGV`` with stdout (and with ``stderr_too`` stderr) a pipe nobody reads any more."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([*KAPKA, *argv], stdin=subprocess.DEVNULL, stdout=write,
                              stderr=write if stderr_too else subprocess.PIPE, text=True,
                              cwd=REPO_ROOT, pass_fds=pass_fds, timeout=TIMEOUT, check=False)
    finally:
        os.close(write)


# -- a closed output pipe -----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ("archives", "list", str(ARCHIVES)),
    ("archives", "list", str(ARCHIVES), "--json"),
    ("archives", "find", str(ARCHIVES), "--since", "2000-01-01"),
], ids=["list", "list-json", "find"])
def test_archive_output_into_a_closed_pipe_ends_quietly(argv: tuple[str, ...]) -> None:
    ended = kapka_into_closed_pipe(*argv)
    assert (ended.returncode, ended.stderr) == (EXIT_CLOSED_PIPE, "")


def test_the_same_output_into_an_open_pipe_is_whole() -> None:
    ran = subprocess.run([*KAPKA, "archives", "find", str(ARCHIVES), "--since", "2000-01-01"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=TIMEOUT, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.rstrip().endswith("records match.")


def test_a_closed_stderr_ends_quietly_too() -> None:
    """``kapka … 2>&1 | head -1``: both streams closed; and a note on a closed stderr alone."""
    both = kapka_into_closed_pipe("archives", "list", str(ARCHIVES), stderr_too=True)
    assert both.returncode == EXIT_CLOSED_PIPE
    read, write = os.pipe()
    os.close(read)
    try:  # "No record matches." goes to stderr only
        only_stderr = subprocess.run([*KAPKA, "archives", "find", str(ARCHIVES), "--query-id", "none"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=write,
                                     cwd=REPO_ROOT, timeout=TIMEOUT, check=False)
    finally:
        os.close(write)
    assert only_stderr.returncode == EXIT_CLOSED_PIPE


def test_acl_export_into_a_closed_pipe(cli: CliSandbox) -> None:
    setup_registry(cli.state)
    ended = kapka_into_closed_pipe("acl", "export")  # the profile and secrets come from the environment
    assert (ended.returncode, ended.stderr) == (EXIT_CLOSED_PIPE, "")


def test_sandbox_traffic_into_a_closed_pipe(templates: Templates, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    shutil.copytree(templates.populated, data_dir)
    pin_read, pin_write = os.pipe()
    os.write(pin_write, PIN.encode() + b"\n")
    os.close(pin_write)
    try:
        ended = kapka_into_closed_pipe("sandbox", "traffic", "--records", "3", "--data", str(data_dir),
                                       "--pin-fd", str(pin_read), pass_fds=(pin_read,))
    finally:
        os.close(pin_read)
    assert (ended.returncode, ended.stderr) == (EXIT_CLOSED_PIPE, "")
    assert len(list((data_dir / "messagelog" / "archive").glob("mlog-*.zip"))) >= 1  # the work was done


# -- Ctrl-C ---------------------------------------------------------------------------------------

def test_an_interrupt_in_any_command_is_one_line_and_130(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import console.cli_keys

    def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(console.cli_keys, "main", interrupted)
    assert main(["keys"]) == EXIT_INTERRUPTED
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "kapka: interrupted.\n")


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    """What ``fd`` gives until ``marker`` shows (or it ends, or the deadline passes)."""
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while marker not in seen and time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                seen += chunk
    return seen


def test_ctrl_c_at_a_confirmation_prompt_ends_at_once(cli: CliSandbox, tmp_path: Path) -> None:
    """The prompt blocks in a read: one SIGINT must end it (not only a second one)."""
    setup_registry(cli.state)
    target = tmp_path / "rights.toml"
    assert cli.kapka("acl", "export", "-o", str(target)).code == 0
    target.write_text(target.read_text().replace(f'"{TRACKING}",', ""))
    terminal, terminal_side = os.openpty()  # a terminal on stdin: kapka asks instead of refusing
    process = subprocess.Popen([*KAPKA, "acl", "apply", str(target)], stdin=terminal_side,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO_ROOT)
    os.close(terminal_side)
    try:
        assert process.stderr is not None
        prompt = _read_until(process.stderr.fileno(), b"[y/N] ", time.monotonic() + TIMEOUT)
        assert b"[y/N] " in prompt, prompt.decode(errors="replace")
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        rest = process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(terminal)
    assert code == EXIT_INTERRUPTED
    assert rest == "kapka: interrupted.\n"
    assert ("getPerson", TRACKING) in rights(cli.state)  # nothing was sent


# -- no half-written files ----------------------------------------------------------------------

class _InterruptedRename:
    """The ``os`` module, but Ctrl-C arrives just before the finished file would be renamed."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    @staticmethod
    def replace(source: object, target: object) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_acl_export_leaves_no_file(cli: CliSandbox, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    setup_registry(cli.state)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    kept = out_dir / "kept.toml"
    kept.write_text("# the earlier export\n")
    with monkeypatch.context() as patched:
        patched.setattr(atomicfile, "os", _InterruptedRename())
        fresh = cli.kapka("acl", "export", "-o", str(out_dir / "rights.toml"))
        replaced = cli.kapka("acl", "export", "-o", str(kept), "--force")
    assert (fresh.code, replaced.code) == (EXIT_INTERRUPTED, EXIT_INTERRUPTED)
    assert fresh.err.endswith("kapka: interrupted.\n")
    assert [path.name for path in out_dir.iterdir()] == ["kept.toml"]  # no temporary file left
    assert kept.read_text() == "# the earlier export\n"
    assert cli.kapka("acl", "export", "-o", str(out_dir / "rights.toml")).code == 0


def test_an_interrupted_sandbox_anchor_leaves_no_file(sandbox_state: SandboxState, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["sandbox", "anchor", "-o", str(out_dir / "anchor.xml"), "--data", str(sandbox_state.data_dir)]
    with monkeypatch.context() as patched:
        patched.setattr(atomicfile, "os", _InterruptedRename())
        assert main(argv) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "kapka: interrupted.\n"
    assert list(out_dir.iterdir()) == []
    assert main(argv) == 0
    assert (out_dir / "anchor.xml").read_bytes().startswith(b"<?xml")
    assert [path.name for path in out_dir.iterdir()] == ["anchor.xml"]
