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
import threading
import time
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_FOR_S = 2.0  # commands still running this long after their first output get Ctrl-C


PLACEHOLDER = re.compile(r"\b[A-Z]{3,}\b")  # `glimmer users remove NAME --forget`: syntax, not a command to copy


def _glimmer_parts(piece: str) -> list[str]:
    commands = []
    for part in piece.split("&&"):
        command = part.split("  #")[0].strip()
        if re.match(r"^(\.venv/bin/)?glimmer(\s|$)", command) and not PLACEHOLDER.search(command):
            commands.append(command)
    return commands


def shown_sequences() -> list[tuple[str, list[str]]]:
    """(document, commands) for every glimmer invocation the docs show: the commands of one ```sh block
    form one sequence, typed in order (later ones may rest on earlier ones: `users add Ann`, then
    `history --user Ann`); each inline `code` span that is a whole command is a sequence of its own. A
    bare subcommand name in prose (`glimmer report`) needs arguments, so it is a mention, not a command."""
    found: list[tuple[str, list[str]]] = []
    for doc in DOCS:
        text = doc.read_text()
        for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
            commands = [c for line in block.splitlines() for c in _glimmer_parts(line)]
            if commands:
                found.append((doc.name, commands))
        for span in re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
            found.extend((doc.name, [c]) for c in _glimmer_parts(span) if c.split()[-1] not in NEEDS_ARGUMENTS)
    unique: dict[tuple[str, ...], str] = {}
    for doc_name, commands in found:
        unique.setdefault(tuple(commands), doc_name)
    return [(doc_name, list(commands)) for commands, doc_name in unique.items()]


NEEDS_ARGUMENTS = {"report", "users"}


def shown_commands() -> list[tuple[str, str]]:
    """(document, command) for every glimmer command the docs show, each once."""
    return sorted({(doc, c) for doc, commands in shown_sequences() for c in commands})


def test_the_docs_show_the_main_commands() -> None:
    commands = {c for _, c in shown_commands()}
    assert ".venv/bin/glimmer sim" in commands
    assert any(c.startswith(".venv/bin/glimmer run --config") for c in commands)
    assert any(" config" in c for c in commands)
    assert any(" users add" in c for c in commands) and any(" history" in c for c in commands)


def _ends_by_itself(argv: list[str]) -> bool:
    """A simulator run that ends on its own soon: an assessment or a run of set length, on the fast clock."""
    return ("--assess" in argv or "--minutes" in argv) and "max" in argv


def _run_shown(command: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run one shown command as a person would: to its end, or, for the simulator (the live view runs
    until stopped), Ctrl-C RUN_FOR_S after its first output, however long start-up takes on a busy
    machine. A run whose output goes to a file is stopped RUN_FOR_S after the file first grows; one
    that prints nothing until it ends (an assessment, `> /dev/null`) and ends by itself is waited for."""
    argv = shlex.split(command)
    stdout: int | IO[str] = subprocess.PIPE
    if ">" in argv:  # `glimmer config > my.toml`
        target = argv[argv.index(">") + 1]
        stdout = open(os.devnull, "w") if target == "/dev/null" else (cwd / target).open("w")  # noqa: SIM115
        argv = argv[: argv.index(">")]
    argv = [sys.executable, "-m", "device.cli", *argv[1:]]
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    try:
        quiet_until_done = proc.stdout is None or "--assess" in argv
        if "sim" in argv[3:5] and not (quiet_until_done and _ends_by_itself(argv)):
            # The simulator runs until Ctrl-C (or many minutes): a person stops it once it shows something.
            if proc.stdout is not None:
                select.select([proc.stdout], [], [], 90.0)  # its first output: the view, a JSON line
            else:  # output redirected to a file (`> run.txt`): until the file first grows
                written = Path(stdout.name) if not isinstance(stdout, int) else None
                deadline = time.monotonic() + 90.0
                while time.monotonic() < deadline and proc.poll() is None and not (
                        written is not None and written.exists() and written.stat().st_size > 0):
                    time.sleep(0.2)
            try:
                proc.wait(timeout=RUN_FOR_S)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=600)
    finally:
        proc.kill()
        if not isinstance(stdout, int):
            stdout.close()
    return proc.returncode, out or "", err


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_every_command_shown_in_the_readme_and_docs_runs(tmp_path: Path) -> None:
    """Each runs as written, each sequence (one ```sh block) in order in a fresh working and state
    directory of its own, the sequences side by side. None may fail on its arguments (exit 2) or crash
    (70); on this machine without the Pi's hardware `glimmer run` ends with 69 (hardware missing) or 78
    (no config). Their output goes to a pipe, so none may draw (no terminal escape codes)."""
    sequences = shown_sequences()
    failures: list[str] = []

    def run_sequence(n: int, doc: str, commands: list[str]) -> None:
        cwd = tmp_path / f"seq{n}"
        cwd.mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(cwd / "state")}
        for command in commands:
            try:
                code, out, err = _run_shown(command, cwd, env)
            except Exception as exc:  # a thread's exception would otherwise only warn
                failures.append(f"{doc}: `{command}` did not end: {exc!r}")
                return
            allowed = {0, 69, 78} if " run" in f" {command.split('glimmer', 1)[1]}" else {0}
            if code not in allowed or "Traceback" in err or "usage:" in err:
                failures.append(f"{doc}: `{command}` exited {code}: {err.strip()[-300:]}")
            if "\x1b" in out + err:
                failures.append(f"{doc}: `{command}` wrote terminal escape codes into a pipe")

    threads = [threading.Thread(target=run_sequence, args=(n, doc, cmds)) for n, (doc, cmds) in enumerate(sequences)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, "\n".join(failures)
    assert not list(tmp_path.glob("*/*.wav")), "a command wrote sound into the working directory"


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


CLAIMS_A_BOARD = re.compile(r"\b(tested|works|worked|verified|runs|ran|proven)\b[^.|]{0,40}"
                            r"\b(on|with) (a |the |every |each )?(Raspberry )?Pi\b(?! header)", flags=re.I)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_document_claims_a_raspberry_pi_it_was_not_tested_on(doc: Path) -> None:
    """Glimmer has run only against its simulator: the docs may say what it is expected to run on,
    never that it works or was tested on a board (until results on real boards are recorded)."""
    claims = [m.group(0) for m in CLAIMS_A_BOARD.finditer(doc.read_text())]
    assert not [c for c in claims if not re.search(r"\b(not|never|only|expected)\b", c, flags=re.I)], claims
