"""What `glimmer` writes where: the live view only on a terminal (plain lines into files and pipes),
the cursor back on every exit path, quiet logs for commands a person types, file paths checked before
anything starts, and a `--json` run's closing figures."""

from __future__ import annotations

import logging
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from device.cli import _setup_logging
from device.config import load_config
from sim.view import PLAIN_HEADER, VIEW_COLUMNS, visible_width

ROOT = Path(__file__).resolve().parent.parent
GLIMMER = [sys.executable, "-m", "device.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(tmp_path / "state")}


def _run_on_a_terminal(args: list[str], tmp_path: Path, stop: signal.Signals | None = None,
                       after_s: float = 1.0) -> tuple[int, str]:
    """Run glimmer with its stdout on a pseudo-terminal; optionally send `stop` `after_s` after the
    first output. Returns (exit status, everything written to the terminal)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*GLIMMER, *args], cwd=tmp_path, env=_env(tmp_path), stdout=follower,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks: list[bytes] = []
    first_at: float | None = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
                first_at = first_at or time.monotonic()
            if stop is not None and first_at is not None and time.monotonic() - first_at > after_s:
                proc.send_signal(stop)
                stop = None
            if proc.poll() is not None and not ready:
                break
        proc.wait(timeout=60)
    finally:
        proc.kill()
        os.close(leader)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, None])
def test_the_live_view_draws_on_a_terminal_and_gives_the_cursor_back_on_every_exit(
        tmp_path: Path, stop: signal.Signals | None) -> None:
    args = ["sim", "--speed", "50", "--at", "12:00", "--wav", str(tmp_path / "s.wav")]
    if stop is None:
        args += ["--minutes", "0.3"]  # runs to its end
    code, text = _run_on_a_terminal(args, tmp_path, stop=stop)
    assert code == 0, text[-500:]
    assert text.startswith("\x1b[?25l")  # the cursor hidden while drawing
    assert text.rindex("\x1b[?25h") > text.rindex("\x1b[?25l")  # ...and shown again
    assert "Glimmer simulation summary" in text.split("\x1b[?25h")[-1]
    view = text.split("Glimmer simulation summary")[0]  # the summary may name a long file path whole
    for line in view.replace("\r", "").split("\n"):
        assert visible_width(line.replace("\x1b[?25l", "").replace("\x1b[?25h", "")) <= VIEW_COLUMNS, line


def test_an_unexpected_error_in_the_live_view_gives_the_cursor_back(tmp_path: Path) -> None:
    # A failure inside the drawing itself, raised by a hook the child imports at start (sitecustomize).
    hook = tmp_path / "hook" / "sitecustomize.py"
    hook.parent.mkdir()
    hook.write_text(
        "import sim.view as v\n"
        "_orig = v.TerminalView.on_frame\n"
        "def on_frame(self, now_s):\n"
        "    _orig(self, now_s)\n"
        "    if now_s > 5.0:\n"
        "        raise RuntimeError('a failure while drawing')\n"
        "v.TerminalView.on_frame = on_frame\n")
    env = {**_env(tmp_path), "PYTHONPATH": f"{hook.parent}:{ROOT}"}
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*GLIMMER, "sim", "--speed", "50", "--minutes", "1", "--at", "12:00",
                             "--wav", str(tmp_path / "s.wav")], cwd=tmp_path, env=env, stdout=follower,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(leader)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 70, err
    assert b"a failure while drawing" in err
    assert text.startswith("\x1b[?25l") and text.rindex("\x1b[?25h") > text.rindex("\x1b[?25l")


def test_into_a_pipe_or_a_file_the_simulator_prints_plain_lines(tmp_path: Path) -> None:
    out_file = tmp_path / "out.txt"
    with out_file.open("w") as out:
        run = subprocess.run([*GLIMMER, "sim", "--speed", "100", "--minutes", "0.5", "--at", "12:00"],
                             cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
                             timeout=120)
    assert run.returncode == 0, run.stderr
    text = out_file.read_text()
    assert "\x1b" not in text and "\x1b" not in run.stderr
    lines = text.splitlines()
    assert lines[0] == PLAIN_HEADER
    rows = lines[1: lines.index("")]
    assert [r[:5] for r in rows] == [f"00:{s:02d}" for s in range(5, 31, 5)]  # one per metrics period
    assert all(len(line) <= 80 for line in [lines[0], *rows])
    assert "Glimmer simulation summary" in text


def test_a_reader_closing_the_pipe_of_plain_lines_ends_the_run_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen([*GLIMMER, "sim", "--speed", "50", "--at", "12:00"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline().decode()  # like `| head -1`
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert first.rstrip("\n") == PLAIN_HEADER
    assert proc.returncode == 0 and err == "", err


def test_interactive_commands_log_only_warnings_unless_asked(tmp_path: Path) -> None:
    """`glimmer sim ... | head -1` shows nothing on stderr: INFO is for -v (tests/test_cli.py steps
    through -v, -vv and -q)."""
    run = subprocess.run([*GLIMMER, "sim", "--speed", "max", "--minutes", "0.5", "--json", "--at", "12:00"],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert run.returncode == 0 and run.stderr == "", run.stderr


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_the_daemons_log_level_comes_from_its_config(tmp_path: Path, level: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[device]\nlog_level = "{level}"\n')
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        _setup_logging(load_config(path), 0)  # as `glimmer run` does
        assert root.level == getattr(logging, level)
        _setup_logging(None, 0)  # the commands a person types
        assert root.level == logging.WARNING
    finally:
        root.setLevel(saved[0])
        root.handlers = saved[1]


def _bad_paths(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Paths that cannot be written, with the words the refusal must use."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    cases = {"missing directory": (str(tmp_path / "nowhere" / "f.x"), "does not exist"),
             "a directory": (str(tmp_path), "is a directory")}
    if os.geteuid() != 0:  # root writes anywhere
        cases["read-only directory"] = (str(locked / "f.x"), "cannot be written")
    return cases


@pytest.mark.parametrize("case", ["missing directory", "a directory", "read-only directory"])
@pytest.mark.parametrize(("command", "option", "suffix"), [
    (["sim", "--speed", "max", "--minutes", "0.1"], "--wav", ".wav"),
    (["sim", "--speed", "max", "--minutes", "0.1"], "--store", ".db"),
    (["report", "--user", "Ann"], "--out", ".html"),
])
def test_every_file_option_is_checked_before_anything_starts(
        tmp_path: Path, case: str, command: list[str], option: str, suffix: str) -> None:
    cases = _bad_paths(tmp_path)
    if case not in cases:
        pytest.skip("running as root: every directory is writable")
    path, words = cases[case]
    if path.endswith(".x"):
        path = path[:-2] + suffix
    run = subprocess.run([*GLIMMER, *command, option, path], cwd=tmp_path, capture_output=True, text=True,
                         env=_env(tmp_path), timeout=60)
    assert run.returncode == 2, run.stderr  # a usage error, before the device or the store is touched
    last = run.stderr.strip().splitlines()[-1]
    assert option in last and path in last and words in last, run.stderr
    assert "Traceback" not in run.stderr and "store" not in run.stderr.replace("--store", "")
    assert not (tmp_path / "state" / "glimmer" / "glimmer.db").exists()


def test_a_config_wav_path_that_cannot_be_written_is_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[sim]\nwav_path = "{tmp_path / "nowhere" / "s.wav"}"\n')
    run = subprocess.run([*GLIMMER, "sim", "--config", str(config), "--speed", "20", "--minutes", "0.1"],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), timeout=60)
    assert run.returncode == 78, run.stderr
    assert "sim.wav_path" in run.stderr and "does not exist" in run.stderr


def test_ctrl_c_during_an_assessment_ends_it_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen([*GLIMMER, "sim", "--assess", "--speed", "5", "--at", "12:00", "-v"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # -v: the device's own log; once a session settles, the device runs
            seen.append(line)
            if "settling" in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, "".join(seen) + err
    assert "the assessment did not finish" in out and "Traceback" not in err
