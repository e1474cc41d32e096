"""Signal-quality measures for the pulse pipeline: periodicity (is this a pulse at all?) and beat shape.

Periodicity is the peak of the normalised autocorrelation of the band-passed PPG over a few seconds at
lags of plausible beat intervals: a fingertip gives a clearly periodic signal (typically 0.7-0.95),
an empty sensor, ambient flicker or noise does not (typically below 0.3). The first strong lag also
gives a beat-interval estimate that does not depend on any beat having been picked.

The spectral line is a second, complementary view: the height of the largest periodogram peak at
plausible heart rates over the median periodogram level of the pass band. A pulse puts its power into
a narrow line (its fundamental), broadband noise spreads it; unlike the autocorrelation, whose peak
a strong broadband noise floor (phone-camera noise) pulls down, the line height is measured against
the noise floor's density, so a weak but steady pulse in broadband noise still stands out.

Per-beat quality follows the template-matching idea of Orphanidou et al. (2015,
doi:10.1109/JBHI.2014.2338351) and Li & Clifford (2012, doi:10.1088/0967-3334/33/9/1491): the
correlation of the beat's waveform with a running template of recent good beats, scaled down when its
amplitude is far from the recent median.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from device.signal.exact import hanning, mean_std, median, rfftfreq

MIN_LAG_S = 0.25  # 240 beats/min
MAX_LAG_S = 2.2  # 27 beats/min: a 30/min heart's interval, with room for its variability
FIRST_PEAK_FRACTION = 0.6  # the shortest lag whose correlation is this share of the best is the interval
LINE_LOW_HZ = 0.45  # spectral-line search: 27 beats/min
LINE_HIGH_HZ = 3.5  # 210 beats/min
FLOOR_LOW_HZ = 0.5  # the noise floor is the median periodogram level over the pipeline's pass band
FLOOR_HIGH_HZ = 5.0
LINE_ZERO_PAD = 8  # periodogram interpolated this many times finer than 1 / window length
TEMPLATE_BEFORE_S = 0.3  # beat waveform window around the band-passed peak
TEMPLATE_AFTER_S = 0.15
TEMPLATE_ALPHA = 0.1  # weight of a new beat in the running template
TEMPLATE_MIN_CORR = 0.5  # beats below this do not update the template
TEMPLATE_RESEED_BEATS = 5  # this many poor matches in a row: the template itself was poor, start again


def periodicity(y: NDArray[np.float64], fs_hz: float) -> tuple[float, float]:
    """(strength 0..1, beat interval in s) from the autocorrelation of band-passed PPG `y`.

    Strength is the largest unbiased normalised autocorrelation at lags MIN_LAG_S..MAX_LAG_S (lags up to
    half the window); the interval is the shortest lag holding a local maximum of at least
    FIRST_PEAK_FRACTION of it, so a harmonic (two beats) is not taken for one beat.
    """
    n = len(y)
    lag_lo = max(1, int(MIN_LAG_S * fs_hz))
    lag_hi = min(int(MAX_LAG_S * fs_hz), n // 2)
    if lag_hi <= lag_lo + 2:
        return 0.0, 0.0
    centred = y - np.add.reduce(y) / n  # y.mean(), numpy's steps
    nfft = 1 << (2 * n - 1).bit_length()  # the power of two >= 2 n: no circular wrap
    spectrum = np.fft.rfft(centred, nfft)
    acf = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, nfft)[:lag_hi + 2]
    if acf[0] <= 0.0:
        return 0.0, 0.0
    acf = acf / acf[0] * n / _products_per_lag(n, lag_hi + 2)  # unbiased: each lag sums over n - lag products
    band = acf[lag_lo:lag_hi + 1]
    inner = band[1:-1]
    is_peak = (inner > band[:-2]) & (inner >= band[2:])
    peaks = np.flatnonzero(is_peak) + 1
    if len(peaks) == 0:  # no repeating shape at any plausible beat interval
        return 0.0, 0.0
    heights = band[peaks]
    best = float(heights.max())
    if best <= 0.0:
        return 0.0, 0.0
    first = int(peaks[np.argmax(heights >= FIRST_PEAK_FRACTION * best)])
    # parabolic refinement of the lag
    y0, y1, y2 = band[first - 1], band[first], band[first + 1]
    denom = y0 - 2.0 * y1 + y2
    delta = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
    return min(best, 1.0), (lag_lo + first + delta) / fs_hz


def spectral_line(y: NDArray[np.float64], fs_hz: float) -> tuple[float, float]:
    """(line height over the noise floor, line frequency in Hz) of band-passed PPG `y`.

    Hann-windowed periodogram; the height is the largest value at LINE_LOW_HZ..LINE_HIGH_HZ divided by
    the median over FLOOR_LOW_HZ..FLOOR_HIGH_HZ (about 14, at most about 30-40 in a minute of white
    noise through the pipeline's band-pass; 50-500 for a fingertip). (0, 0) when `y` is flat or short.
    """
    searched = _line_search(y, fs_hz)
    if searched is None:
        return 0.0, 0.0
    relative, freq_hz = searched
    k = int(np.argmax(relative))
    return float(relative[k]), float(freq_hz[k])


def spectral_lines(y: NDArray[np.float64], fs_hz: float, count: int) -> list[tuple[float, float]]:
    """The `count` tallest local maxima of spectral_line's periodogram of `y` at LINE_LOW_HZ..LINE_HIGH_HZ, as
    (height over the noise floor, frequency Hz), tallest first ([] when `y` is flat or short). An irregular
    rhythm's power is spread over several lines (premature beats every third beat: the pattern's period and its
    harmonics), one of which is the mean beat rate."""
    searched = _line_search(y, fs_hz)
    if searched is None:
        return []
    relative, freq_hz = searched
    inner = relative[1:-1]
    peaks = np.flatnonzero((inner > relative[:-2]) & (inner >= relative[2:])) + 1
    tallest = peaks[np.argsort(relative[peaks])[::-1][:count]]
    return [(float(relative[k]), float(freq_hz[k])) for k in tallest]


def _line_search(y: NDArray[np.float64], fs_hz: float) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """(periodogram over its noise floor, frequency Hz) at LINE_LOW_HZ..LINE_HIGH_HZ of `y` (spectral_line's),
    None when `y` is flat or short."""
    n = len(y)
    if n < 8:
        return None
    nfft = 1 << (LINE_ZERO_PAD * n - 1).bit_length()  # the power of two >= LINE_ZERO_PAD n
    floor_bins, search_bins = _line_bins(nfft, fs_hz)
    # the power of the bins up to FLOOR_HIGH_HZ / LINE_HIGH_HZ only: the only ones looked at
    spectrum = np.fft.rfft((y - np.add.reduce(y) / n) * hanning(n), nfft)[:max(floor_bins.stop, search_bins.stop)]
    power = np.abs(spectrum) ** 2
    floor = median(power[floor_bins])
    if floor <= 0.0 or search_bins.stop <= search_bins.start:
        return None
    return power[search_bins] / floor, rfftfreq(nfft, 1.0 / fs_hz)[search_bins]


@lru_cache(maxsize=16)
def _products_per_lag(n: int, lags: int) -> NDArray[np.intp]:
    """n - lag for lag = 0 .. lags - 1: the products an autocorrelation of n samples sums at each lag."""
    count = n - np.arange(lags)
    count.setflags(write=False)
    return count


@lru_cache(maxsize=16)
def _line_bins(nfft: int, fs_hz: float) -> tuple[slice, slice]:
    """The periodogram bins FLOOR_LOW_HZ..FLOOR_HIGH_HZ and LINE_LOW_HZ..LINE_HIGH_HZ (inclusive), as slices
    (the frequencies increase, so each band is one run of bins)."""
    freq_hz = rfftfreq(nfft, 1.0 / fs_hz)

    def run(low_hz: float, high_hz: float) -> slice:
        inside = np.flatnonzero((freq_hz >= low_hz) & (freq_hz <= high_hz))
        return slice(int(inside[0]), int(inside[-1]) + 1) if len(inside) else slice(0, 0)

    return run(FLOOR_LOW_HZ, FLOOR_HIGH_HZ), run(LINE_LOW_HZ, LINE_HIGH_HZ)


class BeatTemplate:
    """Running template of beat waveforms; scores a new beat by correlation and amplitude consistency."""

    def __init__(self, fs_hz: float) -> None:
        self.before = round(TEMPLATE_BEFORE_S * fs_hz)
        self.after = round(TEMPLATE_AFTER_S * fs_hz)
        self._template: NDArray[np.float64] | None = None
        self._misses = 0

    def reset(self) -> None:
        self._template = None
        self._misses = 0

    def correlation(self, waveform: NDArray[np.float64]) -> float | None:
        """Correlation of a full-length beat waveform with the template, without learning from it (None
        when there is no template yet, or the waveform is not full-length or is flat)."""
        if self._template is None or len(waveform) != len(self._template):
            return None
        mean, std = mean_std(waveform)
        if std <= 0.0:
            return None
        return float(np.dot((waveform - mean) / std, self._template) / len(waveform))

    def score(self, waveform: NDArray[np.float64], offset: int, amp: float, amp_ref: float) -> float:
        """Quality 0..1 of a beat from its band-passed waveform and amplitude.

        `waveform` covers `before` samples before the peak to `after` samples after it; at the edges of a
        stream it may be cut short, starting `offset` samples into that span.
        """
        if amp <= 0.0 or amp_ref <= 0.0 or len(waveform) < 3:
            return 0.0
        mean, std = mean_std(waveform)
        if std <= 0.0:
            return 0.0
        z = (waveform - mean) / std
        full = len(z) == self.before + self.after + 1
        if self._template is None:
            if full:
                self._template = z
            corr = 1.0
        else:
            part = self._template[offset:offset + len(z)]
            # both z-scored when full: the mean product is the correlation; a cut-short part needs corrcoef
            corr = float(np.dot(z, part) / len(z)) if full else float(np.corrcoef(z, part)[0, 1])
            if full and corr >= TEMPLATE_MIN_CORR:
                blended = (1.0 - TEMPLATE_ALPHA) * self._template + TEMPLATE_ALPHA * z
                mean, std = mean_std(blended)
                self._template = (blended - mean) / max(std, 1e-12)
                self._misses = 0
            elif full:
                self._misses += 1
                if self._misses >= TEMPLATE_RESEED_BEATS:
                    self._template, self._misses = z, 0
        ratio = min(amp / amp_ref, amp_ref / amp)
        return max(0.0, min(1.0, corr)) * min(1.0, 2.0 * ratio)
