"""The hum, measured on the WAV the simulator writes: pitch, loudness against the breath, no clicks."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import numpy as np
import pytest

from device.clock import SimClock
from patterns.breath import Segment, breath_segment, exhale_envelope
from patterns.hum import CUE_BELL_RATIO, CUE_INHALE_MULTIPLE, HUM_HARMONICS, hum_block
from patterns.state import Fade, PacerSnapshot, PatternState
from sim.audio_sink import WavAudioOutput

RATE_HZ = 22050
ON = Fade(0.0, 1.0, 1.0, 0.0)
STEADY = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)


def _state(**changes: object) -> PatternState:
    return dataclasses.replace(PatternState(pacer=STEADY, fade=ON), **changes)  # type: ignore[arg-type]


def _record_wav(path: Path, state: PatternState, duration_s: float, tick_s: float = 0.02) -> np.ndarray:
    """Run the WAV sink on the sim clock, polled like the main loop does, and read the file back."""
    clock = SimClock()
    sink = WavAudioOutput(path, RATE_HZ, clock, block_frames=1024)
    sink.start(lambda t0_s, n: hum_block(t0_s, n, RATE_HZ, state))
    for k in range(1, int(duration_s / tick_s) + 1):
        clock.advance_to(k * tick_s)
        sink.poll()
    sink.fade_out_and_stop(0.5)
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == RATE_HZ and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.astype(float) / 32767.0


def _peak_hz(samples: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Strongest spectral peak between low_hz and high_hz, refined by a parabola on log magnitude."""
    padded = len(samples) * 4
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), n=padded))
    freqs_hz = np.fft.rfftfreq(padded, 1.0 / RATE_HZ)
    band = np.flatnonzero((freqs_hz >= low_hz) & (freqs_hz <= high_hz))
    k = band[np.argmax(spectrum[band])]
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-300)
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return float(freqs_hz[k] + offset * (freqs_hz[1] - freqs_hz[0]))


@pytest.mark.parametrize("pitch_hz", [97.3, 130.0, 171.6])
def test_hum_pitch_measured_by_fft_on_the_wav_is_within_1_hz(tmp_path: Path, pitch_hz: float) -> None:
    samples = _record_wav(tmp_path / "hum.wav", _state(hum_pitch_hz=pitch_hz), duration_s=40.0)
    measured_hz = _peak_hz(samples, 0.6 * pitch_hz, 1.4 * pitch_hz)
    assert measured_hz == pytest.approx(pitch_hz, abs=1.0)


def test_hum_loudness_follows_the_out_breath(tmp_path: Path) -> None:
    samples = _record_wav(tmp_path / "hum.wav", _state(cue_enabled=False), duration_s=40.0)
    window = RATE_HZ // 10  # 100 ms RMS windows
    n_windows = len(samples) // window
    rms = np.sqrt(np.mean(samples[: n_windows * window].reshape(n_windows, window) ** 2, axis=1))
    centres_s = (np.arange(n_windows) + 0.5) * window / RATE_HZ
    phase = STEADY.phase_cycles(centres_s)
    seg, _ = breath_segment(phase, STEADY.shape)
    inside = centres_s < 40.0  # before the final fade-out
    exhaling, inhaling = inside & (seg == Segment.EXHALE), inside & (seg == Segment.INHALE)
    assert rms[exhaling].mean() > 0.1
    assert rms[inhaling].max() < 1e-3
    envelope = exhale_envelope(phase, STEADY.shape)
    assert np.corrcoef(rms[inside], envelope[inside])[0, 1] > 0.95


def test_cue_chimes_at_each_turn_and_dies_away(tmp_path: Path) -> None:
    state = _state(hum_enabled=False)
    samples = _record_wav(tmp_path / "cue.wav", state, duration_s=30.0)
    t_s = np.arange(len(samples)) / RATE_HZ
    seg, progress = breath_segment(STEADY.phase_cycles(t_s), STEADY.shape)
    just_after_turn = (progress * np.where(seg == Segment.INHALE, 4.0, 6.0) < 0.3) & (t_s > 0.05)
    late_in_segment = (progress > 0.6) & (t_s < 30.0)
    assert np.abs(samples[just_after_turn]).max() > 0.05
    assert np.abs(samples[late_in_segment]).max() == 0.0
    inhale_chime = samples[(seg == Segment.INHALE) & (t_s > 20.0) & (t_s < 21.0)]
    expected_hz = CUE_INHALE_MULTIPLE * state.hum_pitch_hz
    assert _peak_hz(inhale_chime, 0.8 * expected_hz, 1.2 * expected_hz) == pytest.approx(expected_hz, abs=5.0)


def test_no_clicks_anywhere_even_across_a_pacer_rebase() -> None:
    pitch_hz = 130.0
    gliding = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=14.0, target_bpm=6.0, slope_bpm_per_s=0.05)
    rebase_s = 13.37
    after = _state(pacer=gliding.rebased(rebase_s, target_bpm=10.0, slope_bpm_per_s=0.1))
    before = _state(pacer=gliding)
    n_before = int(rebase_s * RATE_HZ)
    samples = np.concatenate([
        hum_block(0.0, n_before, RATE_HZ, before),
        hum_block(n_before / RATE_HZ, 20 * RATE_HZ, RATE_HZ, after),
    ]).astype(float)
    # Bernstein: a signal band-limited to f_max with peak A moves at most 2*pi*f_max*A/fs per sample.
    f_max_hz = max(HUM_HARMONICS, CUE_INHALE_MULTIPLE * CUE_BELL_RATIO) * pitch_hz
    assert np.max(np.abs(np.diff(samples))) <= 2 * np.pi * f_max_hz * np.abs(samples).max() / RATE_HZ
    # A click is broadband: the sound has almost no energy above its highest partial.
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs_hz = np.fft.rfftfreq(len(samples), 1.0 / RATE_HZ)
    assert power[freqs_hz > 1.5 * f_max_hz].sum() < 1e-6 * power.sum()


@pytest.mark.parametrize("block_frames", [7, 256, 1000, 4099])
def test_blocks_join_seamlessly_whatever_their_size(block_frames: int) -> None:
    state = _state(pacer=PacerSnapshot(0.0, 0.3, 9.0, 6.0, 0.05))
    t0_s, total = 3.25, 2 * RATE_HZ  # spans the end of an out-breath and the next turn
    whole = hum_block(t0_s, total, RATE_HZ, state)
    starts = range(0, total, block_frames)
    pieces = [hum_block(t0_s + i / RATE_HZ, min(block_frames, total - i), RATE_HZ, state) for i in starts]
    assert np.abs(np.concatenate(pieces) - whole).max() < 1e-6
    assert np.abs(whole).max() > 0.1  # the stretch is not silent, so the comparison means something


def test_nothing_above_nyquist_even_for_a_high_hum_at_a_low_rate() -> None:
    rate_hz, pitch_hz = 16000, 500.0  # a hum above the usual range, at the lowest sample rate
    state = _state(hum_pitch_hz=pitch_hz)
    samples = hum_block(0.0, 10 * rate_hz, rate_hz, state).astype(float)
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs_hz = np.fft.rfftfreq(len(samples), 1.0 / rate_hz)
    partials_hz = [k * pitch_hz for k in range(1, HUM_HARMONICS + 1)] + [
        m * pitch_hz * r for m in (CUE_INHALE_MULTIPLE, 4.0) for r in (1.0, CUE_BELL_RATIO)
    ]
    audible = [f for f in partials_hz if f < 0.45 * rate_hz]
    near_partial = np.min(np.abs(freqs_hz[:, None] - np.array(audible)[None, :]), axis=1) < 40.0
    assert power[~near_partial].sum() < 1e-5 * power.sum()  # no aliased images anywhere else


def test_gain_is_fade_times_volume_cap() -> None:
    t0_s, n = 5.0, RATE_HZ  # mid exhale at 6/min
    full = hum_block(t0_s, n, RATE_HZ, _state())
    assert np.abs(full).max() > 0.2
    assert hum_block(t0_s, n, RATE_HZ, _state(volume_cap=0.25)) == pytest.approx(0.25 * full, abs=1e-6)
    night = hum_block(t0_s, n, RATE_HZ, _state(volume_cap=0.15, night=True))  # volume x night cap
    assert night == pytest.approx(0.15 * full, abs=1e-6)
    silent = _state(fade=Fade(0.0, 0.0, 0.0, 0.0))
    assert not hum_block(t0_s, n, RATE_HZ, silent).any()
    muted = _state(hum_enabled=False, cue_enabled=False)
    assert not hum_block(0.0, 10 * RATE_HZ, RATE_HZ, muted).any()
    block = hum_block(t0_s, n, RATE_HZ, _state())
    assert block.dtype == np.float32 and np.abs(block).max() <= 1.0
    assert hum_block(t0_s, 0, RATE_HZ, _state()).shape == (0,)
