"""Heart-rate synchrony between two people: how closely their breathing-band heart-rate rhythms move together.

Method: the peak of the lagged cross-correlation of the two heart-rate series within one window, after
Boker, Xu, Rotondo & King (2002), "Windowed cross-correlation and peak picking for the analysis of
variability in the association between behavioral time series", Psychological Methods 7(3):338-355,
doi:10.1037/1082-989X.7.3.338: within a window, the Pearson correlation of one series with the other shifted
by each lag up to a maximum, and the highest one with its lag. Correlation (lagged or not) of heart-rate series
is the most used index of physiological synchrony in dyads (Palumbo et al. 2017, "Interpersonal autonomic
physiology: a systematic review of the literature", Pers. Soc. Psychol. Rev. 21(2):99-141,
doi:10.1177/1088868316628405); heart-rate rhythms of people breathing together (choir singers) phase-lock
in the breathing band (Müller & Lindenberger 2011, PLoS ONE 6(9):e24893, doi:10.1371/journal.pone.0024893).

Here, as for coherence (device/signal/coherence.py), each person's heart rate (60000 / IBI, bpm) is resampled
evenly at TACHOGRAM_FS_HZ over the same 64 s window, detrended, and kept to the breathing band
BREATH_BAND_HZ (3-30 breaths/min) only, so a shared slow drift (both settling) or a difference in mean heart
rate is not counted as moving together. Both band-limited series are correlated at every lag within
MAX_LAG_S in one FFT (the biased estimator normalised by both series' whole energy, which stays within -1..1
and favours the smallest lag when a rhythm repeats within the lag range).

- value: the peak correlation, clipped at 0. 1: one person's breathing-band heart-rate rhythm is a scaled,
  shifted copy of the other's (how large each one's swing is and their mean heart rates do not matter). 0: no
  lag within MAX_LAG_S at which they move together at all. By chance, within one 64 s window (the band holds
  few independent cycles), beat-to-beat noise alone reaches a median 0.24 (95th percentile 0.40) and
  rhythms at 12 and 15 breaths/min a median 0.07 (95th percentile 0.12) (100 generated pairs each:
  `python -m bench.bench_synchrony --chance 100`); only values well above that say the hearts share a
  rhythm. Two people who happen to breathe at nearly the same rate do move together for as long as their
  rates agree, and the value says so.
- lag_s: the lag of the peak, refined between samples. lag_s > 0: A leads B (B's rhythm repeats A's
  lag_s seconds later); lag_s < 0: B leads A. A repeating rhythm has peaks one breath period apart: the
  smallest lag is the one reported (the estimator favours it). None (with the value given) when the highest
  correlation lies at the edge of the lag range (+-MAX_LAG_S): it is still rising there, so no peak lies within
  the range and who leads cannot be told.

Withheld (value and lag None, with a reason) when either person's HRV is withheld, when either series does
not cover the window (COVER_MIN of it, as coherence asks), or when either is flat in the breathing band.
Both series must be on one time axis (seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.coherence import BREATH_BAND_HZ, MIN_HR_SD_BPM, TACHOGRAM_FS_HZ
from device.signal.hrv import COHERENCE_MIN_COVER
from device.signal.local_peaks import parabolic_offset

__all__ = [
    "COVER_MIN",
    "FLAT_SERIES",
    "HRV_WITHHELD",
    "MAX_LAG_S",
    "SYNCHRONY_WINDOW_S",
    "WINDOW_NOT_COVERED",
    "Synchrony",
    "heart_rate_synchrony",
    "synchrony_of_tachograms",
]

SYNCHRONY_WINDOW_S = 64.0  # the coherence window (HeartMath's 64 s)
# Half the period of 6 breaths/min: any phase between two hearts following one slow breath is within reach
# (at faster breathing the range holds more than a period, and the smallest of the repeating lags is reported).
MAX_LAG_S = 5.0
COVER_MIN = COHERENCE_MIN_COVER  # share of the window each person's intervals must cover, as for coherence

# Why synchrony is withheld (Synchrony.reason).
HRV_WITHHELD = "hrv_withheld"
WINDOW_NOT_COVERED = "window_not_covered"
FLAT_SERIES = "flat_series"


@dataclass(frozen=True)
class Synchrony:
    """Heart-rate synchrony over one window: value 0..1 and lag_s (> 0: A leads B), or both None and a reason."""

    value: float | None
    lag_s: float | None
    reason: str | None = None

    @staticmethod
    def withheld(reason: str) -> Synchrony:
        """No synchrony, for `reason` (HRV_WITHHELD, WINDOW_NOT_COVERED, FLAT_SERIES)."""
        return Synchrony(None, None, reason)


def _window_series(beat_times_s: NDArray[np.float64], ibi_ms: NDArray[np.float64], start_s: float,
                   grid_s: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Heart rate (bpm) at `grid_s` from the intervals ending within the window, or None when they cover less
    than COVER_MIN of it."""
    t = np.asarray(beat_times_s, dtype=float)
    ibi = np.asarray(ibi_ms, dtype=float)
    if t.shape != ibi.shape or t.ndim != 1:
        raise InputError("beat times and intervals must be 1-D arrays of the same length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(ibi))) or np.any(ibi <= 0):
        raise InputError("beat times must be finite and intervals positive and finite")
    if np.any(np.diff(t) <= 0):
        raise InputError("beat times must increase")
    end_s = float(grid_s[-1]) + 1.0 / TACHOGRAM_FS_HZ
    inside = (t > start_s) & (t <= end_s)
    if int(inside.sum()) < 2:
        return None
    t, ibi = t[inside], ibi[inside]
    covered_s = float(np.minimum(ibi / 1000.0, t - start_s).sum())
    if covered_s < COVER_MIN * (end_s - start_s):
        return None
    # each interval's heart rate belongs to its middle, not its end: otherwise a slower heart's series would
    # lag a faster one's by the difference of their half intervals
    return np.interp(grid_s, t - 0.5 * ibi / 1000.0, 60000.0 / ibi)


def _detrend(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """x minus its least-squares straight line."""
    n = len(x)
    k = np.arange(n, dtype=float) - 0.5 * (n - 1)
    slope = float(k @ x) / float(k @ k)
    return np.asarray(x - float(x.mean()) - slope * k, dtype=np.float64)


def heart_rate_synchrony(beat_times_a_s: NDArray[np.float64], ibi_a_ms: NDArray[np.float64],
                         beat_times_b_s: NDArray[np.float64], ibi_b_ms: NDArray[np.float64],
                         end_s: float, window_s: float = SYNCHRONY_WINDOW_S) -> Synchrony:
    """Synchrony of A's and B's heart rates over the window (end_s - window_s, end_s] (seconds, one time axis).

    end_s: the time the reading is for (e.g. the newer of the two people's newest beats, when coherence is
    updated); each person's intervals must cover COVER_MIN of the window up to it.
    `ibi_*_ms[i]` is the interval (ms) ending at beat `beat_times_*_s[i]` (as HrvTracker.tachogram gives
    them); beats outside the window are ignored. Returns Synchrony(value 0..1, lag_s), or withheld with
    WINDOW_NOT_COVERED or FLAT_SERIES (see the module's docstring). Raises InputError on arrays of
    different lengths, non-increasing or non-finite times, non-positive intervals, or a window shorter than
    four times MAX_LAG_S.
    """
    if not np.isfinite(end_s) or not np.isfinite(window_s) or window_s < 4.0 * MAX_LAG_S:
        raise InputError(f"synchrony needs a finite window of at least {4.0 * MAX_LAG_S:g} s, not {window_s!r}")
    n = round(window_s * TACHOGRAM_FS_HZ)
    start_s = end_s - window_s
    grid_s = np.asarray(start_s + (np.arange(n) + 1.0) / TACHOGRAM_FS_HZ, dtype=np.float64)
    series = []
    for times, ibi in ((beat_times_a_s, ibi_a_ms), (beat_times_b_s, ibi_b_ms)):
        x = _window_series(times, ibi, start_s, grid_s)
        if x is None:
            return Synchrony.withheld(WINDOW_NOT_COVERED)
        series.append(_detrend(x))
    nfft = 1 << int(np.ceil(np.log2(2 * n)))  # zero-padded: a linear, not circular, correlation
    freqs = np.fft.rfftfreq(nfft, 1.0 / TACHOGRAM_FS_HZ)
    band = (freqs >= BREATH_BAND_HZ[0]) & (freqs <= BREATH_BAND_HZ[1])
    spectra = [np.fft.rfft(x, nfft)[band] for x in series]
    # energy of each band-limited series (Parseval; x2 for the negative frequencies, no DC in the band)
    energies = [2.0 * float(np.sum(s.real**2 + s.imag**2)) / nfft for s in spectra]
    if min(energies) < n * MIN_HR_SD_BPM**2:  # RMS over the window below MIN_HR_SD_BPM
        return Synchrony.withheld(FLAT_SERIES)
    cross = np.zeros(len(freqs), dtype=complex)
    cross[band] = np.conj(spectra[0]) * spectra[1]
    r = np.fft.irfft(cross, nfft) / np.sqrt(energies[0] * energies[1])
    max_lag = int(MAX_LAG_S * TACHOGRAM_FS_HZ)
    lags = np.arange(-max_lag, max_lag + 1)
    r_lag = r[lags % nfft]  # r[k] = sum a[t] b[t + k]: B repeating A k samples later
    j = int(np.argmax(r_lag))
    delta = 0.0
    if 0 < j < len(r_lag) - 1:
        delta = float(np.clip(parabolic_offset(r_lag[j - 1], r_lag[j], r_lag[j + 1]), -0.5, 0.5))
    value = float(np.clip(r_lag[j], 0.0, 1.0))
    if j in (0, len(r_lag) - 1):  # still rising at the end of the range: no peak within it, no lag to name
        return Synchrony(value, None, None)
    return Synchrony(value, float((lags[j] + delta) / TACHOGRAM_FS_HZ), None)


def synchrony_of_tachograms(tachogram_a: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
                            tachogram_b: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
                            end_s: float, window_s: float = SYNCHRONY_WINDOW_S) -> Synchrony:
    """heart_rate_synchrony of two HrvTracker.tachogram results, withheld (HRV_WITHHELD) when either is None."""
    if tachogram_a is None or tachogram_b is None:
        return Synchrony.withheld(HRV_WITHHELD)
    return heart_rate_synchrony(tachogram_a[0], tachogram_a[1], tachogram_b[0], tachogram_b[1], end_s, window_s)
