"""Is a rhythm a repeated waveform (a pulse) or a narrow band of Gaussian noise? Harmonic phase coupling.

Pure math, no state. The pulse pipeline asks it when a new lock is judged (device/signal/pulse.py,
COUPLING_FALSE_ALARM): smooth pressure drift with no pulse in it, band-passed, is a narrow band near the
pass band's low edge, a quasi-sinusoid at 30-48/min that the autocorrelation and the spectral line take
for a slow heart (issue 7, fault 4), and whose raw spectrum, no power law, fools the spectral-peak test
too (device/signal/pulse_spectrum.py). A pulse train is one nonlinear waveform repeated, so its harmonics
are phase-locked to its fundamental: over each beat-length segment k, with X_h,k the segment's Fourier
coefficient at h times the rhythm's frequency, the biphase arg(X_h+1,k conj(X_1,k) conj(X_h,k)) is the same
from beat to beat. It does not change when the beat moves in its segment (a shift t turns X_h by
-2 pi h f t, and (h + 1) = 1 + h), so heart-rate variability leaves it; a linear filter adds a constant to
it. Linearly filtered Gaussian noise, however smooth or narrow, has none: its third-order moments vanish
and its law is unchanged by a change of sign, which turns every biphase by pi.

Statistic, per harmonic pair (1, h) -> h + 1 for h = 1 .. HARMONICS - 1 (the one at (1, 1) is the
bicoherence at (f, f); Kim & Powers 1979, IEEE Trans. Plasma Sci. 7:120-131): the mean resultant length R
of the K segments' unit biphasors (phase only, so that one large segment cannot decide), and its Rayleigh
tail probability for K independent uniform phases (Zar 2010, Biostatistical Analysis, eq. 27.4); the
pairs' tails are combined by Fisher's method (chi-square with 2 x pairs degrees of freedom). A pair whose
upper harmonic lies above 0.9 x Nyquist is left out. The result is a nominal false-alarm probability only:
segments of narrow-band noise are not independent (the band's coherence time spans several), so the level
a pipeline uses is set on noise simulated through it (device/signal/pulse.py, COUPLING_FALSE_ALARM).
Each segment's harmonics are fitted jointly by least squares with a level and a slope (`_harmonics`),
not correlated one by one, so that the fundamental does not leak into them.

A pulse so smooth that it is a sinusoid has no harmonics to couple, and from noise of the same band it
cannot be told apart by any test on the samples alone; this one calls it noise.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from device.signal.pulse_spectrum import fisher

HARMONICS = 4  # the fundamental and three harmonics: pairs (1,1)->2, (1,2)->3, (1,3)->4
MIN_SEGMENTS = 3  # fewer beat-length segments than this give no evidence (probability 1)


def coupling_tails(x: NDArray[np.float64], fs_hz: float, interval_s: float) -> tuple[tuple[float, float], ...]:
    """Per harmonic pair (1, h) -> h + 1, h = 1 .. HARMONICS - 1: (R, Rayleigh tail probability).

    x: samples (any units; band-passed or raw); fs_hz: sample rate, Hz; interval_s: the rhythm's period,
    s. x is cut into K = floor(len(x) / (interval_s fs_hz)) consecutive segments one period long, the last
    ending at the newest sample. R is 0..1: near 1 for a repeated waveform with that harmonic, about
    1/sqrt(K) for Gaussian noise. Pairs above 0.9 x Nyquist, and every pair when K < MIN_SEGMENTS, are
    left out (an empty tuple then).
    """
    pairs = _biphasor_sums(x, fs_hz, interval_s)
    return tuple((abs(total) / k, rayleigh_tail(abs(total) / k, k)) for _, total, k in pairs)


def _biphasor_sums(x: NDArray[np.float64], fs_hz: float, interval_s: float) -> list[tuple[int, complex, int]]:
    """Per harmonic pair (1, h) -> h + 1 (see coupling_tails): (h, the sum of the K segments' unit biphasors, K).
    The sum's size over K is R, its angle the pair's mean biphase."""
    samples = np.asarray(x, dtype=np.float64)
    period = interval_s * fs_hz
    if period < 2.0:
        return []
    k = int(len(samples) / period)
    if k < MIN_SEGMENTS:
        return []
    top = min(HARMONICS, int(0.45 * fs_hz * interval_s))  # highest harmonic below 0.9 x Nyquist
    bounds = np.round(len(samples) - k * period + period * np.arange(k + 1)).astype(np.intp)
    top = min(top, (int(np.diff(bounds).min()) - 4) // 2)  # at least two samples more than coefficients
    if top < 2:
        return []
    coeffs = _harmonics(samples, bounds, period, top)  # harmonic by segment
    out = []
    for h in range(1, top):
        biphasor = coeffs[h] * np.conj(coeffs[0]) * np.conj(coeffs[h - 1])
        size = np.abs(biphasor)
        unit = biphasor[size > 0.0] / size[size > 0.0]
        if len(unit) < MIN_SEGMENTS:
            continue
        out.append((h, complex(unit.sum()), len(unit)))
    return out


def _harmonics(samples: NDArray[np.float64], bounds: NDArray[np.intp], period: float,
               top: int) -> NDArray[np.complex128]:
    """Complex amplitudes X_1 .. X_top (rows) of every segment samples[bounds[k]:bounds[k + 1]] (columns): least
    squares on a level, a slope and the `top` harmonics of 1 / `period` (cycles per sample), X_h = a_h - i b_h
    for a_h cos + b_h sin. A segment is a whole number of samples, not of periods: correlating it with each
    harmonic (a DFT) leaks the fundamental into every harmonic with the fundamental's own phase, a coupling
    a sinusoid shows as much as a pulse (a 0.7 Hz sine at 50 samples/s read p = 3e-5; smooth drift gave a rate
    in 7 of 120 runs against 0 of 120 fitted so, bench_no_pulse --family lowpass seeds 0-19). Fitted jointly,
    a sinusoid at the rhythm stays in X_1 and a ramp in the slope. Each segment's phases are taken from its own
    first sample: for a segment starting at index a that turns X_h by -2 pi h a / period, which leaves every
    biphase as it is ((h + 1) = 1 + h), so segments of one length share one basis and are fitted together
    (one pseudo-inverse per length; a least-squares call per segment cost the pipeline ten times its work
    while it judged noise for beat trains, device/signal/pulse.py, TRAIN_COUPLING).
    """
    starts, lengths = bounds[:-1], np.diff(bounds)
    out = np.empty((top, len(starts)), dtype=np.complex128)
    for length in sorted(set(lengths.tolist())):  # one or two lengths (a period is not a whole number of samples)
        which = np.flatnonzero(lengths == length)
        fit = samples[starts[which, None] + np.arange(length)] @ _fitter(length, period, top)  # segment by coefficient
        out[:, which] = (fit[:, 2:2 + top] - 1j * fit[:, 2 + top:2 + 2 * top]).T
    return out


@lru_cache(maxsize=64)
def _fitter(length: int, period: float, top: int) -> NDArray[np.float64]:
    """The transposed pseudo-inverse of _harmonics' basis for segments of `length` samples: shape (length,
    2 + 2 top), so that a segment (row) times it gives its least-squares coefficients (level, slope, cos 1..top,
    sin 1..top). Cached: the lines a pipeline asks about are periodogram bins, so one window length asks the
    same few periods again and again (the pseudo-inverse was half the cost of judging noise for beat trains)."""
    n = np.arange(length)
    u = (n - n.mean()) / period
    angle = 2.0 * np.pi * np.outer(n / period, np.arange(1, top + 1))
    basis = np.hstack([np.ones((length, 1)), u[:, None], np.cos(angle), np.sin(angle)])
    fitter = np.linalg.pinv(basis).T
    fitter.setflags(write=False)
    return fitter


def rayleigh_tail(r: float, k: int) -> float:
    """P(R >= r) for the mean resultant length R of k independent uniform phases (Zar 2010, eq. 27.4):
    exp(sqrt(1 + 4k + 4(k^2 - (k r)^2)) - (1 + 2k)). 1.0 for k < 1."""
    if k < 1:
        return 1.0
    z = 1.0 + 4.0 * k + 4.0 * (k * k - (k * r) ** 2)
    return min(1.0, math.exp(math.sqrt(max(z, 0.0)) - (1.0 + 2.0 * k)))


def coupling_false_alarm(x: NDArray[np.float64], fs_hz: float, interval_s: float) -> float:
    """Nominal probability that Gaussian noise couples its harmonics as much as the rhythm of `interval_s`
    in `x` does (see the module docstring; 1.0 where there is too little to judge).

    The interval may span one beat or two (the autocorrelation's, before the harmonic decision), so both
    interval_s and interval_s / 2 are asked and the smaller probability is returned.
    """
    return pulse_coupling(x, fs_hz, interval_s)[0]


def pulse_coupling(x: NDArray[np.float64], fs_hz: float, interval_s: float,
                   sos: NDArray[np.float64] | None = None) -> tuple[float, float]:
    """(coupling_false_alarm's probability, rise_p: the probability that noise which time reversal leaves as it is
    leans at least as far the way a pulse rises: 0..1).

    A pulse rises faster than it falls, so its biphases, once the phase a linear filter adds is taken out, point
    toward +pi / 2 (a fast-rise, slow-fall sawtooth's biphase is exactly pi / 2; time reversal, which turns a rise
    into a fall, conjugates every biphase). How far they point so is the lean: the pairs' mean biphasors (each of
    size R, so the coupled pairs count most) summed and projected on +pi / 2 (their imaginary part). Noise whose
    law time reversal leaves as it is leans either way alike, whatever its coupling's size: Gaussian noise of any
    spectrum, however it was selected, and any memoryless transform of it (log-normal noise, exp() of Gaussian
    noise; squared or rectified noise), whose law may be skewed, so that its coupling is real and points near 0 (a
    narrow upward peak's biphase), as a slow narrow pulse's does: only the rise tells them apart (docs/measurements.md,
    "No pulse: skewed noise"). rise_p is the lean's upper tail for K uniform phases per pair (each unit biphasor's
    imaginary part has mean 0 and variance 1/2): Stouffer's combination of the pairs' sqrt(2 K) Im(mean biphasor);
    phases concentrated near the real axis, as skewed noise's are, vary less than uniform ones across it, so there
    the tail is conservative. `sos`: the second-order sections (scipy's layout) x was filtered with, whose phase at
    each harmonic is taken out; None for raw samples. Asked at interval_s and interval_s / 2 as
    coupling_false_alarm is, and the smaller tail returned (1.0 where there is nothing to judge): at the beat's own
    interval a pulse's pairs all lean one way, at the other one they need not (the generators' Gaussian waves at
    75/min, whose diastolic wave lies near half the interval, fall at half it and rise at their own; CapnoBase 0330,
    75/min, leaned the other way at half its interval). So a pulse turned upside down may rise at one of them too,
    and noise's chance of a tail at most a level is about twice the level, as its coupling's is.
    """
    if interval_s <= 0.0:
        return 1.0, 1.0
    p, rise_p = 1.0, 1.0
    for beats in (1, 2):
        pairs = _biphasor_sums(x, fs_hz, interval_s / beats)
        p = min(p, fisher([rayleigh_tail(abs(total) / k, k) for _, total, k in pairs]))
        if not pairs:
            continue
        f0_hz = beats / interval_s
        z = sum(math.sqrt(2.0 * k) * (total / k * np.exp(-1j * (_phase(sos, (h + 1) * f0_hz, fs_hz)
                                                                - _phase(sos, f0_hz, fs_hz)
                                                                - _phase(sos, h * f0_hz, fs_hz)))).imag
                for h, total, k in pairs) / math.sqrt(len(pairs))
        rise_p = min(rise_p, 0.5 * math.erfc(z / math.sqrt(2.0)))
    return p, rise_p


def _phase(sos: NDArray[np.float64] | None, f_hz: float, fs_hz: float) -> float:
    """The phase (rad) the second-order sections `sos` add to a sinusoid of f_hz at fs_hz samples/s (0 for None)."""
    if sos is None:
        return 0.0
    z = np.exp(-2j * np.pi * f_hz / fs_hz)
    response = complex(1.0)
    for b0, b1, b2, a0, a1, a2 in np.asarray(sos, dtype=np.float64):
        response *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return float(np.angle(response))


def fundamental_line_share(x: NDArray[np.float64], fs_hz: float, interval_s: float, max_offset: float) -> float:
    """The share of the rhythm's fundamental that one steady line holds: 0..1 (0 where there is too little to
    judge).

    x: samples (any units); fs_hz: sample rate, Hz; interval_s: the rhythm's period, s; max_offset: how far (a
    fraction of the rate) the line may lie from 1 / interval_s. x is cut into K consecutive segments one period
    long (the last ending at the newest sample) and each segment's fundamental X_k is fitted with a level and a
    slope (`_harmonics`; its phase taken at the segment's exact start). The result is
    max over theta of |sum_k X_k e^(-i k theta)|^2 / (K sum_k |X_k|^2), theta within 2 pi max_offset: the
    largest periodogram ordinate of the sequence X_k over its total power, Fisher's g (Fisher 1929, Proc. R. Soc.
    A 125:54-59), i.e. the share of the fundamental's power within one bin (1 / (K periods)) of a steady line.
    A pulse train keeps its fundamental's amplitude and phase from beat to beat up to its rate variability
    (a steady phase advance where its period is not exactly interval_s is the theta searched), so this stays near
    1; white noise lowers it in proportion to its share of the fundamental's power. A narrow band of Gaussian
    noise of quality factor Q (centre over width) forgets its phase within about Q / pi periods and its amplitude
    wanders (Rayleigh), so its share falls as K grows, to about 2 Q / (pi K) (a Lorentzian line's share of one
    bin) plus chance. Noise of a far narrower band (a sinusoid) holds its line as a pulse does: this measures
    the line's width in units of its own frequency, not whether it is a pulse (`coupling_tails` does that).
    """
    samples = np.asarray(x, dtype=np.float64)
    period = interval_s * fs_hz
    if period < 4.0:
        return 0.0
    k = int(len(samples) / period)
    if k < MIN_SEGMENTS:
        return 0.0
    exact = len(samples) - k * period + period * np.arange(k + 1)
    bounds = np.round(exact).astype(np.intp)
    # each segment's phase is taken from its first whole sample: turned back to the segment's exact start
    fundamental = _harmonics(samples, bounds, period, 1)[0] * np.exp(-2j * np.pi * (bounds[:-1] - exact[:-1]) / period)
    total = float(np.sum(fundamental.real ** 2 + fundamental.imag ** 2))
    if total <= 0.0:
        return 0.0
    # theta on a grid 8 times finer than the sequence's own bins (2 pi / K): the largest ordinate to within 1 %
    theta = np.linspace(-2.0 * np.pi * max_offset, 2.0 * np.pi * max_offset, 8 * k + 1)
    ordinates = np.abs(np.exp(-1j * np.outer(theta, np.arange(k))) @ fundamental) ** 2
    return float(ordinates.max()) / (k * total)
