"""systemd/install.sh in a throwaway root (`--root DIR`): a real virtual environment with Glimmer installed
in it, the unit, the config never overwritten, I2C and SPI enabled, an upgrade in place, an uninstall that
keeps the household's data unless asked. Commands that would change this machine (apt-get, useradd,
systemctl, raspi-config) are written to DIR/install-calls.log under a root, and checked from there.
The script passes shellcheck (CI installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "systemd" / "install.sh"
PROGRAM = "opt/glimmer/venv/bin/glimmer"
FIRMWARE_CONFIG = "# Raspberry Pi firmware settings\n#dtparam=i2c_arm=on\n#dtparam=i2s=on\n#dtparam=spi=on\n[all]\n"


def install(root: Path, *args: str) -> str:
    done = subprocess.run(["bash", str(SCRIPT), "--root", str(root), *args], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def calls(root: Path) -> list[str]:
    log = root / "install-calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_install_upgrade_and_uninstall_in_a_throwaway_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "config.txt").write_text(FIRMWARE_CONFIG)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\naudio:x:29:\n")

    said = install(root)
    made = calls(root)
    program = root / PROGRAM
    version = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("glimmer ")
    assert (root / "etc/systemd/system/glimmer.service").read_bytes() == (ROOT / "systemd/glimmer.service").read_bytes()
    shipped = (ROOT / "device/default_config.toml").read_text()
    assert (root / "etc/glimmer/config.toml").read_text() == shipped
    assert (root / "usr/local/bin/glimmer").readlink() == Path("/" + PROGRAM)
    firmware = (root / "boot/firmware/config.txt").read_text().splitlines()
    assert firmware.count("dtparam=i2c_arm=on") == 1 and firmware.count("dtparam=spi=on") == 1
    assert "#dtparam=i2s=on" in firmware  # nothing else touched
    assert (root / "etc/modules").read_text().splitlines() == ["i2c-dev"]
    assert "reboot once" in said
    assert any(c.startswith("env DEBIAN_FRONTEND=noninteractive apt-get install -y") and "python3-venv" in c
               for c in made)
    assert made.count("groupadd --system i2c") == 1 and not any(c == "groupadd --system audio" for c in made)
    assert any(c.startswith("useradd --system") and c.endswith("--groups i2c,spi,gpio,audio glimmer") for c in made)
    assert made[-3:] == ["systemctl daemon-reload", "systemctl enable glimmer.service",
                         "systemctl restart glimmer.service"]

    # The admin edits the config; the user exists now; raspi-config is there. Running it again upgrades
    # in place and changes nothing the admin made.
    edited = shipped.replace('device_id = "glimmer"', 'device_id = "bedside"')
    assert edited != shipped
    (root / "etc/glimmer/config.toml").write_text(edited)
    with (root / "etc/passwd").open("a") as passwd:
        passwd.write("glimmer:x:999:999::/var/lib/glimmer:/usr/sbin/nologin\n")
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/raspi-config").write_text("#!/bin/sh\nexit 1\n")
    (root / "usr/bin/raspi-config").chmod(0o755)
    (root / "var/lib/glimmer").mkdir(parents=True)
    (root / "var/lib/glimmer/glimmer.db").write_bytes(b"the household's sessions")
    said = install(root)
    again = calls(root)
    assert "kept as it is" in said
    assert (root / "etc/glimmer/config.toml").read_text() == edited
    assert (root / "etc/glimmer/config.toml.default").read_text() == shipped
    assert (root / "boot/firmware/config.txt").read_text().splitlines() == firmware
    assert (root / "etc/modules").read_text().splitlines() == ["i2c-dev"]
    assert "usermod --groups i2c,spi,gpio,audio glimmer" in again and not any(c.startswith("useradd") for c in again)
    assert "raspi-config nonint do_i2c 0" in again and "raspi-config nonint do_spi 0" in again
    assert again[-1] == "systemctl restart glimmer.service"
    assert subprocess.run([str(program), "--version"], capture_output=True, text=True).stdout == version

    # Uninstall keeps the household's data, the config and the user; --purge removes them.
    said = install(root, "--uninstall")
    assert calls(root) == ["systemctl disable --now glimmer.service", "systemctl daemon-reload"]
    assert not (root / "opt/glimmer").exists() and not (root / "etc/systemd/system/glimmer.service").exists()
    assert not (root / "usr/local/bin/glimmer").is_symlink()
    assert (root / "var/lib/glimmer/glimmer.db").read_bytes() == b"the household's sessions"
    assert (root / "etc/glimmer/config.toml").read_text() == edited
    assert "kept the household's data" in said
    install(root, "--uninstall")  # again: nothing left to do, no error
    assert calls(root) == []
    install(root, "--uninstall", "--purge")
    assert calls(root) == ["userdel glimmer"]
    assert not (root / "var/lib/glimmer").exists() and not (root / "etc/glimmer").exists()


def test_bad_options_are_refused(tmp_path: Path) -> None:
    for args, message in ((["--purge"], "--purge goes with --uninstall"), (["--frobnicate"], "unknown option"),
                          (["--root", str(tmp_path / "nowhere")], "is not a directory")):
        done = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (.ci/run installs it)")
def test_the_script_passes_shellcheck() -> None:
    done = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
