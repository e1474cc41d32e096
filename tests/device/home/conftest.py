from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.device.home.broker import MOSQUITTO, Mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto; .ci/run does)")
    b = Mosquitto(tmp_path / "broker")
    b.workdir.mkdir()
    b.start()
    yield b
    b.stop()
