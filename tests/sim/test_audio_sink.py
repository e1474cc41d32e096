"""The WAV sink renders exactly the simulated time, fades out cleanly, and closes a valid file."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from device.clock import SimClock
from device.errors import AudioUnavailable
from sim.audio_sink import WavAudioOutput, to_pcm16

RATE_HZ = 16000


def tone(t0_s: float, n: int) -> np.ndarray:
    t_s = t0_s + np.arange(n) / RATE_HZ
    return (0.4 * np.sin(2 * np.pi * 200.0 * t_s)).astype(np.float32)


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE_HZ)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float) / 32767.0


def test_poll_renders_whole_blocks_up_to_the_clock(tmp_path: Path) -> None:
    clock = SimClock(start_s=5.0)
    sink = WavAudioOutput(tmp_path / "a.wav", RATE_HZ, clock, block_frames=1000)
    sink.poll()  # not started: nothing to do
    sink.start(tone)
    for t_s in (5.01, 5.5, 7.25, 65.0):
        clock.advance_to(t_s)
        sink.poll()
        due_frames = int((t_s - 5.0) * RATE_HZ) // 1000 * 1000
        assert sink.frames_written == due_frames
    sink.fade_out_and_stop(0.25)
    samples = _read(tmp_path / "a.wav")
    assert len(samples) == sink.frames_written >= 60 * RATE_HZ + 0.25 * RATE_HZ
    expected = tone(5.0, 60 * RATE_HZ)
    assert np.max(np.abs(samples[: 60 * RATE_HZ] - expected)) <= 1 / 32767


def test_fade_tail_is_smooth_and_ends_silent_and_stopping_is_idempotent(tmp_path: Path) -> None:
    clock = SimClock()
    sink = WavAudioOutput(tmp_path / "b.wav", RATE_HZ, clock, block_frames=512)
    sink.start(tone)
    clock.advance_to(2.0)
    sink.fade_out_and_stop(0.5)
    written = sink.frames_written
    sink.fade_out_and_stop(0.5)
    sink.poll()
    assert sink.frames_written == written
    samples = _read(tmp_path / "b.wav")
    assert len(samples) == written
    assert np.max(np.abs(np.diff(samples))) <= 2 * np.pi * 200.0 * 0.4 / RATE_HZ + 2 / 32767
    assert not samples[-200:].any()
    assert np.abs(samples[-int(0.75 * RATE_HZ) : -int(0.5 * RATE_HZ)]).max() > 0.3


def test_block_size_does_not_change_the_sound(tmp_path: Path) -> None:
    outputs = []
    for block_frames in (256, 1000):
        clock = SimClock()
        sink = WavAudioOutput(tmp_path / f"{block_frames}.wav", RATE_HZ, clock, block_frames=block_frames)
        sink.start(tone)
        for k in range(1, 101):
            clock.advance_to(k * 0.05)
            sink.poll()
        sink.fade_out_and_stop(0.1)
        outputs.append(_read(tmp_path / f"{block_frames}.wav")[: 4 * RATE_HZ])
    assert np.array_equal(outputs[0], outputs[1])


def test_recent_samples_keep_the_last_seconds(tmp_path: Path) -> None:
    clock = SimClock()
    sink = WavAudioOutput(tmp_path / "c.wav", RATE_HZ, clock, block_frames=500, keep_recent_s=2.0)
    assert sink.recent_samples().size == 0
    sink.start(tone)
    clock.advance_to(10.0)
    sink.poll()
    recent = sink.recent_samples()
    assert recent.size == 2 * RATE_HZ
    assert np.max(np.abs(recent - tone(8.0, 2 * RATE_HZ))) < 1e-6
    sink.fade_out_and_stop()


def test_render_errors_play_silence_and_are_counted(tmp_path: Path) -> None:
    def broken(t0_s: float, n: int) -> np.ndarray:
        raise ZeroDivisionError("bug")

    clock = SimClock()
    sink = WavAudioOutput(tmp_path / "d.wav", RATE_HZ, clock, block_frames=400)
    sink.start(broken)
    clock.advance_to(1.0)
    sink.poll()
    sink.fade_out_and_stop()
    assert sink.render_errors >= 1
    assert not _read(tmp_path / "d.wav").any()


def test_unwritable_path_means_no_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioUnavailable):
        WavAudioOutput(tmp_path / "missing-dir" / "e.wav", RATE_HZ, SimClock())


def test_pcm_conversion_clips_and_rounds() -> None:
    pcm = np.frombuffer(to_pcm16(np.array([0.0, 1.5, -2.0, 0.5])), dtype="<i2")
    assert pcm.tolist() == [0, 32767, -32767, round(0.5 * 32767)]
