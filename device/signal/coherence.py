"""Spectral views of the heart's rhythm: HeartMath coherence, breathing rate from RSA, HR swing per breath.

All work on a tachogram (beat intervals at their beat times) resampled evenly at TACHOGRAM_FS_HZ.

Coherence follows HeartMath's published method (McCraty, Atkinson, Tomasino & Bradley, "The coherent
heart: heart-brain interactions, psychophysiological coherence, and the emergence of system-wide order",
Integral Review 5(2), 2009, pp. 10-115, appendix; McCraty & Childre, "Coherence: bridging personal,
social and global health", Altern. Ther. Health Med. 16(4), 2010): the power spectrum of the last 64 s of
intervals resampled at 2 Hz; the highest peak in 0.04-0.26 Hz; peak power = the area of a 0.030 Hz wide
window centred on it; coherence ratio = peak power / (total power 0.0033-0.4 Hz - peak power).

Breathing rate: respiratory sinus arrhythmia makes the heart rate rise on the in-breath and fall on the
out-breath, so the dominant frequency of the heart-rate series in 0.05-0.5 Hz is the breathing rate
(e.g. Schafer & Kratky 2008, doi:10.1007/s10439-008-9465-3, for the family of RSA-based estimators).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import numpy.fft  # numpy loads it on first use otherwise: in the first figures of a session
from numpy.typing import NDArray

from device.errors import InputError
from device.signal import exact
from device.signal.local_peaks import find_peaks, parabolic_offset

TACHOGRAM_FS_HZ = 2.0
COHERENCE_PEAK_BAND_HZ = (0.04, 0.26)
COHERENCE_TOTAL_BAND_HZ = (0.0033, 0.4)
COHERENCE_PEAK_WIDTH_HZ = 0.030
BREATH_BAND_HZ = (0.05, 0.5)  # 3..30 breaths/min
SPECTRUM_STEP_HZ = 0.001  # zero-padding fine enough to integrate a 0.030 Hz window and locate peaks
SWING_BREATHS = 5  # recent breaths averaged into the HR swing
MIN_HR_SD_BPM = 0.05  # a heart-rate series steadier than this carries no rhythm to read
MAYER_BAND_HZ = (0.07, 0.12)  # baroreflex (Mayer) waves; also slow paced breathing
SPONTANEOUS_MIN_HZ = 0.14  # 8.4 breaths/min: spontaneous breathing at rest is faster
SPONTANEOUS_SHARE = 0.1  # of the slow peak's weighted height, for a faster peak to be the breathing
PEAK_HALF_WIDTH_HZ = 0.015  # a peak's height is the highest bin within this of its refined frequency
LINE_NONE_LOG10 = 1.0  # log10 of peak / median band power: confidence 0 at 10x ...
LINE_SURE_LOG10 = 2.5  # ... and 1 at 10^2.5 x
LINE_OWN = 1.0 / 3.0  # confidence a faster peak needs to be taken over a Mayer-band one (32x the floor)


def resample_tachogram(beat_times_s: NDArray[np.float64], values: NDArray[np.float64],
                       fs_hz: float = TACHOGRAM_FS_HZ) -> NDArray[np.float64]:
    """`values` (one per beat, e.g. interval ms or HR bpm) linearly interpolated at `fs_hz`.

    The grid starts at the first beat time; values are the interval ending at each beat.
    """
    t = np.asarray(beat_times_s, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise InputError("beat times and values must be 1-D arrays of the same length")
    if len(t) < 2:
        return np.zeros(0)
    if (t[1:] <= t[:-1]).any():
        raise InputError("beat times must increase")
    grid = np.arange(t[0], t[-1], 1.0 / fs_hz)
    return np.interp(grid, t, v)


def _power_spectrum(x: NDArray[np.float64], fs_hz: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(frequencies Hz, one-sided power spectral density) of a detrended, Hann-windowed series.

    The frequencies are read-only (kept per length, as are the window and its power: numpy's
    polyfit, hanning and rfftfreq give the same numbers through device/signal/exact.py)."""
    n = len(x)
    t, window, window_power = _window(n)
    slope, intercept = exact.line_fit(x)
    y = (x - (slope * t + intercept)) * window
    nfft = max(n, _min_nfft(fs_hz))
    spectrum = numpy.fft.rfft(y, nfft)
    psd = (spectrum.real**2 + spectrum.imag**2) / (fs_hz * window_power)
    psd[1:] *= 2.0
    return exact.rfftfreq(nfft, 1.0 / fs_hz), psd


@lru_cache(maxsize=16)
def _window(n: int) -> tuple[NDArray[np.int_], NDArray[np.float64], float]:
    """(0..n-1, the Hann window of n, its power: the sum of its squares), read-only."""
    t = np.arange(n)
    t.setflags(write=False)
    window = exact.hanning(n)
    return t, window, float(np.sum(window**2))


@lru_cache(maxsize=4)
def _min_nfft(fs_hz: float) -> int:
    """The power of two that makes spectrum bins SPECTRUM_STEP_HZ or finer at `fs_hz`."""
    return 1 << int(np.ceil(np.log2(fs_hz / SPECTRUM_STEP_HZ)))


def _band_peak(freqs_hz: NDArray[np.float64], psd: NDArray[np.float64],
               band_hz: tuple[float, float]) -> tuple[int, float]:
    """(bin index, parabolically refined frequency Hz) of the highest spectral peak inside a band."""
    inside = np.flatnonzero((freqs_hz >= band_hz[0]) & (freqs_hz <= band_hz[1]))
    j = int(inside[np.argmax(psd[inside])])
    delta = 0.0
    if 0 < j < len(psd) - 1:  # np.clip's answer, NaN included
        delta = min(max(parabolic_offset(psd[j - 1], psd[j], psd[j + 1]), -0.5), 0.5)
    return j, float(freqs_hz[j] + delta * (freqs_hz[1] - freqs_hz[0]))


def coherence_ratio(beat_times_s: NDArray[np.float64], ibi_ms: NDArray[np.float64]) -> tuple[float, float]:
    """HeartMath coherence ratio and its peak frequency (Hz) for the intervals given (pass the last 64 s).

    `ibi_ms[i]` is the interval ending at beat `beat_times_s[i]`.
    """
    x = resample_tachogram(beat_times_s, ibi_ms)
    if len(x) < 8:
        raise InputError("coherence needs at least a few seconds of intervals")
    freqs, psd = _power_spectrum(x, TACHOGRAM_FS_HZ)
    df = float(freqs[1] - freqs[0])
    j, peak_hz = _band_peak(freqs, psd, COHERENCE_PEAK_BAND_HZ)
    half = COHERENCE_PEAK_WIDTH_HZ / 2.0
    in_peak = (freqs >= freqs[j] - half) & (freqs <= freqs[j] + half)
    in_total = (freqs >= COHERENCE_TOTAL_BAND_HZ[0]) & (freqs <= COHERENCE_TOTAL_BAND_HZ[1])
    peak_power = float(psd[in_peak].sum()) * df
    rest = float(psd[in_total].sum()) * df - peak_power
    if rest <= 0.0:
        return (float("inf") if peak_power > 0.0 else 0.0), peak_hz
    return peak_power / rest, peak_hz


def breathing_rate_bpm(beat_times_s: NDArray[np.float64], hr_bpm: NDArray[np.float64],
                       min_sd: float = MIN_HR_SD_BPM) -> tuple[float, float] | None:
    """(breaths per minute, confidence 0..1) from the heart-rate series' respiratory rhythm, or None.

    The spectrum of the heart-rate series is weighted by frequency first (heart-rate variability
    falls off roughly as 1/f). Its highest peak in BREATH_BAND_HZ is the breathing rate, with one
    exception: a heart often carries a slow baroreflex (Mayer) wave near 0.1 Hz, at or above the size of
    the respiratory swing of spontaneous breathing. When the highest peak lies in MAYER_BAND_HZ and the
    spectrum also holds a peak of spontaneous breathing (>= SPONTANEOUS_MIN_HZ), at least
    SPONTANEOUS_SHARE of its weighted height and a clear line of its own (confidence >= LINE_OWN), that
    peak is the breathing. Slow paced breathing (6/min, also 0.1 Hz) leaves no such second line.

    Confidence: how far the chosen peak stands above the band's median power (unweighted), on a log
    scale from 10x (0) to 10^2.5 x (1). Beat-to-beat jitter with no breathing in it reached 8-13x over
    60 generated jitter series (5-30 ms, on intervals or on beat times); a breathing swing of 2-4 bpm
    with 5 ms of jitter stands 80-900x above the floor. The band ends at half the mean beat rate
    (beat_nyquist_hz): a series known once a beat holds nothing faster, and above it the resampled series
    holds only what linear interpolation makes of it, far below the rest, which lowered the floor and
    lifted jitter's peaks to a confident line at slow hearts (30-40/min: 0.5-1.0, issue 7, item 10's
    family). None when the series spans less than two of
    the slowest breaths or its standard deviation is below `min_sd` (in the series' own units; default
    MIN_HR_SD_BPM, for a heart rate in bpm): the confidence is a ratio, blind to scale, and a series that
    varies by less than sampling alone would make it vary carries no rhythm to read. Other series (the
    pulse amplitudes, hrv.py) pass a floor in their own units.
    """
    x = resample_tachogram(beat_times_s, hr_bpm)
    if len(x) < 2 * TACHOGRAM_FS_HZ / BREATH_BAND_HZ[0] or exact.mean_std(x)[1] < min_sd:
        return None
    freqs, psd = _power_spectrum(x, TACHOGRAM_FS_HZ)
    weighted = psd * freqs
    band = (BREATH_BAND_HZ[0], min(BREATH_BAND_HZ[1], beat_nyquist_hz(beat_times_s)))
    inside = (freqs >= band[0]) & (freqs <= band[1])
    if np.count_nonzero(inside) < 3:  # beats too sparse to carry any breathing rhythm (a few beats over 30 s or more)
        return None
    floor = exact.median_nan(psd[inside])
    if floor <= 0.0:
        return None

    def confidence(hz: float) -> float:
        line = float(np.maximum.reduce(psd[inside & (np.abs(freqs - hz) <= PEAK_HALF_WIDTH_HZ)])) / floor
        scaled = (math.log10(line) - LINE_NONE_LOG10) / (LINE_SURE_LOG10 - LINE_NONE_LOG10)
        return min(max(scaled, 0.0), 1.0)  # np.clip's answer, NaN included

    j, peak_hz = _band_peak(freqs, weighted, band)
    if MAYER_BAND_HZ[0] <= peak_hz <= MAYER_BAND_HZ[1]:
        peaks, _ = find_peaks(np.where(inside, weighted, 0.0))
        faster = [k for k in peaks.tolist() if freqs[k] >= SPONTANEOUS_MIN_HZ
                  and weighted[k] >= SPONTANEOUS_SHARE * weighted[j] and confidence(freqs[k]) >= LINE_OWN]
        if faster:
            k = max(faster, key=lambda m: weighted[m])
            _, peak_hz = _band_peak(freqs, weighted, (freqs[k] - 0.01, freqs[k] + 0.01))
    return 60.0 * peak_hz, confidence(peak_hz)


def beat_nyquist_hz(beat_times_s: NDArray[np.float64]) -> float:
    """Half the mean beat rate (Hz) of increasing beat times (s): the fastest rhythm a series of one value
    per beat can carry. Infinite for fewer than two beats."""
    t = np.asarray(beat_times_s, dtype=float)
    span = float(t[-1] - t[0]) if len(t) >= 2 else 0.0
    return 0.5 * (len(t) - 1) / span if span > 0.0 else math.inf


def hr_swing_bpm(beat_times_s: NDArray[np.float64], hr_bpm: NDArray[np.float64],
                 breath_rate_bpm: float) -> float | None:
    """Mean over the last SWING_BREATHS breaths of (max - min) heart rate within each breath, bpm.

    Breaths are delimited by successive heart-rate peaks at least 0.6 breath periods apart.
    None when the series holds no complete breath.
    """
    x = resample_tachogram(beat_times_s, hr_bpm)
    period = TACHOGRAM_FS_HZ * 60.0 / breath_rate_bpm
    peaks, _ = find_peaks(x, distance=max(1, int(0.6 * period)))
    if len(peaks) < 2:
        return None
    bounds = peaks[-(SWING_BREATHS + 1):]
    swings = [float(np.maximum.reduce(x[a:b + 1]) - np.minimum.reduce(x[a:b + 1]))  # np.ptp
              for a, b in itertools.pairwise(bounds)]
    return exact.mean(np.array(swings))
