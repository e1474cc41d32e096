"""Audio outputs: PortAudio (pyaudio) on the device, nothing for light-only builds.

The sound itself is rendered by a function of clock time, `render(t0_s, n_frames) -> float32 mono`
(patterns.hum.hum_block bound to the current PatternState). An output only decides *when* to ask
for which samples: `BlockRenderer` keeps a running frame counter anchored to the clock at start, so
block k starts at anchor + frames_so_far / sample_rate exactly and consecutive blocks join
seamlessly; it also applies the fade-out and turns render errors into silence.

PortAudio's thread must never wait on the main loop or raise: the callback only calls `render` on an
immutable state snapshot, and everything it does is guarded.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from device.errors import AudioUnavailable, InputError

log = logging.getLogger(__name__)

RenderFn = Callable[[float, int], NDArray[np.float32]]

MIN_FADE_S: Final = 0.02  # even an "immediate" stop ramps down, so it never clicks
MAX_FADE_S: Final = 1.0  # fade_out_and_stop must return within 2 s, whatever is asked
STOP_DEADLINE_S: Final = 1.8  # longest fade_out_and_stop waits for the stream to drain
DRIFT_LIMIT_S: Final = 0.25  # re-anchor the frame counter when it strays this far from the clock
SILENCE_LEVEL: Final = 1e-3  # a re-anchor (a phase jump) is applied only after a block this quiet

# PortAudio's ABI values (portaudio.h), as exposed by pyaudio: kept here so an injected PortAudio
# stand-in needs no pyaudio import.
PA_FLOAT32: Final = 0x00000001
PA_CONTINUE: Final = 0
PA_COMPLETE: Final = 1
PA_OUTPUT_UNDERFLOW: Final = 0x00000004


class AudioOutput(Protocol):
    """A sound output the main loop drives."""

    name: str
    sample_rate_hz: int

    def start(self, render: RenderFn) -> None:
        """Begin playing `render(t0_s, n_frames)` (t0_s on the device clock)."""
        ...

    def poll(self) -> None:
        """Called every main-loop tick (real: stream health; simulated: render up to clock time)."""
        ...

    def fade_out_and_stop(self, duration_s: float = 0.5) -> None:
        """Fade to silence, then stop and close. Returns within 2 s; idempotent."""
        ...


class BlockRenderer:
    """Pulls blocks from `render` at exact sample times, with a click-free fade-out and error guard.

    Block k starts at `anchor_s + frames_done / sample_rate_hz`: a frame counter, not the clock at
    the moment of the callback, so jitter in when blocks are asked for never reaches the sound.
    One thread calls `next_block`; others may call `begin_fade`, `request_shift` and read state.
    """

    def __init__(self, render: RenderFn, sample_rate_hz: int, anchor_s: float) -> None:
        if sample_rate_hz <= 0:
            raise InputError(f"sample_rate_hz must be > 0, got {sample_rate_hz}")
        self.sample_rate_hz = sample_rate_hz
        self.frames_done = 0
        self.error_count = 0
        self._render = render
        self._anchor_s = anchor_s
        self._fade: tuple[float, float] | None = None  # (start_s, duration_s)
        self._pending_shift_s = 0.0
        self._last_peak = 0.0

    def time_s(self) -> float:
        """Clock time of the next sample to be rendered."""
        return self._anchor_s + self.frames_done / self.sample_rate_hz

    def begin_fade(self, duration_s: float) -> float:
        """Fade to silence from the next block over `duration_s` (clamped); returns the fade's end time."""
        if self._fade is None:
            duration_s = min(max(duration_s, MIN_FADE_S), MAX_FADE_S)
            self._fade = (self.time_s(), duration_s)
        start_s, duration_s = self._fade
        return start_s + duration_s

    @property
    def faded_out(self) -> bool:
        """True once every sample up to the end of the fade has been rendered."""
        return self._fade is not None and self.time_s() >= self._fade[0] + self._fade[1]

    def request_shift(self, delta_s: float) -> None:
        """Move the anchor by `delta_s` at the next quiet moment (the jump in phase is then inaudible)."""
        self._pending_shift_s = delta_s

    @property
    def shift_pending(self) -> bool:
        """A requested re-anchor is waiting for a quiet block."""
        return self._pending_shift_s != 0.0

    def next_block(self, n_frames: int) -> NDArray[np.float32]:
        """The next `n_frames` samples (float32 mono); silence if `render` fails (logged once)."""
        if self._pending_shift_s and self._last_peak < SILENCE_LEVEL:
            self._anchor_s += self._pending_shift_s
            self._pending_shift_s = 0.0
        t0_s = self.time_s()
        self.frames_done += n_frames
        if self._fade is not None and t0_s >= self._fade[0] + self._fade[1]:
            self._last_peak = 0.0
            return np.zeros(n_frames, dtype=np.float32)
        try:
            block = np.asarray(self._render(t0_s, n_frames), dtype=np.float32)
            # One pass finds the peak and any non-finite sample: the peak is then NaN or infinite.
            peak = float(np.max(np.abs(block))) if block.size else 0.0
            if block.shape != (n_frames,) or not math.isfinite(peak):
                raise InputError(f"render gave {block.dtype} {block.shape} (or non-finite) for {n_frames}")
        # The render runs in PortAudio's thread, which must never raise: any failure becomes silence.
        except Exception:
            self.error_count += 1
            if self.error_count == 1:
                log.exception("audio render failed; playing silence (logged once)")
            self._last_peak = 0.0
            return np.zeros(n_frames, dtype=np.float32)
        if self._fade is not None:
            block = block * self._fade_gain(t0_s, n_frames)
            peak = float(np.max(np.abs(block))) if n_frames else 0.0
        self._last_peak = peak
        return block

    def _fade_gain(self, t0_s: float, n_frames: int) -> NDArray[np.float32]:
        assert self._fade is not None
        start_s, duration_s = self._fade
        t_s = t0_s + np.arange(n_frames) / self.sample_rate_hz
        x = np.clip((t_s - start_s) / duration_s, 0.0, 1.0)
        return (0.5 + 0.5 * np.cos(np.pi * x)).astype(np.float32)


class NullAudioOutput:
    """No sound: light only."""

    name = "none"

    def __init__(self, sample_rate_hz: int = 22050) -> None:
        self.sample_rate_hz = sample_rate_hz

    def start(self, render: RenderFn) -> None:
        return None

    def poll(self) -> None:
        return None

    def fade_out_and_stop(self, duration_s: float = 0.5) -> None:
        return None


def _open_portaudio() -> Any:
    """pyaudio.PyAudio(), or AudioUnavailable when pyaudio is not installed."""
    try:
        import pyaudio  # hardware library: imported only when the real speaker is chosen
    except ImportError as exc:
        raise AudioUnavailable(
            "pyaudio is not installed (on the Pi: apt install python3-pyaudio, or pip install pyaudio)"
        ) from exc
    try:
        return pyaudio.PyAudio()
    except OSError as exc:  # PortAudio could not initialise (no sound system at all)
        raise AudioUnavailable(f"PortAudio could not start: {exc}") from exc


def choose_output_device(portaudio: Any, device_name: str | None) -> tuple[int, str]:
    """(index, name) of the output device whose name contains `device_name` (case-insensitive),
    or of the default output device when no name is given. AudioUnavailable when there is none."""
    outputs = []
    for index in range(portaudio.get_device_count()):
        info = portaudio.get_device_info_by_index(index)
        if int(info.get("maxOutputChannels", 0)) > 0:
            outputs.append((index, str(info.get("name", f"device {index}"))))
    if not outputs:
        raise AudioUnavailable("no audio output device found")
    if device_name:
        wanted = device_name.lower()
        for index, name in outputs:
            if wanted in name.lower():
                return index, name
        available = ", ".join(repr(name) for _, name in outputs)
        raise AudioUnavailable(f"no audio output device named like {device_name!r}; available: {available}")
    try:
        info = portaudio.get_default_output_device_info()
    except OSError as exc:
        raise AudioUnavailable("no default audio output device") from exc
    return int(info["index"]), str(info["name"])


class PyAudioOutput:
    """Mono float32 output through PortAudio in callback (non-blocking) mode.

    Timing: the callback renders block k at anchor + frames_so_far / rate, the anchor being the clock
    at start plus the stream's output latency (when the first sample is heard). A frame counter,
    rather than PortAudio's `output_buffer_dac_time`, because that is on PortAudio's own time base
    (not our clock), is 0 on some ALSA devices, and its jitter would tear the waveform between blocks.
    The counter drifts from the clock only by the DAC's crystal error (~50 ppm, 60 ms in 20 min) or
    after an underrun; `poll` re-anchors it, during a quiet moment, when it strays more than
    DRIFT_LIMIT_S. 4096 frames at 22050 Hz (186 ms) per buffer (the default; 2048 was enough) keeps a Pi Zero
    2 W from underrunning, and the callback runs 5.4 times a second.

    `portaudio` may be a PyAudio-like object (tests, other backends); by default pyaudio is imported
    now and AudioUnavailable raised when it, or an output device, is missing.
    """

    def __init__(
        self,
        device_name: str | None,
        sample_rate_hz: int,
        frames_per_buffer: int,
        clock: Clock,
        portaudio: Any = None,
    ) -> None:
        if frames_per_buffer < 64:
            raise InputError(f"frames_per_buffer must be >= 64, got {frames_per_buffer}")
        self.sample_rate_hz = sample_rate_hz
        self.frames_per_buffer = frames_per_buffer
        self.underflow_count = 0
        self._clock = clock
        self._pa = _open_portaudio() if portaudio is None else portaudio
        try:
            self._device_index, self.name = choose_output_device(self._pa, device_name)
            self._pa.is_format_supported(
                sample_rate_hz, output_device=self._device_index, output_channels=1, output_format=PA_FLOAT32
            )
        except ValueError as exc:  # pyaudio's answer to an unsupported rate or format
            self._pa.terminate()
            raise AudioUnavailable(
                f"{self.name!r} cannot play {sample_rate_hz} Hz mono float32: {exc}"
            ) from exc
        except AudioUnavailable:
            self._pa.terminate()
            raise
        self._stream: Any = None
        self._renderer: BlockRenderer | None = None
        self._latency_s = 0.0
        self._drained = threading.Event()
        self._lock = threading.Lock()
        self._stopped = False
        self._reported_dead = False
        log.info("audio output: %s at %d Hz, %d frames per buffer", self.name, sample_rate_hz,
                 frames_per_buffer)

    def start(self, render: RenderFn) -> None:
        """Open the stream and start playing `render`. AudioUnavailable if the device refuses."""
        with self._lock:
            if self._stopped or self._stream is not None:
                raise RuntimeError("PyAudioOutput can be started once")
            try:
                self._stream = self._pa.open(
                    format=PA_FLOAT32,
                    channels=1,
                    rate=self.sample_rate_hz,
                    output=True,
                    output_device_index=self._device_index,
                    frames_per_buffer=self.frames_per_buffer,
                    stream_callback=self._callback,
                    start=False,
                )
                self._latency_s = float(self._stream.get_output_latency())
                anchor_s = self._clock.now_s() + self._latency_s  # when the first sample is heard
                self._renderer = BlockRenderer(render, self.sample_rate_hz, anchor_s)
                self._stream.start_stream()
            except OSError as exc:
                raise AudioUnavailable(f"cannot open audio output {self.name!r}: {exc}") from exc

    def _callback(
        self, in_data: bytes | None, frame_count: int, time_info: Any, status: int
    ) -> tuple[bytes, int]:
        """PortAudio thread: render the next block. Never blocks, never raises (BlockRenderer guards)."""
        renderer = self._renderer
        if renderer is None:
            return bytes(4 * frame_count), PA_COMPLETE
        if status & PA_OUTPUT_UNDERFLOW:
            self.underflow_count += 1
        block = renderer.next_block(frame_count)
        if renderer.faded_out:
            self._drained.set()
            return block.tobytes(), PA_COMPLETE
        return block.tobytes(), PA_CONTINUE

    def poll(self) -> None:
        """Main loop, every tick: report a dead stream once; keep the frame counter on the clock."""
        renderer, stream = self._renderer, self._stream
        if renderer is None or stream is None or self._stopped:
            return
        if not stream.is_active():
            if not self._reported_dead:
                self._reported_dead = True
                log.error("audio stream on %s stopped unexpectedly; carrying on with light alone", self.name)
            return
        lag_s = self._clock.now_s() + self._latency_s - renderer.time_s()
        if renderer.shift_pending:
            return
        if abs(lag_s) > DRIFT_LIMIT_S + self.frames_per_buffer / self.sample_rate_hz:
            log.info("audio clock %+.3f s off the device clock (%d underflows); re-anchoring", lag_s,
                     self.underflow_count)
            renderer.request_shift(lag_s)

    @property
    def failed(self) -> bool:
        """True once `poll` has found the stream stopped by itself (the device went away)."""
        return self._reported_dead

    def fade_out_and_stop(self, duration_s: float = 0.5) -> None:
        """Fade out (at most MAX_FADE_S), wait for it to play, stop and close. Within 2 s; idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        stream, renderer = self._stream, self._renderer
        try:
            if stream is not None and renderer is not None:
                fade_end_s = renderer.begin_fade(duration_s)
                buffered_s = 2 * self.frames_per_buffer / self.sample_rate_hz
                wait_s = min(fade_end_s - renderer.time_s() + buffered_s + 0.1, STOP_DEADLINE_S)
                if self._drained.wait(max(wait_s, 0.0)):
                    stream.stop_stream()  # plays out the (faded) buffers already queued
                else:
                    stream.abort_stream()  # the callback stalled: drop what is queued
                stream.close()
        except OSError as exc:
            log.warning("closing the audio stream on %s failed: %s", self.name, exc)
        finally:
            self._pa.terminate()
