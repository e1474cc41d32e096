"""Memory handed back at a session's close (device/memory.py): NumPy's small-buffer cache is emptied, the
heap trimmed where glibc is the C library, and nothing fails elsewhere."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import device.app
import device.memory as memory
from device.app import build_device
from device.config import load_config
from device.publish import RecordingPublisher
from sim.world import build_sim_world

NEEDS_GLIBC = pytest.mark.skipif(memory.heap_in_use_bytes() is None, reason="needs glibc 2.33+ (mallinfo2)")


def _in_use() -> int:
    in_use = memory.heap_in_use_bytes()
    assert in_use is not None
    return in_use


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@NEEDS_GLIBC
def test_the_small_buffers_numpy_keeps_are_given_back() -> None:
    memory.release_numpy_cache()
    empty = _in_use()
    # Every cache bucket filled: 7 freed buffers of each size below 1 KiB stay malloc'd, held by NumPy.
    arrays = [np.empty(size, dtype=np.uint8) for size in range(1, 1024) for _ in range(7)]
    del arrays
    filled = _in_use()
    assert filled - empty > 3.0e6  # the cache holds them (7 x 1023 x 1024 / 2 bytes = 3.7 MB)
    assert memory.release_numpy_cache() == 7 * 1023
    assert _in_use() - empty < 0.3e6


@NEEDS_GLIBC
def test_trimming_gives_the_heaps_free_pages_back_to_the_kernel() -> None:
    memory.trim_heap()
    # 40 MB of malloc'd chunks (over 512 bytes: past Python's own allocator, under malloc's mmap threshold),
    # freed while one chunk above them keeps the heap's top from shrinking by itself.
    chunks = [bytes(4000) for _ in range(10_000)]
    survivor = bytes(4000)
    before_free = _rss_bytes()
    del chunks
    freed = _rss_bytes()
    assert before_free - freed < 10e6  # free() alone keeps the pages
    assert memory.trim_heap() is True
    assert freed - _rss_bytes() > 30e6
    assert len(survivor) == 4000


def test_without_glibc_nothing_is_trimmed_and_nothing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.trim_heap() is False
    assert memory.heap_in_use_bytes() is None
    memory.release_memory()  # no error: the NumPy cache is still emptied


def test_the_device_hands_memory_back_when_a_session_closes(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[float] = []
    config = load_config()
    world = build_sim_world(config, wav_path=tmp_path / "s.wav", start_wall=datetime(2026, 6, 1, 12, 0))
    monkeypatch.setattr(device.app, "release_memory", lambda: released.append(world.clock.now_s()))
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    glimmer.run(until_s=90.0)
    world.person.lift_finger(90.0, 200.0)
    glimmer.run(until_s=140.0)
    assert glimmer.session.phase.value == "paused" and released == []  # not while a session is open
    glimmer.run(until_s=240.0)
    assert len(recorder.summaries) == 1 and len(released) == 1
    assert 140.0 < released[0] < 240.0
    glimmer.close()
    assert len(released) == 1  # no second session closed
