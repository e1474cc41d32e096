"""The sensor's sample clock, measured against the monotonic clock.

A MAX30102 sold as 100 samples/s may deliver 98/s (its ADC clock is allowed +-1.5 %; a real recording
showed 98.07/s). Stamping samples by index / nominal rate then reads heart rate 2 % high and lets beat
times drift away from the pacer's clock by over a second a minute. `SampleClock` maps sample indices to
monotonic-clock seconds with the rate measured from the FIFO reads themselves.

Each read drains every sample the chip has made, so after a read at clock time `now_s` the newest sample
(index `next_index - 1`) is less than a sample period plus the bus transfer old: a read is a measurement
of the index-to-time relation good to a few milliseconds, even after a stalled loop (the FIFO, or the
overflow counter, accounts for every sample meanwhile). The rate is the slope between the oldest and the
newest of the readings kept over BASELINE_S (one per ANCHOR_EVERY_S): 10 ms of read jitter over a 60 s
baseline is 0.03 %. The offset built up on the nominal rate before the first measurement
(MIN_BASELINE_S, up to 0.15 s at 1.5 %) is stepped away then, while the signal is still settling.
After that the mapping from index to time is re-anchored every UPDATE_S, continuously (no beat time
ever jumps), on the measured rate, and any offset it has built up against the readings is slewed
away over SLEW_S, as NTP does, so beat intervals change by at most offset / SLEW_S.
"""

from __future__ import annotations

import logging
from collections import deque

log = logging.getLogger(__name__)

BASELINE_S = 300.0  # readings kept for the rate estimate
MIN_BASELINE_S = 10.0  # before this much baseline, the nominal rate is used
ANCHOR_EVERY_S = 1.0
UPDATE_S = 5.0
SLEW_S = 60.0
STEP_S = 1.0  # an offset larger than this is stepped away at once (a restart, a clock jump)
MAX_ERROR = 0.05  # a measured rate further than this from the nominal one is not believed


class SampleClock:
    """Maps sample indices (one timeline, counting across chip restarts) to monotonic seconds."""

    def __init__(self, nominal_hz: float) -> None:
        if not nominal_hz > 0:
            raise ValueError(f"nominal sample rate must be > 0, got {nominal_hz}")
        self.nominal_hz = float(nominal_hz)
        self._anchors: deque[tuple[float, int]] = deque()
        self._rate_hz = self.nominal_hz
        self._map: tuple[float, float, float] | None = None  # (index, time s, seconds per sample)
        self._next_update_s = 0.0
        self._last: tuple[float, int] | None = None
        self._measured = False

    @property
    def rate_hz(self) -> float:
        """Measured samples per second (the nominal rate until MIN_BASELINE_S of readings)."""
        return self._rate_hz

    def observe(self, now_s: float, next_index: int) -> None:
        """A FIFO read at clock time now_s left `next_index` as the index of the next sample."""
        self._last = (now_s, next_index)
        if self._map is None:
            self._map = (float(next_index), now_s, 1.0 / self.nominal_hz)
            self._next_update_s = now_s + UPDATE_S
        if not self._anchors or now_s - self._anchors[-1][0] >= ANCHOR_EVERY_S:
            self._anchors.append((now_s, next_index))
            while now_s - self._anchors[0][0] > BASELINE_S:
                self._anchors.popleft()
        if now_s >= self._next_update_s:
            self._next_update_s = now_s + UPDATE_S
            self._update(now_s, next_index)

    def restarted(self) -> None:
        """The chip restarted; its samples go on on the same timeline (see `expected_index`), but
        readings from before the restart no longer measure the rate against the new ones. Before the
        rate was ever measured, the index-to-time mapping starts afresh too, so the step that the first
        measurement makes (see the module docstring) spans only the time since now."""
        self._anchors.clear()
        if not self._measured:
            self._map = None

    def expected_index(self, now_s: float) -> int | None:
        """The index the sample taken at now_s has on this timeline (None before any reading)."""
        if self._last is None:
            return None
        last_s, last_index = self._last
        return last_index + round((now_s - last_s) * self._rate_hz)

    def time_of(self, index: float) -> float:
        """Monotonic-clock seconds of (fractional) sample index `index`."""
        if self._map is None:
            return index / self.nominal_hz
        index0, t0_s, period_s = self._map
        return t0_s + (index - index0) * period_s

    def _update(self, now_s: float, next_index: int) -> None:
        first_s, first_index = self._anchors[0]
        span_s = now_s - first_s
        first_measure = False
        if span_s >= MIN_BASELINE_S and next_index > first_index:
            rate = (next_index - first_index) / span_s
            if abs(rate / self.nominal_hz - 1.0) <= MAX_ERROR:
                self._rate_hz = rate
                first_measure, self._measured = not self._measured, True
            else:
                log.warning("sample rate measured at %.2f/s against %.0f/s nominal: not believed",
                            rate, self.nominal_hz)
        here_s = self.time_of(next_index)
        offset_s = now_s - here_s
        if abs(offset_s) > STEP_S or first_measure:  # the nominal rate's offset goes at once
            self._map = (float(next_index), now_s, 1.0 / self._rate_hz)
            return
        self._map = (float(next_index), here_s, (1.0 + offset_s / SLEW_S) / self._rate_hz)
