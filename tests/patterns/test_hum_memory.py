"""The hum's per-block caches stay small whatever block lengths it is asked for (issue 9: the simulator
renders several PortAudio buffers at once to catch up, and each new length used to keep up to 200 kB of
sample times for the rest of the process; a 24-hour soak showed them as growth)."""

from __future__ import annotations

import numpy as np

from patterns.hum import OFFSETS_CACHED_MAX, _cached_offsets, _sample_offsets, hum_block
from tests.patterns.test_hum_silence import RATE_HZ, random_state


def test_long_blocks_are_not_cached_and_the_times_are_the_same() -> None:
    _cached_offsets.cache_clear()
    rng = np.random.default_rng(5)
    state = random_state(rng)
    for k in range(1, 33):  # 1 to 32 buffers of 4096 frames in one call, as the simulator's sink asks
        n = 4096 * k
        offsets = _sample_offsets(n, RATE_HZ)
        assert np.array_equal(offsets, np.arange(n) / RATE_HZ)
        assert hum_block(float(rng.uniform(0, 600)), n, RATE_HZ, state).shape == (n,)
    info = _cached_offsets.cache_info()
    assert info.currsize <= 2  # 4096 and 8192 frames only
    held = sum(_cached_offsets(n, RATE_HZ).nbytes for n in (4096, 8192))
    assert held <= 4 * OFFSETS_CACHED_MAX * 8
