"""Heart-rate variability from beats: rolling HR, RMSSD, SDNN, lnRMSSD, pNN50, breathing rate, coherence.

Pure and streaming with bounded memory: `HrvTracker` keeps the beats of the longest window it needs in a
bounded deque and recomputes its figures from that window only; `hrv_metrics` runs the same tracker on
a whole series of beat times (benchmarks, tests). Intervals never cross a gap (lost samples, a beat too
poor to time, a long pause) and are cleaned stretch by stretch with the Lipponen & Tarvainen (2019)
correction (device/signal/intervals.py, device/signal/artifacts.py), so neither a lost nor a bad beat
wrecks a minute of HRV. Time-domain definitions follow the Task Force of the ESC/NASPE (1996,
doi:10.1161/01.CIR.93.5.1043). Coherence and the RSA breathing rate: device/signal/coherence.py.

Figures are withheld (None, with a reason) when the beats behind them would not support them: too few
intervals, beats timed poorly, beats whose timing noise would make up most of the RMSSD
(TIMING_NOISE_MAX_SHARE), too many intervals needing correction, an irregular rhythm (heart
rate is still given on the last two), a moving hand (motion spans from the pulse pipeline: see
MOTION_CLEAR_INTERVALS), or beats that alternate as a diastolic wave taken for a beat makes them (sizes
alternating strictly, or every other interval at a steady delay: ALTERNATING_BEATS, which also flags the heart
rate, HrvMetrics.hr_flag, since it may be twice the heart's), or beats faster than the pulse's own waveform repeats
that are not one heart's beats at that rate (MULTIPLE_OF_RHYTHM, which flags the heart rate too: a slow heart's
later waves or diastolic noise taken for beats). The newest CONFIRM_INTERVALS intervals enter
the HRV figures only once a later beat has let the correction check them.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal import exact
from device.signal.artifacts import MAD_TO_SD, MEDIAN_BEATS, Artifact, correct_intervals
from device.signal.coherence import breathing_rate_bpm, coherence_ratio, hr_swing_bpm
from device.signal.intervals import (
    IRREGULAR_SHARE,
    LOCKED_SPREAD,
    MAX_GAP_S,
    PATTERN_PERIODS,
    RATE_AGREE_FACTOR,
    Stretches,
    artifact_share,
    broken_before,
    locked_means,
    off_rate,
    stretches,
)
from device.signal.peak_timing import TEMPLATE_BEATS
from device.signal.pulse import DRIFT, INTERVAL_AGREEMENT, TIMING_SD_MAX_S, Beat
from device.signal.pulse_motion import MOTION_RATIO
from device.signal.pulse_peaks import ALTERNATION_RATIO, AMP_FRACTION, N_RECENT
from device.signal.pulse_quality import MAX_LAG_S
from device.signal.sampling_phase import phase_height_part, phase_timing_error

__all__ = [
    "HrvMetrics",
    "HrvTracker",
    "coherence_ratio",
    "correct_intervals",
    "heart_rate_bpm",
    "hrv_metrics",
    "time_domain",
]

log = logging.getLogger(__name__)

# Every beat the pulse pipeline reports is used: it already withholds beats it cannot time (TIMING_SD_MAX_S),
# heart rate (a median) does not need fine timing, and HRV is guarded by HRV_MIN_QUALITY over its window (a
# second per-beat cut cost BUT PPG heart-rate coverage, 0.93 -> 0.82, and was removed).
HRV_MIN_QUALITY = 0.5  # HRV withheld when the window's median beat quality is below this
# HRV withheld when the beats' timing noise (Beat.timing_sd_s, device/signal/peak_timing.py) accounts for more
# than this share of the window's mean squared successive difference: the RMSSD shown is then at most
# 1 / sqrt(1 - share) = 1.41 x what the heart's own beats would give (HrvTracker._timing_noise_share), with room
# for the estimate reading 1.2-1.4x low at fast rates. Compared with 3/4 and 1 on CapnoBase half A (RMSSD error
# per 60 s window at 100 Hz 3.53 / 3.79 / 3.85 ms; docs/signal_thresholds.md) and on generated coloured noise
# (issue 7, fault 6: 10 ms of timing noise read as an RMSSD of 20-50 ms; 3/4 let 9 of 188 records past 2x).
TIMING_NOISE_MAX_SHARE = 0.5
# beats after a motion span whose timing estimate the span lifts (a beat's residual is taken against the median
# of the last TEMPLATE_BEATS beats and averaged over as many): left out of the timing-noise share, as beats
# inside the span are, so one moment of motion does not withhold HRV for a whole window (a tester: 35 s)
MOTION_TIMING_BEATS = 2 * TEMPLATE_BEATS
HRV_MIN_INTERVALS = 10  # HRV (and coherence) need at least this many checked intervals in the window
HR_MIN_INTERVALS = 2
# A pattern the heart rate is taken over whole repeats of (pattern_period) shows at each of its positions at least
# this many times: one outlying interval at a position held k times explains 1/k of the variance by itself, and an
# extra beat's two pieces at neighbouring positions about as much, so at 2 one picker error in a 10 s record passed
# intervals.LOCKED_SHARE (half) as a pattern (a 60/min heart with an extra beat read 70.7: a 4-beat "pattern" of 10
# intervals); at 3 it explains a third. The same as Stretches.beat_locked_pattern's 12 intervals for a period of 4.
PATTERN_MIN_REPEATS = 3
HRV_MAX_ARTIFACT_SHARE = 0.3  # more than 3 in 10 intervals corrected: HRV would be the correction's, withheld
COHERENCE_MIN_COVER = 0.9  # share of the coherence window the intervals must cover (gaps excluded)
BREATH_MIN_CONFIDENCE = 1.0 / 3.0  # the peak stands >= 10^1.5 (32) x above the floor: 3x what jitter reached
CONFIRM_INTERVALS = 2  # the newest intervals wait for a later beat before HRV uses them
MIN_IBI_S = 0.25  # 240 beats/min: sizes the bounded beat buffer
BREATH_MIN_SPAN_S = 30.0  # beats needed before a breathing rate is estimated
BREATH_AGREE_PER_MIN = 1.5  # heart-rate and amplitude rhythms this close: one breathing rate
# The amplitude view of breathing reads the beats' amplitudes relative to their median; when their spread (1.4826 x
# the median absolute deviation: the SD of a normal spread, and one odd beat, such as the first after a lock whose
# foot was sought in a shortened span, does not move it) is below this, they carry nothing to read. What sampling
# alone leaves in a beat's amplitude (peak and foot read at the parabola's vertex, pulse.py) on a regular pulse of
# constant height: a spread up to 0.012 (three shapes, 30-220/min in steps of 7.3, 25/50/100 samples/s; the
# steep "sharp" pulse at 25 samples/s; 0.006 or less otherwise); a breathing modulation of 5 % (gain
# 1 + 0.05 sin) spreads 0.052. The floor is about their geometric mean, 2x from each. bench/bench_riav.py.
RIAV_MIN_SPREAD = 0.025
# The heart-rate view's floor, in interval units: coherence.MIN_HR_SD_BPM (0.05 bpm) is 0.8 ms of interval at 60/min
# but 0.08 ms at 200/min, where what sampling leaves in a regular pulse's beat times (sub-sample timing,
# peak_timing.py) made a heart-rate series of 0.1-0.5 bpm SD (0.1-0.75 ms of interval) that repeats every few beats
# and read as a confident breathing rate (bench/bench_riav.py, tuning seeds 0-119: regular pulses at 164-204/min).
# 2.7x the largest of those; a breathing swing of 1 bpm peak to peak at 60/min has an interval SD of 6 ms.
MIN_IBI_SD_MS = 2.0
NN50_MS = 50.0
# Motion (spans from the pulse pipeline, device/signal/pulse_motion.py; HrvTracker.add_motion). Beats near a
# moving hand may be the hand's: part of the motion stays under the pipeline's bar and passes as beats. From a
# span on (until a regular window of beats follows it, or it has left the window and the window passes every
# HRV check), the figures rest on the regular tail: the beats after the last span from which on every
# interval is within the lock's own INTERVAL_AGREEMENT of the one before (a pulse's intervals vary smoothly, a
# hand's picks mostly do not), once it holds MOTION_CLEAR_INTERVALS intervals (about 5 s at 67/min); HRV
# leaves out those first intervals (beats the band-pass still times on the motion's tail) and also needs the
# whole window to pass its checks. Before that every figure is withheld (reason MOTION). Brief motion (spans
# covering under MOTION_SUSTAINED_S of the window) keeps the heart rate of the whole window, less the
# intervals touching a span: a few beats cannot move a median. Both numbers: docs/signal_thresholds.md.
MOTION_CLEAR_INTERVALS = 5
MOTION_SUSTAINED_S = 6.0
# Unsure beats: beats no motion span covers but whose timing the pulse cannot vouch for. A beat timed before the
# peak timer had a template (Beat.before_template: the first TEMPLATE_BEATS of a stream, where only the white floor
# is seen), or one taller than MOTION_RATIO x the median amplitude of the newest UNSURE_NEWEST beats (the motion
# judge's own bar, device/signal/pulse_motion.py, against the pulse's present size: the judge has no reference of
# the pulse's size while the finger lands, and a hand under its bar passes as beats). An eighth fresh-clone
# tester's hands as the finger landed: such picks 100-650 ms off, timed to 0.1-5 ms, RMSSD 50-90 ms shown for a
# true 0. No interval touching one (nor one touching a beat of quality under HRV_MIN_QUALITY) enters RMSSD, SDNN,
# pNN50 or coherence; every check that withholds HRV is still made on all the intervals, and the heart rate counts
# them all.
UNSURE_NEWEST = N_RECENT  # the picker's own count of recent beats for its amplitude reference
# The oldest beats held are judged by the interval correction from one side only (it weighs each interval against
# the 11-beat median around it, artifacts.MEDIAN_BEATS): a calm 35/min heart's premature beat cut from its pause at
# the held beats' edge was repaired to 1838 ms beside 1702 ms ones, inside the window, RMSSD 24.0 ms shown for a true
# 5.2 with every reason null (a fresh-clone tester). Once older beats have been let go, an interval the correction
# changed (labelled) that ends within the first EDGE_BEATS beats held does not enter the HRV figures; every check
# still sees it. (Holding more beats before the span instead changed what the correction's pattern checks see: a
# bigeminy under a breath every fourth beat was shown as regular; marking those beats unsure re-ran the correction
# with a new edge after them.)
EDGE_BEATS = MEDIAN_BEATS // 2

# Why a figure is withheld (HrvMetrics.hr_reason / hrv_reason); the device adds its own (no finger...).
INSUFFICIENT_BEATS = "insufficient_beats"
LOW_QUALITY = "low_quality"
FREQUENT_ARTIFACTS = "frequent_artifacts"
IRREGULAR_RHYTHM = "irregular_rhythm"
WEAK_BEAT = "weak_beat"
TIMING_NOISE = "timing_noise"  # the beats' timing noise would make up half the RMSSD^2 or more (TIMING_NOISE_MAX_SHARE)
MOTION = "motion"  # a moving hand: no regular run of beats since the last motion span (see MOTION_CLEAR_INTERVALS)
# many beats had a second beat-sized maximum inside their refractory window at a steady gap (HIDDEN_SHARE): the
# picker takes one beat of two or more, the rate may be a fraction of the heart's. Withholds HRV, coherence and
# breathing (hrv_reason) and flags the heart rate shown (HrvMetrics.hr_flag)
HIDDEN_BEATS = "hidden_beats"
# every other beat smaller (ALTERNATION_RUN, ALTERNATION_DEPTH): a diastolic wave at half the interval read as a
# beat, or a pulsus alternans; the beats cannot tell which, so the rate may be twice the heart's. Withholds HRV,
# coherence and breathing (hrv_reason) and flags the heart rate shown (HrvMetrics.hr_flag).
ALTERNATING_BEATS = "alternating_beats"
# A run of this many beats in the window whose sizes alternate strictly, every smaller one (one parity) below
# every larger one (the other) ... Independent sizes (a regular pulse in noise, of any spread) fall so by chance
# with probability 2 x 10! 10! / 20! (the larger half of 20 values all on one parity), 1.1e-5 per run: 12 beats
# (2 x 6! 6! / 12!, 1 in 460, over the dozens of runs a window holds) let noisy regular pulses through in tests.
# A wave taken for a beat alternates for as long as it is taken: runs of 30-99 in bench/bench_wave_half.py.
ALTERNATION_RUN = 20
# ... and whose smaller beats' median amplitude is at most this share of the larger ones'. What sampling alone
# leaves in a regular pulse's amplitudes is a spread up to 0.012 (RIAV_MIN_SPREAD's comment), and a train whose
# interval is a whole number and a half of samples alternates its sampling phase beat by beat (120/min at 25
# samples/s: a run of 20 at a depth of 0.999); a wave taken for a beat measured 0.64-0.95 (the band-pass's
# high-pass brings the sizes closer than on the raw pulse). Chosen on bench_wave_half seeds 0-1.
ALTERNATION_DEPTH = 0.97
# A wave keeps its delay after its beat: where the picker takes it for a beat, every other interval (beat to wave)
# stays as steady as the timing allows while the others (wave to the next beat) carry all of the heart's own
# variation, whether or not the sizes alternate (a wave 0.8 tall at half a 30/min interval measures as tall as its
# beat on the band-pass). Over the longest unbroken run of the window's intervals (at least PARITY_MIN_INTERVALS),
# the median absolute successive difference of one parity's intervals at most this share of the other's. A
# heart's own intervals, an alternans's included, vary alike on both parities. On bench_wave_half seed 0 (24
# intervals): picks of a doubled rate 0.02-0.32, a rate read right 0.42-1.0 where half of it would still be a
# heart rate (at 30/min read right, 0.25-0.59: judged only where the pair of intervals is at most MAX_LAG_S).
# Chosen on seeds 0-1.
STEADY_PARITY_SHARE = 0.35
# Where noise hides a strict run (a tenth of the pulse's height in white noise: the sizes' noise is as large as
# the alternation), the alternation still shows as a mean: alternation_statistic's t of at least this over the
# longest run of at least ALTERNATION_MIN_BEATS known sizes (same depth bound) is alternating beats too. Set from
# the null, not the waves: for 40 independent sizes of any spread, 20000 draws gave t above 4.9 in 1 in 10^4
# and at most 5.7; one outlying beat gives t of about 1. On real recordings (check_hrv_same, 294 runs, 65327
# readings) it changes nothing; bench_wave_half --noise 0.1 seed 0: doubled and unflagged 33 -> 21 of 1080.
ALTERNATION_T = 6.0
ALTERNATION_MIN_BEATS = ALTERNATION_RUN
PARITY_MIN_INTERVALS = 16  # eight of each parity: seven successive differences each
# ... and the steady parity's spread at most this many times the beats' median timing error (Beat.timing_sd_s;
# the rule is not asked where it is not known): a wave's delay varies only by the two picks' timing errors (the
# median absolute difference of two errors of SD s is 0.95 s), while breathing at exactly a quarter of the heart
# rate (15/min at 60/min) swings the intervals with a period of four beats, which can leave one parity steady to
# within the heart's own beat-to-beat variation (7 % of generated sinus rhythms, tests/device/signal/
# synthetic_rr.py, without this bound). Three: a first bound, not tuned.
STEADY_TIMING_FACTOR = 3.0
# Two beats in one refractory window (Beat.hidden_gap_s, pulse_peaks.BeatPicker._hides_a_beat): where at least this
# share of the window's beats carry one, at gaps steady within HIDDEN_SPREAD, the picker is taking one beat of two or
# more: a fast pattern of premature beats read at a third or a quarter (the replaced beat comes one sinus interval
# before the pick each time). Its intervals are the pattern's period, regular, so nothing else here withholds HRV.
# HRV, coherence and breathing are withheld (HIDDEN_BEATS) and the heart rate flagged. Chosen on bench_fast_pattern
# seed 0 (patterns read at a third carry one on 0.1-1.0 of their beats, right ones at most 0.04), bench_wave_half
# seeds 0-1 (a tall late wave replaced by the next beat: at most 0.14) and slow noisy camera pulses (noise 0.2 at
# 35/min: up to 0.49, at gaps spread 0.07-0.36); seeds 1-3 unseen (docs/measurements.md).
HIDDEN_SHARE = 0.25
# ... the gaps' median absolute deviation at most this share of their median: the replaced beats of a pattern come a
# sinus interval before the pick (2 % beat-to-beat noise; 0.02-0.05 measured, whole-sample picks); a noisy camera
# pulse's bumps anywhere in the window (0.07-0.36)
HIDDEN_SPREAD = 0.06
HIDDEN_MIN_BEATS = 3  # a spread of fewer gaps says nothing
# the rate shown is faster than the pulse repeats (Beat.repeat_s, the lock's autocorrelation interval) and the beats
# are not one heart's at that rate (faster_than_repeat): a slow heart's later waves or its diastole's noise taken for
# beats. Withholds HRV, coherence and breathing (hrv_reason) and flags the heart rate shown (HrvMetrics.hr_flag)
MULTIPLE_OF_RHYTHM = "multiple_of_rhythm"


@dataclass(frozen=True)
class HrvMetrics:
    """Figures over the rolling windows, as of the newest beat; None where withheld (see the reasons)."""

    t_s: float  # sensor time of the newest beat used (0.0 when there is none)
    hr_bpm: float | None
    rmssd_ms: float | None
    sdnn_ms: float | None
    ln_rmssd: float | None
    pnn50_pct: float | None
    breath_rate_bpm: float | None  # from the heart's respiratory rhythm (RSA), when confident
    hr_swing_bpm: float | None  # mean over recent breaths of HR max - min per breath
    coherence: float | None  # HeartMath coherence ratio, updated every coherence_update_s
    n_beats: int
    artifact_pct: float  # share of intervals corrected in the window
    hr_reason: str | None = None  # why hr_bpm is None (None when it is given)
    hrv_reason: str | None = None  # why RMSSD, SDNN, pNN50, coherence and breathing are None
    irregular: bool | None = None  # rhythm irregular beyond what the correction explains (None: unknown)
    breath_confidence: float | None = None  # 0..1, also when the rate is withheld for want of it
    beat_quality: float | None = None  # median timing quality (0..1) of the window's beats
    # a doubt about hr_bpm when it is given (None otherwise): ALTERNATING_BEATS, it may be twice the heart's rate;
    # HIDDEN_BEATS, a fraction of it; MULTIPLE_OF_RHYTHM, a multiple of it
    hr_flag: str | None = None

    def withheld(self, reason: str) -> HrvMetrics:
        """These metrics with every figure withheld for `reason` (e.g. the finger is gone)."""
        return replace(self, hr_bpm=None, rmssd_ms=None, sdnn_ms=None, ln_rmssd=None, pnn50_pct=None,
                       breath_rate_bpm=None, hr_swing_bpm=None, coherence=None, hr_reason=reason,
                       hrv_reason=reason, hr_flag=None)


def time_domain(ibi_ms: NDArray[np.float64],
                successive_ms: NDArray[np.float64] | None = None) -> dict[str, float]:
    """hr_bpm, rmssd_ms, sdnn_ms, ln_rmssd, pnn50_pct of a series of (clean) intervals in ms.

    `successive_ms`: the successive differences to use (default: np.diff(ibi_ms)); pass those taken
    within gap-free stretches only. hr_bpm is 60000 / the median interval: for a clean series within a
    fraction of a beat per minute of the mean rate, and unmoved by a run of wrong beats that the
    artifact correction could not repair. Raises InputError on fewer than two intervals or non-positive
    ones.
    """
    rr = np.asarray(ibi_ms, dtype=float)
    if rr.ndim != 1 or len(rr) < 2 or not np.isfinite(rr).all() or (rr <= 0).any():
        raise InputError("time_domain needs at least two positive, finite intervals")
    diffs = rr[1:] - rr[:-1] if successive_ms is None else np.asarray(successive_ms, dtype=float)
    if len(diffs) == 0:
        raise InputError("time_domain needs at least one successive difference")
    # numpy's mean, std and median (device/signal/exact.py: the same numbers, less overhead)
    rmssd = math.sqrt(exact.mean(diffs * diffs))
    return {
        "hr_bpm": 60000.0 / exact.median_nan(rr),
        "rmssd_ms": rmssd,
        "sdnn_ms": exact.std(rr, ddof=1),
        "ln_rmssd": math.log(rmssd) if rmssd > 0 else float("-inf"),
        # the mean of a boolean array: the count (exact in float64) over the length
        "pnn50_pct": 100.0 * (np.count_nonzero(np.abs(diffs) > NN50_MS) / len(diffs)),
    }


class HrvTracker:
    """Rolling HRV over the most recent beats (sensor time), fed with the pulse pipeline's beats and gaps."""

    def __init__(self, window_s: float = 60.0, coherence_window_s: float = 64.0,
                 coherence_update_s: float = 5.0) -> None:
        if window_s <= 0 or coherence_window_s <= 0 or coherence_update_s <= 0:
            raise InputError("HRV windows and update period must be positive")
        self.window_s = window_s
        self.coherence_window_s = coherence_window_s
        self.coherence_update_s = coherence_update_s
        self._span_s = max(window_s, coherence_window_s)
        size = math.ceil(self._span_s / MIN_IBI_S) + 8
        self._times: deque[float] = deque(maxlen=size)
        self._pruned = False  # beats older than the span were let go: the oldest held are an edge (EDGE_BEATS)
        self._qualities: deque[float] = deque(maxlen=size)
        self._amplitudes: deque[float] = deque(maxlen=size)
        self._timing_sds: deque[float] = deque(maxlen=size)
        self._phases: deque[float] = deque(maxlen=size)  # Beat.phase: where between samples each beat fell
        self._early: deque[bool] = deque(maxlen=size)  # Beat.before_template
        self._hidden: deque[float] = deque(maxlen=size)  # Beat.hidden_gap_s
        self._repeats: deque[float] = deque(maxlen=size)  # Beat.repeat_s
        self._gaps: deque[tuple[float, float]] = deque(maxlen=size)
        self._motion: deque[tuple[float, float]] = deque(maxlen=size)
        self.reset()

    def reset(self) -> None:
        """Forget all beats (a new person, a new session)."""
        self._times.clear()
        self._pruned = False
        self._qualities.clear()
        self._amplitudes.clear()
        self._timing_sds.clear()
        self._phases.clear()
        self._early.clear()
        self._hidden.clear()
        self._repeats.clear()
        self._gaps.clear()
        self._motion.clear()
        self._motion_end: float | None = None  # end of the last motion span, until a regular window follows it
        self._sustained = False  # since then, spans have covered MOTION_SUSTAINED_S of a window
        self._coherence: float | None = None
        self._coherence_due_s: float | None = None
        self._cached: HrvMetrics | None = None
        self._corrected_key: tuple[object, ...] | None = None
        self._corrected_all = stretches(np.zeros(0), [])
        self._sure_all = self._corrected_all  # the same without the intervals touching unsure beats

    @property
    def newest_beat_s(self) -> float:
        """Time (s) of the newest beat held, whether or not the figures have been recomputed since; -inf
        when none is held."""
        return self._times[-1] if self._times else -math.inf

    def add_gap(self, start_s: float, end_s: float) -> None:
        """Samples from start_s to end_s (sensor time) were lost: no interval will span any of it."""
        if end_s < start_s:
            raise InputError(f"gap ends ({end_s} s) before it starts ({start_s} s)")
        self._gaps.append((float(start_s), float(end_s)))
        self._cached = None

    @property
    def moving(self) -> bool:
        """A motion span has come and no regular window of beats has followed it yet (see _compute)."""
        return self._motion_end is not None

    def add_motion(self, start_s: float, end_s: float) -> None:
        """The pulse pipeline judged start_s..end_s (sensor time) moving (PulseUpdate.motion): no interval
        spans it, and the figures after it rest on a regular run of beats after it (MOTION_CLEAR_INTERVALS).
        Overlapping spans are merged. Counted in artifact_pct as the intervals it covers."""
        if end_s < start_s:
            raise InputError(f"motion span ends ({end_s} s) before it starts ({start_s} s)")
        if self._motion and start_s <= self._motion[-1][1]:
            first, last = self._motion.pop()
            start_s, end_s = min(first, start_s), max(last, end_s)
        self._motion.append((float(start_s), float(end_s)))
        self._motion_end = max(end_s, self._motion_end if self._motion_end is not None else -math.inf)
        moving_s = sum(max(0.0, b - max(a, end_s - self.window_s)) for a, b in self._motion)
        self._sustained = self._sustained or moving_s >= MOTION_SUSTAINED_S
        self._cached = None

    def add_beats(self, beats: Sequence[Beat]) -> None:
        """Add beats in time order (a beat not after the newest is ignored)."""
        for beat in beats:
            if self._times and beat.t_s <= self._times[-1]:
                log.debug("beat at %.3f s is not after %.3f s: ignored", beat.t_s, self._times[-1])
                continue
            self._pruned |= len(self._times) == self._times.maxlen  # the deque lets its oldest go
            self._times.append(beat.t_s)
            self._qualities.append(beat.quality)
            self._amplitudes.append(beat.amplitude)
            self._timing_sds.append(beat.timing_sd_s)
            self._phases.append(beat.phase)
            self._early.append(beat.before_template)
            self._hidden.append(beat.hidden_gap_s)
            self._repeats.append(beat.repeat_s)
            self._cached = None
        while self._times and self._times[-1] - self._times[0] > self._span_s + MAX_GAP_S:
            self._times.popleft()
            self._pruned = True
            self._qualities.popleft()
            self._amplitudes.popleft()
            self._timing_sds.popleft()
            self._phases.popleft()
            self._early.popleft()
            self._hidden.popleft()
            self._repeats.popleft()
        while self._gaps and self._times and self._gaps[0][1] < self._times[0]:
            self._gaps.popleft()
        while self._motion and self._times and self._motion[0][1] < self._times[0]:
            self._motion.popleft()
        self._update_coherence()

    def _stretches(self, span_s: float, sure: bool = True) -> Stretches:
        """The corrected intervals of the last `span_s`, without those touching an unsure beat (`_unsure`)
        unless `sure` is False (the heart rate's fallback); the correction of the beats held is computed once
        for both windows (coherence and figures) until a beat or gap changes them. The beats' times are taken
        less the part that follows their sampling phase, where it is significant over the beats held
        (sampling_phase.phase_timing_error: a sharp pulse's aliased timing error, no heart's rhythm)."""
        key = (len(self._times), self._times[0] if self._times else 0.0, self._times[-1] if self._times else 0.0,
               tuple(self._gaps), tuple(self._motion))
        if self._corrected_key != key:
            times = np.fromiter(self._times, dtype=float)
            spans = [*self._gaps, *self._motion]
            if len(times) > 1:
                times = times - phase_timing_error(times, np.fromiter(self._phases, dtype=float),
                                                   broken_before(times, spans))
            # the pipeline's timing-noise estimates, each at most TIMING_SD_MAX_S (as _timing_noise_share takes them)
            sds = np.minimum(np.fromiter(self._timing_sds, dtype=float), TIMING_SD_MAX_S)
            self._corrected_all = stretches(times, spans, sds)
            # for HRV also the beats timed poorly (quality under HRV_MIN_QUALITY: more than 10 ms uncertain)
            early, tall = self._unsure()
            unsure = times[early | tall | (np.fromiter(self._qualities, dtype=float) < HRV_MIN_QUALITY)]
            self._sure_all = self._corrected_all if not len(unsure) else stretches(
                times, [*spans, *zip(unsure, unsure, strict=True)], sds)
            if self._pruned and len(times) > EDGE_BEATS:
                # corrected intervals at the edge of the beats held, judged from one side (EDGE_BEATS)
                edge = (self._sure_all.ends_s <= times[EDGE_BEATS]) & (self._sure_all.labels != 0)
                self._sure_all = self._sure_all.without(edge)
            self._corrected_key = key
        return (self._sure_all if sure else self._corrected_all).last(span_s)

    def _unsure(self) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Of the beats held, the unsure ones (UNSURE_NEWEST's comment): (early, tall), those timed before the
        template, and those taller than MOTION_RATIO x the median amplitude of the newest UNSURE_NEWEST beats
        (none while fewer are held; beats of unknown amplitude, 0 or less, are not counted)."""
        early = np.fromiter(self._early, dtype=np.bool_)
        amplitudes = np.fromiter(self._amplitudes, dtype=float)
        known = amplitudes[amplitudes > 0.0][-UNSURE_NEWEST:]
        if len(known) < UNSURE_NEWEST:
            return early, np.zeros(len(amplitudes), dtype=np.bool_)
        tall = amplitudes > MOTION_RATIO * float(np.median(known))
        return early, tall

    def _update_coherence(self) -> None:
        if len(self._times) < 3:
            return
        newest = self._times[-1]
        if self._coherence_due_s is None:
            self._coherence_due_s = self._times[0] + self.coherence_window_s
        if newest < self._coherence_due_s:
            return
        self._coherence_due_s = newest + self.coherence_update_s
        self._cached = None
        window = self._stretches(self.coherence_window_s)
        covered_s = float(window.ibi_ms.sum()) / 1000.0
        if len(window.ibi_ms) < HRV_MIN_INTERVALS or covered_s < COHERENCE_MIN_COVER * self.coherence_window_s:
            self._coherence = None  # too much of the window lost: no spectrum to trust
            return
        if self._motion_end is not None and self._motion_end > newest - self.coherence_window_s:
            self._coherence = None  # beats near a moving hand may be the hand's
            return
        self._coherence, _ = coherence_ratio(window.ends_s, window.ibi_ms)

    def tachogram(self, span_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """(beat times s, IBIs ms) of the corrected intervals ending within `span_s` of the newest beat: the
        intervals coherence reads (never across a gap; at most the span this tracker keeps, the longer of
        its two windows). `ibi_ms[i]` ends at beat `times[i]`. None when HRV is withheld (see
        HrvMetrics.hrv_reason), so nothing is read from beats the figures would not trust."""
        if span_s <= 0:
            raise InputError(f"tachogram span must be positive, not {span_s!r} s")
        if not self._times or self.metrics().hrv_reason is not None:
            return None
        window = self._stretches(span_s)
        return window.ends_s.copy(), window.ibi_ms.copy()

    def metrics(self) -> HrvMetrics:
        """Figures over the last window_s of beats (None, with a reason, where withheld)."""
        if self._cached is None:
            self._cached = self._compute()
        return self._cached

    def _compute(self) -> HrvMetrics:
        newest = self._times[-1] if self._times else 0.0
        if self._motion_end is None or not self._times:
            # no motion pending, or no beat to judge it by (a span can come before any beat: motion while the
            # finger lands, or a drift the motion judge flags with no pulse behind it)
            return self._compute_window(newest, self.window_s)
        times = np.fromiter(self._times, dtype=float)
        broken = broken_before(times, [*self._gaps, *self._motion])
        first = _regular_tail(times, broken, len(times) - 1)
        whole = self._compute_window(newest, self.window_s)
        if (newest - times[first] >= self.window_s and times[first] > self._motion_end) or (
                self._motion_end <= newest - self.window_s and whole.hrv_reason is None):
            # regular for a whole window since the motion, or the last span has left the window and the
            # window's beats pass every check HRV makes (no run of extra beats, none timed poorly): as if none
            self._motion_end, self._sustained = None, False
            return whole
        if len(times) - 1 - first >= MOTION_CLEAR_INTERVALS and times[first] >= self._motion_end:
            # the figures rest on the regular tail after the last span only
            rate = self._compute_window(newest, newest - times[first] - 1e-6)
            # HRV leaves out the run's first intervals: beats the band-pass still times on the motion's tail
            settled = self._compute_window(newest, newest - times[first + MOTION_CLEAR_INTERVALS] - 1e-6)
            metrics = replace(settled, hr_bpm=rate.hr_bpm, hr_reason=rate.hr_reason, hr_flag=rate.hr_flag,
                              n_beats=rate.n_beats)
        else:
            metrics = self._withheld_motion(times)
        if metrics.hrv_reason is None and whole.hrv_reason is not None:
            # the window as a whole would not support HRV (a weak beat, poor timing, ...): neither does its tail
            metrics = replace(metrics.withheld(whole.hrv_reason), hr_bpm=metrics.hr_bpm, hr_reason=metrics.hr_reason,
                              hr_flag=metrics.hr_flag)
        if not self._sustained:
            # brief motion: its few beats cannot move a median, so heart rate stands on the whole window (less
            # the intervals touching a span, with the time of its newest beat); HRV still on the regular tail
            metrics = replace(metrics, t_s=whole.t_s, hr_bpm=whole.hr_bpm, hr_reason=whole.hr_reason,
                              hr_flag=whole.hr_flag, n_beats=whole.n_beats)
        return self._with_motion_share(metrics, newest)

    def _withheld_motion(self, times: NDArray[np.float64]) -> HrvMetrics:
        """Every figure withheld (MOTION), counting the beats held in the window."""
        newest = float(times[-1])
        held = int(np.count_nonzero(times > newest - self.window_s))
        return HrvMetrics(newest, None, None, None, None, None, None, None, None, held, 0.0, MOTION, MOTION)

    def _with_motion_share(self, metrics: HrvMetrics, newest: float) -> HrvMetrics:
        """artifact_pct with the intervals the motion spans in the window cover counted as corrected."""
        window_start = newest - self.window_s
        moving_s = sum(max(0.0, min(end, newest) - max(start, window_start)) for start, end in self._motion)
        ibi_s = 60.0 / metrics.hr_bpm if metrics.hr_bpm else 1.0
        lost = moving_s / ibi_s  # intervals the spans cover
        counted = max(metrics.n_beats - 1, 0)
        share = (metrics.artifact_pct / 100.0 * counted + lost) / max(counted + lost, 1e-9)
        return replace(metrics, artifact_pct=100.0 * share)

    def _compute_window(self, newest: float, window_s: float) -> HrvMetrics:
        """The figures over the intervals ending within `window_s` of the newest beat."""
        window = self._stretches(window_s, sure=False)
        n = len(window.ibi_ms)
        if n < HR_MIN_INTERVALS:
            return HrvMetrics(newest, None, None, None, None, None, None, None, None, n + 1 if n else len(self._times),
                              0.0, INSUFFICIENT_BEATS, INSUFFICIENT_BEATS)
        qualities = list(self._qualities)[-(n + 1):]
        quality = exact.median_nan(np.asarray(qualities, dtype=float))
        times = np.fromiter(self._times, dtype=float)
        amplitudes = np.fromiter(self._amplitudes, dtype=float)
        recent = times > times[-1] - window_s
        broken = broken_before(times, [*self._gaps, *self._motion])  # no interval ends at these beats
        moving = self._in_motion(times)
        counted = ~broken & recent  # the beats the rate shown rests on: within the window, the current rhythm's
        counted &= _current_rhythm(times, counted)
        hr_bpm = self._heart_rate(window, times, counted)
        # intervals a beat too many or too few against the window's own rate, left so by the correction:
        # artifacts (counted as corrected), and no rhythm is judged across them
        off = off_rate(window.ibi_ms, 60000.0 / hr_bpm, window.stretch)
        share = artifact_share(np.where(off, Artifact.EXTRA, window.labels))
        checked = _drop_newest(window, CONFIRM_INTERVALS)
        off_checked = off[:len(checked.ibi_ms)]
        judged = checked.without(off_checked)
        # irregular: True, False, or None while too few intervals to say (the prediction error's upper bound over
        # IRREGULAR_SHARE and its estimate not: HRV waits, device/signal/intervals.py IRREGULAR_CONFIDENCE_Z)
        irregularity = judged.irregularity()
        irregular: bool | None = None
        if irregularity is not None:
            estimate, bound = irregularity
            if estimate > IRREGULAR_SHARE or judged.beat_locked_pattern():
                irregular = True
            elif bound <= IRREGULAR_SHARE:
                irregular = False
        reason: str | None = None
        # the beats' timing noise accounts for most of the intervals' variation: neither HRV nor the heart-rate
        # view of breathing can be read from them (a regular 204/min pulse at 25 samples/s: 16/min at 1.0)
        timing_noisy = self._timing_noise_share(checked, times[-(n + 1):]) > TIMING_NOISE_MAX_SHARE
        # beats at motion carry the hand's size as much as the heart's: they break a run (amplitude 0, unknown)
        sizes = np.where(moving, 0.0, amplitudes)[recent]
        t_alternation, depth = alternation_statistic(sizes)
        alternating = (alternating_run(sizes)
                       or (t_alternation >= ALTERNATION_T and depth >= 1.0 - ALTERNATION_DEPTH)
                       or steady_parity(times[recent], broken[recent],
                                        np.fromiter(self._timing_sds, dtype=float)[recent]))
        hidden = hides_beats(np.fromiter(self._hidden, dtype=float)[recent])
        repeats = np.fromiter(self._repeats, dtype=float)
        multiple = faster_than_repeat(times[recent], amplitudes[recent], repeats[recent], counted[recent], hr_bpm)
        if len(checked.ibi_ms) < HRV_MIN_INTERVALS or len(checked.successive_differences()) < 1:
            reason = INSUFFICIENT_BEATS
        elif quality < HRV_MIN_QUALITY:
            reason = LOW_QUALITY
        elif timing_noisy:
            reason = TIMING_NOISE
        elif share > HRV_MAX_ARTIFACT_SHARE:
            reason = FREQUENT_ARTIFACTS
        elif irregular:
            reason = IRREGULAR_RHYTHM
        elif off_checked.any():
            # a run of beats the correction could not repair: the successive differences across it would
            # be the picker's, not the heart's (a slow heart read double for a while, a bigeminy read halved)
            reason = FREQUENT_ARTIFACTS
        elif alternating:
            reason = ALTERNATING_BEATS
        elif hidden:
            reason = HIDDEN_BEATS
        elif multiple:
            reason = MULTIPLE_OF_RHYTHM
        elif self._weak_beat(amplitudes[recent & ~moving]):
            reason = WEAK_BEAT
        elif irregular is None:
            reason = INSUFFICIENT_BEATS  # not yet enough intervals to tell a regular rhythm from an irregular one
        # the figures rest on the intervals that touch no unsure beat; every check above is made on all of them
        sure = _drop_newest(self._stretches(window_s), CONFIRM_INTERVALS)
        if reason is None and (len(sure.ibi_ms) < HRV_MIN_INTERVALS or len(sure.successive_differences()) < 1):
            reason = INSUFFICIENT_BEATS
        phases = np.fromiter(self._phases, dtype=float)[recent]
        heights = amplitudes[recent] - phase_height_part(times[recent], amplitudes[recent], phases)
        breath, confidence, swing = self._breathing(window, self._amplitude_rhythm(times[recent], heights),
                                                    heart_view=not timing_noisy)
        common = dict(t_s=newest, hr_bpm=hr_bpm, n_beats=n + 1,
                      artifact_pct=100.0 * share, hr_reason=None, hrv_reason=reason, irregular=irregular,
                      hr_flag=(ALTERNATING_BEATS if alternating else HIDDEN_BEATS if hidden
                               else MULTIPLE_OF_RHYTHM if multiple else None),
                      breath_confidence=confidence, beat_quality=quality)
        if reason is not None:
            # timing noise bars what rests on fine beat timing; the amplitude view of breathing does not (the
            # heart-rate view is already left out): a pulse whose height breathes on a calm heart is exactly
            # this case (a fresh-clone tester: 169 of 180 such records got no breathing rate)
            # (not on alternating beats: their sizes are a beat's and its wave's, or an alternans, not breathing)
            kept = breath if reason == TIMING_NOISE and not alternating and not hidden and not multiple else None
            return HrvMetrics(rmssd_ms=None, sdnn_ms=None, ln_rmssd=None, pnn50_pct=None, breath_rate_bpm=kept,
                              hr_swing_bpm=None, coherence=None, **common)  # type: ignore[arg-type]
        td = time_domain(sure.ibi_ms, sure.successive_differences())
        return HrvMetrics(rmssd_ms=td["rmssd_ms"], sdnn_ms=td["sdnn_ms"], ln_rmssd=td["ln_rmssd"],
                          pnn50_pct=td["pnn50_pct"], breath_rate_bpm=breath, hr_swing_bpm=swing,
                          coherence=self._coherence, **common)  # type: ignore[arg-type]

    def _timing_noise_share(self, checked: Stretches, beat_times: NDArray[np.float64]) -> float:
        """The share of the mean squared successive difference (RMSSD^2) of `checked` that timing noise
        accounts for: 6 sigma^2 over it, sigma^2 the mean estimated timing variance (Beat.timing_sd_s) of
        the window's beats at `beat_times` (s; the newest ones), less those at motion (_in_motion) and those
        that carry no estimate, each taken as at most TIMING_SD_MAX_S (beyond it the first-order model no
        longer holds, and a single flat-topped beat would otherwise outweigh the window). A successive
        difference of intervals, t[i+1] - 2 t[i] + t[i-1], holds three beats' timing errors: independent, of
        variance sigma^2, they add 6 sigma^2 to its mean square. 0 when fewer than half of the beats carry
        an estimate or there is no successive difference."""
        sds = np.asarray(list(self._timing_sds)[-len(beat_times):], dtype=float)
        known = sds[(sds > 0.0) & ~self._in_motion(beat_times, MOTION_TIMING_BEATS)]
        diffs = checked.successive_differences()
        if 2 * len(known) < len(sds) or len(diffs) == 0:
            return 0.0
        mssd = float(np.mean(diffs * diffs))
        clipped = np.minimum(known, TIMING_SD_MAX_S)
        noise = 6.0 * float(np.mean(clipped * clipped)) * 1e6  # ms^2
        return math.inf if mssd <= 0.0 else noise / mssd

    def _in_motion(self, times: NDArray[np.float64], after: int = 0) -> NDArray[np.bool_]:
        """Of the beats at `times` (s, increasing), those that bound an interval touching a motion span (the
        last beat before it, those inside it, the first after it) and the `after` beats that follow it.
        Their amplitude and timing estimate are the hand's as much as the heart's: the intervals between
        them are already left out, and the span is judged per interval, so it may start after the motion."""
        out = np.zeros(len(times), dtype=np.bool_)
        for start_s, end_s in self._motion:
            first = max(0, int(np.searchsorted(times, start_s, side="left")) - 1)
            last = int(np.searchsorted(times, end_s, side="right"))
            out[first:last + 1 + after] = True
        return out

    def _heart_rate(self, window: Stretches, times: NDArray[np.float64], counted: NDArray[np.bool_]) -> float:
        """60000 / the median of the window's beat intervals as measured (within stretches, never across
        a gap), not as corrected: a median needs no correction (a few wrong beats do not move it), and
        on a short or artifact-heavy series the correction's thresholds rest on a handful of intervals
        and can split or merge the wrong ones (BUT PPG's 10 s phone records: 1.81 -> 1.09 bpm on half
        A), over spans of two intervals, or of a patterned rhythm's whole repeats (heart_rate_bpm). The
        corrected intervals' median when too few measured ones are left. `times`: the beats held (s), `counted`:
        the beats whose intervals count (within window_s of the newest, not where broken_before ends none over the
        gaps and motion spans, and of the current rhythm: _current_rhythm).
        Unsure beats (`_unsure`) count here: leaving them out moved BUT PPG's camera records (docs/measurements.md,
        "Unsure beats after a hand")."""
        rate = heart_rate_bpm(times, counted)
        return 60000.0 / exact.median_nan(window.ibi_ms) if rate is None else rate

    def _weak_beat(self, amplitudes: NDArray[np.float64]) -> bool:
        """A beat of the window is below AMP_FRACTION of the window's median pulse amplitude: below the
        picker's bar for a beat (pulse_peaks.py; it came in by search-back), so it may be a weak premature
        beat, noise in a real pause, or a real beat. The beats alone cannot tell which, and RMSSD differs
        several-fold between the readings (CapnoBase's largest per-window errors, pauses the annotators
        left empty), while the correction would pick one: HRV is withheld instead (heart rate, a median,
        stays). Beats of unknown amplitude (0 or less) are left out. `amplitudes`: the window's beats'."""
        amplitudes = amplitudes[amplitudes > 0]
        if len(amplitudes) < HRV_MIN_INTERVALS:
            return False
        return bool(np.minimum.reduce(amplitudes) < AMP_FRACTION * exact.median_nan(amplitudes))

    @staticmethod
    def _amplitude_rhythm(times: NDArray[np.float64], amplitudes: NDArray[np.float64]
                          ) -> tuple[float, float] | None:
        """(breaths/min, confidence) from the pulse amplitudes (RIAV) of the window's beats (`times` s,
        `amplitudes` in input units, 0 or less where unknown), or None. The amplitudes are read relative to
        their median, so the view does not depend on the sensor's units, and declined when they vary by less
        than RIAV_MIN_SPREAD of it: a steady pulse's amplitudes then carry only how sampling fell on each beat,
        which on a regular pulse repeats every few beats and stands as a clear line however small (the
        confidence is a ratio; issue 7, item 10: 72/min at 50 samples/s read 24/min at confidence 1)."""
        known = amplitudes > 0
        times, amplitudes = times[known], amplitudes[known]
        if len(times) < 2 or times[-1] - times[0] < BREATH_MIN_SPAN_S:
            return None
        relative = amplitudes / exact.median_nan(amplitudes)
        if MAD_TO_SD * exact.median_nan(np.abs(relative - 1.0)) < RIAV_MIN_SPREAD:
            return None
        return breathing_rate_bpm(times, relative, min_sd=0.0)

    @staticmethod
    def _breathing(window: Stretches, amplitude_rhythm: tuple[float, float] | None, heart_view: bool = True
                   ) -> tuple[float | None, float | None, float | None]:
        """(breaths/min when confident, confidence, HR swing bpm) of the window.

        Two independent views of the breathing, fused after Karlen et al. (2013, "Multiparameter
        respiratory rate estimation from the photoplethysmogram", IEEE TBME 60(7):1946-1953,
        doi:10.1109/TBME.2013.2246160): the heart-rate rhythm (RSA) and the pulse-amplitude rhythm
        (respiratory-induced amplitude variation). When both agree to within BREATH_AGREE_PER_MIN, their
        mean, with the higher confidence; when both are confident and disagree, no rate (a Mayer wave
        can be a clear line in the heart rate); otherwise the more confident one. RSA alone is weak at
        spontaneous breathing rates when a Mayer wave is strong; the amplitude rhythm often is not. The
        heart-rate view is not read from intervals whose SD is below MIN_IBI_SD_MS, nor when `heart_view` is
        False (the beats' timing noise accounts for the intervals' variation: TIMING_NOISE).
        """
        found: tuple[float, float] | None = None
        if (heart_view and len(window.ends_s) >= 2 and window.ends_s[-1] - window.ends_s[0] >= BREATH_MIN_SPAN_S
                and exact.mean_std(window.ibi_ms)[1] >= MIN_IBI_SD_MS):
            found = breathing_rate_bpm(window.ends_s, 60000.0 / window.ibi_ms)
        views = [v for v in (found, amplitude_rhythm) if v is not None]
        if not views:
            return None, None, None
        rate, confidence = max(views, key=lambda v: v[1])
        if len(views) == 2:
            (rate_h, conf_h), (rate_a, conf_a) = views
            if abs(rate_h - rate_a) <= BREATH_AGREE_PER_MIN:
                rate = 0.5 * (rate_h + rate_a)
            elif min(conf_h, conf_a) >= BREATH_MIN_CONFIDENCE:
                return None, min(conf_h, conf_a), None  # two clear rhythms that disagree: no rate
        if confidence < BREATH_MIN_CONFIDENCE:
            return None, confidence, None
        return rate, confidence, hr_swing_bpm(window.ends_s, 60000.0 / window.ibi_ms, rate)


def alternating_run(amplitudes: NDArray[np.float64]) -> bool:
    """Whether ALTERNATION_RUN consecutive beats of `amplitudes` (per beat, input units, in time order; 0 or less:
    unknown, which breaks a run) alternate strictly in size, each smaller than both its neighbours or larger
    than both and every one of the smaller parity below every one of the larger, with the smaller ones'
    median amplitude at most ALTERNATION_DEPTH of the larger ones'.

    Such a run is what a diastolic wave at about half the interval makes when the picker takes it for a beat,
    and also what a pulsus alternans makes (every other beat smaller): at even spacing the beats alone cannot
    tell a heart at the rate from one at half of it with a wave (docs/measurements.md, "A wave at half the
    interval"). Runs are sought anywhere in what is given, so one that still holds the window's median is
    found after the picker has learned better."""
    a = np.asarray(amplitudes, dtype=float)
    if len(a) < ALTERNATION_RUN:
        return False
    d = np.diff(a)
    # turn[i]: beat i + 1 is a strict turning point between known beats
    turn = (d[1:] * d[:-1] < 0.0) & (a[1:-1] > 0.0) & (a[:-2] > 0.0) & (a[2:] > 0.0)
    need = ALTERNATION_RUN - 2  # turning points inside a run
    counts = np.convolve(turn.astype(int), np.ones(need, dtype=int), mode="valid")
    for start in np.flatnonzero(counts == need):
        run = a[start:start + ALTERNATION_RUN]
        small, large = sorted((run[0::2], run[1::2]), key=lambda part: float(np.median(part)))
        if (float(np.max(small)) < float(np.min(large))
                and float(np.median(small)) <= ALTERNATION_DEPTH * float(np.median(large))):
            return True
    return False


def _longest_run(ok: NDArray[np.bool_]) -> tuple[int, int]:
    """(first index, length) of the longest run of True in `ok` (the earliest of equal ones); (0, 0) if none."""
    best_first, best_len, first = 0, 0, 0
    for i in range(len(ok) + 1):
        if i == len(ok) or not ok[i]:
            if i - first > best_len:
                best_first, best_len = first, i - first
            first = i + 1
    return best_first, best_len


def alternation_statistic(amplitudes: NDArray[np.float64]) -> tuple[float, float]:
    """(t, depth) of the size alternation over the longest run of known beats in `amplitudes` (per beat, input
    units, in time order; 0 or less: unknown, which breaks a run): t is the mean alternating second difference
    z_k = (-1)^k (a_k - (a_(k-1) + a_(k+1)) / 2) over its standard error, depth that mean as a share of the
    run's median size (a strict alternation between sizes L and S has z = L - S on every beat). (0, 0) for a run
    shorter than ALTERNATION_MIN_BEATS.

    The second difference takes out any smooth change of size (breathing, drift, a pressure change); what is left
    of white noise of SD s in the sizes has variance 1.5 s^2 per z, and the z's alternating sum, the sizes'
    component at half the beat rate, has variance 4 n s^2 for n of them (the second difference's gain there is
    2): so the standard error is sqrt(8/3 var(z) / n). Where noise hides a strict run (bench_wave_half
    --noise 0.1) the mean still stands out: a wave taken for a beat is a steady size on every other beat."""
    a = np.asarray(amplitudes, dtype=float)
    best_first, best_len = _longest_run(a > 0.0)
    if best_len < ALTERNATION_MIN_BEATS:
        return 0.0, 0.0
    run = a[best_first:best_first + best_len]
    z = (run[1:-1] - 0.5 * (run[:-2] + run[2:])) * np.where(np.arange(len(run) - 2) % 2 == 0, 1.0, -1.0)
    mean = float(np.mean(z))
    spread = float(np.var(z, ddof=1))
    if spread <= 0.0:
        return (np.inf if mean != 0.0 else 0.0), abs(mean) / float(np.median(run))
    return abs(mean) / np.sqrt(8.0 / 3.0 * spread / len(z)), abs(mean) / float(np.median(run))


def hides_beats(hidden_gaps_s: NDArray[np.float64]) -> bool:
    """The picker takes one beat of two or more: at least HIDDEN_SHARE of the beats (Beat.hidden_gap_s of each, 0
    where none) passed over a beat-sized maximum inside their refractory window, HIDDEN_MIN_BEATS or more, at gaps
    whose median absolute deviation is at most HIDDEN_SPREAD of their median (HIDDEN_SHARE's comment)."""
    gaps = hidden_gaps_s[hidden_gaps_s > 0.0]
    if len(gaps) < max(HIDDEN_MIN_BEATS, HIDDEN_SHARE * len(hidden_gaps_s)):
        return False
    middle = float(np.median(gaps))
    return float(np.median(np.abs(gaps - middle))) <= HIDDEN_SPREAD * middle


def faster_than_repeat(times_s: NDArray[np.float64], amplitudes: NDArray[np.float64], repeats_s: NDArray[np.float64],
                       counted: NDArray[np.bool_], hr_bpm: float) -> bool:
    """Whether the rate shown (`hr_bpm`) is faster than the pulse repeats and the beats at `times_s` (s, increasing)
    are not one heart's beats at that rate.

    `repeats_s`: per beat, Beat.repeat_s (0: unknown; with fewer than half known the answer is False): the interval
    the pulse's own waveform repeats at (the lock's autocorrelation). Faster: the interval shown times DRIFT (sqrt 2,
    halfway on a log scale to twice the rate) is under the median repeat, so each repeat holds k = round(repeat /
    interval) >= 2 of the beats shown. A heart's beats at that rate (an autocorrelation locked on two alike beats)
    repeat with the waveform and are alike in size; so over the longest run of intervals the rate rests on (ending
    at beats where `counted`: _heart_rate's, the current rhythm's), the beats are another thing when the intervals
    do not repeat k on (median |interval i + k - interval i| over INTERVAL_AGREEMENT of the interval shown: a slow
    heart's diastolic noise picked at no steady place), or they are unlike in size within a repeat (over every k
    consecutive beats, the median of the smallest's amplitude over the largest's under ALTERNATION_RATIO, the
    picker's own bar for a wave: a beat and its later wave, or an alternans, which the beats cannot tell apart), or
    the run is too short (under two repeats) to show either. bench/bench_slow_waves.py --harsh."""
    known = repeats_s[counted & (repeats_s > 0.0)]
    if 2 * len(known) < np.count_nonzero(counted) or len(known) == 0:
        return False
    interval_s = 60.0 / hr_bpm
    repeat_s = float(np.median(known))
    if interval_s * DRIFT >= repeat_s:
        return False
    k = round(repeat_s / interval_s)
    first, length = _longest_run(np.asarray(counted, dtype=bool)[1:])
    if length < 2 * k + 1:
        return True  # too few intervals to show they repeat with the waveform
    ibi = np.diff(np.asarray(times_s, dtype=float))[first:first + length]
    if float(np.median(np.abs(ibi[k:] - ibi[:-k]))) > INTERVAL_AGREEMENT * interval_s:
        return True
    sizes = np.asarray(amplitudes, dtype=float)[first:first + length + 1]
    if np.any(sizes <= 0.0):
        return False  # sizes not known: the repeat alone judges
    # every k consecutive beats (a repeat's worth): the smallest against the largest. Not places counted from the
    # run's start: a pick missed or added shifts which place each later beat is at, and mixes beats and waves
    repeats = np.lib.stride_tricks.sliding_window_view(sizes, k)
    return float(np.median(repeats.min(axis=1) / repeats.max(axis=1))) < ALTERNATION_RATIO


def steady_parity(times_s: NDArray[np.float64], broken: NDArray[np.bool_], timing_sds_s: NDArray[np.float64]) -> bool:
    """Whether every other interval of the beats at `times_s` (s, increasing) is steady while the others vary:
    over the longest run of intervals ending at beats not `broken` (broken_before), of at least
    PARITY_MIN_INTERVALS, the median absolute successive difference of one parity's intervals is at most
    STEADY_PARITY_SHARE of the other's, and a pair of intervals is at most MAX_LAG_S (half the rate would
    still be a heart's), and at most STEADY_TIMING_FACTOR times the beats' median timing error (`timing_sds_s`,
    per beat, s; 0: unknown, and with fewer than half known the answer is False). What a diastolic wave taken
    for a beat makes: it keeps its delay after the beat."""
    known = np.asarray(timing_sds_s, dtype=float)
    known = known[known > 0.0]
    if 2 * len(known) < len(times_s):
        return False
    best_first, best_len = _longest_run(~np.asarray(broken, dtype=bool)[1:])
    if best_len < PARITY_MIN_INTERVALS:
        return False
    ibi = np.diff(np.asarray(times_s, dtype=float))[best_first:best_first + best_len]
    if 2.0 * float(np.median(ibi)) > MAX_LAG_S:
        return False
    spread = sorted(float(np.median(np.abs(np.diff(ibi[parity::2])))) for parity in (0, 1))
    return (spread[1] > 0.0 and spread[0] <= STEADY_PARITY_SHARE * spread[1]
            and spread[0] <= STEADY_TIMING_FACTOR * float(np.median(known)))


def _regular_tail(times: NDArray[np.float64], broken: NDArray[np.bool_], last: int) -> int:
    """Index of the first beat of the regular run ending at beat `last`: going back from it, every interval
    unbroken (`broken`: broken_before's) and within INTERVAL_AGREEMENT of the one before it. `last` when
    the interval ending at it is broken."""
    first = last
    while first >= 1 and not broken[first]:
        if first >= 2 and not broken[first - 1]:
            ratio = (times[first] - times[first - 1]) / (times[first - 1] - times[first - 2])
            if abs(ratio - 1.0) > INTERVAL_AGREEMENT:
                return first - 1
        first -= 1
    return first


def _current_rhythm(times: NDArray[np.float64], keep: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Of the beats at `times` (s, increasing) whose interval counts (`keep[i]`: the interval ending at beat i),
    those a heart rate may rest on: all of them, unless the window holds two rhythms one after the other.

    A heart's rate does not step by more than RATE_AGREE_FACTOR (sqrt 2) from one beat to the next and stay
    there; a lock that followed a hand and then the pulse under it does (a fresh-clone tester's hand of 1.5
    pulse sizes at 3 Hz as the finger landed: 180/min picked for 10 s, then the pulse's 67/min, and the
    window's median showed 180 for 26 s after the hand was still). The current run: the newest consecutive
    counted intervals each within RATE_AGREE_FACTOR of the median m of the newest MOTION_CLEAR_INTERVALS. When
    it holds at least MOTION_CLEAR_INTERVALS and the rate before it (heart_rate_bpm of the beats up to its
    first, which cancels a hand's alternating picks) is more than RATE_AGREE_FACTOR from the run's own, only
    the run's beats are kept. Otherwise `keep` as given: an ectopic beat, a missed one or a few extra beats
    cannot make such a run. A real heart whose rate falls or rises by more than that within half a minute is
    followed too (rr_meditation C1_pre: 110 -> 69/min; the rate shown reached 69-70 about 27 beats before the 60 s
    median did), which is what a heart rate shown now should do.
    """
    everything = np.ones(len(times), dtype=np.bool_)
    ends = np.flatnonzero(keep[1:]) + 1  # beats that end a counted interval
    if len(ends) <= MOTION_CLEAR_INTERVALS:
        return everything
    ibi = times[ends] - times[ends - 1]
    middle = exact.median_nan(ibi[-MOTION_CLEAR_INTERVALS:])
    # the run stops at an interval off m, or where the counted intervals are not consecutive (a gap, a span)
    broken = (ibi < middle / RATE_AGREE_FACTOR) | (ibi > middle * RATE_AGREE_FACTOR)
    broken[1:] |= ends[1:] != ends[:-1] + 1
    first = int(np.flatnonzero(broken)[-1]) + 1 if broken.any() else 0  # the run's first interval
    if first == 0 or len(ibi) - first < MOTION_CLEAR_INTERVALS:
        return everything
    start = int(ends[first]) - 1  # the run's first beat
    before = heart_rate_bpm(times[:start + 1], keep[:start + 1])
    current = np.zeros(len(times), dtype=np.bool_)
    current[start + 1:] = True
    now = heart_rate_bpm(times, keep & current)
    if before is None or now is None or abs(math.log(before / now)) <= math.log(RATE_AGREE_FACTOR):
        return everything
    return current


def _drop_newest(window: Stretches, count: int) -> Stretches:
    """The window without its newest `count` intervals (not yet checked by the correction)."""
    keep = max(0, len(window.ibi_ms) - count)
    return Stretches(window.ends_s[:keep], window.ibi_ms[:keep], window.labels[:keep], window.stretch[:keep])


def heart_rate_bpm(times_s: NDArray[np.float64], keep: NDArray[np.bool_] | None = None) -> float | None:
    """Heart rate (beats/min) of increasing beat times (s); None with fewer than HR_MIN_INTERVALS intervals.

    `keep[i]` False: no interval may end at beat i (the first beat, or one after a gap; default: all but the
    first kept). The rate is 60 / the median of the spans of two consecutive intervals, each halved, that
    agree with the median interval m: both intervals within RATE_AGREE_FACTOR (sqrt 2) of m, nearer to it than to
    half or twice it (so no span touches a piece of an interval split by an extra beat, or one spanning a
    missed beat), or the half-span itself within INTERVAL_AGREEMENT of m (an ectopic beat with its
    compensatory pause: two intervals that together are two). 60 / m when fewer than HR_MIN_INTERVALS agree.
    Except where the intervals repeat a pattern locked to every 2nd, 3rd or 4th beat (`pattern_period`: bigeminy,
    trigeminy, quadrigeminy): m is then one of the pattern's intervals, not the rhythm's (a bigeminy with one short
    interval more than long ones: its short one, so no span agrees and 60 / m read a fresh-clone tester's 108.5/min
    as 146.3), and a span of two is a whole repeat only of a bigeminy; every beat is a heartbeat, so the rate is
    the beats over their time, taken over whole repeats (`whole_repeats_bpm`). Generated patterned rhythms
    (bench/bench_pattern_hr.py, docs/measurements.md "The heart rate of a patterned rhythm").
    Why spans: a single interval carries the timing error of two beats, and camera noise a third of the pulse
    times beats to 30-100 ms, so the median of a 10 s record's dozen intervals read 5-10 beats/min off at
    120-180/min (a wrong rate); across two intervals the beat between cancels and the same error falls over
    twice the time. Known truth: generated 10 s camera records (bench/bench_phone_lock.py), rates more than 5
    beats/min off 85 -> 32 of 739 given; BUT PPG half A 1.36 -> 1.04 bpm (docs/measurements.md).
    """
    t = np.asarray(times_s, dtype=float)
    if len(t) < HR_MIN_INTERVALS + 1:
        return None
    ended = np.ones(len(t) - 1, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)[1:]
    if np.count_nonzero(ended) < HR_MIN_INTERVALS:
        return None
    ibi = t[1:] - t[:-1]
    typical = exact.median_nan(ibi[ended])
    period = pattern_period(ibi, ended)
    if period is not None:
        rate = whole_repeats_bpm(t, ended, period)
        if rate is not None:
            return rate
    near = (ibi >= typical / RATE_AGREE_FACTOR) & (ibi <= typical * RATE_AGREE_FACTOR)
    half_spans = 0.5 * (ibi[:-1] + ibi[1:])
    agree = ended[:-1] & ended[1:] & ((near[:-1] & near[1:])
                                      | (np.abs(half_spans - typical) <= INTERVAL_AGREEMENT * typical))
    if np.count_nonzero(agree) < HR_MIN_INTERVALS:
        return 60.0 / typical
    return 60.0 / exact.median_nan(half_spans[agree])


def pattern_period(ibi_s: NDArray[np.float64], ended: NDArray[np.bool_]) -> int | None:
    """The period (beats) of a pattern locked to every 2nd, 3rd or 4th beat in intervals `ibi_s` (s, as measured;
    `ended[i]` False: interval i does not count), the smallest of PATTERN_PERIODS whose position means over the runs
    of counted intervals (intervals.locked_means, the test Stretches.beat_locked_pattern makes of the corrected
    intervals) explain more than LOCKED_SHARE of their variance and differ by more than LOCKED_SPREAD of their
    median, with PATTERN_MIN_REPEATS intervals or more at each position; None when none does. A
    bigeminy repeats every 4th beat too: the smallest period is taken. The newest half of the counted intervals and
    the oldest half are tried too: a beat missed or added partway shifts the pattern's phase, so that over the whole
    the position means blur (the family of bench/bench_pattern_hr.py with a beat added or missed in the middle,
    seeds 6000-6299: 82 and 47 of 300 wrong without the halves, 4 and 4 with). A pattern found by chance (a
    premature beat or a breath that falls into step for half a minute: 5 of 690 minutes of a regular or breathing
    heart or of random premature beats, tests/device/signal/synthetic_rr.py control_hearts) costs nothing the rate
    needs: spans of whole repeats of a heart's own beats give its rate whatever the period."""
    counted = np.asarray(ended, dtype=bool)
    rr = np.asarray(ibi_s, dtype=float)[counted]
    if len(rr) < PATTERN_MIN_REPEATS * min(PATTERN_PERIODS):
        return None
    run = np.cumsum(~counted)[counted]  # the runs of consecutive counted intervals, numbered
    position = np.arange(len(rr)) - np.searchsorted(run, run)
    half = len(rr) // 2
    for part in (slice(None), slice(half, None), slice(None, half)):
        found = _locked_period(rr[part], position[part])
        if found is not None:
            return found
    return None


def _locked_period(rr: NDArray[np.float64], position: NDArray[np.int_]) -> int | None:
    """pattern_period's test on counted intervals `rr` (s) at `position` (each one's place in its run)."""
    if len(rr) < PATTERN_MIN_REPEATS * min(PATTERN_PERIODS):
        return None
    total = exact.var(rr)
    if total <= 0.0:
        return None
    middle = exact.median_nan(rr)
    for period in PATTERN_PERIODS:
        if np.bincount(position % period, minlength=period).min() < PATTERN_MIN_REPEATS:
            continue
        means = locked_means(rr, position, period, total, middle)
        if means is not None and _early_shaped(means, middle):
            return period
    return None


def _early_shaped(means: NDArray[np.float64], median_rr: float) -> bool:
    """Whether a pattern's position means (s) are a premature beat's: its interval is the pattern's odd short one,
    and the pause after it makes up at most the time it lost (a share of 0-1), so the longest mean stands above the
    means' median by no more than the shortest stands below it, give or take LOCKED_SPREAD of the median interval
    `median_rr` (timing). Not so: one long interval among alike ones, about twice them, a beat the picker misses
    every k-th beat (a small premature beat unseen, its two intervals one), where not every interval is a heart's
    and whole repeats would read (k - 1) / k of the rate (a quadrigeminy at 180/min at 25 samples/s whose premature
    beats were a third as tall read 135, tests/device/signal/test_pulse_irregular_lock.py); the spans then judge."""
    middle = float(np.median(means))
    return float(np.max(means)) - middle <= middle - float(np.min(means)) + LOCKED_SPREAD * median_rr


def whole_repeats_bpm(times_s: NDArray[np.float64], ended: NDArray[np.bool_], period: int) -> float | None:
    """60 / the median of the spans of `period` consecutive counted intervals (`ended[i]`: interval i, ending at beat
    i + 1, counts), each divided by `period`, that are within INTERVAL_AGREEMENT of that median (a span over a missed
    or an added beat is a beat's worth longer or shorter); None with fewer than HR_MIN_INTERVALS of them."""
    t = np.asarray(times_s, dtype=float)
    counted = np.asarray(ended, dtype=bool)
    if len(counted) < period:
        return None
    whole = np.lib.stride_tricks.sliding_window_view(counted, period).all(axis=1)
    starts = np.flatnonzero(whole)
    if len(starts) < HR_MIN_INTERVALS:
        return None
    spans = (t[starts + period] - t[starts]) / period
    middle = exact.median_nan(spans)
    agree = spans[np.abs(spans - middle) <= INTERVAL_AGREEMENT * middle]
    if len(agree) < HR_MIN_INTERVALS:
        return None
    return 60.0 / exact.median_nan(agree)


def hrv_metrics(beat_times_s: NDArray[np.float64], window_s: float | None = None,
                gaps: Sequence[tuple[float, float]] = (),
                amplitudes: NDArray[np.float64] | None = None,
                qualities: NDArray[np.float64] | None = None,
                motion: Sequence[tuple[float, float]] = (),
                timing_sds: NDArray[np.float64] | None = None,
                phases: NDArray[np.float64] | None = None,
                before_template: NDArray[np.bool_] | None = None,
                hidden_gaps_s: NDArray[np.float64] | None = None,
                repeats_s: NDArray[np.float64] | None = None) -> HrvMetrics:
    """HRV of a whole series of beat times (s), through the same code as the streaming HrvTracker.

    window_s: the rolling window (default: the whole series). gaps: (start_s, end_s) spans of lost
    signal; motion: spans the pulse pipeline judged moving (PulseUpdate.motion), in time order.
    amplitudes, qualities: per beat, as the pulse pipeline gives them (default: all 1.0, which leaves the
    breathing rate to the heart-rate rhythm alone). timing_sds: per beat, Beat.timing_sd_s (s; default
    all 0: not known, no timing-noise check). phases: per beat, Beat.phase (sample index modulo 1; default all
    NaN: not known, no sampling-phase correction, device/signal/sampling_phase.py). before_template: per beat,
    Beat.before_template (default all False: every beat set against a template). hidden_gaps_s: per beat,
    Beat.hidden_gap_s (default all 0: no beat passed over inside a refractory window). repeats_s: per beat,
    Beat.repeat_s (default all 0: the pulse's repeat not known, faster_than_repeat not asked). Raises InputError on
    non-increasing or non-finite times, or per-beat arrays of another length.
    """
    t = np.asarray(beat_times_s, dtype=float)
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise InputError("beat times must be a 1-D array of increasing, finite seconds")
    amp = np.ones(len(t)) if amplitudes is None else np.asarray(amplitudes, dtype=float)
    qual = np.ones(len(t)) if qualities is None else np.asarray(qualities, dtype=float)
    sds = np.zeros(len(t)) if timing_sds is None else np.asarray(timing_sds, dtype=float)
    ph = np.full(len(t), math.nan) if phases is None else np.asarray(phases, dtype=float)
    early = np.zeros(len(t), dtype=bool) if before_template is None else np.asarray(before_template, dtype=bool)
    hidden = np.zeros(len(t)) if hidden_gaps_s is None else np.asarray(hidden_gaps_s, dtype=float)
    repeats = np.zeros(len(t)) if repeats_s is None else np.asarray(repeats_s, dtype=float)
    if any(a.shape != t.shape for a in (amp, qual, sds, ph, early, hidden, repeats)):
        raise InputError("amplitudes, qualities, timing_sds, phases, before_template, hidden_gaps_s and repeats_s need "
                         "one value per beat")
    span_s = float(t[-1] - t[0]) if len(t) > 1 else 1.0
    tracker = HrvTracker(window_s=window_s if window_s is not None else span_s + 1e-6)
    for start_s, end_s in gaps:
        tracker.add_gap(start_s, end_s)
    for start_s, end_s in motion:
        tracker.add_motion(start_s, end_s)
    tracker.add_beats([Beat(float(x), float(q), float(a), float(sd), float(p), bool(e), float(h), float(r))
                       for x, q, a, sd, p, e, h, r in zip(t, qual, amp, sds, ph, early, hidden, repeats, strict=True)])
    return tracker.metrics()
