"""The `glimmer` command's entry point: the signals a person or systemd may send while the program is
still importing (numpy alone takes a good part of a second on a Pi Zero 2 W) are handled before any
slow import, so they end it with one line rather than a traceback or death by signal.

- Ctrl-C while starting: "interrupted before the device started", exit 130.
- SIGTERM while starting: a clean stop, exit 0 (systemd stopping a unit that is still starting).
- SIGHUP under systemd (NOTIFY_SOCKET set) while starting: ignored; the running device reloads on it later.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

EX_OK = 0
EX_INTERRUPTED = 130  # 128 + SIGINT


class StoppedWhileStarting(Exception):
    """SIGTERM before the command put up its own handler: nothing runs yet, so a clean stop."""


def stop_while_starting(signum: int, frame: Any) -> None:
    raise StoppedWhileStarting


def early_signals() -> None:
    """Put the start-up handlers in place (idempotent; the commands' own handlers take over later)."""
    if os.environ.get("NOTIFY_SOCKET"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop_while_starting)


def ended_while_starting(exc: KeyboardInterrupt | StoppedWhileStarting) -> int:
    """Say in one line that a signal ended the program before the device started; its exit status."""
    if isinstance(exc, StoppedWhileStarting):
        print("glimmer: stopped before the device started", file=sys.stderr)
        return EX_OK
    print("glimmer: interrupted before the device started", file=sys.stderr)
    return EX_INTERRUPTED


def main() -> int:
    early_signals()
    try:
        from device.cli import main as cli_main
    except (KeyboardInterrupt, StoppedWhileStarting) as exc:
        return ended_while_starting(exc)
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
