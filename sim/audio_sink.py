"""A stand-in for the speaker: the same sound, written to a 16-bit mono WAV file on simulated time.

`WavAudioOutput` implements drivers.speaker.AudioOutput. `poll()` renders every whole block up to
the clock's now and appends it to the file, so the WAV holds exactly the simulated time at any clock
speed (20 simulated minutes in a few seconds). It uses the same `BlockRenderer` as the real output,
so block timing, fade-out and error handling are the ones the device has. An optional in-memory copy
of the most recent samples lets tests measure the sound without reading the file back.
"""

from __future__ import annotations

import logging
import wave
from collections import deque
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from device.errors import AudioUnavailable, InputError
from drivers.speaker import BlockRenderer, RenderFn

log = logging.getLogger(__name__)

MAX_BLOCKS_PER_RENDER: Final = 32  # blocks rendered per render call while catching up (same samples)


def to_pcm16(samples: NDArray[np.floating]) -> bytes:
    """Float samples -1..1 -> little-endian 16-bit PCM bytes (clipped, rounded)."""
    scaled = np.rint(np.clip(samples, -1.0, 1.0) * 32767.0)
    return scaled.astype("<i2").tobytes()


class WavAudioOutput:
    """Renders sound on the simulated clock into a WAV file (and optionally keeps the recent samples)."""

    def __init__(
        self,
        path: str | Path,
        sample_rate_hz: int,
        clock: Clock,
        block_frames: int = 1024,
        keep_recent_s: float = 0.0,
    ) -> None:
        if block_frames < 1 or sample_rate_hz <= 0:
            raise InputError(f"need block_frames >= 1, sample_rate_hz > 0: {block_frames}, {sample_rate_hz}")
        self.path = Path(path)
        self.name = f"wav:{self.path}"
        self.sample_rate_hz = sample_rate_hz
        self.block_frames = block_frames
        self.frames_written = 0
        self._clock = clock
        self._keep_frames = int(keep_recent_s * sample_rate_hz)
        self._recent: deque[NDArray[np.float32]] = deque()
        self._recent_frames = 0
        self._renderer: BlockRenderer | None = None
        self._closed = False
        try:
            # Opened here, closed by fade_out_and_stop; wave.open(path) would leak on a bad path.
            self._file = open(self.path, "wb")  # noqa: SIM115
        except OSError as exc:
            raise AudioUnavailable(f"cannot write the sound to {self.path}: {exc}") from exc
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate_hz)

    def start(self, render: RenderFn) -> None:
        """Start rendering from the clock's now."""
        if self._closed or self._renderer is not None:
            raise RuntimeError("WavAudioOutput can be started once")
        self._renderer = BlockRenderer(render, self.sample_rate_hz, self._clock.now_s())

    @property
    def render_errors(self) -> int:
        """How many blocks the render function failed on (played as silence)."""
        return 0 if self._renderer is None else self._renderer.error_count

    def poll(self) -> None:
        """Render and write every whole block that ends at or before the clock's now."""
        renderer = self._renderer
        if renderer is None or self._closed:
            return
        due = int((self._clock.now_s() - renderer.time_s()) * self.sample_rate_hz + 1e-6) // self.block_frames
        while due > 0:
            blocks = min(due, MAX_BLOCKS_PER_RENDER)
            self._write(renderer.next_block(blocks * self.block_frames))
            due -= blocks

    def fade_out_and_stop(self, duration_s: float = 0.5) -> None:
        """Catch up to now, render the fade tail (whole blocks), close the file. Idempotent."""
        if self._closed:
            return
        renderer = self._renderer
        try:
            if renderer is not None:
                self.poll()
                renderer.begin_fade(duration_s)
                while not renderer.faded_out:
                    self._write(renderer.next_block(self.block_frames))
        finally:
            self._closed = True
            try:
                self._wav.close()  # patches the header with the final length
            finally:
                self._file.close()
            log.info("wrote %.1f s of sound to %s", self.frames_written / self.sample_rate_hz, self.path)

    def _write(self, block: NDArray[np.float32]) -> None:
        self._wav.writeframesraw(to_pcm16(block))
        self.frames_written += block.size
        if self._keep_frames:
            self._recent.append(block)
            self._recent_frames += block.size
            while self._recent_frames - self._recent[0].size >= self._keep_frames:
                self._recent_frames -= self._recent.popleft().size

    def recent_samples(self) -> NDArray[np.float32]:
        """The most recent `keep_recent_s` seconds (or a little more) as rendered, float32."""
        if not self._recent:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(list(self._recent))[-self._keep_frames :]
