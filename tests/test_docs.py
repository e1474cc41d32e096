"""Every `glimmer` command the README and docs show runs as written, and the README links only to
files inside the repository."""

from __future__ import annotations

import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_FOR_S = 2.0  # commands still running this long after their first output get Ctrl-C


def shown_commands() -> list[tuple[str, str]]:
    """(document, command) for every glimmer invocation in a ```sh block or an inline `code` span."""
    found: list[tuple[str, str]] = []
    for doc in DOCS:
        text = doc.read_text()
        pieces = [line for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S) for line in block.splitlines()]
        pieces += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
        for piece in pieces:
            for part in piece.split("&&"):
                command = part.split("  #")[0].strip()
                if re.match(r"^(\.venv/bin/)?glimmer(\s|$)", command):
                    found.append((doc.name, command))
    return sorted(set(found))


def test_the_docs_show_the_main_commands() -> None:
    commands = {c for _, c in shown_commands()}
    assert ".venv/bin/glimmer sim" in commands
    assert any(c.startswith(".venv/bin/glimmer run --config") for c in commands)
    assert any(" config" in c for c in commands)


def test_every_command_shown_in_the_readme_and_docs_runs(tmp_path: Path) -> None:
    """Each runs as written (from a fresh working directory); those still running after a few seconds get
    Ctrl-C, as a person would press it. None may fail on its arguments (exit 2) or crash (70); on this
    machine without the Pi's hardware `glimmer run` ends with 69 (hardware missing) or 78 (no config)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(tmp_path / "state")}
    procs = []
    for doc, command in shown_commands():
        argv = shlex.split(command)
        stdout: int | IO[str] = subprocess.PIPE
        if ">" in argv:  # `glimmer config > my.toml`
            stdout = (tmp_path / argv[argv.index(">") + 1]).open("w")
            argv = argv[: argv.index(">")]
        argv = [sys.executable, "-m", "device.cli", *argv[1:]]
        procs.append((doc, command, subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=stdout,
                                                     stderr=subprocess.PIPE, text=True)))
    # Ctrl-C once each is running: after its first output (the live view's first frame, the first JSON
    # line), however long start-up takes on a busy machine, plus RUN_FOR_S.
    waiting = [proc.stdout for _, _, proc in procs if proc.stdout is not None]
    deadline = time.monotonic() + 90.0
    while waiting and time.monotonic() < deadline:
        ready, _, _ = select.select(waiting, [], [], deadline - time.monotonic())
        waiting = [pipe for pipe in waiting if pipe not in ready]
    time.sleep(RUN_FOR_S)
    for _, _, proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    failures = []
    for doc, command, proc in procs:
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        allowed = {0, 69, 78} if " run" in f" {command.split('glimmer', 1)[1]}" else {0}
        if proc.returncode not in allowed or "Traceback" in err or "usage:" in err:
            failures.append(f"{doc}: `{command}` exited {proc.returncode}: {err.strip()[-300:]}")
    assert not failures, "\n".join(failures)
    assert not list(tmp_path.glob("*.wav")), "a command wrote sound into the working directory"


def _readme_link_targets() -> list[str]:
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    # Paths in code spans too, except absolute ones: those name files on the device (/etc/glimmer/...).
    paths = [p for p in re.findall(r"`([^`\s]+\.(?:md|toml|py|txt|service|sh))`", text) if not p.startswith("/")]
    return [t for t in links + paths if not re.match(r"^[a-z]+://", t) and not t.startswith("#")]


@pytest.mark.parametrize("target", _readme_link_targets())
def test_the_readme_links_only_to_files_inside_the_repository(target: str) -> None:
    path = (ROOT / target.split("#")[0]).resolve()
    assert path.is_relative_to(ROOT), f"{target} points outside the repository"
    assert path.exists(), f"{target} does not exist"


def test_no_readme_link_leaves_the_repository() -> None:
    assert "](../" not in (ROOT / "README.md").read_text()
    assert "`../" not in (ROOT / "README.md").read_text()
