"""The `glimmer` command: help, version, config errors, and the simulator end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import device
from device.cli import EX_CONFIG, main


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


def test_config_command_prints_effective_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[pacer]\nresonance_rate_bpm = 5.5\n")
    assert main(["--config", str(path), "config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["pacer"]["resonance_rate_bpm"] == 5.5


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
    assert lines[-1]["kind"] == "session_summary"
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
    assert json.loads(out.splitlines()[-1])["kind"] == "session_summary"


def test_run_without_the_pis_spi_library_exits_69_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import spidev  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("spidev is installed here: this is a Pi")
    assert main(["run"]) == 69
    assert "spidev" in capsys.readouterr().err
