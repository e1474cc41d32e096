"""Sound that survives its device: missing at start, or failing mid-session, and coming back.

`RecoveringAudio` wraps a way of opening the real output (`open_output`, e.g. a new PyAudioOutput, which
re-scans PortAudio's devices, so a re-plugged USB speaker is found). While there is no working output the
device goes on with light alone; the main loop's `poll` tries to open one again, first after
RETRY_MIN_S and then at doubling intervals up to RETRY_MAX_S, on the device clock. A stream that stops
by itself (`failed` true: PortAudio stopped calling back, e.g. the USB device was unplugged) is closed
and retried the same way. The sound comes back in step with the pattern: each new output renders from
the clock, like the first. Each outage is logged once when it starts and once when the sound is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from device.clock import Clock
from device.errors import AudioUnavailable
from drivers.speaker import AudioOutput, RenderFn

log = logging.getLogger(__name__)

RETRY_MIN_S: Final = 2.0
RETRY_MAX_S: Final = 60.0
DEAD_STREAM_FADE_S: Final = 0.0
NO_OUTPUT_NAME: Final = "none (light alone; retrying)"  # a stream that stopped by itself has nothing left to fade


class RecoveringAudio:
    """An AudioOutput over outputs opened by `open_output` (AudioUnavailable when there is none)."""

    def __init__(self, open_output: Callable[[], AudioOutput], clock: Clock, sample_rate_hz: int,
                 retry_min_s: float = RETRY_MIN_S, retry_max_s: float = RETRY_MAX_S) -> None:
        if not 0 < retry_min_s <= retry_max_s:
            raise ValueError(f"retry intervals must satisfy 0 < min <= max, got {retry_min_s}, {retry_max_s}")
        self.sample_rate_hz = sample_rate_hz
        self.name = NO_OUTPUT_NAME  # the output playing now
        self.current: AudioOutput | None = None
        self.outages = 0  # times the sound went away (or was missing at start)
        self.opened = 0  # outputs opened
        self._open = open_output
        self._clock = clock
        self._retry_min_s = retry_min_s
        self._retry_max_s = retry_max_s
        self._backoff_s = retry_min_s
        self._next_try_s = 0.0
        self._render: RenderFn | None = None
        self._stopped = False

    def start(self, render: RenderFn) -> None:
        self._render = render
        self._try_open(self._clock.now_s())

    def poll(self) -> None:
        """Main loop, every frame: poll the output; replace a failed one; retry a missing one when due."""
        if self._stopped or self._render is None:
            return
        now_s = self._clock.now_s()
        current = self.current
        if current is not None:
            current.poll()
            if getattr(current, "failed", False):
                self.current = None
                self._lost(now_s, f"{current.name} stopped")
                try:
                    current.fade_out_and_stop(DEAD_STREAM_FADE_S)
                except Exception:  # releasing a dead device must not stop the device
                    log.exception("releasing the failed audio output %s failed", current.name)
        elif now_s >= self._next_try_s:
            self._try_open(now_s)

    def fade_out_and_stop(self, duration_s: float = 0.5) -> None:
        self._stopped = True
        current, self.current = self.current, None
        if current is not None:
            current.fade_out_and_stop(duration_s)

    def _try_open(self, now_s: float) -> None:
        assert self._render is not None
        try:
            output = self._open()
        except AudioUnavailable as exc:
            self._lost(now_s, str(exc))
            return
        try:
            output.start(self._render)
        except AudioUnavailable as exc:
            output.fade_out_and_stop(0.0)
            self._lost(now_s, str(exc))
            return
        self.current = output
        self.name = output.name
        self.opened += 1
        if self.outages:
            log.warning("sound is back on %s", output.name)
        self._backoff_s = self._retry_min_s

    def _lost(self, now_s: float, why: str) -> None:
        """No output from now: say so when the outage starts, and schedule the next try."""
        self.name = NO_OUTPUT_NAME
        if self._backoff_s == self._retry_min_s:  # the first failure since the sound last played
            self.outages += 1
            log.warning("no sound: %s; the light goes on alone, and the speaker is tried again", why)
        else:
            log.debug("audio still unavailable: %s", why)
        self._next_try_s = now_s + self._backoff_s
        self._backoff_s = min(self._backoff_s * 2.0, self._retry_max_s)
