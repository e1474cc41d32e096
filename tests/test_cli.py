"""The `glimmer` command: help, version, config errors, and the simulator end to end."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import device
from device.cli import EX_CONFIG, _verbosity, build_parser, log_level, main
from device.config import DEFAULT_CONFIG_PATH, as_dict, load_config

GLIMMER = [sys.executable, "-m", "device.cli"]
ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    """The command's environment: our package importable from anywhere, state kept in tmp_path."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(tmp_path / "state")}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"glimmer {device.__version__}"


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "sim", "config"):
        assert command in out


def test_sim_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sim", "--help"])
    out = capsys.readouterr().out
    for option in ("--speed", "--minutes", "--seed", "--json", "--wav", "--at"):
        assert option in out


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["sim", "--speed", "0"])
    assert caught.value.code == 2
    assert "expected a number above 0" in capsys.readouterr().err


def test_bad_config_exits_78_listing_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[sensor]\nsample_rate_hz = 33\n[led]\ncount = 0\n")
    assert main(["--config", str(path), "sim", "--minutes", "1"]) == EX_CONFIG
    err = capsys.readouterr().err
    assert "sensor.sample_rate_hz" in err and "led.count" in err


def test_config_command_prints_toml_in_the_shipped_layout_that_loads_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[pacer]\nresonance_rate_per_min = 5.5\n[sensor]\ni2c_address = 0x58\n")
    assert main(["--config", str(path), "config"]) == 0
    text = capsys.readouterr().out
    shown = tomllib.loads(text)
    config = load_config(path)
    assert shown == as_dict(config)
    assert "i2c_address = 0x58 " in text  # hex stays hex
    saved = tmp_path / "saved.toml"
    saved.write_text(text)
    assert load_config(saved) == config
    shipped = (Path(device.__file__).parent / "default_config.toml").read_text().splitlines()
    printed = text.splitlines()
    assert len(printed) == len(shipped)
    for mine, theirs in zip(printed, shipped, strict=True):  # same sections, comments and key order
        if theirs.startswith(("#", "[")) or not theirs.strip():
            assert mine == theirs
        else:
            assert mine.split("=")[0] == theirs.split("=")[0]
            assert ("#" in mine) == ("#" in theirs)


def test_config_command_with_the_defaults_prints_the_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    if DEFAULT_CONFIG_PATH.exists():
        pytest.skip(f"{DEFAULT_CONFIG_PATH} exists here and would be read")
    assert main(["config"]) == 0
    assert capsys.readouterr().out == (Path(device.__file__).parent / "default_config.toml").read_text()


@pytest.mark.parametrize("argv", [
    ["--config", "{path}", "config"],
    ["config", "--config", "{path}"],
    ["-c", "{path}", "config"],
    ["config", "-c", "{path}"],
    ["-c", "/nonexistent.toml", "config", "-c", "{path}"],  # after the subcommand wins
])
def test_global_options_work_on_either_side_of_the_subcommand(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[pacer]\nresonance_rate_per_min = 5.5\n")
    assert main([a.format(path=path) for a in argv]) == 0
    assert tomllib.loads(capsys.readouterr().out)["pacer"]["resonance_rate_per_min"] == 5.5


@pytest.mark.parametrize(("argv", "verbosity"), [
    ([], 0), (["-v"], 1), (["sim", "-v"], 1), (["-v", "sim", "-v"], 2), (["-vv", "sim"], 2),
    (["-q", "sim"], -1), (["sim", "-qq"], -2), (["-v", "sim", "-q"], 0),
])
def test_verbosity_counts_on_both_sides(argv: list[str], verbosity: int) -> None:
    args = build_parser().parse_args([*argv, "sim"] if "sim" not in argv else argv)
    assert _verbosity(args) == verbosity


def test_every_subcommand_gets_the_global_options_even_when_added_plainly() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    extra = commands.add_parser("extra")  # as a later subcommand might be added
    extra.set_defaults(handler=lambda args: 0)
    args = parser.parse_args(["extra", "-c", "x.toml", "-v"])
    assert args.config == Path("x.toml") and _verbosity(args) == 1


@pytest.mark.parametrize(("base", "verbosity", "level"), [
    (logging.INFO, 1, logging.DEBUG), (logging.INFO, 0, logging.INFO), (logging.INFO, -1, logging.WARNING),
    (logging.INFO, -5, logging.ERROR), (logging.WARNING, 1, logging.INFO), (logging.DEBUG, 3, logging.DEBUG),
])
def test_v_lowers_and_q_raises_the_level_one_step_each(base: int, verbosity: int, level: int) -> None:
    assert log_level(base, verbosity) == level


def test_sim_json_prints_one_payload_per_metrics_period_then_a_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "sound.wav"
    code = main(["sim", "--speed", "max", "--minutes", "3", "--seed", "3", "--json", "--wav", str(wav),
                 "--at", "12:00"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    metrics = [obj for obj in lines if obj["kind"] == "metrics"]
    assert len(metrics) == 36  # every 5 s for 180 s
    assert [m["t_s"] for m in metrics] == [5.0 * (i + 1) for i in range(36)]
    assert metrics[-1]["hr_bpm"] is not None and metrics[-1]["finger_on"] is True
    assert [obj["kind"] for obj in lines[-2:]] == ["session_summary", "sim_summary"]
    assert wav.stat().st_size > 44


def test_sigterm_stops_the_simulator_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "device.cli", "sim", "--speed", "20", "--json", "--wav", str(tmp_path / "s.wav"),
         "--at", "12:00"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        while True:  # until a session is open
            payload = json.loads(proc.stdout.readline())
            if payload["session_state"] != "idle":
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert [json.loads(line)["kind"] for line in out.splitlines()[-2:]] == ["session_summary", "sim_summary"]


def test_run_without_the_pis_spi_library_exits_69_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import spidev  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("spidev is installed here: this is a Pi")
    assert main(["run"]) == 69
    assert "spidev" in capsys.readouterr().err


def test_a_reader_closing_the_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen([*GLIMMER, "sim", "--speed", "max", "--json", "--at", "12:00"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = json.loads(proc.stdout.readline())  # like `| head -1`
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert first["kind"] == "metrics"
    assert proc.returncode == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_json_run_writes_no_sound_anywhere_unless_asked(tmp_path: Path) -> None:
    run = subprocess.run([*GLIMMER, "sim", "--speed", "max", "--minutes", "0.5", "--json", "--at", "12:00"],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert run.returncode == 0, run.stderr
    assert list(tmp_path.rglob("*.wav")) == []
    asked = tmp_path / "asked.wav"
    run = subprocess.run([*GLIMMER, "sim", "--speed", "max", "--minutes", "0.5", "--json", "--wav", str(asked)],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert run.returncode == 0 and asked.stat().st_size > 44
    assert list(tmp_path.rglob("*.wav")) == [asked]


def test_the_live_view_without_speakers_writes_its_sound_to_the_state_directory_and_says_so(
        tmp_path: Path) -> None:
    run = subprocess.run([*GLIMMER, "sim", "--speed", "100", "--minutes", "0.3", "--at", "12:00"],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert run.returncode == 0, run.stderr
    expected = tmp_path / "state" / "glimmer" / "glimmer-sim.wav"
    assert expected.stat().st_size > 44
    assert list(tmp_path.rglob("*.wav")) == [expected]  # nothing in the working directory
    assert str(expected) in run.stdout


def test_pwm_led_on_a_machine_without_gpio_exits_69_with_one_clear_line(tmp_path: Path) -> None:
    try:
        import lgpio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("lgpio is installed here: this may be a Pi")
    config = tmp_path / "pwm.toml"
    config.write_text('[led]\nkind = "pwm"\n[audio]\nenabled = false\n')
    run = subprocess.run([*GLIMMER, "run", "--config", str(config)], cwd=tmp_path, capture_output=True,
                         text=True, env=_env(tmp_path), timeout=60)
    assert run.returncode == 69
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no GPIO for the PWM LED" in lines[0], run.stderr


def test_a_config_that_is_not_utf8_exits_78_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("[device]\ndevice_id = 'café'\n".encode("latin-1"))
    assert main(["config", "--config", str(path)]) == EX_CONFIG
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize(("flags", "shows", "hides"), [
    (["-vv"], " DEBUG ", None),
    (["-v"], " INFO ", " DEBUG "),
    ([], None, " INFO "),
    (["-q"], None, " WARNING "),
])
def test_v_shows_debug_and_q_quiets(tmp_path: Path, flags: list[str], shows: str | None, hides: str | None) -> None:
    run = subprocess.run([*GLIMMER, "sim", "--speed", "max", "--minutes", "1", "--json", "--at", "12:00", *flags],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert run.returncode == 0, run.stderr
    if shows:
        assert shows in run.stderr
    if hides:
        assert hides not in run.stderr




@pytest.mark.parametrize(("sig", "code", "line"), [
    ("SIGINT", 130, "glimmer: interrupted before the device started"),
    ("SIGTERM", 0, "glimmer: stopped before the device started"),
])
def test_a_signal_while_the_glimmer_script_is_still_importing_ends_it_in_one_line(
        sig: str, code: int, line: str) -> None:
    """The `glimmer` script (device/entry.py) handles Ctrl-C and SIGTERM before its slow imports: the
    signal is sent exactly as `device.cli` starts importing."""
    script = ("import builtins, os, signal, sys\n"
              "from device import entry\n"
              "real = builtins.__import__\n"
              "def hooked(name, *args, **kwargs):\n"
              "    if name == 'device.cli':\n"
              f"        os.kill(os.getpid(), signal.{sig})\n"
              "    return real(name, *args, **kwargs)\n"
              "builtins.__import__ = hooked\n"
              "sys.exit(entry.main())\n")
    # Python keeps SIGINT ignored when it starts with it ignored (as a background job does, and as the
    # test runner's process may have it): give the child the default a terminal gives.
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NOTIFY_SOCKET": ""},
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == code
    assert done.stderr.strip() == line
