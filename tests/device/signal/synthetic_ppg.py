"""A small synthetic fingertip PPG with known systolic-peak times, for the pulse pipeline's tests.

Each beat is a smooth, skewed systolic wave (a Gaussian with a later, wider shoulder: fast rise, slower
fall) plus a smaller dicrotic wave; the train rides on a respiratory baseline with respiratory amplitude
modulation. Because neighbouring waves overlap, the true peak of the sum moves by a fraction of a
millisecond: `true_peaks_s` finds it on the noise-free signal on a fine grid, and is what tests compare to.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

SYSTOLIC_WIDTH_S = 0.07
SHOULDER_DELAY_S = 0.12
SHOULDER_WIDTH_S = 0.12
SHOULDER_SHARE = 0.35
DICROTIC_DELAY_S = 0.32
DICROTIC_WIDTH_S = 0.07
DICROTIC_SHARE = 0.3


def rsa_beat_times(duration_s: float, hr_bpm: float = 65.0, breath_bpm: float = 6.0,
                   swing_bpm: float = 8.0, start_s: float = 0.3) -> NDArray[np.float64]:
    """Beat times of a heart whose rate swings sinusoidally (peak to peak `swing_bpm`) with breathing."""
    times = [start_s]
    while times[-1] < duration_s:
        t = times[-1]
        rate = hr_bpm + 0.5 * swing_bpm * np.sin(2 * np.pi * breath_bpm / 60.0 * t)
        times.append(t + 60.0 / rate)
    return np.asarray(times[:-1])


def _wave(dt_s: NDArray[np.float64], delay_s: float, width_s: float) -> NDArray[np.float64]:
    return np.exp(-0.5 * ((dt_s - delay_s) / width_s) ** 2)


def _clean(t_s: NDArray[np.float64], beats_s: NDArray[np.float64], breath_bpm: float,
           gains: NDArray[np.float64] | None = None, dicrotic_share: float = DICROTIC_SHARE,
           dicrotic_delay_s: float = DICROTIC_DELAY_S) -> NDArray[np.float64]:
    out = np.zeros_like(t_s)
    breath = 2 * np.pi * breath_bpm / 60.0
    for i, b in enumerate(beats_s):
        lo, hi = np.searchsorted(t_s, [b - 0.5, b + max(1.2, dicrotic_delay_s + 0.5)])
        dt = t_s[lo:hi] - b
        gain = (1.0 + 0.15 * np.sin(breath * b)) * (1.0 if gains is None else gains[i])
        out[lo:hi] += gain * (_wave(dt, 0.0, SYSTOLIC_WIDTH_S)
                              + SHOULDER_SHARE * _wave(dt, SHOULDER_DELAY_S, SHOULDER_WIDTH_S)
                              + dicrotic_share * _wave(dt, dicrotic_delay_s, DICROTIC_WIDTH_S))
    return out + 0.3 * np.sin(breath * t_s + 0.7)


def synthetic_ppg(beats_s: NDArray[np.float64], fs_hz: float, duration_s: float, noise: float = 0.0,
                  breath_bpm: float = 6.0, seed: int = 0,
                  gains: NDArray[np.float64] | None = None, dicrotic_share: float = DICROTIC_SHARE,
                  dicrotic_delay_s: float = DICROTIC_DELAY_S) -> NDArray[np.float64]:
    """PPG samples at `fs_hz` (sample n at n / fs_hz), systolic peaks up, amplitude about 1.

    `gains` scales each beat's wave (e.g. a weak premature beat); `dicrotic_share` and
    `dicrotic_delay_s` set the diastolic (reflected) wave's height (of the systolic wave's) and delay.
    """
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    x = _clean(t, beats_s, breath_bpm, gains, dicrotic_share, dicrotic_delay_s)
    if noise > 0:
        x = x + noise * np.random.default_rng(seed).standard_normal(len(t))
    return x


def true_peaks_s(beats_s: NDArray[np.float64], breath_bpm: float = 6.0,
                 dicrotic_share: float = DICROTIC_SHARE,
                 dicrotic_delay_s: float = DICROTIC_DELAY_S) -> NDArray[np.float64]:
    """The maximum of the noise-free signal near each beat, to 0.1 ms."""
    out = []
    for b in beats_s:
        grid = b + np.arange(-0.02, 0.08, 1e-4)
        neighbours = beats_s[np.abs(beats_s - b) < 2.0]
        wave = _clean(grid, neighbours, breath_bpm, None, dicrotic_share, dicrotic_delay_s)
        out.append(grid[int(np.argmax(wave))])
    return np.asarray(out)


def power_law_noise(n: int, alpha: float, seed: int = 0) -> NDArray[np.float64]:
    """n samples of 1/f^alpha noise (alpha 0 white, 1 pink, 2 brown), unit standard deviation.

    White Gaussian noise shaped in the frequency domain by f^(-alpha/2) (the DC bin zeroed).
    """
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 1 else 1.0
    spectrum *= f ** (-alpha / 2.0)
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / max(float(x.std()), 1e-12), dtype=np.float64)


def hand_motion(t_s: NDArray[np.float64], start_s: float, stop_s: float, size: float,
                seed: int = 0) -> NDArray[np.float64]:
    """A hand moving between start_s and stop_s: a few drifting sines of 0.5-4 Hz, a sudden DC shift
    and tremor, of typical size `size` (a pulse is about 1); zero outside the span."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(t_s))
    inside = (t_s >= start_s) & (t_s < stop_s)
    dt = t_s[inside] - start_s
    for _ in range(4):
        f_hz = rng.uniform(0.5, 4.0)
        out[inside] += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f_hz * dt + rng.uniform(0, 2 * np.pi))
    out[inside] += rng.choice([-1.0, 1.0]) * 0.8
    out[inside] += 0.3 * rng.standard_normal(int(inside.sum()))
    return size * out


START_KINDS = ("none", "exp", "step", "linear")


def phone_camera_ppg(hr_bpm: float, duration_s: float, seed: int = 0, fs_hz: float = 30.0,
                     noise: float = 0.1, dicrotic_share: float = 0.3, wander: float = 0.5,
                     start: str = "none", start_size: float = 0.0, start_s: float = 1.5,
                     frame_jitter: float = 0.2, hrv: float = 0.03,
                     dicrotic_delay_s: float = 0.33) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A phone-camera PPG with known beats: (samples on a regular `fs_hz` grid, true beat times in s).

    The camera's frames come at irregular times (each interval 1/fs_hz x (1 +- `frame_jitter`)) and are
    resampled linearly onto the grid, as bench/datasets.py does with Welltory's. Each beat is a smooth
    camera pulse of height about 1 (a wide systolic wave, a later shoulder and a diastolic wave of
    `dicrotic_share`, `dicrotic_delay_s` on); intervals vary by `hrv` (relative SD); baseline wander of size `wander`
    (breathing at 15/min plus a slow 0.07 Hz sway); white `noise` (SD). `start` adds a transient of
    `start_size` pulse heights at the beginning, as auto-exposure and a settling finger give: "exp" decays
    with time constant `start_s`, "step" is an exposure level that holds until `start_s` then drops,
    "linear" ramps down to zero over 2 x `start_s`.
    """
    if start not in START_KINDS:
        raise ValueError(f"start must be one of {START_KINDS}")
    rng = np.random.default_rng(seed)
    ibi = 60.0 / hr_bpm
    times = [rng.uniform(0.0, ibi)]
    while times[-1] < duration_s + 2.0:
        times.append(times[-1] + ibi * (1.0 + hrv * rng.standard_normal()))
    beats = np.asarray(times)
    frames = np.cumsum((1.0 / fs_hz) * (1.0 + frame_jitter * rng.uniform(-1.0, 1.0, int(duration_s * fs_hz * 1.3) + 2)))
    frames = frames - frames[0]
    frames = frames[frames <= duration_s]
    x = np.zeros(len(frames))
    for b in beats:
        dt = frames - b
        near = (dt > -0.6) & (dt < 1.5)
        d = dt[near]
        x[near] += (np.exp(-0.5 * (d / 0.12) ** 2) + 0.4 * np.exp(-0.5 * ((d - 0.15) / 0.18) ** 2)
                    + dicrotic_share * np.exp(-0.5 * ((d - dicrotic_delay_s) / 0.09) ** 2))
    x += wander * (0.5 * np.sin(2 * np.pi * 0.25 * frames + rng.uniform(0, 2 * np.pi))
                   + 0.3 * np.sin(2 * np.pi * 0.07 * frames + rng.uniform(0, 2 * np.pi)))
    if start == "exp":
        x += start_size * np.exp(-frames / start_s)
    elif start == "step":
        x += start_size * (frames < start_s)
    elif start == "linear":
        x += start_size * np.clip(1.0 - frames / (2.0 * start_s), 0.0, None)
    x += noise * rng.standard_normal(len(frames))
    grid = np.arange(0.0, frames[-1], 1.0 / fs_hz)
    return np.interp(grid, frames, x), beats[beats < grid[-1]]


def narrow_wave_ppg(hr_bpm: float, fs_hz: float, share: float, delay_s: float, duration_s: float,
                    seed: int, noise: float = 0.05,
                    alternans: float = 0.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(ppg, true beat times s): a fingertip-like pulse of two Gaussian bumps per beat, the systolic one (sd
    0.08 s or 0.15 of the interval) and a diastolic one `share` as tall, `delay_s` after it (sd 0.10 s or 0.18
    of the interval); a 2 % breathing swing and jitter in the intervals, a slow baseline wander, white noise.
    The shape a fresh-clone tester used: narrower waves than `synthetic_ppg`'s, so a wave near half the
    interval stands on its own. `alternans` > 0 makes every other beat (both its waves) that share smaller
    (pulsus alternans)."""
    rng = np.random.default_rng(seed)
    interval_s = 60.0 / hr_bpm
    beats = [0.5]
    while beats[-1] < duration_s:
        t = beats[-1]
        beats.append(t + interval_s * (1.0 + 0.02 * np.sin(2 * np.pi * 0.25 * t) + 0.01 * rng.standard_normal()))
    times = np.array(beats)
    t_s = np.arange(round(duration_s * fs_hz)) / fs_hz
    sd_systole, sd_wave = min(0.08, 0.15 * interval_s), min(0.10, 0.18 * interval_s)
    ppg = np.zeros_like(t_s)
    for i, beat_s in enumerate(times):
        gain = 1.0 - alternans * (i % 2)
        ppg += gain * np.exp(-0.5 * ((t_s - beat_s) / sd_systole) ** 2)
        ppg += gain * share * np.exp(-0.5 * ((t_s - beat_s - delay_s) / sd_wave) ** 2)
    ppg += 0.3 * np.sin(2 * np.pi * 0.2 * t_s + rng.uniform(0, 2 * np.pi)) + noise * rng.standard_normal(t_s.size)
    return ppg, times[times < duration_s]


def lowpass_noise(n: int, fs_hz: float, order: int, corner_hz: float, seed: int = 0,
                  q: float | None = None) -> NDArray[np.float64]:
    """n samples of Gaussian white noise through an `order`-th order Butterworth low-pass with its corner at
    `corner_hz` (smooth pressure drift), unit standard deviation; with `q`, through a resonant second-order
    low-pass instead (`order` ignored), corner (natural frequency) `corner_hz` and quality factor `q`: its
    power peaks near the corner, q^2 / (1 - 1 / (4 q^2)) times the level below it (a fresh-clone tester's
    "resonant" drift at q = 2: a narrow band, a quasi-sinusoid with no harmonics).

    Made in the frequency domain, as `power_law_noise` is: the white noise's spectrum times the filter's
    magnitude response, 1 / sqrt(1 + (f / corner)^(2 order)) for the Butterworth, 1 / sqrt((1 - u^2)^2 +
    (u / q)^2) with u = f / corner for the resonant one (the same Gaussian process as the filter's stationary
    output; its phase response does not change the process).
    """
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs_hz)
    if q is None:
        spectrum *= 1.0 / np.sqrt(1.0 + (f / corner_hz) ** (2 * order))
    else:
        u = f / corner_hz
        spectrum *= 1.0 / np.sqrt((1.0 - u * u) ** 2 + (u / q) ** 2)
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / max(float(x.std()), 1e-12), dtype=np.float64)


def wandering_sine(n: int, fs_hz: float, centre_hz: float, linewidth_hz: float, seed: int = 0,
                   noise: float = 0.05) -> NDArray[np.float64]:
    """n samples of a unit-amplitude sine at `centre_hz` whose phase wanders as a random walk (phase diffusion:
    a Lorentzian line `linewidth_hz` wide at half its height: the phase's variance grows by D = 2 pi linewidth
    rad^2 a second), plus white noise of SD
    `noise`: a rhythm with no harmonics and no beat shape (a swaying hand or cable near the heart's rate, and
    with a narrow line what a smooth pulse's fundamental alone would look like)."""
    rng = np.random.default_rng(seed)
    step_sd = math.sqrt(2.0 * math.pi * linewidth_hz / fs_hz)
    phase = 2.0 * math.pi * centre_hz * np.arange(n) / fs_hz + np.cumsum(rng.standard_normal(n) * step_sd)
    return np.asarray(np.sin(phase + rng.uniform(0.0, 2.0 * math.pi)) + noise * rng.standard_normal(n),
                      dtype=np.float64)


def bandpass_noise(n: int, fs_hz: float, low_hz: float, high_hz: float, seed: int = 0,
                   order: int = 2) -> NDArray[np.float64]:
    """n samples of Gaussian white noise through an `order`-th order Butterworth high-pass at `low_hz` and low-pass
    at `high_hz` (magnitudes multiplied, made in the frequency domain as `lowpass_noise` is), unit standard
    deviation."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs_hz)
    f[0] = f[1] if n > 1 else 1.0
    spectrum *= 1.0 / np.sqrt((1.0 + (low_hz / f) ** (2 * order)) * (1.0 + (f / high_hz) ** (2 * order)))
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return np.asarray(x / max(float(x.std()), 1e-12), dtype=np.float64)


def skewed_noise(gaussian: NDArray[np.float64], kind: str, sigma: float = 1.0) -> NDArray[np.float64]:
    """A memoryless transform of Gaussian noise `gaussian` (unit SD): noise whose law is skewed (not symmetric in
    sign), as a tester made it. kind "lognormal": exp(sigma g) (log-normal: sharp upward peaks, flat troughs);
    "square": g^2; "rectify": |g|. Zero mean, unit SD.

    A memoryless transform of a stationary Gaussian process is still time-reversible (the Gaussian's law depends
    on its autocovariance alone, which is even in the lag, and the transform acts sample by sample), so such noise
    may peak upward but, unlike a pulse, rises as fast as it falls."""
    g = np.asarray(gaussian, dtype=np.float64)
    if kind == "lognormal":
        y = np.exp(sigma * g)
    elif kind == "square":
        y = g * g
    elif kind == "rectify":
        y = np.abs(g)
    else:
        raise ValueError(f"unknown kind of skewed noise: {kind!r}")
    y = y - y.mean()
    return np.asarray(y / max(float(y.std()), 1e-12), dtype=np.float64)
