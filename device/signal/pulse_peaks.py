"""Beat picking on the band-passed PPG (timing on the raw signal is device/signal/peak_timing.py).

Used by device/signal/pulse.py; pure and streaming: state is bounded (ring buffers, short deques).

Picking (`BeatPicker`) is an adaptive-threshold peak picker in the spirit of Pan & Tompkins (1985,
doi:10.1109/TBME.1985.325532) and of the PPG detectors compared by Elgendi et al. (2013,
doi:10.1371/journal.pone.0076585), working on local maxima of the band-passed signal:

- a local maximum's amplitude is its rise above the lowest point since the previous beat (its foot);
- it becomes the pending beat if that amplitude reaches AMP_FRACTION of the median amplitude of recent
  beats; within a refractory window (REFRACTORY_FRACTION of the median recent interval) a higher maximum
  replaces it (a notch on the upstroke) and a lower one is ignored (the dicrotic wave);
- the pending beat is confirmed once its refractory window has passed, so the look-ahead is bounded;
- when no beat was found for SEARCHBACK_FACTOR median intervals, the best rejected maximum (at least
  AMP_FRACTION_SEARCHBACK of the median amplitude) is taken: a weak or premature beat is not lost;
- a picker seeded on a pattern of premature beats (`pattern`, device/signal/pulse.py PATTERN_BEATS) has a lower
  refractory floor (PATTERN_REFRACTORY_MIN_S) and takes a small early pick (down to AMP_FRACTION_SEARCHBACK; early:
  before PATTERN_PREMATURE_SHARE of the interval it follows, or PREMATURE_FRACTION of the expected one) that
  follows a pick that was not early and rises as fast as the recent picks (within RISE_RATIO of their median): a
  premature beat on its predecessor's falling shoulder, at 150/min 0.24 s on and a fifth as tall from its foot;
- once N_RECENT / 2 beats set the references, a maximum more than AMP_CEILING times the median
  amplitude is not a pulse (a hand moving): it is
  rejected, and so is anything within a refractory window after it (its own later waves), so motion
  never lifts the references above the pulse (the pipeline re-seeds a picker that
  has found no beat for a while, so a pulse that really grew is taken up again within seconds);
- the pulse's own later wave (diastolic / reflected) can rise from its notch almost as steeply as the
  systolic wave, and when it comes after the refractory window it passes the bars above. Two rules
  catch it, both resting on what a wave is: a maximum that peaks a fixed delay after its own beat, at
  most WAVE_DELAY_MAX_S (0.5 s; the systolic-to-diastolic peak time behind the stiffness index is about
  0.15-0.4 s in adults, Millasseau et al. 2002, doi:10.1042/cs1030371), inside the beat's interval:
  1. a pick that comes sooner than PREMATURE_FRACTION of the expected interval after the last beat,
     within WAVE_DELAY_MAX_S of it and smaller than it, is held until the next beat is confirmed (new
     maxima are measured from it). If the two split one interval (the next beat comes within
     EXTRA_AGREEMENT of one expected interval after the last), it was extra and is dropped, as the
     "extra beat" class of Lipponen & Tarvainen (2019, doi:10.1080/03091902.2019.1640306) does with
     intervals; otherwise it is confirmed (a premature beat has its compensatory pause, the pair spans
     more than one interval). The expected interval is the autocorrelation's (the seed, then each
     periodicity check's, `expect_interval`), not the picker's own median: a picker that had lost beats
     would otherwise confirm its longer interval by dropping more of them (a 200/min heart read 103);
  2. when the last ALTERNATION_BEATS picks alternate strictly, the smaller ones (median amplitude) were
     the larger ones' wave: in amplitude (every other one below ALTERNATION_RATIO of its neighbours, and
     not an evenly spaced beat: within WAVE_DELAY_MAX_S of the larger one, or splitting the pair unevenly,
     one part longer than the other by TIMING_GAP, as a wave or a slow heart's band-passed rebound and noise
     do; or every smaller one found by search-back, a slow heart's picker reaching into its long intervals;
     evenly spaced picks of alternating size further apart are beats, e.g. a 30/min heart breathing at
     exactly 15/min, whose every other beat is larger), in shape (every other one peaks lower on the
     band-pass and rises more slowly, its rise time, amplitude over steepest rise, longer than every
     larger one's and by RISE_RATIO and RISE_MIN_SAMPLES in the median (a sampled rise time moves with the
     sampling phase by most of a sample), within WAVE_DELAY_MAX_S and at a delay steady within
     WAVE_DELAY_JITTER_S (a pattern of premature beats pairs picks at varying delays): a smaller copy of the beat,
     pulsus alternans, keeps the beat's rise time), or in timing (every interval of one parity longer
     than every one of the other by TIMING_GAP, both parities and the pairs steady within
     WAVE_TOLERANCE, not one and two intervals in turn, which is a picker missing beats; at any delay:
     a narrow wave at 0.42-0.58 of a 40-55/min heart's interval comes 0.6-0.9 s on, and was read 1.5-2.5x
     while this rule asked for a delay of at most WAVE_DELAY_MAX_S; a regular rhythm, an alternans included,
     does not alternate its intervals, and a strict bigeminy of smaller premature beats, which does, was
     already mostly counted at half the rate by the other rules). The references are rebuilt from the
     larger ones alone (interval = the pair's), and a maximum at the wave's learned delay after a beat
     (and, when learned from amplitude, below ALTERNATION_RATIO of the amplitude) is rejected from then on.
  Why shape: a narrow diastolic wave 0.6-0.8 as tall as the systole at about half the interval (70-80/min,
  0.4-0.45 s on) looks like a second beat to the picker, because the band-pass's first-order high-pass
  (0.5 Hz) shrinks exactly what tells them apart: the amplitude alternation is the fundamental's share of
  the pulse, which the high-pass attenuates and turns by 20-40 degrees at 40-80/min, so a wave 0.74 as tall
  as its beat from the foot on the raw pulse measures 0.91 on the band-pass (0.60 -> 0.77 at 70/min with a
  wave 0.6 tall). The wave's peak value and its slower rise survive the band-pass.
  Normal rhythms never alternate like that beat by beat (respiratory modulation spans several beats);
  the price is that a strict bigeminy of small premature beats, and a pulsus alternans whose smaller
  beats are below ALTERNATION_RATIO of the larger, or at 150/min ride on the larger beat's wave so that
  they rise more slowly, are counted at half the rate: an explicit prior, a resting user's heart being
  far more often 40-120/min with a diastolic wave than 120-220/min with alternans (docs/measurements.md,
  "A tall diastolic wave"). A wave at half the interval that is nearly as tall as the systole (a wide camera
  pulse at about 100/min, or a narrow wave 0.8 tall 0.4 s on at 60-70/min, whose rise is the beat's) makes
  a signal of twice the rate that no rule here tells from a fast heart or an alternans, and is still
  counted double.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

AMP_FRACTION = 0.5  # of the median recent beat amplitude, to accept a local maximum as a beat
SLOPE_FRACTION = 0.5  # of the median recent upstroke slope: the dicrotic wave rises far more gently
AMP_FRACTION_SEARCHBACK = 0.2  # lower bar for a beat recovered by search-back
REFRACTORY_FRACTION = 0.45  # of the median recent interval: window in which only the highest maximum wins
REFRACTORY_MIN_S = 0.25  # shortest refractory window (240 beats/min) ...
# ... or, for a picker seeded on a pattern of premature beats (BeatPicker's `pattern`), this: a beat 40 % early at
# 220/min (0.6 x 0.27 s), the fastest rhythm issue 7 asks for with the earliest premature beat its benches
# generate. At 150/min a beat 40 % early comes 0.24 s after the last, inside the 0.25 s floor, and the picker took
# one beat in two or three. Only a pattern's picker gets it: a regular pulse's diastolic wave 0.15-0.25 s on
# stays inside its window.
PATTERN_REFRACTORY_MIN_S = 0.15
REFRACTORY_MAX_SHARE = 0.8  # ... but never more than this share of the median recent interval
REFRACTORY_MAX_S = 0.8
SEARCHBACK_FACTOR = 1.6  # search back after this many median intervals without a beat
MAX_FOOT_LOOKBACK_S = 2.0  # a foot (trough) is sought at most this far back
N_RECENT = 8  # beats whose amplitudes and intervals set the adaptive thresholds
AMP_CEILING = 3.0  # a maximum this many times the median amplitude is motion, not a pulse
ALTERNATION_BEATS = 8  # beats examined for strict amplitude alternation (four pairs)
ALTERNATION_RATIO = 0.75  # the smaller of alternating beats stay below this share of the larger
WAVE_TOLERANCE = 0.2  # of the learned wave delay: where a maximum counts as that wave
# Interval alternation: every long interval exceeds every short one by this share. A band-passed maximum's
# time jitters by a sample or two (at 25 samples/s a regular 180/min train gave 11, 12, 11, 12 ... samples,
# and a noisy one at 50/s 14-20), a wave keeps its delay: 0.45 s against 0.3 s at 80/min is 1.5.
TIMING_GAP = 0.25
# ... over this many picks (six pairs): over eight, a noisy regular train at 150-180/min alternated by chance
# often enough to be halved in about one record in 300 (bench/bench_rate_guards.py, bench_dicrotic.py)
TIMING_BEATS = 12
# Shape alternation: the smaller picks' median rise time (amplitude over steepest rise) exceeds the larger ones'
# by this share (on top of every smaller one's exceeding every larger one's). A tenth: the rise time of a
# regular beat train measured at 25-100 samples/s spreads by 5-15 % (5th-95th percentile of the median ratio over
# 8 picks: 0.87-1.11 for regular fast narrow pulses, 0.90-1.15 for alternans, 1.21 median for a wave near half the
# interval; generated, seeds 0-1, bench/bench_narrow_wave.py's shapes).
RISE_RATIO = 1.1
# ... and by at least this many samples. At a coarse sampling rate a sampled rise time moves with where the
# samples fall on the upstroke (the steepest sampled difference of a rise two or three samples long): a beat
# train whose interval is close to a whole number and a half of samples has its sampling phase, and with it
# the rise time, alternate beat by beat. On clean pulses of a fresh-clone tester's eight shapes at 25
# samples/s (the even-numbered records of their grid) one record's rise times spread by up to 0.78 of a
# sample (the medians of alternate beats over 8 beats by up to 0.57): 3 of their 576 clean records and 7 of
# our 144 kinked ones (tests/device/signal/kinked_pulses.py) were halved. A wave's rise exceeds its beat's by
# more than a sample from 50 samples/s on (1.2x of a rise over 3 samples: 0.6 of a sample at 25, 1.2 at
# 50), so the rule is given up only where the samples cannot tell.
RISE_MIN_SAMPLES = 1.0
# ... where the picks split their pairs evenly to within this many samples, as a regular train's picks do (each
# pick's time is a whole sample: two intervals of a steady train differ by up to one). A wave off half the
# interval splits it unevenly and is judged by RISE_RATIO alone (bench_dicrotic's camera waves at 0.25 s:
# 260 -> 287 records with an extra beat when every split needed the whole sample).
EVEN_SPLIT_SAMPLES = 1.0
# A diastolic wave peaks at most this long after its systolic peak (module docstring): 0.15-0.4 s in adults
# (Millasseau et al. 2002), a tester's generator up to 0.5 s, and on the band-pass a wider wave's peak comes up
# to 0.04 s later than on the raw pulse (measured on bench/bench_narrow_wave.py's pulses), hence 0.55 s. BUT
# PPG's alternating phone records have beats 0.6-1.4 s apart, beyond it.
WAVE_DELAY_MAX_S = 0.55
# The shape rule (below) takes the smaller picks for the larger ones' wave only if their delay after them holds
# within this and one sample (a whole-sample pick time) over the picks it judges: a diastolic wave keeps its delay
# after its beat (it moves on the band-pass by the sampling and the noise, a sample or two). A pattern of premature
# beats does not: a 150/min pulse with every 3rd or 4th beat early, picked whole, paired beats a whole interval and a
# pause apart in turn (40, 46, 40, 48 samples at 100/s; 20, 23, 21, 23 at 50/s) and the rule halved it (bench
# bench_irregular_lock, seeds 1-2 at 150/min: 15 records off without this test, 7 with it). 0.02 s: two samples
# at 100 samples/s, the finest grid the device runs.
WAVE_DELAY_JITTER_S = 0.02
# A pick sooner than this share of the median interval after the last beat may be its wave (held); premature
# beats this early are kept by their compensatory pause (test_pulse_diastolic.py).
PREMATURE_FRACTION = 0.75
# ... it was the wave when the next beat comes within this share of one median interval after the last beat
# (the agreement two lock checks need on the interval, pulse.INTERVAL_AGREEMENT).
EXTRA_AGREEMENT = 0.15
# A pattern's picker takes a small pick as a premature beat (_rises_like_a_beat) when it comes sooner than this share of
# the interval before it (the sinus interval it cuts short), or than PREMATURE_FRACTION of the expected interval. The
# expected interval is the pattern's mean, which a premature beat without a pause pulls below the sinus interval: a
# beat 30 % early, every 3rd, comes at 0.78 of the mean (0.7 / 0.9), after PREMATURE_FRACTION, and a smaller premature
# beat (it fills less) was then dropped and the pattern read at a third. A beat 25 % early comes at 0.75 of the interval
# before it, give or take the generator's 2 % beat-to-beat noise (2.8 % on a ratio of two) and a sample; 0.9 was
# chosen over 0.75 / 0.85 on bench_fast_pattern seed 0 at premature heights 0.3 / 0.5 / 0.7 / 1.0 (right 65 -> 78,
# 93 -> 106, 108 -> 115, 126 -> 128 of 144 with the trial change in pulse.py; 0.85 gave 74 and 113 at 0.3 and 0.7;
# its slow rows on seeds 0-1 no worse; with _rises_like_a_beat's median rise as well 81, 113, 123, 131); seeds 1-3
# are unseen (docs/measurements.md).
PATTERN_PREMATURE_SHARE = 0.9


class SampleRing:
    """The most recent `capacity` samples of a stream, addressed by absolute sample index.

    Memory is fixed (2 x capacity floats); old samples fall off as new ones arrive.
    """

    def __init__(self, capacity: int, end: int = 0) -> None:
        self.capacity = capacity
        self._buf = np.zeros(2 * capacity)
        self._lo = 0
        self._hi = 0
        self.end = end  # absolute index one past the newest sample

    @property
    def start(self) -> int:
        """Absolute index of the oldest sample held."""
        return self.end - (self._hi - self._lo)

    def __len__(self) -> int:
        return self._hi - self._lo

    def clear(self, end: int) -> None:
        """Drop everything; the next sample appended gets index `end`."""
        self._lo = self._hi = 0
        self.end = end

    def extend(self, samples: NDArray[np.float64]) -> None:
        """Append samples (the next indices)."""
        m = len(samples)
        cap = self.capacity
        if m >= cap:
            self._buf[:cap] = samples[m - cap:]
            self._lo, self._hi = 0, cap
        else:
            if self._hi + m > len(self._buf):
                keep = min(self._hi - self._lo, cap - m)
                self._buf[:keep] = self._buf[self._hi - keep:self._hi]
                self._lo, self._hi = 0, keep
            self._buf[self._hi:self._hi + m] = samples
            self._hi += m
            if self._hi - self._lo > cap:
                self._lo = self._hi - cap
        self.end += m

    def view(self, first: int, stop: int) -> NDArray[np.float64]:
        """Samples with absolute indices first..stop-1 (a view: copy it to keep it)."""
        offset = self._lo - self.start
        if first < self.start or stop > self.end or first > stop:
            raise IndexError(f"samples {first}..{stop} not held (have {self.start}..{self.end})")
        return self._buf[first + offset:stop + offset]


@dataclass(frozen=True)
class PeakCandidate:
    """A local maximum of the band-passed signal."""

    index: int  # absolute sample index
    value: float
    foot_index: int  # where the lowest band-passed value since the previous beat lies
    foot: float  # that lowest value
    amp: float  # value - foot, input units
    slope: float  # steepest rise between foot and peak, input units per sample
    recovered: bool = False  # found by search-back, below the normal threshold
    # samples from a beat-sized maximum this pick replaced inside its refractory window to this pick, 0 when none
    # (`BeatPicker._hides_a_beat`: two beats in one window, the picker taking one beat of two or more)
    hidden_gap: float = 0.0


def steady_delay(picks: list[int], first: int, fs_hz: float) -> bool:
    """The picks (sample indices, increasing) after those at `first`, `first` + 2, ... come a steady delay after
    them (within WAVE_DELAY_JITTER_S and a sample): a wave's delay after its beat, not a premature beat's coupling
    nor a heart's next beat. True when there is no such pair."""
    delays = [picks[i + 1] - picks[i] for i in range(first, len(picks) - 1, 2)]
    return not delays or max(delays) - min(delays) <= WAVE_DELAY_JITTER_S * fs_hz + 1.0


class BeatPicker:
    """Adaptive-threshold beat picker over a band-passed ring buffer (see module docstring)."""

    def __init__(self, fs_hz: float, ibi_prior_s: float, amp_prior: float, scan_from: int,
                 last_beat: int | None = None, pattern: bool = False) -> None:
        """`pattern`: the lock was found to be a pattern of premature beats (PulsePipeline._pattern_beats_in), or
        a trial picker asks whether it is one: the refractory floor is PATTERN_REFRACTORY_MIN_S."""
        self.fs_hz = fs_hz
        self._pattern = pattern
        self._ibis: deque[float] = deque([ibi_prior_s * fs_hz], maxlen=N_RECENT)
        self._amps: deque[float] = deque([amp_prior], maxlen=N_RECENT)
        self._slopes: deque[float] = deque(maxlen=N_RECENT)
        self._pending: PeakCandidate | None = None
        self._held: PeakCandidate | None = None  # a confirmed pick that may be a wave, judged at the next beat
        # the beat interval the signal's own periodicity gives (samples): what a held pick is judged against
        self._expected = ibi_prior_s * fs_hz
        self._last_beat: int | None = last_beat
        self._veto: int | None = None  # the last maximum too tall to be a pulse
        self._rejected: deque[PeakCandidate] = deque(maxlen=64)
        self._scan_from = scan_from
        self._r_min = (PATTERN_REFRACTORY_MIN_S if pattern else REFRACTORY_MIN_S) * fs_hz
        self._r_max = REFRACTORY_MAX_S * fs_hz
        self._lookback = round(MAX_FOOT_LOOKBACK_S * fs_hz)
        self._recent: deque[PeakCandidate] = deque(maxlen=max(ALTERNATION_BEATS, TIMING_BEATS))
        self._wave_delay: float | None = None  # samples from a beat to its own later wave, once learned
        self._wave_amp_bar: float | None = ALTERNATION_RATIO  # a wave is below this share of a beat (None: any)
        self._waves: list[int] = []  # confirmed beats since judged to have been waves; see take_waves
        self._maxima: deque[int] = deque(maxlen=N_RECENT)  # indices of the latest local maxima (_hides_a_beat)
        self._update_thresholds()

    @property
    def ibi_ref_samples(self) -> float:
        """Median recent beat interval, samples."""
        return self._ibi_ref

    @property
    def recent_picks(self) -> list[int]:
        """Sample indices of the latest confirmed picks (at most 12; fewer after a wave was learned)."""
        return [b.index for b in self._recent]

    @property
    def last_beat(self) -> int | None:
        """Index of the last confirmed beat, None before the first."""
        return self._last_beat

    def expect_interval(self, interval_s: float) -> None:
        """The beat interval the autocorrelation of the recent signal gives (s), for judging held picks.

        It does not depend on which picks were taken, so a picker that lost beats cannot confirm its own
        longer interval by dropping more of them."""
        if interval_s > 0.0:
            self._expected = interval_s * self.fs_hz

    @property
    def _anchor(self) -> int | None:
        """The pick a new maximum is measured from: the held pick (it may yet be a beat), else the last beat."""
        return self._held.index if self._held is not None else self._last_beat

    @property
    def amp_ref(self) -> float:
        """Median recent beat amplitude, input units."""
        return self._amp_ref

    def _update_thresholds(self) -> None:
        self._ibi_ref = statistics.median(self._ibis)
        self._amp_ref = statistics.median(self._amps)
        self._slope_ref = statistics.median(self._slopes) if self._slopes else 0.0
        self._refractory = min(max(REFRACTORY_FRACTION * self._ibi_ref, self._r_min), self._r_max,
                               REFRACTORY_MAX_SHARE * self._ibi_ref)

    def process(self, y: SampleRing) -> list[PeakCandidate]:
        """Examine the samples added to `y` since the last call; return beats confirmed, in order."""
        confirmed: list[PeakCandidate] = []
        first = max(self._scan_from, y.start + 1)
        stop = y.end - 1  # a maximum at k needs y[k + 1]
        if stop <= first:
            return confirmed
        seg = y.view(first - 1, stop + 1)
        mid = seg[1:-1]
        maxima = np.flatnonzero((mid > seg[:-2]) & (mid >= seg[2:]))
        for off in maxima.tolist():
            k = first + off
            self._confirm_until(k, confirmed)
            self._consider(k, float(mid[off]), y, confirmed)
        self._scan_from = stop
        self._release_held(stop, confirmed)
        pending = self._pending
        if pending is not None and stop - pending.index >= self._refractory:
            self._confirm(pending, confirmed)
        return confirmed

    def _foot_since(self, k: int, y: SampleRing) -> tuple[int, float]:
        ref = self._pending.index if self._pending is not None else self._anchor
        lo = max(y.start, k - self._lookback, ref if ref is not None else y.start)
        if lo >= k:
            return k, float(y.view(k, k + 1)[0])
        seg = y.view(lo, k)
        i = int(np.argmin(seg))
        return lo + i, float(seg[i])

    def _consider(self, k: int, value: float, y: SampleRing, out: list[PeakCandidate]) -> None:
        pending = self._pending
        foot_index, foot = self._foot_since(k, y)
        self._maxima.append(k)
        if value - foot > AMP_CEILING * self._amp_ref and len(self._amps) > N_RECENT // 2:
            self._veto = k  # motion (once the references rest on beats): not a beat, and its own
            return  # later waves within the refractory window are not beats either
        if self._veto is not None and k - self._veto < self._refractory:
            return
        if pending is not None and k - pending.index < self._refractory:
            if value > pending.value:
                gap = k - pending.index if self._hides_a_beat(pending, value - foot) else pending.hidden_gap
                if pending.foot <= foot:
                    foot_index, foot = pending.foot_index, pending.foot
                self._pending = PeakCandidate(k, value, foot_index, foot, value - foot,
                                              _steepest(y, foot_index, k), hidden_gap=gap)
            return
        anchor = self._anchor
        if anchor is not None and k - anchor < self._refractory:
            return
        candidate = PeakCandidate(k, value, foot_index, foot, value - foot, _steepest(y, foot_index, k))
        strong = candidate.amp >= AMP_FRACTION * self._amp_ref
        fast = not strong and self._rises_like_a_beat(candidate)
        if (strong or fast) and self._is_wave(candidate):
            strong = fast = False
        if fast or (strong and candidate.slope >= SLOPE_FRACTION * self._slope_ref):
            if self._last_beat is not None and k - self._last_beat > SEARCHBACK_FACTOR * self._ibi_ref:
                self._search_back(k - self._refractory, out)
            self._pending = candidate
        else:
            self._rejected.append(candidate)

    def _hides_a_beat(self, pending: PeakCandidate, rise: float) -> bool:
        """A higher maximum that rose `rise` from the trough after `pending` replaces it inside its refractory
        window: were they two beats in one window? Both rose at least AMP_FRACTION of a beat (the second from the
        trough after the first, so not a notch on one upstroke), and some other local maximum came between the last
        beat and `pending`: three maxima in one picked interval, where a beat and its own later wave make two (a tall
        diastolic wave late in the interval is a pending pick that the next beat replaces, the same two rises; it
        has no maximum before it, on bench_wave_half's 2160 records in 95 % of such events). In a fast pattern of
        premature beats read at a third (a quarter) the maximum between is the hidden premature beat (or a sinus
        beat), the pending pick the beat after it and the replacing one the next (docs/measurements.md)."""
        bar = AMP_FRACTION * self._amp_ref
        last = self._last_beat
        return (last is not None and pending.amp >= bar and rise >= bar
                and any(last < i < pending.index for i in self._maxima))

    def _rises_like_a_beat(self, c: PeakCandidate) -> bool:
        """A pattern's picker only: `c`, smaller than AMP_FRACTION of a beat but at least AMP_FRACTION_SEARCHBACK,
        comes early (before PATTERN_PREMATURE_SHARE of the interval it follows when that is known, or
        PREMATURE_FRACTION of the expected interval) after a pick that did not (a premature beat follows a sinus
        interval; a small pick early after a premature beat is that beat's diastolic wave in the pause), and rises as
        fast as the recent picks (its rise time within RISE_RATIO of their median: a wave rises more slowly than
        its beat, RISE_RATIO's comment): a premature beat's upstroke, standing on the last beat's falling shoulder,
        so its rise from its foot is small. The median, not the fastest recent pick: a premature beat on a shoulder
        rises from its foot in less time than a sinus beat (7.5-8.8 samples against 12.5 at 150/min, 100 samples/s,
        half as tall), so once one had been picked (by search-back) the next, a sample slower, was refused and the
        pattern read at a third."""
        if not self._pattern or self._last_beat is None or not self._recent:
            return False
        anchor, before = self._last_beat, None  # the pick `c` follows, and the one before it if known
        if self._held is not None:
            anchor, before = self._held.index, self._last_beat
        elif len(self._recent) >= 2 and self._recent[-1].index == self._last_beat:
            before = self._recent[-2].index
        early = PREMATURE_FRACTION * self._expected
        # early against the interval it follows when that is known (a sinus interval: longer than the expected,
        # the pattern's mean, when the premature beat has no pause), else against the expected interval
        sooner = early if before is None else max(early, PATTERN_PREMATURE_SHARE * (anchor - before))
        return (c.amp >= AMP_FRACTION_SEARCHBACK * self._amp_ref
                and c.index - anchor < sooner and (before is None or anchor - before >= early)
                and _rise(c) <= RISE_RATIO * statistics.median(_rise(b) for b in self._recent))

    def _confirm_until(self, now: int, out: list[PeakCandidate]) -> None:
        """Before the maximum at `now`: confirm a pending beat that is due, or search back if overdue.

        Only called at maxima, never at chunk ends, so the picks do not depend on how samples arrive.
        """
        self._release_held(now, out)
        pending = self._pending
        if pending is not None:
            if now - pending.index >= self._refractory:
                self._confirm(pending, out)
        elif self._last_beat is not None and now - self._last_beat > SEARCHBACK_FACTOR * self._ibi_ref:
            self._search_back(now - self._refractory, out)

    def _search_back(self, latest: float, out: list[PeakCandidate]) -> None:
        """Take the strongest rejected maximum between the last beat and `latest`, if strong enough."""
        assert self._last_beat is not None
        if self._held is not None:  # judged at the next beat, or released by _release_held: the gap is
            return  # judged against the autocorrelation's interval there, not the picker's own (maybe halved) one
        earliest = self._last_beat + self._refractory
        floor = AMP_FRACTION_SEARCHBACK * self._amp_ref
        best: PeakCandidate | None = None
        for c in self._rejected:
            if self._is_wave(c):
                continue
            if earliest <= c.index <= latest and c.amp >= floor and (best is None or c.amp > best.amp):
                best = c
        if best is not None:
            self._confirm(replace(best, recovered=True), out)

    def _confirm(self, beat: PeakCandidate, out: list[PeakCandidate]) -> None:
        """Confirm `beat`, unless it may be the last beat's later wave: then it is held until the next
        beat shows whether it split one beat interval in two (an extra pick, dropped) or not."""
        held, self._held = self._held, None
        last = self._last_beat
        if held is not None:
            if last is not None and abs(beat.index - last - self._expected) <= EXTRA_AGREEMENT * self._expected:
                self._rejected.append(held)  # the held pick and this beat split one interval: it was extra
            else:
                self._accept(held, out)
        elif (not beat.recovered and last is not None and self._recent
              and beat.index - last < PREMATURE_FRACTION * self._expected
              and beat.index - last <= WAVE_DELAY_MAX_S * self.fs_hz
              and beat.amp < self._recent[-1].amp):
            self._held = beat
            self._pending = None
            return
        self._accept(beat, out)

    def _release_held(self, now: int, out: list[PeakCandidate]) -> None:
        """A held pick is confirmed once no beat came within EXTRA_AGREEMENT of one interval after the last
        (a pending beat, once confirmed, judges it instead)."""
        held, last = self._held, self._last_beat
        if (held is not None and last is not None and self._pending is None
                and now - last > (1.0 + EXTRA_AGREEMENT) * self._expected):
            self._held = None
            self._accept(held, out)

    def _accept(self, beat: PeakCandidate, out: list[PeakCandidate]) -> None:
        if self._last_beat is not None:
            interval = beat.index - self._last_beat
            if interval < 2.5 * self._ibi_ref:  # an interval across a gap says nothing about the rate
                self._ibis.append(interval)
        self._amps.append(beat.amp)
        self._slopes.append(beat.slope)
        self._last_beat = beat.index
        self._pending = None
        self._rejected = deque((c for c in self._rejected if c.index > beat.index), maxlen=64)
        self._recent.append(beat)
        self._check_alternation()
        self._update_thresholds()
        out.append(beat)

    def take_waves(self) -> list[int]:
        """Indices of beats confirmed earlier and since found to be waves of the beat before (once each).

        A caller that has not reported them yet drops them.
        """
        waves, self._waves = self._waves, []
        return waves

    def _is_wave(self, c: PeakCandidate) -> bool:
        """`c` sits where the last beat's own later wave was learned to be, and is smaller than a beat."""
        if self._wave_delay is None or self._last_beat is None:
            return False
        delay = c.index - self._last_beat
        return (abs(delay - self._wave_delay) <= WAVE_TOLERANCE * self._wave_delay
                and (self._wave_amp_bar is None or c.amp < self._wave_amp_bar * self._amp_ref))

    def _check_alternation(self) -> None:
        """Strict beat-by-beat alternation: the smaller beats were the larger ones' later wave.

        Either in amplitude (every other beat below ALTERNATION_RATIO of its neighbours), or in timing:
        the intervals alternate strictly short / long by more than TIMING_GAP, steadily, and the picks that
        follow one parity of interval are the smaller ones (median amplitude), at any delay (a wave at 0.42 or
        0.58 of a 40/min heart's interval comes 0.6-0.9 s after its beat).
        """
        if len(self._recent) < ALTERNATION_BEATS:
            return
        beats = list(self._recent)[-ALTERNATION_BEATS:]
        even, odd = beats[0::2], beats[1::2]
        for big, small, first in ((even, odd, 0), (odd, even, 1)):
            delay, rest = _pair_split(beats, first)
            if (max(b.amp for b in small) < ALTERNATION_RATIO * min(b.amp for b in big)
                    and (delay <= WAVE_DELAY_MAX_S * self.fs_hz or all(b.recovered for b in small)
                         or max(delay, rest) > (1.0 + TIMING_GAP) * min(delay, rest))):
                self._learn_wave(beats, big, small, first, ALTERNATION_RATIO)
                return
            if (max(b.value for b in small) < min(b.value for b in big)
                    and min(_rise(b) for b in small) > max(_rise(b) for b in big)
                    and statistics.median(_rise(b) for b in small)
                    > RISE_RATIO * statistics.median(_rise(b) for b in big)
                    and (abs(delay - rest) > EVEN_SPLIT_SAMPLES or statistics.median(_rise(b) for b in small)
                         >= RISE_MIN_SAMPLES + statistics.median(_rise(b) for b in big))
                    and delay <= WAVE_DELAY_MAX_S * self.fs_hz and self._steady_delay(beats, first)):
                self._learn_wave(beats, big, small, first, None)
                return
        if len(self._recent) < TIMING_BEATS:
            return
        beats = list(self._recent)[-TIMING_BEATS:]
        even, odd = beats[0::2], beats[1::2]
        gaps = [beats[i + 1].index - beats[i].index for i in range(len(beats) - 1)]
        # gaps[i] ends at beats[i + 1]: the intervals ending at odd picks, and those ending at even ones
        to_odd, to_even = gaps[0::2], gaps[1::2]
        strict = (max(to_odd) * (1.0 + TIMING_GAP) < min(to_even) or max(to_even) * (1.0 + TIMING_GAP) < min(to_odd))
        if not strict:
            return
        pairs = [beats[i + 2].index - beats[i].index for i in range(len(beats) - 2)]
        if not (_steady(to_odd) and _steady(to_even) and _steady(pairs)):
            return  # a wave keeps its delay, and beat + wave the beat interval: this is a picker losing beats
        long, short = sorted((statistics.median(to_odd), statistics.median(to_even)), reverse=True)
        if abs(long / short - 2.0) <= 2.0 * WAVE_TOLERANCE:
            return  # one and two intervals in turn: a picker missing every other beat of a fast heart
        for big, small, first in ((even, odd, 0), (odd, even, 1)):
            if statistics.median(b.amp for b in small) < statistics.median(b.amp for b in big):
                self._learn_wave(beats, big, small, first, None)
                return

    def _steady_delay(self, beats: list[PeakCandidate], first: int) -> bool:
        """steady_delay over these picks' indices."""
        return steady_delay([b.index for b in beats], first, self.fs_hz)

    def _learn_wave(self, beats: list[PeakCandidate], big: list[PeakCandidate], small: list[PeakCandidate],
                    first: int, amp_bar: float | None) -> None:
        """The `small` picks were the `big` ones' later wave (pairs start at `first`): references are
        rebuilt from the beats alone, and a maximum at the wave's delay is rejected from now on (below
        `amp_bar` of the amplitude reference, or at any size when the wave was learned from timing)."""
        delays = [beats[i + 1].index - beats[i].index for i in range(first, len(beats) - 1, 2)]
        pairs = [beats[i + 2].index - beats[i].index for i in range(first, len(beats) - 2, 2)]
        self._wave_delay = float(statistics.median(delays))
        self._wave_amp_bar = amp_bar
        self._ibis = deque(pairs, maxlen=N_RECENT)
        self._amps = deque((b.amp for b in big), maxlen=N_RECENT)
        self._slopes = deque((b.slope for b in big), maxlen=N_RECENT)
        self._waves.extend(b.index for b in small)
        self._last_beat = big[-1].index  # intervals and the wave gate count from the beat itself
        self._recent.clear()

    def flush(self) -> list[PeakCandidate]:
        """End of stream: confirm the pending beat without waiting for its refractory window."""
        out: list[PeakCandidate] = []
        if self._pending is not None:
            self._confirm(self._pending, out)
        if self._held is not None:  # no next beat will come to judge it
            held, self._held = self._held, None
            self._accept(held, out)
        return out


def _pair_split(beats: list[PeakCandidate], first: int) -> tuple[float, float]:
    """(median interval from each pick at `first`, `first` + 2, ... to the next, median of the rest of each pair's
    interval), samples: where in its pair the other parity of picks sits."""
    delays = [beats[i + 1].index - beats[i].index for i in range(first, len(beats) - 1, 2)]
    rests = [beats[i + 2].index - beats[i + 1].index for i in range(first, len(beats) - 2, 2)]
    return float(statistics.median(delays)), float(statistics.median(rests)) if rests else float("inf")


def _rise(c: PeakCandidate) -> float:
    """Rise time of a pick, samples: its amplitude over its steepest rise (a copy scaled up or down keeps it)."""
    return c.amp / c.slope if c.slope > 0.0 else float("inf")


def _steady(values: list[int]) -> bool:
    """Every value is within WAVE_TOLERANCE of their median."""
    mid = statistics.median(values)
    return all(abs(v - mid) <= WAVE_TOLERANCE * mid for v in values)


def _steepest(y: SampleRing, first: int, stop: int) -> float:
    """Largest sample-to-sample rise of `y` over first..stop (the systolic upstroke)."""
    if stop <= first:
        return 0.0
    return float(np.diff(y.view(first, stop + 1)).max())
