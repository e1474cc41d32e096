"""Checks of the files a command will write, made before anything starts.

`glimmer sim --wav PATH`, `--store PATH`, `glimmer report --out PATH` and the config's file paths
(`sim.wav_path`) are looked at when the command is parsed, so a path that cannot be written is refused
with one line naming it and why, instead of failing once the device is running.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def writable_file_problem(path: Path) -> str | None:
    """Why a file could not be created or replaced at `path`, in words; None when it can.

    Looks at the path only (no file is created): the path must not be a directory, its directory must
    exist and be writable, and an existing file must be writable. `~` is expanded.
    """
    path = path.expanduser()
    if str(path) == "" or path.name in ("", ".", ".."):
        return "expected a file name"
    if path.is_dir():
        return "is a directory; expected a file in it"
    parent = path.parent
    if not parent.exists():
        return f"its directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "the file exists and cannot be written (permissions)"
        return None
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"its directory {parent} cannot be written (permissions)"
    return None


def writable_file(text: str) -> Path:
    """An argparse type: a file path that can be created or replaced (checked before the command runs;
    a bad one ends the command with exit status 2 and a line naming the option and the reason)."""
    path = Path(text).expanduser()
    problem = writable_file_problem(path)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {problem}")
    return path
