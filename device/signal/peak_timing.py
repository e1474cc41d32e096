"""Sub-sample timing of the systolic peak on the raw PPG, with a noise-adaptive zero-phase low-pass.

The causal band-pass used for picking beats delays and reshapes the pulse, so each beat's systolic peak
is located on the raw signal instead: the raw maximum near the band-passed peak (searched between the
band-passed foot and shortly after the band-passed peak), refined to a fraction of a sample by
band-limited interpolation: the window around it, less the cubic that meets its ends in value and slope
(`end_cubic`; the line through its ends alone left the interpolant ringing by an amount that followed the
sampling phase), is zero-padded in the frequency domain onto a 1 ms grid and the cubic added back; a parabola
through the highest grid points gives the time.

A systolic peak is broad, so white sensor noise moves its maximum by several milliseconds, which
inflates RMSSD. The interpolation therefore also low-passes, with a cutoff chosen from the data: a
running average of the beats' spectra is compared with the noise floor seen in the top fifth of the
band, and content is kept up to the frequency where the pulse no longer stands SNR_MIN above that
floor (Wiener's reasoning, applied with a fixed smooth roll-off). A burst (a moving hand) is forgotten within
a few beats: the running means are held to what the last RECENT_BEATS beats show. A clean or band-limited signal
keeps its full band; a noisy one is smoothed. The filter is zero-phase, so it does not shift the peak.

Timing uncertainty: to first order, noise n(t) moves the maximum of a peak with curvature c by
n'(t0) / c, so the standard deviation of a beat's time is sigma_t = sd(n') / |y''(t0)|. sd(n') comes
from the white noise floor above (its variance, spread over the bins the timing filter keeps, weighted
by (2 pi f)^2), y'' from the interpolated peak itself (`Timing.white_sd_s`).

The top of the band sees white noise only. Noise inside the pulse's own band (pink or brown noise, a
pressure wobble: a pulse in 1/f noise a third of its height was timed to 24-35 ms while this read 4-6 ms)
is taken from the beats themselves, as template-matching signal quality does (Li & Clifford 2012,
doi:10.1088/0967-3334/33/9/1491; Orphanidou et al. 2015, doi:10.1109/JBHI.2014.2338351), here turned into a
timing error: each beat's window (less the line through its ends) is shifted by band-limited interpolation
so that its timed peak sits at the centre, and compared with the sample-wise median of the last
TEMPLATE_BEATS beats so aligned, scaled to it by least squares. Aligned by its peak, a beat whose peak noise
has moved carries that move in its residual as a shift of the whole template: the residual's projection on
the template's slope (both through the timing filter) is the difference between the peak's timing and the
whole beat's (a matched filter's, which noise moves far less), i.e. the peak's timing error, of any colour.
Its mean square over the last TEMPLATE_BEATS beats is `Timing.residual_sd_s`^2. The move to the centre must not
itself depend on where between samples the peak fell: a plain band-limited shift of the window rings across its
ends by an amount that does, along the pulse's slope, and clean slow wide pulses read 5-10x their timing error
(`PeakTimer._centred_beat` moves a cubic through the window's ends exactly and shifts only the rest). Only that
one direction counts: the rest of the residual (a beat's own shape changing, which on real recordings is most of it and
moves no peak) does not.

Noise in the pulse's own band (0.5-4 Hz: waves longer than the peak) moves the whole beat, and so the
template fit, nearly as much as the peak: the shift then shows the difference of two errors that are alike,
and read 1.5-2x low. Both errors are linear in the noise, so the share of the peak's variance that the shift
shows follows from the noise's spectrum, which the residuals (less their shift and least-squares line)
estimate, whatever its level (`PeakTimer._seen_share`); the mean square shift is divided by it. The white
floor at the top of the band is no longer added on (`Timing.sd_s` was the larger of the two): a pulse with a
fast upstroke still has content of its own there at 25 samples/s, which read as noise (2-5x high); the
residual sees white noise as well. It is kept for the first beats (no template yet), for dropping beats
nobody could time (pulse.py, unchanged, so no beat time moved), and, as the larger of the two, where the
pulse's crest is wider than the window and the residual cannot see a shift (NOT_LINE_MIN).

`Timing.sd_s` is what the pipeline's beat quality and HRV's timing-noise rule rest on; it grows as the pulse
sinks toward noise of any colour. On generated pulses (three shapes; white, pink, brown and 0.5-4 Hz noise;
25-100 samples/s) it is within 1.5x of the measured timing error on 91 % of records and within 2x on 98 %
(bench/bench_timing_quality.py --family shapes, unseen seeds; the Gaussian pulse in 0.5-4 Hz noise still
reads about 0.8x); on CapnoBase it still reads some records' beats higher than the timing noise their RMSSD shows
(docs/measurements.md, "Quality means timing").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from device.signal.exact import QuadraticFit, linspace, median
from device.signal.pulse_peaks import PeakCandidate, SampleRing

HALF_WINDOW_S = 0.25  # raw window either side of the peak used for interpolation and spectrum
SEARCH_BEFORE_S = 0.25  # the raw peak lies up to this far before the band-passed one (filter delay)
SEARCH_AFTER_S = 0.1
SMOOTH_S = 0.01  # centred moving average used to find the raw maximum (a no-op up to 100 Hz)
STEP_S = 0.001  # interpolation grid
SEARCH_S = 0.03  # the interpolated maximum is sought this far around the sample maximum
# ... and where the signal still rises past that span's edge, uphill from there to at most this far from the
# sample maximum: a pulse whose top is flat (within a code of the ADC) and ends in a corner, a kinked upstroke
# meeting a steep run-off, has its sample maximum at the top's first sample and its peak at the corner; the
# tester's kinked pulses at 100 samples/s showed tops 3-5 samples (30-50 ms) long. At 25-30 samples/s the
# search span (1.5 samples) already reaches 0.05-0.06 s and there is no climb: with 0.1 s, climbs there moved
# camera beats toward their tall wave (bench_dicrotic --first-seed 200: 260 -> 287 records with an extra beat;
# seen on those seeds, so not a held-out choice).
CLIMB_S = 0.06
CURVATURE_S = 0.03  # the peak's curvature is fitted over this far either side of its maximum
SPECTRUM_ALPHA = 0.1  # weight of a new beat in the running spectrum
# A beat's power counts at most this many times the running spectrum's, bin by bin. Noise power in a bin is
# exponentially distributed, above 10x its mean with probability e^-10 (5e-5): only motion gets there, and a
# 1 s burst 20x the pulse (400x its power) otherwise held the noise floor up, and every beat's timing
# uncertainty with it, for a minute (SPECTRUM_ALPHA per beat), withholding the beats (fresh-clone tester).
# A floor that really rises is still followed: 1.9x per beat at the cap.
SPECTRUM_OUTLIER = 10.0
# ... and the running means themselves (the spectrum, the residuals' spectrum, the end slopes) are held to what the
# last RECENT_BEATS beats show: bin by bin at most SPECTRUM_OUTLIER x their median (the slopes: within their span).
# A burst the cap above only slows still fills the means within a few beats (a hand lasts seconds: at 1.9x a beat
# a sawtooth hand's edges lifted the top-band floor 3000-fold) and they forgot it at SPECTRUM_ALPHA a beat only:
# the white-floor timing estimate read 40-100 ms for 30 s after the hand was still, and every beat of the 45/min
# pulse was dropped as untimeable (TIMING_SD_MAX_S; eighth fresh-clone tester). The median forgets a burst once
# more than half of those beats are past it (5 beats here), leaving at most SPECTRUM_OUTLIER x the quiet level
# (sqrt 10: 3.2x the white-floor timing estimate, then falling at SPECTRUM_ALPHA a beat). On white noise, whose
# power per bin is exponential, the median of 9 falls below a tenth of the running mean in 2e-4 of bins and beats
# (simulated; 7 beats: 9e-4, 11: 5e-5), so the bound leaves a steady signal's means, and its beat times, as they
# were. Odd, so that the median is one of the beats' values.
RECENT_BEATS = 9
NOISE_BAND = 0.8  # the top (1 - NOISE_BAND) of the band gives the noise floor
SNR_MIN = 3.0  # content is kept while the pulse power stands this far above the noise floor
MIN_CUTOFF_HZ = 4.0  # never smooth below this (a systolic upstroke needs it)
ROLL_OFF_ORDER = 4  # gain 1 / (1 + (f / cutoff)^(2 x order)): smooth, no ringing
TEMPLATE_BEATS = 5  # the residual's template is the median of this many recent beats (odd)
# The shift a beat's residual shows is its peak's timing error less the template fit's own (noise of the beat's
# own band moves both alike: module docstring); the ratio of the two variances, predicted from the residuals'
# spectrum, is capped here: near it the residual no longer sees the error at all (a noise shaped like the pulse).
SEEN_SHARE_MIN = 0.1
# Where the pulse's top is wider than the timing window (a slow pulse with a broad crest: a 35-50/min Gaussian or
# fingertip pulse), the window sees it as nearly a parabola, a shift of which is nearly a line, and a line is what
# each window loses first (less the line through its ends): the residual's shift then shows a fifth to a third of
# the peak's real timing error (a 45/min fingertip pulse with 1 % white noise: 2.6 ms read for 11 ms), and HRV showed
# RMSSDs of 10-30 ms for a perfectly regular pulse (fresh-clone tester 7). Below this share of the template slope's
# energy left once its least-squares line is out, the white-floor estimate counts as well, the larger of the two (it
# read such beats at 0.8-1.3x their error at 35-50/min, but 2-3x low at 30-34/min: docs/measurements.md). The
# share on generated pulses: 0.19-0.30 at 35/min, 0.47-0.54 at 50-70/min, 0.75-1.0 at 100/min and up
# (two shapes, 25/50/100 samples/s); CapnoBase (medians of every third record, 25 and 100 samples/s): 0.67 and
# up, so the rule leaves real recordings nearly as they were (a few 25 Hz beats fall under it). Half is the round
# figure between; chosen on seed 1 and tester seeds 1001-1072, unseen seeds in docs/measurements.md.
NOT_LINE_MIN = 0.5
END_SLOPE_S = 0.05  # a window's end slopes, for moving it to its peak, are least-squares slopes over this span
# A window's end slopes, for the cubic taken out before timing it (end_cubic), are those of the least-squares cubic
# through the samples of this span at each end, and never fewer than END_FIT_POINTS (the fewest a cubic needs:
# at 25 samples/s they span 0.16 s). Chosen on the regular-pulse tests' seeds (tests/device/signal/
# test_regular_slow_pulse.py, seeds 0-2 and 100-102) and a noise-free phase sweep: 0.16 s left 3-15x more
# noise-free error at 50-100 samples/s (a fingertip pulse at 60/min and 50 samples/s: 1.0 ms peak to peak for
# 0.07); matching the ends' curvatures as well (a quintic, curvatures from the same fits) carried the fits' noise
# into the peak (RMSSDs of 23-37 ms shown for a regular slow pulse in 1 % white noise).
END_FIT_S = 0.08
END_FIT_POINTS = 4


@lru_cache(maxsize=8)
def end_cubic(n: int, up: int, q: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The cubic that meets a window of n samples at both ends in value and slope (Hermite), each end's slope that
    of the least-squares cubic through its q samples: as linear maps from the window's 2 q end samples (its first
    q, then its last q) to the cubic's values at the n samples, (n, 2 q), and on the grid of `up` points per sample
    from the first, (n up, 2 q). Read-only. Requires 4 <= q <= n / 2.

    Why (docs/measurements.md, "Beat timing at 25-50 samples/s"): interpolating a window by zero-padding its
    spectrum treats it as one period of a periodic signal; less only the line through its ends, its values meet
    across the wrap but its slopes do not, and the interpolant rings into the window's middle by an amount that
    depends on where the samples fall on the pulse (the sampling phase). A regular pulse walks through the phases
    from beat to beat, and the ringing became a periodic timing error: 2-8 ms peak to peak for a fingertip pulse
    at 30-60/min and 25 samples/s, 1.3-3.6 ms at 50, 1 ms for a Gaussian one at 25. Less this cubic the rest meets
    itself across the wrap in value and nearly in slope, and the ringing is 5-50x smaller.
    """
    h = float(n - 1)
    fit = np.linalg.pinv(np.vander(np.arange(q, dtype=float), 4, increasing=True))  # (4, q): the fit's coefficients
    ends = np.zeros((4, 2 * q))  # value and slope at x = 0, then at x = h, per end sample
    ends[0, 0] = 1.0  # the end sample itself
    ends[1, :q] = fit[1] * h  # slope per window length (the cubic's variable u = x / h)
    ends[2, -1] = 1.0
    ends[3, q:] = -fit[1][::-1] * h  # the last end read backwards (x = 0 at its last sample): the slope's sign flips

    def hermite(u: NDArray[np.float64]) -> NDArray[np.float64]:
        """The Hermite basis at u (len(u), 4): value at 0, slope at 0, value at 1, slope at 1."""
        u2, u3 = u * u, u * u * u
        return np.stack((2 * u3 - 3 * u2 + 1, u3 - 2 * u2 + u, -2 * u3 + 3 * u2, u3 - u2), axis=1)

    at_samples = hermite(np.arange(n, dtype=float) / h) @ ends
    on_grid = hermite(np.arange(n * up, dtype=float) / (up * h)) @ ends
    at_samples.setflags(write=False)
    on_grid.setflags(write=False)
    return at_samples, on_grid


class RecentRows:
    """The last `count` rows pushed (each a 1-D array of one length), for a robust bound on a running mean."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._rows: NDArray[np.float64] | None = None
        self._seen = 0

    def reset(self) -> None:
        """Forget every row."""
        self._rows = None
        self._seen = 0

    def push(self, row: NDArray[np.float64]) -> None:
        """Keep `row` (copied) in place of the oldest."""
        if self._rows is None:
            self._rows = np.zeros((self._count, len(row)))
        self._rows[self._seen % self._count] = row
        self._seen += 1

    def _held(self) -> NDArray[np.float64]:
        assert self._rows is not None, "push first"
        return self._rows[:min(self._seen, self._count)]

    def median(self) -> NDArray[np.float64]:
        """Column-wise median of the rows held: (len(row),). Requires a row pushed."""
        held = self._held()
        if len(held) % 2:
            middle = len(held) // 2
            return np.asarray(np.partition(held, middle, axis=0)[middle], dtype=np.float64)
        return np.asarray(np.median(held, axis=0), dtype=np.float64)

    def span(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Column-wise minimum and maximum of the rows held. Requires a row pushed."""
        held = self._held()
        return held.min(axis=0), held.max(axis=0)


def bounded_mean(mean: NDArray[np.float64], recent: RecentRows) -> None:
    """Hold the running mean of non-negative powers `mean` (in place) to at most SPECTRUM_OUTLIER x the bin-wise median
    of the recent beats' (RECENT_BEATS), which must already hold the latest."""
    np.minimum(mean, SPECTRUM_OUTLIER * recent.median(), out=mean)


@dataclass(frozen=True)
class Timing:
    """Where a systolic peak is, and how well that is known."""

    index: float  # sub-sample index of the raw systolic peak
    sd_s: float  # estimated standard deviation of its time, s (inf if no curvature): residual_sd_s once the
    #             template has formed, white_sd_s before it
    white_sd_s: float = 0.0  # from the white noise floor at the top of the band alone
    residual_sd_s: float = 0.0  # from the beat's residual against the recent beats' template (0: no template yet)


class PeakTimer:
    """Times systolic peaks on the raw ring buffer; learns the noise-adaptive cutoff as beats arrive."""

    def __init__(self, fs_hz: float) -> None:
        self.fs_hz = fs_hz
        self.half = max(round(HALF_WINDOW_S * fs_hz), 3)
        self.n = 2 * self.half + 1
        self._freqs_hz = np.fft.rfftfreq(self.n, 1.0 / fs_hz)
        self._taper = np.hanning(self.n)
        self._mean_power: NDArray[np.float64] | None = None
        self._gain: NDArray[np.float64] = np.ones(len(self._freqs_hz))
        self._taper_energy = float(np.sum(self._taper**2))
        self._omega2 = (2 * np.pi * self._freqs_hz) ** 2
        self._noise_var = 0.0  # white-noise variance per sample, from the latest beat's top band
        self._last_curvature = 0.0
        self.cutoff_hz: float | None = None  # None: full band kept
        self._before = round(SEARCH_BEFORE_S * fs_hz)
        self._after = round(SEARCH_AFTER_S * fs_hz)
        self._smooth = round(SMOOTH_S * fs_hz) | 1
        self._up = max(1, int(np.ceil(1.0 / (STEP_S * fs_hz))))
        self._reach = max(1.5, SEARCH_S * fs_hz)
        top = self._freqs_hz >= NOISE_BAND * self._freqs_hz[-1]
        self._top = slice(int(np.argmax(top)), len(top))  # the top band's bins (a mask that ends the array)
        self._not_top_from_min = (self._freqs_hz >= MIN_CUTOFF_HZ) & ~top
        self._quadratic = QuadraticFit()
        self._aligned = np.zeros((TEMPLATE_BEATS, self.n))  # the recent beats, peak-centred, a ring of rows
        self._seen = 0  # beats written into it since the last reset
        self._spectrum: NDArray[np.complex128] = np.zeros(len(self._freqs_hz), dtype=complex)  # last window's
        self._segment: NDArray[np.float64] = np.zeros(self.n)  # last window's samples
        self._end_slopes: NDArray[np.float64] | None = None  # running mean of the windows' end slopes, per sample
        self._end_points = max(3, round(END_SLOPE_S * fs_hz) | 1)
        self._fit_points = max(END_FIT_POINTS, round(END_FIT_S * fs_hz))
        ends = np.arange(self._end_points, dtype=float) - (self._end_points - 1) / 2.0
        self._end_weights = ends / float(np.dot(ends, ends))  # a least-squares slope per sample
        self._shifts = np.zeros(TEMPLATE_BEATS)  # squared shifts of the last beats' residuals, s^2
        self._d_dt = 2j * np.pi * self._freqs_hz  # d/dt, per bin
        self._shift = 2j * np.pi * np.arange(len(self._freqs_hz)) / self.n  # phase per sample of shift, per bin
        # d/dt at the window's centre, per bin: a real signal's slope there is (2 / n) Re sum of this x spectrum
        self._d_dt_centre = self._d_dt * np.exp(self._shift * self.half)
        self._centred = np.arange(self.n, dtype=float) - self.half
        self._residual_power: NDArray[np.float64] | None = None  # running spectrum of the residuals (unexplained)
        self._not_line_share = 1.0  # of the latest template's slope, the energy share that is not a line (NOT_LINE_MIN)
        # the recent beats' spectra, residual spectra and end slopes, that hold the running means (RECENT_BEATS)
        self._recent_power = RecentRows(RECENT_BEATS)
        self._recent_residual = RecentRows(RECENT_BEATS)
        self._recent_slopes = RecentRows(RECENT_BEATS)

    @property
    def reach_before(self) -> int:
        """Samples before a band-passed peak that timing may read."""
        return self._before + self.half

    @property
    def reach_after(self) -> int:
        """Samples after a band-passed peak that timing may read."""
        return self._after + self.half + 1

    def reset(self) -> None:
        self._noise_var = 0.0
        self._not_line_share = 1.0
        self._seen = 0
        self._residual_power = None
        self._end_slopes = None
        self._mean_power = None
        self._recent_power.reset()
        self._recent_residual.reset()
        self._recent_slopes.reset()
        self._gain[:] = 1.0
        self.cutoff_hz = None

    @property
    def has_template(self) -> bool:
        """The next beat timed will be set against the recent beats' template (TEMPLATE_BEATS seen since the
        last reset); before that its uncertainty is the white floor alone."""
        return self._seen >= TEMPLATE_BEATS

    def peak_index(self, raw: SampleRing, peak: PeakCandidate) -> float | None:
        """Sub-sample index of the raw systolic peak that goes with `peak`, or None if there is none."""
        timing = self.time_peak(raw, peak)
        return None if timing is None else timing.index

    def time_peak(self, raw: SampleRing, peak: PeakCandidate) -> Timing | None:
        """The raw systolic peak that goes with `peak` and its timing uncertainty, or None if there is none.

        None when the raw maximum sits at the edge of its search span (no clear peak there).
        """
        k = peak.index
        first = max(peak.foot_index, k - self._before, raw.start + 1)
        stop = min(k + self._after + 1, raw.end - 1)
        if stop - first < 3:
            return None
        lo, hi = max(raw.start, first - self.half), min(raw.end, stop + self.half)
        window = raw.view(lo, hi)
        search = window[first - lo:stop - lo]
        if self._smooth > 1:
            kernel = np.full(self._smooth, 1.0 / self._smooth)
            search = np.convolve(window, kernel, mode="same")[first - lo:stop - lo]
        m = int(np.argmax(search))
        if m in (0, len(search) - 1):
            return None
        m += first - lo
        a, b = m - self.half, m + self.half + 1
        if a >= 0 and b <= len(window):
            segment = window[a:b]
            self._learn(segment)
            gain = self._gain
        else:  # at the very start or end of a stream: a shorter window, full band
            a, b = max(0, a), min(len(window), b)
            segment = window[a:b]
            gain = np.ones(len(segment) // 2 + 1)
        local = self._interpolated_argmax(segment, m - a, gain)
        index = lo + a + local
        white = self._timing_sd_s(gain, len(segment))
        residual = self._residual_sd_s(local, gain) if len(segment) == self.n else 0.0
        # the residual is blind to a shift its window cannot tell from a line: then the white floor counts too
        blind = self._not_line_share < NOT_LINE_MIN
        return Timing(index, residual if residual > 0.0 and not blind else max(residual, white), white, residual)

    def _residual_sd_s(self, peak: float, gain: NDArray[np.float64]) -> float:
        """Timing uncertainty from what sets this beat apart from the recent ones (module docstring), s.

        `peak`: the timed peak's fractional index in the window; `gain`: the timing filter's. The beat
        (less the line through its ends) is moved so that its peak sits at the window's centre
        (`_centred_beat`: a cubic through its ends exactly, the rest by band-limited interpolation); the template is the
        sample-wise median of the last TEMPLATE_BEATS beats so aligned, scaled to this beat by least
        squares. The residual's least-squares shift along the template's slope, both through `gain` (in
        the frequency domain, by Parseval), squared and averaged over the last TEMPLATE_BEATS beats,
        divided by the template's own share of noise (1 + pi / (2 TEMPLATE_BEATS): a median of K Gaussian
        samples has about pi / (2 K) of one's variance). 0 until TEMPLATE_BEATS beats have been seen; inf
        when the peak has no curvature.
        """
        if self._last_curvature <= 0.0:
            return float("inf")
        aligned = self._centred_beat(peak - self.half)
        spectrum = np.fft.rfft(aligned)
        sd_s = 0.0
        if self._seen >= TEMPLATE_BEATS:
            middle = TEMPLATE_BEATS // 2  # TEMPLATE_BEATS is odd: the median is one of the beats' samples
            template = np.fft.rfft(np.partition(self._aligned, middle, axis=0)[middle])
            # inner products of the n samples from one-sided spectra (Parseval; n is odd: every bin but DC
            # stands for two); the template's ramp is gone, so its DC bin holds only its mean
            t0 = template[0].real
            energy = 2.0 * np.vdot(template, template).real - t0 * t0
            scale = (2.0 * np.vdot(template, spectrum).real - t0 * spectrum[0].real) / energy if energy > 0 else 0.0
            filtered = template * gain
            slope = filtered * self._d_dt  # its DC bin is 0
            self._not_line_share = self._share_not_line(slope)
            norm = 2.0 * scale * np.vdot(slope, slope).real
            # the residual (spectrum - scale x template) x gain, projected on the slope
            shift_s = 2.0 * np.vdot(slope, spectrum * gain - scale * filtered).real / norm if norm > 0 else 0.0
            self._shifts[self._seen % TEMPLATE_BEATS] = shift_s * shift_s  # the first lands at 0
            known = self._shifts[:min(self._seen - TEMPLATE_BEATS + 1, TEMPLATE_BEATS)]
            unexplained = np.asarray(spectrum * gain - scale * filtered - shift_s * scale * slope, dtype=np.complex128)
            seen = self._seen_share(unexplained, slope, scale)
            sd_s = float(np.sqrt(float(np.mean(known)) / (1.0 + np.pi / (2.0 * TEMPLATE_BEATS)) / seen))
        self._aligned[self._seen % TEMPLATE_BEATS] = aligned
        self._seen += 1
        return sd_s

    def _share_not_line(self, slope: NDArray[np.complex128]) -> float:
        """Of `slope` (one-sided spectrum of the template's slope in its window), the share of its energy that is
        left once its least-squares line (in time) is taken out: 0..1, 1 when it has no energy (NOT_LINE_MIN)."""
        x = np.fft.irfft(slope, self.n)
        total = float(np.dot(x, x))
        if total <= 0.0:
            return 1.0
        c = self._centred
        x -= float(np.mean(x)) + c * (float(np.dot(c, x)) / float(np.dot(c, c)))
        return float(np.dot(x, x)) / total

    def _centred_beat(self, offset: float) -> NDArray[np.float64]:
        """The last timed window moved by `offset` samples (its peak to the centre), less the line through its ends
        (moved with it).

        A fractional shift by band-limited interpolation treats the window as one period of a periodic signal;
        less the line through its ends its values meet across the wrap, but its slopes do not (a wide pulse
        still falls steeply at +-HALF_WINDOW_S), and the trigonometric interpolant then rings by an amount that
        depends on the fraction: noise-free beats that fall at different sub-sample phases differ, and the
        difference lies along the pulse's slope (a clean 40/min Gaussian pulse at 25 samples/s: 9 ms of
        apparent shift for 0.6 ms of timing error). So a cubic that meets the window's end values and end slopes
        (Hermite) is taken out first and moved exactly, and only the rest, which meets itself across the wrap in
        value and nearly in slope, is moved by interpolation. Any cubic moved exactly is right; it only has to
        take the slopes nearly out, so they are a running mean (SPECTRUM_ALPHA per beat, held within the span of
        the last RECENT_BEATS beats' so a hand is soon forgotten) of least-squares slopes over END_SLOPE_S: this
        beat's own carried its noise into the moved window's ends, and white noise then read 1.1-1.2x higher than
        with the plain shift.
        """
        seg = self._segment
        n = self.n
        h = float(n - 1)
        y0, y1 = float(seg[0]), float(seg[-1])
        q = self._end_points  # end slopes per sample, then per window length (the cubic's variable)
        slopes = np.array([float(np.dot(self._end_weights, seg[:q])), float(np.dot(self._end_weights, seg[-q:]))])
        self._recent_slopes.push(slopes)
        if self._end_slopes is None:
            self._end_slopes = slopes
        else:
            self._end_slopes += SPECTRUM_ALPHA * (slopes - self._end_slopes)
            np.clip(self._end_slopes, *self._recent_slopes.span(), out=self._end_slopes)
        d0, d1 = float(self._end_slopes[0]) * h, float(self._end_slopes[1]) * h

        def cubic(u: NDArray[np.float64]) -> NDArray[np.float64]:
            u2, u3 = u * u, u * u * u
            return np.asarray((2 * u3 - 3 * u2 + 1) * y0 + (u3 - 2 * u2 + u) * d0 + (-2 * u3 + 3 * u2) * y1
                              + (u3 - u2) * d1, dtype=np.float64)

        index = np.arange(n, dtype=float)
        rest = np.fft.rfft(seg - cubic(index / h)) * np.exp(self._shift * offset)
        moved = np.fft.irfft(rest, n) + cubic((index + offset) / h)
        return np.asarray(moved - linspace(moved[0], moved[-1], n), dtype=np.float64)

    def _seen_share(self, unexplained: NDArray[np.complex128], slope: NDArray[np.complex128], scale: float) -> float:
        """The share of the peak's timing variance that the residual's shift shows, predicted from the noise.

        `unexplained`: this beat's filtered residual less its shift (one-sided spectrum); `slope`: the
        template's slope through the timing filter; `scale`: the template's fit to the beat. Noise n moves the
        peak by e = n'(0) / c (c the peak's curvature) and the template fit by m = <slope, n> / (scale
        |slope|^2); the residual's shift is e + m (the beat is aligned at its peak, the template at the recent
        ones'). White noise barely moves the fit (var m << var e); noise in the pulse's own band (0.5-4 Hz:
        a wave longer than the peak) moves both alike, m close to -e, and the shift shows only part of e.
        Both are linear in n, so for noise of power spectrum P (per one-sided bin: var of 2/n Re sum a_k N_k
        is 2 / n^2 sum |a_k|^2 P_k; covariances alike) the share var(e + m) / var(e) follows from P alone,
        whatever its level: P is the running mean (SPECTRUM_ALPHA; at most SPECTRUM_OUTLIER x the median of the last
        RECENT_BEATS beats') of what the residual leaves unexplained,
        less its least-squares line first (the window's ramp is taken through its two end samples, whose
        noise then stands in the residual as a line that is no noise inside the window). Kept in
        [SEEN_SHARE_MIN, inf); 1 before any residual.
        """
        line = np.fft.irfft(unexplained, self.n)
        line -= float(np.mean(line))
        c = self._centred
        line -= c * (float(np.dot(c, line)) / float(np.dot(c, c)))
        rest = np.fft.rfft(line)
        power = rest.real**2 + rest.imag**2
        power[0] = 0.0
        self._recent_residual.push(power)
        if self._residual_power is None:
            self._residual_power = power
        else:
            self._residual_power += SPECTRUM_ALPHA * (power - self._residual_power)
            bounded_mean(self._residual_power, self._recent_residual)
        p = self._residual_power
        curvature = self._last_curvature
        slope_energy = 2.0 * float(np.vdot(slope, slope).real)
        if curvature <= 0.0 or scale == 0.0 or slope_energy <= 0.0:
            return 1.0
        var_e = 2.0 / self.n**2 * float(np.dot(self._omega2, p)) / curvature**2
        if var_e <= 0.0:
            return 1.0
        fit = scale * slope_energy
        var_m = 2.0 * float(np.dot(slope.real**2 + slope.imag**2, p)) / fit**2
        cov = 2.0 / self.n * float(np.dot((self._d_dt_centre * slope).real, p)) / (curvature * fit)
        return max(SEEN_SHARE_MIN, (var_e + var_m + 2.0 * cov) / var_e)

    def _timing_sd_s(self, gain: NDArray[np.float64], n: int) -> float:
        """sd(n') / |y''| at the last interpolated peak (module docstring), seconds."""
        if self._last_curvature <= 0.0:
            return float("inf")
        omega2 = self._omega2 if n == self.n else (2 * np.pi * np.fft.rfftfreq(n, 1.0 / self.fs_hz)) ** 2
        g = gain if len(gain) == len(omega2) else np.ones(len(omega2))
        # white noise of variance v has E|X_k|^2 = n v per rfft bin; its derivative's variance is
        # (2 / n^2) sum over one-sided bins of (2 pi f)^2 |X_k|^2 g_k^2
        slope_var = 2.0 * self._noise_var / n * float(np.dot(omega2, g * g))
        return float(np.sqrt(slope_var)) / self._last_curvature

    def _learn(self, segment: NDArray[np.float64]) -> None:
        """Fold this beat's spectrum into the running one (capped at SPECTRUM_OUTLIER x it, and the result held to
        SPECTRUM_OUTLIER x the median of the last RECENT_BEATS beats') and update the cutoff."""
        ramp = linspace(segment[0], segment[-1], self.n)
        spectrum = np.fft.rfft((segment - ramp) * self._taper)
        power = spectrum.real**2 + spectrum.imag**2
        self._recent_power.push(power)
        if self._mean_power is None:
            self._mean_power = power
        else:
            power = np.minimum(power, SPECTRUM_OUTLIER * self._mean_power)
            self._mean_power += SPECTRUM_ALPHA * (power - self._mean_power)
            bounded_mean(self._mean_power, self._recent_power)
        freqs = self._freqs_hz
        top_power = self._mean_power[self._top]
        floor = median(top_power)
        # the quietest top bin: at low sample rates a fast pulse's harmonics reach the top band
        self._noise_var = float(top_power.min()) / self._taper_energy
        weak = np.flatnonzero(self._not_top_from_min & (self._mean_power < SNR_MIN * floor))
        if floor <= 0.0 or len(weak) == 0:
            self.cutoff_hz = None
            self._gain[:] = 1.0
            return
        self.cutoff_hz = float(freqs[weak[0]])
        relative = freqs / self.cutoff_hz
        self._gain = np.asarray(1.0 / (1.0 + relative ** (2 * ROLL_OFF_ORDER)), dtype=np.float64)

    def _interpolated_argmax(self, seg: NDArray[np.float64], near: int, gain: NDArray[np.float64]) -> float:
        """Fractional index of the (low-passed, interpolated) maximum of `seg` near index `near`.

        The maximum is sought within SEARCH_S of `near`; where the interpolated signal still rises past that
        span's edge, it is followed uphill (to at most CLIMB_S from `near`) and its local maximum taken if
        higher. The curvature is fitted over CURVATURE_S either side of the maximum, wherever it lies."""
        n = len(seg)
        self._segment = seg
        ramp = linspace(seg[0], seg[-1], n)
        self._spectrum = np.fft.rfft(seg - ramp)
        up = self._up
        # the cubic meeting the window's ends moved out, the rest interpolated: only where the timing filter keeps
        # the whole band (no noise floor found, cutoff_hz None). The cubic is added back unfiltered, so where the
        # filter smooths it would carry the end samples' noise into the peak, past the filter: on noisy 10 s camera
        # records (tests/device/signal/test_heart_rate_spans.py) 5 of 169 rates went more than 5/min off, against 3
        # with the line; and there the noise's timing error is far larger than the sampling phase's (2-8 ms at 25
        # samples/s)
        if n >= 2 * self._fit_points and self.cutoff_hz is None:
            q = self._fit_points
            at_samples, on_grid = end_cubic(n, up, q)
            ends = np.concatenate((seg[:q], seg[-q:]))
            fine = np.fft.irfft(np.fft.rfft(seg - at_samples @ ends) * gain, n * up) * up
            fine += on_grid @ ends
        else:  # too short a window (a stream's first samples): the line through its ends
            fine = np.fft.irfft(self._spectrum * gain, n * up) * up
            fine += seg[0] + (seg[-1] - seg[0]) * np.arange(n * up) / (up * (n - 1))
        lo = max(0, round((near - self._reach) * up))
        hi = min(n * up, round((near + self._reach) * up) + 1)
        j = lo + int(np.argmax(fine[lo:hi]))
        # a flat top ending in a corner (a kinked pulse, or one whose top rounds to the same ADC code for
        # several samples) has its sample maximum at the top's first sample and its peak at the corner,
        # further on: where the signal still rises past the span's edge, the local maximum reached uphill
        # from there is taken if it is higher
        for edge, step in ((hi - 1, 1), (lo, -1)):
            k = edge
            for _ in range(max(0, round((CLIMB_S * self.fs_hz - self._reach) * up))):
                if not 0 <= k + step < len(fine) or fine[k + step] <= fine[k]:
                    break
                k += step
            if k != edge and fine[k] > fine[j]:
                j = k
        delta = 0.0
        if 0 < j < len(fine) - 1:
            y0, y1, y2 = fine[j - 1], fine[j], fine[j + 1]
            denom = y0 - 2.0 * y1 + y2
            if denom < 0:
                delta = 0.5 * (y0 - y2) / denom
        # the peak's curvature, from a parabola over CURVATURE_S either side (a 1 ms second difference
        # would measure the noise's curvature, not the pulse's); at a corner (a kinked pulse) it is the
        # parabola's, which the corner's two slopes set
        w = max(2, round(CURVATURE_S / STEP_S))
        a, b = max(0, j - w), min(len(fine), j + w + 1)
        self._last_curvature = 0.0
        if b - a >= 5:
            def t_s() -> NDArray[np.float64]:
                return (np.arange(a, b) - j) / (up * self.fs_hz)

            if b - a == 2 * w + 1:  # symmetric span: the x^2 coefficient of the least-squares parabola
                squares = t_s() ** 2
                centred = squares - float(np.mean(squares))
                coef = float(np.dot(centred, fine[a:b])) / float(np.dot(centred, centred))
            else:  # np.polyfit's
                coef = self._quadratic.x2_coefficient((a - j, b - j), t_s, fine[a:b])
            self._last_curvature = max(0.0, -2.0 * coef)
        return (j + delta) / up
