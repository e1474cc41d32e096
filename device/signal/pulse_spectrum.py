"""Does a rhythm's spectral peak stand above a coloured (power-law) background? A pulse train's does.

Pure math, no state. The pulse pipeline asks it when a new lock is confirmed (device/signal/pulse.py,
SPECTRAL_FALSE_ALARM): band-passed 1/f^alpha noise and slow pressure drift look periodic by chance in a
few windows an hour (issue 7, fault 4), but in the raw window a pulse puts a peak at its rate, and usually
at twice it, above the smooth spectrum around it; chance periodicity in coloured noise does not, beyond
the periodogram's own fluctuation.

Method: red-noise significance of a spectral peak (Mann & Lees 1996, Climatic Change 33:409-445, there
with an AR(1) background; here a power law, which is what 1/f^alpha noise and drift are). The raw window
(not band-passed) has its least-squares line removed and is Hann-tapered; its periodogram P(f) is fitted
in log-log by a straight line, S(f) = c f^-alpha, over the bins from BACKGROUND_LOW_HZ to
BACKGROUND_HIGH_HZ (at most 0.9 of Nyquist) that are not within EXCLUDE_BINS of any harmonic of the
rhythm: a pulse train has power at every multiple of its rate, and left in, a narrow pulse's higher
harmonics lift its own background (leaving out only the first five cost a 30/min heart its lock). The
window should hold at least four periods, so that between two harmonics a bin lies outside both Hann
main lobes (two bins each way). The log of a periodogram ordinate of Gaussian noise is biased low by
Euler's gamma (E ln X = -0.5772 for X exponential with mean 1), which is added back. Each ordinate
divided by its expected value is then exponential with mean 1 (chi-square with 2 degrees of freedom over
2; Priestley 1981, Spectral Analysis and Time Series, s. 6.2), so the ratios at f0 and at 2 f0 (each the
largest within PEAK_REACH_BINS, the taper's half main lobe) are combined into a tail probability under the
null; each ratio's own tail and their combination are in `false_alarm`. Measured on unselected 6 s
windows of 1/f^1.5-3 noise at 25 and 100 samples/s (rhythm frequency drawn in 0.5-3.5 Hz), the test is
near its nominal rate only above 1.2 Hz: p <= 1e-3 in 0.25-0.4 % of windows there (nominal 0.2 % for
the better of two frequencies asked), but in 1.1-5 % at 0.5-1.2 Hz, the band's low edge, where the
straight-line fit is poorest and chance periodicity in band-passed coloured noise lives. Nor is a pulse
always a power law plus lines: a slow heart's narrow pulse (30/min) has many harmonics of about equal
height and sidebands between them, the fit over those lies above its fundamental, and the test misses
it (docs/measurements.md, "A spectral peak above the coloured background").
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

EULER_GAMMA = 0.5772156649015329
# The background is fitted from just under the pulse band (the judge's 0.5 Hz edge; 0.3 Hz keeps a few bins
# of a 6 s window below a 30/min heart) to 12 Hz (a fingertip pulse has little above its 5th-6th harmonic;
# above that the spectrum is the sensor's white floor, which would tilt the fit).
BACKGROUND_LOW_HZ = 0.3
BACKGROUND_HIGH_HZ = 12.0
HARMONICS = 2  # the fundamental and the second harmonic are the evidence (phone-camera pulses have little more)
PEAK_REACH_BINS = 1.0  # the peak is the largest ordinate this near the rhythm's frequency (Hann half main lobe)
EXCLUDE_BINS = 1.5  # bins this near a harmonic are not background
MIN_BACKGROUND_BINS = 4
LOWEST_BIN = 2  # bins 0 and 1 hold the taper's leakage of the mean and the removed line
SEARCHED_BINS = 3  # ordinates within PEAK_REACH_BINS of a harmonic: its own and one each side


def peak_ratios(raw: NDArray[np.float64], fs_hz: float, f0_hz: float,
                harmonics: int = HARMONICS) -> tuple[float, ...]:
    """Periodogram ordinate over the fitted power-law background at f0_hz, 2 f0_hz, ... (`harmonics` values).

    raw: samples (any units, not band-passed), at least a few periods of f0; fs_hz: sample rate, Hz.
    Each value is exponential with mean 1 for Gaussian noise of any power-law colour; 0 for a harmonic
    above 0.9 x Nyquist or where the window is too short to fit a background.
    """
    x = np.asarray(raw, dtype=np.float64)
    n = len(x)
    harmonics = max(1, harmonics)
    if n < 8 or f0_hz <= 0.0:
        return (0.0,) * harmonics
    t = np.arange(n, dtype=np.float64)
    slope, offset = np.polyfit(t, x, 1)
    x = x - (slope * t + offset)
    spec = np.abs(np.fft.rfft(x * np.hanning(n))) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / fs_hz)
    df = freqs[1]
    top = min(BACKGROUND_HIGH_HZ, 0.9 * fs_hz / 2.0)
    background = (freqs >= max(BACKGROUND_LOW_HZ, LOWEST_BIN * df)) & (freqs <= top) & (spec > 0.0)
    for k in range(1, int(top / f0_hz) + 2):
        background &= np.abs(freqs - k * f0_hz) > EXCLUDE_BINS * df
    if int(background.sum()) < MIN_BACKGROUND_BINS:
        return (0.0,) * harmonics
    lf, lp = np.log(freqs[background]), np.log(spec[background])
    tilt, level = np.polyfit(lf, lp, 1)
    level += EULER_GAMMA  # the mean log ordinate lies Euler's gamma below the log of the mean
    ratios = []
    for k in range(1, harmonics + 1):
        near = (np.abs(freqs - k * f0_hz) <= PEAK_REACH_BINS * df) & (freqs >= LOWEST_BIN * df)
        if k * f0_hz > top or not near.any():
            ratios.append(0.0)
            continue
        expected = np.exp(level + tilt * np.log(freqs[near]))
        ratios.append(float(np.max(spec[near] / expected)))
    return tuple(ratios)


def false_alarm(ratios: tuple[float, ...]) -> float:
    """Probability that Gaussian coloured noise gives ratios this high at every harmonic asked.

    Each ratio is the largest of the SEARCHED_BINS ordinates about its harmonic, each exponential with mean
    1 under the null: its own tail is 1 - (1 - e^-r)^SEARCHED_BINS (as if the bins were independent; the
    taper correlates neighbours, so this errs towards calling noise noise). The harmonics' tails p_k are
    combined by Fisher's method: -2 sum ln p_k is chi-square with 2k degrees of freedom (Fisher 1932).
    """
    return fisher([max(1e-300, -math.expm1(SEARCHED_BINS * math.log1p(-math.exp(-r)))) if r > 0.0 else 1.0
                   for r in ratios])


def fisher(tails: list[float]) -> float:
    """Fisher's combination of independent tail probabilities (Fisher 1932): P(chi2 with 2 m degrees of
    freedom >= -2 sum ln p_k) for m tails p_k; 1.0 for none."""
    if not tails:
        return 1.0
    half_chi2 = -sum(math.log(max(p, 1e-300)) for p in tails)  # chi-square / 2
    return min(1.0, math.exp(-half_chi2) * sum(half_chi2 ** j / math.factorial(j) for j in range(len(tails))))


def peak_false_alarm(raw: NDArray[np.float64], fs_hz: float, interval_s: float) -> float:
    """False-alarm probability of the rhythm of `interval_s` seconds in `raw` (see the module docstring).

    The interval may span one beat or two (the autocorrelation's, before the harmonic decision), so both
    1 / interval_s and 2 / interval_s are asked and the smaller probability is returned.
    """
    if interval_s <= 0.0:
        return 1.0
    return min(false_alarm(peak_ratios(raw, fs_hz, k / interval_s)) for k in (1, 2))
