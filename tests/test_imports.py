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
