"""Everything imports on a laptop without the Pi's hardware libraries; only drivers load them, lazily."""

from __future__ import annotations

import subprocess
import sys

HARDWARE = ("smbus2", "spidev", "pyaudio", "lgpio")

PROBE = f"""
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {HARDWARE!r}:
            raise ImportError('blocked hardware library ' + name)
sys.meta_path.insert(0, Block())
import device, drivers, patterns, sim
for package in (device, drivers, patterns, sim):
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m.split('.')[0] in {HARDWARE!r})
print('loaded:', loaded)
"""


def test_every_module_imports_without_hardware_libraries() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded: []"


def test_the_daemon_imports_no_scipy() -> None:
    """scipy.signal was 81 % of the daemon's import time and most of its memory; the daemon designs its
    filter in closed form (device/signal/biquad.py). The simulator and benchmarks may import it."""
    probe = "import sys, device.cli, device.app, device.hardware; print(sorted({m.split('.')[0] for m in sys.modules}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip()
    assert "'numpy'" in loaded  # the probe did import the daemon
    assert "'scipy'" not in loaded


def test_the_simulator_and_a_daemon_without_a_broker_import_neither_scipy_nor_paho() -> None:
    """The simulated person's resonator is designed in closed form (sim/heart.py), so `glimmer sim`
    pays no scipy import (a tenth of a 10-minute fast-clock run); paho-mqtt is imported only when a
    broker is set."""
    probe = ("import sys, device.cli, device.app, sim.world; "
             "print(sorted({m.split('.')[0] for m in sys.modules}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip()
    assert "'numpy'" in loaded and "'sim'" in loaded
    assert "'scipy'" not in loaded
    assert "'paho'" not in loaded
