"""Speaker outputs: block timing, fades, guarded render, device choice, and missing audio said clearly."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import numpy as np
import pytest

from device.clock import SimClock
from device.errors import AudioUnavailable
from drivers.speaker import (
    MAX_FADE_S,
    PA_COMPLETE,
    PA_CONTINUE,
    PA_OUTPUT_UNDERFLOW,
    BlockRenderer,
    NullAudioOutput,
    PyAudioOutput,
    choose_output_device,
)

RATE_HZ = 22050
BUFFER = 512


class Recorder:
    """A render function that remembers when it was asked for what; a steady tone."""

    def __init__(self, fail: bool = False, amplitude: float = 0.5) -> None:
        self.calls: list[tuple[float, int]] = []
        self.fail = fail
        self.amplitude = amplitude

    def __call__(self, t0_s: float, n: int) -> np.ndarray:
        self.calls.append((t0_s, n))
        if self.fail:
            raise RuntimeError("renderer bug")
        t_s = t0_s + np.arange(n) / RATE_HZ
        return (self.amplitude * np.sin(2 * np.pi * 220.0 * t_s)).astype(np.float32)


class FakeStream:
    """Stands in for a PortAudio stream; `pump` plays the part of PortAudio's callback thread."""

    def __init__(self, callback: Any, frames_per_buffer: int) -> None:
        self.callback = callback
        self.frames_per_buffer = frames_per_buffer
        self.active = False
        self.calls: list[str] = []
        self.played: list[np.ndarray] = []

    def get_output_latency(self) -> float:
        return 0.05

    def start_stream(self) -> None:
        self.active = True

    def pump(self, max_blocks: int, status: int = 0) -> int:
        """Run the callback up to `max_blocks` times while the stream is active; returns the last flag."""
        flag = PA_CONTINUE
        for _ in range(max_blocks):
            if not self.active:  # stopped or aborted: PortAudio calls no more
                break
            data, flag = self.callback(None, self.frames_per_buffer, {}, status)
            self.played.append(np.frombuffer(data, dtype=np.float32))
            if flag == PA_COMPLETE:
                self.active = False
                break
        return flag

    def is_active(self) -> bool:
        return self.active

    def stop_stream(self) -> None:
        self.calls.append("stop")
        self.active = False

    def abort_stream(self) -> None:
        self.calls.append("abort")
        self.active = False

    def close(self) -> None:
        self.calls.append("close")


class FakePortAudio:
    """A PyAudio-like object with a given device list."""

    def __init__(
        self, devices: list[tuple[str, int]], default: int | None = 0, rates: tuple[int, ...] = (RATE_HZ,)
    ) -> None:
        self.devices = devices
        self.default = default
        self.rates = rates
        self.terminated = 0
        self.stream: FakeStream | None = None
        self.open_args: dict[str, Any] = {}

    def get_device_count(self) -> int:
        return len(self.devices)

    def get_device_info_by_index(self, index: int) -> dict[str, Any]:
        name, outputs = self.devices[index]
        return {"index": index, "name": name, "maxOutputChannels": outputs}

    def get_default_output_device_info(self) -> dict[str, Any]:
        if self.default is None:
            raise OSError("No Default Output Device Available")
        return self.get_device_info_by_index(self.default)

    def is_format_supported(self, rate: int, **kwargs: Any) -> bool:
        if rate not in self.rates:
            raise ValueError("Invalid sample rate")
        return True

    def open(self, **kwargs: Any) -> FakeStream:
        self.open_args = kwargs
        self.stream = FakeStream(kwargs["stream_callback"], kwargs["frames_per_buffer"])
        return self.stream

    def terminate(self) -> None:
        self.terminated += 1


DEVICES = [("HDMI 0", 2), ("USB mic", 0), ("snd_rpi_hifiberry_dac: HiFi", 2)]


def test_blocks_start_exactly_where_the_last_ended() -> None:
    render = Recorder()
    renderer = BlockRenderer(render, RATE_HZ, anchor_s=100.0)
    for n in (512, 333, 2048, 1):
        renderer.next_block(n)
    starts = [t0 for t0, _ in render.calls]
    expected = 100.0 + np.cumsum([0, 512, 333, 2048]) / RATE_HZ
    assert starts == pytest.approx(expected, abs=1e-12)
    assert renderer.time_s() == pytest.approx(100.0 + 2894 / RATE_HZ)


def test_fade_out_is_smooth_and_ends_in_silence() -> None:
    renderer = BlockRenderer(Recorder(), RATE_HZ, anchor_s=0.0)
    before = renderer.next_block(1000)
    end_s = renderer.begin_fade(0.3)
    assert renderer.begin_fade(5.0) == end_s  # a second request does not restart the fade
    tail = [renderer.next_block(1000) for _ in range(10)]
    assert renderer.faded_out
    samples = np.concatenate([before, *tail])
    assert np.max(np.abs(np.diff(samples))) <= 2 * np.pi * 220.0 * 0.5 / RATE_HZ * 1.01  # no click
    fade_end = round(end_s * RATE_HZ)
    assert not samples[fade_end:].any()
    assert np.abs(samples[1000:1300]).max() > 0.3  # the fade starts gently


def test_fade_duration_is_bounded() -> None:
    renderer = BlockRenderer(Recorder(), RATE_HZ, anchor_s=0.0)
    assert renderer.begin_fade(60.0) == pytest.approx(MAX_FADE_S)
    instant = BlockRenderer(Recorder(), RATE_HZ, anchor_s=0.0)
    assert instant.begin_fade(0.0) > 0.0  # even "now" ramps down over a few ms


def test_render_failures_become_silence_and_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    renderer = BlockRenderer(Recorder(fail=True), RATE_HZ, anchor_s=0.0)
    with caplog.at_level(logging.ERROR, logger="drivers.speaker"):
        blocks = [renderer.next_block(256) for _ in range(3)]
    assert all(block.shape == (256,) and not block.any() for block in blocks)
    assert renderer.error_count == 3
    assert len([r for r in caplog.records if "render failed" in r.message]) == 1
    wrong = BlockRenderer(lambda t0, n: np.full(n, np.nan, dtype=np.float32), RATE_HZ, 0.0)
    assert not wrong.next_block(64).any() and wrong.error_count == 1


def test_null_output_is_silent_and_stops_any_number_of_times() -> None:
    out = NullAudioOutput(sample_rate_hz=16000)
    out.start(Recorder())
    out.poll()
    out.fade_out_and_stop()
    out.fade_out_and_stop(0.1)
    assert out.name == "none" and out.sample_rate_hz == 16000


def test_missing_pyaudio_raises_audio_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", None)
    with pytest.raises(AudioUnavailable, match="pyaudio"):
        PyAudioOutput(None, RATE_HZ, 2048, SimClock())


def test_output_device_is_chosen_by_part_of_its_name() -> None:
    pa = FakePortAudio(DEVICES)
    assert choose_output_device(pa, "hifiberry") == (2, "snd_rpi_hifiberry_dac: HiFi")
    assert choose_output_device(pa, None) == (0, "HDMI 0")
    with pytest.raises(AudioUnavailable, match="'HDMI 0'"):
        choose_output_device(pa, "USB mic")  # an input-only device is not an output
    with pytest.raises(AudioUnavailable, match="no audio output device found"):
        choose_output_device(FakePortAudio([("USB mic", 0)]), None)
    with pytest.raises(AudioUnavailable, match="default"):
        choose_output_device(FakePortAudio(DEVICES, default=None), "")


def test_unsupported_sample_rate_is_unavailable_and_releases_portaudio() -> None:
    pa = FakePortAudio(DEVICES, rates=(48000,))
    with pytest.raises(AudioUnavailable, match="22050"):
        PyAudioOutput("HDMI", RATE_HZ, BUFFER, SimClock(), portaudio=pa)
    assert pa.terminated == 1


def _started(clock: SimClock, render: Recorder) -> tuple[PyAudioOutput, FakePortAudio, FakeStream]:
    pa = FakePortAudio(DEVICES)
    out = PyAudioOutput("hifiberry", RATE_HZ, BUFFER, clock, portaudio=pa)
    out.start(render)
    assert pa.stream is not None
    return out, pa, pa.stream


def test_callback_renders_on_the_clock_from_a_frame_counter() -> None:
    clock = SimClock(start_s=7.0)
    render = Recorder()
    out, pa, stream = _started(clock, render)
    assert pa.open_args["output_device_index"] == 2 and pa.open_args["rate"] == RATE_HZ
    assert stream.pump(3, status=PA_OUTPUT_UNDERFLOW) == PA_CONTINUE
    starts = [t0 for t0, _ in render.calls]
    assert starts == pytest.approx(7.05 + np.arange(3) * BUFFER / RATE_HZ)  # clock + output latency
    assert out.underflow_count == 3 and out.name.startswith("snd_rpi_hifiberry")


def test_poll_re_anchors_a_stalled_counter_at_the_next_quiet_moment(caplog: pytest.LogCaptureFixture) -> None:
    clock = SimClock()
    render = Recorder(amplitude=0.5)
    out, _, stream = _started(clock, render)
    stream.pump(2)
    clock.advance_to(30.0)  # e.g. the stream stalled for half a minute
    with caplog.at_level(logging.INFO, logger="drivers.speaker"):
        out.poll()
        out.poll()
    assert len([r for r in caplog.records if "re-anchoring" in r.message]) == 1
    stream.pump(1)  # still sounding: a jump now would click, so the timeline carries on
    render.amplitude = 0.0
    stream.pump(1)  # this block is quiet...
    stream.pump(2)  # ...so the next one starts on the clock again
    block_s = BUFFER / RATE_HZ
    starts = np.array([t0 for t0, _ in render.calls])
    assert starts[:4] == pytest.approx(0.05 + np.arange(4) * block_s)
    lag_at_poll_s = (30.0 + 0.05) - (0.05 + 2 * block_s)  # clock + latency vs the counter, at poll
    assert starts[4:] == pytest.approx(0.05 + lag_at_poll_s + (4 + np.arange(2)) * block_s)


def test_a_dead_stream_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    out, _, stream = _started(SimClock(), Recorder())
    stream.active = False
    with caplog.at_level(logging.ERROR, logger="drivers.speaker"):
        out.poll()
        out.poll()
    assert len([r for r in caplog.records if "stopped unexpectedly" in r.message]) == 1


def test_render_errors_in_the_callback_play_silence() -> None:
    _, _, stream = _started(SimClock(), Recorder(fail=True))
    assert stream.pump(4) == PA_CONTINUE
    assert all(block.size == BUFFER and not block.any() for block in stream.played)


def test_fade_out_and_stop_drains_stops_closes_once() -> None:
    out, pa, stream = _started(SimClock(), Recorder())
    stream.pump(2)
    stopper = threading.Thread(target=out.fade_out_and_stop, args=(0.2,))
    stopper.start()
    # Play PortAudio's part until the callback says the fade is complete (or the stopper aborts).
    assert stream.pump(10**7) == PA_COMPLETE
    stopper.join(timeout=2.0)
    assert not stopper.is_alive()
    assert stream.calls == ["stop", "close"] and pa.terminated == 1
    played = np.concatenate(stream.played)
    assert abs(played[-1]) < 1e-6  # faded right down to silence before the stream completed
    assert np.max(np.abs(np.diff(played))) <= 2 * np.pi * 220.0 * 0.5 / RATE_HZ * 1.01
    out.fade_out_and_stop()  # idempotent
    assert pa.terminated == 1 and stream.calls == ["stop", "close"]


def test_stopping_before_starting_just_releases_portaudio() -> None:
    pa = FakePortAudio(DEVICES)
    out = PyAudioOutput(None, RATE_HZ, BUFFER, SimClock(), portaudio=pa)
    out.fade_out_and_stop()
    out.fade_out_and_stop()
    assert pa.terminated == 1
    with pytest.raises(RuntimeError):
        out.start(Recorder())
