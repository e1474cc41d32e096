"""Blocks the hum skips as silent are silent: checked against full synthesis on generated states."""

from __future__ import annotations

import numpy as np
import pytest

from patterns.hum import _synthesise, block_is_silent, hum_block
from patterns.state import BreathShape, Fade, PacerSnapshot, PatternState

RATE_HZ = 22050


def random_state(rng: np.random.Generator) -> PatternState:
    shape = BreathShape(inhale=float(rng.uniform(2, 6)), hold_in=float(rng.choice([0.0, rng.uniform(0, 3)])),
                        exhale=float(rng.uniform(2, 8)), hold_out=float(rng.choice([0.0, rng.uniform(0, 3)])))
    moving = rng.random() < 0.9
    pacer = PacerSnapshot(t0_s=float(rng.uniform(0, 30)), phase0_cycles=float(rng.uniform(0, 5)),
                          rate0_bpm=float(rng.uniform(3, 30)) if moving else 0.0,
                          target_bpm=float(rng.uniform(3, 30)),
                          slope_bpm_per_s=float(rng.choice([0.0, rng.uniform(0, 0.05), rng.uniform(0, 2)])),
                          shape=shape)
    fade = Fade(float(rng.uniform(0, 60)), float(rng.choice([0.0, 1.0, rng.random()])),
                float(rng.choice([0.0, 1.0, rng.random()])), float(rng.uniform(0, 8)))
    return PatternState(pacer=pacer, fade=fade, volume_cap=float(rng.choice([0.0, 0.3, 1.0])),
                        hum_enabled=bool(rng.random() < 0.7), cue_enabled=bool(rng.random() < 0.8),
                        hum_pitch_hz=float(rng.uniform(80, 300)))


@pytest.mark.parametrize("seed", range(4))
def test_a_block_called_silent_is_all_zeros(seed: int) -> None:
    rng = np.random.default_rng(seed)
    silent = 0
    for _ in range(400):
        state = random_state(rng)
        n = int(rng.choice([64, 512, 1024, 2048]))
        t0_s = float(rng.uniform(0, 120))
        if block_is_silent(t0_s, n, RATE_HZ, state):
            silent += 1
            assert not np.any(_synthesise(t0_s, n, RATE_HZ, state)), (state, t0_s, n)
    assert silent > 40  # the check does find silence in generated states, not only in trivial ones


def test_a_paced_breath_skips_its_quiet_in_breath_and_sounds_the_same() -> None:
    """6 breaths/min, 4:6: after the chime rings out (1.5 s) the rest of the 4 s in-breath is silence."""
    pacer = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)
    state = PatternState(pacer=pacer, fade=Fade(0.0, 1.0, 1.0, 0.0))
    starts = np.arange(0.0, 30.0, 1024 / RATE_HZ)
    skipped = [block_is_silent(float(t), 1024, RATE_HZ, state) for t in starts]
    assert 0.15 < np.mean(skipped) < 0.4
    for t0_s in starts[:: 7]:
        np.testing.assert_array_equal(hum_block(float(t0_s), 1024, RATE_HZ, state),
                                      _synthesise(float(t0_s), 1024, RATE_HZ, state))


@pytest.mark.parametrize("seed", range(3))
def test_control_rate_envelopes_stay_within_a_thousandth_of_full_rate(seed: int) -> None:
    """Envelopes every 32 samples, interpolated: the sound differs from computing every envelope at
    every sample by less than 1e-3 of full scale (-60 dB)."""
    from patterns.breath import breath_segment, exhale_envelope_of
    from patterns.hum import HUM_LEVEL, _cue, _hum_wave, hum_gain

    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        state = random_state(rng)
        n, t0_s = 4096, float(rng.uniform(0, 120))
        t_s = t0_s + np.arange(n) / RATE_HZ
        seg, progress = breath_segment(state.pacer.phase_cycles(t_s), state.pacer.shape)
        reference = np.zeros(n)
        if state.hum_enabled:
            reference += HUM_LEVEL * exhale_envelope_of(seg, progress) * _hum_wave(state.hum_pitch_hz, t0_s, n, RATE_HZ)
        if state.cue_enabled:
            reference += _cue(t_s, seg, progress, state, RATE_HZ)
        reference = np.clip(reference * hum_gain(t_s, state), -1.0, 1.0)
        ours = hum_block(t0_s, n, RATE_HZ, state)
        assert np.max(np.abs(ours - reference)) < 1e-3


def test_scalar_forms_of_the_pacer_and_fade_agree_with_the_array_forms() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        state = random_state(rng)
        for t_s in rng.uniform(-10, 200, size=5).tolist():
            assert state.pacer.phase_at(t_s) == pytest.approx(float(state.pacer.phase_cycles(t_s)), abs=1e-12)
            assert state.pacer.rate_at(t_s) == pytest.approx(float(state.pacer.rate_bpm(t_s)), abs=1e-12)
            assert state.fade.level_at(t_s) == pytest.approx(float(state.fade.level(t_s)), abs=1e-15)


def test_the_hums_harmonic_sum_matches_its_wavetable() -> None:
    """The hum is synthesised as the sum of its harmonics (from a cached basis); the one-period
    wavetable of the same harmonics, linearly interpolated, gives the same wave within 1e-5."""
    from patterns.hum import WAVETABLE_SIZE, _cycles, _hum_wave, hum_wavetable

    rng = np.random.default_rng(11)
    for _ in range(20):
        pitch_hz, t0_s = float(rng.uniform(80, 600)), float(rng.uniform(0, 1e5))
        n = int(rng.choice([1, 7, 2048, 5000, 9000]))  # longer than one basis piece, too
        table = hum_wavetable(pitch_hz, RATE_HZ)
        position = _cycles(pitch_hz, t0_s, n, RATE_HZ) * WAVETABLE_SIZE
        index = position.astype(np.intp)
        reference = table[index] + (position - index) * (table[index + 1] - table[index])
        assert np.max(np.abs(_hum_wave(pitch_hz, t0_s, n, RATE_HZ) - reference)) < 1e-5


@pytest.mark.parametrize("seed", range(3))
def test_a_block_is_the_same_whatever_was_synthesised_before(seed: int) -> None:
    """The envelopes held for the last state (a window of control points) change no sample: a block
    made from the window its stream's earlier blocks left equals the block made with nothing held."""
    import patterns.hum as hum

    rng = np.random.default_rng(200 + seed)
    from_held = 0
    for _ in range(150):
        state = random_state(rng)
        n, t0_s = int(rng.choice([64, 1024, 2048])), float(rng.uniform(0, 60))
        for _ in range(int(rng.integers(1, 5))):  # the stream's earlier blocks
            hum_block(t0_s, n, RATE_HZ, state)
            t0_s += n / RATE_HZ
        window = hum._CONTROLS[0]
        held = hum_block(t0_s, n, RATE_HZ, state)
        from_held += window is not None and hum._CONTROLS[0] is window and bool(np.any(held))
        hum._CONTROLS[0] = None
        np.testing.assert_array_equal(held, hum_block(t0_s, n, RATE_HZ, state))
    assert from_held > 15  # sounding blocks made from a window held from before were compared


def test_a_chime_partial_from_its_rotation_is_the_sine_of_absolute_time() -> None:
    """`_partial` (two multiply-adds a sample from a cached rotation) gives sin(2 pi f t) at every sample,
    for any start time and length, longer than one piece too."""
    from patterns.hum import _fraction, _partial

    rng = np.random.default_rng(5)
    for _ in range(20):
        freq_hz, t0_s = float(rng.uniform(300, 5000)), float(rng.uniform(0, 1e5))
        n = int(rng.choice([1, 33, 4096, 5000, 13000]))
        t_s = t0_s + np.arange(n) / RATE_HZ
        reference = np.sin(2.0 * np.pi * _fraction(freq_hz * t_s))
        # the reference's own phase error grows with f t (1e5 s x 5 kHz: ~1e-7 of a cycle)
        assert np.max(np.abs(_partial(freq_hz, t0_s, n, RATE_HZ) - reference)) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_no_sample_reaches_full_scale_so_none_is_clipped(seed: int) -> None:
    """At full volume, with the hum and the chimes on, every sample stays within PEAK_BOUND, which is under
    full scale: the synthesis skips the clip because nothing could be clipped."""
    from patterns.hum import PEAK_BOUND

    assert PEAK_BOUND < 1.0
    rng = np.random.default_rng(seed)
    loudest = 0.0
    for _ in range(30):
        state = random_state(rng)
        state = PatternState(pacer=state.pacer, fade=Fade(0.0, 1.0, 1.0, 0.0), volume_cap=1.0, hum_enabled=True,
                             cue_enabled=True, hum_pitch_hz=state.hum_pitch_hz)
        t0_s = float(rng.uniform(0, 120))
        block = hum_block(t0_s, 22050, RATE_HZ, state)
        loudest = max(loudest, float(np.max(np.abs(block))))
    assert 0.3 < loudest <= PEAK_BOUND
