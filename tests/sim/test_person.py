"""The simulated person: breathes on their own until they see a breathing light, then follows it;
their heart answers breathing most at their resonance rate; their fingertip makes a plausible PPG."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.signal import periodogram

from device.errors import InputError
from patterns.state import PacerSnapshot
from sim.person import PersonParams, SimulatedPerson

FRAME_S = 0.02  # the LED ring's frame period (50 frames/s)
SAMPLE_HZ = 100.0  # the sensor's sample rate
GLIDE_12_TO_6 = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=12.0, target_bpm=6.0,
                              slope_bpm_per_s=1.0 / 60.0)  # the product's pacer: 1 breath/min per minute
STEADY_6 = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)


def ring_level(phase_cycles: NDArray[np.float64], inhale_share: float = 0.4) -> NDArray[np.float64]:
    """A breathing ring's brightness: brightens through the in-breath (4 parts), dims through the out (6)."""
    frac = np.mod(phase_cycles, 1.0)
    fill = np.where(frac < inhale_share, 0.5 - 0.5 * np.cos(np.pi * frac / inhale_share),
                    0.5 + 0.5 * np.cos(np.pi * (frac - inhale_share) / (1.0 - inhale_share)))
    return 0.1 + 0.8 * fill


class Bedside:
    """Drives a person as the simulator does: LED frames at 50/s, then the sensor's samples."""

    def __init__(self, person: SimulatedPerson) -> None:
        self.person = person
        self._frame = 0
        self._sample = 0
        self.t_s = 0.0

    def live_until(self, t_end_s: float, pacer: PacerSnapshot | None = None, level: float | None = None,
                   chunk_s: float = 1.0) -> None:
        """Advance to t_end_s showing the pacer (or a steady level, or nothing) on the ring."""
        while self.t_s < t_end_s - 1e-9:
            t_next = min(self.t_s + chunk_s, t_end_s)
            frames = np.arange(self._frame, round(t_next / FRAME_S))
            frame_t = frames * FRAME_S
            if pacer is not None:
                levels = ring_level(pacer.phase_cycles(frame_t))
            elif level is not None:
                levels = np.full(len(frames), level)
            if pacer is not None or level is not None:
                for t, lv in zip(frame_t.tolist(), levels.tolist(), strict=True):
                    self.person.see_light(t, lv)
            self._frame += len(frames)
            samples = np.arange(self._sample, round(t_next * SAMPLE_HZ))
            self.person.optics(samples / SAMPLE_HZ)
            self._sample += len(samples)
            self.t_s = t_next


def heart_rate_bpm(beats_s: NDArray[np.float64], t_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Instantaneous heart rate from beat times, interpolated at t_s."""
    return np.asarray(60.0 / np.interp(t_s, beats_s[1:], np.diff(beats_s)))


def rsa_swing_bpm(beats_s: NDArray[np.float64], t0_s: float, t1_s: float, breath_s: float) -> float:
    """Median heart-rate swing (max - min) per breath-long window, the peak-valley RSA measure."""
    hr = heart_rate_bpm(beats_s, np.arange(t0_s, t1_s, 0.25))
    per_breath = round(breath_s / 0.25)
    windows = hr[: len(hr) // per_breath * per_breath].reshape(-1, per_breath)
    return float(np.median(windows.max(axis=1) - windows.min(axis=1)))


def coherence_ratio(beats_s: NDArray[np.float64], end_s: float) -> float:
    """HeartMath-style coherence of the 64 s of beats before end_s.

    Intervals resampled at 2 Hz, Hann-windowed spectrum (zero-padded to 1/256 Hz bins); peak searched
    in 0.04-0.26 Hz; peak power = power within 0.030 Hz around it; ratio = peak / (total 0.0033-0.4 Hz
    - peak). After McCraty et al. 2009, "The coherent heart", Integral Review 5(2).
    """
    t = np.arange(end_s - 64.0, end_s, 0.5)
    ibi_ms = np.interp(t, beats_s[1:], np.diff(beats_s) * 1000.0)
    f, pxx = periodogram(ibi_ms - ibi_ms.mean(), fs=2.0, window="hann", nfft=512)
    band = (f >= 0.04) & (f <= 0.26)
    peak_hz = f[band][np.argmax(pxx[band])]
    peak = pxx[np.abs(f - peak_hz) <= 0.015].sum()
    total = pxx[(f >= 0.0033) & (f <= 0.4)].sum()
    return float(peak / (total - peak))


def mean_coherence(beats_s: NDArray[np.float64], t0_s: float, t1_s: float) -> float:
    """Coherence updated every 5 s over [t0_s, t1_s] (each from the 64 s before), averaged."""
    return float(np.mean([coherence_ratio(beats_s, end) for end in np.arange(t0_s + 64.0, t1_s + 1e-9, 5.0)]))


def rmssd_ms(beats_s: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(np.diff(np.diff(beats_s) * 1000.0) ** 2)))


# -- breathing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("natural_bpm", [12.0, 15.0])
def test_unpaced_person_breathes_at_their_natural_rate(natural_bpm: float) -> None:
    bedside = Bedside(SimulatedPerson(PersonParams(natural_breath_rate_per_min=natural_bpm), seed=1))
    bedside.live_until(180.0)
    rates = bedside.person.breath_rate_bpm_at(np.arange(30.0, 170.0, 10.0), window_s=20.0)
    assert np.median(rates) == pytest.approx(natural_bpm, abs=0.7)
    assert not bedside.person.following_light


def test_follows_a_breathing_light_after_noticing_it() -> None:
    bedside = Bedside(SimulatedPerson(PersonParams(), seed=2))
    bedside.live_until(4.0, STEADY_6)
    assert not bedside.person.following_light, "a light is only noticed after a few seconds of breathing"
    bedside.live_until(240.0, STEADY_6)
    rates = bedside.person.breath_rate_bpm_at(np.arange(90.0, 230.0, 10.0), window_s=20.0)
    assert np.median(rates) == pytest.approx(6.0, abs=0.3)


def test_with_no_compliance_they_keep_their_own_rhythm_under_the_light() -> None:
    bedside = Bedside(SimulatedPerson(PersonParams(compliance=0.0), seed=2))
    bedside.live_until(240.0, STEADY_6)
    rates = bedside.person.breath_rate_bpm_at(np.arange(90.0, 230.0, 10.0), window_s=20.0)
    assert np.median(rates) == pytest.approx(12.0, abs=0.7)
    assert not bedside.person.following_light


def test_drift_back_to_their_own_rate_when_the_light_stops_breathing() -> None:
    bedside = Bedside(SimulatedPerson(PersonParams(), seed=3))
    bedside.live_until(180.0, STEADY_6)
    assert bedside.person.breath_rate_bpm_at(170.0, window_s=20.0) == pytest.approx(6.0, abs=0.7)
    bedside.live_until(300.0, level=0.5)
    assert not bedside.person.following_light
    assert bedside.person.breath_rate_bpm_at(280.0, window_s=20.0) == pytest.approx(12.0, abs=1.5)


# -- heart --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heart_swings_far_more_when_breathing_with_a_6_per_minute_light_than_at_12(seed: int) -> None:
    unpaced = Bedside(SimulatedPerson(PersonParams(), seed=seed))
    unpaced.live_until(240.0)
    paced = Bedside(SimulatedPerson(PersonParams(), seed=seed))
    paced.live_until(240.0, STEADY_6)
    swing_12 = rsa_swing_bpm(unpaced.person.beat_times_s(), 60.0, 240.0, breath_s=5.0)
    swing_6 = rsa_swing_bpm(paced.person.beat_times_s(), 60.0, 240.0, breath_s=10.0)
    assert swing_6 >= 2.5 * swing_12
    # rsa_gain_bpm is the swing at resonance: the simulated heart honours it.
    assert swing_6 == pytest.approx(PersonParams().rsa_gain_bpm, rel=0.3)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_coherence_rises_only_when_the_person_follows_a_pacer_gliding_to_resonance(seed: int) -> None:
    paced = Bedside(SimulatedPerson(PersonParams(), seed=seed))
    paced.live_until(600.0, GLIDE_12_TO_6)
    unpaced = Bedside(SimulatedPerson(PersonParams(), seed=seed))
    unpaced.live_until(600.0)
    paced_rise = mean_coherence(paced.person.beat_times_s(), 480.0, 600.0) / mean_coherence(
        paced.person.beat_times_s(), 0.0, 120.0)
    unpaced_rise = mean_coherence(unpaced.person.beat_times_s(), 480.0, 600.0) / mean_coherence(
        unpaced.person.beat_times_s(), 0.0, 120.0)
    assert paced_rise >= 3.0
    assert unpaced_rise < 3.0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_resting_heart_is_plausible(seed: int) -> None:
    bedside = Bedside(SimulatedPerson(PersonParams.from_seed(seed), seed=seed))
    bedside.live_until(300.0)
    beats = bedside.person.beat_times_s()
    beats = beats[(beats > 5.0) & (beats < 300.0)]
    ibi_ms = np.diff(beats) * 1000.0
    assert ibi_ms.min() >= 300.0 and ibi_ms.max() <= 2000.0
    assert 55.0 <= 60_000.0 / ibi_ms.mean() <= 80.0
    assert 15.0 <= rmssd_ms(beats) <= 60.0


def test_ectopic_beats_come_early_and_are_followed_by_a_pause() -> None:
    bedside = Bedside(SimulatedPerson(PersonParams(ectopic_per_hour=300.0), seed=4))
    bedside.live_until(300.0)
    beats = bedside.person.beat_times_s()
    ectopic = bedside.person.ectopic_beat_times_s()
    assert 5 <= len(ectopic) <= 60
    for t in ectopic[(ectopic > beats[2]) & (ectopic < beats[-3])]:
        k = int(np.searchsorted(beats, t))
        before, after = beats[k] - beats[k - 1], beats[k + 1] - beats[k]
        assert before < 0.85 * after


# -- fingertip ----------------------------------------------------------------------------------


def test_the_pulse_peaks_at_the_ground_truth_beats() -> None:
    person = SimulatedPerson(PersonParams(ppg_noise=0.0, motion_artifacts_per_hour=0.0), seed=5)
    t = np.arange(0.0, 60.0, 0.001)
    blood = person.optics(t).blood_volume
    beats = person.beat_times_s()
    beats = beats[(beats > 5.0) & (beats < 59.0)]
    for b in beats:
        near = (t > b - 0.15) & (t < b + 0.15)
        assert t[near][np.argmax(blood[near])] == pytest.approx(b, abs=0.005)


def test_no_finger_before_it_lands_nor_while_lifted() -> None:
    person = SimulatedPerson(PersonParams(finger_on_at_s=2.0), seed=1)
    person.lift_finger(20.0, 5.0)
    t = np.arange(0.0, 40.0, 0.01)
    seen = person.optics(t)
    assert seen.blood_volume.shape == seen.motion.shape == seen.finger_on.shape == t.shape
    assert seen.finger_on.dtype == np.bool_
    off = (t < 2.0) | ((t >= 20.0) & (t < 25.0))
    np.testing.assert_array_equal(seen.finger_on, ~off)
    assert np.all(seen.blood_volume[off] == 0.0) and np.all(seen.motion[off] == 0.0)
    assert np.ptp(seen.blood_volume[(t > 10.0) & (t < 19.0)]) > 0.5, "a pulse while the finger is on"
    assert seen.motion[(t >= 25.0) & (t < 25.2)].max() > 0.5, "the fingertip settles after landing"


def test_same_seed_same_numbers_whatever_the_chunking() -> None:
    params = PersonParams(motion_artifacts_per_hour=300.0, ectopic_per_hour=100.0)
    t = np.arange(0.0, 120.0, 0.01)
    whole = SimulatedPerson(params, seed=7).optics(t)
    chunked = SimulatedPerson(params, seed=7)
    cuts = np.cumsum(np.random.default_rng(0).integers(1, 40, size=len(t)))
    pieces = [chunked.optics(part) for part in np.split(t, cuts[cuts < len(t)])]
    for field in ("blood_volume", "motion"):
        np.testing.assert_allclose(np.concatenate([getattr(p, field) for p in pieces]), getattr(whole, field),
                                   atol=1e-9)
    other = SimulatedPerson(params, seed=8).optics(t)
    assert not np.allclose(other.blood_volume, whole.blood_volume)


def test_memory_stays_bounded_over_hours() -> None:
    bedside = Bedside(SimulatedPerson(PersonParams(), seed=1))
    bedside.live_until(2 * 3600.0, chunk_s=5.0)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        bedside.live_until(2 * 3600.0 + 600.0, GLIDE_12_TO_6, chunk_s=5.0)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The ground-truth logs are preallocated rings: ten more minutes may only leave allocator noise.
    assert after - before < 50_000, "ten more minutes must not grow the person's memory"
    beats = bedside.person.beat_times_s()
    assert beats[0] >= bedside.t_s - 2 * 3600.0 - 5.0, "the ground-truth log keeps the last two hours"
    assert beats[-1] >= bedside.t_s - 2.0


# -- interface ----------------------------------------------------------------------------------


def test_params_out_of_bounds_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="compliance"):
        PersonParams(compliance=1.5)
    with pytest.raises(ValueError, match="mean_hr_bpm"):
        PersonParams(mean_hr_bpm=float("nan"))


def test_from_seed_draws_a_plausible_person_and_honours_fixed_values() -> None:
    drawn = [PersonParams.from_seed(s) for s in range(20)]
    assert len({p.mean_hr_bpm for p in drawn}) == 20
    assert PersonParams.from_seed(3) == PersonParams.from_seed(3)
    assert all(4.5 <= p.resonance_rate_per_min <= 7.0 and 55.0 <= p.mean_hr_bpm <= 80.0 for p in drawn)
    pinned = PersonParams.from_seed(3, natural_breath_rate_per_min=12.0, compliance=0.5)
    assert pinned.natural_breath_rate_per_min == 12.0 and pinned.compliance == 0.5


def test_bad_requests_are_refused() -> None:
    person = SimulatedPerson(seed=1)
    with pytest.raises(InputError):
        person.see_light(1.0, 1.5)
    person.see_light(2.0, 0.5)
    with pytest.raises(InputError):
        person.see_light(1.0, 0.5)
    person.optics(np.arange(0.0, 10.0, 0.01))
    with pytest.raises(InputError):
        person.optics(np.array([1.0]))
    with pytest.raises(InputError):
        person.optics(np.array([11.0, 10.5]))
    with pytest.raises(InputError):
        person.lift_finger(5.0, 0.0)
