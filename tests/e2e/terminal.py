"""An operator at a terminal, for the end-to-end tests: ``kapka`` started in a pseudo-terminal (the
``spawn_kapka`` fixture in ``conftest.py``) or in the shell, keys pressed, text typed into fields,
the screen read and waited for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect

KAPKA = Path(sys.executable).with_name("kapka")
#: the ``spawn_kapka`` fixture: ``spawn_kapka(*args, extra_env=None, timeout=30)``
SpawnKapka = Callable[..., pexpect.spawn]


class Key:
    """What the keyboard sends."""

    DOWN, UP, RIGHT, TAB, BACKTAB = "\x1b[B", "\x1b[A", "\x1b[C", "\t", "\x1b[Z"
    ENTER, ESCAPE, SPACE, HOME, END, PAGE_DOWN = "\r", "\x1b", " ", "\x1b[H", "\x1b[F", "\x1b[6~"
    CTRL_LEFT, CTRL_Q, CTRL_R, CLEAR_LINE = "\x1b[1;5D", "\x11", "\x12", "\x15"
    PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # what a terminal sends around a paste


#: blanks and colour changes between words on the screen, as a regex over the terminal's output
SGR = r"(?:\s|\x1b\[[0-9;:]*m)+"
#: a person's pace: each key lands after the screen has moved on (pexpect's ``delaybeforesend``)
PACE_SECONDS = 0.2
#: a field shows at least this many of the last characters typed into it (a longer text scrolls)
FIELD_SHOWS = 32
#: how long typed text may take to appear in its field before it counts as dropped
ECHO_SECONDS = 5


def kapka_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a test's ``kapka``: an 80×24 terminal, configuration and data under
    ``home``, no system keyring, none of the caller's ``KAPKA_`` settings; then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPKA_", "XDG_"))}
    env.update(
        TERM="xterm-256color",
        COLUMNS="80",
        LINES="24",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return {**env, **(extra or {})}


def shell(home: Path, *args: str, extra_env: dict[str, str] | None = None,
          timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """``kapka ARGS`` in the operator's shell in ``home``, outside the console."""
    return subprocess.run([str(KAPKA), *args], env=kapka_env(home, extra_env), capture_output=True,
                          text=True, timeout=timeout, check=False, cwd=str(home))


def shown(stream: str, lines: int = 30) -> str:
    """The end of what the terminal was sent, roughly as text (one line per cursor move)."""
    text = re.sub(r"\x1b\[\d+;\d+H", "\n", stream)
    text = re.sub(r"\x1b(?:\[[0-9;:?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|.)", "", text)
    rows = [row.rstrip() for row in text.splitlines() if row.strip()]
    return "\n".join(rows[-lines:])


def see(child: pexpect.spawn, pattern: str, timeout: float = 30) -> None:
    """Wait until ``pattern`` (a regex) is on the screen; else fail with what the screen shows."""
    try:
        child.expect(pattern, timeout=timeout)
    except (pexpect.TIMEOUT, pexpect.EOF) as error:
        raise AssertionError(f"{pattern!r} did not appear within {timeout} s "
                             f"({type(error).__name__}); the terminal was sent lately:\n"
                             f"{shown(child.before or '')}") from None


def see_dashboard(child: pexpect.spawn) -> None:
    """Wait for the dashboard with the sandbox's software token on it: real data has loaded."""
    see(child, "Dashboard")
    see(child, "softToken-0")


def keys(child: pexpect.spawn, *presses: str) -> None:
    """One key (or one typed word) at a time; each send waits ``delaybeforesend`` first."""
    for press in presses:
        child.send(press)


def typed(child: pexpect.spawn, text: str, attempts: int = 3) -> None:
    """Type ``text`` into the focused field and see it arrive (its end, where a long text has
    scrolled); as a person would, clear the field and type again what a busy terminal dropped."""
    echo = re.escape(text[-FIELD_SHOWS:])
    for _attempt in range(attempts):
        child.send(text)
        try:
            child.expect(echo, timeout=ECHO_SECONDS)
            return
        except pexpect.TIMEOUT:
            child.send(Key.CLEAR_LINE)
        except pexpect.EOF:
            break
    raise AssertionError(f"{text!r} never appeared in the field; the terminal was sent lately:\n"
                         f"{shown(child.before or '')}")


def submit(child: pexpect.spawn, text: str) -> None:
    """Type ``text`` over what the focused field holds, see it there, then press Enter."""
    keys(child, Key.CLEAR_LINE)
    typed(child, text)
    keys(child, Key.ENTER)


def exits_with(child: pexpect.spawn, status: int = 0, timeout: float = 30) -> str:
    """Wait for ``kapka`` to end with exit status ``status`` and no traceback; what it printed
    since the last match."""
    child.expect(pexpect.EOF, timeout=timeout)
    child.close()
    output = child.before or ""
    assert child.exitstatus == status, output
    assert "Traceback" not in output
    return output


def quit_with_0(child: pexpect.spawn, key: str = "q", timeout: float = 30) -> None:
    """Press ``key``: ``kapka`` ends with exit status 0 and no traceback."""
    keys(child, key)
    exits_with(child, 0, timeout)
